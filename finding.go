package registry

// Finding is one rule's verdict on one place of the repository. Findings are
// data, not errors: what to do with them depends on their severity.
type Finding struct {
	Rule      string   `json:"rule"`
	Severity  Severity `json:"severity"`
	Direction string   `json:"direction,omitempty"` // for compatibility rules: BACKWARD or FORWARD
	Topic     string   `json:"topic,omitempty"`
	Service   string   `json:"service,omitempty"`
	Position           // file, line and column of the offending declaration
	Message   string   `json:"message"`
	Consumers []string `json:"consumers,omitempty"` // services hurt, for compatibility findings
}

// String formats f as "file:line:col: severity RULE: message".
func (f Finding) String() string {
	return f.Position.String() + ": " + string(f.Severity) + " " + f.Rule + ": " + f.Message
}

// Rule describes one rule of the catalogue.
type Rule struct {
	ID       string   `json:"id"`
	Category string   `json:"category"` // "governance", or a compatibility category
	Purpose  string   `json:"purpose"`  // one sentence
	Default  Severity `json:"default_severity"`
	Doc      string   `json:"doc"` // a paragraph: what it checks, why, how to fix
}

// HasErrors reports whether any finding is at error severity.
func HasErrors(findings []Finding) bool {
	for _, f := range findings {
		if f.Severity == SeverityError {
			return true
		}
	}
	return false
}
