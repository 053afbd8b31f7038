package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"flag"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backbone-registry/backbone/api"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/gitsync"
	"github.com/backbone-registry/backbone/internal/gitfixture"
	"github.com/backbone-registry/backbone/sqlite"
)

func TestLint(t *testing.T) {
	t.Parallel()
	warnOnly := map[string]string{
		"registry.yaml": "company: acme\n",
		"retail/orders/service.yaml": "description: x\ntopics:\n  - name: events\n    value: acme.retail.orders.v1.E\n" +
			"consumes: []\n",
		"retail/orders/v1/e.proto":  "syntax = \"proto3\";\npackage acme.retail.orders.v1;\n// E.\nmessage E {\n  // A.\n  string a = 1;\n}\n",
		"retail/stock/service.yaml": "description: y\nconsumes: [acme.retail.orders.events]\n",
	}
	tests := []struct {
		name     string
		files    map[string]string // nil: the demo
		args     []string
		wantCode int
		want     []string
	}{
		{"demo is clean", nil, nil, exitOK, []string{"9 services, 14 topics: 0 errors, 0 warnings, 0 info"}},
		{"governance error", map[string]string{
			"registry.yaml":              "company: acme\n",
			"retail/orders/service.yaml": "description: x\nconsumes: [acme.retail.orderz.events]\n",
		}, nil, exitError, []string{"retail/orders/service.yaml:2:12: error UNKNOWN_TOPIC", "1 errors"}},
		{"compile error", map[string]string{
			"registry.yaml":     "company: acme\n",
			"common/v1/x.proto": "syntax = \"proto3\";\nmessage X { strin a = 1; }\n",
		}, nil, exitError, []string{"common/v1/x.proto:2:13: error COMPILE"}},
		{"warning passes by default", warnOnly, nil, exitOK, []string{"warning DOC_MISSING", "0 errors, 1 warnings"}},
		{"warning fails with --fail-on warning", warnOnly, []string{"--fail-on", "warning"}, exitError, []string{"warning DOC_MISSING"}},
		{"missing directory", map[string]string{}, []string{"does-not-exist"}, exitUsage, nil},
		{"no registry.yaml", map[string]string{"README.md": "hi"}, nil, exitUsage, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := "../../schemas"
			if tt.files != nil {
				dir = writeTree(t, tt.files)
			}
			args := []string{"lint", dir}
			if len(tt.args) > 0 && !strings.HasPrefix(tt.args[0], "-") {
				args = []string{"lint", filepath.Join(dir, tt.args[0])}
			} else {
				args = append(args, tt.args...)
			}
			var stdout, stderr bytes.Buffer
			code := Main(t.Context(), args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit code: got %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, stdout.String(), stderr.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout: got\n%s\nwant it to contain %q", stdout.String(), w)
				}
			}
			if tt.wantCode == exitUsage && stderr.Len() == 0 {
				t.Errorf("stderr: empty, want the reason")
			}
		})
	}
}

func TestLintJSON(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"repo/registry.yaml":              "company: acme\n",
		"repo/retail/orders/service.yaml": "description: x\nproduces: [acme.retail.nope.events]\n",
	})
	var stdout, stderr bytes.Buffer
	// The schema root is found below the given directory.
	if code := Main(t.Context(), []string{"lint", dir, "--format", "json"}, &stdout, &stderr); code != exitError {
		t.Fatalf("exit code: got %d, want 1; stderr: %s", code, stderr.String())
	}
	var report struct {
		Findings []struct {
			Rule, Severity, File string
			Line, Column         int
		} `json:"findings"`
		Summary struct{ Errors int } `json:"summary"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
		t.Fatalf("decode %s: %v", stdout.String(), err)
	}
	if len(report.Findings) != 1 || report.Summary.Errors != 1 {
		t.Fatalf("report: got %+v", report)
	}
	f := report.Findings[0]
	if f.Rule != "UNKNOWN_TOPIC" || f.Severity != "error" || !strings.HasSuffix(f.File, "repo/retail/orders/service.yaml") || f.Line != 2 || f.Column != 12 {
		t.Errorf("finding: got %+v", f)
	}
}

// ----- `registry lint --against`: real runs of Main over fixture Git
// repositories the tests build, one table row per scenario. Golden output
// lives in testdata/lint/ (refreshed with -update); paths under the
// repository print as $WORK and the test registry's URL as $REGISTRY.

var update = flag.Bool("update", false, "rewrite the golden files in testdata/lint")

const (
	fixtureOrders = `syntax = "proto3";
package acme.retail.orders.v1;
import "common/v1/money.proto";
// A fact about an order.
message OrderEvent {
  // The order.
  string order_id = 1;
  // A note from the customer.
  string note = 2;
  // How many.
  int32 quantity = 3;
  // What it costs.
  acme.common.v1.Money total = 4;
}
`
	fixtureMoney = `syntax = "proto3";
package acme.common.v1;
// Money.
message Money {
  // ISO 4217.
  string currency = 1;
  // Minor units.
  int64 units = 2;
}
`
	fixturePayments = `syntax = "proto2";
package acme.retail.payments.v1;
// A payment fact.
message PaymentEvent {
  // The payment.
  required string payment_id = 1;
  // The amount in cents.
  optional int64 cents = 2;
}
`
)

// fixtureFiles is the schema repository at main: orders.events (consumed
// by stock and billing) and payments.events (proto2, consumed by billing),
// under schemas/ in the Git repository.
func fixtureFiles(mode string) map[string]string {
	return map[string]string{
		"README.md":                     "# Acme schemas\n",
		"schemas/registry.yaml":         "company: acme\ndefaults:\n  compatibility: " + mode + "\n  level: WIRE_JSON\n",
		"schemas/common/v1/money.proto": fixtureMoney,
		"schemas/retail/orders/service.yaml": "description: Orders.\nowner: orders-team\ntopics:\n  - name: events\n    description: Order facts.\n" +
			"    value: acme.retail.orders.v1.OrderEvent\n    key: string\n",
		"schemas/retail/orders/v1/orders.proto": fixtureOrders,
		"schemas/retail/payments/service.yaml": "description: Payments.\nowner: payments-team\ntopics:\n  - name: events\n    description: Payment facts.\n" +
			"    value: acme.retail.payments.v1.PaymentEvent\n",
		"schemas/retail/payments/v1/payments.proto": fixturePayments,
		"schemas/retail/stock/service.yaml":         "description: Stock.\nowner: stock-team\nconsumes: [acme.retail.orders.events]\n",
		"schemas/retail/billing/service.yaml":       "description: Billing.\nowner: billing-team\nconsumes: [acme.retail.orders.events, acme.retail.payments.events]\n",
	}
}

const ordersPath = "schemas/retail/orders/v1/orders.proto"

func edit(s, old, new string) string {
	if !strings.Contains(s, old) {
		panic("fixture: no " + old)
	}
	return strings.Replace(s, old, new, 1)
}

// fixtureRepo commits the fixture on main and applies edits to the work
// tree, as a pull request's checkout.
func fixtureRepo(t *testing.T, edits map[string]string) *gitfixture.Repo {
	t.Helper()
	repo := gitfixture.New(t)
	repo.Commit("schemas", fixtureFiles("BACKWARD_TRANSITIVE"))
	repo.Write(edits)
	return repo
}

// transitiveRepo has a history that the registry accepts commit by
// commit, because orders.events evolved under NONE: v1 has string note = 2,
// v2 deletes it. The edit makes the topic BACKWARD_TRANSITIVE and reuses
// number 2 for an int64: compatible with v2, but not with v1, whose data
// the new readers cannot read.
func transitiveRepo(t *testing.T) (*gitfixture.Repo, map[string]string) {
	t.Helper()
	files := fixtureFiles("NONE")
	repo := gitfixture.New(t)
	repo.Commit("v1", files)
	files[ordersPath] = edit(fixtureOrders, "  // A note from the customer.\n  string note = 2;\n", "")
	repo.Commit("v2: drop the note", files)
	return repo, map[string]string{
		ordersPath:                           edit(fixtureOrders, "string note = 2;", "int64 note = 2;"),
		"schemas/retail/orders/service.yaml": edit(files["schemas/retail/orders/service.yaml"], "    key: string\n", "    key: string\n    compatibility: BACKWARD_TRANSITIVE\n"),
	}
}

// lintRun is one run of `registry lint`: its exit code and output, with
// the work directory and registry URL replaced by $WORK and $REGISTRY.
type lintRun struct {
	code           int
	stdout, stderr string
}

func runLint(t *testing.T, work, registryURL string, args ...string) lintRun {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(t.Context(), append([]string{"lint"}, args...), &stdout, &stderr)
	clean := func(s string) string {
		if registryURL != "" {
			s = strings.ReplaceAll(s, registryURL, "$REGISTRY")
		}
		if work != "" {
			s = strings.ReplaceAll(s, filepath.ToSlash(work), "$WORK")
		}
		return s
	}
	return lintRun{code: code, stdout: clean(stdout.String()), stderr: clean(stderr.String())}
}

func TestLintAgainst(t *testing.T) {
	t.Parallel()
	consumers := "hurts: acme.retail.billing (billing-team), acme.retail.stock (stock-team)"
	tests := []struct {
		name   string
		repo   func(t *testing.T) (dir string, registryURL string)
		args   []string // after the schema root; $REGISTRY is the test registry
		code   int
		stdout []string
		stderr []string
		golden string // testdata/lint/<golden>.txt: stdout, whole
	}{
		{name: "compatible change", repo: edits(map[string]string{
			ordersPath: edit(fixtureOrders, "  acme.common.v1.Money total = 4;\n", "  acme.common.v1.Money total = 4;\n  // Gift wrap.\n  bool gift = 5;\n"),
		}), args: []string{"--against", "main"}, code: exitOK, golden: "compatible",
			stdout: []string{"against main (", "1 topic changed, 0 new, 0 deleted; 0 breaking"}},
		{name: "field deleted", repo: edits(map[string]string{
			ordersPath: edit(fixtureOrders, "  // A note from the customer.\n  string note = 2;\n", ""),
		}), args: []string{"--against", "main"}, code: exitError, golden: "field-deleted", stdout: []string{
			"$WORK/schemas/retail/orders/v1/orders.proto:9:3: error FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED (BACKWARD): field 2 \"note\"",
			consumers, "1 breaking, 2 consumers affected"}},
		{name: "type changed", repo: edits(map[string]string{
			ordersPath: edit(fixtureOrders, "int32 quantity = 3;", "string quantity = 3;"),
		}), args: []string{"--against", "main"}, code: exitError, stdout: []string{
			"$WORK/schemas/retail/orders/v1/orders.proto:11:3: error FIELD_WIRE_COMPATIBLE_TYPE (BACKWARD): field 3 \"quantity\"", consumers}},
		{name: "a shared type changed", repo: edits(map[string]string{
			"schemas/common/v1/money.proto": edit(fixtureMoney, "int64 units = 2;", "string units = 2;"),
		}), args: []string{"--against", "main"}, code: exitError, stdout: []string{
			"$WORK/schemas/common/v1/money.proto:8:3: error FIELD_WIRE_COMPATIBLE_TYPE (BACKWARD)", consumers}},
		{name: "renamed field at WIRE_JSON", repo: edits(map[string]string{
			ordersPath: edit(fixtureOrders, "string note = 2;", "string remark = 2;"),
		}), args: []string{"--against", "main"}, code: exitError, stdout: []string{
			"$WORK/schemas/retail/orders/v1/orders.proto:9:3: error FIELD_SAME_NAME (BACKWARD)",
			"$WORK/schemas/retail/orders/v1/orders.proto:9:3: error FIELD_SAME_JSON_NAME (BACKWARD)", consumers}},
		{name: "required field added", repo: edits(map[string]string{
			"schemas/retail/payments/v1/payments.proto": edit(fixturePayments, "  optional int64 cents = 2;\n", "  optional int64 cents = 2;\n  // ISO 4217.\n  required string currency = 3;\n"),
		}), args: []string{"--against", "main"}, code: exitError, stdout: []string{
			"$WORK/schemas/retail/payments/v1/payments.proto:10:3: error MESSAGE_SAME_REQUIRED_FIELDS (BACKWARD)",
			"hurts: acme.retail.billing (billing-team)"}},
		{name: "topic deleted while consumed", repo: edits(map[string]string{
			"schemas/retail/payments/service.yaml":      "description: Payments.\nowner: payments-team\n",
			"schemas/retail/payments/v1/payments.proto": gitfixture.Delete,
			"schemas/retail/billing/service.yaml":       "description: Billing.\nowner: billing-team\nconsumes: [acme.retail.orders.events]\n",
		}), args: []string{"--against", "main"}, code: exitError, stdout: []string{
			"$WORK/schemas/retail/payments/service.yaml:4:11: error TOPIC_NO_DELETE: topic acme.retail.payments.events was deleted while 1 service consumes it",
			"0 topics changed, 0 new, 1 deleted; 1 breaking"}},
		{name: "ignore without a reason", repo: edits(map[string]string{
			ordersPath: edit(fixtureOrders, "  string note = 2;", "  // registry:ignore FIELD_SAME_NAME\n  // registry:ignore FIELD_SAME_JSON_NAME renamed before any consumer shipped\n  string remark = 2;"),
		}), args: []string{"--against", "main"}, code: exitError, stdout: []string{
			"orders.proto:11:3: error IGNORE_WITHOUT_REASON: registry:ignore FIELD_SAME_NAME has no reason",
			"orders.proto:11:3: error FIELD_SAME_NAME (BACKWARD)"}},
		{name: "governance violation", repo: edits(map[string]string{
			"schemas/retail/stock/service.yaml": "description: Stock.\nowner: stock-team\nconsumes: [acme.retail.orders.events]\nproduces: [acme.retail.orders.events]\n",
		}), args: []string{"--against", "main"}, code: exitError, stdout: []string{
			"$WORK/schemas/retail/stock/service.yaml:4:12: error SINGLE_WRITER", "0 topics changed"}},
		{name: "warning passes, --fail-on warning fails", repo: edits(map[string]string{
			ordersPath: edit(fixtureOrders, "  acme.common.v1.Money total = 4;\n", "  acme.common.v1.Money total = 4;\n  bool gift = 5;\n"),
		}), args: []string{"--against", "main", "--fail-on", "warning"}, code: exitError, stdout: []string{"warning DOC_MISSING"}},
		{name: "transitive: the whole history is read", repo: func(t *testing.T) (string, string) {
			repo, e := transitiveRepo(t)
			repo.Write(e)
			return repo.Dir, ""
		}, args: []string{"--against", "main"}, code: exitError, stdout: []string{
			"error FIELD_WIRE_COMPATIBLE_TYPE (BACKWARD): field 2 \"note\" of acme.retail.orders.v1.OrderEvent was string and is int64", "(against commit ", "checked against 2 versions"}},
		{name: "shallow clone: says so, checks the base only", repo: func(t *testing.T) (string, string) {
			repo, e := transitiveRepo(t)
			clone := repo.Clone(1)
			clone.Write(e)
			return clone.Dir, ""
		}, args: []string{"--against", "origin/main"}, code: exitOK, golden: "shallow", stdout: []string{
			"note: history too shallow to check transitively: use --against <registry URL> or fetch-depth: 0"}},
		{name: "full clone with fetch-depth 0", repo: func(t *testing.T) (string, string) {
			repo, e := transitiveRepo(t)
			clone := repo.Clone(0)
			clone.Write(e)
			return clone.Dir, ""
		}, args: []string{"--against", "origin/main"}, code: exitError, stdout: []string{"error FIELD_WIRE_COMPATIBLE_TYPE (BACKWARD)"}},
		{name: "a running registry has every version, even for a shallow clone", repo: func(t *testing.T) (string, string) {
			repo, e := transitiveRepo(t)
			url := serveRegistry(t, repo.Dir)
			clone := repo.Clone(1)
			clone.Write(e)
			return clone.Dir, url
		}, args: []string{"--against", "$REGISTRY"}, code: exitError, golden: "registry", stdout: []string{
			"error FIELD_WIRE_COMPATIBLE_TYPE (BACKWARD): field 2 \"note\" of acme.retail.orders.v1.OrderEvent was string and is int64", "(against version 1)"}},
		{name: "a running registry, compatible", repo: func(t *testing.T) (string, string) {
			repo := gitfixture.New(t)
			repo.Commit("schemas", fixtureFiles("BACKWARD_TRANSITIVE"))
			url := serveRegistry(t, repo.Dir)
			repo.Write(map[string]string{ordersPath: edit(fixtureOrders, "  acme.common.v1.Money total = 4;\n", "  acme.common.v1.Money total = 4;\n  // Gift wrap.\n  bool gift = 5;\n")})
			return repo.Dir, url
		}, args: []string{"--against", "$REGISTRY"}, code: exitOK, stdout: []string{"against $REGISTRY: 1 topic changed, 0 new, 0 deleted; 0 breaking"}},
		{name: "base does not compile: checked against its nearest loading ancestor", repo: func(t *testing.T) (string, string) {
			repo := gitfixture.New(t)
			files := fixtureFiles("BACKWARD")
			repo.Commit("v1", files)
			files[ordersPath] = edit(fixtureOrders, "string note = 2;", "string note = 2") // syntax error
			repo.Commit("broken", files)
			repo.Write(map[string]string{ordersPath: edit(fixtureOrders, "string note = 2;", "int64 note = 2;")})
			return repo.Dir, ""
		}, args: []string{"--against", "main"}, code: exitError, stdout: []string{
			"error FIELD_WIRE_COMPATIBLE_TYPE (BACKWARD)", "base main (", ") does not compile", "its nearest first-parent ancestor that loads"}},
		{name: "no commit of the base's history loads: exit 2", repo: func(t *testing.T) (string, string) {
			repo := gitfixture.New(t)
			files := fixtureFiles("BACKWARD")
			files[ordersPath] = edit(fixtureOrders, "string note = 2;", "string note = 2")
			repo.Commit("broken from the start", files)
			files[ordersPath] = edit(fixtureOrders, "string note = 2;", "string note = = 2;")
			repo.Commit("still broken", files)
			repo.Write(map[string]string{ordersPath: edit(fixtureOrders, "string note = 2;", "int64 note = 2;")})
			return repo.Dir, ""
		}, args: []string{"--against", "main"}, code: exitUsage, stderr: []string{"main (", "does not load and no first-parent ancestor of it does"}},
		{name: "bad ref", repo: edits(nil), args: []string{"--against", "no-such-branch"}, code: exitUsage,
			stderr: []string{`unknown revision "no-such-branch"`}},
		{name: "not in a Git repository", repo: func(t *testing.T) (string, string) {
			return writeTree(t, fixtureFiles("BACKWARD")), ""
		}, args: []string{"--against", "main"}, code: exitUsage, stderr: []string{"is not in a Git repository"}},
		{name: "unreachable registry", repo: edits(nil), args: []string{"--against", "http://127.0.0.1:1"}, code: exitUsage,
			stderr: []string{"registry http://127.0.0.1:1 unreachable: GET /v1/topics"}},
		{name: "a registry serving a plain directory has no versions", repo: func(t *testing.T) (string, string) {
			repo := fixtureRepo(t, nil)
			base, stop, _ := startServe(t, "--dir", filepath.Join(repo.Dir, "schemas"))
			t.Cleanup(func() { stop() })
			return repo.Dir, base
		}, args: []string{"--against", "$REGISTRY"}, code: exitUsage, stderr: []string{"404 Not Found: no version history"}},
		{name: "a registry answering 500 is an error, not a pass", repo: func(t *testing.T) (string, string) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "database down", http.StatusInternalServerError)
			}))
			t.Cleanup(srv.Close)
			return fixtureRepo(t, nil).Dir, srv.URL
		}, args: []string{"--against", "$REGISTRY"}, code: exitUsage, stderr: []string{"500"}},
		{name: "a registry failing on versions only is an error, not a pass", repo: func(t *testing.T) (string, string) {
			repo := fixtureRepo(t, map[string]string{ordersPath: edit(fixtureOrders, "string note = 2;", "int64 note = 2;")})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/v1/topics" {
					w.Header().Set("Content-Type", "application/json")
					w.Write([]byte(`{"topics":[{"name":"acme.retail.orders.events","service":"acme.retail.orders"}]}`))
					return
				}
				http.Error(w, "database down", http.StatusInternalServerError)
			}))
			t.Cleanup(srv.Close)
			return repo.Dir, srv.URL
		}, args: []string{"--against", "$REGISTRY"}, code: exitUsage, stderr: []string{"500"}},
		{name: "bad format", repo: edits(nil), args: []string{"--format", "yaml"}, code: exitUsage, stderr: []string{"--format"}},
		{name: "bad history depth", repo: edits(nil), args: []string{"--against", "main", "--history-depth", "0"}, code: exitUsage, stderr: []string{"--history-depth"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir, url := tt.repo(t)
			args := []string{filepath.Join(dir, "schemas")}
			for _, a := range tt.args {
				args = append(args, strings.ReplaceAll(a, "$REGISTRY", url))
			}
			r := runLint(t, dir, url, args...)
			if r.code != tt.code {
				t.Errorf("exit code: got %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.stdout, r.stderr)
			}
			for _, w := range tt.stdout {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout: got\n%s\nwant it to contain %q", r.stdout, w)
				}
			}
			for _, w := range tt.stderr {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr: got\n%s\nwant it to contain %q", r.stderr, w)
				}
			}
			if tt.code == exitUsage && r.stdout != "" {
				t.Errorf("stdout: got %q, want nothing when the check cannot run", r.stdout)
			}
			if tt.golden != "" {
				golden(t, filepath.Join("testdata", "lint", tt.golden+".txt"), r.stdout)
			}
		})
	}
}

// edits returns a fixture builder: main holds the fixture, the work tree
// has the edits.
func edits(e map[string]string) func(t *testing.T) (string, string) {
	return func(t *testing.T) (string, string) { return fixtureRepo(t, e).Dir, "" }
}

// golden compares got with a golden file, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s: output differs from the golden file (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

// serveRegistry syncs a repository's main branch into an embedded store
// and serves the native API, as a running Backbone does, and returns its
// URL.
func serveRegistry(t *testing.T, dir string) string {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "registry.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	repo, err := gitsync.Open(t.Context(), gitsync.Config{Source: dir})
	if err != nil {
		t.Fatal(err)
	}
	snap := &catalog.Snapshot{}
	in := &catalog.Ingester{
		Store: store, Snapshot: snap, Log: log, Branch: "main",
		Source:  gitsync.Files{Repo: repo, Opts: gitsync.TreeOptions{Root: "schemas", Want: catalog.IsRepositoryFile}},
		Options: catalog.Options{Now: func() time.Time { return time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC) }},
	}
	if _, err := in.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(snap, api.Config{Logger: log}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// formatsRepo is a pull request with a bit of everything: a breaking
// change hurting two teams, a topic deleted while consumed, a warning.
func formatsRepo(t *testing.T) *gitfixture.Repo {
	return fixtureRepo(t, map[string]string{
		ordersPath: edit(edit(fixtureOrders, "  // A note from the customer.\n  string note = 2;\n", ""),
			"  acme.common.v1.Money total = 4;\n", "  acme.common.v1.Money total = 4;\n  bool gift = 5;\n"),
		"schemas/retail/payments/service.yaml":      "description: Payments.\nowner: payments-team\n",
		"schemas/retail/payments/v1/payments.proto": gitfixture.Delete,
		"schemas/retail/billing/service.yaml":       "description: Billing.\nowner: billing-team\nconsumes: [acme.retail.orders.events]\n",
	})
}

// TestLintFormats prints one report in every format and compares each with
// its golden file; the SARIF log is validated against the SARIF 2.1.0
// schema and the JUnit report parsed back.
func TestLintFormats(t *testing.T) {
	t.Parallel()
	repo := formatsRepo(t)
	root := filepath.Join(repo.Dir, "schemas")
	for _, format := range []string{"text", "json", "github", "sarif", "junit", "markdown"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			r := runLint(t, repo.Dir, "", root, "--against", "main", "--format", format)
			if r.code != exitError || r.stderr != "" {
				t.Fatalf("exit code %d, stderr %s", r.code, r.stderr)
			}
			ext := map[string]string{"text": "txt", "json": "json", "github": "txt", "sarif": "sarif", "junit": "xml", "markdown": "md"}[format]
			golden(t, filepath.Join("testdata", "lint", "format-"+format+"."+ext), r.stdout)
			switch format {
			case "json":
				checkJSON(t, r.stdout)
			case "github":
				checkGitHub(t, r.stdout)
			case "sarif":
				checkSARIF(t, r.stdout)
			case "junit":
				checkJUnit(t, r.stdout)
			}
		})
	}

	// A clean run: the all-clear comment, and a passing JUnit report.
	clean := fixtureRepo(t, map[string]string{
		ordersPath: edit(fixtureOrders, "  acme.common.v1.Money total = 4;\n", "  acme.common.v1.Money total = 4;\n  // Gift wrap.\n  bool gift = 5;\n"),
	})
	r := runLint(t, clean.Dir, "", filepath.Join(clean.Dir, "schemas"), "--against", "main", "--format", "markdown")
	if r.code != exitOK {
		t.Fatalf("clean: exit code %d\n%s", r.code, r.stderr)
	}
	golden(t, filepath.Join("testdata", "lint", "format-markdown-clean.md"), r.stdout)
	r = runLint(t, clean.Dir, "", filepath.Join(clean.Dir, "schemas"), "--against", "main", "--format", "junit")
	checkJUnit(t, r.stdout)
}

// TestLintSharedChange: a change to a message in a common file that ten
// topics' messages import (five owning services, seven consumers) is one
// finding listing the ten topics and every consumer, in every format; the
// golden files show it, and the count is checked in each.
func TestLintSharedChange(t *testing.T) {
	t.Parallel()
	repo := gitfixture.New(t)
	repo.Commit("estate", gitfixture.SharedFiles("BACKWARD", nil))
	repo.Write(map[string]string{gitfixture.SharedPath: gitfixture.SharedProto("int64")})
	root := filepath.Join(repo.Dir, "schemas")
	const change = `field 2 \"note\" of acme.common.v1.Shared was string and is int64`
	for _, format := range []string{"text", "json", "github", "sarif", "junit", "markdown"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			r := runLint(t, repo.Dir, "", root, "--against", "main", "--format", format)
			if r.code != exitError || r.stderr != "" {
				t.Fatalf("exit code %d, stderr %s", r.code, r.stderr)
			}
			ext := map[string]string{"text": "txt", "json": "json", "github": "txt", "sarif": "sarif", "junit": "xml", "markdown": "md"}[format]
			golden(t, filepath.Join("testdata", "lint", "shared-"+format+"."+ext), r.stdout)
			want := strings.ReplaceAll(change, `\"`, `"`)
			switch format {
			case "json", "sarif":
				want = change
			case "junit":
				want = strings.ReplaceAll(change, `\"`, "&#34;") // the failure's message attribute; its text repeats it
			}
			if n := strings.Count(r.stdout, want); n != 1 {
				t.Errorf("the change is printed %d times, want once", n)
			}
			for _, c := range append(gitfixture.SharedTopics(), gitfixture.SharedConsumers()...) {
				if !strings.Contains(r.stdout, c) {
					t.Errorf("%s is not named", c)
				}
			}
		})
	}
}

// checkJSON decodes the documented shape.
func checkJSON(t *testing.T, out string) {
	t.Helper()
	var report struct {
		Findings []struct {
			Rule, Severity, Direction, Topic, File, Message string
			Line, Column                                    int
			Consumers, Teams                                []string
		} `json:"findings"`
		Topics []struct {
			Topic, Change string
			Breaking      bool
		} `json:"topics"`
		Owners  map[string]string `json:"owners"`
		Summary struct {
			Errors            int `json:"errors"`
			Warnings          int `json:"warnings"`
			TopicsChanged     int `json:"topics_changed"`
			TopicsDeleted     int `json:"topics_deleted"`
			TopicsBreaking    int `json:"topics_breaking"`
			ConsumersAffected int `json:"consumers_affected"`
		} `json:"summary"`
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("decode: %v", err)
	}
	s := report.Summary
	if s.Errors != 3 || s.Warnings != 1 || s.TopicsChanged != 1 || s.TopicsDeleted != 1 || s.TopicsBreaking != 2 || s.ConsumersAffected != 2 {
		t.Errorf("summary: %+v", s)
	}
	var compat int
	for _, f := range report.Findings {
		if f.Rule == "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED" {
			compat++
			if f.Direction != "BACKWARD" || f.Line != 9 || f.Column != 3 || len(f.Consumers) != 2 || strings.Join(f.Teams, ",") != "billing-team,stock-team" {
				t.Errorf("finding: %+v", f)
			}
		}
	}
	if compat != 1 || report.Owners["acme.retail.stock"] != "stock-team" {
		t.Errorf("findings %+v owners %v", report.Findings, report.Owners)
	}
}

// githubCommand is a GitHub Actions workflow command line.
var githubCommand = regexp.MustCompile(`^::(error|warning|notice)( [a-z]+=[^,:]*(,[a-z]+=[^,:]*)*)?::(.*)$`)

// checkGitHub parses every workflow command.
func checkGitHub(t *testing.T, out string) {
	t.Helper()
	var commands int
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(line, "::") {
			continue
		}
		commands++
		m := githubCommand.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("not a workflow command: %q", line)
			continue
		}
		if strings.ContainsAny(m[4], "\r\n") {
			t.Errorf("unescaped message: %q", line)
		}
	}
	if commands != 4 {
		t.Errorf("commands: got %d, want 4 (3 errors and a warning)", commands)
	}
	want := "::error file=schemas/retail/orders/v1/orders.proto,line=9,col=3,title=FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED on acme.retail.orders.events::"
	if !strings.Contains(out, want) {
		t.Errorf("want %q in\n%s", want, out)
	}
}

// checkJUnit parses the report back.
func checkJUnit(t *testing.T, out string) {
	t.Helper()
	var doc struct {
		XMLName  xml.Name `xml:"testsuites"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Suites   []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Cases    []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Type string `xml:"type,attr"`
					Text string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("parse JUnit: %v\n%s", err, out)
	}
	tests, failures := 0, 0
	for _, s := range doc.Suites {
		if s.Tests != len(s.Cases) {
			t.Errorf("suite %s: tests=%d, %d cases", s.Name, s.Tests, len(s.Cases))
		}
		n := 0
		for _, c := range s.Cases {
			if c.Failure != nil {
				n++
				if c.Failure.Type == "" || !strings.Contains(c.Failure.Text, c.Failure.Type) {
					t.Errorf("failure: %+v", c.Failure)
				}
			}
		}
		if n != s.Failures {
			t.Errorf("suite %s: failures=%d, %d failed cases", s.Name, s.Failures, n)
		}
		tests, failures = tests+s.Tests, failures+s.Failures
	}
	if tests != doc.Tests || failures != doc.Failures || doc.Tests == 0 {
		t.Errorf("testsuites: tests=%d failures=%d, suites add up to %d and %d", doc.Tests, doc.Failures, tests, failures)
	}
}

// SARIF 2.1.0, checked field by field against the OASIS schema
// (sarif-schema-2.1.0.json) for the objects registry lint writes: decoding
// with DisallowUnknownFields stands for the schema's
// additionalProperties: false, and the checks below for its required
// properties, enums and minimums.
type sarifLog struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name           string `json:"name"`
				InformationURI string `json:"informationUri"`
				Version        string `json:"version"`
				Rules          []struct {
					ID                   string     `json:"id"`
					ShortDescription     *sarifText `json:"shortDescription"`
					FullDescription      *sarifText `json:"fullDescription"`
					Help                 *sarifText `json:"help"`
					DefaultConfiguration *struct {
						Level string `json:"level"`
					} `json:"defaultConfiguration"`
					Properties map[string]any `json:"properties"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		OriginalURIBaseIDs map[string]struct {
			Description *sarifText `json:"description"`
		} `json:"originalUriBaseIds"`
		Invocations []struct {
			ExecutionSuccessful *bool `json:"executionSuccessful"`
		} `json:"invocations"`
		Results []struct {
			RuleID    string     `json:"ruleId"`
			RuleIndex *int       `json:"ruleIndex"`
			Level     string     `json:"level"`
			Message   *sarifText `json:"message"`
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct {
						URI       string `json:"uri"`
						URIBaseID string `json:"uriBaseId"`
					} `json:"artifactLocation"`
					Region *struct {
						StartLine   int `json:"startLine"`
						StartColumn int `json:"startColumn"`
					} `json:"region"`
				} `json:"physicalLocation"`
			} `json:"locations"`
			Properties map[string]any `json:"properties"`
		} `json:"results"`
		Properties map[string]any `json:"properties"`
	} `json:"runs"`
}

type sarifText struct {
	Text string `json:"text"`
}

func checkSARIF(t *testing.T, out string) {
	t.Helper()
	var log sarifLog
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&log); err != nil {
		t.Fatalf("SARIF: a property the schema does not allow, or a wrong type: %v", err)
	}
	levels := []string{"none", "note", "warning", "error"}
	if u, err := url.Parse(log.Schema); err != nil || !u.IsAbs() || log.Version != "2.1.0" || len(log.Runs) != 1 {
		t.Fatalf("log: version %q, $schema %q, %d runs", log.Version, log.Schema, len(log.Runs))
	}
	run := log.Runs[0]
	d := run.Tool.Driver
	if d.Name == "" {
		t.Errorf("tool.driver.name is required")
	}
	ids := map[string]int{}
	for i, r := range d.Rules {
		if r.ID == "" || r.ShortDescription == nil || r.ShortDescription.Text == "" || r.FullDescription == nil || r.Help == nil ||
			r.DefaultConfiguration == nil || !slices.Contains(levels, r.DefaultConfiguration.Level) {
			t.Errorf("rule %d: %+v", i, r)
		}
		// propertyBag: "tags", when present, is an array of unique strings.
		if tags, ok := r.Properties["tags"]; ok {
			list, ok := tags.([]any)
			seen := map[any]bool{}
			for _, tag := range list {
				if _, isString := tag.(string); !isString || seen[tag] {
					ok = false
				}
				seen[tag] = true
			}
			if !ok {
				t.Errorf("rule %s: properties.tags %v: want unique strings", r.ID, tags)
			}
		}
		if _, dup := ids[r.ID]; dup {
			t.Errorf("rule %s listed twice", r.ID)
		}
		ids[r.ID] = i
	}
	for _, id := range []string{"FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED", "TOPIC_NO_DELETE", "COMPILE", "SINGLE_WRITER", "IGNORE_WITHOUT_REASON"} {
		if _, ok := ids[id]; !ok {
			t.Errorf("rule %s missing from tool.driver.rules", id)
		}
	}
	if len(run.Results) != 4 {
		t.Errorf("results: got %d, want 4", len(run.Results))
	}
	for _, r := range run.Results {
		switch {
		case r.Message == nil || r.Message.Text == "":
			t.Errorf("result %s: message.text is required", r.RuleID)
		case !slices.Contains(levels, r.Level):
			t.Errorf("result %s: level %q", r.RuleID, r.Level)
		case r.RuleIndex == nil || *r.RuleIndex < -1 || *r.RuleIndex >= len(d.Rules) || d.Rules[*r.RuleIndex].ID != r.RuleID:
			t.Errorf("result %s: ruleIndex %v does not name its rule", r.RuleID, r.RuleIndex)
		case len(r.Locations) != 1:
			t.Errorf("result %s: %d locations", r.RuleID, len(r.Locations))
			continue
		}
		loc := r.Locations[0].PhysicalLocation
		if u, err := url.Parse(loc.ArtifactLocation.URI); err != nil || u.IsAbs() || !strings.HasPrefix(u.Path, "schemas/") {
			t.Errorf("result %s: uri %q: want a URI reference relative to the repository", r.RuleID, loc.ArtifactLocation.URI)
		}
		if _, ok := run.OriginalURIBaseIDs[loc.ArtifactLocation.URIBaseID]; !ok {
			t.Errorf("result %s: uriBaseId %q not in originalUriBaseIds", r.RuleID, loc.ArtifactLocation.URIBaseID)
		}
		if loc.Region == nil || loc.Region.StartLine < 1 || loc.Region.StartColumn < 1 {
			t.Errorf("result %s: region %+v", r.RuleID, loc.Region)
		}
	}
}

// TestLintRegistryAuth: the registry client sends REGISTRY_TOKEN as a
// bearer token, or REGISTRY_USER and REGISTRY_PASSWORD (or the URL's
// user info) as basic auth, and says what to set when refused.
func TestLintRegistryAuth(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		if r.Header.Get("Authorization") == "" {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"title":"Unauthorized","status":401,"detail":"credentials required"}`))
			return
		}
		_, _ = w.Write([]byte(`{"topics":[]}`))
	}))
	t.Cleanup(srv.Close)
	repo := fixtureRepo(t, nil)
	root := filepath.Join(repo.Dir, "schemas")

	r := runLint(t, repo.Dir, srv.URL, root, "--against", srv.URL)
	if r.code != exitUsage || !strings.Contains(r.stderr, "401 Unauthorized: credentials required (set REGISTRY_TOKEN, or REGISTRY_USER and REGISTRY_PASSWORD)") {
		t.Errorf("no credentials: exit %d, stderr %s", r.code, r.stderr)
	}
	// Every topic of the work tree is new to an empty registry.
	if r := runLint(t, repo.Dir, srv.URL, root, "--against", srv.URL, "--token", "s3cret"); r.code != exitOK || !strings.Contains(r.stdout, "0 topics changed, 2 new") {
		t.Errorf("token: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runLint(t, repo.Dir, srv.URL, root, "--against", srv.URL, "--user", "ci", "--password", "pw"); r.code != exitOK {
		t.Errorf("basic: exit %d %s", r.code, r.stderr)
	}
	withUser := strings.Replace(srv.URL, "http://", "http://ci:pw2@", 1)
	if r := runLint(t, repo.Dir, srv.URL, root, "--against", withUser); r.code != exitOK || strings.Contains(r.stdout, "pw2") {
		t.Errorf("user info: exit %d, the password printed?\n%s%s", r.code, r.stdout, r.stderr)
	}
	basic := func(u, p string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p)) }
	mu.Lock()
	defer mu.Unlock()
	want := []string{"", "Bearer s3cret", basic("ci", "pw"), basic("ci", "pw2")}
	if !slices.Equal(seen, want) {
		t.Errorf("Authorization headers: got %q, want %q", seen, want)
	}
}

// TestLintOutputs: --markdown-file writes the pull request comment beside
// the main format, and --color always colours the text format.
func TestLintOutputs(t *testing.T) {
	t.Parallel()
	repo := formatsRepo(t)
	root := filepath.Join(repo.Dir, "schemas")
	md := filepath.Join(t.TempDir(), "comment.md")
	r := runLint(t, repo.Dir, "", root, "--against", "main", "--format", "github", "--markdown-file", md)
	if r.code != exitError || !strings.HasPrefix(r.stdout, "::") {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	b, err := os.ReadFile(md)
	if err != nil || !strings.HasPrefix(string(b), "## ❌ Schema check: 3 breaking changes in 2 topics") {
		t.Errorf("markdown file: %v\n%s", err, b)
	}
	if r := runLint(t, repo.Dir, "", root, "--against", "main", "--color", "always"); !strings.Contains(r.stdout, "\x1b[1m\x1b[31merror\x1b[0m") {
		t.Errorf("--color always: no ANSI colour in\n%q", r.stdout)
	}
	if r := runLint(t, repo.Dir, "", root, "--against", "main"); strings.Contains(r.stdout, "\x1b[") {
		t.Errorf("not a terminal: ANSI colour in\n%q", r.stdout)
	}
}

// TestLintAgainstBrokenBaseNamesAncestor: a base two commits of broken
// content deep is checked against the commit before them, which the JSON
// report's base and notes name.
func TestLintAgainstBrokenBaseNamesAncestor(t *testing.T) {
	t.Parallel()
	repo := gitfixture.New(t)
	files := fixtureFiles("BACKWARD")
	repo.Commit("v0", files)
	files[ordersPath] = edit(fixtureOrders, "string note = 2;", "int64 note = 2;")
	good := repo.Commit("v1: note becomes int64", files)
	files[ordersPath] = edit(fixtureOrders, "string note = 2;", "string note = 2")
	repo.Commit("broken", files)
	files[ordersPath] = edit(fixtureOrders, "string note = 2;", "string note = = 2;")
	repo.Commit("still broken", files)
	repo.Write(map[string]string{ordersPath: edit(fixtureOrders, "string note = 2;", "string note = 2;\n  // Gift wrap.\n  bool gift = 9;")})
	r := runLint(t, repo.Dir, "", filepath.Join(repo.Dir, "schemas"), "--against", "main", "--format", "json")
	var rep struct {
		Base  string   `json:"base"`
		Notes []string `json:"notes"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("json: %v\nstdout:\n%s\nstderr:\n%s", err, r.stdout, r.stderr)
	}
	if r.code != exitError { // int64 -> string back from the ancestor is breaking
		t.Errorf("exit code: got %d, want %d\nstdout:\n%s", r.code, exitError, r.stdout)
	}
	if rep.Base != good {
		t.Errorf("base: got %q, want the last loading commit %q", rep.Base, good)
	}
	want := "checked against " + good[:12] + ", its nearest first-parent ancestor that loads"
	if !slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.Contains(n, want) }) {
		t.Errorf("notes: got %q, want one containing %q", rep.Notes, want)
	}
}
