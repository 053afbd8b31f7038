package catalog

import (
	"slices"
	"strings"
	"testing"
	"time"

	registry "github.com/backbone-registry/backbone"
)

// wantFinding is a finding a rule case expects, in position order.
type wantFinding struct {
	severity  registry.Severity
	file      string
	line, col int
	message   string // a part of the message
}

// ruleCase changes one thing in the base repository (see load_test.go)
// and states what one rule reports about it.
type ruleCase struct {
	name    string
	rule    string
	changes []change
	now     time.Time     // zero: testNow
	want    []wantFinding // the findings of rule; none: the rule stays quiet
	others  []string      // the rules of every other finding, sorted; usually none
}

const (
	errSev  = registry.SeverityError
	warnSev = registry.SeverityWarning
	infoSev = registry.SeverityInfo
)

// Lines of the base repository that the cases edit.
const (
	ordersDLQ       = "    value: acme.retail.orders.v1.OrderEvent\nconsumes:" // the last lines of orders' private.dlq entry
	ordersEventsKey = "    key: string\n"                                      // line 8, the last line of orders' events entry
	stockConsumes   = "  - acme.retail.orders.events\n"                        // line 11, the last line of stock's service.yaml
)

// deprecateDLQ deprecates orders' private.dlq with the given flow mapping
// body, on line 18.
func deprecateDLQ(body string) change {
	return change{ordersYAML, ordersDLQ, "    value: acme.retail.orders.v1.OrderEvent\n    deprecated: {" + body + "}\nconsumes:"}
}

// deprecateEvents deprecates orders' events with the given flow mapping
// body, on line 9.
func deprecateEvents(body string) change {
	return change{ordersYAML, ordersEventsKey, ordersEventsKey + "    deprecated: {" + body + "}\n"}
}

// stockAlsoConsumes adds a consumes entry to stock, on line 12.
func stockAlsoConsumes(topic string) change {
	return change{stockYAML, stockConsumes, stockConsumes + "  - " + topic + "\n"}
}

func ruleCases() []ruleCase {
	return []ruleCase{
		// TOPIC_NAME
		{
			name: "bad kind", rule: RuleTopicName,
			changes: []change{{ordersYAML, "name: private.dlq", "name: dlq"}},
			want:    []wantFinding{{errSev, ordersYAML, 15, 11, `topic acme.retail.orders.dlq: kind must be events, commands, results, private.reply, private.dlq or private.<word>, not "dlq"`}},
			others:  []string{RuleOrphanTopic}, // a topic of no kind has no implicit consumer
		},
		{
			name: "bad private word", rule: RuleTopicName,
			changes: []change{{ordersYAML, "name: private.dlq", "name: private.Retry"}},
			want:    []wantFinding{{errSev, ordersYAML, 15, 11, `not "private.Retry"`}},
			others:  []string{RuleOrphanTopic},
		},
		{
			name: "kind after the version only", rule: RuleTopicName,
			changes: []change{{ordersYAML, "name: private.dlq", "name: v2"}},
			want:    []wantFinding{{errSev, ordersYAML, 15, 11, `topic acme.retail.orders.v2: kind must be`}},
			others:  []string{RuleOrphanTopic},
		},
		{
			name: "full name with a bad segment", rule: RuleTopicName,
			changes: []change{{ordersYAML, "name: private.dlq", "name: acme.Retail.orders.private.dlq"}},
			want:    []wantFinding{{errSev, ordersYAML, 15, 11, `segment "Retail" must be lower case letters`}},
			others:  []string{RuleOrphanTopic},
		},
		{
			name: "full name under another service", rule: RuleTopicName,
			changes: []change{{ordersYAML, "name: private.dlq", "name: acme.retail.stock.private.dlq"}},
			want: []wantFinding{{errSev, ordersYAML, 15, 11,
				"topic acme.retail.stock.private.dlq is declared by acme.retail.orders but named under acme.retail.stock: use the short form (name: private.dlq)"}},
		},
		{
			name: "quiet: version before the kind", rule: RuleTopicName,
			changes: []change{
				{ordersYAML, "  - name: events\n", "  - name: v2.events\n"},
				{stockYAML, stockConsumes, "  - acme.retail.orders.v2.events\n"},
			},
		},
		{
			name: "quiet: private.<word>", rule: RuleTopicName,
			changes: []change{{ordersYAML, "name: private.dlq", "name: private.retry-later"}},
		},
		{
			name: "quiet: own topic in full-name form", rule: RuleTopicName,
			changes: []change{{ordersYAML, "name: private.dlq", "name: acme.retail.orders.private.dlq"}},
		},

		// SINGLE_WRITER
		{
			name: "another service produces events", rule: RuleSingleWriter,
			changes: []change{{stockYAML, "  - acme.retail.orders.commands\n", "  - acme.retail.orders.events\n"}},
			want: []wantFinding{{errSev, stockYAML, 8, 5,
				"acme.retail.stock produces acme.retail.orders.events, a fact topic (events) owned by acme.retail.orders: only the owner writes facts"}},
		},
		{
			name: "another service produces results", rule: RuleSingleWriter,
			changes: []change{
				{ordersYAML, "name: private.dlq", "name: results"},
				{stockYAML, "  - acme.retail.orders.commands\n", "  - acme.retail.orders.results\n"},
			},
			want:   []wantFinding{{errSev, stockYAML, 8, 5, "acme.retail.stock produces acme.retail.orders.results, a fact topic (results) owned by acme.retail.orders"}},
			others: []string{RuleOrphanTopic}, // nobody reads the new results topic
		},
		{
			name: "quiet: the owner lists its own events", rule: RuleSingleWriter,
			changes: []change{{ordersYAML, "consumes:", "produces:\n  - acme.retail.orders.events\nconsumes:"}},
		},
		{
			name: "quiet: another service produces commands", rule: RuleSingleWriter,
			changes: []change{{stockYAML, "  - acme.retail.orders.private.reply\n", ""}},
		},

		// SINGLE_READER
		{
			name: "another service consumes commands", rule: RuleSingleReader,
			changes: []change{stockAlsoConsumes("acme.retail.orders.commands")},
			want: []wantFinding{{errSev, stockYAML, 12, 5,
				"acme.retail.stock consumes acme.retail.orders.commands, a commands topic owned by acme.retail.orders: only the owner executes its commands"}},
		},
		{
			name: "quiet: the owner lists its own commands", rule: RuleSingleReader,
			changes: []change{{ordersYAML, "  - acme.retail.stock.events\n", "  - acme.retail.stock.events\n  - acme.retail.orders.commands\n"}},
		},

		// PRIVATE_TOPIC
		{
			name: "another service consumes a reply topic", rule: RulePrivateTopic,
			changes: []change{stockAlsoConsumes("acme.retail.orders.private.reply")},
			want:    []wantFinding{{errSev, stockYAML, 12, 5, "acme.retail.stock consumes acme.retail.orders.private.reply, a private topic of acme.retail.orders"}},
		},
		{
			name: "another service consumes a dead letter topic", rule: RulePrivateTopic,
			changes: []change{stockAlsoConsumes("acme.retail.orders.private.dlq")},
			want:    []wantFinding{{errSev, stockYAML, 12, 5, "acme.retail.stock consumes acme.retail.orders.private.dlq, a private topic of acme.retail.orders"}},
		},
		{
			name: "another service produces a dead letter topic", rule: RulePrivateTopic,
			changes: []change{{stockYAML, "  - acme.retail.orders.private.reply\n", "  - acme.retail.orders.private.dlq\n"}},
			want:    []wantFinding{{errSev, stockYAML, 9, 5, "acme.retail.stock produces acme.retail.orders.private.dlq, a private topic of acme.retail.orders"}},
		},
		{
			name: "quiet: another service produces a reply topic", rule: RulePrivateTopic,
			// the base: stock answers on orders' private.reply
		},
		{
			name: "quiet: the owner lists its own private topics", rule: RulePrivateTopic,
			changes: []change{{ordersYAML, "consumes:", "produces:\n  - acme.retail.orders.private.dlq\nconsumes:\n  - acme.retail.orders.private.dlq\n  - acme.retail.orders.private.reply"}},
		},

		// UNKNOWN_TOPIC
		{
			name: "consumes a typo", rule: RuleUnknownTopic,
			changes: []change{stockAlsoConsumes("acme.retail.orders.event")},
			want: []wantFinding{{errSev, stockYAML, 12, 5,
				`consumes: no service declares topic "acme.retail.orders.event" (did you mean acme.retail.orders.events?)`}},
		},
		{
			name: "produces an undeclared topic", rule: RuleUnknownTopic,
			changes: []change{{stockYAML, "  - acme.retail.orders.commands\n", "  - acme.retail.billing.commands\n"}},
			want:    []wantFinding{{errSev, stockYAML, 8, 5, `produces: no service declares topic "acme.retail.billing.commands"`}},
		},
		{
			name: "replaced_by an undeclared topic", rule: RuleUnknownTopic,
			changes: []change{deprecateDLQ("since: 2026-10-01, replaced_by: acme.retail.orders.private.dlq2")},
			want: []wantFinding{{errSev, ordersYAML, 18, 50,
				`replaced_by: no service declares topic "acme.retail.orders.private.dlq2" (did you mean acme.retail.orders.private.dlq?)`}},
		},
		{
			name: "quiet: replaced_by a declared topic", rule: RuleUnknownTopic,
			changes: []change{deprecateDLQ("since: 2026-10-01, replaced_by: acme.retail.orders.events")},
		},

		// MESSAGE_NOT_FOUND
		{
			name: "value not found", rule: RuleMessageNotFound,
			changes: []change{{ordersYAML, "value: acme.retail.orders.v1.OrderEvent\n    key", "value: acme.retail.orders.v1.OrderEvents\n    key"}},
			want:    []wantFinding{{errSev, ordersYAML, 7, 12, `topic acme.retail.orders.events: no message "acme.retail.orders.v1.OrderEvents" under the schema root`}},
		},
		{
			name: "one of values not found", rule: RuleMessageNotFound,
			changes: []change{{stockYAML, "value: acme.retail.stock.v1.StockEvent", "values: [acme.retail.stock.v1.StockEvent, acme.retail.stock.v1.StockEvnt]"}},
			want:    []wantFinding{{errSev, stockYAML, 6, 47, `no message "acme.retail.stock.v1.StockEvnt"`}},
		},
		{
			name: "key message not found", rule: RuleMessageNotFound,
			changes: []change{{ordersYAML, ordersEventsKey, "    key: acme.retail.orders.v1.OrderKey\n"}},
			want:    []wantFinding{{errSev, ordersYAML, 8, 10, `topic acme.retail.orders.events: no message "acme.retail.orders.v1.OrderKey"`}},
		},
		{
			name: "value is an enum", rule: RuleMessageNotFound,
			changes: []change{{ordersYAML, "value: acme.retail.orders.v1.PlaceOrder", "value: acme.retail.orders.v1.Status"}},
			want:    []wantFinding{{errSev, ordersYAML, 11, 12, `topic acme.retail.orders.commands: "acme.retail.orders.v1.Status" is an enum; a topic carries a message`}},
		},
		{
			name: "value not fully qualified", rule: RuleMessageNotFound,
			changes: []change{{ordersYAML, "value: acme.retail.orders.v1.PlaceOrder", "value: PlaceOrder"}},
			want:    []wantFinding{{errSev, ordersYAML, 11, 12, `no message "PlaceOrder" under the schema root (write the fully-qualified name, package.Message)`}},
		},
		{
			name: "quiet: scalar key", rule: RuleMessageNotFound,
			changes: []change{{ordersYAML, ordersEventsKey, "    key: int64\n"}},
		},
		{
			name: "quiet: message key and a value from the shared file", rule: RuleMessageNotFound,
			changes: []change{{stockYAML, "value: acme.retail.stock.v1.StockEvent", "values: [acme.retail.stock.v1.StockEvent, acme.common.v1.Money]\n    key: acme.retail.stock.v1.StockKey"}},
		},

		// PACKAGE_MATCHES_SERVICE
		{
			name: "package of another service", rule: RulePackageMatchesService,
			changes: []change{set("retail/orders/v1/extra.proto", "syntax = \"proto3\";\n\npackage acme.retail.stock.v1;\n")},
			want: []wantFinding{{errSev, "retail/orders/v1/extra.proto", 3, 1,
				"package acme.retail.stock.v1 in acme.retail.orders's directory: use a package under acme.retail.orders, e.g. package acme.retail.orders.v1;"}},
		},
		{
			name: "package sharing only a prefix with the service", rule: RulePackageMatchesService,
			changes: []change{set("retail/orders/v1/extra.proto", "syntax = \"proto3\";\n\n// Not orders.\npackage acme.retail.ordersx.v1;\n")},
			want:    []wantFinding{{errSev, "retail/orders/v1/extra.proto", 4, 1, "package acme.retail.ordersx.v1 in acme.retail.orders's directory"}},
		},
		{
			name: "no package", rule: RulePackageMatchesService,
			changes: []change{set("retail/orders/extra.proto", "syntax = \"proto3\";\n")},
			want:    []wantFinding{{errSev, "retail/orders/extra.proto", 1, 1, "package (none) in acme.retail.orders's directory"}},
		},
		{
			name: "quiet: the service's own name as package", rule: RulePackageMatchesService,
			changes: []change{set("retail/orders/v1/extra.proto", "syntax = \"proto3\";\n\npackage acme.retail.orders;\n")},
		},
		{
			name: "quiet: shared file outside service directories", rule: RulePackageMatchesService,
			// the base: common/v1/money.proto, package acme.common.v1
		},
		{
			name: "quiet: directory without a service.yaml", rule: RulePackageMatchesService,
			changes: []change{set("retail/legacy/v1/old.proto", "syntax = \"proto3\";\n\npackage acme.legacy.v1;\n")},
		},

		// DOC_MISSING
		{
			name: "topic without description", rule: RuleDocMissing,
			changes: []change{{ordersYAML, "    description: Records orders could not process.\n", ""}},
			want:    []wantFinding{{warnSev, ordersYAML, 15, 11, "topic acme.retail.orders.private.dlq has no description"}},
		},
		{
			name: "message without comment", rule: RuleDocMissing,
			changes: []change{{ordersProto, "// Reply answers one request of orders.\n", ""}},
			want:    []wantFinding{{warnSev, ordersProto, 49, 1, "message acme.retail.orders.v1.Reply has no comment"}},
		},
		{
			name: "comment detached by a blank line", rule: RuleDocMissing,
			changes: []change{{ordersProto, "// Reply answers one request of orders.\n", "// Reply answers one request of orders.\n\n"}},
			want:    []wantFinding{{warnSev, ordersProto, 51, 1, "message acme.retail.orders.v1.Reply has no comment"}},
		},
		{
			name: "field without comment", rule: RuleDocMissing,
			changes: []change{{ordersProto, "  // Whether the request succeeded.\n", ""}},
			want:    []wantFinding{{warnSev, ordersProto, 51, 3, "field acme.retail.orders.v1.Reply.ok has no comment"}},
		},
		{
			name: "field of a nested message without comment", rule: RuleDocMissing,
			changes: []change{{ordersProto, "    // How many items.\n", ""}},
			want:    []wantFinding{{warnSev, ordersProto, 30, 5, "field acme.retail.orders.v1.OrderEvent.Line.quantity has no comment"}},
		},
		{
			name: "nested message without comment", rule: RuleDocMissing,
			changes: []change{{ordersProto, "    int32 quantity = 1;\n  }\n", "    int32 quantity = 1;\n  }\n  message Extra {}\n"}},
			want:    []wantFinding{{warnSev, ordersProto, 33, 3, "message acme.retail.orders.v1.OrderEvent.Extra has no comment"}},
		},
		{
			name: "enum without comment", rule: RuleDocMissing,
			changes: []change{{ordersProto, "// Status is where an order stands.\n", ""}},
			want:    []wantFinding{{warnSev, ordersProto, 35, 1, "enum acme.retail.orders.v1.Status has no comment"}},
		},
		{
			name: "enum value without comment", rule: RuleDocMissing,
			changes: []change{{ordersProto, "  // Accepted and waiting for stock.\n", ""}},
			want:    []wantFinding{{warnSev, ordersProto, 39, 3, "enum value acme.retail.orders.v1.STATUS_CONFIRMED has no comment"}},
		},
		{
			name: "field of the shared file without comment", rule: RuleDocMissing,
			changes: []change{{moneyProto, "  // ISO 4217 currency code, e.g. EUR.\n", ""}},
			want:    []wantFinding{{warnSev, moneyProto, 7, 3, "field acme.common.v1.Money.currency has no comment"}},
		},
		{
			name: "quiet: a trailing comment documents", rule: RuleDocMissing,
			changes: []change{{ordersProto, "  // Whether the request succeeded.\n  bool ok = 1;", "  bool ok = 1; // Whether the request succeeded."}},
		},
		{
			name: "quiet: a block comment documents", rule: RuleDocMissing,
			changes: []change{{ordersProto, "// Reply answers one request of orders.", "/* Reply answers one request of orders. */"}},
		},
		{
			name: "quiet: map entries need no comment", rule: RuleDocMissing,
			changes: []change{{ordersProto, "  bool ok = 1;\n", "  bool ok = 1;\n  // Details, by name.\n  map<string, string> details = 2;\n"}},
		},

		// DEPRECATED_TOPIC_CONSUMED
		{
			name: "another service consumes a deprecated topic", rule: RuleDeprecatedTopicConsumed,
			changes: []change{deprecateEvents("since: 2026-10-01, sunset: 2027-01-01")},
			want:    []wantFinding{{warnSev, stockYAML, 11, 5, "acme.retail.stock consumes acme.retail.orders.events, which is deprecated (sunset 2027-01-01)"}},
		},
		{
			name: "deprecated topic with a replacement", rule: RuleDeprecatedTopicConsumed,
			changes: []change{{stockYAML, "    value: acme.retail.stock.v1.StockEvent\n", "    value: acme.retail.stock.v1.StockEvent\n    deprecated: {replaced_by: acme.retail.orders.events}\n"}},
			want:    []wantFinding{{warnSev, ordersYAML, 19, 5, "acme.retail.orders consumes acme.retail.stock.events, which is deprecated: move to acme.retail.orders.events"}},
		},
		{
			name: "quiet: only the owner reads a deprecated private topic", rule: RuleDeprecatedTopicConsumed,
			changes: []change{deprecateDLQ("since: 2026-10-01")},
		},

		// SUNSET_PASSED
		{
			name: "sunset yesterday", rule: RuleSunsetPassed,
			changes: []change{deprecateDLQ("since: 2026-10-01, sunset: 2026-11-23")},
			want: []wantFinding{{warnSev, ordersYAML, 18, 17,
				"topic acme.retail.orders.private.dlq passed its sunset on 2026-11-23: delete it once nobody consumes it (consumers: none)"}},
		},
		{
			name: "sunset today", rule: RuleSunsetPassed,
			changes: []change{deprecateDLQ("sunset: 2026-11-24")},
			want:    []wantFinding{{warnSev, ordersYAML, 18, 17, "passed its sunset on 2026-11-24"}},
		},
		{
			name: "sunset passed with consumers left", rule: RuleSunsetPassed,
			changes: []change{deprecateEvents("since: 2026-10-01, sunset: 2026-11-01")},
			want:    []wantFinding{{warnSev, ordersYAML, 9, 17, "topic acme.retail.orders.events passed its sunset on 2026-11-01: delete it once nobody consumes it (consumers: acme.retail.stock)"}},
			others:  []string{RuleDeprecatedTopicConsumed},
		},
		{
			name: "sunset written as a block mapping", rule: RuleSunsetPassed,
			changes: []change{{ordersYAML, ordersDLQ, "    value: acme.retail.orders.v1.OrderEvent\n    deprecated:\n      sunset: 2026-11-23\nconsumes:"}},
			want:    []wantFinding{{warnSev, ordersYAML, 19, 7, "passed its sunset on 2026-11-23"}},
		},
		{
			name: "quiet: sunset tomorrow", rule: RuleSunsetPassed,
			changes: []change{deprecateDLQ("since: 2026-10-01, sunset: 2026-11-25")},
		},
		{
			name: "quiet: the same sunset, a day earlier", rule: RuleSunsetPassed,
			changes: []change{deprecateDLQ("since: 2026-10-01, sunset: 2026-11-23")},
			now:     time.Date(2026, 11, 22, 23, 59, 0, 0, time.UTC),
		},
		{
			name: "quiet: deprecated without sunset", rule: RuleSunsetPassed,
			changes: []change{deprecateDLQ("since: 2020-01-01")},
		},

		// ORPHAN_TOPIC
		{
			name: "events nobody consumes", rule: RuleOrphanTopic,
			changes: []change{{stockYAML, "consumes:\n" + stockConsumes, ""}},
			want:    []wantFinding{{infoSev, ordersYAML, 5, 11, "topic acme.retail.orders.events has no consumer"}},
		},
		{
			name: "quiet: deprecated topic without consumers", rule: RuleOrphanTopic,
			changes: []change{
				{stockYAML, "consumes:\n" + stockConsumes, ""},
				deprecateEvents("since: 2026-10-01"),
			},
		},
		{
			name: "quiet: commands read only by their owner", rule: RuleOrphanTopic,
			changes: []change{{stockYAML, "  - acme.retail.orders.commands\n", ""}},
		},

		// governance severities from registry.yaml
		{
			name: "severity raised to error", rule: RuleDocMissing,
			changes: []change{
				set(repoYAML, "company: acme\ngovernance:\n  DOC_MISSING: error\n"),
				{ordersYAML, "    description: Records orders could not process.\n", ""},
			},
			want: []wantFinding{{errSev, ordersYAML, 15, 11, "has no description"}},
		},
		{
			name: "severity lowered to info", rule: RuleSingleWriter,
			changes: []change{
				set(repoYAML, "company: acme\ngovernance:\n  SINGLE_WRITER: info\n"),
				{stockYAML, "  - acme.retail.orders.commands\n", "  - acme.retail.orders.events\n"},
			},
			want: []wantFinding{{infoSev, stockYAML, 8, 5, "only the owner writes facts"}},
		},
		{
			name: "quiet: rule switched off", rule: RuleOrphanTopic,
			changes: []change{
				set(repoYAML, "company: acme\ngovernance:\n  ORPHAN_TOPIC: off\n"),
				{stockYAML, "consumes:\n" + stockConsumes, ""},
			},
		},
	}
}

func TestRules(t *testing.T) {
	t.Parallel()
	for _, tt := range ruleCases() {
		t.Run(tt.rule+"/"+tt.name, func(t *testing.T) {
			t.Parallel()
			opts := testOptions()
			if !tt.now.IsZero() {
				opts.Now = func() time.Time { return tt.now }
			}
			c := mustLoad(t, repoWith(t, tt.changes...), opts)
			var got []registry.Finding
			var others []string
			for _, f := range c.Findings() {
				if f.Rule == tt.rule {
					got = append(got, f)
				} else {
					others = append(others, f.Rule)
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("got %d %s findings, want %d:\n%s", len(got), tt.rule, len(tt.want), findingsText(got))
			}
			for i := range min(len(got), len(tt.want)) {
				g, w := got[i], tt.want[i]
				if g.Severity != w.severity {
					t.Errorf("finding %d severity = %s, want %s", i, g.Severity, w.severity)
				}
				if g.File != w.file || g.Line != w.line || g.Column != w.col {
					t.Errorf("finding %d at %s, want %s:%d:%d", i, g.Position, w.file, w.line, w.col)
				}
				if !strings.Contains(g.Message, w.message) {
					t.Errorf("finding %d message %q, want it to contain %q", i, g.Message, w.message)
				}
			}
			slices.Sort(others)
			if !slices.Equal(others, tt.others) {
				t.Errorf("other findings: rules %v, want %v:\n%s", others, tt.others, findingsText(c.Findings()))
			}
		})
	}
}

func findingsText(fs []registry.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("  " + f.String() + "\n")
	}
	return b.String()
}

// TestRuleCasesCoverEveryRule keeps the table honest: every rule of the
// catalogue has a case where it fires and a case where it stays quiet.
func TestRuleCasesCoverEveryRule(t *testing.T) {
	t.Parallel()
	fires, quiet := map[string]bool{}, map[string]bool{}
	for _, c := range ruleCases() {
		if len(c.want) > 0 {
			fires[c.rule] = true
		} else {
			quiet[c.rule] = true
		}
	}
	for _, r := range Rules() {
		if !fires[r.ID] {
			t.Errorf("no case where %s fires", r.ID)
		}
		if !quiet[r.ID] {
			t.Errorf("no case where %s stays quiet", r.ID)
		}
	}
}

func TestRulesCatalogue(t *testing.T) {
	t.Parallel()
	rules := Rules()
	if got, want := len(rules), 11; got != want {
		t.Errorf("%d rules, want %d", got, want)
	}
	seen := map[string]bool{}
	for _, r := range rules {
		if seen[r.ID] {
			t.Errorf("rule %s listed twice", r.ID)
		}
		seen[r.ID] = true
		if r.ID != strings.ToUpper(r.ID) || strings.ContainsAny(r.ID, " -.") {
			t.Errorf("rule ID %q is not UPPER_SNAKE", r.ID)
		}
		if got, want := r.Category, "governance"; got != want {
			t.Errorf("%s category = %q, want %q", r.ID, got, want)
		}
		if r.Purpose == "" || !strings.HasSuffix(r.Purpose, ".") {
			t.Errorf("%s purpose %q, want one sentence", r.ID, r.Purpose)
		}
		if r.Doc == "" {
			t.Errorf("%s has no doc", r.ID)
		}
		if r.Default == registry.SeverityOff {
			t.Errorf("%s is off by default, want every rule on", r.ID)
		}
	}
	defaults := map[string]registry.Severity{
		RuleTopicName: errSev, RuleSingleWriter: errSev, RuleSingleReader: errSev, RulePrivateTopic: errSev,
		RuleUnknownTopic: errSev, RuleMessageNotFound: errSev, RulePackageMatchesService: errSev,
		RuleDocMissing: warnSev, RuleDeprecatedTopicConsumed: warnSev, RuleSunsetPassed: warnSev, RuleOrphanTopic: infoSev,
	}
	for _, r := range rules {
		if got, want := r.Default, defaults[r.ID]; got != want {
			t.Errorf("%s default = %q, want %q", r.ID, got, want)
		}
	}
	// Rules returns a copy: callers cannot change the table.
	rules[0].ID = "CHANGED"
	if got := Rules()[0].ID; got == "CHANGED" {
		t.Errorf("Rules() shares its table with callers")
	}
}

func TestCatalogSeverity(t *testing.T) {
	t.Parallel()
	c := mustLoad(t, repoWith(t, set(repoYAML, "company: acme\ngovernance:\n  ORPHAN_TOPIC: off\n  DOC_MISSING: error\n")), testOptions())
	tests := map[string]registry.Severity{
		RuleOrphanTopic:  registry.SeverityOff,   // configured
		RuleDocMissing:   registry.SeverityError, // configured
		RuleSunsetPassed: registry.SeverityWarning,
		RuleTopicName:    registry.SeverityError,
	}
	for id, want := range tests {
		if got := c.Severity(id); got != want {
			t.Errorf("Severity(%s) = %q, want %q", id, got, want)
		}
	}
}

func TestFindingsSortedAndAttributed(t *testing.T) {
	t.Parallel()
	c := mustLoad(t, repoWith(t,
		stockAlsoConsumes("acme.retail.orders.commands"),
		change{ordersYAML, "    description: Facts about orders.\n", ""},
		change{ordersProto, "  // Whether the request succeeded.\n", ""},
	), testOptions())
	got := c.Findings()
	want := []registry.Finding{
		{Rule: RuleDocMissing, Service: "acme.retail.orders", Topic: "acme.retail.orders.events", Position: registry.Position{File: ordersYAML, Line: 5, Column: 11}},
		{Rule: RuleDocMissing, Service: "acme.retail.orders", Position: registry.Position{File: ordersProto, Line: 51, Column: 3}},
		{Rule: RuleSingleReader, Service: "acme.retail.stock", Topic: "acme.retail.orders.commands", Position: registry.Position{File: stockYAML, Line: 12, Column: 5}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d findings, want %d:\n%s", len(got), len(want), findingsText(got))
	}
	for i, w := range want {
		g := got[i]
		if g.Rule != w.Rule || g.Service != w.Service || g.Topic != w.Topic || g.Position != w.Position {
			t.Errorf("finding %d = %s (service %q, topic %q), want %s %s (service %q, topic %q)",
				i, g, g.Service, g.Topic, w.Position, w.Rule, w.Service, w.Topic)
		}
	}
}
