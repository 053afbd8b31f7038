package main

import (
	"fmt"
	"time"

	"github.com/backbone-registry/backbone/compat"
)

// LimitFlags are the limits of `registry serve` and `registry lint`. Each
// one set wins over the key of registry.yaml's limits: section; unset,
// registry.yaml's key or the default applies (README "Limits").
type LimitFlags struct {
	MaxFileSize    compat.Size   `help:"Largest schema file (16MiB, 5MB, 512KiB or bytes); default: limits.max_file_size in registry.yaml, or 16MiB." placeholder:"SIZE"`
	MaxFiles       int           `help:"Most .proto files in the tree; default: limits.max_files in registry.yaml, or 20000." placeholder:"N"`
	MaxTotalSize   compat.Size   `help:"Largest total of the .proto files (same units); default: limits.max_total_size in registry.yaml, or 256MiB." placeholder:"SIZE"`
	MaxDepth       int           `help:"Deepest directory nesting under the schema root; default: limits.max_depth in registry.yaml, or 32." placeholder:"N"`
	MaxNesting     int           `help:"Deepest bracket nesting in one .proto file; default: limits.max_nesting in registry.yaml, or 64." placeholder:"N"`
	CompileTimeout time.Duration `help:"Longest compilation of the tree; default: limits.compile_timeout in registry.yaml, or 60s (registry lint: 10m)." placeholder:"DURATION"`
}

// limits returns the limits set on the command line (zero fields: unset).
func (f LimitFlags) limits() (compat.Limits, error) {
	for _, v := range []struct {
		name string
		bad  bool
	}{
		{"--max-files", f.MaxFiles < 0},
		{"--max-depth", f.MaxDepth < 0},
		{"--max-nesting", f.MaxNesting < 0},
		{"--compile-timeout", f.CompileTimeout < 0},
	} {
		if v.bad {
			return compat.Limits{}, usageError{fmt.Errorf("%s must be positive", v.name)}
		}
	}
	return compat.Limits{
		MaxFileSize:  int64(f.MaxFileSize),
		MaxFiles:     f.MaxFiles,
		MaxTotalSize: int64(f.MaxTotalSize),
		MaxDepth:     f.MaxDepth,
		MaxNesting:   f.MaxNesting,
		Timeout:      f.CompileTimeout,
	}, nil
}
