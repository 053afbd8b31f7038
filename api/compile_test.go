package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/backbone-registry/backbone/api"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/lint"
)

// postedSchema is a Confluent request body posting text.
func postedSchema(t *testing.T, text string) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"schemaType": "PROTOBUF", "schema": text,
		"references": []map[string]any{{"name": "common/v1/money.proto", "subject": "common/v1/money.proto", "version": 1}}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCompilesShareOneLimit takes the only compilation slot and sends one
// request to every route that compiles: each is refused with 429 and
// Retry-After in its API's format, and served once the slot is free.
func TestCompilesShareOneLimit(t *testing.T) {
	t.Parallel()
	snap, _ := confluentSnapshot(t)
	gate := api.NewCompileGate(1, -1) // one slot, no waiting
	srv := httptest.NewServer(api.New(snap, api.Config{Logger: slog.New(slog.NewTextHandler(t.Output(), nil)),
		Compiles: gate, Check: lint.Checker(catalog.Options{})}))
	t.Cleanup(srv.Close)
	// Reformatted, so that no content hash matches and each route compiles.
	posted := postedSchema(t, reformat(confluentOrders(confluentChannel)))
	check, _ := json.Marshal(map[string]any{"files": map[string]string{"retail/orders/v1/orders.proto": confluentOrders(confluentChannel + "  bool gift = 5;\n")}})
	requests := []struct {
		name, method, path, accept, body string
		confluent                        bool
	}{
		{"compatibility", "POST", "/compatibility/subjects/" + ordersValue + "/versions/latest", "", posted, true},
		{"compatibility of all versions", "POST", "/compatibility/subjects/" + ordersValue + "/versions", "", posted, true},
		{"register", "POST", "/subjects/" + ordersValue + "/versions", "", posted, true},
		{"lookup", "POST", "/subjects/" + ordersValue, "", posted, true},
		{"FileDescriptorSet", "GET", "/v1/topics/" + ordersTopic + "/versions/1", "application/x-protobuf", "", false},
		{"diff", "GET", "/v1/topics/" + ordersTopic + "/diff?from=1&to=2", "", "", false},
		{"check", "POST", "/v1/check", "", string(check), false},
	}
	release, err := gate.Enter(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range requests {
		resp, body := confluentDo(t, r.method, srv.URL+r.path, map[string]string{"Accept": r.accept, "Content-Type": "application/json"}, r.body)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
			t.Errorf("%s with every slot taken: %d, Retry-After %q, want 429 with Retry-After 1: %s", r.name, resp.StatusCode, resp.Header.Get("Retry-After"), body)
			continue
		}
		if r.confluent {
			if e := confluentErrorBody(t, resp, body); e.Code != 42901 {
				t.Errorf("%s: error_code %d, want 42901", r.name, e.Code)
			}
		} else if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%s: Content-Type %q, want application/problem+json", r.name, ct)
		}
	}
	release()
	for _, r := range requests {
		resp, body := confluentDo(t, r.method, srv.URL+r.path, map[string]string{"Accept": r.accept, "Content-Type": "application/json"}, r.body)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s with a free slot: %d, want 200: %s", r.name, resp.StatusCode, body)
		}
	}
}

// nestedSchema is an orders schema with a custom option whose value is a
// message literal nested depth levels deep: before the nesting limit, 40 KB
// of it cost 700 MB to compile, on a route anyone may call.
func nestedSchema(depth int) string {
	return `syntax = "proto3";
package acme.retail.orders.v1;
import "google/protobuf/descriptor.proto";
message Deep { repeated Deep a = 1; }
extend google.protobuf.FileOptions { Deep deep = 50000; }
option (deep) = ` + strings.Repeat("{a:", depth) + "{}" + strings.Repeat("}", depth) + `;
message OrderEvent { string order_id = 1; }
`
}

func TestConfluentRefusesDeepNestingCheaply(t *testing.T) { // not parallel: measures allocations
	snap, _ := confluentSnapshot(t)
	h := api.New(snap, api.Config{Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	body := postedSchema(t, nestedSchema(10_000))
	for _, path := range []string{
		"/compatibility/subjects/" + ordersValue + "/versions/latest",
		"/subjects/" + ordersValue + "/versions",
		"/subjects/" + ordersValue,
	} {
		var before, after runtime.MemStats
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		runtime.GC()
		runtime.ReadMemStats(&before)
		h.ServeHTTP(rec, req)
		runtime.ReadMemStats(&after)
		var e api.ConfluentError
		_ = json.Unmarshal(rec.Body.Bytes(), &e)
		// "option (deep) = " is 16 columns; the 65th "{a:" opens level 65.
		if rec.Code != http.StatusUnprocessableEntity || e.Code != 42201 || !strings.Contains(e.Message, "retail/orders/v1/orders.proto:6:209: brackets nest deeper than 64 levels, over the nesting limit") {
			t.Errorf("POST %s: %d %s, want 42201 naming the nesting limit at 6:209", path, rec.Code, rec.Body)
		}
		// Decoding and answering cost a few times the body; compiling it
		// cost 18,000 times.
		if cost, limit := after.TotalAlloc-before.TotalAlloc, 64*uint64(len(body))+4<<20; cost > limit {
			t.Errorf("POST %s of %d bytes allocated %d bytes, want at most %d", path, len(body), cost, limit)
		}
	}
}

// TestErrorsAreProblemJSONWhateverAccept asks for every error of the one
// route with a protobuf form in that form: each is problem+json, and
// nothing panics.
func TestErrorsAreProblemJSONWhateverAccept(t *testing.T) {
	t.Parallel()
	snap, _ := confluentSnapshot(t)
	var logs bytes.Buffer
	srv := httptest.NewServer(api.New(snap, api.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))}))
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		path, accept string
		status       int
	}{
		{"/v1/topics/" + ordersTopic + "/versions/999", "application/x-protobuf", http.StatusNotFound},
		{"/v1/topics/nope/versions/1", "application/x-protobuf", http.StatusNotFound},
		{"/v1/topics/" + ordersTopic + "/versions/0", "application/x-protobuf", http.StatusUnprocessableEntity},
		{"/v1/topics/" + ordersTopic + "/versions/999", "application/x-protobuf;q=0.9, application/json;q=0.1", http.StatusNotFound},
		{"/v1/topics/" + ordersTopic + "/versions/999", "application/cbor", http.StatusNotFound},
		{"/v1/topics/nope", "application/cbor", http.StatusNotFound},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+tc.path, nil)
		req.Header.Set("Accept", tc.accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var prob struct {
			Status int    `json:"status"`
			Title  string `json:"title"`
		}
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != tc.status || ct != "application/problem+json" ||
			json.Unmarshal(body, &prob) != nil || prob.Status != tc.status || prob.Title == "" {
			t.Errorf("GET %s (Accept %s): %d %s %q, want a %d problem+json", tc.path, tc.accept, resp.StatusCode, ct, body, tc.status)
		}
	}
	if strings.Contains(logs.String(), "panic") {
		t.Errorf("the server logged a panic:\n%s", logs.String())
	}
}
