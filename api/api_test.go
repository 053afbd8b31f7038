package api_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/danielgtaylor/huma/v2/humatest"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/api"
	"github.com/backbone-registry/backbone/catalog"
)

// fixture is a small estate: orders owns events and commands; stock
// consumes orders' events and sends it commands.
var fixture = fstest.MapFS{
	"registry.yaml": {Data: []byte("company: acme\ndefaults:\n  compatibility: FULL\n")},
	"retail/orders/service.yaml": {Data: []byte(`description: Owns orders.
owner: orders-team
contact: "#orders"
topics:
  - name: events
    description: Facts about orders <script>alert(1)</script>.
    value: acme.retail.orders.v1.OrderEvent
    key: string
  - name: commands
    description: Requests to change an order.
    value: acme.retail.orders.v1.OrderCommand
`)},
	"retail/orders/v1/orders.proto": {Data: []byte(`syntax = "proto3";
package acme.retail.orders.v1;
import "google/protobuf/timestamp.proto";
// Something happened to an order.
message OrderEvent {
  // The order's ID.
  string order_id = 1;
  // When it happened.
  google.protobuf.Timestamp occurred_at = 2;
  // What happened.
  Status status = 3;
  // Lines of the order.
  repeated Line lines = 4;
}
// A line of an order.
message Line {
  // Stock keeping unit.
  string sku = 1;
}
// Order status.
enum Status {
  // Unknown.
  STATUS_UNSPECIFIED = 0;
  // Confirmed.
  STATUS_CONFIRMED = 1;
}
// Asks orders to do something.
message OrderCommand {
  // The order's ID.
  string order_id = 1;
}
`)},
	"warehouse/stock/service.yaml": {Data: []byte(`description: Keeps stock.
owner: stock-team
consumes: [acme.retail.orders.events]
produces: [acme.retail.orders.commands]
`)},
}

type staticSource struct{ c *catalog.Catalog }

func (s staticSource) Catalog() *catalog.Catalog { return s.c }

func newAPI(t *testing.T, c *catalog.Catalog) humatest.TestAPI {
	t.Helper()
	_, tapi := humatest.New(t, api.HumaConfig("test"))
	api.Register(tapi, staticSource{c}, api.Config{Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	return tapi
}

func loadFixture(t *testing.T) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Load(t.Context(), fixture, catalog.Options{Now: func() time.Time { return time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func decode[T any](t *testing.T, resp *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(resp.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %s: %v", resp.Body, err)
	}
	return v
}

func TestListTopics(t *testing.T) {
	t.Parallel()
	tapi := newAPI(t, loadFixture(t))
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"acme.retail.orders.commands", "acme.retail.orders.events"}},
		{"?kind=events", []string{"acme.retail.orders.events"}},
		{"?kind=private", nil},
		{"?namespace=retail", []string{"acme.retail.orders.commands", "acme.retail.orders.events"}},
		{"?namespace=warehouse", nil},
		{"?service=acme.retail.orders", []string{"acme.retail.orders.commands", "acme.retail.orders.events"}},
		{"?owner=stock-team", nil},
		{"?owner=orders-team&kind=commands", []string{"acme.retail.orders.commands"}},
		{"?q=REQUESTS+change", []string{"acme.retail.orders.commands"}},
		{"?q=facts+nothing", nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			resp := tapi.Get("/v1/topics" + tt.query)
			if resp.Code != http.StatusOK {
				t.Fatalf("status: got %d, want 200: %s", resp.Code, resp.Body)
			}
			body := decode[api.TopicList](t, resp)
			var got []string
			for _, topic := range body.Topics {
				got = append(got, topic.Name)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") || body.Count != len(tt.want) {
				t.Errorf("topics: got %v (count %d), want %v", got, body.Count, tt.want)
			}
		})
	}
}

func TestGetTopic(t *testing.T) {
	t.Parallel()
	tapi := newAPI(t, loadFixture(t))
	resp := tapi.Get("/v1/topics/acme.retail.orders.events")
	if resp.Code != http.StatusOK {
		t.Fatalf("status: got %d, want 200: %s", resp.Code, resp.Body)
	}
	got := decode[api.TopicDetail](t, resp)
	if got.Owner != "orders-team" || got.Compatibility != registry.CompatFull || got.Kind != registry.KindEvents {
		t.Errorf("owner/compatibility/kind: got %q/%q/%q", got.Owner, got.Compatibility, got.Kind)
	}
	if want := "Facts about orders <script>alert(1)</script>."; got.Description != want {
		t.Errorf("description: got %q, want %q (JSON carries text as is)", got.Description, want)
	}
	if strings.Join(got.Producers, ",") != "acme.retail.orders" || strings.Join(got.Consumers, ",") != "acme.warehouse.stock" {
		t.Errorf("producers/consumers: got %v/%v", got.Producers, got.Consumers)
	}
	if got.Key == nil || got.Key.Name != "string" || !got.Key.Scalar {
		t.Errorf("key: got %+v, want scalar string", got.Key)
	}
	var names []string
	for _, m := range got.Messages {
		names = append(names, m.Name)
	}
	if want := "acme.retail.orders.v1.OrderEvent,acme.retail.orders.v1.Line"; strings.Join(names, ",") != want {
		t.Errorf("messages: got %v, want %s", names, want)
	}
	if len(got.Messages) > 0 {
		f := got.Messages[0].Fields
		if len(f) != 4 || f[0].Name != "order_id" || f[0].Doc != "The order's ID." || f[1].Type != "google.protobuf.Timestamp" || f[3].Label != "repeated" {
			t.Errorf("OrderEvent fields: got %+v", f)
		}
	}
	if len(got.Enums) != 1 || got.Enums[0].Name != "acme.retail.orders.v1.Status" || len(got.Enums[0].Values) != 2 {
		t.Errorf("enums: got %+v", got.Enums)
	}
}

func TestNotFoundIsProblemJSON(t *testing.T) {
	t.Parallel()
	tapi := newAPI(t, loadFixture(t))
	for _, path := range []string{"/v1/topics/acme.retail.nope.events", "/v1/services/acme.retail.nope"} {
		resp := tapi.Get(path)
		if resp.Code != http.StatusNotFound {
			t.Errorf("%s: status got %d, want 404", path, resp.Code)
		}
		if ct := resp.Header().Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%s: content type got %q, want application/problem+json", path, ct)
		}
		body := decode[map[string]any](t, resp)
		if body["status"] != float64(404) || !strings.Contains(body["detail"].(string), "acme.retail.nope") {
			t.Errorf("%s: problem got %v", path, body)
		}
	}
}

func TestServices(t *testing.T) {
	t.Parallel()
	tapi := newAPI(t, loadFixture(t))
	list := decode[api.ServiceList](t, tapi.Get("/v1/services"))
	if list.Count != 2 || list.Services[0].Name != "acme.retail.orders" || list.Services[1].Name != "acme.warehouse.stock" {
		t.Fatalf("services: got %+v", list)
	}
	filtered := decode[api.ServiceList](t, tapi.Get("/v1/services?namespace=warehouse"))
	if filtered.Count != 1 {
		t.Errorf("namespace filter: got %d services, want 1", filtered.Count)
	}
	resp := tapi.Get("/v1/services/acme.warehouse.stock")
	if resp.Code != http.StatusOK {
		t.Fatalf("status: got %d: %s", resp.Code, resp.Body)
	}
	svc := decode[api.ServiceDetail](t, resp)
	if svc.Owner != "stock-team" || strings.Join(svc.Consumes, ",") != "acme.retail.orders.events" || strings.Join(svc.Produces, ",") != "acme.retail.orders.commands" {
		t.Errorf("stock: got %+v", svc.Service)
	}
	// stock owns nothing, so ORPHAN_TOPIC and friends are about orders; the
	// commands topic has a consumer (its owner), the events topic has stock.
	if svc.Findings == nil {
		t.Errorf("findings: got null, want a list")
	}
}

func TestRulesShowConfiguredSeverity(t *testing.T) {
	t.Parallel()
	tapi := newAPI(t, loadFixture(t))
	rules := decode[api.RuleList](t, tapi.Get("/v1/rules")).Rules
	if len(rules) != len(catalog.Catalogue()) {
		t.Fatalf("rules: got %d, want %d", len(rules), len(catalog.Catalogue()))
	}
	ids := map[string]bool{}
	for _, r := range rules {
		ids[r.ID] = true
		if r.Purpose == "" || r.Doc == "" || r.Severity == "" {
			t.Errorf("rule %s: purpose, doc and severity must be set: %+v", r.ID, r)
		}
	}
	// Every rule a finding may name, lint's and rejections' included.
	for _, id := range []string{"TOPIC_NAME", "FIELD_NO_DELETE", catalog.RuleCompile, catalog.RuleTopicNoDelete} {
		if !ids[id] {
			t.Errorf("/v1/rules lacks %s", id)
		}
	}
}

func TestNoSnapshotIsUnavailable(t *testing.T) {
	t.Parallel()
	tapi := newAPI(t, nil)
	if resp := tapi.Get("/readyz"); resp.Code != http.StatusServiceUnavailable {
		t.Errorf("readyz: got %d, want 503", resp.Code)
	}
	if resp := tapi.Get("/v1/topics"); resp.Code != http.StatusServiceUnavailable {
		t.Errorf("topics: got %d, want 503", resp.Code)
	}
	if resp := tapi.Get("/healthz"); resp.Code != http.StatusOK {
		t.Errorf("healthz: got %d, want 200", resp.Code)
	}
}

func TestReady(t *testing.T) {
	t.Parallel()
	tapi := newAPI(t, loadFixture(t))
	resp := tapi.Get("/readyz")
	body := decode[api.Readiness](t, resp)
	if resp.Code != http.StatusOK || body.Topics != 2 || body.Services != 2 {
		t.Errorf("readyz: got %d %+v", resp.Code, body)
	}
}

// TestDocsAreSelfContained guards the offline promise: the docs page loads
// nothing from another origin.
func TestDocsAreSelfContained(t *testing.T) {
	t.Parallel()
	h := api.New(staticSource{loadFixture(t)}, api.Config{})
	for _, path := range []string{"/docs", "/docs/assets/init.js"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if body := rec.Body.String(); rec.Code != 200 || strings.Contains(body, "http://") || strings.Contains(body, "https://") {
			t.Errorf("%s: got %d, and it must not reference another origin:\n%s", path, rec.Code, body)
		}
	}
}

func TestHandlerRoutes(t *testing.T) {
	t.Parallel()
	h := api.New(staticSource{loadFixture(t)}, api.Config{Version: "test"})
	tests := []struct {
		path, accept string
		want         int
		contains     string
	}{
		{"/openapi.json", "", 200, `"/v1/topics/{topic}"`},
		{"/docs", "", 200, "/docs/assets/swagger-ui/swagger-ui-bundle.js"},
		{"/docs/assets/swagger-ui/swagger-ui-bundle.js", "", 200, "SwaggerUIBundle"},
		{"/docs/assets/init.js", "", 200, "/openapi.json"},
		{"/docs/assets/nope.js", "", 404, ""},
		{"/", "application/vnd.schemaregistry.v1+json", 200, "{}"},
		{"/", "text/html", http.StatusFound, ""},
		{"/v1/topics", "", 200, "acme.retail.orders.events"},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(http.MethodGet, tt.path, nil)
		if tt.accept != "" {
			req.Header.Set("Accept", tt.accept)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tt.want || !strings.Contains(rec.Body.String(), tt.contains) {
			t.Errorf("GET %s (Accept %q): got %d %.200s, want %d containing %q", tt.path, tt.accept, rec.Code, rec.Body, tt.want, tt.contains)
		}
	}
}
