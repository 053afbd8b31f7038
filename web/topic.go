package web

import (
	"net/http"
	"slices"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/catalog"
)

// topicPage is the data of a topic's page.
type topicPage struct {
	Topic      *registry.Topic
	Service    *registry.Service // the owner; nil if it vanished
	Replacedby *registry.Topic   // the replacement of a deprecated topic, if in the catalog
	Key        *messageView      // nil for a scalar or missing key
	Values     []*messageView
	Subjects   []string // Confluent subject names of its own messages
	Versions   []versionRow
	Files      []protoFile // the .proto files of the latest version (or the served tree)
	Findings   []registry.Finding
	Rejection  *registry.Rejection // the topic's open rejection: the page shows its served version
	Host       string              // for the snippets
	HasHistory bool
	Latest     int // latest version number; 0 without history
}

// versionRow is a version in the history table, newest first.
type versionRow struct {
	registry.TopicVersion
	CommitURL string
	IDs       []int64
}

// protoFile is one .proto file shown as text.
type protoFile struct {
	Path string
	Text string
}

func (h *Handler) topic(w http.ResponseWriter, r *http.Request) {
	c, err := h.catalog()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	name := r.PathValue("topic")
	t, ok := c.Topic(name)
	if !ok {
		h.fail(w, r, registry.Errorf(registry.ENOTFOUND, "no topic %q in the catalog", name))
		return
	}
	served, err := c.Served(r.Context(), t)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	t = served.Topic // its served key and values
	p := topicPage{Topic: t, Host: r.Host, Rejection: served.Rejection}
	p.Service, _ = c.Service(t.Service)
	if t.Deprecated != nil && t.Deprecated.ReplacedBy != "" {
		p.Replacedby, _ = c.Topic(t.Deprecated.ReplacedBy)
	}
	msgs, enums := served.Messages, served.Enums
	tree := newTreeBuilder(msgs, enums)
	if t.Key != nil && !t.Key.Scalar {
		p.Key = tree.root(t.Key.Name)
		p.Subjects = append(p.Subjects, catalog.KeySubject(t.Name))
	}
	for i, v := range t.Values {
		p.Values = append(p.Values, tree.root(v.Name))
		if i == 0 {
			p.Subjects = append([]string{catalog.ValueSubject(t.Name)}, p.Subjects...)
		} else {
			p.Subjects = append(p.Subjects, catalog.TypeSubject(t.Name, v.Name))
		}
	}
	for _, f := range c.FindingsFor(t.Service) {
		if f.Topic == t.Name {
			p.Findings = append(p.Findings, f)
		}
	}
	files := c.Files()
	if hist := c.History(); hist != nil {
		p.HasHistory = true
		src := hist.State().Source
		versions := hist.Versions(t.Name)
		for i := len(versions) - 1; i >= 0; i-- {
			v := versions[i]
			row := versionRow{TopicVersion: v, CommitURL: commitURL(src, v.Commit.SHA)}
			for _, s := range v.Subjects {
				if s.Message != "" {
					row.IDs = append(row.IDs, s.SchemaID)
				}
			}
			p.Versions = append(p.Versions, row)
		}
		if latest, ok := hist.Latest(t.Name); ok {
			p.Latest = latest.Version
			if fs, err := hist.Files(latest); err == nil {
				files = fs
			}
		}
	}
	p.Files = contractFiles(t, msgs, files)
	h.render(w, r, "topic", page{Title: t.Name, Nav: "topics", Data: p})
}

// contractFiles returns the files defining the topic's messages, the
// topic's own files first, then what they import from the tree.
func contractFiles(t *registry.Topic, msgs []registry.Message, files map[string][]byte) []protoFile {
	var paths []string
	add := func(p string) {
		if p != "" && !slices.Contains(paths, p) {
			if _, ok := files[p]; ok {
				paths = append(paths, p)
			}
		}
	}
	if t.Key != nil {
		add(t.Key.File)
	}
	for _, v := range t.Values {
		add(v.File)
	}
	for _, m := range msgs {
		add(m.File)
	}
	out := make([]protoFile, len(paths))
	for i, p := range paths {
		out[i] = protoFile{Path: p, Text: string(files[p])}
	}
	return out
}

// messageView is a message as the field tree shows it.
type messageView struct {
	registry.Message
	Rows []fieldRow
}

// fieldRow is one field of a messageView. A field of message type expands
// into that message, unless it is one of its own ancestors (Recursive) or
// the tree is already deep (Truncated); a field of enum type lists its
// values.
type fieldRow struct {
	registry.Field
	Message   *messageView
	Enum      *registry.Enum
	Recursive bool
	Truncated bool
}

// maxTreeDepth bounds how deep the field tree expands; deeper messages
// are named, and documented in the message list below the tree.
const maxTreeDepth = 8

type treeBuilder struct {
	msgs  map[string]registry.Message
	enums map[string]registry.Enum
}

func newTreeBuilder(msgs []registry.Message, enums []registry.Enum) *treeBuilder {
	b := &treeBuilder{msgs: map[string]registry.Message{}, enums: map[string]registry.Enum{}}
	for _, m := range msgs {
		b.msgs[m.Name] = m
	}
	for _, e := range enums {
		b.enums[e.Name] = e
	}
	return b
}

// root returns the tree of a topic's key or value message; a message the
// schema lacks gets an empty view with its name.
func (b *treeBuilder) root(name string) *messageView {
	return b.view(name, nil)
}

func (b *treeBuilder) view(name string, path []string) *messageView {
	m, ok := b.msgs[name]
	if !ok {
		return &messageView{Message: registry.Message{Name: name}}
	}
	path = append(path, name)
	v := &messageView{Message: m}
	for _, f := range m.Fields {
		row := fieldRow{Field: f}
		typ := f.Type
		if f.Kind == "map" {
			typ = f.MapValue
		}
		if e, ok := b.enums[typ]; ok {
			row.Enum = &e
		} else if _, ok := b.msgs[typ]; ok {
			switch {
			case slices.Contains(path, typ):
				row.Recursive = true
			case len(path) >= maxTreeDepth:
				row.Truncated = true
			default:
				row.Message = b.view(typ, path)
			}
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}
