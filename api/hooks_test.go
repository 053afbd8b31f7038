package api_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/danielgtaylor/huma/v2/humatest"

	"github.com/backbone-registry/backbone/api"
	"github.com/backbone-registry/backbone/catalog"
)

// countingSyncer records triggers.
type countingSyncer struct{ n atomic.Int32 }

func (s *countingSyncer) Trigger()                   { s.n.Add(1) }
func (s *countingSyncer) Status() catalog.SyncStatus { return catalog.SyncStatus{Leader: true} }

func sign(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}

func TestGitHook(t *testing.T) {
	t.Parallel()
	const secret = "s3cret"
	push := `{"ref":"refs/heads/main","after":"abc"}`
	other := `{"ref":"refs/heads/feature"}`
	tests := []struct {
		name     string
		headers  []any
		body     string
		want     int
		triggers int32
	}{
		{"github signed", []any{"X-GitHub-Event: push", "X-Hub-Signature-256: sha256=" + sign(secret, push)}, push, http.StatusAccepted, 1},
		{"github ping", []any{"X-GitHub-Event: ping", "X-Hub-Signature-256: sha256=" + sign(secret, `{}`)}, `{}`, http.StatusAccepted, 0},
		{"gitea signed", []any{"X-Gitea-Signature: " + sign(secret, push)}, push, http.StatusAccepted, 1},
		{"gitlab token", []any{"X-Gitlab-Token: " + secret}, push, http.StatusAccepted, 1},
		{"other branch", []any{"X-Hub-Signature-256: sha256=" + sign(secret, other)}, other, http.StatusAccepted, 0},
		{"bad signature", []any{"X-Hub-Signature-256: sha256=" + sign("wrong", push)}, push, http.StatusUnauthorized, 0},
		{"signature of another body", []any{"X-Hub-Signature-256: sha256=" + sign(secret, other)}, push, http.StatusUnauthorized, 0},
		{"no signature", nil, push, http.StatusUnauthorized, 0},
		{"bad gitlab token", []any{"X-Gitlab-Token: nope"}, push, http.StatusUnauthorized, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			syncer := &countingSyncer{}
			_, tapi := humatest.New(t, api.HumaConfig("test"))
			api.Register(tapi, staticSource{loadFixture(t)}, api.Config{Syncer: syncer, WebhookSecret: secret, Branch: "main", Logger: slog.New(slog.DiscardHandler)})
			args := append(tt.headers, strings.NewReader(tt.body))
			resp := tapi.Post("/v1/hooks/git", args...)
			if resp.Code != tt.want {
				t.Errorf("status: got %d, want %d: %s", resp.Code, tt.want, resp.Body)
			}
			if got := syncer.n.Load(); got != tt.triggers {
				t.Errorf("triggers: got %d, want %d", got, tt.triggers)
			}
		})
	}
}

func TestHooksOffWithoutSecret(t *testing.T) {
	t.Parallel()
	_, tapi := humatest.New(t, api.HumaConfig("test"))
	api.Register(tapi, staticSource{loadFixture(t)}, api.Config{Syncer: &countingSyncer{}})
	if resp := tapi.Post("/v1/hooks/git", strings.NewReader(`{}`)); resp.Code != http.StatusForbidden {
		t.Errorf("status: got %d, want 403", resp.Code)
	}
}

func TestDirectoryModeHasNoHistory(t *testing.T) {
	t.Parallel()
	tapi := newAPI(t, loadFixture(t))
	for _, path := range []string{"/v1/topics/acme.retail.orders.events/versions", "/v1/schemas/1"} {
		if resp := tapi.Get(path); resp.Code != http.StatusNotFound {
			t.Errorf("%s: got %d, want 404", path, resp.Code)
		}
	}
	if resp := tapi.Post("/v1/sync"); resp.Code != http.StatusConflict {
		t.Errorf("POST /v1/sync: got %d, want 409", resp.Code)
	}
	st := decode[api.Status](t, tapi.Get("/v1/status"))
	if st.Mode != "directory" || st.Rejections == nil {
		t.Errorf("status: got %+v", st)
	}
}

func TestStatusBeforeTheFirstSnapshot(t *testing.T) {
	t.Parallel()
	_, tapi := humatest.New(t, api.HumaConfig("test"))
	api.Register(tapi, staticSource{nil}, api.Config{Syncer: &countingSyncer{}})
	resp := tapi.Get("/v1/status")
	st := decode[api.Status](t, resp)
	if resp.Code != http.StatusOK || st.Mode != "git" || st.Sync == nil || !st.Sync.Leader {
		t.Errorf("status before a snapshot: %d %+v", resp.Code, st)
	}
	if resp := tapi.Get("/readyz"); resp.Code != http.StatusServiceUnavailable {
		t.Errorf("readyz before a snapshot: %d", resp.Code)
	}
}
