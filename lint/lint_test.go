package lint_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/compat"
	"github.com/backbone-registry/backbone/internal/gitfixture"
	"github.com/backbone-registry/backbone/lint"
)

// The fixture: acme.retail.orders.events (BACKWARD_TRANSITIVE by default)
// consumed by stock and billing; payments.events in proto2 consumed by
// billing; shipping.events consumed by nobody. The schema root is schemas/
// inside the repository.

const ordersProto = `syntax = "proto3";
package acme.retail.orders.v1;
import "common/v1/money.proto";
// A fact about an order.
message OrderEvent {
  // The order.
  string order_id = 1;
  // A note from the customer.
  string note = 2;
  // How many.
  int32 quantity = 3;
  // What it costs.
  acme.common.v1.Money total = 4;
}
// Internal to orders: no topic carries it.
message Internal {
  // A key.
  string key = 1;
}
`

const moneyProto = `syntax = "proto3";
package acme.common.v1;
// Money.
message Money {
  // ISO 4217.
  string currency = 1;
  // Minor units.
  int64 units = 2;
}
`

const paymentsProto = `syntax = "proto2";
package acme.retail.payments.v1;
// A payment fact.
message PaymentEvent {
  // The payment.
  required string payment_id = 1;
  // The amount in cents.
  optional int64 cents = 2;
}
`

const shippingProto = `syntax = "proto3";
package acme.retail.shipping.v1;
// A shipping fact.
message ShipmentEvent {
  // The shipment.
  string shipment_id = 1;
}
`

func baseFiles() map[string]string {
	return map[string]string{
		"README.md":                     "# schemas\n",
		"schemas/registry.yaml":         "company: acme\ndefaults:\n  compatibility: BACKWARD_TRANSITIVE\n  level: WIRE_JSON\ngovernance:\n  ORPHAN_TOPIC: off\n",
		"schemas/common/v1/money.proto": moneyProto,
		"schemas/retail/orders/service.yaml": "description: Orders.\nowner: orders-team\ntopics:\n  - name: events\n    description: Order facts.\n" +
			"    value: acme.retail.orders.v1.OrderEvent\n    key: string\n",
		"schemas/retail/orders/v1/orders.proto": ordersProto,
		"schemas/retail/payments/service.yaml": "description: Payments.\nowner: payments-team\ntopics:\n  - name: events\n    description: Payment facts.\n" +
			"    value: acme.retail.payments.v1.PaymentEvent\n",
		"schemas/retail/payments/v1/payments.proto": paymentsProto,
		"schemas/retail/shipping/service.yaml": "description: Shipping.\nowner: shipping-team\ntopics:\n  - name: events\n    description: Shipment facts.\n" +
			"    value: acme.retail.shipping.v1.ShipmentEvent\nconsumes: [acme.retail.orders.events]\n",
		"schemas/retail/shipping/v1/shipping.proto": shippingProto,
		"schemas/retail/stock/service.yaml":         "description: Stock.\nowner: stock-team\nconsumes: [acme.retail.orders.events]\n",
		"schemas/retail/billing/service.yaml":       "description: Billing.\nowner: billing-team\nconsumes: [acme.retail.orders.events, acme.retail.payments.events]\n",
	}
}

var fixedNow = func() time.Time { return time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC) }

func run(t *testing.T, root, against string) *lint.Report {
	t.Helper()
	r, err := lint.Run(t.Context(), lint.Options{Root: root, Against: against, Catalog: catalog.Options{Now: fixedNow}})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return r
}

func rules(r *lint.Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Rule)
	}
	return out
}

func replace(s, old, new string) string {
	if !strings.Contains(s, old) {
		panic("fixture: no " + old)
	}
	return strings.Replace(s, old, new, 1)
}

// TestAgainstGit changes the working tree of a repository whose main
// holds the fixture, one way per case, and checks the findings.
func TestAgainstGit(t *testing.T) {
	t.Parallel()
	ordersFile := "schemas/retail/orders/v1/orders.proto"
	tests := []struct {
		name      string
		edit      map[string]string
		wantRules []string
		wantPos   string // "file:line:col" of the first finding, under the root
		changed   int
		new       int
		deleted   int
		breaking  int
	}{
		{name: "nothing changed"},
		{name: "compatible: a field added", edit: map[string]string{
			ordersFile: replace(ordersProto, "  acme.common.v1.Money total = 4;\n", "  acme.common.v1.Money total = 4;\n  // Gift wrap.\n  bool gift = 5;\n"),
		}, changed: 1},
		{name: "comments only: not a change", edit: map[string]string{
			ordersFile: replace(ordersProto, "// A note from the customer.", "// A free-text note from the customer."),
		}},
		{name: "an unreferenced message changed: not the topic's business", edit: map[string]string{
			ordersFile: replace(ordersProto, "  string key = 1;", "  int64 key = 1;"),
		}},
		{name: "a new topic", edit: map[string]string{
			"schemas/retail/stock/service.yaml":   "description: Stock.\nowner: stock-team\nconsumes: [acme.retail.orders.events]\ntopics:\n  - name: events\n    description: Stock facts.\n    value: acme.retail.stock.v1.StockEvent\n",
			"schemas/retail/stock/v1/stock.proto": "syntax = \"proto3\";\npackage acme.retail.stock.v1;\n// Stock.\nmessage StockEvent {\n  // SKU.\n  string sku = 1;\n}\n",
		}, new: 1},
		{name: "field deleted", edit: map[string]string{
			ordersFile: replace(ordersProto, "  // A note from the customer.\n  string note = 2;\n", ""),
		}, wantRules: []string{"FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED", "FIELD_NO_DELETE_UNLESS_NAME_RESERVED"}, wantPos: "retail/orders/v1/orders.proto:9:3", changed: 1, breaking: 1},
		{name: "type changed", edit: map[string]string{
			ordersFile: replace(ordersProto, "int32 quantity = 3;", "string quantity = 3;"),
		}, wantRules: []string{"FIELD_WIRE_COMPATIBLE_TYPE"}, wantPos: "retail/orders/v1/orders.proto:11:3", changed: 1, breaking: 1},
		{name: "renamed field at WIRE_JSON", edit: map[string]string{
			ordersFile: replace(ordersProto, "string note = 2;", "string remark = 2;"),
		}, wantRules: []string{"FIELD_SAME_NAME", "FIELD_SAME_JSON_NAME"}, wantPos: "retail/orders/v1/orders.proto:9:3", changed: 1, breaking: 1},
		{name: "a shared type changed breaks the topics reaching it", edit: map[string]string{
			"schemas/common/v1/money.proto": replace(moneyProto, "int64 units = 2;", "string units = 2;"),
		}, wantRules: []string{"FIELD_WIRE_COMPATIBLE_TYPE"}, wantPos: "common/v1/money.proto:8:3", changed: 1, breaking: 1},
		{name: "required field added", edit: map[string]string{
			"schemas/retail/payments/v1/payments.proto": replace(paymentsProto, "  optional int64 cents = 2;\n", "  optional int64 cents = 2;\n  // ISO 4217.\n  required string currency = 3;\n"),
		}, wantRules: []string{"MESSAGE_SAME_REQUIRED_FIELDS"}, changed: 1, breaking: 1},
		{name: "except: opts a topic out of a rule", edit: map[string]string{
			ordersFile: replace(ordersProto, "string note = 2;", "string remark = 2;"),
			"schemas/retail/orders/service.yaml": "description: Orders.\nowner: orders-team\ntopics:\n  - name: events\n    description: Order facts.\n" +
				"    value: acme.retail.orders.v1.OrderEvent\n    key: string\n    except: [FIELD_SAME_NAME, FIELD_SAME_JSON_NAME]\n",
		}, changed: 1},
		{name: "an ignore with a reason", edit: map[string]string{
			ordersFile: replace(ordersProto, "  // A note from the customer.\n  string note = 2;", "  // A note from the customer.\n  // registry:ignore FIELD_SAME_NAME no consumer reads it yet\n  // registry:ignore FIELD_SAME_JSON_NAME no consumer reads it yet\n  string remark = 2;"),
		}, changed: 1},
		{name: "an ignore without a reason is a finding", edit: map[string]string{
			ordersFile: replace(ordersProto, "  // A note from the customer.\n  string note = 2;", "  // A note from the customer.\n  // registry:ignore FIELD_SAME_NAME\n  string remark = 2;"),
		}, wantRules: []string{"IGNORE_WITHOUT_REASON", "FIELD_SAME_NAME", "FIELD_SAME_JSON_NAME"}, changed: 1, breaking: 1},
		{name: "topic deleted while consumed", edit: map[string]string{
			"schemas/retail/payments/service.yaml":      "description: Payments.\nowner: payments-team\n",
			"schemas/retail/payments/v1/payments.proto": gitfixture.Delete,
			"schemas/retail/billing/service.yaml":       "description: Billing.\nowner: billing-team\nconsumes: [acme.retail.orders.events]\n",
		}, wantRules: []string{"TOPIC_NO_DELETE"}, wantPos: "retail/payments/service.yaml:4:11", deleted: 1, breaking: 1},
		{name: "topic nobody consumes deleted", edit: map[string]string{
			"schemas/retail/shipping/service.yaml":      "description: Shipping.\nowner: shipping-team\nconsumes: [acme.retail.orders.events]\n",
			"schemas/retail/shipping/v1/shipping.proto": gitfixture.Delete,
		}, deleted: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			repo := gitfixture.New(t)
			repo.Commit("schemas", baseFiles())
			repo.Write(tt.edit)
			root := filepath.Join(repo.Dir, "schemas")
			r := run(t, root, "main")
			got := rules(r)
			if !slices.Equal(got, tt.wantRules) {
				t.Errorf("rules: got %v, want %v\n%s", got, tt.wantRules, text(t, r))
			}
			if tt.wantPos != "" && len(r.Findings) > 0 {
				want := filepath.ToSlash(filepath.Join(root, tt.wantPos))
				if f := r.Findings[0]; f.Position.String() != want {
					t.Errorf("position: got %s, want %s", f.Position, want)
				}
			}
			s := r.Summary
			if s.TopicsChanged != tt.changed || s.TopicsNew != tt.new || s.TopicsDeleted != tt.deleted || s.TopicsBreaking != tt.breaking {
				t.Errorf("summary: got %d changed, %d new, %d deleted, %d breaking; want %d, %d, %d, %d\n%s",
					s.TopicsChanged, s.TopicsNew, s.TopicsDeleted, s.TopicsBreaking, tt.changed, tt.new, tt.deleted, tt.breaking, text(t, r))
			}
			if r.Failed(registry.SeverityError) != (len(tt.wantRules) > 0) {
				t.Errorf("failed: got %v with %v", r.Failed(registry.SeverityError), got)
			}
		})
	}
}

func text(t *testing.T, r *lint.Report) string {
	t.Helper()
	var b strings.Builder
	if err := lint.Write(&b, r, "text", lint.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestConsumersAndTeams: every compatibility finding names the topic's
// consumers and their owning teams.
func TestConsumersAndTeams(t *testing.T) {
	t.Parallel()
	repo := gitfixture.New(t)
	repo.Commit("schemas", baseFiles())
	repo.Write(map[string]string{"schemas/retail/orders/v1/orders.proto": replace(ordersProto, "int32 quantity = 3;", "string quantity = 3;")})
	r := run(t, filepath.Join(repo.Dir, "schemas"), "main")
	if len(r.Findings) != 1 {
		t.Fatalf("findings: got %v", rules(r))
	}
	f := r.Findings[0]
	wantConsumers := []string{"acme.retail.billing", "acme.retail.shipping", "acme.retail.stock"}
	if !slices.Equal(f.Consumers, wantConsumers) || !slices.Equal(f.Teams, []string{"billing-team", "shipping-team", "stock-team"}) {
		t.Errorf("consumers %v teams %v", f.Consumers, f.Teams)
	}
	if f.Topic != "acme.retail.orders.events" || f.Service != "acme.retail.orders" || f.Direction != registry.DirectionBackward {
		t.Errorf("finding: %+v", f)
	}
	want := map[string]string{"acme.retail.billing": "billing-team", "acme.retail.shipping": "shipping-team", "acme.retail.stock": "stock-team"}
	if !maps.Equal(r.Owners, want) {
		t.Errorf("owners: got %v, want %v", r.Owners, want)
	}
	if r.Summary.ConsumersAffected != 3 || r.Summary.TopicsBreaking != 1 {
		t.Errorf("summary: %+v", r.Summary)
	}
}

// forwardHistory builds a history the registry accepts commit by commit,
// because orders.events evolved under NONE: v1 has string note = 2, v2
// deletes it. The edit makes the topic BACKWARD_TRANSITIVE and reuses
// number 2 for an int64: compatible with v2, not with v1.
func forwardHistory(t *testing.T) (*gitfixture.Repo, map[string]string) {
	t.Helper()
	files := baseFiles()
	files["schemas/registry.yaml"] = "company: acme\ndefaults:\n  compatibility: NONE\n  level: WIRE_JSON\ngovernance:\n  ORPHAN_TOPIC: off\n"
	repo := gitfixture.New(t)
	repo.Commit("v1", files)
	files["schemas/retail/orders/v1/orders.proto"] = replace(ordersProto, "  // A note from the customer.\n  string note = 2;\n", "")
	repo.Commit("v2: drop note", files)
	repo.Commit("an unrelated commit", map[string]string{"README.md": "# schemas, v2\n"})
	edit := map[string]string{
		"schemas/retail/orders/v1/orders.proto": replace(ordersProto, "  string note = 2;\n", "  int64 note = 2;\n"),
		"schemas/retail/orders/service.yaml":    replace(files["schemas/retail/orders/service.yaml"], "    key: string\n", "    key: string\n    compatibility: BACKWARD_TRANSITIVE\n"),
	}
	return repo, edit
}

func TestTransitiveHistory(t *testing.T) {
	t.Parallel()
	repo, edit := forwardHistory(t)
	repo.Write(edit)
	r := run(t, filepath.Join(repo.Dir, "schemas"), "main")
	if got := rules(r); !slices.Equal(got, []string{"FIELD_WIRE_COMPATIBLE_TYPE"}) {
		t.Fatalf("rules: got %v\n%s", got, text(t, r))
	}
	if f := r.Findings[0]; !strings.Contains(f.Message, "(against commit ") || f.Direction != registry.DirectionBackward {
		t.Errorf("finding: %+v", f)
	}
	if tc := r.Topics[0]; tc.Versions != 2 {
		t.Errorf("versions checked: got %d, want 2", tc.Versions)
	}
	if len(r.Notes) != 0 || r.Summary.Shallow {
		t.Errorf("notes: %v", r.Notes)
	}

	// --history-depth 1 reads only the unrelated commit: v1 is out of reach.
	short, err := lint.Run(t.Context(), lint.Options{Root: filepath.Join(repo.Dir, "schemas"), Against: "main", HistoryDepth: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(short.Findings) != 0 || len(short.Notes) != 1 || !strings.Contains(short.Notes[0], "--history-depth") {
		t.Errorf("depth 1: findings %v notes %v", rules(short), short.Notes)
	}
}

// TestShallowClone: a depth-1 clone, as actions/checkout makes by default,
// has no history: the report says so and checks against the base alone.
func TestShallowClone(t *testing.T) {
	t.Parallel()
	repo, edit := forwardHistory(t)
	clone := repo.Clone(1)
	clone.Write(edit)
	r := run(t, filepath.Join(clone.Dir, "schemas"), "origin/main")
	if len(r.Findings) != 0 {
		t.Errorf("findings: got %v, want none (v1 is not in the clone)", rules(r))
	}
	if !r.Summary.Shallow || len(r.Notes) != 1 || !strings.Contains(r.Notes[0], lint.ShallowNote) {
		t.Errorf("notes: got %v, want the shallow note", r.Notes)
	}

	full := repo.Clone(0)
	full.Write(edit)
	if r := run(t, filepath.Join(full.Dir, "schemas"), "origin/main"); !slices.Equal(rules(r), []string{"FIELD_WIRE_COMPATIBLE_TYPE"}) || len(r.Notes) != 0 {
		t.Errorf("full clone: got %v, notes %v", rules(r), r.Notes)
	}
}

// TestRevisions: branches, tags, SHAs and expressions all name a base;
// commits on a pull request branch are compared with main.
func TestRevisions(t *testing.T) {
	t.Parallel()
	repo := gitfixture.New(t)
	sha := repo.Commit("schemas", baseFiles())
	repo.Tag("v1.0.0")
	repo.Branch("feature")
	repo.Commit("delete a field", map[string]string{"schemas/retail/orders/v1/orders.proto": replace(ordersProto, "  // A note from the customer.\n  string note = 2;\n", "")})
	root := filepath.Join(repo.Dir, "schemas")
	for _, rev := range []string{"main", "v1.0.0", sha, sha[:10], "HEAD~1"} {
		r := run(t, root, rev)
		if len(r.Findings) != 2 || r.Base != sha {
			t.Errorf("%s: got %v against %s", rev, rules(r), r.Base)
		}
	}
	if r := run(t, root, "HEAD"); len(r.Findings) != 0 || len(r.Topics) != 0 {
		t.Errorf("HEAD: got %v %v", rules(r), r.Topics)
	}
	for _, rev := range []string{"nope", "origin/main", "0123456789abcdef0123456789abcdef01234567"} {
		_, err := lint.Run(t.Context(), lint.Options{Root: root, Against: rev})
		if registry.ErrorCode(err) != registry.ENOTFOUND || !strings.Contains(err.Error(), "unknown revision") {
			t.Errorf("%s: got %v, want ENOTFOUND unknown revision", rev, err)
		}
	}
}

// TestMovedMessage: a message moved to another file keeps its contract;
// the base is compiled whole when the changed files do not hold it.
func TestMovedMessage(t *testing.T) {
	t.Parallel()
	repo := gitfixture.New(t)
	repo.Commit("schemas", baseFiles())
	repo.Write(map[string]string{
		"schemas/retail/orders/v1/orders.proto": "syntax = \"proto3\";\npackage acme.retail.orders.v1;\nimport \"retail/orders/v1/event.proto\";\n// Internal.\nmessage Internal {\n  // A key.\n  string key = 1;\n}\n",
		"schemas/retail/orders/v1/event.proto": strings.Replace(strings.Split(ordersProto, "// Internal to orders")[0], "import \"common/v1/money.proto\";",
			"import \"common/v1/money.proto\";", 1),
	})
	r := run(t, filepath.Join(repo.Dir, "schemas"), "main")
	if len(r.Findings) != 0 || r.Summary.TopicsChanged != 0 {
		t.Errorf("got %v, %+v\n%s", rules(r), r.Summary, text(t, r))
	}
}

// TestWorkingTreeDoesNotLoad: compile errors are findings, and the
// comparison is skipped with a note.
func TestWorkingTreeDoesNotLoad(t *testing.T) {
	t.Parallel()
	repo := gitfixture.New(t)
	repo.Commit("schemas", baseFiles())
	repo.Write(map[string]string{"schemas/retail/orders/v1/orders.proto": replace(ordersProto, "int32 quantity", "int33 quantity")})
	r := run(t, filepath.Join(repo.Dir, "schemas"), "main")
	if got := rules(r); !slices.Equal(got, []string{lint.RuleCompile}) || len(r.Notes) != 1 {
		t.Errorf("got %v, notes %v", got, r.Notes)
	}
	if f := r.Findings[0]; !strings.HasSuffix(f.Position.String(), "schemas/retail/orders/v1/orders.proto:11:3") {
		t.Errorf("position: got %s", f.Position)
	}
}

// TestNoBase: without --against only compile errors and governance rules
// run; a base without the schema root makes every topic new; a directory
// outside any repository needs no Git unless a revision is asked for.
func TestNoBase(t *testing.T) {
	t.Parallel()
	repo := gitfixture.New(t)
	repo.Commit("readme", map[string]string{"README.md": "hi\n"})
	repo.Write(baseFiles())
	root := filepath.Join(repo.Dir, "schemas")
	if r := run(t, root, ""); len(r.Findings) != 0 || r.Against != "" || len(r.Topics) != 0 {
		t.Errorf("no --against: %v %+v", rules(r), r.Topics)
	}
	if r := run(t, root, "main"); r.Summary.TopicsNew != 3 || len(r.Notes) != 1 {
		t.Errorf("no schema root at the base: %+v, notes %v", r.Summary, r.Notes)
	}

	plain := t.TempDir()
	for name, content := range baseFiles() {
		writeFile(t, filepath.Join(plain, name), content)
	}
	if r := run(t, filepath.Join(plain, "schemas"), ""); len(r.Findings) != 0 {
		t.Errorf("plain directory: %v", rules(r))
	}
	if _, err := lint.Run(t.Context(), lint.Options{Root: filepath.Join(plain, "schemas"), Against: "main"}); registry.ErrorCode(err) != registry.ENOTFOUND {
		t.Errorf("plain directory --against main: got %v, want ENOTFOUND", err)
	}
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fakeRegistry serves versions built from file sets, and counts fetches.
type fakeRegistry struct {
	topics   []lint.RemoteTopic
	versions map[string][]registry.TopicVersion
	schemas  map[string][]registry.Schema // by topic@version
	fetched  map[string]int
	err      error
}

func (f *fakeRegistry) Topics(context.Context) ([]lint.RemoteTopic, error) { return f.topics, f.err }
func (f *fakeRegistry) Versions(_ context.Context, topic string) ([]registry.TopicVersion, error) {
	return f.versions[topic], nil
}
func (f *fakeRegistry) Schemas(_ context.Context, topic string, version int) ([]registry.Schema, error) {
	f.fetched[topic]++
	return f.schemas[fmt.Sprintf("%s@%d", topic, version)], nil
}
func (f *fakeRegistry) String() string { return "https://registry.test" }

// addVersion records the orders topic's contract in files as its next version.
func (f *fakeRegistry) addVersion(t *testing.T, files map[string]string) {
	t.Helper()
	tree := map[string][]byte{}
	for name, content := range files {
		if rel, ok := strings.CutPrefix(name, "schemas/"); ok {
			tree[rel] = []byte(content)
		}
	}
	cat, err := catalog.LoadFiles(t.Context(), tree, catalog.Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	const topic = "acme.retail.orders.events"
	tp, _ := cat.Topic(topic)
	ct, _ := cat.ContractOf(tp)
	n := len(f.versions[topic]) + 1
	f.versions[topic] = append(f.versions[topic], registry.TopicVersion{
		Topic: topic, Version: n, Fingerprint: compat.Fingerprint(ct), Key: "string",
		Subjects: []registry.SubjectSchema{{Subject: topic + "-value", Message: "acme.retail.orders.v1.OrderEvent"}, {Subject: "common/v1/money.proto"}},
	})
	for _, p := range []string{"retail/orders/v1/orders.proto", "common/v1/money.proto"} {
		f.schemas[fmt.Sprintf("%s@%d", topic, n)] = append(f.schemas[fmt.Sprintf("%s@%d", topic, n)], registry.Schema{SchemaContent: registry.SchemaContent{Path: p, Text: string(tree[p])}})
	}
}

func TestAgainstRegistry(t *testing.T) {
	t.Parallel()
	files := baseFiles()
	reg := &fakeRegistry{versions: map[string][]registry.TopicVersion{}, schemas: map[string][]registry.Schema{}, fetched: map[string]int{}, topics: []lint.RemoteTopic{
		{Name: "acme.retail.orders.events", Service: "acme.retail.orders", Consumers: []string{"acme.retail.billing", "acme.retail.stock"}},
		{Name: "acme.retail.legacy.events", Service: "acme.retail.legacy", Owner: "legacy-team", Consumers: []string{"acme.retail.stock"}},
	}}
	reg.addVersion(t, files) // version 1: with the note
	v2 := maps.Clone(files)
	v2["schemas/retail/orders/v1/orders.proto"] = replace(ordersProto, "  // A note from the customer.\n  string note = 2;\n", "  reserved 2;\n  reserved \"note\";\n")
	reg.addVersion(t, v2) // version 2: the note deleted and reserved

	dir := t.TempDir()
	for name, content := range v2 {
		writeFile(t, filepath.Join(dir, name), content)
	}
	root := filepath.Join(dir, "schemas")
	runReg := func() *lint.Report {
		t.Helper()
		r, err := lint.Run(t.Context(), lint.Options{Root: root, Registry: reg, Catalog: catalog.Options{Now: fixedNow}})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	// Unchanged: the latest fingerprint matches, no schema is fetched; the
	// topics the registry lacks are new, the one the tree lacks is deleted.
	r := runReg()
	if got := rules(r); !slices.Equal(got, []string{"TOPIC_NO_DELETE"}) || reg.fetched["acme.retail.orders.events"] != 0 {
		t.Errorf("unchanged: got %v, fetched %v\n%s", got, reg.fetched, text(t, r))
	}
	if s := r.Summary; s.TopicsNew != 2 || s.TopicsDeleted != 1 || s.TopicsChanged != 0 || r.Base != "https://registry.test" {
		t.Errorf("summary: %+v", s)
	}

	// Reusing number 2 for an int64: the transitive check reaches version 1,
	// whose note was a string (only fetched now that the topic changed).
	writeFile(t, filepath.Join(root, "retail/orders/v1/orders.proto"), replace(ordersProto, "  string note = 2;\n", "  int64 note = 2;\n"))
	writeFile(t, filepath.Join(root, "retail/orders/service.yaml"), replace(files["schemas/retail/orders/service.yaml"], "    key: string\n", "    key: string\n    compatibility: BACKWARD_TRANSITIVE\n"))
	r = runReg()
	var found bool
	for _, f := range r.Findings {
		if f.Rule == "FIELD_WIRE_COMPATIBLE_TYPE" && strings.Contains(f.Message, "(against version 1)") {
			found = true
		}
	}
	if !found || reg.fetched["acme.retail.orders.events"] != 2 {
		t.Errorf("transitive: got %v, fetched %v\n%s", rules(r), reg.fetched, text(t, r))
	}

	reg.err = errors.New("registry https://registry.test unreachable")
	if _, err := lint.Run(t.Context(), lint.Options{Root: root, Registry: reg}); err == nil {
		t.Error("unreachable registry: no error")
	}
}
