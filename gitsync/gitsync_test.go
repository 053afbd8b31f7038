package gitsync

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/internal/limit"
)

// fixture is a Git repository built by the test, on branch main.
type fixture struct {
	t    *testing.T
	dir  string
	repo *git.Repository
	when time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, dir: dir, repo: repo, when: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// commit writes files (nil content deletes) and commits them.
func (f *fixture) commit(msg string, files map[string]string) string {
	f.t.Helper()
	wt, err := f.repo.Worktree()
	if err != nil {
		f.t.Fatal(err)
	}
	for name, content := range files {
		p := filepath.Join(f.dir, name)
		if content == "\x00delete" {
			if _, err := wt.Remove(name); err != nil {
				f.t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			f.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			f.t.Fatal(err)
		}
		if _, err := wt.Add(name); err != nil {
			f.t.Fatal(err)
		}
	}
	f.when = f.when.Add(time.Hour)
	h, err := wt.Commit(msg, &git.CommitOptions{Author: &object.Signature{Name: "Ada", Email: "ada@example.com", When: f.when}, AllowEmptyCommits: true})
	if err != nil {
		f.t.Fatal(err)
	}
	return h.String()
}

func TestLocalHistoryAndTrees(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c1 := f.commit("first", map[string]string{"schemas/registry.yaml": "company: acme\n", "schemas/a/b/x.proto": "v1", "README.md": "hi"})
	c2 := f.commit("second", map[string]string{"schemas/a/b/x.proto": "v2", "schemas/a/b/y.proto": "new"})
	c3 := f.commit("third: outside the root", map[string]string{"README.md": "changed"})

	r, err := Open(t.Context(), Config{Source: f.dir})
	if err != nil {
		t.Fatal(err)
	}
	head, err := r.Fetch(t.Context())
	if err != nil || head != c3 {
		t.Fatalf("head: got %s %v, want %s", head, err, c3)
	}
	all, found, err := r.Since(t.Context(), head, "", 0)
	if err != nil || !found || len(all) != 3 || all[0].SHA != c1 || all[2].SHA != c3 {
		t.Fatalf("history: got %+v found=%v err=%v", all, found, err)
	}
	if all[0].Author != "Ada" || all[0].Email != "ada@example.com" || all[0].Message != "first" || all[0].Time.IsZero() {
		t.Errorf("commit metadata: got %+v", all[0])
	}
	after1, found, err := r.Since(t.Context(), head, c1, 0)
	if err != nil || !found || len(after1) != 2 || after1[0].SHA != c2 {
		t.Errorf("since c1: got %+v found=%v err=%v", after1, found, err)
	}
	last, _, _ := r.Since(t.Context(), head, "", 1)
	if len(last) != 1 || last[0].SHA != c3 {
		t.Errorf("limit 1: got %+v", last)
	}

	opts := TreeOptions{Root: "schemas", Want: func(n string) bool { return strings.HasSuffix(n, ".proto") || strings.HasSuffix(n, ".yaml") }}
	t1, err := r.Tree(t.Context(), c1, opts)
	if err != nil {
		t.Fatal(err)
	}
	if string(t1["a/b/x.proto"]) != "v1" || string(t1["registry.yaml"]) != "company: acme\n" || len(t1) != 2 {
		t.Errorf("tree at c1: got %v", keys(t1))
	}
	t2, changed, err := r.Update(t.Context(), t1, c1, c2, opts)
	if err != nil {
		t.Fatal(err)
	}
	if string(t2["a/b/x.proto"]) != "v2" || string(t2["a/b/y.proto"]) != "new" || string(t1["a/b/x.proto"]) != "v1" {
		t.Errorf("update c1→c2: got %v (and the previous map must be untouched)", t2)
	}
	slices.Sort(changed)
	if !slices.Equal(changed, []string{"a/b/x.proto", "a/b/y.proto"}) {
		t.Errorf("changed: got %v", changed)
	}
	_, changed, err = r.Update(t.Context(), t2, c2, c3, opts)
	if err != nil || len(changed) != 0 {
		t.Errorf("a commit outside the root changes nothing: got %v %v", changed, err)
	}
	full, _ := r.Tree(t.Context(), c2, opts)
	if len(full) != len(t2) {
		t.Errorf("incremental and full trees differ: %v vs %v", keys(full), keys(t2))
	}
}

func TestDeletionsAndSymlinks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c1 := f.commit("one", map[string]string{"x.proto": "x", "y.proto": "y"})
	c2 := f.commit("two", map[string]string{"y.proto": "\x00delete"})
	r, err := Open(t.Context(), Config{Source: f.dir})
	if err != nil {
		t.Fatal(err)
	}
	t1, _ := r.Tree(t.Context(), c1, TreeOptions{})
	t2, changed, err := r.Update(t.Context(), t1, c1, c2, TreeOptions{})
	if err != nil || len(t2) != 1 || t2["y.proto"] != nil || !slices.Equal(changed, []string{"y.proto"}) {
		t.Errorf("delete: got %v changed %v err %v", keys(t2), changed, err)
	}

	// The link points outside the repository, at a file of the test's own:
	// never at a system file, since writing through it (as commit does with
	// the files it is given) would overwrite its target, as root too.
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(f.dir, "evil.proto")); err != nil {
		t.Fatal(err)
	}
	// Stage the link itself (go-git stores it with the symlink mode), then
	// commit without writing through it.
	wt, err := f.repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wt.Add("evil.proto"); err != nil {
		t.Fatal(err)
	}
	f.commit("symlink", nil)
	if b, _ := os.ReadFile(outside); string(b) != "secret" {
		t.Fatalf("the symlink's target was written through: %q", b)
	}
	head, _ := r.Head()
	if _, err := r.Tree(t.Context(), head, TreeOptions{}); registry.ErrorCode(err) != registry.EINVALID || !strings.Contains(err.Error(), "evil.proto") {
		t.Errorf("symlink: got %v, want EINVALID naming evil.proto", err)
	}
	if _, err := r.Tree(t.Context(), head, TreeOptions{Want: func(n string) bool { return n != "evil.proto" }}); err != nil {
		t.Errorf("unwanted symlink must not matter: %v", err)
	}
}

func TestLimits(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.commit("big", map[string]string{"a.proto": strings.Repeat("x", 100), "b.proto": "b", "c.proto": "c"})
	r, _ := Open(t.Context(), Config{Source: f.dir})
	if _, err := r.Tree(t.Context(), c, TreeOptions{Limits: limit.Limits{MaxFileSize: 50}}); registry.ErrorCode(err) != registry.EINVALID || !strings.Contains(err.Error(), "a.proto") {
		t.Errorf("size limit: got %v", err)
	}
	if _, err := r.Tree(t.Context(), c, TreeOptions{Limits: limit.Limits{MaxFiles: 2}}); registry.ErrorCode(err) != registry.EINVALID {
		t.Errorf("file count limit: got %v", err)
	}
	if files, err := r.Tree(t.Context(), c, TreeOptions{Root: "nope"}); err != nil || len(files) != 0 {
		t.Errorf("missing root: got %v %v, want an empty tree", files, err)
	}
}

func TestRewrittenHistory(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c1 := f.commit("one", map[string]string{"a.proto": "1"})
	c2 := f.commit("two", map[string]string{"a.proto": "2"})
	// Force-push: main goes back to c1 and gets a different second commit.
	if err := f.repo.Storer.SetReference(plumbing.NewHashReference(plumbing.NewBranchReferenceName("main"), plumbing.NewHash(c1))); err != nil {
		t.Fatal(err)
	}
	wt, _ := f.repo.Worktree()
	if err := wt.Reset(&git.ResetOptions{Commit: plumbing.NewHash(c1), Mode: git.HardReset}); err != nil {
		t.Fatal(err)
	}
	c2b := f.commit("two, rewritten", map[string]string{"a.proto": "2b"})
	r, _ := Open(t.Context(), Config{Source: f.dir})
	head, _ := r.Head()
	if head != c2b {
		t.Fatalf("head: got %s, want %s", head, c2b)
	}
	if ok, err := r.Contains(t.Context(), head, c2); err != nil || ok {
		t.Errorf("c2 vanished from the branch: Contains got %v %v", ok, err)
	}
	commits, found, err := r.Since(t.Context(), head, c2, 0)
	if err != nil || found || len(commits) != 2 {
		t.Errorf("since a vanished commit: got %d commits, found=%v, err=%v; want the whole history and found=false", len(commits), found, err)
	}
	if ok, _ := r.Contains(t.Context(), head, c1); !ok {
		t.Errorf("c1 is still on the branch")
	}
}

func TestCloneAndFetch(t *testing.T) {
	t.Parallel()
	origin := newFixture(t)
	c1 := origin.commit("one", map[string]string{"a.proto": "1"})
	cloneDir := filepath.Join(t.TempDir(), "clone")
	cfg := Config{Source: "file://" + origin.dir, Dir: cloneDir, Branch: "main"}
	r, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if head, err := r.Fetch(t.Context()); err != nil || head != c1 {
		t.Fatalf("fetch: got %s %v, want %s", head, err, c1)
	}
	c2 := origin.commit("two", map[string]string{"a.proto": "2"})
	if head, err := r.Fetch(t.Context()); err != nil || head != c2 {
		t.Fatalf("fetch after a push: got %s %v, want %s", head, err, c2)
	}
	// Reopening uses the existing clone.
	r2, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if head, _ := r2.Head(); head != c2 {
		t.Errorf("reopened clone head: got %s, want %s", head, c2)
	}
	files, err := r2.Tree(t.Context(), c2, TreeOptions{})
	if err != nil || string(files["a.proto"]) != "2" {
		t.Errorf("tree from the clone: got %v %v", files, err)
	}

	bad := Config{Source: "file://" + filepath.Join(t.TempDir(), "nope"), Dir: filepath.Join(t.TempDir(), "c")}
	if _, err := Open(t.Context(), bad); registry.ErrorCode(err) != registry.EUNAVAILABLE {
		t.Errorf("unreachable source: got %v, want EUNAVAILABLE", err)
	}
	if _, err := os.Stat(bad.Dir); !os.IsNotExist(err) {
		t.Errorf("a failed clone must leave no directory behind")
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"https://user:s3cret@github.com/acme/schemas.git": "https://REDACTED@github.com/acme/schemas.git",
		"https://ghp_T0KEN@github.com/acme/schemas.git":   "https://REDACTED@github.com/acme/schemas.git",
		"ssh://git@github.com/acme/schemas.git":           "ssh://REDACTED@github.com/acme/schemas.git",
		"https://github.com/acme/schemas.git":             "https://github.com/acme/schemas.git",
		"git@github.com:acme/schemas.git":                 "git@github.com:acme/schemas.git",
		"/srv/schemas":                                    "/srv/schemas",
	}
	for in, want := range tests {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q): got %q, want %q", in, got, want)
		}
	}
	err := redactErr(errString("auth failed for tok3n at https://x:pw@h"), Config{Token: "tok3n", Source: "https://x:pw@h"})
	if strings.Contains(err, "tok3n") || strings.Contains(err, ":pw@") {
		t.Errorf("redactErr leaked a secret: %s", err)
	}
	err = redactErr(errString(`Get "https://ghp_T0KEN1234@h/x/info/refs": dial tcp: refused; token ghp_T0KEN1234`), Config{Source: "https://ghp_T0KEN1234@h/x"})
	if strings.Contains(err, "ghp_T0KEN1234") {
		t.Errorf("redactErr leaked a token given as the URL's user name: %s", err)
	}
	for src, want := range map[string]bool{"http://tok@h/x": true, "https://tok@h/x": false, "http://h/x": false, "/srv/x": false} {
		if got := PlainHTTPCredentials(src, false); got != want {
			t.Errorf("PlainHTTPCredentials(%q): got %v, want %v", src, got, want)
		}
	}
	if !PlainHTTPCredentials("http://h/x", true) {
		t.Errorf("a token over http must be reported")
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestIsRemote(t *testing.T) {
	t.Parallel()
	for src, want := range map[string]bool{
		"https://github.com/a/b.git": true, "ssh://git@h/a/b": true, "git@github.com:a/b.git": true,
		"file:///tmp/x": true, "/tmp/x": false, "./schemas-repo": false, "C:/repo": false,
	} {
		if got := IsRemote(src); got != want {
			t.Errorf("IsRemote(%q): got %v, want %v", src, got, want)
		}
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestRemoteErrors(t *testing.T) {
	t.Parallel()
	origin := newFixture(t)
	origin.commit("one", map[string]string{"a.proto": "1"})

	// A missing branch, local and remote.
	local, err := Open(t.Context(), Config{Source: origin.dir, Branch: "nope"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := local.Head(); registry.ErrorCode(err) != registry.ENOTFOUND || !strings.Contains(err.Error(), "branch nope not found in "+origin.dir) {
		t.Errorf("local missing branch: got %v", err)
	}
	_, err = Open(t.Context(), Config{Source: "file://" + origin.dir, Branch: "nope", Dir: filepath.Join(t.TempDir(), "c")})
	if registry.ErrorCode(err) != registry.ENOTFOUND || !strings.Contains(err.Error(), "branch nope not found") {
		t.Errorf("remote missing branch: got %v", err)
	}

	// Refused credentials: the server echoes what it got, the error must not.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pass, _ := r.BasicAuth()
		http.Error(w, "bad credentials: "+pass, http.StatusUnauthorized)
	}))
	defer srv.Close()
	const token = "tok3n-s3cret"
	_, err = Open(t.Context(), Config{Source: srv.URL + "/a.git", Token: token, Dir: filepath.Join(t.TempDir(), "c")})
	if registry.ErrorCode(err) != registry.EUNAUTHORIZED || !strings.Contains(err.Error(), "authentication failed") || strings.Contains(err.Error(), token) {
		t.Errorf("refused token: got %v, want EUNAUTHORIZED saying authentication failed, without the token", err)
	}
	_, err = Open(t.Context(), Config{Source: srv.URL + "/a.git", Dir: filepath.Join(t.TempDir(), "c")})
	if registry.ErrorCode(err) != registry.EUNAUTHORIZED || !strings.Contains(err.Error(), "no credentials were given") {
		t.Errorf("no token: got %v, want EUNAUTHORIZED saying no credentials were given", err)
	}

	// A token given as the URL's user name, and a server whose error page
	// says more than it should: neither reaches the error's message (what
	// the anonymous /v1/status shows); the log detail is redacted too.
	const body = "stack trace: db password hunter2"
	leaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, body, http.StatusInternalServerError)
	}))
	defer leaky.Close()
	const userToken = "ghp_UserT0ken1234"
	source := strings.Replace(leaky.URL, "http://", "http://"+userToken+"@", 1) + "/a.git"
	_, err = Open(t.Context(), Config{Source: source, Dir: filepath.Join(t.TempDir(), "c")})
	if err == nil {
		t.Fatal("open against a failing server: want an error")
	}
	if msg := registry.ErrorMessage(err); strings.Contains(msg, "hunter2") || strings.Contains(msg, userToken) {
		t.Errorf("the public message quotes the server or the token: %q", msg)
	}
	if strings.Contains(err.Error(), userToken) {
		t.Errorf("the log detail carries the token: %q", err.Error())
	}
}

// TestLocalRepositoryErrors: a local --source that is missing, a file, a
// plain directory, a directory inside a work tree, or a repository removed
// while followed is named as such, with its path, never as a missing branch.
func TestLocalRepositoryErrors(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(tmp, "plain")
	if err := os.Mkdir(plain, 0o755); err != nil {
		t.Fatal(err)
	}
	work := newFixture(t)
	work.commit("one", map[string]string{"schemas/registry.yaml": "company: acme\n"})
	tests := []struct {
		name, source, want string
	}{
		{"missing", filepath.Join(tmp, "no", "such", "dir"), "repository " + filepath.Join(tmp, "no", "such", "dir") + " does not exist: no such directory"},
		{"a file", file, "repository " + file + " is not a directory"},
		{"a plain directory", plain, plain + " is not a Git repository"},
		{"inside a work tree", filepath.Join(work.dir, "schemas"), filepath.Join(work.dir, "schemas") + " is not a Git repository but a directory inside the one at " + work.dir +
			": follow that one, with schemas as the schema root (--source " + work.dir + " --path schemas)"},
	}
	for _, tt := range tests {
		_, err := Open(t.Context(), Config{Source: tt.source})
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "branch") {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}

	// A repository with no commit, or without the branch, names the ones it has.
	empty := newFixture(t)
	r, err := Open(t.Context(), Config{Source: empty.dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Fetch(t.Context()); err == nil || !strings.Contains(err.Error(), "branch main not found in "+empty.dir+" (it has no branch: no commit yet)") {
		t.Errorf("empty repository: got %v", err)
	}
	r, err = Open(t.Context(), Config{Source: work.dir, Branch: "master"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Fetch(t.Context()); err == nil || !strings.Contains(err.Error(), "branch master not found in "+work.dir+" (its branches: main; choose one with --branch)") {
		t.Errorf("missing branch: got %v", err)
	}

	// Removed while followed.
	gone := newFixture(t)
	gone.commit("one", map[string]string{"registry.yaml": "company: acme\n"})
	r, err = Open(t.Context(), Config{Source: gone.dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Fetch(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(gone.dir); err != nil {
		t.Fatal(err)
	}
	_, err = r.Fetch(t.Context())
	if want := "repository " + gone.dir + " does not exist any more"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("removed repository: got %v, want %q", err, want)
	}
}

// TestTreeKnown reads a tree with some of its files already known: a known
// file whose content is the blob's is taken as it is (the same slice);
// one whose content differs, or larger than the limit, is read from Git.
func TestTreeKnown(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.commit("one", map[string]string{"same.proto": "same", "changed.proto": "at the commit", "big.proto": strings.Repeat("x", 100)})
	r, err := Open(t.Context(), Config{Source: f.dir})
	if err != nil {
		t.Fatal(err)
	}
	known := map[string][]byte{"same.proto": []byte("same"), "changed.proto": []byte("in the work tree"), "big.proto": []byte(strings.Repeat("x", 100))}
	files, err := r.Tree(t.Context(), c, TreeOptions{Known: known})
	if err != nil {
		t.Fatal(err)
	}
	if string(files["same.proto"]) != "same" || &files["same.proto"][0] != &known["same.proto"][0] {
		t.Errorf("same.proto: got %q, want the known slice", files["same.proto"])
	}
	if string(files["changed.proto"]) != "at the commit" {
		t.Errorf("changed.proto: got %q, want the commit's content", files["changed.proto"])
	}
	if _, err := r.Tree(t.Context(), c, TreeOptions{Known: known, Limits: limit.Limits{MaxFileSize: 50}}); registry.ErrorCode(err) != registry.EINVALID || !strings.Contains(err.Error(), "big.proto") {
		t.Errorf("a known file over the limit: got %v, want EINVALID naming big.proto", err)
	}
}
