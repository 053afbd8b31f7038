package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/api"
	"github.com/backbone-registry/backbone/catalog"
)

// ServeCmd runs the registry.
type ServeCmd struct {
	Addr      string `default:":8081" help:"Address to listen on (the port Kafka clients expect a schema registry on)."`
	Dir       string `default:"schemas" help:"A plain directory served as a snapshot (no Git history): the schema root holding registry.yaml."`
	LogFormat string `default:"text" enum:"text,json" help:"Log format: text or json."`
	LogLevel  string `default:"info" enum:"debug,info,warn,error" help:"Log level."`

	ShutdownTimeout time.Duration `default:"10s" help:"How long in-flight requests may take to finish on SIGINT/SIGTERM."`
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
	snap := &catalog.Snapshot{}
	c, err := loadDir(e.ctx, s.Dir)
	if err != nil {
		return err
	}
	if err := acceptable(c, e, s.Dir); err != nil {
		return err
	}
	snap.Store(c)
	log.Info("schema snapshot loaded", slog.String("dir", s.Dir),
		slog.Int("services", len(c.Services())), slog.Int("topics", len(c.Topics(catalog.TopicFilter{}))),
		slog.Int("findings", len(c.Findings())))

	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.Addr, err)
	}
	srv := &http.Server{
		Handler:           api.New(snap, api.Config{Version: buildVersion(), Logger: log}),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	url := browseURL(ln.Addr())
	fmt.Fprintf(e.stdout, "Backbone is serving %d topics of %d services from %s\nOpen %s/docs (API: %s/v1/topics)\n",
		len(c.Topics(catalog.TopicFilter{})), len(c.Services()), s.Dir, url, url)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-e.ctx.Done():
	}
	log.Info("shutting down", slog.Duration("timeout", s.ShutdownTimeout))
	ctx, cancel := context.WithTimeout(context.Background(), s.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// loadDir loads the schema repository in a plain directory.
func loadDir(ctx context.Context, dir string) (*catalog.Catalog, error) {
	info, err := os.Stat(dir)
	switch {
	case err != nil:
		return nil, usageError{fmt.Errorf("schema directory %s: %w (run from the project root, or pass --dir)", dir, err)}
	case !info.IsDir():
		return nil, usageError{fmt.Errorf("schema directory %s: not a directory", dir)}
	}
	c, err := catalog.Load(ctx, os.DirFS(dir), catalog.Options{})
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
