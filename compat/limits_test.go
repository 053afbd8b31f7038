package compat_test

import (
	"strings"
	"testing"
	"time"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/compat"
)

func TestParseSize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{
		"1": 1, "1048576": 1 << 20, "16MiB": 16 << 20, "16 MiB": 16 << 20, "16mib": 16 << 20, "16M": 16 << 20,
		"5MB": 5_000_000, "512KiB": 512 << 10, "512kb": 512_000, "1.5MiB": 3 << 19, "2GiB": 2 << 30, "100B": 100,
	} {
		if got, err := compat.ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v, want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "-1", "0", "0.1", "16 furlongs", "1.2.3MB", "1e3", "99999999999TiB"} {
		if got, err := compat.ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, got)
		}
	}
}

func TestLimitsOver(t *testing.T) {
	t.Parallel()
	flags := compat.Limits{MaxFileSize: 1 << 20}
	yaml := compat.Limits{MaxFileSize: 2 << 20, MaxFiles: 10, Timeout: time.Second}
	got := flags.Over(yaml).WithDefaults()
	want := compat.DefaultLimits
	want.MaxFileSize, want.MaxFiles, want.Timeout = 1<<20, 10, time.Second
	if got != want {
		t.Errorf("flags.Over(yaml).WithDefaults() = %+v, want %+v", got, want)
	}
}

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
