// Package identity probes patient and organisation identity: NHS number search, the NHS
// number identifier system and check digit, and ODS organisation codes.
package identity

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/terminology"
)

// Pack is this pack's name.
const Pack = "identity"

const ukCoreNHSNumber = "https://simplifier.net/hl7fhirukcorer4/ukcorepatient (identifier:nhsNumber); NHS Data Dictionary: NHS NUMBER"

// Probes returns the pack's probes in report order.
func Probes() []probes.Probe {
	return []probes.Probe{
		probes.New(probes.Meta{
			ID: "identity.nhs-number.search", Pack: Pack, Severity: probes.High,
			Title:       "Patients can be found by NHS number",
			SpecRef:     "http://hl7.org/fhir/R4/search.html#token; " + ukCoreNHSNumber,
			Description: "Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|NNNNNNNNNN returns exactly the matching patient.",
		}, nhsNumberSearch),
		probes.New(probes.Meta{
			ID: "identity.nhs-number.system", Pack: Pack, Severity: probes.High,
			Title:       "NHS numbers use the national identifier system",
			SpecRef:     ukCoreNHSNumber,
			Description: "NHS numbers in Patient.identifier use system https://fhir.nhs.uk/Id/nhs-number.",
		}, nhsNumberSystem),
		probes.New(probes.Meta{
			ID: "identity.nhs-number.check-digit", Pack: Pack, Severity: probes.High,
			Title:       "NHS numbers pass the modulus 11 check",
			SpecRef:     "https://www.datadictionary.nhs.uk/attributes/nhs_number.html",
			Description: "Every NHS number returned is ten digits with a valid modulus 11 check digit.",
		}, nhsNumberCheckDigit),
		probes.New(probes.Meta{
			ID: "identity.ods.codes", Pack: Pack, Severity: probes.Medium,
			Title:       "Organisations are identified by ODS code",
			SpecRef:     "https://simplifier.net/hl7fhirukcorer4/ukcoreorganization (identifier:odsOrganisationCode); https://digital.nhs.uk/services/organisation-data-service",
			Description: "Organisation identifiers and references use https://fhir.nhs.uk/Id/ods-organization-code (or ods-site-code) with well-formed ODS codes.",
		}, odsCodes),
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
// test patient, without repeats.
func patients(ctx context.Context, s *probes.Session) ([]*probes.Patient, string, error) {
	var out []*probes.Patient
	seen := map[string]bool{}
	add := func(p *probes.Patient) {
		key := p.ID
		if key == "" || !seen[key] {
			seen[key] = true
			out = append(out, p)
		}
	}
	why := ""
	if tp, err := s.TestPatient(ctx); err == nil {
		add(tp.Patient)
	} else {
		why = err.Error()
	}
	set, err := s.PatientSample(ctx)
	if err != nil {
		return nil, "", err
	}
	for _, rec := range set.Patients {
		add(rec.Patient)
	}
	return out, why, nil
}

func nhsNumberSystem(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "NHS numbers in Patient.identifier use system " + probes.SystemNHSNumber
	ps, why, err := patients(ctx, s)
	if err != nil {
		return probes.Errored(exp, err)
	}
	if len(ps) == 0 {
		return probes.Skipped(exp, "no patients to inspect: "+why)
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
		return probes.Failed(exp, fmt.Sprintf("%d of %d NHS numbers use another system: %s", wrongTotal, total, strings.Join(parts, ", ")))
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
		return probes.Skipped(exp, "no patients to inspect: "+why)
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
		return probes.Failed(exp, fmt.Sprintf("%d of %d NHS numbers invalid: %s", len(bad), total, probes.Clip(strings.Join(bad, ", "), 300)))
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
		return probes.Failed(exp, fmt.Sprintf("%d of %d ODS identifiers wrong: %s", len(bad), len(bad)+len(good), probes.Clip(strings.Join(bad, "; "), 400)))
	case len(good) == 0:
		return probes.Skipped(exp, fmt.Sprintf("no ODS organisation identifiers found (%d patients, %d organisations inspected)", len(ps), len(seenOrg)))
	}
	slices.Sort(good)
	good = slices.Compact(good)
	return probes.Passed(exp, fmt.Sprintf("ODS codes %s, all well formed under the national system", probes.Clip(strings.Join(good, ", "), 200)))
}
