package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/gitsync"
	"github.com/backbone-registry/backbone/postgres"
	"github.com/backbone-registry/backbone/sqlite"
)

// openStore opens PostgreSQL when db is a URL, else the embedded store in
// dataDir. The leaser is nil for the embedded store: one process owns it.
// where describes the store for people, without credentials.
func openStore(ctx context.Context, db, dataDir string, log *slog.Logger) (registry.Store, registry.Leaser, string, error) {
	if db != "" {
		if !strings.HasPrefix(db, "postgres://") && !strings.HasPrefix(db, "postgresql://") {
			return nil, nil, "", usageError{fmt.Errorf("--db: want a postgres:// URL (leave it empty for the embedded store)")}
		}
		s, err := openPostgres(ctx, db, log)
		if err != nil {
			return nil, nil, "", fmt.Errorf("open PostgreSQL: %w", err)
		}
		return s, s, "PostgreSQL store", nil
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, nil, "", fmt.Errorf("data directory: %w", err)
	}
	path := filepath.Join(dataDir, "registry.db")
	s, err := sqlite.Open(ctx, path, log)
	if err != nil {
		return nil, nil, "", fmt.Errorf("open embedded store %s: %w", path, err)
	}
	return s, nil, "embedded store " + path, nil
}

// Backoff between attempts to reach PostgreSQL at start-up.
const (
	openMinBackoff = 500 * time.Millisecond
	openMaxBackoff = 30 * time.Second
)

// openPostgres opens the PostgreSQL store, retrying with backoff while the
// database cannot be reached (a replica started before its database, or
// during an outage, waits instead of exiting into a crash loop) until it
// answers or ctx ends. Each failed attempt is logged once, credentials
// redacted. Other errors (a bad URL, a failed migration) end it at once.
func openPostgres(ctx context.Context, db string, log *slog.Logger) (*postgres.Store, error) {
	backoff := openMinBackoff
	for attempt := 1; ; attempt++ {
		s, err := postgres.Open(ctx, db, log)
		if err == nil {
			if attempt > 1 {
				log.Info("PostgreSQL answers", slog.Int("attempt", attempt))
			}
			return s, nil
		}
		if registry.ErrorCode(err) != registry.EUNAVAILABLE || ctx.Err() != nil {
			return nil, err
		}
		log.Warn("PostgreSQL is unavailable; retrying", slog.Int("attempt", attempt),
			slog.Duration("retry_in", backoff), slog.String("error", redactDB(err.Error(), db)))
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, openMaxBackoff)
	}
}

// redactDB removes the database URL's password and user name from msg.
func redactDB(msg, db string) string {
	u, err := url.Parse(db)
	if err != nil || u.User == nil {
		return msg
	}
	msg = strings.ReplaceAll(msg, db, gitsync.Redact(db))
	if pw, ok := u.User.Password(); ok && pw != "" {
		msg = strings.ReplaceAll(msg, pw, "REDACTED")
	}
	return msg
}

// MigrateCmd applies the store's migrations and exits.
type MigrateCmd struct {
	DB      string `name:"db" help:"PostgreSQL URL; empty: the embedded store in --data-dir."`
	DataDir string `default:"data" help:"Where the embedded store lives."`
}

// Run implements the command.
func (m *MigrateCmd) Run(e *env) error {
	log := newLogger(e, "text", "info")
	store, _, where, err := openStore(e.ctx, m.DB, m.DataDir, log) // opening migrates, under a lock
	if err != nil {
		return err
	}
	defer store.Close()
	_, err = fmt.Fprintf(e.stdout, "%s is up to date\n", where)
	return err
}
