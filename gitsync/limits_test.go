package gitsync

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/internal/limit"
)

// commitSymlink commits a symbolic link name → target (as Git stores it,
// without following it).
func (f *fixture) commitSymlink(name, target string) string {
	f.t.Helper()
	if err := os.Symlink(target, filepath.Join(f.dir, filepath.FromSlash(name))); err != nil {
		f.t.Fatalf("symlink: %v", err)
	}
	wt, err := f.repo.Worktree()
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := wt.Add(name); err != nil {
		f.t.Fatal(err)
	}
	return f.commit("symlink "+name, nil)
}

func wantProblems(t *testing.T, err error, want ...string) {
	t.Helper()
	d := registry.ErrorDiagnostics(err)
	if registry.ErrorCode(err) != registry.EINVALID || len(d) != len(want) {
		t.Fatalf("got %v, want %d problems: %q", err, len(want), want)
	}
	for i, w := range want {
		if got := d[i].String(); !strings.Contains(got, w) {
			t.Errorf("problem %d: %q, want it to contain %q", i, got, w)
		}
	}
}

// TestSymlinkedDirectory: a symlink to a directory under the schema root
// is an error, whether the tree is read whole or updated from an earlier
// one, though no wanted file is named by it; other symlinks that are not
// wanted stay ignored.
func TestSymlinkedDirectory(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c1 := f.commit("first", map[string]string{"schemas/registry.yaml": "company: acme\n", "schemas/real/x.proto": "x", "schemas/README.md": "hi"})
	f.commitSymlink("schemas/NOTES.md", "README.md")
	c2 := f.commitSymlink("schemas/linked", "real")
	r, err := Open(t.Context(), Config{Source: f.dir})
	if err != nil {
		t.Fatal(err)
	}
	opts := TreeOptions{Root: "schemas", Want: func(n string) bool { return strings.HasSuffix(n, ".proto") || strings.HasSuffix(n, ".yaml") }}
	_, err = r.Tree(t.Context(), c2, opts)
	wantProblems(t, err, "linked: "+limit.SymlinkedDir)

	prev, err := r.Tree(t.Context(), c1, opts)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = r.Update(t.Context(), prev, c1, c2, opts)
	wantProblems(t, err, "linked: "+limit.SymlinkedDir)
}

// TestTreeLimits: the tree's own limits file sets the limits; only .proto
// files count towards the file count and the total; every error names the
// file, its size and how to raise the limit, in Tree and Update alike.
func TestTreeLimits(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c1 := f.commit("first", map[string]string{"limits": "", "a.proto": strings.Repeat("a", 100), "b.proto": "b", "c.yaml": "c", "d.yaml": "d"})
	c2 := f.commit("lower the limits", map[string]string{"limits": "50"})
	c3 := f.commit("a third .proto", map[string]string{"limits": "", "e.proto": "e"})
	r, err := Open(t.Context(), Config{Source: f.dir})
	if err != nil {
		t.Fatal(err)
	}
	// The limits file holds the per-file limit; the file count is 2.
	opts := TreeOptions{LimitsFile: "limits", LimitsOf: func(b []byte) (limit.Limits, error) {
		l := limit.Limits{MaxFiles: 2}
		if len(b) > 0 {
			n, err := limit.ParseSize(string(b))
			l.MaxFileSize = n
			return l, err
		}
		return l, nil
	}}
	prev, err := r.Tree(t.Context(), c1, opts)
	if err != nil {
		t.Fatalf("two .proto files and two YAML files under a limit of 2 files: %v", err)
	}
	tooBig := "a.proto: 100 B is over the per-file limit of 50 B; raise it with limits.max_file_size in registry.yaml or --max-file-size"
	_, err = r.Tree(t.Context(), c2, opts)
	wantProblems(t, err, tooBig)
	_, _, err = r.Update(t.Context(), prev, c1, c2, opts) // a.proto did not change, the limit did
	wantProblems(t, err, tooBig)

	tooMany := "e.proto: more than 2 .proto files: this is the first past the file-count limit of 2; raise it with limits.max_files in registry.yaml or --max-files"
	_, err = r.Tree(t.Context(), c3, opts)
	wantProblems(t, err, tooMany)
	_, _, err = r.Update(t.Context(), prev, c1, c3, opts)
	wantProblems(t, err, tooMany)

	total := TreeOptions{Limits: limit.Limits{MaxTotalSize: 100}}
	_, err = r.Tree(t.Context(), c1, total)
	wantProblems(t, err, "b.proto: the .proto files total 101 B with this one, over the total-size limit of 100 B; raise it with limits.max_total_size in registry.yaml or --max-total-size")
}
