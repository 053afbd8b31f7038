package test

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/internal/gitfixture"
)

// TestStuckTopic: one breaking commit followed by 20 commits that do not
// fix it is one open rejection in /v1/status (a real ID, 21 commits, the
// tip as its latest), and the topic's API detail and web page show the
// last good version with a notice of it; the commit that fixes the topic
// closes it and backbone_rejections_open goes back to 0. On the embedded
// store and on PostgreSQL.
func TestStuckTopic(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		repo := gitfixture.New(t)
		repo.Commit("initial", gitfixture.BaseFiles())
		p, _ := serveRepo(t, repo)
		stuckTopic(t, repo, p)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		db := testDatabase(t)
		repo := gitfixture.New(t)
		repo.Commit("initial", gitfixture.BaseFiles())
		p := startRegistry(t, "registry", nil, "--source", repo.Dir, "--path", "schemas", "--poll", "200ms", "--db", db, "--data-dir", t.TempDir())
		p.eventually("ready", p.ready)
		stuckTopic(t, repo, p)
	})
}

func stuckTopic(t *testing.T, repo *gitfixture.Repo, p *registryProc) {
	v1 := servesVersion(p, 1, p.status().Commit)
	breaking := repo.Commit("drop note", map[string]string{gitfixture.OrdersPath: gitfixture.OrdersProto(gitfixture.FieldsNoNote)})
	var tip string
	for i := range 20 {
		// Each changes the schema tree, so each is loaded and checked again.
		tip = repo.Commit(fmt.Sprintf("stock comment %d", i+1), map[string]string{
			"schemas/retail/stock/v1/stock.proto": gitfixture.StockProto + strings.Repeat("// More.\n", i+1),
		})
	}
	p.sync()
	p.eventually("at the tip", func() bool { return p.status().Commit == tip })

	st := p.status()
	if len(st.Rejections) != 1 {
		t.Fatalf("/v1/status lists %d rejections, want 1: %s", len(st.Rejections), st.raw)
	}
	r := st.Rejections[0]
	if r.ID <= 0 || !r.Open || r.Topic != gitfixture.OrdersTopic || r.Commit.SHA != breaking || r.Latest.SHA != tip || r.Commits != 21 || r.FixedBy != nil {
		t.Fatalf("rejection: id %d, open %v, topic %s, first %s (want %s), latest %s (want %s), %d commits (want 21)",
			r.ID, r.Open, r.Topic, r.Commit.SHA, breaking, r.Latest.SHA, tip, r.Commits)
	}
	if len(r.Findings) == 0 || r.Findings[0].Rule != "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED" {
		t.Errorf("findings: %+v", r.Findings)
	}
	stillServes(t, p, v1)
	wantOpenGauge(t, p, 1)

	// The topic's detail is its served version 1, which has the note.
	var detail struct {
		Version  int                `json:"version"`
		Messages []registry.Message `json:"messages"`
		Rejected *struct {
			Notice    string             `json:"notice"`
			Link      string             `json:"link"`
			Rejection registry.Rejection `json:"rejection"`
		} `json:"rejected"`
	}
	if code, raw := p.get("/v1/topics/"+gitfixture.OrdersTopic, &detail); code != http.StatusOK {
		t.Fatalf("GET the topic: %d %s", code, raw)
	}
	link := "/status#rejection-" + strconv.FormatInt(r.ID, 10)
	if detail.Version != 1 || !hasField(detail.Messages, "note") {
		t.Errorf("topic detail: version %d, messages %+v; want version 1 with its field note", detail.Version, detail.Messages)
	}
	if detail.Rejected == nil || detail.Rejected.Link != link || detail.Rejected.Rejection.ID != r.ID ||
		!strings.HasPrefix(detail.Rejected.Notice, "commit "+breaking[:12]+" (first seen ") || !strings.HasSuffix(detail.Rejected.Notice, ", 21 commits since) was rejected") {
		t.Errorf("topic detail's rejection notice: %+v", detail.Rejected)
	}
	page := html(t, p, "/topics/"+gitfixture.OrdersTopic)
	if !regexp.MustCompile(`Commit <code>`+breaking[:10]+`</code> \(first seen <time[^>]*>[^<]+</time>, 21 commits since\) was rejected\.`).MatchString(page) ||
		!strings.Contains(page, `<a href="`+link+`">See its findings</a>`) || !strings.Contains(page, `<code class="fname">note</code>`) {
		t.Errorf("the topic page lacks the served contract or the notice:\n%s", page)
	}
	if status := html(t, p, "/status"); !strings.Contains(status, `id="rejection-`+strconv.FormatInt(r.ID, 10)+`"`) {
		t.Errorf("the status page has no anchor for %s", link)
	}

	// Fixed forward: version 2, the rejection closed with that commit.
	fix := repo.Commit("reserve note", map[string]string{gitfixture.OrdersPath: gitfixture.OrdersProto(gitfixture.FieldsReserved)})
	p.sync()
	servesVersion(p, 2, fix)
	st = p.status()
	if len(st.Rejections) != 1 || st.Rejections[0].ID != r.ID || st.Rejections[0].Open ||
		st.Rejections[0].FixedBy == nil || st.Rejections[0].FixedBy.SHA != fix || st.Rejections[0].Commits != 21 {
		t.Fatalf("after the fix: %s", st.raw)
	}
	wantOpenGauge(t, p, 0)
	detail.Rejected = nil
	if code, raw := p.get("/v1/topics/"+gitfixture.OrdersTopic, &detail); code != http.StatusOK || detail.Version != 2 || detail.Rejected != nil || hasField(detail.Messages, "note") {
		t.Errorf("topic detail after the fix: %d %s", code, raw)
	}
}

func hasField(msgs []registry.Message, name string) bool {
	return len(msgs) > 0 && slices.ContainsFunc(msgs[0].Fields, func(f registry.Field) bool { return f.Name == name })
}

// wantOpenGauge checks backbone_rejections_open on /metrics.
func wantOpenGauge(t *testing.T, p *registryProc, want int) {
	t.Helper()
	_, body := p.get("/metrics", nil)
	line := fmt.Sprintf("\nbackbone_rejections_open %d\n", want)
	if !strings.Contains(body, line) {
		m := regexp.MustCompile(`\nbackbone_rejections_open .*\n`).FindString(body)
		t.Errorf("/metrics: %q, want %q", strings.TrimSpace(m), strings.TrimSpace(line))
	}
}

// html GETs a catalog page as a browser does.
func html(t *testing.T, p *registryProc, path string) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, p.base+path, nil)
	req.Header.Set("Accept", "text/html")
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	return string(body)
}
