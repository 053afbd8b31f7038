package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/backbone-registry/backbone/api"
	"github.com/backbone-registry/backbone/internal/estate"
	"github.com/backbone-registry/backbone/internal/gitfixture"
	"github.com/backbone-registry/backbone/web"
)

// TestStuckTopicPage: a topic stuck on a rejected commit shows its served
// version's contract with a notice linking to the rejection's findings,
// which the status page anchors; the home page lists it as needing
// attention.
func TestStuckTopicPage(t *testing.T) {
	t.Parallel()
	repo := gitfixture.New(t)
	files := gitfixture.BaseFiles()
	repo.Commit("initial", files)
	files[gitfixture.OrdersPath] = gitfixture.OrdersProto(gitfixture.FieldsNoNote)
	breaking := repo.Commit("drop note", files)
	for i := range 3 {
		files["schemas/retail/stock/v1/stock.proto"] = gitfixture.StockProto + strings.Repeat("// More.\n", i+1)
		repo.Commit("stock comment "+strconv.Itoa(i), files)
	}
	at := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	snap, store, err := estate.Ingest(t.Context(), repo.Dir, "schemas", filepath.Join(t.TempDir(), "r.db"), func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	srv := httptest.NewServer(api.New(snap, api.Config{Web: web.New(snap, web.Config{Version: "test"})}))
	t.Cleanup(srv.Close)
	rej, ok := snap.Catalog().History().OpenRejection(gitfixture.OrdersTopic)
	if !ok || rej.ID <= 0 {
		t.Fatalf("no open rejection of %s: %+v", gitfixture.OrdersTopic, snap.Catalog().History().Rejections())
	}
	anchor := "/status#rejection-" + strconv.FormatInt(rej.ID, 10)

	page := func(path string) string {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Accept", "text/html")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		return string(body)
	}
	topic := page("/topics/" + gitfixture.OrdersTopic)
	notice := "Commit <code>" + breaking[:10] + "</code> (first seen <time datetime=\"2026-11-24T00:00:00Z\">2026-11-24 00:00 UTC</time>, 4 commits since) was rejected."
	for _, want := range []string{notice, `<a href="` + anchor + `">See its findings</a>`, "version 1", `<code class="fname">note</code>`} {
		if !strings.Contains(topic, want) {
			t.Errorf("topic page lacks %q", want)
		}
	}
	status := page("/status")
	if n := len(regexp.MustCompile(`<article class="rejection`).FindAllString(status, -1)); n != 1 {
		t.Errorf("status page lists %d rejections, want 1", n)
	}
	for _, want := range []string{`id="rejection-` + strconv.FormatInt(rej.ID, 10) + `"`, "4 commits rejected", "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED"} {
		if !strings.Contains(status, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	if home := page("/"); !strings.Contains(home, "Needs attention: rejected commits") {
		t.Errorf("home page does not list the open rejection")
	}
}
