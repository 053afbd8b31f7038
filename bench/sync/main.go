// Command sync benchmarks Backbone's Git sync (DESIGN.md §7): "a new commit
// on a 10,000-commit, 1,000-topic repository is served within 1 s of the
// webhook; cost independent of history length. A restart with a persisted
// store is ready in under 1 s without replaying Git history. Memory: 1,000
// topics × 20 versions served in under 300 MB RSS."
//
// It generates a bare Git repository with go-git's object API (package
// bench/sync/synthrepo: -services services × 5 topics, one .proto file per
// topic, a shared common import, fully documented so the catalog loads with
// no finding) and a first-parent history of -commits commits, each after the
// first changing one to three files compatibly. It packs the history into
// one packfile, as a clone has it. Then, with the embedded SQLite store and
// gitsync reading the repository in place:
//
//  1. Initial sync: catalog.Ingester.Sync over the whole history into a fresh
//     store, in chunks of -chunk commits, printing the throughput of each
//     chunk and overall, with the heap and RSS as it goes. Every commit is a
//     step, unless -stride k: then the source hides the commits between
//     every k-th one, so each step ingests k commits' changes at once. That
//     builds nearly the same versions (one per topic change) k times
//     faster, which is how a 10,000-commit store is built here in minutes
//     rather than hours.
//  2. Incremental sync: a new commit is pushed (written as loose objects,
//     the branch moved) and Sync is timed until the new snapshot is served;
//     median of -incremental commits per store, after one unmeasured warm-up.
//     With -compare-at n (default 1,000) below -commits, two more stores
//     are measured in the same run, in rotating order: a copy of the store
//     taken after n commits, following a branch forked at commit n (shorter
//     history, smaller files); and another copy following a branch that
//     adds to those n commits one commit bringing every file to the head's
//     content (the same files as the head, a tenth of the history). The
//     last ratio says whether the cost grows with the length of the history.
//     Each store's Syncs carry a pprof label (store=<name>), so
//     -inc-cpuprofile separates their CPU time (go tool pprof -tags).
//  3. Memory of the process that did all this (after runtime.GC).
//  4. Restart to ready: a fresh process (this program, re-executed) opens the
//     persisted store and runs Ingester.Restore until a snapshot is served,
//     without touching Git; median of -restarts, with that process's RSS
//     after runtime.GC and its heap in use.
//
// With -dir D -keep the repository and the stores stay in D; a later run
// with -reuse and the same -dir, -commits, -services, -compatibility and
// -compare-at regenerates the (deterministic) generator state, skips the
// initial sync and measures 2 to 4 again, with Ingesters restored from
// their stores (cold caches, as after a restart).
//
// Run it from the repository root:
//
//	go run ./bench/sync -commits 1000
//	go run ./bench/sync -commits 10000 -stride 10 -chunk 1000 -dir /tmp/sync-bench -keep
//	go run ./bench/sync -commits 10000 -dir /tmp/sync-bench -reuse -incremental 20
//	go run ./bench/sync -commits 1000 -cpuprofile /tmp/sync.pprof   # then: go tool pprof -top /tmp/sync.pprof
//	go run ./bench/sync -restore-child /tmp/sync-bench/main.db -cpuprofile /tmp/restore.pprof -memprofile /tmp/restore.heap
//
// Results are recorded in docs/BENCHMARKS.md.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/bench/sync/synthrepo"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/compat"
	"github.com/backbone-registry/backbone/gitsync"
	"github.com/backbone-registry/backbone/sqlite"
)

var discard = slog.New(slog.DiscardHandler)

func main() {
	commits := flag.Int("commits", 1000, "commits of history, the initial one included")
	services := flag.Int("services", 200, "services; each owns 5 topics")
	compatibility := flag.String("compatibility", "BACKWARD_TRANSITIVE", "registry.yaml default compatibility")
	compareAt := flag.Int("compare-at", 1000, "also measure incremental sync on a store copied after this many commits (0: off; used only below -commits)")
	chunk := flag.Int("chunk", 500, "commits per Sync call during the initial sync (progress lines)")
	stride := flag.Int("stride", 1, "initial sync: ingest only every stride-th commit, each step taking the changes since the previous one (builds the same versions per topic stride times faster; 1: every commit)")
	incremental := flag.Int("incremental", 10, "measured incremental commits per store (median of)")
	restarts := flag.Int("restarts", 5, "measured restarts per store (median of)")
	window := flag.Uint("pack-window", 10, "packfile delta window (0: no deltas)")
	dirFlag := flag.String("dir", "", "where to put the repository and the stores (default: a temporary directory)")
	keep := flag.Bool("keep", false, "keep -dir")
	reuse := flag.Bool("reuse", false, "reuse what an earlier run with the same -dir, -keep and the same -commits, -services, -compatibility, -compare-at left in -dir: skip the generation and the initial sync (the Ingesters then start from their stores, with cold caches, as after a restart); implies -keep")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the initial sync to this file")
	incProfile := flag.String("inc-cpuprofile", "", "write a CPU profile of the incremental syncs to this file")
	memProfile := flag.String("memprofile", "", "write a heap profile (what is live) after the initial sync to this file (with -restore-child: after the restore)")
	child := flag.String("restore-child", "", "internal: restore the store at this path, report as JSON and exit")
	flag.Parse()

	ctx := context.Background()
	if *child != "" {
		stop := startProfile(*cpuprofile) // of the restore (-restore-child is also a way to profile one)
		check(restoreChild(ctx, *child, *memProfile, stop))
		return
	}
	if *compareAt >= *commits {
		*compareAt = 0
	}
	if *reuse {
		if *dirFlag == "" {
			check(errors.New("-reuse needs -dir"))
		}
		*keep = true
	}

	dir := *dirFlag
	var err error
	if dir == "" {
		dir, err = os.MkdirTemp("", "backbone-bench-sync-")
		check(err)
	} else {
		check(os.MkdirAll(dir, 0o755))
	}
	if !*keep {
		cleanup = func() { os.RemoveAll(dir) }
		defer cleanup()
	}
	fmt.Printf("machine: %s/%s, %d CPUs, %s, %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), loadavg())

	// ----- the repository
	start := time.Now()
	var at []int
	if *compareAt > 0 {
		at = append(at, *compareAt)
	}
	repoDir := filepath.Join(dir, "repo.git")
	cfg := synthrepo.Config{Services: *services, Compatibility: *compatibility}
	progress := func(n int) { fmt.Printf("  generated %d commits (%s)\n", n, time.Since(start).Round(time.Second)) }
	var built *synthrepo.Built
	if *reuse {
		built, err = synthrepo.Reopen(repoDir, cfg, *commits, at, progress)
	} else {
		built, err = synthrepo.Build(repoDir, cfg, *commits, *window, at, progress)
	}
	check(err)
	gens := []*synthrepo.Gen{built.Head}
	var catchUp *synthrepo.Gen
	if g := built.At[*compareAt]; g != nil {
		gens = append([]*synthrepo.Gen{g}, gens...)
		// The same short history, then one commit bringing the files to
		// the head's: the same content as main with a tenth of its history.
		catchUp = g.Fork(1<<32 | uint64(*compareAt))
		_, err := catchUp.CatchUp(built.Head, "Squash-merge the rest of the history")
		check(err)
		if *reuse {
			check(built.Replay(catchUpBranch, catchUp))
			check(built.Replay(synthrepo.Branch(*compareAt), g))
		} else {
			check(built.SetHead(catchUpBranch, catchUp))
		}
	}
	if *reuse {
		check(built.Replay("main", built.Head))
		fmt.Printf("repository: %s, regenerated and caught up with its branches in %s\n", repoDir, time.Since(start).Round(100*time.Millisecond))
	} else {
		fmt.Printf("repository: %s, generated and packed in %s\n", repoDir, time.Since(start).Round(100*time.Millisecond))
	}
	fmt.Printf("  %d commits, %d topics (%d services), %d files under %s/ (%.1f MB at the head), packfile %.1f MB (delta window %d)\n",
		*commits, built.Head.Topics(), *services, len(built.Head.SchemaFiles()), synthrepo.Root, mb(built.Head.Bytes()), mb(packSize(repoDir)), *window)
	for _, g := range gens {
		t0 := time.Now()
		cat, err := catalog.LoadFiles(ctx, g.SchemaFiles(), catalog.Options{})
		check(err)
		if n := len(cat.Findings()); n > 0 {
			check(fmt.Errorf("the generated catalog after %d commits has %d findings, first: %+v", g.Commits, n, cat.Findings()[0]))
		}
		fmt.Printf("  catalog.LoadFiles of the tree after %d commits: %d topics, no finding, %s\n", g.Commits, len(cat.Topics(catalog.TopicFilter{})), time.Since(t0).Round(time.Millisecond))
	}

	// ----- initial sync
	mainStore := filepath.Join(dir, "main.db")
	big, err := newRun(ctx, "main", built, "main", mainStore, built.Head)
	check(err)
	var small, same *run
	var catchUpTime time.Duration
	if *reuse {
		fmt.Printf("\nreusing the stores in %s: no initial sync; the Ingesters restore from their stores (cold caches)\n", dir)
		if catchUp != nil {
			small, err = newRun(ctx, fmt.Sprintf("at %d", *compareAt), built, synthrepo.Branch(*compareAt), filepath.Join(dir, fmt.Sprintf("at-%d.db", *compareAt)), built.At[*compareAt])
			check(err)
			same, err = newRun(ctx, fmt.Sprintf("%d + catch-up", *compareAt), built, catchUpBranch, filepath.Join(dir, fmt.Sprintf("at-%d-catch-up.db", *compareAt)), catchUp)
			check(err)
		}
		for _, r := range []*run{small, same, big} {
			if r == nil {
				continue
			}
			t0 := time.Now()
			if n, err := r.in.Sync(ctx); err != nil || n != 0 {
				check(fmt.Errorf("%s: synced %d commits, %v; want 0 (a store left by an earlier run)", r.name, n, err))
			}
			fmt.Printf("  %s: restored in %s\n", r.name, time.Since(t0).Round(time.Millisecond))
		}
	} else {
		history, _, err := big.repo.Since(ctx, built.Head.Head.String(), "", 0)
		check(err)
		if len(history) != *commits {
			check(fmt.Errorf("history has %d commits, want %d", len(history), *commits))
		}
		stopProfile := startProfile(*cpuprofile)
		if *stride > 1 {
			fmt.Printf("\ninitial sync, STRIDE %d: Ingester.Sync on every %dth commit only (the source skips the commits between, so each step ingests their changes at once), fresh SQLite store:\n", *stride, *stride)
		} else {
			fmt.Printf("\ninitial sync (Ingester.Sync over the history, %d commits per call, fresh SQLite store):\n", *chunk)
		}
		fmt.Printf("| commits | steps | chunk time | chunk steps/s | total time | overall steps/s | heap in use | RSS |\n|---|---|---|---|---|---|---|---|\n")
		var total time.Duration
		steps := 0
		for done := 0; done < *commits; {
			next := min(done+*chunk, *commits)
			if *compareAt > done && *compareAt < next {
				next = *compareAt
			}
			t0 := time.Now()
			n := 0
			if *stride <= 1 {
				big.src.head = history[next-1].SHA
				n, err = big.in.Sync(ctx)
				check(err)
			} else {
				for pos := done; pos < next; {
					pos = min(pos+*stride, next)
					big.src.head, big.src.skip = history[pos-1].SHA, true
					m, err := big.in.Sync(ctx)
					check(err)
					n += m
				}
			}
			d := time.Since(t0)
			if want := steps1(done, next, *stride); n != want {
				check(fmt.Errorf("synced %d commits, want %d", n, want))
			}
			total += d
			steps += n
			done = next
			hs, rss := memory()
			fmt.Printf("| %d | %d | %s | %.2f | %s | %.2f | %s | %s |\n", done, n, d.Round(100*time.Millisecond), float64(n)/d.Seconds(),
				total.Round(time.Second), float64(steps)/total.Seconds(), mbs(hs), mbs(rss))
			if done == *compareAt {
				// A copy of the store as it is after compareAt commits; the
				// writer is idle between syncs, so the database and its WAL
				// are consistent.
				smallStore := filepath.Join(dir, fmt.Sprintf("at-%d.db", done))
				check(copyDB(mainStore, smallStore))
				small, err = newRun(ctx, fmt.Sprintf("at %d", done), built, synthrepo.Branch(done), smallStore, built.At[done])
				check(err)
				if n, err := small.in.Sync(ctx); err != nil || n != 0 { // restores the copy
					check(fmt.Errorf("copy of the store after %d commits: synced %d commits, %v", done, n, err))
				}
				catchUpStore := filepath.Join(dir, fmt.Sprintf("at-%d-catch-up.db", done))
				check(copyDB(mainStore, catchUpStore))
				same, err = newRun(ctx, fmt.Sprintf("%d + catch-up", done), built, catchUpBranch, catchUpStore, catchUp)
				check(err)
				t1 := time.Now()
				if n, err := same.in.Sync(ctx); err != nil || n != 1 {
					check(fmt.Errorf("catch-up commit after %d commits: synced %d commits, %v", done, n, err))
				}
				catchUpTime = time.Since(t1)
			}
		}
		stopProfile()
		if *memProfile != "" {
			runtime.GC()
			f, err := os.Create(*memProfile)
			check(err)
			check(pprof.Lookup("heap").WriteTo(f, 0))
			check(f.Close())
			fmt.Printf("heap profile written to %s (go tool pprof -sample_index=inuse_space -top %s)\n", *memProfile, *memProfile)
		}
		fmt.Printf("initial sync: %d commits in %d steps, %s, %.2f steps/s, %.0f ms per step\n", *commits, steps, total.Round(100*time.Millisecond),
			float64(steps)/total.Seconds(), float64(total.Milliseconds())/float64(steps))
	}
	big.src.head, big.src.skip = "", false
	runs := []*run{big}
	if small != nil {
		runs = []*run{small, same, big}
	}
	if small != nil && !*reuse {
		fmt.Printf("catch-up commit (%d files, the changes of commits %d to %d in one) on a copy of the store after %d commits: ingested in %s (not part of the totals)\n",
			len(catchUp.SchemaFiles()), *compareAt+1, *commits, *compareAt, catchUpTime.Round(100*time.Millisecond))
	}
	for _, r := range runs {
		r.base = r.gen.Commits
		check(r.describe(ctx))
	}

	// ----- incremental sync
	fmt.Printf("\nincremental sync: push one commit (1–3 files changed compatibly), time Ingester.Sync until the snapshot serves it; %d per store after a warm-up\n", *incremental)
	for _, r := range runs {
		_, err := r.push(ctx) // warm-up
		check(err)
	}
	stopProfile := startProfile(*incProfile)
	for i := range *incremental {
		for j := range runs { // rotate who goes first
			r := runs[(i+j)%len(runs)]
			d, err := r.push(ctx)
			check(err)
			r.inc = append(r.inc, d)
		}
	}
	stopProfile()
	fmt.Printf("| store | history (+ pushed) | versions | schema files | median | min | max | all |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range runs {
		var all []string
		for _, d := range r.inc {
			all = append(all, ms(d))
		}
		fmt.Printf("| %s | %d (+%d) commits | %d | %.1f MB | **%s** | %s | %s | %s |\n", r.name, r.base, r.gen.Commits-r.base, r.versions(), mb(r.gen.Bytes()), ms(median(r.inc)), ms(slices.Min(r.inc)), ms(slices.Max(r.inc)), strings.Join(all, ", "))
	}
	if small != nil {
		fmt.Printf("incremental, medians: %s / %s: %.2f× (longer history and larger files); %s / %s: %.2f× (same files, %d vs %d commits of history)\n",
			big.name, small.name, median(big.inc).Seconds()/median(small.inc).Seconds(),
			big.name, same.name, median(big.inc).Seconds()/median(same.inc).Seconds(), big.base, same.base)
	}

	// ----- memory of this process
	if small != nil {
		check(small.close())
		check(same.close())
	}
	hs, rss := memory()
	fmt.Printf("\nthis process, serving %d topics × %.1f versions after syncing %d commits: RSS %s, heap in use %s (after runtime.GC, the other stores' Ingesters closed; includes the Ingester's caches, go-git's and the generator's state)\n",
		built.Head.Topics(), float64(big.versions())/float64(built.Head.Topics()), big.gen.Commits, mbs(rss), mbs(hs))
	check(big.close())

	// ----- restart
	self, err := os.Executable()
	check(err)
	fmt.Printf("\nrestart: a fresh process opens the store and runs Ingester.Restore until the snapshot is served (no Git); %d per store after a warm-up\n", *restarts)
	fmt.Printf("| store | topics | versions | ready, median | all | of which LoadFiles | RSS after GC | heap in use | peak RSS |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range runs {
		var res []childResult
		for i := range *restarts + 1 {
			c, err := runChild(self, r.path)
			check(err)
			if i > 0 {
				res = append(res, c)
			}
		}
		var ready, load []time.Duration
		var all []string
		for _, c := range res {
			ready = append(ready, c.Ready)
			load = append(load, c.Load)
			all = append(all, ms(c.Ready))
		}
		c := res[len(res)-1]
		fmt.Printf("| %s | %d | %d | **%s** | %s | %s | %s | %s | %s |\n", r.name, c.Topics, c.Versions, ms(median(ready)), strings.Join(all, ", "),
			ms(median(load)), mbs(c.RSS), mbs(c.HeapInuse), mbs(c.PeakRSS))
	}
	fmt.Printf("\ndone: %s\n", loadavg())
}

// ----- one store following one branch

// catchUpBranch is the branch with a short history and the head's content.
const catchUpBranch = "catch-up"

type run struct {
	name   string
	path   string
	repo   *gitsync.Repo
	src    *capped
	store  *sqlite.Store
	snap   *catalog.Snapshot
	in     *catalog.Ingester
	gen    *synthrepo.Gen
	branch string
	base   int // commits synced before the incremental measurement
	built  *synthrepo.Built
	inc    []time.Duration
}

// capped is the repository as the Ingester sees it, with a head that can
// be held back to sync the history in chunks.
type capped struct {
	gitsync.Files
	head string // "" : the branch's real head
	// skip makes Since report only the head as new, as if the commits
	// between had been processed (-stride).
	skip bool
}

func (c *capped) Since(ctx context.Context, head, since string, limit int) ([]registry.Commit, bool, error) {
	if c.skip {
		commits, _, err := c.Files.Since(ctx, head, since, 1)
		return commits, true, err
	}
	return c.Files.Since(ctx, head, since, limit)
}

// steps1 is how many Sync steps ingest the commits after done up to next.
func steps1(done, next, stride int) int {
	if stride <= 1 {
		return next - done
	}
	return (next - done + stride - 1) / stride
}

func (c *capped) Fetch(ctx context.Context) (string, error) {
	if c.head != "" {
		return c.head, nil
	}
	return c.Files.Fetch(ctx)
}

func newRun(ctx context.Context, name string, built *synthrepo.Built, branch, dbPath string, gen *synthrepo.Gen) (*run, error) {
	repoDir := built.Dir
	repo, err := gitsync.Open(ctx, gitsync.Config{Source: repoDir, Branch: branch})
	if err != nil {
		return nil, err
	}
	store, err := sqlite.Open(ctx, dbPath, discard)
	if err != nil {
		return nil, err
	}
	src := &capped{Files: gitsync.Files{Repo: repo, Opts: gitsync.TreeOptions{
		Root: synthrepo.Root, Want: catalog.IsRepositoryFile,
		LimitsFile: catalog.RepoFile, LimitsOf: catalog.LimitsOf(compat.Limits{}),
	}}}
	r := &run{name: name, path: dbPath, repo: repo, src: src, store: store, snap: &catalog.Snapshot{}, gen: gen, branch: branch, built: built}
	r.in = &catalog.Ingester{Store: store, Source: src, Snapshot: r.snap, Log: discard, Origin: repoDir, Branch: "main"}
	return r, nil
}

// push commits to the run's branch and times the sync that serves it.
func (r *run) push(ctx context.Context) (time.Duration, error) {
	h, _, err := r.gen.Next()
	if err != nil {
		return 0, err
	}
	if err := r.built.SetHead(r.branch, r.gen); err != nil {
		return 0, err
	}
	var n int
	t0 := time.Now()
	// Labelled, so that -inc-cpuprofile separates the stores:
	// go tool pprof -tagfocus store=main ...
	pprof.Do(ctx, pprof.Labels("store", r.name), func(ctx context.Context) { n, err = r.in.Sync(ctx) })
	d := time.Since(t0)
	if err != nil {
		return 0, err
	}
	served := r.snap.Catalog()
	if n != 1 || served == nil || served.History().State().Commit != h.String() {
		return 0, fmt.Errorf("%s: synced %d commits, serving %v; want the new commit %s served", r.name, n, served != nil, h)
	}
	return d, nil
}

func (r *run) versions() int {
	n := 0
	c := r.snap.Catalog()
	for _, t := range c.Topics(catalog.TopicFilter{}) {
		n += len(c.History().Versions(t.Name))
	}
	return n
}

func (r *run) describe(ctx context.Context) error {
	c := r.snap.Catalog()
	if c == nil {
		return fmt.Errorf("%s: nothing served", r.name)
	}
	if rej := c.History().Rejections(); len(rej) > 0 {
		return fmt.Errorf("%s: %d rejected commits, want none; first: %+v", r.name, len(rej), rej[0])
	}
	topics := c.Topics(catalog.TopicFilter{})
	var counts []int
	for _, t := range topics {
		counts = append(counts, len(c.History().Versions(t.Name)))
	}
	slices.Sort(counts)
	sum := 0
	for _, n := range counts {
		sum += n
	}
	fmt.Printf("store %q after %d commits: %d topics, %d versions (per topic: mean %.1f, min %d, median %d, max %d), %d subjects, %.1f MB on disk\n",
		r.name, r.gen.Commits, len(topics), sum, float64(sum)/float64(len(topics)), counts[0], counts[len(counts)/2], counts[len(counts)-1],
		len(c.History().Subjects()), mb(int(fileSize(r.path)+fileSize(r.path+"-wal"))))
	return nil
}

func (r *run) close() error {
	r.in, r.snap, r.repo, r.src = nil, nil, nil, nil // and their caches (go-git's object cache too)
	return r.store.Close()
}

// ----- restart, in a fresh process

type childResult struct {
	Ready     time.Duration // open the store + Ingester.Restore
	Compacted time.Duration // from ready until the texts are compressed and the memory returned (Ingester.Compacted)
	Load      time.Duration // catalog.LoadFiles of the stored tree, measured separately afterwards
	Topics    int
	Versions  int
	RSS       int64 // after runtime.GC, bytes
	PeakRSS   int64
	HeapInuse int64
}

func restoreChild(ctx context.Context, path, memProfile string, stopProfile func()) error {
	t0 := time.Now()
	store, err := sqlite.Open(ctx, path, discard)
	if err != nil {
		return err
	}
	defer store.Close()
	snap := &catalog.Snapshot{}
	in := &catalog.Ingester{Store: store, Snapshot: snap, Log: discard}
	if err := in.Restore(ctx); err != nil {
		return err
	}
	c := snap.Catalog()
	res := childResult{Ready: time.Since(t0)}
	stopProfile()
	if c == nil {
		return errors.New("nothing served after Restore")
	}
	// Memory is measured as `registry serve` runs after a restart: once
	// the background compaction is done.
	<-in.Compacted()
	res.Compacted = time.Since(t0) - res.Ready
	for _, t := range c.Topics(catalog.TopicFilter{}) {
		res.Topics++
		res.Versions += len(c.History().Versions(t.Name))
	}
	heap, rss := memory()
	res.RSS, res.HeapInuse = rss, heap
	res.PeakRSS = procStatus("VmHWM")
	if memProfile != "" {
		f, err := os.Create(memProfile)
		if err != nil {
			return err
		}
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	runtime.KeepAlive(c)

	tree, err := store.Tree(ctx)
	if err != nil {
		return err
	}
	t1 := time.Now()
	if _, err := catalog.LoadFiles(ctx, tree, catalog.Options{}); err != nil {
		return err
	}
	res.Load = time.Since(t1)
	return json.NewEncoder(os.Stdout).Encode(res)
}

func runChild(self, path string) (childResult, error) {
	var out, stderr bytes.Buffer
	cmd := exec.Command(self, "-restore-child", path)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return childResult{}, fmt.Errorf("restore child: %w\n%s", err, stderr.String())
	}
	var res childResult
	return res, json.Unmarshal(out.Bytes(), &res)
}

// ----- helpers

func startProfile(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	check(err)
	check(pprof.StartCPUProfile(f))
	return func() {
		pprof.StopCPUProfile()
		check(f.Close())
		fmt.Fprintf(os.Stderr, "CPU profile written to %s (go tool pprof -top %s)\n", path, path)
	}
}

// memory returns the heap in use and the RSS after a GC, in bytes.
func memory() (heap, rss int64) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse), procStatus("VmRSS")
}

// procStatus reads a "kB" field of /proc/self/status, in bytes.
func procStatus(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func copyDB(from, to string) error {
	for _, suffix := range []string{"", "-wal"} {
		src, err := os.Open(from + suffix)
		if errors.Is(err, os.ErrNotExist) && suffix != "" {
			continue
		}
		if err != nil {
			return err
		}
		dst, err := os.Create(to + suffix)
		if err != nil {
			src.Close()
			return err
		}
		_, err = io.Copy(dst, src)
		src.Close()
		if cerr := dst.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func packSize(repo string) int {
	var n int64
	matches, _ := filepath.Glob(filepath.Join(repo, "objects", "pack", "*.pack"))
	for _, m := range matches {
		n += fileSize(m)
	}
	return int(n)
}

func fileSize(p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return st.Size()
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d.Microseconds())/1000) }

func mb(b int) float64 { return float64(b) / 1e6 }

func mbs(b int64) string { return fmt.Sprintf("%.0f MB", float64(b)/(1<<20)) }

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "load average unknown"
	}
	f := strings.Fields(string(b))
	return "load average " + strings.Join(f[:3], " ")
}

// cleanup removes the temporary directory, also when check gives up.
var cleanup = func() {}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/sync:", err)
		cleanup()
		os.Exit(1)
	}
}
