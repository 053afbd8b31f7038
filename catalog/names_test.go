package catalog

import (
	"strings"
	"testing"

	registry "github.com/backbone-registry/backbone"
)

func TestParseTopicName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		want   topicName // when ok
		reason string    // a part of the reason, when not ok
	}{
		// valid kinds
		{name: "acme.retail.orders.events", want: topicName{"acme.retail.orders", "", registry.KindEvents}},
		{name: "acme.retail.orders.commands", want: topicName{"acme.retail.orders", "", registry.KindCommands}},
		{name: "acme.retail.orders.results", want: topicName{"acme.retail.orders", "", registry.KindResults}},
		{name: "acme.retail.orders.private.reply", want: topicName{"acme.retail.orders", "", registry.KindPrivateReply}},
		{name: "acme.retail.orders.private.dlq", want: topicName{"acme.retail.orders", "", registry.KindPrivateDLQ}},
		{name: "acme.retail.orders.private.retry", want: topicName{"acme.retail.orders", "", "private.retry"}},
		{name: "acme.retail.orders.private.retry-5m", want: topicName{"acme.retail.orders", "", "private.retry-5m"}},
		{name: "a.b.c.events", want: topicName{"a.b.c", "", registry.KindEvents}},
		{name: "acme-corp.retail2.order-intake.events", want: topicName{"acme-corp.retail2.order-intake", "", registry.KindEvents}},

		// version segment
		{name: "acme.retail.pricing.v2.events", want: topicName{"acme.retail.pricing", "v2", registry.KindEvents}},
		{name: "acme.retail.pricing.v10.commands", want: topicName{"acme.retail.pricing", "v10", registry.KindCommands}},
		{name: "acme.retail.pricing.v2.private.dlq", want: topicName{"acme.retail.pricing", "v2", registry.KindPrivateDLQ}},
		{name: "acme.retail.pricing.v2", reason: `not "v2"`},
		{name: "acme.retail.pricing.V2.events", reason: `not "V2.events"`},
		{name: "acme.retail.pricing.v.events", reason: `not "v.events"`},
		{name: "acme.retail.pricing.v2.v3.events", reason: `not "v3.events"`},
		{name: "acme.retail.pricing.events.v2", reason: `not "events.v2"`},

		// bad kinds
		{name: "acme.retail.orders.event", reason: `kind must be events, commands, results, private.reply, private.dlq or private.<word>, not "event"`},
		{name: "acme.retail.orders.Events", reason: `not "Events"`},
		{name: "acme.retail.orders.dlq", reason: `not "dlq"`},
		{name: "acme.retail.orders.events.extra", reason: `not "events.extra"`},
		{name: "acme.retail.orders.", reason: `not ""`},

		// private.<word>
		{name: "acme.retail.orders.private", reason: `not "private"`},
		{name: "acme.retail.orders.private.", reason: `not "private."`},
		{name: "acme.retail.orders.private.Retry", reason: `not "private.Retry"`},
		{name: "acme.retail.orders.private.9lives", reason: `not "private.9lives"`},
		{name: "acme.retail.orders.private.dead.letter", reason: `not "private.dead.letter"`},
		{name: "acme.retail.orders.private.dead_letter", reason: `not "private.dead_letter"`},

		// bad segments
		{name: "Acme.retail.orders.events", reason: `segment "Acme" must be lower case letters, digits and hyphens, starting with a letter`},
		{name: "acme.re_tail.orders.events", reason: `segment "re_tail"`},
		{name: "acme.retail.1orders.events", reason: `segment "1orders"`},
		{name: "acme..orders.events", reason: `segment ""`},
		{name: ".retail.orders.events", reason: `segment ""`},
		{name: "acme.retail.-orders.events", reason: `segment "-orders"`},
		{name: "acme.retail.ordérs.events", reason: `segment "ordérs"`},
		{name: "acme.retail.orders events.events", reason: `segment "orders events"`},

		// too few parts
		{name: "", reason: "want <company>.<namespace>.<service>.<kind>"},
		{name: "events", reason: "want <company>.<namespace>.<service>.<kind>"},
		{name: "acme.retail.events", reason: "want <company>.<namespace>.<service>.<kind>"},
		{name: "...", reason: `segment ""`},
	}
	for _, tt := range tests {
		got, reason, ok := parseTopicName(tt.name)
		if wantOK := tt.reason == ""; ok != wantOK {
			t.Errorf("parseTopicName(%q) ok = %v (reason %q), want %v", tt.name, ok, reason, wantOK)
			continue
		}
		if ok {
			if got != tt.want {
				t.Errorf("parseTopicName(%q) = %+v, want %+v", tt.name, got, tt.want)
			}
			if reason != "" {
				t.Errorf("parseTopicName(%q) reason = %q for a valid name, want none", tt.name, reason)
			}
			continue
		}
		if !strings.Contains(reason, tt.reason) {
			t.Errorf("parseTopicName(%q) reason = %q, want it to contain %q", tt.name, reason, tt.reason)
		}
		if got.Kind != "" {
			t.Errorf("parseTopicName(%q) kind = %q for an invalid name, want none", tt.name, got.Kind)
		}
	}
}

func TestExpandTopicName(t *testing.T) {
	t.Parallel()
	const company, service = "acme", "acme.retail.orders"
	tests := []struct{ name, want string }{
		{"events", "acme.retail.orders.events"},
		{"commands", "acme.retail.orders.commands"},
		{"private.reply", "acme.retail.orders.private.reply"},
		{"private.retry", "acme.retail.orders.private.retry"},
		{"v2.events", "acme.retail.orders.v2.events"},
		{"v2.private.dlq", "acme.retail.orders.v2.private.dlq"},
		// full names are taken as written, even under another service
		{"acme.retail.orders.events", "acme.retail.orders.events"},
		{"acme.retail.stock.events", "acme.retail.stock.events"},
		{"acme.bogus", "acme.bogus"},
		// only the company followed by a dot makes a full name
		{"acmecorp.retail.orders.events", "acme.retail.orders.acmecorp.retail.orders.events"},
		{"acme", "acme.retail.orders.acme"},
		{"other.retail.orders.events", "acme.retail.orders.other.retail.orders.events"},
	}
	for _, tt := range tests {
		if got := expandTopicName(company, service, tt.name); got != tt.want {
			t.Errorf("expandTopicName(%q, %q, %q) = %q, want %q", company, service, tt.name, got, tt.want)
		}
	}
}

// TestShortFormsParse checks that every short form the docs show expands
// to a valid name of the declaring service.
func TestShortFormsParse(t *testing.T) {
	t.Parallel()
	for _, short := range []string{"events", "commands", "results", "private.reply", "private.dlq", "private.retry", "v2.events"} {
		full := expandTopicName("acme", "acme.retail.orders", short)
		n, reason, ok := parseTopicName(full)
		if !ok {
			t.Errorf("short form %q: %s does not parse: %s", short, full, reason)
			continue
		}
		if got, want := n.Service, "acme.retail.orders"; got != want {
			t.Errorf("short form %q: service %q, want %q", short, got, want)
		}
	}
}
