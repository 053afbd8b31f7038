package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	registry "github.com/backbone-registry/backbone"
)

// DiffInput names two versions of a topic.
type DiffInput struct {
	Topic string `path:"topic" doc:"Full topic name" example:"acme.retail.orders.events"`
	From  string `query:"from" pattern:"^([1-9][0-9]{0,8}|latest)$" doc:"The earlier version (default: the one before to)" example:"1"`
	To    string `query:"to" pattern:"^([1-9][0-9]{0,8}|latest)$" doc:"The later version (default: latest)" example:"2"`
	Level string `query:"level" enum:"WIRE,WIRE_JSON,FILE" doc:"What counts as breaking (default: the topic's level)"`
}

// Diff compares two versions of a topic.
type Diff struct {
	Topic    string                `json:"topic"`
	Level    registry.Level        `json:"level"`
	From     registry.TopicVersion `json:"from"`
	To       registry.TopicVersion `json:"to"`
	FromText []registry.Schema     `json:"from_schemas" doc:"The .proto files of from"`
	ToText   []registry.Schema     `json:"to_schemas" doc:"The .proto files of to"`
	Findings []registry.Finding    `json:"findings" doc:"What breaks between the two, in either direction (both are checked, as FULL)"`
}

// DiffOutput is a diff.
type DiffOutput struct {
	Body Diff
}

func (h *handlers) registerDiff(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "diff-versions", Method: http.MethodGet, Path: "/v1/topics/{topic}/diff", Tags: []string{"Versions"},
		Summary:     "Compare two versions",
		Description: "The .proto text of two versions of a topic and the compatibility findings between them, checked in both directions at the topic's level (or the one asked for).",
	}, h.diff)
}

func (h *handlers) diff(ctx context.Context, in *DiffInput) (*DiffOutput, error) {
	c, hist, err := h.history()
	if err != nil {
		return nil, err
	}
	release, err := h.compiles.Enter(ctx) // both versions are compiled (or taken from the history's cache)
	if err != nil {
		return nil, busyProblem()
	}
	d, err := c.Diff(ctx, in.Topic, in.From, in.To, registry.Level(in.Level))
	release()
	if err != nil {
		return nil, h.problem(err)
	}
	return &DiffOutput{Body: Diff{Topic: d.Topic, Level: d.Level, From: d.From, To: d.To,
		FromText: hist.SchemasOf(d.From), ToText: hist.SchemasOf(d.To), Findings: d.Findings,
	}}, nil
}
