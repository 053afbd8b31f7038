// Package synthrepo generates large synthetic schema repositories with a
// long Git history, for the sync benchmarks (bench/sync and
// catalog.BenchmarkIncrementalSync).
//
// The repository has Services services spread over ten namespaces, each
// owning five topics (events, commands, results, private.dlq,
// private.retry), one .proto file per topic in package
// acme.<namespace>.<service>.v1, every file importing a shared
// common/v1/common.proto, and every private.dlq message carrying the
// service's event (so its closure spans two files). Everything is
// documented and every topic has a consumer, so the catalog loads with no
// finding at all.
//
// Commits are written with go-git's object API, never a work tree: blobs,
// trees and commits straight into an object storer. After the initial
// commit each commit changes one to three files compatibly: usually a new
// documented field at the end of a topic's message (a new version of that
// topic, and of its private.dlq topic when it is an events message), else
// a comment-only edit (no version). The generation is deterministic.
package synthrepo

import (
	"fmt"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// Root is the schema root inside the generated repository.
const Root = "schemas"

// Config shapes a generated repository.
type Config struct {
	Services      int     // services; each owns five topics (default 200: 1,000 topics)
	Compatibility string  // registry.yaml default (default BACKWARD_TRANSITIVE)
	AddRatio      float64 // share of file changes that add a field; the rest edit a comment (default 0.8)
	Seed          uint64
}

func (c Config) withDefaults() Config {
	if c.Services <= 0 {
		c.Services = 200
	}
	if c.Compatibility == "" {
		c.Compatibility = "BACKWARD_TRANSITIVE"
	}
	if c.AddRatio <= 0 {
		c.AddRatio = 0.8
	}
	return c
}

// TopicsPerService is how many topics each service owns.
const TopicsPerService = 5

var namespaces = []string{"retail", "payments", "logistics", "identity", "catalog", "marketing", "finance", "support", "analytics", "platform"}

var authors = []object.Signature{
	{Name: "Ada Lovelace", Email: "ada@example.com"},
	{Name: "Grace Hopper", Email: "grace@example.com"},
	{Name: "Alan Turing", Email: "alan@example.com"},
	{Name: "Barbara Liskov", Email: "barbara@example.com"},
	{Name: "Edsger Dijkstra", Email: "edsger@example.com"},
	{Name: "Frances Allen", Email: "frances@example.com"},
	{Name: "Ken Thompson", Email: "ken@example.com"},
	{Name: "Margaret Hamilton", Email: "margaret@example.com"},
}

// kinds are the five topics of a service: the short name in service.yaml,
// the file, the message and what the topic carries.
var kinds = []struct{ name, file, message, about string }{
	{"events", "events", "Event", "Facts about %s: what happened, once it happened."},
	{"commands", "commands", "Command", "Requests for %s to act; only %s executes them."},
	{"results", "results", "Result", "Outcomes of the commands %s executed."},
	{"private.dlq", "dead_letters", "DeadLetter", "Events of %s that could not be published, kept for replay."},
	{"private.retry", "retries", "Retry", "Work %s retries later, with its attempt count."},
}

// field is a field added by the history.
type field struct {
	typ, name string
	number    int
	commit    int
}

// topicFile is one topic's .proto file.
type topicFile struct {
	path, pkg, message, topic string
	kind                      int
	fields                    []field
	docRevision               int
}

// Gen is a generated repository at one branch head: its files, its tree
// and the commit at its head. Next adds a commit to it.
type Gen struct {
	cfg     Config
	Storer  storer.EncodedObjectStorer // where new objects go
	Head    plumbing.Hash              // the commit at the head, zero before Initial
	Commits int                        // commits so far
	salt    uint64                     // distinguishes branches that share a past
	when    time.Time
	topics  []*topicFile
	files   map[string][]byte // every file, path from the repository root
	tree    *dir
}

// New returns an empty repository writing its objects to st.
func New(cfg Config, st storer.EncodedObjectStorer) *Gen {
	cfg = cfg.withDefaults()
	g := &Gen{cfg: cfg, Storer: st, when: time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC), files: map[string][]byte{}, tree: &dir{}}
	for s := range cfg.Services {
		ns := namespaces[s%len(namespaces)]
		svc := fmt.Sprintf("svc%03d", s)
		for k, kd := range kinds {
			g.topics = append(g.topics, &topicFile{
				path:    fmt.Sprintf("%s/%s/%s/v1/%s.proto", Root, ns, svc, kd.file),
				pkg:     fmt.Sprintf("acme.%s.%s.v1", ns, svc),
				message: kd.message,
				topic:   fmt.Sprintf("acme.%s.%s.%s", ns, svc, kd.name),
				kind:    k,
			})
		}
	}
	return g
}

// Topics is how many topics the repository declares.
func (g *Gen) Topics() int { return len(g.topics) }

// Fork returns a copy of g whose future commits differ from g's: a branch
// starting at g's head, writing to the same storer.
func (g *Gen) Fork(salt uint64) *Gen {
	f := *g
	f.salt = salt
	f.topics = make([]*topicFile, len(g.topics))
	for i, t := range g.topics {
		cp := *t
		cp.fields = slices.Clone(t.fields)
		f.topics[i] = &cp
	}
	f.files = make(map[string][]byte, len(g.files))
	for k, v := range g.files {
		f.files[k] = v
	}
	f.tree = g.tree.clone()
	return &f
}

// SchemaFiles returns the files under the schema root at the head, keyed
// by their path relative to it, as a sync reads them.
func (g *Gen) SchemaFiles() map[string][]byte {
	out := map[string][]byte{}
	for p, b := range g.files {
		if rel, ok := strings.CutPrefix(p, Root+"/"); ok {
			out[rel] = b
		}
	}
	return out
}

// Bytes is the size of the schema files at the head.
func (g *Gen) Bytes() int {
	n := 0
	for p, b := range g.files {
		if strings.HasPrefix(p, Root+"/") {
			n += len(b)
		}
	}
	return n
}

// Initial makes the first commit: every file.
func (g *Gen) Initial() (plumbing.Hash, error) {
	set := map[string][]byte{
		"README.md":                        []byte("# Acme schemas\n\nGenerated by bench/sync/synthrepo.\n"),
		Root + "/registry.yaml":            []byte(fmt.Sprintf("company: acme\ndefaults:\n  compatibility: %s\n  level: WIRE_JSON\n", g.cfg.Compatibility)),
		Root + "/common/v1/common.proto":   []byte(commonProto),
		Root + "/common/v1/envelope.proto": []byte(envelopeProto),
	}
	for s := range g.cfg.Services {
		ns := namespaces[s%len(namespaces)]
		set[fmt.Sprintf("%s/%s/svc%03d/service.yaml", Root, ns, s)] = g.serviceYAML(s)
	}
	for _, t := range g.topics {
		set[t.path] = t.render()
	}
	return g.commit("Initial schemas", set)
}

// Change is what one commit did to one file.
type Change struct {
	Path, Topic string
	Field       string // the field added; empty for a comment edit
}

// Next makes one commit changing one to three topic files compatibly.
func (g *Gen) Next() (plumbing.Hash, []Change, error) {
	r := rand.New(rand.NewPCG(g.cfg.Seed^0x5eed, uint64(g.Commits)<<16|g.salt))
	n := 1 + r.IntN(3)
	set := map[string][]byte{}
	var changes []Change
	var msgs []string
	for len(changes) < n {
		t := g.topics[r.IntN(len(g.topics))]
		if _, dup := set[t.path]; dup {
			continue
		}
		ch := Change{Path: t.path, Topic: t.topic}
		if r.Float64() < g.cfg.AddRatio {
			f := t.addField(r, g.Commits+1)
			ch.Field = f.name
			msgs = append(msgs, fmt.Sprintf("%s: add %s.%s", t.topic, t.message, f.name))
		} else {
			t.docRevision++
			msgs = append(msgs, fmt.Sprintf("%s: clarify the docs of %s", t.topic, t.message))
		}
		set[t.path] = t.render()
		changes = append(changes, ch)
	}
	h, err := g.commit(strings.Join(msgs, "; "), set)
	return h, changes, err
}

// CatchUp makes one commit that brings g's files to other's: a branch with
// g's (shorter) history whose head has other's content, as a squash merge
// would. g keeps its own future (its salt).
func (g *Gen) CatchUp(other *Gen, msg string) (plumbing.Hash, error) {
	set := map[string][]byte{}
	for p, b := range other.files {
		if string(g.files[p]) != string(b) {
			set[p] = b
		}
	}
	for i, t := range other.topics {
		cp := *t
		cp.fields = slices.Clone(t.fields)
		g.topics[i] = &cp
	}
	return g.commit(msg, set)
}

var fieldTypes = []struct{ typ, stem, doc string }{
	{"string", "note", "Free text for operators, at most 200 characters."},
	{"int64", "count", "A count, zero or more."},
	{"bool", "flag", "Whether the condition holds."},
	{"double", "ratio", "A ratio between 0 and 1."},
	{"acme.common.v1.Money", "amount", "An amount of money."},
	{"repeated string", "tags", "Tags, lower case, without duplicates."},
	{"acme.common.v1.Address", "address", "A postal address."},
	{"int32", "attempts", "How many attempts were made, from 1."},
}

func (t *topicFile) addField(r *rand.Rand, commit int) field {
	ft := fieldTypes[r.IntN(len(fieldTypes))]
	f := field{typ: ft.typ, name: fmt.Sprintf("%s_%d", ft.stem, len(t.fields)+1), number: 30 + len(t.fields), commit: commit}
	t.fields = append(t.fields, f)
	return f
}

// commit writes the files of set (path → content), the trees above them
// and a commit whose parent is the head, and moves the head.
func (g *Gen) commit(msg string, set map[string][]byte) (plumbing.Hash, error) {
	for p, content := range set {
		h, err := g.write(plumbing.BlobObject, content)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		g.files[p] = content
		g.tree.set(strings.Split(p, "/"), h)
	}
	root, err := g.tree.write(g)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	g.when = g.when.Add(37 * time.Minute)
	sig := authors[g.Commits%len(authors)]
	sig.When = g.when
	c := &object.Commit{Author: sig, Committer: sig, Message: msg + "\n", TreeHash: root}
	if !g.Head.IsZero() {
		c.ParentHashes = []plumbing.Hash{g.Head}
	}
	obj := g.Storer.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	h, err := g.Storer.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	g.Head = h
	g.Commits++
	return h, nil
}

func (g *Gen) write(t plumbing.ObjectType, content []byte) (plumbing.Hash, error) {
	obj := g.Storer.NewEncodedObject()
	obj.SetType(t)
	obj.SetSize(int64(len(content)))
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write(content); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return g.Storer.SetEncodedObject(obj)
}

// dir is a tree being built: only directories changed since the last
// write are encoded again.
type dir struct {
	blobs map[string]plumbing.Hash
	dirs  map[string]*dir
	hash  plumbing.Hash
	dirty bool
}

func (d *dir) set(parts []string, h plumbing.Hash) {
	d.dirty = true
	if len(parts) == 1 {
		if d.blobs == nil {
			d.blobs = map[string]plumbing.Hash{}
		}
		d.blobs[parts[0]] = h
		return
	}
	if d.dirs == nil {
		d.dirs = map[string]*dir{}
	}
	sub := d.dirs[parts[0]]
	if sub == nil {
		sub = &dir{}
		d.dirs[parts[0]] = sub
	}
	sub.set(parts[1:], h)
}

func (d *dir) write(g *Gen) (plumbing.Hash, error) {
	if !d.dirty {
		return d.hash, nil
	}
	t := &object.Tree{}
	for name, h := range d.blobs {
		t.Entries = append(t.Entries, object.TreeEntry{Name: name, Mode: filemode.Regular, Hash: h})
	}
	for name, sub := range d.dirs {
		h, err := sub.write(g)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		t.Entries = append(t.Entries, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h})
	}
	slices.SortFunc(t.Entries, func(a, b object.TreeEntry) int {
		return strings.Compare(sortName(a), sortName(b))
	})
	obj := g.Storer.NewEncodedObject()
	if err := t.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	h, err := g.Storer.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	d.hash, d.dirty = h, false
	return h, nil
}

// sortName is Git's order: directories compare as if they ended in "/".
func sortName(e object.TreeEntry) string {
	if e.Mode == filemode.Dir {
		return e.Name + "/"
	}
	return e.Name
}

func (d *dir) clone() *dir {
	cp := &dir{hash: d.hash, dirty: d.dirty}
	if d.blobs != nil {
		cp.blobs = make(map[string]plumbing.Hash, len(d.blobs))
		for k, v := range d.blobs {
			cp.blobs[k] = v
		}
	}
	if d.dirs != nil {
		cp.dirs = make(map[string]*dir, len(d.dirs))
		for k, v := range d.dirs {
			cp.dirs[k] = v.clone()
		}
	}
	return cp
}

// ----- content

func (g *Gen) serviceYAML(s int) []byte {
	ns := namespaces[s%len(namespaces)]
	svc := fmt.Sprintf("svc%03d", s)
	full := fmt.Sprintf("acme.%s.%s", ns, svc)
	next := (s + 1) % g.cfg.Services
	other := fmt.Sprintf("acme.%s.svc%03d", namespaces[next%len(namespaces)], next)
	var b strings.Builder
	fmt.Fprintf(&b, "description: Service %s of the %s namespace; owns its orders of work end to end.\n", svc, ns)
	fmt.Fprintf(&b, "owner: %s-team-%d\n", ns, s/len(namespaces))
	fmt.Fprintf(&b, "contact: \"#%s-%s\"\n", ns, svc)
	b.WriteString("topics:\n")
	for _, k := range kinds {
		about := strings.ReplaceAll(k.about, "%s", full)
		fmt.Fprintf(&b, "  - name: %s\n    description: %q\n    value: acme.%s.%s.v1.%s\n    key: string\n", k.name, about, ns, svc, k.message)
	}
	if next != s {
		fmt.Fprintf(&b, "produces: [%s.commands]\n", other)
		fmt.Fprintf(&b, "consumes: [%s.events, %s.results]\n", other, other)
	}
	return []byte(b.String())
}

const commonProto = `syntax = "proto3";

package acme.common.v1;

option go_package = "example.com/acme/common/v1;commonv1";

// Money is an amount in a currency.
message Money {
  // ISO 4217 currency code, e.g. EUR.
  string currency = 1;
  // Whole units of the currency.
  int64 units = 2;
  // Nano units (10^-9) of the amount, from -999,999,999 to 999,999,999.
  int32 nanos = 3;
}

// Address is a postal address.
message Address {
  // Street lines, first line first.
  repeated string lines = 1;
  // City or town.
  string city = 2;
  // Postal code, as the country writes it.
  string postal_code = 3;
  // ISO 3166-1 alpha-2 country code.
  string country = 4;
  // Where the address is on a map, if known.
  GeoPoint point = 5;
}

// GeoPoint is a WGS 84 position.
message GeoPoint {
  // Latitude in degrees, from -90 to 90.
  double lat = 1;
  // Longitude in degrees, from -180 to 180.
  double lng = 2;
}

// Status is the lifecycle status of an account.
enum Status {
  // Not set.
  STATUS_UNSPECIFIED = 0;
  // In use.
  STATUS_ACTIVE = 1;
  // Temporarily blocked.
  STATUS_SUSPENDED = 2;
  // Closed for good.
  STATUS_CLOSED = 3;
}

// Actor is who or what caused a change.
message Actor {
  // Stable identifier of the actor.
  string id = 1;
  // Name to show to people.
  string display_name = 2;
  // The actor's status when it acted.
  Status status = 3;
}
`

const envelopeProto = `syntax = "proto3";

package acme.common.v1;

import "google/protobuf/timestamp.proto";

option go_package = "example.com/acme/common/v1;commonv1";

// Trace carries the tracing context of a record.
message Trace {
  // W3C trace ID, 32 hex digits.
  string trace_id = 1;
  // W3C span ID, 16 hex digits.
  string span_id = 2;
  // When the record was produced.
  google.protobuf.Timestamp produced_at = 3;
}
`

// render is the topic's .proto file with its fields so far.
func (t *topicFile) render() []byte {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w(`syntax = "proto3";`)
	w("")
	w("package %s;", t.pkg)
	w("")
	w(`import "common/v1/common.proto";`)
	w(`import "common/v1/envelope.proto";`)
	if kinds[t.kind].name == "private.dlq" {
		w(`import "%s/events.proto";`, path.Dir(strings.TrimPrefix(t.path, Root+"/")))
	}
	w("")
	w(`option go_package = "example.com/acme/%s;v1";`, strings.ReplaceAll(t.pkg, ".", "/"))
	w("")
	w("// %s is the record carried by %s.", t.message, t.topic)
	if t.docRevision > 0 {
		w("// Documentation revision %d: read the topic's description for when it is written.", t.docRevision)
	}
	w("message %s {", t.message)
	w("  // Unique identifier of the record, a UUID.")
	w("  string id = 1;")
	w("  // When it happened, in Unix milliseconds.")
	w("  int64 occurred_at_ms = 2;")
	w("  // Who or what caused it.")
	w("  acme.common.v1.Actor actor = 3;")
	w("  // The state of the subject after it.")
	w("  State state = 4;")
	w("  // The lines it concerns, in order.")
	w("  repeated Line lines = 5;")
	w("  // The total of the lines.")
	w("  acme.common.v1.Money total = 6;")
	w("  // Where the goods go, if anywhere.")
	w("  acme.common.v1.Address ship_to = 7;")
	w("  // Free-form labels, for routing and analytics.")
	w("  map<string, string> labels = 8;")
	w("  // What started it.")
	w("  oneof origin {")
	w("    // A person, by user ID.")
	w("    string user_id = 9;")
	w("    // A system, by name.")
	w("    string system = 10;")
	w("  }")
	w("  // Tracing context.")
	w("  acme.common.v1.Trace trace = 11;")
	switch kinds[t.kind].name {
	case "private.dlq":
		w("  // The event that could not be published.")
		w("  Event event = 12;")
		w("  // Why it could not be published.")
		w("  string reason = 13;")
	case "private.retry":
		w("  // How many attempts were made, from 1.")
		w("  int32 attempt = 12;")
		w("  // When to try again, in Unix milliseconds.")
		w("  int64 not_before_ms = 13;")
	}
	w("  reserved 20 to 25;")
	w(`  reserved "legacy";`)
	for _, f := range t.fields {
		w("")
		w("  // %s", fieldDoc(f.typ))
		w("  // Added in commit %d.", f.commit)
		w("  %s %s = %d;", f.typ, f.name, f.number)
	}
	w("")
	w("  // Line is one item of the record.")
	w("  message Line {")
	w("    // Stock keeping unit.")
	w("    string sku = 1;")
	w("    // How many, at least 1.")
	w("    int32 quantity = 2;")
	w("    // Price of one unit.")
	w("    acme.common.v1.Money price = 3;")
	w("    // What kind of item it is.")
	w("    Kind kind = 4;")
	w("")
	w("    // Kind is the nature of an item.")
	w("    enum Kind {")
	w("      // Not set.")
	w("      KIND_UNSPECIFIED = 0;")
	w("      // Shipped goods.")
	w("      KIND_PHYSICAL = 1;")
	w("      // Downloads and licences.")
	w("      KIND_DIGITAL = 2;")
	w("    }")
	w("  }")
	w("")
	w("  // State is where the subject is in its lifecycle.")
	w("  enum State {")
	w("    // Not set.")
	w("    STATE_UNSPECIFIED = 0;")
	w("    // Opened, not yet confirmed.")
	w("    STATE_OPEN = 1;")
	w("    // Confirmed.")
	w("    STATE_CONFIRMED = 2;")
	w("    // Cancelled before completion.")
	w("    STATE_CANCELLED = 3;")
	w("  }")
	w("}")
	return []byte(b.String())
}

func fieldDoc(typ string) string {
	for _, ft := range fieldTypes {
		if ft.typ == typ {
			return ft.doc
		}
	}
	return "An attribute."
}
