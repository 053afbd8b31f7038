package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

// HealthOutput answers the liveness probe.
type HealthOutput struct {
	Body struct {
		Status string `json:"status" example:"ok" doc:"Always ok while the process serves HTTP"`
	}
}

// Readiness describes the snapshot being served.
type Readiness struct {
	Status   string    `json:"status" example:"ready"`
	Topics   int       `json:"topics" doc:"Topics in the served snapshot"`
	Services int       `json:"services" doc:"Services in the served snapshot"`
	LoadedAt time.Time `json:"loaded_at" doc:"When the served snapshot was built"`
	Degraded []string  `json:"degraded,omitempty" doc:"What is failing while the last snapshot is still served (git, database, sync), one line each; ready stays 200"`
}

// ReadyOutput answers the readiness probe.
type ReadyOutput struct {
	Body Readiness
}

func (h *handlers) registerHealth(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "healthz", Method: http.MethodGet, Path: "/healthz", Tags: []string{"Health"},
		Summary: "Liveness probe", Description: "Answers 200 while the process is serving HTTP.",
	}, func(context.Context, *struct{}) (*HealthOutput, error) {
		out := &HealthOutput{}
		out.Body.Status = "ok"
		return out, nil
	})
	huma.Register(api, huma.Operation{
		OperationID: "readyz", Method: http.MethodGet, Path: "/readyz", Tags: []string{"Health"},
		Summary: "Readiness probe", Description: "Answers 200 once a consistent schema snapshot is loaded, 503 before. While Git or the database fails, it stays 200 (the last snapshot is served) and `degraded` says what is failing.",
		Errors: []int{http.StatusServiceUnavailable},
	}, func(context.Context, *struct{}) (*ReadyOutput, error) {
		c, err := h.catalog()
		if err != nil {
			return nil, err
		}
		out := &ReadyOutput{}
		out.Body.Status = "ready"
		out.Body.Topics = len(c.Topics(catalogAll))
		out.Body.Services = len(c.Services())
		out.Body.LoadedAt = c.LoadedAt()
		if h.syncer != nil {
			out.Body.Degraded = h.syncer.Status().Degraded
		}
		return out, nil
	})
}
