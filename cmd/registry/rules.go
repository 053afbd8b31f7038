package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/backbone-registry/backbone/catalog"
)

// RulesCmd prints the rule catalogue.
type RulesCmd struct {
	Format string `default:"text" enum:"text,json" help:"Output format: text or json."`
}

// Run implements the command.
func (r *RulesCmd) Run(e *env) error {
	rules := catalog.Rules()
	if r.Format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"rules": rules})
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "RULE\tCATEGORY\tDEFAULT\tPURPOSE")
	for _, rule := range rules {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", rule.ID, rule.Category, rule.Default, rule.Purpose)
	}
	return w.Flush()
}
