package test

import (
	"context"
	"crypto/rand"
	"github.com/backbone-registry/backbone/internal/testdb"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/backbone-registry/backbone/internal/gitfixture"
	"github.com/backbone-registry/backbone/postgres"
)

// testDatabase returns the PostgreSQL URL of REGISTRY_TEST_DATABASE_URL
// with a schema of the test's own first on the search_path; the schema is
// dropped when the test ends. Without the variable the test skips, but in
// CI it fails: there, a skipped test would be an untested replica.
func testDatabase(t *testing.T) string {
	t.Helper()
	base := testdb.URL(t)
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("REGISTRY_TEST_DATABASE_URL: want a postgres:// URL, got %q", base)
	}
	schema := "backbone_test_" + strings.ToLower(rand.Text()[:12])
	exec := func(sql string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Fatalf("connect: %v", err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec("CREATE SCHEMA " + pgx.Identifier{schema}.Sanitize())
	t.Cleanup(func() { exec("DROP SCHEMA " + pgx.Identifier{schema}.Sanitize() + " CASCADE") })
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestReplicaFailover runs two `registry serve` processes on one
// PostgreSQL schema, following one repository. Both serve; the leader is
// killed with SIGKILL right after it was asked to sync a new commit; the
// other takes the lease and serves that commit and the next. The IDs of earlier versions never change, and
// the killed replica, restarted, follows again.
func TestReplicaFailover(t *testing.T) {
	t.Parallel()
	db := testDatabase(t)
	repo := gitfixture.New(t)
	c1 := repo.Commit("initial", gitfixture.BaseFiles())

	start := func(name string, dataDir string) *registryProc {
		return startRegistry(t, name, nil, "--source", repo.Dir, "--path", "schemas", "--poll", "200ms", "--db", db, "--data-dir", dataDir)
	}
	dirA, dirB := t.TempDir(), t.TempDir()
	replicas := []*registryProc{start("replica a", dirA), start("replica b", dirB)}
	ledger := newLedger(t)
	for _, p := range replicas {
		p.eventually("ready", p.ready)
		ledger.record(servesVersion(p, 1, c1))
	}

	var leader, follower *registryProc
	replicas[0].eventually("led by exactly one replica", func() bool {
		a, b := replicas[0].status().Sync.Leader, replicas[1].status().Sync.Leader
		switch {
		case a && !b:
			leader, follower = replicas[0], replicas[1]
		case b && !a:
			leader, follower = replicas[1], replicas[0]
		default:
			return false
		}
		return true
	})

	// The leader is told to sync a new commit and killed at once: whether
	// it stored that commit or not, the other replica must end up serving
	// it, and the commit after it, with the same IDs.
	c2 := repo.Commit("add channel", map[string]string{gitfixture.OrdersPath: gitfixture.OrdersProto(gitfixture.FieldsChannel)})
	leader.sync()
	leader.kill()
	c3 := repo.Commit("add gift", map[string]string{gitfixture.OrdersPath: gitfixture.OrdersProto(gitfixture.FieldsGift)})
	vs := servesVersion(follower, 3, c3)
	if vs[1].Commit.SHA != c2 {
		t.Errorf("version 2 from %s, want %s", vs[1].Commit.SHA, c2)
	}
	ledger.record(vs)
	if st := follower.status(); !st.Sync.Leader || st.Sync.LastError != "" || st.Commit != c3 {
		t.Errorf("status of the new leader: commit %s, %+v", st.Commit, *st.Sync)
	}
	ledger.resolve(follower)

	// The killed replica comes back as a follower and serves what the new
	// leader wrote.
	dir := dirA
	if leader == replicas[1] {
		dir = dirB
	}
	back := start("restarted "+leader.name, dir)
	back.eventually("ready", back.ready)
	ledger.record(servesVersion(back, 3, c3))
	if st := back.status(); st.Sync.Leader {
		t.Errorf("the restarted replica took the lease from a live leader")
	}
	ledger.resolve(back)

	store, err := postgres.Open(t.Context(), db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	schemas, err := store.Schemas(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ledger.stored(schemas)
}
