package catalog

import (
	"strconv"
	"time"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/compat"
	"github.com/backbone-registry/backbone/internal/limit"
)

// limitsConfig is registry.yaml's limits: section. Every key is optional;
// sizes are bytes or a number with a unit (16MiB, 5MB, 512KiB).
type limitsConfig struct {
	MaxFileSize    str `yaml:"max_file_size"`
	MaxFiles       str `yaml:"max_files"`
	MaxTotalSize   str `yaml:"max_total_size"`
	MaxDepth       str `yaml:"max_depth"`
	MaxNesting     str `yaml:"max_nesting"`
	CompileTimeout str `yaml:"compile_timeout"`
}

// limits returns the limits the section sets (zero: not set), failing at
// the line and column of every bad value.
func (lc limitsConfig) limits(fail func(registry.Position, string, ...any)) compat.Limits {
	var l compat.Limits
	size := func(key string, s str, dst *int64) {
		if s.Value == "" {
			return
		}
		n, err := compat.ParseSize(s.Value)
		if err != nil {
			fail(s.at.in(RepoFile), "limits: %s: %v", key, err)
			return
		}
		*dst = n
	}
	count := func(key string, s str, dst *int) {
		if s.Value == "" {
			return
		}
		n, err := strconv.Atoi(s.Value)
		if err != nil || n < 1 {
			fail(s.at.in(RepoFile), "limits: %s: %q is not a whole number of at least 1", key, s.Value)
			return
		}
		*dst = n
	}
	size(limit.KeyMaxFileSize, lc.MaxFileSize, &l.MaxFileSize)
	count(limit.KeyMaxFiles, lc.MaxFiles, &l.MaxFiles)
	size(limit.KeyMaxTotalSize, lc.MaxTotalSize, &l.MaxTotalSize)
	count(limit.KeyMaxDepth, lc.MaxDepth, &l.MaxDepth)
	count(limit.KeyMaxNesting, lc.MaxNesting, &l.MaxNesting)
	if s := lc.CompileTimeout; s.Value != "" {
		d, err := time.ParseDuration(s.Value)
		if err != nil || d <= 0 {
			fail(s.at.in(RepoFile), "limits: %s: %q is not a positive duration (write 90s, 2m)", limit.KeyCompileTimeout, s.Value)
		} else {
			l.Timeout = d
		}
	}
	return l
}

// RepoLimits returns the limits a repository is read and compiled with:
// those of flags (the command line: zero fields unset) over those of the
// limits: section of registryYAML (registry.yaml's content; nil: none)
// over compat.DefaultLimits. A registry.yaml that does not decode, or a
// bad limit, is an EINVALID error at registry.yaml:line:col.
//
// The limits bound the reading of the tree itself, so registry.yaml is
// read first, alone: it is bounded by its own size limit (256 KiB).
func RepoLimits(registryYAML []byte, flags compat.Limits) (compat.Limits, error) {
	return repoLimits(registryYAML, flags, compat.Limits{})
}

// repoLimits is RepoLimits with defaults standing in for
// compat.DefaultLimits where they are set.
func repoLimits(registryYAML []byte, flags, defaults compat.Limits) (compat.Limits, error) {
	if registryYAML == nil {
		return flags.Over(defaults).WithDefaults(), nil
	}
	l := &loader{}
	if len(registryYAML) > maxYAMLSize {
		l.fail(registry.Position{File: RepoFile}, "%s", yamlTooLarge(len(registryYAML)))
		return compat.Limits{}, l.invalid()
	}
	var rc repoConfig
	if d := decodeYAML(RepoFile, registryYAML, &rc); d != nil {
		l.diags = append(l.diags, *d)
		return compat.Limits{}, l.invalid()
	}
	repo := rc.Limits.limits(l.fail)
	if len(l.diags) > 0 {
		return compat.Limits{}, l.invalid()
	}
	return flags.Over(repo).Over(defaults).WithDefaults(), nil
}

// LimitsOf is RepoLimits with the given flags, in the shape a Git tree
// reader takes (gitsync.TreeOptions.LimitsOf, with LimitsFile RepoFile):
// each commit's tree is read with its own registry.yaml's limits.
func LimitsOf(flags compat.Limits) func(registryYAML []byte) (compat.Limits, error) {
	return Options{Limits: flags}.LimitsOf()
}

// LimitsOf is LimitsOf with the options' Limits and Defaults.
func (o Options) LimitsOf() func(registryYAML []byte) (compat.Limits, error) {
	return func(b []byte) (compat.Limits, error) { return repoLimits(b, o.Limits, o.Defaults) }
}
