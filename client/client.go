// Package client is what producers and consumers link to talk to a
// Backbone registry: fetch a topic's latest or pinned schema at startup,
// keep an on-disk copy so that a service still starts when the registry is
// down, resolve the global schema ID a Kafka record carries to a message
// descriptor, and read and write the Confluent wire format.
//
// It speaks HTTP to the registry's two APIs: the native one for a topic
// version and its compiled FileDescriptorSet, the Confluent one for the
// subjects of an ID. Descriptors are built with protodesc from that set, so
// no Protobuf compiler runs in the service.
//
// Errors are *registry.Error values: registry.ErrorCode tells ENOTFOUND (the
// topic, version or ID does not exist), EUNAVAILABLE (the registry could not
// be reached, or answered 5xx, and nothing was cached), EUNAUTHORIZED,
// EFORBIDDEN and EINVALID (bad arguments or bad framing) apart.
package client

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	registry "github.com/backbone-registry/backbone"
)

// Log attribute keys.
const (
	keyTopic     = "topic"
	keyVersion   = "version"
	keyID        = "id"
	keyFetchedAt = "fetched_at"
	keyError     = "error"
	keyRegistry  = "registry"
	keyCache     = "cache"
	keyFile      = "file"
)

// DefaultTimeout bounds each request to the registry unless WithTimeout or
// WithHTTPClient says otherwise: a service waiting on a registry that hangs
// falls back to its cached schema after this long.
const DefaultTimeout = 10 * time.Second

// maxResponse bounds a response body: a FileDescriptorSet of a topic
// version with its imports is far smaller.
const maxResponse = 64 << 20

// Client fetches schemas from one registry. It is safe for concurrent use.
// Pinned versions and schema IDs are immutable, so they are kept in memory
// for the client's lifetime (and on disk with WithCacheDir).
type Client struct {
	base    string // without a trailing slash
	http    *http.Client
	timeout time.Duration
	auth    func(*http.Request)
	cache   *diskCache // nil without WithCacheDir
	log     *slog.Logger
	now     func() time.Time

	mu       sync.Mutex
	versions map[topicVersion]*Schema
	ids      map[int64]*Schema
}

type topicVersion struct {
	topic   string
	version int
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sends requests with hc (its transport, proxies, TLS).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.http = hc }
}

// WithTimeout bounds each request to the registry; 0 leaves requests bounded
// only by their context and the HTTP client.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) { c.timeout = d }
}

// WithBearerToken authenticates with a bearer token from the registry's
// credentials file.
func WithBearerToken(token string) Option {
	return func(c *Client) {
		c.auth = func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
	}
}

// WithBasicAuth authenticates with HTTP Basic, as Kafka clients configured
// with basic.auth.user.info do.
func WithBasicAuth(user, password string) Option {
	return func(c *Client) {
		c.auth = func(r *http.Request) { r.SetBasicAuth(user, password) }
	}
}

// WithCacheDir keeps a copy of every fetched schema under dir, so that the
// service starts from it when the registry is unreachable.
func WithCacheDir(dir string) Option {
	return func(c *Client) {
		if dir != "" {
			c.cache = &diskCache{dir: dir}
		}
	}
}

// WithLogger logs with l: the use of a cached schema when the registry is
// unreachable (warn), cache hits and writes (debug). Default: discard.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) {
		if l != nil {
			c.log = l
		}
	}
}

// New returns a client of the registry at baseURL (e.g.
// http://localhost:8081). Credentials in the URL (http://user:password@host)
// are sent as HTTP Basic, like WithBasicAuth, and kept out of logs and
// cache keys.
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, registry.Errorf(registry.EINVALID, "registry URL %q: want http(s)://host[:port][/path]", baseURL)
	}
	var auth func(*http.Request)
	if u.User != nil { // http://user:password@host: HTTP Basic, never logged
		user, password := u.User.Username(), ""
		if p, ok := u.User.Password(); ok {
			password = p
		}
		auth = func(r *http.Request) { r.SetBasicAuth(user, password) }
		u.User = nil
	}
	c := &Client{
		auth:     auth,
		base:     strings.TrimRight(u.String(), "/"),
		http:     http.DefaultClient,
		timeout:  DefaultTimeout,
		log:      slog.New(slog.DiscardHandler),
		now:      time.Now,
		versions: map[topicVersion]*Schema{},
		ids:      map[int64]*Schema{},
	}
	for _, o := range opts {
		o(c)
	}
	if c.cache != nil {
		c.cache.registry = c.base
	}
	return c, nil
}

// Subject is one subject of a topic version: the topic's own subjects
// (<topic>-value, <topic>-key, <topic>-<message>) and the import paths of
// the files they import.
type Subject struct {
	Name    string // e.g. acme.retail.orders.events-value, or common/v1/money.proto
	Version int    // the subject's own version number
	ID      int64  // the global schema ID, as Kafka records carry it
	Message string // the message it carries; empty for an import
	Path    string // the .proto file
}

// Schema is a topic version with its compiled descriptors. It must not be
// modified: the client shares it between callers.
type Schema struct {
	Topic    string
	Version  int
	Commit   registry.Commit
	KeyType  string // a scalar key type such as "string"; empty when the key is a message (Key) or unset
	Subjects []Subject
	// Texts holds every .proto file of the version as in Git, by path: the
	// subjects' files and their imports, not the well-known types.
	Texts map[string]string
	// Files holds the compiled descriptors of the version, the well-known
	// types it imports included.
	Files *protoregistry.Files

	Value  protoreflect.MessageDescriptor   // the value message; nil when the topic carries several
	Values []protoreflect.MessageDescriptor // every value message
	Key    protoreflect.MessageDescriptor   // the key message; nil for a scalar key

	// ID is, from ByID, the ID asked for; from Topic, the ID of the value
	// subject (0 when the topic carries several value types). File is the
	// file that ID names, where message indexes point.
	ID   int64
	File protoreflect.FileDescriptor

	FetchedAt time.Time // when it was fetched from the registry
	// FromCache is set when the schema was read from the disk cache: a
	// pinned version found there, or the latest version when the registry
	// could not be reached.
	FromCache bool

	types *dynamicpb.Types // to resolve extensions when decoding
	entry *cacheEntry      // what it was built from, to cache it
}

// Message returns the message descriptor with the full name name, from any
// file of the version.
func (s *Schema) Message(name string) (protoreflect.MessageDescriptor, error) {
	d, err := s.Files.FindDescriptorByName(protoreflect.FullName(name))
	if err != nil {
		return nil, registry.Errorf(registry.ENOTFOUND, "%s version %d has no message %s", s.Topic, s.Version, name)
	}
	md, ok := d.(protoreflect.MessageDescriptor)
	if !ok {
		return nil, registry.Errorf(registry.ENOTFOUND, "%s in %s version %d is not a message", name, s.Topic, s.Version)
	}
	return md, nil
}

// SubjectID returns the global schema ID of subject, and whether the
// version has that subject.
func (s *Schema) SubjectID(subject string) (int64, bool) {
	for _, sub := range s.Subjects {
		if sub.Name == subject {
			return sub.ID, true
		}
	}
	return 0, false
}

// ValueID returns the schema ID of the value subject (<topic>-value), 0
// when the topic carries several value types (see ValueIDOf).
func (s *Schema) ValueID() int64 {
	id, _ := s.SubjectID(s.Topic + "-value")
	return id
}

// KeyID returns the schema ID of the key subject (<topic>-key), 0 when the
// key is a scalar or unset.
func (s *Schema) KeyID() int64 {
	id, _ := s.SubjectID(s.Topic + "-key")
	return id
}

// ValueIDOf returns the schema ID of the value subject carrying message:
// <topic>-value for a topic with one value type, <topic>-<message> for a
// topic with several. It fails when the topic does not carry message.
func (s *Schema) ValueIDOf(message protoreflect.FullName) (int64, error) {
	for _, sub := range s.Subjects {
		if sub.Message == string(message) && sub.Name != s.Topic+"-key" {
			return sub.ID, nil
		}
	}
	return 0, registry.Errorf(registry.EINVALID, "topic %s version %d does not carry %s", s.Topic, s.Version, message)
}

// withID returns a copy of s naming the file of schema id.
func (s *Schema) withID(id int64, file protoreflect.FileDescriptor) *Schema {
	cp := *s
	cp.ID, cp.File = id, file
	return &cp
}

// Topic returns version of topic, or its latest version when version is
// 0. A pinned version is immutable: it comes from memory or the disk cache
// when it is there, from the registry otherwise. The latest version comes
// from the registry; when the registry is unreachable or answers 5xx, the
// latest version cached on disk is returned instead (FromCache is set and a
// warning logged). A topic or version the registry does not have (404) is
// never served from the cache.
func (c *Client) Topic(ctx context.Context, topic string, version int) (*Schema, error) {
	switch {
	case topic == "":
		return nil, registry.Errorf(registry.EINVALID, "no topic given")
	case version < 0 || version > math.MaxInt32:
		return nil, registry.Errorf(registry.EINVALID, "topic %s: version %d: want 0 (latest) or a version number", topic, version)
	case version > 0:
		return c.pinned(ctx, topic, version)
	}
	s, err := c.latest(ctx, topic)
	if registry.ErrorCode(err) != registry.EUNAVAILABLE || c.cache == nil {
		return s, err
	}
	cached, cerr := c.cache.readVersion(topic, latestName)
	if cerr != nil {
		c.log.Warn("registry unreachable and no cached schema", slog.String(keyTopic, topic), slog.String(keyRegistry, c.base),
			slog.String(keyError, err.Error()), slog.String(keyCache, cerr.Error()))
		return nil, err
	}
	s, berr := cached.schema()
	if berr != nil {
		c.log.Warn("registry unreachable and the cached schema is unreadable", slog.String(keyTopic, topic), slog.String(keyError, berr.Error()))
		return nil, err
	}
	c.log.Warn(fmt.Sprintf("registry unreachable; using cached schema for %s version %d from %s", topic, s.Version, s.FetchedAt.Format(time.RFC3339)),
		slog.String(keyTopic, topic), slog.Int(keyVersion, s.Version), slog.Time(keyFetchedAt, s.FetchedAt),
		slog.String(keyRegistry, c.base), slog.String(keyError, err.Error()))
	cp := *c.remember(s)
	cp.FromCache = true
	return &cp, nil
}

// latest fetches the latest version of topic: its detail, then the
// descriptors of that numbered version, so that both describe the same
// version even when a sync lands in between.
func (c *Client) latest(ctx context.Context, topic string) (*Schema, error) {
	detail, err := c.get(ctx, topicPath(topic, latestName), "application/json")
	if err != nil {
		return nil, fmt.Errorf("fetch %s latest: %w", topic, err)
	}
	var d versionDetail
	if err := json.Unmarshal(detail, &d); err != nil || d.Version < 1 {
		return nil, registry.Errorf(registry.EINTERNAL, "fetch %s latest: unexpected response from %s", topic, c.base)
	}
	if s := c.remembered(topic, d.Version); s != nil {
		e := *s.entry
		e.FetchedAt = c.now().UTC()
		c.cache.writeLatest(c.log, &e)
		if s.FromCache { // read from disk before, but the registry answered now
			cp := *s
			cp.FromCache = false
			return &cp, nil
		}
		return s, nil
	}
	set, err := c.get(ctx, topicPath(topic, strconv.Itoa(d.Version)), "application/x-protobuf")
	if err != nil {
		return nil, fmt.Errorf("fetch %s version %d descriptors: %w", topic, d.Version, err)
	}
	e := &cacheEntry{Registry: c.base, Topic: topic, Version: d.Version, FetchedAt: c.now().UTC(), Detail: detail, Descriptors: set}
	s, err := e.schema()
	if err != nil {
		return nil, err
	}
	c.cache.writeVersion(c.log, e)
	c.cache.writeLatest(c.log, e)
	return c.remember(s), nil
}

// pinned returns a numbered version: from memory, the disk or the registry.
func (c *Client) pinned(ctx context.Context, topic string, version int) (*Schema, error) {
	if s := c.remembered(topic, version); s != nil {
		return s, nil
	}
	if e, err := c.cache.readVersion(topic, strconv.Itoa(version)); err == nil {
		if s, err := e.schema(); err == nil {
			s.FromCache = true
			c.log.Debug("schema from the disk cache", slog.String(keyTopic, topic), slog.Int(keyVersion, version))
			return c.remember(s), nil
		}
	}
	path := topicPath(topic, strconv.Itoa(version))
	detail, err := c.get(ctx, path, "application/json")
	if err != nil {
		return nil, fmt.Errorf("fetch %s version %d: %w", topic, version, err)
	}
	set, err := c.get(ctx, path, "application/x-protobuf")
	if err != nil {
		return nil, fmt.Errorf("fetch %s version %d descriptors: %w", topic, version, err)
	}
	e := &cacheEntry{Registry: c.base, Topic: topic, Version: version, FetchedAt: c.now().UTC(), Detail: detail, Descriptors: set}
	s, err := e.schema()
	if err != nil {
		return nil, err
	}
	if s.Version != version {
		return nil, registry.Errorf(registry.EINTERNAL, "fetch %s version %d: the registry answered version %d", topic, version, s.Version)
	}
	c.cache.writeVersion(c.log, e)
	return c.remember(s), nil
}

func (c *Client) remembered(topic string, version int) *Schema {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.versions[topicVersion{topic, version}]
}

// remember keeps s, a numbered version, for the client's lifetime; the
// first copy wins, so that callers share descriptors.
func (c *Client) remember(s *Schema) *Schema {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := topicVersion{s.Topic, s.Version}
	if prev, ok := c.versions[key]; ok {
		return prev
	}
	c.versions[key] = s
	return s
}

// ByID returns the topic version holding the global schema ID id, with
// File set to the file the ID names: what a consumer needs to decode a
// record carrying id. IDs are immutable, so the answer is kept for the
// client's lifetime and on disk.
//
// The registry serves compiled descriptors per topic version: the ID's
// subjects come from GET /schemas/ids/{id}/versions, the topic version
// holding it from that topic's version list, and its descriptors as for
// Topic. An ID whose file is only ever imported (never a topic's value or
// key) is not resolved: Kafka records never carry one.
func (c *Client) ByID(ctx context.Context, id int64) (*Schema, error) {
	if id <= 0 || id > math.MaxUint32 {
		return nil, registry.Errorf(registry.EINVALID, "schema ID %d: want 1 to %d", id, uint32(math.MaxUint32))
	}
	c.mu.Lock()
	s, ok := c.ids[id]
	c.mu.Unlock()
	if ok {
		return s, nil
	}
	ref, err := c.cache.readID(id)
	if err != nil {
		if ref, err = c.findID(ctx, id); err != nil {
			return nil, err
		}
		c.cache.writeID(c.log, id, ref)
		c.log.Debug("schema ID resolved", slog.Int64(keyID, id), slog.String(keyTopic, ref.Topic), slog.Int(keyVersion, ref.Version))
	}
	s, err = c.Topic(ctx, ref.Topic, ref.Version)
	if err != nil {
		return nil, fmt.Errorf("schema %d: %w", id, err)
	}
	file, err := s.fileOf(id)
	if err != nil {
		return nil, err
	}
	s = s.withID(id, file)
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.ids[id]; ok {
		return prev, nil
	}
	c.ids[id] = s
	return s, nil
}

// fileOf returns the file of the subject with schema ID id.
func (s *Schema) fileOf(id int64) (protoreflect.FileDescriptor, error) {
	for _, sub := range s.Subjects {
		if sub.ID != id {
			continue
		}
		if fd, err := s.Files.FindFileByPath(sub.Path); err == nil {
			return fd, nil
		}
		if md, err := s.Message(sub.Message); err == nil {
			return md.ParentFile(), nil
		}
	}
	return nil, registry.Errorf(registry.EINTERNAL, "schema %d: %s version %d does not hold it", id, s.Topic, s.Version)
}

// idRef is where a schema ID lives: a topic version.
type idRef struct {
	Topic   string `json:"topic"`
	Version int    `json:"version"`
}

// findID asks the registry which topic version holds schema id: the latest
// version of the first of its topics that has it.
func (c *Client) findID(ctx context.Context, id int64) (idRef, error) {
	body, err := c.get(ctx, "/schemas/ids/"+strconv.FormatInt(id, 10)+"/versions", "application/vnd.schemaregistry.v1+json")
	if err != nil {
		return idRef{}, fmt.Errorf("fetch schema %d: %w", id, err)
	}
	var usages []struct {
		Subject string `json:"subject"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(body, &usages); err != nil {
		return idRef{}, registry.Errorf(registry.EINTERNAL, "fetch schema %d: unexpected response from %s", id, c.base)
	}
	var topics []string
	for _, u := range usages {
		if t, ok := topicOfSubject(u.Subject); ok && !slices.Contains(topics, t) {
			topics = append(topics, t)
		}
	}
	for _, t := range topics {
		body, err := c.get(ctx, "/v1/topics/"+url.PathEscape(t)+"/versions", "application/json")
		if registry.ErrorCode(err) == registry.ENOTFOUND {
			continue
		} else if err != nil {
			return idRef{}, fmt.Errorf("fetch schema %d: list %s versions: %w", id, t, err)
		}
		var list struct {
			Versions []registry.TopicVersion `json:"versions"`
		}
		if err := json.Unmarshal(body, &list); err != nil {
			return idRef{}, registry.Errorf(registry.EINTERNAL, "fetch schema %d: unexpected version list of %s from %s", id, t, c.base)
		}
		for i := len(list.Versions) - 1; i >= 0; i-- {
			for _, s := range list.Versions[i].Subjects {
				if s.SchemaID == id {
					return idRef{Topic: t, Version: list.Versions[i].Version}, nil
				}
			}
		}
	}
	return idRef{}, registry.Errorf(registry.ENOTFOUND, "schema %d is not the value or key schema of any topic version (an imported file only?)", id)
}

// topicOfSubject returns the topic of a topic's subject: <topic>-value,
// <topic>-key or <topic>-<message>; message names have no hyphen. Import
// paths (common/v1/money.proto) have no topic.
func topicOfSubject(subject string) (string, bool) {
	if strings.Contains(subject, "/") || strings.HasSuffix(subject, ".proto") {
		return "", false
	}
	i := strings.LastIndexByte(subject, '-')
	if i <= 0 {
		return "", false
	}
	return subject[:i], true
}

// latestName is the version path segment, and cache file name, of the
// latest version.
const latestName = "latest"

func topicPath(topic, version string) string {
	return "/v1/topics/" + url.PathEscape(topic) + "/versions/" + version
}

// get fetches path from the registry. Errors carry codes: ENOTFOUND for
// 404, EUNAVAILABLE when the registry cannot be reached or answers 5xx or
// 429 (what the cache stands in for), EUNAUTHORIZED, EFORBIDDEN, EINVALID
// for other 4xx.
func (c *Client) get(ctx context.Context, path, accept string) ([]byte, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, registry.Errorf(registry.EINVALID, "GET %s: %v", path, err)
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", "backbone-client")
	if c.auth != nil {
		c.auth(req)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.Canceled) {
			return nil, fmt.Errorf("GET %s: %w", path, ctx.Err())
		}
		return nil, registry.Errorf(registry.EUNAVAILABLE, "registry %s unreachable: %v", c.base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	switch {
	case err != nil:
		return nil, registry.Errorf(registry.EUNAVAILABLE, "registry %s: read %s: %v", c.base, path, err)
	case len(body) > maxResponse:
		return nil, registry.Errorf(registry.EINTERNAL, "registry %s: %s: response larger than %d bytes", c.base, path, maxResponse)
	case resp.StatusCode == http.StatusOK:
		if mt, _, _ := strings.Cut(resp.Header.Get("Content-Type"), ";"); accept == "application/x-protobuf" && strings.TrimSpace(mt) != accept {
			return nil, registry.Errorf(registry.EINTERNAL, "registry %s: %s: answered %q, not a FileDescriptorSet", c.base, path, mt)
		}
		return body, nil
	}
	msg := fmt.Sprintf("registry %s: GET %s: %s", c.base, path, resp.Status)
	if detail := errorMessage(body); detail != "" {
		msg += ": " + detail
	}
	code := registry.EINVALID
	switch {
	case resp.StatusCode == http.StatusNotFound:
		code = registry.ENOTFOUND
	case resp.StatusCode == http.StatusUnauthorized:
		code = registry.EUNAUTHORIZED
	case resp.StatusCode == http.StatusForbidden:
		code = registry.EFORBIDDEN
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		code = registry.EUNAVAILABLE
	}
	return nil, &registry.Error{Code: code, Message: msg}
}

// errorMessage returns the message of an error body in either API's
// format: Confluent's {"message"} or problem+json's {"detail", "title"}.
func errorMessage(body []byte) string {
	var e struct {
		Message string `json:"message"`
		Detail  string `json:"detail"`
		Title   string `json:"title"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	msg := cmp.Or(e.Message, e.Detail, e.Title)
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return msg
}

// versionDetail is GET /v1/topics/{topic}/versions/{version} as JSON.
type versionDetail struct {
	registry.TopicVersion
	Schemas []registry.Schema `json:"schemas"`
}

// schema builds the Schema of a fetched (or cached) topic version.
func (e *cacheEntry) schema() (*Schema, error) {
	var d versionDetail
	if err := json.Unmarshal(e.Detail, &d); err != nil {
		return nil, registry.Errorf(registry.EINTERNAL, "%s version %d: unreadable version detail: %v", e.Topic, e.Version, err)
	}
	if d.Topic != e.Topic || d.Version != e.Version {
		return nil, registry.Errorf(registry.EINTERNAL, "%s version %d: the registry answered %s version %d", e.Topic, e.Version, d.Topic, d.Version)
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(e.Descriptors, &set); err != nil {
		return nil, registry.Errorf(registry.EINTERNAL, "%s version %d: unreadable FileDescriptorSet: %v", e.Topic, e.Version, err)
	}
	files, err := protodesc.NewFiles(&set)
	if err != nil {
		return nil, registry.Errorf(registry.EINTERNAL, "%s version %d: build descriptors: %v", e.Topic, e.Version, err)
	}
	s := &Schema{
		Topic: d.Topic, Version: d.Version, Commit: d.Commit, KeyType: d.Key,
		Texts: map[string]string{}, Files: files, FetchedAt: e.FetchedAt, types: dynamicpb.NewTypes(files), entry: e,
	}
	byID := map[int64]registry.Schema{}
	for _, sc := range d.Schemas {
		byID[sc.ID] = sc
		s.Texts[sc.Path] = sc.Text
	}
	for _, sub := range d.Subjects {
		s.Subjects = append(s.Subjects, Subject{Name: sub.Subject, Version: sub.Version, ID: sub.SchemaID, Message: sub.Message, Path: byID[sub.SchemaID].Path})
		if sub.Message == "" {
			continue
		}
		md, err := s.Message(sub.Message)
		if err != nil {
			return nil, registry.Errorf(registry.EINTERNAL, "%s version %d: subject %s: %v", e.Topic, e.Version, sub.Subject, err)
		}
		if sub.Subject == d.Topic+"-key" {
			s.Key = md
			continue
		}
		s.Values = append(s.Values, md)
		if sub.Subject == d.Topic+"-value" {
			s.Value, s.ID, s.File = md, sub.SchemaID, md.ParentFile()
		}
	}
	return s, nil
}
