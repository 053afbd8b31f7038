package main

import (
	"os"
	"path/filepath"
	"testing"
)

// A linked work tree (git worktree add) keeps its branches in the main
// repository's .git directory; an ordinary repository in its own root.
func TestCommonDir(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	main := filepath.Join(base, "main")
	linked := filepath.Join(base, "linked")
	admin := filepath.Join(main, ".git", "worktrees", "linked")
	for _, d := range []string{admin, linked} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(path, content string) {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(linked, ".git"), "gitdir: "+admin+"\n")
	write(filepath.Join(admin, "commondir"), "../..\n")
	if got, want := commonDir(linked), filepath.Join(main, ".git"); got != want {
		t.Errorf("linked work tree: %s, want %s", got, want)
	}
	if got := commonDir(main); got != main {
		t.Errorf("ordinary repository: %s, want %s", got, main)
	}
	write(filepath.Join(base, ".git"), "not a gitdir line")
	if got := commonDir(base); got != base {
		t.Errorf("unreadable .git file: %s, want %s", got, base)
	}
}
