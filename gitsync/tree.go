package gitsync

import (
	"context"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	registry "github.com/backbone-registry/backbone"
)

// TreeOptions select and bound the files read from a tree.
type TreeOptions struct {
	Root        string                 // the schema root inside the repository ("" or "." for the top)
	Want        func(name string) bool // which files to read (paths relative to Root); nil: all
	MaxFileSize int64                  // bytes; 0: no limit
	MaxFiles    int                    // 0: no limit
	// Known holds files whose content the caller has already (a work
	// tree, say): Tree takes a file whose blob is that very content from
	// Known, the same slice, instead of reading and inflating the object.
	Known map[string][]byte
}

// Tree reads the files under opts.Root at a commit, keyed by their path
// relative to the root. Symlinks and submodules are refused.
func (r *Repo) Tree(ctx context.Context, sha string, opts TreeOptions) (map[string][]byte, error) {
	tree, err := r.rootTree(sha, opts.Root)
	if err != nil || tree == nil {
		return map[string][]byte{}, err
	}
	files := map[string][]byte{}
	var problems []registry.Diagnostic
	walker := object.NewTreeWalker(tree, true, nil)
	defer walker.Close()
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		name, entry, err := walker.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("walk tree %s: %w", sha, err)
		}
		if entry.Mode == filemode.Dir || (opts.Want != nil && !opts.Want(name)) {
			continue
		}
		if entry.Mode == filemode.Symlink || entry.Mode == filemode.Submodule {
			problems = append(problems, registry.Diagnostic{Position: registry.Position{File: name}, Message: "not a regular file (symlinks and submodules are not followed)"})
			continue
		}
		if opts.MaxFiles > 0 && len(files) >= opts.MaxFiles {
			problems = append(problems, registry.Diagnostic{Position: registry.Position{File: name}, Message: fmt.Sprintf("more than %d files (limit)", opts.MaxFiles)})
			break
		}
		if data, ok := opts.Known[name]; ok && (opts.MaxFileSize <= 0 || int64(len(data)) <= opts.MaxFileSize) && plumbing.ComputeHash(plumbing.BlobObject, data) == entry.Hash {
			files[name] = data
			continue
		}
		data, err := r.blob(entry.Hash, opts.MaxFileSize)
		if err != nil {
			problems = append(problems, registry.Diagnostic{Position: registry.Position{File: name}, Message: err.Error()})
			continue
		}
		files[name] = data
	}
	if len(problems) > 0 {
		return nil, &registry.Error{Code: registry.EINVALID, Message: fmt.Sprintf("read tree %s: %d problems", short(sha), len(problems)), Diagnostics: problems}
	}
	return files, nil
}

// Update turns the files read at commit from (prev) into the files at
// commit to, reading only what changed between the two: a new commit costs
// in proportion to its change, not to the size of the repository.
func (r *Repo) Update(ctx context.Context, prev map[string][]byte, from, to string, opts TreeOptions) (map[string][]byte, []string, error) {
	a, err := r.rootTree(from, opts.Root)
	if err != nil {
		return nil, nil, err
	}
	b, err := r.rootTree(to, opts.Root)
	if err != nil {
		return nil, nil, err
	}
	if a == nil || b == nil { // the root appeared or vanished: read it whole
		files, err := r.Tree(ctx, to, opts)
		return files, nil, err
	}
	changes, err := object.DiffTreeWithOptions(ctx, a, b, &object.DiffTreeOptions{DetectRenames: false})
	if err != nil {
		return nil, nil, fmt.Errorf("diff %s..%s: %w", short(from), short(to), err)
	}
	files := make(map[string][]byte, len(prev))
	for k, v := range prev {
		files[k] = v
	}
	var changed []string
	var problems []registry.Diagnostic
	for _, ch := range changes {
		if ch.From.Name != "" {
			delete(files, ch.From.Name)
			changed = append(changed, ch.From.Name)
		}
		name, entry := ch.To.Name, ch.To.TreeEntry
		if name == "" || (opts.Want != nil && !opts.Want(name)) {
			continue
		}
		if name != ch.From.Name {
			changed = append(changed, name)
		}
		if entry.Mode == filemode.Symlink || entry.Mode == filemode.Submodule {
			problems = append(problems, registry.Diagnostic{Position: registry.Position{File: name}, Message: "not a regular file (symlinks and submodules are not followed)"})
			continue
		}
		data, err := r.blob(entry.Hash, opts.MaxFileSize)
		if err != nil {
			problems = append(problems, registry.Diagnostic{Position: registry.Position{File: name}, Message: err.Error()})
			continue
		}
		files[name] = data
	}
	if len(problems) > 0 {
		return nil, nil, &registry.Error{Code: registry.EINVALID, Message: fmt.Sprintf("read tree %s: %d problems", short(to), len(problems)), Diagnostics: problems}
	}
	if opts.MaxFiles > 0 && len(files) > opts.MaxFiles {
		return nil, nil, registry.Errorf(registry.EINVALID, "read tree %s: more than %d files (limit)", short(to), opts.MaxFiles)
	}
	return files, changed, nil
}

// rootTree returns the tree at root in a commit, or nil if the commit has no
// such directory.
func (r *Repo) rootTree(sha, root string) (*object.Tree, error) {
	c, err := r.repo.CommitObject(plumbing.NewHash(sha))
	if err != nil {
		return nil, registry.Errorf(registry.ENOTFOUND, "commit %s: %v", sha, err)
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("tree of %s: %w", short(sha), err)
	}
	root = strings.Trim(path.Clean("/"+root), "/")
	if root == "" {
		return tree, nil
	}
	sub, err := tree.Tree(root)
	if err == object.ErrDirectoryNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tree %s of %s: %w", root, short(sha), err)
	}
	return sub, nil
}

// objectSizer is how go-git's filesystem storage tells an object's size
// without reading the object.
type objectSizer interface {
	EncodedObjectSize(h plumbing.Hash) (int64, error)
}

func (r *Repo) blob(h plumbing.Hash, max int64) ([]byte, error) {
	// Check the limit before reading: BlobObject reads the whole object
	// into memory, and a hostile commit may hold a huge one.
	if sizer, ok := r.repo.Storer.(objectSizer); ok && max > 0 {
		if size, err := sizer.EncodedObjectSize(h); err == nil && size > max {
			return nil, fmt.Errorf("file larger than %d bytes (limit)", max)
		}
	}
	b, err := r.repo.BlobObject(h)
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", h, err)
	}
	if max > 0 && b.Size > max {
		return nil, fmt.Errorf("file larger than %d bytes (limit)", max)
	}
	rd, err := b.Reader()
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", h, err)
	}
	defer rd.Close()
	return io.ReadAll(rd)
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// Files is a Repo reading one schema root with fixed options: the shape the
// catalog's sync expects of its source.
type Files struct {
	Repo *Repo
	Opts TreeOptions
}

// Fetch brings the branch up to date and returns its head.
func (f Files) Fetch(ctx context.Context) (string, error) { return f.Repo.Fetch(ctx) }

// Since returns first-parent history after since, oldest first (see Repo.Since).
func (f Files) Since(ctx context.Context, head, since string, limit int) ([]registry.Commit, bool, error) {
	return f.Repo.Since(ctx, head, since, limit)
}

// Tree reads the schema root at a commit.
func (f Files) Tree(ctx context.Context, sha string) (map[string][]byte, error) {
	return f.Repo.Tree(ctx, sha, f.Opts)
}

// Update turns the tree at from into the tree at to (see Repo.Update).
func (f Files) Update(ctx context.Context, prev map[string][]byte, from, to string) (map[string][]byte, []string, error) {
	return f.Repo.Update(ctx, prev, from, to, f.Opts)
}
