package compat_test

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/compat"
)

// evolvingTree is a small repository that random edits change: files that
// import each other, edits to leaves and to shared imports, comment-only
// edits, broken syntax, symbol conflicts between unrelated files, removed
// files and changed imports.
type evolvingTree struct {
	fields   map[string]int // extra fields per file
	rev      map[string]int // comment revision per file
	broken   string         // a file with a syntax error, or ""
	dup      bool           // dup.proto redefines misc.proto's message
	noMisc   bool           // misc.proto removed
	stockUse bool           // stock.proto imports misc.proto
	moneyInt bool           // Money.minor is an int32, not an int64
	clash    bool           // clash.proto's package is orders.proto's message
	ext      [2]bool        // ext1.proto, ext2.proto: the same extension number
	files    map[string][]byte
	last     map[string][]byte // the previous files, to share unchanged contents
}

var evolvingFiles = []string{"common/v1/money.proto", "common/v1/envelope.proto", "orders/v1/orders.proto", "stock/v1/stock.proto", "misc/v1/misc.proto"}

func (e *evolvingTree) build() map[string][]byte {
	src := map[string]string{}
	extra := func(name string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "  // Revision %d.\n", e.rev[name])
		for i := range e.fields[name] {
			fmt.Fprintf(&b, "  string extra_%d = %d;\n", i, 100+i)
		}
		return b.String()
	}
	minor := "int64"
	if e.moneyInt {
		minor = "int32"
	}
	src["common/v1/money.proto"] = "syntax = \"proto3\";\npackage acme.common.v1;\n// Money.\nmessage Money {\n  string currency = 1;\n  " + minor + " minor = 2;\n" + extra("common/v1/money.proto") + "}\n"
	src["common/v1/envelope.proto"] = "syntax = \"proto3\";\npackage acme.common.v1;\nimport \"common/v1/money.proto\";\nmessage Envelope {\n  Money fee = 1;\n" + extra("common/v1/envelope.proto") + "}\n"
	src["orders/v1/orders.proto"] = "syntax = \"proto3\";\npackage acme.orders.v1;\nimport \"common/v1/envelope.proto\";\nimport \"common/v1/money.proto\";\nmessage OrderEvent {\n  acme.common.v1.Envelope env = 1;\n  acme.common.v1.Money total = 2;\n" + extra("orders/v1/orders.proto") + "}\n"
	stockImports, stockField := "", ""
	if e.stockUse {
		stockImports, stockField = "import \"misc/v1/misc.proto\";\n", "  acme.misc.v1.Note note = 3;\n"
	}
	src["stock/v1/stock.proto"] = "syntax = \"proto3\";\npackage acme.stock.v1;\nimport \"common/v1/money.proto\";\n" + stockImports + "message StockEvent {\n  string sku = 1;\n  acme.common.v1.Money value = 2;\n" + stockField + extra("stock/v1/stock.proto") + "}\n"
	if !e.noMisc {
		src["misc/v1/misc.proto"] = "syntax = \"proto3\";\npackage acme.misc.v1;\nmessage Note {\n  string text = 1;\n" + extra("misc/v1/misc.proto") + "}\n"
	}
	if e.dup {
		src["dup/v1/dup.proto"] = "syntax = \"proto3\";\npackage acme.misc.v1;\nmessage Note {\n  string other = 1;\n}\n"
	}
	if e.clash {
		src["clash/v1/clash.proto"] = "syntax = \"proto3\";\npackage acme.orders.v1.OrderEvent;\nmessage Other {\n  string x = 1;\n}\n"
	}
	for i, on := range e.ext {
		if on {
			src[fmt.Sprintf("ext/v1/ext%d.proto", i+1)] = fmt.Sprintf("syntax = \"proto3\";\npackage acme.ext%d;\nimport \"google/protobuf/descriptor.proto\";\nextend google.protobuf.FieldOptions {\n  string tag%d = 50000;\n}\n", i+1, i+1)
		}
	}
	if e.broken != "" {
		if s, ok := src[e.broken]; ok {
			src[e.broken] = strings.Replace(s, "message", "mesage", 1)
		}
	}
	files := map[string][]byte{"README.md": []byte("not a proto file")}
	for name, s := range src {
		if old, ok := e.last[name]; ok && string(old) == s {
			files[name] = old // unchanged files share their bytes, as in a sync
		} else {
			files[name] = []byte(s)
		}
	}
	e.last = files
	return files
}

// edit changes the tree at random.
func (e *evolvingTree) edit(r *rand.Rand) string {
	name := evolvingFiles[r.IntN(len(evolvingFiles))]
	switch op := r.IntN(13); {
	case e.broken != "":
		e.broken = ""
		return "fix the broken file"
	case op <= 2:
		e.fields[name]++
		return "add a field to " + name
	case op == 3:
		e.rev[name]++
		return "edit a comment of " + name
	case op == 4:
		e.broken = name
		return "break " + name
	case op == 5:
		e.dup = !e.dup
		return fmt.Sprintf("dup.proto present: %t", e.dup)
	case op == 6:
		e.noMisc = !e.noMisc
		return fmt.Sprintf("misc.proto removed: %t", e.noMisc)
	case op == 7:
		e.stockUse = !e.stockUse
		return fmt.Sprintf("stock.proto imports misc.proto: %t", e.stockUse)
	case op == 8:
		e.moneyInt = !e.moneyInt
		return "change a field type in money.proto"
	case op == 10:
		e.clash = !e.clash
		return fmt.Sprintf("clash.proto present: %t", e.clash)
	case op == 11 || op == 12:
		e.ext[op-11] = !e.ext[op-11]
		return fmt.Sprintf("ext%d.proto present: %t", op-10, e.ext[op-11])
	default:
		return "nothing"
	}
}

// TestRecompileMatchesCompileSources drives random edits through Recompile,
// each from the last tree that compiled, and checks every result against a
// compilation from scratch: the same descriptors (source info included) or
// the same diagnostics; and that files untouched by an edit were reused,
// not compiled again.
func TestRecompileMatchesCompileSources(t *testing.T) {
	t.Parallel()
	for seed := range uint64(8) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(seed, 42))
			e := &evolvingTree{fields: map[string]int{}, rev: map[string]int{}}
			prevSources := e.build()
			prev, err := compat.CompileSources(t.Context(), prevSources, compat.DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			var reused, failed int
			for step := range 150 {
				what := e.edit(r)
				sources := e.build()
				want, wantErr := compat.CompileSources(t.Context(), sources, compat.DefaultLimits)
				affected := compat.Affected(prev, prevSources, sources)
				got, gotErr := compat.Recompile(t.Context(), prev, prevSources, sources, compat.DefaultLimits)
				where := fmt.Sprintf("step %d (%s)", step, what)
				if (gotErr == nil) != (wantErr == nil) {
					t.Fatalf("%s: Recompile error %v, CompileSources error %v", where, gotErr, wantErr)
				}
				if wantErr != nil {
					if g, w := sortedDiags(gotErr), sortedDiags(wantErr); !slices.Equal(g, w) || registry.ErrorCode(gotErr) != registry.ErrorCode(wantErr) {
						t.Fatalf("%s: Recompile diagnostics\n%v\nwant\n%v", where, g, w)
					}
					failed++
					continue // the next edit starts again from the last tree that compiled
				}
				sameDescriptors(t, where, got, want)
				for _, fd := range got.Files() {
					imports := fd.Imports()
					for i := range imports.Len() { // a reused file must not link to a stale import
						imp := imports.Get(i).FileDescriptor
						if cur, ok := got.File(imp.Path()); ok && cur != imp {
							t.Fatalf("%s: %s links to an earlier compilation of %s", where, fd.Path(), imp.Path())
						}
					}
					old, had := prev.File(fd.Path())
					switch {
					case affected[fd.Path()] && had && old == fd:
						t.Fatalf("%s: %s was affected by the edit but reused", where, fd.Path())
					case !affected[fd.Path()] && old != fd:
						t.Fatalf("%s: %s was not affected by the edit but compiled again", where, fd.Path())
					case !affected[fd.Path()]:
						reused++
					}
				}
				prev, prevSources = got, sources
			}
			if reused == 0 || failed == 0 {
				t.Fatalf("reused %d files, %d edits failed to compile: the edits do not exercise both paths", reused, failed)
			}
		})
	}
}

// TestAffected checks which files an edit makes Recompile compile again.
func TestAffected(t *testing.T) {
	t.Parallel()
	e := &evolvingTree{fields: map[string]int{}, rev: map[string]int{}}
	prevSources := e.build()
	prev, err := compat.CompileSources(t.Context(), prevSources, compat.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		edit func(*evolvingTree)
		want []string
	}{
		{func(*evolvingTree) {}, nil},
		{func(e *evolvingTree) { e.rev["orders/v1/orders.proto"]++ }, []string{"orders/v1/orders.proto"}},
		{func(e *evolvingTree) { e.fields["common/v1/envelope.proto"]++ }, []string{"common/v1/envelope.proto", "orders/v1/orders.proto"}},
		{func(e *evolvingTree) { e.fields["common/v1/money.proto"]++ }, []string{"common/v1/envelope.proto", "common/v1/money.proto", "orders/v1/orders.proto", "stock/v1/stock.proto"}},
		{func(e *evolvingTree) { e.noMisc = true }, []string{"misc/v1/misc.proto"}},
		{func(e *evolvingTree) { e.dup = true }, []string{"dup/v1/dup.proto"}},
	} {
		e := &evolvingTree{fields: map[string]int{}, rev: map[string]int{}, last: prevSources}
		tc.edit(e)
		var got []string
		for p := range compat.Affected(prev, prevSources, e.build()) {
			got = append(got, p)
		}
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("affected %v, want %v", got, tc.want)
		}
	}
}

func sameDescriptors(t *testing.T, where string, got, want *compat.Schema) {
	t.Helper()
	g, w := got.Files(), want.Files()
	if len(g) != len(w) {
		t.Fatalf("%s: %d files, want %d", where, len(g), len(w))
	}
	for i := range g {
		gp, wp := protodesc.ToFileDescriptorProto(g[i]), protodesc.ToFileDescriptorProto(w[i])
		if !proto.Equal(gp, wp) {
			t.Fatalf("%s: %s differs from a compilation from scratch:\n%v\nwant\n%v", where, g[i].Path(), gp, wp)
		}
	}
}

// sortedDiags lists an error's diagnostics, sorted. Which of two files
// defining one symbol (or one extension number) is reported depends on the
// order the compiler's workers happen to link them in, from run to run of
// CompileSources too, so such a conflict is written the same whichever way
// round it came.
func sortedDiags(err error) []string {
	var out []string
	for _, d := range registry.ErrorDiagnostics(err) {
		line := fmt.Sprintf("%s: %s", d.Position, d.Message)
		if m := conflict.FindStringSubmatch(line); m != nil {
			a, b := min(m[1], m[3]), max(m[1], m[3])
			line = fmt.Sprintf("%s defined at %s and at %s", m[2], a, b)
		}
		out = append(out, line)
	}
	slices.SortFunc(out, func(a, b string) int { return cmp.Compare(a, b) })
	return out
}

var conflict = regexp.MustCompile(`^(\S+): (symbol \S+|extension with tag \d+ for message \S+) already defined (?:as a package )?at (\S+)$`)

// TestCompileReusing compiles a tree again taking some of an earlier
// compilation's files as they are: the result is CompileSources's, even
// when the caller offers a file without the imports it was linked with.
func TestCompileReusing(t *testing.T) {
	t.Parallel()
	e := &evolvingTree{fields: map[string]int{}, rev: map[string]int{}}
	sources := e.build()
	first, err := compat.CompileSources(t.Context(), sources, compat.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	want, err := compat.CompileSources(t.Context(), sources, compat.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		reuse  []string
		reused bool // whether the reused files are taken as they are
	}{
		{"nothing", nil, false},
		{"a leaf and its imports", []string{"common/v1/money.proto", "common/v1/envelope.proto", "orders/v1/orders.proto"}, true},
		{"everything", evolvingFiles, true},
		{"a file without its import", []string{"common/v1/envelope.proto"}, false},
	} {
		reuse := map[string]protoreflect.FileDescriptor{}
		for _, p := range tc.reuse {
			reuse[p], _ = first.File(p)
		}
		got, err := compat.CompileReusing(t.Context(), sources, reuse, compat.DefaultLimits)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		sameDescriptors(t, tc.name, got, want)
		for p, fd := range reuse {
			if cur, _ := got.File(p); (cur == fd) != tc.reused {
				t.Errorf("%s: %s taken as it was: %t, want %t", tc.name, p, cur == fd, tc.reused)
			}
		}
	}
}

// TestDecodeFiles checks that files compiled, encoded and decoded give the
// schema a compilation gives, linked to one another as in a compilation,
// at every step of random edits, and that a missing or foreign descriptor
// fails the decoding.
func TestDecodeFiles(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 42))
	e := &evolvingTree{fields: map[string]int{}, rev: map[string]int{}}
	decoded := 0
	for step := range 150 {
		what := "initial"
		if step > 0 {
			what = e.edit(r)
		}
		sources := e.build()
		want, err := compat.CompileSources(t.Context(), sources, compat.DefaultLimits)
		if err != nil {
			continue
		}
		where := fmt.Sprintf("step %d (%s)", step, what)
		encoded := map[string][]byte{}
		for _, fd := range want.Files() {
			b, err := compat.EncodeFile(fd)
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			encoded[fd.Path()] = b
		}
		got, err := compat.DecodeFiles(t.Context(), sources, encoded)
		if err != nil {
			t.Fatalf("%s: DecodeFiles: %v", where, err)
		}
		sameDescriptors(t, where, got, want)
		for _, fd := range got.Files() {
			wfd, _ := want.File(fd.Path())
			if g, w := fd.SourceLocations().Len(), wfd.SourceLocations().Len(); g != w || g == 0 {
				t.Fatalf("%s: %s has %d source locations, want %d", where, fd.Path(), g, w)
			}
			imports := fd.Imports()
			for i := range imports.Len() {
				imp := imports.Get(i).FileDescriptor
				if cur, ok := got.File(imp.Path()); ok && cur != imp {
					t.Fatalf("%s: %s links to another decoding of %s", where, fd.Path(), imp.Path())
				}
			}
		}
		decoded++
		// A file missing, or another file's descriptor in its place.
		for p := range encoded {
			b := encoded[p]
			delete(encoded, p)
			if _, err := compat.DecodeFiles(t.Context(), sources, encoded); err == nil {
				t.Fatalf("%s: DecodeFiles without %s succeeded", where, p)
			}
			for q := range encoded {
				encoded[p] = encoded[q]
				break
			}
			if _, err := compat.DecodeFiles(t.Context(), sources, encoded); err == nil {
				t.Fatalf("%s: DecodeFiles with another file as %s succeeded", where, p)
			}
			encoded[p] = b
			break
		}
	}
	if decoded < 20 {
		t.Fatalf("%d trees decoded: too few", decoded)
	}
}

// TestChunkedMatchesWhole compiles random edits of a tree in chunks of two
// files (as a large tree compiles) and in one piece, and checks that both
// give the same descriptors (source info included) or the same
// diagnostics, and that Recompile over chunked results agrees too. Not
// parallel: it changes the package's chunk size.
func TestChunkedMatchesWhole(t *testing.T) {
	limits := compat.DefaultLimits
	for seed := range uint64(6) {
		r := rand.New(rand.NewPCG(seed, 7))
		e := &evolvingTree{fields: map[string]int{}, rev: map[string]int{}}
		var prev *compat.Schema
		var prevSources map[string][]byte
		failed := 0
		for step := range 80 {
			what := e.edit(r)
			sources := e.build()
			restore := compat.SetChunkFiles(1 << 30)
			want, wantErr := compat.CompileSources(t.Context(), sources, limits)
			restore()
			restore = compat.SetChunkFiles(2)
			got, gotErr := compat.CompileSources(t.Context(), sources, limits)
			var re *compat.Schema
			var reErr error
			if prev != nil {
				re, reErr = compat.Recompile(t.Context(), prev, prevSources, sources, limits)
			}
			restore()
			where := fmt.Sprintf("seed %d, step %d (%s)", seed, step, what)
			if (gotErr == nil) != (wantErr == nil) || (prev != nil && (reErr == nil) != (wantErr == nil)) {
				t.Fatalf("%s: chunked error %v, Recompile error %v, whole error %v", where, gotErr, reErr, wantErr)
			}
			if wantErr != nil {
				if g, w := sortedDiags(gotErr), sortedDiags(wantErr); !slices.Equal(g, w) {
					t.Fatalf("%s: chunked diagnostics\n%v\nwant\n%v", where, g, w)
				}
				failed++
				continue
			}
			sameDescriptors(t, where, got, want)
			if re != nil {
				sameDescriptors(t, where+", Recompile", re, want)
			}
			prev, prevSources = got, sources
		}
		if failed == 0 {
			t.Fatalf("seed %d: no edit failed to compile", seed)
		}
	}
}

// TestCompiledSourceInfoKeptOnce checks that a compiled file keeps its
// source info once, as its SourceLocations, and that EncodeFile still
// writes it: decoded, the file has the same locations.
func TestCompiledSourceInfoKeptOnce(t *testing.T) {
	t.Parallel()
	e := &evolvingTree{fields: map[string]int{"orders/v1/orders.proto": 2}, rev: map[string]int{}}
	sources := e.build()
	s, err := compat.CompileSources(t.Context(), sources, compat.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	encoded := map[string][]byte{}
	for _, f := range s.Files() {
		if r, ok := f.(interface {
			FileDescriptorProto() *descriptorpb.FileDescriptorProto
		}); !ok || r.FileDescriptorProto().SourceCodeInfo != nil {
			t.Fatalf("%s: the FileDescriptorProto copy of the source info is kept", f.Path())
		}
		if f.SourceLocations().Len() == 0 {
			t.Fatalf("%s: no source locations", f.Path())
		}
		b, err := compat.EncodeFile(f)
		if err != nil {
			t.Fatal(err)
		}
		encoded[f.Path()] = b
	}
	d, err := compat.DecodeFiles(t.Context(), sources, encoded)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range s.Files() {
		g, _ := d.File(f.Path())
		want, got := f.SourceLocations(), g.SourceLocations()
		if got.Len() != want.Len() {
			t.Fatalf("%s: %d locations decoded, want %d", f.Path(), got.Len(), want.Len())
		}
		for i := range want.Len() {
			w, g := want.Get(i), got.Get(i)
			if !slices.Equal(w.Path, g.Path) || w.StartLine != g.StartLine || w.StartColumn != g.StartColumn || w.EndLine != g.EndLine || w.EndColumn != g.EndColumn ||
				w.LeadingComments != g.LeadingComments || w.TrailingComments != g.TrailingComments || !slices.Equal(w.LeadingDetachedComments, g.LeadingDetachedComments) {
				t.Fatalf("%s: location %d decoded as %+v, want %+v", f.Path(), i, g, w)
			}
		}
	}
}
