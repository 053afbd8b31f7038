package lint_test

import (
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/lint"
)

// demo loads the project's schemas/ directory, served without history.
func demo(t *testing.T) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Load(t.Context(), os.DirFS("../schemas"), catalog.Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCheckFilesPlainDirectory(t *testing.T) {
	t.Parallel()
	served := demo(t)
	const orders, topic = "retail/orders/v1/orders.proto", "acme.retail.orders.events"

	same, err := lint.CheckFiles(t.Context(), served, served.Files(), catalog.Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if same.Summary.Errors != 0 || len(same.Topics) != 0 {
		t.Errorf("the served tree itself: %d errors, topics %v, want none", same.Summary.Errors, same.Topics)
	}

	files := maps.Clone(served.Files())
	files[orders] = []byte(replace(string(files[orders]), "  string customer_id = 3;", "  int64 customer_id = 3;"))
	rep, err := lint.CheckFiles(t.Context(), served, files, catalog.Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	var breaking []lint.Finding
	for _, f := range rep.Findings {
		if f.Topic == topic && f.Severity == registry.SeverityError {
			breaking = append(breaking, f)
		}
	}
	if len(breaking) == 0 {
		t.Fatalf("customer_id string → int64: no error finding on %s; findings %v", topic, rules(rep))
	}
	if f := breaking[0]; f.File != orders || f.Line == 0 || len(f.Consumers) == 0 {
		t.Errorf("finding at %s:%d, consumers %v: want %s with a line and the consumers named", f.File, f.Line, f.Consumers, orders)
	}
	if rep.Against != "the served directory" || !slices.Contains(rep.Notes, lint.ServedNoHistory) {
		t.Errorf("against %q, notes %q: want the served directory and the no-history note", rep.Against, rep.Notes)
	}
}

func TestCheckFilesBadPaths(t *testing.T) {
	t.Parallel()
	served := demo(t)
	for _, p := range []string{"", ".", "/etc/x.proto", "a//b.proto", "../x.proto", "a/../b.proto", "a/"} {
		files := maps.Clone(served.Files())
		files[p] = []byte("syntax = \"proto3\";\n")
		if _, err := lint.CheckFiles(t.Context(), served, files, catalog.Options{}); registry.ErrorCode(err) != registry.EINVALID {
			t.Errorf("path %q: got %v, want EINVALID", p, err)
		}
	}
}

func TestRunFS(t *testing.T) {
	t.Parallel()
	tree := fstest.MapFS{}
	for name, content := range baseFiles() {
		if rel, ok := strings.CutPrefix(name, "schemas/"); ok {
			tree[rel] = &fstest.MapFile{Data: []byte(content)}
		}
	}
	tree["retail/orders/v1/orders.proto"].Data = []byte("syntax = \"proto3\";\nmessage {\n")
	// Root names a directory that does not exist: the tree comes from FS.
	rep, err := lint.Run(t.Context(), lint.Options{Root: "candidate", FS: tree})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) == 0 || rep.Findings[0].Rule != lint.RuleCompile || rep.Findings[0].File != "candidate/retail/orders/v1/orders.proto" {
		t.Errorf("findings %v: want a COMPILE finding in candidate/retail/orders/v1/orders.proto", rep.Findings)
	}
}
