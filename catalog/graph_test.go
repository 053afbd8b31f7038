package catalog

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	registry "github.com/backbone-registry/backbone"
)

// graphRepo is the base repository (retail: orders and stock) plus a
// warehouse namespace whose picking service reads orders' events and owns a
// deprecated fact topic, read by billing's invoices.
func graphRepo(t *testing.T) *Catalog {
	t.Helper()
	return mustLoad(t, repoWith(t,
		set("warehouse/picking/service.yaml", `description: Picks parcels.
owner: picking-team
topics:
  - name: events
    description: Facts about picking.
    value: acme.retail.stock.v1.StockEvent
    deprecated: {since: 2026-10-01}
consumes: [acme.retail.orders.events]
`),
		set("billing/invoices/service.yaml", `description: Bills customers.
owner: billing-team
consumes: [acme.warehouse.picking.events]
`),
	), testOptions())
}

// graphLines renders a graph compactly: one line per node ("*" marks an
// external node, "~" a deprecated one), then one per edge.
func graphLines(g Graph) (nodes, edges []string) {
	for _, n := range g.Nodes {
		s := n.ID
		if n.External {
			s += " *"
		}
		if n.Deprecated {
			s += " ~"
		}
		nodes = append(nodes, s)
	}
	for _, e := range g.Edges {
		edges = append(edges, e.From+" -"+e.Rel+"-> "+e.To)
	}
	return nodes, edges
}

func TestGraph(t *testing.T) {
	t.Parallel()
	c := graphRepo(t)
	const (
		orders   = "service:acme.retail.orders"
		stock    = "service:acme.retail.stock"
		picking  = "service:acme.warehouse.picking"
		invoices = "service:acme.billing.invoices"

		oEvents   = "topic:acme.retail.orders.events"
		oCommands = "topic:acme.retail.orders.commands"
		oReply    = "topic:acme.retail.orders.private.reply"
		oDLQ      = "topic:acme.retail.orders.private.dlq"
		sEvents   = "topic:acme.retail.stock.events"
		pEvents   = "topic:acme.warehouse.picking.events"
	)
	p := func(from, to string) string { return from + " -produces-> " + to }
	k := func(from, to string) string { return from + " -consumes-> " + to }
	tests := []struct {
		name   string
		filter GraphFilter
		centre string
		nodes  []string
		edges  []string
	}{
		{
			name:  "whole estate",
			nodes: []string{invoices, orders, stock, picking, oCommands, oEvents, oDLQ, oReply, sEvents, pEvents + " ~"},
			edges: []string{
				p(orders, oEvents),  // the owner produces its fact topic
				p(orders, oDLQ),     // and its private topic,
				p(stock, oCommands), // explicit produces
				p(stock, oReply),
				p(stock, sEvents),
				p(picking, pEvents),
				k(oCommands, orders), // the owner consumes its command topic,
				k(oEvents, stock),
				k(oEvents, picking),
				k(oDLQ, orders), // its private topic
				k(oReply, orders),
				k(sEvents, orders),
				k(pEvents, invoices),
			},
		},
		{
			name:   "namespace: the other end of each edge is external",
			filter: GraphFilter{Namespace: "warehouse"},
			nodes:  []string{invoices + " *", picking, oEvents + " *", pEvents + " ~"},
			edges:  []string{p(picking, pEvents), k(oEvents, picking), k(pEvents, invoices)},
		},
		{
			name:   "namespace: every edge of its topics, none between outsiders",
			filter: GraphFilter{Namespace: "billing"},
			nodes:  []string{invoices, pEvents + " * ~"},
			edges:  []string{k(pEvents, invoices)},
		},
		{
			name:   "service: its topics and the services one hop away",
			filter: GraphFilter{Service: "acme.warehouse.picking"},
			centre: picking,
			nodes:  []string{invoices, orders, stock, picking, oEvents, pEvents + " ~"},
			edges:  []string{p(orders, oEvents), p(picking, pEvents), k(oEvents, stock), k(oEvents, picking), k(pEvents, invoices)},
		},
		{
			name:   "service without topics of its own",
			filter: GraphFilter{Service: "acme.billing.invoices"},
			centre: invoices,
			nodes:  []string{invoices, picking, pEvents + " ~"},
			edges:  []string{p(picking, pEvents), k(pEvents, invoices)},
		},
		{
			name:   "topic: owner, producers, consumers",
			filter: GraphFilter{Topic: "acme.retail.orders.commands"},
			centre: oCommands,
			nodes:  []string{orders, stock, oCommands},
			edges:  []string{p(stock, oCommands), k(oCommands, orders)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g, err := c.Graph(tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			nodes, edges := graphLines(g)
			if !slices.Equal(nodes, tt.nodes) {
				t.Errorf("nodes:\ngot  %v\nwant %v", nodes, tt.nodes)
			}
			if !slices.Equal(edges, tt.edges) {
				t.Errorf("edges:\ngot  %s\nwant %s", strings.Join(edges, "\n     "), strings.Join(tt.edges, "\n     "))
			}
			if g.Centre != tt.centre {
				t.Errorf("centre: got %q, want %q", g.Centre, tt.centre)
			}
		})
	}
}

func TestGraphNodeFields(t *testing.T) {
	t.Parallel()
	g, err := graphRepo(t).Graph(GraphFilter{Topic: "acme.warehouse.picking.events"})
	if err != nil {
		t.Fatal(err)
	}
	want := []GraphNode{
		{ID: "service:acme.billing.invoices", Type: NodeService, Name: "acme.billing.invoices", Namespace: "billing", Owner: "billing-team"},
		{ID: "service:acme.warehouse.picking", Type: NodeService, Name: "acme.warehouse.picking", Namespace: "warehouse", Owner: "picking-team"},
		{
			ID: "topic:acme.warehouse.picking.events", Type: NodeTopic, Name: "acme.warehouse.picking.events", Namespace: "warehouse",
			Kind: registry.KindEvents, Service: "acme.warehouse.picking", Owner: "picking-team", Deprecated: true,
		},
	}
	if !reflect.DeepEqual(g.Nodes, want) {
		t.Errorf("nodes:\ngot  %+v\nwant %+v", g.Nodes, want)
	}
}

func TestGraphErrors(t *testing.T) {
	t.Parallel()
	c := graphRepo(t)
	tests := []struct {
		filter GraphFilter
		code   string
	}{
		{GraphFilter{Namespace: "nope"}, registry.ENOTFOUND},
		{GraphFilter{Service: "acme.retail.nope"}, registry.ENOTFOUND},
		{GraphFilter{Service: "retail"}, registry.ENOTFOUND},
		{GraphFilter{Topic: "acme.retail.nope.events"}, registry.ENOTFOUND},
		{GraphFilter{Topic: "acme.retail.orders"}, registry.ENOTFOUND}, // a service is not a topic
		{GraphFilter{Namespace: "retail", Service: "acme.retail.orders"}, registry.EINVALID},
		{GraphFilter{Service: "acme.retail.orders", Topic: "acme.retail.orders.events"}, registry.EINVALID},
	}
	for _, tt := range tests {
		g, err := c.Graph(tt.filter)
		if got := registry.ErrorCode(err); got != tt.code {
			t.Errorf("Graph(%+v): error code %q (%v), want %q", tt.filter, got, err, tt.code)
		}
		if g.Nodes != nil || g.Edges != nil {
			t.Errorf("Graph(%+v): got a graph with the error: %+v", tt.filter, g)
		}
	}
}

// TestGraphDemo checks invariants on the demo estate: every edge joins two
// nodes of the graph, in the direction its relation says; every node is
// reached; the order is sorted; filtered graphs are subgraphs of the whole.
func TestGraphDemo(t *testing.T) {
	t.Parallel()
	c, err := Load(t.Context(), os.DirFS("../schemas"), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	all, err := c.Graph(GraphFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(all.Nodes), len(c.Services())+len(c.Topics(TopicFilter{})); got != want {
		t.Errorf("whole estate: %d nodes, want every service and topic (%d)", got, want)
	}
	allEdges := map[GraphEdge]bool{}
	for _, e := range all.Edges {
		allEdges[e] = true
	}
	filters := []GraphFilter{{}}
	for _, ns := range c.Namespaces() {
		filters = append(filters, GraphFilter{Namespace: ns})
	}
	for _, s := range c.Services() {
		filters = append(filters, GraphFilter{Service: s.Name})
	}
	for _, tp := range c.Topics(TopicFilter{}) {
		filters = append(filters, GraphFilter{Topic: tp.Name})
	}
	for _, f := range filters {
		g, err := c.Graph(f)
		if err != nil {
			t.Fatalf("Graph(%+v): %v", f, err)
		}
		checkGraph(t, f, g)
		for _, e := range g.Edges {
			if !allEdges[e] {
				t.Errorf("Graph(%+v): edge %v is not in the whole graph", f, e)
			}
		}
		if again, _ := c.Graph(f); !reflect.DeepEqual(g, again) {
			t.Errorf("Graph(%+v) is not deterministic", f)
		}
	}
}

func checkGraph(t *testing.T, f GraphFilter, g Graph) {
	t.Helper()
	types := map[string]string{}
	for i, n := range g.Nodes {
		if i > 0 && g.Nodes[i-1].ID >= n.ID {
			t.Errorf("Graph(%+v): nodes not sorted by ID at %s", f, n.ID)
		}
		if n.ID != n.Type+":"+n.Name {
			t.Errorf("Graph(%+v): node ID %q for %s %q", f, n.ID, n.Type, n.Name)
		}
		types[n.ID] = n.Type
	}
	reached := map[string]bool{}
	for i, e := range g.Edges {
		if i > 0 && (g.Edges[i-1].From > e.From || g.Edges[i-1].From == e.From && g.Edges[i-1].To >= e.To) {
			t.Errorf("Graph(%+v): edges not sorted at %v", f, e)
		}
		want := [2]string{NodeService, NodeTopic}
		if e.Rel == RelConsumes {
			want = [2]string{NodeTopic, NodeService}
		}
		if got := [2]string{types[e.From], types[e.To]}; got != want {
			t.Errorf("Graph(%+v): edge %v joins %v, want %v", f, e, got, want)
		}
		reached[e.From], reached[e.To] = true, true
	}
	for _, n := range g.Nodes {
		if !reached[n.ID] && f.Namespace == "" && f.Service == "" {
			t.Errorf("Graph(%+v): node %s has no edge", f, n.ID)
		}
	}
	if g.Centre != "" && types[g.Centre] == "" {
		t.Errorf("Graph(%+v): centre %s is not a node", f, g.Centre)
	}
}
