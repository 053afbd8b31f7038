package browser_test

import (
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/backbone-registry/backbone/api"
	"github.com/backbone-registry/backbone/internal/estate"
	"github.com/backbone-registry/backbone/internal/gitfixture"
	"github.com/backbone-registry/backbone/web"
)

// TestStuckTopicNotice opens the page of a topic stuck on a rejected
// commit: it shows the served contract under a notice, whose link leads
// to the rejection's findings on the status page.
func TestStuckTopicNotice(t *testing.T) {
	t.Parallel()
	repo := gitfixture.New(t)
	files := gitfixture.BaseFiles()
	repo.Commit("initial", files)
	files[gitfixture.OrdersPath] = gitfixture.OrdersProto(gitfixture.FieldsNoNote)
	breaking := repo.Commit("drop note", files)
	files["schemas/retail/stock/v1/stock.proto"] = gitfixture.StockProto + "// More.\n"
	repo.Commit("stock comment", files)
	at := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	snap, store, err := estate.Ingest(t.Context(), repo.Dir, "schemas", filepath.Join(t.TempDir(), "r.db"), func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	srv := httptest.NewServer(api.New(snap, api.Config{Web: web.New(snap, web.Config{Version: "test"})}))
	t.Cleanup(srv.Close)
	rej, ok := snap.Catalog().History().OpenRejection(gitfixture.OrdersTopic)
	if !ok {
		t.Fatalf("no open rejection of %s", gitfixture.OrdersTopic)
	}

	ctx := newTab(t)
	do(t, ctx, "open the topic page",
		chromedp.Navigate(srv.URL+"/topics/"+gitfixture.OrdersTopic),
		chromedp.WaitVisible(chromedp.ID("rejected")),
	)
	notice := run(t, ctx, "read the notice", chromedp.Text(chromedp.ID("rejected")))
	if want := "Commit " + breaking[:10] + " (first seen 2026-11-24 00:00 UTC, 2 commits since) was rejected."; !strings.Contains(notice, want) {
		t.Errorf("notice %q lacks %q", notice, want)
	}
	fields := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#contract-h ~ .message > .fields > li code.fname"), c => c.textContent)`)
	if !strings.Contains(strings.Join(fields, " "), "note") {
		t.Errorf("the contract shows fields %q, want the served version's, note included", fields)
	}
	anchor := "rejection-" + strconv.FormatInt(rej.ID, 10)
	do(t, ctx, "follow the notice's link",
		chromedp.Click(chromedp.CSS(`#rejected a`)),
		chromedp.WaitVisible(chromedp.ID(anchor)),
	)
	if got, want := path(t, ctx), "/status"; got != want {
		t.Errorf("the link led to %s, want %s", got, want)
	}
	if target := eval[string](t, ctx, `document.querySelector(":target") ? document.querySelector(":target").id : ""`); target != anchor {
		t.Errorf("the status page's target is %q, want %q", target, anchor)
	}
	if text := eval[string](t, ctx, `document.getElementById("`+anchor+`").textContent`); !strings.Contains(text, "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED") {
		t.Errorf("the rejection's findings are not shown: %q", text)
	}
}
