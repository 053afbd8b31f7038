package gitfixture

import (
	"os"
	"os/exec"
	"path/filepath"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// Write changes the work tree without committing (content Delete removes
// a file), as a developer's uncommitted edits or a CI checkout of a pull
// request look to `registry lint`.
func (r *Repo) Write(files map[string]string) {
	r.t.Helper()
	for name, content := range files {
		p := filepath.Join(r.Dir, filepath.FromSlash(name))
		if content == Delete {
			if err := os.Remove(p); err != nil {
				r.t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if fi, err := os.Lstat(p); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			if err := os.Remove(p); err != nil { // never write through a link
				r.t.Fatal(err)
			}
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
}

// Branch creates a branch at the head and checks it out: later commits go
// to it, and main stays where it was, as for a pull request.
func (r *Repo) Branch(name string) {
	r.t.Helper()
	wt, err := r.repo.Worktree()
	if err != nil {
		r.t.Fatal(err)
	}
	if err := wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName(name), Create: true, Keep: true}); err != nil {
		r.t.Fatal(err)
	}
}

// Tag makes a lightweight tag at the head.
func (r *Repo) Tag(name string) {
	r.t.Helper()
	head, err := r.repo.Head()
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.repo.CreateTag(name, head.Hash(), nil); err != nil {
		r.t.Fatal(err)
	}
}

// Clone clones the repository into a new temp dir through a file:// URL,
// as CI checks a repository out: origin/main and the other branches become
// remote branches. depth > 0 makes a shallow clone of that many commits
// (actions/checkout's default is 1). It needs the git binary, which the
// file transport runs; without it the test skips, or fails when CI is set.
func (r *Repo) Clone(depth int) *Repo {
	r.t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("CI") != "" {
			r.t.Fatal("git is not installed: CI must run this test (the file:// transport needs git-upload-pack)")
		}
		r.t.Skip("git is not installed: the file:// transport needs git-upload-pack")
	}
	dir := r.t.TempDir()
	repo, err := git.PlainClone(dir, false, &git.CloneOptions{URL: "file://" + filepath.ToSlash(r.Dir), Depth: depth})
	if err != nil {
		r.t.Fatal(err)
	}
	return &Repo{t: r.t, Dir: dir, repo: repo, when: r.when}
}
