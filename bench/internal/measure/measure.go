// Package measure runs a command-line tool once and measures it: wall time
// and peak resident memory, for the benchmarks that compare registry lint
// with buf breaking (bench/lint, bench/googleapis).
package measure

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Result is one run of a tool.
type Result struct {
	Wall   time.Duration
	RSSKB  int64 // peak resident set size, kilobytes
	Stdout []byte
}

var maxRSS = regexp.MustCompile(`Maximum resident set size \(kbytes\): (\d+)`)

// Run runs path with args in dir, under /usr/bin/time -v when timeV names
// it (otherwise the peak RSS comes from the child's rusage), and wants exit
// status wantExit ("breaking changes found"); name labels errors. buf's
// cache is kept beside dir, so every round starts from the same one.
func Run(name, path string, args []string, wantExit int, dir, timeV string) (Result, error) {
	if timeV != "" {
		path, args = timeV, append([]string{"-v", path}, args...)
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "BUF_CACHE_DIR="+filepath.Join(dir, "..", "bufcache"), "NO_COLOR=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := Result{Wall: time.Since(start), Stdout: stdout.Bytes()}
	exit := 0
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		exit = ee.ExitCode()
	default:
		return r, err
	}
	if exit != wantExit {
		return r, fmt.Errorf("%s: exit status %d, want %d (breaking changes found)\n%s%s", name, exit, wantExit, Tail(stdout.String()), Tail(stderr.String()))
	}
	if timeV != "" {
		m := maxRSS.FindSubmatch(stderr.Bytes())
		if m == nil {
			return r, fmt.Errorf("%s: no maximum RSS in /usr/bin/time output:\n%s", name, Tail(stderr.String()))
		}
		r.RSSKB, _ = strconv.ParseInt(string(m[1]), 10, 64)
	} else if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.RSSKB = ru.Maxrss // kilobytes on Linux
	}
	return r, nil
}

// Tail is the end of a long output, for an error message.
func Tail(s string) string {
	if len(s) > 3000 {
		return "…" + s[len(s)-3000:]
	}
	return s
}

// MB formats kilobytes as megabytes.
func MB(kb int64) string { return fmt.Sprintf("%.0f MB", float64(kb)/1024) }

// FindBuf returns the buf binary: flagged if set, else buf on $PATH, else
// $(go env GOPATH)/bin/buf.
func FindBuf(flagged string) (string, error) {
	if flagged != "" {
		return flagged, nil
	}
	if p, err := exec.LookPath("buf"); err == nil {
		return p, nil
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, gp := range filepath.SplitList(strings.TrimSpace(string(out))) {
			p := filepath.Join(gp, "bin", "buf")
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
	}
	return "", errors.New("buf not found; install it with: go install github.com/bufbuild/buf/cmd/buf@v1.75.0")
}

// ModuleRoot returns the directory of the Backbone module, where the
// benchmark builds registry from; cmd is how to run the benchmark, for the
// error when it runs elsewhere.
func ModuleRoot(cmd string) (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("run from the Backbone module (%s)", cmd)
	}
	return filepath.Dir(gomod), nil
}

// Findings counts the findings of one run: registry lint's JSON report
// (errors, topics changed and breaking), or buf's JSON lines (one per
// finding).
func Findings(registry bool, stdout []byte) string {
	if registry {
		var r struct {
			Summary struct {
				Errors         int `json:"errors"`
				TopicsChanged  int `json:"topics_changed"`
				TopicsBreaking int `json:"topics_breaking"`
			} `json:"summary"`
		}
		if err := json.Unmarshal(stdout, &r); err != nil {
			return "?"
		}
		return fmt.Sprintf("%d errors (%d topics changed, %d breaking)", r.Summary.Errors, r.Summary.TopicsChanged, r.Summary.TopicsBreaking)
	}
	n := 0
	for line := range bytes.Lines(stdout) {
		if bytes.HasPrefix(line, []byte("{")) {
			n++
		}
	}
	return strconv.Itoa(n)
}
