package sandbox

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// The in-memory store: every record pre-rendered as JSON (the data never changes while the
// server runs) with a small search index beside it.

type paramType int

const (
	paramToken paramType = iota
	paramString
	paramDate
	paramReference
)

func (t paramType) String() string {
	return [...]string{"token", "string", "date", "reference"}[t]
}

// paramDef is a search parameter a resource type supports.
type paramDef struct {
	name       string
	typ        paramType
	definition string // canonical URL of the SearchParameter in FHIR R4
	doc        string
	target     string // for references: the type a bare id refers to
}

// resourceDef is a resource type the server serves.
type resourceDef struct {
	name   string
	params []paramDef
}

func (d *resourceDef) param(name string) *paramDef {
	for i := range d.params {
		if d.params[i].name == name {
			return &d.params[i]
		}
	}
	return nil
}

const spBase = "http://hl7.org/fhir/SearchParameter/"

var (
	paramID          = paramDef{"_id", paramToken, spBase + "Resource-id", "Logical id of the resource", ""}
	paramLastUpdated = paramDef{"_lastUpdated", paramDate, spBase + "Resource-lastUpdated", "When the resource version last changed", ""}
	paramPatient     = paramDef{"patient", paramReference, spBase + "clinical-patient", "The patient the record is about (Patient/id or id)", "Patient"}
	paramCode        = paramDef{"code", paramToken, spBase + "clinical-code", "Code, as system|code, |code or code", ""}
)

func subjectParam(typ string) paramDef {
	return paramDef{"subject", paramReference, spBase + typ + "-subject", "The subject of the record (Patient/id or id)", "Patient"}
}

// resourceDefs lists the types served, in CapabilityStatement order.
var resourceDefs = []*resourceDef{
	{name: "Patient", params: []paramDef{
		paramID, paramLastUpdated,
		{"identifier", paramToken, spBase + "Patient-identifier", "A patient identifier, e.g. https://fhir.nhs.uk/Id/nhs-number|9990000018", ""},
		{"family", paramString, spBase + "individual-family", "Family name (starts with, case and accent insensitive)", ""},
		{"given", paramString, spBase + "individual-given", "Given name (starts with, case and accent insensitive)", ""},
		{"name", paramString, spBase + "Patient-name", "Any part of the name", ""},
		{"birthdate", paramDate, spBase + "individual-birthdate", "Date of birth", ""},
		{"gender", paramToken, spBase + "individual-gender", "Administrative gender", ""},
	}},
	{name: "Organization", params: []paramDef{
		paramID, paramLastUpdated,
		{"identifier", paramToken, spBase + "Organization-identifier", "ODS code, e.g. https://fhir.nhs.uk/Id/ods-organization-code|Y90001", ""},
		{"name", paramString, spBase + "Organization-name", "Organisation name", ""},
	}},
	{name: "Condition", params: []paramDef{paramID, paramLastUpdated, paramPatient, subjectParam("Condition"), paramCode}},
	{name: "Observation", params: []paramDef{
		paramID, paramLastUpdated, paramPatient, subjectParam("Observation"), paramCode,
		{"category", paramToken, spBase + "Observation-category", "vital-signs or laboratory", ""},
		{"date", paramDate, spBase + "clinical-date", "When the observation was made", ""},
	}},
	{name: "AllergyIntolerance", params: []paramDef{paramID, paramLastUpdated, paramPatient, paramCode}},
	{name: "MedicationStatement", params: []paramDef{paramID, paramLastUpdated, paramPatient, subjectParam("MedicationStatement"), paramCode}},
}

func resourceDefByName(name string) *resourceDef {
	for _, d := range resourceDefs {
		if d.name == name {
			return d
		}
	}
	return nil
}

// searchIndex holds the values each search parameter matches against, by parameter name.
type searchIndex struct {
	tokens map[string][]tokenValue
	strs   map[string][]string // as written; compared folded unless :exact
	dates  map[string][]dateRange
	refs   map[string][]string // "Type/id"
}

func newIndex() searchIndex {
	return searchIndex{tokens: map[string][]tokenValue{}, strs: map[string][]string{}, dates: map[string][]dateRange{}, refs: map[string][]string{}}
}

func (ix searchIndex) codeable(param string, cc *codeableConcept) {
	if cc == nil {
		return
	}
	for _, c := range cc.Coding {
		ix.tokens[param] = append(ix.tokens[param], tokenValue{system: c.System, code: c.Code, hasSystem: true})
	}
}

func (ix searchIndex) date(param, s string) {
	if r, err := parseFHIRDate(s); err == nil {
		ix.dates[param] = append(ix.dates[param], r)
	}
}

func (ix searchIndex) ref(params []string, r reference) {
	for _, p := range params {
		ix.refs[p] = append(ix.refs[p], r.Reference)
	}
}

// foldString lower-cases s and strips accents, so that "sian" finds "Siân".
func foldString(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}

// record is one stored resource.
type record struct {
	typ, id     string
	version     int
	lastUpdated time.Time
	body        []byte // the resource as served, JSON
	index       searchIndex
}

// etag is the weak validator for this version.
func (r *record) etag() string { return `W/"` + strconv.Itoa(r.version) + `"` }

type typeStore struct {
	def  *resourceDef
	all  []*record
	byID map[string]*record
}

type store struct {
	types map[string]*typeStore
}

// newStore indexes and renders a dataset. Metadata (version, lastUpdated, UK Core profile) is
// added here, as the profile's behaviour says.
func newStore(ds *dataset, b behaviour) (*store, error) {
	s := &store{types: map[string]*typeStore{}}
	for _, d := range resourceDefs {
		s.types[d.name] = &typeStore{def: d, byID: map[string]*record{}}
	}
	add := func(typ, id string, m **meta, ix searchIndex, v any) error {
		key := typ + "/" + id
		version, updated := ds.versions[key], ds.lastUpdated[key]
		md := &meta{LastUpdated: updated.Format(time.RFC3339)}
		if b.etags {
			md.VersionID = strconv.Itoa(version)
		}
		if b.ukCore {
			md.Profile = []string{ukCoreProfileBase + typ}
		}
		*m = md
		body, err := marshalJSON(v)
		if err != nil {
			return fmt.Errorf("render %s: %w", key, err)
		}
		ix.tokens["_id"] = []tokenValue{{code: id}}
		ix.dates["_lastUpdated"] = []dateRange{{updated, updated.Add(time.Second)}}
		rec := &record{typ: typ, id: id, version: version, lastUpdated: updated, body: body, index: ix}
		ts := s.types[typ]
		ts.all = append(ts.all, rec)
		ts.byID[id] = rec
		return nil
	}

	for _, o := range append([]*organizationResource{ds.org}, ds.practices...) {
		ix := newIndex()
		for _, id := range o.Identifier {
			ix.tokens["identifier"] = append(ix.tokens["identifier"], tokenValue{system: id.System, code: id.Value, hasSystem: true})
		}
		ix.strs["name"] = []string{o.Name}
		if err := add("Organization", o.ID, &o.Meta, ix, o); err != nil {
			return nil, err
		}
	}
	for _, p := range ds.patients {
		ix := newIndex()
		for _, id := range p.Identifier {
			ix.tokens["identifier"] = append(ix.tokens["identifier"], tokenValue{system: id.System, code: id.Value, hasSystem: true})
		}
		ix.tokens["gender"] = []tokenValue{{system: "http://hl7.org/fhir/administrative-gender", code: p.Gender, hasSystem: true}}
		for _, n := range p.Name {
			ix.strs["family"] = append(ix.strs["family"], n.Family)
			ix.strs["name"] = append(ix.strs["name"], n.Family)
			for _, g := range n.Given {
				ix.strs["given"] = append(ix.strs["given"], g)
				ix.strs["name"] = append(ix.strs["name"], g)
			}
		}
		ix.date("birthdate", p.BirthDate)
		if err := add("Patient", p.ID, &p.Meta, ix, p); err != nil {
			return nil, err
		}
	}
	for _, c := range ds.conditions {
		ix := newIndex()
		ix.codeable("code", c.Code)
		ix.ref([]string{"patient", "subject"}, c.Subject)
		if err := add("Condition", c.ID, &c.Meta, ix, c); err != nil {
			return nil, err
		}
	}
	for _, o := range ds.observations {
		ix := newIndex()
		ix.codeable("code", &o.Code)
		for i := range o.Category {
			ix.codeable("category", &o.Category[i])
		}
		ix.date("date", o.EffectiveDateTime)
		ix.ref([]string{"patient", "subject"}, o.Subject)
		if err := add("Observation", o.ID, &o.Meta, ix, o); err != nil {
			return nil, err
		}
	}
	for _, a := range ds.allergies {
		ix := newIndex()
		ix.codeable("code", a.Code)
		ix.ref([]string{"patient"}, a.Patient)
		if err := add("AllergyIntolerance", a.ID, &a.Meta, ix, a); err != nil {
			return nil, err
		}
	}
	for _, m := range ds.medications {
		ix := newIndex()
		ix.codeable("code", &m.MedicationCodeableConcept)
		ix.ref([]string{"patient", "subject"}, m.Subject)
		if err := add("MedicationStatement", m.ID, &m.Meta, ix, m); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// criterion is one search parameter occurrence: its values are ORed, criteria are ANDed.
type criterion struct {
	param    *paramDef
	modifier string
	tokens   []tokenValue
	strs     []string
	dates    []dateValue
	refs     []string
}

// matches reports whether rec satisfies the criterion. lenientIdentity makes identifier
// searches ignore the system, as some legacy servers do.
func (c *criterion) matches(rec *record, lenientIdentity bool) bool {
	name := c.param.name
	switch c.param.typ {
	case paramToken:
		for _, want := range c.tokens {
			for _, have := range rec.index.tokens[name] {
				if tokenMatches(want, have, lenientIdentity && name == "identifier") {
					return true
				}
			}
		}
	case paramString:
		for _, want := range c.strs {
			for _, have := range rec.index.strs[name] {
				switch c.modifier {
				case "exact":
					if have == want {
						return true
					}
				case "contains":
					if strings.Contains(foldString(have), foldString(want)) {
						return true
					}
				default:
					if strings.HasPrefix(foldString(have), foldString(want)) {
						return true
					}
				}
			}
		}
	case paramDate:
		for _, want := range c.dates {
			for _, have := range rec.index.dates[name] {
				if want.matches(have) {
					return true
				}
			}
		}
	case paramReference:
		for _, want := range c.refs {
			for _, have := range rec.index.refs[name] {
				if want == have {
					return true
				}
			}
		}
	}
	return false
}

func tokenMatches(want, have tokenValue, ignoreSystem bool) bool {
	if ignoreSystem {
		return want.code == "" || want.code == have.code
	}
	switch {
	case !want.hasSystem:
		return want.code == have.code
	case want.code == "":
		return want.system == have.system
	default:
		return want.system == have.system && want.code == have.code
	}
}

// search returns the records of a type that meet every criterion, in store order.
func (ts *typeStore) search(criteria []criterion, lenientIdentity bool) []*record {
	var out []*record
	for _, rec := range ts.all {
		ok := true
		for i := range criteria {
			if !criteria[i].matches(rec, lenientIdentity) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, rec)
		}
	}
	return out
}
