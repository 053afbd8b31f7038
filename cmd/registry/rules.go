package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/backbone-registry/backbone/lint"
)

// RulesCmd prints the rule catalogue.
type RulesCmd struct {
	Format string `default:"text" enum:"text,json" help:"Output format: text or json."`
}

// Run implements the command.
func (r *RulesCmd) Run(e *env) error {
	rules := lint.Rules()
	if r.Format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"rules": rules})
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "RULE\tCATEGORY\tDEFAULT\tLEVEL\tDIRECTIONS\tPURPOSE")
	for _, rule := range rules {
		level, dirs := "-", "-"
		if rule.Level != "" {
			level = string(rule.Level)
			var ds []string
			for _, d := range rule.Directions {
				ds = append(ds, string(d))
			}
			dirs = strings.Join(ds, ",")
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", rule.ID, rule.Category, rule.Default, level, dirs, rule.Purpose)
	}
	return w.Flush()
}
