package lint

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/compat"
	"github.com/backbone-registry/backbone/gitsync"
)

// ShallowNote is what the report says when the base's history ends before
// its root commit, so transitive modes were checked against fewer versions
// than the registry holds.
const ShallowNote = "history too shallow to check transitively: use --against <registry URL> or fetch-depth: 0"

// againstGit compares the working tree with a revision of its repository.
//
// Only topics whose inputs (service.yaml and the .proto files their
// contract reaches) differ from the base are compiled on the base side, and
// only those files: a pull request costs in proportion to what it changes.
// Transitive modes also read the base's first-parent history, newest
// first, recompiling a topic only at commits that touched its inputs, and
// check against each distinct earlier contract once.
func (c *comparison) againstGit(ctx context.Context, repo *gitsync.Repo) error {
	sha, err := repo.Resolve(c.opts.Against)
	if err != nil {
		return err
	}
	c.rep.Base = sha
	// The base is read with its own registry.yaml's limits, under the
	// command line's.
	treeOpts := gitsync.TreeOptions{Root: c.rep.repoPath, Want: catalog.IsRepositoryFile,
		LimitsFile: catalog.RepoFile, LimitsOf: c.opts.Catalog.LimitsOf(),
		// Files the working tree has unchanged are not read again: the
		// base shares their bytes, which also makes comparing them instant.
		Known: c.w.Files()}
	work := c.w
	if plainBase {
		treeOpts.Known, work = nil, nil
	}
	files, err := repo.Tree(ctx, sha, treeOpts)
	if err != nil {
		return fmt.Errorf("read %s at %s: %w", c.opts.Against, short(sha), err)
	}
	if _, ok := files[catalog.RepoFile]; !ok {
		c.rep.note(fmt.Sprintf("%s has no %s at %s: every topic is new", c.opts.Against, catalog.RepoFile, pathOrTop(c.rep.repoPath)))
		for _, t := range c.w.Topics(catalog.TopicFilter{}) {
			c.added(t)
		}
		c.attachOwners()
		return nil
	}

	// Topics whose inputs are unchanged have the base's contract: skip them.
	plan := func(files map[string][]byte) ([]changed, map[string]bool) {
		var todo []changed
		need := map[string]bool{}
		wfiles := c.w.Files()
		for _, t := range c.w.Topics(catalog.TopicFilter{}) {
			ct, ok := c.w.ContractOf(t)
			if !ok {
				continue // MESSAGE_NOT_FOUND says why
			}
			in := inputs(c.w, t, ct)
			same := true
			for p := range in {
				if b, ok := files[p]; !ok || !bytes.Equal(b, wfiles[p]) {
					same = false
					break
				}
			}
			if same {
				continue
			}
			todo = append(todo, changed{t, ct})
			for p := range in {
				need[p] = true
			}
		}
		return todo, need
	}
	todo, need := plan(files)

	b := &gitBase{ctx: ctx, opts: c.opts.Catalog, work: work}
	base, err := b.load(files, need)
	if err != nil {
		// Never a silent pass: compare with what the registry would serve,
		// the nearest first-parent ancestor whose tree loads.
		baseErr := err
		shas, shallow, ferr := repo.FirstParents(ctx, sha, c.opts.HistoryDepth+1)
		if ferr != nil {
			return fmt.Errorf("%s (%s) does not load (%s), and its history cannot be read: %w", c.opts.Against, short(sha), oneLine(baseErr), ferr)
		}
		found := false
		for _, anc := range shas[min(1, len(shas)):] {
			af, terr := repo.Tree(ctx, anc, treeOpts)
			if terr != nil {
				break
			}
			if _, ok := af[catalog.RepoFile]; !ok {
				break // before the schema root existed
			}
			at, an := plan(af)
			ab, lerr := b.load(af, an)
			if lerr != nil {
				continue
			}
			c.rep.note(fmt.Sprintf("base %s (%s) does not compile (%s); checked against %s, its nearest first-parent ancestor that loads", c.opts.Against, short(sha), oneLine(baseErr), short(anc)))
			sha, files, todo, base, found = anc, af, at, ab, true
			c.rep.Base = anc
			break
		}
		if !found {
			why := ""
			if shallow {
				why = " (the history is shallow: fetch-depth: 0 reads further back)"
			}
			return fmt.Errorf("%s (%s) does not load and no first-parent ancestor of it does%s, so compatibility cannot be checked: %s", c.opts.Against, short(sha), why, oneLine(baseErr))
		}
	}
	c.base = base

	// Contracts at the base, and who tracks history.
	type pending struct {
		changed
		bt       *registry.Topic
		baseCt   compat.Contract
		previous []compat.Contract
	}
	var checks []*pending
	var history []*tracked
	var whole *catalog.Catalog // the whole base, compiled once if needed
	for _, ch := range todo {
		bt, ok := base.Topic(ch.t.Name)
		if !ok {
			c.added(ch.t)
			continue
		}
		cat := base
		bct, ok := base.ContractOf(bt)
		if !ok { // the message lives elsewhere at the base: load it whole
			if whole == nil {
				whole, _ = b.full(files)
			}
			if whole != nil {
				cat = whole
				bt, _ = cat.Topic(ch.t.Name)
				bct, ok = cat.ContractOf(bt)
			}
		}
		if !ok {
			c.rep.note(fmt.Sprintf("%s not checked: its messages are not found at %s", ch.t.Name, c.opts.Against))
			continue
		}
		if compat.Fingerprint(bct) == compat.Fingerprint(ch.ct) {
			continue // comments or formatting only
		}
		bct.Label = c.opts.Against
		p := &pending{changed: ch, bt: bt, baseCt: bct}
		checks = append(checks, p)
		if ch.t.Compatibility.Transitive() {
			tr := &tracked{topic: ch.t.Name, deps: inputs(cat, bt, bct), seen: map[string]bool{compat.Fingerprint(bct): true}}
			history = append(history, tr)
		}
	}

	if len(history) > 0 {
		if err := c.walk(ctx, repo, sha, files, treeOpts, b, history); err != nil {
			return err
		}
	}
	for _, tr := range history {
		for _, p := range checks {
			if p.t.Name == tr.topic {
				p.previous = tr.previous()
			}
		}
	}
	for _, p := range checks {
		c.check(p.t, p.ct, append(p.previous, p.baseCt), p.bt.Consumers)
	}

	for _, bt := range base.Topics(catalog.TopicFilter{}) {
		if _, ok := c.w.Topic(bt.Name); ok {
			continue
		}
		c.deleted(baseTopic{name: bt.Name, service: bt.Service, owner: bt.Owner, consumers: bt.Consumers, deprecated: bt.Deprecated, pos: bt.Position})
	}
	c.attachOwners()
	return nil
}

// tracked is a transitive topic whose earlier contracts the history walk
// collects.
type tracked struct {
	topic string
	deps  map[string]bool // the inputs of the last contract read
	dirty bool            // the last commit touching deps did not load: read the next one
	done  bool            // the topic does not exist further back
	seen  map[string]bool // fingerprints collected, the base's included
	older []compat.Contract
}

// previous returns the distinct earlier contracts, oldest first.
func (tr *tracked) previous() []compat.Contract {
	out := slices.Clone(tr.older)
	slices.Reverse(out)
	return out
}

// walk reads the base's first-parent history for the tracked topics.
func (c *comparison) walk(ctx context.Context, repo *gitsync.Repo, head string, files map[string][]byte, opts gitsync.TreeOptions, b *gitBase, topics []*tracked) error {
	// The base and HistoryDepth commits before it; one more tells whether
	// the depth cut the history short.
	shas, shallow, err := repo.FirstParents(ctx, head, c.opts.HistoryDepth+2)
	if err != nil {
		return fmt.Errorf("walk the history of %s: %w", c.opts.Against, err)
	}
	truncated := len(shas) > c.opts.HistoryDepth+1
	if truncated {
		shas, shallow = shas[:c.opts.HistoryDepth+1], false
	}
	read := 0
	for i := 1; i < len(shas); i++ {
		var changedPaths []string
		files, changedPaths, err = repo.Update(ctx, files, shas[i-1], shas[i], opts)
		if err != nil {
			c.rep.note(fmt.Sprintf("history read back to %s only: %s", short(shas[i-1]), oneLine(err)))
			return nil
		}
		read++
		if _, ok := files[catalog.RepoFile]; !ok { // before the schema root existed
			for _, tr := range topics {
				tr.done = true
			}
			break
		}
		var due []*tracked
		need := map[string]bool{}
		for _, tr := range topics {
			if tr.done || !(tr.dirty || touches(changedPaths, tr.deps)) {
				continue
			}
			due = append(due, tr)
			maps.Copy(need, tr.deps)
		}
		if len(due) == 0 {
			continue
		}
		cat, err := b.load(files, need)
		if err != nil { // a commit that does not load never became a version
			for _, tr := range due {
				tr.dirty = true
			}
			continue
		}
		var whole *catalog.Catalog
		for _, tr := range due {
			t, ok := cat.Topic(tr.topic)
			if !ok {
				tr.done = true
				continue
			}
			from := cat
			ct, ok := cat.ContractOf(t)
			if !ok {
				if whole == nil {
					whole, _ = b.full(files)
				}
				if whole != nil {
					from = whole
					t, _ = whole.Topic(tr.topic)
					ct, ok = whole.ContractOf(t)
				}
			}
			if !ok {
				tr.dirty = true
				continue
			}
			tr.deps, tr.dirty = inputs(from, t, ct), false
			if fp := compat.Fingerprint(ct); !tr.seen[fp] {
				tr.seen[fp] = true
				ct.Label = "commit " + short(shas[i])
				tr.older = append(tr.older, ct)
			}
		}
		if !slices.ContainsFunc(topics, func(tr *tracked) bool { return !tr.done }) {
			break
		}
	}
	// The history ran out only if a topic still existed at its end.
	open := slices.ContainsFunc(topics, func(tr *tracked) bool { return !tr.done })
	switch {
	case shallow && open:
		c.rep.note(fmt.Sprintf("%s (%d earlier %s of %s available)", ShallowNote, read, plural(read, "commit", "commits"), c.opts.Against))
		c.rep.Summary.Shallow = true
	case truncated && open:
		c.rep.note(fmt.Sprintf("transitive modes checked against the last %d commits of %s only (--history-depth)", c.opts.HistoryDepth, c.opts.Against))
	}
	return nil
}

// touches reports whether any changed path is one of deps.
func touches(changed []string, deps map[string]bool) bool {
	for _, p := range changed {
		if deps[p] {
			return true
		}
	}
	return false
}

// plainBase makes the base read every file from Git and compile
// everything it loads, sharing nothing with the working tree: tests check
// that sharing changes no finding.
var plainBase bool

// gitBase loads repository trees read from Git, whole or in part. Files
// unchanged from the working tree (and whose imports are unchanged) are
// not compiled again: they are the working tree's descriptors.
type gitBase struct {
	ctx  context.Context
	opts catalog.Options
	work *catalog.Catalog
}

// load builds the repository model of a tree from its YAML files and only
// the .proto files in protos and what they import: enough for the
// contracts of the topics those files define, at a fraction of the cost of
// compiling the whole tree.
func (b *gitBase) load(files map[string][]byte, protos map[string]bool) (*catalog.Catalog, error) {
	sub := map[string][]byte{}
	var queue []string
	for name, data := range files {
		switch {
		case !strings.HasSuffix(name, ".proto"):
			sub[name] = data
		case protos[name]:
			queue = append(queue, name)
		}
	}
	slices.Sort(queue)
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if _, done := sub[p]; done {
			continue
		}
		data, ok := files[p]
		if !ok {
			continue
		}
		sub[p] = data
		for _, m := range importPattern.FindAllSubmatch(data, -1) {
			queue = append(queue, string(m[1]))
		}
	}
	cat, err := catalog.LoadFilesReusing(b.ctx, sub, b.opts, b.work)
	if err != nil && len(sub) < len(files) {
		return b.full(files) // an import the pattern missed, say
	}
	return cat, err
}

// full builds the repository model of a whole tree.
func (b *gitBase) full(files map[string][]byte) (*catalog.Catalog, error) {
	return catalog.LoadFilesReusing(b.ctx, files, b.opts, b.work)
}

// importPattern finds the imports of a .proto file without parsing it.
// Finding one too many (in a comment) costs a file compiled for nothing.
var importPattern = regexp.MustCompile(`(?m)^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;`)

func pathOrTop(p string) string {
	if p == "" {
		return "the top of the repository"
	}
	return p + "/"
}

// oneLine renders an error on one line, its diagnostics included.
func oneLine(err error) string {
	msg := registry.ErrorMessage(err)
	if d := registry.ErrorDiagnostics(err); len(d) > 0 {
		msg += ": " + d[0].Position.String() + ": " + d[0].Message
		if len(d) > 1 {
			msg += fmt.Sprintf(" (and %d more)", len(d)-1)
		}
	}
	return strings.ReplaceAll(msg, "\n", " ")
}
