package fhir

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/nhs-jigsaw/jigsaw/probes"
)

// MaxExercisedParams bounds how many declared search parameters one run tries: each is one
// read-only GET for the test patient.
const MaxExercisedParams = 30

// ParamConcurrency is how many of those searches are in flight at once.
const ParamConcurrency = 4

// paramsExercise is what trying the declared search parameters showed.
type paramsExercise struct {
	working, broken, untried []string
}

func (e paramsExercise) summary() string {
	parts := []string{fmt.Sprintf("declared search parameters exercised: %d work, %d broken", len(e.working), len(e.broken))}
	if len(e.untried) > 0 {
		parts = append(parts, fmt.Sprintf("%d not tried (no value known from the test patient's data: %s)", len(e.untried), probes.Clip(strings.Join(e.untried, ", "), 160)))
	}
	return strings.Join(parts, "; ")
}

// ignoredParams are result parameters and the like, exercised elsewhere or not searches.
var ignoredParams = map[string]bool{
	"_count": true, "_format": true, "_sort": true, "_include": true, "_revinclude": true, "_summary": true,
	"_elements": true, "_contained": true, "_containedType": true, "_total": true, "_pretty": true, "_offset": true,
}

// exerciseSearchParams tries each search parameter the CapabilityStatement declares for
// Patient and the clinical types, with a value taken from the test patient's own data, and
// lists those that do not work (an HTTP error other than 401/403, or no searchset Bundle).
func exerciseSearchParams(ctx context.Context, s *probes.Session, cs *probes.CapabilityStatement) (paramsExercise, error) {
	var ex paramsExercise
	tp, err := s.TestPatient(ctx)
	if err != nil {
		return ex, err
	}
	type job struct {
		label, value, query string
	}
	var jobs []job
	for _, t := range append([]string{"Patient"}, ClinicalTypes...) {
		decl := cs.ResourceDecl(t)
		if decl == nil {
			continue
		}
		var sample json.RawMessage
		if t == "Patient" {
			sample = tp.Raw
		} else if search, err := s.PatientSearch(ctx, t); err == nil && len(search.Resources) > 0 {
			sample = search.Resources[0]
		}
		for _, sp := range decl.SearchParam {
			if ignoredParams[sp.Name] || sp.Name == "" {
				continue
			}
			label := t + " " + sp.Name
			value, ok := paramValue(t, sp.Name, sp.Type, tp, sample)
			if !ok || len(jobs) >= MaxExercisedParams {
				ex.untried = append(ex.untried, label)
				continue
			}
			q := url.Values{}
			q.Set(sp.Name, value)
			if t != "Patient" && sp.Name != "patient" && sp.Name != "subject" {
				q.Set("patient", tp.ID)
			}
			q.Set("_count", "10")
			jobs = append(jobs, job{label, value, t + "?" + q.Encode()})
		}
	}
	// The searches are independent: a few at a time (the client's per-host rate limit still
	// applies to real servers); outcomes are kept in declaration order.
	outcomes := make([]struct {
		working, broken, untried string
	}, len(jobs))
	var g errgroup.Group
	g.SetLimit(ParamConcurrency)
	for i, j := range jobs {
		g.Go(func() error {
			resp, err := s.Get(ctx, j.query)
			if err != nil {
				return fmt.Errorf("search %s: %w", j.label, err)
			}
			o := &outcomes[i]
			switch {
			case resp.StatusCode == 401 || resp.StatusCode == 403:
				o.untried = j.label + " (credentials refused)"
			case resp.StatusCode != 200:
				o.broken = fmt.Sprintf("%s=%s: %s%s", j.label, probes.Clip(j.value, 40), resp.Describe(), diagnostics(resp.Body))
			default:
				if b, err := probes.ParseBundle(resp.Body); err != nil || b.Type != "searchset" {
					o.broken = fmt.Sprintf("%s: HTTP 200 but not a searchset Bundle", j.label)
				} else {
					o.working = j.label
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return ex, err
	}
	for _, o := range outcomes {
		switch {
		case o.working != "":
			ex.working = append(ex.working, o.working)
		case o.broken != "":
			ex.broken = append(ex.broken, o.broken)
		case o.untried != "":
			ex.untried = append(ex.untried, o.untried)
		}
	}
	return ex, nil
}

// diagnostics quotes an OperationOutcome's first diagnostics or details text, if any.
func diagnostics(body []byte) string {
	oo, err := probes.ParseOperationOutcome(body)
	if err != nil || len(oo.Issue) == 0 {
		return ""
	}
	text := oo.Issue[0].Diagnostics
	if text == "" && oo.Issue[0].Details != nil {
		text = oo.Issue[0].Details.Text
	}
	if text == "" {
		return ""
	}
	return fmt.Sprintf(" (%q)", probes.Clip(text, 80))
}

// paramValue picks a value for a search parameter from the test patient or a sample resource
// of the type: the parameter's value in that data, so a working server matches something.
func paramValue(resourceType, name, typ string, tp *probes.TestPatient, sample json.RawMessage) (string, bool) {
	switch name {
	case "_id":
		if resourceType == "Patient" {
			return tp.ID, true
		}
		return idOf(sample)
	case "patient":
		return tp.ID, true
	case "subject":
		return "Patient/" + tp.ID, true
	case "_lastUpdated":
		return "ge1900-01-01", true
	}
	if resourceType == "Patient" {
		switch name {
		case "identifier":
			if tp.NHSNumber != "" {
				return probes.SystemNHSNumber + "|" + tp.NHSNumber, true
			}
		case "birthdate":
			return stringField(sample, "birthDate")
		case "gender":
			return stringField(sample, "gender")
		case "family", "name", "given":
			return nameValue(sample, name)
		}
	}
	if typ == "date" {
		return "ge1900-01-01", true
	}
	if sample == nil {
		return "", false
	}
	if typ == "token" {
		return tokenField(sample, camel(name))
	}
	return "", false
}

func idOf(raw json.RawMessage) (string, bool) { return stringField(raw, "id") }

func stringField(raw json.RawMessage, field string) (string, bool) {
	var doc map[string]json.RawMessage
	if raw == nil || json.Unmarshal(raw, &doc) != nil {
		return "", false
	}
	var v string
	if json.Unmarshal(doc[field], &v) != nil || v == "" {
		return "", false
	}
	return v, true
}

func nameValue(raw json.RawMessage, param string) (string, bool) {
	var p struct {
		Name []struct {
			Family string   `json:"family"`
			Given  []string `json:"given"`
		} `json:"name"`
	}
	if raw == nil || json.Unmarshal(raw, &p) != nil || len(p.Name) == 0 {
		return "", false
	}
	n := p.Name[0]
	switch {
	case (param == "family" || param == "name") && n.Family != "":
		return n.Family, true
	case param == "given" && len(n.Given) > 0 && n.Given[0] != "":
		return n.Given[0], true
	}
	return "", false
}

// tokenField reads a token value for a search from an element: a code string, a Coding's or
// CodeableConcept's first system|code, or an Identifier's system|value.
func tokenField(raw json.RawMessage, field string) (string, bool) {
	var doc map[string]json.RawMessage
	if json.Unmarshal(raw, &doc) != nil || doc[field] == nil {
		return "", false
	}
	v := doc[field]
	var code string
	if json.Unmarshal(v, &code) == nil && code != "" {
		return code, true
	}
	var cc probes.CodeableConcept
	if json.Unmarshal(v, &cc) == nil && len(cc.Coding) > 0 && cc.Coding[0].Code != "" {
		c := cc.Coding[0]
		if c.System != "" {
			return c.System + "|" + c.Code, true
		}
		return c.Code, true
	}
	var list []probes.CodeableConcept
	if json.Unmarshal(v, &list) == nil && len(list) > 0 && len(list[0].Coding) > 0 && list[0].Coding[0].Code != "" {
		c := list[0].Coding[0]
		if c.System != "" {
			return c.System + "|" + c.Code, true
		}
		return c.Code, true
	}
	return "", false
}

// camel turns a search parameter name into the element it usually searches:
// clinical-status → clinicalStatus.
func camel(name string) string {
	parts := strings.Split(name, "-")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}
