// Package estate builds a realistic schema estate with history for tests
// of the web catalog: a Git repository whose first commit is the demo
// schemas/ directory, followed by a compatible change, a breaking change
// the registry rejects, and a fix, ingested into a SQLite store exactly as
// `registry serve` does and served by the API with the web UI mounted.
//
// The history, oldest first:
//
//  1. Demo: the project's schemas/ directory, verbatim.
//  2. Compatible: OrderEvent gains a documented field (channel), so
//     acme.retail.orders.events has version 2.
//  3. Breaking: OrderEvent.customer_id becomes an int64. The topic is
//     FULL_TRANSITIVE, so the commit is recorded as a rejection of it.
//  4. Fixed: customer_id is a string again and OrderEvent gains another
//     field (sales_region): version 3. The dead-letter topic
//     acme.retail.orders.private.dlq switches to compatibility NONE and
//     turns DeadLetter.attempts from int32 into a string, which it
//     accepts as version 2 although FULL compatibility (what the diff view
//     checks) flags it. The notifications dead-letter topic's description
//     quotes Hostile, which pages must show as text.
package estate

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/backbone-registry/backbone/api"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/gitsync"
	"github.com/backbone-registry/backbone/lint"
	"github.com/backbone-registry/backbone/sqlite"
	"github.com/backbone-registry/backbone/web"
)

// Names the tests look for.
const (
	// Orders is the topic with three versions and one rejected commit.
	Orders = "acme.retail.orders.events"
	// DeadLetters is the topic whose versions 1 and 2 differ in a way FULL
	// compatibility calls breaking.
	DeadLetters = "acme.retail.orders.private.dlq"
	// HostileTopic is the topic whose description quotes Hostile.
	HostileTopic = "acme.customer.notifications.private.dlq"
	// Hostile is markup that must reach the reader as text, never run.
	Hostile = "<script>alert(1)</script>"
)

// Commits are the SHAs of the estate's history, oldest first.
type Commits struct {
	Demo       string // the demo schemas/ directory
	Compatible string // OrderEvent.channel added: orders.events version 2
	Breaking   string // OrderEvent.customer_id as int64: rejected
	Fixed      string // customer_id restored, sales_region added: version 3; dlq version 2
}

// Estate is an ingested estate: its Git repository, its store and the
// snapshot served by the API with the web catalog mounted, as `registry
// serve` wires them, on a local test server.
type Estate struct {
	// URL is the base URL of the server, e.g. "http://127.0.0.1:40123".
	URL string
	// Dir is the Git repository's work tree.
	Dir      string
	Commits  Commits
	Snapshot *catalog.Snapshot

	store *sqlite.Store
	srv   *httptest.Server
}

// Catalog returns the catalog served.
func (e *Estate) Catalog() *catalog.Catalog { return e.Snapshot.Catalog() }

// Close stops the server and closes the store.
func (e *Estate) Close() error {
	e.srv.Close()
	return e.store.Close()
}

// New builds the estate in a temp dir and serves it until the test ends.
func New(t testing.TB) *Estate {
	t.Helper()
	e, err := Build(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// Build creates the Git repository in dir/repo and the store in
// dir/registry.db, ingests the history and starts the server; Close stops
// it. Commit times and the ingester's clock are fixed, so every build has
// the same SHAs and dates.
func Build(ctx context.Context, dir string) (*Estate, error) {
	files, err := demoFiles()
	if err != nil {
		return nil, err
	}
	e := &Estate{Dir: filepath.Join(dir, "repo")}
	repo, err := newRepo(e.Dir)
	if err != nil {
		return nil, err
	}
	if e.Commits.Demo, err = repo.commit("Demo estate", files); err != nil {
		return nil, err
	}

	const orders = "retail/orders/v1/orders.proto"
	const anchor = "  string customer_id = 3;\n"
	edit := func(file, old, new string) error {
		if !strings.Contains(files[file], old) {
			return fmt.Errorf("estate: %s has no %q to change", file, old)
		}
		files[file] = strings.Replace(files[file], old, new, 1)
		return nil
	}
	channel := anchor + "  // Sales channel the order came from, e.g. \"web\", \"app\" or \"store\".\n  string channel = 4;\n"
	if err := edit(orders, anchor, channel); err != nil {
		return nil, err
	}
	if e.Commits.Compatible, err = repo.commit("orders: say which sales channel an order came from", files); err != nil {
		return nil, err
	}

	if err := edit(orders, anchor, "  int64 customer_id = 3;\n"); err != nil {
		return nil, err
	}
	if e.Commits.Breaking, err = repo.commit("orders: customer ids are numbers now", files); err != nil {
		return nil, err
	}

	if err := edit(orders, "  int64 customer_id = 3;\n", anchor); err != nil {
		return nil, err
	}
	if err := edit(orders, "  string channel = 4;\n", "  string channel = 4;\n"+
		"  // Sales region that books the order's revenue, e.g. \"emea-west\".\n  string sales_region = 5;\n"); err != nil {
		return nil, err
	}
	const dlqYAML = "retail/orders/service.yaml"
	if err := edit(dlqYAML, "      on-call can inspect and replay them.\n    value: acme.retail.orders.v1.DeadLetter\n",
		"      on-call can inspect and replay them. Only on-call tools read it, so its\n"+
			"      contract may change freely (compatibility NONE).\n"+
			"    value: acme.retail.orders.v1.DeadLetter\n    compatibility: NONE\n"); err != nil {
		return nil, err
	}
	if err := edit("retail/orders/v1/dead_letter.proto",
		"  // Number of processing attempts made, the first one included; at least 1.\n  int32 attempts = 10;\n",
		"  // Processing attempts made, the first one included, as \"3 of 5\".\n  string attempts = 10;\n"); err != nil {
		return nil, err
	}
	if err := edit("customer/notifications/service.yaml", "resend. Holds no message content or contact details.",
		"resend. Holds no message content or contact details. A template error quotes the\n      offending markup as text, e.g. "+Hostile+"."); err != nil {
		return nil, err
	}
	if e.Commits.Fixed, err = repo.commit("orders: customer ids stay strings; add the sales region; free the dead letters", files); err != nil {
		return nil, err
	}

	e.Snapshot, e.store, err = Ingest(ctx, e.Dir, "", filepath.Join(dir, "registry.db"), func() time.Time { return repo.when })
	if err != nil {
		return nil, fmt.Errorf("estate: %w", err)
	}
	e.srv = httptest.NewServer(api.New(e.Snapshot, api.Config{Version: "estate", Web: web.New(e.Snapshot, web.Config{Version: "estate"}), Check: lint.Checker(catalog.Options{})}))
	e.URL = e.srv.URL
	return e, nil
}

// Ingest syncs the whole first-parent history of branch main of the Git
// repository at repoDir (schema root root, "" for the repository's root)
// into a new SQLite store at dbPath, as `registry serve` does, with now as
// the ingester's clock (nil: the real one). It returns the snapshot that
// serves the result and the store, which the caller closes.
func Ingest(ctx context.Context, repoDir, root, dbPath string, now func() time.Time) (*catalog.Snapshot, *sqlite.Store, error) {
	log := slog.New(slog.DiscardHandler)
	store, err := sqlite.Open(ctx, dbPath, log)
	if err != nil {
		return nil, nil, err
	}
	src, err := gitsync.Open(ctx, gitsync.Config{Source: repoDir})
	if err != nil {
		_ = store.Close()
		return nil, nil, err
	}
	snap := &catalog.Snapshot{}
	in := &catalog.Ingester{
		Store: store, Snapshot: snap, Log: log, Branch: "main", Origin: repoDir,
		Source:  gitsync.Files{Repo: src, Opts: gitsync.TreeOptions{Root: root, Want: catalog.IsRepositoryFile}},
		Options: catalog.Options{Now: now},
	}
	if _, err := in.Sync(ctx); err != nil {
		_ = store.Close()
		return nil, nil, fmt.Errorf("ingest: %w", err)
	}
	return snap, store, nil
}

// Synced is Ingest for a test: the store lives in a temp dir and closes
// when tb ends, the clock is fixed at 2026-11-24, and a commit the history
// rejected fails tb (fixtures are meant to be accepted).
func Synced(tb testing.TB, repoDir, root string) *catalog.Snapshot {
	tb.Helper()
	snap, store, err := Ingest(tb.Context(), repoDir, root, filepath.Join(tb.TempDir(), "registry.db"),
		func() time.Time { return time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC) })
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	if c := snap.Catalog(); c != nil {
		if rej := c.History().Rejections(); len(rej) > 0 {
			tb.Fatalf("the fixture was rejected: %+v", rej)
		}
	}
	return snap
}

// demoFiles reads the project's schemas/ directory, by path relative to it.
func demoFiles() (map[string]string, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(root, "schemas")
	files := map[string]string{}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("estate: read the demo schemas: %w", err)
	}
	return files, nil
}

// moduleRoot is the directory of go.mod: found from this file's path, or
// from `go env GOMOD` when the binary was built with -trimpath.
func moduleRoot() (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok {
		root := filepath.Join(filepath.Dir(file), "..", "..")
		if _, err := os.Stat(filepath.Join(root, "schemas", "registry.yaml")); err == nil {
			return root, nil
		}
	}
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("estate: find the module root: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("estate: find the module root: not inside the module")
	}
	return filepath.Dir(gomod), nil
}

// gitRepo commits whole file sets on main with a fixed author and clock.
type gitRepo struct {
	dir  string
	repo *git.Repository
	when time.Time
}

func newRepo(dir string) (*gitRepo, error) {
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		return nil, fmt.Errorf("estate: init repository: %w", err)
	}
	return &gitRepo{dir: dir, repo: repo, when: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}, nil
}

// commit writes files (creating fresh files: the directory is new, so
// nothing is written through a link) and commits them.
func (r *gitRepo) commit(msg string, files map[string]string) (string, error) {
	wt, err := r.repo.Worktree()
	if err != nil {
		return "", err
	}
	for name, content := range files {
		p := filepath.Join(r.dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return "", err
		}
		if _, err := wt.Add(name); err != nil {
			return "", fmt.Errorf("estate: add %s: %w", name, err)
		}
	}
	r.when = r.when.Add(26 * time.Hour)
	h, err := wt.Commit(msg, &git.CommitOptions{
		Author: &object.Signature{Name: "Ada Lovelace", Email: "ada@example.com", When: r.when},
	})
	if err != nil {
		return "", fmt.Errorf("estate: commit %q: %w", msg, err)
	}
	return h.String(), nil
}
