package api_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
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

// The hot path (hotpath.go) answers GET /schemas/ids/{id} and
// GET /subjects/{subject}/versions/latest from cached responses; huma
// answers everything else. Both must say the same thing.

// hotGet GETs a path with optional headers (name, value pairs).
func hotGet(t *testing.T, base, path string, headers ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, base+path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	return doRequest(t, req)
}

func doRequest(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

func TestHotPathMatchesHuma(t *testing.T) {
	t.Parallel()
	e := newConfluentEstate(t)
	base := e.srv.URL

	var paths []string
	for id := 1; id <= 12; id++ {
		paths = append(paths, "/schemas/ids/"+strconv.Itoa(id))
	}
	for _, s := range confluentSubjects {
		paths = append(paths, "/subjects/"+url.PathEscape(s)+"/versions/latest", "/subjects/"+url.PathEscape(s)+"/versions/-1")
	}
	paths = append(paths, "/schemas/ids/999", "/schemas/ids/0", "/schemas/ids/x", "/subjects/nope/versions/latest",
		"/subjects/"+url.PathEscape(ordersValue)+"/versions/2")

	found := 0
	for _, p := range paths {
		for _, accept := range []string{"", "application/vnd.schemaregistry.v1+json", "application/vnd.schemaregistry+json",
			"application/json", "application/json; q=0.5, application/vnd.schemaregistry+json", "text/html"} {
			// If-None-Match with no match sends the request to huma,
			// which answers 200 with the same representation.
			hot, hotBody := hotGet(t, base, p, "Accept", accept)
			slow, slowBody := hotGet(t, base, p, "Accept", accept, "If-None-Match", `"no-match"`)
			if hot.StatusCode != slow.StatusCode || hotBody != slowBody {
				t.Errorf("GET %s (Accept %q): hot path %d %.200s; huma %d %.200s", p, accept, hot.StatusCode, hotBody, slow.StatusCode, slowBody)
				continue
			}
			for _, h := range []string{"Content-Type", "Etag", "Cache-Control", "Vary"} {
				if hot.Header.Get(h) != slow.Header.Get(h) {
					t.Errorf("GET %s (Accept %q): %s: hot path %q, huma %q", p, accept, h, hot.Header.Get(h), slow.Header.Get(h))
				}
			}
			if hot.StatusCode == http.StatusOK && !strings.Contains(p, "/versions/2") {
				found++
				if hot.ContentLength != int64(len(hotBody)) {
					t.Errorf("GET %s: Content-Length %d, body %d bytes", p, hot.ContentLength, len(hotBody))
				}
			}
		}
	}
	if found == 0 {
		t.Fatal("the hot path served nothing")
	}

	// 304 and fetchMaxId are huma's.
	resp, _ := hotGet(t, base, "/schemas/ids/1")
	if resp, _ := hotGet(t, base, "/schemas/ids/1", "If-None-Match", resp.Header.Get("Etag")); resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: got %d, want 304", resp.StatusCode)
	}
	if resp, body := hotGet(t, base, "/schemas/ids/1?fetchMaxId=true"); resp.StatusCode != 200 || !strings.Contains(body, `"maxId"`) || resp.Header.Get("Etag") != "" {
		t.Errorf("fetchMaxId: %d %s %s", resp.StatusCode, resp.Header.Get("Etag"), body)
	}
	// HEAD goes to the router too.
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodHead, base+"/schemas/ids/1", nil)
	if resp, _ := doRequest(t, req); resp.StatusCode != http.StatusOK {
		t.Errorf("HEAD: got %d", resp.StatusCode)
	}
}

// TestHotPathFollowsSyncs checks that the cache is per history: a new
// commit's version is served as latest as soon as it is synced.
func TestHotPathFollowsSyncs(t *testing.T) {
	t.Parallel()
	repo := gitfixture.New(t)
	files := map[string]string{
		"registry.yaml":              "company: acme\ndefaults:\n  level: WIRE_JSON\n",
		"retail/orders/service.yaml": "description: Orders.\nowner: orders-team\ntopics:\n  - name: events\n    description: Order facts.\n    value: acme.retail.orders.v1.OrderEvent\n    key: string\n",
		// A body larger than net/http's buffer: huma's response is chunked,
		// the hot path's has a Content-Length, which tells them apart.
		"retail/orders/v1/orders.proto": "syntax = \"proto3\";\npackage acme.retail.orders.v1;\n// Fact." + strings.Repeat(" Long.", 1000) + "\nmessage OrderEvent {\n  // ID.\n  string order_id = 1;\n}\n",
	}
	repo.Commit("v1", files)
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
		Source: gitsync.Files{Repo: r, Opts: gitsync.TreeOptions{Want: catalog.IsRepositoryFile}}}
	if _, err := in.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(api.New(snap, api.Config{}))
	t.Cleanup(ts.Close)
	srv := ts.URL

	latest := "/subjects/acme.retail.orders.events-value/versions/latest"
	resp, body := hotGet(t, srv, latest)
	if resp.StatusCode != 200 || !strings.Contains(body, `"version":1`) {
		t.Fatalf("latest before the sync: %d %.200s", resp.StatusCode, body)
	}
	if resp.ContentLength != int64(len(body)) || len(resp.TransferEncoding) > 0 {
		t.Errorf("the hot path did not serve latest: Content-Length %d, Transfer-Encoding %v", resp.ContentLength, resp.TransferEncoding)
	}
	if resp, _ := hotGet(t, srv, latest, "If-None-Match", `"no-match"`); len(resp.TransferEncoding) == 0 {
		t.Errorf("huma's response is not chunked (%d bytes): the check above proves nothing", resp.ContentLength)
	}
	files["retail/orders/v1/orders.proto"] = strings.Replace(files["retail/orders/v1/orders.proto"], "}\n", "  // Note.\n  string note = 2;\n}\n", 1)
	repo.Commit("v2", files)
	if _, err := in.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	resp, body = hotGet(t, srv, latest)
	if resp.StatusCode != 200 || !strings.Contains(body, `"version":2`) || !strings.Contains(body, "string note = 2") {
		t.Fatalf("latest after the sync: %d %.200s", resp.StatusCode, body)
	}
	if resp, body := hotGet(t, srv, "/schemas/ids/2"); resp.StatusCode != 200 || !strings.Contains(body, "string note = 2") || resp.ContentLength != int64(len(body)) {
		t.Errorf("the new schema by ID: %d %d %.200s", resp.StatusCode, resp.ContentLength, body)
	}
}
