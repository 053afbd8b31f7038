package gitsync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/internal/limit"
)

// TreeOptions select and bound the files read from a tree.
type TreeOptions struct {
	Root string                 // the schema root inside the repository ("" or "." for the top)
	Want func(name string) bool // which files to read (paths relative to Root); nil: all
	// Limits bound what is read: the per-file size, and the count and
	// total size of the .proto files (other files do not count); zero
	// fields: no limit.
	Limits limit.Limits
	// LimitsOf, when set, lets each tree set its own limits: it is given
	// the content of LimitsFile under Root at the commit (nil when there
	// is none) and returns the limits to read that tree with, in place of
	// Limits. Its error fails the read.
	LimitsFile string
	LimitsOf   func(content []byte) (limit.Limits, error)
	// Known holds files whose content the caller has already (a work
	// tree, say): Tree takes a file whose blob is that very content from
	// Known, the same slice, instead of reading and inflating the object.
	Known map[string][]byte
}

// maxLimitsFile bounds the file LimitsOf reads.
const maxLimitsFile = 1 << 20

// limitsAt returns the limits to read the tree at commit with.
func (r *Repo) limitsAt(tree *object.Tree, opts TreeOptions) (limit.Limits, error) {
	if opts.LimitsOf == nil {
		return opts.Limits, nil
	}
	var content []byte
	if e, err := tree.FindEntry(opts.LimitsFile); err == nil && e.Mode.IsFile() && e.Mode != filemode.Symlink {
		data, size, err := r.blob(e.Hash, maxLimitsFile)
		switch {
		case errors.Is(err, errTooLarge):
			return limit.Limits{}, &registry.Error{Code: registry.EINVALID, Message: "read " + opts.LimitsFile, Diagnostics: []registry.Diagnostic{{
				Position: registry.Position{File: opts.LimitsFile}, Message: limit.Limits{MaxFileSize: maxLimitsFile, Fixed: true}.FileTooLarge(size)}}}
		case err != nil:
			return limit.Limits{}, err
		}
		content = data
	}
	return opts.LimitsOf(content)
}

// walkCheck is what Tree and Update check of each entry before reading it.
type walkCheck struct {
	r      *Repo
	top    *object.Tree // the commit's whole tree, to resolve symlinks in
	root   string       // the schema root in it, cleaned ("" for the top)
	opts   TreeOptions
	limits limit.Limits
	deep   map[string]bool // directories reported too deep
}

func (r *Repo) walkCheck(sha string, tree *object.Tree, opts TreeOptions) (*walkCheck, error) {
	limits, err := r.limitsAt(tree, opts)
	if err != nil {
		return nil, err
	}
	top, err := r.rootTree(sha, "")
	if err != nil {
		return nil, err
	}
	return &walkCheck{r: r, top: top, root: cleanRoot(opts.Root), opts: opts, limits: limits, deep: map[string]bool{}}, nil
}

// entry returns the problem of a file entry (nil: none) and whether to
// read it. A symlink to a directory is a problem whether or not its name
// is wanted: the files under it would be silently left out.
func (w *walkCheck) entry(name string, e object.TreeEntry) (*registry.Diagnostic, bool) {
	problem := func(at, msg string) (*registry.Diagnostic, bool) {
		return &registry.Diagnostic{Position: registry.Position{File: at}, Message: msg}, false
	}
	if max := w.limits.MaxDepth; max > 0 && strings.Count(name, "/") > max {
		dir := strings.Join(strings.SplitN(name, "/", max+2)[:max+1], "/")
		if w.deep[dir] {
			return nil, false
		}
		w.deep[dir] = true
		return problem(dir, w.limits.TooDeep())
	}
	wanted := w.opts.Want == nil || w.opts.Want(name)
	switch {
	case e.Mode == filemode.Symlink && w.symlinkedDir(name, e):
		return problem(name, limit.SymlinkedDir)
	case !wanted:
		return nil, false
	case e.Mode == filemode.Symlink || e.Mode == filemode.Submodule:
		return problem(name, "not a regular file (symlinks and submodules are not followed)")
	}
	return nil, true
}

// symlinkedDir reports whether a symlink points to a directory of the
// commit's tree.
func (w *walkCheck) symlinkedDir(name string, e object.TreeEntry) bool {
	data, _, err := w.r.blob(e.Hash, 4096)
	if err != nil || len(data) == 0 {
		return false
	}
	target := string(data)
	if path.IsAbs(target) {
		return false // outside the repository: nothing Git can tell
	}
	full := path.Join(w.root, path.Dir(name), target)
	if full == "." {
		return true // the top of the repository
	}
	if full == ".." || strings.HasPrefix(full, "../") {
		return false
	}
	t, err := w.top.FindEntry(full)
	return err == nil && t.Mode == filemode.Dir
}

// read reads an entry's blob, turning the per-file limit into its error.
func (w *walkCheck) read(name string, e object.TreeEntry) ([]byte, *registry.Diagnostic) {
	data, size, err := w.r.blob(e.Hash, w.limits.MaxFileSize)
	switch {
	case errors.Is(err, errTooLarge):
		return nil, &registry.Diagnostic{Position: registry.Position{File: name}, Message: w.limits.FileTooLarge(size)}
	case err != nil:
		return nil, &registry.Diagnostic{Position: registry.Position{File: name}, Message: err.Error()}
	}
	return data, nil
}

// Tree reads the files under opts.Root at a commit, keyed by their path
// relative to the root. Symlinks and submodules are refused.
func (r *Repo) Tree(ctx context.Context, sha string, opts TreeOptions) (map[string][]byte, error) {
	tree, err := r.rootTree(sha, opts.Root)
	if err != nil || tree == nil {
		return map[string][]byte{}, err
	}
	w, err := r.walkCheck(sha, tree, opts)
	if err != nil {
		return nil, err
	}
	limits := w.limits
	files := map[string][]byte{}
	var problems []registry.Diagnostic
	var protos int
	var total int64
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
		if entry.Mode == filemode.Dir {
			continue
		}
		problem, ok := w.entry(name, entry)
		if problem != nil {
			problems = append(problems, *problem)
		}
		if !ok {
			continue
		}
		isProto := path.Ext(name) == ".proto"
		if isProto {
			if protos++; limits.MaxFiles > 0 && protos > limits.MaxFiles {
				problems = append(problems, registry.Diagnostic{Position: registry.Position{File: name}, Message: limits.TooManyFiles()})
				break
			}
		}
		data, ok := opts.Known[name]
		if !ok || (limits.MaxFileSize > 0 && int64(len(data)) > limits.MaxFileSize) || plumbing.ComputeHash(plumbing.BlobObject, data) != entry.Hash {
			var problem *registry.Diagnostic
			if data, problem = w.read(name, entry); problem != nil {
				problems = append(problems, *problem)
				continue
			}
		}
		if isProto {
			if total += int64(len(data)); limits.MaxTotalSize > 0 && total > limits.MaxTotalSize {
				problems = append(problems, registry.Diagnostic{Position: registry.Position{File: name}, Message: limits.TotalTooLarge(total)})
				break
			}
		}
		files[name] = data
	}
	if len(problems) > 0 {
		return nil, &registry.Error{Code: registry.EINVALID, Message: fmt.Sprintf("read tree %s: %s", short(sha), problemCount(len(problems))), Diagnostics: problems}
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
	w, err := r.walkCheck(to, b, opts)
	if err != nil {
		return nil, nil, err
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
		if name == "" {
			continue
		}
		problem, ok := w.entry(name, entry)
		if problem != nil {
			problems = append(problems, *problem)
		}
		if !ok {
			continue
		}
		if name != ch.From.Name {
			changed = append(changed, name)
		}
		data, problem := w.read(name, entry)
		if problem != nil {
			problems = append(problems, *problem)
			continue
		}
		files[name] = data
	}
	if len(problems) == 0 {
		// The count and the total are the whole tree's; and the limits
		// themselves may have changed with this commit.
		problems = limit.CheckSizes(files, w.limits)
	}
	if len(problems) > 0 {
		return nil, nil, &registry.Error{Code: registry.EINVALID, Message: fmt.Sprintf("read tree %s: %s", short(to), problemCount(len(problems))), Diagnostics: problems}
	}
	return files, changed, nil
}

func problemCount(n int) string {
	if n == 1 {
		return "1 problem"
	}
	return fmt.Sprintf("%d problems", n)
}

func cleanRoot(root string) string { return strings.Trim(path.Clean("/"+root), "/") }

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
	root = cleanRoot(root)
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

// FindBelow returns the directories below root at a commit (paths relative
// to root, at most depth levels down, hidden directories skipped) that hold
// a regular file named name, sorted. It reads no file: it finds where a
// schema root really is when the one configured is wrong.
func (r *Repo) FindBelow(ctx context.Context, sha, root, name string, depth int) ([]string, error) {
	tree, err := r.rootTree(sha, root)
	if err != nil || tree == nil {
		return nil, err
	}
	var found []string
	var walk func(t *object.Tree, dir string, left int) error
	walk = func(t *object.Tree, dir string, left int) error {
		for _, e := range t.Entries {
			if err := ctx.Err(); err != nil {
				return err
			}
			switch {
			case e.Mode == filemode.Dir && left > 0 && !strings.HasPrefix(e.Name, "."):
				sub, err := t.Tree(e.Name)
				if err != nil {
					return fmt.Errorf("tree %s of %s: %w", path.Join(dir, e.Name), short(sha), err)
				}
				if err := walk(sub, path.Join(dir, e.Name), left-1); err != nil {
					return err
				}
			case e.Mode.IsRegular() && e.Name == name && dir != "":
				found = append(found, dir)
			}
		}
		return nil
	}
	if err := walk(tree, "", depth); err != nil {
		return nil, err
	}
	slices.Sort(found)
	return found, nil
}

// objectSizer is how go-git's filesystem storage tells an object's size
// without reading the object.
type objectSizer interface {
	EncodedObjectSize(h plumbing.Hash) (int64, error)
}

// errTooLarge is blob's error for an object over its limit.
var errTooLarge = errors.New("over the size limit")

// blob reads an object of at most max bytes (0: no limit); over it, the
// error is errTooLarge with the object's size.
func (r *Repo) blob(h plumbing.Hash, max int64) ([]byte, int64, error) {
	// Check the limit before reading: BlobObject reads the whole object
	// into memory, and a hostile commit may hold a huge one.
	if sizer, ok := r.repo.Storer.(objectSizer); ok && max > 0 {
		if size, err := sizer.EncodedObjectSize(h); err == nil && size > max {
			return nil, size, errTooLarge
		}
	}
	b, err := r.repo.BlobObject(h)
	if err != nil {
		return nil, 0, fmt.Errorf("read blob %s: %w", h, err)
	}
	if max > 0 && b.Size > max {
		return nil, b.Size, errTooLarge
	}
	rd, err := b.Reader()
	if err != nil {
		return nil, 0, fmt.Errorf("read blob %s: %w", h, err)
	}
	defer rd.Close()
	data, err := io.ReadAll(rd)
	return data, int64(len(data)), err
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
