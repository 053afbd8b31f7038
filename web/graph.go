package web

import (
	"bytes"
	"html/template"
	"net/http"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/web/graphsvg"
)

// graphPage is the data of the dependency graph page.
type graphPage struct {
	Filter     catalog.GraphFilter
	Namespaces []string
	Services   []*registry.Service
	Topics     []*registry.Topic // for the topic picker
	SVG        template.HTML     // rendered by graphsvg, which escapes every name
	Nodes      int
	Edges      int
	TooBig     bool
	SVGURL     string
}

// maxGraphNodes is the size above which the whole estate's graph is not
// drawn until a filter narrows it: past it nobody reads the picture.
const maxGraphNodes = 400

func (h *Handler) graphOf(r *http.Request) (*catalog.Catalog, catalog.GraphFilter, catalog.Graph, error) {
	c, err := h.catalog()
	if err != nil {
		return nil, catalog.GraphFilter{}, catalog.Graph{}, err
	}
	q := r.URL.Query()
	f := catalog.GraphFilter{Namespace: q.Get("namespace"), Service: q.Get("service"), Topic: q.Get("topic")}
	g, err := c.Graph(f)
	return c, f, g, err
}

func (h *Handler) graph(w http.ResponseWriter, r *http.Request) {
	c, f, g, err := h.graphOf(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := graphPage{Filter: f, Namespaces: c.Namespaces(), Services: c.Services(), Topics: c.Topics(catalog.TopicFilter{}),
		Nodes: len(g.Nodes), Edges: len(g.Edges)}
	p.SVGURL = "/graph.svg"
	if r.URL.RawQuery != "" {
		p.SVGURL += "?" + r.URL.RawQuery
	}
	if f == (catalog.GraphFilter{}) && len(g.Nodes) > maxGraphNodes {
		p.TooBig = true
	} else {
		var buf bytes.Buffer
		if err := graphsvg.Write(&buf, g, graphOptions(f)); err != nil {
			h.fail(w, r, err)
			return
		}
		p.SVG = template.HTML(buf.String()) // trusted: graphsvg escapes every name and drops unsafe links
	}
	h.render(w, r, "graph", page{Title: "Dependency graph", Nav: "graph", Data: p})
}

func (h *Handler) graphSVG(w http.ResponseWriter, r *http.Request) {
	_, f, g, err := h.graphOf(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := graphsvg.Write(&buf, g, graphOptions(f)); err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(buf.Bytes())
}

func graphOptions(f catalog.GraphFilter) graphsvg.Options {
	o := graphsvg.Options{Title: "Producers, topics and consumers"}
	switch {
	case f.Service != "":
		o.Highlight, o.Title = catalog.ServiceID(f.Service), "Around "+f.Service
	case f.Topic != "":
		o.Highlight, o.Title = catalog.TopicID(f.Topic), "Around "+f.Topic
	case f.Namespace != "":
		o.Title = "Namespace " + f.Namespace
	}
	return o
}
