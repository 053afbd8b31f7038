package compat_test

import (
	"strings"
	"testing"
	"time"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/compat"
)

// TestTotalSize: the .proto files' total is bounded, whether the tree is
// read from a directory or checked in memory, and YAML files do not count.
func TestTotalSize(t *testing.T) {
	t.Parallel()
	proto := "syntax = \"proto3\";\npackage a;\n" + strings.Repeat("// padding\n", 10) // 140 bytes
	fsys := protoTree("a/a.proto", proto, "b/b.proto", proto, "c/c.proto", proto, "c/big.yaml", strings.Repeat("#\n", 500))
	limits := compat.Limits{MaxTotalSize: 300}
	want := []wantDiag{{"c/c.proto", 0, 0, "the .proto files total 420 B with this one, over the total-size limit of 300 B; raise it with limits.max_total_size in registry.yaml or --max-total-size"}}
	_, err := compat.Compile(t.Context(), fsys, limits)
	checkInvalid(t, nil, err, want)

	files := map[string][]byte{}
	for p, f := range fsys {
		files[p] = f.Data
	}
	diags := compat.CheckSizes(files, limits)
	checkInvalid(t, nil, &registry.Error{Code: registry.EINVALID, Diagnostics: diags}, want)

	limits.MaxTotalSize = 420 // exactly at the limit
	if _, err := compat.Compile(t.Context(), fsys, limits); err != nil {
		t.Errorf("Compile at exactly the total limit: %v", err)
	}
	if d := compat.CheckSizes(files, limits); len(d) != 0 {
		t.Errorf("CheckSizes at exactly the total limit: %v", d)
	}
}

func TestFixedLimitsSayNothingOfRaising(t *testing.T) {
	t.Parallel()
	_, err := compat.CompileSources(t.Context(), map[string][]byte{"a.proto": []byte("syntax = \"proto3\";\n")}, compat.Limits{Timeout: time.Nanosecond, Fixed: true})
	if msg := registry.ErrorMessage(err); !strings.Contains(msg, "cannot be raised") || strings.Contains(msg, "registry.yaml") {
		t.Errorf("message %q, want it to say the limit cannot be raised", msg)
	}
}
