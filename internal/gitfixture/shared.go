package gitfixture

import (
	"fmt"
	"strings"
)

// The shared-message estate: five services each own two fact topics
// (events and results) whose messages all embed acme.common.v1.Shared from
// common/v1/shared.proto. A change to Shared reaches all ten topics, owned
// by five services and consumed by seven: each owner consumes the next
// one's events, analytics consumes every topic and audit every results
// topic. Everything is documented, so governance is silent.

// SharedServices are the owning services' short names, in order.
var SharedServices = []string{"billing", "orders", "payments", "shipping", "stock"}

// SharedPath is the common file the ten topics' messages import.
const SharedPath = "schemas/common/v1/shared.proto"

// SharedProto is common/v1/shared.proto with noteType as the type of
// Shared's field 2 (string at first).
func SharedProto(noteType string) string {
	return "syntax = \"proto3\";\npackage acme.common.v1;\n// What every fact carries.\nmessage Shared {\n" +
		"  // The entity.\n  string id = 1;\n  // A note.\n  " + noteType + " note = 2;\n}\n"
}

// SharedTopics are the ten topics' names, sorted.
func SharedTopics() []string {
	var out []string
	for _, s := range SharedServices {
		out = append(out, "acme.retail."+s+".events", "acme.retail."+s+".results")
	}
	return out
}

// SharedConsumers are the services consuming any of the ten topics, sorted.
func SharedConsumers() []string {
	out := []string{"acme.retail.analytics", "acme.retail.audit"}
	for _, s := range SharedServices {
		out = append(out, "acme.retail."+s)
	}
	return out
}

// SharedFiles is the estate under schemas/, every topic in mode (a
// compatibility, e.g. BACKWARD). modes overrides the mode of some owning
// services (short name → compatibility).
func SharedFiles(mode string, modes map[string]string) map[string]string {
	files := map[string]string{
		"schemas/registry.yaml": "company: acme\ndefaults:\n  compatibility: " + mode + "\n  level: WIRE_JSON\n",
		SharedPath:              SharedProto("string"),
	}
	var all, results []string
	for i, s := range SharedServices {
		next := SharedServices[(i+1)%len(SharedServices)]
		pkg := "acme.retail." + s + ".v1"
		var yaml strings.Builder
		fmt.Fprintf(&yaml, "description: The %s service.\nowner: %s-team\nconsumes: [acme.retail.%s.events]\ntopics:\n", s, s, next)
		for _, kind := range []string{"events", "results"} {
			msg := strings.ToUpper(s[:1]) + s[1:] + strings.TrimSuffix(strings.ToUpper(kind[:1])+kind[1:], "s")
			fmt.Fprintf(&yaml, "  - name: %s\n    description: The %s %s.\n    value: %s.%s\n", kind, s, kind, pkg, msg)
			if m := modes[s]; m != "" {
				fmt.Fprintf(&yaml, "    compatibility: %s\n", m)
			}
			all = append(all, "acme.retail."+s+"."+kind)
			if kind == "results" {
				results = append(results, "acme.retail."+s+"."+kind)
			}
		}
		files["schemas/retail/"+s+"/service.yaml"] = yaml.String()
		var proto strings.Builder
		fmt.Fprintf(&proto, "syntax = \"proto3\";\npackage %s;\nimport \"common/v1/shared.proto\";\n", pkg)
		for _, kind := range []string{"Event", "Result"} {
			msg := strings.ToUpper(s[:1]) + s[1:] + kind
			fmt.Fprintf(&proto, "// A %s %s.\nmessage %s {\n  // What every fact carries.\n  acme.common.v1.Shared shared = 1;\n  // When, in Unix seconds.\n  int64 at = 2;\n}\n", s, strings.ToLower(kind), msg)
		}
		files["schemas/retail/"+s+"/v1/"+s+".proto"] = proto.String()
	}
	files["schemas/retail/analytics/service.yaml"] = "description: Analytics.\nowner: analytics-team\nconsumes: [" + strings.Join(all, ", ") + "]\n"
	files["schemas/retail/audit/service.yaml"] = "description: Audit.\nowner: audit-team\nconsumes: [" + strings.Join(results, ", ") + "]\n"
	return files
}
