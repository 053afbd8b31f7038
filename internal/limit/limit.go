// Package limit is the limits of a schema tree: their defaults, how they
// combine (flags over registry.yaml over defaults), the sizes people write,
// and the wording of every limit error, which names the registry.yaml key
// and the flag that raise the limit. compat (reading and compiling a tree)
// and gitsync (reading a Git tree) share it; it knows neither.
package limit

import (
	"fmt"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	registry "github.com/backbone-registry/backbone"
)

// Limits bound what an untrusted schema tree may cost to compile.
//
// A repository sets them under limits: in registry.yaml, and the flags of
// `registry serve` and `registry lint` override it (see Over); every error
// that a limit causes names the key and the flag that raise it.
type Limits struct {
	MaxFileSize  int64         // bytes per file (max_file_size)
	MaxFiles     int           // .proto files in the tree (max_files)
	MaxTotalSize int64         // bytes of all .proto files together (max_total_size)
	MaxDepth     int           // directory nesting below the root (max_depth)
	Timeout      time.Duration // wall time for one compilation (compile_timeout)
	// MaxNesting bounds how deeply brackets ({ [ < and ( together) nest in
	// one .proto file: the compiler's cost grows with its square. Zero is
	// the default even where other zero limits mean none; negative: none.
	MaxNesting int
	// Fixed marks limits that a route sets for itself (a Confluent request,
	// say), which registry.yaml and the flags do not change: their errors
	// do not suggest raising them.
	Fixed bool
}

// WithDefaults returns l with every zero field set from Defaults.
func (l Limits) WithDefaults() Limits { return l.Over(Defaults) }

// Defaults are generous for real repositories and small enough that a
// hostile pull request cannot exhaust the server.
var Defaults = Limits{
	MaxFileSize: 16 << 20, // googleapis' largest file (compute.proto) is about 5 MiB; generated files of 5–10 MB are common
	MaxFiles:    20_000,   // .proto files only; YAML and other files do not count
	// The whole tree is held in memory and compiled at once, and the
	// compiler's descriptors cost several times the source: 256 MiB of
	// .proto source admits googleapis whole (thousands of files, the big
	// generated ones included) several times over, and still bounds what
	// one commit can make the server hold.
	MaxTotalSize: 256 << 20,
	MaxDepth:     32,
	Timeout:      60 * time.Second,
	MaxNesting:   64,
}

// The names that raise each limit: the key under limits: in registry.yaml
// and the flag of `registry serve` and `registry lint`. Every limit error
// names both, so whoever meets one knows what to change.
const (
	KeyMaxFileSize    = "max_file_size"
	KeyMaxFiles       = "max_files"
	KeyMaxTotalSize   = "max_total_size"
	KeyMaxDepth       = "max_depth"
	KeyMaxNesting     = "max_nesting"
	KeyCompileTimeout = "compile_timeout"
)

// flagOf is the command-line flag that sets a limit's key.
func flagOf(key string) string { return "--" + strings.ReplaceAll(key, "_", "-") }

// raise is the end of every limit error: how to raise it, unless the limits
// are fixed by the route that compiles (then there is nothing to change).
func (l Limits) raise(key string) string {
	if l.Fixed {
		return " (a fixed limit: it cannot be raised)"
	}
	return fmt.Sprintf("; raise it with limits.%s in registry.yaml or %s", key, flagOf(key))
}

// Over returns l with every zero field taken from base: l's settings win.
// Flags over registry.yaml is flags.Over(yaml); WithDefaults completes it.
func (l Limits) Over(base Limits) Limits {
	if l.MaxFileSize == 0 {
		l.MaxFileSize = base.MaxFileSize
	}
	if l.MaxFiles == 0 {
		l.MaxFiles = base.MaxFiles
	}
	if l.MaxTotalSize == 0 {
		l.MaxTotalSize = base.MaxTotalSize
	}
	if l.MaxDepth == 0 {
		l.MaxDepth = base.MaxDepth
	}
	if l.Timeout == 0 {
		l.Timeout = base.Timeout
	}
	if l.MaxNesting == 0 {
		l.MaxNesting = base.MaxNesting
	}
	l.Fixed = l.Fixed || base.Fixed
	return l
}

// FileTooLarge is the message for a file of size bytes over the per-file limit.
func (l Limits) FileTooLarge(size int64) string {
	return fmt.Sprintf("%s is over the per-file limit of %s%s", FormatSize(size), FormatSize(l.MaxFileSize), l.raise(KeyMaxFileSize))
}

// TooManyFiles is the message for the first .proto file past the file-count limit.
func (l Limits) TooManyFiles() string {
	return fmt.Sprintf("more than %d .proto files: this is the first past the file-count limit of %d%s", l.MaxFiles, l.MaxFiles, l.raise(KeyMaxFiles))
}

// TotalTooLarge is the message for the .proto file that takes the .proto
// files' total to total bytes, over the total-size limit.
func (l Limits) TotalTooLarge(total int64) string {
	return fmt.Sprintf("the .proto files total %s with this one, over the total-size limit of %s%s", FormatSize(total), FormatSize(l.MaxTotalSize), l.raise(KeyMaxTotalSize))
}

// TooDeep is the message for a directory nested deeper than the depth limit.
func (l Limits) TooDeep() string {
	return fmt.Sprintf("directory nested deeper than %d levels, over the directory-depth limit%s", l.MaxDepth, l.raise(KeyMaxDepth))
}

// TooNested is the message for brackets nested deeper than max.
func (l Limits) TooNested(max int) string {
	return fmt.Sprintf("brackets nest deeper than %d levels, over the nesting limit ({ [ < and ( count together, outside strings and comments)%s; "+
		"better, flatten the message literal or the nested declarations", max, l.raise(KeyMaxNesting))
}

// TimedOut is the message for a compilation past the time limit.
func (l Limits) TimedOut() string {
	return fmt.Sprintf("compile schemas: gave up after %s, the compile-time limit%s", l.Timeout, l.raise(KeyCompileTimeout))
}

// CheckSizes checks files already in memory (path → content) against the
// per-file, file-count and total-size limits, in path order: what ReadTree
// and a Git tree walk check as they read, for trees that came another way
// (a request, a tree updated from an earlier one). Only .proto files count
// towards the file count and the total.
func CheckSizes(files map[string][]byte, limits Limits) []registry.Diagnostic {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var diags []registry.Diagnostic
	var protos int
	var total int64
	for _, p := range paths {
		size := int64(len(files[p]))
		if limits.MaxFileSize > 0 && size > limits.MaxFileSize {
			diags = append(diags, registry.Diagnostic{Position: registry.Position{File: p}, Message: limits.FileTooLarge(size)})
			continue
		}
		if path.Ext(p) != ".proto" {
			continue
		}
		if protos++; limits.MaxFiles > 0 && protos > limits.MaxFiles {
			diags = append(diags, registry.Diagnostic{Position: registry.Position{File: p}, Message: limits.TooManyFiles()})
			break
		}
		if total += size; limits.MaxTotalSize > 0 && total > limits.MaxTotalSize {
			diags = append(diags, registry.Diagnostic{Position: registry.Position{File: p}, Message: limits.TotalTooLarge(total)})
			break
		}
	}
	return diags
}

// Size is a number of bytes written for a person: 16MiB, 5MB, 512KiB or
// plain bytes. It is the type of the size flags.
type Size int64

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Size) UnmarshalText(b []byte) error {
	n, err := ParseSize(string(b))
	if err != nil {
		return err
	}
	*s = Size(n)
	return nil
}

// String renders the size as FormatSize does.
func (s Size) String() string { return FormatSize(int64(s)) }

var sizeUnits = map[string]float64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// ParseSize reads a positive size: a number of bytes, or a number with a
// unit, with or without a space: KB, MB, GB (powers of 1000) or KiB, MiB,
// GiB (powers of 1024; K, M and G too), in any case. 1.5MiB is allowed; the
// result is whole bytes.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return !unicode.IsDigit(r) && r != '.' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	}
	mult, ok := sizeUnits[unit]
	if !ok || num == "" {
		return 0, fmt.Errorf("size %q: want bytes or a number with a unit (16MiB, 5MB, 512KiB)", s)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q: want bytes or a number with a unit (16MiB, 5MB, 512KiB)", s)
	}
	n := v * mult
	switch {
	case n < 1:
		return 0, fmt.Errorf("size %q: must be at least 1 byte", s)
	case n >= math.MaxInt64/2:
		return 0, fmt.Errorf("size %q: too large", s)
	}
	return int64(math.Round(n)), nil
}

// SymlinkedDir is the problem of a symbolic link to a directory in a schema
// tree, in a directory and in a Git tree alike.
const SymlinkedDir = "a symlink to a directory (symlinks are not followed: its files would be silently left out; make it a real directory)"

// FormatSize renders n bytes for a person: "16 MiB", "18.2 MiB", "100 B".
func FormatSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	s := fmt.Sprintf("%.1f", v)
	s = strings.TrimSuffix(s, ".0")
	return s + " " + []string{"KiB", "MiB", "GiB", "TiB", "PiB"}[exp]
}
