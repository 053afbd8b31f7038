package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/catalog"
)

// The Confluent operations' handlers, and what they share.

func (c *confluent) schemaTypes(context.Context, *ConfluentGlobalInput) (*ConfluentOutput[[]string], error) {
	return &ConfluentOutput[[]string]{Body: []string{"PROTOBUF"}}, nil
}

func (c *confluent) listContexts(context.Context, *ConfluentGlobalInput) (*ConfluentOutput[[]string], error) {
	return &ConfluentOutput[[]string]{Body: []string{"."}}, nil
}

func (c *confluent) getMode(context.Context, *ConfluentGlobalInput) (*ConfluentOutput[ConfluentMode], error) {
	return &ConfluentOutput[ConfluentMode]{Body: ConfluentMode{Mode: "READONLY"}}, nil
}

func (c *confluent) getSubjectMode(context.Context, *ConfluentModeInput) (*ConfluentOutput[ConfluentMode], error) {
	return &ConfluentOutput[ConfluentMode]{Body: ConfluentMode{Mode: "READONLY"}}, nil
}

func (c *confluent) getConfig(context.Context, *ConfluentGlobalInput) (*ConfluentOutput[ConfluentConfig], error) {
	v, err := c.view()
	if err != nil {
		return nil, err
	}
	mode, _ := v.cat.Defaults()
	return &ConfluentOutput[ConfluentConfig]{Body: ConfluentConfig{CompatibilityLevel: mode}}, nil
}

func (c *confluent) getSubjectConfig(_ context.Context, in *ConfluentConfigInput) (*ConfluentOutput[ConfluentConfig], error) {
	v, err := c.view()
	if err != nil {
		return nil, err
	}
	if t, _, _ := topicOfSubject(v.cat, in.Subject); t != nil {
		return &ConfluentOutput[ConfluentConfig]{Body: ConfluentConfig{CompatibilityLevel: t.Compatibility}}, nil
	}
	if !isTrue(in.DefaultToGlobal) {
		return nil, confluentErrorf(codeSubjectConfigNotFound, "Subject '%s' does not have subject-level compatibility configured: it is not a topic's subject (defaultToGlobal=true answers the repository default)", in.Subject)
	}
	mode, _ := v.cat.Defaults()
	return &ConfluentOutput[ConfluentConfig]{Body: ConfluentConfig{CompatibilityLevel: mode}}, nil
}

func (c *confluent) getSchema(_ context.Context, in *ConfluentSchemaInput) (*ConfluentOutput[ConfluentSchema], error) {
	v, err := c.view()
	if err != nil {
		return nil, err
	}
	s, err := v.schemaByID(in.ID)
	if err != nil {
		return nil, err
	}
	out := &ConfluentOutput[ConfluentSchema]{Body: ConfluentSchema{SchemaType: s.Format, Schema: s.Text, References: confluentRefs(s.References)}}
	if isTrue(in.FetchMaxID) {
		out.Body.MaxID = c.indexOf(v.hist).maxID
		return out, nil // changes with every new schema: not cacheable
	}
	cache(out, in.IfNoneMatch, `"`+s.Hash+`"`, immutable)
	return out, nil
}

func (c *confluent) getSchemaText(_ context.Context, in *ConfluentSchemaInput) (*ConfluentOutput[[]byte], error) {
	v, err := c.view()
	if err != nil {
		return nil, err
	}
	s, err := v.schemaByID(in.ID)
	if err != nil {
		return nil, err
	}
	out := &ConfluentOutput[[]byte]{Body: []byte(s.Text)}
	cache(out, in.IfNoneMatch, `"`+s.Hash+`"`, immutable)
	return out, nil
}

func (c *confluent) schemaSubjects(_ context.Context, in *ConfluentSchemaUsageInput) (*ConfluentOutput[[]string], error) {
	usages, err := c.usages(in)
	if err != nil {
		return nil, err
	}
	out := &ConfluentOutput[[]string]{Body: []string{}}
	for _, u := range usages {
		if !slices.Contains(out.Body, u.Subject) {
			out.Body = append(out.Body, u.Subject)
		}
	}
	return out, nil
}

func (c *confluent) schemaVersions(_ context.Context, in *ConfluentSchemaUsageInput) (*ConfluentOutput[[]ConfluentSubjectVersionRef], error) {
	usages, err := c.usages(in)
	if err != nil {
		return nil, err
	}
	return &ConfluentOutput[[]ConfluentSubjectVersionRef]{Body: usages}, nil
}

// usages returns the subject versions having a schema, by subject and version.
func (c *confluent) usages(in *ConfluentSchemaUsageInput) ([]ConfluentSubjectVersionRef, error) {
	v, err := c.view()
	if err != nil {
		return nil, err
	}
	s, err := v.schemaByID(in.ID)
	if err != nil {
		return nil, err
	}
	out := []ConfluentSubjectVersionRef{}
	for _, u := range c.indexOf(v.hist).byID[s.ID] {
		if in.Subject == "" || u.Subject == in.Subject {
			out = append(out, u)
		}
	}
	return out, nil
}

func (c *confluent) listSubjects(_ context.Context, in *ConfluentListSubjectsInput) (*ConfluentOutput[[]string], error) {
	v, err := c.view()
	if err != nil {
		return nil, err
	}
	out := &ConfluentOutput[[]string]{Body: []string{}}
	if isTrue(in.DeletedOnly) {
		return out, nil
	}
	prefix := subjectPrefix(in.SubjectPrefix)
	offset, limit := page(in.Offset, in.Limit, -1)
	for _, s := range v.subjects() {
		if !strings.HasPrefix(s, prefix) {
			continue
		}
		if offset > 0 {
			offset--
			continue
		}
		if limit >= 0 && len(out.Body) == limit {
			break
		}
		out.Body = append(out.Body, s)
	}
	return out, nil
}

func (c *confluent) listSchemas(_ context.Context, in *ConfluentListSchemasInput) (*ConfluentOutput[[]ConfluentSubjectVersion], error) {
	v, err := c.view()
	if err != nil {
		return nil, err
	}
	out := &ConfluentOutput[[]ConfluentSubjectVersion]{Body: []ConfluentSubjectVersion{}}
	prefix := subjectPrefix(in.SubjectPrefix)
	offset, limit := page(in.Offset, in.Limit, maxSchemasPage)
	for _, s := range v.subjects() {
		if !strings.HasPrefix(s, prefix) {
			continue
		}
		entries := v.subject(s)
		if isTrue(in.LatestOnly) {
			entries = entries[len(entries)-1:]
		}
		for _, e := range entries {
			if offset > 0 {
				offset--
				continue
			}
			if len(out.Body) == limit {
				return out, nil
			}
			sv, _, err := v.subjectVersion(s, e)
			if err != nil {
				return nil, err
			}
			out.Body = append(out.Body, sv)
		}
	}
	return out, nil
}

func (c *confluent) listSubjectVersions(_ context.Context, in *ConfluentSubjectInput) (*ConfluentOutput[[]int], error) {
	v, err := c.view()
	if err != nil {
		return nil, err
	}
	entries := v.subject(in.Subject)
	if len(entries) == 0 {
		return nil, v.subjectNotFound(in.Subject)
	}
	out := &ConfluentOutput[[]int]{Body: make([]int, 0, len(entries))}
	if isTrue(in.DeletedOnly) {
		return out, nil
	}
	for _, e := range entries {
		out.Body = append(out.Body, e.Version)
	}
	return out, nil
}

func (c *confluent) getSubjectVersion(_ context.Context, in *ConfluentVersionInput) (*ConfluentOutput[ConfluentSubjectVersion], error) {
	v, err := c.view()
	if err != nil {
		return nil, err
	}
	e, latest, err := v.version(in.Subject, in.Version)
	if err != nil {
		return nil, err
	}
	sv, s, err := v.subjectVersion(in.Subject, e)
	if err != nil {
		return nil, err
	}
	out := &ConfluentOutput[ConfluentSubjectVersion]{Body: sv}
	cache(out, in.IfNoneMatch, versionETag(s, e), versionCacheControl(latest))
	return out, nil
}

func (c *confluent) getSubjectVersionText(_ context.Context, in *ConfluentVersionInput) (*ConfluentOutput[[]byte], error) {
	v, err := c.view()
	if err != nil {
		return nil, err
	}
	e, latest, err := v.version(in.Subject, in.Version)
	if err != nil {
		return nil, err
	}
	_, s, err := v.subjectVersion(in.Subject, e)
	if err != nil {
		return nil, err
	}
	out := &ConfluentOutput[[]byte]{Body: []byte(s.Text)}
	cache(out, in.IfNoneMatch, versionETag(s, e), versionCacheControl(latest))
	return out, nil
}

func (c *confluent) referencedBy(_ context.Context, in *ConfluentVersionInput) (*ConfluentOutput[[]int64], error) {
	v, err := c.view()
	if err != nil {
		return nil, err
	}
	e, _, err := v.version(in.Subject, in.Version)
	if err != nil {
		return nil, err
	}
	ids := c.indexOf(v.hist).refBy[ConfluentSubjectVersionRef{Subject: in.Subject, Version: e.Version}]
	return &ConfluentOutput[[]int64]{Body: append([]int64{}, ids...)}, nil
}

func (c *confluent) lookupSchema(ctx context.Context, in *ConfluentPostInput) (*ConfluentOutput[ConfluentSubjectVersion], error) {
	v, err := c.view()
	if err != nil {
		return nil, err
	}
	if len(v.subject(in.Subject)) == 0 {
		return nil, v.subjectNotFound(in.Subject)
	}
	req, err := v.parsePosted(in.RawBody)
	if err != nil {
		return nil, err
	}
	e, found, err := c.match(ctx, v, in.Subject, req)
	switch {
	case err != nil:
		return nil, err
	case !found:
		return nil, confluentErrorf(codeSchemaNotFound, "Schema not found: subject '%s' has no version with this content", in.Subject)
	}
	sv, _, err := v.subjectVersion(in.Subject, e)
	if err != nil {
		return nil, err
	}
	return &ConfluentOutput[ConfluentSubjectVersion]{Body: sv}, nil
}

func (c *confluent) registerSchema(ctx context.Context, in *ConfluentPostInput) (*ConfluentOutput[ConfluentID], error) {
	v, err := c.view()
	if err != nil {
		return nil, err
	}
	if len(v.subject(in.Subject)) == 0 {
		return nil, c.readOnly("cannot register a schema under subject '" + in.Subject + "', which the registry does not serve")
	}
	req, err := v.parsePosted(in.RawBody)
	if err != nil {
		return nil, err
	}
	e, found, err := c.match(ctx, v, in.Subject, req)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, c.readOnly("cannot register a new schema under subject '" + in.Subject + "'")
	}
	s, ok := v.info(e.Hash)
	if !ok {
		return nil, confluentErrorf(codeInternal, "schema %s of %s is not stored", e.Hash, in.Subject)
	}
	if req.id > 0 && req.id != s.ID {
		return nil, c.readOnly(fmt.Sprintf("this schema has ID %d under subject '%s', not %d", s.ID, in.Subject, req.id))
	}
	return &ConfluentOutput[ConfluentID]{Body: ConfluentID{ID: s.ID}}, nil
}

func (c *confluent) checkCompatibility(ctx context.Context, in *ConfluentCheckInput) (*ConfluentOutput[ConfluentCompatibility], error) {
	return c.check(ctx, in, "")
}

func (c *confluent) checkCompatibilityVersion(ctx context.Context, in *ConfluentCheckVersionInput) (*ConfluentOutput[ConfluentCompatibility], error) {
	return c.check(ctx, &in.ConfluentCheckInput, in.Version)
}

// check checks a posted schema against the subject's versions, or against
// one version when version is not empty.
func (c *confluent) check(ctx context.Context, in *ConfluentCheckInput, version string) (*ConfluentOutput[ConfluentCompatibility], error) {
	v, err := c.view()
	if err != nil {
		return nil, err
	}
	var pinned *registry.SubjectSchema
	if version != "" {
		e, _, err := v.version(in.Subject, version)
		if err != nil {
			return nil, err
		}
		pinned = &e
	} else if len(v.subject(in.Subject)) == 0 {
		// A new subject is compatible with its nothing, as in Confluent.
		return &ConfluentOutput[ConfluentCompatibility]{Body: ConfluentCompatibility{IsCompatible: true}}, nil
	}
	req, err := v.parsePosted(in.RawBody)
	if err != nil {
		return nil, err
	}
	messages, err := c.compatibility(ctx, v, in.Subject, pinned, req)
	if err != nil {
		return nil, err
	}
	out := &ConfluentOutput[ConfluentCompatibility]{Body: ConfluentCompatibility{IsCompatible: len(messages) == 0}}
	if isTrue(in.Verbose) {
		out.Body.Messages = messages
	}
	return out, nil
}

// Helpers.

// cache sets out's validators and answers 304 when the client holds etag.
func cache[T any](out *ConfluentOutput[T], ifNoneMatch, etag, cacheControl string) {
	out.ETag, out.CacheControl = etag, cacheControl
	if etagMatches(ifNoneMatch, etag) {
		var zero T
		out.Status, out.Body = http.StatusNotModified, zero
	}
}

// etagMatches reports whether an If-None-Match header names etag (weak
// comparison, as RFC 9110 asks for If-None-Match).
func etagMatches(header, etag string) bool {
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// versionETag identifies a subject version's representation: its content
// and its number (latest moves from one to the next).
func versionETag(s *registry.Schema, e registry.SubjectSchema) string {
	return `"` + s.Hash + "-" + strconv.Itoa(e.Version) + `"`
}

func versionCacheControl(latest bool) string {
	if latest {
		return latestCacheControl
	}
	return immutable
}

// page parses offset and limit; a missing, bad or negative limit is def,
// and a limit above a positive def is def.
func page(offset, limit string, def int) (int, int) {
	o, err := strconv.Atoi(offset)
	if err != nil || o < 0 {
		o = 0
	}
	l, err := strconv.Atoi(limit)
	if err != nil || l < 0 || (def > 0 && l > def) {
		l = def
	}
	return o, l
}

// subjectPrefix returns the prefix to filter subjects with; Confluent's
// ":*:" (every context) is every subject.
func subjectPrefix(p string) string {
	if p == ":*:" {
		return ""
	}
	return p
}

// isTrue parses a boolean query parameter as Confluent does: "true" in any
// case is true, anything else false.
func isTrue(s string) bool { return strings.EqualFold(s, "true") }

// confluentRefs returns a schema's references as Confluent serves them.
func confluentRefs(refs []registry.SchemaReference) []ConfluentReference {
	out := make([]ConfluentReference, len(refs))
	for i, r := range refs {
		out[i] = ConfluentReference{Name: r.Name, Subject: r.Subject, Version: r.Version}
	}
	return out
}

// confluentIndex answers the questions the history has no index for: the
// subject versions of each ID, who references a subject version, the
// highest ID. It is built once per history, on first use.
type confluentIndex struct {
	hist  *catalog.History
	byID  map[int64][]ConfluentSubjectVersionRef // by subject then version
	refBy map[ConfluentSubjectVersionRef][]int64 // ascending
	maxID int64
}

func (c *confluent) indexOf(hist *catalog.History) *confluentIndex {
	if hist == nil {
		return &confluentIndex{}
	}
	if idx := c.index.Load(); idx != nil && idx.hist == hist {
		return idx
	}
	idx := &confluentIndex{hist: hist, byID: map[int64][]ConfluentSubjectVersionRef{}, refBy: map[ConfluentSubjectVersionRef][]int64{}}
	for _, subject := range hist.Subjects() {
		for _, e := range hist.Subject(subject) {
			s, ok := hist.SchemaInfo(e.Hash) // no text: it is not needed, and decompressing costs
			if !ok {
				continue
			}
			idx.byID[s.ID] = append(idx.byID[s.ID], ConfluentSubjectVersionRef{Subject: subject, Version: e.Version})
			idx.maxID = max(idx.maxID, s.ID)
			for _, r := range s.References {
				key := ConfluentSubjectVersionRef{Subject: r.Subject, Version: r.Version}
				if !slices.Contains(idx.refBy[key], s.ID) {
					idx.refBy[key] = append(idx.refBy[key], s.ID)
				}
			}
		}
	}
	for _, ids := range idx.refBy {
		slices.Sort(ids)
	}
	c.index.Store(idx)
	return idx
}
