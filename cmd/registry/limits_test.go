package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/backbone-registry/backbone/internal/gitfixture"
)

// computeProto is the googleapis-shaped tree's big generated file.
const computeProto = "google/cloud/compute/v1/compute.proto"

// googleapisTree generates a tree shaped like googleapis: shared types
// under google/type and google/rpc, services under google/cloud/<name>/v1
// with files importing one another and the shared and well-known types
// (over 300 .proto files), and google/cloud/compute/v1/compute.proto, a
// generated file of about bigMB megabytes (thousands of messages of twenty
// fields). One service declares a topic on it, so lint has a contract to
// check.
func googleapisTree(bigMB int) map[string]string {
	files := map[string]string{
		"registry.yaml": "company: google\n",
		"cloud/compute/service.yaml": "description: Compute Engine.\nowner: compute-team\ntopics:\n" +
			"  - name: events\n    description: Instance changes.\n    value: google.cloud.compute.v1.Instance\n    key: string\n",
		"google/type/money.proto": "syntax = \"proto3\";\n\npackage google.type;\n\n// Money is an amount.\nmessage Money {\n  // The currency.\n  string currency_code = 1;\n  // Whole units.\n  int64 units = 2;\n  // Nano units.\n  int32 nanos = 3;\n}\n",
		"google/type/date.proto":  "syntax = \"proto3\";\n\npackage google.type;\n\n// Date is a day.\nmessage Date {\n  // The year.\n  int32 year = 1;\n  // The month.\n  int32 month = 2;\n  // The day.\n  int32 day = 3;\n}\n",
		"google/rpc/status.proto": "syntax = \"proto3\";\n\npackage google.rpc;\n\nimport \"google/protobuf/any.proto\";\n\n// Status is an error.\nmessage Status {\n  // The code.\n  int32 code = 1;\n  // The message.\n  string message = 2;\n  // The details.\n  repeated google.protobuf.Any details = 3;\n}\n",
	}
	for i := range 62 {
		svc := fmt.Sprintf("svc%02d", i)
		pkg := "google.cloud." + svc + ".v1"
		dir := "google/cloud/" + svc + "/v1/"
		head := func(imports ...string) string {
			var b strings.Builder
			fmt.Fprintf(&b, "syntax = \"proto3\";\n\npackage %s;\n\n", pkg)
			for _, imp := range imports {
				fmt.Fprintf(&b, "import %q;\n", imp)
			}
			return b.String() + "\n"
		}
		files[dir+"resources.proto"] = head("google/protobuf/timestamp.proto", "google/type/money.proto") +
			"// Resource is a thing.\nmessage Resource {\n  // Its name.\n  string name = 1;\n  // When it was made.\n  google.protobuf.Timestamp create_time = 2;\n  // What it costs.\n  google.type.Money price = 3;\n  // Its state.\n  State state = 4;\n}\n\n" +
			"// State of a resource.\nenum State {\n  // Unknown.\n  STATE_UNSPECIFIED = 0;\n  // Ready.\n  READY = 1;\n}\n"
		files[dir+"types.proto"] = head("google/type/date.proto") +
			"// Window is a period.\nmessage Window {\n  // From.\n  google.type.Date start = 1;\n  // To.\n  google.type.Date end = 2;\n}\n"
		files[dir+"operations.proto"] = head("google/rpc/status.proto", dir+"resources.proto") +
			"// Operation is work in progress.\nmessage Operation {\n  // Its name.\n  string name = 1;\n  // The outcome.\n  oneof result {\n    // The error.\n    google.rpc.Status error = 2;\n    // The resource.\n    Resource response = 3;\n  }\n}\n"
		files[dir+"service.proto"] = head(dir+"resources.proto", dir+"operations.proto", dir+"types.proto", "google/protobuf/field_mask.proto") +
			"// GetRequest asks for a resource.\nmessage GetRequest {\n  // Its name.\n  string name = 1;\n  // The fields.\n  google.protobuf.FieldMask mask = 2;\n  // The period.\n  Window window = 3;\n}\n\n" +
			"// Service serves resources.\nservice Service {\n  // Get gets one.\n  rpc Get(GetRequest) returns (Resource);\n  // Update updates one.\n  rpc Update(Resource) returns (Operation);\n}\n"
		files[dir+"events.proto"] = head(dir+"resources.proto") +
			"// Event is a change.\nmessage Event {\n  // Before.\n  Resource before = 1;\n  // After.\n  Resource after = 2;\n}\n"
	}
	files[computeProto] = generatedProto(bigMB << 20)
	return files
}

// generatedProto is a generated file of at least size bytes: messages of
// twenty documented fields each, every one referring to the one before.
func generatedProto(size int) string {
	var b strings.Builder
	b.Grow(size + 4096)
	b.WriteString("syntax = \"proto3\";\n\npackage google.cloud.compute.v1;\n\nimport \"google/protobuf/timestamp.proto\";\n\n")
	b.WriteString("// Instance is a virtual machine.\nmessage Instance {\n  // Its name.\n  string name = 1;\n  // When it was made.\n  google.protobuf.Timestamp create_time = 2;\n}\n\n")
	types := []string{"string", "int64", "bool", "double", "bytes", "uint32"}
	for m := 0; b.Len() < size; m++ {
		fmt.Fprintf(&b, "// Message%05d is generated.\nmessage Message%05d {\n", m, m)
		for f := 1; f <= 20; f++ {
			typ := types[(m+f)%len(types)]
			switch {
			case f == 20 && m > 0:
				typ = fmt.Sprintf("Message%05d", m-1)
			case f == 19:
				typ = "Instance"
			}
			fmt.Fprintf(&b, "  // The generated field %d of the message, as the API returns it.\n  optional %s field_%02d = %d;\n", f, typ, f, f)
		}
		b.WriteString("}\n\n")
	}
	return b.String()
}

// TestLintGoogleapisShapedTree: `registry lint` accepts a googleapis-shaped
// tree with a 5 MB generated file under the default limits, reading the
// working tree from its directory, and with --against, the base from Git.
func TestLintGoogleapisShapedTree(t *testing.T) {
	t.Parallel()
	files := googleapisTree(5)
	if n := len(files[computeProto]); n < 5<<20 {
		t.Fatalf("compute.proto is %d bytes, want at least 5 MiB", n)
	}
	repo := gitfixture.New(t)
	repo.Commit("googleapis", files)
	// A pull request: one more field in a service's file.
	res := "google/cloud/svc07/v1/resources.proto"
	repo.Write(map[string]string{res: strings.Replace(files[res], "  State state = 4;\n", "  State state = 4;\n  // Its labels.\n  map<string, string> labels = 5;\n", 1)})

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"directory", nil, "$WORK: 1 services, 1 topics: 0 errors"},
		{"against Git", []string{"--against", "main"}, "0 topics changed, 0 new, 0 deleted; 0 breaking"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runLint(t, repo.Dir, "", append([]string{repo.Dir}, tc.args...)...)
			if r.code != exitOK || !strings.Contains(r.stdout, tc.want) {
				t.Errorf("exit %d, want 0 with %q\nstdout:\n%s\nstderr:\n%s", r.code, tc.want, r.stdout, r.stderr)
			}
		})
	}
}

// limitsTree is a small tree whose compute.proto is size bytes of comments:
// cheap to read and compile, large enough to meet a limit.
func limitsTree(t *testing.T, size int, registryYAML string) string {
	t.Helper()
	const head = "syntax = \"proto3\";\n\npackage google.cloud.compute.v1;\n\n"
	line := "// " + strings.Repeat("generated ", 7) + "\n"
	return writeTree(t, map[string]string{
		"registry.yaml": registryYAML,
		computeProto:    head + strings.Repeat(line, (size-len(head))/len(line)+1)[:size-len(head)],
	})
}

// TestLintLimits: a file over the per-file limit fails lint (exit 1) with
// the message naming the file, its size, the limit and the key and flag
// that raise it, whether the limit is the default, registry.yaml's or the
// flag's; the flag wins over registry.yaml, which wins over the default.
func TestLintLimits(t *testing.T) {
	t.Parallel()
	over := func(size, limit string) string {
		return computeProto + ": error COMPILE: " + size + " is over the per-file limit of " + limit +
			"; raise it with limits.max_file_size in registry.yaml or --max-file-size"
	}
	const mib = 1 << 20
	for _, tc := range []struct {
		name string
		size int
		yaml string
		args []string
		want string // "": passes
	}{
		{"default passes 1.5 MiB", 3 * mib / 2, "", nil, ""},
		{"registry.yaml lowers the limit", 3 * mib / 2, "limits:\n  max_file_size: 1MiB\n", nil, over("1.5 MiB", "1 MiB")},
		{"the flag lowers the limit", 3 * mib / 2, "", []string{"--max-file-size", "1MiB"}, over("1.5 MiB", "1 MiB")},
		{"the flag wins over registry.yaml (raise)", 3 * mib / 2, "limits:\n  max_file_size: 1MiB\n", []string{"--max-file-size", "2MiB"}, ""},
		{"the flag wins over registry.yaml (lower)", 3 * mib / 2, "limits:\n  max_file_size: 2MiB\n", []string{"--max-file-size", "1000KB"}, over("1.5 MiB", "976.6 KiB")},
		{"registry.yaml raises the default", 17 * mib, "limits:\n  max_file_size: 32MiB\n", nil, ""},
		{"the real default", 17 * mib, "", nil, over("17 MiB", "16 MiB")},
		{"the total", 3 * mib / 2, "", []string{"--max-total-size", "1MiB"}, computeProto + ": error COMPILE: the .proto files total 1.5 MiB with this one, over the total-size limit of 1 MiB; raise it with limits.max_total_size in registry.yaml or --max-total-size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := limitsTree(t, tc.size, "company: google\n"+tc.yaml)
			r := runLint(t, dir, "", append([]string{dir}, tc.args...)...)
			switch {
			case tc.want == "" && r.code != exitOK:
				t.Errorf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			case tc.want != "" && (r.code != exitError || !strings.Contains(r.stdout, "$WORK/"+tc.want)):
				t.Errorf("exit %d, want 1 with %q\nstdout:\n%s\nstderr:\n%s", r.code, tc.want, r.stdout, r.stderr)
			}
		})
	}
}

// TestLintAgainstBaseOverLimit: a base read from Git is held to the limits
// too, and says which file, how large, and how to raise the limit.
func TestLintAgainstBaseOverLimit(t *testing.T) {
	t.Parallel()
	repo := gitfixture.New(t)
	repo.Commit("big", map[string]string{"registry.yaml": "company: google\n", computeProto: "syntax = \"proto3\";\n" + strings.Repeat("// padding\n", 150_000)})
	repo.Write(map[string]string{computeProto: "syntax = \"proto3\";\n"})
	r := runLint(t, repo.Dir, "", repo.Dir, "--against", "main", "--max-file-size", "1MiB")
	want := computeProto + ": 1.6 MiB is over the per-file limit of 1 MiB; raise it with limits.max_file_size in registry.yaml or --max-file-size"
	if r.code != exitUsage || !strings.Contains(r.stderr, want) {
		t.Errorf("exit %d, want 2 with %q\nstdout:\n%s\nstderr:\n%s", r.code, want, r.stdout, r.stderr)
	}
}

// TestLintLimitFlags: a bad limit, on the command line or in
// registry.yaml, stops lint with a clear message.
func TestLintLimitFlags(t *testing.T) {
	t.Parallel()
	dir := limitsTree(t, 1000, "company: google\n")
	r := runLint(t, dir, "", dir, "--max-file-size", "16 furlongs")
	if r.code != exitUsage || !strings.Contains(r.stderr, `size "16 furlongs": want bytes or a number with a unit`) {
		t.Errorf("--max-file-size 16 furlongs: exit %d, want 2 naming the size\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	dir = limitsTree(t, 1000, "company: google\nlimits:\n  max_files: many\n")
	r = runLint(t, dir, "", dir)
	if r.code != exitError || !strings.Contains(r.stdout, `$WORK/registry.yaml:3:14: error COMPILE: limits: max_files: "many" is not a whole number`) {
		t.Errorf("max_files: many: exit %d, want 1 at registry.yaml:3:14\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}
