package compat

import (
	"google.golang.org/protobuf/reflect/protoreflect"
	"strings"
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
}

func pair(prev, cur Contract) *diff {
	d := &diff{prevContract: prev, curContract: cur}
	seenMsg := map[[2]protoreflect.FullName]bool{}
	seenEnum := map[[2]protoreflect.FullName]bool{}
	var queue []messagePair
	push := func(p, c protoreflect.MessageDescriptor) {
		key := [2]protoreflect.FullName{p.FullName(), c.FullName()}
		if seenMsg[key] || (p.FullName() == c.FullName() && IsWellKnown(p) && IsWellKnown(c)) {
			return
		}
		seenMsg[key] = true
		queue = append(queue, messagePair{p, c})
	}

	if prev.Key != nil && cur.Key != nil {
		push(prev.Key, cur.Key)
	}
	if len(prev.Values) == 1 && len(cur.Values) == 1 {
		push(prev.Values[0], cur.Values[0]) // one value: it pairs through the topic, renamed or not
	} else {
		for _, p := range prev.Values {
			found := false
			for _, c := range cur.Values {
				if p.FullName() == c.FullName() {
					push(p, c)
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
			d.fields = append(d.fields, fieldPair{mp, p, c})
			switch {
			case p.Message() != nil && c.Message() != nil:
				push(p.Message(), c.Message())
			case p.Enum() != nil && c.Enum() != nil:
				key := [2]protoreflect.FullName{p.Enum().FullName(), c.Enum().FullName()}
				if !seenEnum[key] {
					seenEnum[key] = true
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
