package test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/internal/gitfixture"
	"github.com/backbone-registry/backbone/sqlite"
)

// These tests run the built binary against faults a production registry
// meets: Git unreachable or refusing the credentials, a missing branch,
// broken, breaking, rewritten and hostile commits. In each they check that
// the fault is reported clearly, that the last good snapshot keeps serving,
// that no schema ID is lost or reused, and that the registry recovers by
// itself once the fault is gone. Waits are hang guards, never performance
// assertions; syncs are triggered with POST /v1/sync instead of waiting for
// a poll.

// built is the registry binary, compiled once for every test of the package.
var built struct {
	once sync.Once
	dir  string
	path string
	err  error
	out  []byte
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// registryBinary returns the registry binary, building it on first use.
func registryBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "backbone-test-")
		if built.err != nil {
			return
		}
		built.path = filepath.Join(built.dir, "registry")
		cmd := exec.Command("go", "build", "-o", built.path, "./cmd/registry")
		cmd.Dir = ".."
		built.out, built.err = cmd.CombinedOutput()
	})
	if built.err != nil {
		t.Fatalf("go build: %v\n%s", built.err, built.out)
	}
	return built.path
}

// logBuffer collects a process's output; safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// registryProc is a running `registry serve`.
type registryProc struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	base   string
	out    *logBuffer // stdout and stderr
	exited chan struct{}
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

// startRegistry runs `registry serve` with args on a free port, with env
// added to an environment cleared of REGISTRY_* variables, and waits until
// it listens (not until it is ready).
func startRegistry(t *testing.T, name string, env []string, args ...string) *registryProc {
	t.Helper()
	p := launchRegistry(t, name, env, args...)
	p.awaitListening(30 * time.Second)
	return p
}

// launchRegistry runs `registry serve` like startRegistry, without waiting.
func launchRegistry(t *testing.T, name string, env []string, args ...string) *registryProc {
	t.Helper()
	cmd := exec.Command(registryBinary(t), append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "REGISTRY_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	p := &registryProc{t: t, name: name, cmd: cmd, out: &logBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("output of %s:\n%s", name, p.out)
		}
	})
	return p
}

// awaitListening waits until p prints the URL it listens on; limit is a
// hang guard.
func (p *registryProc) awaitListening(limit time.Duration) {
	p.t.Helper()
	listening := regexp.MustCompile(`Open the catalog at (http://\S+)/ `)
	deadline := time.Now().Add(limit)
	for p.base == "" {
		if m := listening.FindStringSubmatch(p.out.String()); m != nil {
			p.base = m[1]
			break
		}
		select {
		case <-p.exited:
			p.t.Fatalf("%s exited before listening:\n%s", p.name, p.out)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s does not listen after %s:\n%s", p.name, limit, p.out)
		}
	}
}

// kill ends the process at once, as kill -9 does, and waits for its end.
func (p *registryProc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// stop ends the process as an orchestrator does, with SIGTERM.
func (p *registryProc) stop() {
	p.t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second): // a hang guard
		p.t.Fatalf("%s still running 30s after SIGTERM", p.name)
	}
}

// get GETs path and decodes a JSON answer into v (if not nil); it returns
// the status code and the raw body.
func (p *registryProc) get(path string, v any) (int, string) {
	p.t.Helper()
	resp, err := httpClient.Get(p.base + path)
	if err != nil {
		p.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		p.t.Fatalf("GET %s: %v", path, err)
	}
	if v != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(body, v); err != nil {
			p.t.Fatalf("GET %s: %v\n%s", path, err, body)
		}
	}
	return resp.StatusCode, string(body)
}

// sync asks for a sync now.
func (p *registryProc) sync() {
	p.t.Helper()
	resp, err := httpClient.Post(p.base+"/v1/sync", "application/json", nil)
	if err != nil {
		p.t.Fatalf("POST /v1/sync: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		p.t.Fatalf("POST /v1/sync: %d, want 202", resp.StatusCode)
	}
}

// ready reports whether /readyz answers 200.
func (p *registryProc) ready() bool {
	code, _ := p.get("/readyz", nil)
	return code == http.StatusOK
}

// eventually waits for cond, asking for a sync now and then so that a
// backoff does not make the test wait.
func (p *registryProc) eventually(what string, cond func() bool) {
	p.t.Helper()
	deadline := time.Now().Add(60 * time.Second) // a hang guard, not a performance assertion
	for i := 0; !cond(); i++ {
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: not %s after 60s", p.name, what)
		}
		select {
		case <-p.exited:
			p.t.Fatalf("%s exited while waiting until %s", p.name, what)
		case <-time.After(50 * time.Millisecond):
		}
		if i%10 == 9 {
			p.sync()
		}
	}
}

// syncStatus is the sync part of GET /v1/status.
type syncStatus struct {
	Leader      bool      `json:"leader"`
	LastSuccess time.Time `json:"last_success"`
	LastError   string    `json:"last_error"`
	Failures    int       `json:"consecutive_failures"`
	Syncing     bool      `json:"syncing"`
}

// status is GET /v1/status.
type status struct {
	Source     string               `json:"source"`
	Commit     string               `json:"commit"`
	Sync       *syncStatus          `json:"sync"`
	Rejections []registry.Rejection `json:"rejections"`
	raw        string
}

func (p *registryProc) status() status {
	p.t.Helper()
	var st status
	code, raw := p.get("/v1/status", &st)
	if code != http.StatusOK || st.Sync == nil {
		p.t.Fatalf("GET /v1/status: %d %s", code, raw)
	}
	st.raw = raw
	return st
}

// settled returns the status once no sync attempt is under way. A commit is
// served as soon as its step is stored, before the attempt that stored it
// ends and publishes its outcome: until then the status still shows the
// attempt before (a failure it recovered from, say). Assertions about how
// an attempt ended read this, not status.
func (p *registryProc) settled() status {
	p.t.Helper()
	var st status
	p.await("done syncing", func() bool {
		st = p.status()
		return !st.Sync.Syncing
	})
	return st
}

// syncError returns the sync's last error as GET /v1/status shows it. Before
// the first snapshot the status API may answer 503 (no snapshot loaded):
// then it returns ok=false and the caller relies on the logs.
func (p *registryProc) syncError() (msg string, ok bool) {
	p.t.Helper()
	var st status
	code, raw := p.get("/v1/status", &st)
	switch {
	case code == http.StatusServiceUnavailable && !p.ready():
		p.t.Logf("%s: GET /v1/status answers 503 before the first snapshot, so only the logs say why: %s", p.name, raw)
		return "", false
	case code != http.StatusOK || st.Sync == nil:
		p.t.Fatalf("GET /v1/status: %d %s", code, raw)
	}
	return st.Sync.LastError, true
}

// version is one topic version as the API serves it.
type version = registry.TopicVersion

func (p *registryProc) versions(topic string) []version {
	p.t.Helper()
	var list struct {
		Versions []version `json:"versions"`
	}
	if code, raw := p.get("/v1/topics/"+topic+"/versions", &list); code != http.StatusOK {
		p.t.Fatalf("GET versions of %s: %d %s", topic, code, raw)
	}
	return list.Versions
}

// commits returns the commit of each version.
func commits(vs []version) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Commit.SHA)
	}
	return out
}

// idLedger remembers every schema ID served and the content it names: an
// ID must never name other content, and content never get a second ID.
type idLedger struct {
	t      *testing.T
	byID   map[int64]string
	byHash map[string]int64
}

func newLedger(t *testing.T) *idLedger {
	return &idLedger{t: t, byID: map[int64]string{}, byHash: map[string]int64{}}
}

// record checks and remembers the IDs of every subject of vs.
func (l *idLedger) record(vs []version) {
	l.t.Helper()
	for _, v := range vs {
		for _, s := range v.Subjects {
			l.see(s.SchemaID, s.Hash)
		}
	}
}

func (l *idLedger) see(id int64, hash string) {
	l.t.Helper()
	if id <= 0 {
		l.t.Errorf("schema %s has no ID", hash)
		return
	}
	if h, ok := l.byID[id]; ok && h != hash {
		l.t.Errorf("ID %d named %s, now %s: an ID was reused", id, h, hash)
	}
	if i, ok := l.byHash[hash]; ok && i != id {
		l.t.Errorf("schema %s had ID %d, now %d: an ID was lost", hash, i, id)
	}
	l.byID[id], l.byHash[hash] = hash, id
}

// resolve checks that every ID seen is still served, with its content.
func (l *idLedger) resolve(p *registryProc) {
	l.t.Helper()
	for id, hash := range l.byID {
		var s registry.Schema
		if code, raw := p.get(fmt.Sprintf("/v1/schemas/%d", id), &s); code != http.StatusOK || s.Hash != hash {
			l.t.Errorf("GET /v1/schemas/%d: %d %s, want the schema %s", id, code, raw, hash)
		}
	}
}

// stored checks the IDs seen against what a store holds.
func (l *idLedger) stored(schemas []registry.Schema) {
	l.t.Helper()
	stored := map[int64]string{}
	for _, s := range schemas {
		stored[s.ID] = s.Hash
		l.see(s.ID, s.Hash)
	}
	for id, hash := range l.byID {
		if stored[id] != hash {
			l.t.Errorf("ID %d: served as %s, stored as %q", id, hash, stored[id])
		}
	}
}

// checkEmbeddedStore stops p and compares what its embedded store holds
// with the IDs seen.
func (l *idLedger) checkEmbeddedStore(p *registryProc, dataDir string) {
	l.t.Helper()
	p.stop()
	store, err := sqlite.Open(l.t.Context(), filepath.Join(dataDir, "registry.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		l.t.Fatal(err)
	}
	defer store.Close()
	schemas, err := store.Schemas(l.t.Context())
	if err != nil {
		l.t.Fatal(err)
	}
	l.stored(schemas)
}

// serveRepo starts a registry on a local fixture repository with the
// embedded store and waits until it serves the repository's first commit.
func serveRepo(t *testing.T, repo *gitfixture.Repo, extra ...string) (p *registryProc, dataDir string) {
	t.Helper()
	dataDir = t.TempDir()
	args := append([]string{"--source", repo.Dir, "--path", "schemas", "--poll", "200ms", "--data-dir", dataDir}, extra...)
	p = startRegistry(t, "registry", nil, args...)
	p.eventually("ready", p.ready)
	return p, dataDir
}

// notServing checks that p serves no snapshot yet.
func notServing(t *testing.T, p *registryProc) {
	t.Helper()
	if code, body := p.get("/readyz", nil); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz: %d %s, want 503 before a snapshot is served", code, body)
	}
}

// waitLog waits until the output of p matches re.
func waitLog(t *testing.T, p *registryProc, re string) {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(60 * time.Second) // a hang guard
	for !rx.MatchString(p.out.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never logged %q", p.name, re)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rejected waits until GET /v1/status lists a rejection of commit sha and
// returns it.
func rejected(p *registryProc, sha string) registry.Rejection {
	p.t.Helper()
	var got registry.Rejection
	p.eventually("rejecting "+sha[:8], func() bool {
		st := p.status()
		for _, r := range st.Rejections {
			if r.Commit.SHA == sha {
				got = r
				return st.Commit == sha
			}
		}
		return false
	})
	if st := p.settled(); st.Sync.LastError != "" || st.Sync.Failures != 0 {
		p.t.Errorf("a rejected commit is not a sync failure: status %+v", *st.Sync)
	}
	return got
}

// stillServes checks that p serves topic's versions as want.
func stillServes(t *testing.T, p *registryProc, want []version) {
	t.Helper()
	if !p.ready() {
		t.Errorf("not ready: the last good snapshot must keep serving")
	}
	got := p.versions(gitfixture.OrdersTopic)
	if !slices.Equal(commits(got), commits(want)) {
		t.Errorf("versions of %s: got commits %v, want %v", gitfixture.OrdersTopic, commits(got), commits(want))
	}
	if code, body := p.get("/v1/topics/"+gitfixture.OrdersTopic, nil); code != http.StatusOK {
		t.Errorf("GET the topic: %d %s", code, body)
	}
}

// servesVersion waits until topic's latest version comes from commit sha
// and returns the versions.
func servesVersion(p *registryProc, n int, sha string) []version {
	p.t.Helper()
	var vs []version
	p.eventually(fmt.Sprintf("serving version %d from %s", n, sha[:8]), func() bool {
		vs = p.versions(gitfixture.OrdersTopic)
		return len(vs) == n && vs[n-1].Commit.SHA == sha
	})
	return vs
}

// TestSyncUnreachableRemote starts the registry on a file:// remote that
// does not exist yet: it starts, is not ready and says why, and serves once
// the repository appears. Then the remote goes away: the snapshot keeps
// serving, the status says what fails, and the sync resumes when it is back.
func TestSyncUnreachableRemote(t *testing.T) {
	t.Parallel()
	repo := gitfixture.New(t)
	c1 := repo.Commit("initial", gitfixture.BaseFiles())
	remote := filepath.Join(t.TempDir(), "schemas.git")
	dataDir := t.TempDir()
	p := startRegistry(t, "registry", nil, "--source", "file://"+remote, "--path", "schemas", "--poll", "200ms", "--data-dir", dataDir)

	waitLog(t, p, `level=ERROR msg=sync error="clone file://`+regexp.QuoteMeta(remote)+`: .*repository not found`)
	notServing(t, p)
	if msg, ok := p.syncError(); ok && !strings.Contains(msg, "clone file://"+remote) {
		t.Errorf("status: last_error %q, want it to say the clone failed", msg)
	}

	// The repository appears at the remote's path.
	if _, err := git.PlainClone(remote, true, &git.CloneOptions{URL: repo.Dir}); err != nil {
		t.Fatal(err)
	}
	p.eventually("ready once the remote exists", p.ready)
	ledger := newLedger(t)
	v1 := servesVersion(p, 1, c1)
	ledger.record(v1)
	if st := p.settled(); st.Sync.LastError != "" || st.Sync.Failures != 0 || !st.Sync.Leader {
		t.Errorf("status after recovering: %+v", *st.Sync)
	}

	// The remote goes away after serving.
	away := remote + ".away"
	if err := os.Rename(remote, away); err != nil {
		t.Fatal(err)
	}
	p.eventually("reporting the fetch failure", func() bool {
		st := p.status()
		return st.Sync.Failures > 0 && strings.Contains(st.Sync.LastError, "fetch file://"+remote)
	})
	stillServes(t, p, v1)

	// Meanwhile the branch moved on; then the remote comes back.
	c2 := repo.Commit("add channel", map[string]string{gitfixture.OrdersPath: gitfixture.OrdersProto(gitfixture.FieldsChannel)})
	moved, err := git.PlainOpen(away)
	if err != nil {
		t.Fatal(err)
	}
	if err := moved.Fetch(&git.FetchOptions{RefSpecs: []config.RefSpec{"+refs/heads/main:refs/heads/main"}}); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(away, remote); err != nil {
		t.Fatal(err)
	}
	v2 := servesVersion(p, 2, c2)
	ledger.record(v2)
	if st := p.settled(); st.Sync.LastError != "" || st.Sync.Failures != 0 {
		t.Errorf("status after the remote came back: %+v", *st.Sync)
	}
	ledger.resolve(p)
	ledger.checkEmbeddedStore(p, dataDir)
}

// TestSyncRemoteConnectionRefused follows an http remote where nothing
// listens: the registry runs, is not ready, and says the connection was
// refused.
func TestSyncRemoteConnectionRefused(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	source := "http://" + ln.Addr().String() + "/acme/schemas.git"
	ln.Close()
	p := startRegistry(t, "registry", nil, "--source", source, "--poll", "200ms", "--data-dir", t.TempDir())
	waitLog(t, p, `msg=sync error="clone `+regexp.QuoteMeta(source)+`: .*connection refused`)
	notServing(t, p)
	if code, _ := p.get("/healthz", nil); code != http.StatusOK {
		t.Errorf("/healthz: %d, want 200: the process is alive", code)
	}
}

// gitServer serves fixture repositories over HTTPS with git http-backend,
// behind basic auth that the test can switch to refusing everyone.
type gitServer struct {
	*httptest.Server
	token    string
	refuse   atomic.Bool
	certFile string // the server's certificate, for SSL_CERT_FILE
}

func newGitServer(t *testing.T, root, token string) *gitServer {
	t.Helper()
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("git http-backend serves the test repository: %v", err)
	}
	gs := &gitServer{token: token}
	backend := &cgi.Handler{Path: gitBin, Args: []string{"http-backend"}, Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}}
	gs.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if gs.refuse.Load() || !ok || user != "git" || pass != gs.token {
			// Like some forges, echo what was presented: the registry must
			// redact it from the error it reports.
			w.Header().Set("WWW-Authenticate", `Basic realm="schemas"`)
			http.Error(w, "bad credentials for "+user+":"+pass, http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(gs.Close)
	gs.certFile = filepath.Join(t.TempDir(), "ca.pem")
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: gs.Certificate().Raw})
	if err := os.WriteFile(gs.certFile, cert, 0o600); err != nil {
		t.Fatal(err)
	}
	return gs
}

// TestSyncWrongCredentials follows an https remote that refuses the
// token: the error says authentication failed and never shows the token,
// neither in the logs nor in the status API. A registry whose token is
// revoked keeps serving, and recovers once the token is accepted again.
func TestSyncWrongCredentials(t *testing.T) {
	t.Parallel()
	repo := gitfixture.New(t)
	c1 := repo.Commit("initial", gitfixture.BaseFiles())
	const good, wrong = "ghp_GOODtoken0123456789", "ghp_WRONGtoken987654321"
	srv := newGitServer(t, filepath.Dir(repo.Dir), good)
	source := srv.URL + "/" + filepath.Base(repo.Dir) + "/.git"
	env := func(token string) []string {
		return []string{"SSL_CERT_FILE=" + srv.certFile, "REGISTRY_GIT_TOKEN=" + token}
	}
	secretFree := func(p *registryProc, token, where, text string) {
		t.Helper()
		if strings.Contains(text, token) {
			t.Errorf("%s: %s shows the token:\n%s", p.name, where, text)
		}
	}

	// A wrong token from the start.
	bad := startRegistry(t, "registry with a wrong token", env(wrong), "--source", source, "--path", "schemas", "--poll", "200ms", "--data-dir", t.TempDir())
	// The right one, revoked after it served.
	dataDir := t.TempDir()
	p := startRegistry(t, "registry", env(good), "--source", source, "--path", "schemas", "--poll", "200ms", "--data-dir", dataDir)

	waitLog(t, bad, `msg=sync error="clone `+regexp.QuoteMeta(source)+`: authentication failed`)
	notServing(t, bad)
	if msg, ok := bad.syncError(); ok {
		if !strings.Contains(msg, "authentication failed") {
			t.Errorf("status: last_error %q, want it to say authentication failed", msg)
		}
		secretFree(bad, wrong, "the status", msg)
	}

	p.eventually("ready", p.ready)
	ledger := newLedger(t)
	v1 := servesVersion(p, 1, c1)
	ledger.record(v1)

	srv.refuse.Store(true)
	c2 := repo.Commit("add channel", map[string]string{gitfixture.OrdersPath: gitfixture.OrdersProto(gitfixture.FieldsChannel)})
	var st status
	p.eventually("reporting the refused fetch", func() bool {
		st = p.status()
		return strings.Contains(st.Sync.LastError, "fetch "+source+": authentication failed")
	})
	secretFree(p, good, "GET /v1/status", st.raw)
	stillServes(t, p, v1)

	srv.refuse.Store(false)
	ledger.record(servesVersion(p, 2, c2))
	if st := p.settled(); st.Sync.LastError != "" {
		t.Errorf("status after the token was accepted again: %+v", *st.Sync)
	}
	ledger.resolve(p)

	for _, rp := range []*registryProc{p, bad} {
		_, body := rp.get("/v1/status", nil)
		secretFree(rp, good, "GET /v1/status", body)
		secretFree(rp, wrong, "GET /v1/status", body)
	}
	bad.stop()
	ledger.checkEmbeddedStore(p, dataDir)
	for _, rp := range []*registryProc{p, bad} {
		secretFree(rp, good, "the output", rp.out.String())
		secretFree(rp, wrong, "the output", rp.out.String())
		secretFree(rp, base64.StdEncoding.EncodeToString([]byte("git:"+good)), "the output", rp.out.String())
	}
}

// TestSyncMissingBranch follows a branch that does not exist, locally and
// remotely: a clear error. Then a served branch is deleted and comes back.
func TestSyncMissingBranch(t *testing.T) {
	t.Parallel()
	repo := gitfixture.New(t)
	c1 := repo.Commit("initial", gitfixture.BaseFiles())

	local := startRegistry(t, "registry on a local repository", nil, "--source", repo.Dir, "--branch", "nope", "--poll", "200ms", "--data-dir", t.TempDir())
	remote := startRegistry(t, "registry on a remote", nil, "--source", "file://"+repo.Dir, "--branch", "nope", "--poll", "200ms", "--data-dir", t.TempDir())
	waitLog(t, local, `msg=sync error="branch nope not found in `+regexp.QuoteMeta(repo.Dir)+` \(its branches: main; choose one with --branch\)"`)
	waitLog(t, remote, `msg=sync error="clone file://`+regexp.QuoteMeta(repo.Dir)+`: branch nope not found"`)
	for _, p := range []*registryProc{local, remote} {
		notServing(t, p)
		if msg, ok := p.syncError(); ok && !strings.Contains(msg, "branch nope not found") {
			t.Errorf("%s: status last_error %q, want it to name the missing branch", p.name, msg)
		}
	}

	// The followed branch is deleted after serving, then pushed again.
	p, dataDir := serveRepo(t, repo)
	ledger := newLedger(t)
	v1 := servesVersion(p, 1, c1)
	ledger.record(v1)
	g, err := git.PlainOpen(repo.Dir)
	if err != nil {
		t.Fatal(err)
	}
	main := plumbing.NewBranchReferenceName("main")
	if err := g.Storer.RemoveReference(main); err != nil {
		t.Fatal(err)
	}
	p.eventually("reporting the missing branch", func() bool {
		st := p.status()
		return st.Sync.Failures > 0 && strings.Contains(st.Sync.LastError, "branch main not found")
	})
	stillServes(t, p, v1)
	if err := g.Storer.SetReference(plumbing.NewHashReference(main, plumbing.NewHash(c1))); err != nil {
		t.Fatal(err)
	}
	c2 := repo.Commit("add channel", map[string]string{gitfixture.OrdersPath: gitfixture.OrdersProto(gitfixture.FieldsChannel)})
	ledger.record(servesVersion(p, 2, c2))
	if st := p.settled(); st.Sync.LastError != "" || len(st.Rejections) != 0 {
		t.Errorf("status after the branch came back: %+v, %d rejections", *st.Sync, len(st.Rejections))
	}
	ledger.resolve(p)
	ledger.checkEmbeddedStore(p, dataDir)
}

// servingFirstCommit serves a repository holding the estate's first commit
// and waits for its version 1. recovers commits a fix, waits for it to be
// served as version 2, and checks every schema ID served and stored.
func servingFirstCommit(t *testing.T) (repo *gitfixture.Repo, p *registryProc, v1 []version, recovers func(msg string, files map[string]string)) {
	t.Helper()
	repo = gitfixture.New(t)
	c1 := repo.Commit("initial", gitfixture.BaseFiles())
	p, dataDir := serveRepo(t, repo)
	ledger := newLedger(t)
	v1 = servesVersion(p, 1, c1)
	ledger.record(v1)
	return repo, p, v1, func(msg string, files map[string]string) {
		t.Helper()
		c := repo.Commit(msg, files)
		p.sync()
		ledger.record(servesVersion(p, 2, c))
		ledger.resolve(p)
		ledger.checkEmbeddedStore(p, dataDir)
	}
}

// TestSyncProtoSyntaxError: a commit that does not compile is rejected
// with a file:line:col finding, the earlier snapshot keeps serving, and the
// fix is accepted.
func TestSyncProtoSyntaxError(t *testing.T) {
	t.Parallel()
	repo, p, v1, recovers := servingFirstCommit(t)

	c2 := repo.Commit("typo", map[string]string{gitfixture.OrdersPath: gitfixture.OrdersProto(strings.Replace(gitfixture.FieldsChannel, "channel = 4", "channel = ", 1))})
	p.sync()
	r := rejected(p, c2)
	if len(r.Findings) == 0 {
		t.Fatalf("rejection without findings: %+v", r)
	}
	f := r.Findings[0]
	if f.Rule != "COMPILE" || f.Severity != registry.SeverityError || f.File != "retail/orders/v1/orders.proto" || f.Line != 13 || f.Column == 0 || f.Message == "" {
		t.Errorf("finding: %+v, want COMPILE at retail/orders/v1/orders.proto:13:<col>", f)
	}
	stillServes(t, p, v1)

	recovers("fix the typo", map[string]string{gitfixture.OrdersPath: gitfixture.OrdersProto(gitfixture.FieldsChannel)})
}

// TestSyncBreakingCommit: a commit that breaks the topic's compatibility is
// rejected, the topic keeps its last version, and a fix forward is
// accepted.
func TestSyncBreakingCommit(t *testing.T) {
	t.Parallel()
	repo, p, v1, recovers := servingFirstCommit(t)

	c2 := repo.Commit("drop note", map[string]string{gitfixture.OrdersPath: gitfixture.OrdersProto(gitfixture.FieldsNoNote)})
	p.sync()
	r := rejected(p, c2)
	if r.Topic != gitfixture.OrdersTopic || len(r.Findings) == 0 {
		t.Fatalf("rejection: %+v", r)
	}
	if f := r.Findings[0]; f.Rule != "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED" || f.File != "retail/orders/v1/orders.proto" || f.Line == 0 ||
		!slices.Contains(f.Consumers, "acme.retail.stock") {
		t.Errorf("finding: %+v", f)
	}
	stillServes(t, p, v1)
	var latest version
	if code, body := p.get("/v1/topics/"+gitfixture.OrdersTopic+"/versions/latest", &latest); code != http.StatusOK || latest.Version != 1 {
		t.Errorf("latest version after a breaking commit: %d %s", code, body)
	}

	recovers("drop note properly", map[string]string{gitfixture.OrdersPath: gitfixture.OrdersProto(gitfixture.FieldsReserved)})
}

// TestSyncForcePush: a rewritten branch keeps every version; the vanished
// one is marked orphaned and its IDs still resolve, whether the branch was
// forced back to an earlier commit or onto a new one.
func TestSyncForcePush(t *testing.T) {
	t.Parallel()
	repo := gitfixture.New(t)
	c1 := repo.Commit("initial", gitfixture.BaseFiles())
	p, dataDir := serveRepo(t, repo)
	ledger := newLedger(t)
	ledger.record(servesVersion(p, 1, c1))
	c2 := repo.Commit("add channel", map[string]string{gitfixture.OrdersPath: gitfixture.OrdersProto(gitfixture.FieldsChannel)})
	p.sync()
	ledger.record(servesVersion(p, 2, c2))

	// Main is forced back to c1, without a new commit: the registry follows
	// the branch, marks version 2 orphaned, and keeps it as the latest:
	// records written with it exist, and c1 drops its field "channel"
	// without reserving it.
	repo.Reset(c1)
	p.sync()
	r := rejected(p, c1)
	if r.Topic != gitfixture.OrdersTopic || len(r.Findings) == 0 || r.Findings[0].Rule != "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED" {
		t.Errorf("going back to c1: rejection %+v", r)
	}
	if vs := p.versions(gitfixture.OrdersTopic); len(vs) != 2 || vs[0].Orphaned || !vs[1].Orphaned {
		t.Errorf("after going back to c1: versions %+v, want 2, the second orphaned", vs)
	}

	c3 := repo.Commit("channel and gift", map[string]string{gitfixture.OrdersPath: gitfixture.OrdersProto(gitfixture.FieldsGift)})
	p.sync()
	vs := servesVersion(p, 3, c3)
	ledger.record(vs)
	if vs[0].Orphaned || !vs[1].Orphaned || vs[2].Orphaned {
		t.Errorf("orphan marks: got %v %v %v, want false true false", vs[0].Orphaned, vs[1].Orphaned, vs[2].Orphaned)
	}
	ledger.resolve(p)
	ledger.checkEmbeddedStore(p, dataDir)
}

// commitSymlink replaces a file of repo by a symlink to target, committed
// as a symlink (never written through).
func commitSymlink(t *testing.T, repo *gitfixture.Repo, name, target string) string {
	t.Helper()
	g, err := git.PlainOpen(repo.Dir)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := g.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(repo.Dir, filepath.FromSlash(name))
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
	if _, err := wt.Add(name); err != nil {
		t.Fatal(err)
	}
	h, err := wt.Commit("link "+name, &git.CommitOptions{
		Author: &object.Signature{Name: "Mallory", Email: "mallory@example.com", When: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

// TestSyncSymlink: a commit that turns a schema file into a symlink
// (pointing outside the repository) is rejected, and the next good commit
// recovers.
func TestSyncSymlink(t *testing.T) {
	t.Parallel()
	repo, p, v1, recovers := servingFirstCommit(t)

	// The target is valid and compatible: only following the link would
	// accept it.
	outside := filepath.Join(t.TempDir(), "orders.proto")
	if err := os.WriteFile(outside, []byte(gitfixture.OrdersProto(gitfixture.FieldsChannel)), 0o600); err != nil {
		t.Fatal(err)
	}
	c2 := commitSymlink(t, repo, gitfixture.OrdersPath, outside)
	p.sync()
	r := rejected(p, c2)
	if len(r.Findings) != 1 || r.Findings[0].File != "retail/orders/v1/orders.proto" || !strings.Contains(r.Findings[0].Message, "symlink") {
		t.Errorf("findings: %+v, want one naming the symlink", r.Findings)
	}
	stillServes(t, p, v1)

	if err := os.Remove(filepath.Join(repo.Dir, filepath.FromSlash(gitfixture.OrdersPath))); err != nil { // never write through the link
		t.Fatal(err)
	}
	recovers("a file again", map[string]string{gitfixture.OrdersPath: gitfixture.OrdersProto(gitfixture.FieldsChannel)})
}

// TestSyncHugeFile: a commit adding a 100 MB .proto file is rejected for
// the size limit, and the next good commit recovers.
func TestSyncHugeFile(t *testing.T) {
	t.Parallel()
	repo, p, v1, recovers := servingFirstCommit(t)

	const huge = "schemas/retail/orders/v1/huge.proto"
	c2 := repo.Commit("a huge file", map[string]string{huge: string(bytes.Repeat([]byte("// padding line\n"), 100<<20/16))})
	p.sync()
	r := rejected(p, c2)
	if len(r.Findings) != 1 || r.Findings[0].File != "retail/orders/v1/huge.proto" || !strings.Contains(r.Findings[0].Message, "100 MiB is over the per-file limit of 16 MiB; raise it with limits.max_file_size in registry.yaml or --max-file-size") {
		t.Errorf("findings: %+v, want one naming the size limit", r.Findings)
	}
	stillServes(t, p, v1)

	recovers("no huge file", map[string]string{huge: gitfixture.Delete, gitfixture.OrdersPath: gitfixture.OrdersProto(gitfixture.FieldsChannel)})
}
