package catalog

import (
	"cmp"
	"slices"

	registry "github.com/backbone-registry/backbone"
)

// Node types and edge relations of a Graph.
const (
	NodeService = "service"
	NodeTopic   = "topic"

	RelProduces = "produces" // service → topic: the service writes the topic
	RelConsumes = "consumes" // topic → service: the service reads the topic
)

// GraphFilter selects part of the dependency graph. The zero value selects
// the whole estate; at most one field may be set.
type GraphFilter struct {
	// Namespace keeps the services of one namespace and its topics, with
	// every edge that touches one of them; the node at the other end of such
	// an edge is kept too, marked External.
	Namespace string
	// Service centres the graph on one service (full name): the service, the
	// topics it owns, produces or consumes, every edge of those topics and
	// the services at their other end, one hop away.
	Service string
	// Topic centres the graph on one topic (full name): the topic, its
	// producers and its consumers (the owner is always one of them).
	Topic string
}

// GraphNode is a service or a topic of the dependency graph.
type GraphNode struct {
	ID         string        `json:"id" doc:"service:<full name> or topic:<full name>" example:"topic:acme.retail.orders.events"`
	Type       string        `json:"type" enum:"service,topic"`
	Name       string        `json:"name" doc:"Full name" example:"acme.retail.orders.events"`
	Namespace  string        `json:"namespace" example:"retail"`
	Kind       registry.Kind `json:"kind,omitempty" doc:"Topics only: the topic's kind" example:"events"`
	Service    string        `json:"service,omitempty" doc:"Topics only: the owning service" example:"acme.retail.orders"`
	Owner      string        `json:"owner" doc:"The owning team" example:"orders-team"`
	Deprecated bool          `json:"deprecated,omitempty" doc:"Topics only: the topic is being retired"`
	External   bool          `json:"external,omitempty" doc:"Outside the namespace filter, shown because an edge reaches it"`
}

// GraphEdge is a directed edge: From a producing service To a topic
// (RelProduces), or From a topic To a consuming service (RelConsumes).
// Implicit roles are edges too: the owner of a fact topic produces it, the
// owner of a command or reply topic consumes it, and the owner of a private
// topic does both.
type GraphEdge struct {
	From string `json:"from" doc:"Node ID" example:"service:acme.retail.orders"`
	To   string `json:"to" doc:"Node ID" example:"topic:acme.retail.orders.events"`
	Rel  string `json:"rel" enum:"produces,consumes"`
}

// Graph is a dependency graph of services and topics. Nodes are sorted by
// ID (services first, then topics, each by name) and edges by From then To,
// so the same catalog and filter always give the same graph.
type Graph struct {
	Centre string      `json:"centre,omitempty" doc:"The node ID the graph is centred on, for a service or topic filter" example:"service:acme.retail.orders"`
	Nodes  []GraphNode `json:"nodes"`
	Edges  []GraphEdge `json:"edges"`
}

// ServiceID and TopicID return the graph node ID of a service or topic.
func ServiceID(name string) string { return NodeService + ":" + name }

// TopicID returns the graph node ID of a topic; see ServiceID.
func TopicID(name string) string { return NodeTopic + ":" + name }

// Graph returns the dependency graph selected by f: services produce topics
// and topics are consumed by services, explicit and implicit roles alike.
//
// It returns EINVALID when more than one filter field is set, and ENOTFOUND
// for a namespace without services or an unknown service or topic.
func (c *Catalog) Graph(f GraphFilter) (Graph, error) {
	set := 0
	for _, v := range []string{f.Namespace, f.Service, f.Topic} {
		if v != "" {
			set++
		}
	}
	if set > 1 {
		return Graph{}, registry.Errorf(registry.EINVALID, "graph: filter by one of namespace, service or topic, not several")
	}

	// keepTopic decides which topics contribute edges; keepEdge which of
	// their edges are drawn.
	keepTopic := func(*registry.Topic) bool { return true }
	keepEdge := func(_ *registry.Topic, _ string) bool { return true }
	g := Graph{Nodes: []GraphNode{}, Edges: []GraphEdge{}}
	extraServices := []string{} // nodes that no edge reaches but belong in the view
	switch {
	case f.Namespace != "":
		if !slices.Contains(c.Namespaces(), f.Namespace) {
			return Graph{}, registry.Errorf(registry.ENOTFOUND, "no service in namespace %q", f.Namespace)
		}
		inside := func(svc string) bool {
			s, ok := c.bySvc[svc]
			return ok && s.Namespace == f.Namespace
		}
		keepEdge = func(t *registry.Topic, svc string) bool { return t.Namespace == f.Namespace || inside(svc) }
		for _, s := range c.services {
			if s.Namespace == f.Namespace {
				extraServices = append(extraServices, s.Name)
			}
		}
	case f.Service != "":
		s, ok := c.bySvc[f.Service]
		if !ok {
			return Graph{}, registry.Errorf(registry.ENOTFOUND, "no service %q", f.Service)
		}
		keepTopic = func(t *registry.Topic) bool {
			return t.Service == s.Name || slices.Contains(t.Producers, s.Name) || slices.Contains(t.Consumers, s.Name)
		}
		extraServices = append(extraServices, s.Name)
		g.Centre = ServiceID(s.Name)
	case f.Topic != "":
		t, ok := c.byName[f.Topic]
		if !ok {
			return Graph{}, registry.Errorf(registry.ENOTFOUND, "no topic %q", f.Topic)
		}
		keepTopic = func(x *registry.Topic) bool { return x == t }
		g.Centre = TopicID(t.Name)
	default:
		for _, s := range c.services {
			extraServices = append(extraServices, s.Name)
		}
	}

	services := map[string]bool{}
	topics := map[string]*registry.Topic{}
	for _, s := range extraServices {
		services[s] = true
	}
	for _, t := range c.topics {
		if !keepTopic(t) {
			continue
		}
		kept := f.Namespace == "" || t.Namespace == f.Namespace
		for _, p := range t.Producers {
			if keepEdge(t, p) {
				g.Edges = append(g.Edges, GraphEdge{From: ServiceID(p), To: TopicID(t.Name), Rel: RelProduces})
				services[p], kept = true, true
			}
		}
		for _, s := range t.Consumers {
			if keepEdge(t, s) {
				g.Edges = append(g.Edges, GraphEdge{From: TopicID(t.Name), To: ServiceID(s), Rel: RelConsumes})
				services[s], kept = true, true
			}
		}
		if kept {
			topics[t.Name] = t
		}
	}

	for _, s := range c.services { // sorted by name
		if !services[s.Name] {
			continue
		}
		g.Nodes = append(g.Nodes, GraphNode{
			ID: ServiceID(s.Name), Type: NodeService, Name: s.Name, Namespace: s.Namespace, Owner: s.Owner,
			External: f.Namespace != "" && s.Namespace != f.Namespace,
		})
	}
	for _, t := range c.topics { // sorted by name
		if topics[t.Name] == nil {
			continue
		}
		g.Nodes = append(g.Nodes, GraphNode{
			ID: TopicID(t.Name), Type: NodeTopic, Name: t.Name, Namespace: t.Namespace, Kind: t.Kind,
			Service: t.Service, Owner: t.Owner, Deprecated: t.Deprecated != nil,
			External: f.Namespace != "" && t.Namespace != f.Namespace,
		})
	}
	slices.SortFunc(g.Edges, func(a, b GraphEdge) int {
		return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
	})
	return g, nil
}
