package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"github.com/backbone-registry/backbone/internal/testdb"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/postgres"
	"github.com/backbone-registry/backbone/storetest"
)

// databaseURL returns the test database, from REGISTRY_TEST_DATABASE_URL.
// Without it the tests skip, but in CI they fail: there, a skipped store
// would be an untested one.
func databaseURL(t *testing.T) string {
	t.Helper()
	u := testdb.URL(t)
	return u
}

// newDatabase gives each test a schema of its own.
func newDatabase(t *testing.T) storetest.Opener {
	u, _ := newSchema(t)
	return func(t *testing.T) registry.Store { return open(t, u) }
}

// newSchema creates a schema, dropped when the test ends, and returns a
// connection string with that schema first on the search_path.
func newSchema(t *testing.T) (conn, schema string) {
	t.Helper()
	base := databaseURL(t)
	schema = "backbone_test_" + strings.ToLower(rand.Text()[:12])
	exec(t, base, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize())
	t.Cleanup(func() { exec(t, base, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE") })
	return withParam(t, base, "search_path", schema), schema
}

func open(t *testing.T, u string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), u, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// exec runs one statement on a connection of its own.
func exec(t *testing.T, u, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// withParam sets a run-time parameter, which pgx sends at connection
// start-up, in a URL or key=value connection string.
func withParam(t *testing.T, conn, name, value string) string {
	t.Helper()
	if !strings.Contains(conn, "://") {
		return conn + " " + name + "=" + value
	}
	u, err := url.Parse(conn)
	if err != nil {
		t.Fatalf("parse REGISTRY_TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set(name, value)
	u.RawQuery = q.Encode()
	return u.String()
}

func TestStore(t *testing.T) {
	t.Parallel()
	databaseURL(t)
	storetest.Run(t, newDatabase)
}

func TestLeaser(t *testing.T) {
	t.Parallel()
	databaseURL(t)
	storetest.RunLeaser(t, newDatabase)
}

func TestMigrateTwice(t *testing.T) {
	t.Parallel()
	u, _ := newSchema(t)
	s := open(t, u)
	t.Cleanup(func() { s.Close() })
	for range 2 {
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
	}
}

// TestFailover kills the leader's lease connection from the server side, as
// a crashed replica or a network partition would: the other replica takes
// the lease, and the old leader learns it lost it.
func TestFailover(t *testing.T) {
	t.Parallel()
	u, schema := newSchema(t)
	a, b := open(t, u), open(t, u)
	t.Cleanup(func() { a.Close(); b.Close() })
	ctx := t.Context()

	lead := func(s *postgres.Store) bool {
		t.Helper()
		ok, err := s.TryLead(ctx)
		if err != nil {
			t.Fatalf("TryLead: %v", err)
		}
		return ok
	}
	if !lead(a) || lead(b) {
		t.Fatal("want a to lead and b to follow")
	}

	conn, err := pgx.Connect(ctx, databaseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	// The lease is the advisory lock on hashtextextended('backbone/lease/<schema>', 0):
	// pg_locks shows a bigint key as classid (high 32 bits) and objid (low 32 bits).
	var killed int
	if err := conn.QueryRow(ctx, `
		SELECT count(pg_terminate_backend(l.pid))
		FROM pg_locks l, (SELECT hashtextextended($1, 0) AS k) key
		WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
		  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		  AND l.classid::bigint = (key.k >> 32) & 4294967295 AND l.objid::bigint = key.k & 4294967295`,
		"backbone/lease/"+schema).Scan(&killed); err != nil {
		t.Fatalf("terminate the lease connection: %v", err)
	}
	if killed != 1 {
		t.Fatalf("terminated %d lease connections, want 1", killed)
	}
	// a has not noticed, but it is fenced: it writes nothing more.
	if _, err := a.Apply(ctx, registry.SyncStep{State: registry.SyncState{Commit: "c1"}}); registry.ErrorCode(err) != registry.ECONFLICT {
		t.Errorf("Apply by the leader whose lease connection died = %v, want %s", err, registry.ECONFLICT)
	}
	if st, err := b.State(ctx); err != nil || st.Commit != "" {
		t.Errorf("State after the fenced Apply = %+v, %v; want nothing stored", st, err)
	}

	deadline := time.Now().Add(10 * time.Second)
	for !lead(b) {
		if time.Now().After(deadline) {
			t.Fatal("b did not take the lease within 10s of a's connection dying")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if lead(a) {
		t.Error("a still leads after its lease connection died and b took over")
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	if _, err := postgres.Open(ctx, "postgres://%zz", log); registry.ErrorCode(err) != registry.EINVALID {
		t.Errorf("Open(bad URL) = %v, want %s", err, registry.EINVALID)
	}
	// Port 1 on the loopback: nothing listens there.
	if _, err := postgres.Open(ctx, "postgres://u:secret@127.0.0.1:1/db?connect_timeout=2", log); registry.ErrorCode(err) != registry.EUNAVAILABLE {
		t.Errorf("Open(unreachable) = %v, want %s", err, registry.EUNAVAILABLE)
	} else if strings.Contains(err.Error(), "secret") {
		t.Errorf("Open(unreachable) error shows the password: %v", err)
	}
}

// TestChangesReconnect kills the listen connection: Changes reconnects,
// tells the reader it may have missed something, and goes on delivering.
func TestChangesReconnect(t *testing.T) {
	t.Parallel()
	u, schema := newSchema(t)
	u = withParam(t, u, "application_name", schema) // to find our listener
	a := open(t, u)
	t.Cleanup(func() { a.Close() })
	ctx := t.Context()
	changes, err := a.Changes(ctx)
	if err != nil {
		t.Fatalf("Changes: %v", err)
	}

	var killed int
	exec1(t, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND query = 'LISTEN backbone_sync'`, []any{schema}, &killed)
	if killed != 1 {
		t.Fatalf("terminated %d listen connections, want 1", killed)
	}
	receive(t, "after the listen connection died", changes)

	if _, err := a.Apply(ctx, registry.SyncStep{State: registry.SyncState{Commit: "c1"}}); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	receive(t, "after an Apply on the new listen connection", changes)
}

// exec1 runs a one-row query on a connection of its own.
func exec1(t *testing.T, sql string, args []any, dest ...any) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), databaseURL(t))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(t.Context(), sql, args...).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func receive(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatalf("Changes %s: channel closed", what)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("Changes %s: nothing within 10s", what)
	}
}

// TestMigration0003 folds the rejections a store of migration 0002 holds.
func TestMigration0003(t *testing.T) {
	t.Parallel()
	storetest.RunMigration(t, func(t *testing.T) storetest.Legacy {
		u, _ := newSchema(t)
		log := slog.New(slog.NewTextHandler(t.Output(), nil))
		return storetest.Legacy{
			Open: func(t *testing.T) registry.Store {
				s, err := postgres.OpenUpTo(t.Context(), u, log, 2)
				if err != nil {
					t.Fatalf("Open at 0002: %v", err)
				}
				return s
			},
			Reject: func(t *testing.T, r registry.Rejection) {
				findings, err := json.Marshal(r.Findings)
				if err != nil {
					t.Fatal(err)
				}
				c := r.Commit
				exec(t, u, `INSERT INTO rejections
					(topic, commit_sha, commit_author, commit_email, commit_time, commit_message, findings, created_at)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
					r.Topic, c.SHA, c.Author, c.Email, c.Time, c.Message, string(findings), r.CreatedAt)
			},
			Upgrade: func(t *testing.T) registry.Store { return open(t, u) },
		}
	})
}
