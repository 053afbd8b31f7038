package testdb

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/backbone-registry/backbone/internal/skipnote"
)

// TestURLSaysWhatWasSkipped: without the variable and without CI, the
// tests skip and one line per test binary says so and how to run them.
func TestURLSaysWhatWasSkipped(t *testing.T) {
	var out bytes.Buffer
	defer skipnote.SetOutput(&out)()
	t.Setenv("CI", "")
	t.Setenv("REGISTRY_TEST_DATABASE_URL", "")
	for range 3 {
		inner := t.Run("needs the database", func(t *testing.T) { URL(t) })
		if !inner {
			t.Fatal("the test failed instead of skipping")
		}
	}
	want := "testdb: PostgreSQL tests skipped: set REGISTRY_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run them (see README, Development)\n"
	if out.String() != want {
		t.Errorf("note: got %q, want it once: %q", out.String(), want)
	}
	if strings.Count(out.String(), "\n") != 1 {
		t.Errorf("want one line, got %q", out.String())
	}
}

// TestURLFailsInCI: with CI set, a missing database fails the test (run in
// a child process, whose failure is the expected outcome).
func TestURLFailsInCI(t *testing.T) {
	if os.Getenv("TESTDB_CHILD") == "1" {
		URL(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestURLFailsInCI$", "-test.count=1")
	cmd.Env = append(os.Environ(), "TESTDB_CHILD=1", "CI=true", "REGISTRY_TEST_DATABASE_URL=")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "CI must run the PostgreSQL tests") {
		t.Errorf("with CI set: err %v, output:\n%s\nwant a failure saying CI must run the PostgreSQL tests", err, out)
	}
}
