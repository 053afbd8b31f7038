package lint

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	registry "github.com/backbone-registry/backbone"
)

// writeGitHub prints GitHub Actions workflow commands, one per finding (a
// change reaching several topics is one annotation naming them), so that
// each annotates its line in the pull request's diff:
//
//	::error file=schemas/retail/orders/v1/orders.proto,line=9,col=3,title=FIELD_NO_DELETE::message
//
// Errors are ::error, warnings ::warning, info ::notice. Notes become
// notices without a file, and the summary closes the log as plain text.
func writeGitHub(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	for _, f := range r.Findings {
		cmd := "notice"
		switch f.Severity {
		case registry.SeverityError:
			cmd = "error"
		case registry.SeverityWarning:
			cmd = "warning"
		}
		var props []string
		if file := r.ciPath(f); file != "" {
			props = append(props, "file="+escapeProperty(file))
			if f.Line > 0 {
				props = append(props, "line="+strconv.Itoa(f.Line))
			}
			if f.Column > 0 {
				props = append(props, "col="+strconv.Itoa(f.Column))
			}
		}
		title := f.Rule
		topics := f.TopicNames()
		switch {
		case len(topics) == 1:
			title += " on " + topics[0]
		case len(topics) > 1:
			title += fmt.Sprintf(" on %d topics", len(topics))
		}
		props = append(props, "title="+escapeProperty(title))
		msg := f.Message
		if d := directionText(f); d != "" {
			msg += " [breaks " + d + "]"
		}
		if len(topics) > 1 {
			msg += "\nTopics: " + strings.Join(topics, ", ")
		}
		if len(f.Consumers) > 0 {
			msg += "\nConsumers hurt: " + strings.Join(withTeams(r, f.Consumers), ", ")
		}
		fmt.Fprintf(bw, "::%s %s::%s\n", cmd, strings.Join(props, ","), escapeData(msg))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(bw, "::notice title=registry lint::%s\n", escapeData(n))
	}
	fmt.Fprintf(bw, "%s: %s\n", r.Root, headline(r))
	if line := comparisonLine(r); line != "" {
		fmt.Fprintln(bw, line)
	}
	return bw.Flush()
}

// escapeData escapes a workflow command's message, as the Actions runner
// (and @actions/core's toCommandValue) does: %, CR and LF.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a workflow command's property value: the data
// escapes plus the separators ':' and ','.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
