package compat_test

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/compat"
)

// fuzzSeed is a valid schema tree the fuzzer mutates. Mutations edit the
// text of main.proto line by line, so the seeds keep one declaration per
// line. The topic's value is the first message of main.proto, so renaming
// it keeps the pairing through the topic.
type fuzzSeed struct {
	name  string
	files map[string]string
	key   string // a message of the tree used as the key, or "" for a string key
}

const fuzzMain = "main.proto"

var fuzzSeeds = []fuzzSeed{
	{name: "proto2", files: map[string]string{fuzzMain: `syntax = "proto2";

package acme.retail.orders.v1;

// An order was paid.
message OrderPaid {
  required string order_id = 1;
  optional int32 priority = 2 [default = 1];
  optional Size size = 3 [default = SIZE_MEDIUM];
  repeated int64 slots = 4 [packed = true];
  optional group Destination = 5 {
    optional string postal_code = 1;
    required string country = 2;
  }
  optional Amount amount = 6;
  repeated Amount refunds = 7;
  optional bytes token = 8 [default = "\x00ab"];
  optional string note = 9 [default = "// not a comment"];
  optional bool gift = 10;
  reserved 12 to 15;
  reserved "coupon";
  extensions 100 to 199;
}

/* Minor units of a currency. */
message Amount {
  required sint64 minor_units = 1;
  optional string currency = 2 [default = "EUR"];
  optional fixed32 rate = 3;
  optional Amount converted = 4;
}

// Parcel size classes.
enum Size {
  SIZE_SMALL = 1;
  SIZE_MEDIUM = 2;
  SIZE_LARGE = 3;
  reserved 9;
  reserved "SIZE_HUGE";
}
`}},
	{name: "proto3", key: "acme.retail.orders.v1.OrderKey", files: map[string]string{fuzzMain: `syntax = "proto3";

package acme.retail.orders.v1;

import "google/protobuf/timestamp.proto";
import "common.proto";

// Envelope of every record on the topic.
message OrderEvent {
  string order_id = 1;
  google.protobuf.Timestamp occurred_at = 2;
  oneof event {
    OrderPlaced placed = 10;
    OrderCancelled cancelled = 11;
    string legacy = 12;
  }
  optional string note = 3;
  map<string, string> labels = 4;
  map<int32, acme.common.v1.Money> totals = 5;
  Status status = 6;
  repeated Status history = 7;
  acme.common.v1.Money total = 8;
  reserved 20 to 29;
  reserved "paid";
}

message OrderKey {
  string order_id = 1;
}

message OrderPlaced {
  repeated Line lines = 1;
  string customer_id = 2 [json_name = "customer"];
  double weight = 3;
  float volume = 4;
  uint64 sequence = 5;
  sfixed64 checksum = 6;
  bytes payload = 7;
  message Line {
    string sku = 1;
    uint32 quantity = 2;
  }
}

message OrderCancelled {
  string reason = 1;
  bool refunded = 2;
}

enum Status {
  STATUS_UNSPECIFIED = 0;
  STATUS_CONFIRMED = 1;
  STATUS_SHIPPED = 2;
  reserved 5 to 7;
}
`, "common.proto": `syntax = "proto3";

package acme.common.v1;

// An amount of money.
message Money {
  string currency = 1;
  int64 minor_units = 2;
}
`}},
	{name: "editions", files: map[string]string{fuzzMain: `edition = "2023";

package acme.retail.shipping.v1;

option features.field_presence = EXPLICIT;

// A parcel was handed to the carrier.
message ParcelShipped {
  string parcel_id = 1 [features.field_presence = LEGACY_REQUIRED];
  int32 attempts = 2 [default = 3];
  Size size = 3;
  Parcel parcel = 4 [features.message_encoding = DELIMITED];
  repeated int32 slots = 5 [features.repeated_field_encoding = EXPANDED];
  string carrier = 6 [features.field_presence = IMPLICIT];
  Legacy legacy = 7;
  oneof destination {
    string postal_code = 8;
    string pickup_point = 9;
  }
  reserved 11;
  reserved legacy_ref;
}

message Parcel {
  option features.json_format = LEGACY_BEST_EFFORT;
  string tracking_number = 1;
  repeated Parcel children = 2;
}

enum Size {
  option features.enum_type = CLOSED;
  SIZE_SMALL = 1;
  SIZE_MEDIUM = 2;
}

enum Legacy {
  LEGACY_UNKNOWN = 0;
  LEGACY_OPEN = 1;
}
`}},
	{name: "comments", files: map[string]string{fuzzMain: `syntax = "proto3";

// registry:ignore FIELD_SAME_NAME
package acme.customer.profiles.v1;

/*
 * A customer changed their profile.
 * "quotes" and // slashes in a block comment.
 */
message CustomerEvent {
  // registry:ignore FIELD_SAME_JSON_NAME renamed before anyone read it
  string customer_id = 1; // trailing
  /* inline */ string email = 2;
  // registry:ignore FIELD_NO_DELETE
  repeated Consent consents = 3;
  string motto = 4 [json_name = "slogan"];
}

message Consent {
  string purpose = 1;
  bool granted = 2; /* trailing block */
}
`}},
}

// fuzzCase is a compiled seed or mutation: its contract and its sources.
type fuzzCase struct {
	contract compat.Contract
	files    map[string]string
}

// compileFuzz compiles files and builds the contract; ok is false when the
// files do not compile or lost the key message.
func compileFuzz(t testing.TB, files map[string]string, key string) (fuzzCase, bool) {
	t.Helper()
	sources := map[string][]byte{}
	for p, src := range files {
		sources[p] = []byte(src)
	}
	s, err := compat.CompileSources(t.Context(), sources, compat.DefaultLimits)
	if err != nil {
		return fuzzCase{}, false
	}
	main, ok := s.File(fuzzMain)
	if !ok || main.Messages().Len() == 0 {
		return fuzzCase{}, false
	}
	c := compat.Contract{Values: []protoreflect.MessageDescriptor{main.Messages().Get(0)}}
	if key == "" {
		c.KeyScalar = "string"
	} else if c.Key, ok = s.FindMessage(key); !ok {
		return fuzzCase{}, false
	}
	return fuzzCase{contract: c, files: files}, true
}

func FuzzCheck(f *testing.F) {
	for i := range fuzzSeeds {
		f.Add(uint8(i), []byte{})
		f.Add(uint8(i), []byte{0, 0, 7})             // renumber a field
		f.Add(uint8(i), []byte{1, 2, 3})             // retype a field
		f.Add(uint8(i), []byte{2, 1, 1})             // relabel a field
		f.Add(uint8(i), []byte{3, 4, 2})             // rename a field
		f.Add(uint8(i), []byte{4, 1})                // delete a field
		f.Add(uint8(i), []byte{5, 2, 30, 6, 0, 9})   // add a field, reserve 9
		f.Add(uint8(i), []byte{7, 0, 7, 1})          // lift reservations
		f.Add(uint8(i), []byte{8, 0, 8, 1})          // rename messages
		f.Add(uint8(i), []byte{9, 3, 9, 0, 10, 1})   // oneof in and out
		f.Add(uint8(i), []byte{11, 0, 12, 2, 1})     // enum values
		f.Add(uint8(i), []byte{13, 5, 14, 3, 2, 15}) // options, swaps, comments
		f.Add(uint8(i), []byte{16, 2, 0, 16, 1, 1})  // move into a oneof
	}
	// Found by the fuzzer: swapping a closed enum's values changes the
	// default of fields without one, so the fingerprint must change too.
	f.Add(uint8(2), []byte("1\x1f"))
	// Found by the fuzzer: a field retyped from a message of another
	// package to a map is no package move, and map entries have no position.
	f.Add(uint8(1), []byte("X.078&"))
	// Found by the fuzzer: a Timestamp field retyped to a message of the
	// file pairs their fields (findings in timestamp.proto, at 1:1).
	f.Add(uint8(1), []byte("7\x01A"))
	catalogue := ruleCatalogue()
	// Descriptors are immutable: each seed is compiled once and shared.
	bases := make([]fuzzCase, len(fuzzSeeds))
	for i, seed := range fuzzSeeds {
		var ok bool
		if bases[i], ok = compileFuzz(f, seed.files, seed.key); !ok {
			f.Fatalf("seed %s does not compile", seed.name)
		}
	}
	f.Fuzz(func(t *testing.T, seedIndex uint8, ops []byte) {
		i := int(seedIndex) % len(fuzzSeeds)
		seed := fuzzSeeds[i]
		base := bases[i]
		files := maps.Clone(seed.files)
		files[fuzzMain] = mutate(seed.files[fuzzMain], ops)
		x, ok := compileFuzz(t, files, seed.key)
		if !ok {
			return // not every mutation is valid Protobuf
		}

		// (1) Check never panics, whatever the direction, mode and level, and
		// its findings are well formed. Line 1 of every seed is its syntax,
		// so a finding there points at a declaration without a position.
		// Known exception: when a field trades a message for a well-known
		// type, the pairing compares their fields, and findings inside the
		// well-known type point at its built-in file, which has no positions.
		for _, prev := range [][]compat.Contract{{base.contract}, {x.contract, base.contract}} {
			eachOption(func(opts compat.Options) {
				for _, got := range [][]registry.Finding{
					compat.Check(prev, x.contract, opts),
					compat.Check(prev, base.contract, opts),
					compat.Check([]compat.Contract{x.contract}, base.contract, opts),
				} {
					checkFindingShape(t, catalogue, got, opts.Level)
					for _, f := range got {
						if f.File != "" && f.Line <= 1 && !strings.HasPrefix(f.File, "google/protobuf/") {
							t.Errorf("%s at %s: no real position: %v\n%s", opts.Mode, opts.Level, f, files[fuzzMain])
						}
					}
				}
			})
		}

		// (2) A schema is compatible with itself: the same descriptors, a
		// second compilation, and a compilation without comments.
		again, ok := compileFuzz(t, files, seed.key)
		if !ok {
			t.Fatalf("second compilation failed:\n%s", files[fuzzMain])
		}
		stripped := maps.Clone(files)
		for p, src := range stripped {
			stripped[p] = stripComments(src)
		}
		bare, ok := compileFuzz(t, stripped, seed.key)
		if !ok {
			t.Fatalf("compilation without comments failed:\n%s", stripped[fuzzMain])
		}
		eachOption(func(opts compat.Options) {
			for _, cur := range []compat.Contract{x.contract, again.contract, bare.contract} {
				if got := compat.Check([]compat.Contract{x.contract}, cur, opts); len(got) > 0 {
					t.Fatalf("%s at %s: the schema is incompatible with itself: %v\n%s", opts.Mode, opts.Level, got, files[fuzzMain])
				}
			}
		})

		// (3) The fingerprint is stable and ignores comments.
		fp := compat.Fingerprint(x.contract)
		if got := compat.Fingerprint(x.contract); got != fp {
			t.Fatalf("fingerprint changed between two calls: got %s, want %s", got, fp)
		}
		if got := compat.Fingerprint(again.contract); got != fp {
			t.Fatalf("fingerprint changed between two compilations: got %s, want %s", got, fp)
		}
		if got := compat.Fingerprint(bare.contract); got != fp {
			t.Fatalf("fingerprint changed without comments: got %s, want %s\n%s", got, fp, files[fuzzMain])
		}

		// (4) Equal fingerprints are one version: nothing to report between them.
		if compat.Fingerprint(base.contract) == fp {
			for _, pair := range [][2]compat.Contract{{base.contract, x.contract}, {x.contract, base.contract}} {
				opts := compat.Options{Mode: registry.CompatFullTransitive, Level: registry.LevelFile}
				if got := compat.Check([]compat.Contract{pair[0]}, pair[1], opts); len(got) > 0 {
					t.Fatalf("equal fingerprints, yet findings: %v\nseed:\n%s\nmutated:\n%s", got, seed.files[fuzzMain], files[fuzzMain])
				}
			}
		}
	})
}

// TestFuzzHelpers pins the mutation and comment-stripping helpers the fuzz
// test relies on.
func TestFuzzHelpers(t *testing.T) {
	t.Parallel()
	src := "a = \"// x\"; // c\nb /* d\n e */ = '/*';\n"
	if got, want := stripComments(src), "a = \"// x\"; \nb   = '/*';\n"; got != want {
		t.Errorf("stripComments: got %q, want %q", got, want)
	}
	for _, seed := range fuzzSeeds {
		if _, ok := compileFuzz(t, seed.files, seed.key); !ok {
			t.Errorf("seed %s does not compile", seed.name)
		}
		if got := mutate(seed.files[fuzzMain], nil); got != seed.files[fuzzMain] {
			t.Errorf("seed %s: mutate without ops changed the source", seed.name)
		}
	}
	// Most single mutations of a seed must still compile, or the fuzzer
	// would only explore the seeds themselves.
	valid := 0
	for op := range 18 {
		for arg := range 4 {
			files := maps.Clone(fuzzSeeds[1].files)
			files[fuzzMain] = mutate(files[fuzzMain], []byte{byte(op), byte(arg), byte(arg + 1), byte(arg * 7)})
			if _, ok := compileFuzz(t, files, fuzzSeeds[1].key); ok {
				valid++
			}
		}
	}
	t.Logf("%d of 72 single mutations compile", valid)
	if valid < 36 {
		t.Errorf("only %d of 72 single mutations compile", valid)
	}
}

var fuzzModes = []registry.Compatibility{
	registry.CompatNone, registry.CompatBackward, registry.CompatBackwardTransitive,
	registry.CompatForward, registry.CompatForwardTransitive, registry.CompatFull, registry.CompatFullTransitive,
}

func eachOption(fn func(compat.Options)) {
	for _, mode := range fuzzModes {
		for _, level := range registry.Levels {
			fn(compat.Options{Topic: "acme.retail.orders.events", Mode: mode, Level: level})
		}
	}
}

// stripComments removes // and /* */ comments outside string literals. A
// block comment becomes a space, so tokens it separated stay separate.
func stripComments(src string) string {
	var b strings.Builder
	for i := 0; i < len(src); {
		switch c := src[i]; {
		case c == '"' || c == '\'':
			j := i + 1
			for j < len(src) && src[j] != c && src[j] != '\n' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(src))
			b.WriteString(src[i:j])
			i = j
		case strings.HasPrefix(src[i:], "//"):
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return b.String()
			}
			b.WriteByte(' ')
			i += 2 + end + 2
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// ----- mutations

var (
	fieldLine   = regexp.MustCompile(`^(\s*)((?:optional|required|repeated)\s+)?(map<[^>]*>|[A-Za-z_][\w.]*)\s+([A-Za-z_]\w*)\s*=\s*(\d+)\s*(\[[^\]]*\])?\s*;(.*)$`)
	enumValue   = regexp.MustCompile(`^(\s*)([A-Z][A-Z0-9_]*)\s*=\s*(-?\d+)\s*(\[[^\]]*\])?\s*;(.*)$`)
	messageOpen = regexp.MustCompile(`^\s*message\s+(\w+)\s*\{`)
	enumOpen    = regexp.MustCompile(`^\s*enum\s+(\w+)\s*\{`)
	oneofOpen   = regexp.MustCompile(`^\s*oneof\s+\w+\s*\{\s*$`)
	removable   = regexp.MustCompile(`^\s*(reserved|option|extensions)\s`)
	notAField   = regexp.MustCompile(`^\s*(option|reserved|extensions|message|enum|oneof|syntax|edition|package|import)\b`)
)

var (
	fuzzTypes = []string{"int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32", "fixed64",
		"sfixed32", "sfixed64", "bool", "string", "bytes", "float", "double", "map<string, string>", "map<int64, bytes>"}
	fuzzNames   = []string{"id", "order_id", "note", "customer_id", "customerId", "amount", "status", "x"}
	fuzzLabels  = []string{"", "optional ", "repeated ", "required "}
	fuzzOptions = []string{"[deprecated = true]", `[json_name = "renamed"]`, "[default = 7]", `[default = "x"]`,
		"[default = true]", "[packed = false]", "[features.field_presence = IMPLICIT]", "[default = SIZE_SMALL]"}
	fuzzComments = []string{"// doc", "/* block */", "// registry:ignore FIELD_SAME_NAME", "// registry:ignore FIELD_NO_DELETE because",
		`// "quoted" and /* nested`, "/** javadoc\n * style\n */"}
)

// mutator feeds the fuzz input to mutations, one byte per choice.
type mutator struct {
	ops   []byte
	lines []string
}

func (m *mutator) byte() int {
	if len(m.ops) == 0 {
		return 0
	}
	b := m.ops[0]
	m.ops = m.ops[1:]
	return int(b)
}

// pick returns one of the line indexes matching re, or -1.
func (m *mutator) pick(match func(string) bool) int {
	var idx []int
	for i, l := range m.lines {
		if match(l) {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return -1
	}
	return idx[m.byte()%len(idx)]
}

func isField(l string) bool { return fieldLine.MatchString(l) && !notAField.MatchString(l) }
func isEnumValue(l string) bool {
	return enumValue.MatchString(l) && !notAField.MatchString(l) && !fieldLine.MatchString(l)
}

// declared returns the names of the messages and enums declared in the file.
func (m *mutator) declared() []string {
	var out []string
	for _, l := range m.lines {
		for _, re := range []*regexp.Regexp{messageOpen, enumOpen} {
			if g := re.FindStringSubmatch(l); g != nil {
				out = append(out, g[1])
			}
		}
	}
	return out
}

func (m *mutator) insert(i int, l string) {
	m.lines = slices.Insert(m.lines, i, l)
}

// field rewrites a field line from its parts.
func field(g []string, label, typ, name, num, opts string) string {
	if opts != "" {
		opts = " " + opts
	}
	return fmt.Sprintf("%s%s%s %s = %s%s;%s", g[1], label, typ, name, num, opts, g[7])
}

// mutate applies the mutations ops describes to src: each op byte chooses a
// mutation, the bytes after it choose where and how.
func mutate(src string, ops []byte) string {
	if len(ops) == 0 {
		return src
	}
	m := &mutator{ops: ops, lines: strings.Split(src, "\n")}
	for len(m.ops) > 0 {
		switch op := m.byte() % 18; op {
		case 0, 1, 2, 3, 5, 14: // edit a field
			i := m.pick(isField)
			if i < 0 {
				continue
			}
			g := fieldLine.FindStringSubmatch(m.lines[i])
			label, typ, name, num, opts := g[2], g[3], g[4], g[5], g[6]
			switch op {
			case 0:
				num = strconv.Itoa(1 + m.byte()%24)
			case 1:
				types := append(slices.Clone(fuzzTypes), m.declared()...)
				typ = types[m.byte()%len(types)]
			case 2:
				label = fuzzLabels[m.byte()%len(fuzzLabels)]
			case 3:
				name = fuzzNames[m.byte()%len(fuzzNames)]
			case 5: // add a field like this one
				n := 1 + m.byte()%40
				m.insert(i+1, field(g, label, typ, "f"+strconv.Itoa(n), strconv.Itoa(n), ""))
				continue
			case 14:
				if opts != "" {
					opts = ""
				} else {
					opts = fuzzOptions[m.byte()%len(fuzzOptions)]
				}
			}
			m.lines[i] = field(g, label, typ, name, num, opts)
		case 4: // delete a field or an enum value
			if i := m.pick(func(l string) bool { return isField(l) || isEnumValue(l) }); i >= 0 {
				m.lines = slices.Delete(m.lines, i, i+1)
			}
		case 6: // reserve a number or a name
			i := m.pick(messageOpen.MatchString)
			if i < 0 {
				continue
			}
			if b := m.byte(); b%2 == 0 {
				m.insert(i+1, "  reserved "+strconv.Itoa(1+b%30)+";")
			} else {
				m.insert(i+1, `  reserved "`+fuzzNames[b%len(fuzzNames)]+`";`)
			}
		case 7: // lift a reservation, drop an option
			if i := m.pick(removable.MatchString); i >= 0 {
				m.lines = slices.Delete(m.lines, i, i+1)
			}
		case 8: // rename a message or an enum everywhere
			names := m.declared()
			if len(names) == 0 {
				continue
			}
			name := names[m.byte()%len(names)]
			re := regexp.MustCompile(`\b` + name + `\b`)
			for i, l := range m.lines {
				m.lines[i] = re.ReplaceAllString(l, name+"V2")
			}
		case 9: // wrap a field in a oneof of its own
			if i := m.pick(isField); i >= 0 {
				m.lines[i] = fmt.Sprintf("  oneof choice_%d { %s }", i, strings.TrimSpace(m.lines[i]))
			}
		case 10: // dissolve a oneof
			i := m.pick(oneofOpen.MatchString)
			if i < 0 {
				continue
			}
			for j := i + 1; j < len(m.lines); j++ {
				if strings.TrimSpace(m.lines[j]) == "}" {
					m.lines = slices.Delete(m.lines, j, j+1)
					break
				}
			}
			m.lines = slices.Delete(m.lines, i, i+1)
		case 11, 12: // renumber, rename or add an enum value
			i := m.pick(isEnumValue)
			if i < 0 {
				continue
			}
			g := enumValue.FindStringSubmatch(m.lines[i])
			b := m.byte()
			switch {
			case op == 12:
				m.insert(i+1, fmt.Sprintf("%s%s_V%d = %d;", g[1], g[2], b, b%10))
			case b%2 == 0:
				m.lines[i] = fmt.Sprintf("%s%s = %d;%s", g[1], g[2], b%10, g[5])
			default:
				m.lines[i] = fmt.Sprintf("%s%s_RENAMED = %s;%s", g[1], g[2], g[3], g[5])
			}
		case 13: // swap two adjacent lines
			if i := m.byte() % len(m.lines); i+1 < len(m.lines) {
				m.lines[i], m.lines[i+1] = m.lines[i+1], m.lines[i]
			}
		case 15: // add a comment
			i := m.byte() % len(m.lines)
			m.insert(i, fuzzComments[m.byte()%len(fuzzComments)])
		case 16: // move a field into an existing oneof
			i := m.pick(isField)
			j := m.pick(oneofOpen.MatchString)
			if i < 0 || j < 0 || i == j {
				continue
			}
			l := m.lines[i]
			m.lines = slices.Delete(m.lines, i, i+1)
			if i < j {
				j--
			}
			g := fieldLine.FindStringSubmatch(l)
			m.insert(j+1, field(g, "", g[3], g[4], g[5], g[6]))
		case 17: // flip a proto2 label between optional and required
			if i := m.pick(func(l string) bool { return strings.Contains(l, "optional ") || strings.Contains(l, "required ") }); i >= 0 {
				l := m.lines[i]
				if strings.Contains(l, "optional ") {
					m.lines[i] = strings.Replace(l, "optional ", "required ", 1)
				} else {
					m.lines[i] = strings.Replace(l, "required ", "optional ", 1)
				}
			}
		}
	}
	return strings.Join(m.lines, "\n")
}
