package catalog

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"

	registry "github.com/backbone-registry/backbone"
)

// The YAML documents of a schema repository, as written. Decoding is strict:
// an unknown key is an error that names its line and column.

// repoConfig is registry.yaml.
type repoConfig struct {
	Company  str `yaml:"company"`
	Defaults struct {
		Compatibility str `yaml:"compatibility"`
		Level         str `yaml:"level"`
	} `yaml:"defaults"`
	Governance map[string]str `yaml:"governance"`
	Limits     limitsConfig   `yaml:"limits"`
}

// serviceConfig is <namespace>/<service>/service.yaml.
type serviceConfig struct {
	Description str           `yaml:"description"`
	Owner       str           `yaml:"owner"`
	Contact     str           `yaml:"contact"`
	Topics      []topicConfig `yaml:"topics"`
	Produces    []str         `yaml:"produces"`
	Consumes    []str         `yaml:"consumes"`
}

// topicConfig is one entry of a service's topics list.
type topicConfig struct {
	Name          str               `yaml:"name"`
	Description   str               `yaml:"description"`
	Value         str               `yaml:"value"`
	Values        []str             `yaml:"values"`
	Key           str               `yaml:"key"`
	Compatibility str               `yaml:"compatibility"`
	Level         str               `yaml:"level"`
	Deprecated    *deprecatedConfig `yaml:"deprecated"`
	Except        []str             `yaml:"except"`

	at at // the entry's first key
}

type deprecatedConfig struct {
	Since      str `yaml:"since"`
	Sunset     str `yaml:"sunset"`
	ReplacedBy str `yaml:"replaced_by"`

	at at
}

// at is a line and column in a YAML file (1-based; zero when absent).
type at struct{ Line, Column int }

func (a at) in(file string) registry.Position {
	return registry.Position{File: file, Line: a.Line, Column: a.Column}
}

func atNode(n ast.Node) at {
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return at{}
	}
	return at{Line: tk.Position.Line, Column: tk.Position.Column}
}

// str is a scalar string that remembers where it was written.
type str struct {
	Value string
	at    at
}

// UnmarshalYAML implements yaml.NodeUnmarshaler.
func (s *str) UnmarshalYAML(n ast.Node) error {
	s.at = atNode(n)
	switch v := n.(type) {
	case *ast.StringNode:
		s.Value = v.Value
	case *ast.NullNode:
		s.Value = ""
	case *ast.LiteralNode: // | and > blocks: the decoded text, not the YAML source
		s.Value = v.Value.Value
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		s.Value = v.GetToken().Value // as written: 1.10 stays 1.10, 0x1F stays 0x1F
	default:
		if sc, ok := n.(ast.ScalarNode); ok {
			s.Value = fmt.Sprint(sc.GetValue())
			return nil
		}
		return &yaml.SyntaxError{Message: "want a string, got " + n.Type().String(), Token: n.GetToken()}
	}
	return nil
}

// UnmarshalYAML implements yaml.NodeUnmarshaler, decoding strictly while
// remembering where the entry starts.
func (t *topicConfig) UnmarshalYAML(n ast.Node) error {
	type plain topicConfig
	if err := yaml.NodeToValue(n, (*plain)(t), yaml.Strict()); err != nil {
		return err
	}
	t.at = atNode(n)
	if m, ok := n.(*ast.MappingNode); ok && len(m.Values) > 0 {
		t.at = atNode(m.Values[0].Key)
	}
	return nil
}

// UnmarshalYAML implements yaml.NodeUnmarshaler.
func (d *deprecatedConfig) UnmarshalYAML(n ast.Node) error {
	type plain deprecatedConfig
	if err := yaml.NodeToValue(n, (*plain)(d), yaml.Strict()); err != nil {
		return err
	}
	d.at = atNode(n) // a flow mapping's {
	if m, ok := n.(*ast.MappingNode); ok && !m.IsFlowStyle && len(m.Values) > 0 {
		d.at = atNode(m.Values[0].Key) // a block mapping's token is its first colon
	}
	return nil
}

// decodeYAML decodes data strictly into v, turning any error into a
// diagnostic located in file.
func decodeYAML(file string, data []byte, v any) (d *registry.Diagnostic) {
	defer func() {
		// go-yaml v1.19.2 panics on some malformed input, e.g. a tag on a
		// list ("topics: !!seq", goccy/go-yaml#735). The content is
		// untrusted: report it, never crash.
		if r := recover(); r != nil {
			d = &registry.Diagnostic{Position: registry.Position{File: file}, Message: "malformed YAML that the parser cannot read"}
		}
	}()
	err := yaml.UnmarshalWithOptions(data, v, yaml.Strict())
	if err == nil {
		return nil
	}
	d = &registry.Diagnostic{Position: registry.Position{File: file}, Message: err.Error()}
	var yerr yaml.Error
	if errors.As(err, &yerr) {
		d.Message = yerr.GetMessage()
		if tk := yerr.GetToken(); tk != nil && tk.Position != nil {
			d.Line, d.Column = tk.Position.Line, tk.Position.Column
			if line, col, ok := overIndented(data, tk); ok {
				d.Line, d.Column = line, col
				d.Message = "bad indentation: this key is indented deeper than the key above it, so it reads as part of the value above (" + d.Message + ")"
			}
		}
	}
	return d
}

// overIndented recognises the error go-yaml gives for a key indented deeper
// than its siblings ("a: b\n  c: d"): the over-indented line folds into the
// plain scalar above it, and the error names that scalar, a line or more too
// early. It returns the line of the offending key and the column where it
// starts.
func overIndented(data []byte, tk *token.Token) (line, col int, ok bool) {
	next := tk.Next
	if tk.Type != token.StringType || next == nil || next.Type != token.MappingValueType ||
		next.Position == nil || next.Position.Line <= tk.Position.Line {
		return 0, 0, false
	}
	line = next.Position.Line
	lines := bytes.Split(data, []byte("\n"))
	if line > len(lines) {
		return 0, 0, false
	}
	text := lines[line-1]
	col = len(text) - len(bytes.TrimLeft(text, " \t")) + 1
	return line, col, true
}
