package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/catalog"
)

// Syncer is the sync as the API sees it; nil when serving a plain directory.
type Syncer interface {
	Trigger()
	Status() catalog.SyncStatus
}

// Status describes what is served and how the sync is doing.
type Status struct {
	Mode       string               `json:"mode" enum:"directory,git" doc:"directory: a plain directory snapshot; git: a followed branch"`
	Source     string               `json:"source,omitempty" doc:"The repository, credentials redacted"`
	Branch     string               `json:"branch,omitempty"`
	Commit     string               `json:"commit,omitempty" doc:"The last commit processed"`
	SyncedAt   time.Time            `json:"synced_at,omitzero"`
	LoadedAt   time.Time            `json:"loaded_at,omitzero" doc:"When the served catalog was built; absent before the first"`
	Sync       *catalog.SyncStatus  `json:"sync,omitempty"`
	Rejections []registry.Rejection `json:"rejections" doc:"Topics stuck on a commit that broke compatibility or governance (topic empty: commits that do not load), one record each: the open ones first, most recently opened first, then the most recently closed"`
}

// StatusOutput is the sync status.
type StatusOutput struct {
	Body Status
}

// SyncOutput acknowledges a sync request.
type SyncOutput struct {
	Body struct {
		Status string `json:"status" example:"sync requested"`
	}
}

func (h *handlers) registerStatus(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "get-status", Method: http.MethodGet, Path: "/v1/status", Tags: []string{"Sync"},
		Summary:     "Sync status",
		Description: "The served commit, the last sync and its errors, and the rejections with their findings: one per topic stuck on a rejected commit, updated by every later commit still broken and closed by the commit that fixes it.",
	}, h.getStatus)
	huma.Register(api, huma.Operation{
		OperationID: "trigger-sync", Method: http.MethodPost, Path: "/v1/sync", Tags: []string{"Sync"},
		Summary:       "Sync now",
		Description:   "Asks the registry to fetch the branch and ingest new commits now, instead of at the next poll; a follower replica forwards the request to the leader. Answers at once; watch /v1/status.",
		DefaultStatus: http.StatusAccepted,
	}, h.triggerSync)
}

func (h *handlers) getStatus(context.Context, *struct{}) (*StatusOutput, error) {
	c := h.src.Catalog()
	if c == nil && h.syncer == nil {
		return nil, huma.Error503ServiceUnavailable("no schema snapshot loaded yet")
	}
	out := &StatusOutput{Body: Status{Mode: "directory", Rejections: []registry.Rejection{}}}
	if h.syncer != nil {
		out.Body.Mode = "git" // before the first snapshot, the sync status says why there is none
	}
	var hist *catalog.History
	if c != nil {
		out.Body.LoadedAt, hist = c.LoadedAt(), c.History()
	}
	if hs, ok := h.syncer.(interface{ History() *catalog.History }); ok && hist == nil {
		hist = hs.History() // nothing served yet: say what was ingested, and why it was rejected
	}
	if hist != nil {
		st := hist.State()
		out.Body.Mode, out.Body.Source, out.Body.Branch, out.Body.Commit, out.Body.SyncedAt = "git", st.Source, st.Branch, st.Commit, st.SyncedAt
		if r := hist.Rejections(); r != nil {
			out.Body.Rejections = r
		}
	}
	if h.syncer != nil {
		st := h.syncer.Status()
		out.Body.Sync = &st
	}
	return out, nil
}

func (h *handlers) triggerSync(context.Context, *struct{}) (*SyncOutput, error) {
	if h.syncer == nil {
		return nil, h.problem(registry.Errorf(registry.ECONFLICT, "nothing to sync: the registry serves a plain directory (--dir)"))
	}
	h.syncer.Trigger()
	out := &SyncOutput{}
	out.Body.Status = "sync requested"
	return out, nil
}
