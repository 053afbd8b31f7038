// Package testdb gives tests the PostgreSQL database named by
// REGISTRY_TEST_DATABASE_URL.
package testdb

import (
	"os"
	"testing"
)

// URL returns REGISTRY_TEST_DATABASE_URL. Without it the test skips, but
// when CI is set it fails: there, a skipped test would be an untested store.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("REGISTRY_TEST_DATABASE_URL")
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("REGISTRY_TEST_DATABASE_URL is not set: CI must run the PostgreSQL tests " +
				"(e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
		}
		t.Skip("REGISTRY_TEST_DATABASE_URL is not set")
	}
	return u
}
