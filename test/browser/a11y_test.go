package browser_test

import (
	_ "embed"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/backbone-registry/backbone/internal/estate"
)

// axeSource is axe-core 4.14.1 (Deque Systems, MPL-2.0, unmodified; its
// licence is testdata/axe.LICENSE), the accessibility rules engine browsers'
// audits use. It is evaluated through the DevTools protocol, so the pages'
// Content-Security-Policy need not allow it and the pages never load it.
//
//go:embed testdata/axe.min.js
var axeSource string

// violation is what axe reports of a rule a page breaks.
type violation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// TestAccessibility audits every kind of page with axe-core against WCAG
// 2.1 A and AA (labels, names, contrast, landmarks, ARIA): no violation of
// serious or critical impact is allowed, and minor ones are logged.
func TestAccessibility(t *testing.T) {
	t.Parallel()
	_, base := served(t)
	pages := []string{
		"/",
		"/search?q=customer_id",
		"/topics",
		"/topics/" + estate.Orders,
		"/topics/" + estate.DeadLetters + "/diff?from=1&to=2",
		"/services",
		"/services/acme.retail.orders",
		"/graph",
		"/graph?namespace=retail",
		"/status",
		"/nowhere",
	}
	for _, page := range pages {
		t.Run(page, func(t *testing.T) {
			ctx := newTab(t)
			do(t, ctx, "open "+page,
				chromedp.Navigate(base+page),
				chromedp.WaitReady("body"),
			)
			run(t, ctx, "load axe-core", chromedp.Evaluate[bool](axeSource+";true"))
			found := run(t, ctx, "run axe", chromedp.Evaluate[[]violation](
				`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}).then(r => r.violations)`,
				chromedp.EvalAwaitPromise))
			for _, v := range found {
				var where []string
				for _, n := range v.Nodes {
					where = append(where, fmt.Sprint(n.Target...))
				}
				msg := fmt.Sprintf("%s (%s): %s at %s", v.ID, v.Impact, v.Help, strings.Join(where, ", "))
				if v.Impact == "serious" || v.Impact == "critical" {
					t.Error(msg)
				} else {
					t.Log(msg)
				}
			}
		})
	}
}
