package probes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
)

// Values several packs need, fetched once per run through the shared cache.

// ErrNoTestPatient says no test patient could be found: probes that need one skip.
var ErrNoTestPatient = errors.New("no test patient")

// CapabilityFetch is GET [base]/metadata as the run saw it.
type CapabilityFetch struct {
	Response *Response
	// Statement is nil when the body was not a CapabilityStatement; ParseErr says why.
	Statement *CapabilityStatement
	ParseErr  error
}

// Capability fetches the target's CapabilityStatement once per run. The error is non-nil only
// when no response arrived at all.
func (s *Session) Capability(ctx context.Context) (*CapabilityFetch, error) {
	v, err := s.Shared(ctx, "engine.capability", func(ctx context.Context, s *Session) (any, error) {
		resp, err := s.Get(ctx, "metadata")
		if err != nil {
			return nil, fmt.Errorf("fetch CapabilityStatement: %w", err)
		}
		f := &CapabilityFetch{Response: resp}
		if resp.StatusCode != 200 {
			f.ParseErr = fmt.Errorf("HTTP %d", resp.StatusCode)
		} else {
			f.Statement, f.ParseErr = ParseCapabilityStatement(resp.Body)
		}
		return f, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*CapabilityFetch), nil
}

// SharedGet is a GET with the run's credentials whose response every probe asking for the same
// URL shares: reads of the test patient and searches several probes make are fetched once. The
// response is shared: callers must not modify it. Probes that time requests, send their own
// headers or need a fresh answer use Get.
func (s *Session) SharedGet(ctx context.Context, ref string) (*Response, error) {
	v, err := s.Shared(ctx, "engine.get "+ref, func(ctx context.Context, s *Session) (any, error) {
		return s.Get(ctx, ref)
	})
	if err != nil {
		return nil, err
	}
	return v.(*Response), nil
}

// PatientRecord is a Patient seen in a response, parsed and raw.
type PatientRecord struct {
	Patient *Patient
	Raw     json.RawMessage
}

// PatientSet is the result of a Patient search.
type PatientSet struct {
	Response *Response
	Bundle   *Bundle // nil when the body was not a Bundle; ParseErr says why
	ParseErr error
	Patients []PatientRecord
}

// PatientSampleSize is how many patients the shared sample asks for.
const PatientSampleSize = 10

// PatientSample searches Patient?_count=10 once per run: the patients identity and
// discovery probes look at. Servers that refuse unqualified searches give an empty set.
func (s *Session) PatientSample(ctx context.Context) (*PatientSet, error) {
	v, err := s.Shared(ctx, "engine.patient-sample", func(ctx context.Context, s *Session) (any, error) {
		return s.SearchPatients(ctx, fmt.Sprintf("Patient?_count=%d", PatientSampleSize))
	})
	if err != nil {
		return nil, err
	}
	return v.(*PatientSet), nil
}

// SearchPatients runs a Patient search and collects the patients it returns. The error is
// non-nil only when no response arrived.
func (s *Session) SearchPatients(ctx context.Context, query string) (*PatientSet, error) {
	resp, err := s.SharedGet(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("search %s: %w", query, err)
	}
	set := &PatientSet{Response: resp}
	if resp.StatusCode != 200 {
		set.ParseErr = fmt.Errorf("HTTP %d", resp.StatusCode)
		return set, nil
	}
	set.Bundle, set.ParseErr = ParseBundle(resp.Body)
	if set.Bundle == nil {
		return set, nil
	}
	for _, raw := range set.Bundle.Matches("Patient") {
		if p, err := ParsePatient(raw); err == nil {
			set.Patients = append(set.Patients, PatientRecord{Patient: p, Raw: raw})
		}
	}
	return set, nil
}

// TestPatient is the patient the run tests with.
type TestPatient struct {
	PatientRecord
	ID        string
	NHSNumber string
	// Found says how: "NHS number search" or "Patient?_count=10".
	Found string
}

// NHSNumberQuery is the search for a patient by NHS number.
func NHSNumberQuery(nhsNumber string) string {
	return "Patient?identifier=" + url.QueryEscape(SystemNHSNumber+"|"+nhsNumber)
}

// TestPatient finds the run's test patient once: by the target's NHS number when one is
// given, else the first patient of the sample (preferring one with an NHS number). When
// none is found the error wraps ErrNoTestPatient.
func (s *Session) TestPatient(ctx context.Context) (*TestPatient, error) {
	v, err := s.Shared(ctx, "engine.test-patient", func(ctx context.Context, s *Session) (any, error) {
		if n := s.Target.TestNHSNumber; n != "" {
			set, err := s.SearchPatients(ctx, NHSNumberQuery(n))
			if err != nil {
				return nil, err
			}
			if err := refusedSet(set); err != nil {
				return nil, err
			}
			// The identifier's system is identity.nhs-number.system's business: any identifier
			// with the number names the test patient.
			for _, rec := range set.Patients {
				if rec.Patient.ID != "" && slices.ContainsFunc(rec.Patient.Identifier, func(id Identifier) bool { return id.Value == n }) {
					return &TestPatient{PatientRecord: rec, ID: rec.Patient.ID, NHSNumber: n, Found: "NHS number search"}, nil
				}
			}
			return nil, fmt.Errorf("%w: searching by NHS number %s gave %s", ErrNoTestPatient, s.Identifier(n), describeSet(set))
		}
		set, err := s.PatientSample(ctx)
		if err != nil {
			return nil, err
		}
		if err := refusedSet(set); err != nil {
			return nil, err
		}
		var first *PatientRecord
		for i, rec := range set.Patients {
			if rec.Patient.ID == "" {
				continue
			}
			if rec.Patient.NHSNumber() != "" {
				return &TestPatient{PatientRecord: rec, ID: rec.Patient.ID, NHSNumber: rec.Patient.NHSNumber(), Found: "Patient?_count=10"}, nil
			}
			if first == nil {
				first = &set.Patients[i]
			}
		}
		if first != nil {
			return &TestPatient{PatientRecord: *first, ID: first.Patient.ID, Found: "Patient?_count=10"}, nil
		}
		return nil, fmt.Errorf("%w: no --patient given and Patient?_count=%d gave %s", ErrNoTestPatient, PatientSampleSize, describeSet(set))
	})
	if err != nil {
		return nil, err
	}
	return v.(*TestPatient), nil
}

// refusedSet is an ErrCredentialsRefused error when a Patient search was answered 401 or 403:
// the test patient could not be looked for, which is not the same as there being none.
func refusedSet(set *PatientSet) error {
	if set.Response != nil && (set.Response.StatusCode == 401 || set.Response.StatusCode == 403) {
		return fmt.Errorf("%w: the search for a test patient was answered %s", ErrCredentialsRefused, set.Response.Describe())
	}
	return nil
}

func describeSet(set *PatientSet) string {
	switch {
	case set.Response == nil:
		return "no response"
	case set.ParseErr != nil:
		return fmt.Sprintf("HTTP %d, not a Bundle (%v)", set.Response.StatusCode, set.ParseErr)
	default:
		return fmt.Sprintf("HTTP %d, %d patients", set.Response.StatusCode, len(set.Patients))
	}
}

// ClinicalSearch is a search of one resource type for the test patient, all pages read.
type ClinicalSearch struct {
	ResourceType string
	// Status is the first page's HTTP status; Err says why the search was incomplete.
	Status    int
	Err       error
	Resources []json.RawMessage
}

// MaxClinicalPages bounds how many pages of one clinical search are read.
const MaxClinicalPages = 5

// PatientSearch searches [type]?patient=[id] for the test patient once per run and type,
// following next links on the target's own origin for up to MaxClinicalPages pages. The
// error is non-nil when there is no test patient or nothing could be fetched.
func (s *Session) PatientSearch(ctx context.Context, resourceType string) (*ClinicalSearch, error) {
	v, err := s.Shared(ctx, "engine.patient-search."+resourceType, func(ctx context.Context, s *Session) (any, error) {
		tp, err := s.TestPatient(ctx)
		if err != nil {
			return nil, err
		}
		out := &ClinicalSearch{ResourceType: resourceType}
		next := fmt.Sprintf("%s?patient=%s&_count=50", resourceType, url.QueryEscape(tp.ID))
		for page := 0; next != "" && page < MaxClinicalPages; page++ {
			resp, err := s.Get(ctx, next)
			if err != nil {
				if page == 0 {
					return nil, fmt.Errorf("search %s: %w", resourceType, err)
				}
				out.Err = err
				break
			}
			if page == 0 {
				out.Status = resp.StatusCode
			}
			if resp.StatusCode != 200 {
				out.Err = fmt.Errorf("%s search page %d: HTTP %d", resourceType, page+1, resp.StatusCode)
				break
			}
			b, err := ParseBundle(resp.Body)
			if err != nil {
				out.Err = fmt.Errorf("%s search page %d: %w", resourceType, page+1, err)
				break
			}
			out.Resources = append(out.Resources, b.Matches(resourceType)...)
			next = b.LinkURL("next")
			if next != "" && !s.OnTarget(next) {
				out.Err = fmt.Errorf("%s search: next link leaves the server (%s); not followed", resourceType, s.client.redact.url(next))
				break
			}
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*ClinicalSearch), nil
}
