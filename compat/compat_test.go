package compat_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/compat"
)

// protoTree builds an in-memory schema tree from path → content pairs.
func protoTree(files ...string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for i := 0; i+1 < len(files); i += 2 {
		fsys[files[i]] = &fstest.MapFile{Data: []byte(files[i+1]), Mode: 0o644}
	}
	return fsys
}

// mustCompile compiles fsys with the default limits and fails the test on
// any error.
func mustCompile(t *testing.T, fsys fs.FS) *compat.Schema {
	t.Helper()
	s, err := compat.Compile(t.Context(), fsys, compat.DefaultLimits)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return s
}

func TestCompileWellKnownImports(t *testing.T) {
	t.Parallel()
	s := mustCompile(t, protoTree("acme/v1/event.proto", `syntax = "proto3";
package acme.v1;

import "google/protobuf/any.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/empty.proto";
import "google/protobuf/field_mask.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";

message Event {
  google.protobuf.Timestamp at = 1;
  google.protobuf.Duration took = 2;
  google.protobuf.Struct attributes = 3;
  google.protobuf.Any detail = 4;
  google.protobuf.StringValue note = 5;
  google.protobuf.FieldMask mask = 6;
  google.protobuf.Empty nothing = 7;
}
`))
	if _, ok := s.FindMessage("acme.v1.Event"); !ok {
		t.Errorf("FindMessage(acme.v1.Event) not found")
	}
	// Well-known types are served by the compiler, not indexed as the tree's.
	if _, ok := s.FindMessage("google.protobuf.Timestamp"); ok {
		t.Errorf("FindMessage(google.protobuf.Timestamp) found, want only the tree's messages")
	}
	var paths []string
	for _, f := range s.Files() {
		paths = append(paths, f.Path())
	}
	if got, want := paths, []string{"acme/v1/event.proto"}; !slices.Equal(got, want) {
		t.Errorf("Files() = %v, want %v", got, want)
	}
	if _, ok := s.File("google/protobuf/timestamp.proto"); ok {
		t.Errorf("File(google/protobuf/timestamp.proto) found, want only the tree's files")
	}
}

func TestCompileImportsFromTheRoot(t *testing.T) {
	t.Parallel()
	s := mustCompile(t, protoTree(
		"common/v1/money.proto", "syntax = \"proto3\";\npackage acme.common.v1;\nmessage Money { int64 units = 1; }\n",
		"retail/orders/v1/orders.proto", "syntax = \"proto3\";\npackage acme.retail.orders.v1;\nimport \"common/v1/money.proto\";\nmessage Order { acme.common.v1.Money total = 1; }\n",
		"retail/orders/README.md", "not a proto: ignored",
		".git/x.proto", "hidden directories are skipped, so this is never compiled",
	))
	var paths []string
	for _, f := range s.Files() {
		paths = append(paths, f.Path())
	}
	if got, want := paths, []string{"common/v1/money.proto", "retail/orders/v1/orders.proto"}; !slices.Equal(got, want) {
		t.Errorf("Files() = %v, want %v (sorted, .proto only, hidden directories skipped)", got, want)
	}
	f, ok := s.File("retail/orders/v1/orders.proto")
	if !ok {
		t.Fatalf("File(retail/orders/v1/orders.proto) not found")
	}
	if got, want := string(f.Package()), "acme.retail.orders.v1"; got != want {
		t.Errorf("package = %q, want %q", got, want)
	}
}

// wantDiag is a diagnostic a bad tree must produce.
type wantDiag struct {
	file      string
	line, col int
	message   string // a part of the message
}

func TestCompileInvalid(t *testing.T) {
	t.Parallel()
	const header = "syntax = \"proto3\";\npackage acme.v1;\n"
	importing := func(path string) fstest.MapFS {
		return protoTree("acme/v1/a.proto", header+"import \""+path+"\";\n")
	}
	tests := []struct {
		name   string
		fsys   fstest.MapFS
		limits compat.Limits
		want   []wantDiag
	}{
		{
			name: "file under google/protobuf in the tree",
			fsys: protoTree("google/protobuf/timestamp.proto", "syntax = \"proto3\";\npackage google.protobuf;\nmessage Timestamp { string evil = 1; }\n"),
			want: []wantDiag{{"google/protobuf/timestamp.proto", 0, 0, "google/protobuf/ is reserved for the well-known types"}},
		},
		{
			name: "new file under google/protobuf in the tree",
			fsys: protoTree("google/protobuf/mine.proto", "syntax = \"proto3\";\npackage google.protobuf;\n"),
			want: []wantDiag{{"google/protobuf/mine.proto", 0, 0, "reserved for the well-known types"}},
		},
		{
			name: "import with ..",
			fsys: importing("../secret.proto"),
			want: []wantDiag{{"acme/v1/a.proto", 3, 8, `import "../secret.proto" escapes the schema root`}},
		},
		{
			name: "import with .. that leaves the root from inside the path",
			fsys: importing("acme/../../secret.proto"),
			want: []wantDiag{{"acme/v1/a.proto", 3, 8, `import "acme/../../secret.proto" escapes the schema root: it resolves to "../secret.proto"`}},
		},
		{
			name: "import with .. that stays inside the root",
			fsys: protoTree(
				"acme/v1/a.proto", header+"import \"acme/orders/../v1/b.proto\";\n",
				"acme/v1/b.proto", header,
			),
			want: []wantDiag{{"acme/v1/a.proto", 3, 8, `import "acme/orders/../v1/b.proto" is not in canonical form: write import "acme/v1/b.proto" (protoc requires canonical import paths`}},
		},
		{
			name: "import with a . segment",
			fsys: importing("./acme/v1/b.proto"),
			want: []wantDiag{{"acme/v1/a.proto", 3, 8, `import "./acme/v1/b.proto" is not in canonical form: write import "acme/v1/b.proto"`}},
		},
		{
			name: "import with a doubled slash",
			fsys: importing("acme//v1/b.proto"),
			want: []wantDiag{{"acme/v1/a.proto", 3, 8, `import "acme//v1/b.proto" is not in canonical form: write import "acme/v1/b.proto"`}},
		},
		{
			name: "import of an absolute path",
			fsys: importing("/etc/x.proto"),
			want: []wantDiag{{"acme/v1/a.proto", 3, 8, `import "/etc/x.proto" escapes the schema root`}},
		},
		{
			name: "import with a backslash",
			fsys: importing(`acme\\v1\\b.proto`),
			want: []wantDiag{{"acme/v1/a.proto", 3, 8, `uses backslashes: import paths are slash-separated; write import "acme/v1/b.proto"`}},
		},
		{
			name: "import with backslashes that leaves the root",
			fsys: importing(`..\\secret.proto`),
			want: []wantDiag{{"acme/v1/a.proto", 3, 8, "escapes the schema root"}},
		},
		{
			name: "import of a missing file",
			fsys: importing("acme/v1/b.proto"),
			want: []wantDiag{{"acme/v1/a.proto", 3, 8, `import "acme/v1/b.proto": no such file under the schema root`}},
		},
		{
			name: "import relative to the importing file",
			fsys: protoTree(
				"acme/v1/a.proto", header+"import \"b.proto\";\n",
				"acme/v1/b.proto", header,
			),
			want: []wantDiag{{"acme/v1/a.proto", 3, 8, `import "b.proto": no such file under the schema root`}},
		},
		{
			name: "syntax error",
			fsys: protoTree("acme/v1/a.proto", header+"message A { string a = 1 }\n"),
			want: []wantDiag{{"acme/v1/a.proto", 3, 26, "syntax error"}},
		},
		{
			name: "every error of every file at once",
			fsys: protoTree(
				"acme/v1/b.proto", header+"message B {\n  Nope a = 1;\n  Neither b = 2;\n}\n",
				"acme/v1/a.proto", header+"message A {\n  string a = 1;\n  string a = 2;\n}\n",
			),
			want: []wantDiag{
				{"acme/v1/a.proto", 5, 10, `"acme.v1.A.a" already defined`},
				{"acme/v1/b.proto", 4, 3, "unknown type Nope"},
				{"acme/v1/b.proto", 5, 3, "unknown type Neither"},
			},
		},
		{
			name:   "file over the size limit",
			fsys:   protoTree("acme/v1/a.proto", header+"// "+strings.Repeat("x", 100)+"\n"),
			limits: compat.Limits{MaxFileSize: 100},
			want:   []wantDiag{{"acme/v1/a.proto", 0, 0, "140 B is over the per-file limit of 100 B; raise it with limits.max_file_size in registry.yaml or --max-file-size"}},
		},
		{
			name: "too many files",
			fsys: protoTree(
				"a.proto", "syntax = \"proto3\";\npackage a;\n",
				"b.proto", "syntax = \"proto3\";\npackage b;\n",
				"c/c.proto", "syntax = \"proto3\";\npackage c;\n",
			),
			limits: compat.Limits{MaxFiles: 2},
			want:   []wantDiag{{"c/c.proto", 0, 0, "more than 2 .proto files: this is the first past the file-count limit of 2; raise it with limits.max_files in registry.yaml or --max-files"}},
		},
		{
			name:   "directories nested too deep",
			fsys:   protoTree("a/b/c/d.proto", "syntax = \"proto3\";\npackage a;\n", "a/ok.proto", "syntax = \"proto3\";\npackage b;\n"),
			limits: compat.Limits{MaxDepth: 2},
			want:   []wantDiag{{"a/b/c", 0, 0, "directory nested deeper than 2 levels, over the directory-depth limit; raise it with limits.max_depth in registry.yaml or --max-depth"}},
		},
		{
			name: "symlink in a MapFS",
			fsys: fstest.MapFS{
				"acme/v1/a.proto": {Data: []byte(header)},
				"acme/v1/l.proto": {Data: []byte("a.proto"), Mode: fs.ModeSymlink},
			},
			want: []wantDiag{{"acme/v1/l.proto", 0, 0, "not a regular file (symlinks are not followed)"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			limits := tt.limits
			if limits == (compat.Limits{}) {
				limits = compat.DefaultLimits
			}
			s, err := compat.Compile(t.Context(), tt.fsys, limits)
			checkInvalid(t, s, err, tt.want)
		})
	}
}

func checkInvalid(t *testing.T, s *compat.Schema, err error, want []wantDiag) {
	t.Helper()
	if err == nil {
		t.Fatalf("Compile succeeded with %d files, want an error", len(s.Files()))
	}
	if got, want := registry.ErrorCode(err), registry.EINVALID; got != want {
		t.Fatalf("ErrorCode = %q, want %q (err: %v)", got, want, err)
	}
	got := registry.ErrorDiagnostics(err)
	if len(got) != len(want) {
		t.Fatalf("got %d diagnostics, want %d:\n%v", len(got), len(want), err)
	}
	for i, w := range want {
		g := got[i]
		if g.File != w.file || g.Line != w.line || g.Column != w.col {
			t.Errorf("diagnostic %d at %s, want %s:%d:%d (%s)", i, g.Position, w.file, w.line, w.col, g.Message)
		}
		if !strings.Contains(g.Message, w.message) {
			t.Errorf("diagnostic %d message %q, want it to contain %q", i, g.Message, w.message)
		}
	}
}

func TestCompileLimitsAtTheEdge(t *testing.T) {
	t.Parallel()
	content := "syntax = \"proto3\";\npackage a;\n"
	fsys := protoTree("a.proto", content, "b/b.proto", "syntax = \"proto3\";\npackage b;\n")
	limits := compat.Limits{MaxFileSize: int64(len(content)), MaxFiles: 2, MaxDepth: 1}
	if _, err := compat.Compile(t.Context(), fsys, limits); err != nil {
		t.Errorf("Compile at exactly the limits: %v, want success", err)
	}
}

func TestCompileTimeout(t *testing.T) {
	t.Parallel()
	fsys := protoTree("a.proto", "syntax = \"proto3\";\npackage a;\nmessage A {}\n")
	_, err := compat.Compile(t.Context(), fsys, compat.Limits{Timeout: time.Nanosecond})
	if got, want := registry.ErrorCode(err), registry.EINVALID; got != want {
		t.Fatalf("ErrorCode = %q, want %q (err: %v)", got, want, err)
	}
	if got, want := registry.ErrorMessage(err), "gave up after 1ns, the compile-time limit; raise it with limits.compile_timeout in registry.yaml or --compile-timeout"; !strings.Contains(got, want) {
		t.Errorf("message %q, want it to contain %q", got, want)
	}
}

func TestCompileSymlinksOnDisk(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	outside := t.TempDir()
	write := func(dir, name, content string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	symlink := func(target, name string) {
		t.Helper()
		if err := os.Symlink(target, filepath.Join(root, filepath.FromSlash(name))); err != nil {
			t.Fatalf("symlink: %v", err)
		}
	}
	write(outside, "secret/secret.proto", "syntax = \"proto3\";\npackage secret;\nmessage Secret {}\n")
	write(root, "acme/v1/a.proto", "syntax = \"proto3\";\npackage acme.v1;\nimport \"linked/secret.proto\";\n")
	symlink(filepath.Join(outside, "secret", "secret.proto"), "acme/v1/evil.proto") // a file pointing outside
	symlink(filepath.Join(outside, "secret"), "linked")                             // a directory pointing outside

	_, err := compat.Compile(t.Context(), os.DirFS(root), compat.DefaultLimits)
	// The symlinked file and the symlinked directory are both refused:
	// neither is followed, and neither is silently left out.
	checkInvalid(t, nil, err, []wantDiag{
		{"acme/v1/evil.proto", 0, 0, "not a regular file (symlinks are not followed)"},
		{"linked", 0, 0, compat.SymlinkedDir},
	})

	// Other symlinks (to a README, say) are not read and not an error; a
	// hidden symlinked directory is skipped like any hidden directory.
	write(outside, "README.md", "hello\n")
	symlink(filepath.Join(outside, "README.md"), "README.md")
	symlink(filepath.Join(outside, "secret"), ".cache")
	if err := os.Remove(filepath.Join(root, "acme", "v1", "evil.proto")); err != nil {
		t.Fatal(err)
	}
	_, err = compat.Compile(t.Context(), os.DirFS(root), compat.DefaultLimits)
	checkInvalid(t, nil, err, []wantDiag{
		{"linked", 0, 0, compat.SymlinkedDir},
	})

	// Without the symlinked directory, the import through it is the problem.
	if err := os.Remove(filepath.Join(root, "linked")); err != nil {
		t.Fatal(err)
	}
	_, err = compat.Compile(t.Context(), os.DirFS(root), compat.DefaultLimits)
	checkInvalid(t, nil, err, []wantDiag{
		{"acme/v1/a.proto", 3, 8, `import "linked/secret.proto": no such file under the schema root`},
	})
}

func TestCompileSources(t *testing.T) {
	t.Parallel()
	s, err := compat.CompileSources(t.Context(), map[string][]byte{
		"b.proto": []byte("syntax = \"proto3\";\npackage b;\nimport \"a.proto\";\nmessage B { a.A a = 1; }\n"),
		"a.proto": []byte("syntax = \"proto3\";\npackage a;\nmessage A {}\n"),
	}, compat.DefaultLimits)
	if err != nil {
		t.Fatalf("CompileSources: %v", err)
	}
	b, ok := s.FindMessage("b.B")
	if !ok {
		t.Fatalf("FindMessage(b.B) not found")
	}
	if got, want := string(b.Fields().Get(0).Message().FullName()), "a.A"; got != want {
		t.Errorf("b.B.a type = %q, want %q", got, want)
	}
	_, err = compat.CompileSources(t.Context(), map[string][]byte{"a.proto": []byte("syntax = \"proto3\";\nmessage {\n")}, compat.DefaultLimits)
	if got, want := registry.ErrorCode(err), registry.EINVALID; got != want {
		t.Errorf("CompileSources of a broken file: code %q, want %q", got, want)
	}
}

func TestReadFile(t *testing.T) {
	t.Parallel()
	fsys := protoTree("f", "0123456789")
	tests := []struct {
		max     int64
		wantErr bool
	}{{0, false}, {-1, false}, {10, false}, {11, false}, {9, true}, {1, true}}
	for _, tt := range tests {
		data, err := compat.ReadFile(fsys, "f", tt.max)
		if gotErr := err != nil; gotErr != tt.wantErr {
			t.Errorf("ReadFile(max %d) error = %v, want error %v", tt.max, err, tt.wantErr)
			continue
		}
		if err == nil && string(data) != "0123456789" {
			t.Errorf("ReadFile(max %d) = %q, want the whole file", tt.max, data)
		}
	}
	if _, err := compat.ReadFile(fsys, "missing", 0); err == nil {
		t.Errorf("ReadFile(missing) succeeded, want an error")
	}
}

// documented is a file exercising comments, labels, nesting and maps.
const documented = `syntax = "proto3";
package acme.v1;

import "google/protobuf/timestamp.proto";

// Order is one order.
//
// It has two paragraphs.
message Order {
  //   Indented comment
  //   on two lines.
  string id = 1;
  string note = 2; // Trailing only.
  // Leading wins.
  string code = 3; // Not this.
  /* Block comment. */
  Status status = 4;

  // Detached: not documentation.

  int64 version = 5;
  optional string coupon = 6;
  repeated Line lines = 7;
  map<string, int64> counts = 8;
  map<string, Line> by_sku = 9;
  // What happened.
  oneof change {
    // Who placed it.
    string placed_by = 10;
    Refund refund = 11;
  }
  google.protobuf.Timestamp at = 12;
  Order parent = 13 [deprecated = true];
  Line.Kind line_kind = 14;

  // Line is one line.
  message Line {
    // Kind of line.
    enum Kind {
      KIND_UNSPECIFIED = 0;
      // A product.
      KIND_PRODUCT = 1;
      KIND_FEE = 2 [deprecated = true];
    }
    Kind kind = 1;
    Detail detail = 2;
    // Deeper still.
    message Detail {
      string text = 1;
    }
  }
}

// Status of an order.
enum Status {
  STATUS_UNSPECIFIED = 0;
}

message Refund {
  Status status = 1;
  Reason reason = 2;
}

enum Reason {
  REASON_UNSPECIFIED = 0;
}

message Unrelated {
  Reason reason = 1;
}
`

func TestDocAndPosition(t *testing.T) {
	t.Parallel()
	s := mustCompile(t, protoTree("acme/v1/order.proto", documented))
	order, ok := s.FindMessage("acme.v1.Order")
	if !ok {
		t.Fatalf("FindMessage(acme.v1.Order) not found")
	}
	tests := []struct {
		d         protoreflect.Descriptor
		doc       string
		line, col int
	}{
		{order, "Order is one order.\n\nIt has two paragraphs.", 9, 1},
		{order.Fields().ByName("id"), "Indented comment\non two lines.", 12, 3},
		{order.Fields().ByName("note"), "Trailing only.", 13, 3},
		{order.Fields().ByName("code"), "Leading wins.", 15, 3},
		{order.Fields().ByName("status"), "Block comment.", 17, 3},
		{order.Fields().ByName("version"), "", 21, 3},
		{order.Fields().ByName("coupon"), "", 22, 3},
		{order.Oneofs().ByName("change"), "What happened.", 27, 3},
		{order.Messages().ByName("Line"), "Line is one line.", 37, 3},
		{order.Messages().ByName("Line").Enums().ByName("Kind"), "Kind of line.", 39, 5},
		{order.Messages().ByName("Line").Enums().ByName("Kind").Values().ByName("KIND_PRODUCT"), "A product.", 42, 7},
	}
	for _, tt := range tests {
		if got := compat.Doc(tt.d); got != tt.doc {
			t.Errorf("Doc(%s) = %q, want %q", tt.d.FullName(), got, tt.doc)
		}
		want := registry.Position{File: "acme/v1/order.proto", Line: tt.line, Column: tt.col}
		if got := compat.Position(tt.d); got != want {
			t.Errorf("Position(%s) = %s, want %s", tt.d.FullName(), got, want)
		}
	}
}

func TestDescribeMessage(t *testing.T) {
	t.Parallel()
	s := mustCompile(t, protoTree("acme/v1/order.proto", documented))
	order, _ := s.FindMessage("acme.v1.Order")
	m := compat.DescribeMessage(order)
	if got, want := m.Name, "acme.v1.Order"; got != want {
		t.Errorf("Name = %q, want %q", got, want)
	}
	if got, want := m.File, "acme/v1/order.proto"; got != want {
		t.Errorf("File = %q, want %q", got, want)
	}
	if got, want := m.Line, 9; got != want {
		t.Errorf("Line = %d, want %d", got, want)
	}
	want := map[string]registry.Field{
		"id":      {Name: "id", JSONName: "id", Number: 1, Type: "string", Kind: "scalar", Doc: "Indented comment\non two lines."},
		"status":  {Name: "status", JSONName: "status", Number: 4, Type: "acme.v1.Status", Kind: "enum", Doc: "Block comment."},
		"version": {Name: "version", JSONName: "version", Number: 5, Type: "int64", Kind: "scalar"},
		"coupon":  {Name: "coupon", JSONName: "coupon", Number: 6, Type: "string", Kind: "scalar", Label: "optional"},
		"lines":   {Name: "lines", JSONName: "lines", Number: 7, Type: "acme.v1.Order.Line", Kind: "message", Label: "repeated"},
		"counts":  {Name: "counts", JSONName: "counts", Number: 8, Type: "map<string, int64>", Kind: "map", MapKey: "string", MapValue: "int64"},
		"by_sku": {Name: "by_sku", JSONName: "bySku", Number: 9, Type: "map<string, acme.v1.Order.Line>", Kind: "map",
			MapKey: "string", MapValue: "acme.v1.Order.Line"},
		"placed_by": {Name: "placed_by", JSONName: "placedBy", Number: 10, Type: "string", Kind: "scalar", Oneof: "change", Doc: "Who placed it."},
		"refund":    {Name: "refund", JSONName: "refund", Number: 11, Type: "acme.v1.Refund", Kind: "message", Oneof: "change"},
		"at":        {Name: "at", JSONName: "at", Number: 12, Type: "google.protobuf.Timestamp", Kind: "message"},
		"parent":    {Name: "parent", JSONName: "parent", Number: 13, Type: "acme.v1.Order", Kind: "message", Deprecated: true},
		"line_kind": {Name: "line_kind", JSONName: "lineKind", Number: 14, Type: "acme.v1.Order.Line.Kind", Kind: "enum"},
	}
	if got, want := len(m.Fields), 14; got != want {
		t.Errorf("%d fields, want %d", got, want)
	}
	for i, f := range m.Fields {
		if got, want := f.Number, int32(i+1); got != want {
			t.Errorf("field %d is number %d, want declaration order", i, got)
		}
		w, ok := want[f.Name]
		if !ok {
			continue
		}
		if !reflect.DeepEqual(f, w) {
			t.Errorf("field %s:\n got %+v\nwant %+v", f.Name, f, w)
		}
	}
	// the synthetic oneof of "optional string coupon" is not a oneof
	wantOneofs := []registry.Oneof{{Name: "change", Doc: "What happened.", Fields: []string{"placed_by", "refund"}}}
	if !reflect.DeepEqual(m.Oneofs, wantOneofs) {
		t.Errorf("Oneofs = %+v, want %+v", m.Oneofs, wantOneofs)
	}

	kind, ok := s.FindEnum("acme.v1.Order.Line.Kind")
	if !ok {
		t.Fatalf("FindEnum(acme.v1.Order.Line.Kind) not found")
	}
	wantEnum := registry.Enum{
		Name: "acme.v1.Order.Line.Kind", File: "acme/v1/order.proto", Line: 39, Doc: "Kind of line.",
		Values: []registry.EnumValue{
			{Name: "KIND_UNSPECIFIED", Number: 0},
			{Name: "KIND_PRODUCT", Number: 1, Doc: "A product."},
			{Name: "KIND_FEE", Number: 2, Deprecated: true},
		},
	}
	if got := compat.DescribeEnum(kind); !reflect.DeepEqual(got, wantEnum) {
		t.Errorf("DescribeEnum:\n got %+v\nwant %+v", got, wantEnum)
	}
}

func TestDescribeProto2AndEditions(t *testing.T) {
	t.Parallel()
	s := mustCompile(t, protoTree(
		"p2.proto", `syntax = "proto2";
package p2;
message M {
  required string id = 1;
  optional int32 count = 2 [default = 3];
  repeated string tags = 3;
  optional M child = 4;
  optional E e = 5;
}
enum E { E_ZERO = 0; }
`,
		"ed.proto", `edition = "2023";
package ed;
message M {
  string id = 1;
  string implicit = 2 [features.field_presence = IMPLICIT];
  repeated string tags = 3;
}
`))
	tests := []struct{ message, field, label string }{
		{"p2.M", "id", "required"},
		{"p2.M", "count", "optional"},
		{"p2.M", "tags", "repeated"},
		{"p2.M", "child", "optional"}, // written so
		{"p2.M", "e", "optional"},
		{"ed.M", "id", "optional"},
		{"ed.M", "implicit", ""},
		{"ed.M", "tags", "repeated"},
	}
	for _, tt := range tests {
		md, ok := s.FindMessage(tt.message)
		if !ok {
			t.Errorf("FindMessage(%s) not found", tt.message)
			continue
		}
		var got *registry.Field
		for _, f := range compat.DescribeMessage(md).Fields {
			if f.Name == tt.field {
				got = &f
			}
		}
		if got == nil {
			t.Errorf("%s.%s not described", tt.message, tt.field)
			continue
		}
		if got.Label != tt.label {
			t.Errorf("%s.%s label = %q, want %q", tt.message, tt.field, got.Label, tt.label)
		}
	}
	e, _ := s.FindEnum("p2.E")
	if !compat.DescribeEnum(e).Closed {
		t.Errorf("proto2 enum not Closed")
	}
}

func TestClosure(t *testing.T) {
	t.Parallel()
	s := mustCompile(t, protoTree("acme/v1/order.proto", documented))
	find := func(name string) protoreflect.MessageDescriptor {
		t.Helper()
		md, ok := s.FindMessage(name)
		if !ok {
			t.Fatalf("FindMessage(%s) not found", name)
		}
		return md
	}
	names := func(msgs []protoreflect.MessageDescriptor, enums []protoreflect.EnumDescriptor) ([]string, []string) {
		var m, e []string
		for _, d := range msgs {
			m = append(m, string(d.FullName()))
		}
		for _, d := range enums {
			e = append(e, string(d.FullName()))
		}
		return m, e
	}
	tests := []struct {
		name      string
		roots     []protoreflect.MessageDescriptor
		msgs, ens []string
	}{
		{
			// fields in declaration order; map entries walked but not listed;
			// google.protobuf.Timestamp neither; the self-reference ends
			name:  "order",
			roots: []protoreflect.MessageDescriptor{find("acme.v1.Order")},
			msgs:  []string{"acme.v1.Order", "acme.v1.Order.Line", "acme.v1.Order.Line.Detail", "acme.v1.Refund"},
			ens:   []string{"acme.v1.Status", "acme.v1.Order.Line.Kind", "acme.v1.Reason"},
		},
		{
			name:  "leaf",
			roots: []protoreflect.MessageDescriptor{find("acme.v1.Order.Line.Detail")},
			msgs:  []string{"acme.v1.Order.Line.Detail"},
		},
		{
			name:  "roots first, each once",
			roots: []protoreflect.MessageDescriptor{find("acme.v1.Unrelated"), find("acme.v1.Order"), find("acme.v1.Refund"), find("acme.v1.Unrelated")},
			msgs:  []string{"acme.v1.Unrelated", "acme.v1.Order", "acme.v1.Refund", "acme.v1.Order.Line", "acme.v1.Order.Line.Detail"},
			ens:   []string{"acme.v1.Reason", "acme.v1.Status", "acme.v1.Order.Line.Kind"},
		},
		{
			name:  "a well-known root is not listed",
			roots: []protoreflect.MessageDescriptor{find("acme.v1.Order").Fields().ByName("at").Message()},
		},
		{
			name: "no roots",
		},
	}
	for _, tt := range tests {
		gotM, gotE := names(compat.Closure(tt.roots...))
		if !slices.Equal(gotM, tt.msgs) {
			t.Errorf("%s: Closure messages = %v, want %v", tt.name, gotM, tt.msgs)
		}
		if !slices.Equal(gotE, tt.ens) {
			t.Errorf("%s: Closure enums = %v, want %v", tt.name, gotE, tt.ens)
		}
	}
}

func TestIsWellKnown(t *testing.T) {
	t.Parallel()
	s := mustCompile(t, protoTree("acme/v1/order.proto", documented))
	order, _ := s.FindMessage("acme.v1.Order")
	if compat.IsWellKnown(order) {
		t.Errorf("IsWellKnown(acme.v1.Order) = true, want false")
	}
	if ts := order.Fields().ByName("at").Message(); !compat.IsWellKnown(ts) {
		t.Errorf("IsWellKnown(%s) = false, want true", ts.FullName())
	}
}

func TestFindNested(t *testing.T) {
	t.Parallel()
	s := mustCompile(t, protoTree("acme/v1/order.proto", documented))
	for _, name := range []string{"acme.v1.Order", "acme.v1.Order.Line", "acme.v1.Order.Line.Detail", "acme.v1.Refund"} {
		md, ok := s.FindMessage(name)
		if !ok {
			t.Errorf("FindMessage(%s) not found", name)
			continue
		}
		if got := string(md.FullName()); got != name {
			t.Errorf("FindMessage(%s) = %s", name, got)
		}
	}
	for _, name := range []string{"acme.v1.Status", "acme.v1.Order.Line.Kind", "acme.v1.Reason"} {
		ed, ok := s.FindEnum(name)
		if !ok {
			t.Errorf("FindEnum(%s) not found", name)
			continue
		}
		if got := string(ed.FullName()); got != name {
			t.Errorf("FindEnum(%s) = %s", name, got)
		}
	}
	for _, name := range []string{"acme.v1.Status", "acme.v1.Line", "Order", "acme.v1", "", "acme.v1.Order.id", "acme.v1.KIND_PRODUCT"} {
		if _, ok := s.FindMessage(name); ok {
			t.Errorf("FindMessage(%q) found, want not found", name)
		}
	}
	for _, name := range []string{"acme.v1.Order", "acme.v1.Kind", "acme.v1.Order.Line.KIND_PRODUCT", ""} {
		if _, ok := s.FindEnum(name); ok {
			t.Errorf("FindEnum(%q) found, want not found", name)
		}
	}
}

func TestCompileCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := compat.Compile(ctx, protoTree("a.proto", "syntax = \"proto3\";\npackage a;\n"), compat.DefaultLimits)
	if err == nil {
		t.Errorf("Compile with a canceled context succeeded, want an error")
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{100: "100 B", 1024: "1 KiB", 16 << 20: "16 MiB", 19084082: "18.2 MiB", 1 << 30: "1 GiB"} {
		if got := compat.FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}
