package registry

import "time"

// Service is one service of the estate, declared by
// <namespace>/<service>/service.yaml. Its name is
// <company>.<namespace>.<service>.
type Service struct {
	Name        string   `json:"name"`
	Namespace   string   `json:"namespace"`
	Description string   `json:"description"`
	Owner       string   `json:"owner"`   // the owning team
	Contact     string   `json:"contact"` // e.g. a chat channel
	File        string   `json:"file"`    // service.yaml, relative to the schema root
	Owns        []string `json:"owns"`    // topics it declares, sorted
	Produces    []string `json:"produces"`
	Consumes    []string `json:"consumes"`
}

// Topic is one topic of the estate with its contract.
type Topic struct {
	Name          string        `json:"name"` // full name, e.g. acme.retail.orders.events
	Namespace     string        `json:"namespace"`
	Service       string        `json:"service"` // the owning service's full name
	Kind          Kind          `json:"kind"`
	Description   string        `json:"description"`
	Owner         string        `json:"owner"` // the owning team
	Compatibility Compatibility `json:"compatibility"`
	Level         Level         `json:"level"`
	Key           *MessageRef   `json:"key,omitempty"`
	Values        []MessageRef  `json:"values"`
	Producers     []string      `json:"producers"` // service names, sorted
	Consumers     []string      `json:"consumers"` // service names, sorted
	Deprecated    *Deprecation  `json:"deprecated,omitempty"`
	Except        []string      `json:"except,omitempty"` // compatibility rules this topic opts out of
	Position      Position      `json:"position"`         // where service.yaml declares it
}

// MessageRef names the type carried as a topic's key or value: a
// fully-qualified Protobuf message, or a scalar type for keys.
type MessageRef struct {
	Name   string `json:"name"`
	Scalar bool   `json:"scalar,omitempty"`
	File   string `json:"file,omitempty"` // the .proto file defining it; empty for scalars
}

// Deprecation marks a topic being retired in favour of another.
type Deprecation struct {
	Since      time.Time `json:"since,omitzero"`
	Sunset     time.Time `json:"sunset,omitzero"`
	ReplacedBy string    `json:"replaced_by,omitempty"`
}

// Message is a Protobuf message as the catalog documents it.
type Message struct {
	Name       string  `json:"name"` // fully qualified
	File       string  `json:"file"`
	Line       int     `json:"line"`
	Doc        string  `json:"doc"`
	Deprecated bool    `json:"deprecated,omitempty"`
	Fields     []Field `json:"fields"`
	Oneofs     []Oneof `json:"oneofs,omitempty"`
}

// Field is one field of a Message.
type Field struct {
	Name       string `json:"name"`
	JSONName   string `json:"json_name"`
	Number     int32  `json:"number"`
	Type       string `json:"type"`                // scalar name, or the message/enum full name
	Kind       string `json:"kind"`                // "scalar", "message", "enum" or "map"
	Label      string `json:"label"`               // "optional", "required", "repeated" or "" (implicit presence)
	Oneof      string `json:"oneof,omitempty"`     // the real oneof it belongs to
	MapKey     string `json:"map_key,omitempty"`   // for maps: the key type
	MapValue   string `json:"map_value,omitempty"` // for maps: the value type
	Doc        string `json:"doc"`
	Deprecated bool   `json:"deprecated,omitempty"`
}

// Oneof is a group of fields of which at most one is set.
type Oneof struct {
	Name   string   `json:"name"`
	Doc    string   `json:"doc"`
	Fields []string `json:"fields"`
}

// Enum is a Protobuf enum as the catalog documents it.
type Enum struct {
	Name   string      `json:"name"`
	File   string      `json:"file"`
	Line   int         `json:"line"`
	Doc    string      `json:"doc"`
	Closed bool        `json:"closed,omitempty"` // proto2 semantics: unknown values are not kept in the field
	Values []EnumValue `json:"values"`
}

// EnumValue is one value of an Enum.
type EnumValue struct {
	Name       string `json:"name"`
	Number     int32  `json:"number"`
	Doc        string `json:"doc"`
	Deprecated bool   `json:"deprecated,omitempty"`
}
