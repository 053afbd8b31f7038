package lint

import (
	"cmp"
	"slices"
	"strings"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/catalog"
)

// Report is the outcome of a run. Its JSON form is `registry lint
// --format json`, a stable shape documented in docs/CI.md: fields are
// added, never renamed or removed.
type Report struct {
	// Root is the schema root as the user named it; file paths start with it.
	Root string `json:"root"`
	// Against is the base as given (a revision or a registry URL); Base is
	// what it resolved to (the commit SHA, or the URL). Empty: no base.
	Against string `json:"against,omitempty"`
	Base    string `json:"base,omitempty"`
	// Findings: compile errors, governance findings, then compatibility
	// findings by (first) topic. One change is one finding, whatever the
	// number of topics it reaches: each lists them in Topics.
	Findings []Finding `json:"findings"`
	// Topics are the topics whose contract changed, appeared or
	// disappeared compared with the base, sorted by name.
	Topics []TopicChange `json:"topics"`
	// Owners names the owning team of every consumer the report mentions.
	Owners map[string]string `json:"owners"`
	// Notes say what limited the check, e.g. a history too shallow for a
	// transitive mode.
	Notes   []string `json:"notes"`
	Summary Summary  `json:"summary"`

	repoPath string // the schema root inside its Git repository ("" for the top)
	inRepo   bool
}

// Finding is a rule's verdict with the owning teams of the consumers it
// hurts. Its File is shown under the report's Root.
//
// The same rule at the same place with the same message is one finding:
// a change to a message shared by many topics lists every topic (Topics)
// and every consumer of any of them, at the strictest severity any of them
// gives it. Direction is the direction the change breaks when every topic
// sees the same one; topics whose modes differ may see one change break
// different directions (a BACKWARD topic and a FORWARD topic sharing a
// message), and then Direction is empty and Directions says, topic by
// topic, which direction each sees: BOTH is never made up from two topics
// that each break one way.
type Finding struct {
	registry.Finding
	Teams      []string                      `json:"teams,omitempty"`      // owning teams of Consumers, sorted
	Directions map[string]registry.Direction `json:"directions,omitempty"` // topic → direction, when topics disagree

	rel    string // File relative to the schema root
	compat bool   // a compatibility finding, from the comparison with the base
}

// Change kinds of a TopicChange.
const (
	ChangeChanged = "changed" // the contract differs from the base's
	ChangeNew     = "new"     // the base has no such topic
	ChangeDeleted = "deleted" // the working tree no longer declares it
)

// TopicChange is a topic whose contract differs from the base's.
type TopicChange struct {
	Topic         string                 `json:"topic"`
	Change        string                 `json:"change"` // changed, new or deleted
	Service       string                 `json:"service"`
	Owner         string                 `json:"owner"`
	Compatibility registry.Compatibility `json:"compatibility,omitempty"`
	Level         registry.Level         `json:"level,omitempty"`
	// Versions is how many earlier versions the topic was checked against.
	Versions  int      `json:"versions_checked,omitempty"`
	Breaking  bool     `json:"breaking"`
	Consumers []string `json:"consumers"`
}

// Summary counts what a run found.
type Summary struct {
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Infos    int `json:"infos"`
	Services int `json:"services"` // in the working tree
	Topics   int `json:"topics"`   // in the working tree

	TopicsChanged     int  `json:"topics_changed"`
	TopicsNew         int  `json:"topics_new"`
	TopicsDeleted     int  `json:"topics_deleted"`
	TopicsBreaking    int  `json:"topics_breaking"`
	ConsumersAffected int  `json:"consumers_affected"` // distinct consumers of breaking topics
	Shallow           bool `json:"shallow,omitempty"`  // transitive checks lacked history
}

// Failed reports whether any finding is at least as severe as failOn
// (empty: error), which makes `registry lint` exit 1.
func (r *Report) Failed(failOn registry.Severity) bool {
	if failOn == "" {
		failOn = registry.SeverityError
	}
	return slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.Severity.AtLeast(failOn) })
}

// Rules returns every rule a report may name: the catalogue's governance,
// compatibility and repository rules.
func Rules() []registry.Rule { return catalog.Catalogue() }

func (r *Report) add(f registry.Finding) {
	r.Findings = append(r.Findings, Finding{Finding: f, rel: f.File})
}

// addCompat adds a finding of the comparison with the base.
func (r *Report) addCompat(f registry.Finding) {
	r.Findings = append(r.Findings, Finding{Finding: f, rel: f.File, compat: true})
}

func (r *Report) note(n string) { r.Notes = append(r.Notes, n) }

// finish merges findings of one change, sorts the topics, places files
// under the root and counts.
func (r *Report) finish() {
	r.Findings = merge(r.Findings)
	sortTopics(r.Topics)
	// Compatibility findings follow the order of their topics; the rest
	// keep the catalogue's order (by file and position).
	slices.SortStableFunc(r.Findings, func(a, b Finding) int {
		ac, bc := a.compat, b.compat
		switch {
		case ac && bc:
			return cmp.Compare(a.Topic, b.Topic)
		case ac:
			return 1
		case bc:
			return -1
		}
		return 0
	})
	s := &r.Summary
	s.Errors, s.Warnings, s.Infos = 0, 0, 0
	for i := range r.Findings {
		f := &r.Findings[i]
		f.File = displayPath(r.Root, f.rel)
		switch f.Severity {
		case registry.SeverityError:
			s.Errors++
		case registry.SeverityWarning:
			s.Warnings++
		case registry.SeverityInfo:
			s.Infos++
		}
	}
	affected := map[string]bool{}
	for _, t := range r.Topics {
		switch t.Change {
		case ChangeChanged:
			s.TopicsChanged++
		case ChangeNew:
			s.TopicsNew++
		case ChangeDeleted:
			s.TopicsDeleted++
		}
		if t.Breaking {
			s.TopicsBreaking++
			for _, c := range t.Consumers {
				affected[c] = true
			}
		}
	}
	s.ConsumersAffected = len(affected)
}

// findingKey identifies a finding: its rule, place and message. The
// message says what was and what is (and against which earlier version),
// so two topics seeing the same change get the same message.
type findingKey struct {
	rule, file   string
	line, column int
	message      string
}

// merge makes one finding of the findings of one change (see Finding),
// keeping the order of first appearance.
func merge(in []Finding) []Finding {
	type merged struct {
		services   map[string]string // topic → its owning service
		directions map[string]registry.Direction
	}
	out := make([]Finding, 0, len(in))
	var info []merged
	index := map[findingKey]int{}
	for _, f := range in {
		k := findingKey{f.Rule, f.rel, f.Line, f.Column, f.Message}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			info = append(info, merged{services: map[string]string{}, directions: map[string]registry.Direction{}})
			g := f
			g.Topics, g.Consumers, g.Teams, g.Directions = nil, nil, nil, nil
			out = append(out, g)
		}
		m, mi := &out[i], info[i]
		topics := f.TopicNames()
		for _, t := range topics {
			if _, seen := mi.services[t]; !seen || f.Topic == t {
				mi.services[t] = f.Service
			}
		}
		m.Topics = union(m.Topics, topics)
		if len(f.Consumers) > 0 {
			m.Consumers = union(m.Consumers, f.Consumers)
		}
		if len(f.Teams) > 0 {
			m.Teams = union(m.Teams, f.Teams)
		}
		if !m.Severity.AtLeast(f.Severity) {
			m.Severity = f.Severity
		}
		m.compat = m.compat || f.compat
		for _, t := range topics {
			d := f.Direction
			if pd, ok := f.Directions[t]; ok {
				d = pd
			}
			if d != "" {
				mi.directions[t] = unionDirection(mi.directions[t], d)
			}
		}
	}
	for i := range out {
		f, mi := &out[i], info[i]
		if len(f.Topics) == 0 {
			f.Topics = nil
		} else {
			f.Topic, f.Service = f.Topics[0], mi.services[f.Topics[0]]
		}
		if len(f.Consumers) == 0 {
			f.Consumers = nil
		}
		if len(f.Teams) == 0 {
			f.Teams = nil
		}
		f.Direction, f.Directions = "", nil
		for _, d := range mi.directions {
			if f.Direction == "" {
				f.Direction = d
			} else if d != f.Direction {
				f.Direction, f.Directions = "", mi.directions
				break
			}
		}
	}
	return out
}

// unionDirection is the directions one topic sees broken by a change.
func unionDirection(a, b registry.Direction) registry.Direction {
	if a == "" || a == b {
		return b
	}
	return registry.DirectionBoth
}

// directionText says which directions a finding breaks, e.g. "BACKWARD",
// or "BACKWARD for a.events; FORWARD for b.events" when topics disagree.
func directionText(f Finding) string {
	if f.Direction != "" || len(f.Directions) == 0 {
		return string(f.Direction)
	}
	byDir := map[registry.Direction][]string{}
	for _, t := range f.TopicNames() {
		if d, ok := f.Directions[t]; ok {
			byDir[d] = append(byDir[d], t)
		}
	}
	var parts []string
	for _, d := range []registry.Direction{registry.DirectionBackward, registry.DirectionForward, registry.DirectionBoth} {
		if ts := byDir[d]; len(ts) > 0 {
			parts = append(parts, string(d)+" for "+strings.Join(ts, ", "))
		}
	}
	return strings.Join(parts, "; ")
}

// ciPath is a finding's file as CI systems name it: relative to the top of
// the repository when the root is in one, else as displayed.
func (r *Report) ciPath(f Finding) string {
	if r.inRepo {
		return repoPath(r.repoPath, f.rel)
	}
	return f.File
}

// ciPosition is a finding's file:line:col with the file as ciPath names it.
func (r *Report) ciPosition(f Finding) string {
	p := f.Position
	p.File = r.ciPath(f)
	return p.String()
}

// topic returns the change recorded for a topic, if any.
func (r *Report) topic(name string) (TopicChange, bool) {
	for _, t := range r.Topics {
		if t.Topic == name {
			return t, true
		}
	}
	return TopicChange{}, false
}

// groups splits the findings by the topics they reach: findings about no
// topic first, then each set of topics (one topic, or the several a shared
// change reaches) by name, each with its findings in report order.
func (r *Report) groups() []group {
	var out []group
	index := map[string]int{}
	for _, f := range r.Findings {
		topics := f.TopicNames()
		key := strings.Join(topics, "\x00")
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, group{topic: strings.Join(topics, ", "), topics: topics})
		}
		out[i].findings = append(out[i].findings, f)
	}
	slices.SortStableFunc(out, func(a, b group) int {
		return cmp.Compare(strings.Join(a.topics, "\x00"), strings.Join(b.topics, "\x00"))
	})
	return out
}

// group is the findings about one set of topics (none: topic is "").
type group struct {
	topic    string   // the topics, comma-separated
	topics   []string // sorted
	findings []Finding
}

// consumers returns the consumers a group's findings name, sorted.
func (g group) consumers() []string {
	var out []string
	for _, f := range g.findings {
		out = union(out, f.Consumers)
	}
	return out
}

// breaking reports whether a group holds a compatibility finding at error
// severity.
func (g group) breaking() bool {
	return slices.ContainsFunc(g.findings, func(f Finding) bool {
		return f.Severity == registry.SeverityError && f.compat
	})
}
