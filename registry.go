// Package registry holds Backbone's domain: services, topics, the messages
// they carry, findings, rules and the error type shared by every package.
//
// It imports only the standard library. Sub-packages implement it:
// compat compiles schemas and compares them, catalog builds the repository
// model and applies governance rules, api serves it over HTTP, and
// cmd/registry wires everything together.
package registry

import (
	"fmt"
	"strings"
)

// Kind is the role of a topic, the last part of its name.
type Kind string

// Topic kinds from the naming convention. Private topics carry any word
// after "private."; KindPrivate stands for every private kind but reply.
const (
	KindEvents       Kind = "events"
	KindCommands     Kind = "commands"
	KindResults      Kind = "results"
	KindPrivateReply Kind = "private.reply"
	KindPrivateDLQ   Kind = "private.dlq"
)

// IsFact reports whether topics of this kind carry facts (events, results),
// which only their owner may write.
func (k Kind) IsFact() bool { return k == KindEvents || k == KindResults }

// IsCommand reports whether topics of this kind carry commands, which only
// their owner may read.
func (k Kind) IsCommand() bool { return k == KindCommands }

// IsPrivate reports whether topics of this kind belong to their owner alone
// (private.reply, private.dlq, private.<word>).
func (k Kind) IsPrivate() bool { return strings.HasPrefix(string(k), "private.") }

// Compatibility is how a topic's schema may evolve, as a reader/writer
// relation between versions.
type Compatibility string

// Compatibility modes. BACKWARD: the new schema reads data written with the
// previous one; FORWARD: the previous schema reads data written with the new
// one; FULL: both. TRANSITIVE variants hold against every earlier version.
const (
	CompatNone               Compatibility = "NONE"
	CompatBackward           Compatibility = "BACKWARD"
	CompatBackwardTransitive Compatibility = "BACKWARD_TRANSITIVE"
	CompatForward            Compatibility = "FORWARD"
	CompatForwardTransitive  Compatibility = "FORWARD_TRANSITIVE"
	CompatFull               Compatibility = "FULL"
	CompatFullTransitive     Compatibility = "FULL_TRANSITIVE"
)

// Compatibilities lists every compatibility mode, in documentation order.
var Compatibilities = []Compatibility{
	CompatNone, CompatBackward, CompatBackwardTransitive, CompatForward,
	CompatForwardTransitive, CompatFull, CompatFullTransitive,
}

// ParseCompatibility returns the mode named s (upper case, as in YAML).
// It returns EINVALID for an unknown name.
func ParseCompatibility(s string) (Compatibility, error) {
	for _, c := range Compatibilities {
		if string(c) == s {
			return c, nil
		}
	}
	return "", Errorf(EINVALID, "unknown compatibility %q (want one of %s)", s, joinNames(Compatibilities))
}

// Level is what counts as breaking: binary payloads only, JSON payloads too,
// or generated source code.
type Level string

// Compatibility levels, from the loosest to the strictest.
const (
	LevelWire     Level = "WIRE"
	LevelWireJSON Level = "WIRE_JSON"
	LevelFile     Level = "FILE"
)

// Levels lists every level, from the loosest to the strictest.
var Levels = []Level{LevelWire, LevelWireJSON, LevelFile}

// ParseLevel returns the level named s. It returns EINVALID for an unknown name.
func ParseLevel(s string) (Level, error) {
	for _, l := range Levels {
		if string(l) == s {
			return l, nil
		}
	}
	return "", Errorf(EINVALID, "unknown level %q (want one of %s)", s, joinNames(Levels))
}

// Severity is how much a finding matters. Findings at SeverityError fail
// `registry lint` and keep a snapshot from being served.
type Severity string

// Severities, from the most to the least severe. SeverityOff disables a rule.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
	SeverityOff     Severity = "off"
)

// Severities lists every severity, from the most to the least severe.
var Severities = []Severity{SeverityError, SeverityWarning, SeverityInfo, SeverityOff}

// ParseSeverity returns the severity named s. It returns EINVALID for an
// unknown name.
func ParseSeverity(s string) (Severity, error) {
	for _, v := range Severities {
		if string(v) == s {
			return v, nil
		}
	}
	return "", Errorf(EINVALID, "unknown severity %q (want one of %s)", s, joinNames(Severities))
}

// AtLeast reports whether s is as severe as min or more. Off is below everything.
func (s Severity) AtLeast(min Severity) bool { return s.rank() <= min.rank() }

func (s Severity) rank() int {
	for i, v := range Severities {
		if v == s {
			return i
		}
	}
	return len(Severities)
}

func joinNames[T ~string](names []T) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = string(n)
	}
	return strings.Join(parts, ", ")
}

// Position is a place in a repository file; Line and Column start at 1.
// A zero Line means the whole file.
type Position struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

// String formats p as file:line:col, the form editors and CI annotate.
func (p Position) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Column == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// Backward reports whether the mode requires new schemas to read old data.
func (c Compatibility) Backward() bool {
	return c == CompatBackward || c == CompatBackwardTransitive || c == CompatFull || c == CompatFullTransitive
}

// Forward reports whether the mode requires old schemas to read new data.
func (c Compatibility) Forward() bool {
	return c == CompatForward || c == CompatForwardTransitive || c == CompatFull || c == CompatFullTransitive
}

// Transitive reports whether the mode holds against every earlier version,
// not only the latest.
func (c Compatibility) Transitive() bool { return strings.HasSuffix(string(c), "_TRANSITIVE") }

// Includes reports whether level l checks everything level other checks:
// FILE includes WIRE_JSON, which includes WIRE.
func (l Level) Includes(other Level) bool { return l.rank() >= other.rank() }

func (l Level) rank() int {
	for i, v := range Levels {
		if v == l {
			return i
		}
	}
	return -1
}
