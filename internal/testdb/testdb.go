// Package testdb gives tests the PostgreSQL database named by
// REGISTRY_TEST_DATABASE_URL.
package testdb

import (
	"os"
	"testing"

	"github.com/backbone-registry/backbone/internal/skipnote"
)

// Example is the URL of the database .ci/run starts, for messages.
const Example = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// URL returns REGISTRY_TEST_DATABASE_URL. Without it the test skips, saying
// so once per package on the terminal, but when CI is set it fails: there,
// a skipped test would be an untested store.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("REGISTRY_TEST_DATABASE_URL")
	if u == "" {
		skipnote.Skip(t, "PostgreSQL", "set REGISTRY_TEST_DATABASE_URL="+Example+" to run them (see README, Development)")
	}
	return u
}
