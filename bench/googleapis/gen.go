package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// corpus is the generated tree: the files of the base commit, the files
// the head commit changes, and the registry estate.
type corpus struct {
	base    map[string]string // path → content at the base
	head    map[string]string // the files the head commit changes (same paths)
	changes map[string]Change
	protos  int // .proto files
	bytes   int // their size at the base
	big     []string
	topics  int
}

// service of the registry estate: one per product.
type estateService struct {
	product string
	topics  []string // fully qualified messages
}

// topicNames are the short names a service's topics take, in order.
var topicNames = func() []string {
	var out []string
	for _, v := range []string{"", "v2.", "v3."} {
		for _, k := range []string{"events", "commands", "results", "private.dlq", "private.retry"} {
			out = append(out, v+k)
		}
	}
	return out
}()

// generate builds the model. nFiles is the number of .proto files wanted
// beside the shared ones and the big ones; big holds the big files' sizes
// in bytes.
func generate(nFiles int, big []int, seed uint64) *corpus {
	r := rand.New(rand.NewPCG(seed, 1))
	c := &corpus{base: map[string]string{}, head: map[string]string{}, changes: map[string]Change{}}
	for p, s := range commonFiles {
		c.base[p] = s
	}
	var files []*protoFile
	var services []*estateService

	// Versions per product, then files per version to reach nFiles.
	type version struct{ product, version string }
	var vs []version
	for _, p := range products {
		n := 1 + r.IntN(4)
		for i := range n {
			vs = append(vs, version{p, versions[i]})
		}
	}
	per := nFiles / len(vs)
	left := nFiles - per*len(vs)
	for i, v := range vs {
		n := per
		if i < left {
			n++
		}
		files = append(files, genVersion(r, v.product, v.version, max(n, 3))...)
	}

	// The big generated files, compute.proto's shape.
	bigPaths := []string{"google/cloud/compute/v1/compute.proto", "google/cloud/compute/v1beta/compute.proto", "google/cloud/compute/v1alpha/compute.proto", "google/cloud/compute/v2alpha/compute.proto"}
	for i, size := range big {
		p := bigPaths[i%len(bigPaths)]
		if i >= len(bigPaths) {
			p = strings.Replace(p, "compute.proto", fmt.Sprintf("compute%d.proto", i), 1)
		}
		files = append(files, genBig(r, p, size))
		c.big = append(c.big, p)
	}

	// The estate: one service per product, owning the topics of its
	// files (the first version's resources, the big files' chosen
	// messages).
	byProduct := map[string]*estateService{}
	for _, f := range files {
		if len(f.topics) == 0 {
			continue
		}
		prod := strings.Split(f.path, "/")[2]
		s := byProduct[prod]
		if s == nil {
			s = &estateService{product: prod}
			byProduct[prod] = s
			services = append(services, s)
		}
		for _, t := range f.topics {
			if len(s.topics) < len(topicNames) {
				s.topics = append(s.topics, t)
			}
		}
	}
	slices.SortFunc(services, func(a, b *estateService) int { return strings.Compare(a.product, b.product) })
	c.base["registry.yaml"] = "# The registry estate of the generated googleapis-shaped tree.\ncompany: google\ndefaults:\n  compatibility: BACKWARD\n  level: WIRE_JSON\ngovernance:\n  DOC_MISSING: warning\n  ORPHAN_TOPIC: off\n"
	c.base["buf.yaml"] = "version: v2\nbreaking:\n  use:\n    - WIRE_JSON\n"
	for i, s := range services {
		next := services[(i+1)%len(services)]
		var y strings.Builder
		fmt.Fprintf(&y, "description: The %s API.\nowner: team-%s\ncontact: \"#%s\"\ntopics:\n", s.product, s.product, s.product)
		for j, t := range s.topics {
			fmt.Fprintf(&y, "  - name: %s\n    description: %s records of the %s API.\n    value: %s\n", topicNames[j], t[strings.LastIndex(t, ".")+1:], s.product, t)
		}
		if next != s {
			fmt.Fprintf(&y, "consumes: [google.cloud.%s.events]\n", next.product)
		}
		c.base["cloud/"+s.product+"/service.yaml"] = y.String()
		c.topics += len(s.topics)
	}

	// The change set: a few dozen files, some breaking, the first big file
	// changed compatibly (generated files change with every release).
	var topical, other []*protoFile
	for _, f := range files {
		if slices.Contains(c.big, f.path) {
			continue
		}
		if len(f.topics) > 0 {
			topical = append(topical, f)
		} else {
			other = append(other, f)
		}
	}
	pick := func(from []*protoFile, n int, changes ...Change) {
		for i := range n {
			f := from[r.IntN(len(from))]
			if _, ok := c.changes[f.path]; ok {
				continue
			}
			c.changes[f.path] = changes[i%len(changes)]
		}
	}
	pick(topical, 9, DeleteField, ChangeType, RenameField)
	pick(topical, 12, AddField, AddEnumValue, AddMessage, EditComment)
	pick(other, 18, AddField, AddMessage, EditComment, AddEnumValue, DeleteField)
	if len(c.big) > 0 {
		c.changes[c.big[0]] = AddField
	}

	for _, f := range files {
		c.base[f.path] = f.render()
		c.protos++
		c.bytes += len(c.base[f.path])
		if ch, ok := c.changes[f.path]; ok {
			f.apply(ch, rand.New(rand.NewPCG(seed, uint64(len(f.path)))))
			c.head[f.path] = f.render()
		}
	}
	for p := range commonFiles {
		c.protos++
		c.bytes += len(commonFiles[p])
	}
	return c
}

// genVersion makes the n files of one version of an API.
func genVersion(r *rand.Rand, product, version string, n int) []*protoFile {
	pkg := "google.cloud." + product + "." + version
	dir := "google/cloud/" + product + "/" + version + "/"
	goPkg := fmt.Sprintf("cloud.google.com/go/%s/api%s/%spb;%spb", product, version, product, product)
	annotations := []string{"google/api/annotations.proto", "google/api/client.proto", "google/api/field_behavior.proto", "google/api/resource.proto"}

	// common.proto: shared messages and enums of the version.
	common := &protoFile{path: dir + "common.proto", pkg: pkg, goPkg: goPkg, imports: []string{"google/api/field_behavior.proto"}}
	imps := map[string]bool{}
	var refs, enumRefs []string
	for i := range 2 + r.IntN(3) {
		e := enum{name: camel(words[r.IntN(len(words))]) + fmt.Sprintf("Type%d", i), comment: comment(r, 1)}
		up := strings.ToUpper(strcase(e.name))
		e.values = append(e.values, up+"_UNSPECIFIED")
		for j := range 3 + r.IntN(4) {
			e.values = append(e.values, fmt.Sprintf("%s_%s_%d", up, strings.ToUpper(words[r.IntN(len(words))]), j))
		}
		common.enums = append(common.enums, e)
		enumRefs = append(enumRefs, e.name)
	}
	common.messages = append(common.messages, message{name: "OperationMetadata", comment: "Represents the metadata of the long-running operation.", fields: []field{
		{comment: "Output only. The time the operation was created.", typ: "google.protobuf.Timestamp", name: "create_time", number: 1, behavior: "OUTPUT_ONLY"},
		{comment: "Output only. Server-defined resource path for the target of the operation.", typ: "string", name: "target", number: 2, behavior: "OUTPUT_ONLY"},
		{comment: "Output only. Name of the verb executed by the operation.", typ: "string", name: "verb", number: 3, behavior: "OUTPUT_ONLY"},
		{comment: "Output only. Identifies whether the user has requested cancellation.", typ: "bool", name: "requested_cancellation", number: 4, behavior: "OUTPUT_ONLY"},
	}})
	imps["google/protobuf/timestamp.proto"] = true
	for i := range 2 + r.IntN(3) {
		name := camel(words[r.IntN(len(words))], words[r.IntN(len(words))]) + fmt.Sprintf("Info%d", i)
		common.messages = append(common.messages, genMessage(r, name, 4+r.IntN(6), slices.Clone(refs), enumRefs, imps, false))
		refs = append(refs, name)
	}
	common.imports = append(common.imports, keys(imps)...)

	// resources.proto: the API's resources, which topics carry.
	res := &protoFile{path: dir + "resources.proto", pkg: pkg, goPkg: goPkg, imports: []string{dir + "common.proto", "google/api/field_behavior.proto", "google/api/resource.proto"}}
	imps = map[string]bool{}
	var resources []string
	for range 3 + r.IntN(4) {
		name := uniqueName(r, resources)
		m := genMessage(r, name, 6+r.IntN(12), append(slices.Clone(refs), resources...), enumRefs, imps, false)
		m.resource = product + ".googleapis.com/" + name
		res.messages = append(res.messages, m)
		resources = append(resources, name)
	}
	res.imports = append(res.imports, keys(imps)...)
	if version == versions[0] {
		for _, m := range res.messages[:min(len(res.messages), 1+r.IntN(3))] {
			res.topics = append(res.topics, pkg+"."+m.name)
		}
	}
	out := []*protoFile{common, res}

	// Service files: requests, responses and an RPC service each.
	used := slices.Clone(resources)
	for range n - 2 {
		entity := uniqueName(r, used)
		used = append(used, entity)
		f := &protoFile{path: dir + strcase(entity) + "_service.proto", pkg: pkg, goPkg: goPkg,
			imports: append(slices.Clone(annotations), dir+"common.proto", dir+"resources.proto", "google/longrunning/operations.proto", "google/protobuf/empty.proto", "google/protobuf/field_mask.proto"),
			service: entity + "Service", host: product + ".googleapis.com",
			comment: "Service for managing " + entity + " resources.\n" + comment(r, 2)}
		imps = map[string]bool{}
		m := genMessage(r, entity, 5+r.IntN(12), append(slices.Clone(refs), resources...), enumRefs, imps, false)
		m.resource = product + ".googleapis.com/" + entity
		f.messages = append(f.messages, m)
		plural := strings.ToLower(entity) + "s"
		for _, op := range []struct{ verb, method string }{{"get", "Get"}, {"get", "List"}, {"post", "Create"}, {"patch", "Update"}, {"delete", "Delete"}} {
			req := genMessage(r, op.method+entity+"Request", 2+r.IntN(4), []string{entity}, nil, imps, false)
			req.comment = "Request message for " + op.method + entity + ".\n" + req.comment
			f.messages = append(f.messages, req)
			rp := rpc{name: op.method + entity, in: req.name, out: entity, verb: op.verb, signature: "name"}
			switch op.method {
			case "List":
				resp := message{name: "List" + entity + "sResponse", comment: "Response message for List" + entity + "s.", fields: []field{
					{comment: "The list of " + plural + ".", label: "repeated", typ: entity, name: plural, number: 1},
					{comment: "A token identifying a page of results the server should return.", typ: "string", name: "next_page_token", number: 2},
					{comment: "Locations that could not be reached.", label: "repeated", typ: "string", name: "unreachable", number: 3},
				}}
				f.messages = append(f.messages, resp)
				rp.out, rp.signature = resp.name, "parent"
				rp.path = "/" + version + "/{parent=projects/*/locations/*}/" + plural
			case "Create", "Update", "Delete":
				rp.lro = true
				rp.path = "/" + version + "/{name=projects/*/locations/*/" + plural + "/*}"
				if op.method == "Delete" {
					rp.out = "google.protobuf.Empty"
				}
			default:
				rp.path = "/" + version + "/{name=projects/*/locations/*/" + plural + "/*}"
			}
			f.rpcs = append(f.rpcs, rp)
		}
		f.imports = append(f.imports, keys(imps)...)
		out = append(out, f)
	}
	return out
}

// genBig makes a compute.proto-shaped file of about size bytes.
func genBig(r *rand.Rand, p string, size int) *protoFile {
	parts := strings.Split(p, "/")
	pkg := "google.cloud." + parts[2] + "." + parts[3]
	f := &protoFile{path: p, pkg: pkg, goPkg: "cloud.google.com/go/compute/api" + parts[3] + "/computepb;computepb",
		imports: []string{"google/api/annotations.proto", "google/api/client.proto", "google/api/field_behavior.proto", "google/protobuf/timestamp.proto"},
		comment: "Generated from the Discovery document of the API."}
	imps := map[string]bool{}
	var names []string
	total := 0
	for total < size {
		name := uniqueName(r, names)
		m := genMessage(r, name, 6+r.IntN(30), lastN(names, 60), nil, imps, true)
		f.messages = append(f.messages, m)
		names = append(names, name)
		total += 150 * len(m.fields) // about a field's text with its comment
	}
	f.imports = append(f.imports, keys(imps)...)
	// Topics carry messages of the last part: their closures reach far back.
	for i := range 4 {
		f.topics = append(f.topics, pkg+"."+names[len(names)-1-i*7])
	}
	// One service over the last messages, as compute's many services.
	f.service, f.host = "Instances", "compute.googleapis.com"
	for i := range min(40, len(names)/2) {
		f.rpcs = append(f.rpcs, rpc{name: "Call" + names[i*2], in: names[i*2], out: names[i*2+1], verb: "post", path: "/compute/v1/projects/{project}/call" + fmt.Sprint(i), signature: "project"})
	}
	return f
}

func lastN(s []string, n int) []string {
	if len(s) <= n {
		return slices.Clone(s)
	}
	return slices.Clone(s[len(s)-n:])
}

func uniqueName(r *rand.Rand, used []string) string {
	for i := 0; ; i++ {
		name := camel(words[r.IntN(len(words))], words[r.IntN(len(words))])
		if i > 20 {
			name += fmt.Sprint(len(used))
		}
		if !slices.Contains(used, name) {
			return name
		}
	}
}

// strcase turns CamelCase into snake_case.
func strcase(s string) string {
	var b strings.Builder
	for i, c := range s {
		if c >= 'A' && c <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			c += 'a' - 'A'
		}
		b.WriteRune(c)
	}
	return b.String()
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// write puts the corpus into a new Git repository at dir: the base commit
// on main, the head commit on branch pr, checked out.
func (c *corpus) write(dir string) error {
	writeAll := func(files map[string]string) error {
		for name, content := range files {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				return err
			}
		}
		return nil
	}
	if err := writeAll(c.base); err != nil {
		return err
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"commit", "-q", "-m", "base"}, {"checkout", "-q", "-b", "pr"}} {
		if err := git(dir, args...); err != nil {
			return err
		}
	}
	if err := writeAll(c.head); err != nil {
		return err
	}
	for _, args := range [][]string{{"add", "-A"}, {"commit", "-q", "-m", "head: a few dozen files changed"}, {"gc", "-q"}} {
		if err := git(dir, args...); err != nil {
			return err
		}
	}
	return nil
}
