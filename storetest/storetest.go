// Package storetest is the one conformance suite that every registry.Store
// backend runs: a backend is correct when Run and RunLeaser pass against it.
//
// A backend test hands the suite a function that creates a fresh, empty
// database and returns an Opener over it:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) storetest.Opener {
//			path := filepath.Join(t.TempDir(), "registry.db")
//			return func(t *testing.T) registry.Store {
//				s, err := sqlite.Open(t.Context(), path, logger)
//				if err != nil {
//					t.Fatal(err)
//				}
//				return s
//			}
//		})
//	}
//
// Every subtest creates its own database, so subtests run in parallel.
package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	registry "github.com/backbone-registry/backbone"
)

// Opener opens a store over one database. Calling it again opens another
// store over the same database: a reopen after Close, or a second replica.
// The suite closes every store it opens, sometimes twice, so Close must be
// idempotent.
type Opener func(t *testing.T) registry.Store

// NewDatabase creates a fresh, empty database for one subtest and returns
// how to open stores over it. It removes the database in t.Cleanup.
type NewDatabase func(t *testing.T) Opener

// Run runs the Store conformance suite against a backend.
func Run(t *testing.T, newDB NewDatabase) {
	tests := []struct {
		name string
		run  func(t *testing.T, open Opener)
	}{
		{"Empty", testEmpty},
		{"ApplyStoresStep", testApplyStoresStep},
		{"NewContentGetsIncreasingIDs", testIncreasingIDs},
		{"SameContentKeepsID", testSameContentKeepsID},
		{"IDsNeverReused", testIDsNeverReused},
		{"SubjectResolvedFromStore", testSubjectResolvedFromStore},
		{"StaleAfterConflicts", testStaleAfter},
		{"FailedStepStoresNothing", testFailedStep},
		{"DuplicateVersionConflicts", testDuplicateVersion},
		{"InvalidStep", testInvalidStep},
		{"Orphaned", testOrphaned},
		{"SchemaNotFound", testSchemaNotFound},
		{"Ordering", testOrdering},
		{"RejectionsLimit", testRejectionsLimit},
		{"RejectionRepeats", testRejectionRepeats},
		{"RejectionFixed", testRejectionFixed},
		{"Tree", testTree},
		{"Compiled", testCompiled},
		{"FindingsRoundTrip", testFindingsRoundTrip},
		{"Times", testTimes},
		{"CreatedAtDefaults", testCreatedAtDefaults},
		{"Persistence", testPersistence},
		{"ConcurrentApply", testConcurrentApply},
		{"ConcurrentApplyTwoStores", testConcurrentApplyTwoStores},
		{"ConcurrentOpen", testConcurrentOpen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, newDB(t))
		})
	}
}

// openStore opens a store and closes it at cleanup.
func openStore(t *testing.T, open Opener) registry.Store {
	t.Helper()
	s := open(t)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func testEmpty(t *testing.T, open Opener) {
	s := openStore(t, open)
	ctx := t.Context()

	st, err := s.State(ctx)
	if err != nil || st != (registry.SyncState{}) {
		t.Errorf("State() = %+v, %v; want the zero state", st, err)
	}
	_, err = s.Tree(ctx)
	wantCode(t, "Tree()", err, registry.ENOTFOUND)
	_, err = s.Schema(ctx, 1)
	wantCode(t, "Schema(1)", err, registry.ENOTFOUND)
	d := dump(t, s)
	if len(d.Schemas)+len(d.Versions)+len(d.Rejections) != 0 {
		t.Errorf("empty store has rows: %+v", d)
	}
}

func testApplyStoresStep(t *testing.T, open Opener) {
	s := openStore(t, open)
	ctx := t.Context()

	common := content("Money")
	order := content("OrderEvent", common)
	key := content("OrderKey")
	v1 := version("acme.retail.orders.events", 1, "c1", order, key)
	rej := rejection("acme.retail.stock.events", "c1")
	step := registry.SyncStep{
		State:      state("c1"),
		Tree:       map[string][]byte{"registry.yaml": []byte("company: acme\n"), "retail/orders/v1/orders.proto": []byte(order.Text)},
		Compiled:   map[string]registry.CompiledFile{"retail/orders/v1/orders.proto": {Key: "k", Descriptor: []byte{10, 1, 'a'}}},
		Schemas:    []registry.SchemaContent{common, order, key},
		Versions:   []registry.TopicVersion{v1},
		Rejections: []registry.Rejection{rej},
	}
	before := time.Now()
	ids := apply(t, s, step)
	after := time.Now()

	if len(ids) != 3 {
		t.Fatalf("Apply returned %d IDs, want 3: %v", len(ids), ids)
	}
	got := dump(t, s)
	want := storeDump{
		State:      normState(step.State),
		Tree:       step.Tree,
		Compiled:   step.Compiled,
		Schemas:    []registry.Schema{stored(common, ids), stored(order, ids), stored(key, ids)},
		Versions:   []registry.TopicVersion{normVersion(v1, ids)},
		Rejections: []registry.Rejection{normRejection(rej)},
	}
	for i, sc := range got.Schemas {
		checkStoreTime(t, "Schema.CreatedAt", sc.CreatedAt, before, after)
		got.Schemas[i].CreatedAt = time.Time{}
	}
	if len(got.Rejections) == 1 {
		if got.Rejections[0].ID <= 0 {
			t.Errorf("Rejection.ID = %d, want > 0", got.Rejections[0].ID)
		}
		want.Rejections[0].ID = got.Rejections[0].ID
	}
	diff(t, "stored step", got, want)

	for _, sc := range want.Schemas {
		one, err := s.Schema(ctx, sc.ID)
		if err != nil {
			t.Fatalf("Schema(%d): %v", sc.ID, err)
		}
		one.CreatedAt = time.Time{}
		diff(t, fmt.Sprintf("Schema(%d)", sc.ID), *one, sc)
	}
}

func testIncreasingIDs(t *testing.T, open Opener) {
	s := openStore(t, open)
	a, b, c, d := content("A"), content("B"), content("C"), content("D")
	ids := apply(t, s, registry.SyncStep{
		State:    state("c1"),
		Schemas:  []registry.SchemaContent{a, b, c},
		Versions: []registry.TopicVersion{version("t", 1, "c1", a, b, c)},
	})
	if !(ids[a.Hash] > 0 && ids[a.Hash] < ids[b.Hash] && ids[b.Hash] < ids[c.Hash]) {
		t.Errorf("IDs in step order = %d, %d, %d; want positive and increasing", ids[a.Hash], ids[b.Hash], ids[c.Hash])
	}
	ids2 := apply(t, s, registry.SyncStep{
		After:    "c1",
		State:    state("c2"),
		Schemas:  []registry.SchemaContent{d},
		Versions: []registry.TopicVersion{version("t", 2, "c2", d)},
	})
	if ids2[d.Hash] <= ids[c.Hash] {
		t.Errorf("ID of later content = %d, want > %d", ids2[d.Hash], ids[c.Hash])
	}
}

func testSameContentKeepsID(t *testing.T, open Opener) {
	s := openStore(t, open)
	a, b := content("A"), content("B")

	// One content under two subjects of two topics, twice in the step: one ID.
	ids := apply(t, s, registry.SyncStep{
		State:   state("c1"),
		Schemas: []registry.SchemaContent{a, a},
		Versions: []registry.TopicVersion{
			version("t1", 1, "c1", a),
			version("t2", 1, "c1", a, a),
		},
	})
	// A later step names it again, beside new content: same ID, and every
	// schema of the step is in the returned map.
	ids2 := apply(t, s, registry.SyncStep{
		After:    "c1",
		State:    state("c2"),
		Schemas:  []registry.SchemaContent{b, a},
		Versions: []registry.TopicVersion{version("t3", 1, "c2", a, b)},
	})
	if ids2[a.Hash] != ids[a.Hash] {
		t.Errorf("ID of known content = %d in step 2, %d in step 1; want it kept", ids2[a.Hash], ids[a.Hash])
	}
	if ids2[b.Hash] == 0 || ids2[b.Hash] == ids[a.Hash] {
		t.Errorf("ID of new content = %d, want a new one", ids2[b.Hash])
	}
	d := dump(t, s)
	if len(d.Schemas) != 2 {
		t.Errorf("stored %d schemas, want 2 (one per content)", len(d.Schemas))
	}
	for _, v := range d.Versions {
		for _, sub := range v.Subjects {
			if want := ids2[sub.Hash]; sub.SchemaID != want {
				t.Errorf("%s v%d subject %s: SchemaID = %d, want %d", v.Topic, v.Version, sub.Subject, sub.SchemaID, want)
			}
		}
	}
}

func testIDsNeverReused(t *testing.T, open Opener) {
	s := openStore(t, open)
	ctx := t.Context()
	a, b, c := content("A"), content("B"), content("C")

	ids := apply(t, s, registry.SyncStep{
		State: state("c1"), Schemas: []registry.SchemaContent{a},
		Versions: []registry.TopicVersion{version("t", 1, "c1", a)},
	})
	// A force-push drops c1; its version and schema stay.
	ids2 := apply(t, s, registry.SyncStep{
		After: "c1", State: state("c2"), Orphaned: []string{"c1"},
		Schemas:  []registry.SchemaContent{b},
		Versions: []registry.TopicVersion{version("t", 2, "c2", b)},
	})
	ids3 := apply(t, s, registry.SyncStep{
		After: "c2", State: state("c3"), Schemas: []registry.SchemaContent{c},
		Versions: []registry.TopicVersion{version("t", 3, "c3", c)},
	})
	if !(ids[a.Hash] < ids2[b.Hash] && ids2[b.Hash] < ids3[c.Hash]) {
		t.Errorf("IDs = %d, %d, %d; want increasing, none reused", ids[a.Hash], ids2[b.Hash], ids3[c.Hash])
	}
	// The old content comes back: it gets its old ID.
	ids4 := apply(t, s, registry.SyncStep{
		After: "c3", State: state("c4"), Schemas: []registry.SchemaContent{a},
		Versions: []registry.TopicVersion{version("t", 4, "c4", a)},
	})
	if ids4[a.Hash] != ids[a.Hash] {
		t.Errorf("re-added content got ID %d, want its old ID %d", ids4[a.Hash], ids[a.Hash])
	}
	got, err := s.Schema(ctx, ids[a.Hash])
	if err != nil || got.Hash != a.Hash {
		t.Errorf("Schema(%d) = %+v, %v; want content A", ids[a.Hash], got, err)
	}
}

func testSubjectResolvedFromStore(t *testing.T, open Opener) {
	s := openStore(t, open)
	a := content("A")
	ids := apply(t, s, registry.SyncStep{
		State: state("c1"), Schemas: []registry.SchemaContent{a},
		Versions: []registry.TopicVersion{version("t1", 1, "c1", a)},
	})
	// A version may name a stored content that the step does not carry.
	apply(t, s, registry.SyncStep{
		After: "c1", State: state("c2"),
		Versions: []registry.TopicVersion{version("t2", 1, "c2", a)},
	})
	vs := dump(t, s).Versions
	if len(vs) != 2 || vs[1].Subjects[0].SchemaID != ids[a.Hash] {
		t.Errorf("Versions() = %+v; want t2 v1 on schema %d", vs, ids[a.Hash])
	}
}

func testStaleAfter(t *testing.T, open Opener) {
	s := openStore(t, open)
	ctx := t.Context()
	a, b := content("A"), content("B")

	// On an empty store only After "" is right.
	_, err := s.Apply(ctx, registry.SyncStep{After: "c0", State: state("c1")})
	wantCode(t, "Apply(After c0) on an empty store", err, registry.ECONFLICT)
	empty := dump(t, s)
	if empty.State != (registry.SyncState{}) || empty.TreeCode != registry.ENOTFOUND {
		t.Errorf("a conflicting step wrote state or tree: %+v", empty)
	}

	apply(t, s, registry.SyncStep{
		State: state("c1"), Tree: map[string][]byte{"a": []byte("a")},
		Schemas:  []registry.SchemaContent{a},
		Versions: []registry.TopicVersion{version("t", 1, "c1", a)},
	})
	before := dump(t, s)
	for _, after := range []string{"", "c0", "c2"} {
		_, err := s.Apply(ctx, registry.SyncStep{
			After: after, State: state("c2"), Tree: map[string][]byte{"b": []byte("b")},
			Schemas:    []registry.SchemaContent{b},
			Versions:   []registry.TopicVersion{version("t", 2, "c2", b)},
			Rejections: []registry.Rejection{rejection("t", "c2")},
			Orphaned:   []string{"c1"},
		})
		wantCode(t, fmt.Sprintf("Apply(After %q) with stored c1", after), err, registry.ECONFLICT)
		diff(t, "store after a conflicting step", dump(t, s), before)
	}
}

func testFailedStep(t *testing.T, open Opener) {
	s := openStore(t, open)
	a, b := content("A"), content("B")
	apply(t, s, registry.SyncStep{
		State: state("c1"), Tree: map[string][]byte{"a": []byte("a")},
		Schemas:  []registry.SchemaContent{a},
		Versions: []registry.TopicVersion{version("t", 1, "c1", a)},
	})
	before := dump(t, s)

	// Everything in this step is valid but the last version, which names
	// content that neither the step nor the store has.
	_, err := s.Apply(t.Context(), registry.SyncStep{
		After: "c1", State: state("c2"), Tree: map[string][]byte{"b": []byte("b")},
		Schemas:    []registry.SchemaContent{b},
		Versions:   []registry.TopicVersion{version("t", 2, "c2", b), version("u", 1, "c2", content("Missing"))},
		Rejections: []registry.Rejection{rejection("t", "c2")},
		Orphaned:   []string{"c1"},
	})
	wantCode(t, "Apply(version naming unknown content)", err, registry.EINVALID)
	diff(t, "store after a failed step", dump(t, s), before)

	// The store still takes the next good step.
	apply(t, s, registry.SyncStep{After: "c1", State: state("c2")})
}

func testDuplicateVersion(t *testing.T, open Opener) {
	s := openStore(t, open)
	ctx := t.Context()
	a, b := content("A"), content("B")
	apply(t, s, registry.SyncStep{
		State: state("c1"), Schemas: []registry.SchemaContent{a},
		Versions: []registry.TopicVersion{version("t", 1, "c1", a)},
	})
	before := dump(t, s)

	_, err := s.Apply(ctx, registry.SyncStep{
		After: "c1", State: state("c2"), Schemas: []registry.SchemaContent{b},
		Versions: []registry.TopicVersion{version("t", 1, "c2", b)},
	})
	wantCode(t, "Apply(stored version again)", err, registry.ECONFLICT)
	diff(t, "store after a duplicate version", dump(t, s), before)

	_, err = s.Apply(ctx, registry.SyncStep{
		After: "c1", State: state("c2"), Schemas: []registry.SchemaContent{b},
		Versions: []registry.TopicVersion{version("u", 1, "c2", b), version("u", 1, "c2", b)},
	})
	wantCode(t, "Apply(one version twice in a step)", err, registry.ECONFLICT)
	diff(t, "store after a duplicate version", dump(t, s), before)
}

func testInvalidStep(t *testing.T, open Opener) {
	s := openStore(t, open)
	a := content("A")
	noHash := a
	noHash.Hash = ""
	tests := []struct {
		name string
		step registry.SyncStep
	}{
		{"schema without hash", registry.SyncStep{State: state("c1"), Schemas: []registry.SchemaContent{noHash}}},
		{"version 0", registry.SyncStep{State: state("c1"), Schemas: []registry.SchemaContent{a},
			Versions: []registry.TopicVersion{version("t", 0, "c1", a)}}},
		{"version without topic", registry.SyncStep{State: state("c1"), Schemas: []registry.SchemaContent{a},
			Versions: []registry.TopicVersion{version("", 1, "c1", a)}}},
		{"unknown subject content", registry.SyncStep{State: state("c1"),
			Versions: []registry.TopicVersion{version("t", 1, "c1", a)}}},
	}
	for _, tt := range tests {
		_, err := s.Apply(t.Context(), tt.step)
		wantCode(t, "Apply("+tt.name+")", err, registry.EINVALID)
	}
	if d := dump(t, s); d.State != (registry.SyncState{}) || len(d.Schemas)+len(d.Versions) != 0 {
		t.Errorf("invalid steps wrote: %+v", d)
	}
}

func testOrphaned(t *testing.T, open Opener) {
	s := openStore(t, open)
	ctx := t.Context()
	a, b, c := content("A"), content("B"), content("C")
	ids := apply(t, s, registry.SyncStep{
		State: state("c1"), Schemas: []registry.SchemaContent{a, b},
		Versions: []registry.TopicVersion{version("t", 1, "c1", a), version("u", 1, "c1", b)},
	})
	apply(t, s, registry.SyncStep{
		After: "c1", State: state("c2"), Schemas: []registry.SchemaContent{c},
		Versions: []registry.TopicVersion{version("t", 2, "c2", c)},
	})
	apply(t, s, registry.SyncStep{After: "c2", State: state("c3"), Orphaned: []string{"c1", "gone"}})

	var got []string
	for _, v := range dump(t, s).Versions {
		got = append(got, fmt.Sprintf("%s/%d/%v", v.Topic, v.Version, v.Orphaned))
	}
	if want := []string{"t/1/true", "t/2/false", "u/1/true"}; !slices.Equal(got, want) {
		t.Errorf("versions (topic/version/orphaned) = %v, want %v", got, want)
	}
	for _, sc := range []registry.SchemaContent{a, b} {
		if got, err := s.Schema(ctx, ids[sc.Hash]); err != nil || got.Hash != sc.Hash {
			t.Errorf("Schema(%d) of an orphaned version = %+v, %v; want it resolvable", ids[sc.Hash], got, err)
		}
	}
}

func testSchemaNotFound(t *testing.T, open Opener) {
	s := openStore(t, open)
	a := content("A")
	ids := apply(t, s, registry.SyncStep{
		State: state("c1"), Schemas: []registry.SchemaContent{a},
		Versions: []registry.TopicVersion{version("t", 1, "c1", a)},
	})
	for _, id := range []int64{0, -1, ids[a.Hash] + 1, 1 << 40} {
		_, err := s.Schema(t.Context(), id)
		wantCode(t, fmt.Sprintf("Schema(%d)", id), err, registry.ENOTFOUND)
	}
}

func testOrdering(t *testing.T, open Opener) {
	s := openStore(t, open)
	var contents []registry.SchemaContent
	for i := range 12 {
		contents = append(contents, content(fmt.Sprintf("M%d", i)))
	}
	// Versions arrive out of order, across steps; 10 sorts after 2; topics
	// sort by bytes, whatever the database's collation.
	apply(t, s, registry.SyncStep{
		State: state("c1"), Schemas: contents[:6],
		Versions: []registry.TopicVersion{
			version("b", 1, "c1", contents[0]),
			version("aa", 1, "c1", contents[0]),
			version("a_b", 1, "c1", contents[0]),
			version("B", 1, "c1", contents[0]),
			version("a-b", 1, "c1", contents[0]),
			version("a", 2, "c1", contents[1]),
			version("a", 10, "c1", contents[2]),
			version("a.x", 1, "c1", contents[3]),
			version("a", 1, "c1", contents[4], contents[5]),
		},
	})
	apply(t, s, registry.SyncStep{
		After: "c1", State: state("c2"), Schemas: contents[6:],
		Versions: []registry.TopicVersion{version("a", 3, "c2", contents[6:]...), version("b", 2, "c2", contents[6])},
	})
	d := dump(t, s)
	var got []string
	for _, v := range d.Versions {
		got = append(got, fmt.Sprintf("%s/%d", v.Topic, v.Version))
	}
	want := []string{"B/1", "a/1", "a/2", "a/3", "a/10", "a-b/1", "a.x/1", "a_b/1", "aa/1", "b/1", "b/2"}
	if !slices.Equal(got, want) {
		t.Fatalf("Versions() order = %v, want %v", got, want)
	}
	// Subjects keep their order within a version.
	if v := d.Versions[3]; len(v.Subjects) != 6 || v.Subjects[5].Hash != contents[11].Hash {
		t.Errorf("a/3 subjects = %+v, want the 6 in step order", v.Subjects)
	}
	if !slices.IsSortedFunc(d.Schemas, func(x, y registry.Schema) int { return int(x.ID - y.ID) }) || len(d.Schemas) != 12 {
		t.Errorf("Schemas() = %d schemas, IDs %v; want 12 by ascending ID", len(d.Schemas), schemaIDs(d.Schemas))
	}
}

func testRejectionsLimit(t *testing.T, open Opener) {
	s := openStore(t, open)
	ctx := t.Context()
	// Open: t (reopened at c4) and v; closed: u at c4, then t's first at c3.
	apply(t, s, registry.SyncStep{State: state("c1"), Rejections: []registry.Rejection{rejection("t", "c1"), rejection("u", "c1")}})
	apply(t, s, registry.SyncStep{After: "c1", State: state("c2"), Rejections: []registry.Rejection{rejection("v", "c2")}})
	apply(t, s, registry.SyncStep{After: "c2", State: state("c3"), Fixes: []registry.Fix{fix("t", "c3", 3)}})
	apply(t, s, registry.SyncStep{After: "c3", State: state("c4"), Fixes: []registry.Fix{fix("u", "c4", 4)},
		Rejections: []registry.Rejection{rejection("t", "c4")}})

	key := func(rs []registry.Rejection) []string {
		var out []string
		for _, r := range rs {
			k := r.Topic + "@" + r.Commit.SHA
			if !r.Open {
				k += " fixed"
			}
			out = append(out, k)
		}
		return out
	}
	for _, tt := range []struct {
		limit int
		want  []string
	}{
		{1, []string{"t@c4", "v@c2", "u@c1 fixed"}},
		{2, []string{"t@c4", "v@c2", "u@c1 fixed", "t@c1 fixed"}},
		{10, []string{"t@c4", "v@c2", "u@c1 fixed", "t@c1 fixed"}},
		{0, []string{"t@c4", "v@c2", "u@c1 fixed", "t@c1 fixed"}}, // no limit
	} {
		got, err := s.Rejections(ctx, tt.limit)
		if err != nil {
			t.Fatalf("Rejections(%d): %v", tt.limit, err)
		}
		if !slices.Equal(key(got), tt.want) {
			t.Errorf("Rejections(%d) = %v, want %v (open, newest first; then closed, most recently closed first)", tt.limit, key(got), tt.want)
		}
	}
	all, _ := s.Rejections(ctx, 0)
	if len(all) == 4 && !(all[0].ID > all[1].ID && all[1].ID > all[2].ID) {
		t.Errorf("open rejection IDs = %d, %d; want decreasing, newest first", all[0].ID, all[1].ID)
	}
}

// testRejectionRepeats applies the same topic broken at three commits:
// one record, its ID kept, counting them, with the latest commit and
// findings.
func testRejectionRepeats(t *testing.T, open Opener) {
	s := openStore(t, open)
	first := rejection("t", "c1")
	apply(t, s, registry.SyncStep{State: state("c1"), Rejections: []registry.Rejection{first, rejection("", "c1")}})
	d := dump(t, s)
	if len(d.Rejections) != 2 {
		t.Fatalf("Rejections() = %d records, want 2", len(d.Rejections))
	}
	ids := map[string]int64{}
	for _, r := range d.Rejections {
		ids[r.Topic] = r.ID
	}
	var last registry.Rejection
	for i := 2; i <= 3; i++ {
		last = rejection("t", fmt.Sprintf("c%d", i))
		last.CreatedAt = base.Add(time.Duration(i) * time.Hour)
		last.Findings[0].Message = fmt.Sprintf("field 1 renamed at c%d", i)
		apply(t, s, registry.SyncStep{After: fmt.Sprintf("c%d", i-1), State: state(fmt.Sprintf("c%d", i)),
			Rejections: []registry.Rejection{last}})
	}
	d = dump(t, s)
	want := normRejection(first)
	want.ID = ids["t"]
	want.Latest = normCommit(last.Commit)
	want.Commits = 3
	want.Findings = last.Findings
	want.UpdatedAt = normTime(last.CreatedAt)
	repo := normRejection(rejection("", "c1"))
	repo.ID = ids[""]
	diff(t, "Rejections() after the topic stayed broken at c2 and c3", d.Rejections, []registry.Rejection{repo, want})
	if ids["t"] <= 0 || ids[""] <= 0 {
		t.Errorf("rejection IDs = %v, want > 0", ids)
	}
}

// testRejectionFixed closes a rejection with the fixing commit; the topic
// broken again opens a new one with a new ID; fixing a topic with no open
// rejection does nothing.
func testRejectionFixed(t *testing.T, open Opener) {
	s := openStore(t, open)
	r := rejection("t", "c1")
	apply(t, s, registry.SyncStep{State: state("c1"), Rejections: []registry.Rejection{r}})
	f := fix("t", "c2", 2)
	apply(t, s, registry.SyncStep{After: "c1", State: state("c2"), Fixes: []registry.Fix{f, fix("u", "c2", 2)}})
	d := dump(t, s)
	if len(d.Rejections) != 1 {
		t.Fatalf("Rejections() = %d records, want 1", len(d.Rejections))
	}
	want := normRejection(r)
	want.ID = d.Rejections[0].ID
	want.Open = false
	fixedBy := normCommit(f.Commit)
	want.FixedBy = &fixedBy
	want.ClosedAt = normTime(f.At)
	diff(t, "Rejections() after the fix", d.Rejections, []registry.Rejection{want})

	// Fixed and broken again in one step: the fix applies first.
	again := rejection("t", "c3")
	apply(t, s, registry.SyncStep{After: "c2", State: state("c3"), Fixes: []registry.Fix{fix("t", "c3", 3)},
		Rejections: []registry.Rejection{again}})
	d = dump(t, s)
	if len(d.Rejections) != 2 || !d.Rejections[0].Open || d.Rejections[0].Commit.SHA != "c3" || d.Rejections[0].ID <= want.ID {
		t.Fatalf("Rejections() = %+v; want the open one of c3 with an ID above %d, then the closed one", d.Rejections, want.ID)
	}
	diff(t, "the closed rejection after another episode", d.Rejections[1], want)
}

func fix(topic, sha string, hour int) registry.Fix {
	return registry.Fix{Topic: topic, Commit: commit(sha), At: base.Add(time.Duration(hour) * time.Hour)}
}

func testTree(t *testing.T, open Opener) {
	s := openStore(t, open)
	ctx := t.Context()
	tree := func() map[string][]byte {
		t.Helper()
		got, err := s.Tree(ctx)
		if err != nil {
			t.Fatalf("Tree(): %v", err)
		}
		return got
	}

	// A first step without a tree stores none.
	apply(t, s, registry.SyncStep{State: state("c1")})
	_, err := s.Tree(ctx)
	wantCode(t, "Tree() before any tree was stored", err, registry.ENOTFOUND)

	first := map[string][]byte{
		"registry.yaml":      []byte("company: acme\n"),
		"retail/bin.proto":   {0, 1, 2, 0xff, 0},
		"retail/empty.proto": {},
	}
	apply(t, s, registry.SyncStep{After: "c1", State: state("c2"), Tree: first})
	diff(t, "Tree() after it was stored", tree(), first)

	apply(t, s, registry.SyncStep{After: "c2", State: state("c3")})
	diff(t, "Tree() after a step without tree", tree(), first)

	second := map[string][]byte{"registry.yaml": []byte("company: other\n")}
	apply(t, s, registry.SyncStep{After: "c3", State: state("c4"), Tree: second})
	diff(t, "Tree() after a step with a new tree", tree(), second)

	apply(t, s, registry.SyncStep{After: "c4", State: state("c5"), Tree: map[string][]byte{}})
	if got := tree(); got == nil || len(got) != 0 {
		t.Errorf("Tree() after an empty tree = %v, want an empty, non-nil map", got)
	}

	// With TreeChanged, only the named paths are written: changed,
	// added and removed ones. A path it does not name keeps what the
	// store holds, even if Tree says otherwise (the caller vouches).
	apply(t, s, registry.SyncStep{After: "c5", State: state("c6"), Tree: first})
	third := map[string][]byte{
		"registry.yaml":    []byte("company: acme\n"),
		"retail/bin.proto": {9},
		"retail/new.proto": []byte("syntax = \"proto3\";\n"),
	}
	apply(t, s, registry.SyncStep{After: "c6", State: state("c7"), Tree: third,
		TreeChanged: []string{"retail/bin.proto", "retail/empty.proto", "retail/new.proto"}})
	diff(t, "Tree() after a step naming its changes", tree(), third)
	fourth := map[string][]byte{"registry.yaml": []byte("company: not written\n"), "retail/bin.proto": {9}, "retail/new.proto": {}}
	apply(t, s, registry.SyncStep{After: "c7", State: state("c8"), Tree: fourth, TreeChanged: []string{"retail/new.proto"}})
	want := map[string][]byte{"registry.yaml": []byte("company: acme\n"), "retail/bin.proto": {9}, "retail/new.proto": {}}
	diff(t, "Tree() after a step naming one change", tree(), want)
}

func testCompiled(t *testing.T, open Opener) {
	s := openStore(t, open)
	ctx := t.Context()
	compiled := func() map[string]registry.CompiledFile {
		t.Helper()
		got, err := s.Compiled(ctx)
		if err != nil {
			t.Fatalf("Compiled(): %v", err)
		}
		return got
	}
	type files = map[string]registry.CompiledFile
	if got := compiled(); got == nil || len(got) != 0 {
		t.Errorf("Compiled() before any tree = %v, want an empty, non-nil map", got)
	}

	// Compiled files are stored with a tree only.
	apply(t, s, registry.SyncStep{State: state("c1"), Compiled: files{"a.proto": {Key: "ka", Descriptor: []byte{1}}}})
	diff(t, "Compiled() after a step without tree", compiled(), files{})

	tree := map[string][]byte{"registry.yaml": []byte("company: acme\n"), "a.proto": []byte("a"), "b.proto": []byte("b")}
	first := files{
		"a.proto": {Key: "ka", Descriptor: []byte{0, 1, 2, 0xff, 0}},
		"b.proto": {Key: "kb", Descriptor: []byte{}},
	}
	apply(t, s, registry.SyncStep{After: "c1", State: state("c2"), Tree: tree, Compiled: first})
	diff(t, "Compiled() after a tree with its compiled files", compiled(), first)

	// A step replaces the files it names, keeps the others of its tree,
	// and drops those of files its tree no longer has.
	apply(t, s, registry.SyncStep{After: "c2", State: state("c3")})
	diff(t, "Compiled() after a step without tree", compiled(), first)
	tree = map[string][]byte{"registry.yaml": []byte("company: acme\n"), "a.proto": []byte("a2"), "c.proto": []byte("c")}
	apply(t, s, registry.SyncStep{After: "c3", State: state("c4"), Tree: tree, Compiled: files{
		"a.proto": {Key: "ka2", Descriptor: []byte{2}},
	}})
	diff(t, "Compiled() after a step replacing one file", compiled(), files{"a.proto": {Key: "ka2", Descriptor: []byte{2}}})
	apply(t, s, registry.SyncStep{After: "c4", State: state("c5"), Tree: tree, Compiled: files{
		"c.proto": {Key: "kc", Descriptor: []byte{3}},
		"x.proto": {Key: "kx", Descriptor: []byte{4}}, // not in the tree
	}})
	diff(t, "Compiled() after a step adding one file", compiled(), files{
		"a.proto": {Key: "ka2", Descriptor: []byte{2}},
		"c.proto": {Key: "kc", Descriptor: []byte{3}},
	})
	apply(t, s, registry.SyncStep{After: "c5", State: state("c6"), Tree: map[string][]byte{}})
	diff(t, "Compiled() after an empty tree", compiled(), files{})
}

func testFindingsRoundTrip(t *testing.T, open Opener) {
	s := openStore(t, open)
	r := rejection("acme.retail.orders.events", "c1")
	r.Findings = []registry.Finding{
		{
			Rule:      "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED",
			Severity:  registry.SeverityError,
			Direction: registry.DirectionBoth,
			Topic:     "acme.retail.orders.events",
			Service:   "acme.retail.orders",
			Position:  registry.Position{File: "retail/orders/v1/orders.proto", Line: 12, Column: 3},
			Message:   "field 4 \"note\" was deleted: reserve number 4 and name \"note\" — ünïcode, \"quotes\", <html> & \\",
			Consumers: []string{"acme.retail.billing", "acme.retail.stock"},
		},
		{Rule: "DOC_MISSING", Severity: registry.SeverityWarning, Position: registry.Position{File: "x.proto"}, Message: "m"},
	}
	empty := rejection("t", "c1")
	empty.Findings = nil
	apply(t, s, registry.SyncStep{State: state("c1"), Rejections: []registry.Rejection{r, empty}})

	got := dump(t, s).Rejections
	if len(got) != 2 {
		t.Fatalf("Rejections() = %d, want 2", len(got))
	}
	want := []registry.Rejection{normRejection(empty), normRejection(r)}
	want[0].ID, want[1].ID = got[0].ID, got[1].ID
	diff(t, "Rejections()", got, want)
}

func testTimes(t *testing.T, open Opener) {
	s := openStore(t, open)
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	at := time.Date(2026, 3, 1, 12, 34, 56, 123456789, zone)
	a := content("A")

	st := state("c1")
	st.SyncedAt = at
	v := version("t", 1, "c1", a)
	v.Commit.Time = at.Add(-time.Hour)
	v.CreatedAt = at.Add(time.Nanosecond * 999)
	r := rejection("t", "c1")
	r.Commit.Time = time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.UTC)
	r.CreatedAt = at
	apply(t, s, registry.SyncStep{
		State: st, Schemas: []registry.SchemaContent{a},
		Versions: []registry.TopicVersion{v}, Rejections: []registry.Rejection{r},
	})
	d := dump(t, s)

	wantTime := func(what string, got, want time.Time) {
		t.Helper()
		want = want.Truncate(time.Microsecond).UTC()
		if got != want {
			t.Errorf("%s = %v (%v), want %v in UTC at microsecond precision", what, got, got.Location(), want)
		}
	}
	wantTime("State.SyncedAt", d.State.SyncedAt, st.SyncedAt)
	if len(d.Versions) == 1 && len(d.Rejections) == 1 {
		wantTime("Version.Commit.Time", d.Versions[0].Commit.Time, v.Commit.Time)
		wantTime("Version.CreatedAt", d.Versions[0].CreatedAt, v.CreatedAt)
		wantTime("Rejection.Commit.Time", d.Rejections[0].Commit.Time, r.Commit.Time)
		wantTime("Rejection.CreatedAt", d.Rejections[0].CreatedAt, r.CreatedAt)
	} else {
		t.Fatalf("stored %d versions, %d rejections; want 1 each", len(d.Versions), len(d.Rejections))
	}
}

func testCreatedAtDefaults(t *testing.T, open Opener) {
	s := openStore(t, open)
	a := content("A")
	v := version("t", 1, "c1", a)
	v.CreatedAt = time.Time{}
	r := rejection("t", "c1")
	r.CreatedAt = time.Time{}
	before := time.Now()
	apply(t, s, registry.SyncStep{
		State: state("c1"), Schemas: []registry.SchemaContent{a},
		Versions: []registry.TopicVersion{v}, Rejections: []registry.Rejection{r},
	})
	after := time.Now()
	d := dump(t, s)
	if len(d.Versions) != 1 || len(d.Rejections) != 1 {
		t.Fatalf("stored %d versions, %d rejections; want 1 each", len(d.Versions), len(d.Rejections))
	}
	checkStoreTime(t, "Version.CreatedAt left zero", d.Versions[0].CreatedAt, before, after)
	checkStoreTime(t, "Rejection.CreatedAt left zero", d.Rejections[0].CreatedAt, before, after)
}

func testPersistence(t *testing.T, open Opener) {
	s := openStore(t, open)
	a, b, c := content("A"), content("B"), content("C", content("A"))
	ids := apply(t, s, registry.SyncStep{
		State: state("c1"), Tree: map[string][]byte{"f": []byte("x")},
		Schemas:    []registry.SchemaContent{a, b, c},
		Versions:   []registry.TopicVersion{version("t", 1, "c1", c, b)},
		Rejections: []registry.Rejection{rejection("u", "c1")},
	})
	before := dump(t, s)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s2 := openStore(t, open)
	diff(t, "store reopened", dump(t, s2), before)

	// IDs go on from where they were: new content after every stored one.
	d := content("D")
	ids2 := apply(t, s2, registry.SyncStep{
		After: "c1", State: state("c2"), Schemas: []registry.SchemaContent{d, a},
		Versions: []registry.TopicVersion{version("t", 2, "c2", d, a)},
	})
	if ids2[a.Hash] != ids[a.Hash] || ids2[d.Hash] <= ids[c.Hash] {
		t.Errorf("after reopen: ID(A) = %d (was %d), ID(D) = %d (want > %d)", ids2[a.Hash], ids[a.Hash], ids2[d.Hash], ids[c.Hash])
	}
}

// applyRace runs one step with the same After through each store at once and
// checks that exactly one of them is stored.
func applyRace(t *testing.T, stores ...registry.Store) {
	a := content("A")
	apply(t, stores[0], registry.SyncStep{
		State: state("c1"), Schemas: []registry.SchemaContent{a},
		Versions: []registry.TopicVersion{version("t", 1, "c1", a)},
	})
	const n = 2
	steps := make([]registry.SyncStep, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		sc := content(fmt.Sprintf("Racer%d", i))
		steps[i] = registry.SyncStep{
			After: "c1", State: state(fmt.Sprintf("race%d", i)),
			Schemas:    []registry.SchemaContent{sc},
			Versions:   []registry.TopicVersion{version(fmt.Sprintf("racer%d", i), 1, "race", sc)},
			Rejections: []registry.Rejection{rejection("t", fmt.Sprintf("race%d", i))},
		}
		wg.Go(func() { _, errs[i] = stores[i%len(stores)].Apply(t.Context(), steps[i]) })
	}
	wg.Wait()

	winner := -1
	for i, err := range errs {
		switch registry.ErrorCode(err) {
		case "":
			if winner >= 0 {
				t.Fatalf("steps %d and %d both succeeded with After c1", winner, i)
			}
			winner = i
		case registry.ECONFLICT:
		default:
			t.Errorf("step %d: %v, want success or %s", i, err, registry.ECONFLICT)
		}
	}
	if winner < 0 {
		t.Fatalf("no step succeeded: %v", errs)
	}
	d := dump(t, stores[0])
	if d.State.Commit != steps[winner].State.Commit || len(d.Schemas) != 2 || len(d.Versions) != 2 || len(d.Rejections) != 1 {
		t.Errorf("after the race: state %s, %d schemas, %d versions, %d rejections; want %s, 2, 2, 1",
			d.State.Commit, len(d.Schemas), len(d.Versions), len(d.Rejections), steps[winner].State.Commit)
	}
}

func testConcurrentApply(t *testing.T, open Opener) {
	applyRace(t, openStore(t, open))
}

func testConcurrentApplyTwoStores(t *testing.T, open Opener) {
	applyRace(t, openStore(t, open), openStore(t, open))
}

func testConcurrentOpen(t *testing.T, open Opener) {
	// Replicas starting at once migrate the same database.
	const n = 3
	stores := make([]registry.Store, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { stores[i] = openStore(t, open) })
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	apply(t, stores[0], registry.SyncStep{State: state("c1")})
	for i, s := range stores {
		if st, err := s.State(t.Context()); err != nil || st.Commit != "c1" {
			t.Errorf("store %d: State() = %+v, %v; want c1", i, st, err)
		}
	}
}

// Fixtures and helpers.

// base is the time of the fixtures: not UTC, finer than a microsecond.
var base = time.Date(2026, 2, 3, 4, 5, 6, 789123456, time.FixedZone("CET", 3600))

// content returns a schema content named after its message, importing refs.
func content(message string, refs ...registry.SchemaContent) registry.SchemaContent {
	sc := registry.SchemaContent{
		Format: "PROTOBUF",
		Path:   "acme/test/v1/" + strings.ToLower(message) + ".proto",
		Text:   "syntax = \"proto3\";\npackage acme.test.v1;\n\nmessage " + message + " {}\n",
	}
	for _, r := range refs {
		sc.References = append(sc.References, registry.SchemaReference{Name: r.Path, Subject: r.Path, Version: 1, Hash: r.Hash})
	}
	h := sha256.New()
	json.NewEncoder(h).Encode(sc)
	sc.Hash = hex.EncodeToString(h.Sum(nil))
	return sc
}

func commit(sha string) registry.Commit {
	return registry.Commit{
		SHA: sha, Author: "Ada Lovelace", Email: "ada@example.com",
		Time: base.Add(-time.Hour), Message: "Change " + sha + "\n\nWith a body.",
	}
}

func state(sha string) registry.SyncState {
	return registry.SyncState{Source: "https://git.example.com/acme/schemas.git", Branch: "main", Commit: sha, SyncedAt: base}
}

// version returns a version of topic whose subjects are, in order, -value,
// -key, then -2, -3… over the given contents.
func version(topic string, n int, sha string, contents ...registry.SchemaContent) registry.TopicVersion {
	v := registry.TopicVersion{
		Topic: topic, Version: n, Fingerprint: fmt.Sprintf("fp-%s-%d", topic, n), Key: "string",
		Commit: commit(sha), CreatedAt: base.Add(time.Minute),
	}
	for i, sc := range contents {
		subject := topic + "-" + []string{"value", "key"}[min(i, 1)]
		if i > 1 {
			subject = fmt.Sprintf("%s-%d", topic, i)
		}
		v.Subjects = append(v.Subjects, registry.SubjectSchema{Subject: subject, Version: n + i, Message: fmt.Sprintf("acme.t.v1.M%d", i), Hash: sc.Hash})
	}
	return v
}

func rejection(topic, sha string) registry.Rejection {
	return registry.Rejection{
		Topic: topic, Commit: commit(sha), CreatedAt: base.Add(2 * time.Minute),
		Findings: []registry.Finding{{
			Rule: "FIELD_SAME_NAME", Severity: registry.SeverityError, Direction: registry.DirectionBackward,
			Topic: topic, Position: registry.Position{File: "a.proto", Line: 3, Column: 5}, Message: "field 1 renamed",
		}},
	}
}

func apply(t *testing.T, s registry.Store, step registry.SyncStep) map[string]int64 {
	t.Helper()
	ids, err := s.Apply(t.Context(), step)
	if err != nil {
		t.Fatalf("Apply(%s after %q): %v", step.State.Commit, step.After, err)
	}
	for _, sc := range step.Schemas {
		if ids[sc.Hash] <= 0 {
			t.Fatalf("Apply(%s): no ID for schema %s: %v", step.State.Commit, sc.Hash, ids)
		}
	}
	return ids
}

// storeDump is everything a store holds, as its read methods return it.
type storeDump struct {
	State      registry.SyncState
	Tree       map[string][]byte
	TreeCode   string // the code of Tree's error
	Compiled   map[string]registry.CompiledFile
	Schemas    []registry.Schema
	Versions   []registry.TopicVersion
	Rejections []registry.Rejection
}

func dump(t *testing.T, s registry.Store) storeDump {
	t.Helper()
	ctx := t.Context()
	var d storeDump
	var err error
	if d.State, err = s.State(ctx); err != nil {
		t.Fatalf("State(): %v", err)
	}
	d.Tree, err = s.Tree(ctx)
	if d.TreeCode = registry.ErrorCode(err); err != nil && d.TreeCode != registry.ENOTFOUND {
		t.Fatalf("Tree(): %v", err)
	}
	if d.Compiled, err = s.Compiled(ctx); err != nil {
		t.Fatalf("Compiled(): %v", err)
	}
	if d.Schemas, err = s.Schemas(ctx); err != nil {
		t.Fatalf("Schemas(): %v", err)
	}
	if d.Versions, err = s.Versions(ctx); err != nil {
		t.Fatalf("Versions(): %v", err)
	}
	if d.Rejections, err = s.Rejections(ctx, 0); err != nil {
		t.Fatalf("Rejections(): %v", err)
	}
	return d
}

// stored is sc as Schemas returns it, less CreatedAt.
func stored(sc registry.SchemaContent, ids map[string]int64) registry.Schema {
	return registry.Schema{ID: ids[sc.Hash], SchemaContent: sc}
}

func normTime(t time.Time) time.Time { return t.Truncate(time.Microsecond).UTC() }

func normState(s registry.SyncState) registry.SyncState {
	s.SyncedAt = normTime(s.SyncedAt)
	return s
}

func normCommit(c registry.Commit) registry.Commit {
	c.Time = normTime(c.Time)
	return c
}

// normVersion is v as Versions returns it.
func normVersion(v registry.TopicVersion, ids map[string]int64) registry.TopicVersion {
	v.Commit = normCommit(v.Commit)
	v.CreatedAt = normTime(v.CreatedAt)
	v.Subjects = slices.Clone(v.Subjects)
	for i := range v.Subjects {
		v.Subjects[i].SchemaID = ids[v.Subjects[i].Hash]
	}
	return v
}

// normRejection is r, applied as the first of its episode, as Rejections
// returns it, less its ID: open, its first commit its latest.
func normRejection(r registry.Rejection) registry.Rejection {
	r.Commit = normCommit(r.Commit)
	r.Latest = r.Commit
	r.Commits = 1
	r.Open = true
	r.CreatedAt = normTime(r.CreatedAt)
	r.UpdatedAt = r.CreatedAt
	return r
}

func schemaIDs(ss []registry.Schema) []int64 {
	var ids []int64
	for _, s := range ss {
		ids = append(ids, s.ID)
	}
	return ids
}

// checkStoreTime checks a time the store set: during the call, in UTC, at
// microsecond precision.
func checkStoreTime(t *testing.T, what string, got, before, after time.Time) {
	t.Helper()
	if got.Location() != time.UTC || got.Nanosecond()%1000 != 0 ||
		got.Before(before.Truncate(time.Microsecond)) || got.After(after) {
		t.Errorf("%s = %v, want a UTC time in [%v, %v] at microsecond precision", what, got, before, after)
	}
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := registry.ErrorCode(err); got != code {
		t.Errorf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

// diff reports got != want, showing both as JSON.
func diff(t *testing.T, what string, got, want any) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	g, _ := json.MarshalIndent(got, "", "  ")
	w, _ := json.MarshalIndent(want, "", "  ")
	t.Errorf("%s differs\ngot:  %s\nwant: %s", what, g, w)
}
