package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/backbone-registry/backbone/catalog"
)

func TestGraph(t *testing.T) {
	t.Parallel()
	tapi := newAPI(t, loadFixture(t))
	tests := []struct {
		query string
		nodes []string
		edges []string
	}{
		{
			query: "",
			nodes: []string{"service:acme.retail.orders", "service:acme.warehouse.stock", "topic:acme.retail.orders.commands", "topic:acme.retail.orders.events"},
			edges: []string{
				"service:acme.retail.orders produces topic:acme.retail.orders.events",
				"service:acme.warehouse.stock produces topic:acme.retail.orders.commands",
				"topic:acme.retail.orders.commands consumes service:acme.retail.orders",
				"topic:acme.retail.orders.events consumes service:acme.warehouse.stock",
			},
		},
		{
			query: "?namespace=warehouse",
			nodes: []string{"service:acme.warehouse.stock", "topic:acme.retail.orders.commands (external)", "topic:acme.retail.orders.events (external)"},
			edges: []string{
				"service:acme.warehouse.stock produces topic:acme.retail.orders.commands",
				"topic:acme.retail.orders.events consumes service:acme.warehouse.stock",
			},
		},
		{
			query: "?topic=acme.retail.orders.commands",
			nodes: []string{"service:acme.retail.orders", "service:acme.warehouse.stock", "topic:acme.retail.orders.commands"},
			edges: []string{
				"service:acme.warehouse.stock produces topic:acme.retail.orders.commands",
				"topic:acme.retail.orders.commands consumes service:acme.retail.orders",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			resp := tapi.Get("/v1/graph" + tt.query)
			if resp.Code != http.StatusOK {
				t.Fatalf("status: got %d, want 200: %s", resp.Code, resp.Body)
			}
			g := decode[catalog.Graph](t, resp)
			var nodes, edges []string
			for _, n := range g.Nodes {
				if n.External {
					n.ID += " (external)"
				}
				nodes = append(nodes, n.ID)
			}
			for _, e := range g.Edges {
				edges = append(edges, e.From+" "+e.Rel+" "+e.To)
			}
			if !slices.Equal(nodes, tt.nodes) {
				t.Errorf("nodes:\ngot  %v\nwant %v", nodes, tt.nodes)
			}
			if !slices.Equal(edges, tt.edges) {
				t.Errorf("edges:\ngot  %v\nwant %v", edges, tt.edges)
			}
		})
	}
}

func TestGraphJSON(t *testing.T) {
	t.Parallel()
	tapi := newAPI(t, loadFixture(t))
	resp := tapi.Get("/v1/graph?service=acme.retail.orders")
	if resp.Code != http.StatusOK {
		t.Fatalf("status: got %d, want 200: %s", resp.Code, resp.Body)
	}
	body := decode[map[string]any](t, resp)
	if body["centre"] != "service:acme.retail.orders" {
		t.Errorf("centre: got %v", body["centre"])
	}
	nodes, _ := body["nodes"].([]any)
	if len(nodes) == 0 {
		t.Fatalf("no nodes: %s", resp.Body)
	}
	var topic map[string]any
	for _, n := range nodes {
		if m := n.(map[string]any); m["id"] == "topic:acme.retail.orders.events" {
			topic = m
		}
	}
	want := map[string]any{
		"id": "topic:acme.retail.orders.events", "type": "topic", "name": "acme.retail.orders.events",
		"namespace": "retail", "kind": "events", "service": "acme.retail.orders", "owner": "orders-team",
	}
	for k, v := range want {
		if topic[k] != v {
			t.Errorf("topic node %s: got %v, want %v (node %v)", k, topic[k], v, topic)
		}
	}
	if len(topic) != len(want) {
		t.Errorf("topic node: got fields %v, want exactly %v (false flags omitted)", topic, want)
	}
}

func TestGraphErrors(t *testing.T) {
	t.Parallel()
	tapi := newAPI(t, loadFixture(t))
	tests := []struct {
		query  string
		status int
		detail string
	}{
		{"?service=acme.retail.nope", http.StatusNotFound, "acme.retail.nope"},
		{"?topic=acme.retail.nope.events", http.StatusNotFound, "acme.retail.nope.events"},
		{"?namespace=nope", http.StatusNotFound, "nope"},
		{"?namespace=retail&topic=acme.retail.orders.events", http.StatusUnprocessableEntity, "one of"},
	}
	for _, tt := range tests {
		resp := tapi.Get("/v1/graph" + tt.query)
		if resp.Code != tt.status {
			t.Errorf("%s: status got %d, want %d: %s", tt.query, resp.Code, tt.status, resp.Body)
		}
		if ct := resp.Header().Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%s: content type got %q, want application/problem+json", tt.query, ct)
		}
		if body := decode[map[string]any](t, resp); !strings.Contains(body["detail"].(string), tt.detail) {
			t.Errorf("%s: problem got %v, want a detail naming %q", tt.query, body, tt.detail)
		}
	}
}
