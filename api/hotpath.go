package api

import (
	"bytes"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/danielgtaylor/huma/v2"

	"github.com/backbone-registry/backbone/catalog"
)

// The hot path: the two reads every Kafka client makes, again and again —
// GET /schemas/ids/{id} (deserializers resolving a record's schema ID) and
// GET /subjects/{subject}/versions/latest (serializers with
// use.latest.version) — served from responses serialized once per history
// (DESIGN.md §7: at least 80% of the requests/s of a bare net/http handler;
// see docs/BENCHMARKS.md, "Serving").
//
// Both stay huma operations (confluentGet in confluent.go): the OpenAPI
// document describes them and huma serves every request the hot path does
// not take. The hot path sits in front of the router and takes only the
// plain case: GET, no query string, no If-None-Match, a catalog with a
// history that has the schema or subject. Everything else — errors, 304s,
// fetchMaxId, HEAD, paths the router would clean or redirect — goes to the
// router, so huma answers it exactly as before. The bodies are marshaled by
// the huma API's own format for the Confluent media type, so they are the
// bytes huma writes (TestHotPathMatchesHuma checks it); only the framing
// differs: a Content-Length instead of chunks.
//
// A history is immutable, so its responses are too: they are cached per
// *catalog.History, lazily, and dropped with it when a sync swaps the
// snapshot. The cache holds at most hotCacheBytes of bodies per history;
// past that, responses are serialized per request (still without huma), so
// a client walking every ID cannot grow memory without bound.

// hotCacheBytes bounds the bodies cached for one history.
const hotCacheBytes = 64 << 20

// hotPath serves the hot reads, and hands every other request to next.
type hotPath struct {
	src   Source
	api   huma.API // its Marshal is what huma writes bodies with
	next  http.Handler
	cache atomic.Pointer[hotCache]
}

func newHotPath(src Source, api huma.API, next http.Handler) *hotPath {
	return &hotPath{src: src, api: api, next: next}
}

// hotCache holds the serialized responses of one history.
type hotCache struct {
	hist   *catalog.History
	mu     sync.RWMutex
	byID   map[int64]*hotResponse
	latest map[string]*hotResponse
	size   int
}

// hotResponse is a serialized 200 response. Its header values are shared by
// every request: net/http only reads them, and Header.Set replaces a value
// rather than writing into it.
type hotResponse struct {
	body          []byte
	contentLength []string
	etag          []string
	cacheControl  []string
}

// Shared header values.
var (
	hotVary         = []string{"Accept"}
	hotContentTypes = map[string][]string{
		mediaSchemaRegistryV1: {mediaSchemaRegistryV1},
		mediaSchemaRegistry:   {mediaSchemaRegistry},
		mediaJSON:             {mediaJSON},
	}
	hotImmutable = []string{immutable}
	hotLatest    = []string{latestCacheControl}
)

const (
	hotSchemaPrefix  = "/schemas/ids/"
	hotSubjectPrefix = "/subjects/"
	hotLatestSuffix  = "/versions/latest"
	hotMinusOne      = "/versions/-1"
)

func (p *hotPath) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if resp := p.lookup(r); resp != nil {
		h := w.Header()
		h["Content-Type"] = hotContentTypes[hotMediaType(r.Header["Accept"])]
		h["Content-Length"] = resp.contentLength
		h["Etag"] = resp.etag
		h["Cache-Control"] = resp.cacheControl
		h["Vary"] = hotVary
		_, _ = w.Write(resp.body)
		return
	}
	p.next.ServeHTTP(w, r)
}

// lookup returns the response to r when the hot path serves it, nil when
// the router must.
func (p *hotPath) lookup(r *http.Request) *hotResponse {
	if r.Method != http.MethodGet || r.URL.RawQuery != "" || r.URL.ForceQuery || len(r.Header["If-None-Match"]) > 0 {
		return nil
	}
	route := r.URL.Path
	if id, ok := strings.CutPrefix(route, hotSchemaPrefix); ok {
		n, ok := parseID(id)
		if !ok || r.URL.RawPath != "" {
			return nil
		}
		if c := p.cacheOf(); c != nil {
			return c.schema(p.api, n)
		}
		return nil
	}
	if !strings.HasPrefix(route, hotSubjectPrefix) {
		return nil
	}
	// The router matches the escaped path and unescapes the {subject}
	// segment; so do we.
	escaped, _ := strings.CutPrefix(r.URL.EscapedPath(), hotSubjectPrefix)
	subject, ok := strings.CutSuffix(escaped, hotLatestSuffix)
	if !ok {
		if subject, ok = strings.CutSuffix(escaped, hotMinusOne); !ok {
			return nil
		}
	}
	if subject == "" || strings.Contains(subject, "/") {
		return nil
	}
	if strings.Contains(subject, "%") {
		var err error
		if subject, err = url.PathUnescape(subject); err != nil || path.Clean(route) != route {
			return nil // the router redirects or refuses it
		}
	}
	if subject == "." || subject == ".." {
		return nil
	}
	if c := p.cacheOf(); c != nil {
		return c.latestOf(p.api, subject)
	}
	return nil
}

// parseID parses a positive decimal schema ID, digits only.
func parseID(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, n > 0
}

// hotMediaType is confluentMediaType of the Accept header huma reads (the
// first), without parsing for what clients send: none, or exactly one
// Confluent media type.
func hotMediaType(accept []string) string {
	if len(accept) == 0 {
		return mediaSchemaRegistryV1
	}
	if _, ok := hotContentTypes[accept[0]]; ok {
		return accept[0]
	}
	return confluentMediaType(accept[0])
}

// cacheOf returns the cache of the history being served, nil when there is
// none (no snapshot yet, or a plain directory without history).
func (p *hotPath) cacheOf() *hotCache {
	cat := p.src.Catalog()
	if cat == nil {
		return nil
	}
	hist := cat.History()
	if hist == nil {
		return nil
	}
	if c := p.cache.Load(); c != nil && c.hist == hist {
		return c
	}
	c := &hotCache{hist: hist, byID: map[int64]*hotResponse{}, latest: map[string]*hotResponse{}}
	p.cache.Store(c) // a request still on the previous history builds its own: harmless
	return c
}

// schema returns the response for a schema ID, nil if the history lacks it.
func (c *hotCache) schema(api huma.API, id int64) *hotResponse {
	c.mu.RLock()
	resp, ok := c.byID[id]
	c.mu.RUnlock()
	if ok {
		return resp
	}
	s, ok := c.hist.Schema(id)
	if !ok {
		return nil
	}
	body := ConfluentSchema{SchemaType: s.Format, Schema: s.Text, References: confluentRefs(s.References)}
	resp = newHotResponse(api, body, `"`+s.Hash+`"`, hotImmutable)
	if resp == nil {
		return nil
	}
	return c.keep(func() { c.byID[id] = resp }, func() *hotResponse { return c.byID[id] }, resp)
}

// latestOf returns the response for a subject's latest version, nil if the
// history lacks the subject.
func (c *hotCache) latestOf(api huma.API, subject string) *hotResponse {
	c.mu.RLock()
	resp, ok := c.latest[subject]
	c.mu.RUnlock()
	if ok {
		return resp
	}
	v := confluentView{hist: c.hist}
	entries := v.subject(subject)
	if len(entries) == 0 {
		return nil
	}
	e := entries[len(entries)-1]
	sv, s, err := v.subjectVersion(subject, e)
	if err != nil {
		return nil // huma logs and answers it
	}
	resp = newHotResponse(api, sv, versionETag(s, e), hotLatest)
	if resp == nil {
		return nil
	}
	subject = strings.Clone(subject) // may point into a request's URL
	return c.keep(func() { c.latest[subject] = resp }, func() *hotResponse { return c.latest[subject] }, resp)
}

// keep caches resp with store unless the budget is spent, and returns the
// cached response (another request may have stored one first).
func (c *hotCache) keep(store func(), stored func() *hotResponse, resp *hotResponse) *hotResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev := stored(); prev != nil {
		return prev
	}
	if c.size+len(resp.body) <= hotCacheBytes {
		store()
		c.size += len(resp.body)
	}
	return resp
}

// newHotResponse serializes body as huma would for the Confluent media
// type; nil if it cannot (huma then answers the request).
func newHotResponse(api huma.API, body any, etag string, cacheControl []string) *hotResponse {
	var buf bytes.Buffer
	if err := api.Marshal(&buf, mediaSchemaRegistryV1, body); err != nil {
		return nil
	}
	b := buf.Bytes()
	return &hotResponse{
		body:          b,
		contentLength: []string{strconv.Itoa(len(b))},
		etag:          []string{etag},
		cacheControl:  cacheControl,
	}
}
