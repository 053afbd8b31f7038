package catalog_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/compat"
	"github.com/backbone-registry/backbone/internal/gitfixture"
)

// TestRestoreFromCompiledMatchesCompiling syncs random histories and, every
// few commits, restarts: a restore from the compiled files the steps
// stored must serve the catalog that compiling the tree serves (findings
// with their positions, documentation, fingerprints, compatibility
// findings against every earlier version), and the restarted ingester,
// recompiling from the descriptors it read back, must keep syncing as an
// ingester that rebuilds everything does.
func TestRestoreFromCompiledMatchesCompiling(t *testing.T) {
	t.Parallel()
	for seed := range uint64(2) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Parallel()
			repo := gitfixture.New(t)
			in, snap, store := ingesterOn(t, repo, "restarted", 2)
			full, fullSnap, fullStore := ingesterOn(t, repo, "full", 0)
			catalog.FullRebuild(full)
			hist := newRandomHistory()
			rnd := rand.New(rand.NewPCG(seed, 11))
			var restarts, positioned, checked int
			for i := range 40 {
				what := "initial"
				if i > 0 {
					what, _ = hist.edit(rnd)
				}
				repo.Commit(what, hist.files())
				for _, in := range []*catalog.Ingester{in, full} {
					if n, err := in.Sync(t.Context()); err != nil || n != 1 {
						t.Fatalf("commit %d (%s): sync %d commits, %v", i, what, n, err)
					}
				}
				where := fmt.Sprintf("commit %d (%s)", i, what)
				sameStores(t, where, store, fullStore)
				sameCatalogs(t, where, snap.Catalog(), fullSnap.Catalog())
				if i%4 != 3 || snap.Catalog() == nil {
					continue
				}
				// Restart: from the compiled files, and by compiling.
				restored, restoredSnap, _ := ingesterOn(t, repo, "unused", 2)
				restored.Store = store
				compiled, compiledSnap, _ := ingesterOn(t, repo, "unused2", 2)
				compiled.Store = store
				catalog.CompileServed(compiled)
				for _, r := range []*catalog.Ingester{restored, compiled} {
					if err := r.Restore(t.Context()); err != nil {
						t.Fatalf("%s: restore: %v", where, err)
					}
				}
				if !catalog.RestoredCompiled(restored) || catalog.RestoredCompiled(compiled) {
					t.Fatalf("%s: restored from compiled files: %v and %v, want true and false", where,
						catalog.RestoredCompiled(restored), catalog.RestoredCompiled(compiled))
				}
				where += " restarted"
				a, b := restoredSnap.Catalog(), compiledSnap.Catalog()
				// A store without compiled files (written by an older
				// version), or with one out of date, restores by compiling.
				for name, s := range map[string]registry.Store{
					"none":  compiledFiles{store, func(map[string]registry.CompiledFile) {}, true},
					"stale": compiledFiles{store, func(m map[string]registry.CompiledFile) { m["common/v1/money.proto"] = registry.CompiledFile{Key: "x"} }, false},
					"other": compiledFiles{store, func(m map[string]registry.CompiledFile) {
						f := m["retail/orders/v1/orders.proto"]
						f.Descriptor = m["common/v1/money.proto"].Descriptor
						m["retail/orders/v1/orders.proto"] = f
					}, false},
				} {
					r, rSnap, _ := ingesterOn(t, repo, "unused4", 2)
					r.Store = s
					if err := r.Restore(t.Context()); err != nil {
						t.Fatalf("%s: restore with %s compiled files: %v", where, name, err)
					}
					if catalog.RestoredCompiled(r) {
						t.Fatalf("%s: restored from %s compiled files", where, name)
					}
					sameCatalogs(t, where+" from "+name+" compiled files", rSnap.Catalog(), b)
				}
				sameCatalogs(t, where, a, b)
				for _, f := range a.Findings() {
					if f.Line > 0 {
						positioned++
					}
				}
				checked += sameChecks(t, where, a, b)
				// Go on with the restarted ingester, against a reference
				// restarted too (so that both histories have their
				// rejections' IDs, as read from the stores).
				in, snap = restored, restoredSnap
				full, fullSnap, _ = ingesterOn(t, repo, "unused3", 0)
				full.Store = fullStore
				catalog.FullRebuild(full)
				catalog.CompileServed(full)
				if err := full.Restore(t.Context()); err != nil {
					t.Fatalf("%s: restore the reference: %v", where, err)
				}
				restarts++
			}
			if restarts < 5 || positioned == 0 || checked == 0 {
				t.Fatalf("%d restarts, %d findings with a position, %d compatibility findings compared: too few", restarts, positioned, checked)
			}
		})
	}
}

// sameChecks checks every topic's current contract in a and in b against
// each of its earlier versions, both ways and fully transitive, and fails
// unless the findings are the same. It returns how many findings it
// compared.
func sameChecks(t *testing.T, where string, a, b *catalog.Catalog) int {
	t.Helper()
	n := 0
	h := b.History()
	for _, tb := range b.Topics(catalog.TopicFilter{}) {
		ta, _ := a.Topic(tb.Name)
		ca, okA := a.ContractOf(ta)
		cb, okB := b.ContractOf(tb)
		if okA != okB {
			t.Fatalf("%s: %s has a contract: %v and %v", where, tb.Name, okA, okB)
		}
		if !okA {
			continue
		}
		var earlier []compat.Contract
		for _, v := range h.Versions(tb.Name) {
			ct, err := h.Contract(t.Context(), v, compat.Limits{})
			if err != nil {
				t.Fatalf("%s: %s version %d: %v", where, tb.Name, v.Version, err)
			}
			earlier = append(earlier, ct)
		}
		opts := compat.Options{Topic: tb.Name, Mode: registry.CompatFullTransitive, Level: registry.LevelWireJSON}
		got, want := compat.Check(earlier, ca, opts), compat.Check(earlier, cb, opts)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: %s checked against its versions:\nfrom compiled files %v\ncompiling           %v", where, tb.Name, got, want)
		}
		n += len(want)
		// And the other way: each current contract as the earlier one.
		for _, e := range earlier {
			got, want := compat.Check([]compat.Contract{ca}, e, opts), compat.Check([]compat.Contract{cb}, e, opts)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: a version of %s checked against the current contract:\nfrom compiled files %v\ncompiling           %v", where, tb.Name, got, want)
			}
			n += len(want)
		}
	}
	return n
}

// compiledFiles is a store whose compiled files are changed by edit (or
// that has none).
type compiledFiles struct {
	registry.Store
	edit func(map[string]registry.CompiledFile)
	none bool
}

func (s compiledFiles) Compiled(ctx context.Context) (map[string]registry.CompiledFile, error) {
	if s.none {
		return map[string]registry.CompiledFile{}, nil
	}
	m, err := s.Store.Compiled(ctx)
	if err == nil {
		if _, ok := m["common/v1/money.proto"]; !ok {
			return nil, fmt.Errorf("no compiled common/v1/money.proto among %d files", len(m))
		}
		s.edit(m)
	}
	return m, err
}
