package client

import (
	"encoding/binary"
	"fmt"
	"math"

	"google.golang.org/protobuf/reflect/protoreflect"

	registry "github.com/backbone-registry/backbone"
)

// The Confluent wire format of a Protobuf record value or key:
//
//	byte 0      magic byte, 0
//	bytes 1-4   the global schema ID, big-endian
//	then        the message indexes: the path of the record's message in
//	            the schema's file (top-level index, then nested indexes), as
//	            a zig-zag varint count followed by that many zig-zag varints;
//	            the single byte 0 stands for [0], the first message of the file
//	then        the Protobuf-encoded message
//
// Zig-zag varints are what encoding/binary's Varint functions read and
// write, and what Confluent's serializers (ByteUtils.writeVarint) use.

// MagicByte starts every framed record.
const MagicByte = 0

// maxIndexes bounds the message indexes Decode accepts: a message nested
// deeper than this is absurd (Protobuf decoders stop recursing at 100).
const maxIndexes = 100

// Encode frames payload, a message encoded with schema id, whose message is
// at indexes in the schema's file (see MessageIndexes). Empty indexes, like
// [0], are written as the single byte 0. id must be in [0, 2^32-1], as the
// wire format holds 4 bytes: a registry ID always is; Encode panics
// otherwise.
func Encode(id int64, indexes []int, payload []byte) []byte {
	if id < 0 || id > math.MaxUint32 {
		panic(fmt.Sprintf("client.Encode: schema ID %d does not fit the 4 bytes of the wire format", id))
	}
	b := make([]byte, 5, 5+1+len(indexes)*2+len(payload))
	b[0] = MagicByte
	binary.BigEndian.PutUint32(b[1:5], uint32(id))
	if len(indexes) == 0 || (len(indexes) == 1 && indexes[0] == 0) {
		b = append(b, 0)
	} else {
		b = binary.AppendVarint(b, int64(len(indexes)))
		for _, i := range indexes {
			b = binary.AppendVarint(b, int64(i))
		}
	}
	return append(b, payload...)
}

// Decode reads a framed record: its schema ID, message indexes (never
// empty: [0] for the first message) and the encoded message, which aliases
// b. It fails with EINVALID on a buffer too short to hold the header, a
// magic byte other than 0, a malformed varint, a negative or absurd count,
// or a negative index.
func Decode(b []byte) (id int64, indexes []int, payload []byte, err error) {
	switch {
	case len(b) < 5:
		return 0, nil, nil, registry.Errorf(registry.EINVALID, "framed record: %d bytes, shorter than the 5-byte header", len(b))
	case b[0] != MagicByte:
		return 0, nil, nil, registry.Errorf(registry.EINVALID, "framed record: magic byte %d, want %d (not a schema registry record?)", b[0], MagicByte)
	}
	id = int64(binary.BigEndian.Uint32(b[1:5]))
	rest := b[5:]
	count, n := binary.Varint(rest)
	switch {
	case len(rest) == 0:
		return 0, nil, nil, registry.Errorf(registry.EINVALID, "framed record: no message indexes after the schema ID")
	case n <= 0:
		return 0, nil, nil, registry.Errorf(registry.EINVALID, "framed record: malformed message index count")
	case count == 0:
		return id, []int{0}, rest[n:], nil
	case count < 0 || count > maxIndexes || count > int64(len(rest)-n):
		return 0, nil, nil, registry.Errorf(registry.EINVALID, "framed record: message index count %d is absurd", count)
	}
	rest = rest[n:]
	indexes = make([]int, count)
	for i := range indexes {
		v, n := binary.Varint(rest)
		switch {
		case n <= 0:
			return 0, nil, nil, registry.Errorf(registry.EINVALID, "framed record: malformed message index %d", i)
		case v < 0 || v > math.MaxInt32:
			return 0, nil, nil, registry.Errorf(registry.EINVALID, "framed record: message index %d is %d", i, v)
		}
		indexes[i] = int(v)
		rest = rest[n:]
	}
	return id, indexes, rest, nil
}

// MessageIndexes returns the path of md in its file, as the wire format
// carries it: the index of its top-level message among the file's messages,
// then the index of each nested message within its parent.
func MessageIndexes(md protoreflect.MessageDescriptor) []int {
	var path []int
	for d := protoreflect.Descriptor(md); d != nil; d = d.Parent() {
		m, ok := d.(protoreflect.MessageDescriptor)
		if !ok {
			break
		}
		path = append(path, m.Index())
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	return path
}

// MessageAt returns the message at indexes in fd, the inverse of
// MessageIndexes; empty indexes are [0], as in Encode. It fails with
// ENOTFOUND when an index is out of range.
func MessageAt(fd protoreflect.FileDescriptor, indexes []int) (protoreflect.MessageDescriptor, error) {
	if len(indexes) == 0 {
		indexes = []int{0}
	}
	var md protoreflect.MessageDescriptor
	msgs := fd.Messages()
	for depth, i := range indexes {
		if i < 0 || i >= msgs.Len() {
			return nil, registry.Errorf(registry.ENOTFOUND, "%s has no message at indexes %v: index %d at depth %d is out of range", fd.Path(), indexes, i, depth)
		}
		md = msgs.Get(i)
		msgs = md.Messages()
	}
	return md, nil
}
