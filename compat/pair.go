package compat

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	registry "github.com/backbone-registry/backbone"
)

// Contract is one version of a topic's schema: the messages it carries.
// Everything they reference, transitively, is in scope; nothing else is.
type Contract struct {
	Label     string                           // how findings name this version, e.g. "version 3"
	KeyScalar string                           // a scalar key type ("string"), or ""
	Key       protoreflect.MessageDescriptor   // a message key, or nil
	Values    []protoreflect.MessageDescriptor // the value messages
}

// The pairing adapter walks two versions of a contract the way a reader
// meets a writer's bytes: the root messages pair through the topic, then
// fields pair by number and the messages and enums they reach pair through
// those fields, whatever their names. Rules only ever see pairs; none does
// its own matching.

type messagePair struct {
	prev, cur protoreflect.MessageDescriptor
	// via is the nearest field of the user's files through which the pair
	// is reached (nil for a root): where a finding inside a read-only
	// import (a well-known type) is reported.
	via *fieldPair
}

type fieldPair struct {
	msg       messagePair
	prev, cur protoreflect.FieldDescriptor
}

// fieldDelete is a field of prev.msg whose number cur.msg lacks.
type fieldDelete struct {
	msg  messagePair
	prev protoreflect.FieldDescriptor
}

// fieldAdd is a field of cur.msg whose number prev.msg lacks.
type fieldAdd struct {
	msg messagePair
	cur protoreflect.FieldDescriptor
}

type enumPair struct {
	prev, cur protoreflect.EnumDescriptor
}

// rootDelete is a value message the topic carried and no longer does.
type rootDelete struct {
	prev protoreflect.MessageDescriptor
}

// diff is everything that pairs between two versions of a contract.
type diff struct {
	prevContract, curContract Contract

	messages []messagePair
	fields   []fieldPair
	deleted  []fieldDelete
	added    []fieldAdd
	enums    []enumPair
	roots    []rootDelete
	// closures by name, for the FILE level's name-based rules
	prevMsgs, curMsgs   map[protoreflect.FullName]protoreflect.MessageDescriptor
	prevEnums, curEnums map[protoreflect.FullName]protoreflect.EnumDescriptor
	// reach maps the messages and enums of read-only imports that pair,
	// on either side, to the nearest user field reaching them.
	reach map[protoreflect.FullName]*fieldPair
}

func pair(prev, cur Contract) *diff {
	d := &diff{prevContract: prev, curContract: cur}
	seenMsg := map[[2]protoreflect.FullName]bool{}
	seenEnum := map[[2]protoreflect.FullName]bool{}
	d.reach = map[protoreflect.FullName]*fieldPair{}
	// reached records the user field through which read-only types are
	// first reached: the walk is breadth-first, so the first is the nearest.
	reached := func(via *fieldPair, ds ...protoreflect.Descriptor) {
		if via == nil {
			return
		}
		for _, x := range ds {
			if _, ok := d.reach[x.FullName()]; !ok && readOnly(x) {
				d.reach[x.FullName()] = via
			}
		}
	}
	var queue []messagePair
	push := func(p, c protoreflect.MessageDescriptor, via *fieldPair) {
		key := [2]protoreflect.FullName{p.FullName(), c.FullName()}
		if seenMsg[key] || (p.FullName() == c.FullName() && IsWellKnown(p) && IsWellKnown(c)) {
			return
		}
		seenMsg[key] = true
		reached(via, p, c)
		queue = append(queue, messagePair{p, c, via})
	}

	if prev.Key != nil && cur.Key != nil {
		push(prev.Key, cur.Key, nil)
	}
	if len(prev.Values) == 1 && len(cur.Values) == 1 {
		push(prev.Values[0], cur.Values[0], nil) // one value: it pairs through the topic, renamed or not
	} else {
		for _, p := range prev.Values {
			found := false
			for _, c := range cur.Values {
				if p.FullName() == c.FullName() {
					push(p, c, nil)
					found = true
				}
			}
			if !found {
				d.roots = append(d.roots, rootDelete{p})
			}
		}
	}

	for len(queue) > 0 {
		mp := queue[0]
		queue = queue[1:]
		d.messages = append(d.messages, mp)
		pf, cf := mp.prev.Fields(), mp.cur.Fields()
		for i := range pf.Len() {
			p := pf.Get(i)
			c := cf.ByNumber(p.Number())
			if c == nil {
				d.deleted = append(d.deleted, fieldDelete{mp, p})
				continue
			}
			fp := fieldPair{mp, p, c}
			d.fields = append(d.fields, fp)
			via := mp.via
			if !readOnly(c) {
				via = &fp
			}
			switch {
			case p.Message() != nil && c.Message() != nil:
				push(p.Message(), c.Message(), via)
			case p.Enum() != nil && c.Enum() != nil:
				key := [2]protoreflect.FullName{p.Enum().FullName(), c.Enum().FullName()}
				if !seenEnum[key] {
					seenEnum[key] = true
					reached(via, p.Enum(), c.Enum())
					d.enums = append(d.enums, enumPair{p.Enum(), c.Enum()})
				}
			}
		}
		for i := range cf.Len() {
			if c := cf.Get(i); pf.ByNumber(c.Number()) == nil {
				d.added = append(d.added, fieldAdd{mp, c})
			}
		}
	}

	d.prevMsgs, d.prevEnums = closureByName(prev)
	d.curMsgs, d.curEnums = closureByName(cur)
	return d
}

// readOnly reports whether a descriptor is declared in a file the user
// cannot edit: a well-known type built into the compiler. Every other file
// of a schema comes from the repository's tree, as imports resolve from
// the tree only.
func readOnly(x protoreflect.Descriptor) bool { return IsWellKnown(x) }

// locate is where a violation of the element x is reported, and what its
// message says first. An element of the user's files is reported where it
// is declared (at). An element of a read-only import is reported at the
// nearest user field whose type reaches it, and the prefix says what
// changed behind that field, in which import; with no such field (a root
// message that is itself a well-known type) the zero position stands for
// the topic's declaration.
func (d *diff) locate(x protoreflect.Descriptor) (registry.Position, protoreflect.FieldDescriptor, string) {
	if x == nil {
		return registry.Position{}, nil, ""
	}
	if !readOnly(x) {
		return at(x), nil, ""
	}
	var via *fieldPair
	for p := x; p != nil; p = p.Parent() {
		if _, isFile := p.(protoreflect.FileDescriptor); isFile {
			break
		}
		if v, ok := d.reach[p.FullName()]; ok {
			via = v
			break
		}
	}
	if via == nil {
		return registry.Position{}, nil, "in " + x.ParentFile().Path() + ", which is built in and cannot be edited: "
	}
	typ := kindName(via.cur)
	if pt := kindName(via.prev); pt != typ {
		typ = "was " + pt + ", is " + typ
	}
	prefix := fmt.Sprintf("field %d %q of %s (%s), inside %s (a well-known import you cannot edit): ",
		via.cur.Number(), via.cur.Name(), via.msg.cur.FullName(), typ, x.ParentFile().Path())
	return at(via.cur), via.cur, prefix
}

func (c Contract) roots() []protoreflect.MessageDescriptor {
	roots := append([]protoreflect.MessageDescriptor(nil), c.Values...)
	if c.Key != nil {
		roots = append(roots, c.Key)
	}
	return roots
}

func closureByName(c Contract) (map[protoreflect.FullName]protoreflect.MessageDescriptor, map[protoreflect.FullName]protoreflect.EnumDescriptor) {
	msgs, enums := Closure(c.roots()...)
	m := make(map[protoreflect.FullName]protoreflect.MessageDescriptor, len(msgs))
	for _, md := range msgs {
		m[md.FullName()] = md
	}
	e := make(map[protoreflect.FullName]protoreflect.EnumDescriptor, len(enums))
	for _, ed := range enums {
		e[ed.FullName()] = ed
	}
	return m, e
}

// defines reports whether the current version's files (those of its root
// messages and everything they import) still declare a message or enum of
// that name: a type the contract no longer references, but which still
// exists, keeps its generated code, so it is not deleted.
func (d *diff) defines(name protoreflect.FullName) bool {
	seen := map[string]bool{}
	var visit func(fd protoreflect.FileDescriptor) bool
	visit = func(fd protoreflect.FileDescriptor) bool {
		if fd == nil || seen[fd.Path()] {
			return false
		}
		seen[fd.Path()] = true
		if declares(fd.Messages(), fd.Enums(), name) {
			return true
		}
		imports := fd.Imports()
		for i := range imports.Len() {
			if visit(imports.Get(i).FileDescriptor) {
				return true
			}
		}
		return false
	}
	roots := d.curContract.Values
	if d.curContract.Key != nil {
		roots = append([]protoreflect.MessageDescriptor{d.curContract.Key}, roots...)
	}
	for _, md := range roots {
		if md != nil && visit(md.ParentFile()) {
			return true
		}
	}
	return false
}

// declares reports whether msgs, enums or the messages and enums nested in
// msgs include one named name.
func declares(msgs protoreflect.MessageDescriptors, enums protoreflect.EnumDescriptors, name protoreflect.FullName) bool {
	if enums.Len() > 0 && enums.Get(0).FullName().Parent() == name.Parent() && enums.ByName(name.Name()) != nil {
		return true
	}
	for i := range msgs.Len() {
		md := msgs.Get(i)
		if md.FullName() == name {
			return true
		}
		if strings.HasPrefix(string(name), string(md.FullName())+".") && declares(md.Messages(), md.Enums(), name) {
			return true
		}
	}
	return false
}
