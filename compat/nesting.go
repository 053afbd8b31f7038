package compat

import (
	"unicode/utf8"

	registry "github.com/backbone-registry/backbone"
)

// The compiler's cost grows with the square of how deeply brackets nest (an
// option whose value is a message literal nested 10,000 levels deep, 40 KB
// of text, allocates 700 MB), and it cannot be interrupted once it parses.
// So every file is scanned first, in one pass and without allocating, and a
// file nested deeper than Limits.MaxNesting is refused before the compiler
// sees it. Below the limit the compiler's cost is linear in the input.

// scanNesting reports the first place in a .proto source where brackets
// ({, [, < and ( together, outside strings and comments) nest deeper than
// max levels, or nil. Unbalanced brackets are left to the compiler, which
// says more about them.
func scanNesting(file string, src []byte, max int, limits Limits) *registry.Diagnostic {
	if max <= 0 {
		return nil
	}
	depth := 0
	line, col := 1, 1
	var quote byte // the open string's quote, or 0
	lineComment, blockComment := false, false
	for i := 0; i < len(src); {
		c := src[i]
		size := 1
		if c >= utf8.RuneSelf {
			_, size = utf8.DecodeRune(src[i:])
		}
		next := byte(0)
		if i+1 < len(src) {
			next = src[i+1]
		}
		switch {
		case c == '\n':
			lineComment = false
			if quote != 0 {
				quote = 0 // the compiler reports the unterminated string
			}
		case lineComment:
		case blockComment:
			if c == '*' && next == '/' {
				blockComment = false
				i, col = i+2, col+2
				continue
			}
		case quote != 0:
			switch c {
			case '\\':
				if next != 0 && next != '\n' {
					i, col = i+2, col+2 // an escaped byte cannot close the string
					continue
				}
			case quote:
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '/' && next == '/':
			lineComment = true
		case c == '/' && next == '*':
			blockComment = true
			i, col = i+2, col+2
			continue
		case c == '{' || c == '[' || c == '<' || c == '(':
			depth++
			if depth > max {
				return &registry.Diagnostic{
					Position: registry.Position{File: file, Line: line, Column: col},
					Message:  limits.TooNested(max),
				}
			}
		case c == '}' || c == ']' || c == '>' || c == ')':
			if depth > 0 {
				depth--
			}
		}
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += size
	}
	return nil
}
