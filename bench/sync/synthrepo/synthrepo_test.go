package synthrepo_test

import (
	"maps"
	"path/filepath"
	"slices"
	"testing"

	"github.com/backbone-registry/backbone/bench/sync/synthrepo"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/gitsync"
)

// TestGeneratedRepositoryIsClean checks what the benchmarks rely on: the
// catalog loads with no finding at the first and last commits, and the
// trees Git serves are the files the generator wrote.
func TestGeneratedRepositoryIsClean(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "repo.git")
	b, err := synthrepo.Build(dir, synthrepo.Config{Services: 12}, 60, 10, []int{1, 30}, nil)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := gitsync.Open(t.Context(), gitsync.Config{Source: dir})
	if err != nil {
		t.Fatal(err)
	}
	opts := gitsync.TreeOptions{Root: synthrepo.Root, Want: catalog.IsRepositoryFile}
	for _, g := range []*synthrepo.Gen{b.At[1], b.At[30], b.Head} {
		files := g.SchemaFiles()
		cat, err := catalog.LoadFiles(t.Context(), files, catalog.Options{})
		if err != nil {
			t.Fatalf("after %d commits: %v", g.Commits, err)
		}
		if f := cat.Findings(); len(f) > 0 {
			t.Errorf("after %d commits: %d findings, want none; first: %+v", g.Commits, len(f), f[0])
		}
		if n := len(cat.Topics(catalog.TopicFilter{})); n != 12*synthrepo.TopicsPerService {
			t.Errorf("after %d commits: %d topics", g.Commits, n)
		}
		tree, err := repo.Tree(t.Context(), g.Head.String(), opts)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.EqualFunc(tree, files, slices.Equal) {
			t.Errorf("after %d commits: the Git tree differs from the generated files", g.Commits)
		}
	}
	// A fork commits on its own branch, as loose objects.
	f := b.At[30]
	if _, _, err := f.Next(); err != nil {
		t.Fatal(err)
	}
	if err := b.SetHead(synthrepo.Branch(30), f); err != nil {
		t.Fatal(err)
	}
	tree, err := repo.Tree(t.Context(), f.Head.String(), opts)
	if err != nil || !maps.EqualFunc(tree, f.SchemaFiles(), slices.Equal) {
		t.Errorf("fork: tree differs (%v)", err)
	}
	commits, _, err := repo.Since(t.Context(), f.Head.String(), "", 0)
	if err != nil || len(commits) != 31 {
		t.Errorf("fork: %d commits on its history (%v), want 31", len(commits), err)
	}
}
