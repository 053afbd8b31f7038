package main

import (
	"bytes"
	"io/fs"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backbone-registry/backbone/api"
	"github.com/backbone-registry/backbone/client"
	"github.com/backbone-registry/backbone/internal/estate"
	"github.com/backbone-registry/backbone/internal/gitfixture"
)

// demoServer serves the project's demo schemas (../../schemas), committed
// to a Git repository and ingested into the embedded store, as
// `registry serve` does.
func demoServer(t *testing.T) *httptest.Server {
	t.Helper()
	root := filepath.Join("..", "..", "schemas")
	files := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	repo := gitfixture.New(t)
	repo.Commit("the demo", files)

	snap := estate.Synced(t, repo.Dir, "")
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv := httptest.NewServer(api.New(snap, api.Config{Logger: logger}))
	t.Cleanup(srv.Close)
	return srv
}

func TestRun(t *testing.T) {
	t.Parallel()
	srv := demoServer(t)
	var out bytes.Buffer
	if err := run(t.Context(), srv.URL, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	t.Log(out.String())
	for _, want := range []string{
		"producer: acme.retail.orders.events version 1 from the registry: value acme.retail.orders.v1.OrderEvent, schema ID",
		"header 00 00 00 00",
		"message indexes [0]",
		"consumer: schema ID",
		"is acme.retail.orders.events version 1; indexes [0] name acme.retail.orders.v1.OrderEvent",
		"round trip: the consumer decoded what the producer sent",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output lacks %q", want)
		}
	}
	if n := strings.Count(out.String(), `"SHOE-RUN-42-BLK"`); n != 2 {
		t.Errorf("the order line is printed %d times, want twice (sent and received)", n)
	}
}

// TestRunFromCache runs the example once with a cache, stops the registry,
// and runs it again: both sides start from the cache.
func TestRunFromCache(t *testing.T) {
	t.Parallel()
	srv := demoServer(t)
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(t.Context(), srv.URL, &out, client.WithCacheDir(dir)); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	srv.Close()
	out.Reset()
	var logs bytes.Buffer
	if err := run(t.Context(), srv.URL, &out, client.WithCacheDir(dir), client.WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))); err != nil {
		t.Fatalf("run with the registry down: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "version 1 from the cache") || !strings.Contains(out.String(), "round trip") {
		t.Errorf("output:\n%s", out.String())
	}
	if n := strings.Count(logs.String(), "registry unreachable; using cached schema for acme.retail.orders.events version 1 from"); n != 1 {
		t.Errorf("%d log lines say the cache was used, want 1:\n%s", n, logs.String())
	}
}
