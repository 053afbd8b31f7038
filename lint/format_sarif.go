package lint

import (
	"encoding/json"
	"io"
	"net/url"
	"strings"

	registry "github.com/backbone-registry/backbone"
)

// SARIF 2.1.0 (OASIS), the subset code scanning reads: one run whose tool
// driver lists every rule, and one result per finding with its rule, level,
// message and location; a change reaching several topics is one result
// whose properties list them.

// SARIFSchema is the schema URI a SARIF log names.
const SARIFSchema = "https://json.schemastore.org/sarif-2.1.0.json"

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool               sarifTool               `json:"tool"`
	OriginalURIBaseIDs map[string]sarifURIBase `json:"originalUriBaseIds,omitempty"`
	Results            []sarifResult           `json:"results"`
	Invocations        []sarifInvocation       `json:"invocations"`
	Properties         map[string]any          `json:"properties,omitempty"`
}

type sarifURIBase struct {
	Description sarifMessage `json:"description"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool `json:"executionSuccessful"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string                     `json:"name"`
	InformationURI string                     `json:"informationUri,omitempty"`
	Version        string                     `json:"version,omitempty"`
	Rules          []sarifReportingDescriptor `json:"rules"`
}

type sarifReportingDescriptor struct {
	ID                   string             `json:"id"`
	ShortDescription     sarifMessage       `json:"shortDescription"`
	FullDescription      sarifMessage       `json:"fullDescription"`
	Help                 sarifMessage       `json:"help"`
	DefaultConfiguration sarifConfiguration `json:"defaultConfiguration"`
	Properties           map[string]any     `json:"properties,omitempty"`
}

type sarifConfiguration struct {
	Level string `json:"level"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID     string          `json:"ruleId"`
	RuleIndex  int             `json:"ruleIndex"`
	Level      string          `json:"level"`
	Message    sarifMessage    `json:"message"`
	Locations  []sarifLocation `json:"locations,omitempty"`
	Properties map[string]any  `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysicalLocation `json:"physicalLocation"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           *sarifRegion          `json:"region,omitempty"`
}

type sarifArtifactLocation struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

// sarifLevel maps a severity to a SARIF level.
func sarifLevel(s registry.Severity) string {
	switch s {
	case registry.SeverityError:
		return "error"
	case registry.SeverityWarning:
		return "warning"
	case registry.SeverityOff:
		return "none"
	}
	return "note"
}

// writeSARIF prints a SARIF 2.1.0 log for code scanning. File URIs are
// relative to the repository's top (uriBaseId %SRCROOT%), as GitHub
// expects, when the schema root is in a Git repository.
func writeSARIF(w io.Writer, r *Report, o WriteOptions) error {
	rules := Rules()
	index := map[string]int{}
	descriptors := make([]sarifReportingDescriptor, len(rules))
	for i, rule := range rules {
		index[rule.ID] = i
		help := rule.Doc
		if rule.Bad != "" {
			help += "\n\nBreaks: " + rule.Bad
		}
		if rule.Good != "" {
			help += "\nInstead: " + rule.Good
		}
		props := map[string]any{"category": rule.Category, "tags": []string{rule.Category}}
		if rule.Level != "" {
			props["level"] = rule.Level
		}
		if len(rule.Directions) > 0 {
			props["directions"] = rule.Directions
		}
		descriptors[i] = sarifReportingDescriptor{
			ID:                   rule.ID,
			ShortDescription:     sarifMessage{rule.Purpose},
			FullDescription:      sarifMessage{rule.Doc},
			Help:                 sarifMessage{help},
			DefaultConfiguration: sarifConfiguration{sarifLevel(rule.Default)},
			Properties:           props,
		}
	}
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name: "registry lint", InformationURI: "https://github.com/backbone-registry/backbone",
			Version: o.ToolVersion, Rules: descriptors,
		}},
		Results:     []sarifResult{},
		Invocations: []sarifInvocation{{ExecutionSuccessful: true}},
	}
	if r.inRepo {
		run.OriginalURIBaseIDs = map[string]sarifURIBase{"%SRCROOT%": {Description: sarifMessage{"The top of the Git repository holding the schema root."}}}
	}
	for _, f := range r.Findings {
		i, ok := index[f.Rule]
		if !ok {
			i = -1
		}
		res := sarifResult{RuleID: f.Rule, RuleIndex: i, Level: sarifLevel(f.Severity), Message: sarifMessage{sarifText(r, f)}}
		if file := r.ciPath(f); file != "" {
			loc := sarifLocation{PhysicalLocation: sarifPhysicalLocation{ArtifactLocation: sarifArtifactLocation{URI: uriPath(file)}}}
			if r.inRepo {
				loc.PhysicalLocation.ArtifactLocation.URIBaseID = "%SRCROOT%"
			}
			if f.Line > 0 {
				loc.PhysicalLocation.Region = &sarifRegion{StartLine: f.Line, StartColumn: f.Column}
			}
			res.Locations = []sarifLocation{loc}
		}
		props := map[string]any{}
		if f.Topic != "" {
			props["topic"] = f.Topic
			props["topics"] = f.TopicNames()
		}
		if f.Direction != "" {
			props["direction"] = f.Direction
		}
		if len(f.Directions) > 0 {
			props["directions"] = f.Directions
		}
		if len(f.Consumers) > 0 {
			props["consumers"] = f.Consumers
			props["teams"] = f.Teams
		}
		if len(props) > 0 {
			res.Properties = props
		}
		run.Results = append(run.Results, res)
	}
	if len(r.Notes) > 0 {
		run.Properties = map[string]any{"notes": r.Notes}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: SARIFSchema, Version: "2.1.0", Runs: []sarifRun{run}})
}

// sarifText is a result's message, with the topics it reaches (when
// several) and the consumers it hurts.
func sarifText(r *Report, f Finding) string {
	msg := f.Message
	if topics := f.TopicNames(); len(topics) > 1 {
		msg += "\nTopics: " + strings.Join(topics, ", ")
	}
	if len(f.Consumers) > 0 {
		msg += "\nConsumers hurt: " + strings.Join(withTeams(r, f.Consumers), ", ")
	}
	return msg
}

// uriPath escapes a slash-separated path as a relative URI reference.
func uriPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}
