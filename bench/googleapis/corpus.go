package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// The generated tree: googleapis' shape (google/api, google/type,
// google/rpc, google/longrunning, google/iam shared by every API; per API
// google/cloud/<product>/<version>/ with resources, a service with HTTP
// annotations and request/response messages, long-running operations),
// every message and field documented as googleapis' are, and a few big
// generated files shaped like compute.proto (thousands of messages in one
// file, proto3 optional fields with large numbers, nested enums).

// Change is what the head commit does to one file.
type Change int

const (
	Unchanged    Change = iota
	AddField            // compatible
	AddEnumValue        // compatible
	AddMessage          // compatible
	EditComment         // compatible: comments only
	DeleteField         // breaking
	ChangeType          // breaking: int32 → string
	RenameField         // breaking at WIRE_JSON: the JSON name changes
)

func (c Change) Breaking() bool { return c == DeleteField || c == ChangeType || c == RenameField }

func (c Change) String() string {
	return [...]string{"unchanged", "add field", "add enum value", "add message", "edit comment", "delete field", "change type", "rename field"}[c]
}

// field is one field of a generated message.
type field struct {
	comment  string
	label    string // "", "optional", "repeated"
	typ      string
	name     string
	number   int
	behavior string // google.api.field_behavior, or ""
}

type enum struct {
	name, comment string
	values        []string
}

type message struct {
	name, comment string
	resource      string // google.api.resource type, or ""
	fields        []field
	enums         []enum // nested
}

type rpc struct {
	name, in, out, verb, path, signature string
	lro                                  bool
}

// protoFile is the model of one generated file.
type protoFile struct {
	path, pkg, goPkg string
	imports          []string
	comment          string
	messages         []message
	enums            []enum
	service          string
	host             string
	rpcs             []rpc
	// topics are messages a topic of the registry estate carries.
	topics []string
}

var words = strings.Fields(`account address alert allocation annotation artifact asset attachment audit backup batch binding bucket build
cache certificate channel cluster collection config connection consumer container context cursor dataset deployment
device disk document domain endpoint entry environment event execution feature filter firewall flow folder function
gateway group health image index instance job key label lake lease link listing log machine membership metric model
namespace network node notebook object operation order organization origin package partition patch peering pipeline
policy pool profile project queue quota record region registry release replica report repository reservation resource
revision role route rule runtime schedule schema secret segment service session share snapshot source span spec stream
subnet subscription table tag target task template tenant topic trigger version volume workflow workload zone`)

var products = strings.Fields(`accessapproval aiplatform alloydb apigateway apigeeconnect appengine artifactregistry asset assuredworkloads
automl baremetalsolution batch beyondcorp bigquery bigtable billing binaryauthorization certificatemanager channel
cloudbuild clouddms commerce composer confidentialcomputing connectors contactcenterinsights container datacatalog
dataflow dataform datafusion datalabeling dataplex dataproc datastream deploy dialogflow discoveryengine documentai
domains edgecontainer edgenetwork essentialcontacts eventarc filestore functions gkebackup gkehub gkemulticloud
gsuiteaddons iap ids kms language lifesciences managedidentities mediatranslation memcache metastore migrationcenter
networkconnectivity networkmanagement networksecurity networkservices notebooks optimization orchestration orgpolicy
osconfig oslogin paymentgateway policysimulator policytroubleshooter privatecatalog pubsublite rapidmigrationassessment
recaptchaenterprise recommender redis resourcemanager retail run scheduler secretmanager securesourcemanager
securitycenter servicedirectory servicehealth shell speech sql storageinsights support talent tasks texttospeech tpu
translate video vision vmmigration vmwareengine vpcaccess websecurityscanner workflows workstations`)

var versions = []string{"v1", "v1beta1", "v1alpha", "v2", "v1beta2", "v2beta", "v3", "v1p1beta1"}

var scalarTypes = []string{"string", "string", "string", "int64", "int32", "bool", "double", "bytes", "uint64", "float"}

var wktTypes = []struct{ typ, file string }{
	{"google.protobuf.Timestamp", "google/protobuf/timestamp.proto"},
	{"google.protobuf.Duration", "google/protobuf/duration.proto"},
	{"google.protobuf.FieldMask", "google/protobuf/field_mask.proto"},
	{"google.protobuf.Struct", "google/protobuf/struct.proto"},
	{"google.protobuf.Any", "google/protobuf/any.proto"},
	{"google.protobuf.Int64Value", "google/protobuf/wrappers.proto"},
}

var typeFiles = []struct{ typ, file string }{
	{"google.type.Money", "google/type/money.proto"},
	{"google.type.Date", "google/type/date.proto"},
	{"google.type.LatLng", "google/type/latlng.proto"},
	{"google.type.PostalAddress", "google/type/postal_address.proto"},
	{"google.type.Interval", "google/type/interval.proto"},
	{"google.type.Expr", "google/type/expr.proto"},
	{"google.rpc.Status", "google/rpc/status.proto"},
}

func camel(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		for _, w := range strings.Split(p, "_") {
			if w != "" {
				b.WriteString(strings.ToUpper(w[:1]) + w[1:])
			}
		}
	}
	return b.String()
}

// sentence is a documentation comment of n words.
func sentence(r *rand.Rand, n int) string {
	ws := make([]string, n)
	for i := range ws {
		ws[i] = words[r.IntN(len(words))]
	}
	s := strings.Join(ws, " ")
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

func comment(r *rand.Rand, lines int) string {
	var parts []string
	for range lines {
		parts = append(parts, sentence(r, 6+r.IntN(8)))
	}
	return strings.Join(parts, "\n")
}

// genMessage makes a documented message with about n fields, referring to
// the messages in refs (same package or imported) and the enums in enums.
func genMessage(r *rand.Rand, name string, n int, refs []string, enumRefs []string, imports map[string]bool, bigNumbers bool) message {
	m := message{name: name, comment: comment(r, 1+r.IntN(2))}
	used := map[string]bool{}
	next := 1
	for i := range n {
		var fname string
		for {
			fname = words[r.IntN(len(words))]
			if r.IntN(2) == 0 {
				fname += "_" + words[r.IntN(len(words))]
			}
			if !used[fname] {
				break
			}
		}
		used[fname] = true
		f := field{comment: comment(r, 1+r.IntN(4)/3), name: fname}
		if bigNumbers {
			// compute.proto numbers fields by a hash of their name
			for {
				f.number = 1 + r.IntN(536_870_000)
				if f.number < 19000 || f.number > 19999 {
					break
				}
			}
			f.label = "optional"
		} else {
			f.number = next
			next++
		}
		switch k := r.IntN(20); {
		case i == 0:
			f.typ = "string"
			f.name = "name"
			f.behavior = "IDENTIFIER"
		case i == 1:
			f.typ = "int32" // ChangeType turns it into a string
		case k < 9:
			f.typ = scalarTypes[r.IntN(len(scalarTypes))]
		case k < 12 && len(refs) > 0:
			f.typ = refs[r.IntN(len(refs))]
		case k < 14 && len(enumRefs) > 0:
			f.typ = enumRefs[r.IntN(len(enumRefs))]
		case k < 16:
			w := wktTypes[r.IntN(len(wktTypes))]
			f.typ = w.typ
			imports[w.file] = true
		case k < 18:
			t := typeFiles[r.IntN(len(typeFiles))]
			f.typ = t.typ
			imports[t.file] = true
		default:
			f.typ = "string"
			f.label = "repeated"
		}
		switch {
		case f.label == "repeated":
		case r.IntN(6) == 0:
			f.label = "repeated"
		case bigNumbers && isScalar(f.typ):
			f.label = "optional" // compute.proto tracks presence of every scalar
		default:
			f.label = ""
		}
		if f.behavior == "" && !bigNumbers {
			switch r.IntN(5) {
			case 0:
				f.behavior = "OUTPUT_ONLY"
			case 1:
				f.behavior = "REQUIRED"
			case 2:
				f.behavior = "OPTIONAL"
			}
		}
		if bigNumbers {
			f.behavior = ""
		}
		m.fields = append(m.fields, f)
	}
	if r.IntN(3) == 0 {
		e := enum{name: "State", comment: "Possible states of the " + strings.ToLower(name) + "."}
		prefix := "STATE"
		if bigNumbers {
			e.name = camel(m.fields[len(m.fields)-1].name) + "Kind"
			prefix = "UNDEFINED_" + strings.ToUpper(m.fields[len(m.fields)-1].name) + "_KIND"
			e.values = append(e.values, prefix)
		} else {
			e.values = append(e.values, "STATE_UNSPECIFIED")
		}
		for i := range 3 + r.IntN(5) {
			v := strings.ToUpper(words[r.IntN(len(words))])
			if bigNumbers {
				v = fmt.Sprintf("%s_%d", v, i)
			} else {
				v = fmt.Sprintf("%s_%s_%d", prefix, v, i)
			}
			e.values = append(e.values, v)
		}
		m.enums = append(m.enums, e)
		m.fields = append(m.fields, field{comment: comment(r, 1), typ: e.name, name: "state", number: m.fields[len(m.fields)-1].number + 1})
		if bigNumbers {
			m.fields[len(m.fields)-1].number = 1 + r.IntN(18000)
			m.fields[len(m.fields)-1].name = "kind_value"
			m.fields[len(m.fields)-1].label = "optional"
		}
	}
	dedupeNumbers(&m)
	return m
}

func isScalar(t string) bool { return slices.Contains(scalarTypes, t) }

// dedupeNumbers keeps field numbers unique (random ones may collide).
func dedupeNumbers(m *message) {
	seen := map[int]bool{}
	for i := range m.fields {
		for seen[m.fields[i].number] || (m.fields[i].number >= 19000 && m.fields[i].number <= 19999) {
			m.fields[i].number++
		}
		seen[m.fields[i].number] = true
	}
}

// apply changes the model of a file as the head commit does.
func (f *protoFile) apply(c Change, r *rand.Rand) {
	if c == Unchanged {
		return
	}
	// The change lands in the first message a topic carries, or the first.
	i := 0
	if len(f.topics) > 0 {
		i = slices.IndexFunc(f.messages, func(m message) bool { return f.pkg+"."+m.name == f.topics[0] })
		if i < 0 {
			i = 0
		}
	}
	m := &f.messages[i]
	switch c {
	case AddField:
		max := 0
		for _, fl := range m.fields {
			max = maxInt(max, fl.number)
		}
		m.fields = append(m.fields, field{comment: "Added in the head commit. " + sentence(r, 10), typ: "string", name: "added_in_head", number: max + 1})
	case AddEnumValue:
		if len(m.enums) == 0 {
			for j := range f.messages {
				if len(f.messages[j].enums) > 0 {
					m = &f.messages[j]
					break
				}
			}
		}
		if len(m.enums) > 0 {
			e := &m.enums[0]
			e.values = append(e.values, e.values[0]+"_ADDED_IN_HEAD")
		} else {
			m.comment += "\nNo enum to extend."
		}
	case AddMessage:
		f.messages = append(f.messages, message{name: m.name + "AddedInHead", comment: "Added in the head commit.", fields: []field{{comment: "The name.", typ: "string", name: "name", number: 1}}})
	case EditComment:
		m.comment = "Reworded in the head commit. " + m.comment
		m.fields[0].comment += "\nMore detail, added in the head commit."
	case DeleteField:
		m.fields = slices.Delete(m.fields, 2, 3)
	case ChangeType:
		m.fields[1].typ = "string"
	case RenameField:
		m.fields[2].name += "_renamed"
	}
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// render writes the file.
func (f *protoFile) render() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	cw := func(indent, text string) {
		for _, line := range strings.Split(text, "\n") {
			w("%s// %s", indent, line)
		}
	}
	w("// Copyright 2026 Google LLC")
	w("//")
	w(`// Licensed under the Apache License, Version 2.0 (the "License");`)
	w("// you may not use this file except in compliance with the License.")
	w("")
	w(`syntax = "proto3";`)
	w("")
	w("package %s;", f.pkg)
	w("")
	imps := slices.Clone(f.imports)
	slices.Sort(imps)
	for _, imp := range slices.Compact(imps) {
		w(`import "%s";`, imp)
	}
	w("")
	if f.goPkg != "" {
		w(`option go_package = "%s";`, f.goPkg)
		w(`option java_multiple_files = true;`)
		w(`option java_package = "com.%s";`, f.pkg)
		w("")
	}
	if f.comment != "" {
		cw("", f.comment)
	}
	if f.service != "" {
		w("service %s {", f.service)
		w(`  option (google.api.default_host) = "%s";`, f.host)
		w(`  option (google.api.oauth_scopes) = "https://www.googleapis.com/auth/cloud-platform";`)
		w("")
		for _, rp := range f.rpcs {
			cw("  ", "Runs "+rp.name+".")
			out := rp.out
			if rp.lro {
				out = "google.longrunning.Operation"
			}
			w("  rpc %s(%s) returns (%s) {", rp.name, rp.in, out)
			w("    option (google.api.http) = {")
			w(`      %s: "%s"`, rp.verb, rp.path)
			if rp.verb == "post" || rp.verb == "patch" {
				w(`      body: "*"`)
			}
			w("    };")
			if rp.signature != "" {
				w(`    option (google.api.method_signature) = "%s";`, rp.signature)
			}
			if rp.lro {
				w("    option (google.longrunning.operation_info) = {")
				w(`      response_type: "%s"`, rp.out)
				w(`      metadata_type: "OperationMetadata"`)
				w("    };")
			}
			w("  }")
			w("")
		}
		w("}")
		w("")
	}
	for _, m := range f.messages {
		cw("", m.comment)
		w("message %s {", m.name)
		if m.resource != "" {
			w("  option (google.api.resource) = {")
			w(`    type: "%s"`, m.resource)
			w(`    pattern: "projects/{project}/locations/{location}/%ss/{%s}"`, strings.ToLower(m.name), strings.ToLower(m.name))
			w("  };")
			w("")
		}
		for _, e := range m.enums {
			cw("  ", e.comment)
			w("  enum %s {", e.name)
			for i, v := range e.values {
				cw("    ", "The "+strings.ToLower(v)+" value.")
				w("    %s = %d;", v, i)
			}
			w("  }")
			w("")
		}
		for _, fl := range m.fields {
			cw("  ", fl.comment)
			lab := ""
			if fl.label != "" {
				lab = fl.label + " "
			}
			opt := ""
			if fl.behavior != "" {
				opt = " [(google.api.field_behavior) = " + fl.behavior + "]"
			}
			w("  %s%s %s = %d%s;", lab, fl.typ, fl.name, fl.number, opt)
			w("")
		}
		w("}")
		w("")
	}
	for _, e := range f.enums {
		cw("", e.comment)
		w("enum %s {", e.name)
		for i, v := range e.values {
			cw("  ", "The "+strings.ToLower(v)+" value.")
			w("  %s = %d;", v, i)
		}
		w("}")
		w("")
	}
	return b.String()
}
