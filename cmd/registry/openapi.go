package main

import (
	"encoding/json"
	"net/http"

	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/backbone-registry/backbone/api"
)

// OpenAPICmd prints the OpenAPI 3.1 document of the HTTP API.
type OpenAPICmd struct {
	YAML bool `help:"Print YAML instead of JSON."`
}

// Run implements the command.
func (o *OpenAPICmd) Run(e *env) error {
	h := humago.New(http.NewServeMux(), api.HumaConfig(buildVersion()))
	api.Register(h, nil, api.Config{})
	if o.YAML {
		out, err := h.OpenAPI().YAML()
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(out)
		return err
	}
	out, err := json.MarshalIndent(h.OpenAPI(), "", "  ")
	if err != nil {
		return err
	}
	out = append(out, '\n')
	_, err = e.stdout.Write(out)
	return err
}
