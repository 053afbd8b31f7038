package synthrepo

import (
	"fmt"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/memory"
)

// Built is a generated repository on disk.
type Built struct {
	Repo *git.Repository // the bare repository at Dir
	Dir  string
	Head *Gen         // branch main, at the last commit
	At   map[int]*Gen // the states asked for, by commit count, each on its own branch
}

// Branch names the branch Build makes for the state after n commits.
func Branch(n int) string { return fmt.Sprintf("at-%d", n) }

// Build generates commits commits (the initial one included) in memory,
// writes them as one packfile (delta window window; 0: no deltas) into a
// new bare repository at dir, points main at the last commit and, for each
// n of at, a branch Branch(n) at commit n. The returned Gens write further
// commits as loose objects into that repository; SetHead moves a branch.
// progress, if set, hears every 1,000 commits.
func Build(dir string, cfg Config, commits int, window uint, at []int, progress func(done int)) (*Built, error) {
	b, mem, err := generate(cfg, commits, at, progress)
	if err != nil {
		return nil, err
	}
	b.Dir = dir
	g := b.Head
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		Bare:        true,
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		return nil, err
	}
	pw, ok := repo.Storer.(storer.PackfileWriter)
	if !ok {
		return nil, fmt.Errorf("storage of %s cannot write packfiles", dir)
	}
	w, err := pw.PackfileWriter()
	if err != nil {
		return nil, err
	}
	hashes := make([]plumbing.Hash, 0, len(mem.Objects))
	for h := range mem.Objects {
		hashes = append(hashes, h)
	}
	if _, err := packfile.NewEncoder(w, mem, false).Encode(hashes, window); err != nil {
		w.Close()
		return nil, fmt.Errorf("write packfile: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("write packfile: %w", err)
	}
	b.Repo = repo
	for _, s := range append([]*Gen{g}, mapValues(b.At)...) {
		s.Storer = repo.Storer
	}
	if err := b.SetHead("main", g); err != nil {
		return nil, err
	}
	for n, s := range b.At {
		if err := b.SetHead(Branch(n), s); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// SetHead points branch at g's head commit, as a push would.
func (b *Built) SetHead(branch string, g *Gen) error {
	return b.Repo.Storer.SetReference(plumbing.NewHashReference(plumbing.NewBranchReferenceName(branch), g.Head))
}

func mapValues(m map[int]*Gen) []*Gen {
	out := make([]*Gen, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// generate makes the commits of Build in memory.
func generate(cfg Config, commits int, at []int, progress func(done int)) (*Built, *memory.Storage, error) {
	mem := memory.NewStorage()
	g := New(cfg, mem)
	b := &Built{At: map[int]*Gen{}}
	want := map[int]bool{}
	for _, n := range at {
		want[n] = true
	}
	if _, err := g.Initial(); err != nil {
		return nil, nil, err
	}
	for g.Commits < commits {
		if want[g.Commits] {
			b.At[g.Commits] = g.Fork(uint64(g.Commits))
		}
		if _, _, err := g.Next(); err != nil {
			return nil, nil, err
		}
		if progress != nil && g.Commits%1000 == 0 {
			progress(g.Commits)
		}
	}
	if want[g.Commits] {
		b.At[g.Commits] = g.Fork(uint64(g.Commits))
	}
	b.Head = g
	return b, mem, nil
}

// Reopen returns the repository an earlier Build with the same arguments
// made at dir, without writing anything: the generation is deterministic,
// so the Gens come back in the states Build left them in. Their commits
// since then are on disk already: Replay catches each up with its branch.
func Reopen(dir string, cfg Config, commits int, at []int, progress func(done int)) (*Built, error) {
	b, _, err := generate(cfg, commits, at, progress)
	if err != nil {
		return nil, err
	}
	repo, err := git.PlainOpen(dir)
	if err != nil {
		return nil, err
	}
	b.Repo, b.Dir = repo, dir
	return b, nil
}

// Replay repeats on g, a Gen of Reopen (or a Fork of one), the commits
// made on branch since, until g's head is the branch's head, then makes g
// write to the repository. It fails if the branch's head never comes up.
func (b *Built) Replay(branch string, g *Gen) error {
	ref, err := b.Repo.Reference(plumbing.NewBranchReferenceName(branch), true)
	if err != nil {
		return fmt.Errorf("branch %s: %w", branch, err)
	}
	for i := 0; g.Head != ref.Hash(); i++ {
		if i == 100_000 {
			return fmt.Errorf("branch %s: head %s is not a later state of the generated history (other arguments than the Build's?)", branch, ref.Hash())
		}
		if _, _, err := g.Next(); err != nil {
			return err
		}
	}
	g.Storer = b.Repo.Storer
	return nil
}
