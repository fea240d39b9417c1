// Package answers reads self-assessment answers files: an organisation's (or an inspector's)
// answer to each checklist item, with the level claimed, its provenance and the evidence seen.
// Files are YAML, validated strictly against the published schema and against the checklist
// they answer, with every problem reported as file:line:column: field: message.
package answers

import (
	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/schemas/yamldoc"
)

// Status says whether an item was answered on the 1–4 scale or left out of scoring.
type Status string

// Answer statuses. Only Answered carries a level; the others are reported, never scored as a pass.
const (
	Answered      Status = "answered"
	NotApplicable Status = "not-applicable"
	NotReviewed   Status = "not-reviewed"
	Waived        Status = "waived"
)

// Statuses lists every status in a stable order.
func Statuses() []Status { return []Status{Answered, NotApplicable, NotReviewed, Waived} }

// Provenance says who stands behind an answer. Probe verification is recorded by the tool
// itself, never claimed in an answers file.
type Provenance string

// Provenances an answers file may claim.
const (
	SelfAssessed      Provenance = "self-assessed"
	InspectorVerified Provenance = "inspector-verified"
)

// Provenances lists every provenance an answers file may claim.
func Provenances() []Provenance { return []Provenance{SelfAssessed, InspectorVerified} }

// File is one answers file: who answered which checklist for which organisation.
type File struct {
	// Checklist is the id@version the answers are for, for example nhs-interop@2026.1.
	Checklist    string       `yaml:"checklist" json:"checklist" jsonschema:"pattern=^[a-z][a-z0-9-]*@[0-9]{4}\\.[0-9]+$,description=Checklist id@version the answers are for"`
	Organisation Organisation `yaml:"organisation" json:"organisation"`
	AnsweredBy   string       `yaml:"answered_by" json:"answered_by" jsonschema:"minLength=1,description=Who answered (name and role)"`
	AnsweredAt   string       `yaml:"answered_at" json:"answered_at" jsonschema:"pattern=^[0-9]{4}-[0-9]{2}-[0-9]{2}(T.+)?$,description=Date (YYYY-MM-DD) or RFC 3339 time the answers were given"`
	Answers      []Answer     `yaml:"answers" json:"answers" jsonschema:"minItems=1"`

	// SHA256 is the hex SHA-256 of the file the answers were read from.
	SHA256 string `yaml:"-" json:"-"`
	// Source names the file the answers were read from.
	Source string `yaml:"-" json:"-"`

	doc *yamldoc.Document
}

// Organisation is the organisation the answers describe.
type Organisation struct {
	ODS  string            `yaml:"ods" json:"ods" jsonschema:"pattern=^[A-Z0-9]{3\\,6}$,description=ODS organisation code"`
	Name string            `yaml:"name" json:"name" jsonschema:"minLength=1"`
	Type checklist.OrgType `yaml:"type" json:"type"`
}

// Answer is the answer to one checklist item.
type Answer struct {
	Item       string     `yaml:"item" json:"item" jsonschema:"pattern=^[A-Z]{2\\,6}-[0-9]{2\\,3}$,description=Checklist item id"`
	Status     Status     `yaml:"status" json:"status"`
	Level      int        `yaml:"level,omitempty" json:"level,omitempty" jsonschema:"minimum=1,maximum=4,description=Level claimed (1 not achieved … 4 exceeds); required when answered"`
	Provenance Provenance `yaml:"provenance" json:"provenance"`
	Evidence   []Document `yaml:"evidence,omitempty" json:"evidence,omitempty" jsonschema:"description=Documents seen in support of the answer"`
	Owner      string     `yaml:"owner,omitempty" json:"owner,omitempty" jsonschema:"description=Who owns the item in the organisation"`
	Notes      string     `yaml:"notes,omitempty" json:"notes,omitempty"`
	Waiver     *Waiver    `yaml:"waiver,omitempty" json:"waiver,omitempty" jsonschema:"description=Required when status is waived"`
}

// Document is a piece of evidence seen: a policy, agreement, report or export.
type Document struct {
	Name   string `yaml:"name" json:"name" jsonschema:"minLength=1"`
	SHA256 string `yaml:"sha256,omitempty" json:"sha256,omitempty" jsonschema:"pattern=^[0-9a-f]{64}$,description=Hex SHA-256 of the document as seen"`
}

// Waiver takes an item out of scoring until it expires; it is always shown in reports.
type Waiver struct {
	Reason  string `yaml:"reason" json:"reason" jsonschema:"minLength=1"`
	Expires string `yaml:"expires" json:"expires" jsonschema:"format=date,description=Last day the waiver applies (YYYY-MM-DD)"`
}

// Find returns the answer for item id, or nil.
func (f *File) Find(id string) *Answer {
	for i := range f.Answers {
		if f.Answers[i].Item == id {
			return &f.Answers[i]
		}
	}
	return nil
}
