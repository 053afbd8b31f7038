package catalog_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/gitsync"
	"github.com/backbone-registry/backbone/internal/gitfixture"
	"github.com/backbone-registry/backbone/sqlite"
)

// scriptedLeaser is a Leaser the test drives: it leads when told, and
// delivers the change notifications the test sends.
type scriptedLeaser struct {
	lead    atomic.Bool
	changes chan struct{}
}

func (l *scriptedLeaser) TryLead(context.Context) (bool, error) { return l.lead.Load(), nil }
func (l *scriptedLeaser) Resign(context.Context) error          { l.lead.Store(false); return nil }
func (l *scriptedLeaser) Changes(context.Context) (<-chan struct{}, error) {
	return l.changes, nil
}
func (l *scriptedLeaser) RequestSync(context.Context) error { return nil }
func (l *scriptedLeaser) SyncRequests(context.Context) (<-chan struct{}, error) {
	return nil, nil // one replica: no requests to hear
}
func (l *scriptedLeaser) Close() error { return nil }

// unreachable is a store whose reads of the sync state fail while down is
// set, as a database that went away.
type unreachable struct {
	registry.Store
	down atomic.Bool
}

func (s *unreachable) State(ctx context.Context) (registry.SyncState, error) {
	if s.down.Load() {
		return registry.SyncState{}, registry.Errorf(registry.EUNAVAILABLE, "database unavailable: connection refused (test)")
	}
	return s.Store.State(ctx)
}

func databaseLine(st catalog.SyncStatus) (string, bool) {
	i := slices.IndexFunc(st.Degraded, func(l string) bool { return strings.HasPrefix(l, "database: ") })
	if i < 0 {
		return "", false
	}
	return st.Degraded[i], true
}

// TestSyncDegradedDatabaseClears: a follower whose reload from the store
// fails says "database: …" in its degraded lines and keeps serving its
// snapshot; once the store answers and the replica takes the lease, the line
// goes. (It stayed for good: only a follower's next successful reload
// cleared it.)
func TestSyncDegradedDatabaseClears(t *testing.T) {
	t.Parallel()
	sq, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "registry.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sq.Close() })
	store := &unreachable{Store: sq}

	repo := gitfixture.New(t)
	c1 := repo.Commit("initial", gitfixture.BaseFiles())
	git, err := gitsync.Open(t.Context(), gitsync.Config{Source: repo.Dir})
	if err != nil {
		t.Fatal(err)
	}
	leader := &catalog.Ingester{
		Store: sq, Snapshot: &catalog.Snapshot{}, Log: slog.New(slog.NewTextHandler(t.Output(), nil)).With("replica", "leader"),
		Origin: repo.Dir, Branch: "main",
		Source: gitsync.Files{Repo: git, Opts: gitsync.TreeOptions{Root: "schemas", Want: catalog.IsRepositoryFile}},
	}
	if _, err := leader.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}

	leaser := &scriptedLeaser{changes: make(chan struct{}, 1)}
	r := startReplicaOn(t, "follower", store, leaser, repo)
	r.serves("acme.retail.orders.events", 1, c1)

	store.down.Store(true)
	leaser.changes <- struct{}{}
	waitUntil(t, "saying the database is degraded", func() bool {
		_, ok := databaseLine(r.syncer.Status())
		return ok
	}, nil)
	if line, _ := databaseLine(r.syncer.Status()); !strings.Contains(line, "database unavailable") {
		t.Errorf("degraded line %q: want it to say the database is unavailable", line)
	}
	if vs := r.versions("acme.retail.orders.events"); len(vs) != 1 || vs[0].Commit.SHA != c1 {
		t.Errorf("during the outage: serving %v, want the last snapshot", vs)
	}

	store.down.Store(false)
	leaser.lead.Store(true)
	r.syncer.Trigger()
	waitUntil(t, "leading with nothing degraded", func() bool {
		st := r.syncer.Status()
		return st.Leader && len(st.Degraded) == 0
	}, r.syncer.Trigger)
}
