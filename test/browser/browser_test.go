package browser_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/internal/estate"
	"github.com/backbone-registry/backbone/test/browser"
)

// tabTimeout bounds one test's browser work: a safety net against a hung
// page, not a performance assertion.
const tabTimeout = 90 * time.Second

// site is the estate served once for every test of the package.
var site struct {
	once sync.Once
	err  error
	e    *estate.Estate
	url  string
	stop func()
}

// served returns the estate and its base URL, building it on first use.
func served(t *testing.T) (*estate.Estate, string) {
	t.Helper()
	site.once.Do(func() {
		dir, err := os.MkdirTemp("", "backbone-estate-")
		if err != nil {
			site.err = err
			return
		}
		e, err := estate.Build(context.Background(), dir)
		if err != nil {
			_ = os.RemoveAll(dir)
			site.err = err
			return
		}
		site.e, site.url = e, e.URL
		site.stop = func() { _ = e.Close(); _ = os.RemoveAll(dir) }
	})
	if site.err != nil {
		t.Fatalf("build the estate: %v", site.err)
	}
	return site.e, site.url
}

// chrome is the one browser every test opens its tabs in.
var chrome struct {
	once sync.Once
	err  error
	ctx  context.Context
	stop func()
}

func TestMain(m *testing.M) {
	code := m.Run()
	if chrome.stop != nil {
		chrome.stop()
	}
	if site.stop != nil {
		site.stop()
	}
	os.Exit(code)
}

// newTab opens a tab in the shared headless Chromium (started on first
// use) and returns its context, bounded by tabTimeout. If the test fails,
// a full-page screenshot of the tab is kept and its path logged.
func newTab(t *testing.T) context.Context {
	t.Helper()
	path := browser.Chromium(t)
	chrome.once.Do(func() {
		opts := append(chromedp.DefaultExecAllocatorOptions[:], // --headless, --disable-background-networking…
			chromedp.ExecPath(path),
			chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox cannot start
			chromedp.DisableGPU,
			chromedp.WindowSize(1280, 900),
		)
		actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
		bctx, bcancel := chromedp.NewContext(actx)
		chrome.ctx, chrome.stop = bctx, func() { bcancel(); acancel() }
		chrome.err = chromedp.Do(bctx) // starts the browser; no timeout, which would stop it
	})
	if chrome.err != nil {
		t.Fatalf("start %s: %v", path, chrome.err)
	}
	tab, cancel := chromedp.NewContext(chrome.ctx)
	t.Cleanup(cancel)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(tab, tabTimeout)
	t.Cleanup(cancelTimeout)
	t.Cleanup(func() { // runs before the cancels above
		if t.Failed() {
			keepScreenshot(t, tab)
		}
	})
	return ctx
}

// keepScreenshot saves a full-page screenshot of the tab in a directory
// that outlives the test, for a human to look at.
func keepScreenshot(t *testing.T, tab context.Context) {
	ctx, cancel := context.WithTimeout(tab, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("no screenshot of the failed page: %v", err)
		return
	}
	dir, err := os.MkdirTemp("", "backbone-browser-")
	if err == nil {
		// Subtest names hold slashes and query strings: one flat file name.
		name := strings.Map(func(r rune) rune {
			if r == '/' || r == '?' || r == '&' || r == '=' || r == ' ' {
				return '_'
			}
			return r
		}, t.Name())
		p := filepath.Join(dir, name+".png")
		if err = os.WriteFile(p, png, 0o644); err == nil {
			t.Logf("screenshot of the failed page: %s", p)
			return
		}
	}
	t.Logf("no screenshot of the failed page: %v", err)
}

// run runs one action in the tab and fails the test on error.
func run[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// do runs actions in the tab and fails the test on error.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	return run(t, ctx, "evaluate "+js, chromedp.Evaluate[T](js))
}

// path returns the path and query of the tab's location.
func path(t *testing.T, ctx context.Context) string {
	t.Helper()
	loc := run(t, ctx, "read the location", chromedp.Location())
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	return u.RequestURI()
}

// TestSearchByField types a field name in the home page's search box and
// follows the result to the topic that carries it.
func TestSearchByField(t *testing.T) {
	t.Parallel()
	ctx := newTab(t)
	_, base := served(t)
	do(t, ctx, "search customer_id from the home page",
		chromedp.Navigate(base+"/"),
		chromedp.SendKeys(chromedp.ID("home-q"), "customer_id"),
		chromedp.Submit(chromedp.ID("home-q")),
		chromedp.WaitVisible(chromedp.ID("fields")),
	)
	if got, want := path(t, ctx), "/search?q=customer_id"; got != want {
		t.Errorf("after submitting, at %s, want %s", got, want)
	}
	links := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#fields li"))
		.filter(li => li.querySelector("code.fname")?.textContent === "customer_id")
		.flatMap(li => Array.from(li.querySelectorAll("a"), a => a.getAttribute("href")))`)
	want := "/topics/" + estate.Orders
	if !slices.Contains(links, want) {
		t.Fatalf("the customer_id fields link %q, want one to %s", links, want)
	}
	do(t, ctx, "follow the result to the topic",
		chromedp.Click(chromedp.CSS(`#fields a[href="`+want+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("h1.topic-name")),
	)
	if got := path(t, ctx); got != want {
		t.Errorf("after clicking the result, at %s, want %s", got, want)
	}
}

// TestTopicProducersConsumers checks that the topic page lists the
// services the catalog says write and read the topic.
func TestTopicProducersConsumers(t *testing.T) {
	t.Parallel()
	ctx := newTab(t)
	e, base := served(t)
	topic, ok := e.Catalog().Topic(estate.Orders)
	if !ok {
		t.Fatalf("no topic %s", estate.Orders)
	}
	do(t, ctx, "open the topic page",
		chromedp.Navigate(base+"/topics/"+estate.Orders),
		chromedp.WaitVisible(chromedp.ID("producers")),
		chromedp.WaitVisible(chromedp.ID("consumers")),
	)
	for _, list := range []struct {
		id   string
		want []string
	}{{"producers", topic.Producers}, {"consumers", topic.Consumers}} {
		got := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#`+list.id+` li a"), a => a.textContent.trim())`)
		if len(list.want) == 0 || !slices.Equal(got, list.want) {
			t.Errorf("#%s lists %q, want %q", list.id, got, list.want)
		}
	}
}

// TestFieldTreeExpands opens a message-typed field of the contract and
// checks that its own fields appear only then.
func TestFieldTreeExpands(t *testing.T) {
	t.Parallel()
	ctx := newTab(t)
	_, base := served(t)
	do(t, ctx, "open the topic page", chromedp.Navigate(base+"/topics/"+estate.Orders))
	// OrderEvent.metadata is an EventMetadata, whose first field is event_id.
	const details = `Array.from(document.querySelectorAll("#contract-h ~ .message > ul.fields > li > details"))
		.find(d => d.querySelector(":scope > summary code.fname")?.textContent === "metadata")`
	const inner = `Array.from((` + details + `).querySelectorAll(":scope > .message code.fname")).find(c => c.textContent === "event_id")`
	if !eval[bool](t, ctx, `!!(`+details+`) && !!(`+inner+`)`) {
		t.Fatal("no expandable metadata field with event_id inside in the topic's contract")
	}
	if eval[bool](t, ctx, `(`+details+`).open || (`+inner+`).checkVisibility()`) {
		t.Fatal("metadata is expanded before anyone clicked it")
	}
	do(t, ctx, "click the metadata field",
		chromedp.Click(chromedp.JSPath(`(`+details+`).querySelector(":scope > summary")`)),
		chromedp.WaitVisible(chromedp.JSPath(inner)),
	)
	if !eval[bool](t, ctx, `(`+details+`).open`) {
		t.Error("metadata's <details> is not open after the click")
	}
	do(t, ctx, "click it again", chromedp.Click(chromedp.JSPath(`(`+details+`).querySelector(":scope > summary")`)))
	if eval[bool](t, ctx, `(`+inner+`).checkVisibility()`) {
		t.Error("event_id is still visible after closing metadata")
	}
}

// TestDiffBreaking picks two versions in the topic page's form and checks
// the diff's verdict, its finding and the coloured rows; a compatible pair
// is checked too, so the verdict is known to depend on the versions.
func TestDiffBreaking(t *testing.T) {
	t.Parallel()
	ctx := newTab(t)
	_, base := served(t)
	do(t, ctx, "compare v1 with v2 from the topic page",
		chromedp.Navigate(base+"/topics/"+estate.DeadLetters),
		chromedp.SetValue(chromedp.ID("d-from"), "1"),
		chromedp.SetValue(chromedp.ID("d-to"), "2"),
		chromedp.Click(chromedp.CSS(`form.diff-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("verdict-h")),
	)
	if got, want := path(t, ctx), "/topics/"+estate.DeadLetters+"/diff?from=1&to=2"; got != want {
		t.Errorf("at %s, want %s", got, want)
	}
	verdict := run(t, ctx, "read the verdict", chromedp.Text(chromedp.ID("verdict-h")))
	if got, want := verdict, "Breaking: 1 finding"; got != want {
		t.Errorf("verdict %q, want %q", got, want)
	}
	finding := eval[string](t, ctx, `document.querySelector(".verdict li.sev-error")?.textContent ?? ""`)
	if !containsAll(finding, "attempts", "dead_letter.proto") {
		t.Errorf("finding %q, want one about attempts in dead_letter.proto", finding)
	}
	type cell struct {
		Text string
		RGB  []int
	}
	cells := eval[[]cell](t, ctx, `Array.from(document.querySelectorAll("table.sbs td.del, table.sbs td.add"), td => ({
		Text: td.className + ": " + td.textContent,
		RGB: getComputedStyle(td).backgroundColor.match(/\d+/g).slice(0, 3).map(Number)}))`)
	var red, green bool
	for _, c := range cells {
		switch {
		case containsAll(c.Text, "del", "int32 attempts = 10"):
			red = c.RGB[0] > c.RGB[1]
		case containsAll(c.Text, "add", "string attempts = 10"):
			green = c.RGB[1] > c.RGB[0]
		}
	}
	if !red || !green {
		t.Errorf("want the old attempts line on red and the new one on green; cells: %+v", cells)
	}
	// Two equal code columns, each far wider than its line numbers.
	w := eval[[]int](t, ctx, `Array.from(document.querySelector("table.sbs tbody tr:not(.skip)").children, td => Math.round(td.getBoundingClientRect().width))`)
	if len(w) != 4 || w[1] < 4*w[0] || w[1]-w[3] > 2 || w[3]-w[1] > 2 {
		t.Errorf("diff column widths %v, want two equal code columns", w)
	}

	do(t, ctx, "compare the orders topic's v1 with v2",
		chromedp.Navigate(base+"/topics/"+estate.Orders+"/diff?from=1&to=2"),
		chromedp.WaitVisible(chromedp.ID("verdict-h")),
	)
	if got, want := run(t, ctx, "read the verdict", chromedp.Text(chromedp.ID("verdict-h"))), "Compatible"; got != want {
		t.Errorf("%s v1 → v2 verdict %q, want %q", estate.Orders, got, want)
	}
}

// TestGraph checks that the graph is drawn with a link per node and that
// clicking a node opens its page.
func TestGraph(t *testing.T) {
	t.Parallel()
	ctx := newTab(t)
	e, base := served(t)
	g, err := e.Catalog().Graph(catalog.GraphFilter{})
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "open the graph",
		chromedp.Navigate(base+"/graph"),
		chromedp.WaitVisible(chromedp.CSS("#graph svg")),
	)
	hrefs := eval[[]string](t, ctx, `[...new Set(Array.from(document.querySelectorAll("#graph svg a"), a => a.getAttribute("href")))]`)
	if got, want := len(hrefs), len(g.Nodes); got != want || got == 0 {
		t.Errorf("the graph links %d pages, want one per node: %d", got, want)
	}
	const target = "/topics/acme.retail.fraud.results"
	if !slices.Contains(hrefs, target) {
		t.Fatalf("no node links %s; links: %q", target, hrefs)
	}
	do(t, ctx, "click the fraud results node",
		chromedp.Click(chromedp.CSS(`#graph svg a[href="`+target+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("h1.topic-name")),
	)
	if got := path(t, ctx); got != target {
		t.Errorf("after clicking the node, at %s, want %s", got, target)
	}
}

// TestKeyboard walks the page with Tab: the first stop is the skip link,
// which moves focus to the content, and the header's search box is reached.
func TestKeyboard(t *testing.T) {
	t.Parallel()
	ctx := newTab(t)
	_, base := served(t)
	do(t, ctx, "open the topics page and press Tab",
		chromedp.Navigate(base+"/topics"),
		chromedp.KeyEvent("\t"),
	)
	if got := eval[string](t, ctx, `document.activeElement.className + " " + document.activeElement.textContent`); got != "skip Skip to content" {
		t.Fatalf("the first Tab focuses %q, want the skip link", got)
	}
	if !eval[bool](t, ctx, `(r => r.left >= 0 && r.top >= 0 && r.width > 0)(document.activeElement.getBoundingClientRect())`) {
		t.Error("the focused skip link is off screen")
	}
	do(t, ctx, "follow the skip link", chromedp.KeyEvent("\r"))
	if got := eval[string](t, ctx, `document.activeElement.id`); got != "main" {
		t.Errorf("after Enter on the skip link, focus on #%s, want #main", got)
	}

	do(t, ctx, "reload", chromedp.Navigate(base+"/topics"))
	var stops []string
	for range 12 {
		do(t, ctx, "press Tab", chromedp.KeyEvent("\t"))
		id := eval[string](t, ctx, `document.activeElement.id || document.activeElement.textContent.trim()`)
		stops = append(stops, id)
		if id == "q" {
			break
		}
	}
	if stops[len(stops)-1] != "q" {
		t.Fatalf("Tab never reached the search box #q; stops: %q", stops)
	}
	do(t, ctx, "search from the keyboard",
		chromedp.KeyEvent("orders\r"),
		chromedp.WaitVisible(chromedp.ID("topics")),
	)
	if got, want := path(t, ctx), "/search?q=orders"; got != want {
		t.Errorf("after typing and Enter, at %s, want %s", got, want)
	}
}

// TestHostileDescription checks that markup in a description reaches the
// reader as text and never runs.
func TestHostileDescription(t *testing.T) {
	t.Parallel()
	ctx := newTab(t)
	_, base := served(t)
	// Record any alert, even one the Content-Security-Policy would block
	// if the markup got through.
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.alerts = 0; window.alert = () => { window.alerts++; };`,
	}); err != nil {
		t.Fatalf("watch alerts: %v", err)
	}
	do(t, ctx, "open the topic page", chromedp.Navigate(base+"/topics/"+estate.HostileTopic))
	lead := run(t, ctx, "read the description", chromedp.Text(chromedp.CSS("p.lead")))
	if !containsAll(lead, estate.Hostile) {
		t.Errorf("description %q, want it to show %q as text", lead, estate.Hostile)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("main script").length`); n != 0 {
		t.Errorf("%d <script> elements in the page's content, want 0", n)
	}
	if n := eval[int](t, ctx, `window.alerts`); n != 0 {
		t.Errorf("%d alerts ran", n)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
