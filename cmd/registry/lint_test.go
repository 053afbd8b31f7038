package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
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
