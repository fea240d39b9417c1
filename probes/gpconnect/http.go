package gpconnect

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

func httpDefs() []def {
	return []def{
		{"gpconnect.http.media-type", probes.Medium, verdict.Shall, "Unsupported formats get 415",
			specGeneral + "#resource-representation; " + suite073 + "FhirBase.feature",
			"Where the requested format is not supported the provider SHALL respond 415 Unsupported Media Type; JSON responses are application/fhir+json.",
			"_format=application/pdf gets 415 with an OperationOutcome (the specification); Accept: text/xml gets 415 only in the DSTU2-era 0.7.3 suite, so a different answer warns.", mediaType},
		{"gpconnect.http.format", probes.Low, verdict.Should, "XML offered, _format wins over Accept",
			specGeneral + "#resource-representation; " + suite + "FHIR.feature",
			"Providers SHALL support JSON and SHOULD support XML; the _format parameter overrides the Accept header.",
			"_format=application/fhir+xml gets FHIR XML; _format=application/fhir+json with Accept: application/fhir+xml gets JSON.", formatNegotiation},
		{"gpconnect.http.gzip", probes.Low, verdict.Shall, "GZIP compression supported",
			specGeneral + "#compression; " + suite + "FHIR.feature",
			"Provider systems SHALL support GZIP compression: a request with Accept-Encoding: gzip is answered with Content-Encoding: gzip.",
			"GET /metadata with Accept-Encoding: gzip is answered gzip-encoded.", gzipSupport},
		{"gpconnect.http.unknown-interaction", probes.Medium, verdict.Shall, "Unknown paths and verbs are refused with an OperationOutcome",
			specErrors + "; " + suite + "Http.feature",
			"A request for an unknown path, a wrongly cased path or an unsupported verb SHALL be refused with an OperationOutcome (400 BAD_REQUEST for a malformed request).",
			"GET /metadatas, GET /Metadata and PATCH /metadata get a 4xx OperationOutcome with a Spine code.", unknownInteraction},
		{"gpconnect.http.no-store", probes.Medium, verdict.Shall, "Cache-Control: no-store on every response",
			specSecurity + "#response-headers; " + suite + "Steps/HttpResponseSteps.cs",
			"Provider systems MUST ensure no sensitive data leaks into a browser cache by setting Cache-Control: no-store on all responses.",
			"A successful response and an error response both carry Cache-Control containing no-store.", noStore},
		{"gpconnect.errors.operation-outcome", probes.Medium, verdict.Shall, "Errors are GP Connect OperationOutcomes",
			specErrors + "; " + suite + "Steps/BundleSteps.cs",
			"Errors SHALL be returned as an OperationOutcome conforming to GPConnect-OperationOutcome-1: issue.severity error, issue.code, and details.coding from Spine-ErrorOrWarningCode-1 with code and display.",
			"Reading an unknown Patient id gets 404 with that OperationOutcome and PATIENT_NOT_FOUND.", errorsOutcome},
	}
}

func mediaType(ctx context.Context, s *probes.Session) probes.Result {
	exp := "415 with an OperationOutcome for an unsupported _format; application/fhir+json on success; Accept: text/xml 415 (0.7.3 suite)"
	if r, b, ok := requireBaseline(ctx, s, exp); !ok {
		return r
	} else if ct := b.resp.ContentType(); ct != "application/fhir+json" {
		return probes.Failed(exp, fmt.Sprintf("JSON success Content-Type %q, want application/fhir+json", probes.Clip(b.resp.Header.Get("Content-Type"), 60)))
	}
	return sendNegative(ctx, s, exp, []negativeCase{
		{name: "_format=application/pdf", call: Call{URL: "metadata?_format=application%2Fpdf", Interaction: InteractionMetadata, Scope: ScopeOrgRead},
			want: []expectation{{status: 415, source: "spec"}}},
		{name: "Accept: text/xml", call: withSet(metadataCall(), "Accept", "text/xml"), want: []expectation{{status: 415, source: "0.7.3 suite"}},
			suiteOnly: "a DSTU2-era rule of the 0.7.3 suite (FhirBase.feature); the 1.x specification names only the FHIR media types"},
	})
}

func formatNegotiation(ctx context.Context, s *probes.Session) probes.Result {
	exp := "_format=application/fhir+xml answered in FHIR XML; _format=application/fhir+json beats Accept: application/fhir+xml"
	if r, _, ok := requireBaseline(ctx, s, exp); !ok {
		return r
	}
	xml, err := Do(ctx, s, Call{URL: "metadata?_format=" + "application%2Ffhir%2Bxml", Interaction: InteractionMetadata, Scope: ScopeOrgRead})
	if err != nil {
		return probes.Errored(exp, err)
	}
	jsonResp, err := Do(ctx, s, withSet(Call{URL: "metadata?_format=application%2Ffhir%2Bjson", Interaction: InteractionMetadata, Scope: ScopeOrgRead}, "Accept", "application/fhir+xml"))
	if err != nil {
		return probes.Errored(exp, err)
	}
	var problems []string
	if jsonResp.StatusCode != 200 || jsonResp.ContentType() != "application/fhir+json" {
		problems = append(problems, "_format json with Accept xml: "+jsonResp.Describe()+", want 200 application/fhir+json")
	}
	xmlOK := xml.StatusCode == 200 && xml.ContentType() == "application/fhir+xml" && strings.Contains(string(xml.Body), "<CapabilityStatement")
	obs := "_format xml: " + xml.Describe() + "; _format json with Accept xml: " + jsonResp.Describe()
	switch {
	case len(problems) > 0:
		return probes.Failed(exp, strings.Join(problems, "; "))
	case !xmlOK:
		return probes.Warned(exp, "XML not offered (SHOULD): "+obs)
	}
	return probes.Passed(exp, obs)
}

func gzipSupport(ctx context.Context, s *probes.Session) probes.Result {
	exp := "Content-Encoding: gzip for Accept-Encoding: gzip"
	if r, _, ok := requireBaseline(ctx, s, exp); !ok {
		return r
	}
	sent, err := Do(ctx, s, withSet(metadataCall(), "Accept-Encoding", "gzip"))
	if err != nil {
		return probes.Errored(exp, err)
	}
	enc := sent.Header.Get("Content-Encoding")
	if sent.StatusCode != 200 || !strings.EqualFold(enc, "gzip") {
		return probes.Failed(exp, fmt.Sprintf("%s, Content-Encoding %q", sent.Describe(), probes.Clip(enc, 30)))
	}
	return probes.Passed(exp, sent.Describe()+", Content-Encoding gzip")
}

func unknownInteraction(ctx context.Context, s *probes.Session) probes.Result {
	patch := metadataCall()
	patch.Method = http.MethodPatch
	patch.Body = []byte(`{}`)
	wrongCase := metadataCall()
	wrongCase.URL = "Metadata"
	unknown := metadataCall()
	unknown.URL = "metadatas"
	any4xx := []expectation{specAnswer(400, "BAD_REQUEST"), {status: anyClientError, source: "suite"}}
	return runNegative(ctx, s, "a 4xx GP Connect OperationOutcome with a Spine code for unknown paths and verbs", []negativeCase{
		{name: "GET /metadatas", call: unknown, want: any4xx},
		{name: "GET /Metadata", call: wrongCase, want: any4xx},
		{name: "PATCH /metadata", call: patch, want: any4xx},
	})
}

func noStore(ctx context.Context, s *probes.Session) probes.Result {
	exp := "Cache-Control containing no-store on a success and on an error"
	r, b, ok := requireBaseline(ctx, s, exp)
	if !ok {
		return r
	}
	var bad, notes []string
	check := func(label string, resp *probes.Response) {
		cc := resp.Header.Get("Cache-Control")
		if !strings.Contains(strings.ToLower(cc), "no-store") {
			bad = append(bad, fmt.Sprintf("%s (HTTP %d): Cache-Control %q", label, resp.StatusCode, probes.Clip(cc, 60)))
		} else {
			notes = append(notes, fmt.Sprintf("%s (HTTP %d): %s", label, resp.StatusCode, probes.Clip(cc, 60)))
		}
	}
	check("success, GET /metadata", b.resp)
	sent, err := Do(ctx, s, Call{URL: "Patient/jigsaw-unknown-" + probes.RandomHex(4), Interaction: InteractionReadPatient, Scope: ScopePatientRead})
	if err != nil {
		return probes.Errored(exp, err)
	}
	if sent.StatusCode < 400 {
		notes = append(notes, fmt.Sprintf("no error response to inspect: the read of an unknown Patient id answered HTTP %d (see gpconnect.errors.operation-outcome)", sent.StatusCode))
	} else {
		check("error, read of an unknown Patient id", sent.Response)
	}
	if len(bad) > 0 {
		return probes.Failed(exp, strings.Join(bad, "; "))
	}
	return probes.Passed(exp, strings.Join(notes, "; "))
}

func errorsOutcome(ctx context.Context, s *probes.Session) probes.Result {
	exp := "404 OperationOutcome: GPConnect-OperationOutcome-1 profile, severity error, issue.code, one Spine coding with code and display"
	if r, _, ok := requireBaseline(ctx, s, exp); !ok {
		return r
	}
	sent, err := Do(ctx, s, Call{URL: "Patient/jigsaw-unknown-" + probes.RandomHex(4), Interaction: InteractionReadPatient, Scope: ScopePatientRead})
	if err != nil {
		return probes.Errored(exp, err)
	}
	oo, err := probes.ParseOperationOutcome(sent.Body)
	if err != nil {
		return probes.Failed(exp, fmt.Sprintf("%s: %v", sent.Describe(), err))
	}
	var problems []string
	if sent.StatusCode != 404 {
		problems = append(problems, fmt.Sprintf("HTTP %d, want 404", sent.StatusCode))
	}
	if !hasProfile(oo.Meta, "GPConnect-OperationOutcome-1") {
		problems = append(problems, "meta.profile lacks GPConnect-OperationOutcome-1")
	}
	if len(oo.Issue) == 0 {
		problems = append(problems, "no issue")
	}
	code := ""
	for i, is := range oo.Issue {
		if is.Severity != "error" || is.Code == "" {
			problems = append(problems, fmt.Sprintf("issue %d: severity %q, code %q", i, probes.Clip(is.Severity, 20), probes.Clip(is.Code, 30)))
		}
		var codings []probes.Coding
		if is.Details != nil {
			codings = is.Details.Coding
		}
		if len(codings) != 1 || codings[0].Code == "" || codings[0].Display == "" {
			problems = append(problems, fmt.Sprintf("issue %d: %d details codings, want one with code and display", i, len(codings)))
			continue
		}
		code = codings[0].Code
		if codings[0].System != SystemSpineCode {
			problems = append(problems, fmt.Sprintf("issue %d: coding system %q, want %s", i, probes.Clip(codings[0].System, 80), SystemSpineCode))
		}
	}
	if code != "" && code != "PATIENT_NOT_FOUND" {
		problems = append(problems, fmt.Sprintf("Spine code %q, want PATIENT_NOT_FOUND", probes.Clip(code, 40)))
	}
	if len(problems) > 0 {
		return probes.Failed(exp, strings.Join(problems, "; "))
	}
	return probes.Passed(exp, fmt.Sprintf("%s; %s", sent.Describe(), code))
}
