package catalog

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/compat"
)

// Source is the Git side of a sync, as ingestion needs it; gitsync.Files
// implements it.
type Source interface {
	// Fetch brings the followed branch up to date and returns its head.
	Fetch(ctx context.Context) (string, error)
	// Since returns the first-parent history after since up to head, oldest
	// first; found is false when since is not on that history.
	Since(ctx context.Context, head, since string, limit int) (commits []registry.Commit, found bool, err error)
	// Tree reads the repository files at a commit.
	Tree(ctx context.Context, sha string) (map[string][]byte, error)
	// Update turns the files at from into the files at to, reading only the
	// difference, and names the changed paths.
	Update(ctx context.Context, prev map[string][]byte, from, to string) (map[string][]byte, []string, error)
}

// ContractOf returns a topic's contract, compiled, for compatibility checks
// and fingerprints. ok is false when a message is missing.
func (c *Catalog) ContractOf(t *registry.Topic) (compat.Contract, bool) {
	var ct compat.Contract
	for _, v := range t.Values {
		md, ok := c.schema.FindMessage(v.Name)
		if !ok {
			return ct, false
		}
		ct.Values = append(ct.Values, md)
	}
	if t.Key != nil {
		if t.Key.Scalar {
			ct.KeyScalar = t.Key.Name
		} else {
			md, ok := c.schema.FindMessage(t.Key.Name)
			if !ok {
				return ct, false
			}
			ct.Key = md
		}
	}
	return ct, true
}

// Ingester turns a branch's history into versions: for each new commit it
// rebuilds the catalog (compiling only the changed files and those that
// import them), fingerprints the topics whose descriptors changed, checks
// changed topics against their earlier versions and writes the outcome to
// the store in one step. It serves the result through the Snapshot.
type Ingester struct {
	Store    registry.Store
	Source   Source
	Snapshot *Snapshot
	Options  Options
	Log      *slog.Logger
	Origin   string // the source as shown to users, credentials redacted
	Branch   string
	// Since is where the first sync starts: that commit is the first one
	// processed. Empty: the whole first-parent history.
	Since string
	// ContractCache bounds how many compiled earlier versions are kept for
	// compatibility checks (least recently used go first; a miss compiles
	// the version again from its stored schemas). Zero:
	// DefaultContractCache.
	ContractCache int

	mu     sync.Mutex // one step at a time
	counts Counts
	hist   *History
	// published is hist, for readers that must not wait for a sync.
	published atomic.Pointer[History]
	tree      map[string][]byte // at hist.State().Commit
	// storedTree is the tree the store holds (the last one written or
	// restored), so a step writes only the paths that differ; nil: unknown.
	storedTree map[string][]byte
	cat        *Catalog // the last catalog loaded: what the next one recompiles from
	stored     *Catalog // the catalog whose compiled files the store holds; nil: not known
	contracts  *contractCache
	fps        map[string]*fingerprinted // by topic
	compiled   *fileCache                // compiled stored files, by hash
	yaml       *yamlCache
	compacted  atomic.Pointer[chan struct{}] // see Compacted
	freed      bool                          // the first restore returned its memory
	// staleRejections is set when the rejections could not be read back
	// after a step (see readRejections).
	staleRejections bool
	// fullRebuild compiles and fingerprints every commit from scratch, as
	// the sync did before it was incremental: the reference the tests
	// compare the incremental path with.
	fullRebuild bool
	// compileServed makes a restore compile the served tree even when
	// the store holds it compiled: the reference the tests compare the
	// stored descriptors with.
	compileServed bool
}

// Counts are what an Ingester did since it was made.
type Counts struct {
	Commits    int // commits processed
	Versions   int // versions created
	Rejections int // rejected commits seen (one per topic per commit, or per broken commit)
}

// History returns the history as of the last commit processed, whether or
// not a catalog is served (every commit may have been rejected); nil before
// the store is first read. It never waits for a sync under way.
func (in *Ingester) History() *History { return in.published.Load() }

// Counts returns what the Ingester did since it was made.
func (in *Ingester) Counts() Counts {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.counts
}

// Restore loads what the store holds and, if it has a tree, serves it: a
// restart is ready without talking to Git.
func (in *Ingester) Restore(ctx context.Context) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.restore(ctx)
}

func (in *Ingester) restore(ctx context.Context) error {
	state, err := in.Store.State(ctx)
	if err != nil {
		return fmt.Errorf("read sync state: %w", err)
	}
	// The two large reads run side by side: each is mostly the database
	// driver's CPU, and together they are most of a restart.
	var schemas []registry.Schema
	var schemasErr error
	read := make(chan struct{})
	go func() {
		defer close(read)
		schemas, schemasErr = in.Store.Schemas(ctx)
	}()
	versions, err := in.Store.Versions(ctx)
	<-read
	if err != nil {
		return fmt.Errorf("read versions: %w", err)
	}
	if schemasErr != nil {
		return fmt.Errorf("read schemas: %w", schemasErr)
	}
	rejections, err := in.Store.Rejections(ctx, maxRejections)
	if err != nil {
		return fmt.Errorf("read rejections: %w", err)
	}
	in.hist = newHistory(in.hist, state, versions, schemas, rejections)
	in.staleRejections = false
	in.published.Store(in.hist)
	in.contracts = newContractCache(in.ContractCache)
	in.tree = nil
	// A fresh process builds the served catalog from the compiled files
	// stored with the tree (read side by side with it), not by compiling
	// the tree: on the 10,000-commit benchmark store that is most of a
	// restart. A follower reloading after the leader's step recompiles
	// from the last catalog loaded instead: only what changed. Compiling
	// while the history is read was tried: on two cores it saved little
	// and raised the restarted process's RSS by about 80 MB (both peaks at
	// once).
	base := in.base()
	var stored map[string]registry.CompiledFile
	var storedErr error
	read = make(chan struct{})
	go func() {
		defer close(read)
		if base == nil && !in.compileServed {
			stored, storedErr = in.Store.Compiled(ctx)
		}
	}()
	tree, err := in.Store.Tree(ctx)
	<-read
	in.storedTree = nil
	if err == nil {
		in.storedTree = tree
	}
	switch {
	case registry.ErrorCode(err) == registry.ENOTFOUND:
		in.cat, in.stored = nil, nil
		in.compact(in.hist)
		return nil
	case err != nil:
		in.cat, in.stored = nil, nil
		return fmt.Errorf("read served tree: %w", err)
	case storedErr != nil:
		in.cat, in.stored = nil, nil
		return storedErr
	}
	schema, keys := decodeStored(ctx, tree, stored)
	c, err := loadFiles(ctx, tree, in.Options, base, schema, in.decoded())
	if err != nil {
		in.cat, in.stored = nil, nil
		return fmt.Errorf("load served tree: %w", err)
	}
	in.stored = nil
	if schema != nil {
		c.keys = keys
		in.stored = c
	}
	in.cat = c
	in.Snapshot.Store(c.withHistory(in.hist))
	in.compact(in.hist)
	return nil
}

// compact compresses the schema texts a restore read, in the background:
// served first, compacted afterwards (about 1 s of CPU at 20,000
// schemas, which would otherwise delay the restart). After the first
// restore's compaction the memory the restore used in passing (the rows
// read, the raw texts) is returned to the operating system once: it is
// most of the restarted process's RSS above its heap, and the runtime
// would otherwise return it only gradually.
func (in *Ingester) compact(h *History) {
	done := make(chan struct{})
	in.compacted.Store(&done)
	first := !in.freed
	in.freed = true
	go func() {
		defer close(done)
		h.Compact()
		if first {
			debug.FreeOSMemory()
		}
	}()
}

// Compacted returns a channel closed when the last restore's schema texts
// are compressed (and, after the first restore, the memory it used in
// passing returned to the operating system). Closed if nothing was
// restored.
func (in *Ingester) Compacted() <-chan struct{} {
	if ch := in.compacted.Load(); ch != nil {
		return *ch
	}
	return closedChan
}

var closedChan = func() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}()

// Sync fetches the branch and ingests every commit after the last one
// processed. It returns the number of commits processed.
func (in *Ingester) Sync(ctx context.Context) (int, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.hist == nil {
		if err := in.restore(ctx); err != nil {
			return 0, err
		}
	}
	head, err := in.Source.Fetch(ctx)
	if err != nil {
		return 0, &SourceError{err}
	}
	last := in.hist.State().Commit
	if head == last {
		return 0, nil
	}
	var commits []registry.Commit
	var orphaned []string
	if last == "" {
		commits, _, err = in.Source.Since(ctx, head, in.startAfter(ctx, head), 0)
	} else {
		var found bool
		commits, found, err = in.Source.Since(ctx, head, last, 0)
		if err == nil && !found {
			all := commits
			commits, orphaned = in.rewritten(all)
			if len(commits) == 0 && len(all) > 0 {
				// Forced back to a commit processed before, with nothing
				// new: ingest the head again, so that the sync state and
				// the snapshot follow the branch and the vanished
				// commits are marked.
				commits = all[len(all)-1:]
			}
		}
	}
	if err != nil {
		return 0, &SourceError{fmt.Errorf("walk history: %w", err)}
	}
	for i, c := range commits {
		var o []string
		if i == 0 {
			o = orphaned
		}
		if err := in.step(ctx, c, o); err != nil {
			return i, fmt.Errorf("ingest %s: %w", short(c.SHA), err)
		}
	}
	return len(commits), nil
}

// startAfter returns the commit before Since, or "" to start at the root.
func (in *Ingester) startAfter(ctx context.Context, head string) string {
	if in.Since == "" {
		return ""
	}
	all, _, err := in.Source.Since(ctx, head, "", 0)
	if err != nil {
		return ""
	}
	for i, c := range all {
		if c.SHA == in.Since || (len(in.Since) >= 7 && len(c.SHA) >= len(in.Since) && c.SHA[:len(in.Since)] == in.Since) {
			if i == 0 {
				return ""
			}
			return all[i-1].SHA
		}
	}
	return ""
}

// rewritten handles a branch whose history no longer contains the last
// processed commit (a force-push): it resumes after the newest commit of the
// new history that was processed before, and names the known commits that
// vanished, whose versions stay resolvable and are marked.
func (in *Ingester) rewritten(newHistory []registry.Commit) (todo []registry.Commit, orphaned []string) {
	known := in.hist.knownCommits()
	onBranch := map[string]bool{}
	resume := -1
	for i, c := range newHistory {
		onBranch[c.SHA] = true
		if known[c.SHA] {
			resume = i
		}
	}
	for sha := range known {
		if !onBranch[sha] {
			orphaned = append(orphaned, sha)
		}
	}
	slices.Sort(orphaned)
	in.Log.Warn("branch history was rewritten", slog.String("last_processed", short(in.hist.State().Commit)),
		slog.Int("vanished_commits", len(orphaned)), slog.Int("commits_to_process", len(newHistory)-resume-1))
	in.tree = nil // the incremental base is gone: read the next tree whole
	return newHistory[resume+1:], orphaned
}

// files reads the tree at sha, incrementally from the last processed commit
// when possible; unchanged is true when the commit changed nothing under
// the schema root.
func (in *Ingester) files(ctx context.Context, sha string) (files map[string][]byte, unchanged bool, err error) {
	if in.tree != nil && in.hist.State().Commit != "" {
		files, changed, err := in.Source.Update(ctx, in.tree, in.hist.State().Commit, sha)
		return files, err == nil && len(changed) == 0, err
	}
	files, err = in.Source.Tree(ctx, sha)
	return files, false, err
}

// readRejections reads the rejections back from the store into the
// history. Should the read fail, the history keeps the ones it had, and
// the next step reads them again before it decides anything.
func (in *Ingester) readRejections(ctx context.Context) {
	rejections, err := in.Store.Rejections(ctx, maxRejections)
	if in.staleRejections = err != nil; err != nil {
		in.Log.Warn("read rejections", slog.Any("error", err))
		return
	}
	in.hist = in.hist.withRejections(rejections)
}

// step ingests one commit and writes the outcome in one store transaction.
func (in *Ingester) step(ctx context.Context, c registry.Commit, orphaned []string) error {
	if in.staleRejections {
		in.readRejections(ctx)
	}
	now := in.Options.withDefaults().Now().UTC()
	step := registry.SyncStep{
		After:    in.hist.State().Commit,
		State:    registry.SyncState{Source: in.Origin, Branch: in.Branch, Commit: c.SHA, SyncedAt: now},
		Orphaned: orphaned,
	}
	files, unchanged, err := in.files(ctx, c.SHA)
	var cat *Catalog
	if err == nil && !unchanged && len(files) > 0 {
		cat, err = loadFiles(ctx, files, in.Options, in.base(), nil, in.decoded())
		if err == nil {
			in.yaml.forget(files)
		}
	}
	contracts := map[string]compat.Contract{}
	switch {
	case err == nil && unchanged:
		// Nothing under the schema root changed: the commit moves the
		// sync state, and what was broken still is.
		for _, r := range in.hist.OpenRejections() {
			step.Rejections = append(step.Rejections, registry.Rejection{Topic: r.Topic, Commit: c, Findings: r.Findings, CreatedAt: now})
		}
	case err == nil && len(files) == 0:
		// There is no schema root (yet): the commit only moves the sync
		// state.
	case registry.ErrorCode(err) == registry.EINVALID:
		step.Rejections = append(step.Rejections, registry.Rejection{Commit: c, Findings: diagnosticFindings(err), CreatedAt: now})
	case err != nil:
		return err
	case registry.HasErrors(cat.Findings()):
		step.Rejections = append(step.Rejections, registry.Rejection{Commit: c, Findings: errorFindings(cat.Findings()), CreatedAt: now})
	default:
		if _, ok := in.hist.OpenRejection(""); ok {
			step.Fixes = append(step.Fixes, registry.Fix{Commit: c, At: now})
		}
		step.Tree = files
		if in.storedTree != nil && !in.fullRebuild {
			step.TreeChanged = treeChanges(in.storedTree, files)
		}
		if step.Compiled, err = compiledFiles(cat, in.base(), in.stored); err != nil {
			return err
		}
		if err := in.versions(ctx, cat, c, now, &step, contracts); err != nil {
			return err
		}
	}
	ids, err := in.Store.Apply(ctx, step)
	if err != nil {
		return err
	}
	prev := in.hist
	in.hist = in.hist.next(step, ids)
	if len(step.Rejections) > 0 || len(step.Fixes) > 0 {
		in.readRejections(ctx) // the store numbers and folds them
	}
	in.published.Store(in.hist)
	in.tree = files
	if step.Tree != nil {
		in.storedTree = step.Tree
	}
	if step.Tree != nil {
		in.stored = cat
	}
	if cat != nil {
		in.cat = cat
	}
	in.counts.Commits++
	in.counts.Versions += len(step.Versions)
	in.counts.Rejections += len(step.Rejections)
	for _, v := range step.Versions {
		ct := contracts[v.Topic]
		ct.Label = fmt.Sprintf("version %d", v.Version)
		in.contracts.put(versionKey{v.Topic, v.Version}, ct)
	}
	for _, r := range step.Rejections {
		if _, open := prev.OpenRejection(r.Topic); open {
			in.Log.Debug("commit still rejected", slog.String("commit", short(c.SHA)), slog.String("topic", r.Topic), slog.Int("findings", len(r.Findings)))
		} else {
			in.Log.Warn("commit rejected", slog.String("commit", short(c.SHA)), slog.String("topic", r.Topic), slog.Int("findings", len(r.Findings)))
		}
	}
	for _, f := range step.Fixes {
		in.Log.Info("rejection fixed", slog.String("commit", short(c.SHA)), slog.String("topic", f.Topic))
	}
	if cat != nil && step.Tree != nil {
		in.Snapshot.Store(cat.withHistory(in.hist))
	} else if served := in.Snapshot.Catalog(); served != nil {
		in.Snapshot.Store(served.withHistory(in.hist))
	}
	in.Log.Info("commit ingested", slog.String("commit", short(c.SHA)), slog.Int("versions", len(step.Versions)), slog.Int("rejections", len(step.Rejections)))
	return nil
}

// versions fingerprints every topic of cat, checks the changed ones against
// their history, and adds versions and rejections to step.
func (in *Ingester) versions(ctx context.Context, cat *Catalog, c registry.Commit, now time.Time, step *registry.SyncStep, contracts map[string]compat.Contract) error {
	b := newSubjectBuilder(in.hist, cat)
	open := map[string]bool{}
	for _, r := range in.hist.OpenRejections() {
		open[r.Topic] = true
	}
	for _, t := range cat.topics {
		ct, ok := cat.ContractOf(t)
		if !ok {
			continue // MESSAGE_NOT_FOUND, switched off in registry.yaml
		}
		fp := in.fingerprint(t.Name, ct)
		latest, has := in.hist.Latest(t.Name)
		stuck := open[t.Name]
		if has && latest.Fingerprint == fp {
			if stuck { // the served contract is back
				step.Fixes = append(step.Fixes, registry.Fix{Topic: t.Name, Commit: c, At: now})
			}
			continue // unchanged, or a comment-only change: docs refresh, no version
		}
		if has {
			prev, err := in.previous(ctx, t.Name)
			if err != nil {
				return err
			}
			findings := compat.Check(prev, ct, compat.Options{
				Topic: t.Name, Mode: t.Compatibility, Level: t.Level, Except: t.Except, Consumers: t.Consumers,
			})
			if len(findings) > 0 {
				for i := range findings {
					if findings[i].File == "" {
						findings[i].Position = t.Position
					}
					findings[i].Service = t.Service
				}
				step.Rejections = append(step.Rejections, registry.Rejection{Topic: t.Name, Commit: c, Findings: findings, CreatedAt: now})
				continue
			}
		}
		v := registry.TopicVersion{
			Topic: t.Name, Version: latest.Version + 1, Fingerprint: fp,
			Subjects: b.topicSubjects(t), Commit: c, CreatedAt: now,
		}
		if t.Key != nil && t.Key.Scalar {
			v.Key = t.Key.Name
		}
		step.Versions = append(step.Versions, v)
		contracts[t.Name] = ct
		if stuck { // fixed forward
			step.Fixes = append(step.Fixes, registry.Fix{Topic: t.Name, Commit: c, At: now})
		}
	}
	for _, r := range in.hist.OpenRejections() {
		if _, ok := cat.byName[r.Topic]; r.Topic != "" && !ok { // the topic is gone
			step.Fixes = append(step.Fixes, registry.Fix{Topic: r.Topic, Commit: c, At: now})
		}
	}
	if len(in.fps) > len(cat.topics) { // topics deleted: forget them
		for name := range in.fps {
			if _, ok := cat.byName[name]; !ok {
				delete(in.fps, name)
			}
		}
	}
	hashes := make([]string, 0, len(b.schemas))
	for h := range b.schemas {
		hashes = append(hashes, h)
	}
	slices.Sort(hashes)
	for _, h := range hashes {
		step.Schemas = append(step.Schemas, b.schemas[h])
	}
	return nil
}

// previous returns a topic's earlier versions compiled, oldest first,
// from the cache or compiled again from their stored schemas.
func (in *Ingester) previous(ctx context.Context, topic string) ([]compat.Contract, error) {
	vs := in.hist.Versions(topic)
	out := make([]compat.Contract, 0, len(vs))
	for _, v := range vs {
		k := versionKey{topic, v.Version}
		ct, ok := in.contracts.get(k)
		if !ok {
			var err error
			if ct, err = in.compileVersion(ctx, v); err != nil {
				return nil, fmt.Errorf("compile %s version %d: %w", topic, v.Version, err)
			}
			in.contracts.put(k, ct)
		}
		out = append(out, ct)
	}
	return out, nil
}

// base returns the catalog the next load recompiles from (nil when
// rebuilding everything).
func (in *Ingester) base() *Catalog {
	if in.fullRebuild {
		return nil
	}
	return in.cat
}

// decoded returns the cache of decoded YAML files (nil when rebuilding
// everything).
func (in *Ingester) decoded() *yamlCache {
	if in.fullRebuild {
		return nil
	}
	if in.yaml == nil {
		in.yaml = newYAMLCache()
	}
	return in.yaml
}

// diagnosticFindings turns load problems into findings of rule COMPILE.
func diagnosticFindings(err error) []registry.Finding {
	diags := registry.ErrorDiagnostics(err)
	if len(diags) == 0 {
		return []registry.Finding{{Rule: RuleCompile, Severity: registry.SeverityError, Message: registry.ErrorMessage(err)}}
	}
	out := make([]registry.Finding, len(diags))
	for i, d := range diags {
		out[i] = registry.Finding{Rule: RuleCompile, Severity: registry.SeverityError, Position: d.Position, Message: d.Message}
	}
	return out
}

func errorFindings(findings []registry.Finding) []registry.Finding {
	var out []registry.Finding
	for _, f := range findings {
		if f.Severity == registry.SeverityError {
			out = append(out, f)
		}
	}
	return out
}

// RuleCompile names findings about content that does not load at all.
const RuleCompile = "COMPILE"

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// treeChanges names the paths whose content differs between the stored
// tree and cur, the removed ones included, sorted; never nil.
func treeChanges(stored, cur map[string][]byte) []string {
	changed := []string{}
	for path, content := range cur {
		if old, ok := stored[path]; !ok || !bytes.Equal(old, content) {
			changed = append(changed, path)
		}
	}
	for path := range stored {
		if _, ok := cur[path]; !ok {
			changed = append(changed, path)
		}
	}
	slices.Sort(changed)
	return changed
}
