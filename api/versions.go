package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/catalog"
)

// ListVersionsOutput lists a topic's versions.
type ListVersionsOutput struct {
	Body VersionList
}

// VersionList is a topic's versions, oldest first.
type VersionList struct {
	Topic    string                  `json:"topic"`
	Versions []registry.TopicVersion `json:"versions"`
}

// GetVersionInput names a topic version.
type GetVersionInput struct {
	Topic   string `path:"topic" doc:"Full topic name" example:"acme.retail.orders.events"`
	Version int    `path:"version" minimum:"1" doc:"Version number" example:"1"`
}

// VersionDetail is a topic version with the schema of each of its subjects.
type VersionDetail struct {
	registry.TopicVersion
	Schemas []registry.Schema `json:"schemas" doc:"The schema of every subject of this version, imports included"`
}

// GetVersionOutput is one topic version.
type GetVersionOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         VersionDetail
}

// GetSchemaInput names a schema by global ID.
type GetSchemaInput struct {
	ID int64 `path:"id" minimum:"1" doc:"Global schema ID, as Kafka records carry it" example:"1"`
}

// GetSchemaOutput is one schema.
type GetSchemaOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         *registry.Schema
}

// immutable is the Cache-Control of content that never changes.
const immutable = "public, max-age=31536000, immutable"

func (h *handlers) registerVersions(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "list-versions", Method: http.MethodGet, Path: "/v1/topics/{topic}/versions", Tags: []string{"Versions"},
		Summary:     "List a topic's versions",
		Description: "Every version of the topic's contract, oldest first, with the commit that made it and the schema ID of each subject. Versions whose commit vanished from the branch (force-push) stay, marked orphaned.",
	}, h.listVersions)
	huma.Register(api, huma.Operation{
		OperationID: "get-version", Method: http.MethodGet, Path: "/v1/topics/{topic}/versions/{version}", Tags: []string{"Versions"},
		Summary:     "Get a topic version",
		Description: "One version of the topic with the .proto text of each subject as it was in Git. Immutable: cached for a year.",
	}, h.getVersion)
	huma.Register(api, huma.Operation{
		OperationID: "get-schema", Method: http.MethodGet, Path: "/v1/schemas/{id}", Tags: []string{"Versions"},
		Summary:     "Get a schema by global ID",
		Description: "The schema a Kafka record's ID names: the .proto file and its references. Immutable: cached for a year.",
	}, h.getSchema)
}

// history returns the served history, or a 404 problem in directory mode.
func (h *handlers) history() (*catalog.Catalog, *catalog.History, error) {
	c, err := h.catalog()
	if err != nil {
		return nil, nil, err
	}
	if c.History() == nil {
		return nil, nil, h.problem(registry.Errorf(registry.ENOTFOUND, "no version history: the registry serves a plain directory (--dir); serve a Git repository (--source) for versions"))
	}
	return c, c.History(), nil
}

func (h *handlers) listVersions(_ context.Context, in *GetTopicInput) (*ListVersionsOutput, error) {
	c, hist, err := h.history()
	if err != nil {
		return nil, err
	}
	if _, ok := c.Topic(in.Topic); !ok && len(hist.Versions(in.Topic)) == 0 {
		return nil, h.problem(registry.Errorf(registry.ENOTFOUND, "no topic %q", in.Topic))
	}
	versions := hist.Versions(in.Topic)
	if versions == nil {
		versions = []registry.TopicVersion{}
	}
	return &ListVersionsOutput{Body: VersionList{Topic: in.Topic, Versions: versions}}, nil
}

func (h *handlers) getVersion(_ context.Context, in *GetVersionInput) (*GetVersionOutput, error) {
	_, hist, err := h.history()
	if err != nil {
		return nil, err
	}
	for _, v := range hist.Versions(in.Topic) {
		if v.Version != in.Version {
			continue
		}
		out := &GetVersionOutput{CacheControl: immutable, Body: VersionDetail{TopicVersion: v, Schemas: []registry.Schema{}}}
		for _, s := range v.Subjects {
			if schema, ok := hist.Schema(s.SchemaID); ok {
				out.Body.Schemas = append(out.Body.Schemas, *schema)
			}
		}
		return out, nil
	}
	return nil, h.problem(registry.Errorf(registry.ENOTFOUND, "topic %q has no version %d", in.Topic, in.Version))
}

func (h *handlers) getSchema(_ context.Context, in *GetSchemaInput) (*GetSchemaOutput, error) {
	_, hist, err := h.history()
	if err != nil {
		return nil, err
	}
	s, ok := hist.Schema(in.ID)
	if !ok {
		return nil, h.problem(registry.Errorf(registry.ENOTFOUND, "no schema with ID %d", in.ID))
	}
	return &GetSchemaOutput{CacheControl: immutable, Body: s}, nil
}
