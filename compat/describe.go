package compat

import (
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	registry "github.com/backbone-registry/backbone"
)

// Doc returns the documentation of a declaration: its leading comment, or
// failing that its trailing comment, trimmed of comment markers' spacing.
func Doc(d protoreflect.Descriptor) string {
	loc := d.ParentFile().SourceLocations().ByDescriptor(d)
	text := loc.LeadingComments
	if strings.TrimSpace(text) == "" {
		text = loc.TrailingComments
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(strings.TrimPrefix(l, " "))
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// Position returns where d is declared: its file, line and column (1-based).
func Position(d protoreflect.Descriptor) registry.Position {
	loc := d.ParentFile().SourceLocations().ByDescriptor(d)
	return registry.Position{File: d.ParentFile().Path(), Line: loc.StartLine + 1, Column: loc.StartColumn + 1}
}

// DescribeMessage turns a message descriptor into the catalog's documented form.
func DescribeMessage(md protoreflect.MessageDescriptor) registry.Message {
	m := registry.Message{
		Name:       string(md.FullName()),
		File:       md.ParentFile().Path(),
		Line:       Position(md).Line,
		Doc:        Doc(md),
		Deprecated: isDeprecated(md.Options()),
		Fields:     make([]registry.Field, 0, md.Fields().Len()),
	}
	for i := range md.Fields().Len() {
		m.Fields = append(m.Fields, describeField(md.Fields().Get(i)))
	}
	for i := range md.Oneofs().Len() {
		o := md.Oneofs().Get(i)
		if o.IsSynthetic() {
			continue
		}
		one := registry.Oneof{Name: string(o.Name()), Doc: Doc(o)}
		for j := range o.Fields().Len() {
			one.Fields = append(one.Fields, string(o.Fields().Get(j).Name()))
		}
		m.Oneofs = append(m.Oneofs, one)
	}
	return m
}

func describeField(fd protoreflect.FieldDescriptor) registry.Field {
	f := registry.Field{
		Name:       string(fd.Name()),
		JSONName:   fd.JSONName(),
		Number:     int32(fd.Number()),
		Type:       typeName(fd),
		Kind:       fieldKind(fd),
		Doc:        Doc(fd),
		Deprecated: isDeprecated(fd.Options()),
	}
	switch {
	case fd.IsMap():
		f.MapKey, f.MapValue = typeName(fd.MapKey()), typeName(fd.MapValue())
		f.Type = "map<" + f.MapKey + ", " + f.MapValue + ">"
	case fd.Cardinality() == protoreflect.Repeated:
		f.Label = "repeated"
	case fd.Cardinality() == protoreflect.Required:
		f.Label = "required"
	case fd.HasPresence() && fd.Message() == nil && fd.ContainingOneof() == nil || fd.HasOptionalKeyword():
		f.Label = "optional"
	}
	if o := fd.ContainingOneof(); o != nil && !o.IsSynthetic() {
		f.Oneof = string(o.Name())
	}
	return f
}

func fieldKind(fd protoreflect.FieldDescriptor) string {
	switch {
	case fd.IsMap():
		return "map"
	case fd.Message() != nil:
		return "message"
	case fd.Enum() != nil:
		return "enum"
	}
	return "scalar"
}

func typeName(fd protoreflect.FieldDescriptor) string {
	switch {
	case fd.Message() != nil:
		return string(fd.Message().FullName())
	case fd.Enum() != nil:
		return string(fd.Enum().FullName())
	}
	return fd.Kind().String()
}

// DescribeEnum turns an enum descriptor into the catalog's documented form.
func DescribeEnum(ed protoreflect.EnumDescriptor) registry.Enum {
	e := registry.Enum{
		Name:   string(ed.FullName()),
		File:   ed.ParentFile().Path(),
		Line:   Position(ed).Line,
		Doc:    Doc(ed),
		Closed: ed.IsClosed(),
		Values: make([]registry.EnumValue, 0, ed.Values().Len()),
	}
	for i := range ed.Values().Len() {
		v := ed.Values().Get(i)
		e.Values = append(e.Values, registry.EnumValue{
			Name:       string(v.Name()),
			Number:     int32(v.Number()),
			Doc:        Doc(v),
			Deprecated: isDeprecated(v.Options()),
		})
	}
	return e
}

func isDeprecated(opts protoreflect.ProtoMessage) bool {
	type deprecatable interface{ GetDeprecated() bool }
	d, ok := opts.(deprecatable)
	return ok && d.GetDeprecated()
}

// Closure returns the messages and enums reachable from roots through their
// fields, roots first, then in the order they are met. Map entry messages
// are walked but not returned; well-known google.protobuf types are neither
// walked nor returned, since every reader knows them.
func Closure(roots ...protoreflect.MessageDescriptor) ([]protoreflect.MessageDescriptor, []protoreflect.EnumDescriptor) {
	var msgs []protoreflect.MessageDescriptor
	var enums []protoreflect.EnumDescriptor
	seen := map[protoreflect.FullName]bool{}
	visit := func(md protoreflect.MessageDescriptor) bool {
		if seen[md.FullName()] || IsWellKnown(md) {
			return false
		}
		seen[md.FullName()] = true
		if !md.IsMapEntry() {
			msgs = append(msgs, md)
		}
		return true
	}
	var walk func(md protoreflect.MessageDescriptor)
	walk = func(md protoreflect.MessageDescriptor) {
		for i := range md.Fields().Len() {
			fd := md.Fields().Get(i)
			if ed := fd.Enum(); ed != nil && !seen[ed.FullName()] && !IsWellKnown(ed) {
				seen[ed.FullName()] = true
				enums = append(enums, ed)
			}
			if sub := fd.Message(); sub != nil && visit(sub) {
				walk(sub)
			}
		}
	}
	// Every root before anything a root references, even when one root
	// references another (a key message used inside the value).
	var walked []protoreflect.MessageDescriptor
	for _, r := range roots {
		if visit(r) {
			walked = append(walked, r)
		}
	}
	for _, r := range walked {
		walk(r)
	}
	return msgs, enums
}

// IsWellKnown reports whether d comes from the google/protobuf well-known types.
func IsWellKnown(d protoreflect.Descriptor) bool {
	return strings.HasPrefix(d.ParentFile().Path(), wellKnownPrefix)
}
