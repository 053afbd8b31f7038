-- Times are Unix microseconds in UTC; the zero time.Time is -62135596800000000.

-- Every distinct schema content, with its global ID. AUTOINCREMENT makes
-- SQLite never hand out an ID again, even one whose row is gone.
CREATE TABLE schemas (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	hash       TEXT    NOT NULL UNIQUE,
	format     TEXT    NOT NULL,
	path       TEXT    NOT NULL,
	text       TEXT    NOT NULL,
	refs       TEXT    NOT NULL, -- JSON array of registry.SchemaReference
	created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE topic_versions (
	topic          TEXT    NOT NULL,
	version        INTEGER NOT NULL CHECK (version > 0),
	fingerprint    TEXT    NOT NULL,
	key_type       TEXT    NOT NULL DEFAULT '', -- a scalar key type; message keys are a subject
	commit_sha     TEXT    NOT NULL,
	commit_author  TEXT    NOT NULL,
	commit_email   TEXT    NOT NULL,
	commit_time    INTEGER NOT NULL,
	commit_message TEXT    NOT NULL,
	orphaned       INTEGER NOT NULL DEFAULT 0 CHECK (orphaned IN (0, 1)),
	created_at     INTEGER NOT NULL,
	PRIMARY KEY (topic, version)
) STRICT;

CREATE INDEX topic_versions_commit ON topic_versions (commit_sha);

-- The schema of each subject at a version, in the version's order.
CREATE TABLE version_subjects (
	topic     TEXT    NOT NULL,
	version   INTEGER NOT NULL,
	ord       INTEGER NOT NULL,
	subject   TEXT    NOT NULL,
	subject_version INTEGER NOT NULL,        -- the subject's own version number
	message   TEXT    NOT NULL DEFAULT '',  -- the root message, for a topic's own subjects
	schema_id INTEGER NOT NULL REFERENCES schemas (id),
	PRIMARY KEY (topic, version, ord),
	FOREIGN KEY (topic, version) REFERENCES topic_versions (topic, version)
) STRICT;

CREATE TABLE rejections (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	topic          TEXT    NOT NULL,
	commit_sha     TEXT    NOT NULL,
	commit_author  TEXT    NOT NULL,
	commit_email   TEXT    NOT NULL,
	commit_time    INTEGER NOT NULL,
	commit_message TEXT    NOT NULL,
	findings       TEXT    NOT NULL, -- JSON array of registry.Finding
	created_at     INTEGER NOT NULL
) STRICT;

-- One row, there from the start, so that every Apply checks and updates it.
CREATE TABLE sync_state (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	source     TEXT    NOT NULL DEFAULT '',
	branch     TEXT    NOT NULL DEFAULT '',
	commit_sha TEXT    NOT NULL DEFAULT '',
	synced_at  INTEGER NOT NULL DEFAULT -62135596800000000,
	has_tree   INTEGER NOT NULL DEFAULT 0 CHECK (has_tree IN (0, 1))
) STRICT;

INSERT INTO sync_state (id) VALUES (1);

-- The repository files at the served commit.
CREATE TABLE tree (
	path    TEXT NOT NULL PRIMARY KEY,
	content BLOB NOT NULL
) STRICT;
