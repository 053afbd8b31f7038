package catalog

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	registry "github.com/backbone-registry/backbone"
)

// Subject names, Confluent's TopicNameStrategy plus one subject per extra
// value type.

// ValueSubject is the subject of a topic's value (its only value type).
func ValueSubject(topic string) string { return topic + "-value" }

// KeySubject is the subject of a topic's message key.
func KeySubject(topic string) string { return topic + "-key" }

// TypeSubject is the subject of one value type of a topic carrying several.
func TypeSubject(topic, message string) string { return topic + "-" + message }

// ContentHash identifies schema content as Confluent does: the same text
// with the same references is the same schema, wherever it lives.
func ContentHash(format, text string, refs []registry.SchemaReference) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%d\n%s\n", format, len(text), text)
	for _, r := range refs {
		fmt.Fprintf(h, "ref %q %q %s\n", r.Name, r.Subject, r.Hash)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// subjectBuilder turns a topic's messages into subjects and schema
// contents for one sync step, numbering subject versions against history.
type subjectBuilder struct {
	hist     *History
	cat      *Catalog
	contents map[string]registry.SchemaContent // by path, this step
	schemas  map[string]registry.SchemaContent // by hash, for the step
	versions map[string]map[string]int         // subject → hash → version, this step
}

func newSubjectBuilder(h *History, c *Catalog) *subjectBuilder {
	return &subjectBuilder{
		hist: h, cat: c,
		contents: map[string]registry.SchemaContent{},
		schemas:  map[string]registry.SchemaContent{},
		versions: map[string]map[string]int{},
	}
}

// file returns the schema content of a .proto file with its imports as
// references; the well-known types are built into every client and are not
// references.
func (b *subjectBuilder) file(path string) (registry.SchemaContent, []registry.SubjectSchema) {
	if c, ok := b.contents[path]; ok {
		return c, b.importSubjects(c)
	}
	fd, _ := b.cat.schema.File(path)
	content := registry.SchemaContent{Format: "PROTOBUF", Path: path, Text: string(b.cat.files[path]), References: []registry.SchemaReference{}}
	var deps []registry.SubjectSchema
	if fd != nil {
		imports := fd.Imports()
		for i := range imports.Len() {
			imp := imports.Get(i).Path()
			if strings.HasPrefix(imp, "google/protobuf/") {
				continue
			}
			dep, depSubjects := b.file(imp)
			ver := b.version(imp, dep.Hash)
			content.References = append(content.References, registry.SchemaReference{Name: imp, Subject: imp, Version: ver, Hash: dep.Hash})
			deps = append(deps, registry.SubjectSchema{Subject: imp, Version: ver, Hash: dep.Hash})
			deps = append(deps, depSubjects...)
		}
	}
	content.Hash = ContentHash(content.Format, content.Text, content.References)
	b.contents[path] = content
	b.schemas[content.Hash] = content
	return content, deps
}

func (b *subjectBuilder) importSubjects(c registry.SchemaContent) []registry.SubjectSchema {
	var out []registry.SubjectSchema
	for _, r := range c.References {
		out = append(out, registry.SubjectSchema{Subject: r.Subject, Version: r.Version, Hash: r.Hash})
		dep := b.contents[r.Name]
		out = append(out, b.importSubjects(dep)...)
	}
	return out
}

// version returns the subject's version for content hash: the existing one
// if the subject had that content before, else the next number.
func (b *subjectBuilder) version(subject, hash string) int {
	if v, ok := b.versions[subject][hash]; ok {
		return v
	}
	past := b.hist.Subject(subject)
	for _, s := range past {
		if s.Hash == hash {
			return s.Version
		}
	}
	next := len(past) + 1
	if len(past) > 0 {
		next = past[len(past)-1].Version + 1
	}
	for _, v := range b.versions[subject] {
		next = max(next, v+1)
	}
	if b.versions[subject] == nil {
		b.versions[subject] = map[string]int{}
	}
	b.versions[subject][hash] = next
	return next
}

// topicSubjects returns every subject a topic version needs: its own and
// those of the files they import, deduplicated.
func (b *subjectBuilder) topicSubjects(t *registry.Topic) []registry.SubjectSchema {
	type root struct{ subject, message, file string }
	var roots []root
	if len(t.Values) == 1 {
		roots = append(roots, root{ValueSubject(t.Name), t.Values[0].Name, t.Values[0].File})
	} else {
		for _, v := range t.Values {
			roots = append(roots, root{TypeSubject(t.Name, v.Name), v.Name, v.File})
		}
	}
	if t.Key != nil && !t.Key.Scalar {
		roots = append(roots, root{KeySubject(t.Name), t.Key.Name, t.Key.File})
	}
	var out []registry.SubjectSchema
	seen := map[string]bool{}
	add := func(s registry.SubjectSchema) {
		if !seen[s.Subject] {
			seen[s.Subject] = true
			out = append(out, s)
		}
	}
	for _, r := range roots {
		content, deps := b.file(r.file)
		add(registry.SubjectSchema{Subject: r.subject, Version: b.version(r.subject, content.Hash), Message: r.message, Hash: content.Hash})
		for _, d := range deps {
			add(d)
		}
	}
	return out
}
