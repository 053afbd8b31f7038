package catalog_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/gitsync"
	"github.com/backbone-registry/backbone/internal/gitfixture"
	"github.com/backbone-registry/backbone/sqlite"
)

type harness struct {
	t     *testing.T
	repo  *gitfixture.Repo
	store registry.Store
	snap  *catalog.Snapshot
	in    *catalog.Ingester
	path  string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, repo: gitfixture.New(t), path: filepath.Join(t.TempDir(), "registry.db")}
	h.reopen()
	return h
}

// reopen starts a new Ingester on the same store file, as a restart does.
func (h *harness) reopen() {
	h.t.Helper()
	if h.store != nil {
		h.store.Close()
	}
	store, err := sqlite.Open(h.t.Context(), h.path, slog.New(slog.DiscardHandler))
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { store.Close() })
	repo, err := gitsync.Open(h.t.Context(), gitsync.Config{Source: h.repo.Dir})
	if err != nil {
		h.t.Fatal(err)
	}
	h.store, h.snap = store, &catalog.Snapshot{}
	h.in = &catalog.Ingester{
		Store: store, Snapshot: h.snap, Log: slog.New(slog.NewTextHandler(h.t.Output(), nil)), Origin: h.repo.Dir, Branch: "main",
		Source:  gitsync.Files{Repo: repo, Opts: gitsync.TreeOptions{Root: "schemas", Want: catalog.IsRepositoryFile}},
		Options: catalog.Options{Now: func() time.Time { return time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC) }},
	}
}

func (h *harness) sync() int {
	h.t.Helper()
	n, err := h.in.Sync(h.t.Context())
	if err != nil {
		h.t.Fatalf("sync: %v", err)
	}
	return n
}

func (h *harness) versions(topic string) []registry.TopicVersion {
	return h.snap.Catalog().History().Versions(topic)
}

func TestIngestHistory(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	files := gitfixture.BaseFiles()
	c1 := h.repo.Commit("initial contracts", files)
	if n := h.sync(); n != 1 {
		t.Fatalf("first sync: %d commits, want 1", n)
	}
	orders := h.versions("acme.retail.orders.events")
	if len(orders) != 1 || orders[0].Version != 1 || orders[0].Commit.SHA != c1 || orders[0].Commit.Author != "Ada Lovelace" || orders[0].Key != "string" {
		t.Fatalf("orders versions: %+v", orders)
	}
	subjects := map[string]registry.SubjectSchema{}
	for _, s := range orders[0].Subjects {
		subjects[s.Subject] = s
	}
	value, money := subjects["acme.retail.orders.events-value"], subjects["common/v1/money.proto"]
	if value.SchemaID == 0 || value.Message != "acme.retail.orders.v1.OrderEvent" || value.Version != 1 || money.SchemaID == 0 || money.Version != 1 {
		t.Fatalf("subjects: %+v", orders[0].Subjects)
	}
	hist := h.snap.Catalog().History()
	schema, ok := hist.Schema(value.SchemaID)
	if !ok || schema.Path != "retail/orders/v1/orders.proto" || !strings.Contains(schema.Text, "message OrderEvent") ||
		len(schema.References) != 1 || schema.References[0].Name != "common/v1/money.proto" || schema.References[0].Version != 1 {
		t.Fatalf("value schema: %+v", schema)
	}
	stockMoney := subjectOf(h.versions("acme.retail.stock.events")[0], "common/v1/money.proto")
	if stockMoney.SchemaID != money.SchemaID {
		t.Errorf("the same content under two topics has two IDs: %d and %d", stockMoney.SchemaID, money.SchemaID)
	}

	// A compatible change: a new version with a new ID.
	files["schemas/retail/orders/v1/orders.proto"] = gitfixture.OrdersProto("  // The order.\n  string order_id = 1;\n  // Its total.\n  acme.common.v1.Money total = 2;\n  // A note.\n  string note = 3;\n  // Channel.\n  string channel = 4;\n")
	c2 := h.repo.Commit("add channel", files)
	// A comment-only change: no version, but the docs refresh.
	files["schemas/retail/orders/v1/orders.proto"] = strings.Replace(files["schemas/retail/orders/v1/orders.proto"], "// Channel.", "// Sales channel: web, app or store.", 1)
	h.repo.Commit("document channel", files)
	if n := h.sync(); n != 2 {
		t.Fatalf("second sync: %d commits, want 2", n)
	}
	orders = h.versions("acme.retail.orders.events")
	if len(orders) != 2 || orders[1].Commit.SHA != c2 || subjectOf(orders[1], "acme.retail.orders.events-value").SchemaID == value.SchemaID {
		t.Fatalf("after a compatible change and a comment: %+v", orders)
	}
	if got := docOf(t, h.snap.Catalog(), "channel"); got != "Sales channel: web, app or store." {
		t.Errorf("docs after a comment-only change: got %q", got)
	}
	if len(h.versions("acme.retail.stock.events")) != 1 {
		t.Errorf("stock did not change but got a version")
	}

	// A breaking change: rejected, the topic keeps version 2.
	broken := copyFiles(files)
	broken["schemas/retail/orders/v1/orders.proto"] = gitfixture.OrdersProto("  // The order.\n  string order_id = 1;\n  // Its total.\n  acme.common.v1.Money total = 2;\n  // Sales channel.\n  string channel = 4;\n")
	c4 := h.repo.Commit("drop note", broken)
	h.sync()
	if got := len(h.versions("acme.retail.orders.events")); got != 2 {
		t.Fatalf("a breaking commit made version %d", got)
	}
	rej := h.snap.Catalog().History().Rejections()
	if len(rej) != 1 || rej[0].Commit.SHA != c4 || rej[0].Topic != "acme.retail.orders.events" {
		t.Fatalf("rejections: %+v", rej)
	}
	f := rej[0].Findings[0]
	if f.Rule != "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED" || f.File != "retail/orders/v1/orders.proto" || f.Line == 0 ||
		!slices.Contains(f.Consumers, "acme.retail.stock") || f.Service != "acme.retail.orders" {
		t.Errorf("finding: %+v", f)
	}

	// Fixed forward: reserved.
	fixed := copyFiles(broken)
	fixed["schemas/retail/orders/v1/orders.proto"] = gitfixture.OrdersProto("  // The order.\n  string order_id = 1;\n  // Its total.\n  acme.common.v1.Money total = 2;\n  // Sales channel.\n  string channel = 4;\n  reserved 3;\n  reserved \"note\";\n")
	c5 := h.repo.Commit("drop note properly", fixed)
	h.sync()
	orders = h.versions("acme.retail.orders.events")
	if len(orders) != 3 || orders[2].Commit.SHA != c5 {
		t.Fatalf("fix forward: %+v", orders)
	}

	// A restart serves the stored snapshot before talking to Git.
	idsBefore := allIDs(h)
	h.reopen()
	h.in.Source = failingSource{}
	if err := h.in.Restore(t.Context()); err != nil {
		t.Fatal(err)
	}
	if c := h.snap.Catalog(); c == nil || len(c.History().Versions("acme.retail.orders.events")) != 3 {
		t.Fatalf("restart did not restore the snapshot")
	}
	<-h.in.Compacted() // the texts read are compressed in the background
	if packed, total := catalog.PackedTexts(h.snap.Catalog().History()); total == 0 || packed != total {
		t.Errorf("after the restore %d of %d schema texts are compressed", packed, total)
	}
	stored, err := h.store.Schemas(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range stored {
		if got, ok := h.snap.Catalog().History().Schema(want.ID); !ok || got.Text != want.Text || got.Hash != want.Hash {
			t.Errorf("schema %d after the restore's compaction: %+v, want %+v", want.ID, got, want)
		}
	}
	if _, err := h.in.Sync(t.Context()); err == nil {
		t.Errorf("sync with Git down: want an error")
	}
	if h.snap.Catalog() == nil {
		t.Errorf("a failed sync dropped the snapshot")
	}
	h.reopen()
	if n := h.sync(); n != 0 {
		t.Errorf("nothing new after a restart, got %d commits", n)
	}
	if got := allIDs(h); !slices.Equal(got, idsBefore) {
		t.Errorf("IDs changed across a restart: %v → %v", idsBefore, got)
	}

	// Force-push: main goes back to c2 and gets another commit.
	h.repo.Reset(c2)
	// Records written with version 3 exist even though its commit vanished,
	// so the new history must stay compatible with it too.
	rewritten := copyFiles(fixed)
	rewritten["schemas/retail/orders/v1/orders.proto"] = gitfixture.OrdersProto("  // The order.\n  string order_id = 1;\n  // Its total.\n  acme.common.v1.Money total = 2;\n  // Sales channel.\n  string channel = 4;\n  // Gift?\n  bool gift = 5;\n  reserved 3;\n  reserved \"note\";\n")
	c6 := h.repo.Commit("gift flag", rewritten)
	h.sync()
	orders = h.versions("acme.retail.orders.events")
	if len(orders) != 4 || orders[3].Commit.SHA != c6 || orders[3].Version != 4 {
		t.Fatalf("after a force-push: %+v", orders)
	}
	if !orders[2].Orphaned || orders[1].Orphaned {
		t.Errorf("orphan marks: v2 %v (want false), v3 %v (want true)", orders[1].Orphaned, orders[2].Orphaned)
	}
	for _, id := range idsBefore {
		if _, ok := h.snap.Catalog().History().Schema(id); !ok {
			t.Errorf("schema %d no longer resolvable after a force-push", id)
		}
	}
	// The orphaned version still guards compatibility: bringing "note" back
	// as field 3 would misread records written with version 3.
	reused := copyFiles(rewritten)
	reused["schemas/retail/orders/v1/orders.proto"] = gitfixture.OrdersProto("  // The order.\n  string order_id = 1;\n  // Its total.\n  acme.common.v1.Money total = 2;\n  // A note.\n  string note = 3;\n  // Sales channel.\n  string channel = 4;\n  // Gift?\n  bool gift = 5;\n")
	h.repo.Commit("bring note back", reused)
	h.sync()
	if got := len(h.versions("acme.retail.orders.events")); got != 4 {
		t.Errorf("reusing a number reserved by an orphaned version made version %d", got)
	}
}

func TestIngestRejectsBrokenRepository(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	files := gitfixture.BaseFiles()
	h.repo.Commit("initial", files)
	h.sync()
	served := h.snap.Catalog()

	broken := copyFiles(files)
	broken["schemas/retail/stock/service.yaml"] = gitfixture.StockYAML + "consumez: []\n"
	c2 := h.repo.Commit("typo", broken)
	h.sync()
	rej := h.snap.Catalog().History().Rejections()
	if len(rej) != 1 || rej[0].Commit.SHA != c2 || rej[0].Topic != "" || !rej[0].Open || rej[0].ID <= 0 {
		t.Fatalf("rejections: %+v", rej)
	}
	if f := rej[0].Findings[0]; f.Rule != catalog.RuleCompile || f.File != "retail/stock/service.yaml" || f.Line != 8 {
		t.Errorf("YAML finding: %+v", f)
	}
	// Still broken, differently: the same whole-commit rejection, at c3.
	governance := copyFiles(files)
	governance["schemas/retail/stock/service.yaml"] = strings.Replace(gitfixture.StockYAML, "consumes: [acme.retail.orders.events]", "consumes: [acme.retail.orders.eventz]", 1)
	c3 := h.repo.Commit("unknown topic", governance)
	h.sync()
	first := rej[0]
	rej = h.snap.Catalog().History().Rejections()
	if len(rej) != 1 || rej[0].ID != first.ID || rej[0].Commit.SHA != c2 || rej[0].Latest.SHA != c3 || rej[0].Commits != 2 || !rej[0].Open {
		t.Fatalf("rejections after c3: %+v", rej)
	}
	if f := rej[0].Findings[0]; f.Rule != catalog.RuleUnknownTopic {
		t.Errorf("governance finding: %+v", f)
	}
	if got := h.snap.Catalog(); got.LoadedAt() != served.LoadedAt() || len(got.Topics(catalog.TopicFilter{})) != 2 {
		t.Errorf("a broken commit replaced the served catalog")
	}
	if state := h.snap.Catalog().History().State(); state.Commit != c3 {
		t.Errorf("state: %s, want %s", state.Commit, c3)
	}
	// A commit that loads closes it.
	c4 := h.repo.Commit("fixed", files)
	h.sync()
	rej = h.snap.Catalog().History().Rejections()
	if len(rej) != 1 || rej[0].Open || rej[0].FixedBy == nil || rej[0].FixedBy.SHA != c4 || rej[0].Commits != 2 {
		t.Fatalf("rejections after the fix: %+v", rej)
	}
}

func TestIngestSince(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	files := gitfixture.BaseFiles()
	h.repo.Commit("one", files)
	files["schemas/retail/stock/v1/stock.proto"] = strings.Replace(gitfixture.StockProto, "int64 minor", "int64 minor", 1) + "// Unrelated.\nmessage Other {\n  // x\n  int32 x = 1;\n}\n"
	c2 := h.repo.Commit("two", files)
	h.in.Since = c2[:10]
	if n := h.sync(); n != 1 {
		t.Errorf("--since the second commit: processed %d, want 1", n)
	}
	if v := h.versions("acme.retail.orders.events"); len(v) != 1 || v[0].Commit.SHA != c2 {
		t.Errorf("versions: %+v", v)
	}
}

func subjectOf(v registry.TopicVersion, subject string) registry.SubjectSchema {
	for _, s := range v.Subjects {
		if s.Subject == subject {
			return s
		}
	}
	return registry.SubjectSchema{}
}

func docOf(t *testing.T, c *catalog.Catalog, field string) string {
	t.Helper()
	topic, _ := c.Topic("acme.retail.orders.events")
	msgs, _ := c.Documentation(topic)
	for _, f := range msgs[0].Fields {
		if f.Name == field {
			return f.Doc
		}
	}
	return ""
}

func copyFiles(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func allIDs(h *harness) []int64 {
	schemas, err := h.store.Schemas(h.t.Context())
	if err != nil {
		h.t.Fatal(err)
	}
	var ids []int64
	for _, s := range schemas {
		ids = append(ids, s.ID)
	}
	return ids
}

// failingSource is Git being unreachable.
type failingSource struct{}

func (failingSource) Fetch(context.Context) (string, error) {
	return "", registry.Errorf(registry.EUNAVAILABLE, "git is down")
}
func (failingSource) Since(context.Context, string, string, int) ([]registry.Commit, bool, error) {
	return nil, false, registry.Errorf(registry.EUNAVAILABLE, "git is down")
}
func (failingSource) Tree(context.Context, string) (map[string][]byte, error) {
	return nil, registry.Errorf(registry.EUNAVAILABLE, "git is down")
}
func (failingSource) Update(context.Context, map[string][]byte, string, string) (map[string][]byte, []string, error) {
	return nil, nil, registry.Errorf(registry.EUNAVAILABLE, "git is down")
}

// TestIngestRejectionEpisodes keeps one rejection per stuck topic: later
// commits still broken update it (those that change nothing under the
// schema root too), the served contract restored or a compatible change
// closes it with that commit, and the topic broken again opens another.
func TestIngestRejectionEpisodes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	files := gitfixture.BaseFiles()
	h.repo.Commit("initial", files)
	h.sync()
	topic := gitfixture.OrdersTopic
	open := func() registry.Rejection {
		t.Helper()
		r, ok := h.snap.Catalog().History().OpenRejection(topic)
		if !ok {
			t.Fatalf("no open rejection of %s: %+v", topic, h.snap.Catalog().History().Rejections())
		}
		return r
	}

	files[gitfixture.OrdersPath] = gitfixture.OrdersProto(gitfixture.FieldsNoNote)
	c2 := h.repo.Commit("drop note", files)
	h.sync()
	first := open()
	if first.ID <= 0 || first.Commit.SHA != c2 || first.Latest.SHA != c2 || first.Commits != 1 {
		t.Fatalf("after the breaking commit: %+v", first)
	}
	files["schemas/retail/stock/v1/stock.proto"] = gitfixture.StockProto + "// More.\n"
	h.repo.Commit("stock comment", files)
	files["README.md"] = "still not part of the schemas"
	c4 := h.repo.Commit("readme", files)
	h.sync()
	r := open()
	if rej := h.snap.Catalog().History().Rejections(); len(rej) != 1 {
		t.Fatalf("rejections: %d records, want 1: %+v", len(rej), rej)
	}
	if r.ID != first.ID || r.Commit.SHA != c2 || r.Latest.SHA != c4 || r.Commits != 3 || len(r.Findings) == 0 {
		t.Fatalf("after two more commits: ID %d (want %d), first %s, latest %s (want %s), %d commits (want 3), %d findings",
			r.ID, first.ID, short(r.Commit.SHA), short(r.Latest.SHA), short(c4), r.Commits, len(r.Findings))
	}

	// The served contract restored: closed, with no new version.
	files[gitfixture.OrdersPath] = gitfixture.OrdersProto(gitfixture.FieldsV1)
	c5 := h.repo.Commit("note back", files)
	h.sync()
	rej := h.snap.Catalog().History().Rejections()
	if len(rej) != 1 || rej[0].Open || rej[0].FixedBy == nil || rej[0].FixedBy.SHA != c5 || rej[0].Commits != 3 {
		t.Fatalf("after restoring the contract: %+v", rej)
	}
	if n := len(h.versions(topic)); n != 1 {
		t.Errorf("restoring the served contract made version %d", n)
	}

	// Broken again: another episode; fixed forward by a compatible change.
	files[gitfixture.OrdersPath] = gitfixture.OrdersProto(gitfixture.FieldsNoNote)
	c6 := h.repo.Commit("drop note again", files)
	h.sync()
	again := open()
	if again.ID <= first.ID || again.Commit.SHA != c6 || again.Commits != 1 {
		t.Fatalf("broken again: %+v; want a new record (ID above %d)", again, first.ID)
	}
	files[gitfixture.OrdersPath] = gitfixture.OrdersProto(gitfixture.FieldsReserved)
	c7 := h.repo.Commit("reserve note", files)
	h.sync()
	rej = h.snap.Catalog().History().Rejections()
	if len(rej) != 2 || rej[0].Open || rej[1].Open || rej[0].ID != again.ID || rej[0].FixedBy == nil || rej[0].FixedBy.SHA != c7 {
		t.Fatalf("after the fix forward: %+v", rej)
	}
	if vs := h.versions(topic); len(vs) != 2 || vs[1].Commit.SHA != c7 {
		t.Errorf("the fix forward is not version 2: %+v", vs)
	}

	// A topic removed while stuck: closed with the commit removing it.
	files["schemas/retail/stock/v1/stock.proto"] = strings.Replace(gitfixture.StockProto, "string sku = 1", "int64 sku = 1", 1)
	h.repo.Commit("sku as a number", files)
	h.sync()
	if _, ok := h.snap.Catalog().History().OpenRejection("acme.retail.stock.events"); !ok {
		t.Fatalf("the breaking stock change is not rejected: %+v", h.snap.Catalog().History().Rejections())
	}
	files["schemas/retail/stock/service.yaml"] = "description: Stock.\nowner: stock-team\nconsumes: [acme.retail.orders.events]\n"
	files["schemas/retail/stock/v1/stock.proto"] = gitfixture.Delete
	c9 := h.repo.Commit("stock publishes nothing", files)
	delete(files, "schemas/retail/stock/v1/stock.proto")
	h.sync()
	rej = h.snap.Catalog().History().Rejections()
	if len(rej) != 3 || rej[0].Open || rej[0].Topic != "acme.retail.stock.events" || rej[0].FixedBy == nil || rej[0].FixedBy.SHA != c9 {
		t.Fatalf("after removing the stuck topic: %+v", rej)
	}

	// A restart reads the same records back.
	h.reopen()
	if err := h.in.Restore(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := h.snap.Catalog().History().Rejections(); !slices.EqualFunc(got, rej, func(a, b registry.Rejection) bool {
		return a.ID == b.ID && a.Open == b.Open && a.Commits == b.Commits && a.Latest.SHA == b.Latest.SHA
	}) {
		t.Errorf("after a restart: %+v, want %+v", got, rej)
	}
}

func short(sha string) string { return sha[:min(len(sha), 12)] }

// flakyRejections fails its next fail reads of the rejections.
type flakyRejections struct {
	registry.Store
	fail int
}

func (s *flakyRejections) Rejections(ctx context.Context, limit int) ([]registry.Rejection, error) {
	if s.fail > 0 {
		s.fail--
		return nil, registry.Errorf(registry.EUNAVAILABLE, "database unavailable")
	}
	return s.Store.Rejections(ctx, limit)
}

// TestIngestRejectionsReadFails: when the rejections cannot be read back
// after the step that opened one, the next step reads them first, so the
// commit that fixes the topic still closes it.
func TestIngestRejectionsReadFails(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	files := gitfixture.BaseFiles()
	h.repo.Commit("initial", files)
	h.sync()
	flaky := &flakyRejections{Store: h.store}
	h.in.Store = flaky

	files[gitfixture.OrdersPath] = gitfixture.OrdersProto(gitfixture.FieldsNoNote)
	h.repo.Commit("drop note", files)
	flaky.fail = 1
	h.sync()
	if rej := h.snap.Catalog().History().Rejections(); len(rej) != 0 {
		t.Fatalf("the read failed, yet the history has %+v", rej)
	}
	files[gitfixture.OrdersPath] = gitfixture.OrdersProto(gitfixture.FieldsV1)
	fix := h.repo.Commit("note back", files)
	h.sync()
	rej := h.snap.Catalog().History().Rejections()
	if len(rej) != 1 || rej[0].Open || rej[0].FixedBy == nil || rej[0].FixedBy.SHA != fix {
		t.Fatalf("after the fix: %+v; want the rejection closed by %s", rej, short(fix))
	}
}
