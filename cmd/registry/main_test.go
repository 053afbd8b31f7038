package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backbone-registry/backbone/lint"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var urlPattern = regexp.MustCompile(`Open the catalog at (http://\S+)/ `)

// startServe runs `registry serve` in-process on a free port and returns its
// base URL, a function that stops it and returns the exit code, and stderr.
func startServe(t *testing.T, args ...string) (string, func() int, *syncBuffer) {
	t.Helper()
	url, stop, stderr, _ := startServeOut(t, args...)
	return url, stop, stderr
}

// startServeOut is startServe that also returns what serve printed on stdout.
func startServeOut(t *testing.T, args ...string) (string, func() int, *syncBuffer, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	stderr, stdout := &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		code := Main(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), pw, stderr)
		pw.Close()
		done <- code
	}()
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			stdout.Write(append(sc.Bytes(), '\n'))
			if m := urlPattern.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
		close(urls)
	}()
	stop := func() int {
		cancel()
		return <-done
	}
	url, ok := <-urls
	if !ok {
		t.Fatalf("serve exited with %d before printing its URL; stderr:\n%s", <-done, stderr)
	}
	t.Cleanup(func() { cancel() })
	return url, stop, stderr, stdout
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("decode %s: %v", url, err)
	}
	return resp.StatusCode
}

// TestServeDemo runs the real Main on the bundled demo and queries it, as
// a user following the README would.
func TestServeDemo(t *testing.T) {
	base, stop, stderr := startServe(t, "--dir", "../../schemas")

	var topics struct {
		Topics []struct {
			Name      string   `json:"name"`
			Consumers []string `json:"consumers"`
		} `json:"topics"`
	}
	if code := getJSON(t, base+"/v1/topics", &topics); code != http.StatusOK {
		t.Fatalf("GET /v1/topics: status %d", code)
	}
	found := false
	for _, topic := range topics.Topics {
		if topic.Name == "acme.retail.orders.events" {
			found = len(topic.Consumers) > 0
		}
	}
	if !found {
		t.Errorf("acme.retail.orders.events with consumers not listed: %+v", topics)
	}

	var detail struct {
		Owner    string `json:"owner"`
		Messages []struct {
			Name string `json:"name"`
		} `json:"messages"`
	}
	if code := getJSON(t, base+"/v1/topics/acme.retail.orders.events", &detail); code != http.StatusOK || detail.Owner == "" || len(detail.Messages) == 0 {
		t.Errorf("GET topic: status %d, %+v", code, detail)
	}
	var ready map[string]any
	if code := getJSON(t, base+"/readyz", &ready); code != http.StatusOK || ready["status"] != "ready" {
		t.Errorf("readyz: %d %v", code, ready)
	}
	resp, err := http.Get(base + "/docs")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("/docs: got %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	if code := stop(); code != exitOK {
		t.Errorf("exit code after shutdown: got %d, want 0; stderr:\n%s", code, stderr)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Errorf("server still answers after shutdown")
	}
}

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestServeRefusesBadRepositories(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		files map[string]string
		args  []string
		want  string // in stderr
	}{
		{"file over the --max-file-size", map[string]string{
			"registry.yaml":       "company: acme\nlimits:\n  max_file_size: 1MiB\n",
			"common/v1/big.proto": "syntax = \"proto3\";\npackage acme.common.v1;\n" + strings.Repeat("// padding\n", 200),
		}, []string{"--max-file-size", "1KiB"}, "common/v1/big.proto: 2.2 KiB is over the per-file limit of 1 KiB; raise it with limits.max_file_size in registry.yaml or --max-file-size"},
		{"file over registry.yaml's max_file_size", map[string]string{
			"registry.yaml":       "company: acme\nlimits:\n  max_file_size: 1KiB\n",
			"common/v1/big.proto": "syntax = \"proto3\";\npackage acme.common.v1;\n" + strings.Repeat("// padding\n", 200),
		}, nil, "common/v1/big.proto: 2.2 KiB is over the per-file limit of 1 KiB; raise it with limits.max_file_size in registry.yaml or --max-file-size"},
		{"yaml syntax", map[string]string{
			"registry.yaml":              "company: acme\n",
			"retail/orders/service.yaml": "description: x\ntopics: [\n",
		}, nil, "retail/orders/service.yaml:2:"},
		{"proto syntax", map[string]string{
			"registry.yaml":                 "company: acme\n",
			"retail/orders/v1/orders.proto": "syntax = \"proto3\";\npackage acme.retail.orders.v1;\nmessage X {\n  string a = ;\n}\n",
		}, nil, "retail/orders/v1/orders.proto:4:"},
		{"governance error", map[string]string{
			"registry.yaml":              "company: acme\n",
			"retail/orders/service.yaml": "description: x\nconsumes: [acme.retail.nope.events]\n",
		}, nil, "retail/orders/service.yaml:2:12: error UNKNOWN_TOPIC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := writeTree(t, tt.files)
			var stdout, stderr bytes.Buffer
			code := Main(t.Context(), append([]string{"serve", "--addr", "127.0.0.1:0", "--dir", dir}, tt.args...), &stdout, &stderr)
			if code != exitError {
				t.Errorf("exit code: got %d, want %d", code, exitError)
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr: got\n%s\nwant it to contain %q", stderr.String(), tt.want)
			}
			if strings.Contains(stdout.String(), "Open the catalog at http") {
				t.Errorf("stdout announces a server that must not start: %s", stdout.String())
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--dir", "/nonexistent/schemas"}, "/nonexistent/schemas"},
		{[]string{"serve", "--no-such-flag"}, "unknown flag"},
		{[]string{"frobnicate"}, "unexpected argument"},
		{[]string{"serve", "--log-format", "xml"}, "log-format"},
		{[]string{"serve", "--max-total-size", "lots"}, `size "lots"`},
		{[]string{"lint", "--max-files=-1"}, "--max-files must be positive"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		if code := Main(t.Context(), tt.args, &stdout, &stderr); code != exitUsage {
			t.Errorf("%v: exit code got %d, want %d", tt.args, code, exitUsage)
		}
		if !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%v: stderr got %q, want it to contain %q", tt.args, stderr.String(), tt.want)
		}
	}
}

func TestEnvironmentConfiguresServe(t *testing.T) {
	t.Setenv("REGISTRY_DIR", "../../schemas")
	t.Setenv("REGISTRY_ADDR", "127.0.0.1:0")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	stdout := &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- Main(ctx, []string{"serve"}, stdout, io.Discard) }()
	for !urlPattern.MatchString(stdout.String()) {
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d; stdout: %s", code, stdout)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if out := stdout.String(); !strings.Contains(out, "from ../../schemas") || strings.Contains(out, ":8081") {
		t.Errorf("stdout: got %q, want the env's dir and a free port", out)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("exit code: got %d, want 0", code)
	}
}

func TestRulesOpenAPIVersion(t *testing.T) {
	t.Parallel()
	run := func(args ...string) string {
		var stdout, stderr bytes.Buffer
		if code := Main(t.Context(), args, &stdout, &stderr); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, stderr.String())
		}
		return stdout.String()
	}
	if out := run("rules"); !strings.Contains(out, "SINGLE_WRITER") || !strings.Contains(out, "ORPHAN_TOPIC") || !regexp.MustCompile(`FIELD_WIRE_COMPATIBLE_TYPE +compatibility +error +WIRE +BACKWARD,FORWARD`).MatchString(out) {
		t.Errorf("rules: got %s", out)
	}
	var rules struct {
		Rules []struct{ ID string } `json:"rules"`
	}
	if err := json.Unmarshal([]byte(run("rules", "--format", "json")), &rules); err != nil || len(rules.Rules) != len(lint.Rules()) {
		t.Errorf("rules --format json: %v, %d rules", err, len(rules.Rules))
	}
	var spec struct {
		OpenAPI string                     `json:"openapi"`
		Paths   map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal([]byte(run("openapi")), &spec); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/v1/topics", "/v1/topics/{topic}", "/v1/services", "/v1/services/{service}", "/v1/rules", "/healthz", "/readyz"} {
		if _, ok := spec.Paths[p]; !ok {
			t.Errorf("openapi: path %s missing", p)
		}
	}
	if !strings.HasPrefix(spec.OpenAPI, "3.1") {
		t.Errorf("openapi version: got %q", spec.OpenAPI)
	}
	if out := run("version"); !strings.HasPrefix(out, "registry ") {
		t.Errorf("version: got %q", out)
	}
}

func TestServeWithCredentials(t *testing.T) {
	t.Parallel()
	creds := filepath.Join(t.TempDir(), "credentials.yaml")
	if err := os.WriteFile(creds, []byte("- name: ci\n  role: read\n  token: t0ken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base, stop, _ := startServe(t, "--dir", "../../schemas", "--credentials", creds, "--no-anonymous-read")
	defer stop()
	resp, err := http.Get(base + "/v1/topics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous read: got %d, want 401", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/v1/topics", nil)
	req.Header.Set("Authorization", "Bearer t0ken")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("with the token: got %d, want 200", resp.StatusCode)
	}
	var stdout, stderr bytes.Buffer
	if code := Main(t.Context(), []string{"serve", "--dir", "../../schemas", "--no-anonymous-read"}, &stdout, &stderr); code != exitUsage {
		t.Errorf("--no-anonymous-read without credentials: exit %d, want %d", code, exitUsage)
	}
}
