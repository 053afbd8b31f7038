package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	registry "github.com/backbone-registry/backbone"
)

// State returns how far the sync got; the zero SyncState before the first.
func (s *Store) State(ctx context.Context) (registry.SyncState, error) {
	var st registry.SyncState
	var syncedAt int64
	err := s.read.QueryRowContext(ctx, `SELECT source, branch, commit_sha, synced_at FROM sync_state WHERE id = 1`).
		Scan(&st.Source, &st.Branch, &st.Commit, &syncedAt)
	if err != nil {
		return registry.SyncState{}, fmt.Errorf("read sync state: %w", interpretError(err))
	}
	st.SyncedAt = fromMicros(syncedAt)
	return st, nil
}

// Tree returns the repository files at the served commit. It returns
// ENOTFOUND until a step has stored a tree.
func (s *Store) Tree(ctx context.Context) (map[string][]byte, error) {
	tree, err := s.tree(ctx)
	if err != nil {
		return nil, fmt.Errorf("read tree: %w", err)
	}
	return tree, nil
}

func (s *Store) tree(ctx context.Context) (map[string][]byte, error) {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, interpretError(err)
	}
	defer tx.Rollback()
	var hasTree bool
	if err := tx.QueryRowContext(ctx, `SELECT has_tree FROM sync_state WHERE id = 1`).Scan(&hasTree); err != nil {
		return nil, interpretError(err)
	}
	if !hasTree {
		return nil, registry.Errorf(registry.ENOTFOUND, "no tree stored yet")
	}
	rows, err := tx.QueryContext(ctx, `SELECT path, content FROM tree`)
	if err != nil {
		return nil, interpretError(err)
	}
	defer rows.Close()
	tree := map[string][]byte{}
	for rows.Next() {
		var path string
		var content []byte
		if err := rows.Scan(&path, &content); err != nil {
			return nil, interpretError(err)
		}
		tree[path] = blob(content)
	}
	return tree, interpretError(rows.Err())
}

// Compiled returns the compiled files stored with the served tree.
func (s *Store) Compiled(ctx context.Context) (map[string]registry.CompiledFile, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT path, file_key, descriptor FROM compiled`)
	if err != nil {
		return nil, fmt.Errorf("read compiled files: %w", interpretError(err))
	}
	defer rows.Close()
	out := map[string]registry.CompiledFile{}
	for rows.Next() {
		var path string
		var f registry.CompiledFile
		if err := rows.Scan(&path, &f.Key, &f.Descriptor); err != nil {
			return nil, fmt.Errorf("read compiled files: %w", interpretError(err))
		}
		f.Descriptor = blob(f.Descriptor)
		out[path] = f
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read compiled files: %w", interpretError(err))
	}
	return out, nil
}

const schemaColumns = `id, hash, format, path, text, refs, created_at`

// Schema returns the schema with a global ID; ENOTFOUND if none.
func (s *Store) Schema(ctx context.Context, id int64) (*registry.Schema, error) {
	sc, err := scanSchema(s.read.QueryRowContext(ctx, `SELECT `+schemaColumns+` FROM schemas WHERE id = ?`, id))
	if err == sql.ErrNoRows {
		return nil, registry.Errorf(registry.ENOTFOUND, "no schema with ID %d", id)
	} else if err != nil {
		return nil, fmt.Errorf("read schema %d: %w", id, interpretError(err))
	}
	return &sc, nil
}

// Schemas returns every stored schema, by ascending ID.
func (s *Store) Schemas(ctx context.Context) ([]registry.Schema, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+schemaColumns+` FROM schemas ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read schemas: %w", interpretError(err))
	}
	defer rows.Close()
	var out []registry.Schema
	for rows.Next() {
		sc, err := scanSchema(rows)
		if err != nil {
			return nil, fmt.Errorf("read schemas: %w", interpretError(err))
		}
		out = append(out, sc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schemas: %w", interpretError(err))
	}
	return out, nil
}

func scanSchema(row interface{ Scan(...any) error }) (registry.Schema, error) {
	var sc registry.Schema
	var refs string
	var created int64
	if err := row.Scan(&sc.ID, &sc.Hash, &sc.Format, &sc.Path, &sc.Text, &refs, &created); err != nil {
		return sc, err
	}
	sc.CreatedAt = fromMicros(created)
	if err := json.Unmarshal([]byte(refs), &sc.References); err != nil {
		return sc, fmt.Errorf("decode references of schema %d: %w", sc.ID, err)
	}
	return sc, nil
}

// Versions returns every topic version, by topic then version, with each
// subject's schema ID. Topics sort by bytes, as Go compares strings.
func (s *Store) Versions(ctx context.Context) ([]registry.TopicVersion, error) {
	// Two reads in one transaction, merged here: joined, every subject row
	// would repeat its version's commit (a restart reads ~66,000 of them).
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("read versions: %w", interpretError(err))
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `
		SELECT topic, version, fingerprint, key_type, commit_sha, commit_author, commit_email,
		       commit_time, commit_message, orphaned, created_at
		FROM topic_versions ORDER BY topic, version`)
	if err != nil {
		return nil, fmt.Errorf("read versions: %w", interpretError(err))
	}
	var out []registry.TopicVersion
	for rows.Next() {
		var v registry.TopicVersion
		var commitTime, created int64
		if err := rows.Scan(&v.Topic, &v.Version, &v.Fingerprint, &v.Key, &v.Commit.SHA, &v.Commit.Author, &v.Commit.Email,
			&commitTime, &v.Commit.Message, &v.Orphaned, &created); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read versions: %w", interpretError(err))
		}
		v.Commit.Time, v.CreatedAt = fromMicros(commitTime), fromMicros(created)
		out = append(out, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read versions: %w", interpretError(err))
	}
	rows, err = tx.QueryContext(ctx, `
		SELECT vs.topic, vs.version, vs.subject, vs.subject_version, vs.message, vs.schema_id, sc.hash
		FROM version_subjects vs JOIN schemas sc ON sc.id = vs.schema_id
		ORDER BY vs.topic, vs.version, vs.ord`)
	if err != nil {
		return nil, fmt.Errorf("read version subjects: %w", interpretError(err))
	}
	defer rows.Close()
	i := 0
	for rows.Next() {
		var topic string
		var version int
		var sub registry.SubjectSchema
		if err := rows.Scan(&topic, &version, &sub.Subject, &sub.Version, &sub.Message, &sub.SchemaID, &sub.Hash); err != nil {
			return nil, fmt.Errorf("read version subjects: %w", interpretError(err))
		}
		// Both reads are in (topic, version) order: walk the versions along.
		for i < len(out) && (out[i].Topic < topic || out[i].Topic == topic && out[i].Version < version) {
			i++
		}
		if i == len(out) || out[i].Topic != topic || out[i].Version != version {
			return nil, registry.Errorf(registry.EINTERNAL, "read version subjects: %s version %d has subjects but no version row", topic, version)
		}
		out[i].Subjects = append(out[i].Subjects, sub)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read version subjects: %w", interpretError(err))
	}
	return out, nil
}

// Rejections returns every open rejection, most recently opened first,
// then at most limit closed ones (every one if limit is not positive),
// most recently closed first.
func (s *Store) Rejections(ctx context.Context, limit int) ([]registry.Rejection, error) {
	if limit <= 0 {
		limit = -1 // SQLite's "no limit"
	}
	open, err := s.rejections(ctx, `WHERE closed = 0 ORDER BY id DESC`)
	if err != nil {
		return nil, err
	}
	closed, err := s.rejections(ctx, `WHERE closed = 1 ORDER BY closed_at DESC, id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	return append(open, closed...), nil
}

func (s *Store) rejections(ctx context.Context, where string, args ...any) ([]registry.Rejection, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT id, topic, commit_sha, commit_author, commit_email, commit_time, commit_message,
			latest_sha, latest_author, latest_email, latest_time, latest_message, commits, findings,
			closed, fixed_sha, fixed_author, fixed_email, fixed_time, fixed_message,
			created_at, updated_at, closed_at
		FROM rejections `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("read rejections: %w", interpretError(err))
	}
	defer rows.Close()
	var out []registry.Rejection
	for rows.Next() {
		var r registry.Rejection
		var commitTime, latestTime, created, updated int64
		var closed bool
		var fixedSHA, fixedAuthor, fixedEmail, fixedMessage sql.NullString
		var fixedTime, closedAt sql.NullInt64
		var findings string
		if err := rows.Scan(&r.ID, &r.Topic, &r.Commit.SHA, &r.Commit.Author, &r.Commit.Email, &commitTime, &r.Commit.Message,
			&r.Latest.SHA, &r.Latest.Author, &r.Latest.Email, &latestTime, &r.Latest.Message, &r.Commits, &findings,
			&closed, &fixedSHA, &fixedAuthor, &fixedEmail, &fixedTime, &fixedMessage,
			&created, &updated, &closedAt); err != nil {
			return nil, fmt.Errorf("read rejections: %w", interpretError(err))
		}
		r.Commit.Time, r.Latest.Time = fromMicros(commitTime), fromMicros(latestTime)
		r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
		r.Open = !closed
		if closedAt.Valid {
			r.ClosedAt = fromMicros(closedAt.Int64)
		}
		if fixedSHA.Valid {
			r.FixedBy = &registry.Commit{SHA: fixedSHA.String, Author: fixedAuthor.String, Email: fixedEmail.String,
				Time: fromMicros(fixedTime.Int64), Message: fixedMessage.String}
		}
		if err := json.Unmarshal([]byte(findings), &r.Findings); err != nil {
			return nil, fmt.Errorf("decode findings of rejection %d: %w", r.ID, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read rejections: %w", interpretError(err))
	}
	return out, nil
}
