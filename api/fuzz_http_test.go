package api_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/backbone-registry/backbone/api"
	"github.com/backbone-registry/backbone/web"
)

// The HTTP layer is fuzzed with whole requests: a method, a request target
// as it stands in the request line (path and query, percent-encoded or
// not), an Accept header and a small body, served by the real handler over
// a real history, with the web catalog mounted. No input may panic or answer a 5xx, each API answers its
// errors in its own format, and the hot path answers as the router does.
// Only inputs net/http itself refuses before any handler runs are skipped.

// fuzzHandler is built once per fuzzing process: the catalog is in memory
// and read-only, so every input can share it.
var fuzzHandler struct {
	once sync.Once
	h    http.Handler
}

func fuzzServer(tb testing.TB) http.Handler {
	fuzzHandler.once.Do(func() {
		snap, _ := confluentSnapshot(tb)
		fuzzHandler.h = api.New(snap, api.Config{Logger: slog.New(slog.DiscardHandler), MaxBodyBytes: 64 << 10,
			Web: web.New(snap, web.Config{})})
	})
	return fuzzHandler.h
}

// confluentRoots are the paths under which every answer is Confluent's.
var confluentRoots = []string{"/subjects", "/schemas", "/config", "/mode", "/compatibility", "/contexts"}

func isConfluentPath(p string) bool {
	for _, root := range confluentRoots {
		if p == root || strings.HasPrefix(p, root+"/") {
			return true
		}
	}
	return false
}

// isMuxDefault reports whether a response is net/http's ServeMux answering
// a request no route matches (text/plain 404 or 405). Under /v1 that is not
// problem+json; it is tolerated here and reported, not fuzzed into failures.
func isMuxDefault(rec *httptest.ResponseRecorder) bool {
	body := rec.Body.String()
	return strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") &&
		(rec.Code == http.StatusNotFound && body == "404 page not found\n" ||
			rec.Code == http.StatusMethodNotAllowed && body == "Method Not Allowed\n")
}

func FuzzHTTP(f *testing.F) {
	const (
		value  = "acme.retail.orders.events-value"
		topic  = "acme.retail.orders.events"
		money  = "common%2Fv1%2Fmoney.proto"
		accept = "application/vnd.schemaregistry.v1+json"
	)
	long := strings.Repeat("a", 8<<10)
	lookup := `{"schemaType":"PROTOBUF","schema":"syntax = \"proto3\";\npackage acme.common.v1;\nmessage Money { string currency = 1; int64 minor = 2; }"}`
	seeds := []struct {
		method, target, accept, body string
	}{
		// Native.
		{"GET", "/", "", ""},
		{"GET", "/", accept, ""},
		{"GET", "/healthz", "", ""},
		{"GET", "/readyz", "", ""},
		{"GET", "/openapi.json", "", ""},
		{"GET", "/openapi.yaml", "", ""},
		{"GET", "/openapi/schemas/TopicSummary.json", "", ""},
		{"GET", "/docs", "", ""},
		{"GET", "/docs/assets/../../v1/topics", "", ""},
		{"GET", "/v1/topics", "", ""},
		{"GET", "/v1/topics?namespace=retail&service=acme.retail.orders&kind=events&owner=orders-team&q=order+facts", "", ""},
		{"GET", "/v1/topics?q=%00%ff%fe", "", ""},
		{"GET", "/v1/topics/" + topic, "", ""},
		{"GET", "/v1/topics/" + topic + "/versions", "", ""},
		{"GET", "/v1/topics/" + topic + "/versions/1", "", ""},
		{"GET", "/v1/topics/" + topic + "/versions/latest", "application/x-protobuf", ""},
		{"GET", "/v1/topics/" + topic + "/versions/0", "", ""},
		{"GET", "/v1/topics/" + topic + "/versions/-1", "", ""},
		{"GET", "/v1/topics/" + topic + "/versions/999999999", "", ""},
		{"GET", "/v1/topics/" + topic + "/versions/99999999999999999999", "", ""},
		{"GET", "/v1/topics/" + topic + "/diff?from=1&to=2&level=WIRE", "", ""},
		{"GET", "/v1/topics/" + topic + "/diff?from=2&to=1", "", ""},
		{"GET", "/v1/topics/" + topic + "/diff?from=latest&to=latest&level=FILE", "", ""},
		{"GET", "/v1/topics/" + topic + "/diff?from=9&to=x&level=BYTES", "", ""},
		{"GET", "/v1/topics/nope/diff", "", ""},
		{"GET", "/v1/schemas/1", "", ""},
		{"GET", "/v1/schemas/0", "", ""},
		{"GET", "/v1/schemas/-1", "", ""},
		{"GET", "/v1/schemas/9223372036854775808", "", ""},
		{"GET", "/v1/schemas/abc", "", ""},
		{"GET", "/v1/services", "", ""},
		{"GET", "/v1/services/acme.retail.orders", "", ""},
		{"GET", "/v1/services/%2e%2e", "", ""},
		{"GET", "/v1/rules", "", ""},
		{"GET", "/v1/status", "", ""},
		{"POST", "/v1/sync", "", ""},
		{"POST", "/v1/hooks/git", "", `{"ref":"refs/heads/main"}`},
		{"DELETE", "/v1/topics/" + topic, "", ""},
		{"PUT", "/v1/topics", "", "{}"},
		{"GET", "/v1/nope", "", ""},
		{"GET", "/v1/topics/" + long, "", ""},
		{"GET", "/v1/topics/%E2%82%AC%F0%9F%98%80", "", ""},
		{"GET", "/v1/topics/a%00b", "", ""},
		{"GET", "/v1/topics/" + topic, "text/html;q=0.5, */*;q=0", ""},
		{"GET", "/metrics", "", ""},
		// Confluent.
		{"GET", "/schemas", "", ""},
		{"GET", "/schemas?subjectPrefix=acme.&latestOnly=true&offset=1&limit=2", "", ""},
		{"GET", "/schemas?offset=-5&limit=-1", "", ""},
		{"GET", "/schemas?offset=99999999999999999999&limit=1e9", "", ""},
		{"GET", "/schemas/types", "", ""},
		{"GET", "/schemas/ids/1", accept, ""},
		{"GET", "/schemas/ids/1?fetchMaxId=true&subject=x&format=resolved", "", ""},
		{"GET", "/schemas/ids/1/schema", "application/json", ""},
		{"GET", "/schemas/ids/2/subjects?subject=" + value + "&deleted=true", "", ""},
		{"GET", "/schemas/ids/2/versions", "", ""},
		{"GET", "/schemas/ids/0", "", ""},
		{"GET", "/schemas/ids/-1", "", ""},
		{"GET", "/schemas/ids/9223372036854775807", "", ""},
		{"GET", "/schemas/ids/9223372036854775808", "", ""},
		{"GET", "/schemas/ids/%31", "", ""},
		{"GET", "/schemas/ids/1/nope", "", ""},
		{"GET", "/schemas/guids/abc", "", ""},
		{"GET", "/subjects", "", ""},
		{"GET", "/subjects?subjectPrefix=%3A*%3A&deleted=true&offset=2&limit=1", "", ""},
		{"GET", "/subjects?deletedOnly=TRUE", "", ""},
		{"GET", "/subjects/" + value + "/versions", "", ""},
		{"GET", "/subjects/" + value + "/versions?deletedOnly=true", "", ""},
		{"GET", "/subjects/" + value + "/versions/latest", "", ""},
		{"GET", "/subjects/" + value + "/versions/latest", "application/json", ""},
		{"GET", "/subjects/" + money + "/versions/latest", "application/vnd.schemaregistry+json", ""},
		{"GET", "/subjects/" + money + "/versions/-1", "application/json;q=0.1, application/vnd.schemaregistry+json", ""},
		{"GET", "/subjects/acme%2Eretail.orders.events-value/versions/latest", "", ""},
		{"GET", "/subjects/%2e%2e/versions/latest", "", ""},
		{"GET", "/subjects/a%2F..%2Fb/versions/latest", "", ""},
		{"GET", "/subjects//versions/latest", "", ""},
		{"GET", "/subjects/" + value + "/versions/latest?", "", ""},
		{"GET", "/schemas/ids/00001", "", ""},
		{"GET", "/schemas/ids/+1", "", ""},
		{"GET", "/schemas/ids/1%00", "", ""},
		{"GET", "/schemas/ids/999999999999999999", "", ""},
		{"GET", "/schemas/ids/2", "text/html, application/json", ""},
		{"GET", "/subjects/" + value + "/versions/-1/schema", "", ""},
		{"GET", "/subjects/" + value + "/versions/1/referencedby", "", ""},
		{"GET", "/subjects/" + money + "/versions/1/referencedby", "", ""},
		{"GET", "/subjects/" + money + "/versions/1", "", ""},
		{"GET", "/subjects/common/v1/money.proto/versions/1", "", ""},
		{"GET", "/subjects/" + value + "/versions/0", "", ""},
		{"GET", "/subjects/" + value + "/versions/-2", "", ""},
		{"GET", "/subjects/" + value + "/versions/2147483648", "", ""},
		{"GET", "/subjects/" + value + "/versions/abc", "", ""},
		{"GET", "/subjects/" + value + "/versions/%00", "", ""},
		{"GET", "/subjects/" + long + "/versions/1", "", ""},
		{"GET", "/subjects/%E2%82%AC/versions", "", ""},
		{"GET", "/subjects/a%00b/versions", "", ""},
		{"GET", "/subjects/../v1/topics", "", ""},
		{"GET", "/subjects/%2e%2e/versions", "", ""},
		{"GET", "/subjects/%2e%2e%2f%2e%2e%2fv1/versions", "", ""},
		{"GET", "/subjects/" + value + "/metadata?key=a&value=b", "", ""},
		{"POST", "/subjects/" + money, "", lookup},
		{"POST", "/subjects/" + money + "?normalize=true&deleted=true", "application/json", lookup},
		{"POST", "/subjects/" + money + "/versions", "", lookup},
		{"POST", "/subjects/" + money + "/versions?normalize=true", "", `{"schemaType":"PROTOBUF","schema":"syntax = \"proto3\";","id":7}`},
		{"POST", "/subjects/" + value, "", `{"schemaType":"PROTOBUF","schema":"syntax = \"proto3\";","references":[{"name":"google/protobuf/timestamp.proto","subject":"x","version":-1}]}`},
		{"POST", "/subjects/" + value, "", `{"schemaType":"AVRO","schema":"\"string\""}`},
		{"POST", "/subjects/" + value, "", `{"schemaType":"PROTOBUF","schema":"syntax = \"proto3\"; import \"nope.proto\";"}`},
		{"POST", "/subjects/" + value, "", `{"schemaType":"PROTOBUF","schema":"syntax = \"proto3\"; import \"retail/orders/v1/orders.proto\";"}`},
		{"POST", "/subjects/" + value, "", `{"schemaType":"PROTOBUF","schema":"syntax = \"proto2\"; message A { required A a = 1; }"}`},
		{"POST", "/subjects/" + value, "", `[]`},
		{"POST", "/subjects/" + value, "", `null`},
		{"POST", "/subjects/" + value, "", "\x00\xff"},
		{"POST", "/subjects/" + value, "", ""},
		{"POST", "/compatibility/subjects/" + value + "/versions?verbose=true", "", lookup},
		{"POST", "/compatibility/subjects/" + value + "/versions/latest?verbose=true&normalize=true", "", lookup},
		{"POST", "/compatibility/subjects/" + money + "/versions/1?verbose=true", "", lookup},
		{"POST", "/compatibility/subjects/" + value + "/versions/x", "", lookup},
		{"POST", "/compatibility/subjects/new-value/versions", "", ""},
		{"POST", "/compatibility/subjects/new-value/versions/1", "", lookup},
		{"GET", "/compatibility/subjects/" + value + "/versions", "", ""},
		{"GET", "/config", "application/vnd.schemaregistry+json", ""},
		{"GET", "/config/" + value + "?defaultToGlobal=true", "", ""},
		{"GET", "/config/" + money, "", ""},
		{"GET", "/config/" + money + "?defaultToGlobal=true", "", ""},
		{"PUT", "/config", "", `{"compatibility":"NONE"}`},
		{"PUT", "/config/" + value, "", `{"compatibility":"NONE"}`},
		{"DELETE", "/config/" + value, "", ""},
		{"GET", "/mode", "", ""},
		{"GET", "/mode/" + value + "?defaultToGlobal=true", "", ""},
		{"PUT", "/mode", "", `{"mode":"READWRITE"}`},
		{"DELETE", "/mode/x", "", ""},
		{"GET", "/contexts", "", ""},
		{"DELETE", "/contexts/.staging", "", ""},
		{"DELETE", "/subjects/" + value + "?permanent=true", "", ""},
		{"DELETE", "/subjects/" + value + "/versions/1", "", ""},
		{"PATCH", "/subjects/" + value, "", "{}"},
		{"POST", "/subjects", "", "{}"},
		{"HEAD", "/subjects", "", ""},
		{"OPTIONS", "/subjects", "", ""},
		{"GET", "/subjects/" + value + "/versions/1", "application/json; q=abc, application/vnd.schemaregistry+json;q=1e400", ""},
		{"GET", "/subjects/" + value + "/versions/1?" + strings.Repeat("offset=1&", 500), "", ""},
		{"GET", "/subjects/" + value + "/versions/1#fragment", "", ""},
		{"GET", "http://example.com/subjects?limit=1", "", ""},
		{"GET", "//subjects", "", ""},
		{"GET", "/subjects/./" + value + "/versions", "", ""},
		{"GET", "*", "", ""},
		// Regressions the fuzzer found: a malformed Accept panicked huma's
		// negotiation, x-protobuf outside a version panicked the format, and
		// an invalid asset name answered 500.
		{"GET", "/v1/topics", ";0,", ""},
		{"GET", "/v1/topics", "application/x-protobuf", ""},
		{"GET", "/healthz", "application/x-protobuf", ""},
		{"GET", "/docs/assets/%C1", "", ""},
		// Errors of the route with a protobuf form, asked for in that form
		// (they panicked the format: a 404 with a protobuf Content-Type and
		// a broken body), and in other forms: always problem+json.
		{"GET", "/v1/topics/" + topic + "/versions/999999999", "application/x-protobuf", ""},
		{"GET", "/v1/topics/nope/versions/1", "application/x-protobuf", ""},
		{"GET", "/v1/topics/" + topic + "/versions/0", "application/x-protobuf", ""},
		{"GET", "/v1/topics/" + topic + "/versions/999999999", "application/x-protobuf;q=0.9, application/json;q=0.1", ""},
		{"GET", "/v1/topics/" + topic + "/versions/999999999", "application/cbor", ""},
		{"GET", "/v1/topics/" + topic + "/versions/999999999", "*/*", ""},
		{"GET", "/v1/topics/" + topic + "/versions/999999999", "text/html", ""},
		{"GET", "/v1/topics/nope", "application/x-protobuf, application/cbor", ""},
		// The web catalog, mounted beside the APIs.
		{"GET", "/", "text/html", ""},
		{"GET", "/search?q=" + value, "text/html", ""},
		{"GET", "/topics?namespace=retail&kind=private", "text/html", ""},
		{"GET", "/topics/" + value, "text/html", ""},
		{"GET", "/topics/acme.retail.orders.events/diff?from=1&to=latest&level=FILE", "text/html", ""},
		{"GET", "/services/" + value, "text/html", ""},
		{"GET", "/graph?service=" + value, "text/html", ""},
		{"GET", "/graph.svg?namespace=retail", "", ""},
		{"GET", "/static/style.css", "", ""},
		{"POST", "/topics", "text/html", "x"},
	}
	for _, s := range seeds {
		f.Add(s.method, s.target, s.accept, []byte(s.body))
	}
	h := fuzzServer(f)

	f.Fuzz(func(t *testing.T, method, target, accept string, body []byte) {
		if len(body) > 64<<10 || len(target) > 64<<10 || len(accept) > 4<<10 {
			t.Skip("larger than a request the server reads")
		}
		req := fuzzRequest(method, target, accept, body)
		if req == nil {
			t.Skip("net/http refuses the request line before any handler runs")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		where := req.Method + " " + req.RequestURI
		if rec.Code >= 500 && !strings.Contains(rec.Body.String(), "no schema snapshot loaded yet") {
			t.Fatalf("%s (Accept %q, body %q): %d %s", where, accept, body, rec.Code, rec.Body)
		}
		if rec.Code == http.StatusOK && req.Method == http.MethodGet && req.URL.RawQuery == "" && isConfluentPath(req.URL.Path) {
			sameAsRouter(t, h, req, body, rec)
		}
		if rec.Code < 400 || rec.Code >= 500 {
			return
		}
		ct := rec.Header().Get("Content-Type")
		switch p := req.URL.Path; {
		case isConfluentPath(p):
			if isMuxDefault(rec) && req.Method != http.MethodGet && req.Method != http.MethodHead && req.Method != http.MethodPost &&
				req.Method != http.MethodPut && req.Method != http.MethodDelete && req.Method != http.MethodPatch {
				return // a method no Confluent route has (OPTIONS, TRACE, …): the mux's 405
			}
			if strings.Contains(ct, "problem") || !strings.Contains(ct, "json") {
				t.Fatalf("%s: %d with Content-Type %q: Confluent clients read only {error_code, message}: %s", where, rec.Code, ct, rec.Body)
			}
			if req.Method == http.MethodHead {
				return // no body
			}
			var e struct {
				Code    int     `json:"error_code"`
				Message *string `json:"message"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code == 0 || e.Message == nil {
				t.Fatalf("%s: %d without a Confluent error body: %s", where, rec.Code, rec.Body)
			}
			if e.Code != rec.Code && e.Code/100 != rec.Code {
				t.Fatalf("%s: status %d, but error_code %d", where, rec.Code, e.Code)
			}
		case strings.HasPrefix(p, "/v1/"):
			if isMuxDefault(rec) {
				return
			}
			if ct != "application/problem+json" {
				t.Fatalf("%s: %d with Content-Type %q, want application/problem+json: %s", where, rec.Code, ct, rec.Body)
			}
			if req.Method == http.MethodHead {
				return
			}
			var prob struct {
				Status int    `json:"status"`
				Title  string `json:"title"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &prob); err != nil || prob.Status != rec.Code || prob.Title == "" {
				t.Fatalf("%s: %d without a problem body: %s", where, rec.Code, rec.Body)
			}
		}
	})
}

// sameAsRouter checks that a plain Confluent read answers as the router
// does: the hot path (hotpath.go) serves some of them ahead of it, and must
// be invisible. A query parameter the handlers ignore sends the same request
// past the hot path, to huma.
func sameAsRouter(t *testing.T, h http.Handler, req *http.Request, body []byte, got *httptest.ResponseRecorder) {
	t.Helper()
	routed := req.Clone(req.Context())
	routed.URL.RawQuery = "hotpath=off"
	routed.Body = io.NopCloser(bytes.NewReader(body))
	want := httptest.NewRecorder()
	h.ServeHTTP(want, routed)
	for _, k := range []string{"Content-Type", "Etag", "Cache-Control", "Vary"} {
		if g, w := got.Header().Get(k), want.Header().Get(k); g != w {
			t.Fatalf("GET %s: %s %q, but %q past the hot path", req.RequestURI, k, g, w)
		}
	}
	if got.Code != want.Code || !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
		t.Fatalf("GET %s: %d %q, but %d %q past the hot path", req.RequestURI, got.Code, got.Body, want.Code, want.Body)
	}
}

// fuzzRequest parses a request as net/http's server does, from its request
// line, and gives it the body; nil when the server would refuse the line.
func fuzzRequest(method, target, accept string, body []byte) *http.Request {
	if strings.ContainsAny(method+target, " \r\n") || strings.ContainsAny(accept, "\r\n") {
		return nil // would split the request line or the header
	}
	head := method + " " + target + " HTTP/1.1\r\nHost: registry.test\r\n"
	if accept != "" {
		head += "Accept: " + accept + "\r\n"
	}
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(head + "\r\n")))
	if err != nil {
		return nil
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	req.RemoteAddr = "192.0.2.1:1234"
	return req
}
