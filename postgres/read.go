package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	registry "github.com/backbone-registry/backbone"
)

// State returns how far the sync got; the zero SyncState before the first.
func (s *Store) State(ctx context.Context) (registry.SyncState, error) {
	var st registry.SyncState
	err := s.pool.QueryRow(ctx, `SELECT source, branch, commit_sha, synced_at FROM sync_state WHERE id = 1`).
		Scan(&st.Source, &st.Branch, &st.Commit, &st.SyncedAt)
	if err != nil {
		return registry.SyncState{}, fmt.Errorf("read sync state: %w", interpretError(err))
	}
	st.SyncedAt = utc(st.SyncedAt)
	return st, nil
}

// Tree returns the repository files at the served commit. It returns
// ENOTFOUND until a step has stored a tree.
func (s *Store) Tree(ctx context.Context) (map[string][]byte, error) {
	var tree map[string][]byte
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		var hasTree bool
		if err := tx.QueryRow(ctx, `SELECT has_tree FROM sync_state WHERE id = 1`).Scan(&hasTree); err != nil {
			return err
		}
		if !hasTree {
			return registry.Errorf(registry.ENOTFOUND, "no tree stored yet")
		}
		tree = map[string][]byte{}
		rows, _ := tx.Query(ctx, `SELECT path, content FROM tree`)
		var path string
		var content []byte
		_, err := pgx.ForEachRow(rows, []any{&path, &content}, func() error {
			tree[path] = blob(content)
			content = nil // the next row gets a slice of its own
			return nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read tree: %w", interpretError(err))
	}
	return tree, nil
}

// Compiled returns the compiled files stored with the served tree.
func (s *Store) Compiled(ctx context.Context) (map[string]registry.CompiledFile, error) {
	out := map[string]registry.CompiledFile{}
	rows, _ := s.pool.Query(ctx, `SELECT path, file_key, descriptor FROM compiled`)
	var path, key string
	var desc []byte
	_, err := pgx.ForEachRow(rows, []any{&path, &key, &desc}, func() error {
		out[path] = registry.CompiledFile{Key: key, Descriptor: blob(desc)}
		desc = nil // the next row gets a slice of its own
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read compiled files: %w", interpretError(err))
	}
	return out, nil
}

const schemaColumns = `id, hash, format, path, text, refs, created_at`

// Schema returns the schema with a global ID; ENOTFOUND if none.
func (s *Store) Schema(ctx context.Context, id int64) (*registry.Schema, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+schemaColumns+` FROM schemas WHERE id = $1`, id)
	sc, err := pgx.CollectExactlyOneRow(rows, scanSchema)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, registry.Errorf(registry.ENOTFOUND, "no schema with ID %d", id)
	} else if err != nil {
		return nil, fmt.Errorf("read schema %d: %w", id, interpretError(err))
	}
	return &sc, nil
}

// Schemas returns every stored schema, by ascending ID.
func (s *Store) Schemas(ctx context.Context) ([]registry.Schema, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+schemaColumns+` FROM schemas ORDER BY id`)
	out, err := pgx.CollectRows(rows, scanSchema)
	if err != nil {
		return nil, fmt.Errorf("read schemas: %w", interpretError(err))
	}
	return out, nil
}

func scanSchema(row pgx.CollectableRow) (registry.Schema, error) {
	var sc registry.Schema
	err := row.Scan(&sc.ID, &sc.Hash, &sc.Format, &sc.Path, &sc.Text, &sc.References, &sc.CreatedAt)
	sc.CreatedAt = utc(sc.CreatedAt)
	return sc, err
}

// Versions returns every topic version, by topic then version, with each
// subject's schema ID. Topics sort by bytes (COLLATE "C"), as Go compares
// strings.
func (s *Store) Versions(ctx context.Context) ([]registry.TopicVersion, error) {
	rows, _ := s.pool.Query(ctx, `
		SELECT v.topic, v.version, v.fingerprint, v.key_type, v.commit_sha, v.commit_author, v.commit_email,
		       v.commit_time, v.commit_message, v.orphaned, v.created_at, vs.subject, vs.subject_version, vs.message, vs.schema_id, sc.hash
		FROM topic_versions v
		LEFT JOIN version_subjects vs ON vs.topic = v.topic AND vs.version = v.version
		LEFT JOIN schemas sc ON sc.id = vs.schema_id
		ORDER BY v.topic, v.version, vs.ord`)
	var out []registry.TopicVersion
	var v registry.TopicVersion
	var subject, message, hash *string
	var schemaID *int64
	var subjectVersion *int
	_, err := pgx.ForEachRow(rows, []any{&v.Topic, &v.Version, &v.Fingerprint, &v.Key, &v.Commit.SHA, &v.Commit.Author,
		&v.Commit.Email, &v.Commit.Time, &v.Commit.Message, &v.Orphaned, &v.CreatedAt, &subject, &subjectVersion, &message, &schemaID, &hash,
	}, func() error {
		if n := len(out); n == 0 || out[n-1].Topic != v.Topic || out[n-1].Version != v.Version {
			v.Commit.Time, v.CreatedAt = utc(v.Commit.Time), utc(v.CreatedAt)
			out = append(out, v)
		}
		if subject != nil {
			last := &out[len(out)-1]
			last.Subjects = append(last.Subjects, registry.SubjectSchema{Subject: *subject, Version: *subjectVersion, Message: *message, Hash: *hash, SchemaID: *schemaID})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read versions: %w", interpretError(err))
	}
	return out, nil
}

// Rejections returns every open rejection, most recently opened first,
// then at most limit closed ones (every one if limit is not positive),
// most recently closed first.
func (s *Store) Rejections(ctx context.Context, limit int) ([]registry.Rejection, error) {
	var max *int // NULL: no limit
	if limit > 0 {
		max = &limit
	}
	rows, _ := s.pool.Query(ctx, `
		(SELECT id, topic, commit_sha, commit_author, commit_email, commit_time, commit_message,
			latest_sha, latest_author, latest_email, latest_time, latest_message, commits, findings,
			closed, fixed_sha, fixed_author, fixed_email, fixed_time, fixed_message,
			created_at, updated_at, closed_at
		FROM rejections WHERE NOT closed ORDER BY id DESC)
		UNION ALL
		(SELECT id, topic, commit_sha, commit_author, commit_email, commit_time, commit_message,
			latest_sha, latest_author, latest_email, latest_time, latest_message, commits, findings,
			closed, fixed_sha, fixed_author, fixed_email, fixed_time, fixed_message,
			created_at, updated_at, closed_at
		FROM rejections WHERE closed ORDER BY closed_at DESC, id DESC LIMIT $1)
		ORDER BY closed, closed_at DESC NULLS FIRST, id DESC`, max)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (registry.Rejection, error) {
		var r registry.Rejection
		var commitTime, latestTime, created, updated time.Time
		var closed bool
		var fixedSHA, fixedAuthor, fixedEmail, fixedMessage *string
		var fixedTime, closedAt *time.Time
		err := row.Scan(&r.ID, &r.Topic, &r.Commit.SHA, &r.Commit.Author, &r.Commit.Email, &commitTime, &r.Commit.Message,
			&r.Latest.SHA, &r.Latest.Author, &r.Latest.Email, &latestTime, &r.Latest.Message, &r.Commits, &r.Findings,
			&closed, &fixedSHA, &fixedAuthor, &fixedEmail, &fixedTime, &fixedMessage,
			&created, &updated, &closedAt)
		r.Commit.Time, r.Latest.Time = utc(commitTime), utc(latestTime)
		r.CreatedAt, r.UpdatedAt = utc(created), utc(updated)
		r.Open = !closed
		if closedAt != nil {
			r.ClosedAt = utc(*closedAt)
		}
		if fixedSHA != nil {
			r.FixedBy = &registry.Commit{SHA: *fixedSHA, Author: deref(fixedAuthor), Email: deref(fixedEmail),
				Message: deref(fixedMessage)}
			if fixedTime != nil {
				r.FixedBy.Time = utc(*fixedTime)
			}
		}
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("read rejections: %w", interpretError(err))
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
