package test

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/backbone-registry/backbone/internal/gitfixture"
	"github.com/backbone-registry/backbone/internal/testdb"
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
	if st := follower.settled(); !st.Sync.Leader || st.Sync.LastError != "" || st.Commit != c3 {
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
	if st := back.settled(); st.Sync.Leader {
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

// startPair starts two replicas on one database following repo with
// extra flags, waits until both are ready and serve commit first, and
// returns them as leader and follower.
func startPair(t *testing.T, db string, repo *gitfixture.Repo, first string, extra ...string) (leader, follower *registryProc) {
	t.Helper()
	var replicas []*registryProc
	for _, name := range []string{"replica a", "replica b"} {
		args := append([]string{"--source", repo.Dir, "--path", "schemas", "--db", db, "--data-dir", t.TempDir()}, extra...)
		replicas = append(replicas, startRegistry(t, name, nil, args...))
	}
	for _, p := range replicas {
		p.await("serving "+first[:8], func() bool {
			return p.ready() && p.status().Commit == first
		})
	}
	replicas[0].await("led by exactly one replica", func() bool {
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
	return leader, follower
}

// await waits for cond like eventually, but never asks for a sync: the
// test is about what happens without one.
func (p *registryProc) await(what string, cond func() bool) {
	p.t.Helper()
	deadline := time.Now().Add(60 * time.Second) // a hang guard, not a performance assertion
	for !cond() {
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: not %s after 60s", p.name, what)
		}
		select {
		case <-p.exited:
			p.t.Fatalf("%s exited while waiting until %s", p.name, what)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestReplicaForwardsSync sends a push webhook, then POST /v1/sync, to the
// follower of two replicas that poll once an hour: the follower forwards
// each to the leader, which syncs the new commit at once, and both serve it.
func TestReplicaForwardsSync(t *testing.T) {
	t.Parallel()
	db := testDatabase(t)
	repo := gitfixture.New(t)
	c1 := repo.Commit("initial", gitfixture.BaseFiles())
	const secret = "hook-secret"
	leader, follower := startPair(t, db, repo, c1, "--poll", "1h", "--webhook-secret", secret)

	c2 := repo.Commit("add channel", map[string]string{gitfixture.OrdersPath: gitfixture.OrdersProto(gitfixture.FieldsChannel)})
	body := `{"ref":"refs/heads/main"}`
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	req, err := http.NewRequest(http.MethodPost, follower.base+"/v1/hooks/git", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	sent := time.Now()
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("webhook to the follower: %d, want 202", resp.StatusCode)
	}
	for _, p := range []*registryProc{leader, follower} {
		p.await("serving "+c2[:8]+" after the webhook to the follower", func() bool { return p.status().Commit == c2 })
		t.Logf("%s serves the commit %s after the webhook to the follower (a measure, not a check)", p.name, time.Since(sent).Round(time.Millisecond))
	}

	c3 := repo.Commit("add gift", map[string]string{gitfixture.OrdersPath: gitfixture.OrdersProto(gitfixture.FieldsGift)})
	follower.sync()
	for _, p := range []*registryProc{leader, follower} {
		p.await("serving "+c3[:8]+" after POST /v1/sync to the follower", func() bool { return p.status().Commit == c3 })
	}
	if st := follower.settled(); st.Sync.Leader {
		t.Errorf("the follower took the lease from a live leader")
	}
	if st := leader.settled(); !st.Sync.Leader || st.Sync.LastError != "" {
		t.Errorf("status of the leader: %+v", *st.Sync)
	}
}

// TestReplicaTakeover kills the leader of two replicas that poll once an
// hour: the follower takes the lease by itself, without waiting for its
// next poll, and serves the commit the dead leader had not synced.
func TestReplicaTakeover(t *testing.T) {
	t.Parallel()
	db := testDatabase(t)
	repo := gitfixture.New(t)
	c1 := repo.Commit("initial", gitfixture.BaseFiles())
	leader, follower := startPair(t, db, repo, c1, "--poll", "1h")

	c2 := repo.Commit("add channel", map[string]string{gitfixture.OrdersPath: gitfixture.OrdersProto(gitfixture.FieldsChannel)})
	leader.kill()
	killed := time.Now()
	follower.await("leading after the leader died", func() bool { return follower.status().Sync.Leader })
	t.Logf("the follower leads %s after the leader was killed (a measure, not a check)", time.Since(killed).Round(time.Millisecond))
	follower.await("serving "+c2[:8], func() bool { return follower.status().Commit == c2 })
	if st := follower.settled(); st.Sync.LastError != "" {
		t.Errorf("status of the new leader: %+v", *st.Sync)
	}
}

// forward accepts connections on ln and pipes each to target, until the
// test ends.
func forward(t *testing.T, ln net.Listener, target string) {
	t.Helper()
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				s, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer s.Close()
				go func() { _, _ = io.Copy(s, c); s.Close() }()
				_, _ = io.Copy(c, s)
			}()
		}
	}()
}

// TestReplicaWaitsForTheDatabase starts a replica whose database does not
// answer yet: it keeps running and retries with backoff, logging each
// attempt once without the password, and serves once the database comes up
// at that address.
func TestReplicaWaitsForTheDatabase(t *testing.T) {
	t.Parallel()
	db, err := url.Parse(testDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	target := db.Host
	// An address nothing listens on, for now.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	const password = "hunter2-db-password" // the test database trusts local connections
	db.Host, db.User = addr, url.UserPassword(db.User.Username(), password)

	repo := gitfixture.New(t)
	c1 := repo.Commit("initial", gitfixture.BaseFiles())
	p := launchRegistry(t, "replica", nil, "--source", repo.Dir, "--path", "schemas", "--poll", "1h", "--db", db.String(), "--data-dir", t.TempDir())
	waitLog(t, p, `PostgreSQL is unavailable; retrying" attempt=2 `)
	select {
	case <-p.exited:
		t.Fatalf("the replica exited while the database was down:\n%s", p.out)
	default:
	}

	// The database comes up at that address.
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	forward(t, ln, target)
	p.awaitListening(60 * time.Second)
	p.await("serving "+c1[:8], func() bool { return p.ready() && p.status().Commit == c1 })

	out := p.out.String()
	if strings.Contains(out, password) {
		t.Errorf("the output shows the database password:\n%s", out)
	}
	attempts := strings.Count(out, "PostgreSQL is unavailable")
	for n := 1; n <= attempts; n++ {
		if c := strings.Count(out, fmt.Sprintf("attempt=%d ", n)); c != 1 {
			t.Errorf("attempt %d logged %d times, want once:\n%s", n, c, out)
		}
	}
	if !strings.Contains(out, "PostgreSQL answers") {
		t.Errorf("no line says the database answers:\n%s", out)
	}
}
