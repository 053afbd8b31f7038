package browser_test

import (
	"bytes"
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/backbone-registry/backbone/internal/estate"
	"github.com/backbone-registry/backbone/test/browser"
)

// writeScreenshots makes TestScreenshots write docs/screenshots instead of
// a temp dir: `make screenshots`.
var writeScreenshots = flag.Bool("screenshots", false, "write the screenshots to docs/screenshots")

// screenshotWidth is the width of every screenshot, in CSS pixels at scale 1.
const screenshotWidth = 1280

// shots are the pages of docs/screenshots and the most each may be tall.
var shots = []struct {
	name      string
	path      string
	maxHeight int
}{
	{"home", "/", 900},
	{"topic", "/topics/" + estate.Orders, 1100},
	{"diff", "/topics/" + estate.DeadLetters + "/diff?from=1&to=2", 1100},
	{"graph", "/graph", 1300},
}

// TestScreenshots takes the documentation's screenshots of the estate:
// each page at 1280 px wide, as tall as its content up to a maximum. With
// -screenshots it writes them to docs/screenshots; without, to a temp dir,
// and only checks that they are PNGs of the right size.
func TestScreenshots(t *testing.T) {
	if _, err := browser.Find(); err != nil && *writeScreenshots {
		t.Fatalf("%v: the screenshots need it", err)
	}
	ctx := newTab(t)
	_, base := served(t)
	dir := t.TempDir()
	if *writeScreenshots {
		dir = filepath.Join("..", "..", "docs", "screenshots")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range shots {
		do(t, ctx, "open "+s.path,
			chromedp.EmulateViewport(screenshotWidth, 800),
			chromedp.Navigate(base+s.path),
			chromedp.WaitVisible(chromedp.CSS("footer")),
		)
		h := min(max(eval[int](t, ctx, `document.documentElement.scrollHeight`), 600), s.maxHeight)
		do(t, ctx, "size the viewport", chromedp.EmulateViewport(screenshotWidth, int64(h)))
		// The caret would blink into one picture and not the next.
		_ = eval[bool](t, ctx, `document.activeElement?.blur?.(); true`)
		shot := run(t, ctx, "screenshot "+s.path, chromedp.CaptureScreenshot())
		img, err := png.Decode(bytes.NewReader(shot))
		if err != nil {
			t.Fatalf("screenshot of %s: %v", s.path, err)
		}
		if got := img.Bounds().Dx(); got != screenshotWidth {
			t.Errorf("screenshot of %s is %d px wide, want %d", s.path, got, screenshotWidth)
		}
		if got := img.Bounds().Dy(); got != h {
			t.Errorf("screenshot of %s is %d px tall, want %d", s.path, got, h)
		}
		p := filepath.Join(dir, s.name+".png")
		if err := os.WriteFile(p, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %s (%dx%d)", s.path, p, img.Bounds().Dx(), img.Bounds().Dy())
	}
}
