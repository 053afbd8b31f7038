package gitsync_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/gitsync"
	"github.com/backbone-registry/backbone/internal/gitfixture"
)

func TestOpenWorkTreeAndResolve(t *testing.T) {
	t.Parallel()
	fx := gitfixture.New(t)
	c1 := fx.Commit("one", map[string]string{"schemas/registry.yaml": "company: acme\n"})
	fx.Tag("v1")
	c2 := fx.Commit("two", map[string]string{"README.md": "hi\n"})
	fx.Branch("feature")
	c3 := fx.Commit("three", map[string]string{"README.md": "hello\n"})

	// Found from a directory below the top, as git finds it.
	repo, top, err := gitsync.OpenWorkTree(filepath.Join(fx.Dir, "schemas"))
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := filepath.EvalSymlinks(fx.Dir); top != fx.Dir && top != want {
		t.Errorf("top: got %s, want %s", top, fx.Dir)
	}
	for rev, want := range map[string]string{"main": c2, "feature": c3, "HEAD": c3, "v1": c1, "HEAD~2": c1, c2: c2, c2[:8]: c2} {
		got, err := repo.Resolve(rev)
		if err != nil || got != want {
			t.Errorf("Resolve(%q): got %s, %v; want %s", rev, got, err, want)
		}
	}
	if _, err := repo.Resolve("origin/main"); registry.ErrorCode(err) != registry.ENOTFOUND {
		t.Errorf("unknown revision: got %v, want ENOTFOUND", err)
	}

	// A clone has the remote branches.
	clone := fx.Clone(0)
	crepo, _, err := gitsync.OpenWorkTree(clone.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := crepo.Resolve("origin/main"); err != nil || got != c2 {
		t.Errorf("origin/main: got %s, %v; want %s", got, err, c2)
	}

	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := gitsync.OpenWorkTree(outside); registry.ErrorCode(err) != registry.ENOTFOUND {
		t.Errorf("outside a repository: got %v, want ENOTFOUND", err)
	}
}

func TestFirstParents(t *testing.T) {
	t.Parallel()
	fx := gitfixture.New(t)
	var shas []string
	for _, msg := range []string{"a", "b", "c", "d"} {
		shas = append(shas, fx.Commit(msg, map[string]string{"f": msg}))
	}
	slices.Reverse(shas)
	repo, _, err := gitsync.OpenWorkTree(fx.Dir)
	if err != nil {
		t.Fatal(err)
	}
	got, shallow, err := repo.FirstParents(t.Context(), shas[0], 0)
	if err != nil || shallow || !slices.Equal(got, shas) {
		t.Errorf("all: got %v shallow %v err %v, want %v", got, shallow, err, shas)
	}
	got, shallow, _ = repo.FirstParents(t.Context(), shas[0], 2)
	if shallow || !slices.Equal(got, shas[:2]) {
		t.Errorf("limit 2: got %v shallow %v", got, shallow)
	}

	// A shallow clone ends at its boundary, and says so.
	clone := fx.Clone(2)
	crepo, _, err := gitsync.OpenWorkTree(clone.Dir)
	if err != nil {
		t.Fatal(err)
	}
	got, shallow, err = crepo.FirstParents(t.Context(), shas[0], 0)
	if err != nil || !shallow || !slices.Equal(got, shas[:2]) {
		t.Errorf("shallow clone: got %v shallow %v err %v, want %v and shallow", got, shallow, err, shas[:2])
	}
}
