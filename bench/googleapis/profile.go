package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/backbone-registry/backbone/lint"
)

// profileLint runs `registry lint . --against main` in this process on the
// repository at repo, with a CPU profile (cpu.pprof) and a heap profile
// taken when the heap in use peaks (heap.pprof), in dir.
func profileLint(repo, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cpu, err := os.Create(filepath.Join(dir, "cpu.pprof"))
	if err != nil {
		return err
	}
	defer cpu.Close()
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	if err := os.Chdir(repo); err != nil {
		return err
	}
	defer os.Chdir(wd)

	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-time.After(250 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak+peak/10 {
				peak = ms.HeapInuse
				if f, err := os.Create(filepath.Join(dir, "heap.pprof")); err == nil {
					_ = pprof.Lookup("heap").WriteTo(f, 0)
					f.Close()
				}
			}
		}
	}()
	if err := pprof.StartCPUProfile(cpu); err != nil {
		return err
	}
	start := time.Now()
	opts := lint.Options{Root: ".", Against: "main"}
	opts.Catalog.Limits.Timeout = time.Hour
	rep, err := lint.Run(context.Background(), opts)
	pprof.StopCPUProfile()
	close(done)
	wg.Wait()
	if err != nil {
		return err
	}
	fmt.Printf("lint: %s, %d findings, %d topics changed; heap in use peaked at %.0f MB\n", time.Since(start).Round(time.Millisecond), len(rep.Findings), rep.Summary.TopicsChanged, float64(peak)/(1<<20))
	return nil
}
