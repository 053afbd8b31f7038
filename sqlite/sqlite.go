// Package sqlite is the embedded default registry.Store: one SQLite file,
// pure Go (modernc.org/sqlite, no cgo), nothing to run beside the registry.
//
// The file is in WAL mode: a single writer connection serializes every
// write (Apply, migrations) while a small pool of read-only connections
// serves reads beside it. Commits are synced to disk before Apply returns
// (synchronous=FULL), because an ID handed out and then lost to a power cut
// could be handed out again for other content.
//
// SQLite is single-replica: one process owns the file. Its Leaser elects
// among the stores of that process only (see TryLead).
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	registry "github.com/backbone-registry/backbone"
	migrate "github.com/backbone-registry/backbone/internal/migrations"
)

//go:embed migrations/*.sql
var migrations embed.FS

// busyTimeout is how long a statement waits for a lock held by another
// connection (another process, or a second Store on the same file).
const busyTimeout = 10 * time.Second

// readers is the size of the read pool.
const readers = 4

// Store is a registry.Store and registry.Leaser over one SQLite file.
type Store struct {
	path string
	db   *sql.DB // the one writer connection; every transaction is BEGIN IMMEDIATE
	read *sql.DB // read-only connections
	log  *slog.Logger
	hub  *hub
	// closed is set by Close, contender by TryLead, under hubsMu.
	closed, contender bool

	closeOnce sync.Once
	closeErr  error
}

var (
	_ registry.Store  = (*Store)(nil)
	_ registry.Leaser = (*Store)(nil)
)

// Open opens the store in the SQLite file at path, creating the file and
// its directory if needed, and applies the migrations it lacks.
func Open(ctx context.Context, path string, log *slog.Logger) (*Store, error) {
	return openUpTo(ctx, path, log, 0)
}

// openUpTo is Open applying the migrations up to version upTo only (all of
// them if 0): tests build the databases older releases left with it.
func openUpTo(ctx context.Context, path string, log *slog.Logger, upTo int) (*Store, error) {
	path, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s := &Store{path: path, log: log, hub: attach(path)}
	// Opens of one file take turns: switching a new file to WAL mode while
	// another connection opens it can fail with SQLITE_BUSY at once.
	s.hub.openMu.Lock()
	err = s.open(ctx, upTo)
	s.hub.openMu.Unlock()
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("open %s: %w", path, interpretError(err))
	}
	return s, nil
}

func (s *Store) open(ctx context.Context, upTo int) error {
	file := "file:" + (&url.URL{Path: filepath.ToSlash(s.path)}).EscapedPath()
	pragmas := "_pragma=busy_timeout(" + strconv.FormatInt(busyTimeout.Milliseconds(), 10) + ")" +
		"&_pragma=foreign_keys(1)"

	var err error
	s.db, err = sql.Open("sqlite", file+"?"+pragmas+
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
	if err != nil {
		return err
	}
	s.db.SetMaxOpenConns(1)
	if err := s.migrate(ctx, upTo); err != nil {
		return err
	}

	s.read, err = sql.Open("sqlite", file+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		return err
	}
	s.read.SetMaxOpenConns(readers)
	s.read.SetMaxIdleConns(readers)
	return s.read.PingContext(ctx)
}

// Close releases the lease, ends the store's Changes channels and closes the
// database. Calling it again does nothing.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		detach(s)
		s.closeErr = s.closeDBs()
	})
	return s.closeErr
}

func (s *Store) closeDBs() error {
	var errs []error
	for _, db := range []*sql.DB{s.read, s.db} {
		if db != nil {
			errs = append(errs, db.Close())
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close %s: %w", s.path, err)
	}
	return nil
}

// Migrate applies the embedded migrations the database lacks, in order, in
// one transaction. Open calls it; `registry migrate` may too. The writer's
// BEGIN IMMEDIATE keeps two processes from migrating at once.
func (s *Store) Migrate(ctx context.Context) error {
	return s.migrate(ctx, 0)
}

// migrate applies the migrations up to version upTo (all if 0).
func (s *Store) migrate(ctx context.Context, upTo int) error {
	ms, err := migrate.Load(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if upTo > 0 {
		ms = slices.DeleteFunc(ms, func(m migrate.Migration) bool { return m.Version > upTo })
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", interpretError(err))
	}
	defer tx.Rollback()

	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL
	) STRICT`); err != nil {
		return fmt.Errorf("migrate: %w", interpretError(err))
	}
	applied := map[int]bool{}
	rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("migrate: %w", interpretError(err))
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("migrate: %w", interpretError(err))
		}
		applied[v] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("migrate: %w", interpretError(err))
	}

	var done []string
	for _, m := range ms {
		if applied[m.Version] {
			delete(applied, m.Version)
			continue
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("migrate %s: %w", m.Name, interpretError(err))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.Version, m.Name, time.Now().UnixMicro()); err != nil {
			return fmt.Errorf("migrate %s: %w", m.Name, interpretError(err))
		}
		done = append(done, m.Name)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: %w", interpretError(err))
	}
	if len(done) > 0 {
		s.log.Info("migrated database", "path", s.path, "migrations", done)
	}
	if len(applied) > 0 {
		// A newer binary migrated this file; this one may lack what it needs.
		s.log.Warn("database has migrations this binary does not know", "path", s.path, "count", len(applied))
	}
	return nil
}

// interpretError translates SQLite errors into domain errors at the
// boundary, keeping the cause in the chain for logs: a unique or primary key
// violation is ECONFLICT, a locked, full or failing disk EUNAVAILABLE.
// Anything else stays as it is, which registry.ErrorCode reports as
// EINTERNAL.
func interpretError(err error) error {
	var se *sqlite.Error
	var domainErr *registry.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &domainErr):
		return err // already translated
	case errors.Is(err, sql.ErrNoRows):
		return coded(registry.ENOTFOUND, "not found", err)
	case errors.Is(err, sql.ErrConnDone):
		return coded(registry.EUNAVAILABLE, "database closed", err)
	case errors.As(err, &se):
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			return coded(registry.ECONFLICT, "already stored", err)
		}
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN:
			return coded(registry.EUNAVAILABLE, "database unavailable", err)
		}
	}
	return err
}

// coded wraps err under a domain error with code and message: callers see
// the code and message, logs the cause.
func coded(code, message string, err error) error {
	return fmt.Errorf("%w: %w", registry.Errorf(code, "%s", message), err)
}

// micros and fromMicros store times as Unix microseconds and read them back
// in UTC, the precision PostgreSQL keeps too.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }
