package gitsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	registry "github.com/backbone-registry/backbone"
)

// OpenWorkTree opens the Git repository whose work tree contains dir,
// looking in dir and its parents as git does, and returns it with the work
// tree's root directory. It is how `registry lint` finds the history of the
// checkout it runs in. It returns ENOTFOUND when dir is in no repository.
func OpenWorkTree(dir string) (*Repo, string, error) {
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, "", registry.Errorf(registry.ENOTFOUND, "%s is not in a Git repository", dir)
	}
	if err != nil {
		return nil, "", registry.Errorf(registry.EINVALID, "open the Git repository around %s: %v", dir, err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		return nil, "", registry.Errorf(registry.EINVALID, "%s: a bare repository has no work tree to check", dir)
	}
	root := wt.Filesystem.Root()
	return &Repo{cfg: Config{Source: root}, repo: repo, log: slog.New(slog.DiscardHandler)}, root, nil
}

// Resolve returns the commit a revision names: a branch (main), a remote
// branch (origin/main), a tag (annotated tags are peeled), a full or
// abbreviated SHA, or an expression such as HEAD~2. It returns ENOTFOUND
// when the repository has no such revision.
func (r *Repo) Resolve(rev string) (string, error) {
	h, err := r.repo.ResolveRevision(plumbing.Revision(rev))
	switch {
	case errors.Is(err, plumbing.ErrReferenceNotFound), errors.Is(err, plumbing.ErrObjectNotFound):
		return "", registry.Errorf(registry.ENOTFOUND, "unknown revision %q: no such branch, tag or commit here (a CI checkout may need the base branch fetched, e.g. fetch-depth: 0)", rev)
	case err != nil:
		return "", registry.Errorf(registry.EINVALID, "revision %q: %v", rev, err)
	}
	return h.String(), nil
}

// FirstParents returns head and the commits before it on its first-parent
// history, newest first, at most limit of them (limit <= 0: all). shallow
// is true when the walk ended because a parent is missing from the object
// store, as at the boundary of a shallow clone, rather than at the root
// commit or the limit.
func (r *Repo) FirstParents(ctx context.Context, head string, limit int) (shas []string, shallow bool, err error) {
	c, err := r.repo.CommitObject(plumbing.NewHash(head))
	if err != nil {
		return nil, false, registry.Errorf(registry.ENOTFOUND, "commit %s: %v", short(head), err)
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		shas = append(shas, c.Hash.String())
		if limit > 0 && len(shas) >= limit || c.NumParents() == 0 {
			return shas, false, nil
		}
		parent, err := c.Parent(0)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			return shas, true, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("parent of %s: %w", short(c.Hash.String()), err)
		}
		c = parent
	}
}
