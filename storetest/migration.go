package storetest

import (
	"testing"
	"time"

	registry "github.com/backbone-registry/backbone"
)

// Legacy is a backend's database as the releases before migration 0003
// left it, with one rejection record per rejected commit.
type Legacy struct {
	// Open opens a store over the database migrated up to 0002 only; the
	// suite applies steps without rejections through it.
	Open Opener
	// Reject writes r as those releases did: one row per commit.
	Reject func(t *testing.T, r registry.Rejection)
	// Upgrade opens a store over the database with every migration
	// applied, as the current release does.
	Upgrade Opener
}

// NewLegacy creates a fresh database for one test and returns it as Legacy.
type NewLegacy func(t *testing.T) Legacy

// RunMigration checks that migration 0003 keeps a store's rejections:
// the records of one topic between two of its versions fold into one
// episode, closed by the later version; the whole-commit records fold
// into one, open while its latest commit is the sync's; the store then
// goes on updating the folded records and never hands out an ID again.
func RunMigration(t *testing.T, newDB NewLegacy) {
	t.Run("Fold", func(t *testing.T) { testMigrationFold(t, newDB(t)) })
	t.Run("WholeCommitFixed", func(t *testing.T) { testMigrationWholeCommitFixed(t, newDB(t)) })
}

// testMigrationWholeCommitFixed: whole-commit records whose latest commit
// is not the sync's were fixed by a commit the rows do not name: closed,
// with no fixing commit.
func testMigrationWholeCommitFixed(t *testing.T, db Legacy) {
	old := openStore(t, db.Open)
	apply(t, old, registry.SyncStep{State: state("c1")})
	r := rejection("", "c2")
	db.Reject(t, r)
	apply(t, old, registry.SyncStep{After: "c1", State: state("c3")})
	if err := old.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s := openStore(t, db.Upgrade)
	got := dump(t, s).Rejections
	want := normRejection(r)
	want.Open, want.ClosedAt = false, want.UpdatedAt
	if len(got) == 1 {
		want.ID = got[0].ID
	}
	diff(t, "Rejections() after migration 0003", got, []registry.Rejection{want})
}

func testMigrationFold(t *testing.T, db Legacy) {
	old := openStore(t, db.Open)
	a, b := content("A"), content("B")
	at := func(minute int) time.Time { return base.Add(time.Duration(minute) * time.Minute) }
	v1 := version("t", 1, "c1", a)
	v1.CreatedAt = at(1)
	apply(t, old, registry.SyncStep{State: state("c1"), Schemas: []registry.SchemaContent{a}, Versions: []registry.TopicVersion{v1}})
	reject := func(topic, sha string, minute int) registry.Rejection {
		r := rejection(topic, sha)
		r.Findings[0].Message = "broken at " + sha
		r.CreatedAt = at(minute)
		db.Reject(t, r)
		return r
	}
	t2 := reject("t", "c2", 2)
	reject("t", "c3", 3)
	t4 := reject("t", "c4", 4)
	u3 := reject("u", "c3", 3)
	v2 := version("t", 2, "c5", b)
	v2.CreatedAt = at(5)
	apply(t, old, registry.SyncStep{After: "c1", State: state("c5"), Schemas: []registry.SchemaContent{b}, Versions: []registry.TopicVersion{v2}})
	t6 := reject("t", "c6", 6)
	t7 := reject("t", "c7", 7)
	r6 := reject("", "c6", 6)
	r7 := reject("", "c7", 7)
	apply(t, old, registry.SyncStep{After: "c5", State: state("c7")})
	if err := old.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s := openStore(t, db.Upgrade)
	got := dump(t, s).Rejections
	episode := func(first, latest registry.Rejection, n int) registry.Rejection {
		r := normRejection(first)
		r.Latest = normCommit(latest.Commit)
		r.Commits = n
		r.Findings = latest.Findings
		r.UpdatedAt = normTime(latest.CreatedAt)
		return r
	}
	fixed := episode(t2, t4, 3)
	fixed.Open = false
	fixedBy := normCommit(v2.Commit)
	fixed.FixedBy, fixed.ClosedAt = &fixedBy, normTime(v2.CreatedAt)
	want := []registry.Rejection{episode(r6, r7, 2), episode(t6, t7, 2), normRejection(u3), fixed}
	if len(got) != len(want) {
		t.Fatalf("after the migration: %d rejections, want %d: %+v", len(got), len(want), got)
	}
	// Each keeps the ID of one of the 8 rows written.
	const rows = 8
	for i := range got {
		if got[i].ID <= 0 || got[i].ID > rows {
			t.Errorf("rejection %d: ID %d, want one of the rows' (1…%d)", i, got[i].ID, rows)
		}
		want[i].ID = got[i].ID
	}
	diff(t, "Rejections() after migration 0003", got, want)

	// The folded open record is the one later commits update.
	t8 := rejection("t", "c8")
	apply(t, s, registry.SyncStep{After: "c7", State: state("c8"), Fixes: []registry.Fix{fix("", "c8", 8)},
		Rejections: []registry.Rejection{t8}})
	got = dump(t, s).Rejections
	if len(got) != 4 || got[0].Topic != "t" || got[0].ID != want[1].ID || got[0].Commits != 3 || got[0].Latest.SHA != "c8" {
		t.Fatalf("after c8: %+v; want t's open record (ID %d) at c8, 3 commits, first", got, want[1].ID)
	}
	// A new episode gets an ID above every row the migration folded away.
	apply(t, s, registry.SyncStep{After: "c8", State: state("c9"), Rejections: []registry.Rejection{rejection("", "c9")}})
	got = dump(t, s).Rejections
	if len(got) != 5 || got[0].Topic != "" || !got[0].Open || got[0].ID <= rows {
		t.Fatalf("after c9: %+v; want a new open whole-commit rejection first, its ID above %d", got, rows)
	}
}
