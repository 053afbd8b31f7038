// Package api serves Backbone over HTTP with huma: the native API under
// /v1, health probes and the OpenAPI document. It reads the catalog through
// a small Source interface and never touches a store or Git itself.
package api

import (
	"io"
	"log/slog"
	"maps"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/compat"
)

// Source hands out the catalog snapshot being served. Catalog returns nil
// until a first snapshot is loaded. Implementations swap snapshots
// atomically, so a request sees one consistent catalog.
type Source interface {
	Catalog() *catalog.Catalog
}

// WebUI is the catalog UI (package web) as the API mounts it.
type WebUI interface {
	http.Handler
	Patterns() []string // the http.ServeMux patterns of its pages
}

// Config configures the HTTP handler.
type Config struct {
	Version       string       // shown in the OpenAPI document
	Logger        *slog.Logger // nil: discard
	Syncer        Syncer       // nil when serving a plain directory
	WebhookSecret string       // empty: webhooks are refused
	Branch        string       // the followed branch, to ignore pushes to others
	Metrics       *Metrics     // nil: /metrics answers 404
	Auth          *Auth        // nil: anonymous read, no admin
	MaxBodyBytes  int64        // request body limit; 0: DefaultMaxBody
	Check         Checker      // POST /v1/check; nil: it answers 501 (cmd/registry passes lint.Checker)
	Compiles      *CompileGate // bounds compilations across routes; nil: NewCompileGate(0, 0)
	// Limits are the command line's (--max-file-size…): a candidate of
	// POST /v1/check is held to them over its registry.yaml's limits:, as
	// the sync would hold it. Zero fields: unset.
	Limits compat.Limits
	// Web, if set, is the catalog UI: it serves GET / to browsers and its
	// own pages; every other path stays the API's.
	Web WebUI
}

// DefaultMaxBody bounds request bodies: large enough for a schema with its
// references in a Confluent lookup, small enough to refuse abuse.
const DefaultMaxBody = 4 << 20

// New returns the HTTP handler serving every route for src.
func New(src Source, cfg Config) http.Handler {
	mux := http.NewServeMux()
	api := humago.New(mux, HumaConfig(cfg.Version))
	Register(api, src, cfg)
	docs := docsHandler()
	mux.Handle("GET /docs", docs)
	mux.Handle("GET /docs/assets/", docs)
	var webUI http.Handler
	if cfg.Web != nil {
		webUI = cfg.Web
		for _, p := range cfg.Web.Patterns() {
			if p != "GET /{$}" { // / is shared: rootHandler picks by Accept
				mux.Handle(p, cfg.Web)
			}
		}
	}
	mux.HandleFunc("GET /{$}", rootHandler(webUI))
	if webUI != nil {
		// Other GETs that no route takes: a browser gets the catalog's 404
		// page, anything else the router's plain 404 as before. (GET only,
		// so other methods still get the router's 405.)
		mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
			if fromBrowser(r) && !strings.HasPrefix(r.URL.Path, "/v1/") {
				webUI.ServeHTTP(w, r)
				return
			}
			http.NotFound(w, r)
		})
	}
	if cfg.Metrics != nil {
		mux.Handle("GET /metrics", cfg.Metrics.Handler())
	}
	max := cfg.MaxBodyBytes
	if max <= 0 {
		max = DefaultMaxBody
	}
	auth := cfg.Auth
	if auth == nil {
		auth, _ = NewAuth(nil, true, cfg.logger())
	}
	// The hot Confluent reads are served ahead of the router (hotpath.go).
	return recoverPanics(cfg.logger(), LimitBody(max, auth.Middleware(cleanAccept(newHotPath(src, api, mux)))))
}

func (c Config) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

// HumaConfig is the huma configuration of Backbone's API: its OpenAPI
// description, and JSON schemas out of the root paths the Confluent API uses.
func HumaConfig(version string) huma.Config {
	cfg := huma.DefaultConfig("Backbone schema registry", version)
	cfg.Info.Description = "Git-native schema registry and contract governance for event-driven systems. " +
		"The catalog is a projection of a Git repository of Protobuf schemas and service.yaml files; this API only reads it."
	cfg.OpenAPIPath = "/openapi"
	cfg.DocsPath = "" // served by docsHandler from vendored assets, not a CDN
	cfg.SchemasPath = "/openapi/schemas"
	cfg.CreateHooks = nil                 // no $schema links in bodies: responses stay plain JSON
	cfg.Formats = maps.Clone(cfg.Formats) // huma's defaults are a shared package map
	cfg.Formats["application/x-protobuf"] = protobufFormat
	return cfg
}

// Register adds every operation to api. The OpenAPI document is complete
// after Register, so `registry openapi` calls it without a Source.
func Register(api huma.API, src Source, cfg Config) {
	h := &handlers{src: src, cfg: cfg, log: cfg.logger(), syncer: cfg.Syncer, compiles: cfg.Compiles}
	if h.compiles == nil {
		h.compiles = NewCompileGate(0, 0)
	}
	h.registerHealth(api)
	h.registerTopics(api)
	h.registerSearch(api)
	h.registerVersions(api)
	h.registerDiff(api)
	h.registerCheck(api)
	h.registerServices(api)
	h.registerGraph(api)
	h.registerRules(api)
	h.registerStatus(api)
	h.registerHooks(api)
	h.registerConfluent(api)
}

type handlers struct {
	src    Source
	cfg    Config
	log    *slog.Logger
	syncer Syncer
	// compiles bounds the compilations of every route that compiles.
	compiles *CompileGate
}

// catalog returns the snapshot being served, or a 503 problem when there is
// none yet.
func (h *handlers) catalog() (*catalog.Catalog, error) {
	c := h.src.Catalog()
	if c == nil {
		return nil, huma.Error503ServiceUnavailable("no schema snapshot loaded yet")
	}
	return c, nil
}

// fromBrowser reports whether a request comes from a browser, which asks
// for HTML; API clients and Kafka serializers never do.
func fromBrowser(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// rootHandler serves GET /: browsers (text/html in Accept) get the catalog
// UI; Confluent clients, which probe / with their media types, and other
// programs get an empty object. Without a UI, people are sent to the API
// docs.
func rootHandler(webUI http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		switch {
		case webUI != nil && fromBrowser(r):
			webUI.ServeHTTP(w, r)
		case strings.Contains(r.Header.Get("Accept"), "schemaregistry") || webUI != nil:
			w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
			_, _ = w.Write([]byte("{}"))
		default:
			http.Redirect(w, r, "/docs", http.StatusFound)
		}
	}
}

// protobufFormat serves bodies that have a protobuf form (a version's
// FileDescriptorSet) when the client asks for application/x-protobuf.
var protobufFormat = huma.Format{
	Marshal: func(w io.Writer, v any) error {
		p, ok := v.(interface{ DescriptorSet() ([]byte, error) })
		if !ok {
			return huma.Error406NotAcceptable("only topic versions are served as application/x-protobuf")
		}
		b, err := p.DescriptorSet()
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	},
	Unmarshal: func([]byte, any) error {
		return huma.Error415UnsupportedMediaType("application/x-protobuf bodies are not accepted")
	},
}
