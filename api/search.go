package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/backbone-registry/backbone/catalog"
)

// SearchInput is a search query.
type SearchInput struct {
	Q     string `query:"q" required:"true" maxLength:"200" doc:"Words that must all appear in a name or its documentation (case-insensitive)" example:"customer_id"`
	Limit int    `query:"limit" minimum:"1" maximum:"200" default:"20" doc:"Most hits per group"`
}

// SearchOutput is what a search found.
type SearchOutput struct {
	Body catalog.SearchResults
}

func (h *handlers) registerSearch(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "search", Method: http.MethodGet, Path: "/v1/search", Tags: []string{"Topics"},
		Summary: "Search the catalog",
		Description: "Finds topics, services, messages and fields whose name or documentation holds every word of q, " +
			"ranked and grouped: `customer_id` lists every field so named with the topics that carry it.",
	}, h.search)
}

func (h *handlers) search(_ context.Context, in *SearchInput) (*SearchOutput, error) {
	c, err := h.catalog()
	if err != nil {
		return nil, err
	}
	return &SearchOutput{Body: c.Search(in.Q, in.Limit)}, nil
}
