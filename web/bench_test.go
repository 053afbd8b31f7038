package web_test

// Page rendering benchmarks: every page of a generated estate of 1,000
// topics and 200 services (bench/sync/synthrepo, with a short history so
// that version tables and diffs have content), against the same page of
// the bundled demo (14 topics, 9 services) in the same run. The target
// (issue 7) is under 50 ms per page; see docs/BENCHMARKS.md.
//
//	go test -run '^$' -bench Pages -benchtime 50x ./web/

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/backbone-registry/backbone/bench/sync/synthrepo"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/gitsync"
	"github.com/backbone-registry/backbone/sqlite"
	"github.com/backbone-registry/backbone/web"
)

// benchPages are the pages measured, with a placeholder topic, service,
// namespace and field filled per estate.
func benchPages(topic, service, namespace, field string) []string {
	return []string{
		"/",
		"/search?q=" + field,
		"/topics",
		"/topics?namespace=" + namespace,
		"/topics/" + topic,
		"/topics/" + topic + "/diff",
		"/services",
		"/services/" + service,
		"/graph",
		"/graph?namespace=" + namespace,
		"/graph?service=" + service,
		"/status",
	}
}

// generatedEstate syncs a generated repository of 200 services (1,000
// topics) with a few commits into a SQLite store.
func generatedEstate(b *testing.B) *catalog.Snapshot {
	b.Helper()
	dir := b.TempDir()
	const commits = 6
	built, err := synthrepo.Build(filepath.Join(dir, "repo.git"), synthrepo.Config{Services: 200}, commits, 10, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	store, err := sqlite.Open(b.Context(), filepath.Join(dir, "registry.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	repo, err := gitsync.Open(b.Context(), gitsync.Config{Source: built.Dir})
	if err != nil {
		b.Fatal(err)
	}
	snap := &catalog.Snapshot{}
	in := &catalog.Ingester{
		Store: store, Snapshot: snap, Log: slog.New(slog.DiscardHandler), Origin: built.Dir, Branch: "main",
		Source: gitsync.Files{Repo: repo, Opts: gitsync.TreeOptions{Root: synthrepo.Root, Want: catalog.IsRepositoryFile}},
	}
	if n, err := in.Sync(b.Context()); err != nil || n != commits {
		b.Fatalf("sync: %d commits, %v", n, err)
	}
	return snap
}

func BenchmarkPages(b *testing.B) {
	demo, err := catalog.Load(b.Context(), os.DirFS("../schemas"), catalog.Options{})
	if err != nil {
		b.Fatal(err)
	}
	big := generatedEstate(b).Catalog()
	if n := len(big.Topics(catalog.TopicFilter{})); n != 1000 || len(big.Services()) != 200 {
		b.Fatalf("generated estate: %d topics, %d services", n, len(big.Services()))
	}
	// A topic of the generated estate with at least two versions, for the diff.
	bigTopic := ""
	for _, t := range big.Topics(catalog.TopicFilter{Kind: "events"}) {
		if len(big.History().Versions(t.Name)) >= 2 {
			bigTopic = t.Name
			break
		}
	}
	if bigTopic == "" {
		b.Fatal("no generated topic has two versions")
	}
	t, _ := big.Topic(bigTopic)
	estates := []struct {
		name  string
		c     *catalog.Catalog
		pages []string
	}{
		{"demo", demo, benchPages("acme.retail.orders.events", "acme.retail.orders", "retail", "customer_id")},
		{"1000-topics", big, benchPages(bigTopic, t.Service, t.Namespace, "postal_code")},
	}
	for i := range estates[0].pages {
		for _, e := range estates {
			path := e.pages[i]
			h := web.New(staticSource{e.c}, web.Config{})
			// The first request builds what is built once per snapshot
			// (the search index): not what a page view costs.
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			want := http.StatusOK
			if e.name == "demo" && path == "/topics/acme.retail.orders.events/diff" {
				want = http.StatusNotFound // the demo directory has no history
			}
			if rec.Code != want {
				b.Fatalf("%s %s: %d", e.name, path, rec.Code)
			}
			b.Run(fmt.Sprintf("%s/%s", pageName(estates[0].pages[i]), e.name), func(b *testing.B) {
				b.ReportAllocs()
				size := 0
				for b.Loop() {
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
					size = rec.Body.Len()
				}
				b.ReportMetric(float64(size)/1024, "KiB/page")
			})
		}
	}
}

// pageName names a benchmark after the page's path, without the demo's
// names.
func pageName(path string) string {
	names := map[string]string{
		"/": "home", "/search?q=customer_id": "search", "/topics": "topics", "/topics?namespace=retail": "topics-namespace",
		"/topics/acme.retail.orders.events": "topic", "/topics/acme.retail.orders.events/diff": "diff",
		"/services": "services", "/services/acme.retail.orders": "service", "/graph": "graph",
		"/graph?namespace=retail": "graph-namespace", "/graph?service=acme.retail.orders": "graph-service", "/status": "status",
	}
	return names[path]
}

// BenchmarkSearchIndex times what the first search of a new snapshot
// builds: the message and field index of 1,000 topics.
func BenchmarkSearchIndex(b *testing.B) {
	snap := generatedEstate(b)
	files := snap.Catalog().Files()
	for b.Loop() {
		b.StopTimer()
		c, err := catalog.LoadFiles(b.Context(), files, catalog.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if res := c.Search("postal_code", 10); len(res.Fields) == 0 {
			b.Fatal("no event_id field")
		}
	}
}
