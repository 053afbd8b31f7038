package protocorpus_test

import (
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/bench/internal/protocorpus"
	"github.com/backbone-registry/backbone/compat"
)

var file = protocorpus.File{Package: "acme.svc000.v1", Dir: "svc000/v1", GoPackage: "example.com/acme/svc000/v1;svcv1", Topic: "acme.svc000.events1"}

// contract compiles the common file, file 0 and file 1 (with change c) and
// returns file 1's event as a contract.
func contract(t *testing.T, c protocorpus.Change) compat.Contract {
	t.Helper()
	schema, err := compat.CompileSources(t.Context(), map[string][]byte{
		"common/v1/common.proto":  []byte(protocorpus.CommonProto),
		"svc000/v1/events0.proto": []byte(protocorpus.Proto(file, 0, protocorpus.Unchanged)),
		"svc000/v1/events1.proto": []byte(protocorpus.Proto(file, 1, c)),
	}, compat.DefaultLimits)
	if err != nil {
		t.Fatalf("change %d does not compile: %v", c, err)
	}
	md, ok := schema.FindMessage("acme.svc000.v1.Event1")
	if !ok {
		t.Fatal("no Event1")
	}
	return compat.Contract{Values: []protoreflect.MessageDescriptor{md}}
}

// Every change compiles, and the engine agrees with its label: compatible
// changes give no finding at WIRE_JSON, breaking ones at least one.
func TestChangesAreWhatTheySay(t *testing.T) {
	t.Parallel()
	base := contract(t, protocorpus.Unchanged)
	for c := protocorpus.AddField; c <= protocorpus.RenameField; c++ {
		got := compat.Check([]compat.Contract{base}, contract(t, c), compat.Options{
			Topic: file.Topic, Mode: registry.CompatFull, Level: registry.LevelWireJSON,
		})
		switch {
		case c.Compatible() && len(got) > 0:
			t.Errorf("compatible change %d: findings %v", c, got)
		case c.Breaking() && len(got) == 0:
			t.Errorf("breaking change %d: no finding", c)
		case c.Compatible() == c.Breaking():
			t.Errorf("change %d is both or neither", c)
		}
	}
}

// Of spreads a few changes over the files, some of each kind.
func TestOf(t *testing.T) {
	t.Parallel()
	const total = 1000
	var compatible, breaking int
	for i := range total {
		switch c := protocorpus.Of(i, total); {
		case c.Compatible():
			compatible++
		case c.Breaking():
			breaking++
		}
	}
	if breaking != 5 || compatible < 15 || compatible > 25 {
		t.Errorf("of %d files: %d compatible, %d breaking; want about 2%% and 5", total, compatible, breaking)
	}
}
