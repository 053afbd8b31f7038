package catalog

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/compat"
)

// Governance rule IDs.
const (
	RuleTopicName               = "TOPIC_NAME"
	RuleSingleWriter            = "SINGLE_WRITER"
	RuleSingleReader            = "SINGLE_READER"
	RulePrivateTopic            = "PRIVATE_TOPIC"
	RuleUnknownTopic            = "UNKNOWN_TOPIC"
	RuleMessageNotFound         = "MESSAGE_NOT_FOUND"
	RulePackageMatchesService   = "PACKAGE_MATCHES_SERVICE"
	RuleDocMissing              = "DOC_MISSING"
	RuleDeprecatedTopicConsumed = "DEPRECATED_TOPIC_CONSUMED"
	RuleSunsetPassed            = "SUNSET_PASSED"
	RuleOrphanTopic             = "ORPHAN_TOPIC"
)

// rule is one governance rule: its description and its check. A check is
// a small pure function over the catalog that reports findings through emit;
// the runner fills in the rule ID and severity.
type rule struct {
	registry.Rule
	check func(c *Catalog, now time.Time, emit func(registry.Finding))
}

// governance is the rule table, in documentation order.
var governance = []rule{
	{registry.Rule{ID: RuleTopicName, Purpose: "Topic names follow <company>.<namespace>.<service>[.vN].<kind>.", Default: registry.SeverityError,
		Doc: "A topic's name says who owns it and what it carries. The kind is events, commands, results, private.reply, private.dlq or private.<word>; a major version (v2) may precede it. Write the short form in service.yaml (name: events) and it expands under the service."}, checkTopicName},
	{registry.Rule{ID: RuleSingleWriter, Purpose: "Fact topics (events, results) are written only by their owner.", Default: registry.SeverityError,
		Doc: "A fact has one source of truth. If another service needs to state a fact, it owns its own events topic; if it wants the owner to act, it sends a command."}, checkSingleWriter},
	{registry.Rule{ID: RuleSingleReader, Purpose: "Command topics are consumed only by their owner.", Default: registry.SeverityError,
		Doc: "A command asks one service to do something: the owner of the commands topic executes it. Services that want to react to what happened consume the owner's events instead."}, checkSingleReader},
	{registry.Rule{ID: RulePrivateTopic, Purpose: "Private topics are used only by their owner; others may only write to a private.reply topic.", Default: registry.SeverityError,
		Doc: "private.* topics (dead letters, retries, replies) are implementation details of their owner. The one exception: services answering the owner's commands produce to its private.reply topic."}, checkPrivateTopic},
	{registry.Rule{ID: RuleUnknownTopic, Purpose: "produces, consumes and replaced_by name topics that some service declares.", Default: registry.SeverityError,
		Doc: "A reference to an undeclared topic is usually a typo or a topic that was removed. Declare the topic in its owner's service.yaml, or fix the name."}, checkUnknownTopic},
	{registry.Rule{ID: RuleMessageNotFound, Purpose: "A topic's key and value messages exist in the compiled schemas.", Default: registry.SeverityError,
		Doc: "value, values and key name fully-qualified Protobuf messages (package.Message) defined under the schema root; a key may also be a scalar type such as string."}, checkMessageNotFound},
	{registry.Rule{ID: RulePackageMatchesService, Purpose: "Proto files in a service directory use a package under <company>.<namespace>.<service>.", Default: registry.SeverityError,
		Doc: "Packages mirror ownership, so a message's name says which service owns it (acme.retail.orders.v1). Shared types live outside service directories, e.g. common/v1 with package acme.common.v1."}, checkPackageMatchesService},
	{registry.Rule{ID: RuleDocMissing, Purpose: "Topics, messages, fields and enums carry a description.", Default: registry.SeverityWarning,
		Doc: "Consumers the producer never met read these contracts. Give every topic a description and every message, field, enum and enum value a leading // comment saying what it means, its unit and format."}, checkDocMissing},
	{registry.Rule{ID: RuleDeprecatedTopicConsumed, Purpose: "No service consumes a deprecated topic.", Default: registry.SeverityWarning,
		Doc: "A deprecated topic is being retired after a handshake with its consumers. Move to the topic named in replaced_by before the sunset date."}, checkDeprecatedTopicConsumed},
	{registry.Rule{ID: RuleSunsetPassed, Purpose: "A deprecated topic's sunset date has not passed.", Default: registry.SeverityWarning,
		Doc: "Past its sunset a deprecated topic should be gone: delete it from service.yaml once nobody consumes it, or move the date with its consumers' agreement."}, checkSunsetPassed},
	{registry.Rule{ID: RuleOrphanTopic, Purpose: "Every topic has at least one consumer, unless it is deprecated.", Default: registry.SeverityInfo,
		Doc: "A topic nobody reads may be dead weight, or a consumer forgot to declare it in consumes. Deprecated topics are exempt: having no consumers is their goal."}, checkOrphanTopic},
}

// Rules returns the governance rule catalogue with default severities.
func Rules() []registry.Rule {
	out := make([]registry.Rule, len(governance))
	for i, r := range governance {
		out[i] = r.Rule
		out[i].Category = "governance"
	}
	return out
}

// RuleTopicNoDelete reports a topic deleted while services consume it,
// found by comparing a candidate repository with a base (registry lint,
// POST /v1/check).
const RuleTopicNoDelete = "TOPIC_NO_DELETE"

// repositoryRules are the rules about a repository as a whole: that it
// loads at all, and that its topics are not deleted under their consumers.
var repositoryRules = []registry.Rule{
	{ID: RuleCompile, Category: "repository", Default: registry.SeverityError,
		Purpose: "Every file of the schema repository loads: YAML and Protobuf syntax, known keys, resolvable imports, limits.",
		Doc:     "Content that does not load cannot be checked or served. The message says what the parser or compiler found at file:line:col."},
	{ID: RuleTopicNoDelete, Category: "compatibility", Default: registry.SeverityError,
		Purpose: "A topic is not deleted while other services consume it.",
		Doc: "Deleting a topic breaks every service that reads it, and its records stay on the broker. Retire it after a handshake: " +
			"mark it deprecated with a sunset date and replaced_by, let each consumer move and drop it from consumes, then delete it. " +
			"Once its sunset has passed, a deletion is only a warning.",
		Bad: "delete the events topic from service.yaml while acme.retail.stock consumes it", Good: "deprecate it, move the consumers, then delete it"},
}

// Catalogue returns every rule: governance rules, compatibility rules,
// then the repository rules (COMPILE, TOPIC_NO_DELETE).
func Catalogue() []registry.Rule {
	out := append(Rules(), compat.Rules()...)
	return append(out, repositoryRules...)
}

// Severity returns the severity the repository configured for a rule;
// compatibility rules are errors.
func (c *Catalog) Severity(ruleID string) registry.Severity {
	if s, ok := c.severities[ruleID]; ok {
		return s
	}
	return registry.SeverityError
}

// runRules applies every rule not switched off and returns the findings
// sorted by position.
func runRules(c *Catalog, now time.Time) []registry.Finding {
	findings := []registry.Finding{}
	for _, r := range governance {
		sev := c.severities[r.ID]
		if sev == registry.SeverityOff {
			continue
		}
		r.check(c, now, func(f registry.Finding) {
			f.Rule, f.Severity = r.ID, sev
			findings = append(findings, f)
		})
	}
	slices.SortStableFunc(findings, func(a, b registry.Finding) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column), cmp.Compare(a.Rule, b.Rule))
	})
	return findings
}

func checkTopicName(c *Catalog, _ time.Time, emit func(registry.Finding)) {
	for _, d := range c.decls {
		for _, td := range d.topics {
			t := td.topic
			n, reason, ok := parseTopicName(t.Name)
			switch {
			case !ok:
				emit(registry.Finding{Topic: t.Name, Service: d.service.Name, Position: td.name.Pos,
					Message: fmt.Sprintf("topic %s: %s", t.Name, reason)})
			case n.Service != d.service.Name:
				emit(registry.Finding{Topic: t.Name, Service: d.service.Name, Position: td.name.Pos,
					Message: fmt.Sprintf("topic %s is declared by %s but named under %s: use the short form (name: %s)", t.Name, d.service.Name, n.Service, strings.TrimPrefix(t.Name, n.Service+"."))})
			}
		}
	}
}

func checkSingleWriter(c *Catalog, _ time.Time, emit func(registry.Finding)) {
	for _, d := range c.decls {
		for _, r := range d.produces {
			if t, ok := c.byName[r.Name]; ok && t.Kind.IsFact() && t.Service != d.service.Name {
				emit(registry.Finding{Topic: t.Name, Service: d.service.Name, Position: r.Pos,
					Message: fmt.Sprintf("%s produces %s, a fact topic (%s) owned by %s: only the owner writes facts; publish your own events topic or send %s a command", d.service.Name, t.Name, t.Kind, t.Service, t.Service)})
			}
		}
	}
}

func checkSingleReader(c *Catalog, _ time.Time, emit func(registry.Finding)) {
	for _, d := range c.decls {
		for _, r := range d.consumes {
			if t, ok := c.byName[r.Name]; ok && t.Kind.IsCommand() && t.Service != d.service.Name {
				emit(registry.Finding{Topic: t.Name, Service: d.service.Name, Position: r.Pos,
					Message: fmt.Sprintf("%s consumes %s, a commands topic owned by %s: only the owner executes its commands; consume %s's events instead", d.service.Name, t.Name, t.Service, t.Service)})
			}
		}
	}
}

func checkPrivateTopic(c *Catalog, _ time.Time, emit func(registry.Finding)) {
	for _, d := range c.decls {
		use := func(refs []nameRef, verb string, allowed func(*registry.Topic) bool) {
			for _, r := range refs {
				t, ok := c.byName[r.Name]
				if !ok || !t.Kind.IsPrivate() || t.Service == d.service.Name || allowed(t) {
					continue
				}
				emit(registry.Finding{Topic: t.Name, Service: d.service.Name, Position: r.Pos,
					Message: fmt.Sprintf("%s %s %s, a private topic of %s", d.service.Name, verb, t.Name, t.Service)})
			}
		}
		use(d.produces, "produces", func(t *registry.Topic) bool { return t.Kind == registry.KindPrivateReply })
		use(d.consumes, "consumes", func(*registry.Topic) bool { return false })
	}
}

func checkUnknownTopic(c *Catalog, _ time.Time, emit func(registry.Finding)) {
	for _, d := range c.decls {
		check := func(r nameRef, field string) {
			if _, ok := c.byName[r.Name]; !ok {
				emit(registry.Finding{Service: d.service.Name, Position: r.Pos,
					Message: fmt.Sprintf("%s: no service declares topic %q%s", field, r.Name, suggest(c, r.Name))})
			}
		}
		for _, r := range d.produces {
			check(r, "produces")
		}
		for _, r := range d.consumes {
			check(r, "consumes")
		}
		for _, td := range d.topics {
			if td.replacedBy != nil {
				check(*td.replacedBy, "replaced_by")
			}
		}
	}
}

// suggest names a declared topic close to name, for typos.
func suggest(c *Catalog, name string) string {
	best, bestDist := "", 4
	for _, t := range c.topics {
		if d := editDistance(name, t.Name); d < bestDist {
			best, bestDist = t.Name, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func checkMessageNotFound(c *Catalog, _ time.Time, emit func(registry.Finding)) {
	for _, d := range c.decls {
		for _, td := range d.topics {
			refs := td.values
			if td.key != nil && !isScalar(td.key.Name) {
				refs = append(slices.Clip(refs), *td.key)
			}
			for _, r := range refs {
				if _, ok := c.schema.FindMessage(r.Name); ok {
					continue
				}
				msg := fmt.Sprintf("topic %s: no message %q under the schema root", td.topic.Name, r.Name)
				if _, isEnum := c.schema.FindEnum(r.Name); isEnum {
					msg = fmt.Sprintf("topic %s: %q is an enum; a topic carries a message", td.topic.Name, r.Name)
				} else if !strings.Contains(r.Name, ".") {
					msg += " (write the fully-qualified name, package.Message)"
				}
				emit(registry.Finding{Topic: td.topic.Name, Service: d.service.Name, Position: r.Pos, Message: msg})
			}
		}
	}
}

// serviceOfFile returns the service whose directory holds a proto file.
func (c *Catalog) serviceOfFile(file string) (*registry.Service, bool) {
	parts := strings.SplitN(file, "/", 3)
	if len(parts) < 3 {
		return nil, false
	}
	s, ok := c.bySvc[c.company+"."+parts[0]+"."+parts[1]]
	return s, ok
}

func checkPackageMatchesService(c *Catalog, _ time.Time, emit func(registry.Finding)) {
	for _, f := range c.schema.Files() {
		svc, ok := c.serviceOfFile(f.Path())
		if !ok {
			continue
		}
		pkg := string(f.Package())
		if pkg == svc.Name || strings.HasPrefix(pkg, svc.Name+".") {
			continue
		}
		pos := registry.Position{File: f.Path(), Line: 1, Column: 1}
		if loc := f.SourceLocations().ByPath(protoreflect.SourcePath{2}); loc.StartLine > 0 || loc.StartColumn > 0 { // 2: FileDescriptorProto.package
			pos.Line, pos.Column = loc.StartLine+1, loc.StartColumn+1
		}
		want := svc.Name + ".v1"
		if pkg == "" {
			pkg = "(none)"
		}
		emit(registry.Finding{Service: svc.Name, Position: pos,
			Message: fmt.Sprintf("package %s in %s's directory: use a package under %s, e.g. package %s;", pkg, svc.Name, svc.Name, want)})
	}
}

func checkDocMissing(c *Catalog, _ time.Time, emit func(registry.Finding)) {
	for _, d := range c.decls {
		for _, td := range d.topics {
			if !td.described {
				emit(registry.Finding{Topic: td.topic.Name, Service: d.service.Name, Position: td.name.Pos,
					Message: fmt.Sprintf("topic %s has no description: say what it carries and when it is written", td.topic.Name)})
			}
		}
	}
	for _, f := range c.schema.Files() {
		svc, _ := c.serviceOfFile(f.Path())
		var owner string
		if svc != nil {
			owner = svc.Name
		}
		missing := func(d protoreflect.Descriptor, what string) {
			if compat.Doc(d) == "" {
				emit(registry.Finding{Service: owner, Position: compat.Position(d),
					Message: fmt.Sprintf("%s %s has no comment: add a // comment above it saying what it means", what, d.FullName())})
			}
		}
		var walkEnums func(protoreflect.EnumDescriptors)
		walkEnums = func(enums protoreflect.EnumDescriptors) {
			for i := range enums.Len() {
				e := enums.Get(i)
				missing(e, "enum")
				for j := range e.Values().Len() {
					missing(e.Values().Get(j), "enum value")
				}
			}
		}
		var walk func(protoreflect.MessageDescriptors)
		walk = func(msgs protoreflect.MessageDescriptors) {
			for i := range msgs.Len() {
				m := msgs.Get(i)
				if m.IsMapEntry() {
					continue
				}
				missing(m, "message")
				for j := range m.Fields().Len() {
					missing(m.Fields().Get(j), "field")
				}
				walk(m.Messages())
				walkEnums(m.Enums())
			}
		}
		walk(f.Messages())
		walkEnums(f.Enums())
	}
}

func checkDeprecatedTopicConsumed(c *Catalog, _ time.Time, emit func(registry.Finding)) {
	for _, d := range c.decls {
		for _, r := range d.consumes {
			t, ok := c.byName[r.Name]
			if !ok || t.Deprecated == nil {
				continue
			}
			msg := fmt.Sprintf("%s consumes %s, which is deprecated", d.service.Name, t.Name)
			if !t.Deprecated.Sunset.IsZero() {
				msg += " (sunset " + t.Deprecated.Sunset.Format(time.DateOnly) + ")"
			}
			if t.Deprecated.ReplacedBy != "" {
				msg += ": move to " + t.Deprecated.ReplacedBy
			}
			emit(registry.Finding{Topic: t.Name, Service: d.service.Name, Position: r.Pos, Message: msg})
		}
	}
}

func checkSunsetPassed(c *Catalog, now time.Time, emit func(registry.Finding)) {
	for _, d := range c.decls {
		for _, td := range d.topics {
			dep := td.topic.Deprecated
			if dep == nil || dep.Sunset.IsZero() || now.Before(dep.Sunset) {
				continue
			}
			emit(registry.Finding{Topic: td.topic.Name, Service: d.service.Name, Position: td.deprecation,
				Message: fmt.Sprintf("topic %s passed its sunset on %s: delete it once nobody consumes it (consumers: %s)", td.topic.Name, dep.Sunset.Format(time.DateOnly), listOrNone(td.topic.Consumers, d.service.Name))})
		}
	}
}

func listOrNone(services []string, except string) string {
	var out []string
	for _, s := range services {
		if s != except {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

func checkOrphanTopic(c *Catalog, _ time.Time, emit func(registry.Finding)) {
	for _, d := range c.decls {
		for _, td := range d.topics {
			if t := td.topic; len(t.Consumers) == 0 && t.Deprecated == nil {
				emit(registry.Finding{Topic: t.Name, Service: d.service.Name, Position: td.name.Pos,
					Message: fmt.Sprintf("topic %s has no consumer: if a service reads it, list it under that service's consumes", t.Name)})
			}
		}
	}
}
