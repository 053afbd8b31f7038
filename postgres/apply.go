package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	registry "github.com/backbone-registry/backbone"
)

// Apply writes one sync step in one transaction. It first locks the
// sync_state row, so that a concurrent Apply waits for this one to end, then
// finds the new commit and returns ECONFLICT. It returns EINVALID for a
// malformed step or a version naming a schema that neither the step nor the
// store holds, and ECONFLICT for a version already stored; either way
// nothing is stored. Listeners hear of the step when it commits.
//
// A store that has called TryLead is fenced: it writes only while it holds
// the lease, and it writes on the lease connection itself, the session that
// holds the advisory lock. The lock cannot be released while that session
// lives, and a transaction cannot commit once it is gone, so a replica whose
// lease was lost (its connection terminated or cut) writes nothing more: Apply
// returns ECONFLICT "lost the sync lease". A store that never called
// TryLead (a single writer, a tool) writes on its pool.
func (s *Store) Apply(ctx context.Context, step registry.SyncStep) (map[string]int64, error) {
	if err := step.Validate(); err != nil {
		return nil, fmt.Errorf("apply step %s: %w", step.State.Commit, err)
	}
	var ids map[string]int64
	write := func(tx pgx.Tx) error {
		var err error
		ids, err = s.apply(ctx, tx, step)
		return err
	}
	s.leaseMu.Lock()
	if !s.contender {
		s.leaseMu.Unlock()
		if err := pgx.BeginFunc(ctx, s.pool, write); err != nil {
			return nil, fmt.Errorf("apply step %s: %w", step.State.Commit, interpretError(err))
		}
		return ids, nil
	}
	defer s.leaseMu.Unlock()
	if s.held == nil {
		return nil, fmt.Errorf("apply step %s: %w", step.State.Commit,
			registry.Errorf(registry.ECONFLICT, "this replica does not hold the sync lease"))
	}
	err := pgx.BeginFunc(ctx, s.lease, write)
	if err != nil && s.lease.IsClosed() {
		// The session that held the lock is gone, and the lock with it:
		// another replica may lead already.
		if ctx.Err() == nil {
			s.log.Warn("lost the sync lease: its connection failed", "schema", s.schema, "err", err)
		}
		s.dropLease()
		return nil, fmt.Errorf("apply step %s: %w", step.State.Commit, coded(registry.ECONFLICT, "lost the sync lease", err))
	}
	if err != nil {
		return nil, fmt.Errorf("apply step %s: %w", step.State.Commit, interpretError(err))
	}
	return ids, nil
}

func (s *Store) apply(ctx context.Context, tx pgx.Tx, step registry.SyncStep) (map[string]int64, error) {
	var commit string
	if err := tx.QueryRow(ctx, `SELECT commit_sha FROM sync_state WHERE id = 1 FOR UPDATE`).Scan(&commit); err != nil {
		return nil, err
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

	var b batch
	if len(step.Orphaned) > 0 {
		b.queue("", `UPDATE topic_versions SET orphaned = true WHERE commit_sha = ANY($1)`, step.Orphaned)
	}
	for _, v := range step.Versions {
		c := v.Commit
		b.queue(fmt.Sprintf("%s version %d is already stored", v.Topic, v.Version), `INSERT INTO topic_versions
			(topic, version, fingerprint, key_type, commit_sha, commit_author, commit_email, commit_time, commit_message, orphaned, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			v.Topic, v.Version, v.Fingerprint, v.Key, c.SHA, c.Author, c.Email, c.Time, c.Message, v.Orphaned, orNow(v.CreatedAt, now))
		for i, sub := range v.Subjects {
			b.queue("", `INSERT INTO version_subjects (topic, version, ord, subject, subject_version, message, schema_id) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				v.Topic, v.Version, i, sub.Subject, sub.Version, sub.Message, ids[sub.Hash])
		}
	}
	for _, f := range step.Fixes {
		c := f.Commit
		b.queue("", `UPDATE rejections SET closed = true,
			fixed_sha = $1, fixed_author = $2, fixed_email = $3, fixed_time = $4, fixed_message = $5, closed_at = $6
			WHERE topic = $7 AND NOT closed`,
			c.SHA, c.Author, c.Email, c.Time, c.Message, orNow(f.At, now), f.Topic)
	}
	for _, r := range step.Rejections {
		findings, err := json.Marshal(r.Findings)
		if err != nil {
			return nil, fmt.Errorf("encode findings: %w", err)
		}
		c := r.Commit
		b.queue("", `INSERT INTO rejections AS r
			(topic, commit_sha, commit_author, commit_email, commit_time, commit_message,
			 latest_sha, latest_author, latest_email, latest_time, latest_message, commits, findings, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $2, $3, $4, $5, $6, 1, $7, $8, $8)
			ON CONFLICT (topic) WHERE NOT closed DO UPDATE SET
				latest_sha = excluded.latest_sha, latest_author = excluded.latest_author,
				latest_email = excluded.latest_email, latest_time = excluded.latest_time,
				latest_message = excluded.latest_message, findings = excluded.findings,
				updated_at = excluded.updated_at, commits = r.commits + 1`,
			r.Topic, c.SHA, c.Author, c.Email, c.Time, c.Message, string(findings), orNow(r.CreatedAt, now))
	}
	st := step.State
	b.queue("", `UPDATE sync_state
		SET source = $1, branch = $2, commit_sha = $3, synced_at = $4, has_tree = has_tree OR $5
		WHERE id = 1`, st.Source, st.Branch, st.Commit, st.SyncedAt, step.Tree != nil)
	if step.Tree != nil && step.TreeChanged == nil {
		b.queue("", `DELETE FROM tree`) // and copied whole below
	}
	for _, path := range step.TreeChanged {
		if content, ok := step.Tree[path]; ok {
			b.queue("", `INSERT INTO tree (path, content) VALUES ($1, $2)
				ON CONFLICT (path) DO UPDATE SET content = excluded.content`, path, blob(content))
		} else {
			b.queue("", `DELETE FROM tree WHERE path = $1`, path)
		}
	}
	// Delivered when the transaction commits, and only then.
	b.queue("", `SELECT pg_notify($1, $2)`, channel, s.schema)
	if err := b.run(ctx, tx); err != nil {
		return nil, err
	}

	if len(step.Tree) > 0 && step.TreeChanged == nil {
		rows := make([][]any, 0, len(step.Tree))
		for path, content := range step.Tree {
			rows = append(rows, []any{path, blob(content)})
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"tree"}, []string{"path", "content"}, pgx.CopyFromRows(rows)); err != nil {
			return nil, err
		}
	}
	if step.Tree != nil {
		cb := &batch{}
		for path, f := range step.Compiled {
			cb.queue("", `INSERT INTO compiled (path, file_key, descriptor) VALUES ($1, $2, $3)
				ON CONFLICT (path) DO UPDATE SET file_key = excluded.file_key, descriptor = excluded.descriptor`,
				path, f.Key, blob(f.Descriptor))
		}
		cb.queue("", `DELETE FROM compiled WHERE path NOT IN (SELECT path FROM tree)`)
		if err := cb.run(ctx, tx); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// storeSchemas returns the ID of every schema of the step and of every
// subject of its versions. New contents are inserted in step order, so their
// IDs increase in that order; the sync_state lock keeps other writers out,
// and ON CONFLICT DO NOTHING keeps a content's first ID whatever happens.
func storeSchemas(ctx context.Context, tx pgx.Tx, step registry.SyncStep, now time.Time) (map[string]int64, error) {
	var hashes []string
	seen := map[string]bool{}
	add := func(h string) {
		if !seen[h] {
			seen[h] = true
			hashes = append(hashes, h)
		}
	}
	for _, sc := range step.Schemas {
		add(sc.Hash)
	}
	for _, v := range step.Versions {
		for _, sub := range v.Subjects {
			add(sub.Hash)
		}
	}
	ids, err := schemaIDs(ctx, tx, hashes)
	if err != nil {
		return nil, err
	}

	var b batch
	var added []string
	for _, sc := range step.Schemas {
		if _, ok := ids[sc.Hash]; ok {
			continue
		}
		ids[sc.Hash] = 0 // queued
		refs, err := json.Marshal(sc.References)
		if err != nil {
			return nil, fmt.Errorf("encode references: %w", err)
		}
		b.queue("", `INSERT INTO schemas (hash, format, path, text, refs, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (hash) DO NOTHING`,
			sc.Hash, sc.Format, sc.Path, sc.Text, string(refs), now)
		added = append(added, sc.Hash)
	}
	if len(added) > 0 {
		if err := b.run(ctx, tx); err != nil {
			return nil, err
		}
		newIDs, err := schemaIDs(ctx, tx, added)
		if err != nil {
			return nil, err
		}
		for _, h := range added {
			if ids[h] = newIDs[h]; ids[h] == 0 {
				return nil, fmt.Errorf("schema %s vanished after its insert", h)
			}
		}
	}

	for _, v := range step.Versions {
		for _, sub := range v.Subjects {
			if ids[sub.Hash] == 0 {
				return nil, registry.Errorf(registry.EINVALID,
					"%s version %d: subject %s names schema %s, which is neither in the step nor stored",
					v.Topic, v.Version, sub.Subject, sub.Hash)
			}
		}
	}
	return ids, nil
}

// schemaIDs returns the IDs of the stored contents among hashes.
func schemaIDs(ctx context.Context, tx pgx.Tx, hashes []string) (map[string]int64, error) {
	ids := make(map[string]int64, len(hashes))
	rows, _ := tx.Query(ctx, `SELECT hash, id FROM schemas WHERE hash = ANY($1)`, hashes)
	var hash string
	var id int64
	_, err := pgx.ForEachRow(rows, []any{&hash, &id}, func() error {
		ids[hash] = id
		return nil
	})
	return ids, err
}

// batch is a pgx.Batch that knows, for each statement, the conflict message
// to report if it violates a unique constraint.
type batch struct {
	b         pgx.Batch
	conflicts []string
}

func (b *batch) queue(conflict, sql string, args ...any) {
	b.b.Queue(sql, args...)
	b.conflicts = append(b.conflicts, conflict)
}

// run sends the batch in one round trip and reads every result in order.
func (b *batch) run(ctx context.Context, tx pgx.Tx) error {
	br := tx.SendBatch(ctx, &b.b)
	defer br.Close()
	for _, conflict := range b.conflicts {
		if _, err := br.Exec(); err != nil {
			if err := interpretError(err); conflict != "" && registry.ErrorCode(err) == registry.ECONFLICT {
				return fmt.Errorf("%w: %w", registry.Errorf(registry.ECONFLICT, "%s", conflict), err)
			}
			return err
		}
	}
	return br.Close()
}

// orNow returns t, or now when t is zero: the store dates what the caller
// did not.
func orNow(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return t
}

// blob returns b as bytea should hold it: empty, never NULL.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
