package sqlite_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/sqlite"
	"github.com/backbone-registry/backbone/storetest"
)

// newDatabase gives each test its own file in a temp dir.
func newDatabase(t *testing.T) storetest.Opener {
	path := filepath.Join(t.TempDir(), "data", "registry.db")
	return func(t *testing.T) registry.Store { return open(t, path) }
}

func open(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, newDatabase)
}

func TestLeaser(t *testing.T) {
	t.Parallel()
	storetest.RunLeaser(t, newDatabase)
}

func TestMigrateTwice(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "registry.db"))
	t.Cleanup(func() { s.Close() })
	for range 2 {
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
	}
}

// TestOddPath opens a file whose path needs escaping in a SQLite URI.
func TestOddPath(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "my dir #1?x", "r%20.db")
	open(t, path).Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the store is not at %s: %v", path, err)
	}
}
