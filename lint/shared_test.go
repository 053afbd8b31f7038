package lint_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/internal/gitfixture"
	"github.com/backbone-registry/backbone/lint"
)

// randomEstate is a repository of services whose events reference shared
// common types and the previous service's event (so contracts span
// files), which random edits change: fields added, deleted, retyped,
// renamed, comments edited, the shared file changed, a topic's mode
// overridden, a topic deleted, a file broken.
type randomEstate struct {
	fields  [][]string // per service: its event's extra fields ("type name")
	rev     []int      // per service: comment revision
	money   string     // the type of Money.units
	modes   []string   // per service: compatibility override, or ""
	dropped []bool     // per service: its topic is deleted
	broken  int        // a service whose file does not parse, or -1
	mode    string     // the repository's default mode
}

func newRandomEstate(r *rand.Rand, services int) *randomEstate {
	e := &randomEstate{money: "int64", broken: -1, mode: []string{"BACKWARD", "FULL", "BACKWARD_TRANSITIVE", "FORWARD_TRANSITIVE"}[r.IntN(4)]}
	for range services {
		e.fields = append(e.fields, []string{"string note", "int32 count"})
		e.rev = append(e.rev, 0)
		e.modes = append(e.modes, "")
		e.dropped = append(e.dropped, false)
	}
	return e
}

func (e *randomEstate) files() map[string]string {
	out := map[string]string{
		"schemas/registry.yaml":          "company: acme\ndefaults:\n  compatibility: " + e.mode + "\n  level: WIRE_JSON\ngovernance:\n  ORPHAN_TOPIC: off\n",
		"schemas/common/v1/common.proto": "syntax = \"proto3\";\npackage acme.common.v1;\n// Money.\nmessage Money {\n  // The currency.\n  string currency = 1;\n  // Minor units.\n  " + e.money + " units = 2;\n}\n",
	}
	for i := range e.fields {
		svc := fmt.Sprintf("svc%d", i)
		var b strings.Builder
		fmt.Fprintf(&b, "syntax = \"proto3\";\npackage acme.shop.%s.v1;\nimport \"common/v1/common.proto\";\n", svc)
		if i > 0 {
			fmt.Fprintf(&b, "import \"shop/svc%d/v1/events.proto\";\n", i-1)
		}
		fmt.Fprintf(&b, "// Event of %s, revision %d.\nmessage Event {\n  // The id.\n  string id = 1;\n  // The price.\n  acme.common.v1.Money price = 2;\n", svc, e.rev[i])
		if i > 0 {
			fmt.Fprintf(&b, "  // The cause.\n  acme.shop.svc%d.v1.Event cause = 3;\n", i-1)
		}
		for j, f := range e.fields[i] {
			if f != "" {
				fmt.Fprintf(&b, "  // Field %d.\n  %s = %d;\n", j, f, 10+j)
			}
		}
		b.WriteString("}\n// Internal to the service.\nmessage Internal {\n  // A key.\n  string key = 1;\n}\n")
		src := b.String()
		if e.broken == i {
			src = strings.Replace(src, "message Internal", "mesage Internal", 1)
		}
		out["schemas/shop/"+svc+"/v1/events.proto"] = src
		y := fmt.Sprintf("description: Service %d.\nowner: team-%d\n", i, i)
		if !e.dropped[i] {
			y += fmt.Sprintf("topics:\n  - name: events\n    description: Events.\n    value: acme.shop.%s.v1.Event\n", svc)
			if e.modes[i] != "" {
				y += "    compatibility: " + e.modes[i] + "\n"
			}
		}
		if next := (i + 1) % len(e.fields); !e.dropped[next] && next != i {
			y += fmt.Sprintf("consumes: [acme.shop.svc%d.events]\n", next)
		}
		out["schemas/shop/"+svc+"/service.yaml"] = y
	}
	return out
}

func (e *randomEstate) edit(r *rand.Rand) {
	i := r.IntN(len(e.fields))
	f := e.fields[i]
	switch op := r.IntN(12); {
	case e.broken >= 0:
		e.broken = -1
	case op <= 2:
		e.fields[i] = append(f, fmt.Sprintf("string added_%d", len(f)))
	case op == 3 && len(f) > 0:
		f[r.IntN(len(f))] = "" // deleted, its number not reserved
	case op == 4 && len(f) > 1 && f[1] == "int32 count":
		f[1] = "string count"
	case op == 5 && len(f) > 0 && f[0] == "string note":
		f[0] = "string remark"
	case op == 6:
		e.rev[i]++
	case op == 7:
		e.money = map[string]string{"int64": "string", "string": "int64"}[e.money]
	case op == 8:
		e.modes[i] = []string{"", "NONE", "FORWARD", "FULL_TRANSITIVE"}[r.IntN(4)]
	case op == 9:
		e.dropped[i] = !e.dropped[i]
	case op == 10:
		e.broken = i
	}
}

// TestSharingMatchesPlainBase runs lint --against on random histories and
// working trees twice: as it runs (the base reusing the working tree's
// bytes and descriptors) and with a plain base compiled on its own. The
// reports must be the same, byte for byte. Not parallel: it switches the
// package's plain mode.
func TestSharingMatchesPlainBase(t *testing.T) {
	var findings int
	for seed := range uint64(12) {
		r := rand.New(rand.NewPCG(seed, 13))
		e := newRandomEstate(r, 3+r.IntN(4))
		repo := gitfixture.New(t)
		repo.Commit("initial", e.files())
		for c := range 1 + r.IntN(3) {
			for range 1 + r.IntN(3) {
				e.edit(r)
			}
			repo.Commit(fmt.Sprint("commit ", c), e.files())
		}
		for range 1 + r.IntN(4) {
			e.edit(r)
		}
		repo.Write(e.files())
		var reports [2]string
		for k, plain := range []bool{false, true} {
			restore := lint.SetPlainBase(plain)
			rep, err := lint.Run(t.Context(), lint.Options{Root: repo.Dir + "/schemas", Against: "HEAD", Catalog: catalog.Options{Now: fixedNow}})
			restore()
			if err != nil {
				reports[k] = "error: " + err.Error()
				continue
			}
			findings += len(rep.Findings)
			var b bytes.Buffer
			if err := lint.Write(&b, rep, "json", lint.WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			reports[k] = b.String()
		}
		if reports[0] != reports[1] {
			t.Fatalf("seed %d: sharing the working tree gives\n%s\nwant (plain base)\n%s", seed, reports[0], reports[1])
		}
	}
	if findings == 0 {
		t.Fatal("no findings at all: the edits do not exercise the check")
	}
}
