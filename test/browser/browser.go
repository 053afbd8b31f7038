// Package browser tests the web catalog in a real headless Chromium,
// driven with chromedp over the DevTools protocol, against the estate of
// internal/estate served by the API with the UI mounted. It also
// regenerates the screenshots of docs/screenshots (go test -run
// TestScreenshots -screenshots). chromedp is imported here only, so it
// stays out of the web package and the binary.
package browser

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/backbone-registry/backbone/internal/skipnote"
)

// chromiumNames are the executables tried on PATH, Debian's first.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"}

// Find returns the path of the browser to run: REGISTRY_TEST_CHROMIUM,
// or the first of chromiumNames on PATH.
func Find() (string, error) {
	if p := os.Getenv("REGISTRY_TEST_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range chromiumNames {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium found (REGISTRY_TEST_CHROMIUM, or chromium on PATH)")
}

// Chromium returns the browser Find finds. Without one the test skips,
// saying so once on the terminal, but when CI is set it fails: there, a skipped test would be an untested
// UI (.ci/run installs Debian's chromium).
func Chromium(t testing.TB) string {
	t.Helper()
	p, err := Find()
	if err == nil {
		return p
	}
	skipnote.Skip(t, "browser", fmt.Sprintf("%v: install Chromium (apt-get install chromium) or set REGISTRY_TEST_CHROMIUM to its path", err))
	return ""
}
