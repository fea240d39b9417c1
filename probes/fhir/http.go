package fhir

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/probes"
)

// readURL is the read of a Patient by logical id.
func readURL(id string) string { return "Patient/" + url.PathEscape(id) }

// unknownID is a syntactically valid id no server holds.
func unknownID() string { return "jigsaw-" + probes.RandomHex(12) }

func contentType(ctx context.Context, s *probes.Session) probes.Result {
	exp := "successful responses have Content-Type application/fhir+json (charset utf-8 if given)"
	if !s.Target.IsR4() {
		exp = "successful responses have Content-Type application/fhir+json or application/json+fhir (charset utf-8 if given)"
	}
	f, err := s.Capability(ctx)
	if err != nil {
		return probes.Errored(exp, err)
	}
	var seen, bad []string
	check := func(label string, r *probes.Response) {
		if r == nil || r.StatusCode < 200 || r.StatusCode > 299 {
			return
		}
		raw := r.Header.Get("Content-Type")
		mt, charset := probes.MediaType(raw)
		shown := probes.Clip(raw, 60)
		if raw == "" {
			shown = "no Content-Type"
		}
		if !slices.Contains(seen, shown) {
			seen = append(seen, shown)
		}
		switch {
		case !probes.IsFHIRJSON(mt, s.Target.FHIRVersion):
			bad = append(bad, fmt.Sprintf("%s: %s", label, shown))
		case charset != "" && charset != "utf-8":
			bad = append(bad, fmt.Sprintf("%s: charset %s", label, probes.Clip(charset, 20)))
		case r.Truncated || probes.ResourceTypeOf(r.Body) == "":
			bad = append(bad, fmt.Sprintf("%s: labelled %s but the body is not a FHIR JSON resource", label, shown))
		}
	}
	check("GET metadata", f.Response)
	if tp, err := s.TestPatient(ctx); err == nil {
		resp, err := s.SharedGet(ctx, readURL(tp.ID))
		if err != nil {
			return probes.Errored(exp, err)
		}
		check("GET Patient/[id]", resp)
	}
	if sample, err := s.PatientSample(ctx); err == nil {
		check("GET Patient?_count=10", sample.Response)
	}
	if len(seen) == 0 {
		return probes.Skipped(exp, "no successful response to inspect (metadata: "+f.Response.Describe()+")")
	}
	if len(bad) > 0 {
		return s.Breach(exp, strings.Join(bad, "; "))
	}
	return probes.Passed(exp, "Content-Type: "+strings.Join(seen, ", "))
}

// isJSONCapability reports whether a response is a JSON CapabilityStatement (any JSON type:
// the exact media type is fhir.content-type's business).
func isJSONCapability(r *probes.Response) bool {
	mt := r.ContentType()
	if mt != "application/json" && !strings.HasSuffix(mt, "+json") && mt != "application/json+fhir" {
		return false
	}
	_, err := probes.ParseCapabilityStatement(r.Body)
	return err == nil
}

func isXML(r *probes.Response) bool {
	mt := r.ContentType()
	return strings.HasSuffix(mt, "+xml") || mt == "application/xml" || mt == "text/xml" || mt == "application/xml+fhir"
}

func isHTML(r *probes.Response) bool {
	mt := r.ContentType()
	if mt == "text/html" || mt == "application/xhtml+xml" {
		return true
	}
	start := strings.ToLower(probes.Clip(string(r.Body), 64))
	return strings.HasPrefix(start, "<!doctype html") || strings.HasPrefix(start, "<html")
}

func formatNegotiation(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "_format=json (even with Accept: application/fhir+xml) and Accept: application/fhir+json return a JSON CapabilityStatement; XML or an unsupported format gets XML (if supported), 406/415 or JSON, never 5xx or HTML"
	type attempt struct {
		label, url, accept string
		mayRefuse          bool
	}
	attempts := []attempt{
		{"_format=json", "metadata?_format=json", "application/fhir+xml", false},
		{"Accept: application/fhir+json", "metadata", "application/fhir+json", false},
		{"Accept: application/fhir+xml", "metadata", "application/fhir+xml", true},
		{"Accept: application/x-jigsaw-unsupported", "metadata", "application/x-jigsaw-unsupported", true},
	}
	var problems, notes []string
	errors := 0
	for _, a := range attempts {
		resp, err := s.Get(ctx, a.url, "Accept", a.accept)
		if err != nil {
			errors++
			notes = append(notes, fmt.Sprintf("%s: no response (%v)", a.label, err))
			continue
		}
		desc := fmt.Sprintf("%s: %s", a.label, resp.Describe())
		switch {
		case resp.StatusCode >= 500 || isHTML(resp):
			problems = append(problems, desc)
		case a.mayRefuse:
			if resp.StatusCode == 406 || resp.StatusCode == 415 || (resp.StatusCode == 200 && (isJSONCapability(resp) || isXML(resp))) {
				notes = append(notes, desc)
			} else {
				problems = append(problems, desc)
			}
		case resp.StatusCode == 200 && isJSONCapability(resp):
			notes = append(notes, fmt.Sprintf("%s: JSON", a.label))
		default:
			problems = append(problems, desc+" (not a JSON CapabilityStatement)")
		}
	}
	if errors == len(attempts) {
		return probes.Errored(exp, fmt.Errorf("%s", strings.Join(notes, "; ")))
	}
	if len(problems) > 0 {
		return s.Breach(exp, strings.Join(append(problems, notes...), "; "))
	}
	if errors > 0 {
		return probes.Errored(exp, fmt.Errorf("%s", strings.Join(notes, "; ")))
	}
	return probes.Passed(exp, strings.Join(notes, "; "))
}

// operationOutcomeProblem returns "" when an error response carries a usable
// OperationOutcome, and what is wrong otherwise.
func operationOutcomeProblem(r *probes.Response) string {
	oo, err := probes.ParseOperationOutcome(r.Body)
	if err != nil {
		return fmt.Sprintf("%s, not an OperationOutcome (%v)", r.Describe(), err)
	}
	if len(oo.Issue) == 0 {
		return fmt.Sprintf("HTTP %d OperationOutcome without issues", r.StatusCode)
	}
	for i, issue := range oo.Issue {
		if issue.Severity == "" || issue.Code == "" {
			return fmt.Sprintf("HTTP %d OperationOutcome issue[%d] lacks severity or code", r.StatusCode, i)
		}
	}
	return ""
}

func errorsOperationOutcome(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "error responses to an unknown resource type, an unknown id and an invalid search carry an OperationOutcome with issue.severity and issue.code"
	type attempt struct {
		label, url string
		mustFail   bool
	}
	attempts := []attempt{
		{"unknown resource type", "JigsawUnknownType", true},
		{"unknown id", readURL(unknownID()), true},
		{"invalid search", "Patient?birthdate=not-a-date", false},
	}
	var problems, notes []string
	checked, errs := 0, 0
	for _, a := range attempts {
		resp, err := s.Get(ctx, a.url)
		if err != nil {
			errs++
			notes = append(notes, fmt.Sprintf("%s: no response (%v)", a.label, err))
			continue
		}
		switch {
		case resp.StatusCode < 400 && a.mustFail:
			problems = append(problems, fmt.Sprintf("%s: HTTP %d (should be an error)", a.label, resp.StatusCode))
		case resp.StatusCode < 400:
			notes = append(notes, fmt.Sprintf("%s: accepted (HTTP %d), not an error response", a.label, resp.StatusCode))
		default:
			checked++
			if p := operationOutcomeProblem(resp); p != "" {
				problems = append(problems, a.label+": "+p)
			} else {
				notes = append(notes, fmt.Sprintf("%s: HTTP %d OperationOutcome", a.label, resp.StatusCode))
			}
		}
	}
	observed := strings.Join(append(problems, notes...), "; ")
	switch {
	case len(problems) > 0:
		return s.Breach(exp, observed)
	case errs > 0 || checked == 0:
		return probes.Errored(exp, fmt.Errorf("%s", observed))
	}
	return probes.Passed(exp, observed)
}

func readNotFound(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "GET Patient/[unknown id] → 404 Not Found (or 410 Gone)"
	resp, err := s.Get(ctx, readURL(unknownID()))
	if err != nil {
		return probes.Errored(exp, err)
	}
	switch resp.StatusCode {
	case http.StatusNotFound, http.StatusGone:
		return probes.Passed(exp, resp.Describe())
	case http.StatusUnauthorized, http.StatusForbidden:
		return probes.CredentialsRefused(exp, resp)
	}
	return s.Breach(exp, resp.Describe())
}

// parseETag splits an ETag into its weakness and its unquoted value.
func parseETag(v string) (weak bool, value string) {
	v = strings.TrimSpace(v)
	if rest, ok := strings.CutPrefix(v, "W/"); ok {
		weak, v = true, rest
	}
	return weak, strings.Trim(v, `"`)
}

func readVersioning(ctx context.Context, s *probes.Session) probes.Result {
	const exp = `read returns ETag W/"[versionId]" equal to meta.versionId, and meta.lastUpdated`
	tp, err := s.TestPatient(ctx)
	if err != nil {
		return probes.NoPatient(exp, err)
	}
	resp, err := s.SharedGet(ctx, readURL(tp.ID))
	if err != nil {
		return probes.Errored(exp, err)
	}
	switch {
	case resp.StatusCode == 401 || resp.StatusCode == 403:
		return probes.CredentialsRefused(exp, resp)
	case resp.StatusCode != 200:
		return probes.Failed(exp, "read of the test patient: "+resp.Describe())
	}
	p, err := probes.ParsePatient(resp.Body)
	if err != nil {
		return probes.Failed(exp, fmt.Sprintf("read of the test patient: %v", err))
	}
	etag := resp.Header.Get("ETag")
	weak, tag := parseETag(etag)
	var vid, lastUpdated string
	if p.Meta != nil {
		vid, lastUpdated = p.Meta.VersionID, p.Meta.LastUpdated
	}
	var problems []string
	if etag == "" {
		problems = append(problems, "no ETag")
	}
	if vid == "" {
		problems = append(problems, "no meta.versionId")
	}
	if etag != "" && vid != "" && tag != vid {
		problems = append(problems, fmt.Sprintf("ETag %s does not match meta.versionId %q", probes.Clip(etag, 40), probes.Clip(vid, 40)))
	}
	if lastUpdated == "" {
		problems = append(problems, "no meta.lastUpdated")
	}
	observed := fmt.Sprintf("ETag %s, meta.versionId %q, meta.lastUpdated %q", probes.Clip(etag, 40), probes.Clip(vid, 40), probes.Clip(lastUpdated, 40))
	switch {
	case len(problems) > 0:
		return s.Breach(exp, strings.Join(problems, "; ")+" ("+observed+")")
	case !weak:
		return probes.Warned(exp, observed+" (strong ETag; FHIR uses weak W/ ETags)")
	}
	return probes.Passed(exp, observed)
}
