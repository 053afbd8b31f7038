-- A rejection becomes one record per stuck topic (topic '' for a commit
-- rejected whole) and episode: the first rejected commit (commit_*), the
-- latest commit still broken (latest_*), how many commits were rejected,
-- and, once a later commit fixed the topic, that commit (fixed_*).
ALTER TABLE rejections
	ADD COLUMN latest_sha     text        NOT NULL DEFAULT '',
	ADD COLUMN latest_author  text        NOT NULL DEFAULT '',
	ADD COLUMN latest_email   text        NOT NULL DEFAULT '',
	ADD COLUMN latest_time    timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
	ADD COLUMN latest_message text        NOT NULL DEFAULT '',
	ADD COLUMN commits        integer     NOT NULL DEFAULT 1 CHECK (commits > 0),
	ADD COLUMN updated_at     timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
	ADD COLUMN closed         boolean     NOT NULL DEFAULT false,
	ADD COLUMN fixed_sha      text, -- NULL: open, or closed by an unknown commit
	ADD COLUMN fixed_author   text,
	ADD COLUMN fixed_email    text,
	ADD COLUMN fixed_time     timestamptz,
	ADD COLUMN fixed_message  text,
	ADD COLUMN closed_at      timestamptz;

-- Fold the records of one per commit. A topic's records between two of
-- its versions are one episode (episode n follows version n), closed by
-- version n+1 when there is one; the commit-level records are one, open
-- only if its latest commit is the one the sync got to.
CREATE TEMP TABLE rejection_episodes ON COMMIT DROP AS
SELECT r.id, r.topic,
	CASE WHEN r.topic = '' THEN 0 ELSE
		(SELECT coalesce(max(v.version), 0) FROM topic_versions v WHERE v.topic = r.topic AND v.created_at < r.created_at)
	END AS episode
FROM rejections r;

CREATE TEMP TABLE rejection_groups ON COMMIT DROP AS
SELECT topic, episode, min(id) AS keep, max(id) AS newest, count(*)::integer AS n
FROM rejection_episodes GROUP BY topic, episode;

UPDATE rejections SET
	(latest_sha, latest_author, latest_email, latest_time, latest_message, findings, updated_at, commits) =
	(SELECT l.commit_sha, l.commit_author, l.commit_email, l.commit_time, l.commit_message, l.findings, l.created_at, g.n
	 FROM rejection_groups g JOIN rejections l ON l.id = g.newest WHERE g.keep = rejections.id)
WHERE id IN (SELECT keep FROM rejection_groups);

DELETE FROM rejections WHERE id NOT IN (SELECT keep FROM rejection_groups);

UPDATE rejections SET closed = true,
	fixed_sha = v.commit_sha, fixed_author = v.commit_author, fixed_email = v.commit_email,
	fixed_time = v.commit_time, fixed_message = v.commit_message, closed_at = v.created_at
FROM rejection_groups g JOIN topic_versions v ON v.topic = g.topic AND v.version = g.episode + 1
WHERE rejections.id = g.keep;

UPDATE rejections SET closed = true, closed_at = updated_at
WHERE topic = '' AND latest_sha <> (SELECT commit_sha FROM sync_state WHERE id = 1);

DROP TABLE rejection_groups;
DROP TABLE rejection_episodes;

-- At most one open rejection per topic: the store updates it.
CREATE UNIQUE INDEX rejections_open ON rejections (topic) WHERE NOT closed;
