package estate_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/internal/estate"
)

// TestNew checks the history the web tests rely on: three versions of the
// orders topic, the breaking commit rejected for it, a dead-letter diff
// that FULL compatibility calls breaking, and pages served.
func TestNew(t *testing.T) {
	t.Parallel()
	e := estate.New(t)
	c := e.Catalog()
	if c == nil || c.History() == nil {
		t.Fatal("no catalog with history served")
	}
	h := c.History()
	if got, want := h.State().Commit, e.Commits.Fixed; got != want {
		t.Errorf("served commit = %s, want %s", got, want)
	}

	vs := h.Versions(estate.Orders)
	if got, want := len(vs), 3; got != want {
		t.Fatalf("%s has %d versions, want %d", estate.Orders, got, want)
	}
	for i, want := range []string{e.Commits.Demo, e.Commits.Compatible, e.Commits.Fixed} {
		if got := vs[i].Commit.SHA; got != want {
			t.Errorf("%s version %d at %s, want %s", estate.Orders, i+1, got, want)
		}
	}

	rejected := false
	for _, r := range h.Rejections() {
		if r.Topic == estate.Orders && r.Commit.SHA == e.Commits.Breaking && len(r.Findings) > 0 {
			rejected = true
		}
	}
	if !rejected {
		t.Errorf("no rejection of %s at %s; rejections: %+v", estate.Orders, e.Commits.Breaking, h.Rejections())
	}

	d, err := c.Diff(t.Context(), estate.Orders, "1", "2", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Findings) != 0 {
		t.Errorf("%s v1 → v2 has findings %+v, want none (a field was added)", estate.Orders, d.Findings)
	}
	d, err = c.Diff(t.Context(), estate.DeadLetters, "1", "2", "")
	if err != nil {
		t.Fatal(err)
	}
	if !registry.HasErrors(d.Findings) {
		t.Errorf("%s v1 → v2 has findings %+v, want a breaking one", estate.DeadLetters, d.Findings)
	}

	topic, ok := c.Topic(estate.HostileTopic)
	if !ok || !strings.Contains(topic.Description, estate.Hostile) {
		t.Errorf("%s's description does not quote %q", estate.HostileTopic, estate.Hostile)
	}

	req, _ := http.NewRequestWithContext(t.Context(), "GET", e.URL+"/topics/"+estate.Orders, nil)
	req.Header.Set("Accept", "text/html")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "customer_id") {
		t.Errorf("GET the topic page: %d, body without customer_id:\n%.500s", res.StatusCode, body)
	}
}
