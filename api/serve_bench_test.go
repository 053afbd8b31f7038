package api_test

import (
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/backbone-registry/backbone/api"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/gitsync"
	"github.com/backbone-registry/backbone/internal/gitfixture"
	"github.com/backbone-registry/backbone/sqlite"
)

// In-process benchmarks of the two hot Confluent reads (DESIGN.md §7), over
// the demo estate (../schemas) committed twice (the second commit adds a
// field to orders.proto) and ingested into SQLite, as bench/serve does:
//
//	go test ./api -run '^$' -bench 'SchemaByID|Latest|BareHandler' -benchmem
//
// "hot" is what clients get (hotpath.go); "huma" sends the same request
// through huma (a non-matching If-None-Match makes the hot path pass);
// BenchmarkBareHandler is a bare net/http handler writing the same body
// with the same Content-Type. All go through httptest.NewRecorder, so the
// recorder's own allocations are in every line. The load test over real
// connections is bench/serve (docs/BENCHMARKS.md, "Serving").

const benchSubject = "acme.retail.orders.events-value"

// benchServer ingests the demo estate and returns Backbone's handler with
// the paths of the latest version of benchSubject and of its schema ID.
func benchServer(b *testing.B) (h http.Handler, idPath, latestPath string) {
	b.Helper()
	files := map[string]string{}
	err := filepath.WalkDir("../schemas", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel("../schemas", p)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	repo := gitfixture.New(b)
	repo.Commit("demo estate", files)
	const orders, anchor = "retail/orders/v1/orders.proto", "  string customer_id = 3;\n"
	files[orders] = strings.Replace(files[orders], anchor, anchor+"  // Sales channel.\n  string channel = 4;\n", 1)
	repo.Commit("orders: add channel", files)

	log := slog.New(slog.DiscardHandler)
	store, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "r.db"), log)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	r, err := gitsync.Open(b.Context(), gitsync.Config{Source: repo.Dir})
	if err != nil {
		b.Fatal(err)
	}
	snap := &catalog.Snapshot{}
	in := &catalog.Ingester{Store: store, Snapshot: snap, Log: log, Branch: "main",
		Source: gitsync.Files{Repo: r, Opts: gitsync.TreeOptions{Want: catalog.IsRepositoryFile}}}
	if _, err := in.Sync(b.Context()); err != nil {
		b.Fatal(err)
	}
	entries := snap.Catalog().History().Subject(benchSubject)
	if len(entries) != 2 {
		b.Fatalf("%s has %d versions, want 2", benchSubject, len(entries))
	}
	s, _ := snap.Catalog().History().SchemaByHash(entries[1].Hash)
	return api.New(snap, api.Config{}), "/schemas/ids/" + strconv.FormatInt(s.ID, 10), "/subjects/" + benchSubject + "/versions/latest"
}

func benchRequest(path string, headers ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.Header.Set("Accept", "application/vnd.schemaregistry.v1+json")
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	return r
}

// serveBench serves req over and over, checking the first answer.
func serveBench(b *testing.B, h http.Handler, req *http.Request) {
	b.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusOK || w.Body.Len() < 1000 {
		b.Fatalf("GET %s: %d %.200s", req.URL, w.Code, w.Body)
	}
	b.SetBytes(int64(w.Body.Len()))
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
	}
}

func BenchmarkSchemaByID(b *testing.B) {
	h, idPath, _ := benchServer(b)
	b.Run("hot", func(b *testing.B) { serveBench(b, h, benchRequest(idPath)) })
	b.Run("huma", func(b *testing.B) { serveBench(b, h, benchRequest(idPath, "If-None-Match", `"no-match"`)) })
}

func BenchmarkLatest(b *testing.B) {
	h, _, latestPath := benchServer(b)
	b.Run("hot", func(b *testing.B) { serveBench(b, h, benchRequest(latestPath)) })
	b.Run("huma", func(b *testing.B) { serveBench(b, h, benchRequest(latestPath, "If-None-Match", `"no-match"`)) })
}

// BenchmarkBareHandler writes Backbone's bodies from a bare handler.
func BenchmarkBareHandler(b *testing.B) {
	h, idPath, latestPath := benchServer(b)
	for _, p := range []struct{ name, path string }{{"schema-by-id", idPath}, {"latest", latestPath}} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, benchRequest(p.path))
		body, ct := w.Body.Bytes(), w.Header().Get("Content-Type")
		bare := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", ct)
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			_, _ = w.Write(body)
		})
		b.Run(p.name, func(b *testing.B) { serveBench(b, bare, benchRequest(p.path)) })
	}
}
