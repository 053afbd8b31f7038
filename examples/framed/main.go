// Command framed produces and consumes one Kafka record value in the
// Confluent wire format, without a broker: it fetches the schema of
// acme.retail.orders.events from a Backbone registry, builds an OrderEvent,
// frames it as a producer's serializer would (magic byte, schema ID,
// message indexes, Protobuf bytes), then decodes the bytes as a consumer
// would (schema ID → descriptor → message), and prints both as JSON.
//
// Run the demo registry first (go run ./cmd/registry serve, from the
// project root), then: go run ./examples/framed. See README.md.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/backbone-registry/backbone/client"
)

// topic is the demo's most widely read topic.
const topic = "acme.retail.orders.events"

// orderEvent is the record the producer sends. A real producer fills
// generated Go types; dynamicpb built from the fetched descriptor keeps the
// example free of generated code.
const orderEvent = `{
  "metadata": {
    "eventId": "01JDA3N6V0K8W2Q4R7T9X1Z3B5",
    "occurredAt": "2026-11-24T09:30:00Z",
    "correlationId": "01JDA3M2C4E6G8J0K2M4P6R8T0",
    "producer": "acme.retail.orders"
  },
  "orderId": "01JCZ8B0F4X7M2Q9W5H3N6K1T8",
  "customerId": "c-1042",
  "confirmed": {
    "lines": [{
      "sku": "SHOE-RUN-42-BLK",
      "quantity": 1,
      "unitPrice": {"currencyCode": "EUR", "units": "89"},
      "lineTotal": {"currencyCode": "EUR", "units": "89"}
    }],
    "total": {"currencyCode": "EUR", "units": "89"},
    "paymentId": "pay-01JDA3P1",
    "reservationId": "res-01JDA3P4"
  }
}`

func main() {
	registryURL := flag.String("registry", "http://localhost:8081", "Backbone registry URL")
	cacheDir := flag.String("cache", "", "keep fetched schemas in this directory, and start from them when the registry is down")
	token := flag.String("token", os.Getenv("REGISTRY_TOKEN"), "bearer token, if the registry requires credentials (default $REGISTRY_TOKEN)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	opts := []client.Option{
		client.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, nil))),
		client.WithCacheDir(*cacheDir),
	}
	if *token != "" {
		opts = append(opts, client.WithBearerToken(*token))
	}
	if err := run(ctx, *registryURL, os.Stdout, opts...); err != nil {
		fmt.Fprintln(os.Stderr, "framed:", err)
		os.Exit(1)
	}
}

// run produces one OrderEvent record value and consumes it back, printing
// what each side sees to out.
func run(ctx context.Context, registryURL string, out io.Writer, opts ...client.Option) error {
	// Producer: fetch the topic's latest schema at startup; the Serde keeps
	// producing with it.
	producer, err := client.New(registryURL, opts...)
	if err != nil {
		return err
	}
	serde := client.NewSerde(producer)
	schema, err := serde.Topic(ctx, topic)
	if err != nil {
		return err
	}
	from := "the registry"
	if schema.FromCache {
		from = "the cache, fetched " + schema.FetchedAt.Format("2006-01-02 15:04:05 MST")
	}
	fmt.Fprintf(out, "producer: %s version %d from %s: value %s, schema ID %d\n", topic, schema.Version, from, schema.Value.FullName(), schema.ValueID())

	event := dynamicpb.NewMessage(schema.Value)
	if err := protojson.Unmarshal([]byte(orderEvent), event); err != nil {
		return fmt.Errorf("build %s: %w", schema.Value.FullName(), err)
	}
	record, err := serde.Marshal(ctx, topic, event)
	if err != nil {
		return err
	}
	sent, err := jsonOf(event)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "producer: sends\n%s\n", sent)

	id, indexes, payload, err := client.Decode(record)
	if err != nil {
		return err
	}
	header := record[:len(record)-len(payload)]
	fmt.Fprintf(out, "record value: %d bytes = header % x (magic byte 0, schema ID %d, message indexes %v) + %d bytes of Protobuf\n",
		len(record), header, id, indexes, len(payload))

	// Consumer: a separate client that knows only the registry. The record's
	// schema ID leads to the descriptor, its indexes to the message.
	consumer, err := client.New(registryURL, opts...)
	if err != nil {
		return err
	}
	msg, err := client.NewSerde(consumer).Unmarshal(ctx, record)
	if err != nil {
		return err
	}
	byID, err := consumer.ByID(ctx, id)
	if err != nil {
		return err
	}
	received, err := jsonOf(msg)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "consumer: schema ID %d is %s version %d; indexes %v name %s\n", id, byID.Topic, byID.Version, indexes, msg.ProtoReflect().Descriptor().FullName())
	fmt.Fprintf(out, "consumer: receives\n%s\n", received)
	if !bytes.Equal(sent, received) {
		return fmt.Errorf("the consumer decoded a different message than the producer sent")
	}
	fmt.Fprintln(out, "round trip: the consumer decoded what the producer sent")
	return nil
}

func jsonOf(m proto.Message) ([]byte, error) {
	return protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(m)
}
