package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestServeNeverShowsTheSourcesCredentials serves a source whose URL
// carries a token as its user name, over plain http, from a server that
// fails with a talkative error page: the token appears in no banner, log
// line, /v1/status or /status page, the page's words reach no anonymous
// response, and a warning says the credentials travel unencrypted.
func TestServeNeverShowsTheSourcesCredentials(t *testing.T) {
	const token, page = "ghp_UserT0kenInTheURL", "internal detail: db password hunter2"
	git := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, page, http.StatusBadGateway)
	}))
	defer git.Close()
	source := strings.Replace(git.URL, "http://", "http://"+token+"@", 1) + "/acme/schemas.git"
	base, stop, stderr, stdout := startServeOut(t, "--source", source, "--data-dir", t.TempDir(), "--poll", "1h")

	// Wait for the first sync attempt to fail (an event, not a time budget).
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
	if len(status.Sync.Degraded) != 1 || !strings.HasPrefix(status.Sync.Degraded[0], "git: ") {
		t.Errorf("/v1/status sync.degraded: got %q, want one line about git", status.Sync.Degraded)
	}
	bodies := map[string]string{"stdout (banner)": stdout.String()}
	for _, p := range []string{"/v1/status", "/status", "/readyz"} {
		req, _ := http.NewRequest(http.MethodGet, base+p, nil)
		req.Header.Set("Accept", "text/html")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		bodies[p] = string(b)
	}
	for where, body := range bodies {
		if strings.Contains(body, token) {
			t.Errorf("%s shows the token:\n%s", where, body)
		}
		if strings.Contains(body, "hunter2") {
			t.Errorf("%s quotes the remote's error page:\n%s", where, body)
		}
	}
	if !strings.Contains(stdout.String(), "REDACTED@") {
		t.Errorf("banner does not show the redacted source:\n%s", stdout)
	}
	stop()
	logs := stderr.String()
	if strings.Contains(logs, token) {
		t.Errorf("logs show the token:\n%s", logs)
	}
	if !strings.Contains(logs, "unencrypted over plain http") {
		t.Errorf("no warning about credentials over plain http:\n%s", logs)
	}
}
