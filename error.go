package registry

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes. The API maps each to an HTTP status in one table; the CLI
// maps them to exit codes.
const (
	EINVALID      = "invalid"      // bad input: YAML, proto, names, flags
	ENOTFOUND     = "not_found"    // no such topic, service, version or ID
	ECONFLICT     = "conflict"     // the request contradicts existing state
	EINCOMPATIBLE = "incompatible" // a schema change breaks a topic's compatibility
	EUNAUTHORIZED = "unauthorized" // missing or wrong credentials
	EFORBIDDEN    = "forbidden"    // credentials without the needed role
	EUNAVAILABLE  = "unavailable"  // no snapshot loaded yet, or a backend is down
	EINTERNAL     = "internal"     // a bug or an unexpected backend failure
)

// Error is Backbone's domain error: a code, a message for people, and for
// bad repository content the diagnostics that locate each problem.
type Error struct {
	Code        string
	Message     string
	Diagnostics []Diagnostic
}

// Diagnostic is one problem found in repository content, at a position.
type Diagnostic struct {
	Position
	Message string `json:"message"`
}

// String formats d as "file:line:col: message".
func (d Diagnostic) String() string { return d.Position.String() + ": " + d.Message }

// Error returns the message followed by one diagnostic per line.
func (e *Error) Error() string {
	if len(e.Diagnostics) == 0 {
		return e.Message
	}
	var b strings.Builder
	b.WriteString(e.Message)
	for _, d := range e.Diagnostics {
		b.WriteString("\n  ")
		b.WriteString(d.String())
	}
	return b.String()
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the *Error in err's chain, EINTERNAL for any
// other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the *Error in err's chain; other
// errors are internal and get a generic message, so details never leak.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Message
	}
	return "internal error"
}

// ErrorDiagnostics returns the diagnostics of the *Error in err's chain.
func ErrorDiagnostics(err error) []Diagnostic {
	var e *Error
	if errors.As(err, &e) {
		return e.Diagnostics
	}
	return nil
}
