package catalog

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/compat"
)

// maxRejections is how many recently closed rejections a History keeps
// beside the open ones, which it keeps all.
const maxRejections = 100

// History is what the sync has recorded: topic versions, the schemas they
// name, rejected commits and the sync state. It is immutable: each sync
// step makes a new one, so snapshots can share it.
type History struct {
	state      registry.SyncState
	versions   map[string][]registry.TopicVersion // by topic, ascending version
	schemas    map[int64]*storedSchema
	byHash     map[string]*storedSchema
	subjects   map[string][]registry.SubjectSchema // by subject, ascending version, one entry per version
	rejections []registry.Rejection                // open ones first, as Store.Rejections returns them
	served     *servedDocs                         // shared by the histories that follow
}

// NewHistory indexes what a store holds. It keeps the schema texts as
// they are: Compact compresses them.
func NewHistory(state registry.SyncState, versions []registry.TopicVersion, schemas []registry.Schema, rejections []registry.Rejection) *History {
	return newHistory(nil, state, versions, schemas, rejections)
}

// newHistory is NewHistory taking the schemas prev holds from prev (with
// their texts compacted if prev's are), as a follower reloading after
// each of the leader's steps does.
func newHistory(prev *History, state registry.SyncState, versions []registry.TopicVersion, schemas []registry.Schema, rejections []registry.Rejection) *History {
	h := &History{
		state:    state,
		versions: map[string][]registry.TopicVersion{},
		schemas:  make(map[int64]*storedSchema, len(schemas)),
		byHash:   make(map[string]*storedSchema, len(schemas)),
		subjects: map[string][]registry.SubjectSchema{},
		served:   &servedDocs{},
	}
	// What a store reads repeats: a version's commit and fields on each of
	// its subject rows, a schema's hash in every version naming it. Each
	// string is kept once, copied: the rows read are then garbage as a
	// whole, instead of pinning the pages they share with what is kept.
	in := make(interner, len(schemas)+2*len(versions))
	for _, s := range schemas {
		var e *storedSchema
		if prev != nil {
			if old, ok := prev.byHash[s.Hash]; ok && old.meta.ID == s.ID {
				e = old
			}
		}
		if e == nil {
			s.Hash, s.Format, s.Path = in.of(s.Hash), in.of(s.Format), in.of(s.Path)
			s.References = slices.Clone(s.References)
			for i := range s.References {
				r := &s.References[i]
				r.Name, r.Subject, r.Hash = in.of(r.Name), in.of(r.Subject), in.of(r.Hash)
			}
			e = newStoredSchema(s)
		}
		h.schemas[e.meta.ID], h.byHash[e.meta.Hash] = e, e
	}
	for _, v := range versions {
		v.Topic, v.Fingerprint, v.Key = in.of(v.Topic), in.of(v.Fingerprint), in.of(v.Key)
		c := &v.Commit
		c.SHA, c.Author, c.Email, c.Message = in.of(c.SHA), in.of(c.Author), in.of(c.Email), in.of(c.Message)
		v.Subjects = slices.Clone(v.Subjects)
		for i := range v.Subjects {
			s := &v.Subjects[i]
			s.Subject, s.Message, s.Hash = in.of(s.Subject), in.of(s.Message), in.of(s.Hash)
		}
		h.addVersion(v)
	}
	h.rejections = openFirst(rejections)
	return h
}

// openFirst returns a copy of rejections with the open ones first, each
// part in its order.
func openFirst(rejections []registry.Rejection) []registry.Rejection {
	out := slices.Clone(rejections)
	slices.SortStableFunc(out, func(a, b registry.Rejection) int {
		switch {
		case a.Open == b.Open:
			return 0
		case a.Open:
			return -1
		}
		return 1
	})
	return out
}

// interner keeps one copy of each string.
type interner map[string]string

func (in interner) of(s string) string {
	if c, ok := in[s]; ok {
		return c
	}
	c := strings.Clone(s)
	in[c] = c
	return c
}

// addVersion appends v; Clip makes every append copy, so histories that
// share slices never see each other's additions.
func (h *History) addVersion(v registry.TopicVersion) {
	h.versions[v.Topic] = append(slices.Clip(h.versions[v.Topic]), v)
	for _, s := range v.Subjects {
		list := h.subjects[s.Subject]
		if !slices.ContainsFunc(list, func(e registry.SubjectSchema) bool { return e.Version == s.Version }) {
			h.subjects[s.Subject] = append(slices.Clip(list), s)
		}
	}
}

// next returns a copy of h with a step's outcome applied: ids maps the
// step's schema hashes to their global IDs.
func (h *History) next(step registry.SyncStep, ids map[string]int64) *History {
	// maps.Clone copies a map's table wholesale, several times faster than
	// inserting every entry again: this copy is the one part of a step that
	// grows with the history.
	n := &History{
		state:    step.State,
		versions: cloneMap(h.versions),
		schemas:  cloneMap(h.schemas),
		byHash:   cloneMap(h.byHash),
		subjects: cloneMap(h.subjects),
		served:   h.served,
	}
	for _, sc := range step.Schemas {
		if _, ok := n.byHash[sc.Hash]; !ok {
			s := newStoredSchema(registry.Schema{ID: ids[sc.Hash], SchemaContent: sc, CreatedAt: step.State.SyncedAt})
			s.compact() // a step adds a few: compressing them costs microseconds
			n.schemas[s.meta.ID], n.byHash[s.meta.Hash] = s, s
		}
	}
	for _, v := range step.Versions {
		v.Subjects = slices.Clone(v.Subjects)
		for i := range v.Subjects {
			v.Subjects[i].SchemaID = ids[v.Subjects[i].Hash]
		}
		n.addVersion(v)
	}
	if len(step.Orphaned) > 0 {
		for topic, list := range n.versions {
			if slices.ContainsFunc(list, func(v registry.TopicVersion) bool { return slices.Contains(step.Orphaned, v.Commit.SHA) }) {
				list = slices.Clone(list)
				for i := range list {
					if slices.Contains(step.Orphaned, list[i].Commit.SHA) {
						list[i].Orphaned = true
					}
				}
				n.versions[topic] = list
			}
		}
	}
	n.rejections = h.rejections
	return n
}

// withRejections returns a copy of h holding rejections (as
// Store.Rejections returns them) instead of its own.
func (h *History) withRejections(rejections []registry.Rejection) *History {
	n := *h
	n.rejections = openFirst(rejections)
	return &n
}

// State returns how far the sync got.
func (h *History) State() registry.SyncState { return h.state }

// Versions returns a topic's versions, oldest first.
func (h *History) Versions(topic string) []registry.TopicVersion { return h.versions[topic] }

// Latest returns a topic's latest version.
func (h *History) Latest(topic string) (registry.TopicVersion, bool) {
	vs := h.versions[topic]
	if len(vs) == 0 {
		return registry.TopicVersion{}, false
	}
	return vs[len(vs)-1], true
}

// Schema returns the schema with a global ID: a copy, its text
// decompressed (tens of microseconds).
func (h *History) Schema(id int64) (*registry.Schema, bool) {
	s, ok := h.schemas[id]
	if !ok {
		return nil, false
	}
	return s.schema(), true
}

// SchemaByHash returns the schema with the given content hash: a copy,
// its text decompressed.
func (h *History) SchemaByHash(hash string) (*registry.Schema, bool) {
	s, ok := h.byHash[hash]
	if !ok {
		return nil, false
	}
	return s.schema(), true
}

// SchemaInfo returns the schema with the given content hash without its
// text, which it does not decompress: for callers that need only its ID,
// path or references.
func (h *History) SchemaInfo(hash string) (registry.Schema, bool) {
	s, ok := h.byHash[hash]
	if !ok {
		return registry.Schema{}, false
	}
	return s.meta, true
}

// Compact compresses the schema texts still held raw (those NewHistory
// was given). Readers may use h meanwhile: each text is swapped
// atomically. Histories made from h by later steps share its schemas, so
// they are compacted too.
func (h *History) Compact() {
	for _, s := range h.schemas {
		s.compact()
	}
}

// Subject returns a subject's versions, oldest first.
func (h *History) Subject(subject string) []registry.SubjectSchema { return h.subjects[subject] }

// Subjects returns every subject name, sorted.
func (h *History) Subjects() []string {
	out := make([]string, 0, len(h.subjects))
	for s := range h.subjects {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// Rejections returns every open rejection, most recently opened first,
// then the most recently closed ones.
func (h *History) Rejections() []registry.Rejection { return h.rejections }

// OpenRejections returns the open rejections, most recently opened first.
func (h *History) OpenRejections() []registry.Rejection {
	n := 0
	for n < len(h.rejections) && h.rejections[n].Open {
		n++
	}
	return h.rejections[:n:n]
}

// OpenRejection returns a topic's open rejection (topic "": the one of a
// commit rejected whole).
func (h *History) OpenRejection(topic string) (registry.Rejection, bool) {
	for _, r := range h.OpenRejections() {
		if r.Topic == topic {
			return r, true
		}
	}
	return registry.Rejection{}, false
}

// knownCommits returns every commit the history mentions.
func (h *History) knownCommits() map[string]bool {
	known := map[string]bool{}
	if h.state.Commit != "" {
		known[h.state.Commit] = true
	}
	for _, vs := range h.versions {
		for _, v := range vs {
			known[v.Commit.SHA] = true
		}
	}
	for _, r := range h.rejections {
		known[r.Commit.SHA], known[r.Latest.SHA] = true, true
	}
	return known
}

// VersionCount returns how many topic versions the history holds.
func (h *History) VersionCount() int {
	n := 0
	for _, vs := range h.versions {
		n += len(vs)
	}
	return n
}

// Version resolves a version of a topic by number ("3") or as "latest".
func (h *History) Version(topic, version string) (registry.TopicVersion, bool) {
	versions := h.Versions(topic)
	if version == "latest" {
		if len(versions) == 0 {
			return registry.TopicVersion{}, false
		}
		return versions[len(versions)-1], true
	}
	n, err := strconv.Atoi(version)
	if err != nil {
		return registry.TopicVersion{}, false
	}
	for _, v := range versions {
		if v.Version == n {
			return v, true
		}
	}
	return registry.TopicVersion{}, false
}

// SchemasOf returns the schema of every subject of a version, in subject
// order: the value first, then the key and the extra message types.
func (h *History) SchemasOf(v registry.TopicVersion) []registry.Schema {
	out := []registry.Schema{}
	for _, s := range v.Subjects {
		if schema, ok := h.Schema(s.SchemaID); ok {
			out = append(out, *schema)
		}
	}
	return out
}

// Files rebuilds the .proto files a version needs (path → content) from
// its stored schemas: each subject's file and, through references, its
// imports.
func (h *History) Files(v registry.TopicVersion) (map[string][]byte, error) {
	files, _, err := h.sources(v)
	return files, err
}

// sources is Files, with each file's schema hash.
func (h *History) sources(v registry.TopicVersion) (map[string][]byte, map[string]string, error) {
	files := map[string][]byte{}
	hashes := map[string]string{}
	var add func(path, hash string) error
	add = func(path, hash string) error {
		s, ok := h.byHash[hash]
		if !ok {
			return registry.Errorf(registry.EINTERNAL, "schema %s is not stored", hash)
		}
		if _, done := files[path]; done {
			return nil
		}
		files[path] = []byte(s.textOf())
		hashes[path] = hash
		for _, r := range s.meta.References {
			if err := add(r.Name, r.Hash); err != nil {
				return err
			}
		}
		return nil
	}
	for _, s := range v.Subjects {
		if s.Message == "" {
			continue // an import: reached through references
		}
		stored, ok := h.byHash[s.Hash]
		if !ok {
			return nil, nil, registry.Errorf(registry.EINTERNAL, "schema %s is not stored", s.Hash)
		}
		if err := add(stored.meta.Path, s.Hash); err != nil {
			return nil, nil, err
		}
	}
	return files, hashes, nil
}

// Contract compiles a stored version back into the contract it recorded.
func (h *History) Contract(ctx context.Context, v registry.TopicVersion, limits compat.Limits) (compat.Contract, error) {
	files, err := h.Files(v)
	if err != nil {
		return compat.Contract{Label: fmt.Sprintf("version %d", v.Version), KeyScalar: v.Key}, err
	}
	schema, err := compat.CompileSources(ctx, files, limits.WithDefaults())
	if err != nil {
		return compat.Contract{Label: fmt.Sprintf("version %d", v.Version), KeyScalar: v.Key}, err
	}
	return contractOf(schema, v)
}

// contractOf finds a version's messages in its compiled schemas.
func contractOf(schema *compat.Schema, v registry.TopicVersion) (compat.Contract, error) {
	ct := compat.Contract{Label: fmt.Sprintf("version %d", v.Version), KeyScalar: v.Key}
	for _, s := range v.Subjects {
		if s.Message == "" {
			continue
		}
		md, ok := schema.FindMessage(s.Message)
		if !ok {
			return ct, registry.Errorf(registry.EINTERNAL, "message %s missing from its stored schema", s.Message)
		}
		if s.Subject == KeySubject(v.Topic) {
			ct.Key = md
		} else {
			ct.Values = append(ct.Values, md)
		}
	}
	return ct, nil
}

// cloneMap is maps.Clone that never returns nil, so the copy can be written.
func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return map[K]V{}
	}
	return maps.Clone(m)
}
