package catalog_test

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/backbone-registry/backbone/internal/estate"
	"github.com/backbone-registry/backbone/internal/gitfixture"
)

// TestSyncRefusesDeepNestingCheaply commits a file whose option value is a
// message literal nested 10,000 levels deep (40 KB; before the nesting
// limit, compiling it allocated 700 MB): the sync rejects the commit with a
// diagnostic at the file's line and column, and costs about what syncing a
// harmless file of the same size does.
func TestSyncRefusesDeepNestingCheaply(t *testing.T) { // not parallel: measures allocations
	const path = "schemas/retail/orders/v1/deep.proto"
	hostile := "syntax = \"proto3\";\npackage acme.retail.orders.v1;\nimport \"google/protobuf/descriptor.proto\";\n" +
		"message Deep { repeated Deep a = 1; }\nextend google.protobuf.FileOptions { Deep deep = 50000; }\noption (deep) = " +
		strings.Repeat("{a:", 10_000) + "{}" + strings.Repeat("}", 10_000) + ";\n"
	harmless := "syntax = \"proto3\";\npackage acme.retail.orders.v1;\n// " + strings.Repeat("x", len(hostile)) + "\nmessage Deep {}\n"

	sync := func(content string) (uint64, string) {
		repo := gitfixture.New(t)
		files := gitfixture.BaseFiles()
		repo.Commit("estate", files)
		files[path] = content
		repo.Commit("add deep.proto", files)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		snap, store, err := estate.Ingest(t.Context(), repo.Dir, "schemas", filepath.Join(t.TempDir(), "registry.db"), nil)
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		var msgs []string
		for _, r := range snap.Catalog().History().Rejections() {
			for _, f := range r.Findings {
				msgs = append(msgs, f.Position.String()+": "+f.Message)
			}
		}
		return after.TotalAlloc - before.TotalAlloc, strings.Join(msgs, "\n")
	}
	base, rejected := sync(harmless)
	if rejected != "" {
		t.Fatalf("the harmless file was rejected: %s", rejected)
	}
	cost, rejected := sync(hostile)
	// "option (deep) = " is 16 columns; the 65th "{a:" opens level 65.
	if want := "retail/orders/v1/deep.proto:6:" + "209" + ": brackets nest deeper than 64 levels, over the nesting limit"; !strings.Contains(rejected, want) {
		t.Errorf("rejections:\n%s\nwant one containing %q", rejected, want)
	}
	if cost > 2*base {
		t.Errorf("syncing the deep file allocated %d bytes, a harmless file of the same size %d: want at most twice as much", cost, base)
	}
}
