package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/catalog"
)

// LintCmd checks a schema repository's working tree: it compiles every
// schema and applies the governance rules. Exit 0: clean; 1: problems at
// the failing severity; 2: the check could not run.
type LintCmd struct {
	Dir    string `arg:"" optional:"" default:"." help:"The schema root (holding registry.yaml) or a directory above it."`
	Format string `default:"text" enum:"text,json" help:"Output format: text or json."`
	FailOn string `default:"error" enum:"error,warning,info" help:"Lowest severity that fails the check."`
}

// lintReport is the JSON shape of a lint run: stable, documented in the README.
type lintReport struct {
	Root     string             `json:"root"`
	Findings []registry.Finding `json:"findings"`
	Summary  lintSummary        `json:"summary"`
}

type lintSummary struct {
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Infos    int `json:"infos"`
	Services int `json:"services"`
	Topics   int `json:"topics"`
}

// errFindings makes the command exit 1 without printing more.
var errFindings = errors.New("findings")

// Run implements the command.
func (l *LintCmd) Run(e *env) error {
	root, err := findSchemaRoot(l.Dir)
	if err != nil {
		return usageError{err}
	}
	report := lintReport{Root: root, Findings: []registry.Finding{}}
	c, err := catalog.Load(e.ctx, os.DirFS(root), catalog.Options{})
	switch {
	case registry.ErrorCode(err) == registry.EINVALID && len(registry.ErrorDiagnostics(err)) > 0:
		// Content that does not compile is the strongest finding of all.
		for _, d := range registry.ErrorDiagnostics(err) {
			report.Findings = append(report.Findings, registry.Finding{
				Rule: "COMPILE", Severity: registry.SeverityError, Position: d.Position, Message: d.Message,
			})
		}
	case err != nil:
		return usageError{fmt.Errorf("%s: %w", root, err)}
	default:
		report.Findings = append(report.Findings, c.Findings()...)
		report.Summary.Services = len(c.Services())
		report.Summary.Topics = len(c.Topics(catalog.TopicFilter{}))
	}
	failOn := registry.Severity(l.FailOn)
	failed := false
	for i, f := range report.Findings {
		report.Findings[i].File = filepath.ToSlash(filepath.Join(root, f.File))
		switch f.Severity {
		case registry.SeverityError:
			report.Summary.Errors++
		case registry.SeverityWarning:
			report.Summary.Warnings++
		case registry.SeverityInfo:
			report.Summary.Infos++
		}
		failed = failed || f.Severity.AtLeast(failOn)
	}
	if err := l.print(e, report); err != nil {
		return err
	}
	if failed {
		return errFindings
	}
	return nil
}

func (l *LintCmd) print(e *env, r lintReport) error {
	if l.Format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	for _, f := range r.Findings {
		fmt.Fprintln(e.stdout, f)
	}
	s := r.Summary
	_, err := fmt.Fprintf(e.stdout, "%s: %d services, %d topics: %d errors, %d warnings, %d info\n",
		r.Root, s.Services, s.Topics, s.Errors, s.Warnings, s.Infos)
	return err
}

// findSchemaRoot returns dir if it holds registry.yaml, or the one directory
// below it that does (hidden directories skipped, three levels at most).
func findSchemaRoot(dir string) (string, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return "", err
	}
	if !info.IsDir() {
		return "", fmt.Errorf("%s: not a directory", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, catalog.RepoFile)); err == nil {
		return dir, nil
	}
	var found []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return nil
		case d.IsDir() && p != dir && (strings.HasPrefix(d.Name(), ".") || strings.Count(filepath.ToSlash(strings.TrimPrefix(p, dir)), "/") > 3):
			return filepath.SkipDir
		case !d.IsDir() && d.Name() == catalog.RepoFile:
			found = append(found, filepath.Dir(p))
		}
		return nil
	})
	switch len(found) {
	case 0:
		return "", fmt.Errorf("%s: no %s here or below: pass the schema root", dir, catalog.RepoFile)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("%s: several schema roots (%s): pass one", dir, strings.Join(found, ", "))
}
