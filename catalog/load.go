package catalog

import (
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/compat"
)

type protoMessage = protoreflect.MessageDescriptor

// File names of a schema repository.
const (
	RepoFile    = "registry.yaml"
	ServiceFile = "service.yaml"
)

// Defaults used when registry.yaml is silent.
const (
	DefaultCompatibility = registry.CompatBackward
	DefaultLevel         = registry.LevelWireJSON
)

// maxYAMLSize bounds registry.yaml and service.yaml files.
const maxYAMLSize = 256 << 10

func yamlTooLarge(size int) string {
	return fmt.Sprintf("%s is over the size limit of YAML files, %s (a fixed limit)",
		compat.FormatSize(int64(size)), compat.FormatSize(maxYAMLSize))
}

// Options tune Load. The zero value is ready to use.
type Options struct {
	// Limits are the command line's (--max-file-size…); each zero field
	// is taken from registry.yaml's limits:, or else compat.DefaultLimits.
	Limits compat.Limits
	// Defaults stand under registry.yaml's limits: in place of
	// compat.DefaultLimits, field by field (zero fields: the default).
	// registry lint sets a longer compile time here than the server's.
	Defaults compat.Limits
	Now      func() time.Time // the clock for date rules; nil: time.Now
}

// Load builds a catalog from the schema repository at the root of fsys.
//
// Content that cannot be modelled (YAML or proto syntax, unknown keys,
// unknown enum names, imports escaping the root, duplicate topics, files over
// the limits) fails the load with an EINVALID *registry.Error listing every
// problem at file:line:col. Everything else is a governance finding, listed
// by Findings; deciding whether findings at error severity block serving is
// the caller's business.
func Load(ctx context.Context, fsys fs.FS, opts Options) (*Catalog, error) {
	opts = opts.withDefaults()
	// registry.yaml first: its limits bound reading the rest.
	// Only a regular file: ReadTree refuses a symlink, whose target this
	// must not read either.
	var repoYAML []byte
	if info, err := fs.Lstat(fsys, RepoFile); err == nil && info.Mode().IsRegular() {
		if data, err := compat.ReadFile(fsys, RepoFile, maxYAMLSize+1); err == nil {
			repoYAML = data
		}
	}
	limits, err := repoLimits(repoYAML, opts.Limits, opts.Defaults)
	if err != nil {
		return nil, err
	}
	files, diags := compat.ReadTree(fsys, limits, IsRepositoryFile)
	if len(diags) > 0 {
		l := &loader{diags: diags}
		return nil, l.invalid()
	}
	return LoadFiles(ctx, files, opts)
}

// IsRepositoryFile reports whether a file belongs to the schema repository's
// content: registry.yaml, service.yaml files and .proto files. Everything
// else (READMEs, CI files) is ignored.
func IsRepositoryFile(name string) bool {
	base := path.Base(name)
	return name == RepoFile || base == ServiceFile || path.Ext(name) == ".proto"
}

// withDefaults sets the clock; limits are completed with registry.yaml's
// by the loader.
func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// LoadFiles builds a catalog from repository files already in memory
// (path relative to the schema root → content), as read from a directory
// by Load or from a Git tree by a sync. It reports problems as Load does.
// The catalog keeps files; callers must not change them afterwards.
func LoadFiles(ctx context.Context, files map[string][]byte, opts Options) (*Catalog, error) {
	return loadFiles(ctx, files, opts, nil, nil, nil)
}

// LoadFilesReusing is LoadFiles compiling only the .proto files that
// differ from prev's, and those importing them: the others are prev's very
// descriptors (compat.Recompile), so loading a second version of a large
// tree costs what differs between the two. The result is the one
// LoadFiles gives. A nil prev compiles everything.
func LoadFilesReusing(ctx context.Context, files map[string][]byte, opts Options, prev *Catalog) (*Catalog, error) {
	return loadFiles(ctx, files, opts, prev, nil, nil)
}

// loadFiles is LoadFiles compiling only what changed since prev (nil:
// everything), or nothing when compiled holds the schema of files (as
// decoded from a store), and decoding only the YAML files that yc does not
// hold (nil: all); the result is the same.
func loadFiles(ctx context.Context, files map[string][]byte, opts Options, prev *Catalog, compiled *compat.Schema, yc *yamlCache) (*Catalog, error) {
	opts = opts.withDefaults()
	l := &loader{files: files, opts: opts, yaml: yc, c: &Catalog{
		byName:   map[string]*registry.Topic{},
		bySvc:    map[string]*registry.Service{},
		loadedAt: opts.Now(),
		files:    files,
		search:   &lazyIndex{},
	}}
	l.readRepoConfig()
	if len(l.diags) > 0 {
		return nil, l.invalid()
	}
	l.readServices()
	limits := opts.Limits.Over(l.repoLimits).Over(opts.Defaults).WithDefaults()
	l.c.limits = limits
	// A tree read elsewhere (a request, a Git tree updated from an earlier
	// one) was not checked with these limits as it was read. A tree the
	// store holds compiled was accepted before: it is served as it is.
	if compiled == nil {
		if d := compat.CheckSizes(files, limits); len(d) > 0 {
			l.diags = append(l.diags, d...)
			return nil, l.invalid()
		}
	}
	var schema *compat.Schema
	var err error
	switch {
	case compiled != nil:
		schema = compiled
	case prev != nil && prev.schema != nil:
		schema, err = compat.Recompile(ctx, prev.schema, prev.files, files, limits)
	default:
		schema, err = compat.CompileSources(ctx, files, limits)
	}
	if err != nil {
		if d := registry.ErrorDiagnostics(err); len(d) > 0 {
			l.diags = append(l.diags, d...)
		} else {
			return nil, fmt.Errorf("load schemas: %w", err)
		}
	}
	if len(l.diags) > 0 {
		return nil, l.invalid()
	}
	l.c.schema = schema
	l.resolve()
	l.c.findings = runRules(l.c, opts.Now())
	return l.c, nil
}

type loader struct {
	repoLimits compat.Limits // registry.yaml's limits: (zero fields: not set)
	files      map[string][]byte
	opts       Options
	yaml       *yamlCache // decoded YAML files; nil: none
	c          *Catalog
	diags      []registry.Diagnostic
}

func (l *loader) fail(pos registry.Position, format string, args ...any) {
	l.diags = append(l.diags, registry.Diagnostic{Position: pos, Message: fmt.Sprintf(format, args...)})
}

func (l *loader) invalid() error {
	slices.SortStableFunc(l.diags, func(a, b registry.Diagnostic) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	noun := "problems"
	if len(l.diags) == 1 {
		noun = "problem"
	}
	return &registry.Error{
		Code:        registry.EINVALID,
		Message:     fmt.Sprintf("load schema repository: %d %s", len(l.diags), noun),
		Diagnostics: l.diags,
	}
}

// readYAML strictly decodes one YAML file into v.
func (l *loader) readYAML(name string, v any) bool {
	data, ok := l.files[name]
	switch {
	case !ok && name == RepoFile:
		l.fail(registry.Position{File: name}, "not found: the schema root must contain %s", RepoFile)
		return false
	case !ok:
		l.fail(registry.Position{File: name}, "not found")
		return false
	case len(data) > maxYAMLSize:
		l.fail(registry.Position{File: name}, "%s", yamlTooLarge(len(data)))
		return false
	}
	if d := l.yaml.decode(name, data, v); d != nil {
		l.diags = append(l.diags, *d)
		return false
	}
	return true
}

func (l *loader) readRepoConfig() {
	var rc repoConfig
	if !l.readYAML(RepoFile, &rc) {
		return
	}
	c := l.c
	c.company = rc.Company.Value
	switch {
	case c.company == "":
		l.fail(registry.Position{File: RepoFile, Line: 1, Column: 1}, "company is required (the first segment of every name, e.g. company: acme)")
	case !segment.MatchString(c.company):
		l.fail(rc.Company.at.in(RepoFile), "company %q must be lower case letters, digits and hyphens, starting with a letter", c.company)
	}
	c.compatibility = l.compatibility(RepoFile, rc.Defaults.Compatibility, DefaultCompatibility)
	c.level = l.level(RepoFile, rc.Defaults.Level, DefaultLevel)
	l.repoLimits = rc.Limits.limits(l.fail)
	c.severities = map[string]registry.Severity{}
	for _, r := range Rules() {
		c.severities[r.ID] = r.Default
	}
	for id, sev := range rc.Governance {
		if _, ok := c.severities[id]; !ok {
			l.fail(sev.at.in(RepoFile), "governance: unknown rule %q (see `registry rules`)", id)
			continue
		}
		s, err := registry.ParseSeverity(sev.Value)
		if err != nil {
			l.fail(sev.at.in(RepoFile), "governance: %s: %s", id, registry.ErrorMessage(err))
			continue
		}
		c.severities[id] = s
	}
}

func (l *loader) compatibility(file string, s str, def registry.Compatibility) registry.Compatibility {
	if s.Value == "" {
		return def
	}
	v, err := registry.ParseCompatibility(s.Value)
	if err != nil {
		l.fail(s.at.in(file), "%s", registry.ErrorMessage(err))
		return def
	}
	return v
}

func (l *loader) level(file string, s str, def registry.Level) registry.Level {
	if s.Value == "" {
		return def
	}
	v, err := registry.ParseLevel(s.Value)
	if err != nil {
		l.fail(s.at.in(file), "%s", registry.ErrorMessage(err))
		return def
	}
	return v
}

// readServices finds every service.yaml; each must sit at
// <namespace>/<service>/service.yaml.
func (l *loader) readServices() {
	var files []string
	for name := range l.files {
		if path.Base(name) == ServiceFile {
			files = append(files, name)
		}
	}
	slices.Sort(files)
	for _, f := range files {
		l.readService(f)
	}
	slices.SortFunc(l.c.services, func(a, b *registry.Service) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(l.c.topics, func(a, b *registry.Topic) int { return cmp.Compare(a.Name, b.Name) })
}

func (l *loader) readService(file string) {
	parts := strings.Split(path.Dir(file), "/")
	if len(parts) != 2 {
		l.fail(registry.Position{File: file}, "service.yaml must be at <namespace>/<service>/service.yaml")
		return
	}
	for _, p := range parts {
		if !segment.MatchString(p) {
			l.fail(registry.Position{File: file}, "directory %q: namespace and service directories must be lower case letters, digits and hyphens, starting with a letter", p)
			return
		}
	}
	var sc serviceConfig
	if !l.readYAML(file, &sc) {
		return
	}
	c := l.c
	svc := &registry.Service{
		Name:        c.company + "." + parts[0] + "." + parts[1],
		Namespace:   parts[0],
		Description: sc.Description.Value,
		Owner:       sc.Owner.Value,
		Contact:     sc.Contact.Value,
		File:        file,
	}
	decl := &serviceDecl{service: svc}
	for _, s := range sc.Produces {
		decl.produces = append(decl.produces, nameRef{s.Value, s.at.in(file)})
	}
	for _, s := range sc.Consumes {
		decl.consumes = append(decl.consumes, nameRef{s.Value, s.at.in(file)})
	}
	for _, tc := range sc.Topics {
		if td := l.readTopic(svc, file, tc); td != nil {
			decl.topics = append(decl.topics, td)
			svc.Owns = append(svc.Owns, td.topic.Name)
		}
	}
	slices.Sort(svc.Owns)
	c.services = append(c.services, svc)
	c.bySvc[svc.Name] = svc
	c.decls = append(c.decls, decl)
}

func (l *loader) readTopic(svc *registry.Service, file string, tc topicConfig) *topicDecl {
	pos := tc.at.in(file)
	if tc.Name.Value == "" {
		l.fail(pos, "topic without a name (e.g. name: events)")
		return nil
	}
	full := expandTopicName(l.c.company, svc.Name, tc.Name.Value)
	if prev, dup := l.c.byName[full]; dup {
		l.fail(tc.Name.at.in(file), "topic %s is already declared at %s", full, prev.Position)
		return nil
	}
	n, _, _ := parseTopicName(full)
	t := &registry.Topic{
		Name:          full,
		Namespace:     svc.Namespace,
		Service:       svc.Name,
		Kind:          n.Kind,
		Description:   tc.Description.Value,
		Owner:         svc.Owner,
		Compatibility: l.compatibility(file, tc.Compatibility, l.c.compatibility),
		Level:         l.level(file, tc.Level, l.c.level),
		Position:      tc.Name.at.in(file),
	}
	td := &topicDecl{topic: t, name: nameRef{tc.Name.Value, tc.Name.at.in(file)}, described: tc.Description.Value != ""}
	switch {
	case tc.Value.Value != "" && len(tc.Values) > 0:
		l.fail(tc.Value.at.in(file), "topic %s: set value or values, not both", full)
	case tc.Value.Value != "":
		td.values = []nameRef{{tc.Value.Value, tc.Value.at.in(file)}}
	case len(tc.Values) > 0:
		for _, v := range tc.Values {
			td.values = append(td.values, nameRef{v.Value, v.at.in(file)})
		}
	default:
		l.fail(pos, "topic %s: value is required (the fully-qualified message it carries)", full)
	}
	for _, v := range td.values {
		t.Values = append(t.Values, registry.MessageRef{Name: v.Name})
	}
	if tc.Key.Value != "" {
		td.key = &nameRef{tc.Key.Value, tc.Key.at.in(file)}
		t.Key = &registry.MessageRef{Name: tc.Key.Value, Scalar: isScalar(tc.Key.Value)}
	}
	for _, e := range tc.Except {
		if !slices.ContainsFunc(compat.Rules(), func(r registry.Rule) bool { return r.ID == e.Value }) {
			l.fail(e.at.in(file), "except: unknown compatibility rule %q (see `registry rules`)", e.Value)
			continue
		}
		t.Except = append(t.Except, e.Value)
	}
	if d := tc.Deprecated; d != nil {
		td.deprecation = d.at.in(file)
		t.Deprecated = &registry.Deprecation{
			Since:      l.date(file, d.Since),
			Sunset:     l.date(file, d.Sunset),
			ReplacedBy: d.ReplacedBy.Value,
		}
		if d.ReplacedBy.Value != "" {
			td.replacedBy = &nameRef{d.ReplacedBy.Value, d.ReplacedBy.at.in(file)}
		}
	}
	l.c.topics = append(l.c.topics, t)
	l.c.byName[full] = t
	return td
}

func (l *loader) date(file string, s str) time.Time {
	if s.Value == "" {
		return time.Time{}
	}
	d, err := time.Parse(time.DateOnly, s.Value)
	if err != nil {
		l.fail(s.at.in(file), "date %q: want YYYY-MM-DD", s.Value)
	}
	return d
}

// scalarTypes are the Protobuf scalar types a topic key may be.
var scalarTypes = []string{
	"string", "bytes", "bool", "int32", "int64", "uint32", "uint64", "sint32", "sint64",
	"fixed32", "fixed64", "sfixed32", "sfixed64", "float", "double",
}

func isScalar(name string) bool { return slices.Contains(scalarTypes, name) }

// resolve links topics to their messages' files and computes producers and
// consumers, explicit and implicit.
func (l *loader) resolve() {
	c := l.c
	for _, t := range c.topics {
		for i, v := range t.Values {
			if md, ok := c.schema.FindMessage(v.Name); ok {
				t.Values[i].File = md.ParentFile().Path()
			}
		}
		if t.Key != nil && !t.Key.Scalar {
			if md, ok := c.schema.FindMessage(t.Key.Name); ok {
				t.Key.File = md.ParentFile().Path()
			}
		}
	}
	producers := map[string][]string{}
	consumers := map[string][]string{}
	add := func(m map[string][]string, topic, svc string) {
		if _, ok := c.byName[topic]; ok && !slices.Contains(m[topic], svc) {
			m[topic] = append(m[topic], svc)
		}
	}
	for _, d := range c.decls {
		svc := d.service.Name
		for _, td := range d.topics {
			t := td.topic
			switch {
			case t.Kind.IsFact():
				add(producers, t.Name, svc)
			case t.Kind.IsCommand(), t.Kind == registry.KindPrivateReply:
				add(consumers, t.Name, svc)
			case t.Kind.IsPrivate():
				add(producers, t.Name, svc)
				add(consumers, t.Name, svc)
			}
		}
		for _, r := range d.produces {
			add(producers, r.Name, svc)
		}
		for _, r := range d.consumes {
			add(consumers, r.Name, svc)
		}
	}
	for _, t := range c.topics {
		t.Producers = sorted(producers[t.Name])
		t.Consumers = sorted(consumers[t.Name])
	}
	for _, s := range c.services {
		s.Produces, s.Consumes = []string{}, []string{}
		for _, t := range c.topics {
			if slices.Contains(t.Producers, s.Name) {
				s.Produces = append(s.Produces, t.Name)
			}
			if slices.Contains(t.Consumers, s.Name) {
				s.Consumes = append(s.Consumes, t.Name)
			}
		}
		if s.Owns == nil {
			s.Owns = []string{}
		}
	}
}

func sorted(s []string) []string {
	if s == nil {
		return []string{}
	}
	slices.Sort(s)
	return s
}
