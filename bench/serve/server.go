package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/backbone-registry/backbone/api"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/gitsync"
	"github.com/backbone-registry/backbone/internal/gitfixture"
	"github.com/backbone-registry/backbone/sqlite"
)

// The two servers, each run as a child process of the benchmark (-role):
// Backbone's real handler over a real ingested history, and the bare
// net/http handler. Both use the same http.Server settings as `registry
// serve`, print "ADDR host:port" on stdout once listening, and exit when
// their stdin closes.

// newServer returns an http.Server configured as cmd/registry's.
func newServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}

// serveUntilStdinCloses listens on loopback, announces the address and
// serves until the parent closes stdin.
func serveUntilStdinCloses(h http.Handler, onStop func()) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := newServer(h)
	go func() { _ = srv.Serve(ln) }()
	fmt.Printf("ADDR %s\n", ln.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin) // the parent closes stdin to stop us
	if onStop != nil {
		onStop()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return srv.Shutdown(ctx)
}

// runBackbone builds the fixture history and serves api.New over it.
// With cpuprofile, the serving (not the setup) is profiled.
func runBackbone(schemasDir, cpuprofile string) error {
	tmp, err := os.MkdirTemp("", "backbone-bench-serve-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	tb := &fixtureTB{dir: tmp}
	defer tb.cleanup()

	snap, err := ingestFixture(tb, schemasDir, tmp)
	if err != nil {
		return err
	}
	h := api.New(snap, api.Config{Version: "bench"})
	runtime.GC()
	var stop func()
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		stop = func() { pprof.StopCPUProfile(); _ = f.Close() }
	}
	return serveUntilStdinCloses(h, stop)
}

// ingestFixture commits the demo schemas to a Git repository built with
// internal/gitfixture, then a second commit that adds a field to
// orders.proto (so acme.retail.orders.events-value has two versions), and
// ingests both with catalog.Ingester into a SQLite store, as `registry
// serve` does.
func ingestFixture(tb *fixtureTB, schemasDir, tmp string) (*catalog.Snapshot, error) {
	files := map[string]string{}
	err := filepath.WalkDir(schemasDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(schemasDir, p)
		files[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	const orders = "retail/orders/v1/orders.proto"
	const anchor = "  string customer_id = 3;\n"
	if !strings.Contains(files[orders], anchor) {
		return nil, fmt.Errorf("%s/%s: no %q to add a field after", schemasDir, orders, strings.TrimSpace(anchor))
	}
	repo := gitfixture.New(tb)
	repo.Commit("demo estate", files)
	files[orders] = strings.Replace(files[orders], anchor,
		anchor+"  // Sales channel the order came from, e.g. \"web\" or \"store\".\n  string channel = 4;\n", 1)
	repo.Commit("orders: add channel", files)

	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	store, err := sqlite.Open(ctx, filepath.Join(tmp, "registry.db"), log)
	if err != nil {
		return nil, err
	}
	tb.Cleanup(func() { store.Close() })
	r, err := gitsync.Open(ctx, gitsync.Config{Source: repo.Dir})
	if err != nil {
		return nil, err
	}
	snap := &catalog.Snapshot{}
	in := &catalog.Ingester{Store: store, Snapshot: snap, Log: log, Branch: "main",
		Source: gitsync.Files{Repo: r, Opts: gitsync.TreeOptions{Want: catalog.IsRepositoryFile}}}
	if _, err := in.Sync(ctx); err != nil {
		return nil, fmt.Errorf("ingest the fixture: %w", err)
	}
	if snap.Catalog() == nil || snap.Catalog().History() == nil {
		return nil, fmt.Errorf("ingest the fixture: no history served")
	}
	return snap, nil
}

// bareBody is one fixed response of the bare handler.
type bareBody struct {
	ContentType string `json:"content_type"`
	Body        []byte `json:"body"`
}

// runBare serves fixed bodies by path: the baseline "bare Go net/http
// handler returning a fixed body of the same size".
func runBare(bodiesFile string) error {
	data, err := os.ReadFile(bodiesFile)
	if err != nil {
		return err
	}
	var bodies map[string]bareBody
	if err := json.Unmarshal(data, &bodies); err != nil {
		return err
	}
	// Content-Length is set, so the body is not chunked: the cheapest way
	// to serve a fixed body, and the framing Backbone's hot path uses.
	return serveUntilStdinCloses(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := bodies[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", b.ContentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(b.Body)))
		_, _ = w.Write(b.Body)
	}), nil)
}

// fixtureTB lets internal/gitfixture, written for tests, build a
// repository in a program: the few testing.TB methods it calls, failures
// ending the process. The embedded nil testing.TB is never called.
type fixtureTB struct {
	testing.TB
	dir      string
	n        int
	cleanups []func()
}

func (t *fixtureTB) Helper() {}

func (t *fixtureTB) Fatal(args ...any) {
	fmt.Fprintln(os.Stderr, append([]any{"bench/serve: fixture:"}, args...)...)
	t.cleanup()
	os.Exit(1)
}

func (t *fixtureTB) Fatalf(format string, args ...any) { t.Fatal(fmt.Sprintf(format, args...)) }

func (t *fixtureTB) TempDir() string {
	t.n++
	dir := filepath.Join(t.dir, fmt.Sprintf("repo%d", t.n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func (t *fixtureTB) Cleanup(f func()) { t.cleanups = append(t.cleanups, f) }

func (t *fixtureTB) cleanup() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
	t.cleanups = nil
}

// readAddr reads the "ADDR host:port" line a child prints.
func readAddr(r io.Reader) (string, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if addr, ok := strings.CutPrefix(sc.Text(), "ADDR "); ok {
			go func() { _, _ = io.Copy(io.Discard, r) }()
			return addr, nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("the server exited before listening")
}
