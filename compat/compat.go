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

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/linker"
	"github.com/bufbuild/protocompile/reporter"
	"google.golang.org/protobuf/reflect/protoreflect"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/internal/limit"
)

// Limits bound what an untrusted schema tree may cost to compile (see
// package limit, which the Git tree reader shares).
type Limits = limit.Limits

// DefaultLimits are generous for real repositories and small enough that a
// hostile pull request cannot exhaust the server: limit.Defaults.
var DefaultLimits = limit.Defaults

// Size is a number of bytes written for a person (see limit.Size).
type Size = limit.Size

// ParseSize reads a size: bytes, or a number with a unit (limit.ParseSize).
func ParseSize(s string) (int64, error) { return limit.ParseSize(s) }

// FormatSize renders n bytes for a person: "16 MiB", "18.2 MiB", "100 B".
func FormatSize(n int64) string { return limit.FormatSize(n) }

// CheckSizes checks files in memory against the size and count limits
// (limit.CheckSizes).
func CheckSizes(files map[string][]byte, limits Limits) []registry.Diagnostic {
	return limit.CheckSizes(files, limits)
}

// SymlinkedDir is the problem of a symbolic link to a directory in a schema
// tree, in a directory and in a Git tree alike.
const SymlinkedDir = limit.SymlinkedDir

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
		if d := scanNesting(p, sources[p], nesting, limits); d != nil {
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
		return nil, registry.Errorf(registry.EINVALID, "%s", limits.TimedOut())
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
		if err := importPathError(name); err != nil {
			return nil, err
		}
		switch {
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

// importPathError says what is wrong with an import path that is not a
// canonical, slash-separated path inside the schema root; nil if it is one.
// protoc matches imports by their exact text, so "a/../b/c.proto" and
// "b/c.proto" would be two different files to it: only the canonical
// spelling is accepted.
func importPathError(name string) error {
	slashed := strings.ReplaceAll(name, "\\", "/")
	canonical := path.Clean(slashed)
	switch {
	case strings.HasPrefix(slashed, "/"):
		return fmt.Errorf("import %q escapes the schema root: imports are relative to registry.yaml's directory", name)
	case (canonical == ".." || strings.HasPrefix(canonical, "../")) && canonical == name:
		return fmt.Errorf("import %q escapes the schema root: imports are relative to registry.yaml's directory", name)
	case canonical == ".." || strings.HasPrefix(canonical, "../"):
		return fmt.Errorf("import %q escapes the schema root: it resolves to %q, outside registry.yaml's directory", name, canonical)
	case name == "" || name == canonical:
		return nil
	case slashed != name:
		return fmt.Errorf("import %q uses backslashes: import paths are slash-separated; write import %q", name, canonical)
	default:
		return fmt.Errorf("import %q is not in canonical form: write import %q (protoc requires canonical import paths, relative to registry.yaml's directory)", name, canonical)
	}
}

// ReadTree reads the .proto files under the root of fsys, and the other
// files want accepts (nil: none), into memory, refusing symlinks and
// enforcing the limits. Paths are slash-separated, relative to the root;
// hidden directories (.git) are skipped. Every problem is a diagnostic.
func ReadTree(fsys fs.FS, limits Limits, want func(name string) bool) (map[string][]byte, []registry.Diagnostic) {
	sources := map[string][]byte{}
	var diags []registry.Diagnostic
	protos := 0     // only .proto files count against MaxFiles
	var total int64 // and MaxTotalSize
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			diags = append(diags, registry.Diagnostic{Position: registry.Position{File: p}, Message: err.Error()})
			return nil
		}
		if p != "." && strings.HasPrefix(d.Name(), ".") && (d.IsDir() || d.Type()&fs.ModeSymlink != 0) {
			if d.IsDir() {
				return fs.SkipDir // .git and other hidden directories
			}
			return nil
		}
		if d.IsDir() {
			if limits.MaxDepth > 0 && p != "." && strings.Count(p, "/")+1 > limits.MaxDepth {
				diags = append(diags, registry.Diagnostic{Position: registry.Position{File: p}, Message: limits.TooDeep()})
				return fs.SkipDir
			}
			return nil
		}
		wanted := path.Ext(p) == ".proto" || (want != nil && want(p))
		if d.Type()&fs.ModeSymlink != 0 {
			// A symlink to a directory would hide a whole subtree: say so,
			// as for a symlinked file; any other symlink is not read.
			if info, err := fs.Stat(fsys, p); err == nil && info.IsDir() {
				diags = append(diags, registry.Diagnostic{Position: registry.Position{File: p}, Message: SymlinkedDir})
				return nil
			}
		}
		if !wanted {
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
		isProto := path.Ext(p) == ".proto"
		if isProto {
			if limits.MaxFiles > 0 && protos >= limits.MaxFiles {
				diags = append(diags, registry.Diagnostic{Position: registry.Position{File: p}, Message: limits.TooManyFiles()})
				return fs.SkipAll
			}
			protos++
		}
		data, err := ReadFile(fsys, p, limits.MaxFileSize)
		if err != nil {
			var big *tooLarge
			if errors.As(err, &big) {
				err = errors.New(limits.FileTooLarge(big.size))
			}
			diags = append(diags, registry.Diagnostic{Position: registry.Position{File: p}, Message: err.Error()})
			return nil
		}
		if isProto {
			if total += int64(len(data)); limits.MaxTotalSize > 0 && total > limits.MaxTotalSize {
				diags = append(diags, registry.Diagnostic{Position: registry.Position{File: p}, Message: limits.TotalTooLarge(total)})
				return fs.SkipAll
			}
		}
		sources[p] = data
		return nil
	})
	if err != nil {
		diags = append(diags, registry.Diagnostic{Message: err.Error()})
	}
	return sources, diags
}

// tooLarge is ReadFile's error for a file over its limit.
type tooLarge struct{ size, max int64 }

func (e *tooLarge) Error() string { return Limits{MaxFileSize: e.max}.FileTooLarge(e.size) }

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
		return nil, &tooLarge{size: size, max: max}
	}
	return data, nil
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
