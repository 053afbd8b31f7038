package client_test

import (
	"bytes"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/api"
	"github.com/backbone-registry/backbone/client"
	fixture "github.com/backbone-registry/backbone/internal/estate"
	"github.com/backbone-registry/backbone/internal/gitfixture"
)

// The client is exercised against the real server: a Git history ingested
// into the embedded store and served by api.New. orders.events has two
// versions (v2 adds channel), a message key (OrderKey, first in its file,
// so OrderEvent is at index 1) and a shared import; payments.events carries
// two value types from one file (one schema ID, told apart by message
// indexes), one with a nested message.

const (
	orders   = "acme.retail.orders.events"
	payments = "acme.retail.payments.events"
)

const money = `syntax = "proto3";
package acme.common.v1;
// An amount of money.
message Money {
  // ISO 4217 code.
  string currency = 1;
  // Amount in minor units.
  int64 minor = 2;
}
`

func ordersProto(extra string) string {
	return `syntax = "proto3";
package acme.retail.orders.v1;
import "common/v1/money.proto";
import "google/protobuf/timestamp.proto";
// Keys order facts.
message OrderKey {
  // The order.
  string order_id = 1;
}
// An order fact.
message OrderEvent {
  // The order.
  string order_id = 1;
  // Its total.
  acme.common.v1.Money total = 2;
  // When it happened.
  google.protobuf.Timestamp at = 3;
` + extra + "}\n"
}

const channel = "  // Sales channel.\n  string channel = 4;\n"

const paymentsProto = `syntax = "proto3";
package acme.retail.payments.v1;
// A payment was authorized.
message PaymentAuthorized {
  // The order.
  string order_id = 1;
}
// A payment failed.
message PaymentFailed {
  // What the provider said.
  message Detail {
    // Provider code.
    string code = 1;
  }
  // The order.
  string order_id = 1;
  // Why.
  string reason = 2;
  // Details.
  Detail detail = 3;
}
`

// estate is a served registry. mode makes it answer every request with
// that status instead (503: down, 404: gone); requests counts requests.
type estate struct {
	srv      *httptest.Server
	url      string
	mode     atomic.Int32
	requests atomic.Int64
}

func newEstate(t *testing.T, cfg api.Config) *estate {
	t.Helper()
	repo := gitfixture.New(t)
	files := map[string]string{
		"registry.yaml":         "company: acme\ndefaults:\n  compatibility: BACKWARD\n  level: WIRE_JSON\n",
		"common/v1/money.proto": money,
		"retail/orders/service.yaml": "description: Orders.\nowner: orders-team\ntopics:\n  - name: events\n    description: Order facts.\n" +
			"    value: acme.retail.orders.v1.OrderEvent\n    key: acme.retail.orders.v1.OrderKey\n",
		"retail/orders/v1/orders.proto": ordersProto(""),
		"retail/payments/service.yaml": "description: Payments.\nowner: payments-team\ntopics:\n  - name: events\n    description: Payment facts.\n" +
			"    values: [acme.retail.payments.v1.PaymentAuthorized, acme.retail.payments.v1.PaymentFailed]\n",
		"retail/payments/v1/payments.proto": paymentsProto,
	}
	repo.Commit("initial contracts", files)
	files["retail/orders/v1/orders.proto"] = ordersProto(channel)
	repo.Commit("orders: add the sales channel", files)

	snap := fixture.Synced(t, repo.Dir, "")
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg.Logger = logger
	h := api.New(snap, cfg)
	e := &estate{}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.requests.Add(1)
		if status := int(e.mode.Load()); status != 0 {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"title":"` + http.StatusText(status) + `","status":` + strconv.Itoa(status) + `}`))
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	e.url = e.srv.URL
	return e
}

// logBuffer collects a client's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newClient(t *testing.T, url string, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := registry.ErrorCode(err); got != code {
		t.Errorf("%s: got error %v (code %q), want code %q", what, err, got, code)
	}
}

func names[D protoreflect.Descriptor](ds []D) []string {
	var out []string
	for _, d := range ds {
		out = append(out, string(d.FullName()))
	}
	return out
}

func TestTopic(t *testing.T) {
	t.Parallel()
	e := newEstate(t, api.Config{})
	ctx := t.Context()
	c := newClient(t, e.url)
	srcl, err := sr.NewClient(sr.URLs(e.url))
	if err != nil {
		t.Fatal(err)
	}

	latest, err := c.Topic(ctx, orders, 0)
	if err != nil {
		t.Fatal(err)
	}
	if latest.Topic != orders || latest.Version != 2 || latest.FromCache || latest.Commit.Message != "orders: add the sales channel" {
		t.Errorf("latest: got %s version %d (from cache %v, commit %q), want version 2 from the registry", latest.Topic, latest.Version, latest.FromCache, latest.Commit.Message)
	}
	if got := latest.Value.FullName(); got != "acme.retail.orders.v1.OrderEvent" {
		t.Errorf("value: got %s", got)
	}
	if latest.Value.Fields().ByName("channel") == nil {
		t.Error("latest OrderEvent has no channel")
	}
	if got := latest.Key.FullName(); got != "acme.retail.orders.v1.OrderKey" {
		t.Errorf("key: got %s", got)
	}
	if latest.Texts["retail/orders/v1/orders.proto"] != ordersProto(channel) || latest.Texts["common/v1/money.proto"] != money {
		t.Errorf("texts: got %v", slices.Sorted(maps.Keys(latest.Texts)))
	}
	// The IDs are those the Confluent API serves for the same subjects.
	for subject, got := range map[string]int64{orders + "-value": latest.ValueID(), orders + "-key": latest.KeyID(), "common/v1/money.proto": func() int64 {
		id, _ := latest.SubjectID("common/v1/money.proto")
		return id
	}()} {
		want, err := srcl.SchemaByVersion(ctx, subject, -1)
		if err != nil {
			t.Fatal(err)
		}
		if got != int64(want.ID) || got == 0 {
			t.Errorf("%s: got ID %d, want %d", subject, got, want.ID)
		}
	}
	if latest.ID != latest.ValueID() || latest.File.Path() != "retail/orders/v1/orders.proto" {
		t.Errorf("ID and File: got %d %s", latest.ID, latest.File.Path())
	}
	if md, err := latest.Message("acme.common.v1.Money"); err != nil || md.Fields().Len() != 2 {
		t.Errorf("Message(Money): %v", err)
	}
	if _, err := latest.Message("google.protobuf.Timestamp"); err != nil {
		t.Errorf("the well-known types are in the descriptor set: %v", err)
	}
	if _, err := latest.Message("acme.Nope"); registry.ErrorCode(err) != registry.ENOTFOUND {
		t.Errorf("Message(acme.Nope): got %v, want ENOTFOUND", err)
	}

	v1, err := c.Topic(ctx, orders, 1)
	if err != nil {
		t.Fatal(err)
	}
	// Key and value share a file, so a schema ID: it changes with the file.
	if v1.Version != 1 || v1.Value.Fields().ByName("channel") != nil || v1.ValueID() == latest.ValueID() || v1.KeyID() != v1.ValueID() {
		t.Errorf("version 1: got version %d, value ID %d (latest %d), key ID %d", v1.Version, v1.ValueID(), latest.ValueID(), v1.KeyID())
	}
	if again, _ := c.Topic(ctx, orders, 2); again != latest {
		t.Error("a numbered version is kept in memory: want the same *Schema as latest")
	}

	// Several value types: no single Value, one subject (and one ID) each.
	p, err := c.Topic(ctx, payments, 0)
	if err != nil {
		t.Fatal(err)
	}
	if p.Value != nil || p.Key != nil || p.ValueID() != 0 || !slices.Equal(names(p.Values), []string{"acme.retail.payments.v1.PaymentAuthorized", "acme.retail.payments.v1.PaymentFailed"}) {
		t.Errorf("payments: value %v, key %v, value ID %d, values %v", p.Value, p.Key, p.ValueID(), names(p.Values))
	}
	authorized, err1 := p.ValueIDOf("acme.retail.payments.v1.PaymentAuthorized")
	failed, err2 := p.ValueIDOf("acme.retail.payments.v1.PaymentFailed")
	if err1 != nil || err2 != nil || authorized == 0 || authorized != failed {
		t.Errorf("payments: one file, one ID for both subjects: got %d, %d (%v, %v)", authorized, failed, err1, err2)
	}

	_, err = c.Topic(ctx, "acme.retail.nope.events", 0)
	wantCode(t, "unknown topic", err, registry.ENOTFOUND)
	_, err = c.Topic(ctx, orders, 9)
	wantCode(t, "unknown version", err, registry.ENOTFOUND)
	_, err = c.Topic(ctx, orders, -1)
	wantCode(t, "negative version", err, registry.EINVALID)
	_, err = c.Topic(ctx, "", 0)
	wantCode(t, "no topic", err, registry.EINVALID)
}

func TestNew(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "localhost:8081", "ftp://x", "http://"} {
		if _, err := client.New(u); registry.ErrorCode(err) != registry.EINVALID {
			t.Errorf("New(%q): got %v, want EINVALID", u, err)
		}
	}
}

func TestByID(t *testing.T) {
	t.Parallel()
	e := newEstate(t, api.Config{})
	ctx := t.Context()
	producer := newClient(t, e.url)
	v1, err := producer.Topic(ctx, orders, 1)
	if err != nil {
		t.Fatal(err)
	}
	latest, err := producer.Topic(ctx, orders, 0)
	if err != nil {
		t.Fatal(err)
	}
	p, err := producer.Topic(ctx, payments, 0)
	if err != nil {
		t.Fatal(err)
	}
	paymentsID, _ := p.ValueIDOf("acme.retail.payments.v1.PaymentFailed")

	c := newClient(t, e.url)
	for _, tc := range []struct {
		name    string
		id      int64
		topic   string
		version int
		message string // the file's first message
		field   string // a field OrderEvent has in that version only
	}{
		{"value v1", v1.ValueID(), orders, 1, "acme.retail.orders.v1.OrderKey", ""},
		{"value v2", latest.ValueID(), orders, 2, "acme.retail.orders.v1.OrderKey", "channel"},
		{"key", latest.KeyID(), orders, 2, "acme.retail.orders.v1.OrderKey", "channel"},
		{"two values", paymentsID, payments, 1, "acme.retail.payments.v1.PaymentAuthorized", ""},
	} {
		s, err := c.ByID(ctx, tc.id)
		if err != nil {
			t.Errorf("%s: ByID(%d): %v", tc.name, tc.id, err)
			continue
		}
		if s.ID != tc.id || s.Topic != tc.topic || s.Version != tc.version || s.File.Messages().Get(0).FullName() != protoreflect.FullName(tc.message) {
			t.Errorf("%s: ByID(%d): got ID %d, %s version %d, first message %s", tc.name, tc.id, s.ID, s.Topic, s.Version, s.File.Messages().Get(0).FullName())
		}
		if ev, err := s.Message("acme.retail.orders.v1.OrderEvent"); err == nil && (ev.Fields().ByName("channel") != nil) != (tc.field != "") {
			t.Errorf("%s: OrderEvent of schema %d: channel present = %v", tc.name, tc.id, tc.field != "")
		}
	}

	// IDs are immutable: asked again, no request.
	before := e.requests.Load()
	if s, err := c.ByID(ctx, v1.ValueID()); err != nil || s.Version != 1 {
		t.Errorf("ByID again: %v", err)
	}
	if got := e.requests.Load(); got != before {
		t.Errorf("ByID again made %d requests, want none", got-before)
	}

	_, err = c.ByID(ctx, 99999)
	wantCode(t, "unknown ID", err, registry.ENOTFOUND)
	_, err = c.ByID(ctx, 0)
	wantCode(t, "ID 0", err, registry.EINVALID)
	// The imported money.proto has an ID, but no record carries it.
	moneyID, _ := latest.SubjectID("common/v1/money.proto")
	_, err = c.ByID(ctx, moneyID)
	wantCode(t, "imported file's ID", err, registry.ENOTFOUND)
}

// orderEvent builds an OrderEvent with dynamicpb from the fetched descriptor.
func orderEvent(t *testing.T, s *client.Schema) *dynamicpb.Message {
	t.Helper()
	md := s.Value
	m := dynamicpb.NewMessage(md)
	m.Set(md.Fields().ByName("order_id"), protoreflect.ValueOfString("01JCZ8B0F4X7M2Q9W5H3N6K1T8"))
	total := m.Mutable(md.Fields().ByName("total")).Message()
	total.Set(total.Descriptor().Fields().ByName("currency"), protoreflect.ValueOfString("EUR"))
	total.Set(total.Descriptor().Fields().ByName("minor"), protoreflect.ValueOfInt64(8900))
	at := m.Mutable(md.Fields().ByName("at")).Message()
	at.Set(at.Descriptor().Fields().ByName("seconds"), protoreflect.ValueOfInt64(1795000000))
	if f := md.Fields().ByName("channel"); f != nil {
		m.Set(f, protoreflect.ValueOfString("web"))
	}
	return m
}

func jsonOf(t *testing.T, m proto.Message) string {
	t.Helper()
	b, err := protojson.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSerdeRoundTrip(t *testing.T) {
	t.Parallel()
	e := newEstate(t, api.Config{})
	ctx := t.Context()
	producer := client.NewSerde(newClient(t, e.url))
	c := newClient(t, e.url)
	latest, err := c.Topic(ctx, orders, 0)
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Topic(ctx, payments, 0)
	if err != nil {
		t.Fatal(err)
	}
	authorizedMD, _ := p.Message("acme.retail.payments.v1.PaymentAuthorized")
	failedMD, _ := p.Message("acme.retail.payments.v1.PaymentFailed")
	authorized := dynamicpb.NewMessage(authorizedMD)
	authorized.Set(authorizedMD.Fields().ByName("order_id"), protoreflect.ValueOfString("o-1"))
	failed := dynamicpb.NewMessage(failedMD)
	failed.Set(failedMD.Fields().ByName("reason"), protoreflect.ValueOfString("declined"))
	detail := failed.Mutable(failedMD.Fields().ByName("detail")).Message()
	detail.Set(detail.Descriptor().Fields().ByName("code"), protoreflect.ValueOfString("51"))
	paymentsID, _ := p.ValueIDOf(failedMD.FullName())

	for _, tc := range []struct {
		topic   string
		msg     proto.Message
		id      int64
		indexes []int
		header  []byte // the index bytes after the ID
	}{
		{orders, orderEvent(t, latest), latest.ValueID(), []int{1}, []byte{2, 2}},
		{payments, authorized, paymentsID, []int{0}, []byte{0}},
		{payments, failed, paymentsID, []int{1}, []byte{2, 2}},
	} {
		name := string(tc.msg.ProtoReflect().Descriptor().Name())
		framed, err := producer.Marshal(ctx, tc.topic, tc.msg)
		if err != nil {
			t.Fatalf("%s: Marshal: %v", name, err)
		}
		id, indexes, _, err := client.Decode(framed)
		if err != nil || id != tc.id || !slices.Equal(indexes, tc.indexes) || !bytes.Equal(framed[5:5+len(tc.header)], tc.header) {
			t.Errorf("%s: header: got ID %d, indexes %v, bytes % x (%v); want ID %d, indexes %v", name, id, indexes, framed[:8], err, tc.id, tc.indexes)
		}
		// A Confluent-format reader agrees.
		var h sr.ConfluentHeader
		srID, rest, err := h.DecodeID(framed)
		if err != nil || int64(srID) != tc.id {
			t.Errorf("%s: sr reads ID %d (%v)", name, srID, err)
		}
		if srIndex, _, err := h.DecodeIndex(rest, 0); err != nil || !slices.Equal(srIndex, tc.indexes) {
			t.Errorf("%s: sr reads indexes %v (%v)", name, srIndex, err)
		}

		// A consumer knows nothing but the registry.
		consumer := client.NewSerde(newClient(t, e.url))
		got, err := consumer.Unmarshal(ctx, framed)
		if err != nil {
			t.Fatalf("%s: Unmarshal: %v", name, err)
		}
		if got.ProtoReflect().Descriptor().FullName() != tc.msg.ProtoReflect().Descriptor().FullName() || jsonOf(t, got) != jsonOf(t, tc.msg) {
			t.Errorf("%s: round trip: got %s %s, want %s", name, got.ProtoReflect().Descriptor().FullName(), jsonOf(t, got), jsonOf(t, tc.msg))
		}
	}

	// The Serde produces with the version it first fetched.
	if a, err := producer.Topic(ctx, orders); err != nil || a.Version != 2 {
		t.Errorf("Serde.Topic: %v", err)
	} else if b, _ := producer.Topic(ctx, orders); a != b {
		t.Error("Serde.Topic: want the same *Schema every time")
	}

	// A type the topic does not carry as a value is refused.
	key := dynamicpb.NewMessage(latest.Key)
	if _, err := producer.Marshal(ctx, orders, key); registry.ErrorCode(err) != registry.EINVALID {
		t.Errorf("Marshal(OrderKey) as orders' value: got %v, want EINVALID", err)
	}
	if _, err := producer.Marshal(ctx, "acme.retail.nope.events", authorized); registry.ErrorCode(err) != registry.ENOTFOUND {
		t.Errorf("Marshal to an unknown topic: got %v, want ENOTFOUND", err)
	}
	// Records the registry cannot explain.
	consumer := client.NewSerde(c)
	for name, data := range map[string][]byte{
		"not framed":    []byte("{}"),
		"unknown ID":    client.Encode(99999, nil, nil),
		"bad index":     client.Encode(latest.ValueID(), []int{7}, nil),
		"bad payload":   client.Encode(latest.ValueID(), []int{1}, []byte{0xff}),
		"nested absent": client.Encode(latest.ValueID(), []int{1, 0}, nil),
	} {
		if _, err := consumer.Unmarshal(ctx, data); err == nil {
			t.Errorf("Unmarshal(%s): no error", name)
		}
	}
}

func TestCacheWhenRegistryDown(t *testing.T) {
	t.Parallel()
	e := newEstate(t, api.Config{})
	ctx := t.Context()
	dir := t.TempDir()
	c1 := newClient(t, e.url, client.WithCacheDir(dir))
	latest, err := c1.Topic(ctx, orders, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c1.ByID(ctx, latest.ValueID()); err != nil {
		t.Fatal(err)
	}
	framed, err := client.NewSerde(c1).Marshal(ctx, orders, orderEvent(t, latest))
	if err != nil {
		t.Fatal(err)
	}

	check := func(t *testing.T, why string) {
		var logs logBuffer
		c := newClient(t, e.url, client.WithCacheDir(dir), client.WithTimeout(2*time.Second),
			client.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		s, err := c.Topic(ctx, orders, 0)
		if err != nil {
			t.Fatalf("%s: Topic: %v", why, err)
		}
		if !s.FromCache || s.Version != 2 || s.Value.FullName() != latest.Value.FullName() || s.ValueID() != latest.ValueID() {
			t.Errorf("%s: got version %d (from cache %v), value %s", why, s.Version, s.FromCache, s.Value.FullName())
		}
		// The time is the last time the registry confirmed that version as
		// the latest.
		want := regexp.MustCompile(`level=WARN msg="registry unreachable; using cached schema for acme.retail.orders.events version 2 from (\S+)"`)
		m := want.FindStringSubmatch(logs.String())
		if m == nil {
			t.Fatalf("%s: the log does not match %s:\n%s", why, want, logs.String())
		}
		if at, err := time.Parse(time.RFC3339, m[1]); err != nil || at.Before(latest.FetchedAt.Truncate(time.Second)) || !at.Equal(s.FetchedAt.Truncate(time.Second)) {
			t.Errorf("%s: logged time %s, want the fetch time %s", why, m[1], s.FetchedAt)
		}
		// Pinned versions and IDs seen before come from the cache too.
		if s, err := c.Topic(ctx, orders, 2); err != nil || s.Version != 2 {
			t.Errorf("%s: pinned version 2: %v", why, err)
		}
		got, err := client.NewSerde(c).Unmarshal(ctx, framed)
		if err != nil || jsonOf(t, got) != jsonOf(t, orderEvent(t, latest)) {
			t.Errorf("%s: Unmarshal: %v", why, err)
		}
		// What was never fetched is unavailable.
		_, err = c.Topic(ctx, orders, 1)
		wantCode(t, why+": pinned version 1, never fetched", err, registry.EUNAVAILABLE)
		_, err = c.Topic(ctx, payments, 0)
		wantCode(t, why+": payments, never fetched", err, registry.EUNAVAILABLE)
		_, err = newClient(t, e.url).Topic(ctx, orders, 0)
		wantCode(t, why+": without a cache", err, registry.EUNAVAILABLE)
	}

	e.mode.Store(http.StatusServiceUnavailable)
	check(t, "503")
	e.mode.Store(0)
	e.srv.Close()
	check(t, "closed")

	// Files are renamed into place: no temporary file is left.
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", p)
		}
		return nil
	})
}

func TestNotFoundIsNotServedFromCache(t *testing.T) {
	t.Parallel()
	e := newEstate(t, api.Config{})
	ctx := t.Context()
	dir := t.TempDir()
	if _, err := newClient(t, e.url, client.WithCacheDir(dir)).Topic(ctx, orders, 0); err != nil {
		t.Fatal(err)
	}
	e.mode.Store(http.StatusNotFound)
	var logs logBuffer
	c := newClient(t, e.url, client.WithCacheDir(dir), client.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	_, err := c.Topic(ctx, orders, 0)
	wantCode(t, "latest of a topic the registry no longer has", err, registry.ENOTFOUND)
	if strings.Contains(logs.String(), "cached") {
		t.Errorf("a 404 was served from the cache:\n%s", logs.String())
	}
}

func TestPinnedVersionFromCacheFirst(t *testing.T) {
	t.Parallel()
	e := newEstate(t, api.Config{})
	ctx := t.Context()
	dir := t.TempDir()
	if _, err := newClient(t, e.url, client.WithCacheDir(dir)).Topic(ctx, orders, 1); err != nil {
		t.Fatal(err)
	}
	before := e.requests.Load()
	var logs logBuffer
	c := newClient(t, e.url, client.WithCacheDir(dir), client.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	s, err := c.Topic(ctx, orders, 1)
	if err != nil || s.Version != 1 || !s.FromCache {
		t.Fatalf("pinned version 1: %v", err)
	}
	if got := e.requests.Load(); got != before {
		t.Errorf("a cached pinned version made %d requests, want none", got-before)
	}
	if strings.Contains(logs.String(), "WARN") {
		t.Errorf("a cached immutable version is not a warning:\n%s", logs.String())
	}
}

func TestAuth(t *testing.T) {
	t.Parallel()
	auth, err := api.NewAuth([]api.Credential{
		{Name: "svc", Role: api.RoleRead, Token: "s3cret"},
		{Name: "kafka", Role: api.RoleRead, Username: "orders", Password: "pa55"},
	}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := newEstate(t, api.Config{Auth: auth})
	ctx := t.Context()
	userURL := strings.Replace(e.url, "://", "://orders:pa55@", 1)
	for _, tc := range []struct {
		name string
		url  string
		opts []client.Option
		code string
	}{
		{"anonymous", e.url, nil, registry.EUNAUTHORIZED},
		{"bearer", e.url, []client.Option{client.WithBearerToken("s3cret")}, ""},
		{"wrong bearer", e.url, []client.Option{client.WithBearerToken("guess")}, registry.EUNAUTHORIZED},
		{"basic", e.url, []client.Option{client.WithBasicAuth("orders", "pa55")}, ""},
		{"wrong basic", e.url, []client.Option{client.WithBasicAuth("orders", "guess")}, registry.EUNAUTHORIZED},
		{"basic in the URL", userURL, nil, ""},
	} {
		c := newClient(t, tc.url, tc.opts...)
		_, err := c.Topic(ctx, orders, 0)
		wantCode(t, tc.name+": Topic", err, tc.code)
		if tc.code == "" {
			s, _ := c.Topic(ctx, orders, 0)
			_, err = c.ByID(ctx, s.ValueID())
			wantCode(t, tc.name+": ByID", err, "")
		}
	}
}

// TestDependencies keeps the client light for the services linking it: the
// standard library, google.golang.org/protobuf and the root package only.
func TestDependencies(t *testing.T) {
	t.Parallel()
	out, err := exec.CommandContext(t.Context(), "go", "list", "-deps", "-f", "{{.ImportPath}} {{.Standard}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for line := range strings.Lines(string(out)) {
		path, std, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch {
		case std == "true", strings.HasPrefix(path, "google.golang.org/protobuf/"),
			path == "github.com/backbone-registry/backbone", path == "github.com/backbone-registry/backbone/client":
		default:
			t.Errorf("the client depends on %s", path)
		}
	}
}
