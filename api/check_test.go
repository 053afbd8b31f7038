package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/api"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/compat"
	"github.com/backbone-registry/backbone/internal/estate"
	"github.com/backbone-registry/backbone/lint"
)

const (
	ordersProto = "retail/orders/v1/orders.proto"
	ordersTopic = "acme.retail.orders.events"
	customerID  = "  string customer_id = 3;\n"
)

// checkServer serves src with POST /v1/check wired as cmd/registry wires it.
func checkServer(t *testing.T, src api.Source, cfg api.Config) string {
	t.Helper()
	cfg.Check = lint.Checker(catalog.Options{Limits: cfg.Limits})
	srv := httptest.NewServer(api.New(src, cfg))
	t.Cleanup(srv.Close)
	return srv.URL
}

// postCheck sends body (JSON-encoded unless it is a string) and returns
// the status, the content type and the body.
func postCheck(t *testing.T, url string, body any, header ...string) (int, string, []byte) {
	t.Helper()
	raw, ok := body.(string)
	if !ok {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		raw = string(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url+"/v1/check", strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), out
}

// checkReport posts a request that must succeed and decodes the report.
func checkReport(t *testing.T, url string, body any) lint.Report {
	t.Helper()
	status, _, out := postCheck(t, url, body)
	if status != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", status, out)
	}
	var rep lint.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return rep
}

// edited returns the served file with old replaced by new, once.
func edited(t *testing.T, c *catalog.Catalog, file, old, new string) string {
	t.Helper()
	text := string(c.Files()[file])
	if !strings.Contains(text, old) {
		t.Fatalf("%s has no %q", file, old)
	}
	return strings.Replace(text, old, new, 1)
}

func findingsOf(rep lint.Report, rule string) []lint.Finding {
	var out []lint.Finding
	for _, f := range rep.Findings {
		if f.Rule == rule {
			out = append(out, f)
		}
	}
	return out
}

func ruleIDs(rep lint.Report) []string {
	var out []string
	for _, f := range rep.Findings {
		out = append(out, string(f.Severity)+" "+f.Rule+" "+f.Topic)
	}
	return out
}

// TestCheck checks candidates against the estate: a Git history of the
// demo with three versions of acme.retail.orders.events.
func TestCheck(t *testing.T) {
	t.Parallel()
	e := estate.New(t)
	served := e.Catalog()
	url := checkServer(t, e.Snapshot, api.Config{})
	orders, ok := served.Topic(ordersTopic)
	if !ok || len(orders.Consumers) == 0 {
		t.Fatalf("the estate has no consumed %s", ordersTopic)
	}

	t.Run("served tree", func(t *testing.T) {
		t.Parallel()
		rep := checkReport(t, url, map[string]any{"mode": "replace", "files": stringsOf(served.Files())})
		if rep.Summary.Errors != 0 || len(rep.Topics) != 0 {
			t.Errorf("the served tree checked against itself: %v, topics %v; want no errors, no changes", ruleIDs(rep), rep.Topics)
		}
	})

	t.Run("compatible", func(t *testing.T) {
		t.Parallel()
		proto := edited(t, served, ordersProto, customerID, customerID+"  // Coupon code the customer redeemed, if any.\n  string coupon = 99;\n")
		rep := checkReport(t, url, map[string]any{"files": map[string]string{ordersProto: proto}})
		if rep.Summary.Errors != 0 {
			t.Errorf("a documented new field: %v, want no errors", ruleIDs(rep))
		}
		if len(rep.Topics) != 1 || rep.Topics[0].Topic != ordersTopic || rep.Topics[0].Change != lint.ChangeChanged || rep.Topics[0].Breaking {
			t.Errorf("topics %+v, want %s changed, not breaking", rep.Topics, ordersTopic)
		}
	})

	t.Run("breaking", func(t *testing.T) {
		t.Parallel()
		proto := edited(t, served, ordersProto, customerID, "  int64 customer_id = 3;\n")
		rep := checkReport(t, url, map[string]any{"mode": "overlay", "files": map[string]string{ordersProto: proto}})
		var breaking []lint.Finding
		for _, f := range rep.Findings {
			if f.Topic == ordersTopic && f.Severity == registry.SeverityError {
				breaking = append(breaking, f)
			}
		}
		if len(breaking) == 0 || rep.Summary.Errors == 0 {
			t.Fatalf("customer_id string → int64: %v, want an error finding on %s", ruleIDs(rep), ordersTopic)
		}
		f := breaking[0]
		if f.File != ordersProto || f.Line == 0 || f.Column == 0 {
			t.Errorf("finding at %s:%d:%d, want %s with line and column", f.File, f.Line, f.Column, ordersProto)
		}
		if !slices.Equal(f.Consumers, orders.Consumers) || len(f.Teams) == 0 {
			t.Errorf("consumers %v, teams %v: want %v and their teams", f.Consumers, f.Teams, orders.Consumers)
		}
		// FULL_TRANSITIVE: checked against every version the history holds.
		if len(rep.Topics) != 1 || !rep.Topics[0].Breaking || rep.Topics[0].Versions != len(served.History().Versions(ordersTopic)) {
			t.Errorf("topics %+v, want %s breaking, checked against its %d versions", rep.Topics, ordersTopic, len(served.History().Versions(ordersTopic)))
		}
		if !strings.Contains(rep.Against, e.Commits.Fixed[:12]) {
			t.Errorf("against %q, want the served commit %s", rep.Against, e.Commits.Fixed[:12])
		}

		// The answer is what `registry lint --format json` prints.
		files := maps.Clone(served.Files())
		files[ordersProto] = []byte(proto)
		want, err := lint.CheckFiles(t.Context(), served, files, catalog.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var printed bytes.Buffer
		if err := lint.WriteJSON(&printed, want); err != nil {
			t.Fatal(err)
		}
		_, _, out := postCheck(t, url, map[string]any{"files": map[string]string{ordersProto: proto}})
		var a, b any
		if err := json.Unmarshal(out, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(printed.Bytes(), &b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("the answer differs from registry lint --format json:\n%s\nwant\n%s", out, printed.Bytes())
		}
	})

	t.Run("governance", func(t *testing.T) {
		t.Parallel()
		const fraud = "retail/fraud/service.yaml"
		yaml := edited(t, served, fraud, "topics:\n", "topics:\n  - name: Scores\n    description: Risk scores.\n    value: acme.retail.fraud.v1.FraudAssessment\n")
		rep := checkReport(t, url, map[string]any{"files": map[string]string{fraud: yaml}})
		got := findingsOf(rep, catalog.RuleTopicName)
		if len(got) == 0 || got[0].Severity != registry.SeverityError || got[0].File != fraud || got[0].Line == 0 {
			t.Errorf("a topic named Scores: %v, want a TOPIC_NAME error in %s", ruleIDs(rep), fraud)
		}
	})

	t.Run("syntax error", func(t *testing.T) {
		t.Parallel()
		proto := edited(t, served, ordersProto, customerID, "  string customer_id = ;\n")
		rep := checkReport(t, url, map[string]any{"files": map[string]string{ordersProto: proto}})
		got := findingsOf(rep, lint.RuleCompile)
		if len(got) == 0 || got[0].File != ordersProto || got[0].Line == 0 || got[0].Column == 0 || rep.Summary.Errors == 0 {
			t.Fatalf("findings %+v, want a COMPILE error at %s:line:col", rep.Findings, ordersProto)
		}
		if line := strings.Count(proto[:strings.Index(proto, "customer_id = ;")], "\n") + 1; got[0].Line != line {
			t.Errorf("COMPILE finding on line %d, want %d", got[0].Line, line)
		}
	})

	t.Run("delete a consumed topic", func(t *testing.T) {
		t.Parallel()
		fraud, _ := served.Topic("acme.retail.fraud.results")
		rep := checkReport(t, url, map[string]any{"delete": []string{"retail/fraud/service.yaml", "retail/fraud/v1/fraud.proto"}})
		got := findingsOf(rep, lint.RuleTopicNoDelete)
		if len(got) != 1 || got[0].Topic != fraud.Name || got[0].Severity != registry.SeverityError {
			t.Fatalf("deleting acme.retail.fraud: %v, want one TOPIC_NO_DELETE error on %s", ruleIDs(rep), fraud.Name)
		}
		if !slices.Equal(got[0].Consumers, fraud.Consumers) {
			t.Errorf("consumers %v, want %v", got[0].Consumers, fraud.Consumers)
		}
		if rep.Summary.TopicsDeleted != 1 {
			t.Errorf("summary %+v, want one topic deleted", rep.Summary)
		}
	})

	t.Run("bad requests", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			name string
			body any
			want string // in the problem
		}{
			{"no files", map[string]any{}, "no files"},
			{"empty replace", map[string]any{"mode": "replace", "files": map[string]string{}}, "whole candidate tree"},
			{"dot dot", map[string]any{"files": map[string]string{"retail/../../etc/x.proto": "x"}}, "contains .."},
			{"absolute", map[string]any{"files": map[string]string{"/etc/x.proto": "x"}}, "absolute"},
			{"unclean", map[string]any{"files": map[string]string{"retail//x.proto": "x"}}, "not a clean path"},
			{"backslash", map[string]any{"files": map[string]string{`retail\x.proto`: "x"}}, "slash-separated"},
			{"hidden", map[string]any{"files": map[string]string{".git/x.proto": "x"}}, "hidden"},
			{"not a repository file", map[string]any{"files": map[string]string{"README.md": "x"}}, "not a repository file"},
			{"delete unknown", map[string]any{"delete": []string{"retail/nope/service.yaml"}}, "no such file"},
			{"delete and give", map[string]any{"files": map[string]string{ordersProto: "x"}, "delete": []string{ordersProto}}, "both"},
			{"delete in replace mode", map[string]any{"mode": "replace", "files": map[string]string{ordersProto: "x"}, "delete": []string{ordersProto}}, "overlay mode"},
			{"null content", `{"files": {"retail/orders/v1/orders.proto": null}}`, "string"},
			{"unknown mode", map[string]any{"mode": "merge", "files": map[string]string{ordersProto: "x"}}, "mode"},
			{"not JSON", `{"files":`, ""},
		} {
			status, ctype, out := postCheck(t, url, tc.body)
			if status != http.StatusUnprocessableEntity && !(tc.name == "not JSON" && status == http.StatusBadRequest) {
				t.Errorf("%s: status %d, want 422: %s", tc.name, status, out)
				continue
			}
			if ctype != "application/problem+json" || !strings.Contains(string(out), tc.want) {
				t.Errorf("%s: %s %s, want problem+json mentioning %q", tc.name, ctype, out, tc.want)
			}
		}
	})

	t.Run("body limit", func(t *testing.T) {
		t.Parallel()
		small := checkServer(t, e.Snapshot, api.Config{MaxBodyBytes: 1 << 10})
		status, _, out := postCheck(t, small, map[string]any{"files": map[string]string{ordersProto: strings.Repeat("x", 2<<10)}})
		if status != http.StatusRequestEntityTooLarge {
			t.Errorf("a body over MaxBodyBytes: status %d, want 413: %s", status, out)
		}
	})
}

func stringsOf(files map[string][]byte) map[string]string {
	out := make(map[string]string, len(files))
	for p, b := range files {
		out[p] = string(b)
	}
	return out
}

// source serves a fixed catalog (nil: none yet).
type source struct{ c *catalog.Catalog }

func (s source) Catalog() *catalog.Catalog { return s.c }

// TestCheckPlainDirectory checks against a catalog served without history
// (registry serve --dir): the current contracts are the base.
func TestCheckPlainDirectory(t *testing.T) {
	t.Parallel()
	served, err := catalog.Load(t.Context(), os.DirFS("../schemas"), catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	url := checkServer(t, source{served}, api.Config{})
	files := maps.Clone(stringsOf(served.Files()))
	files[ordersProto] = edited(t, served, ordersProto, customerID, "  int64 customer_id = 3;\n")
	rep := checkReport(t, url, map[string]any{"mode": "replace", "files": files})
	if len(rep.Topics) != 1 || rep.Topics[0].Topic != ordersTopic || !rep.Topics[0].Breaking {
		t.Errorf("topics %+v, want %s breaking", rep.Topics, ordersTopic)
	}
	if !slices.Contains(rep.Notes, lint.ServedNoHistory) {
		t.Errorf("notes %q, want %q", rep.Notes, lint.ServedNoHistory)
	}
}

func TestCheckUnavailable(t *testing.T) {
	t.Parallel()
	body := map[string]any{"files": map[string]string{ordersProto: "x"}}
	if status, ctype, out := postCheck(t, checkServer(t, source{}, api.Config{}), body); status != http.StatusServiceUnavailable || ctype != "application/problem+json" {
		t.Errorf("before the first snapshot: %d %s %s, want 503 problem+json", status, ctype, out)
	}
	served, err := catalog.Load(t.Context(), os.DirFS("../schemas"), catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(source{served}, api.Config{}))
	t.Cleanup(srv.Close)
	if status, _, out := postCheck(t, srv.URL, body); status != http.StatusNotImplemented {
		t.Errorf("without a Checker: %d %s, want 501", status, out)
	}
}

// TestCheckAccess: a check changes nothing, so read credentials suffice.
func TestCheckAccess(t *testing.T) {
	t.Parallel()
	served, err := catalog.Load(t.Context(), os.DirFS("../schemas"), catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	auth, err := api.NewAuth([]api.Credential{{Name: "ci", Role: api.RoleRead, Token: "read-token"}}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	url := checkServer(t, source{served}, api.Config{Auth: auth})
	body := map[string]any{"files": map[string]string{ordersProto: string(served.Files()[ordersProto])}}
	if status, _, out := postCheck(t, url, body); status != http.StatusUnauthorized {
		t.Errorf("without credentials: %d %s, want 401", status, out)
	}
	status, _, out := postCheck(t, url, body, "Authorization", "Bearer read-token")
	if status != http.StatusOK || !bytes.Contains(out, []byte(`"summary"`)) {
		t.Errorf("with a read token: %d %s, want 200 and a report", status, out)
	}
}

// TestCheckLimits: a candidate is held to the server's limit flags over
// its registry.yaml's limits:, and a tree over one is a 422 naming the
// file, its size, the limit and how to raise it.
func TestCheckLimits(t *testing.T) {
	t.Parallel()
	served, err := catalog.Load(t.Context(), os.DirFS("../schemas"), catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	big := edited(t, served, ordersProto, customerID, customerID+"  // "+strings.Repeat("x", 20<<10)+"\n")
	size := compat.FormatSize(int64(len(big)))
	over := func(limit string) string {
		return ordersProto + ": " + size + " is over the per-file limit of " + limit + "; raise it with limits.max_file_size in registry.yaml or --max-file-size"
	}
	repoYAML := string(served.Files()[catalog.RepoFile])
	for _, tc := range []struct {
		name  string
		flags compat.Limits
		files map[string]string
		want  string // "": accepted
	}{
		{"default limits", compat.Limits{}, map[string]string{ordersProto: big}, ""},
		{"the flag", compat.Limits{MaxFileSize: 16 << 10}, map[string]string{ordersProto: big}, over("16 KiB")},
		{"the candidate's registry.yaml", compat.Limits{}, map[string]string{ordersProto: big, catalog.RepoFile: repoYAML + "limits:\n  max_file_size: 8KiB\n"}, over("8 KiB")},
		{"the flag over registry.yaml", compat.Limits{MaxFileSize: 1 << 20}, map[string]string{ordersProto: big, catalog.RepoFile: repoYAML + "limits:\n  max_file_size: 8KiB\n"}, ""},
		{"the total", compat.Limits{MaxTotalSize: 16 << 10}, map[string]string{ordersProto: big}, "over the total-size limit of 16 KiB; raise it with limits.max_total_size in registry.yaml or --max-total-size"},
	} {
		url := checkServer(t, source{served}, api.Config{Limits: tc.flags})
		status, _, out := postCheck(t, url, map[string]any{"files": tc.files})
		switch {
		case tc.want == "" && (status != http.StatusOK || strings.Contains(string(out), lint.RuleCompile)):
			t.Errorf("%s: status %d, want 200 with no %s finding: %s", tc.name, status, lint.RuleCompile, out)
		case tc.want != "" && (status != http.StatusUnprocessableEntity || !strings.Contains(string(out), tc.want)):
			t.Errorf("%s: status %d %s, want 422 saying %q", tc.name, status, out, tc.want)
		}
	}
}
