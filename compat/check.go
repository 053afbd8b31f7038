package compat

import (
	"regexp"
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	registry "github.com/backbone-registry/backbone"
)

// Options say how to check one topic.
type Options struct {
	Topic     string
	Mode      registry.Compatibility // NONE or empty: no check
	Level     registry.Level         // empty: WIRE_JSON
	Except    []string               // rule IDs this topic opts out of (service.yaml except:)
	Consumers []string               // services a break hurts, copied into each finding
}

// Check compares the current contract of a topic with its earlier versions
// (oldest first) under the topic's mode and level, and returns the findings,
// each at error severity. Non-transitive modes compare with the latest
// earlier version only. A finding without a file is about the topic's
// declaration, which the caller knows and compat does not.
//
// Check is pure: descriptors in, findings out.
func Check(previous []Contract, current Contract, opts Options) []registry.Finding {
	if opts.Mode == "" || opts.Mode == registry.CompatNone || len(previous) == 0 {
		return nil
	}
	if opts.Level == "" {
		opts.Level = registry.LevelWireJSON
	}
	against := previous
	if !opts.Mode.Transitive() {
		against = previous[len(previous)-1:]
	}
	var wanted []registry.Direction
	if opts.Mode.Backward() {
		wanted = append(wanted, registry.DirectionBackward)
	}
	if opts.Mode.Forward() {
		wanted = append(wanted, registry.DirectionForward)
	}

	findings := []registry.Finding{}
	seen := map[string]bool{}
	add := func(f registry.Finding, key string) {
		if !seen[key] {
			seen[key] = true
			findings = append(findings, f)
		}
	}
	for i := len(against) - 1; i >= 0; i-- { // latest first: its findings read most naturally
		prev := against[i]
		d := pair(prev, current)
		for _, r := range rules {
			if !opts.Level.Includes(r.Level) || slices.Contains(opts.Except, r.ID) {
				continue
			}
			var s sink
			r.check(d, &s)
			for _, v := range s.out {
				dir, ok := direction(v.dirs, wanted)
				if !ok {
					continue
				}
				pos, via, prefix := d.locate(v.where)
				anchor := v.anchor
				if via != nil && (anchor == nil || readOnly(anchor)) {
					anchor = via // the user's field carries the ignore comment
				}
				ign := findIgnore(anchor, r.ID)
				if ign.found && ign.reason != "" {
					continue
				}
				if ign.found {
					add(registry.Finding{
						Rule: RuleIgnoreWithoutReason, Severity: registry.SeverityError, Topic: opts.Topic,
						Position: ign.pos, Message: "registry:ignore " + r.ID + " has no reason, so it does not count: say why the break is acceptable after the rule ID",
					}, RuleIgnoreWithoutReason+ign.pos.String()+r.ID)
				}
				msg := prefix + v.msg
				if len(against) > 1 && prev.Label != "" {
					msg += " (against " + prev.Label + ")"
				}
				add(registry.Finding{
					Rule: r.ID, Severity: registry.SeverityError, Direction: dir, Topic: opts.Topic,
					Position: pos, Message: msg, Consumers: opts.Consumers,
				}, r.ID+"\x00"+pos.String()+"\x00"+prefix+v.msg)
			}
		}
	}
	return findings
}

// direction intersects the directions a violation breaks with those the
// mode guards.
func direction(broken, wanted []registry.Direction) (registry.Direction, bool) {
	var got []registry.Direction
	for _, d := range broken {
		if slices.Contains(wanted, d) {
			got = append(got, d)
		}
	}
	switch len(got) {
	case 0:
		return "", false
	case 1:
		return got[0], true
	}
	return registry.DirectionBoth, true
}

// ignorePattern matches "registry:ignore RULE_ID reason" in a comment line.
var ignorePattern = regexp.MustCompile(`registry:ignore\s+([A-Z0-9_]+)[ \t]*(.*)`)

type ignore struct {
	found  bool
	reason string
	pos    registry.Position
}

// findIgnore looks for "registry:ignore RULE" in the comments of anchor and
// of the messages enclosing it.
func findIgnore(anchor protoreflect.Descriptor, ruleID string) ignore {
	for d := anchor; d != nil; d = d.Parent() {
		if _, isFile := d.(protoreflect.FileDescriptor); isFile {
			break
		}
		loc := d.ParentFile().SourceLocations().ByDescriptor(d)
		comments := append([]string{loc.LeadingComments, loc.TrailingComments}, loc.LeadingDetachedComments...)
		for _, c := range comments {
			for _, line := range strings.Split(c, "\n") {
				m := ignorePattern.FindStringSubmatch(line)
				if m != nil && m[1] == ruleID {
					return ignore{found: true, reason: strings.TrimSpace(m[2]), pos: Position(d)}
				}
			}
		}
	}
	return ignore{}
}
