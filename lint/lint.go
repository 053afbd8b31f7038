// Package lint is `registry lint`, the check a schema repository's CI runs
// on every pull request. It compiles the working tree, applies the
// governance rules and, against a base (a Git revision of the repository
// around it, or a running registry), checks the compatibility of every
// topic whose contract changed with the topic's mode and level. Each
// compatibility finding names the services that consume the topic and the
// teams that own them: the people a breaking change hurts, and so the
// reviewers to ask. Report and the Write* functions print the outcome for
// people (text, markdown) and for CI systems (json, github, sarif, junit).
//
// The package reads the working tree from disk (or any fs.FS) and the base
// through gitsync or a Registry; it knows nothing of HTTP, which the
// caller's Registry implementation speaks.
package lint

import (
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/compat"
	"github.com/backbone-registry/backbone/gitsync"
)

// Rules of lint's own, beyond the catalogue's governance and compatibility
// rules.
const (
	// RuleCompile names content that does not load at all (YAML or proto
	// syntax, unknown keys, imports escaping the root, limits).
	RuleCompile = catalog.RuleCompile
	// RuleTopicNoDelete reports a topic deleted while services consume it.
	RuleTopicNoDelete = catalog.RuleTopicNoDelete
)

// DefaultHistoryDepth is how many commits of the base's first-parent
// history a transitive check reads at most.
const DefaultHistoryDepth = 100

// Options say what to check and against what.
type Options struct {
	// Root is the schema root (the directory holding registry.yaml), as the
	// user named it: reported paths start with it.
	Root string
	// FS, when set, is the working tree instead of the directory at Root,
	// e.g. candidate files held in memory; Root then only prefixes reported
	// paths, and the Git repository around it is opened only for a Git
	// base. Nil: os.DirFS(Root).
	FS fs.FS
	// Against is the base to compare with: a revision of the Git repository
	// around Root (origin/main, a tag, a SHA). Empty, with no Registry: no
	// compatibility check, only compile errors and governance rules.
	Against string
	// Registry, when set, is the base instead of a Git revision: every
	// version of every topic comes from a running registry.
	Registry Registry
	// HistoryDepth bounds the commits of the base's first-parent history
	// read for transitive modes (0: DefaultHistoryDepth).
	HistoryDepth int
	// Catalog tunes how repositories load (limits, the clock).
	Catalog catalog.Options
}

// Run checks the working tree at opts.Root (or in opts.FS). Findings, at
// whatever severity, are in the report; an error means the check could not
// run: an unreadable directory or repository, an unknown revision, an
// unreachable registry.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.HistoryDepth <= 0 {
		opts.HistoryDepth = DefaultHistoryDepth
	}
	rep := &Report{Root: opts.Root, Findings: []Finding{}, Topics: []TopicChange{}, Notes: []string{}, Owners: map[string]string{}}
	// The repository around the root gives CI systems their paths; a Git
	// base needs it, other runs do without.
	gitBase := opts.Against != "" && opts.Registry == nil
	var repo *gitsync.Repo
	if opts.FS == nil || gitBase {
		var err error
		repo, err = locate(opts.Root, rep)
		if err != nil && gitBase {
			return nil, err
		}
	}
	tree := opts.FS
	if tree == nil {
		tree = os.DirFS(opts.Root)
	}

	w, err := catalog.Load(ctx, tree, opts.Catalog)
	switch {
	case registry.ErrorCode(err) == registry.EINVALID && len(registry.ErrorDiagnostics(err)) > 0:
		// Content that does not compile is the strongest finding of all.
		for _, d := range registry.ErrorDiagnostics(err) {
			rep.add(registry.Finding{Rule: RuleCompile, Severity: registry.SeverityError, Position: d.Position, Message: d.Message})
		}
		if opts.Against != "" || opts.Registry != nil {
			rep.note("compatibility not checked: the working tree does not load (fix the COMPILE findings first)")
		}
		rep.finish()
		return rep, nil
	case err != nil:
		return nil, fmt.Errorf("%s: %w", opts.Root, err)
	}
	for _, f := range w.Findings() {
		rep.add(f)
	}
	rep.Summary.Services = len(w.Services())
	rep.Summary.Topics = len(w.Topics(catalog.TopicFilter{}))

	c := &comparison{opts: opts, w: w, rep: rep}
	switch {
	case opts.Registry != nil:
		rep.Against, rep.Base = opts.Registry.String(), opts.Registry.String()
		if err := c.againstRegistry(ctx); err != nil {
			return nil, err
		}
	case opts.Against != "":
		rep.Against = opts.Against
		if err := c.againstGit(ctx, repo); err != nil {
			return nil, err
		}
	}
	rep.finish()
	return rep, nil
}

// locate finds the Git repository around the schema root, if any, and the
// root's path inside it: the path CI systems annotate files by.
func locate(root string, rep *Report) (*gitsync.Repo, error) {
	repo, top, err := gitsync.OpenWorkTree(root)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	}
	if r, err := filepath.EvalSymlinks(top); err == nil {
		top = r
	}
	rel, err := filepath.Rel(top, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil, registry.Errorf(registry.EINVALID, "%s is outside the work tree of its repository %s", root, top)
	}
	rel = filepath.ToSlash(rel)
	if rel == "." {
		rel = ""
	}
	rep.repoPath, rep.inRepo = rel, true
	return repo, nil
}

// comparison is one run's working tree checked against its base.
type comparison struct {
	opts Options
	w    *catalog.Catalog
	rep  *Report
	base *catalog.Catalog // the base's repository model, when it is a Git revision
}

// changed is a working-tree topic whose contract may differ from the base.
type changed struct {
	t  *registry.Topic
	ct compat.Contract
}

// check compares a changed topic with its earlier versions (oldest first,
// the base last) and records the outcome.
func (c *comparison) check(t *registry.Topic, ct compat.Contract, previous []compat.Contract, baseConsumers []string) {
	consumers := union(t.Consumers, baseConsumers)
	change := TopicChange{
		Topic: t.Name, Change: ChangeChanged, Service: t.Service, Owner: t.Owner,
		Compatibility: t.Compatibility, Level: t.Level, Versions: len(previous), Consumers: consumers,
	}
	if !t.Compatibility.Transitive() && len(previous) > 0 {
		change.Versions = 1
	}
	findings := compat.Check(previous, ct, compat.Options{
		Topic: t.Name, Mode: t.Compatibility, Level: t.Level, Except: t.Except, Consumers: consumers,
	})
	for _, f := range findings {
		if f.File == "" { // about the topic itself: point at its declaration
			f.Position = t.Position
		}
		f.Service, f.Consumers = t.Service, consumers
		change.Breaking = change.Breaking || f.Severity == registry.SeverityError
		c.rep.addCompat(f)
	}
	c.rep.Topics = append(c.rep.Topics, change)
}

// added records a topic the base does not have.
func (c *comparison) added(t *registry.Topic) {
	c.rep.Topics = append(c.rep.Topics, TopicChange{
		Topic: t.Name, Change: ChangeNew, Service: t.Service, Owner: t.Owner,
		Compatibility: t.Compatibility, Level: t.Level, Consumers: t.Consumers,
	})
}

// baseTopic is a topic as the base knows it.
type baseTopic struct {
	name, service, owner string
	consumers            []string
	deprecated           *registry.Deprecation
	pos                  registry.Position
}

// deleted records a topic of the base that the working tree no longer
// declares. Deleting a topic that other services consume breaks them all:
// the handshake is to deprecate it, let its consumers move, and delete it
// once nobody consumes it (or its sunset has passed).
func (c *comparison) deleted(bt baseTopic) {
	var others []string
	for _, s := range bt.consumers {
		if s != bt.service {
			others = append(others, s)
		}
	}
	change := TopicChange{Topic: bt.name, Change: ChangeDeleted, Service: bt.service, Owner: bt.owner, Consumers: others}
	if change.Consumers == nil {
		change.Consumers = []string{}
	}
	if len(others) > 0 {
		sev := registry.SeverityError
		msg := fmt.Sprintf("topic %s was deleted while %d %s consume%s it (%s on %s): records already on the topic and the consumers' code still depend on it. "+
			"Deprecate it first (deprecated: {sunset, replaced_by}), let its consumers move and drop it from their consumes, then delete it",
			bt.name, len(others), plural(len(others), "service", "services"), plural(len(others), "s", ""), strings.Join(others, ", "), c.rep.Against)
		if d := bt.deprecated; d != nil && !d.Sunset.IsZero() && !d.Sunset.After(c.now()) {
			sev = registry.SeverityWarning
			msg = fmt.Sprintf("topic %s was deleted after its sunset (%s), but %s still consume%s it: make sure they have moved",
				bt.name, d.Sunset.Format("2006-01-02"), strings.Join(others, ", "), plural(len(others), "s", ""))
		}
		c.rep.addCompat(registry.Finding{
			Rule: RuleTopicNoDelete, Severity: sev, Topic: bt.name, Service: bt.service,
			Position: bt.pos, Message: msg, Consumers: others,
		})
		change.Breaking = sev == registry.SeverityError
	}
	c.rep.Topics = append(c.rep.Topics, change)
}

func (c *comparison) now() time.Time {
	if c.opts.Catalog.Now != nil {
		return c.opts.Catalog.Now()
	}
	return time.Now()
}

// owner returns the team owning a service, from the working tree or else
// the base.
func (c *comparison) owner(service string) string {
	if s, ok := c.w.Service(service); ok && s.Owner != "" {
		return s.Owner
	}
	if c.base != nil {
		if s, ok := c.base.Service(service); ok {
			return s.Owner
		}
	}
	return ""
}

// attachOwners names the owning team of every consumer a finding lists.
func (c *comparison) attachOwners() {
	for i := range c.rep.Findings {
		f := &c.rep.Findings[i]
		var teams []string
		for _, s := range f.Consumers {
			o := c.owner(s)
			if o == "" {
				continue
			}
			c.rep.Owners[s] = o
			if !slices.Contains(teams, o) {
				teams = append(teams, o)
			}
		}
		slices.Sort(teams)
		f.Teams = teams
	}
	for i := range c.rep.Topics {
		for _, s := range c.rep.Topics[i].Consumers {
			if o := c.owner(s); o != "" {
				c.rep.Owners[s] = o
			}
		}
	}
}

// inputs returns the repository files a topic's contract is built from:
// its owner's service.yaml and the .proto files defining the messages and
// enums its contract reaches, with everything they import. A topic whose
// inputs are byte for byte the same in two trees has the same contract in
// both.
func inputs(cat *catalog.Catalog, t *registry.Topic, ct compat.Contract) map[string]bool {
	out := map[string]bool{}
	if s, ok := cat.Service(t.Service); ok {
		out[s.File] = true
	}
	var roots []protoreflect.MessageDescriptor
	if ct.Key != nil {
		roots = append(roots, ct.Key)
	}
	roots = append(roots, ct.Values...)
	msgs, enums := compat.Closure(roots...)
	files := cat.Files()
	var visit func(fd protoreflect.FileDescriptor)
	visit = func(fd protoreflect.FileDescriptor) {
		p := fd.Path()
		if out[p] {
			return
		}
		if _, ok := files[p]; !ok {
			return // a well-known type, built into the compiler
		}
		out[p] = true
		imports := fd.Imports()
		for i := range imports.Len() {
			visit(imports.Get(i).FileDescriptor)
		}
	}
	for _, m := range msgs {
		visit(m.ParentFile())
	}
	for _, e := range enums {
		visit(e.ParentFile())
	}
	return out
}

// union returns the sorted union of two lists of names.
func union(a, b []string) []string {
	out := slices.Concat(a, b)
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// sortTopics orders topic changes by name.
func sortTopics(ts []TopicChange) {
	slices.SortFunc(ts, func(a, b TopicChange) int { return cmp.Compare(a.Topic, b.Topic) })
}

// displayPath is a file relative to the schema root as the user sees it:
// under the root they named.
func displayPath(root, file string) string {
	if file == "" {
		return ""
	}
	return filepath.ToSlash(filepath.Join(root, filepath.FromSlash(file)))
}

// repoPath is a file relative to the schema root as CI systems see it:
// relative to the repository's top.
func repoPath(rootInRepo, file string) string {
	if file == "" {
		return ""
	}
	return path.Join(rootInRepo, file)
}
