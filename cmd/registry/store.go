package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	registry "github.com/backbone-registry/backbone"
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
		s, err := postgres.Open(ctx, db, log)
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
