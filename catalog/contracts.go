package catalog

import (
	"container/list"
	"context"
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/compat"
)

// DefaultContractCache is how many compiled earlier versions an Ingester
// keeps for compatibility checks when Ingester.ContractCache is zero. A
// transitive check needs every version of a changed topic, and a commit may
// change any topic, so no cache of a useful size holds them all; a miss
// compiles the version's own file, its imports usually coming from the
// file cache. Each entry pins its compiled topic file (tens of KB with
// source info), so with DefaultFileCache the two hold some 200 files, about
// 15 MB. Larger caches bought no measurable speed at 1,000 topics (256
// versions and 512 files synced 3,000 commits at the speed of 16 and 32).
const DefaultContractCache = 64

// DefaultFileCache is how many compiled stored files (by content hash) an
// Ingester keeps to compile earlier versions with: the imports most
// versions share (a common envelope) are compiled once, not once per
// version.
const DefaultFileCache = 128

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

// fileCache is a least-recently-used cache of compiled stored files by
// content hash (the hash covers the file's imports, transitively).
type fileCache struct {
	max    int
	order  list.List // of *contractEntry (key.topic: the hash), most recently used first
	byHash map[string]*list.Element
}

func newFileCache(max int) *fileCache {
	return &fileCache{max: max, byHash: map[string]*list.Element{}}
}

func (c *fileCache) get(hash string) (protoreflect.FileDescriptor, bool) {
	e, ok := c.byHash[hash]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*contractEntry).file, true
}

func (c *fileCache) put(hash string, fd protoreflect.FileDescriptor) {
	if e, ok := c.byHash[hash]; ok {
		e.Value.(*contractEntry).file = fd
		c.order.MoveToFront(e)
		return
	}
	c.byHash[hash] = c.order.PushFront(&contractEntry{key: versionKey{topic: hash}, file: fd})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.byHash, last.Value.(*contractEntry).key.topic)
	}
}

type contractEntry struct {
	key  versionKey
	ct   compat.Contract
	file protoreflect.FileDescriptor // in a file cache
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

// limits are those of the catalog last loaded, or the configured ones
// before the first.
func (in *Ingester) limits() compat.Limits {
	if in.cat != nil {
		return in.cat.Limits()
	}
	return in.Options.Limits.WithDefaults()
}

// compileVersion rebuilds a stored version's contract from its schemas, as
// History.Contract does, taking the files compiled for earlier versions
// from the file cache when their content (and their imports') is the same.
func (in *Ingester) compileVersion(ctx context.Context, v registry.TopicVersion) (compat.Contract, error) {
	if in.fullRebuild {
		return in.hist.Contract(ctx, v, in.limits())
	}
	if in.compiled == nil {
		in.compiled = newFileCache(DefaultFileCache)
	}
	files, hashes, err := in.hist.sources(v)
	if err != nil {
		return compat.Contract{}, err
	}
	// A cached file is reused only with the very files it was linked
	// against: each of its imports must be reused too, as the same
	// descriptor.
	reuse := map[string]protoreflect.FileDescriptor{}
	state := map[string]bool{}
	var reusable func(path string) bool
	reusable = func(path string) bool {
		if ok, seen := state[path]; seen {
			return ok
		}
		state[path] = false // an import cycle does not compile anyway
		fd, ok := in.compiled.get(hashes[path])
		if !ok {
			return false
		}
		imports := fd.Imports()
		for i := range imports.Len() {
			imp := imports.Get(i)
			if strings.HasPrefix(imp.Path(), "google/protobuf/") {
				continue
			}
			if !reusable(imp.Path()) || reuse[imp.Path()] != imp.FileDescriptor {
				return false
			}
		}
		state[path], reuse[path] = true, fd
		return true
	}
	for path := range files {
		reusable(path)
	}
	schema, err := compat.CompileReusing(ctx, files, reuse, in.limits())
	if err != nil {
		return compat.Contract{}, err
	}
	for _, fd := range schema.Files() {
		if h, ok := hashes[fd.Path()]; ok {
			in.compiled.put(h, fd)
		}
	}
	return contractOf(schema, v)
}
