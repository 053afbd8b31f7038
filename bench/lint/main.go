// Command lint benchmarks `registry lint --against <ref>` against
// `buf breaking --against <ref>` on the same Git repository of 1,000+
// .proto files (DESIGN.md §7: faster, and less peak memory).
//
// It generates a Backbone schema repository under schemas/ in a new Git
// repository, as two commits: main holds the previous version, and branch
// pr (checked out) the current one, which changes about 2% of the files
// compatibly and five files incompatibly. Each of -services services owns
// -files topics (events, commands, results, private.dlq, private.retry), one
// .proto file each in package acme.<namespace>.<service>.v1, with nested
// messages and enums, a oneof, a map, reservations, references to a shared
// common/v1/common.proto and to the service's previous file (so closures span
// files), and a message no topic carries. Every service consumes the next
// one's events, so breaking changes hurt someone.
//
// Then it measures, in the same run, alternating which goes first:
//
//   - registry: `registry lint schemas --against main --format json`, the
//     command CI runs (built from this module);
//   - buf: `buf breaking schemas --against '.git#branch=main,subdir=schemas'`
//     with the same category (WIRE_JSON), reading the base from Git too;
//   - buf (dir): `buf breaking schemas --against <previous/ exported as a
//     directory>`, buf's cheapest input, for reference.
//
// Each gets one unmeasured warm-up run (which must find breaking changes),
// then -runs measured runs; the report gives the best wall time and the
// lowest peak RSS of each, and the ratios registry / buf. Peak RSS comes
// from /usr/bin/time -v when it exists, else from the child's rusage.
//
// Run it from the repository root; it needs git and buf
// (go install github.com/bufbuild/buf/cmd/buf@v1.75.0):
//
//	go run ./bench/lint
//	go run ./bench/lint -services 400 -runs 5 -keep -dir /tmp/lint-bench
//
// Results are recorded in docs/BENCHMARKS.md ("Lint").
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/backbone-registry/backbone/bench/internal/measure"
)

func main() {
	services := flag.Int("services", 200, "services in the generated repository (each owns -files topics)")
	files := flag.Int("files", 5, ".proto files (topics) per service, at most 5")
	runs := flag.Int("runs", 3, "measured runs of each tool (best of)")
	mode := flag.String("mode", "FULL", "registry.yaml default compatibility (buf has no modes: its WIRE_JSON category checks one way)")
	bufFlag := flag.String("buf", "", "buf binary (default: $PATH, then $(go env GOPATH)/bin/buf)")
	dirFlag := flag.String("dir", "", "where to generate the repository (default: a temporary directory)")
	keep := flag.Bool("keep", false, "keep the generated repository")
	flag.Parse()
	if *files < 1 || *files > len(kinds) {
		check(fmt.Errorf("-files must be 1 to %d", len(kinds)))
	}

	bufPath, err := measure.FindBuf(*bufFlag)
	check(err)
	if _, err := exec.LookPath("git"); err != nil {
		check(errors.New("git is needed (the repository is built with it, and buf reads .git inputs with it)"))
	}
	dir := *dirFlag
	if dir == "" {
		dir, err = os.MkdirTemp("", "backbone-bench-lint-")
		check(err)
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}
	root, err := measure.ModuleRoot("go run ./bench/lint")
	check(err)
	bin := filepath.Join(dir, "bin", "registry")
	build := exec.Command("go", "build", "-o", bin, "./cmd/registry")
	build.Dir, build.Stdout, build.Stderr = root, os.Stderr, os.Stderr
	check(build.Run())

	repo := filepath.Join(dir, "repo")
	stats, err := generate(repo, filepath.Join(dir, "previous"), *services, *files, *mode)
	check(err)
	fmt.Printf("repository: %s\n  %d .proto files per version (%d services × %d files + common), %.1f MB; %d topics, mode %s, level WIRE_JSON\n  branch pr: %d files changed compatibly, %d with breaking changes; main: the previous version\n",
		repo, stats.files, *services, *files, float64(stats.bytes)/1e6, stats.topics, *mode, stats.compatible, stats.breaking)

	bufVersion, _ := exec.Command(bufPath, "--version").Output()
	bv := strings.TrimSpace(string(bufVersion))
	tools := []tool{
		{name: "registry lint --against main", path: bin, args: []string{"lint", "schemas", "--against", "main", "--format", "json"}, wantExit: 1},
		{name: "buf " + bv + " breaking --against .git#branch=main", path: bufPath, args: []string{"breaking", "schemas", "--against", ".git#branch=main,subdir=schemas", "--error-format", "json"}, wantExit: 100},
		{name: "buf " + bv + " breaking --against <directory>", path: bufPath, args: []string{"breaking", "schemas", "--against", filepath.Join(dir, "previous", "schemas"), "--error-format", "json"}, wantExit: 100},
	}
	timeV := "/usr/bin/time"
	if _, err := os.Stat(timeV); err != nil {
		timeV = ""
	}
	rssSource := "rusage of the child (ProcessState.SysUsage().Maxrss)"
	if timeV != "" {
		rssSource = "/usr/bin/time -v (maximum resident set size)"
	}

	for i := range tools {
		r, err := tools[i].run(repo, timeV)
		check(err)
		tools[i].summary = measure.Findings(i == 0, r.Stdout)
	}
	for run := range *runs {
		for k := range tools {
			i := (k + run) % len(tools) // rotate who goes first
			r, err := tools[i].run(repo, timeV)
			check(err)
			tools[i].results = append(tools[i].results, r)
		}
	}

	fmt.Printf("\nmachine: %s/%s, %d CPUs, %s; peak RSS from %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), loadavg(), rssSource)
	fmt.Printf("\n| tool | findings | wall time, best of %d | all runs | peak RSS, lowest of %d | all runs |\n|---|---|---|---|---|---|\n", *runs, *runs)
	best := make([]result, len(tools))
	for i, t := range tools {
		best[i] = t.best()
		var walls, rsss []string
		for _, r := range t.results {
			walls = append(walls, r.Wall.Round(time.Millisecond).String())
			rsss = append(rsss, measure.MB(r.RSSKB))
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %s |\n", t.name, t.summary, best[i].Wall.Round(time.Millisecond), strings.Join(walls, ", "), measure.MB(best[i].RSSKB), strings.Join(rsss, ", "))
	}
	for i := 1; i < len(tools); i++ {
		fmt.Printf("\nregistry / %s: time %.2f×, peak RSS %.2f×", tools[i].name,
			best[0].Wall.Seconds()/best[i].Wall.Seconds(), float64(best[0].RSSKB)/float64(best[i].RSSKB))
	}
	fmt.Println()
}

// ----- measuring

type tool struct {
	name, path string
	args       []string
	wantExit   int
	summary    string
	results    []result
}

type result = measure.Result

// run runs the tool in dir, under /usr/bin/time -v when timeV is set.
func (t tool) run(dir, timeV string) (result, error) {
	return measure.Run(t.name, t.path, t.args, t.wantExit, dir, timeV)
}

func (t tool) best() result {
	b := t.results[0]
	for _, r := range t.results[1:] {
		b.Wall = min(b.Wall, r.Wall)
		b.RSSKB = min(b.RSSKB, r.RSSKB)
	}
	return b
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "load average unknown"
	}
	f := strings.Fields(string(b))
	return "load average " + strings.Join(f[:3], " ")
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/lint:", err)
		os.Exit(1)
	}
}
