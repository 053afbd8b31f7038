package catalog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/compat"
)

// TestLimitsFromRegistryYAML: registry.yaml's limits: bound the tree, the
// command line's limits win over them, and the defaults fill the rest.
func TestLimitsFromRegistryYAML(t *testing.T) {
	t.Parallel()
	big := set("common/v1/big.proto", "syntax = \"proto3\";\npackage acme.common.v1;\n"+strings.Repeat("// padding line\n", 200)) // 3.2 KB
	yaml := func(limits string) change { return set(repoYAML, "company: acme\nlimits:\n"+limits) }
	load := func(t *testing.T, flags compat.Limits, changes ...change) (*Catalog, error) {
		t.Helper()
		opts := testOptions()
		opts.Limits = flags
		return Load(t.Context(), repoWith(t, changes...), opts)
	}
	tooBig := func(t *testing.T, err error, limit string) {
		t.Helper()
		d := registry.ErrorDiagnostics(err)
		want := "3.2 KiB is over the per-file limit of " + limit + "; raise it with limits.max_file_size in registry.yaml or --max-file-size"
		if len(d) != 1 || d[0].File != "common/v1/big.proto" || d[0].Message != want {
			t.Fatalf("Load: %v, want one diagnostic at common/v1/big.proto: %q", err, want)
		}
	}

	t.Run("default", func(t *testing.T) {
		t.Parallel()
		c, err := load(t, compat.Limits{}, big)
		if err != nil {
			t.Fatal(err)
		}
		if c.Limits() != compat.DefaultLimits {
			t.Errorf("Limits() = %+v, want the defaults", c.Limits())
		}
	})
	t.Run("the caller's defaults stand under registry.yaml", func(t *testing.T) {
		t.Parallel()
		opts := testOptions()
		opts.Defaults = compat.Limits{Timeout: 10 * time.Minute} // registry lint's
		c, err := Load(t.Context(), repoWith(t, big), opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Limits(); got.Timeout != 10*time.Minute || got.MaxFileSize != compat.DefaultLimits.MaxFileSize {
			t.Errorf("Limits() = %+v, want the caller's timeout and the other defaults", got)
		}
		c, err = Load(t.Context(), repoWith(t, big, yaml("  compile_timeout: 90s\n")), opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Limits().Timeout; got != 90*time.Second {
			t.Errorf("Timeout = %s, want registry.yaml's 90s over the caller's default", got)
		}
		opts.Limits.Timeout = 2 * time.Minute
		if l, err := opts.LimitsOf()([]byte("company: acme\nlimits:\n  compile_timeout: 90s\n")); err != nil || l.Timeout != 2*time.Minute {
			t.Errorf("LimitsOf with a flag: %+v, %v, want the flag's 2m", l, err)
		}
	})
	t.Run("registry.yaml lowers it", func(t *testing.T) {
		t.Parallel()
		_, err := load(t, compat.Limits{}, big, yaml("  max_file_size: 2KiB\n"))
		tooBig(t, err, "2 KiB")
	})
	t.Run("the flag wins over registry.yaml", func(t *testing.T) {
		t.Parallel()
		_, err := load(t, compat.Limits{MaxFileSize: 2 << 10}, big, yaml("  max_file_size: 1MiB\n"))
		tooBig(t, err, "2 KiB")
		c, err := load(t, compat.Limits{MaxFileSize: 1 << 20}, big, yaml("  max_file_size: 2KiB\n"))
		if err != nil {
			t.Fatalf("Load with --max-file-size 1MiB over max_file_size: 2KiB: %v", err)
		}
		if got := c.Limits().MaxFileSize; got != 1<<20 {
			t.Errorf("MaxFileSize = %d, want the flag's", got)
		}
	})
	t.Run("every key", func(t *testing.T) {
		t.Parallel()
		c, err := load(t, compat.Limits{MaxFiles: 7}, yaml("  max_file_size: 5MB\n  max_files: 100\n  max_total_size: 1 GiB\n  max_depth: 8\n  max_nesting: 32\n  compile_timeout: 2m\n"))
		if err != nil {
			t.Fatal(err)
		}
		want := compat.Limits{MaxFileSize: 5_000_000, MaxFiles: 7, MaxTotalSize: 1 << 30, MaxDepth: 8, MaxNesting: 32, Timeout: 2 * time.Minute}
		if got := c.Limits(); got != want {
			t.Errorf("Limits() = %+v, want %+v", got, want)
		}
	})
	t.Run("the total", func(t *testing.T) {
		t.Parallel()
		_, err := load(t, compat.Limits{}, yaml("  max_total_size: 1KiB\n"))
		d := registry.ErrorDiagnostics(err)
		if len(d) != 1 || !strings.Contains(d[0].Message, "over the total-size limit of 1 KiB; raise it with limits.max_total_size in registry.yaml or --max-total-size") {
			t.Fatalf("Load: %v, want the total-size limit", err)
		}
	})
	t.Run("bad values at line and column", func(t *testing.T) {
		t.Parallel()
		_, err := load(t, compat.Limits{}, yaml("  max_file_size: 16 furlongs\n  max_files: -3\n  max_total_size: lots\n  max_depth: 1.5\n  compile_timeout: soon\n  max_nesting: 0\n"))
		want := []wantDiag{
			{repoYAML, 3, 18, `limits: max_file_size: size "16 furlongs"`},
			{repoYAML, 4, 14, `limits: max_files: "-3" is not a whole number of at least 1`},
			{repoYAML, 5, 19, `limits: max_total_size: size "lots"`},
			{repoYAML, 6, 14, `limits: max_depth: "1.5"`},
			{repoYAML, 7, 20, `limits: compile_timeout: "soon" is not a positive duration`},
			{repoYAML, 8, 16, `limits: max_nesting: "0"`},
		}
		checkDiags(t, err, want)
	})
	t.Run("unknown key", func(t *testing.T) {
		t.Parallel()
		_, err := load(t, compat.Limits{}, yaml("  max_file: 16MiB\n"))
		checkDiags(t, err, []wantDiag{{repoYAML, 3, 3, `unknown field "max_file"`}})
	})
}

func checkDiags(t *testing.T, err error, want []wantDiag) {
	t.Helper()
	got := registry.ErrorDiagnostics(err)
	if len(got) != len(want) {
		t.Fatalf("got %d diagnostics, want %d:\n%v", len(got), len(want), err)
	}
	for i, w := range want {
		g := got[i]
		if g.File != w.file || g.Line != w.line || g.Column != w.col || !strings.Contains(g.Message, w.message) {
			t.Errorf("diagnostic %d: %s, want %s:%d:%d: …%s…", i, g, w.file, w.line, w.col, w.message)
		}
	}
}

// TestLoadSymlinkedDirectory: a symlinked directory in the schema tree is
// an error, not a silent hole in the catalog.
func TestLoadSymlinkedDirectory(t *testing.T) {
	t.Parallel()
	root, outside := t.TempDir(), t.TempDir()
	for name, content := range baseFiles {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(root, "retail", "linked")); err != nil {
		t.Fatalf("symlink: %v", err)
	}
	_, err := Load(t.Context(), os.DirFS(root), testOptions())
	checkDiags(t, err, []wantDiag{{"retail/linked", 0, 0, "a symlink to a directory (symlinks are not followed"}})
}
