package api

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"path"
	"slices"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/compat"
)

// Checker lints a candidate schema tree (the whole tree: path under the
// schema root → content) against the catalog being served and returns the
// report to answer with. lint.Checker returns the implementation, whose
// report is what `registry lint --format json` prints; the caller passes it
// in because lint reads Git, which api must not depend on.
type Checker func(ctx context.Context, served *catalog.Catalog, files map[string][]byte) (report any, err error)

// Check modes.
const (
	CheckOverlay = "overlay" // the files replace or add to the served tree's
	CheckReplace = "replace" // the files are the whole candidate tree
)

// CheckRequest is a candidate change to the schema repository.
type CheckRequest struct {
	Files map[string]string `json:"files,omitempty" doc:"Candidate files by path under the schema root (registry.yaml, <namespace>/<service>/service.yaml, .proto files) to their full content"`
	// Delete is a list rather than null values in Files, so that Files
	// stays a plain map of strings in every client's types.
	Delete []string `json:"delete,omitempty" maxItems:"20000" doc:"Paths of the served tree the candidate deletes (overlay mode only)"`
	Mode   string   `json:"mode,omitempty" enum:"overlay,replace" default:"overlay" doc:"overlay: files replace or add to the served tree's files and delete removes some; replace: files are the whole candidate tree"`
}

// CheckInput is a check request.
type CheckInput struct {
	Body CheckRequest
}

// CheckOutput is the lint report of a candidate.
type CheckOutput struct {
	Body any
}

// checks serves POST /v1/check.
type checks struct {
	*handlers
}

func (h *handlers) registerCheck(api huma.API) {
	limit := h.cfg.MaxBodyBytes
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	ch := &checks{handlers: h}
	huma.Register(api, huma.Operation{
		OperationID: "check", Method: http.MethodPost, Path: "/v1/check", Tags: []string{"Rules"},
		Summary: "Check candidate files",
		Description: "Lints a candidate change to the schema repository against what this registry serves, as " +
			"`registry lint --against <registry URL>` does, for tools that cannot run the CLI (a web editor, a bot, CI in another language). " +
			"The candidate tree is compiled, the governance rules applied, and every topic whose contract changed is checked " +
			"against its versions (all of them for transitive modes) with its compatibility mode and level; a topic deleted while " +
			"others consume it is `TOPIC_NO_DELETE`. Nothing is stored.\n\n" +
			"The answer is the report `registry lint --format json` prints (shape in docs/CI.md), with paths relative to the schema root: " +
			"it is 200 whether or not there are findings; the verdict is `summary.errors` (0: the change may merge). " +
			"Content that does not compile is a `COMPILE` finding at file:line:col, not an error. " +
			"A request that names no files, or a path that is absolute, contains `..` or is not a repository file, is a 422. " +
			"The candidate tree is held to the limits it would be served with (README \"Limits\"): its registry.yaml's `limits:` under the server's " +
			"`--max-file-size`, `--max-files`, `--max-total-size` and `--max-depth` flags, by default " +
			fmt.Sprintf("%s per file, %d .proto files and %s of .proto files in all; ", compat.FormatSize(compat.DefaultLimits.MaxFileSize), compat.DefaultLimits.MaxFiles, compat.FormatSize(compat.DefaultLimits.MaxTotalSize)) +
			"a tree over one is a 422 naming the file, its size, the limit and the key and flag that raise it. " +
			fmt.Sprintf("The request body is bounded first, by `--max-body` (%s on this server): a larger body is a 413, ", compat.FormatSize(limit)) +
			"so a file larger than the body limit is refused by it whatever the per-file limit: in overlay mode only the changed files travel; for larger ones, raise --max-body. " +
			"A registry serving a plain directory has no history: topics are compared with their current contracts, and a note says so. " +
			"Compilations are bounded across routes (--max-compiles): when every slot stays taken for 10 s, the answer is 429 with Retry-After.",
		MaxBodyBytes: limit,
		RequestBody: &huma.RequestBody{Content: map[string]*huma.MediaType{"application/json": {Examples: map[string]*huma.Example{
			"overlay": {Summary: "Change one file of the served tree", Value: map[string]any{
				"files": map[string]string{"retail/orders/v1/orders.proto": "syntax = \"proto3\";\npackage acme.retail.orders.v1;\n…"},
			}},
			"delete": {Summary: "Delete a service", Value: map[string]any{
				"delete": []string{"retail/fraud/service.yaml", "retail/fraud/v1/fraud.proto"},
			}},
			"replace": {Summary: "Check a whole candidate tree", Value: map[string]any{
				"mode":  CheckReplace,
				"files": map[string]string{"registry.yaml": "company: acme\n", "retail/orders/service.yaml": "…", "retail/orders/v1/orders.proto": "…"},
			}},
		}}}},
		Responses: map[string]*huma.Response{"200": {
			Description: "The lint report (docs/CI.md); summary.errors > 0 means the change breaks something",
			Content: map[string]*huma.MediaType{"application/json": {Schema: reportSchema, Examples: map[string]*huma.Example{
				"breaking": {Summary: "A field type changed on a consumed topic", Value: checkExample}}}},
		}},
	}, ch.check)
}

// reportSchema outlines the lint report. Its fields are lint.Report's, a
// stable shape documented in docs/CI.md; api does not import lint (it
// reads Git), so the document names the top-level fields only.
var reportSchema = &huma.Schema{
	Type:        huma.TypeObject,
	Description: "The report `registry lint --format json` prints (docs/CI.md): findings, changed topics, the owners of the consumers they name, notes and a summary.",
	Required:    []string{"root", "findings", "topics", "owners", "notes", "summary"},
	Properties: map[string]*huma.Schema{
		"root":     {Type: huma.TypeString, Description: "Empty: paths are relative to the schema root"},
		"against":  {Type: huma.TypeString, Description: "What the candidate was compared with (the served commit)"},
		"base":     {Type: huma.TypeString},
		"findings": {Type: huma.TypeArray, Description: "Compile errors, governance findings, then compatibility findings topic by topic", Items: &huma.Schema{Type: huma.TypeObject}},
		"topics":   {Type: huma.TypeArray, Description: "Topics whose contract changed, appeared or disappeared", Items: &huma.Schema{Type: huma.TypeObject}},
		"owners":   {Type: huma.TypeObject, Description: "The owning team of every consumer named", AdditionalProperties: &huma.Schema{Type: huma.TypeString}},
		"notes":    {Type: huma.TypeArray, Description: "What limited the check", Items: &huma.Schema{Type: huma.TypeString}},
		"summary":  {Type: huma.TypeObject, Description: "Counts; errors > 0 means the change breaks something", Required: []string{"errors"}},
	},
}

// checkExample is a report as POST /v1/check answers it (the demo estate,
// OrderEvent.customer_id changed from string to int64).
var checkExample = map[string]any{
	"root": "", "against": "the served commit 96a345f64ec9", "base": "the served commit 96a345f64ec9",
	"findings": []any{map[string]any{
		"rule": "FIELD_WIRE_COMPATIBLE_TYPE", "severity": "error", "direction": "BOTH",
		"topic": "acme.retail.orders.events", "service": "acme.retail.orders",
		"file": "retail/orders/v1/orders.proto", "line": 23, "column": 3,
		"message": "field 3 \"customer_id\" of acme.retail.orders.v1.OrderEvent was string and is int64, which is not wire-compatible " +
			"(the encodings differ): keep string, or add a new field (against version 3)",
		"consumers": []string{"acme.retail.fraud", "acme.retail.stock"}, "teams": []string{"inventory-team", "risk-team"},
	}},
	"topics": []any{map[string]any{
		"topic": "acme.retail.orders.events", "change": "changed", "service": "acme.retail.orders", "owner": "orders-team",
		"compatibility": "FULL_TRANSITIVE", "level": "WIRE_JSON", "versions_checked": 3, "breaking": true,
		"consumers": []string{"acme.retail.fraud", "acme.retail.stock"},
	}},
	"owners": map[string]string{"acme.retail.fraud": "risk-team", "acme.retail.stock": "inventory-team"},
	"notes":  []string{},
	"summary": map[string]any{"errors": 1, "warnings": 0, "infos": 0, "services": 9, "topics": 14,
		"topics_changed": 1, "topics_new": 0, "topics_deleted": 0, "topics_breaking": 1, "consumers_affected": 2},
}

func (h *checks) check(ctx context.Context, in *CheckInput) (*CheckOutput, error) {
	c, err := h.catalog()
	if err != nil {
		return nil, err
	}
	if h.cfg.Check == nil {
		return nil, huma.NewError(http.StatusNotImplemented, "this registry was started without the check")
	}
	files, err := candidate(c.Files(), in.Body, h.cfg.Limits)
	if err != nil {
		return nil, err
	}
	// A check compiles the whole candidate estate (and the served one):
	// one compilation slot for all of it.
	release, err := h.compiles.Enter(ctx)
	if err != nil {
		return nil, busyProblem()
	}
	defer release()
	rep, err := h.cfg.Check(ctx, c, files)
	if err != nil {
		return nil, h.problem(err)
	}
	return &CheckOutput{Body: rep}, nil
}

// candidate builds the candidate tree of a request over the served files,
// or answers 422 listing every problem of the request. The tree is held to
// the limits flags over its registry.yaml's limits: (the served one's when
// the request does not change it).
func candidate(servedFiles map[string][]byte, req CheckRequest, flags compat.Limits) (map[string][]byte, error) {
	var details []error
	bad := func(where, p, format string, args ...any) {
		details = append(details, &huma.ErrorDetail{Location: where, Value: p, Message: fmt.Sprintf(format, args...)})
	}
	replace := req.Mode == CheckReplace
	switch {
	case replace && len(req.Files) == 0:
		bad("body.files", "", "replace mode needs the whole candidate tree in files")
	case !replace && len(req.Files) == 0 && len(req.Delete) == 0:
		bad("body.files", "", "no files to check: give files, or paths to delete")
	case replace && len(req.Delete) > 0:
		bad("body.delete", "", "delete is for overlay mode: in replace mode, leave the file out of files")
	}
	if len(details) > 0 {
		return nil, huma.Error422UnprocessableEntity("invalid check request", details...)
	}
	repoYAML, ok := []byte(nil), false
	if s, given := req.Files[catalog.RepoFile]; given {
		repoYAML, ok = []byte(s), true
	} else if !replace && !slices.Contains(req.Delete, catalog.RepoFile) {
		repoYAML, ok = servedFiles[catalog.RepoFile]
	}
	if !ok {
		repoYAML = nil
	}
	limits, err := catalog.RepoLimits(repoYAML, flags)
	if err != nil {
		// The lint run reports registry.yaml's problem; bound the
		// request with the flags and the defaults meanwhile.
		limits = flags.WithDefaults()
	}
	for _, p := range slices.Sorted(maps.Keys(req.Files)) {
		if msg := badPath(p, limits); msg != "" {
			bad("body.files."+p, p, "%s: %s", p, msg)
		}
	}
	for i, p := range req.Delete {
		where := fmt.Sprintf("body.delete[%d]", i)
		_, served := servedFiles[p]
		_, given := req.Files[p]
		switch msg := badPath(p, limits); {
		case msg != "":
			bad(where, p, "%s: %s", p, msg)
		case !served:
			bad(where, p, "%s: no such file in the served tree", p)
		case given:
			bad(where, p, "%s: both in files and in delete", p)
		}
	}
	if len(details) > 0 {
		return nil, huma.Error422UnprocessableEntity("invalid check request", details...)
	}

	files := make(map[string][]byte, len(servedFiles)+len(req.Files))
	if !replace {
		maps.Copy(files, servedFiles)
		for _, p := range req.Delete {
			delete(files, p)
		}
	}
	for p, content := range req.Files {
		files[p] = []byte(content)
	}
	for _, d := range compat.CheckSizes(files, limits) {
		where := "body.files"
		if _, given := req.Files[d.File]; given {
			where = "body.files." + d.File
		}
		bad(where, d.File, "%s: %s", d.File, d.Message)
	}
	if len(details) > 0 {
		return nil, huma.Error422UnprocessableEntity("invalid check request", details...)
	}
	return files, nil
}

// badPath says what is wrong with a path of a candidate file, or "".
// Paths are slash-separated and relative to the schema root, like the
// served tree's, so nothing can name a file outside it.
func badPath(p string, limits compat.Limits) string {
	segments := strings.Split(p, "/")
	switch {
	case p == "":
		return "empty path"
	case strings.ContainsAny(p, "\\\x00"):
		return `not a slash-separated path (no \ or NUL)`
	case strings.HasPrefix(p, "/"):
		return "absolute: paths are relative to the schema root"
	case slices.Contains(segments, ".."):
		return "contains ..: paths stay under the schema root"
	case path.Clean(p) != p:
		return fmt.Sprintf("not a clean path (write %s)", path.Clean(p))
	case slices.ContainsFunc(segments, func(s string) bool { return strings.HasPrefix(s, ".") }):
		return "in a hidden directory, which is not part of the schema tree"
	case len(segments)-1 > limits.MaxDepth:
		return limits.TooDeep()
	case !catalog.IsRepositoryFile(p):
		return "not a repository file: only registry.yaml, service.yaml and .proto files are checked"
	}
	return ""
}
