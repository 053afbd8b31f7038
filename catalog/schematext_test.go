package catalog

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"unsafe"

	registry "github.com/backbone-registry/backbone"
)

// textHistory returns a history of one topic whose version 1 is a file
// importing a shared file, with texts of every kind: the schemas' texts
// by hash.
func textHistory(t *testing.T) (*History, registry.TopicVersion, map[string]string) {
	t.Helper()
	rnd := rand.New(rand.NewPCG(1, 2))
	noise := make([]byte, 100_000) // does not compress
	for i := range noise {
		noise[i] = byte(rnd.IntN(256))
	}
	texts := []string{
		"syntax = \"proto3\";\npackage acme.common.v1;\n// Shared.\nmessage Money {\n  string currency = 1;\n}\n",
		"",
		"// Grüße, 注释, emoji 🚀, a NUL \x00 and invalid UTF-8 \xff.\n",
		strings.Repeat("// A long comment repeated.\nmessage M { string f = 1; }\n", 5_000),
		string(noise),
	}
	byHash := map[string]string{}
	var schemas []registry.Schema
	for i, text := range texts {
		hash := fmt.Sprintf("h%d", i)
		byHash[hash] = text
		s := registry.Schema{ID: int64(i + 1), SchemaContent: registry.SchemaContent{Hash: hash, Format: "PROTOBUF", Path: fmt.Sprintf("f%d.proto", i), Text: text}}
		if i > 0 {
			s.References = []registry.SchemaReference{{Name: "f0.proto", Subject: "f0.proto", Version: 1, Hash: "h0"}}
		}
		schemas = append(schemas, s)
	}
	v := registry.TopicVersion{Topic: "t", Version: 1, Subjects: []registry.SubjectSchema{
		{Subject: "t-value", Version: 1, Message: "M", Hash: "h3", SchemaID: 4},
		{Subject: "f0.proto", Version: 1, Hash: "h0", SchemaID: 1},
	}}
	h := NewHistory(registry.SyncState{Commit: "c1"}, []registry.TopicVersion{v}, schemas, nil)
	return h, v, byHash
}

// packedTexts returns how many of h's texts are compressed.
func packedTexts(h *History) int {
	n := 0
	for _, s := range h.schemas {
		if s.text.Load().packed {
			n++
		}
	}
	return n
}

// checkTexts checks that every reader of h sees the texts of textHistory.
func checkTexts(t *testing.T, h *History, v registry.TopicVersion, want map[string]string) {
	t.Helper()
	for hash, text := range want {
		s, ok := h.SchemaByHash(hash)
		if !ok || s.Text != text || s.Hash != hash {
			t.Fatalf("SchemaByHash(%s): got %q (%d bytes), %v; want %d bytes", hash, s.Text[:min(len(s.Text), 40)], len(s.Text), ok, len(text))
		}
		byID, ok := h.Schema(s.ID)
		if !ok || byID.Text != text || byID.Path != s.Path || len(byID.References) != len(s.References) {
			t.Fatalf("Schema(%d): got %d bytes, %v; want %d bytes", s.ID, len(byID.Text), ok, len(text))
		}
		info, ok := h.SchemaInfo(hash)
		if !ok || info.Text != "" || info.ID != s.ID || info.Path != s.Path {
			t.Fatalf("SchemaInfo(%s) = %+v, %v; want the schema without its text", hash, info.SchemaContent.Path, ok)
		}
	}
	files, err := h.Files(v)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(files["f3.proto"]), want["h3"]; got != want {
		t.Fatalf("Files: f3.proto has %d bytes, want %d", len(got), len(want))
	}
	if got, want := string(files["f0.proto"]), want["h0"]; got != want {
		t.Fatalf("Files: f0.proto = %q, want %q", got, want)
	}
}

func TestHistoryTextsRoundTrip(t *testing.T) {
	t.Parallel()
	h, v, want := textHistory(t)
	if n := packedTexts(h); n != 0 {
		t.Fatalf("NewHistory compressed %d texts, want none (Compact does)", n)
	}
	checkTexts(t, h, v, want)
	raw := 0
	for _, s := range h.schemas {
		raw += len(s.text.Load().data)
	}

	h.Compact()
	if got, want := packedTexts(h), len(want); got != want {
		t.Fatalf("after Compact %d texts are compressed, want %d", got, want)
	}
	packed := 0
	for _, s := range h.schemas {
		packed += len(s.text.Load().data)
	}
	if packed >= raw/2 {
		t.Errorf("compressed texts take %d bytes of %d", packed, raw)
	}
	checkTexts(t, h, v, want)
	h.Compact() // again: nothing changes
	checkTexts(t, h, v, want)

	// Callers get copies: changing one changes nothing stored.
	s, _ := h.Schema(4)
	s.Text, s.Path = "changed", "changed"
	checkTexts(t, h, v, want)

	// A step's new schemas are compressed as they come in.
	step := registry.SyncStep{
		State:   registry.SyncState{Commit: "c2"},
		Schemas: []registry.SchemaContent{{Hash: "h9", Format: "PROTOBUF", Path: "f9.proto", Text: "message N {}\n"}, {Hash: "h0", Text: "ignored: h0 is stored"}},
		Versions: []registry.TopicVersion{{Topic: "u", Version: 1, Subjects: []registry.SubjectSchema{
			{Subject: "u-value", Version: 1, Message: "N", Hash: "h9"},
		}}},
	}
	n := h.next(step, map[string]int64{"h9": 9, "h0": 1})
	want9 := maps.Clone(want)
	want9["h9"] = "message N {}\n"
	checkTexts(t, n, v, want9)
	if got := packedTexts(n); got != len(want9) {
		t.Errorf("after a step %d of %d texts are compressed", got, len(want9))
	}
	checkTexts(t, h, v, want) // the earlier history is unchanged
	if _, ok := h.SchemaByHash("h9"); ok {
		t.Errorf("the step's schema leaked into the earlier history")
	}
}

// A follower's restore keeps the schemas its previous history compacted,
// and takes those it does not have (or whose ID changed) as read.
func TestNewHistoryReusesSchemas(t *testing.T) {
	t.Parallel()
	prev, v, want := textHistory(t)
	prev.Compact()
	var schemas []registry.Schema
	for hash, text := range want {
		s, _ := prev.SchemaInfo(hash)
		s.Text = text
		if hash == "h2" {
			s.ID = 42 // another store: not the same schema
		}
		schemas = append(schemas, s)
	}
	schemas = append(schemas, registry.Schema{ID: 9, SchemaContent: registry.SchemaContent{Hash: "h9", Text: "new"}})
	h := newHistory(prev, prev.State(), []registry.TopicVersion{v}, schemas, nil)
	for hash := range want {
		if reused := h.byHash[hash] == prev.byHash[hash]; reused != (hash != "h2") {
			t.Errorf("schema %s reused: %v", hash, reused)
		}
	}
	if got, want := packedTexts(h), len(want)-1; got != want {
		t.Errorf("%d texts compressed, want %d (all but the two not reused)", got, want)
	}
	want["h9"] = "new"
	checkTexts(t, h, v, want)
	if s, ok := h.Schema(42); !ok || s.Text != want["h2"] {
		t.Errorf("Schema(42) = %v, %v", s, ok)
	}
}

// Readers may use a history while it is compacted (run with -race).
func TestHistoryCompactConcurrentReaders(t *testing.T) {
	t.Parallel()
	h, v, want := textHistory(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for range 50 {
				for hash, text := range want {
					s, ok := h.SchemaByHash(hash)
					if !ok || s.Text != text {
						errs <- fmt.Errorf("SchemaByHash(%s) during Compact: %d bytes, want %d", hash, len(s.Text), len(text))
						return
					}
					if s, ok := h.Schema(s.ID); !ok || s.Text != text {
						errs <- fmt.Errorf("Schema(%d) during Compact: wrong text", s.ID)
						return
					}
				}
				if files, err := h.Files(v); err != nil || string(files["f3.proto"]) != want["h3"] {
					errs <- fmt.Errorf("Files during Compact: %v", err)
					return
				}
			}
		})
	}
	for range 3 {
		wg.Go(h.Compact)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := packedTexts(h); got != len(want) {
		t.Errorf("%d of %d texts compressed", got, len(want))
	}
	checkTexts(t, h, v, want)
}

// NewHistory keeps one copy of each repeated string, none of them the
// caller's: the rows a store read can then be freed as a whole.
func TestNewHistoryInternsStrings(t *testing.T) {
	t.Parallel()
	sha := strings.Repeat("c", 40)
	commit := func() registry.Commit { return registry.Commit{SHA: strings.Clone(sha), Message: "m"} }
	subject := func(hash string) []registry.SubjectSchema {
		return []registry.SubjectSchema{{Subject: "t-value", Version: 1, Message: "M", Hash: strings.Clone(hash), SchemaID: 1}}
	}
	versions := []registry.TopicVersion{
		{Topic: "t", Version: 1, Commit: commit(), Subjects: subject("h1")},
		{Topic: "u", Version: 1, Commit: commit(), Subjects: subject("h1")},
	}
	schemas := []registry.Schema{{ID: 1, SchemaContent: registry.SchemaContent{Hash: strings.Clone("h1"), Path: "a.proto", Text: "x"}}}
	h := NewHistory(registry.SyncState{}, versions, schemas, nil)
	t1, _ := h.Latest("t")
	u1, _ := h.Latest("u")
	info, _ := h.SchemaInfo("h1")
	same := func(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }
	if !same(t1.Commit.SHA, u1.Commit.SHA) || !same(t1.Subjects[0].Hash, info.Hash) || !same(t1.Subjects[0].Hash, u1.Subjects[0].Hash) {
		t.Errorf("repeated strings are not kept once")
	}
	if same(t1.Commit.SHA, versions[0].Commit.SHA) || same(info.Hash, schemas[0].Hash) || same(t1.Subjects[0].Hash, versions[0].Subjects[0].Hash) {
		t.Errorf("the history keeps the caller's strings")
	}
	if t1.Commit.SHA != sha || info.Hash != "h1" || t1.Subjects[0].Subject != "t-value" {
		t.Errorf("interned values changed: %+v %+v", t1, info)
	}
}
