package api_test

import (
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
)

// TestConfluentCompatibilityNeedsTheMessageInTheSchema posts, for the
// orders value, a schema that does not define OrderEvent itself but
// imports a reference that does: Confluent reads a schema's record type from
// the schema, never from its references, so it is incompatible.
func TestConfluentCompatibilityNeedsTheMessageInTheSchema(t *testing.T) {
	t.Parallel()
	e := newConfluentEstate(t)
	verbose := sr.WithParams(t.Context(), sr.Verbose)
	// The latest orders schema, referenced under another import path.
	candidate := sr.Schema{Type: sr.TypeProtobuf,
		Schema:     "syntax = \"proto3\";\npackage acme.retail.orders.wrapper;\nimport \"legacy/orders.proto\";\nmessage Wrapper { acme.retail.orders.v1.OrderEvent event = 1; }\n",
		References: []sr.SchemaReference{{Name: "legacy/orders.proto", Subject: ordersValue, Version: 2}},
	}
	for _, version := range []int{-1, 2} {
		got, err := e.cl.CheckCompatibility(verbose, ordersValue, version, candidate)
		if err != nil || got.Is || len(got.Messages) != 1 ||
			!strings.Contains(got.Messages[0], "does not define acme.retail.orders.v1.OrderEvent") || !strings.Contains(got.Messages[0], "legacy/orders.proto") {
			t.Errorf("version %d: got %+v, %v; want incompatible: the schema does not define the message (its reference legacy/orders.proto does)", version, got, err)
		}
	}
	// The same message defined in the schema itself is compatible.
	own := sr.Schema{Type: sr.TypeProtobuf, Schema: confluentOrders(confluentChannel),
		References: []sr.SchemaReference{{Name: "common/v1/money.proto", Subject: "common/v1/money.proto", Version: 1}}}
	if got, err := e.cl.CheckCompatibility(verbose, ordersValue, -1, own); err != nil || !got.Is {
		t.Errorf("the latest schema itself: got %+v, %v; want compatible", got, err)
	}
}
