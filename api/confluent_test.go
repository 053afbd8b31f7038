package api_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/backbone-registry/backbone/api"
	"github.com/backbone-registry/backbone/compat"
)

// The Confluent API is exercised with a real client, franz-go's sr, against
// a real Git history ingested into the embedded store: orders.events has two
// versions, a message key and a shared import (common/v1/money.proto);
// payments.events carries two value types.

const (
	ordersValue  = "acme.retail.orders.events-value"
	ordersKey    = "acme.retail.orders.events-key"
	moneySubject = "common/v1/money.proto"
	authorized   = "acme.retail.payments.events-acme.retail.payments.v1.PaymentAuthorized"
	failed       = "acme.retail.payments.events-acme.retail.payments.v1.PaymentFailed"
)

var confluentSubjects = []string{ordersKey, ordersValue, authorized, failed, moneySubject}

const confluentMoney = `syntax = "proto3";
package acme.common.v1;
// An amount of money.
message Money {
  // ISO 4217 code.
  string currency = 1;
  // Amount in minor units.
  int64 minor = 2;
}
`

// confluentOrders is orders.proto; fields are added to OrderEvent.
func confluentOrders(extra string) string {
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

const confluentChannel = "  // Sales channel.\n  string channel = 4;\n"

type confluentEstate struct {
	srv  *httptest.Server
	cl   *sr.Client
	repo string
}

// newConfluentEstate serves the two versions of the estate
// (confluentSnapshot) to a franz-go sr client.
func newConfluentEstate(t *testing.T) *confluentEstate {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(t.Output(), nil))
	snap, repoDir := confluentSnapshot(t)
	srv := httptest.NewServer(api.New(snap, api.Config{Logger: logger}))
	t.Cleanup(srv.Close)
	cl, err := sr.NewClient(sr.URLs(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	return &confluentEstate{srv: srv, cl: cl, repo: repoDir}
}

// errorCode returns the Confluent error code of an sr error.
func errorCode(t *testing.T, err error) int {
	t.Helper()
	var re *sr.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("want a Confluent error response, got %v", err)
	}
	return re.ErrorCode
}

// reformat prints a .proto text the way another parser would: no comments,
// different whitespace.
func reformat(text string) string {
	var out []string
	for line := range strings.Lines(text) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "//") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n\n    ")
}

func TestConfluentClient(t *testing.T) {
	t.Parallel()
	e := newConfluentEstate(t)
	ctx, cl := t.Context(), e.cl

	if types, err := cl.SupportedTypes(ctx); err != nil || !slices.Equal(types, []sr.SchemaType{sr.TypeProtobuf}) {
		t.Errorf("SupportedTypes: got %v, %v", types, err)
	}
	if contexts, err := cl.Contexts(ctx); err != nil || !slices.Equal(contexts, []string{"."}) {
		t.Errorf("Contexts: got %v, %v", contexts, err)
	}
	if subjects, err := cl.Subjects(ctx); err != nil || !slices.Equal(subjects, confluentSubjects) {
		t.Errorf("Subjects: got %v, %v; want %v", subjects, err, confluentSubjects)
	}
	if versions, err := cl.SubjectVersions(ctx, ordersValue); err != nil || !slices.Equal(versions, []int{1, 2}) {
		t.Errorf("SubjectVersions: got %v, %v", versions, err)
	}

	latest, err := cl.SchemaByVersion(ctx, ordersValue, -1)
	if err != nil {
		t.Fatal(err)
	}
	v1, err := cl.SchemaByVersion(ctx, ordersValue, 1)
	if err != nil {
		t.Fatal(err)
	}
	moneyRef := []sr.SchemaReference{{Name: moneySubject, Subject: moneySubject, Version: 1}}
	if latest.Version != 2 || latest.Type != sr.TypeProtobuf || !strings.Contains(latest.Schema.Schema, "string channel = 4;") ||
		!slices.Equal(latest.References, moneyRef) || latest.Subject != ordersValue {
		t.Errorf("latest: got %+v", latest)
	}
	if v1.Version != 1 || strings.Contains(v1.Schema.Schema, "channel") || v1.ID == latest.ID || v1.ID == 0 {
		t.Errorf("version 1: got %+v (latest ID %d)", v1, latest.ID)
	}
	key, err := cl.SchemaByVersion(ctx, ordersKey, 1)
	if err != nil || key.ID != v1.ID {
		t.Errorf("key version 1: got %+v, %v; the same file as the value's version 1 must have its ID %d", key, err, v1.ID)
	}

	// By ID: a Kafka record's 4-byte ID resolves to the schema and its references.
	byID, err := cl.SchemaByID(ctx, v1.ID)
	if err != nil || byID.Schema != v1.Schema.Schema || byID.Type != sr.TypeProtobuf || !slices.Equal(byID.References, moneyRef) {
		t.Errorf("SchemaByID: got %+v, %v", byID, err)
	}
	if text, err := cl.SchemaTextByID(ctx, v1.ID); err != nil || text != v1.Schema.Schema {
		t.Errorf("SchemaTextByID: got %q, %v", text, err)
	}
	if text, err := cl.SchemaTextByVersion(ctx, ordersValue, -1); err != nil || text != latest.Schema.Schema {
		t.Errorf("SchemaTextByVersion: got %q, %v", text, err)
	}
	wantUsage := []sr.SubjectVersion{{Subject: ordersKey, Version: 1}, {Subject: ordersValue, Version: 1}}
	if got, err := cl.SchemaVersionsByID(ctx, v1.ID); err != nil || !slices.Equal(got, wantUsage) {
		t.Errorf("SchemaVersionsByID: got %v, %v; want %v", got, err, wantUsage)
	}
	if got, err := cl.SubjectsByID(ctx, v1.ID); err != nil || !slices.Equal(got, []string{ordersKey, ordersValue}) {
		t.Errorf("SubjectsByID: got %v, %v", got, err)
	}
	refs, err := cl.SchemaReferences(ctx, moneySubject, 1)
	if err != nil || len(refs) != 4 {
		t.Errorf("SchemaReferences(money, 1): got %d usages (%v), want the key and value at versions 1 and 2", len(refs), err)
	}
	all, err := cl.AllSchemas(ctx)
	if err != nil || len(all) != 7 {
		t.Errorf("AllSchemas: got %d, %v; want 7 subject versions", len(all), err)
	}

	// Lookup compares compiled content: another parser's printing of the
	// text (no comments, other whitespace) is the same schema, and
	// references may be left out for imports the subject already has.
	lookups := []struct {
		name   string
		schema sr.Schema
		want   int
	}{
		{"as served", v1.Schema, 1},
		{"reformatted", sr.Schema{Schema: reformat(latest.Schema.Schema), Type: sr.TypeProtobuf, References: moneyRef}, 2},
		{"without references", sr.Schema{Schema: reformat(v1.Schema.Schema), Type: sr.TypeProtobuf}, 1},
	}
	for _, l := range lookups {
		got, err := cl.LookupSchema(ctx, ordersValue, l.schema)
		if err != nil || got.Version != l.want || got.Subject != ordersValue {
			t.Errorf("LookupSchema %s: got %+v, %v; want version %d", l.name, got, err, l.want)
		}
	}
	gift := sr.Schema{Schema: confluentOrders(confluentChannel + "  bool gift = 5;\n"), Type: sr.TypeProtobuf, References: moneyRef}
	if _, err := cl.LookupSchema(ctx, ordersValue, gift); errorCode(t, err) != 40403 {
		t.Errorf("LookupSchema of new content: got %v, want 40403", err)
	}
	if got, err := cl.LookupSchema(ctx, moneySubject, sr.Schema{Schema: confluentMoney, Type: sr.TypeProtobuf}); err != nil || got.Version != 1 {
		t.Errorf("LookupSchema of the import: got %+v, %v", got, err)
	}

	// Registration: existing content returns its ID, anything else is refused.
	created, err := cl.CreateSchema(ctx, ordersValue, sr.Schema{Schema: reformat(v1.Schema.Schema), Type: sr.TypeProtobuf, References: moneyRef})
	if err != nil || created.ID != v1.ID || created.Version != 1 {
		t.Errorf("CreateSchema of existing content: got %+v, %v; want ID %d", created, err, v1.ID)
	}
	_, err = cl.CreateSchema(ctx, ordersValue, gift)
	if errorCode(t, err) != 42205 || !strings.Contains(err.Error(), "open a pull request in "+e.repo) {
		t.Errorf("CreateSchema of new content: got %v, want 42205 naming the repository", err)
	}
	if _, err := cl.CreateSchema(ctx, "acme.retail.nope.events-value", gift); errorCode(t, err) != 42205 {
		t.Errorf("CreateSchema under a new subject: got %v, want 42205", err)
	}

	// Compatibility, under the topic's mode (BACKWARD_TRANSITIVE).
	verbose := sr.WithParams(ctx, sr.Verbose)
	if got, err := cl.CheckCompatibility(verbose, ordersValue, -1, gift); err != nil || !got.Is || len(got.Messages) != 0 {
		t.Errorf("adding a field: got %+v, %v; want compatible", got, err)
	}
	dropChannel := sr.Schema{Schema: confluentOrders(""), Type: sr.TypeProtobuf, References: moneyRef}
	for _, version := range []int{-1, -2} {
		got, err := cl.CheckCompatibility(verbose, ordersValue, version, dropChannel)
		if err != nil || got.Is || len(got.Messages) == 0 || !strings.Contains(got.Messages[0], "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED") {
			t.Errorf("dropping a field, version %d: got %+v, %v; want incompatible with the rule named", version, got, err)
		}
	}
	if got, err := cl.CheckCompatibility(verbose, ordersValue, 1, dropChannel); err != nil || !got.Is {
		t.Errorf("version 1 against itself: got %+v, %v", got, err)
	}
	if got, err := cl.CheckCompatibility(ctx, ordersValue, -1, dropChannel); err != nil || got.Is || len(got.Messages) != 0 {
		t.Errorf("not verbose: got %+v, %v; want incompatible without messages", got, err)
	}
	// A shared file is checked through every topic that imports it.
	noMinor := sr.Schema{Schema: strings.Replace(confluentMoney, "  int64 minor = 2;\n", "", 1), Type: sr.TypeProtobuf}
	got, err := cl.CheckCompatibility(verbose, moneySubject, -1, noMinor)
	if err != nil || got.Is || len(got.Messages) == 0 || !strings.HasPrefix(got.Messages[0], "acme.retail.orders.events: ") {
		t.Errorf("dropping a field of the import: got %+v, %v", got, err)
	}
	if got, err := cl.CheckCompatibility(ctx, "acme.retail.new.events-value", -2, gift); err != nil || !got.Is {
		t.Errorf("a new subject: got %+v, %v; want compatible", got, err)
	}
	if _, err := cl.CheckCompatibility(ctx, ordersValue, -1, sr.Schema{Schema: "syntax = \"proto3\"; message {", Type: sr.TypeProtobuf}); errorCode(t, err) != 42201 {
		t.Errorf("a schema that does not compile: got %v, want 42201", err)
	}

	// Config and mode.
	levels := cl.Compatibility(ctx, sr.GlobalSubject, ordersValue, authorized, moneySubject)
	wantLevels := []sr.CompatibilityLevel{sr.CompatBackward, sr.CompatBackwardTransitive, sr.CompatBackward}
	for i, want := range wantLevels {
		if levels[i].Err != nil || levels[i].Level != want {
			t.Errorf("Compatibility(%q): got %v, %v; want %v", levels[i].Subject, levels[i].Level, levels[i].Err, want)
		}
	}
	if errorCode(t, levels[3].Err) != 40408 {
		t.Errorf("Compatibility of an import: got %v, want 40408", levels[3].Err)
	}
	if r := cl.Compatibility(sr.WithParams(ctx, sr.DefaultToGlobal), moneySubject)[0]; r.Err != nil || r.Level != sr.CompatBackward {
		t.Errorf("Compatibility of an import with defaultToGlobal: got %v, %v", r.Level, r.Err)
	}
	for _, m := range cl.Mode(ctx, sr.GlobalSubject, ordersValue) {
		if m.Err != nil || m.Mode != sr.ModeReadOnly {
			t.Errorf("Mode(%q): got %v, %v", m.Subject, m.Mode, m.Err)
		}
	}

	// Not found and invalid.
	notFound := []struct {
		name string
		err  error
		want int
	}{
		{"unknown subject", second(cl.SchemaByVersion(ctx, "acme.retail.nope.events-value", 1)), 40401},
		{"unknown version", second(cl.SchemaByVersion(ctx, ordersValue, 9)), 40402},
		{"unknown ID", second(cl.SchemaByID(ctx, 999)), 40403},
		{"version 0", second(cl.SchemaByVersion(ctx, ordersValue, 0)), 42202},
		{"versions of an unknown subject", second(cl.SubjectVersions(ctx, "nope")), 40401},
		{"lookup under an unknown subject", second(cl.LookupSchema(ctx, "nope", gift)), 40401},
	}
	for _, n := range notFound {
		if got := errorCode(t, n.err); got != n.want {
			t.Errorf("%s: got %d (%v), want %d", n.name, got, n.err, n.want)
		}
	}

	// Every write is refused.
	writes := map[string]error{
		"DeleteSubject":    second(cl.DeleteSubject(ctx, ordersValue, sr.SoftDelete)),
		"DeleteSchema":     cl.DeleteSchema(ctx, ordersValue, 1, sr.HardDelete),
		"SetCompatibility": cl.SetCompatibility(ctx, sr.SetCompatibility{Level: sr.CompatNone}, ordersValue)[0].Err,
		"SetMode":          cl.SetMode(ctx, sr.ModeReadWrite)[0].Err,
		"ResetMode":        cl.ResetMode(ctx, ordersValue)[0].Err,
	}
	for name, err := range writes {
		if got := errorCode(t, err); got != 42205 {
			t.Errorf("%s: got %d (%v), want 42205", name, got, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

// TestConfluentWireFormat produces a record in Confluent's wire format
// (magic byte, 4-byte schema ID, message indexes, payload) and consumes it
// as a consumer does: decode the header, fetch the schema by ID with its
// references, compile it, pick the message by index, decode the payload.
func TestConfluentWireFormat(t *testing.T) {
	t.Parallel()
	e := newConfluentEstate(t)
	ctx, cl := t.Context(), e.cl

	latest, err := cl.SchemaByVersion(ctx, ordersValue, -1)
	if err != nil {
		t.Fatal(err)
	}
	// OrderEvent is the file's second message: index [1].
	producerFile := compileFetched(t, cl, latest.Schema)
	md := producerFile.Messages().Get(1)
	if md.FullName() != "acme.retail.orders.v1.OrderEvent" {
		t.Fatalf("message 1: got %s", md.FullName())
	}
	msg := dynamicpb.NewMessage(md)
	msg.Set(md.Fields().ByName("order_id"), protoreflect.ValueOfString("o-1"))
	msg.Set(md.Fields().ByName("channel"), protoreflect.ValueOfString("web"))
	payload, err := proto.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	id := uint32(latest.ID)
	record := append([]byte{0, byte(id >> 24), byte(id >> 16), byte(id >> 8), byte(id), 2, 2}, payload...) // indexes: count 1, index 1 (zigzag)

	var serde sr.Serde
	serde.Register(latest.ID, dynamicpb.NewMessage(md), sr.Index(1),
		sr.EncodeFn(func(v any) ([]byte, error) { return proto.Marshal(v.(*dynamicpb.Message)) }),
		sr.DecodeFn(func(b []byte, v any) error { return proto.Unmarshal(b, v.(*dynamicpb.Message)) }))
	// dynamicpb marshals fields in no fixed order: compare headers, then payloads decoded.
	encoded, err := serde.Encode(msg)
	if err != nil || !bytes.Equal(encoded[:7], record[:7]) {
		t.Errorf("sr encodes the header %x, %v; want %x", encoded[:min(7, len(encoded))], err, record[:7])
	}
	if roundTrip := dynamicpb.NewMessage(md); serde.Decode(encoded, roundTrip) != nil || !proto.Equal(roundTrip, msg) {
		t.Errorf("sr does not decode what it encodes: %v", roundTrip)
	}

	// The consumer side.
	var header sr.ConfluentHeader
	gotID, rest, err := header.DecodeID(record)
	if err != nil || gotID != latest.ID {
		t.Fatalf("DecodeID: got %d, %v", gotID, err)
	}
	index, body, err := header.DecodeIndex(rest, 8)
	if err != nil || !slices.Equal(index, []int{1}) {
		t.Fatalf("DecodeIndex: got %v, %v", index, err)
	}
	schema, err := cl.SchemaByID(ctx, gotID)
	if err != nil {
		t.Fatal(err)
	}
	consumerMD := compileFetched(t, cl, schema).Messages().Get(index[0])
	got := dynamicpb.NewMessage(consumerMD)
	if err := proto.Unmarshal(body, got); err != nil {
		t.Fatal(err)
	}
	if s := got.Get(consumerMD.Fields().ByName("channel")).String(); s != "web" || got.Get(consumerMD.Fields().ByName("order_id")).String() != "o-1" {
		t.Errorf("decoded: got %v", got)
	}
	decoded := dynamicpb.NewMessage(md)
	if err := serde.Decode(record, decoded); err != nil || !proto.Equal(decoded, msg) {
		t.Errorf("sr Decode: got %v, %v", decoded, err)
	}
}

// compileFetched compiles a schema fetched from the registry with its
// references, fetched too, as a consumer does.
func compileFetched(t *testing.T, cl *sr.Client, s sr.Schema) protoreflect.FileDescriptor {
	t.Helper()
	files := map[string][]byte{"fetched.proto": []byte(s.Schema)}
	for _, r := range s.References {
		ref, err := cl.SchemaByVersion(t.Context(), r.Subject, r.Version)
		if err != nil {
			t.Fatal(err)
		}
		files[r.Name] = []byte(ref.Schema.Schema)
	}
	compiled, err := compat.CompileSources(t.Context(), files, compat.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	fd, _ := compiled.File("fetched.proto")
	return fd
}

// confluentDo sends a request and returns the response with its body.
func confluentDo(t *testing.T, method, url string, header map[string]string, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// confluentErrorBody decodes a Confluent error, failing on anything else.
func confluentErrorBody(t *testing.T, resp *http.Response, body []byte) api.ConfluentError {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); strings.Contains(ct, "problem") {
		t.Errorf("%s %s: Content-Type %s: Confluent clients cannot read problem+json", resp.Request.Method, resp.Request.URL.Path, ct)
	}
	var e api.ConfluentError
	if err := json.Unmarshal(body, &e); err != nil || e.Code == 0 || e.Message == "" {
		t.Errorf("%s %s: not a Confluent error: %s", resp.Request.Method, resp.Request.URL.Path, body)
	}
	return e
}

func TestConfluentMediaTypes(t *testing.T) {
	t.Parallel()
	e := newConfluentEstate(t)
	java := "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5"
	tests := []struct{ accept, want string }{
		{"", "application/vnd.schemaregistry.v1+json"},
		{"*/*", "application/vnd.schemaregistry.v1+json"},
		{java, "application/vnd.schemaregistry.v1+json"},
		{"application/json", "application/json"},
		{"application/vnd.schemaregistry+json", "application/vnd.schemaregistry+json"},
		{"application/json; q=0.9, application/vnd.schemaregistry+json", "application/vnd.schemaregistry+json"},
		{"text/html", "application/vnd.schemaregistry.v1+json"},
	}
	for _, tt := range tests {
		for _, path := range []string{"/subjects", "/subjects/nope/versions"} {
			resp, body := confluentDo(t, http.MethodGet, e.srv.URL+path, map[string]string{"Accept": tt.accept}, "")
			if ct := resp.Header.Get("Content-Type"); ct != tt.want {
				t.Errorf("GET %s, Accept %q: Content-Type %q, want %q", path, tt.accept, ct, tt.want)
			}
			if path != "/subjects" {
				if got := confluentErrorBody(t, resp, body); resp.StatusCode != http.StatusNotFound || got.Code != 40401 {
					t.Errorf("GET %s: got %d %+v, want 404 40401", path, resp.StatusCode, got)
				}
			}
		}
	}

	// Posted bodies are read in every Confluent media type.
	lookup, _ := json.Marshal(map[string]any{"schemaType": "PROTOBUF", "schema": confluentMoney})
	for _, ct := range []string{"application/vnd.schemaregistry.v1+json", "application/vnd.schemaregistry+json", "application/json", ""} {
		resp, body := confluentDo(t, http.MethodPost, e.srv.URL+"/subjects/"+url.PathEscape(moneySubject), map[string]string{"Content-Type": ct}, string(lookup))
		var got api.ConfluentSubjectVersion
		if err := json.Unmarshal(body, &got); resp.StatusCode != http.StatusOK || err != nil || got.Version != 1 || got.SchemaType != "PROTOBUF" {
			t.Errorf("POST lookup, Content-Type %q: got %d %s", ct, resp.StatusCode, body)
		}
	}
}

func TestConfluentCaching(t *testing.T) {
	t.Parallel()
	e := newConfluentEstate(t)
	latest, err := e.cl.SchemaByVersion(t.Context(), ordersValue, -1)
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.Itoa(latest.ID)
	tests := []struct{ path, cacheControl string }{
		{"/schemas/ids/" + id, "public, max-age=31536000, immutable"},
		{"/schemas/ids/" + id + "/schema", "public, max-age=31536000, immutable"},
		{"/subjects/" + ordersValue + "/versions/2", "public, max-age=31536000, immutable"},
		{"/subjects/" + ordersValue + "/versions/latest", "public, max-age=5"},
		{"/subjects/" + ordersValue + "/versions/-1/schema", "public, max-age=5"},
	}
	for _, tt := range tests {
		resp, body := confluentDo(t, http.MethodGet, e.srv.URL+tt.path, nil, "")
		etag := resp.Header.Get("ETag")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != tt.cacheControl || !strings.HasPrefix(etag, `"`) || len(body) == 0 {
			t.Errorf("GET %s: got %d, Cache-Control %q, ETag %q", tt.path, resp.StatusCode, resp.Header.Get("Cache-Control"), etag)
			continue
		}
		for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
			resp, body := confluentDo(t, http.MethodGet, e.srv.URL+tt.path, map[string]string{"If-None-Match": inm}, "")
			if resp.StatusCode != http.StatusNotModified || len(body) != 0 || resp.Header.Get("ETag") != etag {
				t.Errorf("GET %s, If-None-Match %s: got %d %q, want 304 without a body", tt.path, inm, resp.StatusCode, body)
			}
		}
		if resp, _ := confluentDo(t, http.MethodGet, e.srv.URL+tt.path, map[string]string{"If-None-Match": `"stale"`}, ""); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s with a stale ETag: got %d, want 200", tt.path, resp.StatusCode)
		}
	}
	_, text := confluentDo(t, http.MethodGet, e.srv.URL+"/schemas/ids/"+id+"/schema", nil, "")
	if string(text) != latest.Schema.Schema {
		t.Errorf("raw text: got %q, want the .proto as in Git", text)
	}
	if resp, _ := confluentDo(t, http.MethodGet, e.srv.URL+"/schemas/ids/"+id+"?fetchMaxId=true", nil, ""); resp.Header.Get("Cache-Control") != "" {
		t.Errorf("fetchMaxId answers change with every new schema, but got Cache-Control %q", resp.Header.Get("Cache-Control"))
	}
}

func TestConfluentPagination(t *testing.T) {
	t.Parallel()
	e := newConfluentEstate(t)
	list := func(query string) []api.ConfluentSubjectVersion {
		t.Helper()
		resp, body := confluentDo(t, http.MethodGet, e.srv.URL+"/schemas"+query, nil, "")
		var out []api.ConfluentSubjectVersion
		if err := json.Unmarshal(body, &out); resp.StatusCode != http.StatusOK || err != nil {
			t.Fatalf("GET /schemas%s: got %d %s", query, resp.StatusCode, body)
		}
		return out
	}
	key := func(s api.ConfluentSubjectVersion) string { return s.Subject + "@" + strconv.Itoa(s.Version) }
	all := list("")
	if len(all) != 7 || key(all[0]) != ordersKey+"@1" || key(all[6]) != moneySubject+"@1" {
		t.Fatalf("all schemas: got %d, first %v", len(all), all)
	}
	var paged []api.ConfluentSubjectVersion
	for offset := 0; offset < 9; offset += 3 {
		page := list("?offset=" + strconv.Itoa(offset) + "&limit=3")
		if len(page) > 3 {
			t.Errorf("offset %d: got %d entries, want at most 3", offset, len(page))
		}
		paged = append(paged, page...)
	}
	if !slices.EqualFunc(paged, all, func(a, b api.ConfluentSubjectVersion) bool { return key(a) == key(b) && a.ID == b.ID }) {
		t.Errorf("pages: got %v, want %v", paged, all)
	}
	if got := list("?limit=100000"); len(got) != 7 {
		t.Errorf("a huge limit: got %d", len(got))
	}
	if got := list("?latestOnly=true"); len(got) != 5 || got[1].Subject != ordersValue || got[1].Version != 2 {
		t.Errorf("latestOnly: got %v", got)
	}
	if got := list("?subjectPrefix=acme.retail.orders."); len(got) != 4 {
		t.Errorf("subjectPrefix: got %d, want 4", len(got))
	}

	subjects := func(query string) []string {
		_, body := confluentDo(t, http.MethodGet, e.srv.URL+"/subjects"+query, nil, "")
		var out []string
		_ = json.Unmarshal(body, &out)
		return out
	}
	if got := subjects("?subjectPrefix=common/"); !slices.Equal(got, []string{moneySubject}) {
		t.Errorf("subjects with a prefix: got %v", got)
	}
	if got := subjects("?offset=1&limit=2"); !slices.Equal(got, confluentSubjects[1:3]) {
		t.Errorf("a page of subjects: got %v", got)
	}
	if got := subjects("?deletedOnly=true"); got == nil || len(got) != 0 {
		t.Errorf("deleted subjects: got %v, want []", got)
	}
}

func TestConfluentRefusesWrites(t *testing.T) {
	t.Parallel()
	e := newConfluentEstate(t)
	newSchema, _ := json.Marshal(map[string]any{"schemaType": "PROTOBUF", "schema": confluentMoney + "message Other {}\n"})
	tests := []struct {
		method, path, body string
		status, code       int
	}{
		{http.MethodDelete, "/subjects/" + ordersValue, "", 422, 42205},
		{http.MethodDelete, "/subjects/" + ordersValue + "/versions/1?permanent=true", "", 422, 42205},
		{http.MethodPut, "/config", `{"compatibility":"NONE"}`, 422, 42205},
		{http.MethodPut, "/config/" + ordersValue, `{"compatibility":"NONE"}`, 422, 42205},
		{http.MethodDelete, "/config", "", 422, 42205},
		{http.MethodPut, "/mode", `{"mode":"READWRITE"}`, 422, 42205},
		{http.MethodPut, "/mode/" + ordersValue, `{"mode":"IMPORT"}`, 422, 42205},
		{http.MethodPost, "/subjects/" + url.PathEscape(moneySubject) + "/versions", string(newSchema), 422, 42205},
		{http.MethodPost, "/subjects", "{}", 422, 42205},
		{http.MethodPost, "/subjects/a/b/c/d", "{}", 422, 42205},
		{http.MethodPatch, "/schemas/ids/1", "{}", 422, 42205},
		{http.MethodDelete, "/contexts/staging", "", 422, 42205},
		{http.MethodPost, "/exporters", "{}", 404, 0}, // not a Confluent root Backbone serves
		{http.MethodGet, "/subjects/" + ordersValue + "/nope", "", 404, 404},
		{http.MethodGet, "/schemas/ids/abc", "", 404, 40403},
		{http.MethodGet, "/subjects/" + ordersValue + "/versions/abc", "", 422, 42202},
		{http.MethodGet, "/subjects/" + ordersValue + "/versions/2147483648", "", 422, 42202},
		{http.MethodPost, "/subjects/" + ordersValue, "{not json", 400, 400},
		{http.MethodPost, "/subjects/" + ordersValue, "", 422, 42201},
		{http.MethodPost, "/subjects/" + ordersValue, `{"schema":"{\"type\":\"string\"}"}`, 422, 42201},
		{http.MethodPost, "/subjects/" + ordersValue, `{"schemaType":"PROTOBUF","schema":"syntax = \"proto3\";\nmessage A { string a = 1 }"}`, 422, 42201},
		{http.MethodPost, "/subjects/" + ordersValue, `{"schemaType":"PROTOBUF","schema":"syntax = \"proto3\";","references":[{"name":"x.proto","subject":"x.proto","version":1}]}`, 422, 42201},
	}
	for _, tt := range tests {
		resp, body := confluentDo(t, tt.method, e.srv.URL+tt.path, map[string]string{"Content-Type": "application/vnd.schemaregistry.v1+json"}, tt.body)
		if resp.StatusCode != tt.status {
			t.Errorf("%s %s: got %d %s, want %d", tt.method, tt.path, resp.StatusCode, body, tt.status)
			continue
		}
		if tt.code == 0 {
			continue
		}
		got := confluentErrorBody(t, resp, body)
		if got.Code != tt.code {
			t.Errorf("%s %s: got %+v, want error_code %d", tt.method, tt.path, got, tt.code)
		}
		if tt.code == 42205 && !strings.Contains(got.Message, "schemas are managed in Git: open a pull request in "+e.repo) {
			t.Errorf("%s %s: the refusal must say where the schemas are: %q", tt.method, tt.path, got.Message)
		}
	}
}

func TestConfluentDirectoryMode(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(api.New(staticSource{loadFixture(t)}, api.Config{}))
	t.Cleanup(srv.Close)
	tests := []struct {
		path   string
		status int
		want   string
	}{
		{"/subjects", 200, "[]"},
		{"/schemas", 200, "[]"},
		{"/config", 200, `"compatibilityLevel":"FULL"`},
		{"/config/acme.retail.orders.commands-value", 200, `"compatibilityLevel":"FULL"`},
		{"/mode", 200, `"READONLY"`},
		{"/schemas/ids/1", 404, "--dir"},
		{"/subjects/acme.retail.orders.commands-value/versions", 404, "--dir"},
	}
	for _, tt := range tests {
		resp, body := confluentDo(t, http.MethodGet, srv.URL+tt.path, nil, "")
		if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.want) {
			t.Errorf("GET %s: got %d %s, want %d containing %s", tt.path, resp.StatusCode, body, tt.status, tt.want)
		}
	}

	empty := httptest.NewServer(api.New(staticSource{}, api.Config{}))
	t.Cleanup(empty.Close)
	resp, body := confluentDo(t, http.MethodGet, empty.URL+"/subjects", nil, "")
	if got := confluentErrorBody(t, resp, body); resp.StatusCode != http.StatusServiceUnavailable || got.Code != 503 {
		t.Errorf("no snapshot: got %d %s, want 503", resp.StatusCode, body)
	}
}

func TestConfluentOpenAPI(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(api.New(staticSource{loadFixture(t)}, api.Config{}))
	t.Cleanup(srv.Close)
	_, body := confluentDo(t, http.MethodGet, srv.URL+"/openapi.json", nil, "")
	var spec struct {
		Paths map[string]map[string]struct {
			Tags        []string `json:"tags"`
			RequestBody *struct {
				Required bool                       `json:"required"`
				Content  map[string]json.RawMessage `json:"content"`
			} `json:"requestBody"`
			Responses map[string]struct {
				Content map[string]json.RawMessage `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(body, &spec); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/schemas/ids/{id}", "/subjects/{subject}/versions/{version}", "/subjects/{subject}", "/compatibility/subjects/{subject}/versions", "/config", "/mode/{subject}", "/contexts"} {
		ops, ok := spec.Paths[p]
		if !ok {
			t.Errorf("OpenAPI: %s missing", p)
			continue
		}
		for method, op := range ops {
			if !slices.Contains(op.Tags, "Confluent") {
				t.Errorf("%s %s: tags %v, want Confluent", method, p, op.Tags)
			}
			if _, ok := op.Responses["default"].Content["application/vnd.schemaregistry.v1+json"]; !ok && method == "get" {
				t.Errorf("%s %s: errors are not documented in Confluent's media type", method, p)
			}
			if rb := op.RequestBody; rb != nil {
				if _, ok := rb.Content["application/octet-stream"]; ok || rb.Content["application/vnd.schemaregistry.v1+json"] == nil {
					t.Errorf("%s %s: request body documented as %v", method, p, rb.Content)
				}
			}
		}
	}
}
