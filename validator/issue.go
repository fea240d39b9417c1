package validator

// Severity of an issue, as in OperationOutcome.issue.severity.
type Severity string

// Severities.
const (
	SeverityFatal       Severity = "fatal"
	SeverityError       Severity = "error"
	SeverityWarning     Severity = "warning"
	SeverityInformation Severity = "information"
)

// Check names the kind of check that raised an issue. Each has its own code, reported in the
// OperationOutcome as issue.details.coding (system CheckSystem) next to the IssueType code.
type Check string

// The checks the validator performs.
const (
	CheckSyntax        Check = "json-syntax"         // the input is not well-formed JSON
	CheckDuplicate     Check = "duplicate-property"  // a property appears twice in one object
	CheckUnknown       Check = "unknown-element"     // a property the definitions do not have
	CheckJSONType      Check = "json-type"           // wrong JSON type (string for number, object for array...)
	CheckFormat        Check = "primitive-format"    // a primitive value breaks its type's lexical rules
	CheckCardinality   Check = "cardinality"         // too few or too many occurrences
	CheckChoice        Check = "choice-type"         // more than one value[x] form
	CheckResourceType  Check = "resource-type"       // resourceType missing, unknown or abstract
	CheckBinding       Check = "binding"             // a code outside a required value set
	CheckCodeSystem    Check = "code-system"         // a code a complete FHIR code system does not define
	CheckExtension     Check = "extension"           // extension structure (url, value xor extensions)
	CheckReference     Check = "reference"           // reference format or target type
	CheckContained     Check = "contained"           // contained resource rules (dom-2..dom-5)
	CheckBundle        Check = "bundle-entry"        // Bundle entry rules (fullUrl against id)
	CheckCompanion     Check = "primitive-companion" // the "_element" form of primitive extensions
	CheckEmpty         Check = "empty"               // empty objects, arrays or strings (ele-1)
	CheckProfile       Check = "profile"             // meta.profile declarations
	CheckInvariant     Check = "invariant"           // a FHIRPath invariant from the definitions failed
	CheckNarrative     Check = "narrative"           // the narrative XHTML (txt-1, txt-2)
	CheckLimit         Check = "limit"               // a safety limit stopped part of the validation
	CheckFixed         Check = "fixed-pattern"       // a profile's fixed or pattern value not met
	CheckSlicing       Check = "slicing"             // an item matching no slice of a closed slicing, or out of order
	CheckProfileType   Check = "profile-type"        // a type the profile does not allow
	CheckIdentifier    Check = "identifier"          // a national identifier that fails its check (NHS number)
	CheckQuestionnaire Check = "questionnaire"       // a QuestionnaireResponse against its Questionnaire
	// CheckStructureDef: a StructureDefinition whose constraints do not type-check or whose
	// differential gives no snapshot.
	CheckStructureDef Check = "structure-definition"
	CheckSignature    Check = "signature" // a Bundle's digital signature that does not verify
	CheckMeasure      Check = "measure"   // a MeasureReport against its Measure
	// CheckSecurity: text that looks like embedded HTML tags (WithSecurityChecks only).
	CheckSecurity Check = "security"
)

// CheckSystem is the code system URI of the Check codes in OperationOutcome output.
const CheckSystem = "https://jigsaw.nhs.uk/CodeSystem/validator-check"

// issueType maps each check to the OperationOutcome IssueType code.
var issueType = map[Check]string{
	CheckSyntax:        "structure",
	CheckDuplicate:     "structure",
	CheckUnknown:       "structure",
	CheckJSONType:      "structure",
	CheckFormat:        "value",
	CheckCardinality:   "required",
	CheckChoice:        "structure",
	CheckResourceType:  "structure",
	CheckBinding:       "code-invalid",
	CheckCodeSystem:    "code-invalid",
	CheckExtension:     "structure",
	CheckReference:     "value",
	CheckContained:     "invariant",
	CheckBundle:        "invariant",
	CheckCompanion:     "structure",
	CheckEmpty:         "invariant",
	CheckProfile:       "informational",
	CheckInvariant:     "invariant",
	CheckNarrative:     "invariant",
	CheckLimit:         "too-costly",
	CheckFixed:         "value",
	CheckSlicing:       "structure",
	CheckProfileType:   "structure",
	CheckIdentifier:    "value",
	CheckQuestionnaire: "structure",
	CheckStructureDef:  "invalid",
	CheckSignature:     "invalid",
	CheckMeasure:       "business-rule",
	CheckSecurity:      "invalid",
}

// Issue is one finding, shaped like an OperationOutcome issue.
type Issue struct {
	Severity   Severity `json:"severity"`
	Code       string   `json:"code"`  // OperationOutcome IssueType
	Check      Check    `json:"check"` // which check raised it
	Key        string   `json:"key,omitempty"`
	Expression string   `json:"expression,omitempty"` // FHIRPath-style location
	Message    string   `json:"message"`
	Line       int      `json:"line,omitempty"`
	Column     int      `json:"column,omitempty"`
	// Profile is the canonical URL of the profile whose rule raised the issue (profile
	// validation only).
	Profile string `json:"profile,omitempty"`
}
