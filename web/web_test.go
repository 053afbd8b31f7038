package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/web"
)

type staticSource struct{ c *catalog.Catalog }

func (s staticSource) Catalog() *catalog.Catalog { return s.c }

// hostile is a small estate whose names and texts try to break out of
// HTML: every page must show them as text.
var hostile = fstest.MapFS{
	"registry.yaml": {Data: []byte("company: acme\n")},
	"retail/orders/service.yaml": {Data: []byte(`description: Owns orders <img src=x onerror=alert(1)>.
owner: "orders-team\"><script>alert(2)</script>"
contact: "<b>#orders</b>"
topics:
  - name: events
    description: Facts about orders <script>alert(1)</script>.
    value: acme.retail.orders.v1.OrderEvent
    key: string
`)},
	"retail/orders/v1/orders.proto": {Data: []byte(`syntax = "proto3";
package acme.retail.orders.v1;
// Something happened </script><script>alert(3)</script>.
message OrderEvent {
  // The order's ID <i>really</i>.
  string order_id = 1;
  // The customer.
  string customer_id = 2;
  // What happened.
  Status status = 3;
  // Where it goes.
  Address address = 4;
  // A tree of orders, to show recursion.
  repeated OrderEvent children = 5;
}
// An address.
message Address {
  // Street & number.
  string street = 1;
}
// Order status.
enum Status {
  // Unknown.
  STATUS_UNSPECIFIED = 0;
  // Confirmed.
  STATUS_CONFIRMED = 1;
}
`)},
	"retail/stock/service.yaml": {Data: []byte(`description: Keeps stock.
owner: stock-team
consumes: [acme.retail.orders.events]
`)},
}

func newServer(t *testing.T, fsys fstest.MapFS) *httptest.Server {
	t.Helper()
	c, err := catalog.Load(t.Context(), fsys, catalog.Options{Now: func() time.Time { return time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(staticSource{c}, web.Config{Version: "test"}))
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(body)
}

func TestPages(t *testing.T) {
	t.Parallel()
	srv := newServer(t, hostile)
	tests := []struct {
		path   string
		status int
		want   []string
	}{
		{"/", 200, []string{"<h1>Event catalog</h1>", `<strong>1</strong> topics`, `<strong>2</strong> services`, "No version history"}},
		{"/search?q=customer_id", 200, []string{`<code class="fname">customer_id</code>`, `href="/topics/acme.retail.orders.events"`, "1 result"}},
		{"/search?q=nothing+matches+this", 200, []string{"0 results", "Nothing matches every word"}},
		{"/search", 200, []string{`id="search-q"`}},
		{"/topics", 200, []string{`href="/topics/acme.retail.orders.events"`, "1 topic", `<h2 id="ns-retail">retail</h2>`}},
		{"/topics?kind=commands", 200, []string{"0 topics", "No topic matches"}},
		{"/topics?owner=stock-team", 200, []string{"0 topics"}},
		{"/topics/acme.retail.orders.events", 200, []string{
			`<h1 class="topic-name">acme.<wbr>retail.<wbr>orders.<wbr>events`,
			`<ul class="svc-list" id="producers"><li><a href="/services/acme.retail.orders">`,
			`<ul class="svc-list" id="consumers"><li><a href="/services/acme.retail.stock">`,
			`<code class="fname">order_id</code>`,
			"STATUS_CONFIRMED = 1",              // enum values under the field
			`<code class="fname">street</code>`, // a nested message, expanded
			"(recursive, see above)",            // children: OrderEvent inside OrderEvent
			"acme.retail.orders.events-value",
			"curl -s http://127.0.0.1",
			`schema.Message("acme.retail.orders.v1.OrderEvent")`,
			"retail/orders/v1/orders.proto",
		}},
		{"/topics/acme.retail.nope.events", 404, []string{"Not found", "no topic &#34;acme.retail.nope.events&#34;"}},
		{"/topics/acme.retail.orders.events/diff", 404, []string{"no version history"}},
		{"/services", 200, []string{`href="/services/acme.retail.orders"`, `href="/services/acme.retail.stock"`}},
		{"/services/acme.retail.stock", 200, []string{"<h1>acme.<wbr>retail.<wbr>stock</h1>", "Consumes", `href="/topics/acme.retail.orders.events"`, "No findings."}},
		{"/services/acme.retail.nope", 404, []string{"no service"}},
		{"/graph", 200, []string{`<div class="graph" id="graph"><svg`, `href="/services/acme.retail.stock"`}},
		{"/graph?topic=acme.retail.orders.events", 200, []string{"<svg", "3 nodes"}},
		{"/graph?service=acme.nope", 404, []string{"Not found"}},
		{"/status", 200, []string{"serving a plain directory", "Governance findings"}},
		{"/nowhere", 404, []string{"no page at /nowhere"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			status, header, body := get(t, srv.URL+tt.path)
			if status != tt.status {
				t.Errorf("status %d, want %d", status, tt.status)
			}
			if ct := header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if csp := header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("CSP %q", csp)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %q", w)
				}
			}
			// Hostile text is shown as text, never as markup.
			for _, bad := range []string{"<script>alert", "<img src=x", "<b>#orders</b>", "<i>really</i>"} {
				if strings.Contains(body, bad) {
					t.Errorf("body has unescaped %q", bad)
				}
			}
			if testing.Verbose() && t.Failed() {
				t.Logf("body:\n%s", body)
			}
		})
	}
}

func TestHostileTextIsEscaped(t *testing.T) {
	t.Parallel()
	srv := newServer(t, hostile)
	_, _, body := get(t, srv.URL+"/topics/acme.retail.orders.events")
	for _, want := range []string{
		"Facts about orders &lt;script&gt;alert(1)&lt;/script&gt;.",
		"Something happened &lt;/script&gt;&lt;script&gt;alert(3)&lt;/script&gt;.",
		"&lt;b&gt;#orders&lt;/b&gt;",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("topic page lacks the escaped %q", want)
		}
	}
	// The SVG graph escapes names too: the owner team is in a <title>.
	_, _, graph := get(t, srv.URL+"/graph.svg")
	if strings.Contains(graph, "<script>") {
		t.Errorf("graph.svg has an unescaped script")
	}
}

func TestNoExternalRequests(t *testing.T) {
	t.Parallel()
	srv := newServer(t, hostile)
	for _, path := range []string{"/", "/topics", "/topics/acme.retail.orders.events", "/graph", "/status", "/static/style.css", "/static/app.js"} {
		_, _, body := get(t, srv.URL+path)
		for _, ext := range []string{"http://", "https://", "//cdn", "url(//"} {
			for _, attr := range []string{`src="` + ext, `href="` + ext, "url(" + ext, `@import "` + ext} {
				if strings.Contains(body, attr) {
					t.Errorf("%s refers to something outside the registry: %s", path, attr)
				}
			}
		}
	}
}

func TestStaticAssets(t *testing.T) {
	t.Parallel()
	srv := newServer(t, hostile)
	for path, ctype := range map[string]string{"/static/style.css": "text/css", "/static/app.js": "javascript"} {
		status, header, body := get(t, srv.URL+path)
		if status != 200 || !strings.Contains(header.Get("Content-Type"), ctype) || len(body) < 100 {
			t.Errorf("%s: %d %q, %d bytes", path, status, header.Get("Content-Type"), len(body))
		}
		if !strings.Contains(header.Get("Cache-Control"), "max-age") {
			t.Errorf("%s: Cache-Control %q", path, header.Get("Cache-Control"))
		}
	}
}

func TestStaticListsNothing(t *testing.T) {
	t.Parallel()
	srv := newServer(t, hostile)
	for _, path := range []string{"/static/", "/static/sub/", "/static/style.css/", "/static/nope.css", "/static/%2e%2e/web.go", "/static/.", "/static//"} {
		status, header, body := get(t, srv.URL+path)
		if status != http.StatusNotFound || !strings.Contains(header.Get("Content-Type"), "text/html") || !strings.Contains(body, "no page at") ||
			strings.Contains(body, `href="style.css"`) {
			t.Errorf("GET %s: %d %q, want the catalog's 404 page listing nothing:\n%s", path, status, header.Get("Content-Type"), body)
		}
	}
}

// notReady serves no catalog yet.
type notReady struct{}

func (notReady) Catalog() *catalog.Catalog { return nil }

func TestBeforeTheFirstSnapshot(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(web.New(notReady{}, web.Config{}))
	t.Cleanup(srv.Close)
	for _, path := range []string{"/", "/topics", "/topics/x", "/search?q=x", "/graph"} {
		status, header, body := get(t, srv.URL+path)
		if status != http.StatusServiceUnavailable || header.Get("Retry-After") == "" || !strings.Contains(body, `http-equiv="refresh"`) {
			t.Errorf("%s: %d, Retry-After %q; want 503 with a refresh", path, status, header.Get("Retry-After"))
		}
	}
	if status, _, body := get(t, srv.URL+"/status"); status != 200 || !strings.Contains(body, "not loaded yet") {
		t.Errorf("/status before the first snapshot: %d", status)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	srv := newServer(t, hostile)
	for path, status := range map[string]int{
		"/search?q=" + strings.Repeat("a", 201):                        400,
		"/topics/acme.retail.orders.events/diff?from=x":                400,
		"/topics/acme.retail.orders.events/diff?to=-1":                 400,
		"/topics/acme.retail.orders.events/diff?from=1&level=LOOSE":    400,
		"/topics/" + strings.Repeat("%00", 10):                         404,
		"/graph?namespace=%3Cscript%3E":                                404,
		"/topics?namespace=%3Cscript%3Ealert(1)%3C/script%3E&kind=abc": 200,
	} {
		got, _, body := get(t, srv.URL+path)
		if got != status {
			t.Errorf("%s: %d, want %d", path, got, status)
		}
		if strings.Contains(body, "<script>alert") {
			t.Errorf("%s: echoes unescaped input", path)
		}
	}
}

func TestDemoCatalogPages(t *testing.T) {
	t.Parallel()
	root := os.DirFS("../schemas")
	c, err := catalog.Load(t.Context(), root, catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(staticSource{c}, web.Config{}))
	t.Cleanup(srv.Close)
	for _, tp := range c.Topics(catalog.TopicFilter{}) {
		if status, _, _ := get(t, srv.URL+"/topics/"+tp.Name); status != 200 {
			t.Errorf("topic %s: %d", tp.Name, status)
		}
		if status, _, _ := get(t, srv.URL+"/graph?topic="+tp.Name); status != 200 {
			t.Errorf("graph of %s: %d", tp.Name, status)
		}
	}
	for _, s := range c.Services() {
		if status, _, _ := get(t, srv.URL+"/services/"+s.Name); status != 200 {
			t.Errorf("service %s: %d", s.Name, status)
		}
	}
	_, _, body := get(t, srv.URL+"/topics/acme.retail.pricing.events")
	if !strings.Contains(body, "Deprecated") {
		t.Errorf("the deprecated pricing topic is not marked")
	}
}
