package catalog

import (
	"container/list"
	"slices"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/backbone-registry/backbone/compat"
)

// DefaultContractCache is how many compiled earlier versions an Ingester
// keeps for compatibility checks when Ingester.ContractCache is zero. A
// transitive check needs every version of a changed topic; a commit changes
// a few topics, so a few hundred versions cover the topics that change
// often. Each compiled version costs up to a few hundred KB (descriptors
// with source info, its imports included).
const DefaultContractCache = 256

// versionKey names one version of a topic.
type versionKey struct {
	topic   string
	version int
}

// contractCache is a least-recently-used cache of compiled topic versions,
// bounded by a count: what the sync process holds no longer grows with the
// history. A miss costs a compilation of the version's stored schemas.
type contractCache struct {
	max   int
	order list.List // of *contractEntry, most recently used first
	byKey map[versionKey]*list.Element
}

type contractEntry struct {
	key versionKey
	ct  compat.Contract
}

func newContractCache(max int) *contractCache {
	if max <= 0 {
		max = DefaultContractCache
	}
	return &contractCache{max: max, byKey: map[versionKey]*list.Element{}}
}

func (c *contractCache) get(k versionKey) (compat.Contract, bool) {
	e, ok := c.byKey[k]
	if !ok {
		return compat.Contract{}, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*contractEntry).ct, true
}

func (c *contractCache) put(k versionKey, ct compat.Contract) {
	if e, ok := c.byKey[k]; ok {
		e.Value.(*contractEntry).ct = ct
		c.order.MoveToFront(e)
		return
	}
	c.byKey[k] = c.order.PushFront(&contractEntry{key: k, ct: ct})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.byKey, last.Value.(*contractEntry).key)
	}
}

// len returns how many versions the cache holds.
func (c *contractCache) len() int { return c.order.Len() }

// fingerprinted is a topic's fingerprint with the contract it was computed
// from. Compiled descriptors are immutable and a recompilation makes new
// ones, so the same descriptors mean the same fingerprint: a topic none of
// whose files were recompiled needs no new fingerprint.
type fingerprinted struct {
	key       protoreflect.MessageDescriptor
	keyScalar string
	values    []protoreflect.MessageDescriptor
	fp        string
}

func (f *fingerprinted) matches(ct compat.Contract) bool {
	return f.key == ct.Key && f.keyScalar == ct.KeyScalar && slices.Equal(f.values, ct.Values)
}

// fingerprint returns the fingerprint of a topic's contract, computing it
// only when its descriptors are not those of the last call.
func (in *Ingester) fingerprint(topic string, ct compat.Contract) string {
	if in.fullRebuild {
		return compat.Fingerprint(ct)
	}
	if f, ok := in.fps[topic]; ok && f.matches(ct) {
		return f.fp
	}
	f := &fingerprinted{key: ct.Key, keyScalar: ct.KeyScalar, values: slices.Clone(ct.Values), fp: compat.Fingerprint(ct)}
	if in.fps == nil {
		in.fps = map[string]*fingerprinted{}
	}
	in.fps[topic] = f
	return f.fp
}
