package lint

import (
	"strings"
	"testing"

	registry "github.com/backbone-registry/backbone"
)

// The workflow command escapes of the GitHub Actions runner: data escapes
// %, CR and LF; property values also : and ,.
func TestGitHubEscapes(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, data, property string }{
		{"plain", "plain", "plain"},
		{"50% off", "50%25 off", "50%25 off"},
		{"a\r\nb", "a%0D%0Ab", "a%0D%0Ab"},
		{"x: y, z", "x: y, z", "x%3A y%2C z"},
		{"%0A", "%250A", "%250A"},
	}
	for _, tt := range tests {
		if got := escapeData(tt.in); got != tt.data {
			t.Errorf("escapeData(%q): got %q, want %q", tt.in, got, tt.data)
		}
		if got := escapeProperty(tt.in); got != tt.property {
			t.Errorf("escapeProperty(%q): got %q, want %q", tt.in, got, tt.property)
		}
	}
}

// TestGitHubCommands: a file path with separators stays one property, and
// a finding without a file has none.
func TestGitHubCommands(t *testing.T) {
	t.Parallel()
	r := &Report{Root: "schemas", Owners: map[string]string{"acme.a.b": "team-b"}, inRepo: true, repoPath: "schemas"}
	r.add(registry.Finding{Rule: "DOC_MISSING", Severity: registry.SeverityInfo, Position: registry.Position{File: "a,b:c.proto", Line: 2}, Message: "100% undocumented"})
	r.addCompat(registry.Finding{Rule: "FIELD_SAME_NAME", Severity: registry.SeverityError, Topic: "acme.a.events", Message: "renamed", Consumers: []string{"acme.a.b"}})
	r.note("history too shallow")
	r.finish()
	var b strings.Builder
	if err := Write(&b, r, "github", WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	want := "::notice file=schemas/a%2Cb%3Ac.proto,line=2,title=DOC_MISSING::100%25 undocumented\n" +
		"::error title=FIELD_SAME_NAME on acme.a.events::renamed%0AConsumers hurt: acme.a.b (team-b)\n" +
		"::notice title=registry lint::history too shallow\n"
	if got := b.String(); !strings.HasPrefix(got, want) {
		t.Errorf("got\n%s\nwant it to start with\n%s", got, want)
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	t.Parallel()
	if err := Write(&strings.Builder{}, &Report{}, "yaml", WriteOptions{}); registry.ErrorCode(err) != registry.EINVALID {
		t.Errorf("got %v, want EINVALID", err)
	}
}
