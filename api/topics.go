package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/catalog"
)

var catalogAll = catalog.TopicFilter{}

// ListTopicsInput filters the topic list; every filter is optional.
type ListTopicsInput struct {
	Namespace string `query:"namespace" doc:"Only topics of this namespace" example:"retail"`
	Service   string `query:"service" doc:"Only topics owned by this service (full name)" example:"acme.retail.orders"`
	Kind      string `query:"kind" doc:"Only topics of this kind; private matches every private kind" example:"events"`
	Owner     string `query:"owner" doc:"Only topics owned by this team" example:"orders-team"`
	Q         string `query:"q" doc:"Words that must all appear in the topic's name or description (case-insensitive)" example:"order confirmed"`
}

// TopicSummary is a topic in a list.
type TopicSummary struct {
	Name          string                 `json:"name" example:"acme.retail.orders.events"`
	Namespace     string                 `json:"namespace"`
	Service       string                 `json:"service" doc:"The owning service"`
	Kind          registry.Kind          `json:"kind"`
	Owner         string                 `json:"owner" doc:"The owning team"`
	Description   string                 `json:"description"`
	Compatibility registry.Compatibility `json:"compatibility"`
	Level         registry.Level         `json:"level"`
	Key           *registry.MessageRef   `json:"key,omitempty"`
	Values        []registry.MessageRef  `json:"values"`
	Producers     []string               `json:"producers"`
	Consumers     []string               `json:"consumers"`
	Deprecated    *registry.Deprecation  `json:"deprecated,omitempty"`
}

// TopicList is a list of topics.
type TopicList struct {
	Topics []TopicSummary `json:"topics"`
	Count  int            `json:"count"`
}

// ListTopicsOutput is the topic list.
type ListTopicsOutput struct {
	Body TopicList
}

// GetTopicInput names a topic.
type GetTopicInput struct {
	Topic string `path:"topic" doc:"Full topic name" example:"acme.retail.orders.events"`
}

// TopicDetail is a topic with its whole documented contract: the one the
// registry serves.
type TopicDetail struct {
	TopicSummary
	Position registry.Position  `json:"position" doc:"Where service.yaml declares the topic"`
	Version  int                `json:"version,omitempty" doc:"The served version, whose contract this is; absent for a plain directory or before the first version"`
	Messages []registry.Message `json:"messages" doc:"The served key and value messages first, then every message they reference, transitively"`
	Enums    []registry.Enum    `json:"enums" doc:"Every enum the messages reference"`
	Findings []registry.Finding `json:"findings" doc:"Governance findings about this topic"`
	// Rejected is set while the topic is stuck on a rejected commit.
	Rejected *RejectionNotice `json:"rejected,omitempty" doc:"The topic's open rejection: later commits broke its compatibility, so it serves its last good version (this contract)"`
}

// RejectionNotice says that a topic is stuck on a rejected commit.
type RejectionNotice struct {
	Notice    string             `json:"notice" example:"commit 3f2a9c1e7b4d (first seen 2026-01-02T03:04:05Z, 21 commits since) was rejected"`
	Rejection registry.Rejection `json:"rejection" doc:"The record, as /v1/status lists it"`
	Link      string             `json:"link" doc:"Where its findings are shown" example:"/status#rejection-7"`
}

// GetTopicOutput is one topic.
type GetTopicOutput struct {
	Body TopicDetail
}

func (h *handlers) registerTopics(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "list-topics", Method: http.MethodGet, Path: "/v1/topics", Tags: []string{"Topics"},
		Summary:     "List topics",
		Description: "Lists the topics of the estate, sorted by name, filtered by namespace, owning service, kind, owning team and text.",
	}, h.listTopics)
	huma.Register(api, huma.Operation{
		OperationID: "get-topic", Method: http.MethodGet, Path: "/v1/topics/{topic}", Tags: []string{"Topics"},
		Summary:     "Get a topic",
		Description: "Returns a topic's owner, compatibility, producers and consumers, and its key/value messages with every field documented.",
	}, h.getTopic)
}

func (h *handlers) listTopics(ctx context.Context, in *ListTopicsInput) (*ListTopicsOutput, error) {
	c, err := h.catalog()
	if err != nil {
		return nil, err
	}
	topics := c.Topics(catalog.TopicFilter{
		Namespace: in.Namespace, Service: in.Service, Kind: registry.Kind(in.Kind), Owner: in.Owner, Query: in.Q,
	})
	out := &ListTopicsOutput{}
	out.Body.Topics = make([]TopicSummary, len(topics))
	for i, t := range topics {
		served, err := c.ServedTopic(ctx, t) // a stuck topic lists its last good version's key and values
		if err != nil {
			return nil, h.problem(err)
		}
		out.Body.Topics[i] = summarize(served)
	}
	out.Body.Count = len(topics)
	return out, nil
}

func (h *handlers) getTopic(ctx context.Context, in *GetTopicInput) (*GetTopicOutput, error) {
	c, err := h.catalog()
	if err != nil {
		return nil, err
	}
	t, ok := c.Topic(in.Topic)
	if !ok {
		return nil, h.problem(registry.Errorf(registry.ENOTFOUND, "no topic %q", in.Topic))
	}
	served, err := c.Served(ctx, t)
	if err != nil {
		return nil, h.problem(err)
	}
	out := &GetTopicOutput{Body: TopicDetail{
		TopicSummary: summarize(served.Topic),
		Position:     t.Position,
		Version:      served.Version.Version,
		Messages:     served.Messages,
		Enums:        served.Enums,
		Findings:     []registry.Finding{},
	}}
	if r := served.Rejection; r != nil {
		out.Body.Rejected = &RejectionNotice{Notice: RejectionText(*r), Rejection: *r, Link: RejectionLink(*r)}
	}
	for _, f := range c.FindingsFor(t.Service) {
		if f.Topic == t.Name {
			out.Body.Findings = append(out.Body.Findings, f)
		}
	}
	return out, nil
}

func summarize(t *registry.Topic) TopicSummary {
	return TopicSummary{
		Name: t.Name, Namespace: t.Namespace, Service: t.Service, Kind: t.Kind, Owner: t.Owner,
		Description: t.Description, Compatibility: t.Compatibility, Level: t.Level,
		Key: t.Key, Values: t.Values, Producers: t.Producers, Consumers: t.Consumers, Deprecated: t.Deprecated,
	}
}

// RejectionText says which commit a rejection is of: "commit 3f2a9c1e7b4d
// (first seen 2026-01-02T03:04:05Z, 21 commits since) was rejected".
func RejectionText(r registry.Rejection) string {
	since := "1 commit"
	if r.Commits != 1 {
		since = strconv.Itoa(r.Commits) + " commits"
	}
	return fmt.Sprintf("commit %s (first seen %s, %s since) was rejected", shortSHA(r.Commit.SHA), r.CreatedAt.UTC().Format(time.RFC3339), since)
}

// RejectionLink is where the catalog shows a rejection's findings.
func RejectionLink(r registry.Rejection) string {
	return "/status#rejection-" + strconv.FormatInt(r.ID, 10)
}

func shortSHA(sha string) string { return sha[:min(len(sha), 12)] }
