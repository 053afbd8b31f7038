package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/backbone-registry/backbone/api"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

const credentialsYAML = `
- name: ci
  role: read
  token: read-token
- name: platform
  role: admin
  token_sha256: ` + "%s" + `
- name: kafka
  role: read
  username: svc-orders
  password: pa55
- name: hashed
  role: read
  username: svc-stock
  password_sha256: ` + "%s" + `
`

func authServer(t *testing.T, anonymousRead bool) *httptest.Server {
	t.Helper()
	yml := strings.Replace(strings.Replace(credentialsYAML, "%s", sha("admin-token"), 1), "%s", sha("stock-pass"), 1)
	creds, err := api.ParseCredentials("credentials.yaml", []byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	auth, err := api.NewAuth(creds, anonymousRead, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(staticSource{loadFixture(t)}, api.Config{Auth: auth, Syncer: &countingSyncer{}, MaxBodyBytes: 1024}))
	t.Cleanup(func() {
		srv.Close()
		for _, secret := range []string{"read-token", "admin-token", "pa55", "stock-pass", "n0t-a-token", "n0t-a-pass"} {
			if strings.Contains(logs.String(), secret) {
				t.Errorf("logs contain the secret %q:\n%s", secret, logs.String())
			}
		}
	})
	return srv
}

func TestAuth(t *testing.T) {
	t.Parallel()
	type call struct {
		method, path string
		auth         func(*http.Request)
		want         int
		body         string // in the error body, for 401/403
	}
	bearer := func(tok string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
	}
	basic := func(u, p string) func(*http.Request) { return func(r *http.Request) { r.SetBasicAuth(u, p) } }
	none := func(*http.Request) {}
	browser := func(r *http.Request) { r.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8") }
	tests := []struct {
		anonymous bool
		calls     []call
	}{
		{true, []call{
			{"GET", "/v1/topics", none, 200, ""},
			{"GET", "/v1/topics", bearer("read-token"), 200, ""},
			{"GET", "/v1/topics", bearer("n0t-a-token"), 401, `"status":401`},
			{"GET", "/subjects", basic("svc-orders", "n0t-a-pass"), 401, `"error_code":40101`},
			{"POST", "/v1/sync", none, 401, `"status":401`},
			{"POST", "/v1/sync", bearer("read-token"), 403, `"status":403`},
			{"POST", "/v1/sync", bearer("admin-token"), 202, ""},
			{"GET", "/healthz", bearer("n0t-a-token"), 200, ""},
		}},
		{false, []call{
			{"GET", "/v1/topics", none, 401, "credentials required"},
			{"GET", "/subjects", none, 401, `"error_code":40101`},
			{"GET", "/v1/topics", bearer("read-token"), 200, ""},
			{"GET", "/v1/topics", basic("svc-orders", "pa55"), 200, ""},
			{"GET", "/v1/topics", basic("svc-stock", "stock-pass"), 200, ""},
			{"GET", "/v1/topics", basic("svc-stock", "pa55"), 401, ""},
			{"GET", "/metrics", none, 401, ""},
			{"GET", "/healthz", none, 200, ""},
			{"GET", "/readyz", none, 200, ""},
			// A browser gets a page it can show; Confluent paths stay Confluent's.
			{"GET", "/", browser, 401, "<h1>Unauthorized</h1>"},
			{"GET", "/topics/x", browser, 401, "credentials required"},
			{"GET", "/subjects", browser, 401, `"error_code":40101`},
		}},
	}
	for _, tt := range tests {
		srv := authServer(t, tt.anonymous)
		for _, c := range tt.calls {
			req, _ := http.NewRequestWithContext(t.Context(), c.method, srv.URL+c.path, nil)
			c.auth(req)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var body bytes.Buffer
			_, _ = body.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.want || !strings.Contains(body.String(), c.body) {
				t.Errorf("anonymous=%v %s %s: got %d %s, want %d containing %q", tt.anonymous, c.method, c.path, resp.StatusCode, body.String(), c.want, c.body)
			}
			if c.want == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s: 401 without WWW-Authenticate", c.method, c.path)
			}
		}
	}
}

func TestNoCredentialsLeaveSyncOpen(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(api.New(staticSource{loadFixture(t)}, api.Config{Syncer: &countingSyncer{}}))
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/v1/sync", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("POST /v1/sync without any credentials configured: got %d, want 202", resp.StatusCode)
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	srv := authServer(t, true)
	big := `{"schema":"` + strings.Repeat("x", 2048) + `"}`
	resp, err := http.Post(srv.URL+"/subjects/acme.retail.orders.events-value", "application/vnd.schemaregistry.v1+json", strings.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || body["error_code"] == nil {
		t.Errorf("oversized body: got %d %v, want 413 in Confluent's format", resp.StatusCode, body)
	}
}

func TestParseCredentialsErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"- name: x\n  role: read\n  tokn: y\n":                                "credentials.yaml:3:",
		"- name: x\n  role: root\n  token: y\n":                               "role must be read or admin",
		"- name: x\n  role: read\n":                                           "give a token",
		"- name: x\n  role: read\n  token: y\n  username: u\n  password: p\n": "not both",
		"- role: read\n  token: y\n":                                          "a name is required",
		"name: x\n":                                                           "credentials.yaml",
	}
	for yml, want := range tests {
		_, err := api.ParseCredentials("credentials.yaml", []byte(yml))
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "token: y") {
			t.Errorf("%q: got %v, want an error containing %q without the secret", yml, err, want)
		}
	}
}
