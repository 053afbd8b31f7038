package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/backbone-registry/backbone/catalog"
)

// GetGraphInput selects part of the dependency graph; at most one filter.
type GetGraphInput struct {
	Namespace string `query:"namespace" doc:"Only the services and topics of this namespace, with every edge that touches them; the nodes at the other end are marked external" example:"retail"`
	Service   string `query:"service" doc:"Centre on this service (full name): the topics it owns, produces or consumes, and the services one hop away through them" example:"acme.retail.orders"`
	Topic     string `query:"topic" doc:"Centre on this topic (full name): its producers and consumers, the owner among them" example:"acme.retail.orders.events"`
}

// GetGraphOutput is a dependency graph.
type GetGraphOutput struct {
	Body catalog.Graph
}

func (h *handlers) registerGraph(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "get-graph", Method: http.MethodGet, Path: "/v1/graph", Tags: []string{"Services"},
		Summary: "Get the dependency graph",
		Description: "Returns services and topics as a directed graph: an edge from a service to a topic it produces, " +
			"and from a topic to a service that consumes it, implicit roles included (the owner of a fact topic produces it, " +
			"the owner of a command or reply topic consumes it). The whole estate, one namespace, or centred on one service or topic. " +
			"Nodes are sorted by ID and edges by source then target.",
	}, h.getGraph)
}

func (h *handlers) getGraph(_ context.Context, in *GetGraphInput) (*GetGraphOutput, error) {
	c, err := h.catalog()
	if err != nil {
		return nil, err
	}
	g, err := c.Graph(catalog.GraphFilter{Namespace: in.Namespace, Service: in.Service, Topic: in.Topic})
	if err != nil {
		return nil, h.problem(err)
	}
	return &GetGraphOutput{Body: g}, nil
}
