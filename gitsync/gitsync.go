// Package gitsync reads a schema repository's history with go-git: it
// clones or opens the repository, fetches the followed branch, walks its
// first-parent history and reads trees from Git objects (never a work tree,
// never following symlinks). It knows nothing of HTTP, SQL or the catalog.
package gitsync

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"

	registry "github.com/backbone-registry/backbone"
)

// Config says which repository to follow and how to reach it.
type Config struct {
	// Source is a remote URL (https://…, ssh://…, git@host:path) or the path
	// of a local Git repository.
	Source string
	Branch string // default "main"
	// Dir is where a remote repository is cloned (bare). Unused for local
	// repositories, which are read in place.
	Dir string

	// Credentials, never logged. Token is sent as HTTP basic auth password
	// (user TokenUser, default "git"); SSHKey is a private key in PEM form.
	Token         string
	TokenUser     string
	SSHKey        []byte
	SSHPassphrase string
	KnownHosts    string // known_hosts file for SSH; empty: the user's default

	Log *slog.Logger
}

// Repo is a followed repository.
type Repo struct {
	cfg    Config
	repo   *git.Repository
	remote bool
	auth   transport.AuthMethod
	log    *slog.Logger
}

// IsRemote reports whether source names a remote repository rather than a
// local path.
func IsRemote(source string) bool {
	if strings.Contains(source, "://") {
		return true
	}
	// scp-like: git@github.com:acme/schemas.git
	at, colon := strings.Index(source, "@"), strings.Index(source, ":")
	return at > 0 && colon > at && !strings.Contains(source[:colon], "/")
}

// Open clones a remote repository into cfg.Dir (or opens the clone made
// earlier), or opens a local repository in place.
func Open(ctx context.Context, cfg Config) (*Repo, error) {
	if cfg.Branch == "" {
		cfg.Branch = "main"
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Repo{cfg: cfg, remote: IsRemote(cfg.Source), log: log}
	if !r.remote {
		if info, err := os.Stat(cfg.Source); err != nil || !info.IsDir() {
			return nil, notARepository(cfg.Source)
		}
		repo, err := git.PlainOpenWithOptions(cfg.Source, &git.PlainOpenOptions{DetectDotGit: false})
		if errors.Is(err, git.ErrRepositoryNotExists) {
			return nil, notARepository(cfg.Source)
		}
		if err != nil {
			return nil, registry.Errorf(registry.EINVALID, "open repository %s: %v", cfg.Source, err)
		}
		r.repo = repo
		return r, nil
	}
	auth, err := authMethod(cfg)
	if err != nil {
		return nil, err
	}
	r.auth = auth
	if cfg.Dir == "" {
		return nil, registry.Errorf(registry.EINVALID, "a remote repository needs a directory to clone into")
	}
	if _, err := os.Stat(filepath.Join(cfg.Dir, "HEAD")); err == nil {
		repo, err := git.PlainOpen(cfg.Dir)
		if err != nil {
			return nil, fmt.Errorf("open clone %s: %w", cfg.Dir, err)
		}
		r.repo = repo
		return r, nil
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create clone directory: %w", err)
	}
	log.Info("cloning schema repository", slog.String("source", Redact(cfg.Source)), slog.String("branch", cfg.Branch))
	repo, err := git.PlainCloneContext(ctx, cfg.Dir, true, &git.CloneOptions{
		URL:           cfg.Source,
		Auth:          auth,
		ReferenceName: plumbing.NewBranchReferenceName(cfg.Branch),
		SingleBranch:  true,
		Tags:          git.NoTags,
	})
	if err != nil {
		_ = os.RemoveAll(cfg.Dir) // a half clone would be mistaken for a good one
		return nil, remoteError("clone", cfg, err)
	}
	r.repo = repo
	return r, nil
}

// notARepository says why the local path dir holds no Git repository: it
// does not exist, is not a directory, is a plain directory, or is a
// directory inside a repository's work tree.
func notARepository(dir string) error {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return registry.Errorf(registry.ENOTFOUND, "repository %s does not exist: no such directory", dir)
	case err != nil:
		return registry.Errorf(registry.EINVALID, "repository %s: %v", dir, err)
	case !info.IsDir():
		return registry.Errorf(registry.EINVALID, "repository %s is not a directory", dir)
	}
	around, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if err == nil {
		if wt, err := around.Worktree(); err == nil {
			root := wt.Filesystem.Root()
			abs, _ := filepath.Abs(dir)
			if rel, err := filepath.Rel(root, abs); err == nil {
				return registry.Errorf(registry.EINVALID, "%s is not a Git repository but a directory inside the one at %s: follow that one, with %s as the schema root (--source %s --path %s)",
					dir, root, filepath.ToSlash(rel), root, filepath.ToSlash(rel))
			}
		}
	}
	return registry.Errorf(registry.EINVALID, "%s is not a Git repository (no .git in it; a plain directory of schemas is served with --dir)", dir)
}

// Fetch brings the followed branch up to date (remote repositories only;
// a local repository is always current) and returns its head commit.
func (r *Repo) Fetch(ctx context.Context) (string, error) {
	if r.remote {
		ref := plumbing.NewBranchReferenceName(r.cfg.Branch)
		err := r.repo.FetchContext(ctx, &git.FetchOptions{
			RemoteName: "origin",
			RefSpecs:   []config.RefSpec{config.RefSpec("+" + ref.String() + ":" + ref.String())},
			Auth:       r.auth,
			Tags:       git.NoTags,
			Force:      true,
		})
		if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
			return "", remoteError("fetch", r.cfg, err)
		}
	}
	return r.Head()
}

// Head returns the commit the followed branch points at.
func (r *Repo) Head() (string, error) {
	ref, err := r.repo.Reference(plumbing.NewBranchReferenceName(r.cfg.Branch), true)
	if err != nil {
		if errors.Is(err, plumbing.ErrReferenceNotFound) {
			if !r.remote {
				if _, err := os.Stat(r.cfg.Source); errors.Is(err, fs.ErrNotExist) {
					return "", registry.Errorf(registry.ENOTFOUND, "repository %s does not exist any more: no such directory (moved or removed?)", r.cfg.Source)
				}
			}
			return "", registry.Errorf(registry.ENOTFOUND, "branch %s not found in %s%s", r.cfg.Branch, Redact(r.cfg.Source), r.branchesHint())
		}
		return "", registry.Errorf(registry.EINTERNAL, "branch %s: %v", r.cfg.Branch, err)
	}
	return ref.Hash().String(), nil
}

// branchesHint names the branches there are, for a missing branch's error.
func (r *Repo) branchesHint() string {
	iter, err := r.repo.Branches()
	if err != nil {
		return ""
	}
	var names []string
	_ = iter.ForEach(func(ref *plumbing.Reference) error {
		names = append(names, ref.Name().Short())
		return nil
	})
	slices.Sort(names)
	switch {
	case len(names) == 0:
		return " (it has no branch: no commit yet)"
	case len(names) > 10:
		names = append(names[:10], "…")
	}
	return " (its branches: " + strings.Join(names, ", ") + "; choose one with --branch)"
}

func authMethod(cfg Config) (transport.AuthMethod, error) {
	switch {
	case cfg.Token != "":
		user := cfg.TokenUser
		if user == "" {
			user = "git"
		}
		return &githttp.BasicAuth{Username: user, Password: cfg.Token}, nil
	case len(cfg.SSHKey) > 0:
		keys, err := gitssh.NewPublicKeys("git", cfg.SSHKey, cfg.SSHPassphrase)
		if err != nil {
			return nil, registry.Errorf(registry.EINVALID, "ssh key: %v", err)
		}
		if cfg.KnownHosts != "" {
			cb, err := gitssh.NewKnownHostsCallback(cfg.KnownHosts)
			if err != nil {
				return nil, registry.Errorf(registry.EINVALID, "known hosts %s: %v", cfg.KnownHosts, err)
			}
			keys.HostKeyCallback = cb
		}
		return keys, nil
	}
	return nil, nil
}

// Redact removes credentials from a repository URL, for logs and the API.
// Every userinfo goes, user name included: a token is often given as the
// user name (https://TOKEN@host/...), and a user name is no business of an
// anonymous reader anyway. scp-like SSH addresses (git@host:path) carry no
// secret and stay as they are.
func Redact(source string) string {
	u, err := url.Parse(source)
	if err != nil || u.User == nil {
		return source
	}
	u.User = url.User("REDACTED")
	return u.String()
}

// PlainHTTPCredentials reports whether source sends credentials (its
// userinfo, or a token given separately) over unencrypted http.
func PlainHTTPCredentials(source string, token bool) bool {
	u, err := url.Parse(source)
	if err != nil || !strings.EqualFold(u.Scheme, "http") {
		return false
	}
	return token || u.User != nil
}

// remoteError describes a failed clone or fetch, credentials removed. A
// missing branch and refused credentials say so plainly: they need a person,
// where an unreachable server needs only a retry.
func remoteError(op string, cfg Config, err error) error {
	src, detail := Redact(cfg.Source), strings.TrimSpace(redactErr(err, cfg))
	wrap := func(e *registry.Error) error { return &RemoteError{Err: e, Detail: detail} }
	switch {
	case errors.Is(err, git.NoMatchingRefSpecError{}):
		return registry.Errorf(registry.ENOTFOUND, "%s %s: branch %s not found", op, src, cfg.Branch)
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed),
		strings.Contains(err.Error(), "unable to authenticate"): // SSH
		if cfg.Token == "" && len(cfg.SSHKey) == 0 && !hasPassword(cfg.Source) {
			return wrap(registry.Errorf(registry.EUNAUTHORIZED, "%s %s: authentication required, and no credentials were given", op, src))
		}
		return wrap(registry.Errorf(registry.EUNAUTHORIZED, "%s %s: authentication failed: the server refused the credentials", op, src))
	}
	return wrap(registry.Errorf(registry.EUNAVAILABLE, "%s %s: %s", op, src, networkSummary(err)))
}

// RemoteError is a failed exchange with the remote. Its message (the
// *registry.Error it unwraps to, what registry.ErrorMessage and the status
// API show) never quotes what the server answered: an anonymous reader of
// /v1/status must not see a remote's error page. Error, for logs, adds the
// redacted detail.
type RemoteError struct {
	Err    *registry.Error
	Detail string // redacted
}

func (e *RemoteError) Error() string { return e.Err.Message + " (" + e.Detail + ")" }

// Unwrap returns the domain error.
func (e *RemoteError) Unwrap() error { return e.Err }

// networkSummary says what went wrong without quoting the server: a network
// failure is ours to describe; anything else the server said stays in the log.
func networkSummary(err error) string {
	var dns *net.DNSError
	var op *net.OpError
	switch {
	case errors.As(err, &dns):
		return "cannot resolve host " + dns.Name
	case errors.As(err, &op):
		return "network error (" + op.Op + "): remote unreachable"
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	}
	return "the remote answered with an error (details in the server log)"
}

func hasPassword(source string) bool {
	u, err := url.Parse(source)
	if err != nil || u.User == nil {
		return false
	}
	_, ok := u.User.Password()
	return ok
}

// redactErr renders err with every credential removed.
func redactErr(err error, cfg Config) string {
	msg := err.Error()
	for _, secret := range []string{cfg.Token, cfg.SSHPassphrase} {
		if secret != "" {
			msg = strings.ReplaceAll(msg, secret, "REDACTED")
		}
	}
	if u, perr := url.Parse(cfg.Source); perr == nil && u.User != nil {
		msg = strings.ReplaceAll(msg, cfg.Source, Redact(cfg.Source))
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "REDACTED")
		}
		if name := u.User.Username(); len(name) >= 8 { // a token as the user name; short names such as "git" are not secrets
			msg = strings.ReplaceAll(msg, name, "REDACTED")
		}
	}
	return msg
}
