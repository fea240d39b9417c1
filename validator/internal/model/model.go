// Package model holds the compact form of the FHIR definitions the validator needs: element trees
// taken from StructureDefinitions, primitive type rules, and expansions of the value sets that
// required bindings use. The generator builds it from a FHIR package; the validator decodes the
// embedded copy at start-up.
package model

import (
	"bytes"
	"compress/gzip"
	"encoding/gob"
	"fmt"
	"io"
)

// FormatVersion changes whenever the encoded layout changes, so stale embedded data is refused.
const FormatVersion = 4

// Definitions is everything the validator knows for one FHIR version.
type Definitions struct {
	Format      int
	FHIRVersion string   // e.g. "4.0.1"
	Sources     []string // packages read, "name#version"
	Structures  []Structure
	Constraints []Constraint // shared table; elements refer to it by index
	ValueSets   []ValueSet
	// Questionnaires are kept whole (JSON) from packages given at run time, to validate
	// QuestionnaireResponses against them; the embedded definitions hold none.
	Questionnaires []RawResource
	// Measures are kept whole (JSON) from packages given at run time, to validate
	// MeasureReports against them; the embedded definitions hold none.
	Measures []RawResource
	// GlobalProfiles are ImplementationGuide.global declarations: every resource of Type is
	// validated against Profile.
	GlobalProfiles []GlobalProfile
}

// RawResource is a resource kept as JSON, by canonical URL.
type RawResource struct {
	URL  string
	JSON string
}

// GlobalProfile is one ImplementationGuide.global entry.
type GlobalProfile struct {
	Type    string
	Profile string
}

// Structure is one StructureDefinition: a type definition (derivation specialization or a base
// type) or a profile (derivation constraint).
type Structure struct {
	URL            string
	Name           string
	Type           string // the type defined or constrained, e.g. "Patient", "Extension"
	Kind           string // primitive-type, complex-type, resource, logical
	Abstract       bool
	Derivation     string // specialization, constraint, or "" for base types
	BaseDefinition string
	Regex          string // primitive types: the value regex from the definition
	// Differential is set when the package gave only a differential (UK Core): Elements then
	// hold the differential, not a full snapshot.
	Differential bool
	Elements     []Element
	// Contexts are where an extension may be used (extension definitions only), each
	// "type:expression" — R4 context types element, extension and fhirpath; STU3 context types
	// resource, datatype and extension.
	Contexts []string
	// Problem says why a profile cannot be used (its snapshot could not be generated).
	Problem string
}

// Element is one ElementDefinition.
type Element struct {
	ID          string
	Path        string
	SliceName   string
	Min         int32
	Max         int32 // -1 when unbounded ("*")
	Types       []TypeRef
	ContentRef  string // path of the element whose definition is reused, without '#'
	Fixed       string // JSON of fixed[x], with FixedType naming the [x] type
	FixedType   string
	Pattern     string // JSON of pattern[x]
	PatternType string
	Binding     *Binding
	Constraints []int32 // indexes into Definitions.Constraints
	// Attribute marks elements represented in JSON as a bare property with no "_name"
	// companion: Element.id and Extension.url (XML attributes), and System.* typed values.
	Attribute bool
	MaxLength int32
	Slicing   *Slicing
	// MustSupport is reported, never enforced.
	MustSupport bool
	// BaseMin and BaseMax are the cardinality of the element in the base type (ElementDefinition.base),
	// so that a profile's cardinality is reported only where it is stricter than the base's,
	// which the base validation already checks.
	BaseMin, BaseMax int32
	// MinValue and MaxValue are the JSON of minValue[x] and maxValue[x] (profiles).
	MinValue, MaxValue string
	// IsModifier marks modifier elements (an extension definition's root: a modifier extension).
	IsModifier bool
}

// TypeRef is one allowed type of an element.
type TypeRef struct {
	Code           string // FHIR type name, or a System.* type for primitive values
	Profiles       []string
	TargetProfiles []string
}

// Binding ties a coded element to a value set.
type Binding struct {
	Strength string
	ValueSet string // canonical URL without version
	// Additional are R5 additional bindings, given in R4 and STU3 profiles by the cross-version
	// extension ElementDefinition.binding.additional or the tools extension additional-binding.
	Additional []AdditionalBinding
}

// AdditionalBinding is one additional binding: its purpose (required, extensible, maximum,
// minimum, current, preferred, ui, starter, component) and value set.
type AdditionalBinding struct {
	Purpose  string
	ValueSet string // canonical URL without version
}

// Slicing describes how a repeating element is sliced (profiles only).
type Slicing struct {
	Discriminators []Discriminator
	Rules          string
	Ordered        bool
}

// Discriminator says how slices are told apart.
type Discriminator struct {
	Type string
	Path string
}

// Constraint is an invariant with its FHIRPath expression.
type Constraint struct {
	Key        string
	Severity   string // error or warning
	Human      string
	Expression string
	Source     string // URL of the structure that defined it
}

// ValueSet is an expansion of a value set used by a required binding. Complete is false when the
// generator could not expand it from the package (it includes an external code system such as
// UCUM or BCP-47); such value sets are never used to reject a code.
type ValueSet struct {
	URL      string
	Complete bool
	Reason   string // why the expansion is incomplete
	Systems  []string
	Codes    []Code
	// IncludeSystems are the code systems the value set draws on (compose.include.system), kept
	// for incomplete expansions so that a code from another system can still be refused.
	IncludeSystems []string
}

// Code is one member of an expansion.
type Code struct {
	System  int32 // index into ValueSet.Systems
	Code    string
	Display string
}

// Encode writes d as gzip-compressed gob.
func Encode(w io.Writer, d *Definitions) error {
	d.Format = FormatVersion
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	if err := gob.NewEncoder(zw).Encode(d); err != nil {
		return fmt.Errorf("encode definitions: %w", err)
	}
	return zw.Close()
}

// Decode reads definitions written by Encode.
func Decode(data []byte) (*Definitions, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode definitions: %w", err)
	}
	var d Definitions
	if err := gob.NewDecoder(zr).Decode(&d); err != nil {
		return nil, fmt.Errorf("decode definitions: %w", err)
	}
	if d.Format != FormatVersion {
		return nil, fmt.Errorf("decode definitions: format %d, want %d (regenerate with go generate ./validator/...)", d.Format, FormatVersion)
	}
	return &d, nil
}
