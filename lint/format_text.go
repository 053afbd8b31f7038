package lint

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	registry "github.com/backbone-registry/backbone"
)

// ANSI escapes of the text format, used only on terminals.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiDim    = "\x1b[2m"
)

// writeText prints findings grouped by topic, for people: findings about
// no topic first, then each topic with what changed, its findings and the
// consumers they hurt (a change reaching several topics is printed once,
// under the list of those topics), then notes and the summary.
//
//	acme.retail.orders.events (changed; BACKWARD at WIRE_JSON; owner orders-team)
//	  schemas/retail/orders/v1/orders.proto:9:3: error FIELD_NO_DELETE (BACKWARD): …
//	  hurts: acme.retail.stock (stock-team)
func writeText(w io.Writer, r *Report, o WriteOptions) error {
	bw := bufio.NewWriter(w)
	paint := func(code, s string) string {
		if !o.Color || s == "" {
			return s
		}
		return code + s + ansiReset
	}
	for i, g := range r.groups() {
		if i > 0 {
			fmt.Fprintln(bw)
		}
		indent := ""
		if g.topic != "" {
			fmt.Fprintln(bw, paint(ansiBold, groupHeader(r, g)))
			indent = "  "
		}
		for _, f := range g.findings {
			sev := string(f.Severity)
			switch f.Severity {
			case registry.SeverityError:
				sev = paint(ansiBold+ansiRed, sev)
			case registry.SeverityWarning:
				sev = paint(ansiYellow, sev)
			case registry.SeverityInfo:
				sev = paint(ansiCyan, sev)
			}
			rule := f.Rule
			if d := directionText(f); d != "" {
				rule += " (" + d + ")"
			}
			where := f.Position.String()
			if where != "" {
				where += ": "
			}
			fmt.Fprintf(bw, "%s%s%s %s: %s\n", indent, where, sev, rule, f.Message)
		}
		if consumers := g.consumers(); len(consumers) > 0 {
			fmt.Fprintf(bw, "%s%s %s\n", indent, paint(ansiBold, "hurts:"), strings.Join(withTeams(r, consumers), ", "))
		}
	}
	if len(r.Findings) > 0 {
		fmt.Fprintln(bw)
	}
	for _, n := range r.Notes {
		fmt.Fprintln(bw, paint(ansiYellow, "note:"), n)
	}
	status := paint(ansiBold, r.Root+":")
	fmt.Fprintln(bw, status, headline(r))
	if line := comparisonLine(r); line != "" {
		fmt.Fprintln(bw, paint(ansiDim, line))
	}
	return bw.Flush()
}
