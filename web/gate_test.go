package web_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/backbone-registry/backbone/api"
	"github.com/backbone-registry/backbone/internal/estate"
	"github.com/backbone-registry/backbone/web"
)

// The diff page compiles stored versions, so it takes a slot of the same
// gate as the API's compiling routes: with every slot held it is refused
// with 429 (and Retry-After) instead of compiling beside them.
func TestDiffPageSharesTheCompileGate(t *testing.T) {
	t.Parallel()
	e := estate.New(t)
	gate := api.NewCompileGate(1, -1) // one slot, no waiting
	srv := httptest.NewServer(web.New(e.Snapshot, web.Config{Compiles: gate.Enter}))
	t.Cleanup(srv.Close)
	path := srv.URL + "/topics/" + estate.Orders + "/diff?from=1&to=3"

	release, err := gate.Enter(t.Context()) // an API compilation under way
	if err != nil {
		t.Fatal(err)
	}
	status, header, body := get(t, path)
	if status != http.StatusTooManyRequests || header.Get("Retry-After") == "" {
		t.Fatalf("diff with every slot taken: status %d, Retry-After %q, want 429 with Retry-After\n%s", status, header.Get("Retry-After"), body)
	}
	release()
	if status, _, body := get(t, path); status != http.StatusOK {
		t.Fatalf("diff with a free slot: status %d\n%s", status, body)
	}
	if _, err := gate.Enter(t.Context()); err != nil {
		t.Fatalf("the page kept its slot: %v", err)
	}
}
