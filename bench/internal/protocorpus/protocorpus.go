// Package protocorpus generates the .proto files of the benchmark corpora
// (bench/compat and bench/lint): one shared common package and, per file,
// a topic's event message with nested types, enums, a oneof, a map,
// references to the common package and to the previous file's event, and a
// message no topic references, changed compatibly or not by a Change.
// Generation is deterministic.
package protocorpus

import (
	"fmt"
	"strings"
)

// CommonProto is common/v1/common.proto, imported by every file.
const CommonProto = `syntax = "proto3";

package acme.common.v1;

// Money is an amount in a currency, in minor units.
message Money {
  string currency = 1;
  int64 units = 2;
  int32 nanos = 3;
}

// Address is a postal address.
message Address {
  repeated string lines = 1;
  string city = 2;
  string postal_code = 3;
  string country = 4;
  GeoPoint point = 5;
}

message GeoPoint {
  double lat = 1;
  double lng = 2;
}

enum Status {
  STATUS_UNSPECIFIED = 0;
  STATUS_ACTIVE = 1;
  STATUS_SUSPENDED = 2;
  STATUS_CLOSED = 3;
}

message Actor {
  string id = 1;
  string display_name = 2;
  Status status = 3;
}
`

// Change is what the current version does to one file.
type Change int

// The changes: none, three compatible ones and three breaking ones.
const (
	Unchanged    Change = iota
	AddField            // compatible: a new field
	AddEnumValue        // compatible: a value in an open enum
	AddMessage          // compatible: a new message nobody references yet
	DeleteField         // breaking: a field deleted without reserving its number
	ChangeType          // breaking: int32 → string
	RenameField         // breaking at WIRE_JSON: the JSON name changes
)

// Compatible reports whether c is one of the compatible changes.
func (c Change) Compatible() bool { return c == AddField || c == AddEnumValue || c == AddMessage }

// Breaking reports whether c is one of the breaking changes.
func (c Change) Breaking() bool { return c == DeleteField || c == ChangeType || c == RenameField }

// Of spreads about 2% compatible changes and 5 breaking ones over total
// files, deterministically: the change of file i.
func Of(i, total int) Change {
	switch {
	case i == total/7 || i == total/3 || i == total/2:
		return [...]Change{DeleteField, ChangeType, RenameField}[i%3]
	case i == 2*total/3:
		return ChangeType
	case i == 5*total/6:
		return DeleteField
	case i%50 == 17:
		return [...]Change{AddField, AddEnumValue, AddMessage}[(i/50)%3]
	}
	return Unchanged
}

// File names one generated file: its package, the directory it and the
// service's other files live in (for the import of the previous file), its
// go_package option and the topic it documents.
type File struct {
	Package   string // e.g. acme.svc001.v1
	Dir       string // e.g. svc001/v1
	GoPackage string // e.g. example.com/acme/svc001/v1;svcv1
	Topic     string // e.g. acme.svc001.events2
}

// Proto is file number f of a service, with change c applied.
func Proto(p File, f int, c Change) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w(`syntax = "proto3";`)
	w("")
	w("package %s;", p.Package)
	w("")
	w(`import "common/v1/common.proto";`)
	if f > 0 {
		w(`import "%s/events%d.proto";`, p.Dir, f-1)
	}
	w("")
	w(`option go_package = "%s";`, p.GoPackage)
	w("")
	w("// Event%d is published on %s.", f, p.Topic)
	w("message Event%d {", f)
	w("  string id = 1;")
	w("  int64 occurred_at_ms = 2;")
	w("  acme.common.v1.Actor actor = 3;")
	w("  State%d state = 4;", f)
	w("  repeated Line lines = 5;")
	w("  acme.common.v1.Money total = 6;")
	w("  acme.common.v1.Address ship_to = 7;")
	w("  map<string, string> labels = 8;")
	w("  oneof origin {")
	w("    string user_id = 9;")
	w("    string system = 10;")
	w("  }")
	if f > 0 {
		w("  Event%d cause = 11;", f-1)
	}
	switch c {
	case RenameField:
		w("  optional string remark = 12;")
	default:
		w("  optional string note = 12;")
	}
	w("  repeated int64 refs = 13;")
	if c != DeleteField {
		w("  bytes payload = 14;")
	}
	w("  Audit audit = 15;")
	if c == AddField {
		w("  string correlation_id = 16;")
	}
	w("  reserved 20 to 25;")
	w(`  reserved "legacy";`)
	w("")
	w("  message Line {")
	w("    string sku = 1;")
	if c == ChangeType {
		w("    string quantity = 2;")
	} else {
		w("    int32 quantity = 2;")
	}
	w("    acme.common.v1.Money price = 3;")
	w("    Kind kind = 4;")
	w("    repeated Discount discounts = 5;")
	w("")
	w("    enum Kind {")
	w("      KIND_UNSPECIFIED = 0;")
	w("      KIND_PHYSICAL = 1;")
	w("      KIND_DIGITAL = 2;")
	w("    }")
	w("")
	w("    message Discount {")
	w("      string code = 1;")
	w("      acme.common.v1.Money amount = 2;")
	w("    }")
	w("  }")
	w("")
	w("  message Audit {")
	w("    string created_by = 1;")
	w("    int64 created_at_ms = 2;")
	w("    repeated string trail = 3;")
	w("  }")
	w("}")
	w("")
	w("enum State%d {", f)
	w("  STATE%d_UNSPECIFIED = 0;", f)
	w("  STATE%d_OPEN = 1;", f)
	w("  STATE%d_CONFIRMED = 2;", f)
	w("  STATE%d_CANCELLED = 3;", f)
	if c == AddEnumValue {
		w("  STATE%d_REFUNDED = 4;", f)
	}
	w("}")
	w("")
	w("// Internal%d is used by the service only; no topic carries it.", f)
	w("message Internal%d {", f)
	w("  string key = 1;")
	w("  bytes value = 2;")
	w("  int64 version = 3;")
	w("}")
	if c == AddMessage {
		w("")
		w("message Snapshot%d {", f)
		w("  Event%d event = 1;", f)
		w("  int64 taken_at_ms = 2;")
		w("}")
	}
	return b.String()
}
