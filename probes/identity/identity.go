// Package identity probes patient and organisation identity: NHS number search, the NHS
// number identifier system and check digit, and ODS organisation codes.
package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/terminology"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// Pack is this pack's name.
const Pack = "identity"

const ukCoreNHSNumber = "https://simplifier.net/hl7fhirukcorer4/ukcorepatient (identifier:nhsNumber); NHS Data Dictionary: NHS NUMBER"

// Probes returns the pack's probes in report order.
func Probes() []probes.Probe {
	return []probes.Probe{
		probes.New(probes.Meta{
			ID: "identity.nhs-number.search", Pack: Pack, Strength: verdict.Shall, Severity: probes.High,
			Title:       "Patients can be found by NHS number",
			SpecRef:     "http://hl7.org/fhir/R4/search.html#token; https://simplifier.net/hl7fhirukcorer4/ukcorepatient (UK Core R4 2.0, identifier:nhsNumber)",
			Requirement: "FHIR R4 search (token): identifier=[system]|[value] SHALL match resources whose identifier has that system and value; UK Core identifies patients by NHS number under https://fhir.nhs.uk/Id/nhs-number.",
			Description: "Fail when searching by the NHS number returns no Patient, more than one, or one that does not carry it; skip when no NHS number is known; could not test on 401/403.",
		}, nhsNumberSearch),
		probes.New(probes.Meta{
			ID: "identity.nhs-number.system", Pack: Pack, Strength: verdict.Shall, Severity: probes.High,
			Title:       "NHS numbers use the national identifier system",
			SpecRef:     "https://simplifier.net/hl7fhirukcorer4/ukcorepatient (UK Core R4 2.0: Patient.identifier:nhsNumber.system fixed to https://fhir.nhs.uk/Id/nhs-number)",
			Requirement: "UK Core Patient: identifier:nhsNumber.system is fixed to https://fhir.nhs.uk/Id/nhs-number (1..1).",
			Description: "Fail when an NHS number uses another system (an old GP Connect URI, the OID, no system); warn when no patient carries an NHS number.",
		}, nhsNumberSystem),
		probes.New(probes.Meta{
			ID: "identity.nhs-number.check-digit", Pack: Pack, Strength: verdict.Shall, Severity: probes.High,
			Title:       "NHS numbers pass the modulus 11 check",
			SpecRef:     "https://www.datadictionary.nhs.uk/attributes/nhs_number.html (NHS Data Dictionary: NHS NUMBER)",
			Requirement: "NHS Data Dictionary: an NHS number is ten digits whose tenth is a modulus 11 check digit.",
			Description: "Fail when any NHS number returned is not ten digits or fails the modulus 11 check.",
		}, nhsNumberCheckDigit),
		probes.New(probes.Meta{
			ID: "identity.ods.codes", Pack: Pack, Strength: verdict.Shall, Severity: probes.Medium,
			Title:       "Organisations are identified by ODS code",
			SpecRef:     "https://simplifier.net/hl7fhirukcorer4/ukcoreorganization (UK Core R4 2.0, identifier:odsOrganisationCode); https://digital.nhs.uk/services/organisation-data-service",
			Requirement: "UK Core Organization: identifier:odsOrganisationCode uses system https://fhir.nhs.uk/Id/ods-organization-code with an ODS code.",
			Description: "Fail when an organisation identifier or reference meant as ODS uses another system or a malformed code; skip when there are none.",
		}, odsCodes),
		probes.New(probes.Meta{
			ID: "identity.nhs-number.verification-status", Pack: Pack, Severity: probes.Medium, Strength: verdict.Shall,
			Title:   "NHS number verification status is coded correctly",
			SpecRef: "https://simplifier.net/hl7fhirukcorer4/extension-ukcore-nhsnumberverificationstatus (UK Core R4 2.0); https://simplifier.net/hl7fhirukcorer4/ukcore-nhsnumberverificationstatus (ValueSet)",
			Requirement: "UK Core Patient: identifier:nhsNumber MAY carry Extension-UKCore-NHSNumberVerificationStatus (0..1); when present its valueCodeableConcept (1..1) SHALL come from the required ValueSet UKCore-NHSNumberVerificationStatus " +
				"(CodeSystem UKCore-NHSNumberVerificationStatusEngland or -Wales codes 01-08, or NullFlavor NI). STU3 (CareConnect/GP Connect) uses Extension-CareConnect-GPC-NHSNumberVerificationStatus-1.",
			Description: "Fail when a verification-status extension is present without a code from the required value set; info (MAY) when no NHS number carries one; pass when every one present is valid (the observation counts 01, verified, separately).",
		}, verificationStatus),
	}
}

func nhsNumberSearch(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "Patient?identifier=" + probes.SystemNHSNumber + "|[NHS number] returns exactly one Patient, the one with that NHS number"
	n := s.Target.TestNHSNumber
	if n == "" {
		tp, err := s.TestPatient(ctx)
		if err != nil {
			return probes.NoPatient(exp, err)
		}
		if tp.NHSNumber == "" {
			return probes.Skipped(exp, "no --patient NHS number given and the discovered test patient has none")
		}
		n = tp.NHSNumber
	}
	set, err := s.SearchPatients(ctx, probes.NHSNumberQuery(n))
	if err != nil {
		return probes.Errored(exp, err)
	}
	resp := set.Response
	switch {
	case resp.StatusCode == 401 || resp.StatusCode == 403:
		return probes.CredentialsRefused(exp, resp)
	case set.ParseErr != nil:
		return probes.Failed(exp, fmt.Sprintf("%s: %v", resp.Describe(), set.ParseErr))
	}
	shown := s.Identifier(n)
	var matching int
	for _, rec := range set.Patients {
		if hasNHSNumber(rec.Patient, n) {
			matching++
		}
	}
	switch {
	case len(set.Patients) == 0:
		return probes.Failed(exp, fmt.Sprintf("no Patient returned for NHS number %s", shown))
	case len(set.Patients) > 1:
		return probes.Failed(exp, fmt.Sprintf("%d Patients returned for NHS number %s (%d carry it)", len(set.Patients), shown, matching))
	case matching == 0:
		return probes.Failed(exp, fmt.Sprintf("the Patient returned for NHS number %s does not carry it", shown))
	}
	return probes.Passed(exp, fmt.Sprintf("exactly one Patient (id %s) with NHS number %s", probes.Clip(set.Patients[0].Patient.ID, 64), shown))
}

// hasNHSNumber reports whether the patient carries the NHS number, under the national system
// or a look-alike (which system is used is identity.nhs-number.system's question).
func hasNHSNumber(p *probes.Patient, n string) bool {
	for _, id := range p.Identifier {
		if id.Value == n && (id.System == "" || IsNHSNumberSystem(id.System)) {
			return true
		}
	}
	return false
}

// IsNHSNumberSystem reports whether a system URI is meant to name NHS numbers: the national
// URI or one of its look-alikes (old GP Connect URIs, the HL7 v3 OID, misspellings).
func IsNHSNumberSystem(system string) bool {
	s := strings.ToLower(system)
	return system == probes.SystemNHSNumber ||
		strings.Contains(s, "nhs-number") || strings.Contains(s, "nhsnumber") || strings.Contains(s, "nhs_number") ||
		strings.Contains(s, "2.16.840.1.113883.2.1.4.1")
}

// nhsIdentifier is an identifier that carries (or looks like it carries) an NHS number.
type nhsIdentifier struct {
	system, value string
}

// nhsIdentifiers finds NHS number identifiers: any whose system names NHS numbers, plus
// system-less ten-digit values that pass the check (an NHS number with no system at all).
func nhsIdentifiers(p *probes.Patient) []nhsIdentifier {
	var out []nhsIdentifier
	for _, id := range p.Identifier {
		switch {
		case IsNHSNumberSystem(id.System):
			out = append(out, nhsIdentifier{id.System, id.Value})
		case id.System == "" && terminology.NHSNumberValid(id.Value):
			out = append(out, nhsIdentifier{"", id.Value})
		}
	}
	return out
}

// patients gathers the patients the identity probes look at: the shared sample and the
// test patient, without repeats. noTestPatient says why the test patient is missing (it may be
// refused rather than absent); err is set when the sample could not be fetched at all.
func patients(ctx context.Context, s *probes.Session) (out []*probes.Patient, noTestPatient, err error) {
	seen := map[string]bool{}
	add := func(p *probes.Patient) {
		key := p.ID
		if key == "" || !seen[key] {
			seen[key] = true
			out = append(out, p)
		}
	}
	if tp, terr := s.TestPatient(ctx); terr == nil {
		add(tp.Patient)
	} else {
		noTestPatient = terr
	}
	set, err := s.PatientSample(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, rec := range set.Patients {
		add(rec.Patient)
	}
	return out, noTestPatient, nil
}

// noPatients is the result when there was no patient to look at: a skip when there is none,
// could not test when the lookup was refused or failed.
func noPatients(exp string, why error) probes.Result {
	if why == nil {
		return probes.Skipped(exp, "no patients to inspect")
	}
	if errors.Is(why, probes.ErrNoTestPatient) {
		return probes.Skipped(exp, "no patients to inspect: "+why.Error())
	}
	return probes.Errored(exp, why)
}

func nhsNumberSystem(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "NHS numbers in Patient.identifier use system " + probes.SystemNHSNumber
	ps, why, err := patients(ctx, s)
	if err != nil {
		return probes.Errored(exp, err)
	}
	if len(ps) == 0 {
		return noPatients(exp, why)
	}
	total, wrongTotal := 0, 0
	wrong := map[string]int{}
	for _, p := range ps {
		for _, id := range nhsIdentifiers(p) {
			total++
			if id.system != probes.SystemNHSNumber {
				wrong[id.system]++
				wrongTotal++
			}
		}
	}
	if total == 0 {
		return probes.Warned(exp, fmt.Sprintf("none of %d patients carries an NHS number", len(ps)))
	}
	if len(wrong) > 0 {
		var parts []string
		for _, sys := range sortedKeys(wrong) {
			label := fmt.Sprintf("%q", probes.Clip(sys, 80))
			if sys == "" {
				label = "no system"
			}
			parts = append(parts, fmt.Sprintf("%s ×%d", label, wrong[sys]))
		}
		return s.Breach(exp, fmt.Sprintf("%d of %d NHS numbers use another system: %s", wrongTotal, total, strings.Join(parts, ", ")))
	}
	return probes.Passed(exp, fmt.Sprintf("%d NHS numbers on %d patients, all under %s", total, len(ps), probes.SystemNHSNumber))
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func nhsNumberCheckDigit(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "every NHS number is ten digits with a valid modulus 11 check digit"
	ps, why, err := patients(ctx, s)
	if err != nil {
		return probes.Errored(exp, err)
	}
	if len(ps) == 0 {
		return noPatients(exp, why)
	}
	var bad []string
	total := 0
	for _, p := range ps {
		for _, id := range nhsIdentifiers(p) {
			total++
			if terminology.NHSNumberValid(id.value) {
				continue
			}
			reason := "check digit wrong"
			digits := strings.ReplaceAll(id.value, " ", "")
			switch {
			case digits != id.value && terminology.NHSNumberValid(digits):
				reason = "formatted with spaces"
			case len(digits) != 10:
				reason = fmt.Sprintf("%d characters", len([]rune(id.value)))
			}
			bad = append(bad, fmt.Sprintf("%s (%s)", s.Identifier(id.value), reason))
		}
	}
	switch {
	case total == 0:
		return probes.Skipped(exp, fmt.Sprintf("none of %d patients carries an NHS number", len(ps)))
	case len(bad) > 0:
		return s.Breach(exp, fmt.Sprintf("%d of %d NHS numbers invalid: %s", len(bad), total, probes.Clip(strings.Join(bad, ", "), 300)))
	}
	return probes.Passed(exp, fmt.Sprintf("%d NHS numbers, all pass the modulus 11 check", total))
}

// organization is the part of an Organization the ODS probe reads.
type organization struct {
	probes.Resource
	Identifier []probes.Identifier `json:"identifier,omitempty"`
}

// IsODSSystem reports whether a system URI is meant to name ODS codes.
func IsODSSystem(system string) bool {
	s := strings.ToLower(system)
	return system == terminology.SystemODSOrg || system == terminology.SystemODSSite ||
		strings.Contains(s, "ods-org") || strings.Contains(s, "ods-site") || strings.Contains(s, "/ods") ||
		strings.Contains(s, "odsorganisation") || strings.Contains(s, "odsorganization") ||
		strings.Contains(s, "2.16.840.1.113883.2.1.3.2.4.19") // HL7 v3 ODS OID
}

const maxOrganizationReads = 3

func odsCodes(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "organisation identifiers use " + terminology.SystemODSOrg + " (or ods-site-code) with well-formed ODS codes"
	ps, _, err := patients(ctx, s)
	if err != nil {
		return probes.Errored(exp, err)
	}
	type found struct{ where, system, value string }
	var ids []found
	var refs []string
	for _, p := range ps {
		orgRefs := append([]probes.Reference(nil), p.GeneralPractitioner...)
		if p.ManagingOrganization != nil {
			orgRefs = append(orgRefs, *p.ManagingOrganization)
		}
		for _, r := range orgRefs {
			if r.Identifier != nil {
				ids = append(ids, found{"Patient reference", r.Identifier.System, r.Identifier.Value})
			}
			if strings.HasPrefix(r.Reference, "Organization/") && !slices.Contains(refs, r.Reference) && len(refs) < maxOrganizationReads {
				refs = append(refs, r.Reference)
			}
		}
	}
	var orgs []organization
	for _, ref := range refs {
		id := strings.TrimPrefix(ref, "Organization/")
		resp, err := s.Get(ctx, "Organization/"+url.PathEscape(id))
		if err != nil || resp.StatusCode != 200 {
			continue
		}
		var o organization
		if probes.DecodeResource(resp.Body, "Organization", &o) == nil {
			orgs = append(orgs, o)
		}
	}
	if resp, err := s.Get(ctx, "Organization?_count=10"); err == nil && resp.StatusCode == 200 {
		if b, err := probes.ParseBundle(resp.Body); err == nil {
			for _, raw := range b.Matches("Organization") {
				var o organization
				if json.Unmarshal(raw, &o) == nil {
					orgs = append(orgs, o)
				}
			}
		}
	}
	seenOrg := map[string]bool{}
	for _, o := range orgs {
		if o.ID != "" && seenOrg[o.ID] {
			continue
		}
		seenOrg[o.ID] = true
		for _, id := range o.Identifier {
			ids = append(ids, found{"Organization/" + o.ID, id.System, id.Value})
		}
	}
	var bad, good []string
	seenID := map[found]bool{}
	for _, id := range ids {
		if seenID[id] {
			continue
		}
		seenID[id] = true
		switch {
		case id.system == terminology.SystemODSOrg || id.system == terminology.SystemODSSite:
			if terminology.ODSCodeValid(id.value) {
				good = append(good, id.value)
			} else {
				bad = append(bad, fmt.Sprintf("%s: malformed ODS code %q", probes.Clip(id.where, 60), probes.Clip(id.value, 20)))
			}
		case IsODSSystem(id.system):
			bad = append(bad, fmt.Sprintf("%s: ODS code under system %q", probes.Clip(id.where, 60), probes.Clip(id.system, 80)))
		}
	}
	switch {
	case len(bad) > 0:
		return s.Breach(exp, fmt.Sprintf("%d of %d ODS identifiers wrong: %s", len(bad), len(bad)+len(good), probes.Clip(strings.Join(bad, "; "), 400)))
	case len(good) == 0:
		return probes.Skipped(exp, fmt.Sprintf("no ODS organisation identifiers found (%d patients, %d organisations inspected)", len(ps), len(seenOrg)))
	}
	slices.Sort(good)
	good = slices.Compact(good)
	return probes.Passed(exp, fmt.Sprintf("ODS codes %s, all well formed under the national system", probes.Clip(strings.Join(good, ", "), 200)))
}

// Verification status extensions and code systems (UK Core R4 2.0; CareConnect STU3).
const (
	ExtVerificationUKCore      = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus"
	ExtVerificationCareConnect = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-NHSNumberVerificationStatus-1"
	csVerificationEngland      = "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland"
	csVerificationWales        = "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusWales"
	csVerificationCareConnect  = "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1"
	csNullFlavor               = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"
)

// ValidVerificationStatus reports whether a coding is in the NHS number verification status
// value set: codes 01-08 of the England or Wales code system (or, for STU3, CareConnect's),
// or NullFlavor NI. The CareConnect system is also accepted without /STU3/CodeSystem/ (the
// GP Connect specification's examples spell it both ways).
func ValidVerificationStatus(c probes.Coding, r4 bool) bool {
	numbered := len(c.Code) == 2 && c.Code >= "01" && c.Code <= "08"
	switch c.System {
	case csVerificationEngland, csVerificationWales:
		return numbered
	case csNullFlavor:
		return c.Code == "NI"
	case csVerificationCareConnect, "https://fhir.nhs.uk/CareConnect-NHSNumberVerificationStatus-1":
		return !r4 && numbered
	}
	return false
}

func verificationStatus(ctx context.Context, s *probes.Session) probes.Result {
	r4 := s.Target.IsR4()
	ext := ExtVerificationUKCore
	if !r4 {
		ext = ExtVerificationCareConnect
	}
	exp := "each NHS number identifier's " + ext + " extension, when present, has a code from the NHS number verification status value set (01-08, or NullFlavor NI)"
	ps, why, err := patients(ctx, s)
	if err != nil {
		return probes.Errored(exp, err)
	}
	numbers, with, verified := 0, 0, 0
	var bad []string
	for _, p := range ps {
		for _, id := range p.Identifier {
			if !IsNHSNumberSystem(id.System) {
				continue
			}
			numbers++
			for _, e := range id.Extension {
				if e.URL != ext && e.URL != ExtVerificationUKCore && e.URL != ExtVerificationCareConnect {
					continue
				}
				with++
				var codings []probes.Coding
				if e.ValueCodeableConcept != nil {
					codings = e.ValueCodeableConcept.Coding
				}
				ok := false
				for _, c := range codings {
					if ValidVerificationStatus(c, r4) {
						ok = true
						if c.Code == "01" {
							verified++
						}
						break
					}
				}
				switch {
				case e.URL != ext:
					bad = append(bad, fmt.Sprintf("patient %s: extension %s on an %s target", probes.Clip(p.ID, 40), probes.Clip(e.URL, 100), s.Target.FHIRVersion))
				case !ok && len(codings) == 0:
					bad = append(bad, fmt.Sprintf("patient %s: no valueCodeableConcept coding", probes.Clip(p.ID, 40)))
				case !ok:
					bad = append(bad, fmt.Sprintf("patient %s: %s|%s not in the value set", probes.Clip(p.ID, 40), probes.Clip(codings[0].System, 80), probes.Clip(codings[0].Code, 10)))
				}
			}
		}
	}
	switch {
	case numbers == 0 && why != nil:
		return noPatients(exp, why)
	case numbers == 0:
		return probes.Skipped(exp, fmt.Sprintf("none of %d patients carries an NHS number", len(ps)))
	case len(bad) > 0:
		return s.Breach(exp, fmt.Sprintf("%d of %d verification statuses invalid: %s", len(bad), with, probes.Clip(strings.Join(bad, "; "), 300)))
	case with == 0:
		return probes.Informed(exp, fmt.Sprintf("none of %d NHS numbers carries a verification status (optional in UK Core; PDS always sends one)", numbers))
	}
	return probes.Passed(exp, fmt.Sprintf("%d of %d NHS numbers carry a valid verification status (%d are 01, present and verified)", with, numbers, verified))
}
