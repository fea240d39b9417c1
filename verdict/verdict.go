// Package verdict is the vocabulary every part of Jigsaw uses to speak about the outcome of a
// check: its status, how much a failure matters, and the rule row that carries expected,
// observed, the source clause and the evidence behind it. Probes, the fleet crawler, the
// evidence store, scoring and the renderers all use these types, so a status is spelled once.
//
// It is a leaf: it imports nothing of Jigsaw's.
package verdict

// Status is the outcome of one check, after Inferno's test states. Only Pass, Fail and Warn are
// judgements; the others say why no judgement was made and are never a pass or a fail.
type Status string

// Check outcomes. A requirement's strength maps to the status a breach gets: SHALL → Fail,
// SHOULD → Warn, MAY → Info.
const (
	// Pass: the requirement was tested and met.
	Pass Status = "pass"
	// Fail: a SHALL requirement was tested and not met.
	Fail Status = "fail"
	// Warn: a SHOULD requirement was tested and not met, or the official test suite is stricter
	// than the specification and the server meets only the specification.
	Warn Status = "warn"
	// Info: an observation against a MAY, recorded for the inspector, neither met nor breached.
	Info Status = "info"
	// Skip: the check did not run because something it depends on failed or is absent (the
	// root finding is reported by another check).
	Skip Status = "skip"
	// NotApplicable: the server does not claim the capability the check tests.
	NotApplicable Status = "not-applicable"
	// Error: could not test — the inspector's set-up, the network or the tool stopped the check.
	Error Status = "error"
)

// Statuses lists every status, judgements first, in the order summaries print them.
var Statuses = []Status{Pass, Warn, Fail, Info, Skip, NotApplicable, Error}

// Valid reports whether s is one of the statuses above.
func (s Status) Valid() bool {
	switch s {
	case Pass, Fail, Warn, Info, Skip, NotApplicable, Error:
		return true
	}
	return false
}

// Judged reports whether the check reached a judgement on the requirement (pass, warn or fail).
func (s Status) Judged() bool { return s == Pass || s == Warn || s == Fail }

// CouldNotTest reports whether the check was stopped before it could judge (Error).
func (s Status) CouldNotTest() bool { return s == Error }

// Label is the status as an inspector reads it in a report.
func (s Status) Label() string {
	switch s {
	case Pass:
		return "Pass"
	case Fail:
		return "Fail"
	case Warn:
		return "Warning"
	case Info:
		return "Info"
	case Skip:
		return "Skipped"
	case NotApplicable:
		return "Not applicable"
	case Error:
		return "Could not test"
	}
	return string(s)
}

// Severity says how much a failure matters to an inspector.
type Severity string

// Severities, most serious first.
const (
	Critical      Severity = "critical"
	High          Severity = "high"
	Medium        Severity = "medium"
	Low           Severity = "low"
	Informational Severity = "info"
)

// Severities lists every severity, most serious first.
var Severities = []Severity{Critical, High, Medium, Low, Informational}

// Valid reports whether s is one of the severities above.
func (s Severity) Valid() bool {
	switch s {
	case Critical, High, Medium, Low, Informational:
		return true
	}
	return false
}

// Rank orders severities: Critical is 0, Informational 4, anything unknown after them.
func (s Severity) Rank() int {
	switch s {
	case Critical:
		return 0
	case High:
		return 1
	case Medium:
		return 2
	case Low:
		return 3
	case Informational:
		return 4
	}
	return 5
}

// Finding is one rule row: which rule, its outcome, what was expected and observed, the clause
// the expectation rests on, and the ids of the evidence that shows it.
type Finding struct {
	RuleID   string   `json:"rule_id"`
	Title    string   `json:"title"`
	Status   Status   `json:"status" jsonschema:"enum=pass,enum=fail,enum=warn,enum=info,enum=skip,enum=not-applicable,enum=error"`
	Severity Severity `json:"severity" jsonschema:"enum=critical,enum=high,enum=medium,enum=low,enum=info"`
	Expected string   `json:"expected"`
	Observed string   `json:"observed"`
	// SpecRef is the source clause: a versioned URL and the exact requirement.
	SpecRef string `json:"spec_ref"`
	// Evidence are the ids of the evidence rows (exchanges, attestations) behind the finding.
	Evidence []string `json:"evidence,omitempty"`
}

// Strength is how strongly a specification states a requirement (RFC 2119 / FHIR conformance
// language). It decides the status a breach gets.
type Strength string

// Requirement strengths.
const (
	Shall  Strength = "SHALL"
	Should Strength = "SHOULD"
	May    Strength = "MAY"
)

// Breach is the status a requirement of this strength gets when it is not met: SHALL fails,
// SHOULD warns, MAY is only information.
func (s Strength) Breach() Status {
	switch s {
	case Shall:
		return Fail
	case Should:
		return Warn
	}
	return Info
}
