package lint

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	registry "github.com/backbone-registry/backbone"
)

// writeMarkdown prints a pull request comment: for each topic with a
// breaking change (or each set of topics one shared change reaches, listed
// with their modes and owners), a table of the changes and a table of the consuming
// services and their owning teams (the reviewers to ask), then the other
// findings, the topics that changed compatibly, and notes. A clean run is
// a short all-clear.
func writeMarkdown(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	groups := r.groups()
	var breaking, other []group
	for _, g := range groups {
		if g.topic != "" && g.breaking() {
			breaking = append(breaking, g)
		} else {
			other = append(other, g)
		}
	}
	errors := r.Summary.Errors
	switch {
	case len(breaking) > 0:
		n := 0
		topics := map[string]bool{}
		for _, g := range breaking {
			n += len(g.findings)
			for _, t := range g.topics {
				topics[t] = true
			}
		}
		fmt.Fprintf(bw, "## ❌ Schema check: %d breaking %s in %d %s\n\n", n, plural(n, "change", "changes"), len(topics), plural(len(topics), "topic", "topics"))
	case errors > 0:
		fmt.Fprintf(bw, "## ❌ Schema check: %d %s\n\n", errors, plural(errors, "error", "errors"))
	default:
		fmt.Fprintf(bw, "## ✅ Schema check passed\n\n")
	}
	if line := comparisonLine(r); line != "" {
		fmt.Fprintf(bw, "%s.\n\n", capitalize(markdownBase(r, line)))
	}

	for _, g := range breaking {
		if len(g.topics) == 1 {
			fmt.Fprintf(bw, "### `%s`\n\n", g.topic)
			if about := topicAbout(r, g.topic); about != "" {
				fmt.Fprintf(bw, "%s.\n\n", about)
			}
		} else {
			// One change reaching several topics: its findings once, and
			// the topics it reaches.
			fmt.Fprintf(bw, "### %d topics\n\n| Topic | Compatibility | Owning service |\n|---|---|---|\n", len(g.topics))
			for _, name := range g.topics {
				t, _ := r.topic(name)
				mode := "–"
				if t.Compatibility != "" {
					mode = fmt.Sprintf("%s at %s", t.Compatibility, t.Level)
				}
				owner := "–"
				if t.Service != "" {
					owner = "`" + t.Service + "`"
					if t.Owner != "" {
						owner += " (" + cell(t.Owner) + ")"
					}
				}
				fmt.Fprintf(bw, "| `%s` | %s | %s |\n", name, mode, owner)
			}
			fmt.Fprintln(bw)
		}
		findingTable(bw, r, g.findings, false)
		if consumers := g.consumers(); len(consumers) > 0 {
			fmt.Fprintf(bw, "**Consumers hurt: ask them to review.**\n\n| Consuming service | Owning team |\n|---|---|\n")
			for _, s := range consumers {
				team := r.Owners[s]
				if team == "" {
					team = "–"
				}
				fmt.Fprintf(bw, "| `%s` | %s |\n", s, cell(team))
			}
			fmt.Fprintln(bw)
		}
	}

	var rest []Finding
	for _, g := range other {
		rest = append(rest, g.findings...)
	}
	if len(rest) > 0 {
		fmt.Fprintf(bw, "### Other findings\n\n")
		findingTable(bw, r, rest, true)
	}

	var compatible []TopicChange
	for _, t := range r.Topics {
		if !t.Breaking {
			compatible = append(compatible, t)
		}
	}
	if len(compatible) > 0 {
		fmt.Fprintf(bw, "<details><summary>Topics changed without breaking anything (%d)</summary>\n\n", len(compatible))
		for _, t := range compatible {
			fmt.Fprintf(bw, "- `%s`: %s", t.Topic, t.Change)
			if t.Compatibility != "" {
				fmt.Fprintf(bw, " (%s at %s)", t.Compatibility, t.Level)
			}
			fmt.Fprintln(bw)
		}
		fmt.Fprintf(bw, "\n</details>\n\n")
	}
	for _, n := range r.Notes {
		fmt.Fprintf(bw, "> **Note:** %s\n\n", cell(n))
	}
	fmt.Fprintf(bw, "<sub>`registry lint` on `%s`: %s.</sub>\n", r.Root, headline(r))
	return bw.Flush()
}

// topicAbout describes a topic's change, mode and owner in a sentence, or "".
func topicAbout(r *Report, name string) string {
	t, ok := r.topic(name)
	if !ok {
		return ""
	}
	var about []string
	if t.Compatibility != "" {
		about = append(about, fmt.Sprintf("Compatibility %s at %s", t.Compatibility, t.Level))
	}
	if t.Versions > 1 {
		about = append(about, fmt.Sprintf("checked against %d earlier versions", t.Versions))
	}
	if t.Service != "" {
		owner := fmt.Sprintf("owned by `%s`", t.Service)
		if t.Owner != "" {
			owner += " (" + cell(t.Owner) + ")"
		}
		about = append(about, owner)
	}
	if t.Change == ChangeDeleted {
		about = append([]string{"Deleted"}, about...)
	}
	return strings.Join(about, ", ")
}

// findingTable prints findings as a table, files relative to the
// repository; withTopic adds their topic.
func findingTable(w io.Writer, r *Report, findings []Finding, withTopic bool) {
	if withTopic {
		fmt.Fprintf(w, "| | Rule | Topic | Where | What |\n|---|---|---|---|---|\n")
	} else {
		fmt.Fprintf(w, "| | Rule | Where | What |\n|---|---|---|---|\n")
	}
	for _, f := range findings {
		icon := map[registry.Severity]string{registry.SeverityError: "❌", registry.SeverityWarning: "⚠️", registry.SeverityInfo: "ℹ️"}[f.Severity]
		rule := "`" + f.Rule + "`"
		if d := directionText(f); d != "" {
			rule += " (" + cell(d) + ")"
		}
		where := ""
		if p := r.ciPosition(f); p != "" {
			where = "`" + p + "`"
		}
		if withTopic {
			var topics []string
			for _, t := range f.TopicNames() {
				topics = append(topics, "`"+t+"`")
			}
			topic := strings.Join(topics, ", ")
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", icon, rule, topic, where, cell(f.Message))
		} else {
			fmt.Fprintf(w, "| %s | %s | %s | %s |\n", icon, rule, where, cell(f.Message))
		}
	}
	fmt.Fprintln(w)
}

// cell makes text safe in a table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\r\n", "<br>", "\n", "<br>", "<", "&lt;", ">", "&gt;").Replace(s)
}

// markdownBase puts the base in code style.
func markdownBase(r *Report, line string) string {
	base := r.Against
	if showBase(r) {
		base += " (" + short(r.Base) + ")"
	}
	against := "`" + r.Against + "`"
	if showBase(r) {
		against += " (`" + short(r.Base) + "`)"
	}
	return strings.Replace(line, base, against, 1)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
