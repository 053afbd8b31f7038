package catalog

import (
	"errors"
	"slices"
	"strings"
	"testing"

	registry "github.com/backbone-registry/backbone"
)

// FuzzLoadServiceYAML feeds arbitrary bytes to Load as stock's service.yaml
// in the base repository. Load must not panic, and must either succeed with
// located findings or fail with an EINVALID error whose diagnostics name
// their file.
func FuzzLoadServiceYAML(f *testing.F) {
	for _, seed := range []string{
		baseFiles[stockYAML],
		baseFiles[ordersYAML],
		"",
		"\t",
		"null\n",
		"[]\n",
		"description: [Owns stock levels.\n",
		"description: x\n  owner: y\n",
		"ownr: stock-team\n",
		"topics: 3\n",
		"topics:\n  - null\n  - 3\n  - {}\n  - []\n",
		"topics:\n  - name: 12\n    value: 1.10\n    key: true\n",
		"topics:\n  - name: events\n    value: acme.retail.stock.v1.StockEvent\n    values: [acme.retail.stock.v1.StockKey]\n",
		"topics:\n  - name: events\n    value: x\n    deprecated: {since: 2026-13-01, sunset: tomorrow, replaced_by: [a]}\n",
		"topics:\n  - name: events\n    value: x\n    deprecated:\n      sunset: 2026-11-23\n      foo: 1\n",
		"description: |\n  block\n  text\nowner: >-\n  folded\ncontact: &c x\ntopics:\n  - name: *c\n    value: !!str 12\n",
		"<<: {description: x}\ntopics: [{name: private.Retry, value: acme.retail.stock.v1.StockEvent, compatibility: SIDEWAYS, level: BYTES}]\n",
		"topics:\n  - name: acme.retail.orders.events\n    value: acme.retail.stock.v1.StockEvent\n  - name: events\n    value: acme.retail.stock.v1.StockEvent\n  - name: events\n    value: acme.retail.stock.v1.StockEvent\n",
		"produces: [acme.retail.orders.events, acme.retail.orders.private.dlq, nope]\nconsumes: [acme.retail.orders.commands, {a: b}]\n",
		"description: .inf\nowner: .nan\ncontact: 0x1F\n",
		"a: &a [*a]\n",
		"topics: !!seq\n", // panicked in go-yaml (goccy/go-yaml#735)
		"\xff\xfe\x00garbage",
		"%YAML 1.2\n---\ndescription: x\n---\ndescription: y\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := repoWith(t)
		fsys[stockYAML].Data = data
		c, err := Load(t.Context(), fsys, testOptions())
		if err != nil {
			var e *registry.Error
			if !errors.As(err, &e) {
				t.Fatalf("Load error %T %v, want a *registry.Error", err, err)
			}
			if e.Code != registry.EINVALID {
				t.Fatalf("Load error code %q, want %q: %v", e.Code, registry.EINVALID, err)
			}
			if len(e.Diagnostics) == 0 {
				t.Fatalf("Load error without diagnostics: %v", err)
			}
			for _, d := range e.Diagnostics {
				if d.File == "" || d.Message == "" {
					t.Fatalf("diagnostic without file or message: %+v", d)
				}
				if d.Line < 0 || d.Column < 0 || d.Line == 0 && d.Column != 0 {
					t.Fatalf("diagnostic at a bad position: %+v", d)
				}
			}
			return
		}
		if c == nil {
			t.Fatalf("Load returned neither a catalog nor an error")
		}
		for _, f := range c.Findings() {
			if f.File == "" || f.Rule == "" || f.Message == "" {
				t.Fatalf("finding without file, rule or message: %+v", f)
			}
			if !slices.Contains([]registry.Severity{registry.SeverityError, registry.SeverityWarning, registry.SeverityInfo}, f.Severity) {
				t.Fatalf("finding with severity %q: %s", f.Severity, f)
			}
		}
		for _, tp := range c.Topics(TopicFilter{}) {
			if tp.Name == "" || tp.Producers == nil || tp.Consumers == nil {
				t.Fatalf("topic without name, producers or consumers: %+v", tp)
			}
			if _, ok := c.Topic(tp.Name); !ok {
				t.Fatalf("Topic(%q) not found, but listed by Topics", tp.Name)
			}
			c.Documentation(tp) // must not panic on any topic
		}
	})
}

// FuzzParseTopicName checks that parseTopicName never panics, and that a
// name it accepts is exactly its parts put back together.
func FuzzParseTopicName(f *testing.F) {
	for _, seed := range []string{
		"acme.retail.orders.events",
		"acme.retail.pricing.v2.events",
		"acme.retail.orders.private.reply",
		"acme.retail.orders.private.retry-5m",
		"acme.retail.orders.v2",
		"acme.retail.orders.private",
		"acme.retail.orders.private.",
		"acme..orders.events",
		"Acme.retail.orders.events",
		"acme.retail.events",
		"",
		".",
		"acme.retail.orders.v2.v3.events",
		"acme.retail.ordérs.events",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		n, reason, ok := parseTopicName(name)
		if !ok {
			if reason == "" {
				t.Fatalf("parseTopicName(%q) rejected without a reason", name)
			}
			if n.Kind != "" {
				t.Fatalf("parseTopicName(%q) rejected with kind %q", name, n.Kind)
			}
			return
		}
		if reason != "" {
			t.Fatalf("parseTopicName(%q) accepted with reason %q", name, reason)
		}
		parts := []string{n.Service}
		if n.Version != "" {
			parts = append(parts, n.Version)
		}
		parts = append(parts, string(n.Kind))
		if got := strings.Join(parts, "."); got != name {
			t.Fatalf("parseTopicName(%q) = %+v, which joins back to %q", name, n, got)
		}
		svc := strings.Split(n.Service, ".")
		if len(svc) != 3 {
			t.Fatalf("parseTopicName(%q) service %q, want 3 segments", name, n.Service)
		}
		for _, s := range svc {
			if !segment.MatchString(s) {
				t.Fatalf("parseTopicName(%q) accepted segment %q", name, s)
			}
		}
		if n.Version != "" && !versionSegment.MatchString(n.Version) {
			t.Fatalf("parseTopicName(%q) accepted version %q", name, n.Version)
		}
		if !n.Kind.IsFact() && !n.Kind.IsCommand() && !n.Kind.IsPrivate() {
			t.Fatalf("parseTopicName(%q) accepted kind %q", name, n.Kind)
		}
		// A full name is taken as written by expandTopicName.
		if got := expandTopicName(strings.Split(n.Service, ".")[0], n.Service, name); got != name {
			t.Fatalf("expandTopicName of the full name %q = %q", name, got)
		}
	})
}
