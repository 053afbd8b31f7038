package catalog_test

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/compat"
	"github.com/backbone-registry/backbone/gitsync"
	"github.com/backbone-registry/backbone/internal/gitfixture"
	"github.com/backbone-registry/backbone/sqlite"
)

const billingYAML = `description: Billing.
owner: billing-team
consumes: [acme.retail.orders.events]
topics:
  - name: events
    description: Billing facts.
    value: acme.retail.billing.v1.BillingEvent
`

// randomHistory is a repository that random commits evolve: compatible
// and breaking changes to a topic's own file and to an import shared by
// several topics, comment-only edits, broken syntax, a service and its
// topic appearing and disappearing, YAML edits.
type randomHistory struct {
	orders, money, billing []string // field lines
	moneyRev, stockRev     int      // comment revisions
	brokenStock            bool
	hasBilling, committed  bool // billing present now, and in the last commit
	stockDesc              int
	next                   int    // the next field number
	undo                   func() // reverts the last edit, which broke something
}

func newRandomHistory() *randomHistory {
	return &randomHistory{
		orders:  []string{"string order_id = 1;", "acme.common.v1.Money total = 2;"},
		money:   []string{"string currency = 1;", "int64 minor = 2;"},
		billing: []string{"string invoice = 1;", "acme.common.v1.Money amount = 2;"},
		next:    10,
	}
}

func fieldLines(fields []string) string {
	var b strings.Builder
	for _, f := range fields {
		b.WriteString("  // A documented field.\n  " + f + "\n")
	}
	return b.String()
}

func (r *randomHistory) files() map[string]string {
	stock := strings.Replace(gitfixture.StockProto, "// A stock fact.", fmt.Sprintf("// A stock fact, revision %d.", r.stockRev), 1)
	if r.brokenStock {
		stock = strings.Replace(stock, "message", "mesage", 1)
	}
	files := map[string]string{
		"schemas/registry.yaml":                 "company: acme\ndefaults:\n  compatibility: BACKWARD_TRANSITIVE\n",
		"schemas/common/v1/money.proto":         fmt.Sprintf("syntax = \"proto3\";\npackage acme.common.v1;\n// Money, revision %d.\nmessage Money {\n%s}\n", r.moneyRev, fieldLines(r.money)),
		"schemas/retail/orders/service.yaml":    gitfixture.OrdersYAML,
		"schemas/retail/orders/v1/orders.proto": gitfixture.OrdersProto(fieldLines(r.orders)),
		"schemas/retail/stock/service.yaml":     strings.Replace(gitfixture.StockYAML, "Stock facts.", fmt.Sprintf("Stock facts (%d).", r.stockDesc), 1),
		"schemas/retail/stock/v1/stock.proto":   stock,
	}
	if r.hasBilling {
		files["schemas/retail/billing/service.yaml"] = billingYAML
		files["schemas/retail/billing/v1/billing.proto"] = "syntax = \"proto3\";\npackage acme.retail.billing.v1;\nimport \"common/v1/money.proto\";\n// A billing fact.\nmessage BillingEvent {\n" + fieldLines(r.billing) + "}\n"
	} else if r.committed {
		files["schemas/retail/billing/service.yaml"] = gitfixture.Delete
		files["schemas/retail/billing/v1/billing.proto"] = gitfixture.Delete
	}
	r.committed = r.hasBilling
	return files
}

// edit changes the repository at random and says what it did; onlyOrders
// is true when the commit changes orders.proto and nothing else.
func (r *randomHistory) edit(rnd *rand.Rand) (what string, onlyOrders bool) {
	r.next++
	if r.undo != nil {
		r.undo()
		r.undo = nil
		return "revert the last commit", false
	}
	switch op := rnd.IntN(12); {
	case op <= 2:
		r.orders = append(r.orders, fmt.Sprintf("string note_%d = %d;", r.next, r.next))
		return "add a field to orders", true
	case op == 3 && len(r.orders) > 2:
		old := r.orders
		r.orders, r.undo = r.orders[:len(r.orders)-1], func() { r.orders = old }
		return "delete a field of orders (breaking)", true
	case op == 4:
		old := r.orders
		r.orders, r.undo = append(r.orders[:len(r.orders):len(r.orders)], fmt.Sprintf("int32 order_id = %d;", r.next)), func() { r.orders = old }
		return "redefine order_id (does not compile)", true
	case op == 5:
		r.moneyRev++
		return "edit a comment in money.proto", false
	case op == 6:
		r.money = append(r.money, fmt.Sprintf("string note_%d = %d;", r.next, r.next))
		return "add a field to money (every topic)", false
	case op == 7:
		r.brokenStock, r.undo = true, func() { r.brokenStock = false }
		return "break stock.proto", false
	case op == 8:
		r.hasBilling = !r.hasBilling
		return fmt.Sprintf("billing present: %t", r.hasBilling), false
	case op == 9:
		r.stockDesc++
		return "edit stock's service.yaml", false
	case op == 10 && len(r.money) > 2:
		old := r.money
		r.money, r.undo = r.money[:len(r.money)-1], func() { r.money = old }
		return "delete a field of money (breaking for every topic)", false
	default:
		r.stockRev++
		return "edit a comment in stock.proto", false
	}
}

// ingesterOn syncs repo into its own SQLite store.
func ingesterOn(t *testing.T, repo *gitfixture.Repo, name string, cache int) (*catalog.Ingester, *catalog.Snapshot, registry.Store) {
	t.Helper()
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), name+".db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	gr, err := gitsync.Open(t.Context(), gitsync.Config{Source: repo.Dir})
	if err != nil {
		t.Fatal(err)
	}
	snap := &catalog.Snapshot{}
	in := &catalog.Ingester{
		Store: store, Snapshot: snap, Log: slog.New(slog.DiscardHandler), Origin: repo.Dir, Branch: "main",
		Source:        gitsync.Files{Repo: gr, Opts: gitsync.TreeOptions{Root: "schemas", Want: catalog.IsRepositoryFile}},
		Options:       catalog.Options{Now: func() time.Time { return time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC) }},
		ContractCache: cache,
	}
	return in, snap, store
}

// TestIncrementalSyncMatchesFullRebuild syncs random histories commit by
// commit twice: incrementally (recompiling only changed files, reusing
// fingerprints, a contract cache of two versions so that transitive checks
// compile most earlier versions again) and rebuilding everything at every
// commit. After every commit both must have stored and serve the same
// versions, schema IDs, rejections and trees, and the same catalog: topics,
// services, findings, documentation and fingerprints.
func TestIncrementalSyncMatchesFullRebuild(t *testing.T) {
	t.Parallel()
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Parallel()
			repo := gitfixture.New(t)
			inc, incSnap, incStore := ingesterOn(t, repo, "incremental", 2)
			full, fullSnap, fullStore := ingesterOn(t, repo, "full", 0)
			catalog.FullRebuild(full)
			hist := newRandomHistory()
			rnd := rand.New(rand.NewPCG(seed, 7))
			var reusedChecks int
			for i := range 40 {
				what, onlyOrders := "initial", false
				if i > 0 {
					what, onlyOrders = hist.edit(rnd)
				}
				before := catalog.LastLoaded(inc)
				repo.Commit(what, hist.files())
				for _, in := range []*catalog.Ingester{inc, full} {
					if n, err := in.Sync(t.Context()); err != nil || n != 1 {
						t.Fatalf("commit %d (%s): sync %d commits, %v", i, what, n, err)
					}
				}
				where := fmt.Sprintf("commit %d (%s)", i, what)
				sameStores(t, where, incStore, fullStore)
				sameCatalogs(t, where, incSnap.Catalog(), fullSnap.Catalog())
				if got := catalog.CachedContracts(inc); got > 2 {
					t.Fatalf("%s: %d compiled versions cached, want at most 2", where, got)
				}
				// The incremental path must really be incremental: a
				// commit touching only orders.proto leaves stock.proto's
				// compiled file as it was.
				after := catalog.LastLoaded(inc)
				if onlyOrders && before != nil && after != before {
					b, _ := before.Schema().File("retail/stock/v1/stock.proto")
					a, _ := after.Schema().File("retail/stock/v1/stock.proto")
					if a != b {
						t.Fatalf("%s: stock.proto was compiled again", where)
					}
					reusedChecks++
				}
			}
			h := incSnap.Catalog().History()
			if h.VersionCount() < 10 || len(h.Rejections()) == 0 || reusedChecks == 0 {
				t.Fatalf("the history made %d versions, %d rejections, %d reuse checks: too few to compare", h.VersionCount(), len(h.Rejections()), reusedChecks)
			}
		})
	}
}

func sameStores(t *testing.T, where string, a, b registry.Store) {
	t.Helper()
	ctx := t.Context()
	for _, read := range []struct {
		name string
		get  func(registry.Store) (any, error)
	}{
		{"state", func(s registry.Store) (any, error) { return s.State(ctx) }},
		{"versions", func(s registry.Store) (any, error) { return s.Versions(ctx) }},
		{"schemas", func(s registry.Store) (any, error) {
			schemas, err := s.Schemas(ctx)
			for i := range schemas {
				schemas[i].CreatedAt = time.Time{} // the store's clock
			}
			return schemas, err
		}},
		{"rejections", func(s registry.Store) (any, error) { return s.Rejections(ctx, 1000) }},
		{"tree", func(s registry.Store) (any, error) { return s.Tree(ctx) }},
	} {
		got, gotErr := read.get(a)
		want, wantErr := read.get(b)
		if !reflect.DeepEqual(got, want) || registry.ErrorCode(gotErr) != registry.ErrorCode(wantErr) {
			t.Fatalf("%s: stored %s differ:\nincremental %v (%v)\nfull        %v (%v)", where, read.name, got, gotErr, want, wantErr)
		}
	}
}

func sameCatalogs(t *testing.T, where string, a, b *catalog.Catalog) {
	t.Helper()
	if (a == nil) != (b == nil) {
		t.Fatalf("%s: serving %v, want %v", where, a, b)
	}
	if a == nil {
		return
	}
	ha, hb := a.History(), b.History()
	for _, s := range hb.Subjects() {
		if !reflect.DeepEqual(ha.Subject(s), hb.Subject(s)) {
			t.Fatalf("%s: subject %s: %v, want %v", where, s, ha.Subject(s), hb.Subject(s))
		}
	}
	check := func(what string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: %s differ:\nincremental %v\nfull        %v", where, what, got, want)
		}
	}
	check("subjects", ha.Subjects(), hb.Subjects())
	check("rejections", ha.Rejections(), hb.Rejections())
	check("files", a.Files(), b.Files())
	check("services", a.Services(), b.Services())
	check("findings", a.Findings(), b.Findings())
	topics := b.Topics(catalog.TopicFilter{})
	check("topics", a.Topics(catalog.TopicFilter{}), topics)
	for _, tb := range topics {
		ta, _ := a.Topic(tb.Name)
		check(tb.Name+" versions", ha.Versions(tb.Name), hb.Versions(tb.Name))
		ma, ea := a.Documentation(ta)
		mb, eb := b.Documentation(tb)
		check(tb.Name+" documentation", [2]any{ma, ea}, [2]any{mb, eb})
		ca, okA := a.ContractOf(ta)
		cb, okB := b.ContractOf(tb)
		if okA != okB || (okA && compat.Fingerprint(ca) != compat.Fingerprint(cb)) {
			t.Fatalf("%s: %s fingerprints differ", where, tb.Name)
		}
	}
}
