package gitsync

import (
	"context"
	"errors"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	registry "github.com/backbone-registry/backbone"
)

// Commit returns a commit's identity and message.
func (r *Repo) Commit(sha string) (registry.Commit, error) {
	c, err := r.repo.CommitObject(plumbing.NewHash(sha))
	if err != nil {
		return registry.Commit{}, registry.Errorf(registry.ENOTFOUND, "commit %s: %v", sha, err)
	}
	return toCommit(c), nil
}

func toCommit(c *object.Commit) registry.Commit {
	return registry.Commit{
		SHA:     c.Hash.String(),
		Author:  c.Author.Name,
		Email:   c.Author.Email,
		Time:    c.Author.When.UTC(),
		Message: strings.TrimSpace(c.Message),
	}
}

// Since returns the first-parent history from head back to (not including)
// since, oldest first. An empty since walks back to the root commit, or
// limit commits (limit > 0). found is false when since is not on head's
// first-parent history: the branch was rewritten (force-push), and the
// caller decides how to resume.
func (r *Repo) Since(ctx context.Context, head, since string, limit int) (commits []registry.Commit, found bool, err error) {
	c, err := r.repo.CommitObject(plumbing.NewHash(head))
	if err != nil {
		return nil, false, registry.Errorf(registry.ENOTFOUND, "commit %s: %v", head, err)
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		if c.Hash.String() == since {
			found = true
			break
		}
		commits = append(commits, toCommit(c))
		if limit > 0 && len(commits) >= limit || c.NumParents() == 0 {
			break
		}
		parent, err := c.Parent(0)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			break // a shallow clone ends here
		}
		if err != nil {
			return nil, false, err
		}
		c = parent
	}
	for i, j := 0, len(commits)-1; i < j; i, j = i+1, j-1 {
		commits[i], commits[j] = commits[j], commits[i]
	}
	return commits, found || since == "", nil
}

// Contains reports whether sha is on head's first-parent history.
func (r *Repo) Contains(ctx context.Context, head, sha string) (bool, error) {
	_, found, err := r.Since(ctx, head, sha, 0)
	return found, err
}
