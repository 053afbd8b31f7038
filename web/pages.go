package web

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/catalog"
)

// homePage is the data of the home page.
type homePage struct {
	Topics, Services, Namespaces, Versions int
	Recent                                 []recentChange
	Rejections                             []registry.Rejection
	NamespaceList                          []namespaceCount
	Deprecated                             []*registry.Topic
	Findings                               int
}

type recentChange struct {
	Topic   *registry.Topic
	Version registry.TopicVersion
}

type namespaceCount struct {
	Name             string
	Services, Topics int
}

// maxRecent is how many recently changed topics and rejections the home
// page lists.
const maxRecent = 8

func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	c, err := h.catalog()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := homePage{Services: len(c.Services()), Namespaces: len(c.Namespaces()), Findings: len(c.Findings())}
	topics := c.Topics(catalog.TopicFilter{})
	p.Topics = len(topics)
	for _, ns := range c.Namespaces() {
		n := namespaceCount{Name: ns, Topics: len(c.Topics(catalog.TopicFilter{Namespace: ns}))}
		for _, s := range c.Services() {
			if s.Namespace == ns {
				n.Services++
			}
		}
		p.NamespaceList = append(p.NamespaceList, n)
	}
	for _, t := range topics {
		if t.Deprecated != nil {
			p.Deprecated = append(p.Deprecated, t)
		}
	}
	if hist := c.History(); hist != nil {
		p.Versions = hist.VersionCount()
		for _, t := range topics {
			if v, ok := hist.Latest(t.Name); ok {
				p.Recent = append(p.Recent, recentChange{t, v})
			}
		}
		slices.SortFunc(p.Recent, func(a, b recentChange) int {
			return cmp.Or(b.Version.Commit.Time.Compare(a.Version.Commit.Time), strings.Compare(a.Topic.Name, b.Topic.Name))
		})
		p.Recent = p.Recent[:min(len(p.Recent), maxRecent)]
		rej := hist.OpenRejections()
		p.Rejections = rej[:min(len(rej), maxRecent)]
	}
	h.render(w, r, "home", page{Title: "Event catalog", Nav: "home", Data: p})
}

// searchPage is the data of the search page.
type searchPage struct {
	catalog.SearchResults
	Limit int
}

// searchLimit is how many hits of each group the search page shows.
const searchLimit = 50

func (h *Handler) search(w http.ResponseWriter, r *http.Request) {
	c, err := h.catalog()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) > 200 {
		h.fail(w, r, registry.Errorf(registry.EINVALID, "the search is %d characters long; at most 200 are looked at", len(q)))
		return
	}
	res := c.Search(q, searchLimit)
	title := "Search"
	if q != "" {
		title = "Search: " + q
	}
	h.render(w, r, "search", page{Title: title, Nav: "search", Query: q, Data: searchPage{res, searchLimit}})
}

// topicsPage is the data of the topic list.
type topicsPage struct {
	Filter     catalog.TopicFilter
	Groups     []topicGroup
	Count      int
	Namespaces []string
	Services   []*registry.Service
	Owners     []string
	Kinds      []string
}

type topicGroup struct {
	Namespace string
	Topics    []*registry.Topic
}

// kinds are the choices of the kind filter.
var kinds = []string{string(registry.KindEvents), string(registry.KindCommands), string(registry.KindResults), "private"}

func (h *Handler) topics(w http.ResponseWriter, r *http.Request) {
	c, err := h.catalog()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	f := catalog.TopicFilter{Namespace: q.Get("namespace"), Service: q.Get("service"),
		Kind: registry.Kind(q.Get("kind")), Owner: q.Get("owner"), Query: q.Get("q")}
	p := topicsPage{Filter: f, Namespaces: c.Namespaces(), Services: c.Services(), Kinds: kinds}
	for _, s := range c.Services() {
		if !slices.Contains(p.Owners, s.Owner) && s.Owner != "" {
			p.Owners = append(p.Owners, s.Owner)
		}
	}
	slices.Sort(p.Owners)
	for _, t := range c.Topics(f) {
		if n := len(p.Groups); n == 0 || p.Groups[n-1].Namespace != t.Namespace {
			p.Groups = append(p.Groups, topicGroup{Namespace: t.Namespace})
		}
		g := &p.Groups[len(p.Groups)-1]
		g.Topics = append(g.Topics, t)
		p.Count++
	}
	h.render(w, r, "topics", page{Title: "Topics", Nav: "topics", Data: p})
}

// servicesPage is the data of the service list.
type servicesPage struct {
	Groups []serviceGroup
}

type serviceGroup struct {
	Namespace string
	Services  []*registry.Service
}

func (h *Handler) services(w http.ResponseWriter, r *http.Request) {
	c, err := h.catalog()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var p servicesPage
	for _, ns := range c.Namespaces() {
		g := serviceGroup{Namespace: ns}
		for _, s := range c.Services() {
			if s.Namespace == ns {
				g.Services = append(g.Services, s)
			}
		}
		p.Groups = append(p.Groups, g)
	}
	h.render(w, r, "services", page{Title: "Services", Nav: "services", Data: p})
}

// servicePage is the data of a service's page.
type servicePage struct {
	Service  *registry.Service
	Owns     []*registry.Topic
	Produces []*registry.Topic // topics of other services it writes
	Consumes []*registry.Topic
	Missing  []string // declared topics the catalog does not have
	Findings []registry.Finding
}

func (h *Handler) service(w http.ResponseWriter, r *http.Request) {
	c, err := h.catalog()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	name := r.PathValue("service")
	s, ok := c.Service(name)
	if !ok {
		h.fail(w, r, registry.Errorf(registry.ENOTFOUND, "no service %q in the catalog", name))
		return
	}
	p := servicePage{Service: s, Findings: c.FindingsFor(s.Name)}
	lookup := func(names []string, skipOwned bool) []*registry.Topic {
		var out []*registry.Topic
		for _, n := range names {
			t, ok := c.Topic(n)
			switch {
			case !ok:
				p.Missing = append(p.Missing, n)
			case skipOwned && t.Service == s.Name:
			default:
				out = append(out, t)
			}
		}
		return out
	}
	p.Owns = lookup(s.Owns, false)
	p.Produces = lookup(s.Produces, true)
	p.Consumes = lookup(s.Consumes, false)
	h.render(w, r, "service", page{Title: s.Name, Nav: "services", Data: p})
}

// statusPage is the data of the status page.
type statusPage struct {
	Mode       string // "git" or "directory"
	State      registry.SyncState
	CommitURL  string
	LoadedAt   time.Time
	Sync       *catalog.SyncStatus
	Rejections []registry.Rejection
	Findings   []registry.Finding
	Ready      bool
}

func (h *Handler) status(w http.ResponseWriter, r *http.Request) {
	p := statusPage{Mode: "directory"}
	if h.cfg.Syncer != nil {
		p.Mode = "git"
		st := h.cfg.Syncer.Status()
		p.Sync = &st
	}
	if c := h.src.Catalog(); c != nil {
		p.Ready, p.LoadedAt, p.Findings = true, c.LoadedAt(), c.Findings()
		if hist := c.History(); hist != nil {
			p.Mode, p.State, p.Rejections = "git", hist.State(), hist.Rejections()
			p.CommitURL = commitURL(p.State.Source, p.State.Commit)
		}
	}
	h.render(w, r, "status", page{Title: "Status", Nav: "status", Data: p})
}
