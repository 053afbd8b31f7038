package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	registry "github.com/backbone-registry/backbone"
)

// HookInput is a push webhook from GitHub, GitLab or Gitea.
type HookInput struct {
	GitHubEvent     string `header:"X-GitHub-Event" doc:"GitHub: the event (push, ping)"`
	GitHubSignature string `header:"X-Hub-Signature-256" doc:"GitHub: sha256=<HMAC-SHA256 of the body>"`
	GiteaSignature  string `header:"X-Gitea-Signature" doc:"Gitea: <HMAC-SHA256 of the body, hex>"`
	GitLabToken     string `header:"X-Gitlab-Token" doc:"GitLab: the secret token"`
	RawBody         []byte
}

// HookOutput says what the webhook did.
type HookOutput struct {
	Body struct {
		Status string `json:"status" example:"sync requested"`
	}
}

func (h *handlers) registerHooks(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "git-hook", Method: http.MethodPost, Path: "/v1/hooks/git", Tags: []string{"Sync"},
		Summary: "Push webhook",
		Description: "Receives GitHub, GitLab and Gitea push webhooks and syncs when the followed branch moved (a follower replica forwards it to the leader). " +
			"Requests are authenticated with --webhook-secret: GitHub's X-Hub-Signature-256 and Gitea's X-Gitea-Signature (HMAC-SHA256 of the body), or GitLab's X-Gitlab-Token. A bad signature is answered 401 and logged.",
		DefaultStatus: http.StatusAccepted,
		Errors:        []int{http.StatusUnauthorized, http.StatusForbidden},
	}, h.gitHook)
}

func (h *handlers) gitHook(_ context.Context, in *HookInput) (*HookOutput, error) {
	if h.cfg.WebhookSecret == "" || h.syncer == nil {
		return nil, h.problem(registry.Errorf(registry.EFORBIDDEN, "webhooks are off: start the registry on a Git source with --webhook-secret"))
	}
	if !verifyHook(h.cfg.WebhookSecret, in) {
		h.log.Warn("webhook with a bad or missing signature rejected", slog.String("github_event", in.GitHubEvent))
		return nil, h.problem(registry.Errorf(registry.EUNAUTHORIZED, "bad webhook signature"))
	}
	out := &HookOutput{}
	if in.GitHubEvent == "ping" {
		out.Body.Status = "pong"
		return out, nil
	}
	var push struct {
		Ref string `json:"ref"`
	}
	_ = json.Unmarshal(in.RawBody, &push) // events without a ref just sync
	if push.Ref != "" && h.cfg.Branch != "" && push.Ref != "refs/heads/"+h.cfg.Branch {
		out.Body.Status = "ignored: " + push.Ref + " is not the followed branch"
		return out, nil
	}
	h.syncer.Trigger()
	out.Body.Status = "sync requested"
	return out, nil
}

// verifyHook checks the request's signature or token against the secret in
// constant time.
func verifyHook(secret string, in *HookInput) bool {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(in.RawBody)
	want := mac.Sum(nil)
	check := func(sig string) bool {
		got, err := hex.DecodeString(sig)
		return err == nil && hmac.Equal(got, want)
	}
	switch {
	case in.GitHubSignature != "":
		return strings.HasPrefix(in.GitHubSignature, "sha256=") && check(strings.TrimPrefix(in.GitHubSignature, "sha256="))
	case in.GiteaSignature != "":
		return check(in.GiteaSignature)
	case in.GitLabToken != "":
		return subtle.ConstantTimeCompare([]byte(in.GitLabToken), []byte(secret)) == 1
	}
	return false
}
