package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	registry "github.com/backbone-registry/backbone"
)

// ListServicesInput filters the service list.
type ListServicesInput struct {
	Namespace string `query:"namespace" doc:"Only services of this namespace" example:"retail"`
	Owner     string `query:"owner" doc:"Only services owned by this team" example:"orders-team"`
}

// ServiceList is a list of services.
type ServiceList struct {
	Services []*registry.Service `json:"services"`
	Count    int                 `json:"count"`
}

// ListServicesOutput is the service list.
type ListServicesOutput struct {
	Body ServiceList
}

// GetServiceInput names a service.
type GetServiceInput struct {
	Service string `path:"service" doc:"Full service name" example:"acme.retail.orders"`
}

// ServiceDetail is a service with what it owns, produces and consumes, and
// the governance findings about it.
type ServiceDetail struct {
	*registry.Service
	Findings []registry.Finding `json:"findings"`
}

// GetServiceOutput is one service.
type GetServiceOutput struct {
	Body ServiceDetail
}

func (h *handlers) registerServices(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "list-services", Method: http.MethodGet, Path: "/v1/services", Tags: []string{"Services"},
		Summary:     "List services",
		Description: "Lists the services of the estate with the topics each owns, produces and consumes (implicit roles included).",
	}, h.listServices)
	huma.Register(api, huma.Operation{
		OperationID: "get-service", Method: http.MethodGet, Path: "/v1/services/{service}", Tags: []string{"Services"},
		Summary:     "Get a service",
		Description: "Returns a service's team, contact, owned, produced and consumed topics, and its governance findings.",
	}, h.getService)
}

func (h *handlers) listServices(_ context.Context, in *ListServicesInput) (*ListServicesOutput, error) {
	c, err := h.catalog()
	if err != nil {
		return nil, err
	}
	out := &ListServicesOutput{}
	out.Body.Services = []*registry.Service{}
	for _, s := range c.Services() {
		if (in.Namespace == "" || s.Namespace == in.Namespace) && (in.Owner == "" || s.Owner == in.Owner) {
			out.Body.Services = append(out.Body.Services, s)
		}
	}
	out.Body.Count = len(out.Body.Services)
	return out, nil
}

func (h *handlers) getService(_ context.Context, in *GetServiceInput) (*GetServiceOutput, error) {
	c, err := h.catalog()
	if err != nil {
		return nil, err
	}
	s, ok := c.Service(in.Service)
	if !ok {
		return nil, h.problem(registry.Errorf(registry.ENOTFOUND, "no service %q", in.Service))
	}
	findings := c.FindingsFor(s.Name)
	if findings == nil {
		findings = []registry.Finding{}
	}
	return &GetServiceOutput{Body: ServiceDetail{Service: s, Findings: findings}}, nil
}
