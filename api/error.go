package api

import (
	"log/slog"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	registry "github.com/backbone-registry/backbone"
)

// statuses maps domain error codes to HTTP statuses: the one table.
var statuses = map[string]int{
	registry.EINVALID:      http.StatusUnprocessableEntity,
	registry.ENOTFOUND:     http.StatusNotFound,
	registry.ECONFLICT:     http.StatusConflict,
	registry.EINCOMPATIBLE: http.StatusConflict,
	registry.EUNAUTHORIZED: http.StatusUnauthorized,
	registry.EFORBIDDEN:    http.StatusForbidden,
	registry.EUNAVAILABLE:  http.StatusServiceUnavailable,
	registry.EINTERNAL:     http.StatusInternalServerError,
}

// problem turns a domain error into a problem+json response. Internal errors
// are logged here, once, and answered without details.
func (h *handlers) problem(err error) error {
	code := registry.ErrorCode(err)
	status, ok := statuses[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status == http.StatusInternalServerError {
		h.log.Error("internal error", slog.Any("error", err))
	}
	var details []error
	for _, d := range registry.ErrorDiagnostics(err) {
		details = append(details, &huma.ErrorDetail{Message: d.Message, Location: d.Position.String()})
	}
	return huma.NewError(status, registry.ErrorMessage(err), details...)
}

// Errors are application/problem+json whatever the request's Accept: huma
// would otherwise write them in the negotiated format, and the protobuf
// format (a version's FileDescriptorSet) has no form for them.
func init() {
	newError := huma.NewError
	huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
		err := newError(status, msg, errs...)
		if m, ok := err.(*huma.ErrorModel); ok {
			return &ErrorModel{m}
		}
		return err
	}
}

// ErrorModel is huma's error model, always written as problem+json (the name
// keeps the OpenAPI schema's).
type ErrorModel struct{ *huma.ErrorModel }

// ContentType returns application/problem+json (huma.ContentTypeFilter).
func (*ErrorModel) ContentType(string) string { return "application/problem+json" }
