package test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/backbone-registry/backbone/internal/gitfixture"
	"github.com/backbone-registry/backbone/internal/testdb"
)

// readiness is GET /readyz.
type readiness struct {
	Status   string   `json:"status"`
	Topics   int      `json:"topics"`
	Degraded []string `json:"degraded"`
}

func (p *registryProc) readiness() (int, readiness) {
	p.t.Helper()
	var r readiness
	code, _ := p.get("/readyz", &r)
	return code, r
}

// degradedBy returns the line of lines about backend ("database: …").
func degradedBy(lines []string, backend string) (string, bool) {
	i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, backend+": ") })
	if i < 0 {
		return "", false
	}
	return lines[i], true
}

// TestDegradedDatabase serves from PostgreSQL through a proxy, then cuts
// it: /readyz stays 200 with the snapshot's topics and a `database` line in
// `degraded`, and /v1/status says the same; once the database is back the
// line goes.
func TestDegradedDatabase(t *testing.T) {
	t.Parallel()
	db, err := url.Parse(testDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := testdb.NewProxy(t, db.Host)
	viaProxy := *db
	viaProxy.Host = proxy.Addr()

	repo := gitfixture.New(t)
	c1 := repo.Commit("initial", gitfixture.BaseFiles())
	p := startRegistry(t, "registry", nil, "--source", repo.Dir, "--path", "schemas", "--poll", "200ms",
		"--db", viaProxy.String(), "--data-dir", t.TempDir())
	p.eventually("ready", p.ready)
	servesVersion(p, 1, c1)
	if code, r := p.readiness(); code != http.StatusOK || len(r.Degraded) != 0 {
		t.Fatalf("/readyz before the outage: %d %+v, want 200 with nothing degraded", code, r)
	}

	proxy.Cut(true)
	var line string
	p.eventually("saying the database is degraded", func() bool {
		_, r := p.readiness()
		var ok bool
		line, ok = degradedBy(r.Degraded, "database")
		return ok
	})
	code, r := p.readiness()
	if code != http.StatusOK || r.Status != "ready" || r.Topics == 0 {
		t.Errorf("/readyz during the outage: %d %+v, want 200, ready, serving the last snapshot's topics", code, r)
	}
	if !strings.Contains(line, "consecutive failures since") {
		t.Errorf("/readyz database line %q: want it to say how many failures since when", line)
	}
	var st struct {
		Sync struct {
			Degraded []string `json:"degraded"`
		} `json:"sync"`
	}
	if code, raw := p.get("/v1/status", &st); code != http.StatusOK {
		t.Fatalf("/v1/status during the outage: %d %s", code, raw)
	}
	if _, ok := degradedBy(st.Sync.Degraded, "database"); !ok {
		t.Errorf("/v1/status sync.degraded during the outage: %q, want a database line", st.Sync.Degraded)
	}
	stillServes(t, p, p.versions("acme.retail.orders.events"))

	proxy.Cut(false)
	var last readiness
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last /readyz: %+v", last)
		}
	})
	p.eventually("healthy again", func() bool {
		var code int
		code, last = p.readiness()
		return code == http.StatusOK && len(last.Degraded) == 0
	})
}
