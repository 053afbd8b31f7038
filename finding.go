package registry

// Finding is one rule's verdict on one place of the repository. Findings are
// data, not errors: what to do with them depends on their severity.
type Finding struct {
	Rule      string    `json:"rule"`
	Severity  Severity  `json:"severity"`
	Direction Direction `json:"direction,omitempty"` // for compatibility rules: BACKWARD, FORWARD or BOTH
	Topic     string    `json:"topic,omitempty"`
	Service   string    `json:"service,omitempty"`
	Position            // file, line and column of the offending declaration
	Message   string    `json:"message"`
	Consumers []string  `json:"consumers,omitempty"` // services hurt, for compatibility findings
}

// String formats f as "file:line:col: severity RULE: message".
func (f Finding) String() string {
	return f.Position.String() + ": " + string(f.Severity) + " " + f.Rule + ": " + f.Message
}

// Rule describes one rule of the catalogue.
type Rule struct {
	ID       string   `json:"id"`
	Category string   `json:"category"` // "governance", or "compatibility"
	Purpose  string   `json:"purpose"`  // one sentence
	Default  Severity `json:"default_severity"`
	Doc      string   `json:"doc"` // a paragraph: what it checks, why, how to fix

	// Compatibility rules only.
	Level      Level       `json:"level,omitempty"`      // the loosest level that includes the rule
	Directions []Direction `json:"directions,omitempty"` // which reader/writer directions it guards
	Bad        string      `json:"bad,omitempty"`        // an example change it reports
	Good       string      `json:"good,omitempty"`       // the compatible way to make that change
}

// Direction is one way data flows between two versions of a schema.
type Direction string

// Directions of compatibility. Backward: the new schema reads data written
// with an older one (consumers upgrade first). Forward: an older schema reads
// data written with the new one (producers upgrade first). A finding that
// breaks both says DirectionBoth.
const (
	DirectionBackward Direction = "BACKWARD"
	DirectionForward  Direction = "FORWARD"
	DirectionBoth     Direction = "BOTH"
)

// HasErrors reports whether any finding is at error severity.
func HasErrors(findings []Finding) bool {
	for _, f := range findings {
		if f.Severity == SeverityError {
			return true
		}
	}
	return false
}
