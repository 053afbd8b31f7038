package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/catalog"
)

// RuleInfo is a rule of the catalogue with the severity this repository
// gives it.
type RuleInfo struct {
	registry.Rule
	Severity registry.Severity `json:"severity" doc:"The severity configured in registry.yaml (the default when it is silent)"`
}

// RuleList is the rule catalogue.
type RuleList struct {
	Rules []RuleInfo `json:"rules"`
}

// ListRulesOutput is the rule catalogue.
type ListRulesOutput struct {
	Body RuleList
}

func (h *handlers) registerRules(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "list-rules", Method: http.MethodGet, Path: "/v1/rules", Tags: []string{"Rules"},
		Summary:     "List rules",
		Description: "The rule catalogue: each rule's ID, purpose, default severity, the severity this repository configures, and its documentation.",
	}, h.listRules)
}

func (h *handlers) listRules(context.Context, *struct{}) (*ListRulesOutput, error) {
	c, err := h.catalog()
	if err != nil {
		return nil, err
	}
	out := &ListRulesOutput{}
	for _, r := range catalog.Catalogue() {
		out.Body.Rules = append(out.Body.Rules, RuleInfo{Rule: r, Severity: c.Severity(r.ID)})
	}
	return out, nil
}
