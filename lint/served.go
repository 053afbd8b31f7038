package lint

import (
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"testing/fstest"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/compat"
)

// ServedNoHistory is the note of a check against a registry serving a plain
// directory: it has no versions, so each topic is compared with the
// contract served now, as if it were version 1.
const ServedNoHistory = "the registry serves a plain directory without history: each topic was compared with its current contract only, not with earlier versions"

// CheckFiles lints a candidate schema tree held in memory (path relative to
// the schema root → content) against the catalog a registry serves: what
// `registry lint --against <registry URL>` reports, computed inside the
// registry (POST /v1/check). Reported paths are relative to the schema
// root. As with Run, findings are in the report and an error means the
// check could not run; a path that is not slash-separated, clean and
// relative (fs.ValidPath) is an EINVALID error, as an in-memory tree with
// such names cannot be walked.
func CheckFiles(ctx context.Context, served *catalog.Catalog, files map[string][]byte, opts catalog.Options) (*Report, error) {
	tree := make(fstest.MapFS, len(files))
	for name, data := range files {
		if !fs.ValidPath(name) || name == "." {
			return nil, registry.Errorf(registry.EINVALID, "%q is not a path relative to the schema root", name)
		}
		tree[name] = &fstest.MapFile{Data: data, Mode: 0o644}
	}
	reg := Served(served)
	rep, err := Run(ctx, Options{FS: tree, Registry: reg, Catalog: opts})
	if err != nil {
		return nil, err
	}
	if served.History() == nil && rep.Against != "" {
		rep.note(ServedNoHistory)
	}
	return rep, nil
}

// Served is a catalog being served, as the base of a check in the same
// process: its topics, and the versions its History records. A catalog
// without history (a plain directory served as a snapshot) has one version
// per topic, its current contract, so candidates are still checked against
// what is served, but not transitively.
func Served(c *catalog.Catalog) Registry {
	return &served{c: c, h: c.History()}
}

type served struct {
	c *catalog.Catalog
	h *catalog.History // nil: a plain directory
}

func (s *served) Topics(context.Context) ([]RemoteTopic, error) {
	var out []RemoteTopic
	for _, t := range s.c.Topics(catalog.TopicFilter{}) {
		out = append(out, RemoteTopic{Name: t.Name, Service: t.Service, Owner: t.Owner, Consumers: t.Consumers, Deprecated: t.Deprecated})
	}
	return out, nil
}

func (s *served) Versions(_ context.Context, topic string) ([]registry.TopicVersion, error) {
	if s.h != nil {
		return s.h.Versions(topic), nil
	}
	v, _, ok := s.current(topic)
	if !ok {
		return nil, nil
	}
	return []registry.TopicVersion{v}, nil
}

func (s *served) Schemas(_ context.Context, topic string, version int) ([]registry.Schema, error) {
	if s.h != nil {
		v, ok := s.h.Version(topic, fmt.Sprint(version))
		if !ok {
			return nil, registry.Errorf(registry.ENOTFOUND, "topic %s has no version %d", topic, version)
		}
		return s.h.SchemasOf(v), nil
	}
	_, schemas, ok := s.current(topic)
	if !ok || version != 1 {
		return nil, registry.Errorf(registry.ENOTFOUND, "topic %s has no version %d", topic, version)
	}
	return schemas, nil
}

// current is a topic's served contract as a version 1 with its .proto
// files, for a catalog without history.
func (s *served) current(topic string) (registry.TopicVersion, []registry.Schema, bool) {
	t, ok := s.c.Topic(topic)
	if !ok {
		return registry.TopicVersion{}, nil, false
	}
	ct, ok := s.c.ContractOf(t)
	if !ok {
		return registry.TopicVersion{}, nil, false
	}
	v := registry.TopicVersion{Topic: t.Name, Version: 1, Fingerprint: compat.Fingerprint(ct)}
	if t.Key != nil {
		if t.Key.Scalar {
			v.Key = t.Key.Name
		} else {
			v.Subjects = append(v.Subjects, registry.SubjectSchema{Subject: catalog.KeySubject(t.Name), Message: t.Key.Name})
		}
	}
	for i, m := range t.Values {
		subject := catalog.ValueSubject(t.Name)
		if i > 0 {
			subject = catalog.TypeSubject(t.Name, m.Name)
		}
		v.Subjects = append(v.Subjects, registry.SubjectSchema{Subject: subject, Message: m.Name})
	}
	files := s.c.Files()
	var schemas []registry.Schema
	for p := range inputs(s.c, t, ct) {
		if path.Ext(p) == ".proto" {
			schemas = append(schemas, registry.Schema{SchemaContent: registry.SchemaContent{Format: "PROTOBUF", Path: p, Text: string(files[p])}})
		}
	}
	slices.SortFunc(schemas, func(a, b registry.Schema) int { return cmp.Compare(a.Path, b.Path) })
	return v, schemas, true
}

func (s *served) String() string {
	if s.h == nil {
		return "the served directory"
	}
	if sha := s.h.State().Commit; sha != "" {
		return "the served commit " + short(sha)
	}
	return "the served catalog"
}

// Checker returns CheckFiles in the shape the API's POST /v1/check takes
// (api.Checker: api does not import lint, which reads Git): the report is
// returned as a value to encode as JSON.
func Checker(opts catalog.Options) func(context.Context, *catalog.Catalog, map[string][]byte) (any, error) {
	return func(ctx context.Context, served *catalog.Catalog, files map[string][]byte) (any, error) {
		rep, err := CheckFiles(ctx, served, files, opts)
		if err != nil {
			return nil, err
		}
		return rep, nil
	}
}
