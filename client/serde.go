package client

import (
	"context"
	"fmt"
	"sync"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"

	registry "github.com/backbone-registry/backbone"
)

// Serde writes and reads framed record values: what a producer sends and a
// consumer receives. It is safe for concurrent use.
//
// The first Marshal for a topic fetches its latest version (or the cached
// one, when the registry is down) and keeps it for the Serde's lifetime: a
// service produces with the contract it started with. Unmarshal resolves
// each schema ID once, through the Client's caches.
type Serde struct {
	c *Client

	mu     sync.Mutex
	topics map[string]*Schema
}

// NewSerde returns a Serde fetching schemas with c.
func NewSerde(c *Client) *Serde {
	return &Serde{c: c, topics: map[string]*Schema{}}
}

// Marshal encodes msg and frames it with the schema ID of the topic's value
// subject carrying msg's message type, and the message's indexes in that
// schema. It fails with EINVALID when the topic does not carry that type.
func (s *Serde) Marshal(ctx context.Context, topic string, msg proto.Message) ([]byte, error) {
	schema, err := s.Topic(ctx, topic)
	if err != nil {
		return nil, err
	}
	name := msg.ProtoReflect().Descriptor().FullName()
	id, err := schema.ValueIDOf(name)
	if err != nil {
		return nil, err
	}
	md, err := schema.Message(string(name))
	if err != nil {
		return nil, err
	}
	payload, err := proto.Marshal(msg)
	if err != nil {
		return nil, registry.Errorf(registry.EINVALID, "marshal %s: %v", name, err)
	}
	return Encode(id, MessageIndexes(md), payload), nil
}

// Topic returns the version of topic this Serde produces with: its latest
// version when first asked for, the same one afterwards. Build the
// messages to Marshal from its descriptors.
func (s *Serde) Topic(ctx context.Context, topic string) (*Schema, error) {
	s.mu.Lock()
	schema, ok := s.topics[topic]
	s.mu.Unlock()
	if ok {
		return schema, nil
	}
	schema, err := s.c.Topic(ctx, topic, 0)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, ok := s.topics[topic]; ok {
		return prev, nil
	}
	s.topics[topic] = schema
	return schema, nil
}

// Unmarshal decodes a framed record: its schema ID is resolved to the
// message its indexes name (ByID, cached), and the payload is decoded into
// a *dynamicpb.Message of that type.
func (s *Serde) Unmarshal(ctx context.Context, data []byte) (proto.Message, error) {
	id, indexes, payload, err := Decode(data)
	if err != nil {
		return nil, err
	}
	schema, err := s.c.ByID(ctx, id)
	if err != nil {
		return nil, err
	}
	md, err := MessageAt(schema.File, indexes)
	if err != nil {
		return nil, fmt.Errorf("schema %d: %w", id, err)
	}
	msg := dynamicpb.NewMessage(md)
	if err := (proto.UnmarshalOptions{Resolver: schema.types}).Unmarshal(payload, msg); err != nil {
		return nil, registry.Errorf(registry.EINVALID, "decode %s (schema %d): %v", md.FullName(), id, err)
	}
	return msg, nil
}
