// Command registry is Backbone: `registry serve` runs the schema registry,
// and the other subcommands print what it knows. It is the only place that
// reads flags and the environment and wires packages together.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kong"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the command ran and failed
	exitUsage = 2 // the command could not run: bad flags or arguments
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(Main(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// CLI is the command line: every flag also reads REGISTRY_<FLAG> from the
// environment (defaults < environment < flags).
type CLI struct {
	Serve   ServeCmd   `cmd:"" help:"Serve the registry: the web catalog, the native and Confluent APIs, health probes and API docs."`
	Lint    LintCmd    `cmd:"" help:"Check a schema repository in CI: compile errors, governance rules, and with --against a Git ref or a registry, compatibility."`
	Rules   RulesCmd   `cmd:"" help:"Print the rule catalogue."`
	OpenAPI OpenAPICmd `cmd:"" name:"openapi" help:"Print the OpenAPI document of the HTTP API."`
	Migrate MigrateCmd `cmd:"" help:"Apply the store's migrations (serve applies them too)."`
	Version VersionCmd `cmd:"" help:"Print the version."`
}

// env is what every command gets to run: where to write, and the context
// that ends on SIGINT/SIGTERM.
type env struct {
	ctx            context.Context
	stdout, stderr io.Writer
}

// Main runs the command line args and returns the process exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	var cli CLI
	exited := false
	parser, err := kong.New(&cli,
		kong.Name("registry"),
		kong.Description("Backbone: a Git-native schema registry and contract governance for event-driven systems."),
		kong.Writers(stdout, stderr),
		kong.DefaultEnvars("REGISTRY"),
		kong.UsageOnError(),
		kong.Exit(func(c int) { exited, code = true, c }),
	)
	if err != nil {
		fmt.Fprintln(stderr, "registry:", err)
		return exitError
	}
	kctx, err := parser.Parse(args)
	if exited { // --help
		return code
	}
	if err != nil {
		fmt.Fprintln(stderr, "registry:", err)
		return exitUsage
	}
	if err := kctx.Run(&env{ctx: ctx, stdout: stdout, stderr: stderr}); err != nil {
		if errors.Is(err, errFindings) {
			return exitError
		}
		fmt.Fprintln(stderr, "registry:", err)
		if isUsage(err) {
			return exitUsage
		}
		return exitError
	}
	return exitOK
}

// usageError marks an error as the user's invocation being wrong.
type usageError struct{ error }

func isUsage(err error) bool {
	var u usageError
	return errors.As(err, &u)
}
