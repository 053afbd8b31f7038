package compat

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Fingerprint returns the canonical fingerprint of a contract: a SHA-256
// (hex) over a canonical form of its key, its values and everything they
// reference. The form holds what data and generated code depend on (names,
// numbers, types, cardinality and presence, oneofs, defaults, JSON names,
// reservations, enum openness, options) and leaves out what they do not:
// comments, formatting, declaration order, import order, file names.
// Two contracts with equal fingerprints are one version.
func Fingerprint(c Contract) string {
	h := sha256.New()
	writeCanonical(h, c)
	return hex.EncodeToString(h.Sum(nil))
}

func writeCanonical(w io.Writer, c Contract) {
	switch {
	case c.Key != nil:
		fmt.Fprintf(w, "key message %s\n", c.Key.FullName())
	case c.KeyScalar != "":
		fmt.Fprintf(w, "key %s\n", c.KeyScalar)
	}
	for _, v := range c.Values {
		fmt.Fprintf(w, "value %s\n", v.FullName())
	}
	msgs, enums := Closure(c.roots()...)
	slices.SortFunc(msgs, func(a, b protoreflect.MessageDescriptor) int { return cmpName(a.FullName(), b.FullName()) })
	slices.SortFunc(enums, func(a, b protoreflect.EnumDescriptor) int { return cmpName(a.FullName(), b.FullName()) })
	for _, m := range msgs {
		fmt.Fprintf(w, "message %s json=%s opts=%s\n", m.FullName(), jsonFormat(m), options(m.Options()))
		fields := m.Fields()
		order := make([]protoreflect.FieldDescriptor, fields.Len())
		for i := range order {
			order[i] = fields.Get(i)
		}
		slices.SortFunc(order, func(a, b protoreflect.FieldDescriptor) int { return int(a.Number()) - int(b.Number()) })
		for _, f := range order {
			oneof := ""
			if o := realOneof(f); o != nil {
				oneof = string(o.Name())
			}
			def := ""
			if f.HasDefault() {
				def = defaultString(f)
			}
			fmt.Fprintf(w, " field %d %s json=%s type=%s card=%s packed=%t oneof=%s default=%s opts=%s\n",
				f.Number(), f.Name(), f.JSONName(), kindName(f), cardinalityOf(f), f.IsPacked(), oneof, def, options(f.Options()))
		}
		writeReserved(w, msgRanges{m.ReservedRanges()}, m.ReservedNames())
	}
	for _, e := range enums {
		vals := e.Values()
		order := make([]protoreflect.EnumValueDescriptor, vals.Len())
		for i := range order {
			order[i] = vals.Get(i)
		}
		// A closed enum's first value is the default of fields that declare
		// none, so declaration order matters there, and only there. Written
		// only when it is not the lowest number, which leaves the form of
		// enums declared in ascending order as it was.
		first := ""
		if e.IsClosed() && len(order) > 0 && slices.ContainsFunc(order, func(v protoreflect.EnumValueDescriptor) bool { return v.Number() < order[0].Number() }) {
			first = fmt.Sprintf(" first=%d", order[0].Number())
		}
		fmt.Fprintf(w, "enum %s closed=%t json=%s opts=%s%s\n", e.FullName(), e.IsClosed(), jsonFormat(e), options(e.Options()), first)
		slices.SortFunc(order, func(a, b protoreflect.EnumValueDescriptor) int {
			if a.Number() != b.Number() {
				return int(a.Number()) - int(b.Number())
			}
			return cmpName(a.FullName(), b.FullName())
		})
		for _, v := range order {
			fmt.Fprintf(w, " value %d %s opts=%s\n", v.Number(), v.Name(), options(v.Options()))
		}
		writeReserved(w, enumRanges{e.ReservedRanges()}, e.ReservedNames())
	}
}

func writeReserved(w io.Writer, r ranges, names protoreflect.Names) {
	var rs []string
	for i := range r.Len() {
		lo, hi := r.bounds(i)
		rs = append(rs, rangeString(lo, hi))
	}
	var ns []string
	for i := range names.Len() {
		ns = append(ns, string(names.Get(i)))
	}
	slices.Sort(rs)
	slices.Sort(ns)
	fmt.Fprintf(w, " reserved %q %q\n", rs, ns)
}

// options encodes options deterministically; features are already part of
// the resolved semantics written next to them, but keeping them is harmless.
func options(m proto.Message) string {
	if m == nil {
		return ""
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return "?"
	}
	return hex.EncodeToString(b)
}

func cmpName(a, b protoreflect.FullName) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
