package api

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/compat"
)

// What the Confluent API reads from the history, and how it compares posted
// schemas with registered ones: by compiled content, so that a client
// posting a reformatted text (Confluent's serializers post the schema as
// their parser prints it, without comments) finds the schema it means.

// wellKnownPrefix is the import path of the well-known types. Every client
// has them built in, so they are never references (Confluent's serializers
// skip them by default: skip.known.types=true).
const wellKnownPrefix = "google/protobuf/"

// confluentLimits bound compiling a posted schema within a request.
var confluentLimits = compat.Limits{Timeout: 10 * time.Second, Fixed: true}.WithDefaults()

// confluentView is what one request reads: the served catalog and its
// history, nil when the registry serves a plain directory (no versions,
// no IDs).
type confluentView struct {
	cat  *catalog.Catalog
	hist *catalog.History
	gate *CompileGate // bounds compilations across requests
}

func (v confluentView) subjects() []string {
	if v.hist == nil {
		return nil
	}
	return v.hist.Subjects()
}

func (v confluentView) subject(s string) []registry.SubjectSchema {
	if v.hist == nil {
		return nil
	}
	return v.hist.Subject(s)
}

func (v confluentView) byHash(hash string) (*registry.Schema, bool) {
	if v.hist == nil {
		return nil, false
	}
	return v.hist.SchemaByHash(hash)
}

// info returns a stored schema without its text (which it does not
// decompress).
func (v confluentView) info(hash string) (registry.Schema, bool) {
	if v.hist == nil {
		return registry.Schema{}, false
	}
	return v.hist.SchemaInfo(hash)
}

// hint explains, in directory mode, why nothing is found.
func (v confluentView) hint() string {
	if v.hist == nil {
		return " The registry serves a plain directory (--dir), which has no versions or IDs: serve a Git repository (--source)."
	}
	return ""
}

func (v confluentView) subjectNotFound(subject string) *ConfluentError {
	return confluentErrorf(codeSubjectNotFound, "Subject '%s' not found.%s", subject, v.hint())
}

// schemaByID returns the schema a path parameter names.
func (v confluentView) schemaByID(param string) (*registry.Schema, error) {
	id, err := strconv.ParseInt(param, 10, 64)
	if err == nil && id > 0 && v.hist != nil {
		if s, ok := v.hist.Schema(id); ok {
			return s, nil
		}
	}
	return nil, confluentErrorf(codeSchemaNotFound, "Schema %s not found.%s", param, v.hint())
}

// version returns the version of a subject a path parameter names, and
// whether it was asked for as latest.
func (v confluentView) version(subject, param string) (registry.SubjectSchema, bool, error) {
	latest := param == "latest" || param == "-1"
	n, err := strconv.ParseInt(param, 10, 32)
	if !latest && (err != nil || n < 1) {
		return registry.SubjectSchema{}, false, confluentErrorf(codeInvalidVersion,
			"The specified version '%s' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"", param)
	}
	entries := v.subject(subject)
	if len(entries) == 0 {
		return registry.SubjectSchema{}, false, v.subjectNotFound(subject)
	}
	if latest {
		return entries[len(entries)-1], true, nil
	}
	for _, e := range entries {
		if e.Version == int(n) {
			return e, false, nil
		}
	}
	return registry.SubjectSchema{}, false, confluentErrorf(codeVersionNotFound, "Version %d not found.", n)
}

// subjectVersion returns a subject version as Confluent serves it.
func (v confluentView) subjectVersion(subject string, e registry.SubjectSchema) (ConfluentSubjectVersion, *registry.Schema, error) {
	s, ok := v.byHash(e.Hash)
	if !ok {
		return ConfluentSubjectVersion{}, nil, confluentErrorf(codeInternal, "schema %s of %s version %d is not stored", e.Hash, subject, e.Version)
	}
	return ConfluentSubjectVersion{
		Subject: subject, Version: e.Version, ID: s.ID, SchemaType: s.Format, Schema: s.Text, References: confluentRefs(s.References),
	}, s, nil
}

// postedSchema is a posted schema with its references resolved against the
// history.
type postedSchema struct {
	text string
	refs []registry.SchemaReference
	id   int64
}

// parsePosted decodes a posted schema and resolves its references.
func (v confluentView) parsePosted(body []byte) (postedSchema, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return postedSchema{}, confluentErrorf(codeInvalidSchema, "Empty schema: post {\"schemaType\": \"PROTOBUF\", \"schema\": \"...\", \"references\": [...]}")
	}
	var req ConfluentSchemaRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return postedSchema{}, confluentErrorf(codeBadRequest, "malformed JSON: %v", err)
	}
	switch {
	case req.SchemaType == "":
		return postedSchema{}, confluentErrorf(codeInvalidSchema, "Invalid schema: schemaType is missing, and Confluent's default is AVRO; Backbone serves PROTOBUF schemas only")
	case !strings.EqualFold(req.SchemaType, "PROTOBUF"):
		return postedSchema{}, confluentErrorf(codeInvalidSchema, "Invalid schema: schemaType %s is not supported; Backbone serves PROTOBUF schemas only", req.SchemaType)
	case strings.TrimSpace(req.Schema) == "":
		return postedSchema{}, confluentErrorf(codeInvalidSchema, "Empty schema")
	}
	p := postedSchema{text: req.Schema, id: req.ID}
	for _, r := range req.References {
		entries := v.subject(r.Subject)
		if len(entries) == 0 && strings.HasPrefix(r.Name, wellKnownPrefix) {
			continue // built into the compiler, whatever the client calls it
		}
		var found *registry.SubjectSchema
		for i, e := range entries {
			if e.Version == r.Version || (r.Version == -1 && i == len(entries)-1) {
				found = &entries[i]
			}
		}
		if found == nil {
			return postedSchema{}, confluentErrorf(codeInvalidSchema, "Invalid schema: reference '%s' names version %d of subject '%s', which does not exist.%s", r.Name, r.Version, r.Subject, v.hint())
		}
		p.refs = append(p.refs, registry.SchemaReference{Name: r.Name, Subject: r.Subject, Version: found.Version, Hash: found.Hash})
	}
	return p, nil
}

// addStored adds a stored schema at path and, transitively, the schemas it
// references at their import paths; paths already in files are kept.
func (v confluentView) addStored(files map[string][]byte, path, hash string) error {
	if _, done := files[path]; done {
		return nil
	}
	s, ok := v.byHash(hash)
	if !ok {
		return fmt.Errorf("schema %s is not stored", hash)
	}
	files[path] = []byte(s.Text)
	for _, r := range s.References {
		if err := v.addStored(files, r.Name, r.Hash); err != nil {
			return err
		}
	}
	return nil
}

// postedSources returns the files to compile a posted schema with, and its
// path: it stands where the subject's latest version stands, its references
// come from the history, and the imports it does not reference (clients skip
// the types they consider well known) are those of the latest version.
func (v confluentView) postedSources(p postedSchema, latest registry.SubjectSchema) (string, map[string][]byte, error) {
	stored, ok := v.info(latest.Hash)
	if !ok {
		return "", nil, fmt.Errorf("schema %s is not stored", latest.Hash)
	}
	root := stored.Path
	files := map[string][]byte{root: []byte(p.text)}
	for _, r := range p.refs {
		if err := v.addStored(files, r.Name, r.Hash); err != nil {
			return "", nil, err
		}
	}
	fallback := map[string][]byte{}
	if err := v.addStored(fallback, root, latest.Hash); err != nil {
		return "", nil, err
	}
	for path, text := range fallback {
		if _, ok := files[path]; !ok {
			files[path] = text
		}
	}
	return root, files, nil
}

// compile compiles files in a compilation slot: when none is free in
// time, the request is refused (42901).
func (v confluentView) compile(ctx context.Context, files map[string][]byte) (*compat.Schema, error) {
	release, err := v.gate.Enter(ctx)
	if err != nil {
		return nil, busyConfluent()
	}
	defer release()
	return compat.CompileSources(ctx, files, confluentLimits)
}

// compilePosted compiles a posted schema: what does not compile is an
// invalid schema, with every problem at file:line:col.
func (v confluentView) compilePosted(ctx context.Context, files map[string][]byte) (*compat.Schema, error) {
	schema, err := v.compile(ctx, files)
	var ce *ConfluentError
	if errors.As(err, &ce) {
		return nil, err
	}
	if registry.ErrorCode(err) == registry.EINVALID {
		var msgs []string
		for _, d := range registry.ErrorDiagnostics(err) {
			msgs = append(msgs, d.String())
		}
		if len(msgs) == 0 {
			msgs = append(msgs, registry.ErrorMessage(err))
		}
		return nil, confluentErrorf(codeInvalidSchema, "Invalid schema: %s", strings.Join(msgs, "; "))
	}
	return schema, err
}

// compileStored compiles registered content: it compiled when it was
// ingested, so a failure is the registry's.
func (v confluentView) compileStored(ctx context.Context, files map[string][]byte) (*compat.Schema, error) {
	schema, err := v.compile(ctx, files)
	var ce *ConfluentError
	if errors.As(err, &ce) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("compile stored schemas: %w", err)
	}
	return schema, nil
}

// match returns the version of subject whose schema is the posted one: the
// same text and references, or the same compiled content.
func (c *confluent) match(ctx context.Context, v confluentView, subject string, p postedSchema) (registry.SubjectSchema, bool, error) {
	entries := v.subject(subject)
	if len(entries) == 0 {
		return registry.SubjectSchema{}, false, nil
	}
	hash := catalog.ContentHash("PROTOBUF", p.text, p.refs)
	for _, e := range entries {
		if e.Hash == hash {
			return e, true, nil
		}
	}
	root, files, err := v.postedSources(p, entries[len(entries)-1])
	if err != nil {
		return registry.SubjectSchema{}, false, err
	}
	schema, err := v.compilePosted(ctx, files)
	if err != nil {
		return registry.SubjectSchema{}, false, err
	}
	want := canonicalDigest(schema, root)
	for i := len(entries) - 1; i >= 0; i-- {
		got, err := c.storedDigest(ctx, v, entries[i])
		if err != nil {
			return registry.SubjectSchema{}, false, err
		}
		if got == want {
			return entries[i], true, nil
		}
	}
	return registry.SubjectSchema{}, false, nil
}

// digest identifies a schema's compiled content with what it imports.
type digest [sha256.Size]byte

// storedDigest returns the digest of a registered schema, computed once:
// a content hash names the same content forever.
func (c *confluent) storedDigest(ctx context.Context, v confluentView, e registry.SubjectSchema) (digest, error) {
	if d, ok := c.digests.Load(e.Hash); ok {
		return d.(digest), nil
	}
	s, ok := v.info(e.Hash)
	if !ok {
		return digest{}, fmt.Errorf("schema %s is not stored", e.Hash)
	}
	files := map[string][]byte{}
	if err := v.addStored(files, s.Path, e.Hash); err != nil {
		return digest{}, err
	}
	schema, err := v.compileStored(ctx, files)
	if err != nil {
		return digest{}, err
	}
	d := canonicalDigest(schema, s.Path)
	c.digests.Store(e.Hash, d)
	return d, nil
}

// canonicalDigest hashes the descriptors of the file at root and of every
// file it imports, transitively, except the well-known types: without
// source info (comments, positions, formatting), without the root's own
// path (a file may move), and with imports in a canonical order.
func canonicalDigest(schema *compat.Schema, root string) digest {
	h := sha256.New()
	seen := map[string]bool{}
	var walk func(fd protoreflect.FileDescriptor, key string)
	walk = func(fd protoreflect.FileDescriptor, key string) {
		if fd == nil || seen[fd.Path()] || strings.HasPrefix(fd.Path(), wellKnownPrefix) {
			return
		}
		seen[fd.Path()] = true
		p := canonicalFile(fd)
		b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(p)
		fmt.Fprintf(h, "%q %d\n", key, len(b))
		h.Write(b)
		imports := map[string]protoreflect.FileDescriptor{}
		for i := range fd.Imports().Len() {
			imp := fd.Imports().Get(i)
			imports[imp.Path()] = imp.FileDescriptor
		}
		for _, dep := range p.Dependency { // sorted
			walk(imports[dep], dep)
		}
	}
	if fd, ok := schema.File(root); ok {
		walk(fd, "")
	}
	var d digest
	copy(d[:], h.Sum(nil))
	return d
}

// canonicalFile returns fd's descriptor without what does not make the
// schema: source info, its path, and the order of its imports.
func canonicalFile(fd protoreflect.FileDescriptor) *descriptorpb.FileDescriptorProto {
	p := protodesc.ToFileDescriptorProto(fd)
	p.Name, p.SourceCodeInfo = nil, nil
	public := map[string]bool{}
	weak := map[string]bool{}
	for _, i := range p.PublicDependency {
		public[p.Dependency[i]] = true
	}
	for _, i := range p.WeakDependency {
		weak[p.Dependency[i]] = true
	}
	slices.Sort(p.Dependency)
	p.PublicDependency, p.WeakDependency = nil, nil
	for i, dep := range p.Dependency {
		if public[dep] {
			p.PublicDependency = append(p.PublicDependency, int32(i))
		}
		if weak[dep] {
			p.WeakDependency = append(p.WeakDependency, int32(i))
		}
	}
	return p
}

// compatibility checks a posted schema for subject against its versions
// (pinned: that one only) and returns why it is incompatible, if it is.
func (c *confluent) compatibility(ctx context.Context, v confluentView, subject string, pinned *registry.SubjectSchema, p postedSchema) ([]string, error) {
	entries := v.subject(subject)
	if len(entries) == 0 {
		return nil, nil
	}
	latest := entries[len(entries)-1]
	t, message, key := topicOfSubject(v.cat, subject)
	switch {
	case t != nil:
		return c.checkSubject(ctx, v, subject, entries, pinned, p, message, key, topicOptions(t))
	case latest.Message != "":
		// The topic is no longer declared: the repository defaults apply.
		mode, level := v.cat.Defaults()
		return c.checkSubject(ctx, v, subject, entries, pinned, p, latest.Message, strings.HasSuffix(subject, "-key"), compat.Options{Mode: mode, Level: level})
	}
	return c.checkImport(ctx, v, subject, latest, p)
}

// checkSubject checks the message a topic's subject carries.
func (c *confluent) checkSubject(ctx context.Context, v confluentView, subject string, entries []registry.SubjectSchema, pinned *registry.SubjectSchema,
	p postedSchema, message string, key bool, opts compat.Options) ([]string, error) {
	against := entries
	if pinned != nil {
		against = []registry.SubjectSchema{*pinned}
	}
	var previous []compat.Contract
	for _, e := range against {
		s, ok := v.info(e.Hash)
		if !ok {
			return nil, fmt.Errorf("schema %s is not stored", e.Hash)
		}
		files := map[string][]byte{}
		if err := v.addStored(files, s.Path, e.Hash); err != nil {
			return nil, err
		}
		schema, err := v.compileStored(ctx, files)
		if err != nil {
			return nil, err
		}
		name := cmp.Or(e.Message, message)
		md, ok := schema.FindMessage(name)
		if !ok {
			return nil, fmt.Errorf("message %s missing from %s version %d", name, subject, e.Version)
		}
		previous = append(previous, subjectContract(md, key, fmt.Sprintf("version %d", e.Version)))
	}
	root, files, err := v.postedSources(p, entries[len(entries)-1])
	if err != nil {
		return nil, err
	}
	schema, err := v.compilePosted(ctx, files)
	if err != nil {
		return nil, err
	}
	// The record type is the schema's own, as in Confluent: a message a
	// reference defines is the reference's, whatever imports it.
	md, ok := schema.FindMessage(message)
	switch {
	case !ok:
		return []string{fmt.Sprintf("MESSAGE_NOT_FOUND: the schema does not define %s, the message subject %s carries", message, subject)}, nil
	case md.ParentFile().Path() != root:
		return []string{fmt.Sprintf("MESSAGE_NOT_FOUND: the schema does not define %s, the message subject %s carries: its reference %s does, "+
			"and a schema's record type is one it defines itself", message, subject, md.ParentFile().Path())}, nil
	}
	return findingMessages("", compat.Check(previous, subjectContract(md, key, "the posted schema"), opts)), nil
}

func subjectContract(md protoreflect.MessageDescriptor, key bool, label string) compat.Contract {
	if key {
		return compat.Contract{Label: label, Key: md}
	}
	return compat.Contract{Label: label, Values: []protoreflect.MessageDescriptor{md}}
}

// checkImport checks a shared file (an import subject): every topic whose
// latest version imports it is checked, under its own mode and level, with
// the file replaced by the posted one.
func (c *confluent) checkImport(ctx context.Context, v confluentView, subject string, latest registry.SubjectSchema, p postedSchema) ([]string, error) {
	_, posted, err := v.postedSources(p, latest)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, t := range v.cat.Topics(catalogAll) {
		lv, ok := v.hist.Latest(t.Name)
		if !ok || !slices.ContainsFunc(lv.Subjects, func(s registry.SubjectSchema) bool { return s.Subject == subject }) {
			continue
		}
		current, missing, err := v.topicContract(ctx, lv, posted)
		if err != nil {
			return nil, err
		}
		if missing != "" {
			out = append(out, fmt.Sprintf("%s: MESSAGE_NOT_FOUND: the schema does not define %s, which the topic carries", t.Name, missing))
			continue
		}
		current.Label = "the posted schema"
		var previous []compat.Contract
		for _, tv := range v.hist.Versions(t.Name) {
			ct, _, err := v.topicContract(ctx, tv, nil)
			if err != nil {
				return nil, err
			}
			previous = append(previous, ct)
		}
		out = append(out, findingMessages(t.Name, compat.Check(previous, current, topicOptions(t)))...)
	}
	return out, nil
}

// topicContract compiles a topic version, with the posted files in place
// of the stored ones when posted is not nil. missing names a message the
// posted files no longer define.
func (v confluentView) topicContract(ctx context.Context, tv registry.TopicVersion, posted map[string][]byte) (compat.Contract, string, error) {
	ct := compat.Contract{Label: fmt.Sprintf("version %d", tv.Version), KeyScalar: tv.Key}
	files := maps.Clone(posted)
	if files == nil {
		files = map[string][]byte{}
	}
	for _, s := range tv.Subjects {
		if s.Message == "" {
			continue // an import: reached through references
		}
		stored, ok := v.info(s.Hash)
		if !ok {
			return ct, "", fmt.Errorf("schema %s is not stored", s.Hash)
		}
		if err := v.addStored(files, stored.Path, s.Hash); err != nil {
			return ct, "", err
		}
	}
	compile := v.compileStored
	if posted != nil {
		compile = v.compilePosted
	}
	schema, err := compile(ctx, files)
	if err != nil {
		return ct, "", err
	}
	for _, s := range tv.Subjects {
		if s.Message == "" {
			continue
		}
		md, ok := schema.FindMessage(s.Message)
		switch {
		case !ok && posted != nil:
			return ct, s.Message, nil
		case !ok:
			return ct, "", fmt.Errorf("message %s missing from %s version %d", s.Message, tv.Topic, tv.Version)
		case s.Subject == catalog.KeySubject(tv.Topic):
			ct.Key = md
		default:
			ct.Values = append(ct.Values, md)
		}
	}
	return ct, "", nil
}

func topicOptions(t *registry.Topic) compat.Options {
	return compat.Options{Topic: t.Name, Mode: t.Compatibility, Level: t.Level, Except: t.Except, Consumers: t.Consumers}
}

// findingMessages formats findings as Confluent's verbose messages.
func findingMessages(topic string, findings []registry.Finding) []string {
	var out []string
	for _, f := range findings {
		msg := f.Rule + ": " + f.Message
		if f.File != "" {
			msg += " (" + f.Position.String() + ")"
		}
		if topic != "" {
			msg = topic + ": " + msg
		}
		out = append(out, msg)
	}
	return out
}

// topicOfSubject returns the topic a subject belongs to in the served
// catalog, the message it carries and whether it is the key; nil for an
// import path or a subject no declared topic has.
func topicOfSubject(cat *catalog.Catalog, subject string) (*registry.Topic, string, bool) {
	if name, ok := strings.CutSuffix(subject, "-value"); ok {
		if t, ok := cat.Topic(name); ok && len(t.Values) == 1 {
			return t, t.Values[0].Name, false
		}
	}
	if name, ok := strings.CutSuffix(subject, "-key"); ok {
		if t, ok := cat.Topic(name); ok && t.Key != nil && !t.Key.Scalar {
			return t, t.Key.Name, true
		}
	}
	// <topic>-<message>: message names have no hyphen, topic names may.
	if i := strings.LastIndexByte(subject, '-'); i > 0 {
		if t, ok := cat.Topic(subject[:i]); ok && len(t.Values) > 1 {
			for _, val := range t.Values {
				if catalog.TypeSubject(t.Name, val.Name) == subject {
					return t, val.Name, false
				}
			}
		}
	}
	return nil, "", false
}
