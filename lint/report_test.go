package lint_test

import (
	"encoding/json"
	"encoding/xml"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/internal/gitfixture"
	"github.com/backbone-registry/backbone/lint"
)

// sharedRun commits the shared-message estate (ten topics embedding
// acme.common.v1.Shared) on main, changes Shared.note from string to int64
// in the work tree, and lints against main.
func sharedRun(t *testing.T, modes map[string]string) *lint.Report {
	t.Helper()
	repo := gitfixture.New(t)
	repo.Commit("estate", gitfixture.SharedFiles("BACKWARD", modes))
	repo.Write(map[string]string{gitfixture.SharedPath: gitfixture.SharedProto("int64")})
	return run(t, filepath.Join(repo.Dir, "schemas"), "main")
}

// TestSharedChangeIsOneFinding: one change to a message ten topics reach
// is one finding listing the ten topics, their seven consumers and their
// teams, at the shared file; each output format prints it once.
func TestSharedChangeIsOneFinding(t *testing.T) {
	t.Parallel()
	r := sharedRun(t, nil)
	if len(r.Findings) != 1 {
		t.Fatalf("got %d findings, want 1:\n%s", len(r.Findings), text(t, r))
	}
	f := r.Findings[0]
	if f.Rule != "FIELD_WIRE_COMPATIBLE_TYPE" || f.Direction != registry.DirectionBackward || !strings.HasSuffix(f.File, "common/v1/shared.proto") || f.Line != 8 {
		t.Errorf("finding: %s %s at %s", f.Rule, f.Direction, f.Position)
	}
	if want := gitfixture.SharedTopics(); !slices.Equal(f.Topics, want) || f.Topic != want[0] || f.Service != "acme.retail.billing" {
		t.Errorf("topics %v (topic %s, service %s), want %v (the first and its owner)", f.Topics, f.Topic, f.Service, want)
	}
	if want := gitfixture.SharedConsumers(); !slices.Equal(f.Consumers, want) {
		t.Errorf("consumers %v, want %v", f.Consumers, want)
	}
	if len(f.Teams) != 7 || f.Directions != nil {
		t.Errorf("teams %v, directions %v: want 7 teams and one direction for all", f.Teams, f.Directions)
	}
	if s := r.Summary; s.Errors != 1 || s.TopicsChanged != 10 || s.TopicsBreaking != 10 || s.ConsumersAffected != 7 {
		t.Errorf("summary %+v: want 1 error, 10 topics changed and breaking, 7 consumers", s)
	}

	out := map[string]string{}
	for _, format := range lint.Formats {
		var b strings.Builder
		if err := lint.Write(&b, r, format, lint.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		out[format] = b.String()
	}
	for _, format := range []string{"text", "github", "markdown"} {
		if n := strings.Count(out[format], "was string and is int64"); n != 1 {
			t.Errorf("%s: the change printed %d times, want once:\n%s", format, n, out[format])
		}
	}
	for _, topic := range gitfixture.SharedTopics() {
		for _, format := range []string{"text", "github", "markdown", "junit", "sarif"} {
			if !strings.Contains(out[format], topic) {
				t.Errorf("%s does not name %s", format, topic)
			}
		}
	}
	var sarif struct {
		Runs []struct {
			Results []struct {
				Properties struct {
					Topics []string `json:"topics"`
				} `json:"properties"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out["sarif"]), &sarif); err != nil {
		t.Fatal(err)
	}
	if res := sarif.Runs[0].Results; len(res) != 1 || len(res[0].Properties.Topics) != 10 {
		t.Errorf("sarif: %d results, want 1 listing 10 topics", len(res))
	}
	var junit lint.JUnitSuites
	if err := xml.Unmarshal([]byte(out["junit"]), &junit); err != nil {
		t.Fatal(err)
	}
	if junit.Failures != 1 || junit.Tests != 1 || len(junit.Suites) != 1 {
		t.Errorf("junit: %d tests, %d failures in %d suites, want one failing test", junit.Tests, junit.Failures, len(junit.Suites))
	}
	var js struct {
		Findings []struct {
			Topic  string   `json:"topic"`
			Topics []string `json:"topics"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out["json"]), &js); err != nil {
		t.Fatal(err)
	}
	if len(js.Findings) != 1 || len(js.Findings[0].Topics) != 10 || js.Findings[0].Topic != gitfixture.SharedTopics()[0] {
		t.Errorf("json findings: %+v", js.Findings)
	}
}

// TestSharedChangeMixedModes: topics whose modes differ see the same
// change break different directions. It stays one finding; as no single
// direction is true of every topic, Direction is empty and Directions
// says each topic's (BOTH only for the FULL topics, which break both).
func TestSharedChangeMixedModes(t *testing.T) {
	t.Parallel()
	r := sharedRun(t, map[string]string{"orders": "FORWARD", "stock": "FULL"})
	if len(r.Findings) != 1 {
		t.Fatalf("got %d findings, want 1:\n%s", len(r.Findings), text(t, r))
	}
	f := r.Findings[0]
	if f.Direction != "" || len(f.Directions) != 10 {
		t.Fatalf("direction %q, directions %v: want none overall and one per topic", f.Direction, f.Directions)
	}
	want := map[string]registry.Direction{}
	for _, topic := range gitfixture.SharedTopics() {
		switch {
		case strings.HasPrefix(topic, "acme.retail.orders."):
			want[topic] = registry.DirectionForward
		case strings.HasPrefix(topic, "acme.retail.stock."):
			want[topic] = registry.DirectionBoth
		default:
			want[topic] = registry.DirectionBackward
		}
	}
	if !maps.Equal(f.Directions, want) {
		t.Errorf("directions %v, want %v", f.Directions, want)
	}
	if txt := text(t, r); !strings.Contains(txt, "(BACKWARD for acme.retail.billing.events, acme.retail.billing.results, acme.retail.payments.events, acme.retail.payments.results, acme.retail.shipping.events, acme.retail.shipping.results; FORWARD for acme.retail.orders.events, acme.retail.orders.results; BOTH for acme.retail.stock.events, acme.retail.stock.results)") {
		t.Errorf("text does not say which topic breaks which way:\n%s", txt)
	}
}

// TestCheckFilesSharedChange: POST /v1/check (CheckFiles) reports the
// shared change once too.
func TestCheckFilesSharedChange(t *testing.T) {
	t.Parallel()
	files := map[string][]byte{}
	for name, content := range gitfixture.SharedFiles("BACKWARD", nil) {
		files[strings.TrimPrefix(name, "schemas/")] = []byte(content)
	}
	served, err := catalog.LoadFiles(t.Context(), files, catalog.Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	candidate := maps.Clone(files)
	candidate["common/v1/shared.proto"] = []byte(gitfixture.SharedProto("int64"))
	r, err := lint.CheckFiles(t.Context(), served, candidate, catalog.Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) != 1 || len(r.Findings[0].Topics) != 10 || len(r.Findings[0].Consumers) != 7 {
		t.Fatalf("got %d findings, want one with 10 topics and 7 consumers:\n%s", len(r.Findings), text(t, r))
	}
}
