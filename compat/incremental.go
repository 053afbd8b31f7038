package compat

import (
	"context"
	"errors"
	"path"
	"strings"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/linker"
	"github.com/bufbuild/protocompile/reporter"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Recompile compiles sources as CompileSources does, reusing what prev
// compiled from prevSources: a .proto file whose content is unchanged and
// none of whose imports (transitively) changed is taken from prev as it is,
// and only the others are parsed and linked. A commit touching one file of
// a thousand therefore costs one file's compilation, not a thousand.
//
// The result is the one CompileSources gives: the recompiled files' symbols
// are checked against those of the reused files that could define the same
// names, as a whole compilation would, and when anything fails, sources are
// compiled again from scratch so the diagnostics are exactly those of
// CompileSources. A nil prev compiles everything. Unchanged files are the
// same descriptors as in prev.
func Recompile(ctx context.Context, prev *Schema, prevSources, sources map[string][]byte, limits Limits) (*Schema, error) {
	if prev == nil {
		return CompileSources(ctx, sources, limits)
	}
	dirty := Affected(prev, prevSources, sources)
	reuse := make(map[string]linker.File, len(prev.byPath))
	for p, f := range prev.byPath {
		if _, ok := sources[p]; ok && !dirty[p] && !strings.HasPrefix(p, wellKnownPrefix) {
			reuse[p] = f
		}
	}
	if len(reuse) == 0 {
		return CompileSources(ctx, sources, limits)
	}
	s, err := compile(ctx, sources, reuse, nil, limits)
	if err == nil && conflicts(s, reuse) {
		err = errConflict
	}
	if err != nil && ctx.Err() == nil {
		// Broken content: compile it whole, so that every diagnostic and
		// its wording are exactly what CompileSources reports.
		return CompileSources(ctx, sources, limits)
	}
	return s, err
}

var errConflict = errors.New("a recompiled file conflicts with a reused one")

// conflicts reports whether the files s compiled again define a symbol
// (or an extension number) that a reused file not among their imports also
// defines: the compilation linked them without seeing those files, which a
// whole compilation would have reported. Only files whose packages nest in
// one another can define the same name, so only those are checked, unless
// the recompiled files declare extensions.
func conflicts(s *Schema, reuse map[string]linker.File) bool {
	var fresh []linker.File
	pkgs := map[protoreflect.FullName]bool{}
	extensions := false
	for _, f := range s.files {
		if _, ok := reuse[f.Path()]; ok || strings.HasPrefix(f.Path(), wellKnownPrefix) {
			continue
		}
		fresh = append(fresh, f)
		pkgs[f.Package()] = true
		extensions = extensions || declaresExtensions(f)
	}
	sym := &linker.Symbols{}
	h := reporter.NewHandler(nil)
	for _, f := range reuse {
		if extensions || nested(f.Package(), pkgs) {
			if sym.Import(f, h) != nil {
				return true // cannot happen: prev compiled them together
			}
		}
	}
	for _, f := range fresh {
		if sym.Import(f, h) != nil {
			return true
		}
	}
	return false
}

// nested reports whether pkg is one of pkgs, or a package of them (a.b of
// a.b.c), or inside one of them.
func nested(pkg protoreflect.FullName, pkgs map[protoreflect.FullName]bool) bool {
	for p := range pkgs {
		if p == pkg || p == "" || pkg == "" || strings.HasPrefix(string(p), string(pkg)+".") || strings.HasPrefix(string(pkg), string(p)+".") {
			return true
		}
	}
	return false
}

func declaresExtensions(f protoreflect.FileDescriptor) bool {
	if f.Extensions().Len() > 0 {
		return true
	}
	var inMessages func(protoreflect.MessageDescriptors) bool
	inMessages = func(ms protoreflect.MessageDescriptors) bool {
		for i := range ms.Len() {
			if ms.Get(i).Extensions().Len() > 0 || inMessages(ms.Get(i).Messages()) {
				return true
			}
		}
		return false
	}
	return inMessages(f.Messages())
}

// Affected returns the .proto files of sources that Recompile has to compile
// again rather than take from prev: those added, changed or removed since
// prevSources, and every file of prev that imports one of them, directly or
// not.
func Affected(prev *Schema, prevSources, sources map[string][]byte) map[string]bool {
	dirty := map[string]bool{}
	for p, data := range sources {
		if path.Ext(p) != ".proto" {
			continue
		}
		if old, ok := prevSources[p]; !ok || !sameBytes(old, data) {
			dirty[p] = true
		}
		if _, ok := prev.byPath[p]; !ok {
			dirty[p] = true
		}
	}
	for p := range prevSources {
		if _, ok := sources[p]; !ok && path.Ext(p) == ".proto" {
			dirty[p] = true
		}
	}
	if len(dirty) == 0 {
		return dirty
	}
	importers := map[string][]string{}
	for _, f := range prev.files {
		imports := f.Imports()
		for i := range imports.Len() {
			imp := imports.Get(i).Path()
			importers[imp] = append(importers[imp], f.Path())
		}
	}
	queue := make([]string, 0, len(dirty))
	for p := range dirty {
		queue = append(queue, p)
	}
	for len(queue) > 0 {
		p := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for _, imp := range importers[p] {
			if !dirty[imp] {
				dirty[imp] = true
				queue = append(queue, imp)
			}
		}
	}
	return dirty
}

// sameBytes is bytes.Equal that answers at once for the same slice, as
// unchanged files in a tree read incrementally are.
func sameBytes(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 || &a[0] == &b[0] {
		return true
	}
	return string(a) == string(b)
}

// reusing resolves the files of reuse to their linked descriptors, and
// everything else through next.
func reusing(reuse map[string]linker.File, next protocompile.Resolver) protocompile.Resolver {
	return protocompile.ResolverFunc(func(name string) (protocompile.SearchResult, error) {
		if f, ok := reuse[name]; ok {
			return protocompile.SearchResult{Desc: f}, nil
		}
		return next.FindFileByPath(name)
	})
}

// CompileReusing compiles sources as CompileSources does, taking the files
// of reuse (path → a file an earlier compilation of this package returned)
// as they are instead of compiling them. reuse must hold, for each of its
// files, the files it imports, as those very descriptors: the caller
// vouches that their content is that of sources (a content hash covering
// the imports does). Anything that fails compiles sources from scratch, so
// errors are those of CompileSources.
func CompileReusing(ctx context.Context, sources map[string][]byte, reuse map[string]protoreflect.FileDescriptor, limits Limits) (*Schema, error) {
	linked := make(map[string]linker.File, len(reuse))
	for p, fd := range reuse {
		f, ok := fd.(linker.File)
		if !ok || strings.HasPrefix(p, wellKnownPrefix) || sources[p] == nil {
			continue
		}
		linked[p] = f
	}
	if len(linked) == 0 {
		return CompileSources(ctx, sources, limits)
	}
	s, err := compile(ctx, sources, linked, nil, limits)
	if err == nil && conflicts(s, linked) {
		err = errConflict
	}
	if err != nil && ctx.Err() == nil {
		return CompileSources(ctx, sources, limits)
	}
	return s, err
}
