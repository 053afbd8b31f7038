package catalog_test

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backbone-registry/backbone/internal/testdb"

	"github.com/jackc/pgx/v5"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/gitsync"
	"github.com/backbone-registry/backbone/internal/gitfixture"
	"github.com/backbone-registry/backbone/postgres"
)

// These tests run Syncers over PostgreSQL, in process, where the binary
// would be too slow or too coarse: the database going away in the middle of
// a sync transaction, and replicas starting at once on an empty database.

// databaseURL returns the test database, from REGISTRY_TEST_DATABASE_URL.
// Without it the tests skip, but in CI they fail: there, a skipped test
// would be an untested replica.
func databaseURL(t *testing.T) string {
	t.Helper()
	u := testdb.URL(t)
	return u
}

// newSchema creates a schema of its own for the test, dropped when it ends,
// and returns a connection URL with that schema first on the search_path.
func newSchema(t *testing.T) (conn *url.URL, schema string) {
	t.Helper()
	base := databaseURL(t)
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("REGISTRY_TEST_DATABASE_URL: want a postgres:// URL, got %q", base)
	}
	schema = "backbone_test_" + strings.ToLower(rand.Text()[:12])
	pgExec(t, base, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize())
	t.Cleanup(func() { pgExec(t, base, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE") })
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u, schema
}

// pgExec runs one statement on a connection of its own.
func pgExec(t *testing.T, u, sql string, args ...any) {
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

// pgCount runs a query answering one number on a connection of its own.
func pgCount(t *testing.T, u, sql string, args ...any) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// leaseHolders counts the connections holding the sync lease of schema:
// the advisory lock hashtextextended('backbone/lease/<schema>', 0), which
// pg_locks shows as classid (high 32 bits) and objid (low 32 bits).
func leaseHolders(t *testing.T, schema string) int {
	t.Helper()
	return pgCount(t, databaseURL(t), `
		SELECT count(*)
		FROM pg_locks l, (SELECT hashtextextended($1, 0) AS k) key
		WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
		  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		  AND l.classid::bigint = (key.k >> 32) & 4294967295 AND l.objid::bigint = key.k & 4294967295`,
		"backbone/lease/"+schema)
}

func openPostgres(t *testing.T, name, u string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), u, slog.New(slog.NewTextHandler(t.Output(), nil)).With("replica", name))
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	return s
}

// replica is one registry process, in process: a Syncer over its own store
// and its own snapshot, following a fixture repository.
type replica struct {
	t      *testing.T
	name   string
	snap   *catalog.Snapshot
	syncer *catalog.Syncer
}

func startReplica(t *testing.T, name string, store *postgres.Store, repo *gitfixture.Repo) *replica {
	t.Helper()
	return startReplicaOn(t, name, store, store, repo)
}

// closingLeaser is a Leaser the replica closes when the test ends.
type closingLeaser interface {
	registry.Leaser
	Close() error
}

// startReplicaOn starts a replica reading and writing store and leasing
// with leaser, which it closes at the end.
func startReplicaOn(t *testing.T, name string, store registry.Store, leaser closingLeaser, repo *gitfixture.Repo) *replica {
	t.Helper()
	return startReplicaLog(t, name, store, leaser, repo, slog.New(slog.NewTextHandler(t.Output(), nil)).With("replica", name))
}

// startReplicaLog is startReplicaOn with the replica's logger.
func startReplicaLog(t *testing.T, name string, store registry.Store, leaser closingLeaser, repo *gitfixture.Repo, log *slog.Logger) *replica {
	t.Helper()
	git, err := gitsync.Open(t.Context(), gitsync.Config{Source: repo.Dir})
	if err != nil {
		t.Fatal(err)
	}
	r := &replica{t: t, name: name, snap: &catalog.Snapshot{}}
	r.syncer = &catalog.Syncer{
		Ingester: &catalog.Ingester{
			Store: store, Snapshot: r.snap, Log: log, Origin: repo.Dir, Branch: "main",
			Source: gitsync.Files{Repo: git, Opts: gitsync.TreeOptions{Root: "schemas", Want: catalog.IsRepositoryFile}},
		},
		Leaser: leaser, Poll: 100 * time.Millisecond, Log: log,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = r.syncer.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		leaser.Close()
	})
	return r
}

// versions returns what the replica serves of topic.
func (r *replica) versions(topic string) []registry.TopicVersion {
	c := r.snap.Catalog()
	if c == nil {
		return nil
	}
	return c.History().Versions(topic)
}

// serves waits until the replica serves n versions of topic, the last from
// commit sha.
func (r *replica) serves(topic string, n int, sha string) []registry.TopicVersion {
	r.t.Helper()
	var vs []registry.TopicVersion
	waitUntil(r.t, r.name+" serves "+topic+" version from "+sha[:8], func() bool {
		vs = r.versions(topic)
		return len(vs) == n && vs[n-1].Commit.SHA == sha
	}, r.syncer.Trigger)
	return vs
}

// waitUntil polls cond, calling nudge now and then; the limit is a hang
// guard, not a performance assertion.
func waitUntil(t *testing.T, what string, cond func() bool, nudge func()) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for i := 0; !cond(); i++ {
		if time.Now().After(deadline) {
			t.Fatalf("not %s after 60s", what)
		}
		time.Sleep(20 * time.Millisecond)
		if nudge != nil && i%25 == 24 {
			nudge()
		}
	}
}

// servedIDs returns the schema ID of every subject of every version served.
func servedIDs(r *replica) map[int64]string {
	ids := map[int64]string{}
	hist := r.snap.Catalog().History()
	for _, topic := range []string{"acme.retail.orders.events", "acme.retail.stock.events"} {
		for _, v := range hist.Versions(topic) {
			for _, s := range v.Subjects {
				ids[s.SchemaID] = s.Hash
			}
		}
	}
	return ids
}

// storedSchemas returns the store's schemas by ID.
func storedSchemas(t *testing.T, s registry.Store) map[int64]string {
	t.Helper()
	schemas, err := s.Schemas(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]string{}
	hashes := map[string]int64{}
	for _, sc := range schemas {
		if id, dup := hashes[sc.Hash]; dup {
			t.Errorf("content %s stored under IDs %d and %d", sc.Hash, id, sc.ID)
		}
		hashes[sc.Hash] = sc.ID
		out[sc.ID] = sc.Hash
	}
	return out
}

// sameIDs checks that every ID of before names the same content in after.
func sameIDs(t *testing.T, what string, before, after map[int64]string) {
	t.Helper()
	for id, hash := range before {
		if after[id] != hash {
			t.Errorf("%s: ID %d named %s, now %q", what, id, hash, after[id])
		}
	}
}

// lockTree holds a lock on the tree table of schema, so that an Apply
// that writes the tree waits in the middle of its transaction (after its
// schemas got IDs) until release.
func lockTree(t *testing.T, direct *url.URL, schema string) (release func()) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), direct.String())
	if err != nil {
		t.Fatal(err)
	}
	tx, err := conn.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(t.Context(), "LOCK TABLE "+pgx.Identifier{schema, "tree"}.Sanitize()+" IN SHARE MODE"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			_ = tx.Rollback(context.Background())
			conn.Close(context.Background())
		})
	}
	t.Cleanup(release)
	return release
}

// TestSyncDatabaseOutage cuts the database in the middle of a sync
// transaction and keeps it away: the sync fails and retries with backoff,
// the status says the database is unavailable, the last snapshot keeps
// serving; once the database is back the replica takes its lease again and
// ingests what it missed. No schema ID is lost or reused.
func TestSyncDatabaseOutage(t *testing.T) {
	t.Parallel()
	direct, schema := newSchema(t)
	proxy := testdb.NewProxy(t, direct.Host)
	store := openPostgres(t, "replica", proxy.Via(direct, schema))
	check := openPostgres(t, "check", direct.String()) // the test's own view, around the proxy
	t.Cleanup(func() { check.Close() })

	repo := gitfixture.New(t)
	files := gitfixture.BaseFiles()
	c1 := repo.Commit("initial", files)
	r := startReplica(t, "replica", store, repo)
	r.serves("acme.retail.orders.events", 1, c1)
	before := storedSchemas(t, check)
	sameIDs(t, "served before the outage", servedIDs(r), before)

	// Three commits arrive. The first one's transaction waits on a lock
	// after its new schemas got IDs; then the database goes away. (The lock
	// comes first: the replica polls.)
	release := lockTree(t, direct, schema)
	files["schemas/retail/orders/v1/orders.proto"] = gitfixture.OrdersProto("  // The order.\n  string order_id = 1;\n  // Its total.\n  acme.common.v1.Money total = 2;\n  // A note.\n  string note = 3;\n  // Channel.\n  string channel = 4;\n")
	c2 := repo.Commit("add channel", files)
	files["schemas/retail/stock/v1/stock.proto"] = strings.Replace(gitfixture.StockProto, "  acme.common.v1.Money value = 2;\n", "  acme.common.v1.Money value = 2;\n  // Where.\n  string warehouse = 3;\n", 1)
	c3 := repo.Commit("add warehouse", files)
	files["schemas/retail/orders/v1/orders.proto"] = gitfixture.OrdersProto("  // The order.\n  string order_id = 1;\n  // Its total.\n  acme.common.v1.Money total = 2;\n  // A note.\n  string note = 3;\n  // Channel.\n  string channel = 4;\n  // Gift?\n  bool gift = 5;\n")
	c4 := repo.Commit("add gift", files)

	r.syncer.Trigger()
	waitUntil(t, "waiting on the lock in the middle of the sync transaction", func() bool {
		return pgCount(t, direct.String(), `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, schema) > 0
	}, nil)
	proxy.Cut(true)
	release()

	// It backs off: with a 100ms poll, retrying at each poll would fail
	// three times within about 300ms; with backoff (about 2s, then 4s,
	// with at most one retry at once after a trigger) the third failure
	// comes at least 1.8s after the first. The bound is a lower one: a slow
	// machine only makes the failures come later.
	var st catalog.SyncStatus
	waitUntil(t, "reporting the failures, retried by itself", func() bool {
		st = r.syncer.Status()
		return st.Failures >= 3 && strings.Contains(st.LastError, "database unavailable")
	}, nil)
	if since := time.Since(st.FailingSince); since < 1500*time.Millisecond {
		t.Errorf("%d consecutive failures within %s: no backoff", st.Failures, since)
	}
	if st.Leader {
		t.Errorf("status during the outage: leader, but the lease died with its connection")
	}
	if vs := r.versions("acme.retail.orders.events"); len(vs) != 1 || vs[0].Commit.SHA != c1 {
		t.Errorf("during the outage: serving %d versions, want the last snapshot's 1", len(vs))
	}
	if got := r.snap.Catalog().History().State().Commit; got != c1 {
		t.Errorf("during the outage: at commit %s, want %s", got, c1)
	}
	if got := storedSchemas(t, check); !maps.Equal(got, before) {
		t.Errorf("the interrupted transaction left schemas behind: %v, want %v", got, before)
	}

	proxy.Cut(false)
	r.syncer.Trigger()
	r.serves("acme.retail.orders.events", 3, c4)
	r.serves("acme.retail.stock.events", 2, c3)
	if vs := r.versions("acme.retail.orders.events"); vs[1].Commit.SHA != c2 {
		t.Errorf("orders version 2 from %s, want %s", vs[1].Commit.SHA, c2)
	}
	waitUntil(t, "healthy again", func() bool {
		st := r.syncer.Status()
		return st.Failures == 0 && st.LastError == "" && st.Leader
	}, r.syncer.Trigger)
	if n := leaseHolders(t, schema); n != 1 {
		t.Errorf("after the outage %d connections hold the lease, want 1: the replica must take it again", n)
	}

	after := storedSchemas(t, check)
	sameIDs(t, "stored after the outage", before, after)
	sameIDs(t, "served after the outage", servedIDs(r), after)
	maxBefore := slices.Max(slices.Collect(maps.Keys(before)))
	for id := range after {
		if _, old := before[id]; !old && id <= maxBefore {
			t.Errorf("new schema got ID %d, at or below the %d stored before the outage", id, maxBefore)
		}
	}
	for id := range before {
		if _, ok := r.snap.Catalog().History().Schema(id); !ok {
			t.Errorf("ID %d no longer resolves after the outage", id)
		}
	}
}

// TestSyncReplicasStartTogether starts two replicas at once on an empty
// database: exactly one leads, and both serve the same versions with the
// same IDs, before and after a new commit.
func TestSyncReplicasStartTogether(t *testing.T) {
	t.Parallel()
	u, schema := newSchema(t)
	repo := gitfixture.New(t)
	files := gitfixture.BaseFiles()
	c1 := repo.Commit("initial", files)

	// Opening migrates the empty schema: both at once.
	stores := make([]*postgres.Store, 2)
	var wg sync.WaitGroup
	for i, name := range []string{"a", "b"} {
		wg.Go(func() {
			s, err := postgres.Open(t.Context(), u.String(), slog.New(slog.NewTextHandler(t.Output(), nil)).With("replica", name))
			if err != nil {
				t.Errorf("open %s: %v", name, err)
			}
			stores[i] = s
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	a, b := startReplica(t, "a", stores[0], repo), startReplica(t, "b", stores[1], repo)
	a.serves("acme.retail.orders.events", 1, c1)
	b.serves("acme.retail.orders.events", 1, c1)

	oneLeader := func() {
		t.Helper()
		waitUntil(t, "led by exactly one replica", func() bool {
			return a.syncer.Status().Leader != b.syncer.Status().Leader
		}, nil)
		for range 5 { // and it stays so
			if la, lb := a.syncer.Status().Leader, b.syncer.Status().Leader; la == lb {
				t.Errorf("leaders: a %v, b %v; want exactly one", la, lb)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if n := leaseHolders(t, schema); n != 1 {
			t.Errorf("%d connections hold the lease, want 1", n)
		}
	}
	oneLeader()
	same := func() {
		t.Helper()
		for _, topic := range []string{"acme.retail.orders.events", "acme.retail.stock.events"} {
			va, vb := a.versions(topic), b.versions(topic)
			if len(va) != len(vb) {
				t.Fatalf("%s: a serves %d versions, b %d", topic, len(va), len(vb))
			}
			for i := range va {
				if va[i].Version != vb[i].Version || va[i].Commit.SHA != vb[i].Commit.SHA || !slices.Equal(va[i].Subjects, vb[i].Subjects) {
					t.Errorf("%s version %d: a serves %+v, b %+v", topic, va[i].Version, va[i], vb[i])
				}
			}
		}
		stored := storedSchemas(t, stores[0])
		sameIDs(t, "a", servedIDs(a), stored)
		sameIDs(t, "b", servedIDs(b), stored)
		for _, r := range []*replica{a, b} {
			if st := r.syncer.Status(); st.LastError != "" || st.Failures != 0 {
				t.Errorf("%s status: %+v", r.name, st)
			}
		}
	}
	same()
	if rej := a.snap.Catalog().History().Rejections(); len(rej) != 0 {
		t.Errorf("rejections: %+v", rej)
	}

	files["schemas/retail/orders/v1/orders.proto"] = gitfixture.OrdersProto("  // The order.\n  string order_id = 1;\n  // Its total.\n  acme.common.v1.Money total = 2;\n  // A note.\n  string note = 3;\n  // Channel.\n  string channel = 4;\n")
	c2 := repo.Commit("add channel", files)
	a.syncer.Trigger()
	b.syncer.Trigger()
	a.serves("acme.retail.orders.events", 2, c2)
	b.serves("acme.retail.orders.events", 2, c2)
	oneLeader()
	same()
}

// treeHook is a store that runs a hook on the first call to Tree, the last
// read of a restore.
type treeHook struct {
	registry.Store
	once sync.Once
	hook func()
}

func (s *treeHook) Tree(ctx context.Context) (map[string][]byte, error) {
	s.once.Do(s.hook)
	return s.Store.Tree(ctx)
}

// leaderOn is an Ingester, run by hand, whose store holds the sync lease
// on the database at u: the leader a follower under test follows.
func leaderOn(t *testing.T, u string, repo *gitfixture.Repo) *catalog.Ingester {
	t.Helper()
	store := openPostgres(t, "leader", u)
	t.Cleanup(func() { store.Close() })
	if ok, err := store.TryLead(t.Context()); err != nil || !ok {
		t.Fatalf("the leader's TryLead: %v %v", ok, err)
	}
	git, err := gitsync.Open(t.Context(), gitsync.Config{Source: repo.Dir})
	if err != nil {
		t.Fatal(err)
	}
	return &catalog.Ingester{
		Store: store, Snapshot: &catalog.Snapshot{}, Log: slog.New(slog.NewTextHandler(t.Output(), nil)).With("replica", "leader"),
		Origin: repo.Dir, Branch: "main",
		Source: gitsync.Files{Repo: git, Opts: gitsync.TreeOptions{Root: "schemas", Want: catalog.IsRepositoryFile}},
	}
}

// TestSyncFollowerStartsDuringWrite starts a follower while the leader
// writes its first sync, right after the follower read the empty store: the
// follower must still hear of the write and serve it, not wait for the next
// one.
func TestSyncFollowerStartsDuringWrite(t *testing.T) {
	t.Parallel()
	u, _ := newSchema(t)
	repo := gitfixture.New(t)
	c1 := repo.Commit("initial", gitfixture.BaseFiles())

	leader := leaderOn(t, u.String(), repo)

	followerStore := openPostgres(t, "follower", u.String())
	hooked := &treeHook{Store: followerStore, hook: func() {
		if _, err := leader.Sync(t.Context()); err != nil {
			t.Errorf("the leader's sync: %v", err)
		}
	}}
	r := startReplicaOn(t, "follower", hooked, followerStore, repo)
	r.serves("acme.retail.orders.events", 1, c1)
	if st := r.syncer.Status(); st.Leader {
		t.Errorf("the follower leads, but the leader holds the lease")
	}
}

// deafOnce is a Leaser whose first Changes call fails, as when the database
// is unreachable while a replica starts.
type deafOnce struct {
	*postgres.Store
	failed atomic.Bool
}

func (l *deafOnce) Changes(ctx context.Context) (<-chan struct{}, error) {
	if l.failed.CompareAndSwap(false, true) {
		return nil, registry.Errorf(registry.EUNAVAILABLE, "listen: connection refused (test)")
	}
	return l.Store.Changes(ctx)
}

// TestSyncFollowerListensAgain starts a follower whose first LISTEN fails:
// it must listen again and follow the leader's writes, not stay deaf until
// it happens to take the lease.
func TestSyncFollowerListensAgain(t *testing.T) {
	t.Parallel()
	u, _ := newSchema(t)
	repo := gitfixture.New(t)
	files := gitfixture.BaseFiles()
	c1 := repo.Commit("initial", files)

	leader := leaderOn(t, u.String(), repo)
	if _, err := leader.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}

	followerStore := openPostgres(t, "follower", u.String())
	deaf := &deafOnce{Store: followerStore}
	r := startReplicaOn(t, "follower", followerStore, deaf, repo)
	r.serves("acme.retail.orders.events", 1, c1)

	files["schemas/retail/orders/v1/orders.proto"] = gitfixture.OrdersProto("  // The order.\n  string order_id = 1;\n  // Its total.\n  acme.common.v1.Money total = 2;\n  // A note.\n  string note = 3;\n  // Channel.\n  string channel = 4;\n")
	c2 := repo.Commit("add channel", files)
	if _, err := leader.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	r.serves("acme.retail.orders.events", 2, c2)
	if !deaf.failed.Load() {
		t.Errorf("the follower never listened")
	}
	if st := r.syncer.Status(); st.Leader {
		t.Errorf("the follower leads, but the leader holds the lease")
	}
}

// syncBuffer is a log sink safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestSyncLeaseTakeLoggedOnce runs a replica whose store and syncer share
// one logger, as in `registry serve`: taking the lease is one log line.
func TestSyncLeaseTakeLoggedOnce(t *testing.T) {
	t.Parallel()
	u, _ := newSchema(t)
	repo := gitfixture.New(t)
	c1 := repo.Commit("initial", gitfixture.BaseFiles())
	var out syncBuffer
	log := slog.New(slog.NewTextHandler(io.MultiWriter(&out, t.Output()), nil))
	store, err := postgres.Open(t.Context(), u.String(), log)
	if err != nil {
		t.Fatal(err)
	}
	r := startReplicaLog(t, "replica", store, store, repo, log)
	r.serves("acme.retail.orders.events", 1, c1)
	waitUntil(t, "leading", func() bool { return r.syncer.Status().Leader }, nil)
	if n := strings.Count(out.String(), "took the sync lease"); n != 1 {
		t.Errorf("taking the lease logged %d times, want once:\n%s", n, out.String())
	}
}

// gatedStore is a replica's store that holds its first Apply once armed
// until gate is closed, and counts the Applies that succeed once cut is set.
type gatedStore struct {
	registry.Store
	armed   atomic.Bool
	entered chan struct{} // closed when the held Apply arrives
	gate    <-chan struct{}
	done    chan struct{} // closed when the held Apply returned
	cut     *atomic.Bool
	late    atomic.Int32 // Applies that succeeded after cut
}

func newGatedStore(s registry.Store, gate <-chan struct{}, cut *atomic.Bool) *gatedStore {
	return &gatedStore{Store: s, entered: make(chan struct{}), gate: gate, done: make(chan struct{}), cut: cut}
}

func (s *gatedStore) Apply(ctx context.Context, step registry.SyncStep) (map[string]int64, error) {
	if s.armed.CompareAndSwap(true, false) {
		close(s.entered)
		defer close(s.done)
		select {
		case <-s.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	after := s.cut.Load()
	ids, err := s.Store.Apply(ctx, step)
	if err == nil && after {
		s.late.Add(1)
	}
	return ids, err
}

// takeCounter is a Leaser that counts the times it took the lease.
type takeCounter struct {
	closingLeaser
	mu    sync.Mutex
	held  bool
	takes int
}

func (l *takeCounter) TryLead(ctx context.Context) (bool, error) {
	ok, err := l.closingLeaser.TryLead(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	if ok && !l.held {
		l.takes++
	}
	l.held = ok
	return ok, err
}

func (l *takeCounter) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.takes
}

// leaseHolderPID returns the backend holding the sync lease of schema, or 0.
func leaseHolderPID(t *testing.T, schema string) int {
	t.Helper()
	return pgCount(t, databaseURL(t), `
		SELECT coalesce(min(l.pid), 0)
		FROM pg_locks l, (SELECT hashtextextended($1, 0) AS k) key
		WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
		  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		  AND l.classid::bigint = (key.k >> 32) & 4294967295 AND l.objid::bigint = key.k & 4294967295`,
		"backbone/lease/"+schema)
}

// TestSyncFencing cuts the leader's lease (its backend is terminated) while
// the leader is in the middle of writing a commit, and lets that write go on
// only once the follower took the lease and is about to write the same
// commit: the old leader writes nothing once its lease is gone, the new
// leader's writes succeed, and the lease changes hands once, without
// flapping back.
func TestSyncFencing(t *testing.T) {
	t.Parallel()
	u, schema := newSchema(t)
	repo := gitfixture.New(t)
	files := gitfixture.BaseFiles()
	c1 := repo.Commit("initial", files)

	var cut atomic.Bool
	gate := make(chan struct{})
	var gateOnce sync.Once
	openGate := func() { gateOnce.Do(func() { close(gate) }) }
	t.Cleanup(openGate)

	storeA := openPostgres(t, "a", u.String())
	leaserA := &takeCounter{closingLeaser: storeA}
	gatedA := newGatedStore(storeA, gate, &cut)
	a := startReplicaOn(t, "a", gatedA, leaserA, repo)
	a.serves("acme.retail.orders.events", 1, c1)
	waitUntil(t, "a leading", func() bool { return a.syncer.Status().Leader }, nil)

	storeB := openPostgres(t, "b", u.String())
	leaserB := &takeCounter{closingLeaser: storeB}
	gatedB := newGatedStore(storeB, gatedA.done, &cut) // b writes once a's held write is over
	b := startReplicaOn(t, "b", gatedB, leaserB, repo)
	b.serves("acme.retail.orders.events", 1, c1)

	gatedA.armed.Store(true)
	gatedB.armed.Store(true)
	files["schemas/retail/orders/v1/orders.proto"] = gitfixture.OrdersProto("  // The order.\n  string order_id = 1;\n  // Its total.\n  acme.common.v1.Money total = 2;\n  // A note.\n  string note = 3;\n  // Channel.\n  string channel = 4;\n")
	c2 := repo.Commit("add channel", files)
	a.syncer.Trigger()
	select {
	case <-gatedA.entered:
	case <-time.After(60 * time.Second): // a hang guard
		t.Fatal("a did not write c2 within 60s")
	}

	// Cut a's lease: terminate the backend holding it, and wait until it is gone.
	pid := leaseHolderPID(t, schema)
	if pid == 0 {
		t.Fatal("nobody holds the lease")
	}
	if n := pgCount(t, databaseURL(t), `SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND pg_terminate_backend($1, 30000)`, pid); n != 1 {
		t.Fatalf("terminate the lease backend %d: %d", pid, n)
	}
	cut.Store(true)
	waitUntil(t, "b leading", func() bool { return b.syncer.Status().Leader }, nil)
	select {
	case <-gatedB.entered:
	case <-time.After(60 * time.Second):
		t.Fatal("b did not write c2 within 60s of taking the lease")
	}
	openGate() // a's write goes on, then b's

	b.serves("acme.retail.orders.events", 2, c2)
	files["schemas/retail/orders/v1/orders.proto"] = gitfixture.OrdersProto("  // The order.\n  string order_id = 1;\n  // Its total.\n  acme.common.v1.Money total = 2;\n  // A note.\n  string note = 3;\n  // Channel.\n  string channel = 4;\n  // Gift?\n  bool gift = 5;\n")
	c3 := repo.Commit("add gift", files)
	b.serves("acme.retail.orders.events", 3, c3)
	a.serves("acme.retail.orders.events", 3, c3) // a follows

	if n := gatedA.late.Load(); n != 0 {
		t.Errorf("a wrote %d times after its lease was gone", n)
	}
	waitUntil(t, "a following", func() bool { return !a.syncer.Status().Leader }, nil)
	if st := b.syncer.Status(); !st.Leader {
		t.Errorf("b no longer leads: %+v", st)
	}
	if ta, tb := leaserA.count(), leaserB.count(); ta != 1 || tb != 1 {
		t.Errorf("lease taken %d times by a and %d by b, want once each: it flapped", ta, tb)
	}
	if n := leaseHolders(t, schema); n != 1 {
		t.Errorf("%d connections hold the lease, want 1", n)
	}
}
