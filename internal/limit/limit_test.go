package limit_test

import (
	"testing"
	"time"

	"github.com/backbone-registry/backbone/internal/limit"
)

func TestParseSize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{
		"1": 1, "1048576": 1 << 20, "16MiB": 16 << 20, "16 MiB": 16 << 20, "16mib": 16 << 20, "16M": 16 << 20,
		"5MB": 5_000_000, "512KiB": 512 << 10, "512kb": 512_000, "1.5MiB": 3 << 19, "2GiB": 2 << 30, "100B": 100,
	} {
		if got, err := limit.ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v, want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "-1", "0", "0.1", "16 furlongs", "1.2.3MB", "1e3", "99999999999TiB"} {
		if got, err := limit.ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, got)
		}
	}
}

func TestLimitsOver(t *testing.T) {
	t.Parallel()
	flags := limit.Limits{MaxFileSize: 1 << 20}
	yaml := limit.Limits{MaxFileSize: 2 << 20, MaxFiles: 10, Timeout: time.Second}
	got := flags.Over(yaml).WithDefaults()
	want := limit.Defaults
	want.MaxFileSize, want.MaxFiles, want.Timeout = 1<<20, 10, time.Second
	if got != want {
		t.Errorf("flags.Over(yaml).WithDefaults() = %+v, want %+v", got, want)
	}
}

func TestMessages(t *testing.T) {
	t.Parallel()
	l := limit.Defaults
	for got, want := range map[string]string{
		l.FileTooLarge(18_035_507): "17.2 MiB is over the per-file limit of 16 MiB; raise it with limits.max_file_size in registry.yaml or --max-file-size",
		l.TimedOut():               "compile schemas: gave up after 1m0s, the compile-time limit; raise it with limits.compile_timeout in registry.yaml or --compile-timeout",
		l.TooDeep():                "directory nested deeper than 32 levels, over the directory-depth limit; raise it with limits.max_depth in registry.yaml or --max-depth",
	} {
		if got != want {
			t.Errorf("got  %q\nwant %q", got, want)
		}
	}
}
