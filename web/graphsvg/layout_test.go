package graphsvg

import (
	"testing"

	"github.com/backbone-registry/backbone/catalog"
)

func TestInversions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		edges [][2]int
		n     int
		want  int
	}{
		{nil, 0, 0},
		{[][2]int{{0, 0}, {1, 1}, {2, 2}}, 3, 0},
		{[][2]int{{0, 1}, {1, 0}}, 2, 1},
		{[][2]int{{0, 2}, {1, 1}, {2, 0}}, 3, 3},
		{[][2]int{{0, 0}, {0, 1}, {0, 2}}, 3, 0}, // a fan from one box never crosses itself
		{[][2]int{{0, 1}, {1, 1}}, 2, 0},         // nor do edges meeting in one box
		{[][2]int{{0, 1}, {0, 2}, {1, 0}}, 3, 2},
		{[][2]int{{2, 0}, {0, 1}, {1, 0}}, 2, 2}, // unsorted input
	}
	for _, tt := range tests {
		if got := inversions(tt.edges, tt.n); got != tt.want {
			t.Errorf("inversions(%v) = %d, want %d", tt.edges, got, tt.want)
		}
	}
}

// TestReduceCrossings builds a chain whose alphabetical order crosses
// (a produces z, z is read by b, b produces y...) but which can be drawn
// without any crossing: the barycentre sweeps must find it.
func TestReduceCrossings(t *testing.T) {
	t.Parallel()
	svc := func(name string) catalog.GraphNode {
		return catalog.GraphNode{ID: catalog.ServiceID(name), Type: catalog.NodeService, Name: name}
	}
	topic := func(name, owner string) catalog.GraphNode {
		return catalog.GraphNode{ID: catalog.TopicID(name), Type: catalog.NodeTopic, Name: name, Service: owner}
	}
	g := catalog.Graph{Nodes: []catalog.GraphNode{
		svc("a"), svc("b"), svc("c"), svc("d"),
		topic("t4", "a"), topic("t3", "b"), topic("t2", "c"), topic("t1", "d"),
	}}
	// a → t4 → d, b → t3 → c, c → t2 → b, d → t1 → a: in name order every
	// consumer edge crosses the others.
	for _, e := range [][3]string{{"a", "t4", "d"}, {"b", "t3", "c"}, {"c", "t2", "b"}, {"d", "t1", "a"}} {
		g.Edges = append(g.Edges,
			catalog.GraphEdge{From: catalog.ServiceID(e[0]), To: catalog.TopicID(e[1]), Rel: catalog.RelProduces},
			catalog.GraphEdge{From: catalog.TopicID(e[1]), To: catalog.ServiceID(e[2]), Rel: catalog.RelConsumes})
	}
	l, err := newLayout(g)
	if err != nil {
		t.Fatal(err)
	}
	if got := l.crossings(); got != 0 {
		var order [numCols][]string
		for c, col := range l.cols {
			for _, b := range col {
				order[c] = append(order[c], l.boxes[b].node.Name)
			}
		}
		t.Errorf("crossings after ordering: got %d, want 0 (order %v)", got, order)
	}
	// The initial order has crossings, so the test means something.
	l.initialOrder()
	if l.crossings() == 0 {
		t.Error("the initial order has no crossing: the test does not exercise the heuristic")
	}
}

func TestShorten(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"retail.orders.events", 36, "retail.orders.events"},
		{"retail.a-very-long-service-name.private.reservations", 20, "retail….reservations"},
		{"ééééééééé", 5, "é…ééé"},
	}
	for _, tt := range tests {
		got := shorten(tt.in, tt.max)
		if got != tt.want || len([]rune(got)) > tt.max {
			t.Errorf("shorten(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
	if got := label("acme.retail.orders"); got != "retail.orders" {
		t.Errorf("label: got %q, want the name without the company", got)
	}
	if got := label("single"); got != "single" {
		t.Errorf("label: got %q, want a name without dots as is", got)
	}
}
