package validator

import "fmt"

// OperationOutcome is the FHIR resource that reports validation issues.
type OperationOutcome struct {
	ResourceType string         `json:"resourceType"`
	Issue        []OutcomeIssue `json:"issue"`
}

// OutcomeIssue is OperationOutcome.issue.
type OutcomeIssue struct {
	Extension   []OutcomeExtension `json:"extension,omitempty"`
	Severity    Severity           `json:"severity"`
	Code        string             `json:"code"`
	Details     *OutcomeDetails    `json:"details,omitempty"`
	Diagnostics string             `json:"diagnostics,omitempty"`
	Location    []string           `json:"location,omitempty"`
	Expression  []string           `json:"expression,omitempty"`
}

// OutcomeExtension carries the line and column, as the HL7 validator does.
type OutcomeExtension struct {
	URL          string `json:"url"`
	ValueInteger int    `json:"valueInteger"`
}

// OutcomeDetails names the check in a CodeableConcept.
type OutcomeDetails struct {
	Coding []OutcomeCoding `json:"coding"`
	Text   string          `json:"text,omitempty"`
}

// OutcomeCoding is a Coding.
type OutcomeCoding struct {
	System string `json:"system"`
	Code   string `json:"code"`
}

// Extension URLs for the position of an issue.
const (
	ExtIssueLine = "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-line"
	ExtIssueCol  = "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-col"
)

// Outcome renders issues as an OperationOutcome. An empty list gives the "all OK" information
// issue FHIR servers return, since an OperationOutcome needs at least one issue.
func Outcome(issues []Issue) OperationOutcome {
	oo := OperationOutcome{ResourceType: "OperationOutcome", Issue: []OutcomeIssue{}}
	for _, is := range issues {
		oi := OutcomeIssue{Severity: is.Severity, Code: is.Code,
			Details:     &OutcomeDetails{Coding: []OutcomeCoding{{System: CheckSystem, Code: string(is.Check)}}, Text: is.Message},
			Diagnostics: is.Message}
		if is.Key != "" {
			oi.Details.Coding = append(oi.Details.Coding, OutcomeCoding{System: "http://hl7.org/fhir/constraint-key", Code: is.Key})
		}
		if is.Line > 0 {
			oi.Extension = []OutcomeExtension{{URL: ExtIssueLine, ValueInteger: is.Line}, {URL: ExtIssueCol, ValueInteger: is.Column}}
			oi.Location = []string{fmt.Sprintf("Line[%d] Col[%d]", is.Line, is.Column)}
		}
		if is.Expression != "" {
			oi.Expression = []string{is.Expression}
		}
		oo.Issue = append(oo.Issue, oi)
	}
	if len(oo.Issue) == 0 {
		oo.Issue = append(oo.Issue, OutcomeIssue{Severity: SeverityInformation, Code: "informational", Diagnostics: "No issues detected during validation"})
	}
	return oo
}
