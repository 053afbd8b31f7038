// Package catalog is the repository model: it loads registry.yaml, every
// service.yaml and the compiled Protobuf schemas from an fs.FS, builds the
// catalog of services and topics with their producers and consumers, and
// applies the governance rules.
//
// A *Catalog is immutable once built, so readers share it without locks;
// a new repository state builds a new Catalog.
package catalog

import (
	"slices"
	"strings"
	"time"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/compat"
)

// Catalog is one consistent, immutable view of a schema repository.
type Catalog struct {
	company       string
	compatibility registry.Compatibility // repository default
	level         registry.Level         // repository default
	severities    map[string]registry.Severity
	loadedAt      time.Time
	limits        compat.Limits // what it was read and compiled with: flags over registry.yaml over the defaults

	services []*registry.Service // sorted by name
	topics   []*registry.Topic   // sorted by name
	byName   map[string]*registry.Topic
	bySvc    map[string]*registry.Service
	decls    []*serviceDecl // as written, for rules and positions
	schema   *compat.Schema
	keys     map[string]string // compiled files' keys by path (see compiledKeys); nil: not computed
	findings []registry.Finding
	files    map[string][]byte // the repository content it was built from
	history  *History          // versions and sync state; nil for a plain directory
	search   *lazyIndex        // built on the first Search, shared by copies
}

// Limits returns the limits the catalog was loaded with: the command
// line's over registry.yaml's limits: over compat.DefaultLimits. Compile
// anything derived from it (a version, a candidate) with them.
func (c *Catalog) Limits() compat.Limits {
	if c.limits == (compat.Limits{}) {
		return compat.DefaultLimits
	}
	return c.limits
}

// withHistory returns a copy of c serving history h.
func (c *Catalog) withHistory(h *History) *Catalog {
	cp := *c
	cp.history = h
	return &cp
}

// History returns what the sync recorded, or nil when the catalog comes
// from a plain directory.
func (c *Catalog) History() *History { return c.history }

// serviceDecl is a service as its service.yaml declares it, with positions.
type serviceDecl struct {
	service  *registry.Service
	produces []nameRef // explicit, as written
	consumes []nameRef
	topics   []*topicDecl
}

// topicDecl is a topic entry of a service.yaml.
type topicDecl struct {
	topic       *registry.Topic
	name        nameRef // as written (short or full)
	values      []nameRef
	key         *nameRef
	replacedBy  *nameRef
	described   bool
	deprecation registry.Position
}

// nameRef is a name written in a YAML file, with where it was written.
type nameRef struct {
	Name string
	Pos  registry.Position
}

// Company returns the company prefix of every name, e.g. "acme".
func (c *Catalog) Company() string { return c.company }

// Defaults returns the repository's default compatibility mode and level,
// from registry.yaml or the built-in defaults.
func (c *Catalog) Defaults() (registry.Compatibility, registry.Level) {
	return c.compatibility, c.level
}

// LoadedAt returns when the catalog was built.
func (c *Catalog) LoadedAt() time.Time { return c.loadedAt }

// Files returns the repository files the catalog was built from (path
// relative to the schema root → content). Callers must not change them.
func (c *Catalog) Files() map[string][]byte { return c.files }

// Schema returns the compiled Protobuf files.
func (c *Catalog) Schema() *compat.Schema { return c.schema }

// Findings returns the governance findings, sorted by file and position.
// Rules switched off report nothing.
func (c *Catalog) Findings() []registry.Finding { return c.findings }

// Services returns every service, sorted by name.
func (c *Catalog) Services() []*registry.Service { return c.services }

// Service returns the service with the given full name.
func (c *Catalog) Service(name string) (*registry.Service, bool) {
	s, ok := c.bySvc[name]
	return s, ok
}

// Topic returns the topic with the given full name.
func (c *Catalog) Topic(name string) (*registry.Topic, bool) {
	t, ok := c.byName[name]
	return t, ok
}

// TopicFilter selects topics; empty fields match everything.
type TopicFilter struct {
	Namespace string
	Service   string        // owning service, full name
	Kind      registry.Kind // exact kind; "private" matches every private kind
	Owner     string        // owning team
	Query     string        // case-insensitive words, each found in the name or description
}

// Topics returns the topics matching f, sorted by name.
func (c *Catalog) Topics(f TopicFilter) []*registry.Topic {
	words := strings.Fields(strings.ToLower(f.Query))
	var out []*registry.Topic
	for _, t := range c.topics {
		switch {
		case f.Namespace != "" && t.Namespace != f.Namespace,
			f.Service != "" && t.Service != f.Service,
			f.Owner != "" && t.Owner != f.Owner,
			f.Kind == "private" && !t.Kind.IsPrivate(),
			f.Kind != "" && f.Kind != "private" && t.Kind != f.Kind,
			!matchesAll(words, t.Name, t.Description):
			continue
		}
		out = append(out, t)
	}
	return out
}

func matchesAll(words []string, texts ...string) bool {
	hay := strings.ToLower(strings.Join(texts, "\n"))
	for _, w := range words {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}

// Namespaces returns the namespaces that have services, sorted.
func (c *Catalog) Namespaces() []string {
	var out []string
	for _, s := range c.services {
		if !slices.Contains(out, s.Namespace) {
			out = append(out, s.Namespace)
		}
	}
	slices.Sort(out)
	return out
}

// Documentation returns the documented messages and enums of a topic: its key
// and value messages first, then everything they reference, transitively.
// Well-known google.protobuf types are referenced by name only.
func (c *Catalog) Documentation(t *registry.Topic) ([]registry.Message, []registry.Enum) {
	var roots []string
	if t.Key != nil && !t.Key.Scalar {
		roots = append(roots, t.Key.Name)
	}
	for _, v := range t.Values {
		roots = append(roots, v.Name)
	}
	var mds []protoMessage
	for _, name := range roots {
		if md, ok := c.schema.FindMessage(name); ok {
			mds = append(mds, md)
		}
	}
	msgs, enums := compat.Closure(mds...)
	outM := make([]registry.Message, len(msgs))
	for i, md := range msgs {
		outM[i] = compat.DescribeMessage(md)
	}
	outE := make([]registry.Enum, len(enums))
	for i, ed := range enums {
		outE[i] = compat.DescribeEnum(ed)
	}
	return outM, outE
}

// FindingsFor returns the findings about a service: on its service.yaml,
// its topics, or its proto files.
func (c *Catalog) FindingsFor(service string) []registry.Finding {
	var out []registry.Finding
	for _, f := range c.findings {
		if f.Service == service {
			out = append(out, f)
		}
	}
	return out
}
