package lint

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	registry "github.com/backbone-registry/backbone"
)

// Formats are the output formats, the first the default.
var Formats = []string{"text", "json", "github", "sarif", "junit", "markdown"}

// WriteOptions tune the output.
type WriteOptions struct {
	Color       bool              // text: ANSI colours (for a terminal)
	FailOn      registry.Severity // the lowest severity that fails the run (default error): junit failures
	ToolVersion string            // sarif: the driver's version
}

func (o WriteOptions) failOn() registry.Severity {
	if o.FailOn == "" {
		return registry.SeverityError
	}
	return o.FailOn
}

// Write prints the report in one of Formats.
func Write(w io.Writer, r *Report, format string, o WriteOptions) error {
	switch format {
	case "", "text":
		return writeText(w, r, o)
	case "json":
		return WriteJSON(w, r)
	case "github":
		return writeGitHub(w, r)
	case "sarif":
		return writeSARIF(w, r, o)
	case "junit":
		return writeJUnit(w, r, o)
	case "markdown":
		return writeMarkdown(w, r)
	}
	return registry.Errorf(registry.EINVALID, "unknown format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

// WriteJSON prints the report as indented JSON (the shape of Report).
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// headline is the one-line summary every format ends or starts with.
func headline(r *Report) string {
	s := r.Summary
	return fmt.Sprintf("%d services, %d topics: %d errors, %d warnings, %d info", s.Services, s.Topics, s.Errors, s.Warnings, s.Infos)
}

// comparisonLine summarises the comparison with the base, or "".
func comparisonLine(r *Report) string {
	if r.Against == "" {
		return ""
	}
	s := r.Summary
	base := r.Against
	if showBase(r) {
		base += " (" + short(r.Base) + ")"
	}
	return fmt.Sprintf("against %s: %d %s changed, %d new, %d deleted; %d breaking, %d %s affected",
		base, s.TopicsChanged, plural(s.TopicsChanged, "topic", "topics"), s.TopicsNew, s.TopicsDeleted,
		s.TopicsBreaking, s.ConsumersAffected, plural(s.ConsumersAffected, "consumer", "consumers"))
}

// showBase reports whether the resolved base says more than the base as
// given: a SHA for a branch or tag, not for a SHA or a URL.
func showBase(r *Report) bool {
	return r.Base != "" && !strings.HasPrefix(r.Base, r.Against)
}

// withTeams renders services as "svc (team)".
func withTeams(r *Report, services []string) []string {
	out := make([]string, len(services))
	for i, s := range services {
		out[i] = s
		if o := r.Owners[s]; o != "" {
			out[i] += " (" + o + ")"
		}
	}
	return out
}

// groupHeader names a group's topics: one topic with what changed, or the
// several topics one change reaches.
func groupHeader(r *Report, g group) string {
	if len(g.topics) == 1 {
		return topicHeader(r, g.topics[0])
	}
	return fmt.Sprintf("%d topics: %s", len(g.topics), g.topic)
}

// topicHeader describes a topic: its change, mode, level and owner.
func topicHeader(r *Report, topic string) string {
	t, ok := r.topic(topic)
	if !ok {
		return topic
	}
	var parts []string
	parts = append(parts, t.Change)
	if t.Compatibility != "" {
		parts = append(parts, string(t.Compatibility)+" at "+string(t.Level))
	}
	if t.Versions > 1 {
		parts = append(parts, fmt.Sprintf("checked against %d versions", t.Versions))
	}
	if t.Owner != "" {
		parts = append(parts, "owner "+t.Owner)
	}
	return topic + " (" + strings.Join(parts, "; ") + ")"
}
