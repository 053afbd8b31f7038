package api

import (
	"context"
	"net/http"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/danielgtaylor/huma/v2"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/compat"
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
	Version string `path:"version" pattern:"^([1-9][0-9]{0,8}|latest)$" doc:"Version number, or latest" example:"1"`
	Accept  string `header:"Accept" doc:"application/x-protobuf for a FileDescriptorSet; errors are application/problem+json whatever it asks for"`
}

// VersionDetail is a topic version with the schema of each of its subjects.
// Asked for application/x-protobuf, it is served as a FileDescriptorSet.
type VersionDetail struct {
	registry.TopicVersion
	Schemas []registry.Schema `json:"schemas" doc:"The schema of every subject of this version, imports included"`

	descriptors []byte // the FileDescriptorSet, when asked for
}

// DescriptorSet returns the version's files as a serialized
// google.protobuf.FileDescriptorSet, dependencies first.
func (v VersionDetail) DescriptorSet() ([]byte, error) {
	if v.descriptors == nil {
		return nil, registry.Errorf(registry.ENOTFOUND, "no descriptors for this version")
	}
	return v.descriptors, nil
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
		Summary: "Get a topic version",
		Description: "One version of the topic with the .proto text of each subject as it was in Git, or, with Accept: application/x-protobuf, " +
			"a serialized google.protobuf.FileDescriptorSet of its files and their imports (well-known types included). Numbered versions are immutable: cached for a year; latest for a few seconds. " +
			"Errors are application/problem+json whatever Accept asks for; building a FileDescriptorSet takes a compilation slot (429 with Retry-After when none frees in 10 s).",
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

func (h *handlers) getVersion(ctx context.Context, in *GetVersionInput) (*GetVersionOutput, error) {
	c, hist, err := h.history()
	if err != nil {
		return nil, err
	}
	v, ok := hist.Version(in.Topic, in.Version)
	if !ok {
		return nil, h.problem(registry.Errorf(registry.ENOTFOUND, "topic %q has no version %s", in.Topic, in.Version))
	}
	out := &GetVersionOutput{CacheControl: immutable, Body: VersionDetail{TopicVersion: v, Schemas: []registry.Schema{}}}
	if in.Version == "latest" {
		out.CacheControl = latestCache
	}
	out.Body.Schemas = hist.SchemasOf(v)
	if strings.Contains(in.Accept, "application/x-protobuf") {
		// Built here, not as the body is written: a failure must be an
		// error response, not a broken body after a 200.
		release, err := h.compiles.Enter(ctx)
		if err != nil {
			return nil, busyProblem()
		}
		defer release()
		if out.Body.descriptors, err = descriptorSet(ctx, hist, v, c.Limits()); err != nil {
			return nil, h.problem(err)
		}
	}
	return out, nil
}

// latestCache is the Cache-Control of "latest": it moves with each sync.
const latestCache = "public, max-age=5"

// descriptorSet compiles a version's stored files and serializes them, with
// every dependency, as a FileDescriptorSet.
// The version is compiled with the served catalog's limits.
func descriptorSet(ctx context.Context, hist *catalog.History, v registry.TopicVersion, limits compat.Limits) ([]byte, error) {
	files, err := hist.Files(v)
	if err != nil {
		return nil, err
	}
	schema, err := compat.CompileSources(ctx, files, limits)
	if err != nil {
		return nil, err
	}
	set := &descriptorpb.FileDescriptorSet{}
	seen := map[string]bool{}
	var add func(fd protoreflect.FileDescriptor)
	add = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		imports := fd.Imports()
		for i := range imports.Len() {
			add(imports.Get(i).FileDescriptor)
		}
		set.File = append(set.File, protodesc.ToFileDescriptorProto(fd))
	}
	for _, fd := range schema.Files() {
		add(fd)
	}
	return proto.MarshalOptions{Deterministic: true}.Marshal(set)
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
