package catalog_test

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/backbone-registry/backbone/bench/sync/synthrepo"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/gitsync"
	"github.com/backbone-registry/backbone/sqlite"
)

// The sync benchmarks of DESIGN.md §7 at a size `go test -bench` can set up
// in a minute: 50 services × 5 topics. The full-size runs (1,000 topics,
// 10,000 commits) are bench/sync; see docs/BENCHMARKS.md.
//
//	go test -run '^$' -bench 'IncrementalSync|Restore' -benchtime 20x ./catalog/

const benchServices = 50

// syncBench is a synthetic repository synced into a SQLite store.
type syncBench struct {
	built *synthrepo.Built
	store *sqlite.Store
	snap  *catalog.Snapshot
	in    *catalog.Ingester
	path  string
}

// newSyncBench generates a repository of history commits and syncs all of
// it (not timed: the benchmarks start after it).
func newSyncBench(b *testing.B, services, history int) *syncBench {
	b.Helper()
	dir := b.TempDir()
	built, err := synthrepo.Build(filepath.Join(dir, "repo.git"), synthrepo.Config{Services: services}, history, 10, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	s := &syncBench{built: built, path: filepath.Join(dir, "registry.db")}
	store, err := sqlite.Open(b.Context(), s.path, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	repo, err := gitsync.Open(b.Context(), gitsync.Config{Source: built.Dir})
	if err != nil {
		b.Fatal(err)
	}
	s.store, s.snap = store, &catalog.Snapshot{}
	s.in = &catalog.Ingester{
		Store: store, Snapshot: s.snap, Log: slog.New(slog.DiscardHandler), Origin: built.Dir, Branch: "main",
		Source: gitsync.Files{Repo: repo, Opts: gitsync.TreeOptions{Root: synthrepo.Root, Want: catalog.IsRepositoryFile}},
	}
	if n, err := s.in.Sync(b.Context()); err != nil || n != history {
		b.Fatalf("initial sync: %d commits, %v; want %d", n, err, history)
	}
	if rej := s.snap.Catalog().History().Rejections(); len(rej) > 0 {
		b.Fatalf("initial sync: %d rejected commits, want none", len(rej))
	}
	return s
}

// BenchmarkIncrementalSync times serving one new commit (one to three
// files changed compatibly) after histories of different lengths: the cost
// should not grow with the history.
func BenchmarkIncrementalSync(b *testing.B) {
	for _, history := range []int{20, 200} {
		b.Run(fmt.Sprintf("topics=%d/history=%d", benchServices*synthrepo.TopicsPerService, history), func(b *testing.B) {
			s := newSyncBench(b, benchServices, history)
			g := s.built.Head
			for b.Loop() {
				b.StopTimer()
				h, _, err := g.Next()
				if err == nil {
					err = s.built.SetHead("main", g)
				}
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if n, err := s.in.Sync(b.Context()); err != nil || n != 1 {
					b.Fatalf("sync: %d commits, %v", n, err)
				}
				if got := s.snap.Catalog().History().State().Commit; got != h.String() {
					b.Fatalf("serving %s, want %s", got, h)
				}
			}
		})
	}
}

// BenchmarkRestore times a restart: open the persisted store and restore
// the served snapshot, without Git. The texts' compaction that follows in
// the background is not timed.
func BenchmarkRestore(b *testing.B) {
	s := newSyncBench(b, benchServices, 20)
	if err := s.store.Close(); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		store, err := sqlite.Open(b.Context(), s.path, slog.New(slog.DiscardHandler))
		if err != nil {
			b.Fatal(err)
		}
		snap := &catalog.Snapshot{}
		in := &catalog.Ingester{Store: store, Snapshot: snap, Log: slog.New(slog.DiscardHandler)}
		if err := in.Restore(b.Context()); err != nil || snap.Catalog() == nil {
			b.Fatalf("restore: %v", err)
		}
		b.StopTimer()
		<-in.Compacted() // background work after the restore: not in its time, nor in the next one's
		store.Close()
		b.StartTimer()
	}
}
