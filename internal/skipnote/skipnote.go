// Package skipnote skips tests whose prerequisite (a database, a browser, a
// tool) is missing, and says so on the developer's terminal in one line per
// test binary: plain `go test ./...` shows nothing of a passing package but
// its "ok" line, so a skip would otherwise go unnoticed.
package skipnote

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

var (
	mu   sync.Mutex
	said = map[string]bool{}
	out  = terminal
)

// Skip skips t for a missing prerequisite. The first time in this test
// binary that tests of kind what are skipped, it also writes
// "<package>: <what> tests skipped: <how>" where the developer sees it:
// the terminal (go test keeps a passing package's output to itself), or
// nothing extra with -v, where the skip message itself shows.
//
// When CI is set it fails t instead: there a skipped test would be an
// untested feature, and .ci/run installs every prerequisite.
func Skip(t testing.TB, what, how string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("CI must run the %s tests: %s", what, how)
	}
	mu.Lock()
	first := !said[what]
	said[what] = true
	w := out()
	mu.Unlock()
	if first && w != nil {
		fmt.Fprintf(w, "%s: %s tests skipped: %s\n", pkg(), what, how)
		if c, ok := w.(io.Closer); ok {
			c.Close()
		}
	}
	t.Skipf("%s tests skipped: %s", what, how)
}

// pkg names the package under test from the test binary's name
// (catalog.test → catalog).
func pkg() string {
	return strings.TrimSuffix(strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe"), ".test")
}

// terminal opens the controlling terminal, or returns nil with -v (the
// skip message shows) or without a terminal (as in CI, where a missing
// prerequisite fails instead). It opens /dev/tty with syscall.Open, not
// os.OpenFile, so that go test does not record the file among the test's
// inputs: a terminal changes all the time and would make the result
// uncacheable.
func terminal() io.Writer {
	if testing.Verbose() {
		return nil
	}
	fd, err := syscall.Open("/dev/tty", syscall.O_WRONLY, 0)
	if err != nil {
		return nil
	}
	return os.NewFile(uintptr(fd), "/dev/tty")
}

// SetOutput makes the notes go to w (tests of this mechanism) and returns
// a function that restores the terminal; the notes already written are
// forgotten, so each may be written again.
func SetOutput(w io.Writer) (restore func()) {
	mu.Lock()
	defer mu.Unlock()
	prev := out
	out = func() io.Writer { return w }
	said = map[string]bool{}
	return func() {
		mu.Lock()
		defer mu.Unlock()
		out, said = prev, map[string]bool{}
	}
}
