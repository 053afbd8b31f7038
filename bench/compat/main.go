// Command compat benchmarks Backbone's compatibility engine against
// `buf breaking` (DESIGN.md §7: `registry lint --against` must be faster
// than `buf breaking --against` on 1,000+ proto files, with less peak
// memory).
//
// It generates a schema repository of -services × -files .proto files (plus
// a shared common package) as two versions, previous/ and current/, where
// current changes about 2% of the files compatibly and a few files
// incompatibly. Then it measures, in the same run, alternating:
//
//   - buf: `buf breaking current --against previous` (WIRE_JSON);
//   - backbone: bench/compat/backbone-check, built by this program, which
//     compiles both trees with compat.Compile and runs compat.Check (FULL,
//     WIRE_JSON) for one topic per file (its first message).
//
// Each gets one unmeasured warm-up run, then -runs measured runs; the report
// gives the best wall time and the lowest peak RSS of each and their ratios
// (Backbone / buf; below 1 means Backbone wins). Peak RSS comes from
// /usr/bin/time -v when it exists, else from the child's rusage.
//
// Run it from the repository root (it needs buf:
// go install github.com/bufbuild/buf/cmd/buf@v1.75.0):
//
//	go run ./bench/compat
//	go run ./bench/compat -services 400 -runs 5 -keep
//
// Results are recorded in docs/BENCHMARKS.md.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/backbone-registry/backbone/bench/internal/protocorpus"
)

func main() {
	services := flag.Int("services", 200, "services in the generated repository")
	files := flag.Int("files", 5, ".proto files per service")
	runs := flag.Int("runs", 3, "measured runs of each tool (best of)")
	level := flag.String("level", "WIRE_JSON", "level: WIRE or WIRE_JSON (buf category and Backbone level)")
	bufFlag := flag.String("buf", "", "buf binary (default: $PATH, then $(go env GOPATH)/bin/buf)")
	dirFlag := flag.String("dir", "", "where to generate the repository (default: a temporary directory)")
	keep := flag.Bool("keep", false, "keep the generated repository")
	flag.Parse()

	bufPath, err := findBuf(*bufFlag)
	check(err)
	dir := *dirFlag
	if dir == "" {
		dir, err = os.MkdirTemp("", "backbone-bench-compat-")
		check(err)
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}

	root, err := moduleRoot()
	check(err)
	checker := filepath.Join(dir, "backbone-check")
	build := exec.Command("go", "build", "-o", checker, "./bench/compat/backbone-check")
	build.Dir, build.Stdout, build.Stderr = root, os.Stderr, os.Stderr
	check(build.Run())

	stats, err := generate(dir, *services, *files, *level)
	check(err)
	fmt.Printf("repository: %s\n  %d .proto files per version (%d services × %d files + common), %.1f MB per version\n  current: %d files changed compatibly, %d with breaking changes\n",
		dir, stats.files, *services, *files, float64(stats.bytes)/1e6, stats.compatible, stats.breaking)

	bufVersion, _ := exec.Command(bufPath, "--version").Output()
	tools := []tool{
		{name: "buf " + strings.TrimSpace(string(bufVersion)), path: bufPath, args: []string{"breaking", "current", "--against", "previous", "--error-format", "json"}},
		{name: "backbone", path: checker, args: []string{"-level", *level, "previous", "current"}},
	}
	timeV := "/usr/bin/time"
	if _, err := os.Stat(timeV); err != nil {
		timeV = ""
	}
	rssSource := "rusage of the child (ProcessState.SysUsage().Maxrss)"
	if timeV != "" {
		rssSource = "/usr/bin/time -v (maximum resident set size)"
	}

	// Warm-up: page cache, and check that both see the breaking changes.
	for i := range tools {
		r, err := tools[i].run(dir, timeV)
		check(err)
		if r.exit != 100 {
			check(fmt.Errorf("%s: exit status %d, want 100 (breaking changes found)\n%s", tools[i].name, r.exit, r.stdout))
		}
		tools[i].summary = summarize(tools[i].name, r.stdout)
	}
	for run := range *runs {
		order := []int{0, 1}
		if run%2 == 1 {
			order = []int{1, 0}
		}
		for _, i := range order {
			r, err := tools[i].run(dir, timeV)
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
			walls = append(walls, r.wall.Round(time.Millisecond).String())
			rsss = append(rsss, mb(r.rssKB))
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %s |\n", t.name, t.summary, best[i].wall.Round(time.Millisecond), strings.Join(walls, ", "), mb(best[i].rssKB), strings.Join(rsss, ", "))
	}
	fmt.Printf("\nBackbone / buf: time %.2f×, peak RSS %.2f×\n",
		best[1].wall.Seconds()/best[0].wall.Seconds(), float64(best[1].rssKB)/float64(best[0].rssKB))
}

// ----- measuring

type tool struct {
	name, path string
	args       []string
	summary    string
	results    []result
}

type result struct {
	wall   time.Duration
	rssKB  int64
	exit   int
	stdout []byte
}

var maxRSS = regexp.MustCompile(`Maximum resident set size \(kbytes\): (\d+)`)

// run runs the tool in dir, under /usr/bin/time -v when timeV is set.
func (t tool) run(dir, timeV string) (result, error) {
	name, args := t.path, t.args
	if timeV != "" {
		name, args = timeV, append([]string{"-v", t.path}, t.args...)
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "BUF_CACHE_DIR="+filepath.Join(dir, ".bufcache"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := result{wall: time.Since(start), stdout: stdout.Bytes()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.exit = exit.ExitCode()
	default:
		return r, err
	}
	if r.exit != 0 && r.exit != 100 {
		return r, fmt.Errorf("%s: exit status %d\n%s%s", t.name, r.exit, stdout.String(), stderr.String())
	}
	if timeV != "" {
		m := maxRSS.FindSubmatch(stderr.Bytes())
		if m == nil {
			return r, fmt.Errorf("%s: no maximum RSS in /usr/bin/time output:\n%s", t.name, stderr.String())
		}
		r.rssKB, _ = strconv.ParseInt(string(m[1]), 10, 64)
	} else if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.rssKB = ru.Maxrss // kilobytes on Linux
	}
	return r, nil
}

func (t tool) best() result {
	b := t.results[0]
	for _, r := range t.results[1:] {
		b.wall = min(b.wall, r.wall)
		b.rssKB = min(b.rssKB, r.rssKB)
	}
	return b
}

// summarize counts a tool's findings from its output.
func summarize(name string, stdout []byte) string {
	if strings.HasPrefix(name, "buf") {
		n := 0
		sc := bufio.NewScanner(bytes.NewReader(stdout))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "{") {
				n++
			}
		}
		return strconv.Itoa(n)
	}
	if m := regexp.MustCompile(`topics=(\d+) .*findings=(\d+)`).FindSubmatch(stdout); m != nil {
		return fmt.Sprintf("%s (%s topics)", m[2], m[1])
	}
	return "?"
}

func mb(kb int64) string { return fmt.Sprintf("%.0f MB", float64(kb)/1024) }

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "load average unknown"
	}
	f := strings.Fields(string(b))
	return "load average " + strings.Join(f[:3], " ")
}

func findBuf(flagged string) (string, error) {
	if flagged != "" {
		return flagged, nil
	}
	if p, err := exec.LookPath("buf"); err == nil {
		return p, nil
	}
	out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output()
	if err == nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		var dirs []string
		if len(lines) == 2 {
			if lines[0] != "" {
				dirs = append(dirs, lines[0])
			}
			for _, gp := range filepath.SplitList(lines[1]) {
				dirs = append(dirs, filepath.Join(gp, "bin"))
			}
		}
		for _, d := range dirs {
			if _, err := os.Stat(filepath.Join(d, "buf")); err == nil {
				return filepath.Join(d, "buf"), nil
			}
		}
	}
	return "", errors.New("buf not found; install it with: go install github.com/bufbuild/buf/cmd/buf@v1.75.0")
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run from the Backbone module (go run ./bench/compat)")
	}
	return filepath.Dir(gomod), nil
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/compat:", err)
		os.Exit(1)
	}
}

// ----- the generated repository

type corpusStats struct {
	files, bytes, compatible, breaking int
}

func generate(dir string, services, filesPer int, level string) (corpusStats, error) {
	var st corpusStats
	total := services * filesPer
	for _, version := range []string{"previous", "current"} {
		root := filepath.Join(dir, version)
		if err := os.MkdirAll(filepath.Join(root, "common", "v1"), 0o755); err != nil {
			return st, err
		}
		cfg := fmt.Sprintf("version: v2\nbreaking:\n  use:\n    - %s\n", level)
		if err := os.WriteFile(filepath.Join(root, "buf.yaml"), []byte(cfg), 0o644); err != nil {
			return st, err
		}
		if err := os.WriteFile(filepath.Join(root, "common", "v1", "common.proto"), []byte(protocorpus.CommonProto), 0o644); err != nil {
			return st, err
		}
		n, size := 1, len(protocorpus.CommonProto)
		for s := range services {
			svcDir := filepath.Join(root, fmt.Sprintf("svc%03d", s), "v1")
			if err := os.MkdirAll(svcDir, 0o755); err != nil {
				return st, err
			}
			for f := range filesPer {
				c := protocorpus.Unchanged
				if version == "current" {
					c = protocorpus.Of(s*filesPer+f, total)
				}
				src := protoFile(s, f, c)
				if err := os.WriteFile(filepath.Join(svcDir, fmt.Sprintf("events%d.proto", f)), []byte(src), 0o644); err != nil {
					return st, err
				}
				n++
				size += len(src)
				if version == "current" {
					switch {
					case c.Compatible():
						st.compatible++
					case c.Breaking():
						st.breaking++
					}
				}
			}
		}
		st.files, st.bytes = n, size
	}
	return st, nil
}

// protoFile is file f of service s.
func protoFile(s, f int, c protocorpus.Change) string {
	return protocorpus.Proto(protocorpus.File{
		Package:   fmt.Sprintf("acme.svc%03d.v1", s),
		Dir:       fmt.Sprintf("svc%03d/v1", s),
		GoPackage: fmt.Sprintf("example.com/acme/svc%03d/v1;svcv1", s),
		Topic:     fmt.Sprintf("acme.svc%03d.events%d", s, f),
	}, f, c)
}
