package api_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/backbone-registry/backbone/api"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/gitsync"
	"github.com/backbone-registry/backbone/internal/gitfixture"
	"github.com/backbone-registry/backbone/sqlite"
)

// historyServer syncs a two-version Git history into a real embedded store
// and serves it.
func historyServer(t *testing.T) (*httptest.Server, *catalog.Ingester) {
	t.Helper()
	repo := gitfixture.New(t)
	files := map[string]string{
		"registry.yaml":                 "company: acme\ndefaults:\n  level: WIRE_JSON\n",
		"retail/orders/service.yaml":    "description: Orders.\nowner: orders-team\ntopics:\n  - name: events\n    description: Order facts.\n    value: acme.retail.orders.v1.OrderEvent\n    key: string\n    compatibility: NONE\n",
		"retail/orders/v1/orders.proto": "syntax = \"proto3\";\npackage acme.retail.orders.v1;\nimport \"google/protobuf/timestamp.proto\";\n// Fact.\nmessage OrderEvent {\n  // ID.\n  string order_id = 1;\n  // When.\n  google.protobuf.Timestamp at = 2;\n  // Note.\n  string note = 3;\n}\n",
	}
	repo.Commit("v1", files)
	files["retail/orders/v1/orders.proto"] = strings.Replace(files["retail/orders/v1/orders.proto"], "  // Note.\n  string note = 3;\n", "", 1)
	repo.Commit("v2 drops note (mode NONE lets it through)", files)

	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "r.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	r, err := gitsync.Open(t.Context(), gitsync.Config{Source: repo.Dir})
	if err != nil {
		t.Fatal(err)
	}
	snap := &catalog.Snapshot{}
	in := &catalog.Ingester{Store: store, Snapshot: snap, Log: slog.New(slog.DiscardHandler), Branch: "main",
		Source:  gitsync.Files{Repo: r, Opts: gitsync.TreeOptions{Want: catalog.IsRepositoryFile}},
		Options: catalog.Options{Now: func() time.Time { return time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC) }}}
	syncer := &catalog.Syncer{Ingester: in, Log: slog.New(slog.DiscardHandler)}
	if _, err := in.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	metrics := api.NewMetrics(snap, in, syncer)
	srv := httptest.NewServer(api.New(snap, api.Config{Syncer: syncer, Metrics: metrics}))
	t.Cleanup(srv.Close)
	return srv, in
}

func get(t *testing.T, url, accept string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func TestVersionsAndDiff(t *testing.T) {
	t.Parallel()
	srv, _ := historyServer(t)
	base := srv.URL + "/v1/topics/acme.retail.orders.events"

	resp, body := get(t, base+"/versions", "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"version":2`) {
		t.Fatalf("versions: %d %s", resp.StatusCode, body)
	}
	resp, body = get(t, base+"/versions/latest", "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"version":2`) || resp.Header.Get("Cache-Control") != "public, max-age=5" {
		t.Errorf("latest: %d %s %s", resp.StatusCode, resp.Header.Get("Cache-Control"), body)
	}
	resp, body = get(t, base+"/versions/1", "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), "string note = 3") || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("version 1: %d %s", resp.StatusCode, body)
	}
	if resp, _ := get(t, base+"/versions/9", ""); resp.StatusCode != 404 {
		t.Errorf("version 9: got %d, want 404", resp.StatusCode)
	}
	if resp, _ := get(t, base+"/versions/abc", ""); resp.StatusCode != 422 {
		t.Errorf("version abc: got %d, want 422", resp.StatusCode)
	}

	// A FileDescriptorSet, dependencies first, the well-known type included.
	resp, body = get(t, base+"/versions/2", "application/x-protobuf")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-protobuf" {
		t.Fatalf("x-protobuf: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(body, &set); err != nil {
		t.Fatalf("decode FileDescriptorSet: %v", err)
	}
	var names []string
	for _, f := range set.File {
		names = append(names, f.GetName())
	}
	if strings.Join(names, ",") != "google/protobuf/timestamp.proto,retail/orders/v1/orders.proto" {
		t.Errorf("descriptor set files: %v", names)
	}

	// The diff says what broke between 1 and 2, with both texts.
	resp, body = get(t, base+"/diff?from=1&to=2", "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED") || !strings.Contains(string(body), "from_schemas") {
		t.Errorf("diff: %d %s", resp.StatusCode, body)
	}
	resp, body = get(t, base+"/diff", "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"from":{"topic":"acme.retail.orders.events","version":1`) {
		t.Errorf("default diff (previous vs latest): %d %.300s", resp.StatusCode, body)
	}
	if resp, _ := get(t, base+"/diff?from=1&to=1&level=WIRE", ""); resp.StatusCode != 200 {
		t.Errorf("diff of a version with itself: %d", resp.StatusCode)
	}

	// Schemas by global ID are immutable.
	resp, body = get(t, srv.URL+"/v1/schemas/1", "")
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") || !strings.Contains(string(body), "OrderEvent") {
		t.Errorf("schema 1: %d %s", resp.StatusCode, body)
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	srv, _ := historyServer(t)
	resp, body := get(t, srv.URL+"/metrics", "")
	if resp.StatusCode != 200 {
		t.Fatalf("metrics: %d", resp.StatusCode)
	}
	for _, want := range []string{"backbone_sync_commits_total 2", "backbone_versions_created_total 2", "backbone_versions 2", "backbone_topics 1", "backbone_snapshot_loaded 1", "go_goroutines"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
