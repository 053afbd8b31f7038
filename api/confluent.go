package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/danielgtaylor/huma/v2"

	registry "github.com/backbone-registry/backbone"
)

// The Confluent Schema Registry REST API, read-only, at its usual root
// paths, so that Confluent's serializers, franz-go's sr and other clients
// work unchanged. Git is the source of truth: the mode is READONLY, a
// registration of content that already exists under the subject returns its
// ID (serializers with auto.register.schemas=true keep working), and every
// other write is refused with 42205.
//
// Every operation is a huma operation, so the OpenAPI document describes
// them, but none lets huma validate or decode anything it could refuse with
// a problem+json body that Confluent clients cannot read: path and query
// parameters are strings checked here, request bodies are read raw and
// decoded here, and errors are *ConfluentError, whose body is Confluent's
// {"error_code", "message"}.

// Confluent's media types, most preferred first. Responses use the one the
// client prefers, v1 when it names none of them.
const (
	mediaSchemaRegistryV1 = "application/vnd.schemaregistry.v1+json"
	mediaSchemaRegistry   = "application/vnd.schemaregistry+json"
	mediaJSON             = "application/json"
)

var confluentMediaTypes = []string{mediaSchemaRegistryV1, mediaSchemaRegistry, mediaJSON}

// Confluent error codes. The HTTP status is the code's first three digits
// (see ConfluentError.GetStatus).
const (
	codeSubjectNotFound       = 40401
	codeVersionNotFound       = 40402
	codeSchemaNotFound        = 40403
	codeSubjectConfigNotFound = 40408
	codeInvalidSchema         = 42201
	codeInvalidVersion        = 42202
	codeNotPermitted          = 42205
	codeTooManyRequests       = 42901 // Confluent's "request rate limit exceeded"
	codeInternal              = 50001
	// Generic HTTP errors carry the status as their code, as Confluent's
	// REST layer does (e.g. {"error_code":404,"message":"HTTP 404 Not Found"}).
	codeBadRequest  = http.StatusBadRequest
	codeNotFound    = http.StatusNotFound
	codeUnavailable = http.StatusServiceUnavailable
)

// maxSchemasPage bounds one page of GET /schemas (Confluent's
// schema.search.max.limit default).
const maxSchemasPage = 1000

// maxConfluentBody bounds posted schemas, whatever the per-file limit of
// the repository: a Confluent client posts one schema at a time, and JSON
// escaping makes it larger than the file.
const maxConfluentBody = 4 << 20

// latestCacheControl lets clients and proxies reuse a subject's latest
// version briefly: a new commit is served within seconds.
const latestCacheControl = "public, max-age=5"

// ConfluentError is an error as the Confluent API answers it. It implements
// huma.StatusError and huma.ContentTypeFilter, so huma writes it with the
// status its code implies and the client's media type.
type ConfluentError struct {
	Code    int    `json:"error_code" example:"40401" doc:"Confluent's error code: 40401 subject not found, 40402 version not found, 40403 schema not found, 40408 no subject-level config, 42201 invalid schema, 42202 invalid version, 42205 operation not permitted (Backbone is read-only), 42901 too many requests (every compilation slot taken: retry after Retry-After), 50001 internal error; other codes are HTTP statuses"`
	Message string `json:"message" example:"Subject 'acme.retail.orders.events-value' not found."`

	mediaType string
	headers   http.Header // e.g. Retry-After
}

// GetHeaders returns the headers to answer with (huma.HeadersError).
func (e *ConfluentError) GetHeaders() http.Header {
	if e.headers == nil {
		return http.Header{}
	}
	return e.headers
}

func confluentErrorf(code int, format string, args ...any) *ConfluentError {
	return &ConfluentError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Error returns the message.
func (e *ConfluentError) Error() string { return e.Message }

// GetStatus returns the HTTP status: the first three digits of a Confluent
// code (40401 → 404), or the code itself when it is an HTTP status.
func (e *ConfluentError) GetStatus() int {
	if e.Code >= 10000 {
		return e.Code / 100
	}
	return e.Code
}

// ContentType returns the media type the request asked for, whatever huma
// negotiated: huma only knows application/json.
func (e *ConfluentError) ContentType(string) string {
	if e.mediaType == "" {
		return mediaSchemaRegistryV1
	}
	return e.mediaType
}

// ConfluentReference is a schema reference: an import, served by the
// subject named after the import path.
type ConfluentReference struct {
	Name    string `json:"name" example:"common/v1/money.proto" doc:"The import path"`
	Subject string `json:"subject" example:"common/v1/money.proto" doc:"The subject serving the imported file: its import path"`
	Version int    `json:"version" example:"1"`
}

// ConfluentSubjectVersion is a schema as registered under a subject.
type ConfluentSubjectVersion struct {
	Subject    string               `json:"subject" example:"acme.retail.orders.events-value"`
	Version    int                  `json:"version" example:"1"`
	ID         int64                `json:"id" example:"1" doc:"Global schema ID, as Kafka records carry it"`
	SchemaType string               `json:"schemaType" example:"PROTOBUF"`
	Schema     string               `json:"schema" doc:"The .proto file as in Git"`
	References []ConfluentReference `json:"references,omitempty" doc:"Its imports, except the well-known google/protobuf types every client has built in"`
}

// ConfluentSchema is a schema by global ID.
type ConfluentSchema struct {
	SchemaType string               `json:"schemaType" example:"PROTOBUF"`
	Schema     string               `json:"schema" doc:"The .proto file as in Git"`
	References []ConfluentReference `json:"references,omitempty"`
	MaxID      int64                `json:"maxId,omitempty" doc:"The highest schema ID, with fetchMaxId=true"`
}

// ConfluentSchemaRequest is a schema posted to look it up, register it or
// check its compatibility.
type ConfluentSchemaRequest struct {
	Schema     string               `json:"schema" doc:"The .proto text; formatting and comments do not matter"`
	SchemaType string               `json:"schemaType,omitempty" example:"PROTOBUF" doc:"Must be PROTOBUF (Confluent's default, AVRO, is refused)"`
	References []ConfluentReference `json:"references,omitempty" doc:"Its imports, as subject versions of this registry; google/protobuf imports need none"`
	ID         int64                `json:"id,omitempty" doc:"Registration only: the ID the client expects"`
}

// ConfluentID is the ID a registration returns.
type ConfluentID struct {
	ID int64 `json:"id" example:"1"`
}

// ConfluentSubjectVersionRef names a version of a subject.
type ConfluentSubjectVersionRef struct {
	Subject string `json:"subject" example:"acme.retail.orders.events-value"`
	Version int    `json:"version" example:"1"`
}

// ConfluentCompatibility is the outcome of a compatibility check.
type ConfluentCompatibility struct {
	IsCompatible bool     `json:"is_compatible"`
	Messages     []string `json:"messages,omitempty" doc:"With verbose=true, why the schema is incompatible: rule, message and position of each finding"`
}

// ConfluentConfig is a compatibility configuration.
type ConfluentConfig struct {
	CompatibilityLevel registry.Compatibility `json:"compatibilityLevel" example:"BACKWARD_TRANSITIVE"`
}

// ConfluentMode is the registry's mode: always READONLY, Git is the source of truth.
type ConfluentMode struct {
	Mode string `json:"mode" example:"READONLY"`
}

// ConfluentRequest is what every Confluent operation reads from the headers.
type ConfluentRequest struct {
	Accept string `header:"Accept" doc:"application/vnd.schemaregistry.v1+json (the default), application/vnd.schemaregistry+json or application/json: the response's Content-Type"`
}

func (r *ConfluentRequest) accept() string { return r.Accept }

// ConfluentConditional is a request for a cacheable resource.
type ConfluentConditional struct {
	IfNoneMatch string `header:"If-None-Match" doc:"ETags the client holds; a match is answered 304 Not Modified"`
}

// ConfluentOutput is a Confluent response: a JSON body (or the raw .proto
// text when Body is []byte) with its caching headers.
type ConfluentOutput[T any] struct {
	Status       int
	ContentType  string `header:"Content-Type"`
	ETag         string `header:"ETag"`
	CacheControl string `header:"Cache-Control"`
	Vary         string `header:"Vary"`
	Body         T
}

// Inputs. Parameters are strings, validated by the handlers, so that a bad
// one is answered in Confluent's error format.

// ConfluentGlobalInput is a request without parameters.
type ConfluentGlobalInput struct {
	ConfluentRequest
}

// ConfluentSchemaInput names a schema by global ID.
type ConfluentSchemaInput struct {
	ConfluentRequest
	ConfluentConditional
	ID         string `path:"id" doc:"Global schema ID" example:"1"`
	FetchMaxID string `query:"fetchMaxId" doc:"true: also return the highest schema ID (the response is then not cached)"`
	Subject    string `query:"subject" doc:"Accepted and ignored: IDs are global"`
	Format     string `query:"format" doc:"Accepted and ignored: the schema is always the .proto text"`
}

// ConfluentSchemaUsageInput names a schema by global ID, to list where it is used.
type ConfluentSchemaUsageInput struct {
	ConfluentRequest
	ID      string `path:"id" doc:"Global schema ID" example:"1"`
	Subject string `query:"subject" doc:"Only this subject"`
	Deleted string `query:"deleted" doc:"Accepted and ignored: nothing is ever deleted"`
}

// ConfluentListSubjectsInput filters the subject list.
type ConfluentListSubjectsInput struct {
	ConfluentRequest
	SubjectPrefix string `query:"subjectPrefix" doc:"Only subjects starting with this"`
	Deleted       string `query:"deleted" doc:"Accepted and ignored: nothing is ever deleted"`
	DeletedOnly   string `query:"deletedOnly" doc:"true: only deleted subjects, so none"`
	Offset        string `query:"offset" doc:"Subjects to skip"`
	Limit         string `query:"limit" doc:"At most this many subjects; -1 or absent: all"`
}

// ConfluentListSchemasInput filters and pages the schema list.
type ConfluentListSchemasInput struct {
	ConfluentRequest
	SubjectPrefix string `query:"subjectPrefix" doc:"Only subjects starting with this"`
	LatestOnly    string `query:"latestOnly" doc:"true: only the latest version of each subject"`
	Deleted       string `query:"deleted" doc:"Accepted and ignored: nothing is ever deleted"`
	Offset        string `query:"offset" doc:"Subject versions to skip"`
	Limit         string `query:"limit" doc:"At most this many subject versions (at most 1000, the default)"`
}

// ConfluentSubjectInput names a subject.
type ConfluentSubjectInput struct {
	ConfluentRequest
	Subject     string `path:"subject" doc:"Subject: <topic>-value, <topic>-key, <topic>-<message> or an import path" example:"acme.retail.orders.events-value"`
	Deleted     string `query:"deleted" doc:"Accepted and ignored: nothing is ever deleted"`
	DeletedOnly string `query:"deletedOnly" doc:"true: only deleted versions, so none"`
}

// ConfluentVersionInput names a version of a subject.
type ConfluentVersionInput struct {
	ConfluentRequest
	ConfluentConditional
	Subject string `path:"subject" doc:"Subject: <topic>-value, <topic>-key, <topic>-<message> or an import path" example:"acme.retail.orders.events-value"`
	Version string `path:"version" doc:"A version number, latest or -1" example:"latest"`
	Deleted string `query:"deleted" doc:"Accepted and ignored: nothing is ever deleted"`
}

// ConfluentPostInput is a schema posted under a subject.
type ConfluentPostInput struct {
	ConfluentRequest
	Subject   string `path:"subject" doc:"Subject: <topic>-value, <topic>-key, <topic>-<message> or an import path" example:"acme.retail.orders.events-value"`
	Normalize string `query:"normalize" doc:"Accepted: schemas are always compared by their compiled content, so formatting, comments and option order never matter"`
	Deleted   string `query:"deleted" doc:"Accepted and ignored: nothing is ever deleted"`
	RawBody   []byte
}

// ConfluentCheckInput is a schema to check against a subject's versions.
type ConfluentCheckInput struct {
	ConfluentRequest
	Subject   string `path:"subject" doc:"Subject: <topic>-value, <topic>-key, <topic>-<message> or an import path" example:"acme.retail.orders.events-value"`
	Verbose   string `query:"verbose" doc:"true: say why the schema is incompatible"`
	Normalize string `query:"normalize" doc:"Accepted: schemas are always compared by their compiled content"`
	RawBody   []byte
}

// ConfluentCheckVersionInput is a schema to check against one version.
type ConfluentCheckVersionInput struct {
	ConfluentCheckInput
	Version string `path:"version" doc:"A version number, latest or -1" example:"latest"`
}

// ConfluentConfigInput names a subject's configuration.
type ConfluentConfigInput struct {
	ConfluentRequest
	Subject         string `path:"subject" doc:"Subject" example:"acme.retail.orders.events-value"`
	DefaultToGlobal string `query:"defaultToGlobal" doc:"true: a subject without a topic (an import) answers the repository default instead of 40408"`
}

// ConfluentModeInput names a subject's mode.
type ConfluentModeInput struct {
	ConfluentRequest
	Subject         string `path:"subject" doc:"Subject" example:"acme.retail.orders.events-value"`
	DefaultToGlobal string `query:"defaultToGlobal" doc:"Accepted: the mode is the same everywhere"`
}

// ConfluentWriteInput is a refused write to a global resource.
type ConfluentWriteInput struct {
	ConfluentRequest
}

// ConfluentSubjectWriteInput is a refused write to a subject.
type ConfluentSubjectWriteInput struct {
	ConfluentRequest
	Subject string `path:"subject" doc:"Subject"`
}

// ConfluentVersionWriteInput is a refused write to a subject version.
type ConfluentVersionWriteInput struct {
	ConfluentRequest
	Subject string `path:"subject" doc:"Subject"`
	Version string `path:"version" doc:"Version"`
}

// confluent serves the Confluent API from the served snapshot.
type confluent struct {
	*handlers
	index     atomic.Pointer[confluentIndex] // of the last history asked for
	digests   sync.Map                       // content hash → canonicalDigest of the stored closure; contents never change
	routes    map[string]bool                // "METHOD /path" registered, for the fallbacks
	errSchema *huma.Schema
}

// registerConfluent adds the Confluent API at the root paths.
func (h *handlers) registerConfluent(api huma.API) {
	c := &confluent{handlers: h, routes: map[string]bool{}}
	c.errSchema = api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[ConfluentError](), true, "ConfluentError")

	confluentGet(c, api, "confluent-schema-types", "/schemas/types", "List schema types",
		"Backbone serves Protobuf only.", false, c.schemaTypes)
	confluentGet(c, api, "confluent-list-schemas", "/schemas", "List schemas",
		"Every version of every subject, by subject then version, a page at a time (offset, limit: at most 1000 per page).", false, c.listSchemas)
	confluentGet(c, api, "confluent-get-schema", "/schemas/ids/{id}", "Get a schema by ID",
		"The schema a Kafka record's ID names, with its references. Immutable: cached for a year, with an ETag.", true, c.getSchema)
	confluentGet(c, api, "confluent-get-schema-text", "/schemas/ids/{id}/schema", "Get a schema's text by ID",
		"The .proto text alone, raw, as Confluent serves it. Immutable: cached for a year, with an ETag.", true, c.getSchemaText)
	confluentGet(c, api, "confluent-schema-subjects", "/schemas/ids/{id}/subjects", "List the subjects of a schema",
		"The subjects that have this schema in one of their versions: the same content under two subjects has one ID.", false, c.schemaSubjects)
	confluentGet(c, api, "confluent-schema-versions", "/schemas/ids/{id}/versions", "List the subject versions of a schema",
		"Every subject version that has this schema.", false, c.schemaVersions)
	confluentGet(c, api, "confluent-list-subjects", "/subjects", "List subjects",
		"Every subject, sorted: <topic>-value, <topic>-key, <topic>-<message> for topics carrying several value types, and the import path of every imported file.", false, c.listSubjects)
	confluentGet(c, api, "confluent-list-subject-versions", "/subjects/{subject}/versions", "List a subject's versions",
		"The subject's version numbers, ascending.", false, c.listSubjectVersions)
	confluentGet(c, api, "confluent-get-subject-version", "/subjects/{subject}/versions/{version}", "Get a subject version",
		"A version of the subject with its schema and references; latest (or -1) is the highest version. A numbered version is immutable and cached for a year; latest is cached for 5 seconds. Both have ETags.", true, c.getSubjectVersion)
	confluentGet(c, api, "confluent-get-subject-version-text", "/subjects/{subject}/versions/{version}/schema", "Get a subject version's text",
		"The .proto text alone, raw, as Confluent serves it.", true, c.getSubjectVersionText)
	confluentGet(c, api, "confluent-referenced-by", "/subjects/{subject}/versions/{version}/referencedby", "List the schemas referencing a subject version",
		"The IDs of the schemas that import this subject version.", false, c.referencedBy)
	confluentPost(c, api, "confluent-lookup-schema", "/subjects/{subject}", "Look a schema up under a subject",
		"Answers the subject version whose schema is the posted one, compared by compiled content (formatting and comments do not matter), with the references resolved from this registry; 40403 if none.", c.lookupSchema)
	confluentPost(c, api, "confluent-register-schema", "/subjects/{subject}/versions", "Register a schema",
		"Schemas are managed in Git, so nothing is registered here: content already registered under the subject returns its ID (serializers with auto.register.schemas=true keep working); anything else is refused with 42205, naming the schema repository.", c.registerSchema)
	confluentPost(c, api, "confluent-check-compatibility", "/compatibility/subjects/{subject}/versions", "Check compatibility with a subject's versions",
		"Checks the posted schema against the subject's versions under its topic's compatibility mode and level (transitive modes: every version; others: the latest). For an import path, every topic whose latest version imports the file is checked with the file replaced. verbose=true says why.", c.checkCompatibility)
	confluentPost(c, api, "confluent-check-compatibility-version", "/compatibility/subjects/{subject}/versions/{version}", "Check compatibility with a subject version",
		"Checks the posted schema against one version of the subject (latest or -1: the highest), in the direction of its topic's compatibility mode. For an import path, the version is ignored and every topic importing the file is checked. verbose=true says why.", c.checkCompatibilityVersion)
	confluentGet(c, api, "confluent-get-config", "/config", "Get the default compatibility",
		"The repository default from registry.yaml.", false, c.getConfig)
	confluentGet(c, api, "confluent-get-subject-config", "/config/{subject}", "Get a subject's compatibility",
		"The compatibility mode of the subject's topic (registry.yaml default or the topic's override). An import path has no topic: 40408, or the default with defaultToGlobal=true.", false, c.getSubjectConfig)
	confluentGet(c, api, "confluent-get-mode", "/mode", "Get the mode",
		"Always READONLY: schemas are managed in Git.", false, c.getMode)
	confluentGet(c, api, "confluent-get-subject-mode", "/mode/{subject}", "Get a subject's mode",
		"Always READONLY: schemas are managed in Git.", false, c.getSubjectMode)
	confluentGet(c, api, "confluent-list-contexts", "/contexts", "List contexts",
		"Only the default context.", false, c.listContexts)

	for _, w := range []struct{ method, path, summary string }{
		{http.MethodPut, "/config", "Set the default compatibility"},
		{http.MethodDelete, "/config", "Reset the default compatibility"},
		{http.MethodPut, "/mode", "Set the mode"},
		{http.MethodDelete, "/mode", "Reset the mode"},
	} {
		confluentRefuse[ConfluentWriteInput](c, api, w.method, w.path, w.summary)
	}
	for _, w := range []struct{ method, path, summary string }{
		{http.MethodPut, "/config/{subject}", "Set a subject's compatibility"},
		{http.MethodDelete, "/config/{subject}", "Reset a subject's compatibility"},
		{http.MethodPut, "/mode/{subject}", "Set a subject's mode"},
		{http.MethodDelete, "/mode/{subject}", "Reset a subject's mode"},
		{http.MethodDelete, "/subjects/{subject}", "Delete a subject"},
	} {
		confluentRefuse[ConfluentSubjectWriteInput](c, api, w.method, w.path, w.summary)
	}
	confluentRefuse[ConfluentVersionWriteInput](c, api, http.MethodDelete, "/subjects/{subject}/versions/{version}", "Delete a subject version")

	c.registerFallbacks(api)
}

// accepter is every Confluent input (it embeds ConfluentRequest).
type accepter interface{ accept() string }

// confluentGet registers a read. cacheable operations answer 304 to a
// matching If-None-Match.
func confluentGet[I, T any](c *confluent, api huma.API, id, path, summary, description string, cacheable bool,
	fn func(context.Context, *I) (*ConfluentOutput[T], error)) {
	op := c.operation(api, http.MethodGet, path, id, summary, description, reflect.TypeFor[T]())
	if cacheable {
		op.Responses["304"] = &huma.Response{Description: "Not Modified: the client's copy (If-None-Match) is current"}
	}
	confluentRegister(c, api, op, fn)
}

// confluentPost registers an operation with a posted schema. huma reads the
// body raw (RawBody) and validates nothing (SkipValidateBody). For a raw
// body huma.Register also documents an application/octet-stream body and
// marks it required, which would answer an empty body with problem+json:
// both are undone on the request body it shares with the handler, after
// registration, so the document shows the JSON schema and the handler
// refuses an empty body in Confluent's format.
func confluentPost[I, T any](c *confluent, api huma.API, id, path, summary, description string,
	fn func(context.Context, *I) (*ConfluentOutput[T], error)) {
	op := c.operation(api, http.MethodPost, path, id, summary, description, reflect.TypeFor[T]())
	req := api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[ConfluentSchemaRequest](), true, "ConfluentSchemaRequest")
	body := &huma.RequestBody{Description: "The schema, with its references", Content: map[string]*huma.MediaType{}}
	for _, mt := range confluentMediaTypes {
		body.Content[mt] = &huma.MediaType{Schema: req}
	}
	op.RequestBody = body
	op.SkipValidateBody = true
	op.MaxBodyBytes = maxConfluentBody
	confluentRegister(c, api, op, fn)
	body.Required = false
	delete(body.Content, "application/octet-stream")
}

// operation returns a Confluent operation documenting its success body in
// every Confluent media type and its errors in Confluent's format.
func (c *confluent) operation(api huma.API, method, path, id, summary, description string, body reflect.Type) huma.Operation {
	c.routes[method+" "+path] = true
	var schema *huma.Schema
	if body == reflect.TypeFor[[]byte]() {
		schema = &huma.Schema{Type: "string", Description: "The .proto text, raw (not a JSON string), with the Content-Type Confluent uses"}
	} else {
		schema = api.OpenAPI().Components.Schemas.Schema(body, true, strings.ReplaceAll(id, "-", "")+"Response")
	}
	ok := &huma.Response{Description: "OK", Content: map[string]*huma.MediaType{}}
	for _, mt := range confluentMediaTypes {
		ok.Content[mt] = &huma.MediaType{Schema: schema}
	}
	return huma.Operation{
		OperationID: id, Method: method, Path: path, Tags: []string{"Confluent"},
		Summary: summary, Description: description,
		Responses: map[string]*huma.Response{"200": ok, "default": c.errorResponse()},
	}
}

func (c *confluent) errorResponse() *huma.Response {
	r := &huma.Response{Description: "A Confluent error: {error_code, message}", Content: map[string]*huma.MediaType{}}
	for _, mt := range confluentMediaTypes {
		r.Content[mt] = &huma.MediaType{Schema: c.errSchema}
	}
	return r
}

// confluentRegister registers fn, answering in the media type the request
// asked for and turning every error into a *ConfluentError.
func confluentRegister[I, T any](c *confluent, api huma.API, op huma.Operation, fn func(context.Context, *I) (*ConfluentOutput[T], error)) {
	huma.Register(api, op, func(ctx context.Context, in *I) (*ConfluentOutput[T], error) {
		mt := confluentMediaType(any(in).(accepter).accept())
		out, err := fn(ctx, in)
		if err != nil {
			return nil, c.fail(err, mt)
		}
		if out.Status == 0 {
			out.Status = http.StatusOK
		}
		out.ContentType, out.Vary = mt, "Accept"
		return out, nil
	})
}

// confluentRefuse registers a write that is always refused with 42205.
func confluentRefuse[I any](c *confluent, api huma.API, method, path, summary string) {
	c.routes[method+" "+path] = true
	id := "confluent-" + strings.ToLower(method) + strings.NewReplacer("/", "-", "{", "", "}", "").Replace(path)
	huma.Register(api, huma.Operation{
		OperationID: id, Method: method, Path: path, Tags: []string{"Confluent"},
		Summary:       summary + " (refused)",
		Description:   "Backbone is read-only: schemas and their compatibility are managed in Git. Always answers 42205, naming the schema repository.",
		DefaultStatus: http.StatusUnprocessableEntity,
		Responses:     map[string]*huma.Response{"422": c.errorResponse(), "default": c.errorResponse()},
	}, func(_ context.Context, in *I) (*struct{}, error) {
		return nil, c.fail(c.readOnly(method+" "+path+" is not permitted"), confluentMediaType(any(in).(accepter).accept()))
	})
}

// confluentRoots are the paths under which the Confluent API answers.
var confluentRoots = []string{"/subjects", "/schemas", "/config", "/mode", "/compatibility", "/contexts"}

// isConfluentPath reports whether p is under a Confluent root.
func isConfluentPath(p string) bool {
	for _, root := range confluentRoots {
		if p == root || strings.HasPrefix(p, root+"/") {
			return true
		}
	}
	return false
}

// registerFallbacks answers every other request under the Confluent roots
// in Confluent's format: reads 404, writes 42205. They go straight to the
// router (undocumented): they are catch-alls, not operations.
func (c *confluent) registerFallbacks(api huma.API) {
	methods := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch}
	for _, root := range confluentRoots {
		for _, path := range []string{root, root + "/"} {
			for _, method := range methods {
				if c.routes[method+" "+path] {
					continue
				}
				api.Adapter().Handle(&huma.Operation{Method: method, Path: path}, c.fallback)
			}
		}
	}
}

func (c *confluent) fallback(ctx huma.Context) {
	e := confluentErrorf(codeNotFound, "HTTP 404 Not Found")
	if ctx.Method() != http.MethodGet && ctx.Method() != http.MethodHead {
		e = c.readOnly(ctx.Method() + " " + ctx.URL().Path + " is not permitted")
	}
	ctx.SetHeader("Content-Type", confluentMediaType(ctx.Header("Accept")))
	ctx.SetStatus(e.GetStatus())
	_ = json.NewEncoder(ctx.BodyWriter()).Encode(e)
}

// fail turns err into the *ConfluentError answered in media type mt.
// Internal errors are logged here, once, and answered without details.
func (c *confluent) fail(err error, mt string) error {
	var ce *ConfluentError
	if !errors.As(err, &ce) {
		c.log.Error("internal error", slog.Any("error", err))
		ce = confluentErrorf(codeInternal, "internal error")
	} else if ce.Code == codeInternal {
		c.log.Error("internal error", slog.String("error", ce.Message))
		ce = confluentErrorf(codeInternal, "internal error")
	}
	cp := *ce
	cp.mediaType = mt
	return &cp
}

// confluentMediaType returns the Confluent media type an Accept header
// prefers (ties go to the most specific), v1 when it names none.
func confluentMediaType(accept string) string {
	best, bestQ := mediaSchemaRegistryV1, 0.0
	bestRank := len(confluentMediaTypes)
	for part := range strings.SplitSeq(accept, ",") {
		name, params, _ := strings.Cut(part, ";")
		rank := slices.Index(confluentMediaTypes, strings.ToLower(strings.TrimSpace(name)))
		if rank < 0 {
			continue
		}
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.TrimSpace(k) == "q" {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		if q > bestQ || (q == bestQ && q > 0 && rank < bestRank) {
			best, bestQ, bestRank = confluentMediaTypes[rank], q, rank
		}
	}
	return best
}

// view returns what one request reads: the served catalog and its history.
func (c *confluent) view() (confluentView, error) {
	cat := c.src.Catalog()
	if cat == nil {
		return confluentView{}, confluentErrorf(codeUnavailable, "no schema snapshot loaded yet")
	}
	return confluentView{cat: cat, hist: cat.History(), gate: c.compiles}, nil
}

// readOnly is the refusal of a write: it names the schema repository.
func (c *confluent) readOnly(what string) *ConfluentError {
	where := "the schema repository"
	if cat := c.src.Catalog(); cat != nil && cat.History() != nil && cat.History().State().Source != "" {
		where = cat.History().State().Source
	}
	return confluentErrorf(codeNotPermitted, "%s: schemas are managed in Git: open a pull request in %s", what, where)
}
