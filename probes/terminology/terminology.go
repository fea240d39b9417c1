// Package terminology probes how a server codes its clinical data for the test patient:
// national code system coverage, SNOMED CT identifiers and system URI, dm+d for medicines,
// and LOINC check digits.
package terminology

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/probes"
	codes "github.com/nhs-jigsaw/jigsaw/terminology"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// Pack is this pack's name.
const Pack = "terminology"

// Source clauses.
const (
	scci0034   = "https://digital.nhs.uk/data-and-information/information-standards/information-standards-and-data-collections-including-extractions/publications-and-notifications/standards-and-collections/scci0034-snomed-ct"
	scci0052   = "https://digital.nhs.uk/data-and-information/information-standards/information-standards-and-data-collections-including-extractions/publications-and-notifications/standards-and-collections/scci0052-dictionary-of-medicines-and-devices-dm-d"
	dapb4101   = "https://digital.nhs.uk/data-and-information/information-standards/information-standards-and-data-collections-including-extractions/publications-and-notifications/standards-and-collections/dapb4101-pathology-and-laboratory-medicine-palm"
	ukCoreMeds = "https://simplifier.net/hl7fhirukcorer4/ukcoremedicationcode (UK Core R4 2.0: ValueSet UKCore-MedicationCode, SNOMED CT dm+d concepts, system http://snomed.info/sct)"
	sctRFS     = "https://confluence.ihtsdotools.org/display/DOCRELFMT/6.1+SCTID+Data+Type (SNOMED CT Release File Specification §6.1)"
)

// Probes returns the pack's probes in report order.
func Probes() []probes.Probe {
	return []probes.Probe{
		probes.New(probes.Meta{
			ID: "terminology.coding.coverage", Pack: Pack, Severity: probes.Medium, Strength: verdict.Shall,
			Title:       "Clinical data is coded in SNOMED CT",
			SpecRef:     scci0034 + "; " + dapb4101 + "; http://hl7.org/fhir/R4/terminologies.html",
			Requirement: "SCCI0034: systems used for direct care SHALL use SNOMED CT for clinical terms (dm+d concepts are SNOMED CT); DAPB4101 (PaLM): pathology is coded in SNOMED CT, not LOINC.",
			Description: "Share of the test patient's main clinical concepts with a SNOMED CT coding (http://snomed.info/sct; LOINC and https://dmd.nhs.uk do not count): >= 95% passes, >= 70% warns (a tolerance for legacy records), below fails.",
		}, coverage),
		probes.New(probes.Meta{
			ID: "terminology.snomed.valid-ids", Pack: Pack, Severity: probes.Medium, Strength: verdict.Shall,
			Title:       "SNOMED CT codes are valid concept ids",
			SpecRef:     sctRFS,
			Requirement: "SNOMED CT RFS §6.1: an SCTID is 6-18 digits with a partition identifier (concept: 00, or 10 in long format with a 7-digit namespace) and a Verhoeff check digit; a Coding's code SHALL be a concept id.",
			Description: "Fail when any SNOMED CT code is not a well-formed concept id (bad check digit, description or relationship id, long-format partition on an id too short to carry a namespace).",
		}, snomedValidIDs),
		probes.New(probes.Meta{
			ID: "terminology.snomed.system-uri", Pack: Pack, Severity: probes.Medium, Strength: verdict.Shall,
			Title:       "SNOMED CT uses its canonical system URI",
			SpecRef:     "http://hl7.org/fhir/R4/snomedct.html",
			Requirement: "FHIR R4 Using SNOMED CT: the URI http://snomed.info/sct SHALL identify SNOMED CT in Coding.system.",
			Description: "Fail when a coding meant as SNOMED CT uses another system URI (\"SNOMED-CT\", the OID, https...).",
		}, snomedSystemURI),
		probes.New(probes.Meta{
			ID: "terminology.dmd.medications", Pack: Pack, Severity: probes.Medium, Strength: verdict.Shall,
			Title:       "Medicines are coded in dm+d",
			SpecRef:     scci0052 + "; " + ukCoreMeds,
			Requirement: "SCCI0052: systems exchanging medicines information for direct care SHALL use dm+d identifiers; UK Core binds medication codes to dm+d concepts under the SNOMED CT system http://snomed.info/sct.",
			Description: "Fail when a medication has no SNOMED CT coding that can be dm+d: local codes, text only, https://dmd.nhs.uk as the system (UK Core codes dm+d under http://snomed.info/sct), or an id in another extension namespace. " +
				"Ids in the dm+d namespace 1000001 are confirmed; international (short-format) concept ids are accepted because many VTMs and VMPs keep their international ids (GP Connect's example 323509004) — " +
				"without a terminology server Jigsaw cannot tell them from other international concepts (a substance id would pass too), and the observation counts them separately.",
		}, dmdMedications),
		probes.New(probes.Meta{
			ID: "terminology.loinc.valid-ids", Pack: Pack, Severity: probes.Low, Strength: verdict.Shall,
			Title:       "LOINC codes carry a valid check digit",
			SpecRef:     "http://hl7.org/fhir/R4/loinc.html; https://loinc.org/kb/users-guide/ (mod 10 check digit)",
			Requirement: "LOINC Users' Guide: a LOINC code is NNNNN-C whose last digit is the mod 10 check digit of the number part. (England does not expect LOINC; where used it must be valid.)",
			Description: "Fail when any LOINC code is malformed or has a wrong check digit; skip when there are none.",
		}, loincValidIDs),
	}
}

// Concept is one clinical CodeableConcept found for the test patient.
type Concept struct {
	// Where names the element, e.g. "Condition.code".
	Where      string
	Medication bool
	// Secondary concepts (observation components and values, allergic reactions) have their
	// codes checked but are not counted in coverage, which is about each record's main concept.
	Secondary bool
	probes.CodeableConcept
}

// Dataset is the test patient's coded clinical data.
type Dataset struct {
	Concepts []Concept
	// Searched notes each search's outcome: "Condition 12" (resources), "Observation HTTP 403"...
	Searched []string
}

// sources lists which element of which resource holds a clinical concept.
var sources = []struct {
	resourceType, element string
	medication            bool
}{
	{"Condition", "code", false},
	{"Observation", "code", false},
	{"AllergyIntolerance", "code", false},
	{"MedicationStatement", "medicationCodeableConcept", true},
	{"MedicationRequest", "medicationCodeableConcept", true},
}

// gather collects the test patient's concepts once per run.
func gather(ctx context.Context, s *probes.Session) (*Dataset, error) {
	v, err := s.Shared(ctx, "terminology.dataset", func(ctx context.Context, s *probes.Session) (any, error) {
		ds := &Dataset{}
		failed := 0
		var lastErr error
		for _, src := range sources {
			search, err := s.PatientSearch(ctx, src.resourceType)
			if err != nil {
				return nil, err
			}
			if search.Status != 200 {
				failed++
				lastErr = fmt.Errorf("%s search HTTP %d", src.resourceType, search.Status)
				ds.Searched = append(ds.Searched, fmt.Sprintf("%s HTTP %d", src.resourceType, search.Status))
				continue
			}
			for _, raw := range search.Resources {
				ds.Concepts = append(ds.Concepts, extract(raw, src.resourceType, src.element, src.medication)...)
			}
			ds.Searched = append(ds.Searched, fmt.Sprintf("%s %d", src.resourceType, len(search.Resources)))
		}
		if failed == len(sources) {
			return nil, fmt.Errorf("every clinical search failed (%s): %w", strings.Join(ds.Searched, ", "), lastErr)
		}
		return ds, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*Dataset), nil
}

// extract reads the concept at element of one resource. A medication given by reference to a
// contained Medication contributes that Medication's code.
func extract(raw json.RawMessage, resourceType, element string, medication bool) []Concept {
	var doc map[string]json.RawMessage
	if json.Unmarshal(raw, &doc) != nil {
		return nil
	}
	where := resourceType + "." + element
	out := secondary(raw, resourceType)
	var cc probes.CodeableConcept
	if v, ok := doc[element]; ok && json.Unmarshal(v, &cc) == nil {
		return append([]Concept{{Where: where, Medication: medication, CodeableConcept: cc}}, out...)
	}
	if !medication {
		return out
	}
	var ref probes.Reference
	if v, ok := doc["medicationReference"]; !ok || json.Unmarshal(v, &ref) != nil || !strings.HasPrefix(ref.Reference, "#") {
		return nil
	}
	var contained []json.RawMessage
	if v, ok := doc["contained"]; !ok || json.Unmarshal(v, &contained) != nil {
		return nil
	}
	for _, c := range contained {
		var med struct {
			ResourceType string                 `json:"resourceType"`
			ID           string                 `json:"id"`
			Code         probes.CodeableConcept `json:"code"`
		}
		if json.Unmarshal(c, &med) == nil && med.ResourceType == "Medication" && "#"+med.ID == ref.Reference {
			return []Concept{{Where: resourceType + ".medicationReference(contained Medication.code)", Medication: true, CodeableConcept: med.Code}}
		}
	}
	return nil
}

// secondary collects the codes a record carries beside its main concept: Observation
// components and coded values, AllergyIntolerance reaction manifestations.
func secondary(raw json.RawMessage, resourceType string) []Concept {
	var out []Concept
	add := func(where string, cc probes.CodeableConcept) {
		if len(cc.Coding) > 0 {
			out = append(out, Concept{Where: where, Secondary: true, CodeableConcept: cc})
		}
	}
	switch resourceType {
	case "Observation":
		var obs struct {
			Value     *probes.CodeableConcept `json:"valueCodeableConcept"`
			Component []struct {
				Code  probes.CodeableConcept  `json:"code"`
				Value *probes.CodeableConcept `json:"valueCodeableConcept"`
			} `json:"component"`
		}
		if json.Unmarshal(raw, &obs) != nil {
			return nil
		}
		if obs.Value != nil {
			add("Observation.valueCodeableConcept", *obs.Value)
		}
		for _, c := range obs.Component {
			add("Observation.component.code", c.Code)
			if c.Value != nil {
				add("Observation.component.valueCodeableConcept", *c.Value)
			}
		}
	case "AllergyIntolerance":
		var ai struct {
			Reaction []struct {
				Manifestation []probes.CodeableConcept `json:"manifestation"`
			} `json:"reaction"`
		}
		if json.Unmarshal(raw, &ai) != nil {
			return nil
		}
		for _, r := range ai.Reaction {
			for _, m := range r.Manifestation {
				add("AllergyIntolerance.reaction.manifestation", m)
			}
		}
	}
	return out
}

// nationalSystems are the code systems that count as nationally coded: SNOMED CT, which holds
// dm+d too. LOINC is not England's pathology standard (PaLM is SNOMED CT) and https://dmd.nhs.uk
// is not the system UK Core binds dm+d under.
var nationalSystems = []string{codes.SystemSNOMED}

// IsSNOMEDSystem reports whether a system URI is meant to be SNOMED CT: the canonical URI or
// a look-alike (names, the HL7 OID, https, edition suffixes).
func IsSNOMEDSystem(system string) bool {
	s := strings.ToLower(system)
	return strings.Contains(s, "snomed") || strings.Contains(s, "2.16.840.1.113883.6.96")
}

// InDMDNamespace reports whether a SNOMED CT concept id belongs to the dm+d extension
// (namespace 1000001, long-form partition 10).
func InDMDNamespace(code string) bool {
	if !codes.ConceptIDValid(code) || len(code) < 11 {
		return false
	}
	n := len(code)
	return code[n-3:n-1] == "10" && code[n-10:n-3] == "1000001"
}

// DMDStatus is what can be said offline about a medication coding being dm+d.
type DMDStatus int

// dm+d statuses.
const (
	// NotDMD: not a SNOMED CT concept id that dm+d could hold.
	NotDMD DMDStatus = iota
	// DMDConfirmed: a concept id in the dm+d namespace 1000001.
	DMDConfirmed
	// DMDPossible: an international concept id; dm+d VTMs and VMPs often keep theirs, but only
	// a terminology server can confirm membership.
	DMDPossible
)

// ClassifyDMD says whether a SNOMED CT code can be a dm+d concept, without a terminology server.
func ClassifyDMD(code string) DMDStatus {
	if !codes.ConceptIDValid(code) {
		return NotDMD
	}
	if InDMDNamespace(code) {
		return DMDConfirmed
	}
	if code[len(code)-3] == '0' { // short format: the international release
		return DMDPossible
	}
	return NotDMD // another extension's namespace (the UK clinical extension 1000000, say)
}

func datasetOrResult(ctx context.Context, s *probes.Session, exp string) (*Dataset, *probes.Result) {
	ds, err := gather(ctx, s)
	if err != nil {
		r := probes.NoPatient(exp, err)
		return nil, &r
	}
	if len(ds.Concepts) == 0 {
		r := probes.Skipped(exp, "no coded clinical data for the test patient ("+strings.Join(ds.Searched, ", ")+")")
		return nil, &r
	}
	return ds, nil
}

func coverage(ctx context.Context, s *probes.Session) probes.Result {
	const exp = ">= 95% of clinical concepts coded in SNOMED CT (>= 70% warns); LOINC and https://dmd.nhs.uk do not count"
	ds, res := datasetOrResult(ctx, s, exp)
	if res != nil {
		return *res
	}
	national, localOnly, textOnly, empty := 0, 0, 0, 0
	localSystems := map[string]int{}
	total := 0
	for _, c := range ds.Concepts {
		if c.Secondary {
			continue
		}
		total++
		switch {
		case slices.ContainsFunc(c.Coding, func(cd probes.Coding) bool { return slices.Contains(nationalSystems, cd.System) && cd.Code != "" }):
			national++
		case len(c.Coding) > 0:
			localOnly++
			for _, cd := range c.Coding {
				localSystems[cd.System]++
			}
		case c.Text != "":
			textOnly++
		default:
			empty++
		}
	}
	if total == 0 {
		return probes.Skipped(exp, "no clinical records with a main concept for the test patient ("+strings.Join(ds.Searched, ", ")+")")
	}
	pct := 100 * float64(national) / float64(total)
	observed := fmt.Sprintf("%d of %d concepts (%.1f%%) nationally coded; %d local codes only, %d text only, %d empty (%s)",
		national, total, pct, localOnly, textOnly, empty, strings.Join(ds.Searched, ", "))
	if len(localSystems) > 0 {
		var names []string
		for sys := range localSystems {
			if sys == "" {
				sys = "(no system)"
			}
			names = append(names, probes.Clip(sys, 60))
		}
		slices.Sort(names)
		observed += "; other systems: " + probes.Clip(strings.Join(names, ", "), 200)
	}
	switch {
	case pct >= 95:
		return probes.Passed(exp, observed)
	case pct >= 70:
		return probes.Warned(exp, observed)
	}
	return s.Breach(exp, observed)
}

// codings returns every coding in the dataset whose system matches.
func codings(ds *Dataset, match func(system string) bool) []probes.Coding {
	var out []probes.Coding
	for _, c := range ds.Concepts {
		for _, cd := range c.Coding {
			if match(cd.System) {
				out = append(out, cd)
			}
		}
	}
	return out
}

// listCodes shows up to ten distinct offending codes.
func listCodes(items []string) string {
	slices.Sort(items)
	items = slices.Compact(items)
	more := ""
	if len(items) > 10 {
		more = fmt.Sprintf(" and %d more", len(items)-10)
		items = items[:10]
	}
	return strings.Join(items, ", ") + more
}

func snomedValidIDs(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "every SNOMED CT code is a concept id with a valid partition and Verhoeff check digit"
	ds, res := datasetOrResult(ctx, s, exp)
	if res != nil {
		return *res
	}
	cds := codings(ds, IsSNOMEDSystem)
	if len(cds) == 0 {
		return probes.Skipped(exp, "no SNOMED CT codings for the test patient")
	}
	var bad []string
	for _, cd := range cds {
		if codes.ConceptIDValid(cd.Code) {
			continue
		}
		why := "not a valid SCTID"
		if kind, ok := codes.ParseSCTID(cd.Code); ok {
			why = "a " + string(kind) + " id, not a concept"
		}
		bad = append(bad, fmt.Sprintf("%q (%s)", probes.Clip(cd.Code, 30), why))
	}
	if len(bad) > 0 {
		return s.Breach(exp, fmt.Sprintf("%d of %d SNOMED CT codes invalid: %s", len(bad), len(cds), listCodes(bad)))
	}
	return probes.Passed(exp, fmt.Sprintf("%d SNOMED CT codes, all valid concept ids", len(cds)))
}

func snomedSystemURI(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "SNOMED CT codings use exactly " + codes.SystemSNOMED
	ds, res := datasetOrResult(ctx, s, exp)
	if res != nil {
		return *res
	}
	cds := codings(ds, IsSNOMEDSystem)
	if len(cds) == 0 {
		return probes.Skipped(exp, "no SNOMED CT codings for the test patient")
	}
	wrong := map[string]int{}
	nWrong := 0
	for _, cd := range cds {
		if cd.System != codes.SystemSNOMED {
			wrong[probes.Clip(cd.System, 80)]++
			nWrong++
		}
	}
	if nWrong > 0 {
		var parts []string
		for sys, n := range wrong {
			parts = append(parts, fmt.Sprintf("%q ×%d", sys, n))
		}
		slices.Sort(parts)
		return s.Breach(exp, fmt.Sprintf("%d of %d SNOMED CT codings use another system URI: %s", nWrong, len(cds), strings.Join(parts, ", ")))
	}
	return probes.Passed(exp, fmt.Sprintf("%d SNOMED CT codings, all under %s", len(cds), codes.SystemSNOMED))
}

func dmdMedications(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "every medication has a dm+d coding under " + codes.SystemSNOMED + " (dm+d namespace 1000001, or an international concept id dm+d may keep)"
	ds, res := datasetOrResult(ctx, s, exp)
	if res != nil {
		return *res
	}
	total, confirmed, possible := 0, 0, 0
	var bad []string
	for _, c := range ds.Concepts {
		if !c.Medication {
			continue
		}
		total++
		best := NotDMD
		for _, cd := range c.Coding {
			if cd.System != codes.SystemSNOMED {
				continue
			}
			if st := ClassifyDMD(cd.Code); st == DMDConfirmed || (st == DMDPossible && best == NotDMD) {
				best = st
			}
		}
		switch best {
		case DMDConfirmed:
			confirmed++
			continue
		case DMDPossible:
			possible++
			continue
		}
		switch {
		case slices.ContainsFunc(c.Coding, func(cd probes.Coding) bool { return cd.System == codes.SystemDMD || cd.System == "http://dmd.nhs.uk" }):
			cd := c.Coding[slices.IndexFunc(c.Coding, func(cd probes.Coding) bool { return cd.System == codes.SystemDMD || cd.System == "http://dmd.nhs.uk" })]
			bad = append(bad, fmt.Sprintf("%s|%s (UK Core codes dm+d under %s)", probes.Clip(cd.System, 50), probes.Clip(cd.Code, 30), codes.SystemSNOMED))
		case len(c.Coding) > 0:
			cd := c.Coding[0]
			bad = append(bad, fmt.Sprintf("%s|%s", probes.Clip(cd.System, 50), probes.Clip(cd.Code, 30)))
		case c.Text != "":
			bad = append(bad, "text only")
		default:
			bad = append(bad, "no coding")
		}
	}
	if total == 0 {
		return probes.Skipped(exp, "no medications for the test patient ("+strings.Join(ds.Searched, ", ")+")")
	}
	if len(bad) > 0 {
		return s.Breach(exp, fmt.Sprintf("%d of %d medications not in dm+d: %s", len(bad), total, listCodes(bad)))
	}
	observed := fmt.Sprintf("%d medications, all with a SNOMED CT coding dm+d can hold: %d confirmed by the dm+d namespace 1000001", total, confirmed)
	if possible > 0 {
		observed += fmt.Sprintf(", %d international concept ids (dm+d VTMs/VMPs keep many; membership not checked against a dm+d release)", possible)
	}
	return probes.Passed(exp, observed)
}

func loincValidIDs(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "every LOINC code is NNNNN-C with a valid mod 10 check digit"
	ds, res := datasetOrResult(ctx, s, exp)
	if res != nil {
		return *res
	}
	cds := codings(ds, func(system string) bool { return system == codes.SystemLOINC })
	if len(cds) == 0 {
		return probes.Skipped(exp, "no LOINC codings for the test patient")
	}
	var bad []string
	for _, cd := range cds {
		if !codes.LOINCValid(cd.Code) {
			bad = append(bad, fmt.Sprintf("%q", probes.Clip(cd.Code, 20)))
		}
	}
	if len(bad) > 0 {
		return s.Breach(exp, fmt.Sprintf("%d of %d LOINC codes invalid: %s", len(bad), len(cds), listCodes(bad)))
	}
	return probes.Passed(exp, fmt.Sprintf("%d LOINC codes, all with valid check digits", len(cds)))
}
