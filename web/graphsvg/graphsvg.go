// Package graphsvg draws a catalog.Graph as a standalone SVG picture, on the
// server and without JavaScript, so the web catalog can inline it in a page
// or serve it as image/svg+xml.
//
// The layout is layered left to right: services that produce sit in the
// left column, topics in the middle, services that consume in the right
// column, so every arrow points right (a service that does both appears on
// both sides). Columns are ordered with the barycentre heuristic to keep
// crossings low and boxes sit near their neighbours without overlapping;
// the canvas grows with the content. Every node is a link with an
// accessible name and a tooltip carrying its full name. The output is
// deterministic: the same graph gives the same bytes.
package graphsvg

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/catalog"
)

// Options tune Write. The zero value is ready to use.
type Options struct {
	// Link returns the href of a node; "" draws the node without a link.
	// nil: DefaultLink. Links with a scheme other than http or https are
	// dropped.
	Link func(catalog.GraphNode) string
	// Highlight is the ID of the node to emphasise with its edges; "": the
	// graph's Centre.
	Highlight string
	// Title names the picture; "": "Dependency graph".
	Title string
}

// DefaultLink links a service to /services/<name> and a topic to
// /topics/<name>, the web catalog's pages.
func DefaultLink(n catalog.GraphNode) string {
	if n.Type == catalog.NodeTopic {
		return "/topics/" + url.PathEscape(n.Name)
	}
	return "/services/" + url.PathEscape(n.Name)
}

// Write draws g as an SVG document on w. It returns an error, having
// written nothing, when g is inconsistent: an edge to a missing node, a
// node twice, an unknown type or relation.
func Write(w io.Writer, g catalog.Graph, opt Options) error {
	l, err := newLayout(g)
	if err != nil {
		return fmt.Errorf("draw graph: %w", err)
	}
	if opt.Link == nil {
		opt.Link = DefaultLink
	}
	if opt.Highlight == "" {
		opt.Highlight = g.Centre
	}
	if opt.Title == "" {
		opt.Title = "Dependency graph"
	}
	legend := legendItems(l)
	l.width = max(l.width, legendWidth(legend)+2*margin)
	if len(l.boxes) == 0 {
		l.height = headerH + 20 + margin
	}

	bw := bufio.NewWriter(w)
	p := &printer{w: bw}
	p.printf(`<svg xmlns="http://www.w3.org/2000/svg" class="bbg" width="%d" height="%d" viewBox="0 0 %d %d" role="group" aria-labelledby="bbg-title" aria-describedby="bbg-desc">`+"\n",
		l.width, l.height, l.width, l.height)
	p.printf(`<title id="bbg-title">%s</title>`+"\n", esc(opt.Title))
	p.printf(`<desc id="bbg-desc">%s</desc>`+"\n", esc(describe(g, l)))
	p.printf("<style>%s</style>\n", style)
	p.printf("%s\n", defs)
	p.printf(`<rect class="bbg-bg" width="%d" height="%d"/>`+"\n", l.width, l.height)
	p.printf(`<text class="bbg-h1" x="%d" y="26" aria-hidden="true">%s</text>`+"\n", margin, esc(opt.Title))
	writeLegend(p, legend)
	writeHeadings(p, l)
	if len(l.boxes) == 0 {
		p.printf(`<text x="%d" y="%d">Nothing to show: no service or topic matches.</text>`+"\n", margin, headerH+16)
	}
	writeEdges(p, l, opt.Highlight)
	writeNodes(p, l, opt)
	p.printf("</svg>\n")
	return bw.Flush() // bufio keeps the first write error
}

// printer writes formatted output; bufio.Writer remembers the first error.
type printer struct{ w *bufio.Writer }

func (p *printer) printf(format string, args ...any) { fmt.Fprintf(p.w, format, args...) }

// esc escapes s for XML text and attribute values (quotes included), and
// replaces characters XML cannot carry.
func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder does not fail
	return b.String()
}

// num formats a coordinate with at most one decimal.
func num(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

// kindClass is the CSS class of a topic kind.
func kindClass(k registry.Kind) string {
	switch {
	case k == registry.KindEvents, k == registry.KindResults, k == registry.KindCommands:
		return string(k)
	case k.IsPrivate():
		return "private"
	}
	return "other"
}

// safeHref returns href if it is relative or http(s), "" otherwise, so a
// caller's Link cannot produce a javascript: URL.
func safeHref(href string) string {
	u, err := url.Parse(href)
	if err != nil || (u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	return href
}

func describe(g catalog.Graph, l *layout) string {
	services, topics := 0, 0
	for _, n := range g.Nodes {
		if n.Type == catalog.NodeTopic {
			topics++
		} else {
			services++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s, %s. ", plural(services, "service"), plural(topics, "topic"), plural(len(l.lines), "edge"))
	b.WriteString("Services that produce are on the left, topics in the middle, services that consume on the right; " +
		"arrows point from a producer to a topic and from a topic to a consumer. Each box links to its page.")
	if g.Centre != "" {
		_, name, _ := strings.Cut(g.Centre, ":")
		fmt.Fprintf(&b, " Centred on %s.", name)
	}
	return b.String()
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// legendItem is one entry of the legend: a swatch with the classes of a
// node or an edge, and a word.
type legendItem struct {
	class string // node classes, or "edge " + edge class
	text  string
}

// legendItems lists what the picture uses: services, each topic kind
// present, deprecated and external nodes if any, and both edge relations.
func legendItems(l *layout) []legendItem {
	has := map[string]bool{}
	for _, b := range l.boxes {
		n := b.node
		if n.Type == catalog.NodeTopic {
			has[kindClass(n.Kind)] = true
		} else {
			has["svc"] = true
		}
		has["dep"] = has["dep"] || n.Deprecated
		has["ext"] = has["ext"] || n.External
	}
	var items []legendItem
	for _, it := range []struct{ key, class, text string }{
		{"svc", "bbg-svc", "service"},
		{"events", "bbg-topic bbg-events", "events"},
		{"results", "bbg-topic bbg-results", "results"},
		{"commands", "bbg-topic bbg-commands", "commands"},
		{"private", "bbg-topic bbg-private", "private"},
		{"other", "bbg-topic bbg-other", "other topic"},
		{"dep", "bbg-topic bbg-other bbg-dep", "deprecated"},
		{"ext", "bbg-svc bbg-ext", "outside the namespace"},
	} {
		if has[it.key] {
			items = append(items, legendItem{it.class, it.text})
		}
	}
	if len(l.lines) > 0 {
		items = append(items, legendItem{"edge bbg-p", "produces"}, legendItem{"edge bbg-c", "consumes"})
	}
	return items
}

const (
	legendY      = 42 // top of the swatches
	legendSwatch = 14
	legendGap    = 18
)

func legendItemWidth(it legendItem) int {
	return legendSwatch + 6 + int(math.Ceil(float64(len(it.text))*charW)) + legendGap
}

func legendWidth(items []legendItem) int {
	w := 0
	for _, it := range items {
		w += legendItemWidth(it)
	}
	return w
}

func writeLegend(p *printer, items []legendItem) {
	p.printf(`<g class="bbg-legend" aria-hidden="true">` + "\n")
	x := margin
	for _, it := range items {
		if edge, ok := strings.CutPrefix(it.class, "edge "); ok {
			p.printf(`<path class="bbg-e %s" d="M%d %dH%d"/>`, edge, x, legendY+legendSwatch/2, x+legendSwatch-2)
		} else {
			p.printf(`<g class="bbg-n %s"><rect x="%d" y="%d" width="%d" height="%d" rx="3"/></g>`, it.class, x, legendY, legendSwatch, legendSwatch)
		}
		p.printf(`<text x="%d" y="%d">%s</text>`+"\n", x+legendSwatch+6, legendY+11, esc(it.text))
		x += legendItemWidth(it)
	}
	p.printf("</g>\n")
}

func writeHeadings(p *printer, l *layout) {
	p.printf(`<g class="bbg-heads" aria-hidden="true">`)
	for c, title := range [numCols]string{"Producers", "Topics", "Consumers"} {
		if len(l.cols[c]) > 0 {
			p.printf(`<text x="%d" y="%d">%s</text>`, l.colX[c], headerH-10, title)
		}
	}
	p.printf("</g>\n")
}

// writeEdges draws each edge as a curve from the right side of its source
// box to the left side of its target box. The ends of a box's edges are
// spread along its side in the order of the boxes at their other end, so
// that they fan out instead of meeting in one point. Edges of the
// highlighted node are drawn last, on top.
func writeEdges(p *printer, l *layout, highlight string) {
	out := make([][]int, len(l.boxes)) // line indices leaving each box
	in := make([][]int, len(l.boxes))
	for i, ln := range l.lines {
		out[ln.from] = append(out[ln.from], i)
		in[ln.to] = append(in[ln.to], i)
	}
	fromY := make([]float64, len(l.lines))
	toY := make([]float64, len(l.lines))
	spread := func(lines []int, other func(line) int, set []float64, b *box) {
		slices.SortStableFunc(lines, func(x, y int) int { return l.boxes[other(l.lines[x])].y - l.boxes[other(l.lines[y])].y })
		for k, i := range lines {
			set[i] = float64(b.y) + 4 + float64(boxH-8)*float64(k+1)/float64(len(lines)+1)
		}
	}
	for i := range l.boxes {
		spread(out[i], func(ln line) int { return ln.to }, fromY, &l.boxes[i])
		spread(in[i], func(ln line) int { return ln.from }, toY, &l.boxes[i])
	}
	order := make([]int, len(l.lines))
	hot := make([]bool, len(l.lines))
	for i, ln := range l.lines {
		order[i] = i
		hot[i] = highlight != "" && (l.boxes[ln.from].node.ID == highlight || l.boxes[ln.to].node.ID == highlight)
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case hot[a] == hot[b]:
			return 0
		case hot[b]:
			return -1
		}
		return 1
	})
	p.printf(`<g class="bbg-edges" aria-hidden="true">` + "\n")
	for _, i := range order {
		ln := l.lines[i]
		from, to := &l.boxes[ln.from], &l.boxes[ln.to]
		class := "bbg-p"
		if ln.edge.Rel == catalog.RelConsumes {
			class = "bbg-c"
		}
		if hot[i] {
			class += " bbg-hot"
		}
		x1, x2 := float64(from.x+from.w), float64(to.x-1)
		dx := (x2 - x1) / 2
		p.printf(`<path class="bbg-e %s" d="M%s %sC%s %s %s %s %s %s"/>`+"\n", class,
			num(x1), num(fromY[i]), num(x1+dx), num(fromY[i]), num(x2-dx), num(toY[i]), num(x2), num(toY[i]))
	}
	p.printf("</g>\n")
}

// writeNodes draws each box, in column order, top to bottom, which is also
// the keyboard order.
func writeNodes(p *printer, l *layout, opt Options) {
	produced, consumed := map[string]int{}, map[string]int{}
	for _, ln := range l.lines {
		if ln.edge.Rel == catalog.RelProduces {
			produced[ln.edge.From]++
			produced[ln.edge.To]++
		} else {
			consumed[ln.edge.From]++
			consumed[ln.edge.To]++
		}
	}
	p.printf(`<g class="bbg-nodes">` + "\n")
	for c := range numCols {
		for _, i := range l.cols[c] {
			b := &l.boxes[i]
			n := b.node
			classes := []string{"bbg-n"}
			if n.Type == catalog.NodeTopic {
				classes = append(classes, "bbg-topic", "bbg-"+kindClass(n.Kind))
			} else {
				classes = append(classes, "bbg-svc")
			}
			if n.Deprecated {
				classes = append(classes, "bbg-dep")
			}
			if n.External {
				classes = append(classes, "bbg-ext")
			}
			if n.ID == opt.Highlight {
				classes = append(classes, "bbg-centre")
			}
			name := esc(nodeText(n, produced[n.ID], consumed[n.ID]))
			href := safeHref(opt.Link(*n))
			if href != "" {
				p.printf(`<a class="%s" href="%s" aria-label="%s">`, strings.Join(classes, " "), esc(href), name)
			} else {
				p.printf(`<g class="%s" role="img" aria-label="%s">`, strings.Join(classes, " "), name)
			}
			p.printf(`<title>%s</title><rect x="%d" y="%d" width="%d" height="%d" rx="6"/><text x="%d" y="%d">%s</text>`,
				name, b.x, b.y, b.w, boxH, b.x+padX, b.y+16, esc(b.label))
			if href != "" {
				p.printf("</a>\n")
			} else {
				p.printf("</g>\n")
			}
		}
	}
	p.printf("</g>\n")
}

// nodeText is a node's accessible name and tooltip: its full name and what
// the picture says about it.
func nodeText(n *catalog.GraphNode, produced, consumed int) string {
	var b strings.Builder
	b.WriteString(n.Name)
	if n.Type == catalog.NodeTopic {
		fmt.Fprintf(&b, ": %s topic of %s", n.Kind, n.Service)
		if n.Owner != "" {
			fmt.Fprintf(&b, " (%s)", n.Owner)
		}
		fmt.Fprintf(&b, ", %s, %s", plural(produced, "producer"), plural(consumed, "consumer"))
		if n.Deprecated {
			b.WriteString(", deprecated")
		}
	} else {
		b.WriteString(": service")
		if n.Owner != "" {
			fmt.Fprintf(&b, " of %s", n.Owner)
		}
		fmt.Fprintf(&b, ", produces %s, consumes %s", plural(produced, "topic"), plural(consumed, "topic"))
	}
	if n.External {
		fmt.Fprintf(&b, ", outside the namespace (%s)", n.Namespace)
	}
	return b.String()
}

// style is the picture's CSS. Every selector is scoped by the bbg class so
// that the SVG can be inlined in a page without styling it, and is more
// specific than a page's element selectors (text, rect) so that the page
// does not restyle the picture.
const style = `
.bbg .bbg-bg{fill:#fff}
.bbg text{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,DejaVu Sans Mono,Liberation Mono,monospace;fill:#1b1b1b}
.bbg .bbg-h1{font-size:16px;font-weight:700}
.bbg .bbg-heads text{font-weight:700;fill:#555}
.bbg .bbg-n rect{stroke-width:1.5}
.bbg .bbg-svc rect{fill:#ede7f6;stroke:#5e35b1}
.bbg .bbg-events rect{fill:#e3f2fd;stroke:#1565c0}
.bbg .bbg-results rect{fill:#e0f2f1;stroke:#00796b}
.bbg .bbg-commands rect{fill:#fff3e0;stroke:#e65100}
.bbg .bbg-private rect{fill:#f1f1f1;stroke:#616161}
.bbg .bbg-other rect{fill:#fafafa;stroke:#9e9e9e}
.bbg .bbg-dep rect{stroke-dasharray:5 3}
.bbg .bbg-dep text{font-style:italic;fill:#555}
.bbg .bbg-ext{opacity:.6}
.bbg .bbg-centre rect{stroke-width:3.5}
.bbg .bbg-centre text{font-weight:700}
.bbg a:hover rect{stroke-width:3;fill:#fff}
.bbg a:focus{outline:none}
.bbg a:focus-visible rect{stroke:#000;stroke-width:3;fill:#fff}
.bbg .bbg-e{fill:none;stroke-width:1.2;stroke-opacity:.55}
.bbg .bbg-p{stroke:#7e57c2;marker-end:url(#bbg-ap)}
.bbg .bbg-c{stroke:#1e88e5;marker-end:url(#bbg-ac)}
.bbg .bbg-hot{stroke:#d81b60;stroke-width:2.2;stroke-opacity:.9;marker-end:url(#bbg-ah)}
.bbg marker path{stroke:none}
`

// defs are the arrowheads, one per edge colour.
const defs = `<defs>` +
	`<marker id="bbg-ap" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" markerUnits="userSpaceOnUse" orient="auto"><path d="M0 0L10 5L0 10z" fill="#7e57c2"/></marker>` +
	`<marker id="bbg-ac" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" markerUnits="userSpaceOnUse" orient="auto"><path d="M0 0L10 5L0 10z" fill="#1e88e5"/></marker>` +
	`<marker id="bbg-ah" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto"><path d="M0 0L10 5L0 10z" fill="#d81b60"/></marker>` +
	`</defs>`
