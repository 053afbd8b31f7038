// Command backbone-check is the Backbone side of the compatibility
// benchmark (see ../main.go): it compiles two schema trees with
// compat.Compile and runs compat.Check for one topic per .proto file, the
// way `registry lint --against` will. It is a separate binary so that the
// benchmark measures its wall time and peak RSS exactly as it measures buf's.
//
//	backbone-check [-level WIRE_JSON] [-mode FULL] [-max-file-size 16MiB] [-max-total-size 256MiB] <previous-dir> <current-dir>
//
// A topic's root is the first top-level message of each file of the current
// tree; it is compared with the message of the same name in the previous
// tree. It prints one line of counts and exits 100 when it finds breaking
// changes, like `buf breaking`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/compat"
)

func main() {
	level := flag.String("level", string(registry.LevelWireJSON), "WIRE, WIRE_JSON or FILE")
	mode := flag.String("mode", string(registry.CompatFull), "compatibility mode")
	verbose := flag.Bool("v", false, "print every finding")
	maxFile := flag.String("max-file-size", "", "per-file limit (16MiB, 5MB…; default: the registry's)")
	maxTotal := flag.String("max-total-size", "", "limit on all .proto files together (default: the registry's)")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: backbone-check [-level L] [-mode M] <previous-dir> <current-dir>")
		os.Exit(2)
	}
	lvl, err := registry.ParseLevel(*level)
	if err != nil {
		fail(err)
	}
	m, err := registry.ParseCompatibility(*mode)
	if err != nil {
		fail(err)
	}
	var limits compat.Limits
	for _, f := range []struct {
		s   string
		dst *int64
	}{{*maxFile, &limits.MaxFileSize}, {*maxTotal, &limits.MaxTotalSize}} {
		if f.s == "" {
			continue
		}
		if *f.dst, err = compat.ParseSize(f.s); err != nil {
			fail(err)
		}
	}
	limits = limits.WithDefaults()
	ctx := context.Background()

	start := time.Now()
	prev, err := compat.Compile(ctx, os.DirFS(flag.Arg(0)), limits)
	if err != nil {
		fail(fmt.Errorf("previous: %w", err))
	}
	cur, err := compat.Compile(ctx, os.DirFS(flag.Arg(1)), limits)
	if err != nil {
		fail(fmt.Errorf("current: %w", err))
	}
	compiled := time.Since(start)

	topics, findings, missing := 0, 0, 0
	for _, f := range cur.Files() {
		if f.Messages().Len() == 0 {
			continue
		}
		root := f.Messages().Get(0)
		old, ok := prev.FindMessage(string(root.FullName()))
		if !ok {
			missing++ // a new topic: nothing to compare with
			continue
		}
		topics++
		fs := compat.Check(
			[]compat.Contract{{Values: []protoreflect.MessageDescriptor{old}}},
			compat.Contract{Values: []protoreflect.MessageDescriptor{root}},
			compat.Options{Topic: string(root.FullName()), Mode: m, Level: lvl})
		findings += len(fs)
		if *verbose {
			for _, f := range fs {
				fmt.Println(f.String())
			}
		}
	}
	fmt.Printf("files=%d topics=%d new=%d findings=%d compile=%s check=%s\n",
		len(cur.Files()), topics, missing, findings, compiled.Round(time.Millisecond), (time.Since(start) - compiled).Round(time.Millisecond))
	if findings > 0 {
		os.Exit(100)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "backbone-check:", err) // *registry.Error lists its diagnostics
	os.Exit(1)
}
