package api

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/goccy/go-yaml"

	registry "github.com/backbone-registry/backbone"
)

// Role is what a credential may do.
type Role string

// Roles: read serves every read (both APIs, lookups and compatibility
// checks included); admin may also trigger syncs.
const (
	RoleRead  Role = "read"
	RoleAdmin Role = "admin"
)

// Credential is one entry of the credentials file: a bearer token, or a user
// name and password for HTTP Basic (what Kafka clients send with
// basic.auth.user.info). Secrets may be given as SHA-256 hex instead.
type Credential struct {
	Name           string `yaml:"name" json:"name"`
	Role           Role   `yaml:"role" json:"role"`
	Token          string `yaml:"token" json:"-"`
	TokenSHA256    string `yaml:"token_sha256" json:"-"`
	Username       string `yaml:"username" json:"-"`
	Password       string `yaml:"password" json:"-"`
	PasswordSHA256 string `yaml:"password_sha256" json:"-"`
}

// Auth checks credentials. Without any credential configured there are no
// roles to check: reads are anonymous and so is POST /v1/sync (a harmless,
// coalesced trigger). With credentials, admin routes need the admin role and
// reads need credentials unless anonymous read is on.
type Auth struct {
	anonymousRead bool
	tokens        []secret // sha256 of tokens
	basics        []secret // sha256 of "user:password"
	log           *slog.Logger
}

type secret struct {
	sum    [32]byte
	name   string
	role   Role
	hashed bool // a Basic credential stored as sha256(user + ":" + sha256(password))
}

// ParseCredentials reads a credentials file (YAML: a list of Credential).
// Errors name the file, line and column, and never echo a secret.
func ParseCredentials(file string, data []byte) ([]Credential, error) {
	var creds []Credential
	if err := yaml.UnmarshalWithOptions(data, &creds, yaml.Strict()); err != nil {
		var yerr yaml.Error
		if ok := asYAMLError(err, &yerr); ok && yerr.GetToken() != nil && yerr.GetToken().Position != nil {
			p := yerr.GetToken().Position
			return nil, registry.Errorf(registry.EINVALID, "%s:%d:%d: %s", file, p.Line, p.Column, yerr.GetMessage())
		}
		return nil, registry.Errorf(registry.EINVALID, "%s: not a list of credentials", file)
	}
	for i, c := range creds {
		where := fmt.Sprintf("%s: credential %d (%s)", file, i+1, c.Name)
		hasToken := c.Token != "" || c.TokenSHA256 != ""
		hasBasic := c.Username != "" && (c.Password != "" || c.PasswordSHA256 != "")
		switch {
		case c.Name == "":
			return nil, registry.Errorf(registry.EINVALID, "%s: a name is required", where)
		case c.Role != RoleRead && c.Role != RoleAdmin:
			return nil, registry.Errorf(registry.EINVALID, "%s: role must be read or admin", where)
		case hasToken == hasBasic:
			return nil, registry.Errorf(registry.EINVALID, "%s: give a token, or a username with a password, not both", where)
		}
	}
	return creds, nil
}

// NewAuth builds the credential checker. anonymousRead lets requests without
// credentials read.
func NewAuth(creds []Credential, anonymousRead bool, log *slog.Logger) (*Auth, error) {
	a := &Auth{anonymousRead: anonymousRead, log: log}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	for _, c := range creds {
		switch {
		case c.Token != "":
			a.tokens = append(a.tokens, secret{sum: sha256.Sum256([]byte(c.Token)), name: c.Name, role: c.Role})
		case c.TokenSHA256 != "":
			sum, err := decodeSum(c.TokenSHA256)
			if err != nil {
				return nil, fmt.Errorf("credential %s: token_sha256: %w", c.Name, err)
			}
			a.tokens = append(a.tokens, secret{sum: sum, name: c.Name, role: c.Role})
		case c.Password != "":
			a.basics = append(a.basics, secret{sum: sha256.Sum256([]byte(c.Username + ":" + c.Password)), name: c.Name, role: c.Role})
		default:
			// A stored hash of the password alone: check user and hash apart.
			sum, err := decodeSum(c.PasswordSHA256)
			if err != nil {
				return nil, fmt.Errorf("credential %s: password_sha256: %w", c.Name, err)
			}
			a.basics = append(a.basics, secret{sha256.Sum256(append([]byte(c.Username+":"), sum[:]...)), c.Name, c.Role, true})
		}
	}
	return a, nil
}

func decodeSum(h string) ([32]byte, error) {
	var sum [32]byte
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != len(sum) {
		return sum, fmt.Errorf("want 64 hex digits")
	}
	copy(sum[:], b)
	return sum, nil
}

// identify returns the role of the request's credentials: "" when it
// presents none, and ok false when it presents wrong ones. Every stored
// secret is compared, in constant time, whatever matches.
func (a *Auth) identify(r *http.Request) (name string, role Role, presented, ok bool) {
	h := r.Header.Get("Authorization")
	scheme, value, _ := strings.Cut(h, " ")
	switch {
	case h == "":
		return "", "", false, false
	case strings.EqualFold(scheme, "Bearer"):
		sum := sha256.Sum256([]byte(strings.TrimSpace(value)))
		for _, s := range a.tokens {
			if subtle.ConstantTimeCompare(sum[:], s.sum[:]) == 1 {
				name, role, ok = s.name, s.role, true
			}
		}
	case strings.EqualFold(scheme, "Basic"):
		user, pass, basicOK := r.BasicAuth()
		if !basicOK {
			return "", "", true, false
		}
		plain := sha256.Sum256([]byte(user + ":" + pass))
		passSum := sha256.Sum256([]byte(pass))
		hashed := sha256.Sum256(append([]byte(user+":"), passSum[:]...))
		for _, s := range a.basics {
			want := plain
			if s.hashed {
				want = hashed
			}
			if subtle.ConstantTimeCompare(want[:], s.sum[:]) == 1 {
				name, role, ok = s.name, s.role, true
			}
		}
	}
	return name, role, true, ok
}

// open reports whether no credentials are configured at all.
func (a *Auth) open() bool { return len(a.tokens) == 0 && len(a.basics) == 0 }

// access is what a route needs.
type access int

const (
	accessOpen  access = iota // health probes; webhooks carry their own signature
	accessRead                // everything else
	accessAdmin               // POST /v1/sync
)

func routeAccess(r *http.Request) access {
	switch p := r.URL.Path; {
	case p == "/healthz" || p == "/readyz" || p == "/v1/hooks/git":
		return accessOpen
	case p == "/v1/sync" && r.Method == http.MethodPost:
		return accessAdmin
	}
	return accessRead
}

// Middleware enforces the credentials on every route, answering 401 and 403
// in the error format of the API the request is for.
func (a *Auth) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		need := routeAccess(r)
		if need == accessOpen {
			next.ServeHTTP(w, r)
			return
		}
		name, role, presented, ok := a.identify(r)
		switch {
		case presented && !ok:
			a.log.Warn("request with wrong credentials", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("remote", r.RemoteAddr))
			deny(w, r, http.StatusUnauthorized, "wrong credentials")
		case !presented && need == accessAdmin && a.open():
			next.ServeHTTP(w, r) // no credentials configured: nothing to guard with
		case !presented && (need == accessAdmin || !a.anonymousRead):
			deny(w, r, http.StatusUnauthorized, "credentials required: a bearer token or HTTP Basic")
		case presented && need == accessAdmin && role != RoleAdmin:
			a.log.Warn("admin request without the admin role", slog.String("credential", name), slog.String("path", r.URL.Path))
			deny(w, r, http.StatusForbidden, "the admin role is required")
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// deny writes 401 or 403 as the API the request is for writes errors:
// problem+json for the native API, Confluent's error body elsewhere.
func deny(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="backbone", charset="UTF-8"`)
	}
	if strings.HasPrefix(r.URL.Path, "/v1/") || r.URL.Path == "/metrics" || strings.HasPrefix(r.URL.Path, "/openapi") || strings.HasPrefix(r.URL.Path, "/docs") {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"title": http.StatusText(status), "status": status, "detail": msg})
		return
	}
	if !isConfluentPath(r.URL.Path) && fromBrowser(r) {
		// A browser on the web catalog: it shows this if the person
		// cancels the sign-in prompt.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, "<!doctype html>\n<html lang=\"en\"><meta charset=\"utf-8\"><title>%d %s · Backbone</title>\n<h1>%s</h1>\n<p>%s.</p>\n",
			status, http.StatusText(status), http.StatusText(status), html.EscapeString(msg))
		return
	}
	w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	w.WriteHeader(status)
	code := 40101
	switch status {
	case http.StatusBadRequest:
		code = http.StatusBadRequest
	case http.StatusForbidden:
		code = 40301
	case http.StatusInternalServerError:
		code = 50001
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"error_code": code, "message": msg})
}

// LimitBody bounds request bodies to max bytes.
func LimitBody(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			deny413(w, r, max)
			return
		}
		if r.Body != http.NoBody && r.Body != nil { // nothing to bound (and no reader to allocate) for a GET
			r.Body = http.MaxBytesReader(w, r.Body, max)
			if r.ContentLength < 0 {
				// A chunked body has no length to refuse it by, and a
				// handler reading past the limit would answer 500: read it
				// here (every route buffers its body anyway), and refuse it
				// in the API's format.
				data, err := io.ReadAll(r.Body)
				var tooLarge *http.MaxBytesError
				switch {
				case errors.As(err, &tooLarge):
					deny413(w, r, max)
					return
				case err != nil:
					deny(w, r, http.StatusBadRequest, "cannot read the request body")
					return
				}
				r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(data)), int64(len(data))
			}
		}
		next.ServeHTTP(w, r)
	})
}

func deny413(w http.ResponseWriter, r *http.Request, max int64) {
	msg := fmt.Sprintf("request body larger than %d bytes", max)
	if strings.HasPrefix(r.URL.Path, "/v1/") {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		_ = json.NewEncoder(w).Encode(map[string]any{"title": "Request Entity Too Large", "status": 413, "detail": msg})
		return
	}
	w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	w.WriteHeader(http.StatusRequestEntityTooLarge)
	_ = json.NewEncoder(w).Encode(map[string]any{"error_code": 413, "message": msg})
}

func asYAMLError(err error, target *yaml.Error) bool {
	e, ok := err.(yaml.Error)
	if ok {
		*target = e
	}
	return ok
}
