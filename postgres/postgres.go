// Package postgres is the registry.Store for several replicas sharing one
// PostgreSQL database, over pgx v5.
//
// Everything lives in the first schema of the connection's search_path
// (current_schema()), so several registries may share a database, one
// schema each; the lease, the migration lock and the change notifications
// are scoped to that schema too.
//
//   - Migrations are embedded and applied at Open, in one transaction under
//     pg_advisory_xact_lock, so replicas starting at once don't race.
//   - Apply is one transaction that first locks the sync_state row (SELECT …
//     FOR UPDATE): writers queue there, and one whose step does not follow
//     the stored commit gets ECONFLICT. A replica that leases writes on its
//     lease connection, so it writes nothing once its lease is gone. Schema IDs come from an identity
//     sequence, which never goes back: a failed transaction leaves a gap,
//     never a reused ID.
//   - The sync lease is the session-level advisory lock
//     hashtextextended('backbone/lease/<schema>', 0), held on a connection
//     of its own. If that connection dies, the server drops the lock and
//     another replica takes it: that is how failover works. pg_locks shows
//     which backend holds it.
//   - Each Apply sends NOTIFY backbone_sync with the schema as payload at
//     commit; Changes listens on a connection of its own. RequestSync (a
//     follower forwarding a webhook) sends NOTIFY backbone_sync_request,
//     which SyncRequests listens to the same way.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	registry "github.com/backbone-registry/backbone"
	migrate "github.com/backbone-registry/backbone/internal/migrations"
)

//go:embed migrations/*.sql
var migrations embed.FS

// channel is the notification channel of every Apply; the payload names
// the schema, so stores of other schemas ignore it.
const channel = "backbone_sync"

// requestChannel carries RequestSync's notifications, the schema as payload.
const requestChannel = "backbone_sync_request"

// Store is a registry.Store and registry.Leaser over one PostgreSQL schema.
type Store struct {
	pool   *pgxpool.Pool
	config *pgx.ConnConfig // for the lease and listen connections, which are not pooled
	schema string          // current_schema()
	log    *slog.Logger

	leaseMu      sync.Mutex
	contender    bool          // TryLead was called: Apply writes only under the lease
	lease        *pgx.Conn     // the lease connection, kept open between tries; Apply writes on it
	held         *lease        // set while lease holds the advisory lock
	leaseTimeout time.Duration // bounds each exchange on the lease connection

	closing   chan struct{} // closed by Close: listeners stop
	listeners sync.WaitGroup
	closeOnce sync.Once
}

var (
	_ registry.Store  = (*Store)(nil)
	_ registry.Leaser = (*Store)(nil)
)

// Open connects to the database at url (a PostgreSQL URL or key=value
// string) and applies the migrations it lacks. It returns EINVALID for a
// malformed url and EUNAVAILABLE when the database cannot be reached.
func Open(ctx context.Context, url string, log *slog.Logger) (*Store, error) {
	return openUpTo(ctx, url, log, 0)
}

// openUpTo is Open applying the migrations up to version upTo only (all of
// them if 0): tests build the databases older releases left with it.
func openUpTo(ctx context.Context, url string, log *slog.Logger, upTo int) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's error redacts the password.
		return nil, fmt.Errorf("%w: %w", registry.Errorf(registry.EINVALID, "bad database URL"), err)
	}
	s := &Store{config: cfg.ConnConfig.Copy(), log: log, closing: make(chan struct{}), leaseTimeout: leaseTimeout}
	s.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", interpretError(err))
	}
	if err := s.open(ctx, upTo); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	return s, nil
}

func (s *Store) open(ctx context.Context, upTo int) error {
	var schema *string
	if err := s.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return interpretError(err)
	}
	if schema == nil {
		return registry.Errorf(registry.EINVALID, "no schema of the search_path exists")
	}
	s.schema = *schema
	return s.migrateUpTo(ctx, upTo)
}

// Close releases the lease, stops the Changes listeners and closes the
// connections. Calling it again does nothing.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.Resign(context.Background())
		s.listeners.Wait()
		s.pool.Close()
	})
	return nil
}

// Migrate applies the embedded migrations the schema lacks, in order, in one
// transaction that first takes a transaction-level advisory lock: replicas
// starting at once migrate one after the other, and the later ones find
// nothing to do. Open calls it; `registry migrate` may too.
func (s *Store) Migrate(ctx context.Context) error {
	return s.migrateUpTo(ctx, 0)
}

// migrateUpTo applies the migrations up to version upTo (all if 0).
func (s *Store) migrateUpTo(ctx context.Context, upTo int) error {
	ms, err := migrate.Load(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if upTo > 0 {
		ms = slices.DeleteFunc(ms, func(m migrate.Migration) bool { return m.Version > upTo })
	}
	done, unknown, err := s.migrate(ctx, ms)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if len(done) > 0 {
		s.log.Info("migrated database", "schema", s.schema, "migrations", done)
	}
	if unknown > 0 {
		// A newer binary migrated this schema; this one may lack what it needs.
		s.log.Warn("database has migrations this binary does not know", "schema", s.schema, "count", unknown)
	}
	return nil
}

func (s *Store) migrate(ctx context.Context, ms []migrate.Migration) (done []string, unknown int, err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, 0, interpretError(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))

	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "backbone/migrate/"+s.schema); err != nil {
		return nil, 0, interpretError(err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer     PRIMARY KEY,
		name       text        NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return nil, 0, interpretError(err)
	}
	rows, _ := tx.Query(ctx, `SELECT version FROM schema_migrations`)
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return nil, 0, interpretError(err)
	}
	for _, m := range ms {
		if i := slices.Index(versions, m.Version); i >= 0 {
			versions = slices.Delete(versions, i, i+1)
			continue
		}
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return nil, 0, fmt.Errorf("%s: %w", m.Name, interpretError(err))
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
			return nil, 0, fmt.Errorf("%s: %w", m.Name, interpretError(err))
		}
		done = append(done, m.Name)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, 0, interpretError(err)
	}
	return done, len(versions), nil
}

// interpretError translates pgx errors into domain errors at the boundary,
// keeping the cause in the chain for logs: no row is ENOTFOUND, a unique
// violation ECONFLICT, a connection that cannot be made or was lost (or a
// server shutting down, or out of connections) EUNAVAILABLE. Context errors
// and everything else stay as they are; registry.ErrorCode reports the
// latter as EINTERNAL.
func interpretError(err error) error {
	var pgErr *pgconn.PgError
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	var domainErr *registry.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &domainErr):
		return err // already translated
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, pgx.ErrNoRows):
		return coded(registry.ENOTFOUND, "not found", err)
	case errors.As(err, &pgErr):
		switch {
		case pgErr.Code == "23505": // unique_violation
			return coded(registry.ECONFLICT, "already stored", err)
		case strings.HasPrefix(pgErr.Code, "08"), // connection_exception
			pgErr.Code == "53300", // too_many_connections
			pgErr.Code == "57P01", // admin_shutdown
			pgErr.Code == "57P02", // crash_shutdown
			pgErr.Code == "57P03": // cannot_connect_now
			return coded(registry.EUNAVAILABLE, "database unavailable", err)
		}
		return err
	case errors.As(err, &connectErr), errors.As(err, &netErr), pgconn.SafeToRetry(err),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return coded(registry.EUNAVAILABLE, "database unavailable", err)
	}
	return err
}

// coded wraps err under a domain error with code and message: callers see
// the code and message, logs the cause.
func coded(code, message string, err error) error {
	return fmt.Errorf("%w: %w", registry.Errorf(code, "%s", message), err)
}

// utc returns a time read from PostgreSQL in UTC (pgx returns local times).
func utc(t time.Time) time.Time { return t.UTC() }
