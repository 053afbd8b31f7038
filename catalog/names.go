package catalog

import (
	"regexp"
	"strings"

	registry "github.com/backbone-registry/backbone"
)

// segment is one dot-separated part of a company, namespace, service or
// private-topic word: lower case, starting with a letter.
var segment = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// versionSegment is the optional major version before a topic's kind, as
// in acme.retail.pricing.v2.events.
var versionSegment = regexp.MustCompile(`^v[0-9]+$`)

// topicName is a topic name split by the naming convention
// <company>.<namespace>.<service>[.vN].<kind>.
type topicName struct {
	Service string // <company>.<namespace>.<service>
	Version string // "v2", or empty
	Kind    registry.Kind
}

// parseTopicName splits full by the naming convention. ok is false when
// the name does not follow it; the reason says why.
func parseTopicName(full string) (n topicName, reason string, ok bool) {
	parts := strings.Split(full, ".")
	if len(parts) < 4 {
		return n, "want <company>.<namespace>.<service>.<kind>", false
	}
	for _, p := range parts[:3] {
		if !segment.MatchString(p) {
			return n, "segment " + quote(p) + " must be lower case letters, digits and hyphens, starting with a letter", false
		}
	}
	n.Service = strings.Join(parts[:3], ".")
	rest := parts[3:]
	if versionSegment.MatchString(rest[0]) && len(rest) > 1 {
		n.Version, rest = rest[0], rest[1:]
	}
	kind, reason, ok := parseKind(rest)
	n.Kind = kind
	return n, reason, ok
}

func parseKind(parts []string) (registry.Kind, string, bool) {
	const want = "kind must be events, commands, results, private.reply, private.dlq or private.<word>"
	switch {
	case len(parts) == 1:
		k := registry.Kind(parts[0])
		if k == registry.KindEvents || k == registry.KindCommands || k == registry.KindResults {
			return k, "", true
		}
	case len(parts) == 2 && parts[0] == "private":
		if segment.MatchString(parts[1]) {
			return registry.Kind("private." + parts[1]), "", true
		}
	}
	return "", want + ", not " + quote(strings.Join(parts, ".")), false
}

func quote(s string) string { return `"` + s + `"` }

// expandTopicName turns the short form written in service.yaml (the kind,
// optionally after a version: "events", "v2.events") into a full name.
// A name that already starts with the company is taken as written.
func expandTopicName(company, service, name string) string {
	if strings.HasPrefix(name, company+".") {
		return name
	}
	return service + "." + name
}
