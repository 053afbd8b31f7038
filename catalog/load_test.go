package catalog

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/compat"
)

// testNow is the clock of every test: date rules see this moment.
var testNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func testOptions() Options { return Options{Now: func() time.Time { return testNow }} }

// Files of the base repository.
const (
	repoYAML    = "registry.yaml"
	ordersYAML  = "retail/orders/service.yaml"
	stockYAML   = "retail/stock/service.yaml"
	ordersProto = "retail/orders/v1/orders.proto"
	stockProto  = "retail/stock/v1/stock.proto"
	moneyProto  = "common/v1/money.proto"
)

// baseFiles is a small valid repository with zero findings of any severity:
// two services of one namespace and a shared file outside service
// directories. Every other test changes one thing in it.
//
// Line numbers matter: tests locate findings and diagnostics by them.
// Appended lines go at the end of a file so earlier lines keep their number.
var baseFiles = map[string]string{
	repoYAML: "company: acme\n",

	// orders owns a fact topic, a command topic, a reply topic and a dead
	// letter topic; it consumes stock's events.
	ordersYAML: `description: Owns the lifecycle of orders.
owner: orders-team
contact: "#orders"
topics:
  - name: events
    description: Facts about orders.
    value: acme.retail.orders.v1.OrderEvent
    key: string
  - name: commands
    description: Requests orders to act on.
    value: acme.retail.orders.v1.PlaceOrder
  - name: private.reply
    description: Answers to the requests orders sends.
    value: acme.retail.orders.v1.Reply
  - name: private.dlq
    description: Records orders could not process.
    value: acme.retail.orders.v1.OrderEvent
consumes:
  - acme.retail.stock.events
`,

	// stock sends orders commands, answers on orders' reply topic and
	// consumes orders' events.
	stockYAML: `description: Owns stock levels.
owner: stock-team
topics:
  - name: events
    description: Facts about stock.
    value: acme.retail.stock.v1.StockEvent
produces:
  - acme.retail.orders.commands
  - acme.retail.orders.private.reply
consumes:
  - acme.retail.orders.events
`,

	ordersProto: `syntax = "proto3";

package acme.retail.orders.v1;

import "common/v1/money.proto";
import "google/protobuf/timestamp.proto";

// OrderEvent is a fact about one order.
message OrderEvent {
  // The order's identifier.
  string order_id = 1;
  // What the customer pays.
  acme.common.v1.Money total = 2;
  // Where the order stands.
  Status status = 3;
  // When the fact happened.
  google.protobuf.Timestamp at = 4;
  // Lines of the order, by SKU.
  map<string, Line> lines = 5;
  // What happened to the order.
  oneof change {
    // Who placed the order.
    string placed_by = 6;
    // Why the order was cancelled.
    string cancel_reason = 7;
  }

  // Line is one line of an order.
  message Line {
    // How many items.
    int32 quantity = 1;
  }
}

// Status is where an order stands.
enum Status {
  // Unknown: never written.
  STATUS_UNSPECIFIED = 0;
  // Accepted and waiting for stock.
  STATUS_CONFIRMED = 1;
}

// PlaceOrder asks orders to take a new order.
message PlaceOrder {
  // The basket to order.
  string basket_id = 1;
}

// Reply answers one request of orders.
message Reply {
  // Whether the request succeeded.
  bool ok = 1;
}
`,

	stockProto: `syntax = "proto3";

package acme.retail.stock.v1;

// StockEvent is a fact about the stock of one product.
message StockEvent {
  // The product's stock-keeping unit.
  string sku = 1;
  // Items on hand after the change.
  int64 on_hand = 2;
}

// StockKey identifies one product in one warehouse.
message StockKey {
  // The product's stock-keeping unit.
  string sku = 1;
  // The warehouse's code.
  string warehouse = 2;
}
`,

	moneyProto: `syntax = "proto3";

package acme.common.v1;

// Money is an amount in one currency.
message Money {
  // ISO 4217 currency code, e.g. EUR.
  string currency = 1;
  // Amount in the currency's minor unit (cents).
  int64 minor_units = 2;
}
`,
}

// removed as the new content of a change deletes the file.
const removed = "\x00removed"

// change is one edit of the base repository: the first occurrence of old
// in file becomes new. With old empty, new is the file's whole content
// (creating the file if needed); new == removed deletes the file.
type change struct{ file, old, new string }

// set replaces (or creates) a whole file.
func set(file, content string) change { return change{file: file, new: content} }

// repoWith returns the base repository with the changes applied. A change
// whose old text is not in the file fails the test, so no case silently
// tests the base.
func repoWith(t testing.TB, changes ...change) fstest.MapFS {
	t.Helper()
	files := make(map[string]string, len(baseFiles))
	for name, content := range baseFiles {
		files[name] = content
	}
	for _, c := range changes {
		switch {
		case c.new == removed:
			delete(files, c.file)
		case c.old == "":
			files[c.file] = c.new
		case !strings.Contains(files[c.file], c.old):
			t.Fatalf("change of %s: %q not found", c.file, c.old)
		default:
			files[c.file] = strings.Replace(files[c.file], c.old, c.new, 1)
		}
	}
	fsys := fstest.MapFS{}
	for name, content := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(content), Mode: 0o644}
	}
	return fsys
}

// mustLoad loads fsys and fails the test on any error.
func mustLoad(t *testing.T, fsys fstest.MapFS, opts Options) *Catalog {
	t.Helper()
	c, err := Load(t.Context(), fsys, opts)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func TestLoadBaseRepositoryIsClean(t *testing.T) {
	t.Parallel()
	c := mustLoad(t, repoWith(t), testOptions())
	for _, f := range c.Findings() {
		t.Errorf("finding on the base repository: %s", f)
	}
	if got, want := c.Company(), "acme"; got != want {
		t.Errorf("Company() = %q, want %q", got, want)
	}
	if got, want := c.LoadedAt(), testNow; !got.Equal(want) {
		t.Errorf("LoadedAt() = %v, want %v (the Options.Now clock)", got, want)
	}
	if got, want := len(c.Schema().Files()), 3; got != want {
		t.Errorf("compiled %d files, want %d", got, want)
	}
}

// wantDiag is a diagnostic a bad repository must produce.
type wantDiag struct {
	file      string
	line, col int
	message   string // a part of the message
}

func TestLoadInvalid(t *testing.T) {
	t.Parallel()
	bigProto := "syntax = \"proto3\";\n// " + strings.Repeat("x", 3000) + "\npackage acme.common.v1;\n"
	tests := []struct {
		name    string
		changes []change
		limits  compat.Limits
		want    []wantDiag
	}{
		// registry.yaml
		{
			name:    "registry.yaml missing",
			changes: []change{{file: repoYAML, new: removed}},
			want:    []wantDiag{{repoYAML, 0, 0, "not found: the schema root must contain registry.yaml"}},
		},
		{
			name:    "company missing",
			changes: []change{set(repoYAML, "defaults:\n  level: WIRE\n")},
			want:    []wantDiag{{repoYAML, 1, 1, "company is required"}},
		},
		{
			name:    "registry.yaml empty",
			changes: []change{set(repoYAML, "")},
			want:    []wantDiag{{repoYAML, 1, 1, "company is required"}},
		},
		{
			name:    "company not a name segment",
			changes: []change{set(repoYAML, "company: Acme\n")},
			want:    []wantDiag{{repoYAML, 1, 10, `company "Acme" must be lower case`}},
		},
		{
			name:    "registry.yaml unknown top-level key",
			changes: []change{set(repoYAML, "company: acme\ncompatibility: FULL\n")},
			want:    []wantDiag{{repoYAML, 2, 1, `unknown field "compatibility"`}},
		},
		{
			name:    "registry.yaml unknown key in defaults",
			changes: []change{set(repoYAML, "company: acme\ndefaults:\n  compat: FULL\n")},
			want:    []wantDiag{{repoYAML, 3, 3, `unknown field "compat"`}},
		},
		{
			name:    "registry.yaml syntax error",
			changes: []change{set(repoYAML, "company: [acme\n")},
			want:    []wantDiag{{repoYAML, 1, 10, "']' not found"}},
		},
		{
			name:    "bad default compatibility",
			changes: []change{set(repoYAML, "company: acme\ndefaults:\n  compatibility: BACKWARDS\n")},
			want:    []wantDiag{{repoYAML, 3, 18, `unknown compatibility "BACKWARDS"`}},
		},
		{
			name:    "bad default level",
			changes: []change{set(repoYAML, "company: acme\ndefaults:\n  level: JSON\n")},
			want:    []wantDiag{{repoYAML, 3, 10, `unknown level "JSON" (want one of WIRE, WIRE_JSON, FILE)`}},
		},
		{
			name:    "governance names an unknown rule",
			changes: []change{set(repoYAML, "company: acme\ngovernance:\n  TOPIC_NAMES: error\n")},
			want:    []wantDiag{{repoYAML, 3, 16, `governance: unknown rule "TOPIC_NAMES"`}},
		},
		{
			name:    "governance with a bad severity",
			changes: []change{set(repoYAML, "company: acme\ngovernance:\n  ORPHAN_TOPIC: fatal\n")},
			want:    []wantDiag{{repoYAML, 3, 17, `governance: ORPHAN_TOPIC: unknown severity "fatal"`}},
		},

		// service.yaml
		{
			name:    "service.yaml syntax error",
			changes: []change{{stockYAML, "description: Owns stock levels.", "description: [Owns stock levels."}},
			want:    []wantDiag{{stockYAML, 2, 1, "',' or ']' must be specified"}},
		},
		{
			name:    "service.yaml bad indentation",
			changes: []change{{stockYAML, "owner: stock-team", "  owner: stock-team"}},
			want:    []wantDiag{{stockYAML, 2, 3, "bad indentation: this key is indented deeper than the key above it"}},
		},
		{
			// go-yaml names the value of line 2 (2:8); the bad line is 3.
			name:    "service.yaml bad indentation of the third line",
			changes: []change{{stockYAML, "\ntopics:", "\n  topics:"}},
			want:    []wantDiag{{stockYAML, 3, 3, "bad indentation"}},
		},
		{
			name:    "service.yaml bad indentation inside a topic",
			changes: []change{{stockYAML, "    value: acme.retail.stock.v1.StockEvent", "      value: acme.retail.stock.v1.StockEvent"}},
			want:    []wantDiag{{stockYAML, 6, 7, "bad indentation"}},
		},
		{
			name:    "registry.yaml bad indentation of the third line",
			changes: []change{set(repoYAML, "company: acme\ndefaults:\n  compatibility: BACKWARD\n    level: WIRE\n")},
			want:    []wantDiag{{repoYAML, 4, 5, "bad indentation"}},
		},
		{
			name:    "registry.yaml bad indentation of a key after a multi-line value",
			changes: []change{set(repoYAML, "company: acme\ndefaults:\n  compatibility: BACKWARD\n    still the value\n    level: WIRE\n")},
			want:    []wantDiag{{repoYAML, 5, 5, "bad indentation"}},
		},
		{
			name:    "service.yaml unknown top-level key",
			changes: []change{{stockYAML, "owner: stock-team", "ownr: stock-team"}},
			want:    []wantDiag{{stockYAML, 2, 1, `unknown field "ownr"`}},
		},
		{
			name:    "service.yaml unknown key in a topic",
			changes: []change{{stockYAML, "    description: Facts about stock.", "    descripton: Facts about stock."}},
			want:    []wantDiag{{stockYAML, 5, 5, `unknown field "descripton"`}},
		},
		{
			name: "service.yaml unknown key in deprecated",
			changes: []change{{ordersYAML, "    value: acme.retail.orders.v1.OrderEvent\nconsumes:",
				"    value: acme.retail.orders.v1.OrderEvent\n    deprecated: {since: 2026-10-01, sunet: 2027-01-01}\nconsumes:"}},
			want: []wantDiag{{ordersYAML, 18, 37, `unknown field "sunet"`}},
		},
		{
			name: "service.yaml unknown key in a block deprecated",
			changes: []change{{ordersYAML, "    value: acme.retail.orders.v1.OrderEvent\nconsumes:",
				"    value: acme.retail.orders.v1.OrderEvent\n    deprecated:\n      since: 2026-10-01\n      replaced-by: acme.retail.orders.events\nconsumes:"}},
			want: []wantDiag{{ordersYAML, 20, 7, `unknown field "replaced-by"`}},
		},
		{
			name:    "service.yaml topics not a list",
			changes: []change{{stockYAML, "topics:\n  - name: events\n    description: Facts about stock.\n    value: acme.retail.stock.v1.StockEvent\n", "topics: 3\n"}},
			want:    []wantDiag{{stockYAML, 3, 9, "sequence is expected"}},
		},
		{
			name:    "service.yaml description not a string",
			changes: []change{{stockYAML, "description: Owns stock levels.", "description: {what: stock}"}},
			want:    []wantDiag{{stockYAML, 1, 14, "want a string, got Mapping"}},
		},
		{
			name:    "service.yaml that crashes the YAML parser", // goccy/go-yaml#735
			changes: []change{set(stockYAML, "topics: !!seq\n")},
			want:    []wantDiag{{stockYAML, 0, 0, "malformed YAML"}},
		},
		{
			name:    "topic without a name",
			changes: []change{{stockYAML, "  - name: events\n    description", "  - description"}},
			want:    []wantDiag{{stockYAML, 4, 5, "topic without a name"}},
		},
		{
			name:    "topic declared twice in one file",
			changes: []change{{stockYAML, "produces:", "  - name: events\n    description: Again.\n    value: acme.retail.stock.v1.StockEvent\nproduces:"}},
			want:    []wantDiag{{stockYAML, 7, 11, "topic acme.retail.stock.events is already declared at retail/stock/service.yaml:4:11"}},
		},
		{
			name:    "topic declared twice across services, full-name form",
			changes: []change{{stockYAML, "produces:", "  - name: acme.retail.orders.events\n    description: Stolen.\n    value: acme.retail.stock.v1.StockEvent\nproduces:"}},
			want:    []wantDiag{{stockYAML, 7, 11, "topic acme.retail.orders.events is already declared at retail/orders/service.yaml:5:11"}},
		},
		{
			name:    "bad topic compatibility",
			changes: []change{{stockYAML, "produces:", "    compatibility: BACKWARDS\nproduces:"}},
			want:    []wantDiag{{stockYAML, 7, 20, `unknown compatibility "BACKWARDS" (want one of NONE, BACKWARD`}},
		},
		{
			name:    "bad topic level",
			changes: []change{{stockYAML, "produces:", "    level: wire\nproduces:"}},
			want:    []wantDiag{{stockYAML, 7, 12, `unknown level "wire"`}},
		},
		{
			name: "bad deprecation dates",
			changes: []change{{ordersYAML, "    value: acme.retail.orders.v1.OrderEvent\nconsumes:",
				"    value: acme.retail.orders.v1.OrderEvent\n    deprecated: {since: 2026-10-1, sunset: 2027-02-30}\nconsumes:"}},
			want: []wantDiag{
				{ordersYAML, 18, 25, `date "2026-10-1": want YYYY-MM-DD`},
				{ordersYAML, 18, 44, `date "2027-02-30": want YYYY-MM-DD`},
			},
		},
		{
			name:    "value and values both set",
			changes: []change{{stockYAML, "produces:", "    values: [acme.retail.stock.v1.StockKey]\nproduces:"}},
			want:    []wantDiag{{stockYAML, 6, 12, "topic acme.retail.stock.events: set value or values, not both"}},
		},
		{
			name:    "no value",
			changes: []change{{stockYAML, "    value: acme.retail.stock.v1.StockEvent\n", ""}},
			want:    []wantDiag{{stockYAML, 4, 5, "topic acme.retail.stock.events: value is required"}},
		},
		{
			name:    "service.yaml directly under a namespace",
			changes: []change{set("retail/service.yaml", "description: Too shallow.\n")},
			want:    []wantDiag{{"retail/service.yaml", 0, 0, "service.yaml must be at <namespace>/<service>/service.yaml"}},
		},
		{
			name:    "service.yaml too deep",
			changes: []change{set("retail/stock/v1/service.yaml", "description: Too deep.\n")},
			want:    []wantDiag{{"retail/stock/v1/service.yaml", 0, 0, "service.yaml must be at <namespace>/<service>/service.yaml"}},
		},
		{
			name:    "service directory not a name segment",
			changes: []change{set("retail/Billing/service.yaml", "description: Upper case.\n")},
			want:    []wantDiag{{"retail/Billing/service.yaml", 0, 0, `directory "Billing"`}},
		},
		{
			name:    "service.yaml over the YAML size limit",
			changes: []change{{stockYAML, "produces:", "# " + strings.Repeat("x", maxYAMLSize) + "\nproduces:"}},
			want:    []wantDiag{{stockYAML, 0, 0, "KiB is over the size limit of YAML files, 256 KiB (a fixed limit)"}},
		},

		// .proto files
		{
			name:    "proto syntax error",
			changes: []change{{stockProto, "  string sku = 1;", "  string sku = 1"}},
			want:    []wantDiag{{stockProto, 10, 3, "syntax error"}},
		},
		{
			name:    "proto unknown type",
			changes: []change{{stockProto, "  int64 on_hand = 2;", "  int46 on_hand = 2;"}},
			want:    []wantDiag{{stockProto, 10, 3, "unknown type int46"}},
		},
		{
			name:    "import escaping the root with ..",
			changes: []change{{ordersProto, `import "common/v1/money.proto";`, `import "../common/v1/money.proto";`}},
			want:    []wantDiag{{ordersProto, 5, 8, `import "../common/v1/money.proto" escapes the schema root`}},
		},
		{
			name:    "import of an absolute path",
			changes: []change{{ordersProto, `import "common/v1/money.proto";`, `import "/etc/x.proto";`}},
			want:    []wantDiag{{ordersProto, 5, 8, `import "/etc/x.proto" escapes the schema root`}},
		},
		{
			name:    "import with a dot segment",
			changes: []change{{ordersProto, `import "common/v1/money.proto";`, `import "common/./v1/money.proto";`}},
			want:    []wantDiag{{ordersProto, 5, 8, `import "common/./v1/money.proto" is not in canonical form: write import "common/v1/money.proto"`}},
		},
		{
			name:    "import with .. that stays inside the root",
			changes: []change{{ordersProto, `import "common/v1/money.proto";`, `import "retail/orders/../../common/v1/money.proto";`}},
			want:    []wantDiag{{ordersProto, 5, 8, `import "retail/orders/../../common/v1/money.proto" is not in canonical form: write import "common/v1/money.proto" (protoc requires canonical import paths`}},
		},
		{
			name:    "import of a missing file",
			changes: []change{{ordersProto, `import "common/v1/money.proto";`, `import "common/v1/moneys.proto";`}},
			want:    []wantDiag{{ordersProto, 5, 8, `import "common/v1/moneys.proto": no such file under the schema root`}},
		},
		{
			name:    "import of a missing well-known type",
			changes: []change{{ordersProto, `import "google/protobuf/timestamp.proto";`, `import "google/protobuf/timestamps.proto";`}},
			want:    []wantDiag{{ordersProto, 6, 8, "google/protobuf/timestamps.proto"}},
		},
		{
			name:    "proto shadowing a well-known type",
			changes: []change{set("google/protobuf/timestamp.proto", "syntax = \"proto3\";\npackage google.protobuf;\nmessage Timestamp {}\n")},
			want:    []wantDiag{{"google/protobuf/timestamp.proto", 0, 0, "reserved for the well-known types"}},
		},
		{
			name:    "proto over the file size limit",
			changes: []change{set("common/v1/big.proto", bigProto)},
			limits:  compat.Limits{MaxFileSize: 2000},
			want:    []wantDiag{{"common/v1/big.proto", 0, 0, "is over the per-file limit of 2 KiB; raise it with limits.max_file_size in registry.yaml or --max-file-size"}},
		},
		{
			// three .proto files, in walk order: money, orders, stock (the
			// YAML files do not count)
			name:   "too many files",
			limits: compat.Limits{MaxFiles: 2},
			want:   []wantDiag{{stockProto, 0, 0, "more than 2 .proto files: this is the first past the file-count limit of 2; raise it with limits.max_files in registry.yaml or --max-files"}},
		},
		{
			name:    "directories nested too deep",
			changes: []change{set("common/v1/a/b/deep.proto", "syntax = \"proto3\";\npackage acme.common.v1.a.b;\n")},
			limits:  compat.Limits{MaxDepth: 3},
			want:    []wantDiag{{"common/v1/a/b", 0, 0, "directory nested deeper than 3 levels, over the directory-depth limit; raise it with limits.max_depth in registry.yaml or --max-depth"}},
		},

		// every problem at once
		{
			name: "problems in two files are reported together",
			changes: []change{
				{stockYAML, "owner: stock-team", "ownr: stock-team"},
				{ordersProto, "  string basket_id = 1;", "  string basket_id = 1"},
			},
			want: []wantDiag{
				{ordersProto, 47, 1, "syntax error"},
				{stockYAML, 2, 1, `unknown field "ownr"`},
			},
		},
		{
			name: "problems in one service.yaml are reported together",
			changes: []change{
				{stockYAML, "    value: acme.retail.stock.v1.StockEvent\n", "    value: acme.retail.stock.v1.StockEvent\n    level: BYTES\n  - description: No name.\n    value: acme.retail.stock.v1.StockEvent\n"},
			},
			want: []wantDiag{
				{stockYAML, 7, 12, `unknown level "BYTES"`},
				{stockYAML, 8, 5, "topic without a name"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := testOptions()
			opts.Limits = tt.limits
			c, err := Load(t.Context(), repoWith(t, tt.changes...), opts)
			if err == nil {
				t.Fatalf("Load succeeded with %d findings, want an error", len(c.Findings()))
			}
			if got, want := registry.ErrorCode(err), registry.EINVALID; got != want {
				t.Fatalf("ErrorCode = %q, want %q (err: %v)", got, want, err)
			}
			got := registry.ErrorDiagnostics(err)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d diagnostics, want %d:\n%v", len(got), len(tt.want), err)
			}
			for i, w := range tt.want {
				g := got[i]
				if g.File != w.file || g.Line != w.line || g.Column != w.col {
					t.Errorf("diagnostic %d at %s, want %s:%d:%d (%s)", i, g.Position, w.file, w.line, w.col, g.Message)
				}
				if !strings.Contains(g.Message, w.message) {
					t.Errorf("diagnostic %d message %q, want it to contain %q", i, g.Message, w.message)
				}
			}
		})
	}
}

func TestLoadRoles(t *testing.T) {
	t.Parallel()
	c := mustLoad(t, repoWith(t), testOptions())
	const orders, stock = "acme.retail.orders", "acme.retail.stock"
	tests := []struct {
		topic                string
		producers, consumers []string
	}{
		// the owner produces its facts; others consume them explicitly
		{"acme.retail.orders.events", []string{orders}, []string{stock}},
		// the owner consumes its commands; others produce them explicitly
		{"acme.retail.orders.commands", []string{stock}, []string{orders}},
		// the owner reads its reply topic; those who answer write it
		{"acme.retail.orders.private.reply", []string{stock}, []string{orders}},
		// other private topics: the owner does both
		{"acme.retail.orders.private.dlq", []string{orders}, []string{orders}},
		{"acme.retail.stock.events", []string{stock}, []string{orders}},
	}
	for _, tt := range tests {
		tp, ok := c.Topic(tt.topic)
		if !ok {
			t.Errorf("Topic(%q) not found", tt.topic)
			continue
		}
		if got, want := tp.Producers, tt.producers; !slices.Equal(got, want) {
			t.Errorf("%s producers = %v, want %v", tt.topic, got, want)
		}
		if got, want := tp.Consumers, tt.consumers; !slices.Equal(got, want) {
			t.Errorf("%s consumers = %v, want %v", tt.topic, got, want)
		}
	}
	if _, ok := c.Topic("acme.retail.orders.results"); ok {
		t.Errorf("Topic(acme.retail.orders.results) found, want not found")
	}

	svcs := []registry.Service{
		{
			Name: orders, Namespace: "retail", Description: "Owns the lifecycle of orders.",
			Owner: "orders-team", Contact: "#orders", File: ordersYAML,
			Owns:     []string{"acme.retail.orders.commands", "acme.retail.orders.events", "acme.retail.orders.private.dlq", "acme.retail.orders.private.reply"},
			Produces: []string{"acme.retail.orders.events", "acme.retail.orders.private.dlq"},
			Consumes: []string{"acme.retail.orders.commands", "acme.retail.orders.private.dlq", "acme.retail.orders.private.reply", "acme.retail.stock.events"},
		},
		{
			Name: stock, Namespace: "retail", Description: "Owns stock levels.",
			Owner: "stock-team", File: stockYAML,
			Owns:     []string{"acme.retail.stock.events"},
			Produces: []string{"acme.retail.orders.commands", "acme.retail.orders.private.reply", "acme.retail.stock.events"},
			Consumes: []string{"acme.retail.orders.events"},
		},
	}
	if got, want := len(c.Services()), len(svcs); got != want {
		t.Fatalf("%d services, want %d", got, want)
	}
	for i, want := range svcs {
		got := c.Services()[i]
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("Services()[%d]:\n got %+v\nwant %+v", i, *got, want)
		}
		if s, ok := c.Service(want.Name); !ok || s != got {
			t.Errorf("Service(%q) = %v, %v; want the same service as Services()", want.Name, s, ok)
		}
	}
	if _, ok := c.Service("acme.retail.billing"); ok {
		t.Errorf("Service(acme.retail.billing) found, want not found")
	}
}

func TestLoadExplicitRolesAreNotDuplicated(t *testing.T) {
	t.Parallel()
	// orders lists what it already does implicitly: no double entries.
	c := mustLoad(t, repoWith(t, change{ordersYAML, "consumes:", "produces:\n  - acme.retail.orders.events\nconsumes:\n  - acme.retail.orders.commands"}), testOptions())
	tp, _ := c.Topic("acme.retail.orders.events")
	if got, want := tp.Producers, []string{"acme.retail.orders"}; !slices.Equal(got, want) {
		t.Errorf("events producers = %v, want %v", got, want)
	}
	tp, _ = c.Topic("acme.retail.orders.commands")
	if got, want := tp.Consumers, []string{"acme.retail.orders"}; !slices.Equal(got, want) {
		t.Errorf("commands consumers = %v, want %v", got, want)
	}
}

func TestLoadTopicFields(t *testing.T) {
	t.Parallel()
	fsys := repoWith(t,
		set(repoYAML, "company: acme\ndefaults:\n  compatibility: FULL\n  level: WIRE\n"),
		change{stockYAML, "produces:", `  - name: v2.events
    description: |
      Stock facts,
      second edition.
    values: [acme.retail.stock.v1.StockEvent, acme.common.v1.Money]
    key: acme.retail.stock.v1.StockKey
    compatibility: FULL_TRANSITIVE
    level: FILE
    deprecated: {since: 2026-10-01, sunset: 2027-01-01, replaced_by: acme.retail.stock.events}
produces:`},
	)
	c := mustLoad(t, fsys, testOptions())
	tests := []registry.Topic{
		{
			// short form, repository defaults, scalar key
			Name: "acme.retail.orders.events", Namespace: "retail", Service: "acme.retail.orders",
			Kind: registry.KindEvents, Description: "Facts about orders.", Owner: "orders-team",
			Compatibility: registry.CompatFull, Level: registry.LevelWire,
			Key:       &registry.MessageRef{Name: "string", Scalar: true},
			Values:    []registry.MessageRef{{Name: "acme.retail.orders.v1.OrderEvent", File: ordersProto}},
			Producers: []string{"acme.retail.orders"}, Consumers: []string{"acme.retail.stock"},
			Position: registry.Position{File: ordersYAML, Line: 5, Column: 11},
		},
		{
			Name: "acme.retail.orders.private.reply", Namespace: "retail", Service: "acme.retail.orders",
			Kind: registry.KindPrivateReply, Description: "Answers to the requests orders sends.", Owner: "orders-team",
			Compatibility: registry.CompatFull, Level: registry.LevelWire,
			Values:    []registry.MessageRef{{Name: "acme.retail.orders.v1.Reply", File: ordersProto}},
			Producers: []string{"acme.retail.stock"}, Consumers: []string{"acme.retail.orders"},
			Position: registry.Position{File: ordersYAML, Line: 12, Column: 11},
		},
		{
			// version segment, overrides, message key, values list, deprecation
			Name: "acme.retail.stock.v2.events", Namespace: "retail", Service: "acme.retail.stock",
			Kind: registry.KindEvents, Description: "Stock facts,\nsecond edition.\n", Owner: "stock-team",
			Compatibility: registry.CompatFullTransitive, Level: registry.LevelFile,
			Key: &registry.MessageRef{Name: "acme.retail.stock.v1.StockKey", File: stockProto},
			Values: []registry.MessageRef{
				{Name: "acme.retail.stock.v1.StockEvent", File: stockProto},
				{Name: "acme.common.v1.Money", File: moneyProto},
			},
			Producers: []string{"acme.retail.stock"}, Consumers: []string{},
			Deprecated: &registry.Deprecation{
				Since:      time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC),
				Sunset:     time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
				ReplacedBy: "acme.retail.stock.events",
			},
			Position: registry.Position{File: stockYAML, Line: 7, Column: 11},
		},
	}
	for _, want := range tests {
		got, ok := c.Topic(want.Name)
		if !ok {
			t.Errorf("Topic(%q) not found", want.Name)
			continue
		}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("Topic(%q):\n got %s\nwant %s", want.Name, dumpTopic(got), dumpTopic(&want))
		}
	}
	if findings := c.Findings(); len(findings) != 0 {
		t.Errorf("got %d findings, want none: %v", len(findings), findings)
	}
}

func dumpTopic(t *registry.Topic) string {
	s := fmt.Sprintf("%+v", *t)
	if t.Key != nil {
		s += fmt.Sprintf(" key=%+v", *t.Key)
	}
	if t.Deprecated != nil {
		s += fmt.Sprintf(" deprecated=%+v", *t.Deprecated)
	}
	return s
}

func TestLoadTopicDefaults(t *testing.T) {
	t.Parallel()
	c := mustLoad(t, repoWith(t), testOptions())
	for _, tp := range c.Topics(TopicFilter{}) {
		if got, want := tp.Compatibility, registry.CompatBackward; got != want {
			t.Errorf("%s compatibility = %s, want the default %s", tp.Name, got, want)
		}
		if got, want := tp.Level, registry.LevelWireJSON; got != want {
			t.Errorf("%s level = %s, want the default %s", tp.Name, got, want)
		}
	}
}

func TestLoadScalarsAsWritten(t *testing.T) {
	t.Parallel()
	// YAML reads these as numbers, booleans and blocks; the catalog keeps
	// what the user wrote.
	c := mustLoad(t, repoWith(t,
		change{stockYAML, "description: Owns stock levels.\nowner: stock-team", "description: >-\n  Owns stock\n  levels.\nowner: 1.10\ncontact: true"},
	), testOptions())
	s, _ := c.Service("acme.retail.stock")
	if got, want := s.Description, "Owns stock levels."; got != want {
		t.Errorf("folded description = %q, want %q", got, want)
	}
	if got, want := s.Owner, "1.10"; got != want {
		t.Errorf("owner = %q, want %q", got, want)
	}
	if got, want := s.Contact, "true"; got != want {
		t.Errorf("contact = %q, want %q", got, want)
	}
}

func TestCatalogTopics(t *testing.T) {
	t.Parallel()
	fsys := repoWith(t,
		set("customer/profiles/service.yaml", `description: Knows customers.
owner: profiles-team
topics:
  - name: events
    description: Facts about customer profiles.
    value: acme.customer.profiles.v1.ProfileEvent
`),
		set("customer/profiles/v1/profiles.proto", "syntax = \"proto3\";\npackage acme.customer.profiles.v1;\n// A fact.\nmessage ProfileEvent {}\n"),
	)
	c := mustLoad(t, fsys, testOptions())
	tests := []struct {
		name   string
		filter TopicFilter
		want   []string
	}{
		{"everything", TopicFilter{}, []string{
			"acme.customer.profiles.events", "acme.retail.orders.commands", "acme.retail.orders.events",
			"acme.retail.orders.private.dlq", "acme.retail.orders.private.reply", "acme.retail.stock.events"}},
		{"namespace", TopicFilter{Namespace: "customer"}, []string{"acme.customer.profiles.events"}},
		{"unknown namespace", TopicFilter{Namespace: "billing"}, nil},
		{"service", TopicFilter{Service: "acme.retail.stock"}, []string{"acme.retail.stock.events"}},
		{"service short name does not match", TopicFilter{Service: "stock"}, nil},
		{"kind", TopicFilter{Kind: registry.KindEvents}, []string{
			"acme.customer.profiles.events", "acme.retail.orders.events", "acme.retail.stock.events"}},
		{"kind private", TopicFilter{Kind: "private"}, []string{"acme.retail.orders.private.dlq", "acme.retail.orders.private.reply"}},
		{"kind private.reply", TopicFilter{Kind: registry.KindPrivateReply}, []string{"acme.retail.orders.private.reply"}},
		{"kind results", TopicFilter{Kind: registry.KindResults}, nil},
		{"owner", TopicFilter{Owner: "orders-team"}, []string{
			"acme.retail.orders.commands", "acme.retail.orders.events", "acme.retail.orders.private.dlq", "acme.retail.orders.private.reply"}},
		{"query in description, any case", TopicFilter{Query: "FACTS"}, []string{
			"acme.customer.profiles.events", "acme.retail.orders.events", "acme.retail.stock.events"}},
		{"query words all match, name and description", TopicFilter{Query: "orders facts"}, []string{"acme.retail.orders.events"}},
		{"query in name", TopicFilter{Query: "dlq"}, []string{"acme.retail.orders.private.dlq"}},
		{"query without match", TopicFilter{Query: "facts invoices"}, nil},
		{"filters combine", TopicFilter{Namespace: "retail", Kind: registry.KindEvents, Owner: "stock-team"}, []string{"acme.retail.stock.events"}},
	}
	for _, tt := range tests {
		var got []string
		for _, tp := range c.Topics(tt.filter) {
			got = append(got, tp.Name)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: Topics(%+v) = %v, want %v", tt.name, tt.filter, got, tt.want)
		}
	}
	if got, want := c.Namespaces(), []string{"customer", "retail"}; !slices.Equal(got, want) {
		t.Errorf("Namespaces() = %v, want %v", got, want)
	}
}

func TestCatalogDocumentation(t *testing.T) {
	t.Parallel()
	c := mustLoad(t, repoWith(t), testOptions())
	tp, _ := c.Topic("acme.retail.orders.events")
	msgs, enums := c.Documentation(tp)

	var names []string
	for _, m := range msgs {
		names = append(names, m.Name)
	}
	// the value first, then what it references in field order; the map
	// entry and google.protobuf.Timestamp are not listed
	wantNames := []string{"acme.retail.orders.v1.OrderEvent", "acme.common.v1.Money", "acme.retail.orders.v1.OrderEvent.Line"}
	if !slices.Equal(names, wantNames) {
		t.Fatalf("Documentation messages = %v, want %v", names, wantNames)
	}
	ev := msgs[0]
	if got, want := ev.Doc, "OrderEvent is a fact about one order."; got != want {
		t.Errorf("OrderEvent doc = %q, want %q", got, want)
	}
	if got, want := ev.File, ordersProto; got != want {
		t.Errorf("OrderEvent file = %q, want %q", got, want)
	}
	if got, want := ev.Line, 9; got != want {
		t.Errorf("OrderEvent line = %d, want %d", got, want)
	}
	wantFields := []registry.Field{
		{Name: "order_id", JSONName: "orderId", Number: 1, Type: "string", Kind: "scalar", Doc: "The order's identifier."},
		{Name: "total", JSONName: "total", Number: 2, Type: "acme.common.v1.Money", Kind: "message", Doc: "What the customer pays."},
		{Name: "status", JSONName: "status", Number: 3, Type: "acme.retail.orders.v1.Status", Kind: "enum", Doc: "Where the order stands."},
		{Name: "at", JSONName: "at", Number: 4, Type: "google.protobuf.Timestamp", Kind: "message", Doc: "When the fact happened."},
		{Name: "lines", JSONName: "lines", Number: 5, Type: "map<string, acme.retail.orders.v1.OrderEvent.Line>", Kind: "map",
			MapKey: "string", MapValue: "acme.retail.orders.v1.OrderEvent.Line", Doc: "Lines of the order, by SKU."},
		{Name: "placed_by", JSONName: "placedBy", Number: 6, Type: "string", Kind: "scalar", Oneof: "change", Doc: "Who placed the order."},
		{Name: "cancel_reason", JSONName: "cancelReason", Number: 7, Type: "string", Kind: "scalar", Oneof: "change", Doc: "Why the order was cancelled."},
	}
	if !reflect.DeepEqual(ev.Fields, wantFields) {
		t.Errorf("OrderEvent fields:\n got %+v\nwant %+v", ev.Fields, wantFields)
	}
	wantOneofs := []registry.Oneof{{Name: "change", Doc: "What happened to the order.", Fields: []string{"placed_by", "cancel_reason"}}}
	if !reflect.DeepEqual(ev.Oneofs, wantOneofs) {
		t.Errorf("OrderEvent oneofs = %+v, want %+v", ev.Oneofs, wantOneofs)
	}
	if got, want := msgs[1].File, moneyProto; got != want {
		t.Errorf("Money file = %q, want %q (referenced across files)", got, want)
	}
	if got, want := msgs[2].Doc, "Line is one line of an order."; got != want {
		t.Errorf("Line doc = %q, want %q", got, want)
	}

	wantEnums := []registry.Enum{{
		Name: "acme.retail.orders.v1.Status", File: ordersProto, Line: 36, Doc: "Status is where an order stands.",
		Values: []registry.EnumValue{
			{Name: "STATUS_UNSPECIFIED", Number: 0, Doc: "Unknown: never written."},
			{Name: "STATUS_CONFIRMED", Number: 1, Doc: "Accepted and waiting for stock."},
		},
	}}
	if !reflect.DeepEqual(enums, wantEnums) {
		t.Errorf("Documentation enums:\n got %+v\nwant %+v", enums, wantEnums)
	}
}

func TestCatalogDocumentationRootsFirst(t *testing.T) {
	t.Parallel()
	// A message key and two values: all three roots come before anything
	// they reference.
	c := mustLoad(t, repoWith(t, change{ordersYAML,
		"    value: acme.retail.orders.v1.OrderEvent\n    key: string",
		"    values: [acme.retail.orders.v1.OrderEvent, acme.retail.orders.v1.PlaceOrder]\n    key: acme.retail.orders.v1.Reply"}), testOptions())
	tp, _ := c.Topic("acme.retail.orders.events")
	msgs, _ := c.Documentation(tp)
	var got []string
	for _, m := range msgs {
		got = append(got, m.Name)
	}
	want := []string{
		"acme.retail.orders.v1.Reply", "acme.retail.orders.v1.OrderEvent", "acme.retail.orders.v1.PlaceOrder",
		"acme.common.v1.Money", "acme.retail.orders.v1.OrderEvent.Line",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Documentation messages = %v, want %v (key, then values, then references)", got, want)
	}
}

func TestCatalogDocumentationScalarKeyAndMissingMessage(t *testing.T) {
	t.Parallel()
	// A value that does not exist is a MESSAGE_NOT_FOUND finding; the
	// contract lists what exists and does not fail.
	c := mustLoad(t, repoWith(t, change{stockYAML, "value: acme.retail.stock.v1.StockEvent", "values: [acme.retail.stock.v1.Nope, acme.retail.stock.v1.StockEvent]"}), testOptions())
	tp, _ := c.Topic("acme.retail.stock.events")
	msgs, enums := c.Documentation(tp)
	if len(msgs) != 1 || msgs[0].Name != "acme.retail.stock.v1.StockEvent" {
		t.Errorf("Documentation messages = %+v, want only StockEvent", msgs)
	}
	if len(enums) != 0 {
		t.Errorf("Documentation enums = %+v, want none", enums)
	}
}

func TestFindingsFor(t *testing.T) {
	t.Parallel()
	c := mustLoad(t, repoWith(t,
		change{stockYAML, "    description: Facts about stock.\n", ""},
		change{ordersYAML, "    description: Facts about orders.\n", ""},
	), testOptions())
	for _, svc := range []string{"acme.retail.orders", "acme.retail.stock"} {
		got := c.FindingsFor(svc)
		if len(got) != 1 || got[0].Rule != RuleDocMissing || got[0].Service != svc {
			t.Errorf("FindingsFor(%s) = %v, want one DOC_MISSING finding of that service", svc, got)
		}
	}
	if got := c.FindingsFor("acme.retail.billing"); len(got) != 0 {
		t.Errorf("FindingsFor(acme.retail.billing) = %v, want none", got)
	}
}

// TestLoadDemoSchemas is the contract of the bundled demo repository: it
// loads, and it is clean at every severity.
func TestLoadDemoSchemas(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	c, err := Load(t.Context(), os.DirFS("../schemas"), Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatalf("Load(../schemas): %v", err)
	}
	for _, f := range c.Findings() {
		t.Errorf("demo finding: %s", f)
	}
	tp, ok := c.Topic("acme.retail.orders.events")
	if !ok {
		t.Fatalf("demo has no acme.retail.orders.events")
	}
	if len(tp.Consumers) == 0 {
		t.Errorf("acme.retail.orders.events has no consumer, want at least one")
	}
	if got, want := c.Company(), "acme"; got != want {
		t.Errorf("demo company = %q, want %q", got, want)
	}
}
