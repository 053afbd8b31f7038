// Package compat compiles a tree of Protobuf files and answers questions
// about the result: which messages exist, what they document, what a topic's
// schema references. It is pure: an fs.FS in, descriptors and diagnostics
// out, no other I/O, so the server and `registry lint` run the same code.
//
// The compatibility rule engine will live here too.
package compat

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/linker"
	"github.com/bufbuild/protocompile/reporter"
	"google.golang.org/protobuf/reflect/protoreflect"

	registry "github.com/backbone-registry/backbone"
)

// Limits bound what an untrusted schema tree may cost to compile.
type Limits struct {
	MaxFileSize int64         // bytes per .proto file
	MaxFiles    int           // .proto files in the tree
	MaxDepth    int           // directory nesting below the root
	Timeout     time.Duration // wall time for one compilation
	// MaxNesting bounds how deeply brackets ({ [ < and ( together) nest in
	// one .proto file: the compiler's cost grows with its square. Zero is
	// the default even where other zero limits mean none; negative: none.
	MaxNesting int
}

// WithDefaults returns l with every zero field set from DefaultLimits.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits
	if l.MaxFileSize == 0 {
		l.MaxFileSize = d.MaxFileSize
	}
	if l.MaxFiles == 0 {
		l.MaxFiles = d.MaxFiles
	}
	if l.MaxDepth == 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.Timeout == 0 {
		l.Timeout = d.Timeout
	}
	if l.MaxNesting == 0 {
		l.MaxNesting = d.MaxNesting
	}
	return l
}

// DefaultLimits are generous for real repositories and small enough that a
// hostile pull request cannot exhaust the server.
var DefaultLimits = Limits{
	MaxFileSize: 16 << 20, // googleapis' largest file (compute.proto) is about 5 MiB
	MaxFiles:    20_000,   // .proto files only; YAML and other files do not count
	MaxDepth:    32,
	Timeout:     60 * time.Second,
	MaxNesting:  64,
}

// wellKnownPrefix holds the well-known types, always served from the
// compiler's built-in copies so a repository cannot shadow them.
const wellKnownPrefix = "google/protobuf/"

// Schema is a compiled tree of .proto files.
type Schema struct {
	files  linker.Files
	byPath map[string]linker.File
	byName map[protoreflect.FullName]protoreflect.Descriptor // messages and enums, nested too
}

// Compile reads every .proto file under the root of fsys and compiles them
// together. Imports resolve from the root of fsys and to the well-known
// google/protobuf types; nothing else is reachable (no "..", no absolute
// paths, no symlinks). Every problem is reported as an EINVALID *registry.Error
// whose diagnostics carry file:line:col.
func Compile(ctx context.Context, fsys fs.FS, limits Limits) (*Schema, error) {
	sources, diags := ReadTree(fsys, limits, nil)
	if len(diags) > 0 {
		return nil, invalid(diags)
	}
	return CompileSources(ctx, sources, limits)
}

// CompileSources compiles the given files (path → content, paths relative to
// the schema root). Compile reads them from an fs.FS; other sources, such as
// a Git tree, call this directly.
func CompileSources(ctx context.Context, sources map[string][]byte, limits Limits) (*Schema, error) {
	return compile(ctx, sources, nil, nil, limits)
}

// compile compiles every .proto file of sources. Files in reuse (path →
// a file linked by an earlier compilation) are taken as they are, not
// parsed; sym, when not nil, already holds their symbols, so conflicts
// with them are still found.
func compile(ctx context.Context, sources map[string][]byte, reuse map[string]linker.File, sym *linker.Symbols, limits Limits) (*Schema, error) {
	return compileTracked(ctx, sources, reuse, sym, limits, newSources())
}

// compileTracked is compile counting the sources it opens in open.
func compileTracked(ctx context.Context, sources map[string][]byte, reuse map[string]linker.File, sym *linker.Symbols, limits Limits, open *openSources) (*Schema, error) {
	parent := ctx
	if limits.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, limits.Timeout)
		defer cancel()
	}
	paths := make([]string, 0, len(sources))
	for p := range sources {
		if path.Ext(p) == ".proto" {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)

	var diags []registry.Diagnostic
	nesting := cmp.Or(limits.MaxNesting, DefaultLimits.MaxNesting) // even when the caller set no limits: hostile input must not reach the compiler
	for _, p := range paths {
		if _, ok := reuse[p]; ok {
			continue // compiled before, unchanged
		}
		if d := scanNesting(p, sources[p], nesting); d != nil {
			diags = append(diags, *d)
		}
	}
	if len(diags) > 0 {
		return nil, invalid(diags)
	}
	// The compiler returns when ctx ends, but the goroutines parsing and
	// linking go on until they finish: wait for them (each closes the
	// source it opened when it is done), so that no work outlives this
	// call and a caller bounding concurrent compilations counts it.
	defer open.wait()
	// A large tree compiles in chunks, imports first (chunked.go); if
	// anything fails it is compiled again in one piece below, for the
	// diagnostics.
	if todo := len(paths) - len(reuse); sym == nil && todo > chunkFiles {
		var rest []string
		for _, p := range paths {
			if _, ok := reuse[p]; !ok {
				rest = append(rest, p)
			}
		}
		done, err := compileChunked(ctx, sources, reuse, rest, open)
		switch {
		case parent.Err() != nil:
			return nil, fmt.Errorf("compile schemas: %w", parent.Err())
		case ctx.Err() != nil:
			return nil, registry.Errorf(registry.EINVALID, "compile schemas: gave up after %s (limit)", limits.Timeout)
		case err == nil:
			files := make(linker.Files, 0, len(paths))
			for _, p := range paths {
				files = append(files, done[p])
			}
			return newSchema(files), nil
		}
	}
	rep := reporter.NewReporter(func(err reporter.ErrorWithPos) error {
		diags = append(diags, diagnostic(err))
		return nil // keep going: report every problem at once
	}, nil)
	var resolver protocompile.Resolver = protocompile.WithStandardImports(&protocompile.SourceResolver{Accessor: accessor(sources, open)})
	if len(reuse) > 0 {
		resolver = reusing(reuse, resolver)
	}
	compiler := protocompile.Compiler{
		Resolver:       resolver,
		Symbols:        sym,
		Reporter:       rep,
		SourceInfoMode: protocompile.SourceInfoStandard,
		MaxParallelism: 2,
	}
	files, err := compiler.Compile(ctx, paths...)
	var ewp reporter.ErrorWithPos
	switch {
	case parent.Err() != nil: // the caller gave up, not the repository's fault
		return nil, fmt.Errorf("compile schemas: %w", parent.Err())
	case ctx.Err() != nil:
		return nil, registry.Errorf(registry.EINVALID, "compile schemas: gave up after %s (limit)", limits.Timeout)
	case err == nil && len(diags) == 0:
	case errors.Is(err, reporter.ErrInvalidSource) || err == nil:
		return nil, invalid(diags)
	case errors.As(err, &ewp): // unresolvable imports end the compilation
		return nil, invalid(append(diags, diagnostic(ewp)))
	default:
		return nil, invalid(append(diags, registry.Diagnostic{Message: err.Error()}))
	}
	for _, f := range files {
		if _, ok := reuse[f.Path()]; !ok {
			dropSourceProtos(f)
		}
	}
	return newSchema(files), nil
}

func newSchema(files linker.Files) *Schema {
	s := &Schema{
		files:  files,
		byPath: make(map[string]linker.File, len(files)),
		byName: map[protoreflect.FullName]protoreflect.Descriptor{},
	}
	for _, f := range files {
		s.byPath[f.Path()] = f
		s.index(f.Messages(), f.Enums())
	}
	return s
}

// accessor serves imports from the in-memory tree only, with a clear
// message for paths that try to leave it.
// Every source it opens is counted in open (nil: not counted) until it is
// closed.
func accessor(sources map[string][]byte, open *openSources) func(string) (io.ReadCloser, error) {
	return func(name string) (io.ReadCloser, error) {
		switch {
		case strings.HasPrefix(name, "/") || strings.Contains(name, "\\") || hasDotDot(name):
			return nil, fmt.Errorf("import %q escapes the schema root: imports are relative to registry.yaml's directory", name)
		case strings.HasPrefix(name, wellKnownPrefix):
			return nil, fs.ErrNotExist // falls through to the built-in well-known types
		}
		data, ok := sources[name]
		if !ok {
			return nil, fmt.Errorf("import %q: no such file under the schema root: %w", name, fs.ErrNotExist)
		}
		if open == nil {
			return io.NopCloser(bytes.NewReader(data)), nil
		}
		return open.open(data)
	}
}

// openSources counts the files handed to the compiler and not yet closed:
// it closes each when it has finished with it (parsed and linked, or given
// up), so none open means no work left.
type openSources struct {
	mu     sync.Mutex
	closed sync.Cond
	n      int
	done   bool   // wait was called: open no more
	opened func() // tests: called as each source is opened
}

func newSources() *openSources {
	o := &openSources{}
	o.closed.L = &o.mu
	return o
}

func (o *openSources) open(data []byte) (io.ReadCloser, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done {
		return nil, errors.New("compilation abandoned")
	}
	o.n++
	if o.opened != nil {
		o.opened()
	}
	return &source{Reader: bytes.NewReader(data), of: o}, nil
}

// wait returns when every file opened is closed, and refuses later opens.
func (o *openSources) wait() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.done = true
	for o.n > 0 {
		o.closed.Wait()
	}
}

// source is a file handed to the compiler.
type source struct {
	*bytes.Reader
	once sync.Once
	of   *openSources
}

func (s *source) Close() error {
	s.once.Do(func() {
		s.of.mu.Lock()
		s.of.n--
		s.of.closed.Broadcast()
		s.of.mu.Unlock()
	})
	return nil
}

func hasDotDot(name string) bool {
	for _, part := range strings.Split(name, "/") {
		if part == ".." || part == "." {
			return true
		}
	}
	return false
}

// ReadTree reads the .proto files under the root of fsys, and the other
// files want accepts (nil: none), into memory, refusing symlinks and
// enforcing the limits. Paths are slash-separated, relative to the root;
// hidden directories (.git) are skipped. Every problem is a diagnostic.
func ReadTree(fsys fs.FS, limits Limits, want func(name string) bool) (map[string][]byte, []registry.Diagnostic) {
	sources := map[string][]byte{}
	var diags []registry.Diagnostic
	protos := 0 // only .proto files count against MaxFiles
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			diags = append(diags, registry.Diagnostic{Position: registry.Position{File: p}, Message: err.Error()})
			return nil
		}
		if d.IsDir() {
			if limits.MaxDepth > 0 && p != "." && strings.Count(p, "/")+1 > limits.MaxDepth {
				diags = append(diags, registry.Diagnostic{Position: registry.Position{File: p}, Message: fmt.Sprintf("directory nested deeper than %d levels (limit)", limits.MaxDepth)})
				return fs.SkipDir
			}
			if p != "." && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir // .git and other hidden directories
			}
			return nil
		}
		if path.Ext(p) != ".proto" && (want == nil || !want(p)) {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 || !d.Type().IsRegular() {
			diags = append(diags, registry.Diagnostic{Position: registry.Position{File: p}, Message: "not a regular file (symlinks are not followed)"})
			return nil
		}
		if strings.HasPrefix(p, wellKnownPrefix) && path.Ext(p) == ".proto" {
			diags = append(diags, registry.Diagnostic{Position: registry.Position{File: p}, Message: wellKnownPrefix + " is reserved for the well-known types"})
			return nil
		}
		if path.Ext(p) == ".proto" {
			if limits.MaxFiles > 0 && protos >= limits.MaxFiles {
				diags = append(diags, registry.Diagnostic{Position: registry.Position{File: p}, Message: fmt.Sprintf("more than %d .proto files (limit); this is the first file past it", limits.MaxFiles)})
				return fs.SkipAll
			}
			protos++
		}
		data, err := ReadFile(fsys, p, limits.MaxFileSize)
		if err != nil {
			diags = append(diags, registry.Diagnostic{Position: registry.Position{File: p}, Message: err.Error()})
			return nil
		}
		sources[p] = data
		return nil
	})
	if err != nil {
		diags = append(diags, registry.Diagnostic{Message: err.Error()})
	}
	return sources, diags
}

// ReadFile reads name from fsys, refusing files larger than max bytes
// (max <= 0: no limit) without reading more than max+1 bytes of them.
func ReadFile(fsys fs.FS, name string, max int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := io.Reader(f)
	if max > 0 {
		r = io.LimitReader(f, max+1)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if max > 0 && int64(len(data)) > max {
		size := int64(len(data))
		if info, err := f.Stat(); err == nil && info.Size() > size {
			size = info.Size()
		}
		return nil, fmt.Errorf("%s is larger than the per-file limit of %s", FormatSize(size), FormatSize(max))
	}
	return data, nil
}

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

func diagnostic(err reporter.ErrorWithPos) registry.Diagnostic {
	for { // the compiler nests positioned errors; the innermost is exact
		var inner reporter.ErrorWithPos
		if !errors.As(err.Unwrap(), &inner) {
			break
		}
		err = inner
	}
	pos := err.GetPosition()
	msg := err.Unwrap().Error()
	return registry.Diagnostic{
		Position: registry.Position{File: pos.Filename, Line: pos.Line, Column: pos.Col},
		Message:  msg,
	}
}

func invalid(diags []registry.Diagnostic) error {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Position, diags[j].Position
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	noun := "errors"
	if len(diags) == 1 {
		noun = "error"
	}
	return &registry.Error{
		Code:        registry.EINVALID,
		Message:     fmt.Sprintf("compile schemas: %d %s", len(diags), noun),
		Diagnostics: diags,
	}
}

// Files returns the compiled files, sorted by path.
func (s *Schema) Files() []protoreflect.FileDescriptor {
	out := make([]protoreflect.FileDescriptor, 0, len(s.files))
	for _, f := range s.files {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path() < out[j].Path() })
	return out
}

// File returns the compiled file at path, if the tree has it.
func (s *Schema) File(path string) (protoreflect.FileDescriptor, bool) {
	f, ok := s.byPath[path]
	return f, ok
}

func (s *Schema) index(msgs protoreflect.MessageDescriptors, enums protoreflect.EnumDescriptors) {
	for i := range enums.Len() {
		s.byName[enums.Get(i).FullName()] = enums.Get(i)
	}
	for i := range msgs.Len() {
		m := msgs.Get(i)
		s.byName[m.FullName()] = m
		s.index(m.Messages(), m.Enums())
	}
}

// FindMessage returns the message with the given fully-qualified name,
// defined in the tree (the well-known types are not indexed).
func (s *Schema) FindMessage(name string) (protoreflect.MessageDescriptor, bool) {
	m, ok := s.byName[protoreflect.FullName(name)].(protoreflect.MessageDescriptor)
	return m, ok
}

// FindEnum returns the enum with the given fully-qualified name.
func (s *Schema) FindEnum(name string) (protoreflect.EnumDescriptor, bool) {
	e, ok := s.byName[protoreflect.FullName(name)].(protoreflect.EnumDescriptor)
	return e, ok
}
