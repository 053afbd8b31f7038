package api_test

import (
	"errors"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/rest"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/backbone-registry/backbone/api"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/internal/estate"
	"github.com/backbone-registry/backbone/internal/gitfixture"
)

// The Confluent API is exercised a second time with Confluent's own Go
// client, confluent-kafka-go's schemaregistry package (pure Go: it builds
// without cgo, unlike its serde packages, which import the librdkafka
// binding), against the estate of confluent_test.go served behind
// credentials with anonymous read off.

// Credentials of the authenticated estate.
const (
	officialUser     = "svc-orders"
	officialPassword = "pa55"
	officialToken    = "read-token"
)

// confluentSnapshot commits the two versions of the estate of
// confluent_test.go to a Git repository and syncs them into a sqlite store.
// The snapshot it returns is in memory: it outlives tb's cleanups (the
// store and the repository), so a fuzz target may build it once per process.
func confluentSnapshot(tb testing.TB) (snap *catalog.Snapshot, repoDir string) {
	tb.Helper()
	repo := gitfixture.New(tb)
	files := map[string]string{
		"registry.yaml":         "company: acme\ndefaults:\n  compatibility: BACKWARD\n  level: WIRE_JSON\n",
		"common/v1/money.proto": confluentMoney,
		"retail/orders/service.yaml": `description: Orders.
owner: orders-team
topics:
  - name: events
    description: Order facts.
    value: acme.retail.orders.v1.OrderEvent
    key: acme.retail.orders.v1.OrderKey
    compatibility: BACKWARD_TRANSITIVE
`,
		"retail/orders/v1/orders.proto": confluentOrders(""),
		"retail/payments/service.yaml": `description: Payments.
owner: payments-team
consumes: [acme.retail.orders.events]
topics:
  - name: events
    description: Payment facts.
    values: [acme.retail.payments.v1.PaymentAuthorized, acme.retail.payments.v1.PaymentFailed]
`,
		"retail/payments/v1/payments.proto": `syntax = "proto3";
package acme.retail.payments.v1;
// A payment was authorized.
message PaymentAuthorized {
  // The order.
  string order_id = 1;
}
// A payment failed.
message PaymentFailed {
  // The order.
  string order_id = 1;
  // Why.
  string reason = 2;
}
`,
	}
	repo.Commit("initial contracts", files)
	files["retail/orders/v1/orders.proto"] = confluentOrders(confluentChannel)
	repo.Commit("orders: add the sales channel", files)

	return estate.Synced(tb, repo.Dir, ""), repo.Dir
}

// authEstate serves the estate to a basic-auth user and a bearer token, both
// with the read role, and to nobody else.
func authEstate(t *testing.T) (srv *httptest.Server, repoDir string) {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(t.Output(), nil))
	snap, repoDir := confluentSnapshot(t)
	auth, err := api.NewAuth([]api.Credential{
		{Name: "kafka", Role: api.RoleRead, Username: officialUser, Password: officialPassword},
		{Name: "ci", Role: api.RoleRead, Token: officialToken},
	}, false, logger)
	if err != nil {
		t.Fatal(err)
	}
	srv = httptest.NewServer(api.New(snap, api.Config{Logger: logger, Auth: auth}))
	t.Cleanup(srv.Close)
	return srv, repoDir
}

// officialClient returns Confluent's client for conf, without retries: a
// retried 5xx would only hide a failure.
func officialClient(t *testing.T, conf *schemaregistry.Config) schemaregistry.Client {
	t.Helper()
	conf.MaxRetries = 0
	cl, err := schemaregistry.NewClient(conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	return cl
}

// restCode returns the Confluent error code of an error of Confluent's
// client, failing on anything else (a transport or decoding error).
func restCode(t *testing.T, err error) int {
	t.Helper()
	var re *rest.Error
	if !errors.As(err, &re) {
		t.Fatalf("want a Confluent error response (*rest.Error), got %T %v", err, err)
	}
	return re.Code
}

func TestConfluentOfficialClient(t *testing.T) {
	t.Parallel()
	srv, repoDir := authEstate(t)
	cl := officialClient(t, schemaregistry.NewConfigWithBasicAuthentication(srv.URL, officialUser, officialPassword))
	protobuf := func(text string, refs ...schemaregistry.Reference) schemaregistry.SchemaInfo {
		return schemaregistry.SchemaInfo{Schema: text, SchemaType: "PROTOBUF", References: refs}
	}
	moneyRef := schemaregistry.Reference{Name: moneySubject, Subject: moneySubject, Version: 1}

	if subjects, err := cl.GetAllSubjects(); err != nil || !slices.Equal(subjects, confluentSubjects) {
		t.Errorf("GetAllSubjects: got %v, %v; want %v", subjects, err, confluentSubjects)
	}
	if contexts, err := cl.GetAllContexts(); err != nil || !slices.Equal(contexts, []string{"."}) {
		t.Errorf("GetAllContexts: got %v, %v", contexts, err)
	}
	if versions, err := cl.GetAllVersions(ordersValue); err != nil || !slices.Equal(versions, []int{1, 2}) {
		t.Errorf("GetAllVersions: got %v, %v", versions, err)
	}
	// The client path-escapes subjects: an import path's slashes arrive as %2F.
	if versions, err := cl.GetAllVersions(moneySubject); err != nil || !slices.Equal(versions, []int{1}) {
		t.Errorf("GetAllVersions(%s): got %v, %v", moneySubject, versions, err)
	}

	latest, err := cl.GetLatestSchemaMetadata(ordersValue)
	if err != nil {
		t.Fatal(err)
	}
	if latest.Subject != ordersValue || latest.Version != 2 || latest.ID <= 0 || latest.SchemaType != "PROTOBUF" ||
		!strings.Contains(latest.Schema, "string channel = 4;") || !slices.Equal(latest.References, []schemaregistry.Reference{moneyRef}) {
		t.Errorf("GetLatestSchemaMetadata: got %+v", latest)
	}
	v1, err := cl.GetSchemaMetadata(ordersValue, 1)
	if err != nil {
		t.Fatal(err)
	}
	if v1.Subject != ordersValue || v1.Version != 1 || v1.ID <= 0 || v1.ID == latest.ID || strings.Contains(v1.Schema, "channel") ||
		!slices.Equal(v1.References, []schemaregistry.Reference{moneyRef}) {
		t.Errorf("GetSchemaMetadata(1): got %+v (latest ID %d)", v1, latest.ID)
	}
	if deleted, err := cl.GetSchemaMetadataIncludeDeleted(ordersValue, 2, true); err != nil || deleted.ID != latest.ID {
		t.Errorf("GetSchemaMetadataIncludeDeleted: got %+v, %v; want ID %d", deleted, err, latest.ID)
	}
	money, err := cl.GetLatestSchemaMetadata(moneySubject)
	if err != nil || money.Version != 1 || money.Schema != confluentMoney || len(money.References) != 0 {
		t.Errorf("GetLatestSchemaMetadata(%s): got %+v, %v; want the file as in Git, without references", moneySubject, money, err)
	}

	// By ID, with and without a subject (?subject= is accepted and ignored).
	for _, subject := range []string{"", ordersValue, moneySubject} {
		got, err := cl.GetBySubjectAndID(subject, v1.ID)
		if err != nil || got.Schema != v1.Schema || got.SchemaType != "PROTOBUF" || !slices.Equal(got.References, v1.References) {
			t.Errorf("GetBySubjectAndID(%q, %d): got %+v, %v", subject, v1.ID, got, err)
		}
	}
	wantUsage := []schemaregistry.SubjectAndVersion{{Subject: ordersKey, Version: 1}, {Subject: ordersValue, Version: 1}}
	if got, err := cl.GetSubjectsAndVersionsByID(v1.ID); err != nil || !slices.Equal(got, wantUsage) {
		t.Errorf("GetSubjectsAndVersionsByID: got %v, %v; want %v", got, err, wantUsage)
	}

	// Lookup (POST /subjects/{s}): content is compared compiled, so the
	// client's own printing of a schema finds the version.
	gift := protobuf(confluentOrders(confluentChannel+"  bool gift = 5;\n"), moneyRef)
	for _, normalize := range []bool{false, true} {
		if id, err := cl.GetID(ordersValue, protobuf(v1.Schema, moneyRef), normalize); err != nil || id != v1.ID {
			t.Errorf("GetID of version 1, normalize=%t: got %d, %v; want %d", normalize, id, err, v1.ID)
		}
		if id, err := cl.GetID(ordersValue, protobuf(reformat(latest.Schema), moneyRef), normalize); err != nil || id != latest.ID {
			t.Errorf("GetID of the latest version reformatted, normalize=%t: got %d, %v; want %d", normalize, id, err, latest.ID)
		}
		if version, err := cl.GetVersion(ordersValue, protobuf(reformat(v1.Schema)), normalize); err != nil || version != 1 {
			t.Errorf("GetVersion of version 1 without references, normalize=%t: got %d, %v", normalize, version, err)
		}
		if _, err := cl.GetID(ordersValue, gift, normalize); restCode(t, err) != 40403 {
			t.Errorf("GetID of new content, normalize=%t: got %v, want 40403", normalize, err)
		}
	}
	if md, err := cl.GetIDFullResponse(moneySubject, protobuf(confluentMoney), false); err != nil || md.ID != money.ID || md.Version != 1 || md.Subject != moneySubject {
		t.Errorf("GetIDFullResponse of the import: got %+v, %v", md, err)
	}
	if _, err := cl.GetID("acme.retail.nope.events-value", gift, false); restCode(t, err) != 40401 {
		t.Errorf("GetID under an unknown subject: got %v, want 40401", err)
	}

	// Registration: existing content answers its ID, new content 42205.
	if id, err := cl.Register(ordersValue, protobuf(reformat(v1.Schema), moneyRef), false); err != nil || id != v1.ID {
		t.Errorf("Register of existing content: got %d, %v; want %d", id, err, v1.ID)
	}
	if md, err := cl.RegisterFullResponse(ordersValue, protobuf(latest.Schema, moneyRef), true); err != nil || md.ID != latest.ID {
		t.Errorf("RegisterFullResponse of existing content: got %+v, %v; want ID %d", md, err, latest.ID)
	}
	_, err = cl.Register(ordersValue, gift, false)
	if restCode(t, err) != 42205 || !strings.Contains(err.Error(), "open a pull request in "+repoDir) {
		t.Errorf("Register of new content: got %v, want 42205 naming the repository", err)
	}
	if _, err := cl.Register("acme.retail.nope.events-value", gift, false); restCode(t, err) != 42205 {
		t.Errorf("Register under a new subject: got %v, want 42205", err)
	}
	// Confluent's default schema type is AVRO, which is refused as invalid.
	if _, err := cl.Register(ordersValue, schemaregistry.SchemaInfo{Schema: v1.Schema}, false); restCode(t, err) != 42201 {
		t.Errorf("Register without a schema type: got %v, want 42201", err)
	}

	// Compatibility, under the topic's mode (BACKWARD_TRANSITIVE).
	dropChannel := protobuf(confluentOrders(""), moneyRef)
	compat := []struct {
		name    string
		version int // 0: every version (TestSubjectCompatibility)
		schema  schemaregistry.SchemaInfo
		want    bool
	}{
		{"adding a field, against every version", 0, gift, true},
		{"adding a field, against latest", -1, gift, true},
		{"dropping a field, against every version", 0, dropChannel, false},
		{"dropping a field, against latest", -1, dropChannel, false},
		{"dropping a field, against version 2", 2, dropChannel, false},
		{"version 1 against itself", 1, dropChannel, true},
	}
	for _, c := range compat {
		var ok bool
		var err error
		if c.version == 0 {
			ok, err = cl.TestSubjectCompatibility(ordersValue, c.schema)
		} else {
			ok, err = cl.TestCompatibility(ordersValue, c.version, c.schema)
		}
		if err != nil || ok != c.want {
			t.Errorf("%s: got %t, %v; want %t", c.name, ok, err, c.want)
		}
	}
	noMinor := protobuf(strings.Replace(confluentMoney, "  int64 minor = 2;\n", "", 1))
	if ok, err := cl.TestSubjectCompatibility(moneySubject, noMinor); err != nil || ok {
		t.Errorf("dropping a field of the import: got %t, %v; want incompatible", ok, err)
	}
	if ok, err := cl.TestSubjectCompatibility("acme.retail.new.events-value", gift); err != nil || !ok {
		t.Errorf("a new subject: got %t, %v; want compatible", ok, err)
	}
	if _, err := cl.TestCompatibility(ordersValue, 9, gift); restCode(t, err) != 40402 {
		t.Errorf("against an unknown version: got %v, want 40402", err)
	}
	if _, err := cl.TestSubjectCompatibility(ordersValue, protobuf(`syntax = "proto3"; message {`)); restCode(t, err) != 42201 {
		t.Errorf("a schema that does not compile: got %v, want 42201", err)
	}

	// Configuration.
	levels := []struct {
		subject string
		want    schemaregistry.Compatibility
	}{
		{ordersValue, schemaregistry.BackwardTransitive},
		{ordersKey, schemaregistry.BackwardTransitive},
		{authorized, schemaregistry.Backward},
	}
	for _, l := range levels {
		if got, err := cl.GetCompatibility(l.subject); err != nil || got != l.want {
			t.Errorf("GetCompatibility(%s): got %v, %v; want %v", l.subject, got, err, l.want)
		}
	}
	if got, err := cl.GetDefaultCompatibility(); err != nil || got != schemaregistry.Backward {
		t.Errorf("GetDefaultCompatibility: got %v, %v", got, err)
	}
	if got, err := cl.GetDefaultConfig(); err != nil || got.CompatibilityLevel != schemaregistry.Backward {
		t.Errorf("GetDefaultConfig: got %+v, %v", got, err)
	}
	if _, err := cl.GetCompatibility(moneySubject); restCode(t, err) != 40408 {
		t.Errorf("GetCompatibility of an import: got %v, want 40408", err)
	}
	if got, err := cl.GetConfig(moneySubject, true); err != nil || got.CompatibilityLevel != schemaregistry.Backward {
		t.Errorf("GetConfig of an import with defaultToGlobal: got %+v, %v", got, err)
	}
	if got, err := cl.GetConfig(ordersValue, false); err != nil || got.CompatibilityLevel != schemaregistry.BackwardTransitive {
		t.Errorf("GetConfig(%s): got %+v, %v", ordersValue, got, err)
	}
	// This client has no mode calls (GetMode, GetDefaultMode): the mode is
	// checked with franz-go's sr in confluent_test.go.

	// Not found.
	notFound := []struct {
		name string
		err  error
		want int
	}{
		{"GetSchemaMetadata of an unknown subject", second(cl.GetSchemaMetadata("acme.retail.nope.events-value", 1)), 40401},
		{"GetLatestSchemaMetadata of an unknown subject", second(cl.GetLatestSchemaMetadata("nope")), 40401},
		{"GetAllVersions of an unknown subject", second(cl.GetAllVersions("nope")), 40401},
		{"GetSchemaMetadata of an unknown version", second(cl.GetSchemaMetadata(ordersValue, 9)), 40402},
		{"GetBySubjectAndID of an unknown ID", second(cl.GetBySubjectAndID("", 999)), 40403},
		{"GetSubjectsAndVersionsByID of an unknown ID", second(cl.GetSubjectsAndVersionsByID(999)), 40403},
		{"GetSchemaMetadata of version 0", second(cl.GetSchemaMetadata(ordersValue, 0)), 42202},
		// Not served: schema GUIDs and metadata lookups (Confluent 7.x data contracts).
		{"GetByGUID", second(cl.GetByGUID("5c5f5b2c-0000-4000-8000-000000000000")), 404},
		{"GetLatestWithMetadata", second(cl.GetLatestWithMetadata(ordersValue, map[string]string{"owner": "orders-team"}, false)), 404},
	}
	for _, n := range notFound {
		if got := restCode(t, n.err); got != n.want {
			t.Errorf("%s: got %d (%v), want %d", n.name, got, n.err, n.want)
		}
	}

	// Every write is refused.
	writes := map[string]error{
		"DeleteSubject":              second(cl.DeleteSubject(ordersValue, false)),
		"DeleteSubject permanent":    second(cl.DeleteSubject(ordersValue, true)),
		"DeleteSubjectVersion":       second(cl.DeleteSubjectVersion(ordersValue, 1, false)),
		"UpdateCompatibility":        second(cl.UpdateCompatibility(ordersValue, schemaregistry.None)),
		"UpdateDefaultCompatibility": second(cl.UpdateDefaultCompatibility(schemaregistry.Full)),
		"UpdateConfig":               second(cl.UpdateConfig(ordersValue, schemaregistry.ServerConfig{CompatibilityUpdate: schemaregistry.None})),
		"UpdateDefaultConfig":        second(cl.UpdateDefaultConfig(schemaregistry.ServerConfig{CompatibilityUpdate: schemaregistry.None})),
	}
	for name, err := range writes {
		if got := restCode(t, err); got != 42205 {
			t.Errorf("%s: got %d (%v), want 42205", name, got, err)
		}
	}
	// The refusals did not empty the client's caches into wrong answers.
	if versions, err := cl.GetAllVersions(ordersValue); err != nil || !slices.Equal(versions, []int{1, 2}) {
		t.Errorf("GetAllVersions after the refused deletes: got %v, %v", versions, err)
	}
}

// TestConfluentClientsAuth checks that both Confluent clients authenticate
// the way Kafka serializers do (basic.auth.user.info, bearer.auth.token)
// when anonymous read is off, and read Confluent's 40101 when they don't.
func TestConfluentClientsAuth(t *testing.T) {
	t.Parallel()
	srv, _ := authEstate(t)

	t.Run("confluent-kafka-go", func(t *testing.T) {
		t.Parallel()
		allowed := map[string]*schemaregistry.Config{
			"basic":  schemaregistry.NewConfigWithBasicAuthentication(srv.URL, officialUser, officialPassword),
			"bearer": schemaregistry.NewConfigWithBearerAuthentication(srv.URL, officialToken, "", ""),
		}
		for name, conf := range allowed {
			cl := officialClient(t, conf)
			if subjects, err := cl.GetAllSubjects(); err != nil || !slices.Equal(subjects, confluentSubjects) {
				t.Errorf("%s: GetAllSubjects: got %v, %v", name, subjects, err)
			}
			if md, err := cl.GetLatestSchemaMetadata(ordersValue); err != nil || md.Version != 2 {
				t.Errorf("%s: GetLatestSchemaMetadata: got %+v, %v", name, md, err)
			}
		}
		denied := map[string]*schemaregistry.Config{
			"no credentials": schemaregistry.NewConfig(srv.URL),
			"wrong password": schemaregistry.NewConfigWithBasicAuthentication(srv.URL, officialUser, "n0t-a-pass"),
			"unknown user":   schemaregistry.NewConfigWithBasicAuthentication(srv.URL, "nobody", officialPassword),
			"wrong token":    schemaregistry.NewConfigWithBearerAuthentication(srv.URL, "n0t-a-token", "", ""),
		}
		for name, conf := range denied {
			cl := officialClient(t, conf)
			if _, err := cl.GetAllSubjects(); restCode(t, err) != 40101 {
				t.Errorf("%s: GetAllSubjects: got %v, want 40101", name, err)
			}
			if _, err := cl.GetLatestSchemaMetadata(ordersValue); restCode(t, err) != 40101 {
				t.Errorf("%s: GetLatestSchemaMetadata: got %v, want 40101", name, err)
			}
		}
	})

	t.Run("franz-go sr", func(t *testing.T) {
		t.Parallel()
		allowed := map[string]sr.ClientOpt{
			"basic":  sr.BasicAuth(officialUser, officialPassword),
			"bearer": sr.BearerToken(officialToken),
		}
		for name, opt := range allowed {
			cl, err := sr.NewClient(sr.URLs(srv.URL), opt)
			if err != nil {
				t.Fatal(err)
			}
			if subjects, err := cl.Subjects(t.Context()); err != nil || !slices.Equal(subjects, confluentSubjects) {
				t.Errorf("%s: Subjects: got %v, %v", name, subjects, err)
			}
			if s, err := cl.SchemaByVersion(t.Context(), ordersValue, -1); err != nil || s.Version != 2 {
				t.Errorf("%s: SchemaByVersion: got %+v, %v", name, s, err)
			}
		}
		denied := map[string][]sr.ClientOpt{
			"no credentials": nil,
			"wrong password": {sr.BasicAuth(officialUser, "n0t-a-pass")},
			"wrong token":    {sr.BearerToken("n0t-a-token")},
		}
		for name, opts := range denied {
			cl, err := sr.NewClient(append([]sr.ClientOpt{sr.URLs(srv.URL)}, opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			_, err = cl.Subjects(t.Context())
			var re *sr.ResponseError
			if !errors.As(err, &re) || re.StatusCode != 401 || re.ErrorCode != 40101 {
				t.Errorf("%s: Subjects: got %v, want 401 with error_code 40101", name, err)
			}
			if _, err := cl.SchemaByID(t.Context(), 1); errorCode(t, err) != 40101 {
				t.Errorf("%s: SchemaByID: got %v, want 40101", name, err)
			}
		}
	})
}
