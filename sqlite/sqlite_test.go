package sqlite_test

import (
	"encoding/json"
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

// TestMigration0003 folds the rejections a store of migration 0002 holds.
func TestMigration0003(t *testing.T) {
	t.Parallel()
	storetest.RunMigration(t, func(t *testing.T) storetest.Legacy {
		path := filepath.Join(t.TempDir(), "registry.db")
		log := slog.New(slog.NewTextHandler(t.Output(), nil))
		old := func(t *testing.T) *sqlite.Store {
			s, err := sqlite.OpenUpTo(t.Context(), path, log, 2)
			if err != nil {
				t.Fatalf("Open at 0002: %v", err)
			}
			return s
		}
		return storetest.Legacy{
			Open: func(t *testing.T) registry.Store { return old(t) },
			Reject: func(t *testing.T, r registry.Rejection) {
				s := old(t)
				defer s.Close()
				findings, err := json.Marshal(r.Findings)
				if err != nil {
					t.Fatal(err)
				}
				c := r.Commit
				if err := s.Exec(t.Context(), `INSERT INTO rejections
					(topic, commit_sha, commit_author, commit_email, commit_time, commit_message, findings, created_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
					r.Topic, c.SHA, c.Author, c.Email, c.Time.UnixMicro(), c.Message, string(findings), r.CreatedAt.UnixMicro()); err != nil {
					t.Fatalf("insert a rejection as 0002 did: %v", err)
				}
			},
			Upgrade: func(t *testing.T) registry.Store { return open(t, path) },
		}
	})
}
