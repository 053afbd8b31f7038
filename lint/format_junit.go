package lint

import (
	"encoding/xml"
	"io"
	"strings"
)

// JUnit XML, as CI systems (GitLab, Jenkins, test reporters) read it: one
// test suite per topic with findings (and one for findings about no
// topic, and one for each set of topics a shared change reaches, named
// after them), one test case per finding, a <failure> for findings at the
// failing severity. Files are relative to the repository, as CI systems
// link them. Topics that changed compatibly pass a test case each,
// so a clean run still shows what was checked.

// JUnitSuites is the root element of the junit format.
type JUnitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []JUnitSuite `xml:"testsuite"`
}

// JUnitSuite is a topic's test suite.
type JUnitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []JUnitCase `xml:"testcase"`
}

// JUnitCase is a finding, or a topic that passed.
type JUnitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Failure   *JUnitFailure `xml:"failure,omitempty"`
	SystemOut *JUnitText    `xml:"system-out,omitempty"`
}

// JUnitFailure is a finding at the failing severity.
type JUnitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

// JUnitText is an element's text, kept readable as CDATA.
type JUnitText struct {
	Text string `xml:",cdata"`
}

// noTopic names the suite of findings about no topic.
const noTopic = "repository"

func writeJUnit(w io.Writer, r *Report, o WriteOptions) error {
	doc := JUnitSuites{Name: "registry lint"}
	seen := map[string]bool{}
	for _, g := range r.groups() {
		name := g.topic
		if name == "" {
			name = noTopic
		}
		for _, t := range g.topics {
			seen[t] = true
		}
		suite := JUnitSuite{Name: name}
		for _, f := range g.findings {
			where := r.ciPosition(f)
			c := JUnitCase{Name: strings.TrimSpace(f.Rule + " " + where), ClassName: name, File: r.ciPath(f), Line: f.Line}
			text := where + ": " + string(f.Severity) + " " + f.Rule + ": " + f.Message
			if d := directionText(f); d != "" {
				text += "\nbreaks: " + d
			}
			if len(g.topics) > 1 {
				text += "\ntopics: " + g.topic
			}
			if len(f.Consumers) > 0 {
				text += "\nconsumers hurt: " + strings.Join(withTeams(r, f.Consumers), ", ")
			}
			if f.Severity.AtLeast(o.failOn()) {
				c.Failure = &JUnitFailure{Message: f.Message, Type: f.Rule, Text: text}
				suite.Failures++
			} else {
				c.SystemOut = &JUnitText{text}
			}
			suite.Cases = append(suite.Cases, c)
		}
		suite.Tests = len(suite.Cases)
		doc.Suites = append(doc.Suites, suite)
	}
	for _, t := range r.Topics {
		if seen[t.Topic] {
			continue
		}
		name := map[string]string{
			ChangeChanged: "compatible with " + r.Against,
			ChangeNew:     "new topic: nothing to compare with",
			ChangeDeleted: "deleted topic: no other service consumed it",
		}[t.Change]
		doc.Suites = append(doc.Suites, JUnitSuite{Name: t.Topic, Tests: 1, Cases: []JUnitCase{{Name: name, ClassName: t.Topic}}})
	}
	if len(doc.Suites) == 0 {
		doc.Suites = []JUnitSuite{{Name: noTopic, Tests: 1, Cases: []JUnitCase{{Name: "schemas load and follow the governance rules", ClassName: noTopic}}}}
	}
	for _, s := range doc.Suites {
		doc.Tests += s.Tests
		doc.Failures += s.Failures
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
