package registry

// Finding is one rule's verdict on one place of the repository. Findings are
// data, not errors: what to do with them depends on their severity.
//
// A finding is identified by its rule, position and message (which says
// what was and what is): one change to a message that many topics reach is
// one finding listing them all in Topics. Topic and Service then name the
// first of those topics and its owner, so that readers of single-topic
// findings keep working; where findings are produced for one topic only
// (a sync's rejection, a diff, the governance rules), Topics is empty and
// Topic is the one.
type Finding struct {
	Rule      string    `json:"rule"`
	Severity  Severity  `json:"severity"`
	Direction Direction `json:"direction,omitempty"` // for compatibility rules: BACKWARD, FORWARD or BOTH
	Topic     string    `json:"topic,omitempty"`
	Topics    []string  `json:"topics,omitempty"` // every topic the finding reaches, sorted (Topic is the first)
	Service   string    `json:"service,omitempty"`
	Position            // file, line and column of the offending declaration
	Message   string    `json:"message"`
	Consumers []string  `json:"consumers,omitempty"` // services hurt, for compatibility findings
}

// TopicNames returns the topics f is about: Topics, or Topic alone, or none.
func (f Finding) TopicNames() []string {
	switch {
	case len(f.Topics) > 0:
		return f.Topics
	case f.Topic != "":
		return []string{f.Topic}
	}
	return nil
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
