package graphsvg_test

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/web/graphsvg"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// demo loads the bundled demo repository.
func demo(t testing.TB) *catalog.Catalog {
	t.Helper()
	now := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	c, err := catalog.Load(t.Context(), os.DirFS("../../schemas"), catalog.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func render(t testing.TB, g catalog.Graph, opt graphsvg.Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := graphsvg.Write(&b, g, opt); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestGolden compares pictures of the demo estate with reviewed ones.
// Refresh them with
//
//	go test ./web/graphsvg -run TestGolden -update
func TestGolden(t *testing.T) {
	t.Parallel()
	c := demo(t)
	tests := []struct {
		file   string
		filter catalog.GraphFilter
	}{
		{"demo.svg", catalog.GraphFilter{}},
		{"demo-customer.svg", catalog.GraphFilter{Namespace: "customer"}},
		{"demo-orders.svg", catalog.GraphFilter{Service: "acme.retail.orders"}},
		{"demo-orders-events.svg", catalog.GraphFilter{Topic: "acme.retail.orders.events"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			g, err := c.Graph(tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			got := render(t, g, graphsvg.Options{Title: "Acme dependency graph"})
			path := filepath.Join("testdata", tt.file)
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (create it with -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the picture drawn now (review it, then run go test ./web/graphsvg -run TestGolden -update)", path)
			}
			checkPicture(t, parse(t, got), g)
		})
	}
}

// elem is a parsed XML element.
type elem struct {
	name     string
	attr     map[string]string
	children []*elem
	text     string // character data directly inside
}

func (e *elem) walk(f func(*elem)) {
	f(e)
	for _, c := range e.children {
		c.walk(f)
	}
}

func (e *elem) classes() []string { return strings.Fields(e.attr["class"]) }

// parse parses an SVG document strictly: any markup a name or a link broke
// fails here.
func parse(t testing.TB, doc []byte) *elem {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	var stack []*elem
	var root *elem
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			e := &elem{name: tok.Name.Local, attr: map[string]string{}}
			for _, a := range tok.Attr {
				e.attr[a.Name.Local] = a.Value
			}
			if tok.Name.Local == "svg" {
				e.attr["xmlns"] = tok.Name.Space
			}
			if len(stack) == 0 {
				if root != nil {
					t.Fatalf("two root elements: %s after %s", e.name, root.name)
				}
				root = e
			} else {
				parent := stack[len(stack)-1]
				parent.children = append(parent.children, e)
			}
			stack = append(stack, e)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tok)
			}
		}
	}
	if root == nil {
		t.Fatal("empty document")
	}
	return root
}

func atoi(t testing.TB, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("not an integer: %q", s)
	}
	return n
}

// rect is a node's box.
type rect struct {
	id         string // the node's full name, from its title
	x, y, w, h int
}

// nodeElems returns the drawn nodes: the links and groups with class bbg-n
// under the bbg-nodes group.
func nodeElems(root *elem) []*elem {
	var out []*elem
	root.walk(func(e *elem) {
		if slices.Contains(e.classes(), "bbg-nodes") {
			out = append(out, e.children...)
		}
	})
	return out
}

// checkPicture checks what every picture must be: an SVG root that names
// and describes itself, no script, every node drawn (services at most
// twice) as a titled link or labelled image whose box stays on the canvas
// and overlaps no other box.
func checkPicture(t testing.TB, root *elem, g catalog.Graph) {
	t.Helper()
	if root.name != "svg" || root.attr["xmlns"] != "http://www.w3.org/2000/svg" {
		t.Errorf("root: got <%s xmlns=%q>, want an svg element in the SVG namespace", root.name, root.attr["xmlns"])
	}
	ids := map[string]*elem{}
	root.walk(func(e *elem) {
		if e.name == "script" || e.name == "foreignObject" {
			t.Errorf("the picture contains a <%s> element", e.name)
		}
		for k, v := range e.attr {
			if strings.HasPrefix(k, "on") {
				t.Errorf("<%s> has an event handler attribute %s=%q", e.name, k, v)
			}
		}
		if id := e.attr["id"]; id != "" {
			ids[id] = e
		}
	})
	if root.attr["role"] == "" {
		t.Error("the svg element has no role")
	}
	if title := ids[root.attr["aria-labelledby"]]; title == nil || title.name != "title" || title.text == "" {
		t.Errorf("aria-labelledby=%q does not name a non-empty <title>", root.attr["aria-labelledby"])
	}
	if desc := ids[root.attr["aria-describedby"]]; desc == nil || desc.name != "desc" || desc.text == "" {
		t.Errorf("aria-describedby=%q does not name a non-empty <desc>", root.attr["aria-describedby"])
	}
	width, height := atoi(t, root.attr["width"]), atoi(t, root.attr["height"])
	if want := fmt.Sprintf("0 0 %d %d", width, height); root.attr["viewBox"] != want {
		t.Errorf("viewBox: got %q, want %q", root.attr["viewBox"], want)
	}

	drawn := map[string]int{}
	var rects []rect
	for _, n := range nodeElems(root) {
		if n.name != "a" && n.name != "g" {
			t.Errorf("node drawn as <%s>, want <a> or <g>", n.name)
			continue
		}
		if n.attr["aria-label"] == "" {
			t.Errorf("node <%s class=%q> has no aria-label", n.name, n.attr["class"])
		}
		var title string
		var r *rect
		for _, c := range n.children {
			switch c.name {
			case "title":
				title = c.text
			case "rect":
				r = &rect{x: atoi(t, c.attr["x"]), y: atoi(t, c.attr["y"]), w: atoi(t, c.attr["width"]), h: atoi(t, c.attr["height"])}
			}
		}
		name, _, _ := strings.Cut(title, ": ")
		if r == nil || name == "" {
			t.Errorf("node %q: want a <title> with its name and a <rect>", title)
			continue
		}
		if title != n.attr["aria-label"] {
			t.Errorf("node %s: title %q and aria-label %q differ", name, title, n.attr["aria-label"])
		}
		key := catalog.TopicID(name)
		if slices.Contains(n.classes(), "bbg-svc") {
			key = catalog.ServiceID(name)
		}
		r.id = key
		drawn[key]++
		rects = append(rects, *r)
		if r.x < 0 || r.y < 0 || r.x+r.w > width || r.y+r.h > height || r.w <= 0 || r.h <= 0 {
			t.Errorf("node %s: box %+v outside the %dx%d canvas", name, *r, width, height)
		}
	}
	for _, n := range g.Nodes {
		most := 1
		if n.Type == catalog.NodeService {
			most = 2 // a service that produces and consumes is on both sides
		}
		if got := drawn[n.Type+":"+xmlSafe(n.Name)]; got == 0 || got > most {
			t.Errorf("node %s drawn %d times, want 1 to %d", n.ID, got, most)
		}
	}
	if len(drawn) != len(g.Nodes) {
		t.Errorf("%d distinct nodes drawn, want %d", len(drawn), len(g.Nodes))
	}
	checkNoOverlap(t, rects)
}

// xmlSafe is s as it reads back from XML: invalid UTF-8 and characters XML
// cannot hold become U+FFFD.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r >= 0xD800 && r < 0xE000 || r == 0xFFFE || r == 0xFFFF {
			return '\uFFFD'
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// checkNoOverlap fails if two boxes share any area. Boxes are sorted by
// their left side and top, so only boxes whose x ranges meet are compared.
func checkNoOverlap(t testing.TB, rects []rect) {
	t.Helper()
	slices.SortFunc(rects, func(a, b rect) int {
		if a.x != b.x {
			return a.x - b.x
		}
		return a.y - b.y
	})
	for i, a := range rects {
		for _, b := range rects[i+1:] {
			if b.x >= a.x+a.w {
				break
			}
			if b.y < a.y+a.h && a.y < b.y+b.h {
				t.Errorf("boxes overlap: %+v and %+v", a, b)
				return
			}
		}
	}
}

// hostile names try to break out of text, attributes and the document.
var hostile = []string{
	`acme.x.</svg><script>alert(1)</script>`,
	`acme.x.a&b"c'd<e>]]>.events`,
	"acme.x.control\x00\x01\x1b.invalid\xff",
	`acme.x."onload="alert(1)`,
}

func hostileGraph() catalog.Graph {
	g := catalog.Graph{}
	for i, name := range hostile {
		svc := catalog.GraphNode{ID: catalog.ServiceID(name), Type: catalog.NodeService, Name: name, Owner: name, Namespace: "<ns>"}
		top := catalog.GraphNode{ID: catalog.TopicID(name), Type: catalog.NodeTopic, Name: name, Service: name, Owner: name,
			Kind: registry.Kind(name), Namespace: "<ns>", External: i%2 == 0, Deprecated: i%2 == 1}
		g.Nodes = append(g.Nodes, svc, top)
		g.Edges = append(g.Edges,
			catalog.GraphEdge{From: svc.ID, To: top.ID, Rel: catalog.RelProduces},
			catalog.GraphEdge{From: top.ID, To: svc.ID, Rel: catalog.RelConsumes})
	}
	g.Centre = g.Nodes[0].ID
	return g
}

func TestHostileNames(t *testing.T) {
	t.Parallel()
	g := hostileGraph()
	out := render(t, g, graphsvg.Options{
		Title: `</title></svg><script>alert("title")</script>`,
		Link: func(n catalog.GraphNode) string {
			if n.Type == catalog.NodeTopic {
				return "javascript:alert(1)"
			}
			return `/x?q="><script>alert(1)</script>&a=` + url.QueryEscape(n.Name)
		},
	})
	root := parse(t, out)
	checkPicture(t, root, g)
	var titles []string
	links := 0
	root.walk(func(e *elem) {
		switch e.name {
		case "title":
			titles = append(titles, e.text)
		case "a":
			links++
			if !strings.HasPrefix(e.attr["href"], `/x?q="><script>alert(1)</script>&a=acme.x`) {
				t.Errorf("href: got %q, want the Link's value as is", e.attr["href"])
			}
		}
	})
	if got := titles[0]; got != `</title></svg><script>alert("title")</script>` {
		t.Errorf("title: got %q, want the Title as text", got)
	}
	for _, name := range hostile[:2] { // the others carry characters XML cannot hold
		if !slices.ContainsFunc(titles, func(s string) bool { return strings.HasPrefix(s, name+": ") }) {
			t.Errorf("no node title starts with %q", name)
		}
	}
	if links != len(hostile)*2 { // every service drawn twice, topics not linked
		t.Errorf("links: got %d, want %d (services only: javascript: URLs are dropped)", links, len(hostile)*2)
	}
}

func TestLinks(t *testing.T) {
	t.Parallel()
	g, err := demo(t).Graph(catalog.GraphFilter{Topic: "acme.retail.payments.commands"})
	if err != nil {
		t.Fatal(err)
	}
	hrefs := func(opt graphsvg.Options) map[string]string {
		got := map[string]string{}
		for _, n := range nodeElems(parse(t, render(t, g, opt))) {
			name, _, _ := strings.Cut(n.children[0].text, ": ")
			got[name] = n.name + " " + n.attr["href"]
		}
		return got
	}
	want := map[string]string{
		"acme.retail.orders":            "a /services/acme.retail.orders",
		"acme.retail.payments":          "a /services/acme.retail.payments",
		"acme.retail.payments.commands": "a /topics/acme.retail.payments.commands",
	}
	if got := hrefs(graphsvg.Options{}); !mapsEqual(got, want) {
		t.Errorf("default links: got %v, want %v", got, want)
	}
	custom := graphsvg.Options{Link: func(n catalog.GraphNode) string {
		if n.Type == catalog.NodeTopic {
			return ""
		}
		return "https://example.com/" + n.Name
	}}
	want = map[string]string{
		"acme.retail.orders":            "a https://example.com/acme.retail.orders",
		"acme.retail.payments":          "a https://example.com/acme.retail.payments",
		"acme.retail.payments.commands": "g ",
	}
	if got := hrefs(custom); !mapsEqual(got, want) {
		t.Errorf("custom links: got %v, want %v", got, want)
	}
	if got, want := graphsvg.DefaultLink(catalog.GraphNode{Type: catalog.NodeTopic, Name: "a/b c"}), "/topics/a%2Fb%20c"; got != want {
		t.Errorf("DefaultLink escapes: got %q, want %q", got, want)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestHighlight(t *testing.T) {
	t.Parallel()
	c := demo(t)
	g, err := c.Graph(catalog.GraphFilter{})
	if err != nil {
		t.Fatal(err)
	}
	const centre = "acme.retail.fraud"
	count := func(opt graphsvg.Options) (centres, hot int) {
		parse(t, render(t, g, opt)).walk(func(e *elem) {
			if slices.Contains(e.classes(), "bbg-centre") && e.name == "a" {
				if !strings.HasPrefix(e.attr["aria-label"], centre+":") {
					t.Errorf("highlighted %q, want %s", e.attr["aria-label"], centre)
				}
				centres++
			}
			if slices.Contains(e.classes(), "bbg-hot") {
				hot++
			}
		})
		return centres, hot
	}
	degree := 0
	for _, e := range g.Edges {
		if e.From == catalog.ServiceID(centre) || e.To == catalog.ServiceID(centre) {
			degree++
		}
	}
	if centres, hot := count(graphsvg.Options{}); centres != 0 || hot != 0 {
		t.Errorf("no highlight: got %d highlighted nodes and %d edges, want none", centres, hot)
	}
	if centres, hot := count(graphsvg.Options{Highlight: catalog.ServiceID(centre)}); centres != 2 || hot != degree {
		t.Errorf("highlight: got %d boxes and %d edges, want 2 boxes (it produces and consumes) and %d edges", centres, hot, degree)
	}
	g.Centre = catalog.ServiceID(centre)
	if centres, hot := count(graphsvg.Options{}); centres != 2 || hot != degree {
		t.Errorf("highlight of the centre: got %d boxes and %d edges, want 2 and %d", centres, hot, degree)
	}
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	g := synthetic(30, 120)
	want := render(t, g, graphsvg.Options{})
	if again := render(t, g, graphsvg.Options{}); !bytes.Equal(want, again) {
		t.Fatal("two renderings of one graph differ")
	}
	r := rand.New(rand.NewPCG(7, 7))
	for range 3 {
		s := catalog.Graph{Nodes: slices.Clone(g.Nodes), Edges: slices.Clone(g.Edges)}
		r.Shuffle(len(s.Nodes), func(i, j int) { s.Nodes[i], s.Nodes[j] = s.Nodes[j], s.Nodes[i] })
		r.Shuffle(len(s.Edges), func(i, j int) { s.Edges[i], s.Edges[j] = s.Edges[j], s.Edges[i] })
		if got := render(t, s, graphsvg.Options{}); !bytes.Equal(got, want) {
			t.Fatal("the order of nodes and edges changes the picture")
		}
	}
}

// TestLarge draws 200 services and 1,000 topics: the canvas grows with the
// content and no boxes overlap.
func TestLarge(t *testing.T) {
	t.Parallel()
	small, large := synthetic(20, 100), synthetic(200, 1000)
	rs, rl := parse(t, render(t, small, graphsvg.Options{})), parse(t, render(t, large, graphsvg.Options{}))
	checkPicture(t, rs, small)
	checkPicture(t, rl, large)
	hs, hl := atoi(t, rs.attr["height"]), atoi(t, rl.attr["height"])
	if hl < 1000*24 || hl <= hs {
		t.Errorf("height: %d for 100 topics, %d for 1,000; want it to grow with the topics (at least one box height each)", hs, hl)
	}
}

func TestEmpty(t *testing.T) {
	t.Parallel()
	out := render(t, catalog.Graph{}, graphsvg.Options{})
	root := parse(t, out)
	checkPicture(t, root, catalog.Graph{})
	if !bytes.Contains(out, []byte("Nothing to show")) {
		t.Errorf("an empty graph should say there is nothing to show:\n%s", out)
	}
}

func TestInvalidGraph(t *testing.T) {
	t.Parallel()
	svc := catalog.GraphNode{ID: "service:a.b.c", Type: catalog.NodeService, Name: "a.b.c"}
	top := catalog.GraphNode{ID: "topic:a.b.c.events", Type: catalog.NodeTopic, Name: "a.b.c.events"}
	tests := map[string]catalog.Graph{
		"missing node":    {Nodes: []catalog.GraphNode{svc}, Edges: []catalog.GraphEdge{{From: svc.ID, To: top.ID, Rel: catalog.RelProduces}}},
		"wrong way":       {Nodes: []catalog.GraphNode{svc, top}, Edges: []catalog.GraphEdge{{From: top.ID, To: svc.ID, Rel: catalog.RelProduces}}},
		"service→service": {Nodes: []catalog.GraphNode{svc, top}, Edges: []catalog.GraphEdge{{From: svc.ID, To: svc.ID, Rel: catalog.RelConsumes}}},
		"unknown rel":     {Nodes: []catalog.GraphNode{svc, top}, Edges: []catalog.GraphEdge{{From: svc.ID, To: top.ID, Rel: "owns"}}},
		"duplicate node":  {Nodes: []catalog.GraphNode{svc, top, svc}},
		"unknown type":    {Nodes: []catalog.GraphNode{{ID: "team:x", Type: "team", Name: "x"}}},
	}
	for name, g := range tests {
		var b bytes.Buffer
		if err := graphsvg.Write(&b, g, graphsvg.Options{}); err == nil || b.Len() > 0 {
			t.Errorf("%s: got error %v and %d bytes, want an error and nothing written", name, err, b.Len())
		}
	}
}

// synthetic builds an estate of n services in ten namespaces owning m
// topics between them, each read by up to six other services, with a few
// commands sent by other services. The random source is seeded: the graph
// is always the same.
func synthetic(n, m int) catalog.Graph {
	r := rand.New(rand.NewPCG(1, 2))
	g := catalog.Graph{}
	svcs := make([]string, n)
	for i := range n {
		ns := fmt.Sprintf("ns%d", i%10)
		svcs[i] = fmt.Sprintf("acme.%s.service-with-a-long-name-%03d", ns, i)
		g.Nodes = append(g.Nodes, catalog.GraphNode{ID: catalog.ServiceID(svcs[i]), Type: catalog.NodeService, Name: svcs[i], Namespace: ns, Owner: "team"})
	}
	kinds := []registry.Kind{registry.KindEvents, registry.KindEvents, registry.KindResults, registry.KindCommands, registry.KindPrivateDLQ}
	for j := range m {
		owner := j % n
		kind := kinds[(j/n)%len(kinds)]
		name := fmt.Sprintf("%s.v%d.%s", svcs[owner], j/n+1, kind)
		id := catalog.TopicID(name)
		g.Nodes = append(g.Nodes, catalog.GraphNode{ID: id, Type: catalog.NodeTopic, Name: name, Kind: kind, Service: svcs[owner], Owner: "team", Deprecated: j%17 == 0})
		producers, consumers := []int{owner}, []int{}
		switch {
		case kind == registry.KindCommands:
			producers, consumers = []int{r.IntN(n)}, []int{owner}
		case kind.IsPrivate():
			consumers = []int{owner}
		default:
			for range r.IntN(7) {
				consumers = append(consumers, r.IntN(n))
			}
		}
		for _, p := range producers {
			g.Edges = append(g.Edges, catalog.GraphEdge{From: catalog.ServiceID(svcs[p]), To: id, Rel: catalog.RelProduces})
		}
		for _, c := range consumers {
			g.Edges = append(g.Edges, catalog.GraphEdge{From: id, To: catalog.ServiceID(svcs[c]), Rel: catalog.RelConsumes})
		}
	}
	slices.SortFunc(g.Edges, func(a, b catalog.GraphEdge) int { return strings.Compare(a.From+" "+a.To, b.From+" "+b.To) })
	g.Edges = slices.Compact(g.Edges)
	return g
}

func BenchmarkWrite(b *testing.B) {
	g := synthetic(200, 1000)
	var size int
	for b.Loop() {
		var buf bytes.Buffer
		if err := graphsvg.Write(&buf, g, graphsvg.Options{}); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size), "bytes/svg")
}
