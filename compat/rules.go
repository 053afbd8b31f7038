package compat

import (
	"fmt"
	"slices"

	"github.com/bufbuild/protocompile/protoutil"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	registry "github.com/backbone-registry/backbone"
)

// Compatibility rule IDs. Where a rule means what Buf's rule of the same ID
// means, it carries Buf's ID, so users carry their knowledge over.
const (
	RuleTopicSameKey                        = "TOPIC_SAME_KEY"
	RuleTopicValueNoDelete                  = "TOPIC_VALUE_NO_DELETE"
	RuleMessageNoDelete                     = "MESSAGE_NO_DELETE"
	RuleEnumNoDelete                        = "ENUM_NO_DELETE"
	RuleFileSamePackage                     = "FILE_SAME_PACKAGE"
	RuleFieldNoDelete                       = "FIELD_NO_DELETE"
	RuleFieldNoDeleteUnlessNumberReserved   = "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED"
	RuleFieldNoDeleteUnlessNameReserved     = "FIELD_NO_DELETE_UNLESS_NAME_RESERVED"
	RuleFieldSameType                       = "FIELD_SAME_TYPE"
	RuleFieldWireCompatibleType             = "FIELD_WIRE_COMPATIBLE_TYPE"
	RuleFieldWireJSONCompatibleType         = "FIELD_WIRE_JSON_COMPATIBLE_TYPE"
	RuleFieldWireCompatibleCardinality      = "FIELD_WIRE_COMPATIBLE_CARDINALITY"
	RuleFieldWireJSONCompatibleCardinality  = "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY"
	RuleFieldSameCardinality                = "FIELD_SAME_CARDINALITY"
	RuleFieldSameName                       = "FIELD_SAME_NAME"
	RuleFieldSameJSONName                   = "FIELD_SAME_JSON_NAME"
	RuleFieldSameOneof                      = "FIELD_SAME_ONEOF"
	RuleFieldSameDefault                    = "FIELD_SAME_DEFAULT"
	RuleMessageSameRequiredFields           = "MESSAGE_SAME_REQUIRED_FIELDS"
	RuleMessageSameJSONFormat               = "MESSAGE_SAME_JSON_FORMAT"
	RuleReservedMessageNoDelete             = "RESERVED_MESSAGE_NO_DELETE"
	RuleReservedEnumNoDelete                = "RESERVED_ENUM_NO_DELETE"
	RuleEnumValueNoDelete                   = "ENUM_VALUE_NO_DELETE"
	RuleEnumValueNoDeleteUnlessNumberReserv = "ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED"
	RuleEnumValueNoDeleteUnlessNameReserved = "ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED"
	RuleEnumValueSameName                   = "ENUM_VALUE_SAME_NAME"
	RuleEnumSameType                        = "ENUM_SAME_TYPE"
	RuleEnumSameJSONFormat                  = "ENUM_SAME_JSON_FORMAT"
	RuleClosedEnumNoAddValue                = "CLOSED_ENUM_NO_ADD_VALUE"
	RuleIgnoreWithoutReason                 = "IGNORE_WITHOUT_REASON"
)

var (
	backward = []registry.Direction{registry.DirectionBackward}
	forward  = []registry.Direction{registry.DirectionForward}
	both     = []registry.Direction{registry.DirectionBackward, registry.DirectionForward}
)

// rule is one compatibility rule: its description and its check, a small
// function over the pairs of a diff that reports violations.
type rule struct {
	registry.Rule
	check func(d *diff, r *sink)
}

// violation is one problem a check found, before ignores and modes apply.
type violation struct {
	dirs   []registry.Direction    // the directions it breaks
	where  protoreflect.Descriptor // the element at fault (at gives its position); nil: the topic's declaration
	anchor protoreflect.Descriptor // current-side element whose comments may ignore it
	msg    string
}

type sink struct{ out []violation }

// report records a violation at where: a current-side element, or a
// previous-side one for deletions; nil for the topic itself. Check turns
// where into a position in the user's files (see diff.locate).
func (r *sink) report(dirs []registry.Direction, where, anchor protoreflect.Descriptor, format string, args ...any) {
	r.out = append(r.out, violation{dirs: dirs, where: where, anchor: anchor, msg: fmt.Sprintf(format, args...)})
}

// at is where a current-side element is declared; deletions point at the
// previous file instead. Map entries and their key and value fields have
// no declaration of their own: they point at the map field.
func at(d protoreflect.Descriptor) registry.Position {
	entry, ok := d.(protoreflect.MessageDescriptor)
	if !ok || !entry.IsMapEntry() {
		entry, ok = d.Parent().(protoreflect.MessageDescriptor)
	}
	if ok && entry.IsMapEntry() {
		if owner, ok := entry.Parent().(protoreflect.MessageDescriptor); ok {
			for i := range owner.Fields().Len() {
				if f := owner.Fields().Get(i); f.Message() != nil && f.Message().FullName() == entry.FullName() {
					return Position(f)
				}
			}
		}
	}
	return Position(d)
}

// rules is the rule table, in documentation order.
var rules = []rule{
	{registry.Rule{ID: RuleTopicSameKey, Level: registry.LevelWire, Directions: both,
		Purpose: "A topic keeps its key type.",
		Doc:     "Keys decide partitions: a record's key type change moves an entity's records to other partitions and breaks their order, and key deserializers fail on the other type. Publish a new topic instead.",
		Bad:     "key: string  →  key: int64", Good: "keep key: string; add a new topic keyed by int64 and migrate consumers"},
		checkTopicSameKey},
	{registry.Rule{ID: RuleTopicValueNoDelete, Level: registry.LevelWire, Directions: backward,
		Purpose: "A topic with several value types keeps carrying each of them.",
		Doc:     "Records of a removed value type are still on the topic; a consumer on the new schema cannot decode them.",
		Bad:     "values: [a.v1.Created, a.v1.Deleted]  →  values: [a.v1.Created]", Good: "keep a.v1.Deleted in values until the topic's retention has expired"},
		checkTopicValueNoDelete},
	{registry.Rule{ID: RuleMessageNoDelete, Level: registry.LevelFile, Directions: both,
		Purpose: "Messages the topic references are not deleted or renamed.",
		Doc:     "At FILE level names are part of the contract: generated code refers to messages by name. Renaming or moving a message to another package breaks code that compiles against it, although the wire format is unchanged (which is why WIRE and WIRE_JSON allow it).",
		Bad:     "message OrderLine {…}  →  message Line {…}", Good: "keep OrderLine; add Line as a new message if needed"},
		checkMessageNoDelete},
	{registry.Rule{ID: RuleEnumNoDelete, Level: registry.LevelFile, Directions: both,
		Purpose: "Enums the topic references are not deleted or renamed.",
		Doc:     "At FILE level generated code refers to enums by name.",
		Bad:     "enum Status {…}  →  enum OrderStatus {…}", Good: "keep the enum's name"},
		checkEnumNoDelete},
	{registry.Rule{ID: RuleFileSamePackage, Level: registry.LevelFile, Directions: both,
		Purpose: "Files of the topic's messages keep their package.",
		Doc:     "A package change renames every message in the file, which breaks generated code and type URLs (google.protobuf.Any).",
		Bad:     "package acme.orders.v1;  →  package acme.retail.orders.v1;", Good: "create the new package in a new file and keep the old one"},
		checkFileSamePackage},
	{registry.Rule{ID: RuleFieldNoDelete, Level: registry.LevelFile, Directions: both,
		Purpose: "Fields are not deleted, even when reserved.",
		Doc:     "At FILE level a deleted field breaks code that reads or sets it. Deprecate it ([deprecated = true]) instead.",
		Bad:     "string note = 4;  →  reserved 4;", Good: "string note = 4 [deprecated = true];"},
		checkFieldNoDelete},
	{registry.Rule{ID: RuleFieldNoDeleteUnlessNumberReserved, Level: registry.LevelWire, Directions: both,
		Purpose: "A deleted field's number is reserved.",
		Doc:     "Old data keeps the field's bytes. If a later version reuses the number with another type, readers misread old records; reserving the number makes the compiler refuse the reuse. The hazard is in the future, so it guards both directions even when the change itself is readable.",
		Bad:     "string note = 4;  →  (removed)", Good: "reserved 4; reserved \"note\";"},
		checkFieldNoDeleteUnlessNumberReserved},
	{registry.Rule{ID: RuleFieldNoDeleteUnlessNameReserved, Level: registry.LevelWireJSON, Directions: both,
		Purpose: "A deleted field's name is reserved.",
		Doc:     "JSON payloads carry field names. Reserving the name keeps a later version from reusing it with another meaning, and JSON parsers skip reserved names in old payloads.",
		Bad:     "string note = 4;  →  reserved 4;", Good: "reserved 4; reserved \"note\";"},
		checkFieldNoDeleteUnlessNameReserved},
	{registry.Rule{ID: RuleFieldSameType, Level: registry.LevelFile, Directions: both,
		Purpose: "Fields keep their exact type.",
		Doc:     "At FILE level any type change breaks generated code, even between wire-compatible types (int32 and int64) or between messages of the same shape.",
		Bad:     "int32 quantity = 2;  →  int64 quantity = 2;", Good: "add int64 quantity_v2 = 5; and deprecate the old field"},
		checkFieldSameType},
	{registry.Rule{ID: RuleFieldWireCompatibleType, Level: registry.LevelWire, Directions: both,
		Purpose: "Fields keep a type the reader can decode from the writer's bytes.",
		Doc: "Wire-compatible groups: int32, int64, uint32, uint64, bool and enum (varints; values may truncate, as the Protobuf guide allows); sint32 and sint64; fixed32 and sfixed32; fixed64 and sfixed64. " +
			"Directional: a bytes reader accepts a string or message writer's bytes, but a string reader rejects bytes that are not UTF-8 and a message reader rejects bytes that are not a message; a closed (proto2) enum reader drops numbers it does not know, so an integer writer breaks it. Groups (delimited encoding) and length-prefixed messages never mix.",
		Bad: "string sku = 1;  →  int64 sku = 1;", Good: "int32 quantity = 2;  →  int64 quantity = 2;  (varint group)"},
		checkFieldWireCompatibleType},
	{registry.Rule{ID: RuleFieldWireJSONCompatibleType, Level: registry.LevelWireJSON, Directions: both,
		Purpose: "Fields keep a type whose JSON form the reader parses.",
		Doc: "Among wire-compatible types, JSON keeps only int32/uint32, int64/uint64, fixed32/sfixed32 and fixed64/sfixed64 together: 64-bit integers are JSON strings, bools are true/false, enums are names, bytes are base64. " +
			"Messages with special JSON forms (Timestamp, Duration, wrappers, Struct…) only match themselves. Changes the wire already rejects are reported by FIELD_WIRE_COMPATIBLE_TYPE alone.",
		Bad: "int32 count = 3;  →  int64 count = 3;  (JSON number becomes a string)", Good: "uint32 count = 3;  →  int32 count = 3;  for non-negative values"},
		checkFieldWireJSONCompatibleType},
	{registry.Rule{ID: RuleFieldWireCompatibleCardinality, Level: registry.LevelWire, Directions: both,
		Purpose: "A field read as singular is not written as repeated.",
		Doc:     "A singular reader given a repeated field's elements keeps the last scalar or merges all messages into one: data is lost or corrupted. A repeated reader given a singular field reads a list of one, so singular → repeated breaks only FORWARD (old readers of new data). Maps are repeated entries on the wire.",
		Bad:     "Line line = 3;  →  repeated Line lines = 3;  (FORWARD)", Good: "add repeated Line lines = 4; and keep line = 3 filled"},
		checkFieldWireCompatibleCardinality},
	{registry.Rule{ID: RuleFieldWireJSONCompatibleCardinality, Level: registry.LevelWireJSON, Directions: both,
		Purpose: "Fields keep a JSON shape the reader parses: value, array or object.",
		Doc:     "JSON writes a repeated field as an array and a map as an object, so singular, repeated and map fields never read each other's JSON, even where the binary form is compatible (map ↔ repeated entry messages, singular → repeated).",
		Bad:     "map<string, string> labels = 5;  →  repeated Label labels = 5;", Good: "add the new field under a new number and name"},
		checkFieldWireJSONCompatibleCardinality},
	{registry.Rule{ID: RuleFieldSameCardinality, Level: registry.LevelFile, Directions: both,
		Purpose: "Fields keep their cardinality and presence.",
		Doc:     "Generated code differs between implicit presence, explicit presence (optional), required, repeated and map fields.",
		Bad:     "string note = 4;  →  optional string note = 4;", Good: "keep the label"},
		checkFieldSameCardinality},
	{registry.Rule{ID: RuleFieldSameName, Level: registry.LevelWireJSON, Directions: both,
		Purpose: "Fields keep their name.",
		Doc:     "JSON parsers accept a field's proto name as well as its JSON name, and writers that preserve proto names (protojson UseProtoNames) emit it, so a rename breaks JSON payloads even when json_name is kept; generated accessors are named after the field too.",
		Bad:     "string note = 4;  →  string comment = 4;", Good: "keep the name; fix wording in the comment"},
		checkFieldSameName},
	{registry.Rule{ID: RuleFieldSameJSONName, Level: registry.LevelWireJSON, Directions: both,
		Purpose: "Fields keep their JSON name.",
		Doc:     "JSON payloads carry the JSON name (lowerCamelCase of the name, or json_name). A reader that does not know the other name drops the value.",
		Bad:     "string note = 4;  →  string comment = 4;", Good: "add string comment = 5; deprecate note and keep filling it"},
		checkFieldSameJSONName},
	{registry.Rule{ID: RuleFieldSameOneof, Level: registry.LevelWire, Directions: both,
		Purpose: "Fields do not move into or out of a oneof with fields that already existed.",
		Doc:     "A oneof keeps only the last member set. Moving into a oneof together with fields that existed breaks BACKWARD (old data may set several; the new reader keeps one); moving out of a oneof whose other members remain breaks FORWARD. Moving a single field into a new oneof of its own is safe.",
		Bad:     "string email = 1; string phone = 2;  →  oneof contact { string email = 1; string phone = 2; }", Good: "oneof contact { string email = 1; }  (a new oneof around one existing field)"},
		checkFieldSameOneof},
	{registry.Rule{ID: RuleFieldSameDefault, Level: registry.LevelWire, Directions: both,
		Purpose: "Fields keep their default value.",
		Doc:     "An unset field reads as its default; changing the default changes what every old record means (proto2 and editions explicit defaults).",
		Bad:     "optional int32 priority = 3 [default = 1];  →  [default = 5]", Good: "keep the default; add a new field for a new meaning"},
		checkFieldSameDefault},
	{registry.Rule{ID: RuleMessageSameRequiredFields, Level: registry.LevelWire, Directions: both,
		Purpose: "Messages keep their set of required fields.",
		Doc:     "A reader rejects a message missing one of its required fields. Adding a required field (or making one required) breaks BACKWARD: old data lacks it. Removing one (or making it optional) breaks FORWARD: old readers reject new data without it.",
		Bad:     "(none)  →  required string currency = 5;", Good: "optional string currency = 5;"},
		checkMessageSameRequiredFields},
	{registry.Rule{ID: RuleMessageSameJSONFormat, Level: registry.LevelWireJSON, Directions: both,
		Purpose: "Messages keep their json_format feature.",
		Doc:     "Editions' features.json_format = LEGACY_BEST_EFFORT allows names that do not map to JSON; switching between it and ALLOW changes which JSON is valid.",
		Bad:     "option features.json_format = LEGACY_BEST_EFFORT;  →  (removed)", Good: "keep the feature"},
		checkMessageSameJSONFormat},
	{registry.Rule{ID: RuleReservedMessageNoDelete, Level: registry.LevelWire, Directions: both,
		Purpose: "Reserved numbers and names of messages stay reserved.",
		Doc:     "Reservations protect old data from a reused number or name; lifting one invites exactly the reuse it prevented.",
		Bad:     "reserved 4, 9 to 11;  →  reserved 4;", Good: "keep every reservation"},
		checkReservedMessageNoDelete},
	{registry.Rule{ID: RuleReservedEnumNoDelete, Level: registry.LevelWire, Directions: both,
		Purpose: "Reserved numbers and names of enums stay reserved.",
		Doc:     "As for messages: reservations protect old data from reused values.",
		Bad:     "reserved 3;  →  (removed)", Good: "keep every reservation"},
		checkReservedEnumNoDelete},
	{registry.Rule{ID: RuleEnumValueNoDelete, Level: registry.LevelFile, Directions: both,
		Purpose: "Enum values are not deleted, even when reserved.",
		Doc:     "At FILE level generated code refers to enum values by name.",
		Bad:     "STATUS_HELD = 3;  →  reserved 3;", Good: "STATUS_HELD = 3 [deprecated = true];"},
		checkEnumValueNoDelete},
	{registry.Rule{ID: RuleEnumValueNoDeleteUnlessNumberReserv, Level: registry.LevelWire, Directions: both,
		Purpose: "A deleted enum value's number is reserved.",
		Doc:     "Old data carries the number; a later value reusing it would give old records a new meaning.",
		Bad:     "STATUS_HELD = 3;  →  (removed)", Good: "reserved 3; reserved \"STATUS_HELD\";"},
		checkEnumValueNoDeleteUnlessNumberReserved},
	{registry.Rule{ID: RuleEnumValueNoDeleteUnlessNameReserved, Level: registry.LevelWireJSON, Directions: both,
		Purpose: "A deleted enum value's name is reserved.",
		Doc:     "JSON payloads carry enum value names; reserve the name so it is never reused with another number.",
		Bad:     "STATUS_HELD = 3;  →  reserved 3;", Good: "reserved 3; reserved \"STATUS_HELD\";"},
		checkEnumValueNoDeleteUnlessNameReserved},
	{registry.Rule{ID: RuleEnumValueSameName, Level: registry.LevelWireJSON, Directions: both,
		Purpose: "Enum values keep their names.",
		Doc:     "JSON payloads carry the name: a reader that does not know the other name cannot parse the value.",
		Bad:     "STATUS_HELD = 3;  →  STATUS_ON_HOLD = 3;", Good: "option allow_alias = true; STATUS_HELD = 3; STATUS_ON_HOLD = 3;"},
		checkEnumValueSameName},
	{registry.Rule{ID: RuleEnumSameType, Level: registry.LevelWire, Directions: both,
		Purpose: "Enums stay open or closed.",
		Doc:     "A closed enum (proto2, or editions enum_type = CLOSED) drops numbers it does not know into unknown fields; an open one keeps them. Switching changes what readers see for the same bytes.",
		Bad:     "proto2 enum moved to a proto3 file", Good: "keep the enum's syntax or its enum_type feature"},
		checkEnumSameType},
	{registry.Rule{ID: RuleEnumSameJSONFormat, Level: registry.LevelWireJSON, Directions: both,
		Purpose: "Enums keep their json_format feature.",
		Doc:     "As for messages: the feature decides which JSON is valid.",
		Bad:     "option features.json_format = LEGACY_BEST_EFFORT;  →  (removed)", Good: "keep the feature"},
		checkEnumSameJSONFormat},
	{registry.Rule{ID: RuleClosedEnumNoAddValue, Level: registry.LevelWire, Directions: forward,
		Purpose: "Closed enums gain no values while old readers must read new data.",
		Doc:     "A reader with a closed enum treats a number it does not know as an unknown field: the field reads as unset, and repeated fields lose the element. Open (proto3) enums keep unknown numbers, so adding values to them is compatible. Buf has no such rule; the directional model needs it.",
		Bad:     "proto2: enum Size { SMALL = 1; }  →  enum Size { SMALL = 1; HUGE = 2; }  (FORWARD)", Good: "make the enum open, or upgrade every consumer first (BACKWARD)"},
		checkClosedEnumNoAddValue},
}

// Rules returns the compatibility rule catalogue, in documentation order.
func Rules() []registry.Rule {
	out := make([]registry.Rule, 0, len(rules)+1)
	for _, r := range rules {
		rr := r.Rule
		rr.Category, rr.Default = "compatibility", registry.SeverityError
		out = append(out, rr)
	}
	return append(out, registry.Rule{
		ID: RuleIgnoreWithoutReason, Category: "compatibility", Default: registry.SeverityError,
		Purpose: "Every registry:ignore comment gives a reason.",
		Doc:     "An inline `// registry:ignore RULE_ID reason` silences RULE_ID on the element it documents (and everything inside it). Without a reason nobody can tell later whether the breakage was agreed with the consumers, so the ignore does not count and is reported.",
		Bad:     "// registry:ignore FIELD_SAME_NAME", Good: "// registry:ignore FIELD_SAME_NAME renamed before any consumer shipped (agreed in #orders)",
	})
}

// ----- topic-level checks

func checkTopicSameKey(d *diff, r *sink) {
	p, c := d.prevContract, d.curContract
	describe := func(k Contract) string {
		switch {
		case k.Key != nil:
			return "message " + string(k.Key.FullName())
		case k.KeyScalar != "":
			return k.KeyScalar
		}
		return "none"
	}
	pk, ck := describe(p), describe(c)
	samekind := (p.Key != nil) == (c.Key != nil)
	if pk != ck && !(samekind && p.Key != nil) { // message keys pair through the topic, like values
		r.report(both, nil, nil, "the key was %s and is %s: keys decide partitions and key deserializers; keep %s, or publish a new topic", pk, ck, pk)
	}
}

func checkTopicValueNoDelete(d *diff, r *sink) {
	for _, rd := range d.roots {
		r.report(backward, nil, nil, "the topic no longer carries %s: records of that type are still on the topic; keep it in values until they have expired", rd.prev.FullName())
	}
}

// ----- name-based checks (FILE)

func checkMessageNoDelete(d *diff, r *sink) {
	for _, name := range sortedKeys(d.prevMsgs) {
		if _, ok := d.curMsgs[name]; !ok && !d.defines(name) {
			r.report(both, d.prevMsgs[name], nil, "message %s was deleted or renamed: generated code refers to it by name; keep it", name)
		}
	}
}

func checkEnumNoDelete(d *diff, r *sink) {
	for _, name := range sortedKeys(d.prevEnums) {
		if _, ok := d.curEnums[name]; !ok && !d.defines(name) {
			r.report(both, d.prevEnums[name], nil, "enum %s was deleted or renamed: generated code refers to it by name; keep it", name)
		}
	}
}

func checkFileSamePackage(d *diff, r *sink) {
	seen := map[string]bool{}
	for _, mp := range d.messages {
		// Files compare by path, as in Buf: a field whose type became a
		// message of another file changed type, which other rules report.
		pp, cp := mp.prev.ParentFile().Package(), mp.cur.ParentFile().Package()
		if pp == cp || mp.prev.ParentFile().Path() != mp.cur.ParentFile().Path() || seen[mp.cur.ParentFile().Path()] {
			continue
		}
		seen[mp.cur.ParentFile().Path()] = true
		r.report(both, mp.cur, mp.cur, "%s moved from package %s to %s: the package is part of every generated name; keep package %s", mp.cur.ParentFile().Path(), pp, cp, pp)
	}
}

func checkFieldNoDelete(d *diff, r *sink) {
	for _, fd := range d.deleted {
		r.report(both, fd.prev, fd.msg.cur, "field %d %q of %s was deleted: generated code uses it; mark it [deprecated = true] instead", fd.prev.Number(), fd.prev.Name(), fd.msg.cur.FullName())
	}
}

// ----- deletions (WIRE, WIRE_JSON)

func checkFieldNoDeleteUnlessNumberReserved(d *diff, r *sink) {
	for _, fd := range d.deleted {
		if !fd.msg.cur.ReservedRanges().Has(fd.prev.Number()) {
			r.report(both, fd.prev, fd.msg.cur, "field %d %q of %s was deleted without reserving its number: reserve number %d and name %q",
				fd.prev.Number(), fd.prev.Name(), fd.msg.cur.FullName(), fd.prev.Number(), fd.prev.Name())
		}
	}
}

func checkFieldNoDeleteUnlessNameReserved(d *diff, r *sink) {
	for _, fd := range d.deleted {
		if !fd.msg.cur.ReservedNames().Has(fd.prev.Name()) && fd.msg.cur.Fields().ByName(fd.prev.Name()) == nil {
			r.report(both, fd.prev, fd.msg.cur, "field %d %q of %s was deleted without reserving its name, which JSON payloads carry: add reserved %q;",
				fd.prev.Number(), fd.prev.Name(), fd.msg.cur.FullName(), fd.prev.Name())
		}
	}
}

// ----- field types

func checkFieldSameType(d *diff, r *sink) {
	for _, fp := range d.fields {
		if fp.msg.cur.IsMapEntry() {
			continue // the map field reports its key and value types
		}
		same := typeName(fp.prev) == typeName(fp.cur) && fp.prev.Kind() == fp.cur.Kind()
		if fp.prev.IsMap() && fp.cur.IsMap() {
			// An entry is named after the map's message, which MESSAGE_NO_DELETE
			// judges; the generated map type depends on its key and value only.
			same = kindName(fp.prev) == kindName(fp.cur)
		}
		if !same {
			r.report(both, fp.cur, fp.cur, "field %d %q of %s was %s and is %s: generated code changes type; add a new field instead",
				fp.cur.Number(), fp.cur.Name(), fp.msg.cur.FullName(), kindName(fp.prev), kindName(fp.cur))
		}
	}
}

// wireGroup holds the kinds whose encodings decode as one another.
var wireGroup = map[protoreflect.Kind]int{
	protoreflect.Int32Kind: 1, protoreflect.Int64Kind: 1, protoreflect.Uint32Kind: 1,
	protoreflect.Uint64Kind: 1, protoreflect.BoolKind: 1, protoreflect.EnumKind: 1,
	protoreflect.Sint32Kind: 2, protoreflect.Sint64Kind: 2,
	protoreflect.Fixed32Kind: 3, protoreflect.Sfixed32Kind: 3,
	protoreflect.Fixed64Kind: 4, protoreflect.Sfixed64Kind: 4,
	protoreflect.FloatKind: 5, protoreflect.DoubleKind: 6,
	protoreflect.StringKind: 7, protoreflect.BytesKind: 8, protoreflect.MessageKind: 9, protoreflect.GroupKind: 10,
}

// wireReads reports whether a reader field decodes what a writer field
// encodes, and why not.
func wireReads(writer, reader protoreflect.FieldDescriptor) (bool, string) {
	w, rd := writer.Kind(), reader.Kind()
	switch {
	case rd == protoreflect.EnumKind && reader.Enum().IsClosed() && w != protoreflect.EnumKind:
		return false, "a closed enum reader drops numbers it does not know"
	case wireGroup[w] == wireGroup[rd]:
		return true, ""
	case rd == protoreflect.BytesKind && (w == protoreflect.StringKind || w == protoreflect.MessageKind):
		return true, ""
	case rd == protoreflect.StringKind && w == protoreflect.BytesKind:
		return false, "a string reader rejects bytes that are not UTF-8"
	case rd == protoreflect.MessageKind && w == protoreflect.BytesKind:
		return false, "a message reader rejects bytes that are not an encoded message"
	}
	return false, "the encodings differ"
}

// jsonGroup holds the kinds whose JSON forms parse as one another.
var jsonGroup = map[protoreflect.Kind]int{
	protoreflect.Int32Kind: 1, protoreflect.Uint32Kind: 1,
	protoreflect.Int64Kind: 2, protoreflect.Uint64Kind: 2,
	protoreflect.Fixed32Kind: 3, protoreflect.Sfixed32Kind: 3,
	protoreflect.Fixed64Kind: 4, protoreflect.Sfixed64Kind: 4,
	protoreflect.BoolKind: 5, protoreflect.Sint32Kind: 6, protoreflect.Sint64Kind: 7,
	protoreflect.StringKind: 8, protoreflect.BytesKind: 9, protoreflect.DoubleKind: 10,
	protoreflect.FloatKind: 11, protoreflect.GroupKind: 12, protoreflect.MessageKind: 13, protoreflect.EnumKind: 14,
}

func jsonReads(writer, reader protoreflect.FieldDescriptor) bool {
	if jsonGroup[writer.Kind()] != jsonGroup[reader.Kind()] {
		return false
	}
	if writer.Message() != nil && reader.Message() != nil {
		ws, rs := specialJSON(writer.Message()), specialJSON(reader.Message())
		return (!ws && !rs) || writer.Message().FullName() == reader.Message().FullName()
	}
	return true
}

// specialJSON reports whether a well-known type has its own JSON form.
func specialJSON(md protoreflect.MessageDescriptor) bool {
	return IsWellKnown(md) && md.FullName() != "google.protobuf.Empty"
}

func checkFieldWireCompatibleType(d *diff, r *sink) {
	for _, fp := range d.fields {
		var dirs []registry.Direction
		var why string
		if ok, reason := wireReads(fp.prev, fp.cur); !ok { // new reads old
			dirs, why = append(dirs, registry.DirectionBackward), reason
		}
		if ok, reason := wireReads(fp.cur, fp.prev); !ok { // old reads new
			dirs, why = append(dirs, registry.DirectionForward), reason
		}
		if len(dirs) > 0 {
			r.report(dirs, fp.cur, fp.cur, "field %d %q of %s was %s and is %s, which is not wire-compatible (%s): keep %s, or add a new field",
				fp.cur.Number(), fp.cur.Name(), fp.msg.cur.FullName(), kindName(fp.prev), kindName(fp.cur), why, kindName(fp.prev))
		}
	}
}

func checkFieldWireJSONCompatibleType(d *diff, r *sink) {
	for _, fp := range d.fields {
		var dirs []registry.Direction
		if ok, _ := wireReads(fp.prev, fp.cur); ok && !jsonReads(fp.prev, fp.cur) {
			dirs = append(dirs, registry.DirectionBackward)
		}
		if ok, _ := wireReads(fp.cur, fp.prev); ok && !jsonReads(fp.cur, fp.prev) {
			dirs = append(dirs, registry.DirectionForward)
		}
		if len(dirs) > 0 {
			r.report(dirs, fp.cur, fp.cur, "field %d %q of %s was %s and is %s: the binary form is compatible but the JSON form is not; keep %s, or add a new field",
				fp.cur.Number(), fp.cur.Name(), fp.msg.cur.FullName(), kindName(fp.prev), kindName(fp.cur), kindName(fp.prev))
		}
	}
}

// ----- cardinality and presence

type cardinality int

const (
	cardImplicit cardinality = iota + 1
	cardExplicit
	cardRequired
	cardRepeated
	cardMap
)

func (c cardinality) String() string {
	return [...]string{"", "singular (implicit presence)", "optional", "required", "repeated", "map"}[c]
}

func cardinalityOf(f protoreflect.FieldDescriptor) cardinality {
	switch {
	case f.IsMap():
		return cardMap
	case f.IsList():
		return cardRepeated
	case f.Cardinality() == protoreflect.Required:
		return cardRequired
	case f.HasPresence():
		return cardExplicit
	}
	return cardImplicit
}

func (c cardinality) singular() bool { return c <= cardRequired }

func checkFieldWireCompatibleCardinality(d *diff, r *sink) {
	for _, fp := range d.fields {
		pc, cc := cardinalityOf(fp.prev), cardinalityOf(fp.cur)
		var dirs []registry.Direction
		if !pc.singular() && cc.singular() {
			dirs = backward // new singular reader, old repeated data
		}
		if pc.singular() && !cc.singular() {
			dirs = forward // old singular reader, new repeated data
		}
		if len(dirs) > 0 {
			r.report(dirs, fp.cur, fp.cur, "field %d %q of %s was %s and is %s: a singular reader keeps only the last of repeated values; add a new field instead",
				fp.cur.Number(), fp.cur.Name(), fp.msg.cur.FullName(), pc, cc)
		}
	}
}

func checkFieldWireJSONCompatibleCardinality(d *diff, r *sink) {
	for _, fp := range d.fields {
		pc, cc := cardinalityOf(fp.prev), cardinalityOf(fp.cur)
		jsonShape := func(c cardinality) int { return max(int(c), int(cardRequired)) } // value (implicit, optional, required), array or object
		if jsonShape(pc) == jsonShape(cc) {
			continue
		}
		// Report only what the binary form allows: FIELD_WIRE_COMPATIBLE_CARDINALITY
		// already reports repeated writers meeting singular readers.
		var dirs []registry.Direction
		if pc.singular() || !cc.singular() {
			dirs = append(dirs, registry.DirectionBackward)
		}
		if cc.singular() || !pc.singular() {
			dirs = append(dirs, registry.DirectionForward)
		}
		r.report(dirs, fp.cur, fp.cur, "field %d %q of %s was %s and is %s: their JSON forms (value, array, object) differ; add a new field instead",
			fp.cur.Number(), fp.cur.Name(), fp.msg.cur.FullName(), pc, cc)
	}
}

func checkFieldSameCardinality(d *diff, r *sink) {
	for _, fp := range d.fields {
		if pc, cc := cardinalityOf(fp.prev), cardinalityOf(fp.cur); pc != cc {
			r.report(both, fp.cur, fp.cur, "field %d %q of %s was %s and is %s: generated code changes; keep it %s",
				fp.cur.Number(), fp.cur.Name(), fp.msg.cur.FullName(), pc, cc, pc)
		}
	}
}

// ----- names

func checkFieldSameName(d *diff, r *sink) {
	for _, fp := range d.fields {
		if fp.prev.Name() != fp.cur.Name() {
			r.report(both, fp.cur, fp.cur, "field %d of %s was named %q and is %q: JSON payloads written with proto names and generated accessors use it; keep %q",
				fp.cur.Number(), fp.msg.cur.FullName(), fp.prev.Name(), fp.cur.Name(), fp.prev.Name())
		}
	}
}

func checkFieldSameJSONName(d *diff, r *sink) {
	for _, fp := range d.fields {
		if fp.prev.JSONName() != fp.cur.JSONName() {
			r.report(both, fp.cur, fp.cur, "field %d of %s had JSON name %q and has %q: JSON readers drop values under a name they do not know; keep %q",
				fp.cur.Number(), fp.msg.cur.FullName(), fp.prev.JSONName(), fp.cur.JSONName(), fp.prev.JSONName())
		}
	}
}

// ----- oneofs, defaults, required fields

func realOneof(f protoreflect.FieldDescriptor) protoreflect.OneofDescriptor {
	if o := f.ContainingOneof(); o != nil && !o.IsSynthetic() {
		return o
	}
	return nil
}

func checkFieldSameOneof(d *diff, r *sink) {
	for _, fp := range d.fields {
		po, co := realOneof(fp.prev), realOneof(fp.cur)
		if po != nil && co != nil && po.Name() == co.Name() {
			// Still in its oneof: the members that moved in or out are
			// reported, not every member that stayed.
			continue
		}
		var dirs []registry.Direction
		// Backward: old data may set fields that the new oneof keeps only one of.
		if co != nil && (po == nil || !sameMembers(po, co)) && joinsExisting(co, fp.cur, fp.msg.prev, po) {
			dirs = append(dirs, registry.DirectionBackward)
		}
		// Forward: new data may set fields that the old oneof keeps only one of.
		if po != nil && (co == nil || !sameMembers(po, co)) && joinsExisting(po, fp.prev, fp.msg.cur, co) {
			dirs = append(dirs, registry.DirectionForward)
		}
		if len(dirs) == 0 {
			continue
		}
		r.report(dirs, fp.cur, fp.cur, "field %d %q of %s was %s and is %s: a oneof keeps only the last member set, so values are lost; add a new field instead",
			fp.cur.Number(), fp.cur.Name(), fp.msg.cur.FullName(), oneofName(po), oneofName(co))
	}
}

func oneofName(o protoreflect.OneofDescriptor) string {
	if o == nil {
		return "outside any oneof"
	}
	return "in oneof " + string(o.Name())
}

// joinsExisting reports whether oneof o (holding f) has another member whose
// number exists in other outside the oneof otherSide, i.e. which the other
// version may set together with f.
func joinsExisting(o protoreflect.OneofDescriptor, f protoreflect.FieldDescriptor, other protoreflect.MessageDescriptor, otherSide protoreflect.OneofDescriptor) bool {
	for i := range o.Fields().Len() {
		g := o.Fields().Get(i)
		if g.Number() == f.Number() {
			continue
		}
		og := other.Fields().ByNumber(g.Number())
		if og != nil && (otherSide == nil || realOneof(og) == nil || realOneof(og).FullName() != otherSide.FullName()) {
			return true
		}
	}
	return false
}

// sameMembers reports whether two oneofs hold the same field numbers.
func sameMembers(a, b protoreflect.OneofDescriptor) bool {
	if a.Fields().Len() != b.Fields().Len() {
		return false
	}
	for i := range a.Fields().Len() {
		if b.Fields().ByNumber(a.Fields().Get(i).Number()) == nil {
			return false
		}
	}
	return true
}

func checkFieldSameDefault(d *diff, r *sink) {
	for _, fp := range d.fields {
		if fp.prev.Message() != nil || fp.cur.Message() != nil || fp.prev.IsList() || fp.cur.IsList() {
			continue
		}
		// An enum field without an explicit default defaults to the enum's
		// first value, which is not 0 in a closed enum: reordering its values,
		// or trading it for an integer, changes what unset fields read as.
		anyEnum := fp.prev.Enum() != nil || fp.cur.Enum() != nil
		if effectiveDefault(fp.prev) != effectiveDefault(fp.cur) && (fp.prev.HasDefault() || fp.cur.HasDefault() || anyEnum) {
			pd, cd := defaultString(fp.prev), defaultString(fp.cur)
			r.report(both, fp.cur, fp.cur, "field %d %q of %s defaulted to %s and defaults to %s: unset fields in old records change meaning; keep default %s",
				fp.cur.Number(), fp.cur.Name(), fp.msg.cur.FullName(), pd, cd, pd)
		}
	}
}

// effectiveDefault is what an unset field reads as, in a form that compares
// across types: enums and bools as numbers, bytes as text.
func effectiveDefault(f protoreflect.FieldDescriptor) string {
	v := f.Default()
	switch f.Kind() {
	case protoreflect.EnumKind:
		return fmt.Sprint(int64(v.Enum()))
	case protoreflect.BoolKind:
		if v.Bool() {
			return "1"
		}
		return "0"
	case protoreflect.BytesKind:
		return string(v.Bytes())
	}
	return fmt.Sprint(v.Interface())
}

func defaultString(f protoreflect.FieldDescriptor) string {
	if f.Enum() != nil {
		return fmt.Sprintf("%d", f.Default().Enum()) // the explicit default, or the first value
	}
	return fmt.Sprintf("%q", fmt.Sprint(f.Default().Interface()))
}

func checkMessageSameRequiredFields(d *diff, r *sink) {
	for _, mp := range d.messages {
		fields := mp.cur.Fields()
		for i := range fields.Len() {
			c := fields.Get(i)
			if p := mp.prev.Fields().ByNumber(c.Number()); c.Cardinality() == protoreflect.Required && (p == nil || p.Cardinality() != protoreflect.Required) {
				r.report(backward, c, c, "field %d %q of %s is required and was not: old data without it fails to parse; make it optional",
					c.Number(), c.Name(), mp.cur.FullName())
			}
		}
		fields = mp.prev.Fields()
		for i := range fields.Len() {
			p := fields.Get(i)
			if c := mp.cur.Fields().ByNumber(p.Number()); p.Cardinality() == protoreflect.Required && (c == nil || c.Cardinality() != protoreflect.Required) {
				where, anchor := protoreflect.Descriptor(p), protoreflect.Descriptor(mp.cur)
				if c != nil {
					where, anchor = c, c
				}
				r.report(forward, where, anchor, "field %d %q of %s was required and is not: old readers reject new data without it; keep it required and set",
					p.Number(), p.Name(), mp.cur.FullName())
			}
		}
	}
}

// ----- JSON format features (editions)

var jsonFormatFeature = (*descriptorpb.FeatureSet)(nil).ProtoReflect().Descriptor().Fields().ByName("json_format")

func jsonFormat(d protoreflect.Descriptor) string {
	v, err := protoutil.ResolveFeature(d, jsonFormatFeature)
	if err != nil || !v.IsValid() {
		return ""
	}
	return descriptorpb.FeatureSet_JsonFormat(v.Enum()).String()
}

func checkMessageSameJSONFormat(d *diff, r *sink) {
	for _, mp := range d.messages {
		if pf, cf := jsonFormat(mp.prev), jsonFormat(mp.cur); pf != cf && pf != "" && cf != "" {
			r.report(both, mp.cur, mp.cur, "message %s had json_format %s and has %s: which JSON is valid changes; keep %s", mp.cur.FullName(), pf, cf, pf)
		}
	}
}

func checkEnumSameJSONFormat(d *diff, r *sink) {
	for _, ep := range d.enums {
		if pf, cf := jsonFormat(ep.prev), jsonFormat(ep.cur); pf != cf && pf != "" && cf != "" {
			r.report(both, ep.cur, ep.cur, "enum %s had json_format %s and has %s: which JSON is valid changes; keep %s", ep.cur.FullName(), pf, cf, pf)
		}
	}
}

// ----- reservations

func checkReservedMessageNoDelete(d *diff, r *sink) {
	for _, mp := range d.messages {
		reservedNoDelete(r, mp.cur, msgRanges{mp.prev.ReservedRanges()}, msgRanges{mp.cur.ReservedRanges()}, mp.prev.ReservedNames(), mp.cur.ReservedNames())
	}
}

func checkReservedEnumNoDelete(d *diff, r *sink) {
	for _, ep := range d.enums {
		reservedNoDelete(r, ep.cur, enumRanges{ep.prev.ReservedRanges()}, enumRanges{ep.cur.ReservedRanges()}, ep.prev.ReservedNames(), ep.cur.ReservedNames())
	}
}

// ranges is what message and enum reserved ranges have in common.
type ranges interface {
	Len() int
	bounds(i int) (lo, hi int64) // inclusive
}

type msgRanges struct{ protoreflect.FieldRanges }

func (m msgRanges) bounds(i int) (int64, int64) {
	r := m.Get(i)
	return int64(r[0]), int64(r[1]) - 1 // message ranges are end-exclusive
}

type enumRanges struct{ protoreflect.EnumRanges }

func (e enumRanges) bounds(i int) (int64, int64) {
	r := e.Get(i)
	return int64(r[0]), int64(r[1])
}

func reservedNoDelete(r *sink, cur protoreflect.Descriptor, pr, cr ranges, prevN, curN protoreflect.Names) {
	for i := range pr.Len() {
		lo, hi := pr.bounds(i)
		if n, ok := covered(lo, hi, cr); !ok {
			r.report(both, cur, cur, "%s no longer reserves %s (number %d is free again): reservations protect old data from reuse; restore reserved %s;",
				cur.FullName(), rangeString(lo, hi), n, rangeString(lo, hi))
		}
	}
	for i := range prevN.Len() {
		if n := prevN.Get(i); !curN.Has(n) {
			r.report(both, cur, cur, "%s no longer reserves name %q: restore reserved %q;", cur.FullName(), n, n)
		}
	}
}

// covered reports whether cr reserves every number from lo to hi, and if
// not, the first number it leaves free.
func covered(lo, hi int64, cr ranges) (int64, bool) {
	for n := lo; n <= hi; {
		next := n
		for i := range cr.Len() {
			if clo, chi := cr.bounds(i); clo <= n && n <= chi {
				next = max(next, chi+1)
			}
		}
		if next == n {
			return n, false
		}
		n = next
	}
	return 0, true
}

func rangeString(lo, hi int64) string {
	if lo == hi {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d to %d", lo, hi)
}

// ----- enum values

func checkEnumValueNoDelete(d *diff, r *sink) {
	for _, ep := range d.enums {
		forDeletedValues(ep, func(v protoreflect.EnumValueDescriptor) {
			r.report(both, v, ep.cur, "enum value %s = %d of %s was deleted: generated code uses it; mark it [deprecated = true] instead", v.Name(), v.Number(), ep.cur.FullName())
		})
	}
}

func checkEnumValueNoDeleteUnlessNumberReserved(d *diff, r *sink) {
	for _, ep := range d.enums {
		forDeletedValues(ep, func(v protoreflect.EnumValueDescriptor) {
			if !ep.cur.ReservedRanges().Has(v.Number()) {
				r.report(both, v, ep.cur, "enum value %s = %d of %s was deleted without reserving its number: reserve number %d and name %q", v.Name(), v.Number(), ep.cur.FullName(), v.Number(), v.Name())
			}
		})
	}
}

func checkEnumValueNoDeleteUnlessNameReserved(d *diff, r *sink) {
	for _, ep := range d.enums {
		forDeletedValues(ep, func(v protoreflect.EnumValueDescriptor) {
			if !ep.cur.ReservedNames().Has(v.Name()) && ep.cur.Values().ByName(v.Name()) == nil {
				r.report(both, v, ep.cur, "enum value %s = %d of %s was deleted without reserving its name, which JSON payloads carry: add reserved %q;", v.Name(), v.Number(), ep.cur.FullName(), v.Name())
			}
		})
	}
}

func forDeletedValues(ep enumPair, fn func(protoreflect.EnumValueDescriptor)) {
	vals := ep.prev.Values()
	for i := range vals.Len() {
		if v := vals.Get(i); ep.cur.Values().ByNumber(v.Number()) == nil {
			fn(v)
		}
	}
}

func checkEnumValueSameName(d *diff, r *sink) {
	for _, ep := range d.enums {
		vals := ep.prev.Values()
		for i := range vals.Len() {
			p := vals.Get(i)
			if ep.cur.Values().ByNumber(p.Number()) == nil {
				continue // deleted: the NO_DELETE rules speak
			}
			if c := ep.cur.Values().ByName(p.Name()); c == nil || c.Number() != p.Number() {
				cur := ep.cur.Values().ByNumber(p.Number())
				r.report(both, cur, cur, "enum value %d of %s was named %s and is %s: JSON payloads carry the name; keep %s (add the new name as an alias with allow_alias)",
					p.Number(), ep.cur.FullName(), p.Name(), cur.Name(), p.Name())
			}
		}
	}
}

func checkEnumSameType(d *diff, r *sink) {
	for _, ep := range d.enums {
		if ep.prev.IsClosed() != ep.cur.IsClosed() {
			r.report(both, ep.cur, ep.cur, "enum %s was %s and is %s: readers treat unknown numbers differently; keep it %s",
				ep.cur.FullName(), openness(ep.prev), openness(ep.cur), openness(ep.prev))
		}
	}
}

func openness(e protoreflect.EnumDescriptor) string {
	if e.IsClosed() {
		return "closed"
	}
	return "open"
}

func checkClosedEnumNoAddValue(d *diff, r *sink) {
	for _, ep := range d.enums {
		if !ep.prev.IsClosed() {
			continue
		}
		vals := ep.cur.Values()
		for i := range vals.Len() {
			if v := vals.Get(i); ep.prev.Values().ByNumber(v.Number()) == nil {
				r.report(forward, v, v, "enum value %s = %d was added to closed enum %s: old readers drop numbers they do not know, so the field reads as unset; upgrade consumers first (BACKWARD) or make the enum open",
					v.Name(), v.Number(), ep.cur.FullName())
			}
		}
	}
}

// ----- helpers

func kindName(f protoreflect.FieldDescriptor) string {
	switch {
	case f.IsMap():
		return fmt.Sprintf("map<%s, %s>", kindName(f.MapKey()), kindName(f.MapValue()))
	case f.Kind() == protoreflect.GroupKind:
		return "group " + string(f.Message().FullName())
	case f.Message() != nil:
		return string(f.Message().FullName())
	case f.Enum() != nil:
		return "enum " + string(f.Enum().FullName())
	}
	return f.Kind().String()
}

func sortedKeys[V any](m map[protoreflect.FullName]V) []protoreflect.FullName {
	keys := make([]protoreflect.FullName, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
