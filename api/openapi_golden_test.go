package api_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/backbone-registry/backbone/api"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const openAPIGolden = "testdata/openapi.golden.json"

// openAPIDocument is what `registry openapi` prints, with a fixed version so
// that the golden file only changes when the API does.
func openAPIDocument(t *testing.T) []byte {
	t.Helper()
	h := humago.New(http.NewServeMux(), api.HumaConfig("test"))
	api.Register(h, nil, api.Config{})
	out, err := json.MarshalIndent(h.OpenAPI(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

// TestOpenAPIGolden compares the OpenAPI document with the reviewed one, so
// that every API change shows up in review. Refresh it with
//
//	go test ./api -run TestOpenAPIGolden -update
func TestOpenAPIGolden(t *testing.T) {
	t.Parallel()
	got := openAPIDocument(t)
	if again := openAPIDocument(t); !bytes.Equal(got, again) {
		t.Fatal("the OpenAPI document is not deterministic: two renderings differ")
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(openAPIGolden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(openAPIGolden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(openAPIGolden)
	if err != nil {
		t.Fatalf("%v (create it with -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the OpenAPI document differs from %s (review the change, then run go test ./api -run TestOpenAPIGolden -update):\n%s",
			openAPIGolden, firstDifference(string(want), string(got)))
	}
}

// firstDifference shows where two texts start to differ, with a few lines
// of context.
func firstDifference(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	i := 0
	for i < len(w) && i < len(g) && w[i] == g[i] {
		i++
	}
	lines := func(l []string) string {
		from, to := max(i-3, 0), min(i+4, len(l))
		return strings.Join(l[from:to], "\n")
	}
	return "line " + strconv.Itoa(i+1) + ", golden:\n" + lines(w) + "\n\nnow:\n" + lines(g)
}

// TestOpenAPIDocument checks the document minimally: every operation is
// named, summarised and tagged, names are unique, and both APIs are there.
func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	var doc struct {
		OpenAPI string `json:"openapi"`
		Info    struct {
			Title   string `json:"title"`
			Version string `json:"version"`
		} `json:"info"`
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDocument(t), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") || doc.Info.Title == "" || doc.Info.Version != "test" {
		t.Errorf("header: openapi %q, info %+v", doc.OpenAPI, doc.Info)
	}
	methods := []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}
	ids := map[string]string{}
	for path, item := range doc.Paths {
		for method, raw := range item {
			if !slices.Contains(methods, method) {
				continue
			}
			var op struct {
				OperationID string                     `json:"operationId"`
				Summary     string                     `json:"summary"`
				Tags        []string                   `json:"tags"`
				Responses   map[string]json.RawMessage `json:"responses"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Errorf("%s %s: %v", method, path, err)
				continue
			}
			where := strings.ToUpper(method) + " " + path
			if op.OperationID == "" || op.Summary == "" || len(op.Tags) == 0 || len(op.Responses) == 0 {
				t.Errorf("%s: operationId %q, summary %q, tags %v, %d responses: each must be set", where, op.OperationID, op.Summary, op.Tags, len(op.Responses))
			}
			if other, dup := ids[op.OperationID]; dup {
				t.Errorf("operationId %q is used by %s and %s", op.OperationID, other, where)
			}
			ids[op.OperationID] = where
		}
	}
	want := map[string][]string{
		// Native.
		"/healthz":                              {"get"},
		"/readyz":                               {"get"},
		"/v1/topics":                            {"get"},
		"/v1/topics/{topic}":                    {"get"},
		"/v1/topics/{topic}/versions":           {"get"},
		"/v1/topics/{topic}/versions/{version}": {"get"},
		"/v1/topics/{topic}/diff":               {"get"},
		"/v1/check":                             {"post"},
		"/v1/schemas/{id}":                      {"get"},
		"/v1/services":                          {"get"},
		"/v1/services/{service}":                {"get"},
		"/v1/search":                            {"get"},
		"/v1/graph":                             {"get"},
		"/v1/rules":                             {"get"},
		"/v1/status":                            {"get"},
		"/v1/sync":                              {"post"},
		"/v1/hooks/git":                         {"post"},
		// Confluent.
		"/schemas":                                             {"get"},
		"/schemas/types":                                       {"get"},
		"/schemas/ids/{id}":                                    {"get"},
		"/schemas/ids/{id}/schema":                             {"get"},
		"/schemas/ids/{id}/subjects":                           {"get"},
		"/schemas/ids/{id}/versions":                           {"get"},
		"/subjects":                                            {"get"},
		"/subjects/{subject}":                                  {"post", "delete"},
		"/subjects/{subject}/versions":                         {"get", "post"},
		"/subjects/{subject}/versions/{version}":               {"get", "delete"},
		"/subjects/{subject}/versions/{version}/schema":        {"get"},
		"/subjects/{subject}/versions/{version}/referencedby":  {"get"},
		"/compatibility/subjects/{subject}/versions":           {"post"},
		"/compatibility/subjects/{subject}/versions/{version}": {"post"},
		"/config":           {"get", "put", "delete"},
		"/config/{subject}": {"get", "put", "delete"},
		"/mode":             {"get", "put", "delete"},
		"/mode/{subject}":   {"get", "put", "delete"},
		"/contexts":         {"get"},
	}
	for path, ms := range want {
		for _, m := range ms {
			if _, ok := doc.Paths[path][m]; !ok {
				t.Errorf("%s %s is not documented", strings.ToUpper(m), path)
			}
		}
	}
}
