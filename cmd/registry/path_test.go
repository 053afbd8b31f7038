package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/internal/gitfixture"
)

// statusAt waits for /v1/status to report sha as the last commit processed
// (an event: the sync reached it), and returns the status.
func statusAt(t *testing.T, base, sha string, stderr *syncBuffer) (st struct {
	Commit     string               `json:"commit"`
	Rejections []registry.Rejection `json:"rejections"`
}) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); st.Commit != sha; {
		if time.Now().After(deadline) {
			t.Fatalf("/v1/status never reached commit %s (at %q); stderr:\n%s", sha, st.Commit, stderr)
		}
		getJSON(t, base+"/v1/status", &st)
		if st.Commit != sha {
			time.Sleep(20 * time.Millisecond)
		}
	}
	return st
}

// TestServeSuggestsPath serves a repository whose schema root is a
// sub-directory without --path: the rejection in /v1/status and the log say
// where registry.yaml is and which --path to use; with that --path the
// topics are served.
func TestServeSuggestsPath(t *testing.T) {
	t.Parallel()
	repo := gitfixture.New(t)
	sha := repo.Commit("schemas", fixtureFiles("BACKWARD"))
	const want = "no registry.yaml at the repository root; found schemas/registry.yaml — run with --path schemas"

	base, stop, stderr := startServe(t, "--source", repo.Dir, "--data-dir", t.TempDir(), "--poll", "1h")
	st := statusAt(t, base, sha, stderr)
	var messages []string
	for _, r := range st.Rejections {
		for _, f := range r.Findings {
			messages = append(messages, f.Position.String()+": "+f.Message)
		}
	}
	if len(messages) != 1 || !strings.Contains(messages[0], want) {
		t.Errorf("/v1/status rejections: got %q, want one saying %q", messages, want)
	}
	stop()
	if logs := stderr.String(); strings.Count(logs, want) != 1 {
		t.Errorf("log: want %q once, got:\n%s", want, logs)
	}

	base, _, stderr = startServe(t, "--source", repo.Dir, "--path", "schemas", "--data-dir", t.TempDir(), "--poll", "1h")
	if st := statusAt(t, base, sha, stderr); len(st.Rejections) != 0 {
		t.Errorf("with --path schemas: rejections %+v", st.Rejections)
	}
	var list struct {
		Topics []struct {
			Name string `json:"name"`
		} `json:"topics"`
	}
	getJSON(t, base+"/v1/topics", &list)
	if len(list.Topics) != 2 {
		t.Errorf("with --path schemas: topics %+v, want 2", list.Topics)
	}
}

// TestServeDirSuggestsTheSchemaRoot serves a directory whose registry.yaml
// sits one level down: the error names it and the --dir to use.
func TestServeDirSuggestsTheSchemaRoot(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{"schemas/registry.yaml": "company: acme\n"})
	var stdout, stderr bytes.Buffer
	code := Main(t.Context(), []string{"serve", "--addr", "127.0.0.1:0", "--dir", dir}, &stdout, &stderr)
	want := "no registry.yaml in " + dir + "; found " + filepath.Join(dir, "schemas", "registry.yaml") + " — run with --dir " + filepath.Join(dir, "schemas")
	if code == 0 || !strings.Contains(stderr.String(), want) {
		t.Errorf("exit %d, stderr:\n%s\nwant it to contain %q", code, stderr.String(), want)
	}
}

// TestServeMissingLocalRepository: a local --source that does not exist is
// reported as such in /v1/status, with its path.
func TestServeMissingLocalRepository(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "no", "such", "dir")
	base, _, stderr := startServe(t, "--source", missing, "--data-dir", t.TempDir(), "--poll", "1h")
	var status struct {
		Sync struct {
			LastError string   `json:"last_error"`
			Degraded  []string `json:"degraded"`
		} `json:"sync"`
	}
	for deadline := time.Now().Add(time.Minute); status.Sync.LastError == ""; {
		if time.Now().After(deadline) {
			t.Fatalf("no failed sync recorded in /v1/status; stderr:\n%s", stderr)
		}
		getJSON(t, base+"/v1/status", &status)
		if status.Sync.LastError == "" {
			time.Sleep(20 * time.Millisecond)
		}
	}
	want := "repository " + missing + " does not exist: no such directory"
	if !strings.Contains(status.Sync.LastError, want) || len(status.Sync.Degraded) != 1 || !strings.Contains(status.Sync.Degraded[0], "git: "+want) {
		t.Errorf("/v1/status sync: got %+v, want it to say %q", status.Sync, want)
	}
}
