package web_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/backbone-registry/backbone/internal/estate"
)

// The pages that show history, on an estate synced from Git: versions, a
// rejected commit, diffs, status. Served through api.New, as in production.
func TestHistoryPages(t *testing.T) {
	t.Parallel()
	e := estate.New(t)
	short := func(sha string) string { return sha[:10] }
	tests := []struct {
		path   string
		status int
		want   []string
		not    []string
	}{
		{"/", 200, []string{"Recently changed"}, []string{
			"Needs attention: rejected commits", // the rejection was fixed
		}},
		{"/topics/" + estate.Orders, 200, []string{
			"<td>v3</td>", "<td>v2</td>", "<td>v1</td>",
			`<code>` + short(e.Commits.Fixed) + `</code>`,
			`<code>` + short(e.Commits.Compatible) + `</code>`,
			`/diff?from=2&amp;to=3">diff</a>`,
			`<code class="fname">sales_region</code>`,
			`<a href="/v1/schemas/`,
			`schema, err := c.Topic(ctx, "` + estate.Orders + `", 3)`,
		}, []string{short(e.Commits.Breaking)}}, // a rejected commit is no version
		{"/topics/" + estate.Orders + "/diff?from=1&to=3", 200, []string{
			"v1 → v3", "<h2 id=\"verdict-h\">Compatible</h2>",
			`<span class="badge st-changed">changed</span>`,
			`<td class="code add"><span class="visually-hidden">added: </span><code>  string sales_region = 5;</code>`,
		}, []string{"Breaking:"}},
		{"/topics/" + estate.Orders + "/diff", 200, []string{"v2 → v3"}, nil},
		{"/topics/" + estate.DeadLetters + "/diff?from=1&to=2", 200, []string{
			"<h2 id=\"verdict-h\">Breaking:",
			`<td class="code del"><span class="visually-hidden">removed: </span><code>  int32 attempts = 10;</code>`,
			`<td class="code add"><span class="visually-hidden">added: </span><code>  string attempts = 10;</code>`,
			"attempts",
		}, nil},
		{"/topics/" + estate.Orders + "/diff?from=1&to=9", 404, []string{"has no version 9"}, nil},
		{"/topics/" + estate.HostileTopic, 200, []string{"&lt;script&gt;alert(1)&lt;/script&gt;"}, []string{estate.Hostile}},
		{"/nowhere", 404, []string{"no page at /nowhere"}, nil}, // a browser's 404 is the catalog's page
		{"/v1/nowhere", 404, nil, []string{"<!doctype html>"}},  // the API's paths are not
		{"/search?q=sales_region", 200, []string{`<code class="fname">sales_region</code>`, `href="/topics/` + estate.Orders + `"`}, nil},
		{"/status", 200, []string{
			"following a Git branch", "<code>" + e.Commits.Fixed + "</code>", "<code>main</code>",
			"Rejected commits", "orders: customer ids are numbers now",
			`<a href="/topics/` + estate.Orders + `">` + estate.Orders + `</a> <span class="muted">at <code>` + short(e.Commits.Breaking) + `</code></span> <span class="badge">fixed</span>`,
			"fixed by <code>" + short(e.Commits.Fixed) + "</code>",
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Accept", "text/html")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			body := string(raw)
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %q", w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(body, n) {
					t.Errorf("body has %q", n)
				}
			}
		})
	}
}

// Version rows are newest first and each links its schema IDs.
func TestVersionTableOrder(t *testing.T) {
	t.Parallel()
	e := estate.New(t)
	_, _, body := get(t, e.URL+"/topics/"+estate.Orders)
	rows := regexp.MustCompile(`<td>v(\d+)`).FindAllStringSubmatch(body, -1)
	var got []string
	for _, r := range rows {
		got = append(got, r[1])
	}
	if strings.Join(got, ",") != "3,2,1" {
		t.Errorf("version rows %v, want 3,2,1", got)
	}
}
