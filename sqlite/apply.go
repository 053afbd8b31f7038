package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	registry "github.com/backbone-registry/backbone"
)

// Apply writes one sync step in one transaction. The writer connection's
// BEGIN IMMEDIATE takes the database's write lock first, so the check of
// step.After and the writes that follow see no other writer: a second Apply
// with the same After waits, then finds the new commit and returns
// ECONFLICT. It returns EINVALID for a malformed step or a version naming a
// schema that neither the step nor the store holds, and ECONFLICT for a
// version already stored; either way nothing is stored. A store that has
// called TryLead writes only while it holds the lease (ECONFLICT
// otherwise), as a PostgreSQL replica does.
func (s *Store) Apply(ctx context.Context, step registry.SyncStep) (map[string]int64, error) {
	if !s.mayWrite() {
		return nil, fmt.Errorf("apply step %s: %w", step.State.Commit,
			registry.Errorf(registry.ECONFLICT, "this store does not hold the sync lease"))
	}
	ids, err := s.apply(ctx, step)
	if err != nil {
		return nil, fmt.Errorf("apply step %s: %w", step.State.Commit, err)
	}
	notify(s.hub, false)
	return ids, nil
}

func (s *Store) apply(ctx context.Context, step registry.SyncStep) (map[string]int64, error) {
	if err := step.Validate(); err != nil {
		return nil, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, interpretError(err)
	}
	defer tx.Rollback()

	var commit string
	if err := tx.QueryRowContext(ctx, `SELECT commit_sha FROM sync_state WHERE id = 1`).Scan(&commit); err != nil {
		return nil, interpretError(err)
	}
	if commit != step.After {
		return nil, registry.Errorf(registry.ECONFLICT,
			"the store is at commit %q, not %q: another writer got there first", commit, step.After)
	}

	now := time.Now()
	ids, err := storeSchemas(ctx, tx, step, now)
	if err != nil {
		return nil, err
	}
	for _, sha := range step.Orphaned {
		if _, err := tx.ExecContext(ctx, `UPDATE topic_versions SET orphaned = 1 WHERE commit_sha = ?`, sha); err != nil {
			return nil, interpretError(err)
		}
	}
	for _, v := range step.Versions {
		if err := storeVersion(ctx, tx, v, ids, now); err != nil {
			return nil, err
		}
	}
	if err := storeRejections(ctx, tx, step, now); err != nil {
		return nil, err
	}
	st := step.State
	if _, err := tx.ExecContext(ctx, `UPDATE sync_state
		SET source = ?, branch = ?, commit_sha = ?, synced_at = ?, has_tree = (has_tree OR ?)
		WHERE id = 1`, st.Source, st.Branch, st.Commit, micros(st.SyncedAt), step.Tree != nil); err != nil {
		return nil, interpretError(err)
	}
	if step.Tree != nil {
		if err := writeTree(ctx, tx, step); err != nil {
			return nil, err
		}
		for path, f := range step.Compiled {
			if _, err := tx.ExecContext(ctx, `INSERT INTO compiled (path, file_key, descriptor) VALUES (?, ?, ?)
				ON CONFLICT (path) DO UPDATE SET file_key = excluded.file_key, descriptor = excluded.descriptor`,
				path, f.Key, blob(f.Descriptor)); err != nil {
				return nil, interpretError(err)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM compiled WHERE path NOT IN (SELECT path FROM tree)`); err != nil {
			return nil, interpretError(err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, interpretError(err)
	}
	return ids, nil
}

// storeSchemas returns the ID of every schema of the step and of every
// subject of its versions, storing the new contents in step order so that
// their IDs increase in that order.
func storeSchemas(ctx context.Context, tx *sql.Tx, step registry.SyncStep, now time.Time) (map[string]int64, error) {
	ids := map[string]int64{}
	for _, sc := range step.Schemas {
		if _, ok := ids[sc.Hash]; ok {
			continue
		}
		id, err := schemaID(ctx, tx, sc.Hash)
		if err != nil {
			return nil, err
		}
		if id == 0 {
			refs, err := json.Marshal(sc.References)
			if err != nil {
				return nil, fmt.Errorf("encode references: %w", err)
			}
			if err := tx.QueryRowContext(ctx, `INSERT INTO schemas (hash, format, path, text, refs, created_at)
				VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
				sc.Hash, sc.Format, sc.Path, sc.Text, string(refs), micros(now)).Scan(&id); err != nil {
				return nil, interpretError(err)
			}
		}
		ids[sc.Hash] = id
	}
	for _, v := range step.Versions {
		for _, sub := range v.Subjects {
			if _, ok := ids[sub.Hash]; ok {
				continue
			}
			id, err := schemaID(ctx, tx, sub.Hash)
			if err != nil {
				return nil, err
			}
			if id == 0 {
				return nil, registry.Errorf(registry.EINVALID,
					"%s version %d: subject %s names schema %s, which is neither in the step nor stored",
					v.Topic, v.Version, sub.Subject, sub.Hash)
			}
			ids[sub.Hash] = id
		}
	}
	return ids, nil
}

// schemaID returns the ID of the stored content with hash, 0 if none.
func schemaID(ctx context.Context, tx *sql.Tx, hash string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM schemas WHERE hash = ?`, hash).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return id, interpretError(err)
}

func storeVersion(ctx context.Context, tx *sql.Tx, v registry.TopicVersion, ids map[string]int64, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO topic_versions
		(topic, version, fingerprint, key_type, commit_sha, commit_author, commit_email, commit_time, commit_message, orphaned, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		v.Topic, v.Version, v.Fingerprint, v.Key, v.Commit.SHA, v.Commit.Author, v.Commit.Email, micros(v.Commit.Time),
		v.Commit.Message, v.Orphaned, micros(orNow(v.CreatedAt, now)))
	if err = interpretError(err); registry.ErrorCode(err) == registry.ECONFLICT {
		return fmt.Errorf("%w: %w", registry.Errorf(registry.ECONFLICT, "%s version %d is already stored", v.Topic, v.Version), err)
	} else if err != nil {
		return err
	}
	for i, sub := range v.Subjects {
		if _, err := tx.ExecContext(ctx, `INSERT INTO version_subjects (topic, version, ord, subject, subject_version, message, schema_id)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, v.Topic, v.Version, i, sub.Subject, sub.Version, sub.Message, ids[sub.Hash]); err != nil {
			return interpretError(err)
		}
	}
	return nil
}

// storeRejections closes the rejections step.Fixes fix, then adds each of
// step.Rejections to its topic's open rejection, or opens one.
func storeRejections(ctx context.Context, tx *sql.Tx, step registry.SyncStep, now time.Time) error {
	for _, f := range step.Fixes {
		c := f.Commit
		if _, err := tx.ExecContext(ctx, `UPDATE rejections SET closed = 1,
			fixed_sha = ?, fixed_author = ?, fixed_email = ?, fixed_time = ?, fixed_message = ?, closed_at = ?
			WHERE topic = ? AND closed = 0`,
			c.SHA, c.Author, c.Email, micros(c.Time), c.Message, micros(orNow(f.At, now)), f.Topic); err != nil {
			return interpretError(err)
		}
	}
	for _, r := range step.Rejections {
		findings, err := json.Marshal(r.Findings)
		if err != nil {
			return fmt.Errorf("encode findings: %w", err)
		}
		c, seen := r.Commit, micros(orNow(r.CreatedAt, now))
		if _, err := tx.ExecContext(ctx, `INSERT INTO rejections
			(topic, commit_sha, commit_author, commit_email, commit_time, commit_message,
			 latest_sha, latest_author, latest_email, latest_time, latest_message, commits, findings, created_at, updated_at)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8, ?8)
			ON CONFLICT (topic) WHERE closed = 0 DO UPDATE SET
				latest_sha = excluded.latest_sha, latest_author = excluded.latest_author,
				latest_email = excluded.latest_email, latest_time = excluded.latest_time,
				latest_message = excluded.latest_message, findings = excluded.findings,
				updated_at = excluded.updated_at, commits = commits + 1`,
			r.Topic, c.SHA, c.Author, c.Email, micros(c.Time), c.Message, string(findings), seen); err != nil {
			return interpretError(err)
		}
	}
	return nil
}

// orNow returns t, or now when t is zero: the store dates what the caller
// did not.
func orNow(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return t
}

// blob returns b as SQLite should store it: an empty blob, never NULL.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// writeTree replaces the stored tree with step.Tree: only the paths
// step.TreeChanged names when it says, every row otherwise.
func writeTree(ctx context.Context, tx *sql.Tx, step registry.SyncStep) error {
	paths := step.TreeChanged
	if paths == nil {
		if _, err := tx.ExecContext(ctx, `DELETE FROM tree`); err != nil {
			return interpretError(err)
		}
		for path := range step.Tree {
			paths = append(paths, path)
		}
	}
	for _, path := range paths {
		content, ok := step.Tree[path]
		var err error
		if ok {
			_, err = tx.ExecContext(ctx, `INSERT INTO tree (path, content) VALUES (?, ?)
				ON CONFLICT (path) DO UPDATE SET content = excluded.content`, path, blob(content))
		} else {
			_, err = tx.ExecContext(ctx, `DELETE FROM tree WHERE path = ?`, path)
		}
		if err != nil {
			return interpretError(err)
		}
	}
	return nil
}
