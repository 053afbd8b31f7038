// Package web serves the catalog UI: server-rendered HTML pages for
// people looking for events, their owners, producers and consumers, and
// how their contracts evolved. Templates, styles and the one small script
// are embedded, so the pages make no request outside the registry and
// need no front-end build. Every page works without JavaScript.
//
// The package reads the catalog through the same Source the API uses and
// never touches a store or Git.
package web

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/catalog"
)

// Source hands out the catalog snapshot being served; nil until the first
// snapshot is loaded.
type Source interface {
	Catalog() *catalog.Catalog
}

// Syncer reports how the sync is doing; nil when serving a plain directory.
type Syncer interface {
	Status() catalog.SyncStatus
}

// Config configures the catalog UI.
type Config struct {
	Syncer  Syncer       // nil: no sync section on the status page
	Logger  *slog.Logger // nil: discard
	Version string       // shown in the footer
	// Compiles takes a compilation slot for the pages that compile stored
	// versions (the diff page), returning the function that gives it back;
	// the server passes its api.CompileGate's Enter so that pages and API
	// routes share one bound. An error refuses the page with 429. nil: no
	// bound.
	Compiles func(ctx context.Context) (release func(), err error)
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Handler serves the catalog UI.
type Handler struct {
	src      Source
	cfg      Config
	log      *slog.Logger
	pages    map[string]*template.Template
	mux      *http.ServeMux
	patterns []string
}

// New returns the handler serving every page of the catalog UI: /,
// /search, /topics…, /services…, /graph, /status and /static/…; on its
// own, it answers a 404 page for other paths.
func New(src Source, cfg Config) *Handler {
	h := &Handler{src: src, cfg: cfg, log: cfg.Logger, pages: parsePages(), mux: http.NewServeMux()}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	static, _ := fs.Sub(staticFS, "static")
	h.handle("GET /static/", cacheStatic(h.staticFiles(static)))
	h.handle("GET /{$}", http.HandlerFunc(h.home))
	h.handle("GET /search", http.HandlerFunc(h.search))
	h.handle("GET /topics", http.HandlerFunc(h.topics))
	h.handle("GET /topics/{topic}", http.HandlerFunc(h.topic))
	h.handle("GET /topics/{topic}/diff", http.HandlerFunc(h.diff))
	h.handle("GET /services", http.HandlerFunc(h.services))
	h.handle("GET /services/{service}", http.HandlerFunc(h.service))
	h.handle("GET /graph", http.HandlerFunc(h.graph))
	h.handle("GET /graph.svg", http.HandlerFunc(h.graphSVG))
	h.handle("GET /status", http.HandlerFunc(h.status))
	// Not a route of Patterns: served when the handler is used on its own.
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, registry.Errorf(registry.ENOTFOUND, "no page at %s", r.URL.Path))
	})
	return h
}

func (h *Handler) handle(pattern string, handler http.Handler) {
	h.mux.Handle(pattern, handler)
	h.patterns = append(h.patterns, pattern)
}

// Patterns are the http.ServeMux patterns of the pages, for a router that
// mounts the UI beside other routes (api.Config.Web): it routes these to
// the handler and keeps answering every other path itself.
func (h *Handler) Patterns() []string { return slices.Clone(h.patterns) }

// ServeHTTP serves a page.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "same-origin")
	// Nothing is loaded from elsewhere; inline styles are the SVG graph's.
	w.Header().Set("Content-Security-Policy",
		"default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.mux.ServeHTTP(w, r)
}

// cacheStatic lets browsers keep styles and scripts for an hour: they
// change only with a new release.
func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// staticFiles serves the files of fsys under /static/, and the catalog's
// 404 page for anything else: no directory listings (http.FileServer
// lists directories, /static/ included), no redirects.
func (h *Handler) staticFiles(fsys fs.FS) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		notFound := func() { h.fail(w, r, registry.Errorf(registry.ENOTFOUND, "no page at %s", r.URL.Path)) }
		if !fs.ValidPath(name) || name == "." {
			notFound()
			return
		}
		f, err := fsys.Open(name)
		if err != nil {
			notFound()
			return
		}
		defer f.Close()
		info, err := f.Stat()
		content, seekable := f.(io.ReadSeeker)
		if err != nil || !info.Mode().IsRegular() || !seekable {
			notFound()
			return
		}
		http.ServeContent(w, r, name, info.ModTime(), content)
	})
}

// page is what every template gets: the layout's parts and the page's own
// data.
type page struct {
	Title   string // the <title>, before " · Backbone"
	Nav     string // the highlighted navigation entry
	Query   string // the search box's content
	Company string
	Version string
	Refresh int // seconds before the browser reloads the page; 0: never
	Data    any
}

// render writes a page with status 200, or an error page if the template
// fails (before anything is written: pages render into a buffer).
func (h *Handler) render(w http.ResponseWriter, r *http.Request, name string, p page) {
	h.renderStatus(w, r, http.StatusOK, name, p)
}

func (h *Handler) renderStatus(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	if c := h.src.Catalog(); c != nil {
		p.Company = c.Company()
	}
	p.Version = h.cfg.Version
	var buf bytes.Buffer
	if err := h.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		h.log.Error("render page", "page", name, "path", r.URL.Path, "err", err)
		http.Error(w, "the page could not be rendered; the registry's log says why", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorPage is the data of the error page.
type errorPage struct {
	Status  int
	Heading string
	Message string
}

// fail renders an error page: 404 for what does not exist, 503 before
// the first snapshot, 400 for bad input, 500 for the rest (logged, with a
// generic message).
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := errorPage{Status: http.StatusInternalServerError, Heading: "Something went wrong", Message: "The registry could not build this page; its log says why."}
	switch registry.ErrorCode(err) {
	case registry.ENOTFOUND:
		e = errorPage{http.StatusNotFound, "Not found", registry.ErrorMessage(err)}
	case registry.EINVALID:
		e = errorPage{http.StatusBadRequest, "Bad request", registry.ErrorMessage(err)}
	case registry.EUNAVAILABLE:
		e = errorPage{http.StatusServiceUnavailable, "Not ready yet", registry.ErrorMessage(err)}
		w.Header().Set("Retry-After", "5")
	default:
		h.log.Error("web page", "path", r.URL.Path, "err", err)
	}
	p := page{Title: e.Heading, Data: e}
	if e.Status == http.StatusServiceUnavailable {
		p.Refresh = 5
	}
	h.renderStatus(w, r, e.Status, "error", p)
}

// busy answers a page refused a compilation slot: 429, try again shortly.
func (h *Handler) busy(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", "1")
	e := errorPage{http.StatusTooManyRequests, "Busy", "The registry is comparing as many versions as it can at once; try again in a moment."}
	h.renderStatus(w, r, e.Status, "error", page{Title: e.Heading, Data: e})
}

// errNotReady is the answer before the first snapshot.
var errNotReady = registry.Errorf(registry.EUNAVAILABLE, "the registry has not loaded its first snapshot of the schema repository yet; this page refreshes by itself")

// catalog returns the served catalog or errNotReady.
func (h *Handler) catalog() (*catalog.Catalog, error) {
	c := h.src.Catalog()
	if c == nil {
		return nil, errNotReady
	}
	return c, nil
}

func parsePages() map[string]*template.Template {
	layout := template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html"))
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" || base == "parts" {
			continue
		}
		pages[base] = template.Must(template.Must(layout.Clone()).ParseFS(templateFS, n))
	}
	return pages
}

// funcs are the helpers templates use.
var funcs = template.FuncMap{
	"topicURL":   topicURL,
	"serviceURL": serviceURL,
	"short":      shortSHA,
	"date":       func(t time.Time) string { return formatTime(t, "2006-01-02") },
	"datetime":   func(t time.Time) string { return formatTime(t, "2006-01-02 15:04 MST") },
	"iso":        func(t time.Time) string { return formatTime(t, time.RFC3339) },
	"firstLine":  firstLine,
	"summary":    summary,
	"wbr":        wbr,
	"kindClass":  kindClass,
	"add":        func(a, b int) int { return a + b },
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return fmt.Sprintf("%d %s", n, one)
		}
		return fmt.Sprintf("%d %s", n, many)
	},
	"anchor": anchor,
}

// topicURL is the page of a topic.
func topicURL(name string) string { return "/topics/" + url.PathEscape(name) }

// serviceURL is the page of a service.
func serviceURL(name string) string { return "/services/" + url.PathEscape(name) }

func shortSHA(sha string) string {
	if len(sha) > 10 {
		return sha[:10]
	}
	return sha
}

func formatTime(t time.Time, layout string) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(layout)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// summary shortens documentation for a list: its first sentence, or its
// first 160 characters, with line breaks (comments wrap) as spaces.
func summary(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if i := strings.Index(s, ". "); i >= 0 && i < 160 {
		return s[:i+1]
	}
	if len(s) <= 160 {
		return s
	}
	cut := strings.LastIndexByte(s[:160], ' ')
	if cut < 80 {
		cut = 160
	}
	return strings.ToValidUTF8(s[:cut], "") + "…"
}

// wbr lets a long dotted name wrap after its dots on narrow screens.
func wbr(name string) template.HTML {
	return template.HTML(strings.ReplaceAll(template.HTMLEscapeString(name), ".", ".<wbr>"))
}

// kindClass is the CSS class of a topic kind's badge.
func kindClass(k registry.Kind) string {
	switch {
	case k.IsPrivate():
		return "kind-private"
	case k == registry.KindEvents, k == registry.KindResults, k == registry.KindCommands:
		return "kind-" + string(k)
	}
	return "kind-other"
}

// anchor turns a fully-qualified name into an HTML id.
func anchor(prefix, name string) string {
	return prefix + "-" + strings.NewReplacer(".", "-", " ", "-").Replace(name)
}
