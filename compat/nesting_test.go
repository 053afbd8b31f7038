package compat

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	registry "github.com/backbone-registry/backbone"
)

// nestedOption is a file whose option value is a message literal nested
// depth levels deep, with the custom option it sets defined in the file:
// 4 bytes per level, and before the nesting limit 700 MB of allocations
// for 10,000 levels.
func nestedOption(depth int) []byte {
	var b strings.Builder
	b.WriteString("syntax = \"proto3\";\npackage my;\nimport \"google/protobuf/descriptor.proto\";\n" +
		"message M { repeated M a = 1; }\nextend google.protobuf.FileOptions { M opt = 50000; }\noption (my.opt) = ")
	b.WriteString(strings.Repeat("{a:", depth))
	b.WriteString("{}")
	b.WriteString(strings.Repeat("}", depth))
	b.WriteString(";\n")
	return []byte(b.String())
}

// wideOption is a file whose option value holds n literals, each nested
// depth levels deep.
func wideOption(n, depth int) []byte {
	var b strings.Builder
	b.WriteString("syntax = \"proto3\";\npackage my;\nimport \"google/protobuf/descriptor.proto\";\n" +
		"message M { repeated M a = 1; }\nextend google.protobuf.FileOptions { M opt = 50000; }\noption (my.opt) = {\n")
	for range n {
		b.WriteString(strings.Repeat("a:{", depth))
		b.WriteString(strings.Repeat("}", depth))
		b.WriteString("\n")
	}
	b.WriteString("};\n")
	return []byte(b.String())
}

// allocated returns the bytes f allocates. Tests calling it are not
// parallel, so that other tests' allocations do not count.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestCompileRefusesDeepNestingCheaply(t *testing.T) { // not parallel: measures allocations
	src := nestedOption(10_000)
	var err error
	cost := allocated(func() {
		_, err = CompileSources(t.Context(), map[string][]byte{"a.proto": src}, DefaultLimits)
	})
	diags := registry.ErrorDiagnostics(err)
	if registry.ErrorCode(err) != registry.EINVALID || len(diags) != 1 {
		t.Fatalf("CompileSources = %v, want one EINVALID diagnostic", err)
	}
	// The 65th "{" of line 6: `option (my.opt) = ` is 18 columns (its
	// parentheses close before the literal), and each level is "{a:".
	want := registry.Position{File: "a.proto", Line: 6, Column: 19 + 64*3}
	if diags[0].Position != want || !strings.Contains(diags[0].Message, "deeper than 64 levels, over the nesting limit") {
		t.Errorf("diagnostic %s, want at %s naming the limit MaxNesting", diags[0], want)
	}
	// Scanning allocates nothing per byte; the error and the map are all.
	if limit := uint64(len(src)) + 64<<10; cost > limit {
		t.Errorf("refusing a %d-byte file allocated %d bytes, want at most %d", len(src), cost, limit)
	}
}

func TestCompileCostLinearBelowTheNestingLimit(t *testing.T) { // not parallel: measures allocations
	compile := func(src []byte) uint64 {
		return allocated(func() {
			if _, err := CompileSources(t.Context(), map[string][]byte{"a.proto": src}, DefaultLimits); err != nil {
				t.Fatalf("CompileSources: %v", err)
			}
		})
	}
	// At the limit (the option's parentheses are not counted: the literal
	// starts a new statement's brackets), twice the literals cost about
	// twice as much, and every byte a bounded multiple: 1,000 bytes or so
	// measured, 4,096 allowed.
	small, large := wideOption(200, 63), wideOption(400, 63)
	cs, cl := compile(small), compile(large)
	if ratio := float64(cl) / float64(cs); ratio > 2.5 {
		t.Errorf("twice the input allocated %.1fx as much (%d, then %d bytes), want about 2x", ratio, cs, cl)
	}
	if perByte := cl / uint64(len(large)); perByte > 4096 {
		t.Errorf("a %d-byte file allocated %d bytes per byte, want at most 4096", len(large), perByte)
	}
}

func TestCompileAbandonedWorkEndsBeforeItReturns(t *testing.T) {
	t.Parallel()
	// The compiler returns as soon as ctx ends, while its goroutine goes on
	// parsing: compile must not return before it has stopped.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	open := newSources()
	opened := 0
	open.opened = func() { opened++; cancel() }
	limits := DefaultLimits
	limits.MaxNesting = -1 // the slow file the nesting limit would refuse
	_, err := compileTracked(ctx, map[string][]byte{"a.proto": nestedOption(3_000)}, nil, nil, limits, open)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("compile = %v, want the cancellation", err)
	}
	open.mu.Lock()
	defer open.mu.Unlock()
	if opened != 1 || open.n != 0 {
		t.Errorf("compile returned with %d of %d opened files still being compiled, want 0 of 1", open.n, opened)
	}
}

func TestScanNesting(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, src string
		max       int
		want      string // "" for none
	}{
		{"at the limit", "message A { message B { map<string, C> c = 1; } }", 3, ""},
		{"over the limit", "message A { message B {\n  map<string, C> c = 1; } }", 2, "a.proto:2:6"},
		{"strings do not count", `option (o) = { s: "{{{{\"{{{{" t: '{{{{\'{{' };`, 2, ""},
		{"comments do not count", "// {{{{\n/* {{{{ * / {{ */ message A {}", 1, ""},
		{"lists count", "option (o) = { a: [ { b: [ 1 ] } ] };", 3, "a.proto:1:26"},
		{"columns count runes", "// é\nmessage Ü { message B { } }", 1, "a.proto:2:23"},
		{"closing brackets lower the depth", "message A {} message B {} message C { message D {} }", 2, ""},
		{"unbalanced is the compiler's business", "}}}} message A { message B {} }", 2, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ""
			if d := scanNesting("a.proto", []byte(tc.src), tc.max, Limits{}); d != nil {
				got = d.Position.String()
			}
			if got != tc.want {
				t.Errorf("scanNesting(%q, %d) at %q, want %q", tc.src, tc.max, got, tc.want)
			}
		})
	}
}

// plainFile is an ordinary .proto file of n messages.
func plainFile(n int) []byte {
	var b strings.Builder
	b.WriteString("syntax = \"proto3\";\npackage my;\n")
	for i := range n {
		fmt.Fprintf(&b, "// Message %d, with a comment {braces} \"and quotes\".\nmessage M%d {\n  string a = 1 [json_name = \"x\"];\n  repeated string c = 3;\n  map<string, int32> e = 5;\n}\n", i, i)
	}
	return []byte(b.String())
}

// BenchmarkScanNesting measures the pre-scan against the compilation it
// guards, on the same ordinary file: the ratio of the two is its overhead.
func BenchmarkScanNesting(b *testing.B) {
	src := plainFile(2_000)
	b.Run("scan", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			if d := scanNesting("a.proto", src, DefaultLimits.MaxNesting, Limits{}); d != nil {
				b.Fatal(d)
			}
		}
	})
	b.Run("compile", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			if _, err := CompileSources(b.Context(), map[string][]byte{"a.proto": src}, DefaultLimits); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestChunkedAbandonedWorkEndsBeforeItReturns is the test above for a tree
// compiled in chunks. Not parallel: it changes the chunk size.
func TestChunkedAbandonedWorkEndsBeforeItReturns(t *testing.T) {
	defer SetChunkFiles(1)()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	open := newSources()
	opened := 0
	open.opened = func() { opened++; cancel() }
	limits := DefaultLimits
	limits.MaxNesting = -1
	sources := map[string][]byte{"a.proto": nestedOption(3_000), "b.proto": nestedOption(3_000), "c.proto": nestedOption(3_000)}
	_, err := compileTracked(ctx, sources, nil, nil, limits, open)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("compile = %v, want the cancellation", err)
	}
	open.mu.Lock()
	defer open.mu.Unlock()
	if opened == 0 || open.n != 0 {
		t.Errorf("compile returned with %d of %d opened files still being compiled, want 0", open.n, opened)
	}
}
