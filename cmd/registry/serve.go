package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/api"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/gitsync"
	"github.com/backbone-registry/backbone/lint"
	"github.com/backbone-registry/backbone/web"
)

// ServeCmd runs the registry.
type ServeCmd struct {
	Addr   string `default:":8081" help:"Address to listen on (the port Kafka clients expect a schema registry on)."`
	Source string `help:"The schema repository: a Git URL (https or ssh) or a local repository path. Default: the Git repository around ./schemas, if any."`
	Dir    string `help:"Serve a plain directory as a snapshot instead (no history, no store): the schema root holding registry.yaml."`
	Branch string `help:"Branch to follow (default main; for the default local repository, its current branch)."`
	Path   string `help:"The schema root inside the repository (default: the top, or schemas for the default local repository)."`
	Since  string `help:"On the first sync, start at this commit instead of the root of the history."`

	Poll          time.Duration `default:"30s" help:"How often to fetch the branch (with jitter)."`
	WebhookSecret string        `help:"Secret of push webhooks (POST /v1/hooks/git); empty: webhooks are refused."`
	DB            string        `name:"db" help:"PostgreSQL URL (postgres://…); empty: the embedded store in --data-dir."`
	DataDir       string        `default:"data" help:"Where the embedded store and Git clones live."`

	GitToken      string `help:"Token for an https source (sent as the basic auth password)."`
	GitTokenFile  string `help:"File holding the Git token, instead of --git-token."`
	GitTokenUser  string `default:"git" help:"User name sent with the Git token."`
	SSHKeyFile    string `name:"ssh-key-file" help:"Private key file for an ssh source."`
	SSHPassphrase string `name:"ssh-passphrase" help:"Passphrase of the ssh key."`
	KnownHosts    string `help:"known_hosts file for an ssh source (default: the user's)."`

	Credentials   string `help:"Credentials file (YAML list of {name, role: read|admin, token | username+password}); secrets may be SHA-256 hex."`
	AnonymousRead bool   `default:"true" negatable:"" help:"Let requests without credentials read (--no-anonymous-read requires credentials)."`
	MaxBody       int64  `default:"4194304" help:"Largest request body, in bytes."`
	MaxCompiles   int    `default:"0" help:"Schema compilations running at once across the routes that compile (Confluent lookup, register and compatibility, /v1/check, FileDescriptorSets, diffs, the web diff page); 0: one per CPU. A request waits up to 10s for a slot, then gets 429 with Retry-After."`

	LogFormat string `default:"text" enum:"text,json" help:"Log format: text or json."`
	LogLevel  string `default:"info" enum:"debug,info,warn,error" help:"Log level."`

	ShutdownTimeout time.Duration `default:"10s" help:"How long in-flight requests may take to finish on SIGINT/SIGTERM."`

	LimitFlags `embed:""`
}

// Server limits: generous for API clients, tight enough that a slow or
// hostile client cannot hold connections forever.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
)

// Run implements the command.
func (s *ServeCmd) Run(e *env) error {
	log := newLogger(e, s.LogFormat, s.LogLevel)
	mode, err := s.resolve(log)
	if err != nil {
		return err
	}
	limits, err := s.limits()
	if err != nil {
		return err
	}
	opts := catalog.Options{Limits: limits}
	snap := &catalog.Snapshot{}
	auth, err := s.auth(log)
	if err != nil {
		return err
	}
	cfg := api.Config{Version: buildVersion(), Logger: log, WebhookSecret: s.WebhookSecret, Branch: s.Branch, Auth: auth, MaxBodyBytes: s.MaxBody,
		Check: lint.Checker(opts), Limits: limits, Compiles: api.NewCompileGate(s.MaxCompiles, 0)} // the web's diff page shares the gate
	var from string
	var background func(ctx context.Context)
	if mode == modeDir {
		c, err := loadDir(e.ctx, s.Dir, opts)
		if err != nil {
			return err
		}
		if err := acceptable(c, e, s.Dir); err != nil {
			return err
		}
		snap.Store(c)
		cfg.Metrics = api.NewMetrics(snap, nil, nil)
		log.Info("schema snapshot loaded", slog.String("dir", s.Dir),
			slog.Int("services", len(c.Services())), slog.Int("topics", len(c.Topics(catalog.TopicFilter{}))))
		from = fmt.Sprintf("%d topics of %d services from %s", len(c.Topics(catalog.TopicFilter{})), len(c.Services()), s.Dir)
	} else {
		store, leaser, where, err := openStore(e.ctx, s.DB, s.DataDir, log)
		if err != nil {
			return err
		}
		defer store.Close()
		source, err := s.gitSource(log, limits)
		if err != nil {
			return err
		}
		ingester := &catalog.Ingester{
			Store: store, Source: source, Snapshot: snap, Log: log, Options: opts,
			Origin: gitsync.Redact(s.Source), Branch: s.Branch, Since: s.Since,
		}
		syncer := &catalog.Syncer{Ingester: ingester, Leaser: leaser, Poll: s.Poll, Log: log}
		cfg.Syncer = syncer
		cfg.Metrics = api.NewMetrics(snap, ingester, syncer)
		syncer.Observe = cfg.Metrics.ObserveSync
		background = func(ctx context.Context) { _ = syncer.Run(ctx) }
		path := s.Path
		if path == "" {
			path = "."
		}
		from = fmt.Sprintf("%s (branch %s, path %s) with the %s", gitsync.Redact(s.Source), s.Branch, path, where)
	}

	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.Addr, err)
	}
	webCfg := web.Config{Version: cfg.Version, Logger: log, Compiles: cfg.Compiles.Enter}
	if cfg.Syncer != nil {
		webCfg.Syncer = cfg.Syncer
	}
	cfg.Web = web.New(snap, webCfg)
	srv := &http.Server{
		Handler:           api.New(snap, cfg),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	syncDone := make(chan struct{})
	go func() {
		defer close(syncDone)
		if background != nil {
			background(ctx)
		}
	}()
	url := browseURL(ln.Addr())
	fmt.Fprintf(e.stdout, "Backbone is serving %s\nOpen the catalog at %s/ (API docs: %s/docs)\n", from, url, url)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-e.ctx.Done():
	}
	log.Info("shutting down", slog.Duration("timeout", s.ShutdownTimeout))
	cancel()
	shutdownCtx, cancelShutdown := context.WithTimeout(context.Background(), s.ShutdownTimeout)
	defer cancelShutdown()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	<-syncDone
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// auth reads the credentials file, if any.
func (s *ServeCmd) auth(log *slog.Logger) (*api.Auth, error) {
	var creds []api.Credential
	if s.Credentials != "" {
		data, err := os.ReadFile(s.Credentials)
		if err != nil {
			return nil, usageError{fmt.Errorf("credentials: %w", err)}
		}
		if creds, err = api.ParseCredentials(s.Credentials, data); err != nil {
			return nil, usageError{err}
		}
	}
	if len(creds) == 0 && !s.AnonymousRead {
		return nil, usageError{fmt.Errorf("--no-anonymous-read needs --credentials: nobody could read")}
	}
	if len(creds) == 0 {
		log.Info("no credentials file: reads are anonymous and POST /v1/sync is open")
	}
	return api.NewAuth(creds, s.AnonymousRead, log)
}

// loadDir loads the schema repository in a plain directory.
func loadDir(ctx context.Context, dir string, opts catalog.Options) (*catalog.Catalog, error) {
	info, err := os.Stat(dir)
	switch {
	case err != nil:
		return nil, usageError{fmt.Errorf("schema directory %s: %w (run from the project root, or pass --dir)", dir, err)}
	case !info.IsDir():
		return nil, usageError{fmt.Errorf("schema directory %s: not a directory", dir)}
	}
	if _, err := os.Stat(filepath.Join(dir, catalog.RepoFile)); err != nil {
		if root, err := findSchemaRoot(dir); err == nil && root != dir {
			return nil, usageError{fmt.Errorf("no %s in %s; found %s — run with --dir %s", catalog.RepoFile, dir, filepath.Join(root, catalog.RepoFile), root)}
		}
	}
	c, err := catalog.Load(ctx, os.DirFS(dir), opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return c, nil
}

// acceptable prints the governance findings and refuses a catalog with
// findings at error severity: the server accepts what `registry lint`
// accepts, no more.
func acceptable(c *catalog.Catalog, e *env, dir string) error {
	var errs int
	for _, f := range c.Findings() {
		if f.Severity == registry.SeverityInfo {
			continue
		}
		if f.Severity == registry.SeverityError {
			errs++
		}
		fmt.Fprintf(e.stderr, "%s/%s\n", dir, f)
	}
	if errs > 0 {
		return fmt.Errorf("%s: %d governance findings at error severity: fix them, or lower the rules' severity under governance: in registry.yaml", dir, errs)
	}
	return nil
}

// browseURL is the URL a person on this machine opens for addr.
func browseURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(strings.Trim(host, "[]"), port)
}

func newLogger(e *env, format, level string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level)) // kong validated the enum
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(e.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(e.stderr, opts))
}
