package compat_test

import (
	"cmp"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/compat"
)

var update = flag.Bool("update", false, "rewrite golden files")

// The golden cases follow Buf's breaking-check layout: one schema tree per
// case under testdata/previous/<dir> and testdata/current/<dir>, the topic
// they carry declared in goldenCases, the findings expected in
// testdata/golden/<name>.txt. A directory named after a rule ID must trigger
// that rule; a NO_FINDING_* directory must trigger nothing.

// goldenTopic is one side of a case's topic declaration, as service.yaml
// would give it.
type goldenTopic struct {
	key    string   // a scalar ("string"), a message full name, or ""
	values []string // value message full names
}

type goldenCase struct {
	dir       string                 // under testdata/previous and testdata/current
	name      string                 // golden file under testdata/golden, without .txt; default dir
	prev, cur goldenTopic            // cur zero: as prev
	mode      registry.Compatibility // default FULL_TRANSITIVE
	level     registry.Level         // default: the rule's own level, or FILE without a rule
	rule      string                 // the rule the case must trigger; "": it must trigger nothing
}

func orders(names ...string) goldenTopic {
	t := goldenTopic{}
	for _, n := range names {
		t.values = append(t.values, "acme.retail.orders.v1."+n)
	}
	return t
}

var (
	orderEvent = orders("OrderEvent")
	shipping   = goldenTopic{values: []string{"acme.retail.shipping.v1.ParcelShipped"}}
)

var goldenCases = []goldenCase{
	// One case per rule, checked at the rule's own level.
	{dir: compat.RuleTopicSameKey, rule: compat.RuleTopicSameKey,
		prev: goldenTopic{key: "string", values: orders("OrderConfirmed").values},
		cur:  goldenTopic{key: "int64", values: orders("OrderConfirmed").values}},
	{dir: compat.RuleTopicValueNoDelete, rule: compat.RuleTopicValueNoDelete,
		prev: orders("OrderCreated", "OrderCancelled"), cur: orders("OrderCreated")},
	{dir: compat.RuleMessageNoDelete, rule: compat.RuleMessageNoDelete, prev: orders("OrderPlaced")},
	{dir: compat.RuleEnumNoDelete, rule: compat.RuleEnumNoDelete, prev: orders("OrderStatusChanged")},
	{dir: compat.RuleFileSamePackage, rule: compat.RuleFileSamePackage, prev: orders("OrderPaid")},
	{dir: compat.RuleFieldNoDelete, rule: compat.RuleFieldNoDelete, prev: orders("OrderConfirmed")},
	{dir: compat.RuleFieldNoDeleteUnlessNumberReserved, rule: compat.RuleFieldNoDeleteUnlessNumberReserved, prev: orders("OrderConfirmed")},
	{dir: compat.RuleFieldNoDeleteUnlessNameReserved, rule: compat.RuleFieldNoDeleteUnlessNameReserved, prev: orders("OrderConfirmed")},
	{dir: compat.RuleFieldSameType, rule: compat.RuleFieldSameType, prev: orders("StockReserved")},
	{dir: compat.RuleFieldWireCompatibleType, rule: compat.RuleFieldWireCompatibleType, prev: orders("OrderPlaced")},
	{dir: compat.RuleFieldWireJSONCompatibleType, rule: compat.RuleFieldWireJSONCompatibleType, prev: orders("OrderConfirmed")},
	{dir: compat.RuleFieldWireCompatibleCardinality, rule: compat.RuleFieldWireCompatibleCardinality, prev: orders("OrderShipped")},
	{dir: compat.RuleFieldWireJSONCompatibleCardinality, rule: compat.RuleFieldWireJSONCompatibleCardinality, prev: orders("OrderPlaced")},
	{dir: compat.RuleFieldSameCardinality, rule: compat.RuleFieldSameCardinality, prev: orders("OrderConfirmed")},
	{dir: compat.RuleFieldSameName, rule: compat.RuleFieldSameName, prev: orders("OrderConfirmed")},
	{dir: compat.RuleFieldSameJSONName, rule: compat.RuleFieldSameJSONName, prev: orders("OrderConfirmed")},
	{dir: compat.RuleFieldSameOneof, rule: compat.RuleFieldSameOneof, prev: orders("ContactChanged")},
	{dir: compat.RuleFieldSameDefault, rule: compat.RuleFieldSameDefault, prev: orders("PickingRequested")},
	{dir: compat.RuleMessageSameRequiredFields, rule: compat.RuleMessageSameRequiredFields, prev: orders("OrderPaid")},
	{dir: compat.RuleMessageSameJSONFormat, rule: compat.RuleMessageSameJSONFormat, prev: orders("OrderImported")},
	{dir: compat.RuleReservedMessageNoDelete, rule: compat.RuleReservedMessageNoDelete, prev: orders("OrderConfirmed")},
	{dir: compat.RuleReservedEnumNoDelete, rule: compat.RuleReservedEnumNoDelete, prev: orders("OrderStatusChanged")},
	{dir: compat.RuleEnumValueNoDelete, rule: compat.RuleEnumValueNoDelete, prev: orders("OrderStatusChanged")},
	{dir: compat.RuleEnumValueNoDeleteUnlessNumberReserv, rule: compat.RuleEnumValueNoDeleteUnlessNumberReserv, prev: orders("OrderStatusChanged")},
	{dir: compat.RuleEnumValueNoDeleteUnlessNameReserved, rule: compat.RuleEnumValueNoDeleteUnlessNameReserved, prev: orders("OrderStatusChanged")},
	{dir: compat.RuleEnumValueSameName, rule: compat.RuleEnumValueSameName, prev: orders("OrderStatusChanged")},
	{dir: compat.RuleEnumSameType, rule: compat.RuleEnumSameType, prev: shipping},
	{dir: compat.RuleEnumSameJSONFormat, rule: compat.RuleEnumSameJSONFormat, prev: orders("OrderImported")},
	{dir: compat.RuleClosedEnumNoAddValue, rule: compat.RuleClosedEnumNoAddValue, prev: shipping},
	{dir: compat.RuleIgnoreWithoutReason, rule: compat.RuleIgnoreWithoutReason, prev: orders("OrderConfirmed"), level: registry.LevelWireJSON},

	// Changes that break nothing, even at FILE level.
	{dir: "NO_FINDING_FILE_RENAMED", prev: orderEvent},
	{dir: "NO_FINDING_COMMENT_ONLY", prev: orderEvent},
	{dir: "NO_FINDING_REORDERED", prev: orderEvent},
	{dir: "NO_FINDING_OPTIONAL_FIELD_ADDED", prev: orderEvent},
	{dir: "NO_FINDING_OPEN_ENUM_VALUE_ADDED", prev: orderEvent},
	{dir: "NO_FINDING_RESERVED_RANGE_ADDED", prev: orderEvent},
	{dir: "NO_FINDING_UNREFERENCED_MESSAGE_ADDED", prev: orderEvent},
	{dir: "NO_FINDING_UNRELATED_MESSAGE_CHANGED", prev: orderEvent},
	{dir: "NO_FINDING_DEPRECATED_FIELD", prev: orderEvent},
	{dir: "NO_FINDING_PROTO3_TO_EDITIONS", prev: orderEvent},
	{dir: "NO_FINDING_PROTO2_TO_EDITIONS", prev: shipping},
	{dir: "NO_FINDING_IGNORED_WITH_REASON", prev: orders("OrderConfirmed")},
	{dir: "NO_FINDING_ENUM_ALIAS_ADDED", prev: orders("OrderStatusChanged")},

	// Changes that keep the wire and JSON shapes but not generated code:
	// nothing at WIRE_JSON (hence WIRE), flagged at FILE.
	{dir: "NO_FINDING_WIRE_MESSAGE_RENAMED", level: registry.LevelWireJSON,
		prev: orderEvent, cur: orders("OrderRecord")},
	{dir: "NO_FINDING_WIRE_MESSAGE_RENAMED", name: "NO_FINDING_WIRE_MESSAGE_RENAMED.FILE", level: registry.LevelFile, rule: compat.RuleMessageNoDelete,
		prev: orderEvent, cur: orders("OrderRecord")},
	{dir: "NO_FINDING_WIRE_PACKAGE_CHANGED", level: registry.LevelWireJSON,
		prev: orderEvent, cur: goldenTopic{values: []string{"acme.retail.ordering.v1.OrderEvent"}}},
	{dir: "NO_FINDING_WIRE_PACKAGE_CHANGED", name: "NO_FINDING_WIRE_PACKAGE_CHANGED.FILE", level: registry.LevelFile, rule: compat.RuleFileSamePackage,
		prev: orderEvent, cur: goldenTopic{values: []string{"acme.retail.ordering.v1.OrderEvent"}}},
	{dir: "NO_FINDING_NEW_ONEOF_AROUND_ONE_FIELD", level: registry.LevelWireJSON, prev: orderEvent},
	{dir: "NO_FINDING_NEW_ONEOF_AROUND_ONE_FIELD", name: "NO_FINDING_NEW_ONEOF_AROUND_ONE_FIELD.FILE", level: registry.LevelFile, rule: compat.RuleFieldSameCardinality,
		prev: orderEvent},
}

// ruleCatalogue indexes compat.Rules() by ID.
func ruleCatalogue() map[string]registry.Rule {
	out := map[string]registry.Rule{}
	for _, r := range compat.Rules() {
		out[r.ID] = r
	}
	return out
}

// resolve fills a case's defaults.
func (c goldenCase) resolve(catalogue map[string]registry.Rule) goldenCase {
	if c.name == "" {
		c.name = c.dir
	}
	if c.cur.values == nil && c.cur.key == "" {
		c.cur = c.prev
	}
	if c.mode == "" {
		c.mode = registry.CompatFullTransitive
	}
	if c.level == "" {
		c.level = registry.LevelFile
		if r, ok := catalogue[c.rule]; ok && r.Level != "" {
			c.level = r.Level
		}
	}
	return c
}

// loadContract compiles testdata/<side>/<dir> and builds the topic's contract.
func loadContract(t *testing.T, side, dir string, topic goldenTopic) compat.Contract {
	t.Helper()
	root := filepath.Join("testdata", side, dir)
	s, err := compat.Compile(t.Context(), os.DirFS(root), compat.DefaultLimits)
	if err != nil {
		t.Fatalf("compile %s: %v", root, err)
	}
	find := func(name string) protoreflect.MessageDescriptor {
		t.Helper()
		md, ok := s.FindMessage(name)
		if !ok {
			t.Fatalf("%s: no message %s", root, name)
		}
		return md
	}
	c := compat.Contract{Label: side}
	switch {
	case strings.Contains(topic.key, "."):
		c.Key = find(topic.key)
	default:
		c.KeyScalar = topic.key
	}
	for _, v := range topic.values {
		c.Values = append(c.Values, find(v))
	}
	return c
}

// formatFindings renders findings one per line, sorted by position, as
// "file:line:col RULE DIRECTION message". Findings about the topic's
// declaration, which has no file, show "(topic)"; findings without a
// direction show "-".
func formatFindings(findings []registry.Finding) string {
	findings = slices.Clone(findings)
	slices.SortFunc(findings, func(a, b registry.Finding) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.Rule, b.Rule),
			cmp.Compare(a.Direction, b.Direction),
			cmp.Compare(a.Message, b.Message),
		)
	})
	var b strings.Builder
	for _, f := range findings {
		pos := f.Position.String()
		if pos == "" {
			pos = "(topic)"
		}
		dir := string(f.Direction)
		if dir == "" {
			dir = "-"
		}
		fmt.Fprintf(&b, "%s %s %s %s\n", pos, f.Rule, dir, f.Message)
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	t.Parallel()
	catalogue := ruleCatalogue()
	seen := map[string]bool{}
	for _, c := range goldenCases {
		c := c.resolve(catalogue)
		if seen[c.name] {
			t.Fatalf("two cases are named %s", c.name)
		}
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			prev := loadContract(t, "previous", c.dir, c.prev)
			cur := loadContract(t, "current", c.dir, c.cur)
			opts := compat.Options{Topic: "acme.retail.orders.events", Mode: c.mode, Level: c.level}
			findings := compat.Check([]compat.Contract{prev}, cur, opts)

			// Independent of the golden file, so -update cannot bless a case
			// that stopped doing what it is for.
			if c.rule == "" && len(findings) > 0 {
				t.Errorf("%s at %s: got %d findings, want none:\n%s", c.mode, c.level, len(findings), formatFindings(findings))
			}
			if c.rule != "" && !slices.ContainsFunc(findings, func(f registry.Finding) bool { return f.Rule == c.rule }) {
				t.Errorf("%s at %s: got no %s finding, want at least one; got:\n%s", c.mode, c.level, c.rule, formatFindings(findings))
			}
			checkFindingShape(t, catalogue, findings, c.level)
			// Each version is compatible with itself.
			for _, self := range []compat.Contract{prev, cur} {
				if got := compat.Check([]compat.Contract{self}, self, opts); len(got) > 0 {
					t.Errorf("%s against itself: got findings, want none:\n%s", self.Label, formatFindings(got))
				}
			}

			got := formatFindings(findings)
			path := filepath.Join("testdata", "golden", c.name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./compat -run TestGolden -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("findings differ from %s (rerun with -update if the change is intended):\ngot:\n%swant:\n%s", path, got, want)
			}
		})
	}
}

// checkFindingShape asserts what holds for every finding whatever the case:
// it is at error severity, of a rule the level includes, in a direction its
// rule guards, and placed in a file unless it is about the topic itself.
func checkFindingShape(t *testing.T, catalogue map[string]registry.Rule, findings []registry.Finding, level registry.Level) {
	t.Helper()
	for _, f := range findings {
		r, ok := catalogue[f.Rule]
		if !ok {
			t.Errorf("finding of unknown rule %s", f.Rule)
			continue
		}
		if f.Severity != registry.SeverityError {
			t.Errorf("%s: severity got %s, want %s", f.Rule, f.Severity, registry.SeverityError)
		}
		if r.Level != "" && !level.Includes(r.Level) {
			t.Errorf("%s: reported at level %s, want only at %s and above", f.Rule, level, r.Level)
		}
		if f.Rule == compat.RuleIgnoreWithoutReason {
			if f.File == "" || f.Line == 0 {
				t.Errorf("%s: got position %q, want the ignore comment's element", f.Rule, f.Position)
			}
			continue
		}
		guards := func(d registry.Direction) bool { return slices.Contains(r.Directions, d) }
		switch f.Direction {
		case registry.DirectionBoth:
			if !guards(registry.DirectionBackward) || !guards(registry.DirectionForward) {
				t.Errorf("%s: direction BOTH, but the rule guards only %v", f.Rule, r.Directions)
			}
		default:
			if !guards(f.Direction) {
				t.Errorf("%s: direction got %q, want one of %v", f.Rule, f.Direction, r.Directions)
			}
		}
		topicLevel := f.Rule == compat.RuleTopicSameKey || f.Rule == compat.RuleTopicValueNoDelete
		if !topicLevel && (f.File == "" || f.Line == 0 || f.Column == 0) {
			t.Errorf("%s: got position %q, want file:line:col", f.Rule, f.Position)
		}
		if f.Message == "" {
			t.Errorf("%s: empty message", f.Rule)
		}
	}
}

// TestGoldenCoverage keeps the cases and the rule table in step: every rule
// has a case directory that triggers it, every directory is a case, and
// every golden file belongs to one.
func TestGoldenCoverage(t *testing.T) {
	t.Parallel()
	catalogue := ruleCatalogue()
	byRule := map[string]bool{}
	dirs := map[string]bool{}
	names := map[string]bool{}
	for _, c := range goldenCases {
		c = c.resolve(catalogue)
		dirs[c.dir] = true
		names[c.name+".txt"] = true
		if c.rule != "" && c.dir == c.rule {
			byRule[c.rule] = true
		}
		if c.rule != "" {
			if _, ok := catalogue[c.rule]; !ok {
				t.Errorf("case %s: rule %s is not in compat.Rules()", c.name, c.rule)
			}
		}
		switch noFinding := strings.HasPrefix(c.dir, "NO_FINDING_"); {
		case noFinding && c.name == c.dir && c.rule != "":
			t.Errorf("case %s: a NO_FINDING_ case expects no finding at its own level", c.name)
		case !noFinding && c.rule != c.dir:
			t.Errorf("case %s: a rule's case is named after its rule, got rule %q", c.name, c.rule)
		}
	}
	for _, r := range compat.Rules() {
		for _, side := range []string{"previous", "current"} {
			if fi, err := os.Stat(filepath.Join("testdata", side, r.ID)); err != nil || !fi.IsDir() {
				t.Errorf("rule %s has no testdata/%s/%s directory", r.ID, side, r.ID)
			}
		}
		if !byRule[r.ID] {
			t.Errorf("rule %s has no golden case asserting it fires", r.ID)
		}
	}
	for _, side := range []string{"previous", "current"} {
		entries, err := os.ReadDir(filepath.Join("testdata", side))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if !dirs[e.Name()] {
				t.Errorf("testdata/%s/%s is no case in goldenCases", side, e.Name())
			}
		}
	}
	if *update {
		return
	}
	entries, err := os.ReadDir(filepath.Join("testdata", "golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !names[e.Name()] {
			t.Errorf("testdata/golden/%s belongs to no case; delete it", e.Name())
		}
	}
}
