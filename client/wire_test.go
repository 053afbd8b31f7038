package client_test

import (
	"bytes"
	"math"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/client"
)

func TestEncodeDecode(t *testing.T) {
	t.Parallel()
	payload := []byte{0x0a, 0x03, 'a', 'b', 'c'}
	for _, tc := range []struct {
		name    string
		id      int64
		indexes []int
		wire    []byte // the header: magic byte, ID, indexes
		decoded []int  // what Decode returns, when not indexes
	}{
		{"first message: the 0-byte shortcut", 1, []int{0}, []byte{0, 0, 0, 0, 1, 0}, nil},
		{"no indexes: the first message", 7, nil, []byte{0, 0, 0, 0, 7, 0}, []int{0}},
		{"second message", 1, []int{1}, []byte{0, 0, 0, 0, 1, 2, 2}, nil},
		{"nested in the first message", 300, []int{0, 0}, []byte{0, 0, 0, 1, 44, 4, 0, 0}, nil},
		{"nested", 1, []int{1, 0}, []byte{0, 0, 0, 0, 1, 4, 2, 0}, nil},
		{"deeply nested", 1, []int{2, 3, 1}, []byte{0, 0, 0, 0, 1, 6, 4, 6, 2}, nil},
		{"a large index: two-byte varint", 1, []int{64}, []byte{0, 0, 0, 0, 1, 2, 0x80, 0x01}, nil},
		{"largest ID", math.MaxUint32, []int{0}, []byte{0, 0xff, 0xff, 0xff, 0xff, 0}, nil},
		{"ID zero", 0, []int{0}, []byte{0, 0, 0, 0, 0, 0}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := client.Encode(tc.id, tc.indexes, payload)
			want := append(slices.Clone(tc.wire), payload...)
			if !bytes.Equal(got, want) {
				t.Errorf("Encode(%d, %v): got % x, want % x", tc.id, tc.indexes, got, want)
			}
			// franz-go's sr writes the same bytes.
			if tc.indexes != nil {
				var h sr.ConfluentHeader
				srGot, _ := h.AppendEncode(nil, int(tc.id), tc.indexes)
				if !bytes.Equal(srGot, tc.wire) {
					t.Errorf("sr encodes % x, want % x", srGot, tc.wire)
				}
			}
			id, indexes, rest, err := client.Decode(want)
			wantIndexes := tc.indexes
			if tc.decoded != nil {
				wantIndexes = tc.decoded
			}
			if err != nil || id != tc.id || !slices.Equal(indexes, wantIndexes) || !bytes.Equal(rest, payload) {
				t.Errorf("Decode(% x): got %d, %v, % x, %v; want %d, %v, % x", want, id, indexes, rest, err, tc.id, wantIndexes, payload)
			}
		})
	}

	// An empty payload (a message with every field at its default) is valid.
	if id, indexes, rest, err := client.Decode([]byte{0, 0, 0, 0, 9, 0}); err != nil || id != 9 || !slices.Equal(indexes, []int{0}) || len(rest) != 0 {
		t.Errorf("empty payload: got %d %v % x %v", id, indexes, rest, err)
	}
	// A count 1 with index 0 is the long form of the shortcut.
	if _, indexes, _, err := client.Decode([]byte{0, 0, 0, 0, 9, 2, 0}); err != nil || !slices.Equal(indexes, []int{0}) {
		t.Errorf("long form of [0]: got %v %v", indexes, err)
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"short", []byte{0, 0, 0, 1}},
		{"no indexes", []byte{0, 0, 0, 0, 1}},
		{"wrong magic byte", []byte{1, 0, 0, 0, 1, 0}},
		{"JSON", []byte(`{"a":1}`)},
		{"unterminated count", []byte{0, 0, 0, 0, 1, 0x80}},
		{"overlong count", []byte{0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
		{"negative count", []byte{0, 0, 0, 0, 1, 1, 0}},
		{"count past the end", []byte{0, 0, 0, 0, 1, 6, 2, 2}},
		{"absurd count", append([]byte{0, 0, 0, 0, 1, 0x92, 0x03}, make([]byte, 300)...)}, // 201 indexes
		{"unterminated index", []byte{0, 0, 0, 0, 1, 2, 0x80}},
		{"negative index", []byte{0, 0, 0, 0, 1, 2, 1}},
		{"index beyond int32", []byte{0, 0, 0, 0, 1, 2, 0x80, 0x80, 0x80, 0x80, 0x10}},
	} {
		if id, indexes, rest, err := client.Decode(tc.b); registry.ErrorCode(err) != registry.EINVALID {
			t.Errorf("%s: Decode(% x): got %d %v % x %v, want an EINVALID error", tc.name, tc.b, id, indexes, rest, err)
		}
	}
}

func TestEncodePanicsOnImpossibleID(t *testing.T) {
	t.Parallel()
	for _, id := range []int64{-1, math.MaxUint32 + 1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Encode(%d): no panic", id)
				}
			}()
			client.Encode(id, nil, nil)
		}()
	}
}

// nestedFile is:
//
//	message A { message B { message C {} } message D {} }
//	message E { map<string, string> m = 1; message F {} }
func nestedFile(t *testing.T) protoreflect.FileDescriptor {
	t.Helper()
	msg := func(name string, nested ...*descriptorpb.DescriptorProto) *descriptorpb.DescriptorProto {
		return &descriptorpb.DescriptorProto{Name: proto.String(name), NestedType: nested}
	}
	entry := msg("MEntry")
	entry.Options = &descriptorpb.MessageOptions{MapEntry: proto.Bool(true)}
	str := descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum()
	opt := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()
	entry.Field = []*descriptorpb.FieldDescriptorProto{
		{Name: proto.String("key"), Number: proto.Int32(1), Type: str, Label: opt, JsonName: proto.String("key")},
		{Name: proto.String("value"), Number: proto.Int32(2), Type: str, Label: opt, JsonName: proto.String("value")},
	}
	e := msg("E", entry, msg("F"))
	e.Field = []*descriptorpb.FieldDescriptorProto{{
		Name: proto.String("m"), Number: proto.Int32(1), Label: descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum(),
		Type: descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum(), TypeName: proto.String(".t.E.MEntry"), JsonName: proto.String("m"),
	}}
	fd, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
		Name: proto.String("t.proto"), Package: proto.String("t"), Syntax: proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{msg("A", msg("B", msg("C")), msg("D")), e},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return fd
}

func TestMessageIndexes(t *testing.T) {
	t.Parallel()
	fd := nestedFile(t)
	for name, want := range map[string][]int{
		"t.A": {0}, "t.A.B": {0, 0}, "t.A.B.C": {0, 0, 0}, "t.A.D": {0, 1},
		"t.E": {1}, "t.E.MEntry": {1, 0}, "t.E.F": {1, 1}, // map entries are nested types, as in the descriptor
	} {
		var md protoreflect.MessageDescriptor
		for _, i := range want {
			if md == nil {
				md = fd.Messages().Get(i)
			} else {
				md = md.Messages().Get(i)
			}
		}
		if string(md.FullName()) != name {
			t.Fatalf("fixture: %v is %s, want %s", want, md.FullName(), name)
		}
		if got := client.MessageIndexes(md); !slices.Equal(got, want) {
			t.Errorf("MessageIndexes(%s): got %v, want %v", name, got, want)
		}
		if got, err := client.MessageAt(fd, want); err != nil || got != md {
			t.Errorf("MessageAt(%v): got %v, %v; want %s", want, got, err, name)
		}
	}
	if got, err := client.MessageAt(fd, nil); err != nil || got.FullName() != "t.A" {
		t.Errorf("MessageAt(nil): got %v, %v; want t.A", got, err)
	}
	for _, bad := range [][]int{{2}, {-1}, {0, 2}, {0, 0, 0, 0}} {
		if _, err := client.MessageAt(fd, bad); registry.ErrorCode(err) != registry.ENOTFOUND {
			t.Errorf("MessageAt(%v): got %v, want ENOTFOUND", bad, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, seed := range [][]byte{
		client.Encode(1, []int{0}, []byte("payload")),
		client.Encode(42, []int{1, 0}, []byte{0x0a, 0x01, 'x'}),
		client.Encode(math.MaxUint32, []int{2, 3, 1}, nil),
		client.Encode(7, []int{64, 300}, nil),
		{0, 0, 0, 0, 1, 2, 0},             // the long form of [0]
		{0, 0, 0, 0, 1, 0x80, 0x00},       // an overlong varint for 0
		{0, 0, 0, 0, 1, 1, 0},             // a negative count
		{0, 0, 0, 0, 1, 0x80},             // an unterminated varint
		{1, 0, 0, 0, 1, 0},                // wrong magic byte
		{0, 0, 0},                         // short
		{0, 0, 0, 0, 1, 0x92, 0x03, 2, 2}, // a count past the end
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		id, indexes, payload, err := client.Decode(b)
		if err != nil {
			if registry.ErrorCode(err) != registry.EINVALID {
				t.Fatalf("Decode(% x): error without EINVALID: %v", b, err)
			}
			return
		}
		if len(indexes) == 0 || len(payload) > len(b)-6 {
			t.Fatalf("Decode(% x): indexes %v, payload of %d bytes", b, indexes, len(payload))
		}
		enc := client.Encode(id, indexes, payload)
		id2, indexes2, payload2, err := client.Decode(enc)
		if err != nil || id2 != id || !slices.Equal(indexes2, indexes) || !bytes.Equal(payload2, payload) {
			t.Fatalf("Decode(Encode(Decode(% x))): got %d %v % x %v; want %d %v % x", b, id2, indexes2, payload2, err, id, indexes, payload)
		}
		// The canonical encoding is never longer, and is a fixed point.
		if len(enc) > len(b) || !bytes.Equal(client.Encode(id2, indexes2, payload2), enc) {
			t.Fatalf("Encode(Decode(% x)) = % x: not canonical", b, enc)
		}
		if !bytes.Equal(b[len(b)-len(payload):], payload) {
			t.Fatalf("Decode(% x): payload % x is not the tail of the input", b, payload)
		}
	})
}
