-- Topics, subjects and hashes compare by bytes (COLLATE "C"), whatever the
-- database's collation, so that every backend orders them alike.

-- Every distinct schema content, with its global ID. The identity's
-- sequence never goes back: a rolled-back transaction leaves a gap, never
-- a reused ID.
CREATE TABLE schemas (
	id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	hash       text        COLLATE "C" NOT NULL UNIQUE,
	format     text        NOT NULL,
	path       text        NOT NULL,
	text       text        NOT NULL,
	refs       jsonb       NOT NULL, -- array of registry.SchemaReference, or null
	created_at timestamptz NOT NULL
);

CREATE TABLE topic_versions (
	topic          text        COLLATE "C" NOT NULL,
	version        integer     NOT NULL CHECK (version > 0),
	fingerprint    text        NOT NULL,
	key_type       text        NOT NULL DEFAULT '', -- a scalar key type; message keys are a subject
	commit_sha     text        NOT NULL,
	commit_author  text        NOT NULL,
	commit_email   text        NOT NULL,
	commit_time    timestamptz NOT NULL,
	commit_message text        NOT NULL,
	orphaned       boolean     NOT NULL DEFAULT false,
	created_at     timestamptz NOT NULL,
	PRIMARY KEY (topic, version)
);

CREATE INDEX topic_versions_commit ON topic_versions (commit_sha);

-- The schema of each subject at a version, in the version's order.
CREATE TABLE version_subjects (
	topic     text    COLLATE "C" NOT NULL,
	version   integer NOT NULL,
	ord       integer NOT NULL,
	subject   text    NOT NULL,
	subject_version integer NOT NULL,          -- the subject's own version number
	message   text    NOT NULL DEFAULT '',    -- the root message, for a topic's own subjects
	schema_id bigint  NOT NULL REFERENCES schemas (id),
	PRIMARY KEY (topic, version, ord),
	FOREIGN KEY (topic, version) REFERENCES topic_versions (topic, version)
);

CREATE TABLE rejections (
	id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	topic          text        NOT NULL,
	commit_sha     text        NOT NULL,
	commit_author  text        NOT NULL,
	commit_email   text        NOT NULL,
	commit_time    timestamptz NOT NULL,
	commit_message text        NOT NULL,
	findings       jsonb       NOT NULL, -- array of registry.Finding, or null
	created_at     timestamptz NOT NULL
);

-- One row, there from the start, so that every Apply locks it (SELECT …
-- FOR UPDATE) before checking and writing: writers queue on it.
CREATE TABLE sync_state (
	id         integer     PRIMARY KEY CHECK (id = 1),
	source     text        NOT NULL DEFAULT '',
	branch     text        NOT NULL DEFAULT '',
	commit_sha text        NOT NULL DEFAULT '',
	synced_at  timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00', -- the zero time.Time
	has_tree   boolean     NOT NULL DEFAULT false
);

INSERT INTO sync_state (id) VALUES (1);

-- The repository files at the served commit.
CREATE TABLE tree (
	path    text  PRIMARY KEY,
	content bytea NOT NULL
);
