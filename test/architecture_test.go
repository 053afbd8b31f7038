package test

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/backbone-registry/backbone"

type pkgInfo struct {
	Name       string
	ImportPath string
	Imports    []string
	Deps       []string
	Standard   bool
}

// listPackages runs `go list -json -deps` over the module and returns its
// own packages.
func listPackages(t *testing.T) map[string]pkgInfo {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "go", "list", "-json", "./...")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]pkgInfo{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkgInfo
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs[strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")] = p
	}
	return pkgs
}

func isStdlib(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// TestDependencyDirection checks the rules of docs/ARCHITECTURE.md with
// go list, so the house keeps its shape.
func TestDependencyDirection(t *testing.T) {
	t.Parallel()
	pkgs := listPackages(t)
	own := func(p string) string { return strings.TrimPrefix(strings.TrimPrefix(p, module), "/") }

	// forbidden[pkg] lists our packages that pkg must not depend on,
	// directly or not.
	forbidden := map[string][]string{
		"":        {"compat", "catalog", "api", "web", "cmd/registry", "gitsync", "postgres", "sqlite"},
		"compat":  {"catalog", "api", "web", "cmd/registry", "gitsync", "postgres", "sqlite"},
		"catalog": {"api", "web", "cmd/registry", "gitsync", "postgres", "sqlite", "storetest"},
		"api":     {"web", "cmd/registry", "gitsync", "postgres", "sqlite", "storetest"},
		"gitsync": {"compat", "catalog", "api", "web", "cmd/registry", "postgres", "sqlite"},
		// The limits of a tree, shared by compat and gitsync: neither.
		"internal/limit": {"compat", "catalog", "api", "web", "cmd/registry", "gitsync", "lint", "postgres", "sqlite"},
		"lint":           {"api", "web", "cmd/registry", "postgres", "sqlite", "storetest"},
		"sqlite":         {"compat", "catalog", "api", "web", "cmd/registry", "gitsync", "postgres"},
		"postgres":       {"compat", "catalog", "api", "web", "cmd/registry", "gitsync", "sqlite"},
		"storetest":      {"compat", "catalog", "api", "web", "cmd/registry", "gitsync"},
		"client":         {"compat", "catalog", "api", "web", "cmd/registry", "gitsync", "postgres", "sqlite", "storetest", "lint"},
	}
	for name, banned := range forbidden {
		p, ok := pkgs[name]
		if !ok {
			t.Errorf("package %q not found", name)
			continue
		}
		for _, d := range p.Deps {
			if strings.HasPrefix(d, module) && slices.Contains(banned, own(d)) {
				t.Errorf("%s depends on %s, against the dependency direction", p.ImportPath, d)
			}
		}
	}

	// The root package holds the domain: standard library only.
	for _, d := range pkgs[""].Deps {
		if !isStdlib(d) {
			t.Errorf("root package depends on %s; it may use only the standard library", d)
		}
	}

	// Only api (and web, later) know HTTP and huma, and client, which calls
	// them; only programs (package main: cmd/registry, bench tools,
	// examples) read flags.
	for name, p := range pkgs {
		for _, imp := range p.Imports {
			httpish := imp == "net/http" || strings.HasPrefix(imp, "github.com/danielgtaylor/huma")
			switch {
			case httpish && p.Name != "main" && !slices.Contains([]string{"api", "web", "test", "client"}, name):
				t.Errorf("%s imports %s; only api, web, the client and programs know HTTP", p.ImportPath, imp)
			case (imp == "flag" || strings.HasPrefix(imp, "github.com/alecthomas/kong")) && p.Name != "main":
				t.Errorf("%s imports %s; only programs (package main) read flags", p.ImportPath, imp)
			}
		}
	}
}
