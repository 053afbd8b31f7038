package catalog

import (
	"cmp"
	"slices"
	"strings"
	"sync"

	"google.golang.org/protobuf/reflect/protoreflect"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/compat"
)

// SearchResults are what a search found, grouped by what matched and
// ranked within each group, best first.
type SearchResults struct {
	Query    string       `json:"query"`
	Topics   []TopicHit   `json:"topics"`
	Services []ServiceHit `json:"services"`
	Messages []MessageHit `json:"messages"`
	Fields   []FieldHit   `json:"fields"`
	Total    int          `json:"total" doc:"Hits in every group before the limit"`
}

// TopicHit is a topic whose name or description matched.
type TopicHit struct {
	Name        string        `json:"name"`
	Kind        registry.Kind `json:"kind"`
	Service     string        `json:"service"`
	Description string        `json:"description"`
	Deprecated  bool          `json:"deprecated,omitempty"`
	Score       int           `json:"score"`
}

// ServiceHit is a service whose name, team or description matched.
type ServiceHit struct {
	Name        string `json:"name"`
	Owner       string `json:"owner"`
	Description string `json:"description"`
	Score       int    `json:"score"`
}

// MessageHit is a Protobuf message whose name or documentation matched,
// with the topics whose contract carries it.
type MessageHit struct {
	Name   string   `json:"name"`
	File   string   `json:"file"`
	Doc    string   `json:"doc"`
	Topics []string `json:"topics" doc:"Topics whose key or value is, or contains, this message"`
	Score  int      `json:"score"`
}

// FieldHit is a field whose name or documentation matched, with the
// topics whose contract carries it.
type FieldHit struct {
	Message string   `json:"message" doc:"The message declaring the field"`
	Name    string   `json:"name"`
	Number  int32    `json:"number"`
	Type    string   `json:"type"`
	Doc     string   `json:"doc"`
	Topics  []string `json:"topics" doc:"Topics whose key or value is, or contains, the declaring message"`
	Score   int      `json:"score"`
}

// Search finds topics, services, messages and fields matching every word
// of q (case-insensitive): "customer_id" finds every field so named and
// the topics carrying it. Names rank above documentation, and an exact
// name above a prefix above a part of one. Each group holds at most limit
// hits; limit <= 0 means 20.
func (c *Catalog) Search(q string, limit int) SearchResults {
	if limit <= 0 {
		limit = 20
	}
	words := strings.Fields(strings.ToLower(q))
	out := SearchResults{Query: q, Topics: []TopicHit{}, Services: []ServiceHit{},
		Messages: []MessageHit{}, Fields: []FieldHit{}}
	if len(words) == 0 {
		return out
	}
	idx := c.searchIndex()
	for _, t := range c.topics {
		if s := score(words, []string{t.Name}, t.Description, t.Owner); s > 0 {
			out.Topics = append(out.Topics, TopicHit{Name: t.Name, Kind: t.Kind, Service: t.Service,
				Description: t.Description, Deprecated: t.Deprecated != nil, Score: s})
		}
	}
	for _, sv := range c.services {
		if s := score(words, []string{sv.Name}, sv.Description, sv.Owner); s > 0 {
			out.Services = append(out.Services, ServiceHit{Name: sv.Name, Owner: sv.Owner, Description: sv.Description, Score: s})
		}
	}
	for _, m := range idx.messages {
		if s := scoreLower(words, []string{m.lname}, m.ldoc); s > 0 {
			out.Messages = append(out.Messages, MessageHit{Name: m.name, File: m.file, Doc: m.doc, Topics: m.topics, Score: s})
		}
		for i, f := range m.fields {
			lf := m.lfields[i]
			if s := scoreLower(words, []string{lf.name, lf.json}, lf.doc, m.lname); s > 0 {
				out.Fields = append(out.Fields, FieldHit{Message: m.name, Name: f.Name, Number: f.Number,
					Type: f.Type, Doc: f.Doc, Topics: m.topics, Score: s})
			}
		}
	}
	out.Total = len(out.Topics) + len(out.Services) + len(out.Messages) + len(out.Fields)
	out.Topics = rank(out.Topics, limit, func(h TopicHit) (int, string) { return h.Score, h.Name })
	out.Services = rank(out.Services, limit, func(h ServiceHit) (int, string) { return h.Score, h.Name })
	out.Messages = rank(out.Messages, limit, func(h MessageHit) (int, string) { return h.Score, h.Name })
	out.Fields = rank(out.Fields, limit, func(h FieldHit) (int, string) {
		// Among equally good fields, those on more topics first.
		return h.Score*1000 + min(len(h.Topics), 999), h.Message + "." + h.Name
	})
	return out
}

func rank[H any](hits []H, limit int, key func(H) (int, string)) []H {
	slices.SortFunc(hits, func(a, b H) int {
		sa, na := key(a)
		sb, nb := key(b)
		return cmp.Or(cmp.Compare(sb, sa), strings.Compare(na, nb))
	})
	return hits[:min(len(hits), limit)]
}

// score rates how well words match a thing with the given names and
// texts: 0 when some word matches none of them. A word equal to a name
// scores highest, then one equal to or starting its last dotted part (a
// message's own name, say), then other parts (its package), then any part
// of a name, then the texts.
func score(words []string, names []string, texts ...string) int {
	lower := make([]string, len(names))
	for i, n := range names {
		lower[i] = strings.ToLower(n)
	}
	for i, t := range texts {
		texts[i] = strings.ToLower(t)
	}
	return scoreLower(words, lower, texts...)
}

// scoreLower is score with names and texts already in lower case.
func scoreLower(words []string, names []string, texts ...string) int {
	total := 0
	for _, w := range words {
		best := 0
		for _, n := range names {
			best = max(best, nameScore(w, n))
		}
		if best == 0 {
			for _, t := range texts {
				if strings.Contains(t, w) {
					best = 5
					break
				}
			}
		}
		if best == 0 {
			return 0
		}
		total += best
	}
	return total
}

func nameScore(w, name string) int {
	if !strings.Contains(name, w) {
		return 0
	}
	if name == w {
		return 100
	}
	parts := strings.Split(name, ".")
	last := parts[len(parts)-1]
	switch {
	case last == w:
		return 90
	case strings.HasPrefix(last, w):
		return 60
	}
	best := 20
	for _, part := range parts[:len(parts)-1] {
		switch {
		case part == w:
			best = max(best, 40)
		case strings.HasPrefix(part, w):
			best = max(best, 30)
		}
	}
	return best
}

// searchIndex holds, for every message of the schema, its documentation
// and the topics carrying it. It is built on the first search: a Catalog
// is immutable, so it never changes afterwards.
type searchIndex struct {
	messages []indexedMessage // sorted by name
}

type indexedMessage struct {
	name, file, doc string
	fields          []registry.Field
	topics          []string // sorted
	// The same in lower case, as searches compare.
	lname, ldoc string
	lfields     []lowerField
}

type lowerField struct{ name, json, doc string }

type lazyIndex struct {
	once sync.Once
	idx  *searchIndex
}

func (c *Catalog) searchIndex() *searchIndex {
	if c.search == nil { // a Catalog not made by LoadFiles
		return buildSearchIndex(c)
	}
	c.search.once.Do(func() { c.search.idx = buildSearchIndex(c) })
	return c.search.idx
}

func buildSearchIndex(c *Catalog) *searchIndex {
	carriers := map[string][]string{}
	for _, t := range c.topics {
		msgs, _ := c.Documentation(t)
		for _, m := range msgs {
			carriers[m.Name] = append(carriers[m.Name], t.Name)
		}
	}
	idx := &searchIndex{}
	if c.schema == nil {
		return idx
	}
	var walk func(protoreflect.MessageDescriptors)
	walk = func(mds protoreflect.MessageDescriptors) {
		for i := range mds.Len() {
			md := mds.Get(i)
			if md.IsMapEntry() {
				continue
			}
			m := compat.DescribeMessage(md)
			topics := carriers[m.Name]
			if topics == nil {
				topics = []string{}
			}
			im := indexedMessage{name: m.Name, file: m.File, doc: m.Doc, fields: m.Fields, topics: topics,
				lname: strings.ToLower(m.Name), ldoc: strings.ToLower(m.Doc)}
			for _, f := range m.Fields {
				im.lfields = append(im.lfields, lowerField{strings.ToLower(f.Name), strings.ToLower(f.JSONName), strings.ToLower(f.Doc)})
			}
			idx.messages = append(idx.messages, im)
			walk(md.Messages())
		}
	}
	for _, fd := range c.schema.Files() {
		walk(fd.Messages())
	}
	slices.SortFunc(idx.messages, func(a, b indexedMessage) int { return strings.Compare(a.name, b.name) })
	return idx
}
