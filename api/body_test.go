package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// chunked hides a reader's length, so that the client sends it with
// Transfer-Encoding: chunked and the server cannot refuse it by its
// Content-Length.
type chunked struct{ io.Reader }

// TestChunkedBodyLimit posts chunked bodies larger than --max-body to every
// route that reads one: each is 413 in its API's format, not 500. (POST
// /v1/sync reads no body.)
func TestChunkedBodyLimit(t *testing.T) {
	t.Parallel()
	srv := authServer(t, true) // --max-body 1024
	big := `{"ref":"refs/heads/main","schema":"` + strings.Repeat("x", 4096) + `"}`
	for _, tc := range []struct {
		path      string
		confluent bool
	}{
		{"/v1/hooks/git", false},
		{"/v1/check", false},
		{"/subjects/acme.retail.orders.events-value", true},
		{"/subjects/acme.retail.orders.events-value/versions", true},
		{"/compatibility/subjects/acme.retail.orders.events-value/versions/latest", true},
	} {
		req, err := http.NewRequestWithContext(t.Context(), "POST", srv.URL+tc.path, chunked{strings.NewReader(big)})
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Hub-Signature-256", "sha256=00")
		req.Header.Set("Authorization", "Bearer admin-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("POST %s with a chunked body of %d bytes: %d %s, want 413", tc.path, len(big), resp.StatusCode, body)
			continue
		}
		var e struct {
			Code   int `json:"error_code"`
			Status int `json:"status"`
		}
		ct := resp.Header.Get("Content-Type")
		if err := json.Unmarshal(body, &e); err != nil || tc.confluent && (e.Code != 413 || strings.Contains(ct, "problem")) ||
			!tc.confluent && (e.Status != 413 || ct != "application/problem+json") {
			t.Errorf("POST %s: 413 %s %s, want it in the API's error format", tc.path, ct, body)
		}
	}
}
