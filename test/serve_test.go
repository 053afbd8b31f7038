package test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildRegistry compiles cmd/registry into a temp dir.
func buildRegistry(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "registry")
	cmd := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "./cmd/registry")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestServeFromProjectRoot runs the README's first command as a user
// would: the built binary, from the project root, no flags but a free
// port, then queries it and stops it with SIGTERM.
func TestServeFromProjectRoot(t *testing.T) {
	t.Parallel()
	bin := buildRegistry(t)
	cmd := exec.Command(bin, "serve")
	cmd.Dir = ".."
	cmd.Env = append(cmd.Environ(), "REGISTRY_ADDR=127.0.0.1:0", "REGISTRY_DATA_DIR="+t.TempDir())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	lines := bufio.NewScanner(stdout)
	var base string
	for lines.Scan() {
		if m := regexp.MustCompile(`Open the catalog at (http://\S+)/ `).FindStringSubmatch(lines.Text()); m != nil {
			base = m[1]
			break
		}
	}
	if base == "" {
		_ = cmd.Wait()
		t.Fatalf("no URL printed; stderr:\n%s", stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	waitReady(t, base, &stderr)

	resp, err := http.Get(base + "/v1/topics?namespace=retail&kind=events")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Topics []struct{ Name, Kind string } `json:"topics"`
	}
	err = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/topics: %d %v", resp.StatusCode, err)
	}
	var names []string
	for _, topic := range list.Topics {
		names = append(names, topic.Name)
		if topic.Kind != "events" || !strings.HasPrefix(topic.Name, "acme.retail.") {
			t.Errorf("filter leaked %+v", topic)
		}
	}
	if !strings.Contains(strings.Join(names, " "), "acme.retail.orders.events") {
		t.Errorf("topics: got %v, want acme.retail.orders.events among them", names)
	}

	// From the project's own Git history, the demo has versions and IDs.
	resp, err = http.Get(base + "/v1/topics/acme.retail.orders.events/versions")
	if err != nil {
		t.Fatal(err)
	}
	var versions struct {
		Versions []struct {
			Version  int `json:"version"`
			Subjects []struct {
				SchemaID int64 `json:"schema_id"`
			} `json:"subjects"`
		} `json:"versions"`
	}
	err = json.NewDecoder(resp.Body).Decode(&versions)
	resp.Body.Close()
	if err != nil || len(versions.Versions) == 0 || versions.Versions[0].Version != 1 || versions.Versions[0].Subjects[0].SchemaID == 0 {
		t.Errorf("versions: %d %+v %v", resp.StatusCode, versions, err)
	}

	// POST /v1/check is wired: a breaking candidate gets an error finding.
	proto, err := os.ReadFile("../schemas/retail/orders/v1/orders.proto")
	if err != nil {
		t.Fatal(err)
	}
	breaking := strings.Replace(string(proto), "string customer_id = 3;", "int64 customer_id = 3;", 1)
	if breaking == string(proto) {
		t.Fatal("orders.proto has no customer_id to change")
	}
	body, _ := json.Marshal(map[string]any{"files": map[string]string{"retail/orders/v1/orders.proto": breaking}})
	resp, err = http.Post(base+"/v1/check", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var report struct {
		Summary struct {
			Errors int `json:"errors"`
		} `json:"summary"`
	}
	err = json.NewDecoder(resp.Body).Decode(&report)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || report.Summary.Errors == 0 {
		t.Errorf("POST /v1/check of a breaking change: %d %+v %v", resp.StatusCode, report, err)
	}

	// A browser at / gets the web catalog; a Confluent client gets {}.
	for accept, want := range map[string]string{
		"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8": "<h1>Event catalog</h1>",
		"application/vnd.schemaregistry.v1+json":                          "{}",
	} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/", nil)
		req.Header.Set("Accept", accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("GET / (Accept %s): %d, want %q in:\n%.300s", accept, resp.StatusCode, want, body)
		}
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second): // a hang guard, not a performance assertion
		t.Fatalf("still running 30s after SIGTERM")
	}
	if !strings.Contains(stderr.String(), "shutting down") {
		t.Errorf("stderr does not log the shutdown:\n%s", stderr.String())
	}
}

// waitReady polls /readyz until the first snapshot is served.
func waitReady(t *testing.T, base string, stderr fmt.Stringer) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second) // a hang guard, not a performance assertion
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("not ready after 60s; stderr:\n%s", stderr)
}
