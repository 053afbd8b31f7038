package api

import (
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"
)

// mediaRange is one well-formed element of an Accept header.
var mediaRange = regexp.MustCompile(`^[A-Za-z0-9!#$&^_.+*-]+/[A-Za-z0-9!#$&^_.+*-]+(\s*;\s*[A-Za-z0-9!#$&^_.+-]+=("[^"]*"|[A-Za-z0-9!#$&^_.+-]+))*$`)

// versionPath matches the one route served as application/x-protobuf.
var versionPath = regexp.MustCompile(`^/v1/topics/[^/]+/versions/[^/]+$`)

// plainAccept are Accept headers clients send that cleanAccept would keep
// as they are: well formed, without application/x-protobuf. They skip its
// parsing, which would otherwise cost the hot Confluent reads (hotpath.go)
// a few allocations and regexp matches per request.
var plainAccept = map[string]bool{
	mediaSchemaRegistryV1: true,
	mediaSchemaRegistry:   true,
	mediaJSON:             true,
	"*/*":                 true,
	// Confluent's Java client (RestService).
	"application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5": true,
}

// cleanAccept keeps only well-formed media ranges of the Accept header (a
// malformed one panics huma's negotiation), and drops application/x-protobuf
// except where a protobuf form exists, so every other route answers JSON.
func cleanAccept(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if accept := r.Header.Get("Accept"); accept != "" && !plainAccept[accept] {
			var keep []string
			for _, part := range strings.Split(accept, ",") {
				part = strings.TrimSpace(part)
				if !mediaRange.MatchString(part) {
					continue
				}
				if strings.HasPrefix(part, "application/x-protobuf") && !versionPath.MatchString(r.URL.Path) {
					continue
				}
				keep = append(keep, part)
			}
			if len(keep) == 0 {
				r.Header.Del("Accept")
			} else {
				r.Header.Set("Accept", strings.Join(keep, ", "))
			}
		}
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a panic into a 500 in the API's own error format and
// logs it once with its stack, instead of dropping the connection.
func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("panic serving request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
					slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())))
				deny(w, r, http.StatusInternalServerError, "internal error")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// validAsset reports whether a /docs/assets/ path names a valid file path;
// http.FileServer answers 500 for invalid ones.
func validAsset(path string) bool {
	return fs.ValidPath(strings.TrimPrefix(path, "/docs/assets/"))
}
