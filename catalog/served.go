package catalog

import (
	"context"
	"sync"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/compat"
)

// ServedTopic is a topic as the registry serves it.
type ServedTopic struct {
	// Topic is the topic as the catalog declares it; while it is stuck on
	// a rejection, with the key and values of its served version.
	Topic    *registry.Topic
	Messages []registry.Message // the served key and value messages first, then what they reference
	Enums    []registry.Enum
	// Version is the served version (zero for a plain directory, or a
	// topic with no version yet).
	Version registry.TopicVersion
	// Rejection is the topic's open rejection, nil if none: the catalog's
	// contract of the topic is then the rejected one, and Messages are
	// those of Version instead.
	Rejection *registry.Rejection
}

// Served returns what the registry serves for t. A topic stuck on a
// rejected commit serves its last good version, not the contract of the
// commits the catalog was loaded from: its messages are those of that
// version, compiled from its stored schemas (once per version, then
// cached). The topic's other fields (owner, description, producers…) are
// the catalog's.
func (c *Catalog) Served(ctx context.Context, t *registry.Topic) (ServedTopic, error) {
	out := ServedTopic{Topic: t}
	h := c.History()
	if h != nil {
		out.Version, _ = h.Latest(t.Name)
		if r, ok := h.OpenRejection(t.Name); ok && out.Version.Version > 0 {
			out.Rejection = &r
		}
	}
	if out.Rejection == nil {
		out.Messages, out.Enums = c.Documentation(t)
		return out, nil
	}
	d, err := h.served.get(ctx, h, out.Version)
	if err != nil {
		return out, err
	}
	cp := *t
	cp.Key, cp.Values = d.key, d.values
	out.Topic, out.Messages, out.Enums = &cp, d.messages, d.enums
	return out, nil
}

// ServedTopic is t as the registry serves it, for lists: t itself unless
// it is stuck on a rejected commit, then t with the key and values of its
// last good version (compiled once per version, as for Served). The
// documentation is left out, which makes it cheap for every other topic.
func (c *Catalog) ServedTopic(ctx context.Context, t *registry.Topic) (*registry.Topic, error) {
	h := c.History()
	if h == nil {
		return t, nil
	}
	if _, ok := h.OpenRejection(t.Name); !ok {
		return t, nil
	}
	s, err := c.Served(ctx, t)
	return s.Topic, err
}

// servedDocs caches the documentation of the versions stuck topics serve.
// Versions never change, so histories share it.
type servedDocs struct {
	mu   sync.Mutex
	docs map[versionKey]*versionDoc
}

type versionDoc struct {
	key      *registry.MessageRef
	values   []registry.MessageRef
	messages []registry.Message
	enums    []registry.Enum
}

// maxServedDocs bounds the cache: one entry per stuck topic is the need.
const maxServedDocs = 256

func (s *servedDocs) get(ctx context.Context, h *History, v registry.TopicVersion) (*versionDoc, error) {
	k := versionKey{v.Topic, v.Version}
	s.mu.Lock()
	d, ok := s.docs[k]
	s.mu.Unlock()
	if ok {
		return d, nil
	}
	ct, err := h.Contract(ctx, v, compat.DefaultLimits)
	if err != nil {
		return nil, err
	}
	d = &versionDoc{}
	var roots []protoMessage
	if ct.Key != nil {
		roots = append(roots, ct.Key)
		d.key = messageRef(ct.Key)
	} else if ct.KeyScalar != "" {
		d.key = &registry.MessageRef{Name: ct.KeyScalar, Scalar: true}
	}
	for _, md := range ct.Values {
		roots = append(roots, md)
		d.values = append(d.values, *messageRef(md))
	}
	msgs, enums := compat.Closure(roots...)
	d.messages = make([]registry.Message, len(msgs))
	for i, md := range msgs {
		d.messages[i] = compat.DescribeMessage(md)
	}
	d.enums = make([]registry.Enum, len(enums))
	for i, ed := range enums {
		d.enums[i] = compat.DescribeEnum(ed)
	}
	s.mu.Lock()
	if s.docs == nil || len(s.docs) >= maxServedDocs {
		s.docs = map[versionKey]*versionDoc{}
	}
	s.docs[k] = d
	s.mu.Unlock()
	return d, nil
}

func messageRef(md protoMessage) *registry.MessageRef {
	return &registry.MessageRef{Name: string(md.FullName()), File: md.ParentFile().Path()}
}
