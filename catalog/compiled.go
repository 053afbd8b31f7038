package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/compat"
)

// A sync step stores the .proto files it compiled as descriptors
// (registry.CompiledFile), and a restart builds the served catalog from
// them instead of compiling the tree again: on the 10,000-commit benchmark
// store that is most of the restart. Each file is stored with a key over
// its content and its imports' keys, so a descriptor is used only for the
// very content (imports included) it was compiled from; anything else
// compiles, as before.

// compiledKeys returns c's compiled files' keys by path, computing them
// once. A file that prev compiled into the very descriptor c has (reused
// by an incremental compilation: same content, same imports) keeps prev's
// key; prev may be nil.
func (c *Catalog) compiledKeys(prev *Catalog) map[string]string {
	if c.keys != nil || c.schema == nil {
		return c.keys
	}
	keys := map[string]string{}
	var key func(p string) string
	key = func(p string) string {
		if k, ok := keys[p]; ok {
			return k
		}
		f, ok := c.schema.File(p)
		if !ok {
			return "" // a well-known type: built in
		}
		if prev != nil && prev.keys != nil && prev.schema != nil {
			if pf, ok := prev.schema.File(p); ok && pf == f && prev.keys[p] != "" {
				keys[p] = prev.keys[p]
				return keys[p]
			}
		}
		keys[p] = "" // an import cycle does not compile anyway
		h := sha256.New()
		fmt.Fprintf(h, "%d\x00", len(c.files[p]))
		h.Write(c.files[p])
		imports := f.Imports()
		for i := range imports.Len() {
			imp := imports.Get(i).Path()
			fmt.Fprintf(h, "\x00%s\x00%s", imp, key(imp))
		}
		keys[p] = hex.EncodeToString(h.Sum(nil))
		return keys[p]
	}
	for _, f := range c.schema.Files() {
		key(f.Path())
	}
	c.keys = keys
	return keys
}

// compiledFiles returns the files of c to store with its tree: those whose
// key differs from what the store holds (stored's keys; nil stored: every
// file).
func compiledFiles(c, prev, stored *Catalog) (map[string]registry.CompiledFile, error) {
	keys := c.compiledKeys(prev)
	out := map[string]registry.CompiledFile{}
	for p, k := range keys {
		if stored != nil && stored.keys != nil && stored.keys[p] == k {
			continue
		}
		f, _ := c.schema.File(p)
		b, err := compat.EncodeFile(f)
		if err != nil {
			return nil, err
		}
		out[p] = registry.CompiledFile{Key: k, Descriptor: b}
	}
	return out, nil
}

// decodeStored builds the schema of tree from the compiled files stored
// with it. It returns nil, and the caller compiles, when a file is
// missing or its key does not match the tree.
func decodeStored(ctx context.Context, tree map[string][]byte, stored map[string]registry.CompiledFile) (*compat.Schema, map[string]string) {
	if len(stored) == 0 {
		return nil, nil
	}
	encoded := make(map[string][]byte, len(stored))
	for p, f := range stored {
		encoded[p] = f.Descriptor
	}
	schema, err := compat.DecodeFiles(ctx, tree, encoded)
	if err != nil {
		return nil, nil
	}
	c := &Catalog{schema: schema, files: tree}
	keys := c.compiledKeys(nil)
	for p, k := range keys {
		if stored[p].Key != k || strings.HasPrefix(p, "google/protobuf/") {
			return nil, nil
		}
	}
	return schema, keys
}
