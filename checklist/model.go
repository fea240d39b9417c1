// Package checklist holds the versioned catalogue of interoperability requirements: the model,
// loading with file:line:column errors, validation, diffs between versions and the embedded
// catalogue. It knows nothing of HTTP or SQL.
package checklist

import "github.com/nhs-jigsaw/jigsaw/schemas/yamldoc"

// OrgType is the kind of care organisation an item may be mandatory for.
type OrgType string

// The organisation types an assessment can be run for.
const (
	AcuteTrust         OrgType = "acute-trust"
	MentalHealthTrust  OrgType = "mental-health-trust"
	CommunityTrust     OrgType = "community-trust"
	AmbulanceTrust     OrgType = "ambulance-trust"
	GPPractice         OrgType = "gp-practice"
	ICB                OrgType = "icb"
	SocialCareProvider OrgType = "social-care-provider"
)

// OrgTypes lists every organisation type in a stable order.
func OrgTypes() []OrgType {
	return []OrgType{AcuteTrust, MentalHealthTrust, CommunityTrust, AmbulanceTrust, GPPractice, ICB, SocialCareProvider}
}

// Checklist is one version of a catalogue, for example nhs-interop@2026.1.
type Checklist struct {
	ID          string   `yaml:"id" json:"id" jsonschema:"pattern=^[a-z][a-z0-9-]*$,description=Stable catalogue id"`
	Version     string   `yaml:"version" json:"version" jsonschema:"pattern=^[0-9]{4}\\.[0-9]+$,description=Catalogue version YYYY.N"`
	Title       string   `yaml:"title" json:"title" jsonschema:"minLength=1"`
	Description string   `yaml:"description,omitempty" json:"description,omitempty"`
	Publisher   string   `yaml:"publisher,omitempty" json:"publisher,omitempty"`
	Published   string   `yaml:"published,omitempty" json:"published,omitempty" jsonschema:"format=date"`
	Domains     []Domain `yaml:"domains" json:"domains" jsonschema:"minItems=1"`

	// SHA256 is the hex SHA-256 of the file the checklist was read from; assessments record it
	// with the id and version so a result can be tied to the exact text that was assessed.
	SHA256 string `yaml:"-" json:"-"`
	// Source names the file (or embedded catalogue path) the checklist was read from.
	Source string `yaml:"-" json:"-"`

	// doc maps field paths back to file positions for validation errors.
	doc *yamldoc.Document
}

// Domain groups items that are scored together (for example "terminology").
type Domain struct {
	ID          string `yaml:"id" json:"id" jsonschema:"pattern=^[a-z][a-z0-9-]*$"`
	Title       string `yaml:"title" json:"title" jsonschema:"minLength=1"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	Items       []Item `yaml:"items" json:"items" jsonschema:"minItems=1"`
}

// Item is one requirement. Its ID is stable across catalogue versions so results compare
// between assessment cycles.
type Item struct {
	ID           string      `yaml:"id" json:"id" jsonschema:"pattern=^[A-Z]{2\\,6}-[0-9]{2\\,3}$,description=Stable item id such as TERM-01"`
	Title        string      `yaml:"title" json:"title" jsonschema:"minLength=1"`
	Question     string      `yaml:"question" json:"question" jsonschema:"minLength=1,description=The question an inspector asks"`
	Guidance     string      `yaml:"guidance" json:"guidance" jsonschema:"minLength=1"`
	Evidence     []string    `yaml:"evidence" json:"evidence" jsonschema:"minItems=1,description=Evidence an inspector expects to see"`
	Levels       Levels      `yaml:"levels" json:"levels"`
	Weight       int         `yaml:"weight" json:"weight" jsonschema:"minimum=1,maximum=5"`
	MandatoryFor []OrgType   `yaml:"mandatory_for,omitempty" json:"mandatory_for,omitempty"`
	Critical     bool        `yaml:"critical,omitempty" json:"critical,omitempty" jsonschema:"description=A failure here is a critical safety or security failure (rating Inadequate and a Warning Notice flag)"`
	References   []Reference `yaml:"references" json:"references" jsonschema:"minItems=1"`
	Probes       []string    `yaml:"probes,omitempty" json:"probes,omitempty" jsonschema:"description=Ids of the probes that evidence this item"`
	// Layer tags the item with the interoperability layer it tests, so reports can show an
	// organisation that is strong technically but weak organisationally.
	Layer Layer `yaml:"layer,omitempty" json:"layer,omitempty" jsonschema:"description=Interoperability layer (HIMSS/EIF): foundational\\, structural\\, semantic or organisational"`
}

// Layer is one of the four interoperability layers of the HIMSS definition (the EIF's
// technical, semantic, organisational and legal layers map onto them).
type Layer string

// The interoperability layers, from connectivity up to governance.
const (
	Foundational   Layer = "foundational"
	Structural     Layer = "structural"
	Semantic       Layer = "semantic"
	Organisational Layer = "organisational"
)

// Layers lists every layer in order.
func Layers() []Layer { return []Layer{Foundational, Structural, Semantic, Organisational} }

// MandatoryForType reports whether the item is mandatory for organisations of type t.
func (it *Item) MandatoryForType(t OrgType) bool {
	for _, m := range it.MandatoryFor {
		if m == t {
			return true
		}
	}
	return false
}

// Levels are the achievement statements: 1 not achieved, 2 partially achieved, 3 achieved,
// 4 exceeds.
type Levels struct {
	NotAchieved       string `yaml:"1" json:"1" jsonschema:"minLength=1,description=Level 1: not achieved"`
	PartiallyAchieved string `yaml:"2" json:"2" jsonschema:"minLength=1,description=Level 2: partially achieved"`
	Achieved          string `yaml:"3" json:"3" jsonschema:"minLength=1,description=Level 3: achieved"`
	Exceeds           string `yaml:"4" json:"4" jsonschema:"minLength=1,description=Level 4: exceeds"`
}

// Statement returns the achievement statement for level 1..4, or "" for any other level.
func (l Levels) Statement(level int) string {
	switch level {
	case 1:
		return l.NotAchieved
	case 2:
		return l.PartiallyAchieved
	case 3:
		return l.Achieved
	case 4:
		return l.Exceeds
	}
	return ""
}

// Reference points at the framework clause or standard an item rests on.
type Reference struct {
	Framework string `yaml:"framework" json:"framework" jsonschema:"minLength=1,description=For example CQC SAF\\, DSPT/CAF\\, DCB0160\\, UK Core"`
	Clause    string `yaml:"clause,omitempty" json:"clause,omitempty"`
	URL       string `yaml:"url,omitempty" json:"url,omitempty" jsonschema:"format=uri"`
}
