package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/lint"
)

// LintCmd checks a schema repository's working tree, the CI step of a
// schema repository: it compiles every schema, applies the governance rules
// and, with --against, checks every changed topic's compatibility with its
// base. Exit 0: clean; 1: findings at the failing severity; 2: the check
// could not run. The work is in package lint; this wires flags.
type LintCmd struct {
	Dir     string `arg:"" optional:"" default:"." help:"The schema root (holding registry.yaml) or a directory above it."`
	Against string `help:"Check compatibility against this base: a Git revision of the repository around DIR (origin/main, a tag, a SHA), or the URL of a running registry (https://…), which also makes transitive checks complete from a shallow clone."`
	Format  string `default:"text" enum:"text,json,github,sarif,junit,markdown" help:"Output format: text, json, github (workflow annotations), sarif, junit or markdown (a pull request comment)."`
	FailOn  string `default:"error" enum:"error,warning,info" help:"Lowest severity that fails the check (exit 1)."`

	HistoryDepth int    `default:"100" help:"Commits of the base's first-parent history read for transitive modes, at most."`
	MarkdownFile string `help:"Also write the markdown report to this file (e.g. for a pull request comment, or $GITHUB_STEP_SUMMARY)."`
	Color        string `default:"auto" enum:"auto,always,never" help:"Colour the text format: auto (when stdout is a terminal and NO_COLOR is unset), always or never."`

	// The registry's credentials, as every client sends them.
	Token    string        `help:"Bearer token for --against <registry URL>." env:"REGISTRY_TOKEN"`
	User     string        `help:"HTTP basic auth user for --against <registry URL>." env:"REGISTRY_USER"`
	Password string        `help:"HTTP basic auth password for --against <registry URL>." env:"REGISTRY_PASSWORD"`
	Timeout  time.Duration `default:"30s" help:"Timeout of each request to the registry."`

	LimitFlags `embed:""`
}

// lintCompileTimeout is lint's default compile-time limit.
const lintCompileTimeout = 10 * time.Minute

// errFindings makes the command exit 1 without printing more.
var errFindings = errors.New("findings")

// Run implements the command. Every error but findings means the check
// could not run: exit 2.
func (l *LintCmd) Run(e *env) error {
	limits, err := l.limits()
	if err != nil {
		return err
	}
	root, err := findSchemaRoot(l.Dir)
	if err != nil {
		return usageError{err}
	}
	opts := lint.Options{Root: root, HistoryDepth: l.HistoryDepth, Catalog: catalog.Options{Limits: limits}}
	if l.HistoryDepth < 1 {
		return usageError{fmt.Errorf("--history-depth must be at least 1")}
	}
	// The server's 60 s guards it against hostile input; a CI check of a
	// large repository (googleapis: 7,000 files) on a busy runner needs
	// more. --compile-timeout and registry.yaml's compile_timeout still win.
	opts.Catalog.Defaults.Timeout = lintCompileTimeout
	switch {
	case strings.HasPrefix(l.Against, "http://"), strings.HasPrefix(l.Against, "https://"):
		reg, err := newRegistryClient(l.Against, l.Token, l.User, l.Password, l.Timeout)
		if err != nil {
			return usageError{err}
		}
		opts.Registry = reg
	case l.Against != "":
		opts.Against = l.Against
	}
	if _, set := os.LookupEnv("GOGC"); !set {
		// A lint is one batch whose heap is mostly the compiled tree, live
		// to the end: collecting at 50% growth instead of 100% costs about
		// a sixth more CPU and saves about a fifth of the peak memory
		// (googleapis: 3.1 GB → 2.5 GB). GOGC overrides it.
		debug.SetGCPercent(50)
	}
	report, err := lint.Run(e.ctx, opts)
	if err != nil {
		return usageError{err}
	}
	wo := lint.WriteOptions{FailOn: registry.Severity(l.FailOn), ToolVersion: buildVersion(), Color: l.color(e.stdout)}
	if err := lint.Write(e.stdout, report, l.Format, wo); err != nil {
		return usageError{err}
	}
	if l.MarkdownFile != "" {
		if err := writeMarkdownFile(l.MarkdownFile, report); err != nil {
			return usageError{err}
		}
	}
	if report.Failed(registry.Severity(l.FailOn)) {
		return errFindings
	}
	return nil
}

// color decides whether the text format is coloured: only for a terminal,
// and never when NO_COLOR is set (https://no-color.org).
func (l *LintCmd) color(w io.Writer) bool {
	switch l.Color {
	case "always":
		return true
	case "never":
		return false
	}
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

func writeMarkdownFile(name string, r *lint.Report) error {
	// Append, as $GITHUB_STEP_SUMMARY expects; a new file is created.
	f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("markdown file: %w", err)
	}
	if err := lint.Write(f, r, "markdown", lint.WriteOptions{}); err != nil {
		f.Close()
		return fmt.Errorf("markdown file: %w", err)
	}
	return f.Close()
}

// findSchemaRoot returns dir if it holds registry.yaml, or the one directory
// below it that does (hidden directories skipped, three levels at most).
func findSchemaRoot(dir string) (string, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return "", err
	}
	if !info.IsDir() {
		return "", fmt.Errorf("%s: not a directory", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, catalog.RepoFile)); err == nil {
		return dir, nil
	}
	var found []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return nil
		case d.IsDir() && p != dir && (strings.HasPrefix(d.Name(), ".") || strings.Count(filepath.ToSlash(strings.TrimPrefix(p, dir)), "/") > 3):
			return filepath.SkipDir
		case !d.IsDir() && d.Name() == catalog.RepoFile:
			found = append(found, filepath.Dir(p))
		}
		return nil
	})
	switch len(found) {
	case 0:
		return "", fmt.Errorf("%s: no %s here or below: pass the schema root", dir, catalog.RepoFile)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("%s: several schema roots (%s): pass one", dir, strings.Join(found, ", "))
}

// ----- --against <registry URL>

// registryClient reads a running Backbone's native API: the topics, their
// versions and each version's .proto files.
type registryClient struct {
	base     string // scheme://host[/prefix], no trailing slash, no credentials
	client   *http.Client
	token    string
	user     string
	password string
}

// maxRegistryBody bounds a response from the registry.
const maxRegistryBody = 64 << 20

func newRegistryClient(raw, token, user, password string, timeout time.Duration) (*registryClient, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("--against %s: not a registry URL (want https://host[:port])", raw)
	}
	if u.User != nil { // https://user:password@host
		if user == "" {
			user = u.User.Username()
		}
		if p, ok := u.User.Password(); ok && password == "" {
			password = p
		}
		u.User = nil
	}
	u.RawQuery, u.Fragment = "", ""
	return &registryClient{
		base:   strings.TrimSuffix(u.String(), "/"),
		client: &http.Client{Timeout: timeout},
		token:  token, user: user, password: password,
	}, nil
}

func (c *registryClient) String() string { return c.base }

// get fetches path and decodes its JSON body into v.
func (c *registryClient) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return fmt.Errorf("registry %s: %w", c.base, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "registry-lint/"+buildVersion())
	switch {
	case c.token != "":
		req.Header.Set("Authorization", "Bearer "+c.token)
	case c.user != "":
		req.SetBasicAuth(c.user, c.password)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is said once, below
		}
		return fmt.Errorf("registry %s unreachable: GET %s: %v", c.base, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRegistryBody+1))
	if err != nil {
		return fmt.Errorf("registry %s: GET %s: %w", c.base, path, err)
	}
	if len(body) > maxRegistryBody {
		return fmt.Errorf("registry %s: GET %s: response larger than %d bytes", c.base, path, maxRegistryBody)
	}
	if resp.StatusCode != http.StatusOK {
		var problem struct{ Detail, Title, Message string }
		_ = json.Unmarshal(body, &problem)
		detail := firstOf(problem.Detail, problem.Message, problem.Title, strings.TrimSpace(string(body)))
		hint := ""
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			hint = " (set REGISTRY_TOKEN, or REGISTRY_USER and REGISTRY_PASSWORD)"
		}
		return fmt.Errorf("registry %s: GET %s: %s: %s%s", c.base, path, resp.Status, detail, hint)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("registry %s: GET %s: not a Backbone answer: %w", c.base, path, err)
	}
	return nil
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func (c *registryClient) Topics(ctx context.Context) ([]lint.RemoteTopic, error) {
	var body struct {
		Topics []lint.RemoteTopic `json:"topics"`
	}
	if err := c.get(ctx, "/v1/topics", &body); err != nil {
		return nil, err
	}
	return body.Topics, nil
}

func (c *registryClient) Versions(ctx context.Context, topic string) ([]registry.TopicVersion, error) {
	var body struct {
		Versions []registry.TopicVersion `json:"versions"`
	}
	if err := c.get(ctx, "/v1/topics/"+url.PathEscape(topic)+"/versions", &body); err != nil {
		return nil, err
	}
	return body.Versions, nil
}

func (c *registryClient) Schemas(ctx context.Context, topic string, version int) ([]registry.Schema, error) {
	var body struct {
		Schemas []registry.Schema `json:"schemas"`
	}
	if err := c.get(ctx, "/v1/topics/"+url.PathEscape(topic)+"/versions/"+strconv.Itoa(version), &body); err != nil {
		return nil, err
	}
	return body.Schemas, nil
}
