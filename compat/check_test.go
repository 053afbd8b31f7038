package compat

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"google.golang.org/protobuf/reflect/protoreflect"

	registry "github.com/backbone-registry/backbone"
)

// compileContract compiles one .proto source as a.proto and returns the
// contract carrying the named value message.
func compileContract(t testing.TB, src, value string) Contract {
	t.Helper()
	s, err := Compile(t.Context(), fstest.MapFS{"a.proto": {Data: []byte(src)}}, DefaultLimits)
	if err != nil {
		t.Fatalf("compile:\n%s\n%v", src, err)
	}
	md, ok := s.FindMessage(value)
	if !ok {
		t.Fatalf("no message %s", value)
	}
	return Contract{Values: []protoreflect.MessageDescriptor{md}}
}

const p3 = "syntax = \"proto3\";\npackage t;\n"
const p2 = "syntax = \"proto2\";\npackage t;\n"

// verdict runs Check in the given mode and returns "RULE/DIRECTION" pairs.
func verdict(t *testing.T, prev, cur string, mode registry.Compatibility, level registry.Level) []string {
	t.Helper()
	findings := Check([]Contract{compileContract(t, prev, "t.M")}, compileContract(t, cur, "t.M"),
		Options{Topic: "acme.t.s.events", Mode: mode, Level: level})
	var out []string
	for _, f := range findings {
		out = append(out, f.Rule+"/"+string(f.Direction))
	}
	slices.Sort(out)
	return out
}

// TestDirectional checks the same change in both directions: where proto
// semantics differ, so do the verdicts.
func TestDirectional(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		prev, cur     string
		level         registry.Level
		backward, fwd []string
	}{
		{"add optional field", p3 + "message M { string a = 1; }", p3 + "message M { string a = 1; int32 b = 2; }", registry.LevelFile, nil, nil},
		{"comment only", p3 + "message M { string a = 1; }", p3 + "// doc\nmessage M {\n  // a\n  string a = 1;\n}", registry.LevelFile, nil, nil},
		{"add required field", p2 + "message M { optional string a = 1; }", p2 + "message M { optional string a = 1; required int32 b = 2; }", registry.LevelWire,
			[]string{"MESSAGE_SAME_REQUIRED_FIELDS/BACKWARD"}, nil},
		{"remove required field", p2 + "message M { optional string a = 1; required int32 b = 2; }", p2 + "message M { optional string a = 1; reserved 2; }", registry.LevelWire,
			nil, []string{"MESSAGE_SAME_REQUIRED_FIELDS/FORWARD"}},
		{"string to bytes", p3 + "message M { string a = 1; }", p3 + "message M { bytes a = 1; }", registry.LevelWire,
			nil, []string{"FIELD_WIRE_COMPATIBLE_TYPE/FORWARD"}},
		{"bytes to string", p3 + "message M { bytes a = 1; }", p3 + "message M { string a = 1; }", registry.LevelWire,
			[]string{"FIELD_WIRE_COMPATIBLE_TYPE/BACKWARD"}, nil},
		{"int32 to int64 on the wire", p3 + "message M { int32 a = 1; }", p3 + "message M { int64 a = 1; }", registry.LevelWire, nil, nil},
		{"int32 to int64 in JSON", p3 + "message M { int32 a = 1; }", p3 + "message M { int64 a = 1; }", registry.LevelWireJSON,
			[]string{"FIELD_WIRE_JSON_COMPATIBLE_TYPE/BACKWARD"}, []string{"FIELD_WIRE_JSON_COMPATIBLE_TYPE/FORWARD"}},
		{"int32 to sint32", p3 + "message M { int32 a = 1; }", p3 + "message M { sint32 a = 1; }", registry.LevelWire,
			[]string{"FIELD_WIRE_COMPATIBLE_TYPE/BACKWARD"}, []string{"FIELD_WIRE_COMPATIBLE_TYPE/FORWARD"}},
		{"singular to repeated", p3 + "message M { string a = 1; }", p3 + "message M { repeated string a = 1; }", registry.LevelWire,
			nil, []string{"FIELD_WIRE_COMPATIBLE_CARDINALITY/FORWARD"}},
		{"singular to repeated in JSON", p3 + "message M { string a = 1; }", p3 + "message M { repeated string a = 1; }", registry.LevelWireJSON,
			[]string{"FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY/BACKWARD"}, []string{"FIELD_WIRE_COMPATIBLE_CARDINALITY/FORWARD"}},
		{"closed enum gains a value", p2 + "enum E { A = 1; }\nmessage M { optional E e = 1; }", p2 + "enum E { A = 1; B = 2; }\nmessage M { optional E e = 1; }", registry.LevelWire,
			nil, []string{"CLOSED_ENUM_NO_ADD_VALUE/FORWARD"}},
		{"open enum gains a value", p3 + "enum E { A = 0; }\nmessage M { E e = 1; }", p3 + "enum E { A = 0; B = 2; }\nmessage M { E e = 1; }", registry.LevelFile, nil, nil},
		{"rename message at WIRE", p3 + "message M { N n = 1; }\nmessage N { string a = 1; }", p3 + "message M { O n = 1; }\nmessage O { string a = 1; }", registry.LevelWireJSON, nil, nil},
		{"rename message at FILE", p3 + "message M { N n = 1; }\nmessage N { string a = 1; }", p3 + "message M { O n = 1; }\nmessage O { string a = 1; }", registry.LevelFile,
			[]string{"FIELD_SAME_TYPE/BACKWARD", "MESSAGE_NO_DELETE/BACKWARD"}, []string{"FIELD_SAME_TYPE/FORWARD", "MESSAGE_NO_DELETE/FORWARD"}},
		// N leaves the contract but stays in the file: its generated code
		// stays too, so only the field's deletion is reported.
		{"stop referencing a message that stays", p3 + "message M { N n = 1; }\nmessage N { string a = 1; }", p3 + "message M { reserved 1; reserved \"n\"; }\nmessage N { string a = 1; }", registry.LevelFile,
			[]string{"FIELD_NO_DELETE/BACKWARD"}, []string{"FIELD_NO_DELETE/FORWARD"}},
		{"move into oneof with existing", p3 + "message M { string a = 1; string b = 2; }", p3 + "message M { oneof o { string a = 1; string b = 2; } }", registry.LevelWire,
			[]string{"FIELD_SAME_ONEOF/BACKWARD", "FIELD_SAME_ONEOF/BACKWARD"}, nil},
		{"move out of oneof", p3 + "message M { oneof o { string a = 1; string b = 2; } }", p3 + "message M { string a = 1; string b = 2; }", registry.LevelWire,
			nil, []string{"FIELD_SAME_ONEOF/FORWARD", "FIELD_SAME_ONEOF/FORWARD"}},
		// b joins the oneof a was already in: b is what moved; a is not
		// reported again.
		{"move into an existing oneof", p3 + "message M { oneof o { string a = 1; } string b = 2; }", p3 + "message M { oneof o { string a = 1; string b = 2; } }", registry.LevelWire,
			[]string{"FIELD_SAME_ONEOF/BACKWARD"}, nil},
		{"move out of a oneof that stays", p3 + "message M { oneof o { string a = 1; string b = 2; } }", p3 + "message M { oneof o { string a = 1; } string b = 2; }", registry.LevelWire,
			nil, []string{"FIELD_SAME_ONEOF/FORWARD"}},
		{"single field into new oneof", p3 + "message M { string a = 1; }", p3 + "message M { oneof o { string a = 1; } }", registry.LevelWire, nil, nil},
		{"delete unreserved field", p3 + "message M { string a = 1; string b = 2; }", p3 + "message M { string a = 1; }", registry.LevelWireJSON,
			[]string{"FIELD_NO_DELETE_UNLESS_NAME_RESERVED/BACKWARD", "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED/BACKWARD"},
			[]string{"FIELD_NO_DELETE_UNLESS_NAME_RESERVED/FORWARD", "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED/FORWARD"}},
		{"delete reserved field", p3 + "message M { string a = 1; string b = 2; }", p3 + "message M { string a = 1; reserved 2; reserved \"b\"; }", registry.LevelWireJSON, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := verdict(t, tt.prev, tt.cur, registry.CompatBackward, tt.level); !slices.Equal(got, tt.backward) {
				t.Errorf("BACKWARD: got %v, want %v", got, tt.backward)
			}
			if got := verdict(t, tt.prev, tt.cur, registry.CompatForward, tt.level); !slices.Equal(got, tt.fwd) {
				t.Errorf("FORWARD: got %v, want %v", got, tt.fwd)
			}
		})
	}
}

func TestFindingsCarryPositionsAndFixes(t *testing.T) {
	t.Parallel()
	prev := compileContract(t, p3+"message M {\n  string a = 1;\n  string note = 4;\n}\n", "t.M")
	cur := compileContract(t, p3+"message M {\n  string a = 1;\n}\n", "t.M")
	findings := Check([]Contract{prev}, cur, Options{Topic: "acme.t.s.events", Mode: registry.CompatFull, Level: registry.LevelWire, Consumers: []string{"acme.t.x"}})
	if len(findings) != 1 {
		t.Fatalf("findings: got %v, want one", findings)
	}
	f := findings[0]
	want := registry.Finding{Rule: RuleFieldNoDeleteUnlessNumberReserved, Severity: registry.SeverityError, Direction: registry.DirectionBoth,
		Topic: "acme.t.s.events", Position: registry.Position{File: "a.proto", Line: 5, Column: 3}, Consumers: []string{"acme.t.x"}}
	msg := f.Message
	f.Message = ""
	if f.Rule != want.Rule || f.Direction != want.Direction || f.Position != want.Position || f.Topic != want.Topic || !slices.Equal(f.Consumers, want.Consumers) {
		t.Errorf("finding: got %+v, want %+v", f, want)
	}
	if !strings.Contains(msg, `reserve number 4 and name "note"`) {
		t.Errorf("message %q does not say how to fix it", msg)
	}
}

func TestTransitive(t *testing.T) {
	t.Parallel()
	v1 := compileContract(t, p3+"message M { string a = 1; int32 b = 2; }", "t.M")
	v2 := compileContract(t, p3+"message M { string a = 1; reserved 2; }", "t.M")
	v3b := compileContract(t, p3+"message M { string a = 1; string b = 2; }", "t.M") // reuses number 2
	v1.Label, v2.Label = "version 1", "version 2"
	// Against v2 only, reusing 2 lifts a reservation; against v1 it is also a type change.
	plain := Check([]Contract{v1, v2}, v3b, Options{Mode: registry.CompatBackward, Level: registry.LevelWire})
	trans := Check([]Contract{v1, v2}, v3b, Options{Mode: registry.CompatBackwardTransitive, Level: registry.LevelWire})
	rulesOf := func(fs []registry.Finding) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Rule)
		}
		slices.Sort(out)
		return out
	}
	if got := rulesOf(plain); !slices.Equal(got, []string{"RESERVED_MESSAGE_NO_DELETE"}) {
		t.Errorf("BACKWARD: got %v", got)
	}
	if got := rulesOf(trans); !slices.Contains(got, "FIELD_WIRE_COMPATIBLE_TYPE") {
		t.Errorf("BACKWARD_TRANSITIVE: got %v, want FIELD_WIRE_COMPATIBLE_TYPE against version 1", got)
	}
	for _, f := range trans {
		if f.Rule == "FIELD_WIRE_COMPATIBLE_TYPE" && !strings.Contains(f.Message, "against version 1") {
			t.Errorf("transitive finding does not name the version: %s", f.Message)
		}
	}
}

func TestIgnoresAndExcept(t *testing.T) {
	t.Parallel()
	prev := p3 + "message M { string a = 1; string b = 2; }"
	withReason := p3 + "// registry:ignore FIELD_SAME_NAME renamed before any consumer shipped\nmessage M { string a = 1; string c = 2; }"
	noReason := p3 + "message M {\n  string a = 1;\n  // registry:ignore FIELD_SAME_NAME\n  string c = 2;\n}"
	check := func(cur string, except ...string) []string {
		fs := Check([]Contract{compileContract(t, prev, "t.M")}, compileContract(t, cur, "t.M"),
			Options{Mode: registry.CompatBackward, Level: registry.LevelFile, Except: except})
		var out []string
		for _, f := range fs {
			out = append(out, f.Rule)
		}
		slices.Sort(out)
		return out
	}
	if got := check(withReason); !slices.Equal(got, []string{"FIELD_SAME_JSON_NAME"}) {
		t.Errorf("ignore with reason: got %v, want only FIELD_SAME_JSON_NAME left", got)
	}
	if got := check(noReason); !slices.Equal(got, []string{"FIELD_SAME_JSON_NAME", "FIELD_SAME_NAME", "IGNORE_WITHOUT_REASON"}) {
		t.Errorf("ignore without reason: got %v", got)
	}
	if got := check(noReason, "FIELD_SAME_NAME", "FIELD_SAME_JSON_NAME"); !slices.Equal(got, []string(nil)) {
		t.Errorf("except: got %v, want nothing", got)
	}
}

func TestModeNoneAndNoHistory(t *testing.T) {
	t.Parallel()
	a := compileContract(t, p3+"message M { string a = 1; }", "t.M")
	b := compileContract(t, p3+"message M { int64 a = 1; }", "t.M")
	if fs := Check([]Contract{a}, b, Options{Mode: registry.CompatNone}); len(fs) != 0 {
		t.Errorf("NONE: got %v", fs)
	}
	if fs := Check(nil, b, Options{Mode: registry.CompatFullTransitive}); len(fs) != 0 {
		t.Errorf("first version: got %v", fs)
	}
	if fs := Check([]Contract{a}, b, Options{Mode: registry.CompatFull}); len(fs) == 0 {
		t.Errorf("FULL string→int64: got no finding")
	}
}

func TestFingerprint(t *testing.T) {
	t.Parallel()
	base := p3 + "import \"google/protobuf/timestamp.proto\";\nmessage M { string a = 1; N n = 2; google.protobuf.Timestamp at = 3; }\nmessage N { int32 x = 1; }\nmessage Unrelated { string z = 1; }"
	fp := func(src string) string { return Fingerprint(compileContract(t, src, "t.M")) }
	same := []string{
		// comments, formatting, declaration order, unrelated messages
		p3 + "import \"google/protobuf/timestamp.proto\";\n// Doc.\nmessage N {\n  // x\n  int32 x = 1;\n}\nmessage M {\n  google.protobuf.Timestamp at = 3;\n  N n = 2;\n  string a = 1;\n}\n",
		p3 + "import \"google/protobuf/timestamp.proto\";\nmessage M { string a = 1; N n = 2; google.protobuf.Timestamp at = 3; }\nmessage N { int32 x = 1; }\nmessage Unrelated { int64 z = 1; }",
	}
	different := []string{
		p3 + "import \"google/protobuf/timestamp.proto\";\nmessage M { string a = 1; N n = 2; google.protobuf.Timestamp at = 3; }\nmessage N { int64 x = 1; }",
		p3 + "import \"google/protobuf/timestamp.proto\";\nmessage M { string b = 1; N n = 2; google.protobuf.Timestamp at = 3; }\nmessage N { int32 x = 1; }",
		p3 + "import \"google/protobuf/timestamp.proto\";\nmessage M { string a = 1; N n = 2; google.protobuf.Timestamp at = 4; }\nmessage N { int32 x = 1; }",
		p3 + "import \"google/protobuf/timestamp.proto\";\nmessage M { string a = 1; N n = 2; google.protobuf.Timestamp at = 3; reserved 9; }\nmessage N { int32 x = 1; }",
		p3 + "import \"google/protobuf/timestamp.proto\";\nmessage M { optional string a = 1; N n = 2; google.protobuf.Timestamp at = 3; }\nmessage N { int32 x = 1; }",
		p3 + "import \"google/protobuf/timestamp.proto\";\nmessage M { string a = 1 [deprecated = true]; N n = 2; google.protobuf.Timestamp at = 3; }\nmessage N { int32 x = 1; }",
	}
	want := fp(base)
	for _, src := range same {
		if got := fp(src); got != want {
			t.Errorf("fingerprint changed for a non-semantic edit:\n%s", src)
		}
	}
	for _, src := range different {
		if got := fp(src); got == want {
			t.Errorf("fingerprint unchanged for a semantic edit:\n%s", src)
		}
	}
	// A move to another file keeps the fingerprint.
	s, err := Compile(t.Context(), fstest.MapFS{
		"x/one.proto": {Data: []byte(p3 + "import \"y/two.proto\";\nimport \"google/protobuf/timestamp.proto\";\nmessage M { string a = 1; N n = 2; google.protobuf.Timestamp at = 3; }")},
		"y/two.proto": {Data: []byte(p3 + "message N { int32 x = 1; }")},
	}, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	md, _ := s.FindMessage("t.M")
	if got := Fingerprint(Contract{Values: []protoreflect.MessageDescriptor{md}}); got != want {
		t.Errorf("fingerprint changed when N moved to another file")
	}
}

// TestWellKnownImportsLocatedInUserFiles: a change inside a well-known type
// (which the user cannot edit, and which has no source positions) is
// reported at the nearest field of the user's file whose type reaches it,
// saying which import changed; registry:ignore on that field silences it.
func TestWellKnownImportsLocatedInUserFiles(t *testing.T) {
	t.Parallel()
	imp := "import \"google/protobuf/struct.proto\";\nimport \"google/protobuf/timestamp.proto\";\n"
	head := p3 + imp // the user's field declarations start on line 5
	tests := []struct {
		name      string
		prev, cur string
		line      int    // of the user's field the findings point at
		import_   string // the import the messages name
	}{
		{"Struct becomes Value", head + "message M { google.protobuf.Struct a = 1; }", head + "message M { google.protobuf.Value a = 1; }",
			5, "google/protobuf/struct.proto"},
		{"nested: the nearest user field", head + "message M { N n = 1; }\nmessage N { google.protobuf.Struct s = 2; }", head + "message M { N n = 1; }\nmessage N { google.protobuf.Value s = 2; }",
			6, "google/protobuf/struct.proto"},
		{"own message becomes Timestamp", head + "message M { T at = 1; }\nmessage T { int64 seconds = 1; string nanos = 2; }", head + "message M { google.protobuf.Timestamp at = 1; }",
			5, "google/protobuf/timestamp.proto"},
		{"Timestamp becomes own message without nanos", head + "message M { google.protobuf.Timestamp at = 1; }", head + "message M { T at = 1; }\nmessage T { int64 seconds = 1; }",
			5, "google/protobuf/timestamp.proto"},
		{"map of Struct becomes map of ListValue", head + "message M { map<string, google.protobuf.Struct> m = 1; }", head + "message M { map<string, google.protobuf.ListValue> m = 1; }",
			5, "google/protobuf/struct.proto"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			findings := Check([]Contract{compileContract(t, tt.prev, "t.M")}, compileContract(t, tt.cur, "t.M"),
				Options{Topic: "acme.t.s.events", Mode: registry.CompatFull, Level: registry.LevelFile})
			inside := 0
			for _, f := range findings {
				if f.File != "a.proto" {
					t.Errorf("%s at %s: want a.proto, the user's file\n  %s", f.Rule, f.Position, f.Message)
					continue
				}
				if strings.Contains(f.Message, "inside "+tt.import_+" (a well-known import you cannot edit)") {
					inside++
					if f.Line != tt.line {
						t.Errorf("%s at line %d, want %d (the field reaching the import)\n  %s", f.Rule, f.Line, tt.line, f.Message)
					}
				}
			}
			if inside == 0 {
				t.Fatalf("no finding says what changed inside %s:\n%v", tt.import_, findings)
			}
		})
	}

	// The user's field carries the ignore for what changes behind it.
	ignored := head + "message M {\n  // registry:ignore FIELD_WIRE_COMPATIBLE_TYPE agreed with every consumer\n  google.protobuf.Value a = 1;\n}"
	findings := Check([]Contract{compileContract(t, tests[0].prev, "t.M")}, compileContract(t, ignored, "t.M"),
		Options{Topic: "acme.t.s.events", Mode: registry.CompatFull, Level: registry.LevelWire})
	for _, f := range findings {
		if f.Rule == RuleFieldWireCompatibleType {
			t.Errorf("ignored on the user's field, still reported: %s %s", f.Position, f.Message)
		}
	}
	if len(findings) == 0 {
		t.Error("FIELD_WIRE_COMPATIBLE_CARDINALITY is not ignored and should remain")
	}
}
