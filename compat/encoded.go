package compat

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/linker"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// EncodeFile serializes a compiled file as a FileDescriptorProto with its
// source info (comments and positions), which DecodeFiles reads back
// instead of compiling the file again.
func EncodeFile(f protoreflect.FileDescriptor) ([]byte, error) {
	var fdp *descriptorpb.FileDescriptorProto
	if r, ok := f.(linker.Result); ok {
		fdp = r.FileDescriptorProto()
	} else {
		fdp = protodesc.ToFileDescriptorProto(f)
	}
	opts := proto.MarshalOptions{Deterministic: true}
	b, err := opts.Marshal(fdp)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", f.Path(), err)
	}
	if fdp.SourceCodeInfo == nil && f.SourceLocations().Len() > 0 {
		// A file this package compiled keeps its source info only as
		// f.SourceLocations() (dropSourceProtos): encode it from there,
		// as field 9 (FileDescriptorProto.source_code_info) appended.
		sb, err := opts.Marshal(sourceCodeInfo(f.SourceLocations()))
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", f.Path(), err)
		}
		b = protowire.AppendTag(b, 9, protowire.BytesType)
		b = protowire.AppendBytes(b, sb)
	}
	return b, nil
}

// sourceCodeInfo is the SourceCodeInfo that locs were built from.
func sourceCodeInfo(locs protoreflect.SourceLocations) *descriptorpb.SourceCodeInfo {
	out := &descriptorpb.SourceCodeInfo{Location: make([]*descriptorpb.SourceCodeInfo_Location, locs.Len())}
	for i := range locs.Len() {
		l := locs.Get(i)
		span := []int32{int32(l.StartLine), int32(l.StartColumn), int32(l.EndLine), int32(l.EndColumn)}
		if l.StartLine == l.EndLine {
			span = []int32{int32(l.StartLine), int32(l.StartColumn), int32(l.EndColumn)}
		}
		loc := &descriptorpb.SourceCodeInfo_Location{Path: l.Path, Span: span, LeadingDetachedComments: l.LeadingDetachedComments}
		if l.LeadingComments != "" {
			loc.LeadingComments = proto.String(l.LeadingComments)
		}
		if l.TrailingComments != "" {
			loc.TrailingComments = proto.String(l.TrailingComments)
		}
		out.Location[i] = loc
	}
	return out
}

// dropSourceProtos drops the FileDescriptorProto copy of the source info
// of a file just compiled: protocompile keeps it twice, as that proto and
// as the file's SourceLocations, which is what every reader here uses
// (EncodeFile rebuilds the proto from it). On googleapis the proto copy
// is about a fifth of the compiled tree's memory. Only files no one else
// holds yet may be changed.
func dropSourceProtos(f linker.File) {
	if r, ok := f.(linker.Result); ok && f.SourceLocations().Len() > 0 {
		r.FileDescriptorProto().SourceCodeInfo = nil
	}
}

// DecodeFiles builds the schema of sources from their .proto files as
// EncodeFile serialized them (path → descriptor), without parsing or
// linking the sources: a restart reads back what a sync compiled. The
// caller vouches that each descriptor was compiled from the content
// sources has, its imports' included. It fails, and the caller compiles
// sources instead, when a .proto file of sources has no descriptor or the
// descriptors do not build a consistent set of files.
func DecodeFiles(ctx context.Context, sources map[string][]byte, encoded map[string][]byte) (*Schema, error) {
	paths := make([]string, 0, len(sources))
	for p := range sources {
		if path.Ext(p) == ".proto" {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	d := &decoder{
		encoded: encoded,
		reg:     new(protoregistry.Files),
		built:   make(map[string]linker.File, len(paths)),
		std:     protocompile.WithStandardImports(&protocompile.SourceResolver{Accessor: accessor(nil, nil)}),
	}
	s := &Schema{
		files:  make(linker.Files, 0, len(paths)),
		byPath: make(map[string]linker.File, len(paths)),
		byName: map[protoreflect.FullName]protoreflect.Descriptor{},
	}
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if strings.HasPrefix(p, wellKnownPrefix) {
			return nil, fmt.Errorf("decode %s: reserved for the well-known types", p)
		}
		f, err := d.build(p, 0)
		if err != nil {
			return nil, err
		}
		s.files = append(s.files, f)
		s.byPath[p] = f
		s.index(f.Messages(), f.Enums())
	}
	return s, nil
}

type decoder struct {
	encoded map[string][]byte
	reg     *protoregistry.Files
	built   map[string]linker.File
	std     protocompile.Resolver
}

// build returns the file at p, building its imports first.
func (d *decoder) build(p string, depth int) (linker.File, error) {
	if f, ok := d.built[p]; ok {
		if f == nil {
			return nil, fmt.Errorf("decode %s: import cycle", p)
		}
		return f, nil
	}
	if depth > 1000 {
		return nil, fmt.Errorf("decode %s: imports nested too deep", p)
	}
	d.built[p] = nil // building: an import cycle finds nil
	var fd protoreflect.FileDescriptor
	var deps linker.Files
	if strings.HasPrefix(p, wellKnownPrefix) {
		r, err := d.std.FindFileByPath(p)
		if err != nil {
			return nil, fmt.Errorf("decode %s: %w", p, err)
		}
		if fd = r.Desc; fd == nil {
			return nil, fmt.Errorf("decode %s: not a built-in file", p)
		}
		f, err := linker.NewFileRecursive(fd)
		if err != nil {
			return nil, fmt.Errorf("decode %s: %w", p, err)
		}
		return d.register(p, f)
	}
	b, ok := d.encoded[p]
	if !ok {
		return nil, fmt.Errorf("decode %s: no compiled file", p)
	}
	fdp := new(descriptorpb.FileDescriptorProto)
	if err := proto.Unmarshal(b, fdp); err != nil {
		return nil, fmt.Errorf("decode %s: %w", p, err)
	}
	if fdp.GetName() != p {
		return nil, fmt.Errorf("decode %s: the compiled file is %s", p, fdp.GetName())
	}
	for _, dep := range fdp.GetDependency() {
		f, err := d.build(dep, depth+1)
		if err != nil {
			return nil, err
		}
		deps = append(deps, f)
	}
	// The registry holds the files built, so the new file's imports are
	// those very files, as in a compilation.
	fd, err := protodesc.NewFile(fdp, d.reg)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", p, err)
	}
	f, err := linker.NewFile(fd, deps)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", p, err)
	}
	return d.register(p, f)
}

func (d *decoder) register(p string, f linker.File) (linker.File, error) {
	if err := d.reg.RegisterFile(f); err != nil {
		return nil, fmt.Errorf("decode %s: %w", p, err)
	}
	d.built[p] = f
	return f, nil
}
