// Command googleapis benchmarks `registry lint --against <base>` against
// `buf breaking --against .git#branch=<base>` on a generated Git
// repository shaped like googleapis (issue 13, "Large lints fast": at most
// 0.25× buf's wall time and 0.25× its peak RSS, same input, same run).
//
// The repository has about -files .proto files under google/cloud/<api>/
// <version>/ (shared messages, resources with google.api.resource,
// services with HTTP annotations, long-running operations, requests and
// responses, all documented), the shared google/api, google/type,
// google/rpc, google/longrunning and google/iam files they import, the
// well-known types, and -big generated files shaped like compute.proto
// (thousands of messages in one file, proto3 optional fields with large
// numbers). registry.yaml (company google, BACKWARD, WIRE_JSON) and one
// cloud/<api>/service.yaml per API map a few hundred topics onto resource
// messages (and onto messages of the big files, whose closures reach far).
// buf.yaml asks for the WIRE_JSON category: our default level.
//
// main holds the base commit; branch pr, checked out, changes a few dozen
// files (some breaking: deleted fields, int32 → string, renamed fields; the
// first big file gets a new field, as generated files do with every
// release). Both tools must find breaking changes (exits 1 and 100) in an
// unmeasured warm-up run; then -rounds rounds run each tool once,
// alternating which goes first. Wall time and peak RSS (/usr/bin/time -v,
// else the child's rusage) are reported per run, as medians, and as the
// ratios of the medians.
//
// Run it from the repository root; it needs git and buf
// (go install github.com/bufbuild/buf/cmd/buf@v1.75.0):
//
//	go run ./bench/googleapis
//	go run ./bench/googleapis -files 2000 -big 4 -rounds 3
//	go run ./bench/googleapis -keep -dir /tmp/gapi        # keep the repository
//	go run ./bench/googleapis -dir /tmp/gapi -reuse       # measure it again
//
// Results are recorded in docs/BENCHMARKS.md ("Lint on a googleapis-shaped tree").
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/backbone-registry/backbone/bench/internal/measure"
)

func main() {
	nFiles := flag.Int("files", 7000, ".proto files of the APIs (beside the shared and the big ones)")
	bigFlag := flag.String("big", "4,6,9", "sizes in MB of the big generated files (comma-separated; empty: none)")
	rounds := flag.Int("rounds", 3, "measured rounds (each runs both tools once)")
	seed := flag.Uint64("seed", 13, "seed of the generator")
	bufFlag := flag.String("buf", "", "buf binary (default: $PATH, then $(go env GOPATH)/bin/buf)")
	registryFlag := flag.String("registry", "", "registry binary (default: built from this module)")
	baseline := flag.String("baseline", "", "another registry binary (an earlier build) measured in the same rounds; its report must equal the first one's")
	dirFlag := flag.String("dir", "", "where to generate the repository (default: a temporary directory)")
	keep := flag.Bool("keep", false, "keep the generated repository")
	reuse := flag.Bool("reuse", false, "measure the repository already generated in -dir")
	genOnly := flag.Bool("generate", false, "only generate the repository (with -dir)")
	warmup := flag.Bool("warmup", true, "run each tool once, unmeasured, before the rounds")
	profile := flag.String("profile", "", "instead of measuring, run registry lint in this process on the repository of -dir and write CPU and heap profiles to this directory")
	flag.Parse()

	var big []int
	for _, s := range strings.Split(*bigFlag, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		mb, err := strconv.ParseFloat(s, 64)
		check(err)
		big = append(big, int(mb*1e6))
	}
	dir := *dirFlag
	var err error
	if dir == "" {
		dir, err = os.MkdirTemp("", "backbone-bench-googleapis-")
		check(err)
	}
	if !*keep && !*reuse && !*genOnly {
		defer os.RemoveAll(dir)
	}
	repo := filepath.Join(dir, "repo")
	if !*reuse {
		start := time.Now()
		c := generate(*nFiles, big, *seed)
		check(os.RemoveAll(repo))
		check(c.write(repo))
		breaking := 0
		for _, ch := range c.changes {
			if ch.Breaking() {
				breaking++
			}
		}
		fmt.Printf("repository: %s (generated in %s)\n  %d .proto files, %.1f MB at the base; big files: %s\n  %d topics in %d services; head changes %d files (%d breaking)\n",
			repo, time.Since(start).Round(time.Second), c.protos, float64(c.bytes)/1e6, bigList(c), c.topics, strings.Count(strings.Join(keysOf(c.base), "\n"), "service.yaml"), len(c.changes), breaking)
	}
	if *genOnly {
		return
	}
	if *profile != "" {
		check(profileLint(repo, *profile))
		return
	}

	bufPath, err := measure.FindBuf(*bufFlag)
	check(err)
	bin := *registryFlag
	if bin == "" {
		root, err := measure.ModuleRoot("go run ./bench/googleapis")
		check(err)
		bin = filepath.Join(dir, "bin", "registry")
		build := exec.Command("go", "build", "-o", bin, "./cmd/registry")
		build.Dir, build.Stdout, build.Stderr = root, os.Stderr, os.Stderr
		check(build.Run())
	}
	bufVersion, _ := exec.Command(bufPath, "--version").Output()
	tools := []*tool{
		{name: "registry lint --against main", path: bin, args: []string{"lint", ".", "--against", "main", "--format", "json"}, wantExit: 1},
		{name: "buf " + strings.TrimSpace(string(bufVersion)) + " breaking --against .git#branch=main", path: bufPath, args: []string{"breaking", ".", "--against", ".git#branch=main", "--error-format", "json"}, wantExit: 100},
	}
	if *baseline != "" {
		tools = append(tools, &tool{name: "registry lint --against main (baseline build)", path: *baseline, args: tools[0].args, wantExit: 1})
	}
	timeV := "/usr/bin/time"
	if _, err := os.Stat(timeV); err != nil {
		timeV = ""
	}
	loadBefore := loadavg()
	for _, t := range tools {
		if !*warmup {
			break
		}
		r, err := t.run(repo, timeV)
		check(err)
		t.summary = measure.Findings(t != tools[1], r.Stdout)
		fmt.Printf("warm-up: %s: %s, %s, %s\n", t.name, t.summary, r.Wall.Round(time.Millisecond), measure.MB(r.RSSKB))
	}
	for round := range *rounds {
		for k := range tools {
			t := tools[(k+round)%len(tools)] // alternate who goes first
			r, err := t.run(repo, timeV)
			check(err)
			t.results = append(t.results, r)
			if t.summary == "" {
				t.summary = measure.Findings(t != tools[1], r.Stdout)
			}
			fmt.Printf("round %d: %s: %s, %s\n", round+1, t.name, r.Wall.Round(time.Millisecond), measure.MB(r.RSSKB))
		}
	}
	fmt.Printf("\nmachine: %s/%s, %d CPUs; load average before %s, after %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), loadBefore, loadavg())
	fmt.Printf("\n| tool | findings | wall time, median of %d | all runs | peak RSS, median of %d | all runs |\n|---|---|---|---|---|---|\n", *rounds, *rounds)
	for _, t := range tools {
		var walls, rss []string
		for _, r := range t.results {
			walls = append(walls, r.Wall.Round(10*time.Millisecond).String())
			rss = append(rss, measure.MB(r.RSSKB))
		}
		w, m := t.medians()
		fmt.Printf("| %s | %s | %s | %s | %s | %s |\n", t.name, t.summary, w.Round(10*time.Millisecond), strings.Join(walls, ", "), measure.MB(m), strings.Join(rss, ", "))
	}
	if len(tools) > 2 {
		same := bytes.Equal(tools[0].results[0].Stdout, tools[2].results[0].Stdout)
		fmt.Printf("\nbaseline build's report identical to this build's: %v\n", same)
		w2, m2 := tools[2].medians()
		w1, m1 := tools[1].medians()
		fmt.Printf("baseline build / buf (medians): time %.2f×, peak RSS %.2f×\n", w2.Seconds()/w1.Seconds(), float64(m2)/float64(m1))
	}
	w0, m0 := tools[0].medians()
	w1, m1 := tools[1].medians()
	fmt.Printf("\nregistry / buf (medians): time %.2f×, peak RSS %.2f×\n", w0.Seconds()/w1.Seconds(), float64(m0)/float64(m1))
	var per []string
	for i := range tools[0].results {
		a, b := tools[0].results[i], tools[1].results[i]
		per = append(per, fmt.Sprintf("%.2f×/%.2f×", a.Wall.Seconds()/b.Wall.Seconds(), float64(a.RSSKB)/float64(b.RSSKB)))
	}
	fmt.Printf("per round (time/RSS): %s\n", strings.Join(per, ", "))
}

func bigList(c *corpus) string {
	if len(c.big) == 0 {
		return "none"
	}
	var out []string
	for _, p := range c.big {
		out = append(out, fmt.Sprintf("%s %.1f MB", p, float64(len(c.base[p]))/1e6))
	}
	return strings.Join(out, ", ")
}

func keysOf(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
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
func (t *tool) run(dir, timeV string) (result, error) {
	return measure.Run(t.name, t.path, t.args, t.wantExit, dir, timeV)
}

// medians returns the median wall time and the median peak RSS.
func (t *tool) medians() (time.Duration, int64) {
	var walls []time.Duration
	var rss []int64
	for _, r := range t.results {
		walls = append(walls, r.Wall)
		rss = append(rss, r.RSSKB)
	}
	slices.Sort(walls)
	slices.Sort(rss)
	n := len(walls)
	if n%2 == 1 {
		return walls[n/2], rss[n/2]
	}
	return (walls[n/2-1] + walls[n/2]) / 2, (rss[n/2-1] + rss[n/2]) / 2
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func git(dir string, args ...string) error {
	cmd := exec.Command("git", append([]string{"-c", "user.name=Bench", "-c", "user.email=bench@example.com", "-c", "commit.gpgsign=false", "-c", "gc.auto=0"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/googleapis:", err)
		os.Exit(1)
	}
}
