// Command serve benchmarks Backbone's serving of the two reads Kafka
// clients make (DESIGN.md §7): GET /schemas/ids/{id} and
// GET /subjects/{subject}/versions/latest must reach at least 80% of the
// requests/s of a bare Go net/http handler returning a fixed body of the
// same size, with the same load tool and settings in the same run, and a
// p99 within 1.5× of that handler's at 64 connections.
//
// Three processes, all on loopback:
//
//   - Backbone: by default (-server fixture) this program re-executed as
//     a child that commits the demo estate (./schemas) to a Git repository
//     with internal/gitfixture, then a second commit adding a field to
//     orders.proto, ingests both with catalog.Ingester into a SQLite store
//     and serves api.New over the snapshot (no credentials: anonymous read,
//     as `registry serve` by default). With -server registry it builds
//     cmd/registry and runs `registry serve` from the module root: the
//     committed history of ./schemas with the embedded store, the real
//     thing.
//   - bare: this program re-executed as a child serving, for each benchmarked
//     path, the body Backbone answered (fetched before the runs, so same
//     size and bytes) with the same Content-Type and a Content-Length, and
//     nothing else. Both children use cmd/registry's http.Server settings.
//   - wrk (-threads 2, -connections 64, --latency), the load generator,
//     with the Confluent Accept header application/vnd.schemaregistry.v1+json.
//
// After a warm-up of each endpoint on both servers, every round runs wrk
// for -duration against each endpoint on both servers, alternating which
// server goes first; the report gives requests/s and p99 of every run and
// the ratios Backbone / bare (rps: at least 0.80; p99: at most 1.5), with
// each server's CPU time per request (from /proc), which depends much less
// on what else the machine runs.
//
// Run it from the repository root (it needs wrk: apt-get install wrk):
//
//	go run ./bench/serve
//	go run ./bench/serve -rounds 5 -duration 20s
//	go run ./bench/serve -server registry
//	go run ./bench/serve -cpuprofile /tmp/serve.pprof   # then: go tool pprof -top /tmp/serve.pprof
//
// Results are recorded in docs/BENCHMARKS.md.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

const accept = "application/vnd.schemaregistry.v1+json"

func main() {
	role := flag.String("role", "", "internal: run as the backbone or bare server child")
	bodies := flag.String("bodies", "", "internal: the bare server's bodies (JSON)")
	server := flag.String("server", "fixture", "Backbone server: fixture (api.New over a gitfixture history of ./schemas) or registry (`registry serve` of ./schemas)")
	subject := flag.String("subject", "acme.retail.orders.events-value", "subject whose latest version, and its schema ID, are requested")
	rounds := flag.Int("rounds", 3, "measured rounds")
	duration := flag.Duration("duration", 10*time.Second, "wrk duration of each measured run")
	warmup := flag.Duration("warmup", 3*time.Second, "wrk duration of the warm-up of each endpoint on each server")
	threads := flag.Int("threads", 2, "wrk threads")
	connections := flag.Int("connections", 64, "wrk connections")
	wrkPath := flag.String("wrk", "wrk", "wrk binary")
	cpuprofile := flag.String("cpuprofile", "", "with -server fixture: write a CPU profile of the Backbone server while it serves")
	flag.Parse()

	switch *role {
	case "backbone":
		check(runBackbone("schemas", *cpuprofile))
		return
	case "bare":
		check(runBare(*bodies))
		return
	case "":
	default:
		check(fmt.Errorf("unknown -role %q", *role))
	}

	wrk, err := exec.LookPath(*wrkPath)
	if err != nil {
		check(fmt.Errorf("wrk not found (apt-get install wrk): %w", err))
	}
	root, err := moduleRoot()
	check(err)
	check(os.Chdir(root))
	tmp, err := os.MkdirTemp("", "backbone-bench-serve-")
	check(err)
	defer os.RemoveAll(tmp)

	var bb *child
	switch *server {
	case "fixture":
		args := []string{"-role", "backbone"}
		if *cpuprofile != "" {
			abs, err := filepath.Abs(*cpuprofile)
			check(err)
			args = append(args, "-cpuprofile", abs)
		}
		bb, err = startSelf(args...)
	case "registry":
		bb, err = startRegistry(tmp)
	default:
		err = fmt.Errorf("unknown -server %q: fixture or registry", *server)
	}
	check(err)
	defer bb.stop()

	// The paths, and what Backbone answers them: the bare server's bodies.
	latestPath := "/subjects/" + url.PathEscape(*subject) + "/versions/latest"
	latest, ct, err := fetch(bb.addr, latestPath)
	check(err)
	var sv struct {
		ID      int64 `json:"id"`
		Version int   `json:"version"`
	}
	check(json.Unmarshal(latest, &sv))
	idPath := "/schemas/ids/" + strconv.FormatInt(sv.ID, 10)
	byID, idCT, err := fetch(bb.addr, idPath)
	check(err)
	paths := []string{idPath, latestPath}
	fixed := map[string]bareBody{
		idPath:     {ContentType: idCT, Body: byID},
		latestPath: {ContentType: ct, Body: latest},
	}
	bodiesFile := filepath.Join(tmp, "bodies.json")
	data, err := json.Marshal(fixed)
	check(err)
	check(os.WriteFile(bodiesFile, data, 0o644))
	bare, err := startSelf("-role", "bare", "-bodies", bodiesFile)
	check(err)
	defer bare.stop()
	for _, p := range paths {
		b, bct, err := fetch(bare.addr, p)
		check(err)
		if len(b) != len(fixed[p].Body) || bct != fixed[p].ContentType {
			check(fmt.Errorf("bare %s: %d bytes %s, want %d bytes %s", p, len(b), bct, len(fixed[p].Body), fixed[p].ContentType))
		}
	}

	wrkVersion, _ := exec.Command(wrk, "-v").CombinedOutput()
	fmt.Printf("Backbone (%s) at %s, bare net/http at %s\n", *server, bb.addr, bare.addr)
	fmt.Printf("load: %s -t%d -c%d -d%s --latency -H 'Accept: %s' (%s)\n",
		wrk, *threads, *connections, *duration, accept, strings.TrimSpace(firstLine(string(wrkVersion))))
	for _, p := range paths {
		fmt.Printf("  GET %s: %d bytes, %s\n", p, len(fixed[p].Body), fixed[p].ContentType)
	}
	fmt.Printf("subject version served as latest: %d; load average before: %s\n\n", sv.Version, loadavg())

	type target struct {
		name, addr string
		pid        int
	}
	servers := []target{{"backbone", bb.addr, bb.cmd.Process.Pid}, {"bare", bare.addr, bare.cmd.Process.Pid}}
	// A run with socket errors (wrk's 2 s timeouts, when the machine is
	// swamped by other work) is run again, at most twice; wrong answers
	// (non-2xx) end the benchmark.
	// The server's CPU time per request (from /proc, user + system) is
	// printed too: it depends much less on what else the machine runs.
	run := func(s target, path string, d time.Duration) result {
		for attempt := 1; ; attempt++ {
			cpu0 := cpuTime(s.pid)
			r, err := runWrk(wrk, *threads, *connections, d, "http://"+s.addr+path)
			check(err)
			if r.requests > 0 {
				r.cpuPerRequest = (cpuTime(s.pid) - cpu0) / time.Duration(r.requests)
			}
			if r.socketErrors == "" || attempt == 3 {
				return r
			}
			fmt.Printf("  (%s %s: %s; run again)\n", s.name, path, r.socketErrors)
		}
	}
	for _, p := range paths {
		for _, s := range servers {
			run(s, p, *warmup)
		}
	}

	type key struct{ server, path string }
	results := map[key][]result{}
	for round := 1; round <= *rounds; round++ {
		for i, p := range paths {
			order := servers
			if (round+i)%2 == 0 {
				order = []target{servers[1], servers[0]}
			}
			for _, s := range order {
				r := run(s, p, *duration)
				results[key{s.name, p}] = append(results[key{s.name, p}], r)
				note := ""
				if r.socketErrors != "" {
					note = "  " + r.socketErrors
				}
				fmt.Printf("round %d  %-8s GET %-55s %8.0f req/s  p50 %8s  p99 %8s  CPU %5.1f µs/req  (load %s)%s\n",
					round, s.name, p, r.rps, ms(r.p50), ms(r.p99), us(r.cpuPerRequest), loadavg(), note)
			}
		}
	}

	fmt.Printf("\n%-62s %-6s %12s %12s %6s %12s %12s %6s %14s\n", "endpoint", "round", "backbone rps", "bare rps", "ratio", "backbone p99", "bare p99", "ratio", "CPU/req ratio")
	met := true
	for _, p := range paths {
		var rpsRatios, p99Ratios, cpuRatios []float64
		for i := range *rounds {
			b, n := results[key{"backbone", p}][i], results[key{"bare", p}][i]
			rr, pr, cr := b.rps/n.rps, float64(b.p99)/float64(n.p99), float64(b.cpuPerRequest)/float64(n.cpuPerRequest)
			rpsRatios, p99Ratios, cpuRatios = append(rpsRatios, rr), append(p99Ratios, pr), append(cpuRatios, cr)
			fmt.Printf("%-62s %-6d %12.0f %12.0f %6.2f %12s %12s %6.2f %14.2f\n", "GET "+p, i+1, b.rps, n.rps, rr, ms(b.p99), ms(n.p99), pr, cr)
		}
		rr, pr := median(rpsRatios), median(p99Ratios)
		ok := rr >= 0.80 && pr <= 1.5
		met = met && ok
		fmt.Printf("%-62s %-6s %12s %12s %6.2f %12s %12s %6.2f %14.2f  %s\n", "GET "+p, "median", "", "", rr, "", "", pr, median(cpuRatios), verdict(ok))
	}
	fmt.Printf("\n§7 serving target (median ratios: rps ≥ 0.80, p99 ≤ 1.50): %s\n", verdict(met))
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// result is one wrk run.
type result struct {
	rps           float64
	requests      int64
	p50, p99      time.Duration
	cpuPerRequest time.Duration // the server's
	socketErrors  string        // wrk's "Socket errors: …" line, if any
}

var (
	rpsLine     = regexp.MustCompile(`(?m)^Requests/sec:\s+([0-9.]+)`)
	countLine   = regexp.MustCompile(`(?m)^\s+(\d+) requests in `)
	percentLine = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s|m)\s*$`)
	non2xxLine  = regexp.MustCompile(`(?m)^\s+Non-2xx or 3xx responses: \d+`)
	socketLine  = regexp.MustCompile(`(?m)^\s+Socket errors:.*`)
)

// runWrk runs wrk once and parses requests/s and the latency percentiles.
func runWrk(wrk string, threads, connections int, d time.Duration, target string) (result, error) {
	cmd := exec.Command(wrk, "-t"+strconv.Itoa(threads), "-c"+strconv.Itoa(connections),
		"-d"+strconv.Itoa(int(d.Seconds()))+"s", "--latency", "-H", "Accept: "+accept, target)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk %s: %w\n%s", target, err, out)
	}
	if m := non2xxLine.FindString(string(out)); m != "" {
		return result{}, fmt.Errorf("wrk %s: %s\n%s", target, strings.TrimSpace(m), out)
	}
	var r result
	r.socketErrors = strings.TrimSpace(socketLine.FindString(string(out)))
	m := rpsLine.FindStringSubmatch(string(out))
	if m == nil {
		return result{}, fmt.Errorf("wrk %s: no Requests/sec in\n%s", target, out)
	}
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	if m := countLine.FindStringSubmatch(string(out)); m != nil {
		r.requests, _ = strconv.ParseInt(m[1], 10, 64)
	}
	for _, m := range percentLine.FindAllStringSubmatch(string(out), -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second, "m": time.Minute}[m[3]]
		dur := time.Duration(v * float64(unit))
		if m[1] == "50" {
			r.p50 = dur
		} else {
			r.p99 = dur
		}
	}
	if r.p99 == 0 {
		return result{}, fmt.Errorf("wrk %s: no latency distribution in\n%s", target, out)
	}
	return r, nil
}

// child is a server process.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	addr  string
}

// startSelf runs this program again with args and waits for its address.
func startSelf(args ...string) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	addr, err := readAddr(stdout)
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, err
	}
	return &child{cmd: cmd, stdin: stdin, addr: addr}, nil
}

// startRegistry builds cmd/registry and runs `registry serve` of the
// demo from the module root, waiting until it is ready.
func startRegistry(tmp string) (*child, error) {
	bin := filepath.Join(tmp, "registry")
	build := exec.Command("go", "build", "-o", bin, "./cmd/registry")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return nil, fmt.Errorf("build cmd/registry: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve", "--addr", addr, "--data-dir", filepath.Join(tmp, "data"), "--log-level", "warn")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, addr: addr}
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return c, nil
			}
		}
	}
	c.stop()
	return nil, errors.New("registry serve: not ready within 2 minutes")
}

func (c *child) stop() {
	if c.stdin != nil {
		_ = c.stdin.Close()
	} else {
		_ = c.cmd.Process.Signal(os.Interrupt)
	}
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}

// fetch GETs a path with the Confluent Accept header: body and Content-Type.
func fetch(addr, path string) ([]byte, string, error) {
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("GET %s: %s: %s", path, resp.Status, body)
	}
	return body, resp.Header.Get("Content-Type"), nil
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// cpuTime returns a process's user + system CPU time so far (0 if /proc
// cannot say).
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses: utime and
	// stime are the 12th and 13th.
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times: 100 on Linux.
const clockTicks = 100

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run from the Backbone module (go run ./bench/serve)")
	}
	return filepath.Dir(gomod), nil
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/serve:", err)
		os.Exit(1)
	}
}
