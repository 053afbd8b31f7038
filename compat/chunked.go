package compat

import (
	"context"
	"regexp"
	"slices"
	"strings"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/linker"
	"github.com/bufbuild/protocompile/reporter"
)

// A large tree is compiled in chunks, imports first, so that only one
// chunk's syntax trees are in memory at a time. protocompile parses every
// file it is given before linking any (a parsed file waits for its
// imports without holding a worker), so on googleapis (7,000 files, 100
// MB) one compilation held the syntax trees of nearly the whole tree at
// once: most of its peak memory.
var (
	chunkFiles = 512      // files per chunk, at most (a variable for tests)
	chunkBytes = 16 << 20 // bytes of source per chunk, about
)

// chunkImport finds the imports of a .proto file without parsing it. One
// found too many (in a comment) or one missed only changes the order in
// which files are compiled, never the result.
var chunkImport = regexp.MustCompile(`(?m)^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;`)

// chunks orders paths so that each file comes after the files it imports
// (by depth in the import graph, then path) and cuts them into chunks.
func chunks(sources map[string][]byte, paths []string) [][]string {
	depth := make(map[string]int, len(paths))
	const visiting = -1
	var visit func(p string) int
	visit = func(p string) int {
		if d, ok := depth[p]; ok {
			return max(d, 0) // a cycle: the compiler reports it
		}
		data, ok := sources[p]
		if !ok {
			return 0
		}
		depth[p] = visiting
		d := 0
		for _, m := range chunkImport.FindAllSubmatch(data, -1) {
			if imp := string(m[1]); imp != p {
				if _, ok := sources[imp]; ok {
					d = max(d, visit(imp)+1)
				}
			}
		}
		depth[p] = d
		return d
	}
	ordered := slices.Clone(paths)
	for _, p := range ordered {
		visit(p)
	}
	slices.SortStableFunc(ordered, func(a, b string) int { return depth[a] - depth[b] })
	var out [][]string
	var cur []string
	size := 0
	for _, p := range ordered {
		if len(cur) > 0 && (len(cur) >= chunkFiles || size+len(sources[p]) > chunkBytes) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, p)
		size += len(sources[p])
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// compileChunked compiles todo (paths of sources, none in reuse) chunk by
// chunk, each chunk taking the files of reuse and of the chunks before it
// as they are, all sharing one symbol table so that a name defined twice
// is found as in one compilation. It returns every file compiled, by path.
// Any problem is returned as it comes, without diagnostics: the caller
// compiles again in one piece for those.
func compileChunked(ctx context.Context, sources map[string][]byte, reuse map[string]linker.File, todo []string, open *openSources) (map[string]linker.File, error) {
	done := make(map[string]linker.File, len(reuse)+len(todo))
	for p, f := range reuse {
		done[p] = f
	}
	sym := &linker.Symbols{}
	base := protocompile.WithStandardImports(&protocompile.SourceResolver{Accessor: accessor(sources, open)})
	var failed error
	rep := reporter.NewReporter(func(err reporter.ErrorWithPos) error {
		if failed == nil {
			failed = err
		}
		return err
	}, nil)
	for _, chunk := range chunks(sources, todo) {
		compiler := protocompile.Compiler{
			Resolver:       reusing(done, base),
			Symbols:        sym,
			Reporter:       rep,
			SourceInfoMode: protocompile.SourceInfoStandard,
			MaxParallelism: 2,
		}
		files, err := compiler.Compile(ctx, chunk...)
		if err == nil {
			err = failed
		}
		if err != nil {
			return nil, err
		}
		var fresh []linker.File
		for _, f := range files {
			fresh = addRecursive(done, f, fresh)
		}
		for _, f := range fresh {
			dropSourceProtos(f)
		}
	}
	return done, nil
}

// addRecursive records f and the files it imports, but the well-known
// ones, in done, and appends those it had not recorded to fresh.
func addRecursive(done map[string]linker.File, f linker.File, fresh []linker.File) []linker.File {
	if _, ok := done[f.Path()]; ok {
		return fresh
	}
	done[f.Path()] = f
	fresh = append(fresh, f)
	imports := f.Imports()
	for i := range imports.Len() {
		imp := imports.Get(i).FileDescriptor
		if lf, ok := imp.(linker.File); ok && !strings.HasPrefix(imp.Path(), wellKnownPrefix) {
			fresh = addRecursive(done, lf, fresh)
		}
	}
	return fresh
}
