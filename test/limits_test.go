package test

import (
	"strings"
	"testing"

	"github.com/backbone-registry/backbone/internal/gitfixture"
)

// TestSyncLimits: serving a Git repository, each commit is read with the
// limits of its own registry.yaml, and the flags win over them. A commit
// over a limit is rejected with a finding that names the file, its size,
// the limit and the key and flag that raise it.
func TestSyncLimits(t *testing.T) {
	t.Parallel()
	padded := gitfixture.OrdersProto(gitfixture.FieldsChannel) + strings.Repeat("// padding line\n", 200)
	const msg = "KiB is over the per-file limit of 2 KiB; raise it with limits.max_file_size in registry.yaml or --max-file-size"

	t.Run("registry.yaml", func(t *testing.T) {
		t.Parallel()
		repo := gitfixture.New(t)
		c1 := repo.Commit("initial", gitfixture.BaseFiles())
		p, _ := serveRepo(t, repo)
		v1 := servesVersion(p, 1, c1)

		c2 := repo.Commit("a lower limit", map[string]string{"schemas/registry.yaml": "company: acme\nlimits:\n  max_file_size: 2KiB\n", gitfixture.OrdersPath: padded})
		p.sync()
		r := rejected(p, c2)
		if len(r.Findings) != 1 || r.Findings[0].File != "retail/orders/v1/orders.proto" || !strings.Contains(r.Findings[0].Message, msg) {
			t.Errorf("findings %+v, want one at retail/orders/v1/orders.proto: …%s", r.Findings, msg)
		}
		stillServes(t, p, v1)

		c3 := repo.Commit("a higher limit", map[string]string{"schemas/registry.yaml": "company: acme\nlimits:\n  max_file_size: 5KiB\n"})
		p.sync()
		servesVersion(p, 2, c3)
	})

	t.Run("the flag wins", func(t *testing.T) {
		t.Parallel()
		repo := gitfixture.New(t)
		files := gitfixture.BaseFiles()
		files["schemas/registry.yaml"] = "company: acme\nlimits:\n  max_file_size: 1MiB\n"
		c1 := repo.Commit("initial", files)
		p, _ := serveRepo(t, repo, "--max-file-size", "2KiB")
		v1 := servesVersion(p, 1, c1)

		c2 := repo.Commit("a larger file", map[string]string{gitfixture.OrdersPath: padded})
		p.sync()
		r := rejected(p, c2)
		if len(r.Findings) != 1 || !strings.Contains(r.Findings[0].Message, msg) {
			t.Errorf("findings %+v, want one: …%s", r.Findings, msg)
		}
		stillServes(t, p, v1)
	})
}
