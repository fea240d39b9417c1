package fhir

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/probes"
)

// patientQuery is the Patient search the search probes use: by the test NHS number when the
// user gave one (servers may refuse unqualified searches), else a plain capped search.
func patientQuery(s *probes.Session, count int) string {
	if n := s.Target.TestNHSNumber; n != "" {
		return probes.NHSNumberQuery(n)
	}
	return fmt.Sprintf("Patient?_count=%d", count)
}

// searchFailure classifies a search response that is not a usable Bundle.
func searchFailure(exp, label string, resp *probes.Response) probes.Result {
	if resp.StatusCode == 401 || resp.StatusCode == 403 {
		return probes.CredentialsRefused(exp, resp)
	}
	if resp.StatusCode != 200 {
		return probes.Failed(exp, fmt.Sprintf("%s: %s", label, resp.Describe()))
	}
	_, err := probes.ParseBundle(resp.Body)
	return probes.Failed(exp, fmt.Sprintf("%s: %s: %v", label, resp.Describe(), err))
}

func searchBundle(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "Patient search → Bundle type searchset with a self link; every entry has fullUrl and search.mode"
	query := patientQuery(s, 5)
	resp, err := s.SharedGet(ctx, query)
	if err != nil {
		return probes.Errored(exp, err)
	}
	b, err := probes.ParseBundle(resp.Body)
	if resp.StatusCode != 200 || err != nil {
		return searchFailure(exp, "GET "+query, resp)
	}
	var problems []string
	if b.Type != "searchset" {
		problems = append(problems, fmt.Sprintf("Bundle.type %q", probes.Clip(b.Type, 30)))
	}
	if b.LinkURL("self") == "" {
		problems = append(problems, "no self link")
	}
	noFullURL, noMode := 0, 0
	for _, e := range b.Entry {
		if e.FullURL == "" {
			noFullURL++
		}
		if e.Search == nil || e.Search.Mode == "" {
			noMode++
		}
	}
	if noFullURL > 0 {
		problems = append(problems, fmt.Sprintf("%d of %d entries without fullUrl", noFullURL, len(b.Entry)))
	}
	if noMode > 0 {
		problems = append(problems, fmt.Sprintf("%d of %d entries without search.mode", noMode, len(b.Entry)))
	}
	if len(problems) > 0 {
		return probes.Failed(exp, "GET "+query+": "+strings.Join(problems, "; "))
	}
	return probes.Passed(exp, fmt.Sprintf("searchset Bundle with self link, %d entries with fullUrl and search.mode", len(b.Entry)))
}

const pagingExp = "Patient?_count=1 and a clinical search for the test patient with _count=1 return at most one match, and a next link when more exist; the next page is a searchset Bundle"

func searchPaging(ctx context.Context, s *probes.Session) probes.Result {
	res := patientPaging(ctx, s, pagingExp)
	if res.Status != probes.Pass && res.Status != probes.Skip && res.Status != probes.Warn {
		return res
	}
	problem, note, err := clinicalCount(ctx, s)
	switch {
	case err != nil && res.Status == probes.Skip:
		return res
	case err != nil:
		res.Observed += "; clinical _count not checked: " + err.Error()
		return res
	case problem != "":
		return probes.Failed(pagingExp, problem+"; "+res.Observed)
	case res.Status == probes.Skip:
		return probes.Passed(pagingExp, note+"; "+res.Observed)
	}
	res.Observed += "; " + note
	return res
}

// clinicalCount checks _count=1 on the first clinical search for the test patient that has
// more than one match: at most one may come back.
func clinicalCount(ctx context.Context, s *probes.Session) (problem, note string, err error) {
	tp, err := s.TestPatient(ctx)
	if err != nil {
		return "", "", err
	}
	for _, t := range ClinicalTypes {
		search, err := s.PatientSearch(ctx, t)
		if err != nil || search.Status != 200 || len(search.Resources) < 2 {
			continue
		}
		label := t + "?patient=[test patient]&_count=1"
		resp, err := s.Get(ctx, t+"?patient="+url.QueryEscape(tp.ID)+"&_count=1")
		if err != nil {
			return "", "", err
		}
		b, perr := probes.ParseBundle(resp.Body)
		if resp.StatusCode != 200 || perr != nil {
			return fmt.Sprintf("%s: %s", label, resp.Describe()), "", nil
		}
		if n := len(b.Matches(t)); n > 1 {
			return fmt.Sprintf("%s: %d matches (_count ignored)", label, n), "", nil
		}
		return "", fmt.Sprintf("%s: 1 match of %d", label, len(search.Resources)), nil
	}
	return "", "", fmt.Errorf("no clinical search for the test patient has more than one match")
}

func patientPaging(ctx context.Context, s *probes.Session, exp string) probes.Result {
	resp, err := s.Get(ctx, "Patient?_count=1")
	if err != nil {
		return probes.Errored(exp, err)
	}
	if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != 401 && resp.StatusCode != 403 {
		return probes.Skipped(exp, "the server refuses an unqualified Patient search ("+resp.Describe()+"), so paging cannot be exercised")
	}
	first, err := probes.ParseBundle(resp.Body)
	if resp.StatusCode != 200 || err != nil {
		return searchFailure(exp, "GET Patient?_count=1", resp)
	}
	matches := len(first.Matches(""))
	if matches > 1 {
		return probes.Failed(exp, fmt.Sprintf("_count=1 ignored: %d matches on the first page", matches))
	}
	next := first.LinkURL("next")
	if next == "" {
		more := first.Total != nil && *first.Total > 1
		evidence := ""
		if first.Total != nil {
			evidence = fmt.Sprintf("total %d", *first.Total)
		}
		if first.Total == nil {
			check, err := s.Get(ctx, "Patient?_count=2")
			if err != nil {
				return probes.Errored(exp, err)
			}
			if b, err := probes.ParseBundle(check.Body); err == nil && check.StatusCode == 200 {
				more = len(b.Matches("")) > 1
				evidence = fmt.Sprintf("_count=2 gave %d matches", len(b.Matches("")))
			}
		}
		if more {
			return probes.Warned(exp, fmt.Sprintf("%d match on the first page and no next link, but more exist (%s)", matches, evidence))
		}
		return probes.Passed(exp, fmt.Sprintf("%d match, no next link, and no more results (%s)", matches, evidence))
	}
	if u, err := url.Parse(next); err != nil || !u.IsAbs() || !s.OnTarget(next) {
		return probes.Failed(exp, fmt.Sprintf("next link %q is not an absolute URL on the server", probes.Clip(next, 80)))
	}
	page, err := s.Get(ctx, next)
	if err != nil {
		return probes.Errored(exp, err)
	}
	second, err := probes.ParseBundle(page.Body)
	if page.StatusCode != 200 || err != nil {
		return probes.Failed(exp, "following the next link: "+page.Describe())
	}
	if n := len(second.Matches("")); n > 1 {
		return probes.Failed(exp, fmt.Sprintf("next page has %d matches despite _count=1", n))
	}
	return probes.Passed(exp, fmt.Sprintf("%d match on page 1, next link followed to a searchset page of %d", matches, len(second.Matches(""))))
}

const unknownParam = "jigsaw-unknown-param"

func searchUnknownParam(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "unknown search parameter: 400 + OperationOutcome under Prefer: handling=strict; ignored (and absent from the self link) under handling=lenient; never 5xx or HTML"
	query := patientQuery(s, 1) + "&" + unknownParam + "=1"
	strict, err := s.Get(ctx, query, "Prefer", "handling=strict")
	if err != nil {
		return probes.Errored(exp, err)
	}
	lenient, err := s.Get(ctx, query, "Prefer", "handling=lenient")
	if err != nil {
		return probes.Errored(exp, err)
	}
	for _, r := range []*probes.Response{strict, lenient} {
		if r.StatusCode == 401 || r.StatusCode == 403 {
			return probes.CredentialsRefused(exp, r)
		}
	}
	var problems, warnings, notes []string
	switch {
	case strict.StatusCode >= 500 || isHTML(strict):
		problems = append(problems, "strict: "+strict.Describe())
	case strict.StatusCode == 400:
		if p := operationOutcomeProblem(strict); p != "" {
			problems = append(problems, "strict: "+p)
		} else {
			notes = append(notes, "strict: HTTP 400 OperationOutcome")
		}
	case strict.StatusCode == 200:
		warnings = append(warnings, "strict: HTTP 200 (handling=strict not honoured)")
	default:
		problems = append(problems, "strict: "+strict.Describe())
	}
	switch {
	case lenient.StatusCode >= 500 || isHTML(lenient):
		problems = append(problems, "lenient: "+lenient.Describe())
	case lenient.StatusCode == 200:
		b, err := probes.ParseBundle(lenient.Body)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("lenient: %s: %v", lenient.Describe(), err))
		case strings.Contains(b.LinkURL("self"), unknownParam):
			problems = append(problems, "lenient: self link still carries the unknown parameter")
		case b.LinkURL("self") == "":
			warnings = append(warnings, "lenient: HTTP 200 but no self link to show which parameters were used")
		default:
			notes = append(notes, "lenient: HTTP 200, parameter ignored and left out of the self link")
		}
	case lenient.StatusCode == 400:
		warnings = append(warnings, "lenient: HTTP 400 (handling=lenient not honoured)")
	default:
		problems = append(problems, "lenient: "+lenient.Describe())
	}
	observed := strings.Join(append(append(problems, warnings...), notes...), "; ")
	switch {
	case len(problems) > 0:
		return s.Breach(exp, observed)
	case len(warnings) > 0:
		return probes.Warned(exp, observed)
	}
	return probes.Passed(exp, observed)
}

// UKCorePrefix starts every UK Core StructureDefinition URL.
const UKCorePrefix = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-"

// UKCorePatient is the UK Core Patient profile.
const UKCorePatient = UKCorePrefix + "Patient"

func ukCoreProfiles(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "Patients declare meta.profile " + UKCorePatient + ", or the CapabilityStatement names UK Core profiles"
	if !s.Target.IsR4() {
		return probes.NotApplicableTo(exp, "UK Core is an R4 standard; the target is STU3")
	}
	var notes []string
	tp, patientErr := s.TestPatient(ctx)
	if patientErr == nil {
		if tp.Patient.Meta != nil {
			for _, p := range tp.Patient.Meta.Profile {
				if strings.HasPrefix(p, UKCorePatient) {
					return probes.Passed(exp, "test patient declares "+probes.Clip(p, 100))
				}
			}
		}
		notes = append(notes, "test patient declares no UK Core profile")
	}
	f, err := s.Capability(ctx)
	if err != nil {
		return probes.Errored(exp, err)
	}
	if f.Statement != nil {
		var ukcore []string
		for _, p := range f.Statement.AllProfiles() {
			if strings.HasPrefix(p, UKCorePrefix) {
				ukcore = append(ukcore, strings.TrimPrefix(p, "https://fhir.hl7.org.uk/StructureDefinition/"))
			}
		}
		if len(ukcore) > 0 {
			named := fmt.Sprintf("CapabilityStatement names %d UK Core profiles (%s)", len(ukcore), probes.Clip(strings.Join(ukcore, ", "), 120))
			return probes.Passed(exp, strings.Join(append(notes, named), "; "))
		}
		notes = append(notes, "CapabilityStatement names no UK Core profile")
	}
	if patientErr != nil && f.Statement == nil {
		return probes.Skipped(exp, "neither a patient nor a CapabilityStatement to inspect: "+patientErr.Error())
	}
	return probes.Warned(exp, strings.Join(notes, "; "))
}
