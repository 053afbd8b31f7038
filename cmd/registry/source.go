package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/compat"
	"github.com/backbone-registry/backbone/gitsync"
)

type serveMode int

const (
	modeDir serveMode = iota
	modeGit
)

// defaultSchemas is the demo a bare `registry serve` looks for.
const defaultSchemas = "schemas"

// resolve decides between a plain directory and a Git source. With neither
// flag, it serves ./schemas: through the Git repository around it, with
// history and the embedded store, when there is one; as a plain directory
// otherwise.
func (s *ServeCmd) resolve(log *slog.Logger) (serveMode, error) {
	switch {
	case s.Dir != "" && s.Source != "":
		return 0, usageError{fmt.Errorf("--dir and --source exclude each other: serve a plain directory or a Git repository")}
	case s.Dir != "":
		return modeDir, nil
	case s.Source != "":
		if s.Branch == "" {
			s.Branch = "main"
		}
		return modeGit, nil
	}
	if _, err := os.Stat(filepath.Join(defaultSchemas, catalog.RepoFile)); err != nil {
		return 0, usageError{fmt.Errorf("nothing to serve: no %s/%s here; run from the project root, or pass --source or --dir", defaultSchemas, catalog.RepoFile)}
	}
	root, branch, ok := enclosingRepo(defaultSchemas)
	if !ok {
		log.Info("serving ./schemas as a plain directory (no Git repository with a branch around it)")
		s.Dir = defaultSchemas
		return modeDir, nil
	}
	abs, _ := filepath.Abs(defaultSchemas)
	rel, err := filepath.Rel(root, abs)
	if err != nil {
		s.Dir = defaultSchemas
		return modeDir, nil
	}
	s.Source, s.Path = commonDir(root), filepath.ToSlash(rel)
	if s.Branch == "" {
		s.Branch = branch
	}
	log.Info("serving the committed history of ./schemas; uncommitted edits are not served (use --dir schemas for the working tree)",
		slog.String("repository", root), slog.String("branch", s.Branch))
	return modeGit, nil
}

// enclosingRepo finds the Git repository holding dir and its current branch.
func enclosingRepo(dir string) (root, branch string, ok bool) {
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if err != nil {
		return "", "", false
	}
	wt, err := repo.Worktree()
	if err != nil {
		return "", "", false
	}
	head, err := repo.Head()
	if err != nil || !head.Name().IsBranch() {
		return "", "", false // no commit yet, or a detached HEAD
	}
	return wt.Filesystem.Root(), head.Name().Short(), true
}

// commonDir returns where the repository of the work tree at root keeps its
// branches: root itself, or for a linked work tree (git worktree add) the
// main repository's .git directory, which a clone can read them from.
func commonDir(root string) string {
	b, err := os.ReadFile(filepath.Join(root, ".git"))
	if err != nil {
		return root // a directory: an ordinary repository
	}
	gitdir, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "gitdir: ")
	if !ok {
		return root
	}
	if !filepath.IsAbs(gitdir) {
		gitdir = filepath.Join(root, gitdir)
	}
	common, err := os.ReadFile(filepath.Join(gitdir, "commondir"))
	if err != nil {
		return root
	}
	dir := strings.TrimSpace(string(common))
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(gitdir, dir)
	}
	return filepath.Clean(dir)
}

// gitSource builds the sync's source; the repository is opened (cloned) on
// first use, so a restart serves its stored snapshot even when Git is down.
func (s *ServeCmd) gitSource(log *slog.Logger, limits compat.Limits) (catalog.Source, error) {
	token := s.GitToken
	if s.GitTokenFile != "" {
		b, err := os.ReadFile(s.GitTokenFile)
		if err != nil {
			return nil, usageError{fmt.Errorf("token file: %w", err)}
		}
		token = strings.TrimSpace(string(b))
	}
	var key []byte
	if s.SSHKeyFile != "" {
		b, err := os.ReadFile(s.SSHKeyFile)
		if err != nil {
			return nil, usageError{fmt.Errorf("ssh key file: %w", err)}
		}
		key = b
	}
	if gitsync.PlainHTTPCredentials(s.Source, token != "") {
		log.Warn("credentials for the schema repository travel unencrypted over plain http: use https",
			slog.String("source", gitsync.Redact(s.Source)))
	}
	sum := sha256.Sum256([]byte(gitsync.Redact(s.Source) + "\x00" + s.Branch))
	cfg := gitsync.Config{
		Source: s.Source, Branch: s.Branch,
		Dir:   filepath.Join(s.DataDir, "git", hex.EncodeToString(sum[:8])),
		Token: token, TokenUser: s.GitTokenUser, SSHKey: key, SSHPassphrase: s.SSHPassphrase, KnownHosts: s.KnownHosts,
		Log: log,
	}
	opts := gitsync.TreeOptions{
		Root: s.Path,
		Want: catalog.IsRepositoryFile,
		// Each commit is read with its registry.yaml's limits, under the
		// command line's.
		LimitsFile: catalog.RepoFile,
		LimitsOf:   catalog.LimitsOf(limits),
	}
	return &lazySource{cfg: cfg, opts: opts, log: log}, nil
}

// lazySource opens the repository on first use and retries on failure.
type lazySource struct {
	cfg  gitsync.Config
	opts gitsync.TreeOptions

	log *slog.Logger

	mu    sync.Mutex
	files *gitsync.Files
	hint  string // the last misplaced-root message logged
}

func (l *lazySource) get(ctx context.Context) (*gitsync.Files, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.files == nil {
		repo, err := gitsync.Open(ctx, l.cfg)
		if err != nil {
			return nil, err
		}
		l.files = &gitsync.Files{Repo: repo, Opts: l.opts}
	}
	return l.files, nil
}

func (l *lazySource) Fetch(ctx context.Context) (string, error) {
	f, err := l.get(ctx)
	if err != nil {
		return "", err
	}
	return f.Fetch(ctx)
}

func (l *lazySource) Since(ctx context.Context, head, since string, limit int) ([]registry.Commit, bool, error) {
	f, err := l.get(ctx)
	if err != nil {
		return nil, false, err
	}
	return f.Since(ctx, head, since, limit)
}

func (l *lazySource) Tree(ctx context.Context, sha string) (map[string][]byte, error) {
	f, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	files, err := f.Tree(ctx, sha)
	if err == nil {
		err = l.misplacedRoot(ctx, f, sha, files)
	}
	if err != nil {
		return nil, err
	}
	return files, nil
}

func (l *lazySource) Update(ctx context.Context, prev map[string][]byte, from, to string) (map[string][]byte, []string, error) {
	f, err := l.get(ctx)
	if err != nil {
		return nil, nil, err
	}
	files, changed, err := f.Update(ctx, prev, from, to)
	if err == nil {
		err = l.misplacedRoot(ctx, f, to, files)
	}
	if err != nil {
		return nil, nil, err
	}
	return files, changed, nil
}

// misplacedRoot rejects a commit whose schema root has no registry.yaml
// while a directory below it has one: the schemas sit in a sub-directory
// and --path is missing or wrong. Without this every commit would be
// rejected for lacking registry.yaml, with nothing pointing at the flag.
func (l *lazySource) misplacedRoot(ctx context.Context, f *gitsync.Files, sha string, files map[string][]byte) error {
	if _, ok := files[catalog.RepoFile]; ok {
		return nil
	}
	root := strings.Trim(path.Clean("/"+f.Opts.Root), "/")
	dirs, err := f.Repo.FindBelow(ctx, sha, root, catalog.RepoFile, 4)
	if err != nil || len(dirs) == 0 {
		return err
	}
	where := "the repository root"
	if root != "" {
		where = "the schema root " + root + " (--path)"
	}
	var found, runs []string
	for _, d := range dirs {
		p := path.Join(root, d)
		found = append(found, p+"/"+catalog.RepoFile)
		runs = append(runs, "--path "+p)
	}
	msg := fmt.Sprintf("no %s at %s; found %s — run with %s", catalog.RepoFile, where, strings.Join(found, ", "), strings.Join(runs, " or "))
	l.mu.Lock()
	if msg != l.hint {
		l.hint = msg
		l.log.Warn(msg, slog.String("commit", sha))
	}
	l.mu.Unlock()
	return &registry.Error{Code: registry.EINVALID, Message: msg,
		Diagnostics: []registry.Diagnostic{{Position: registry.Position{File: catalog.RepoFile}, Message: msg}}}
}
