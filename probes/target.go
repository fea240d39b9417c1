package probes

import (
	"fmt"
	"net/url"
	"strings"
)

// FHIR versions a target can declare.
const (
	R4   = "R4"
	STU3 = "STU3"
)

// Normalize checks the target and returns it with defaults filled in: the base URL without a
// trailing slash and the FHIR version in its canonical spelling (R4 when empty).
func (t Target) Normalize() (Target, error) {
	u, err := url.Parse(strings.TrimSpace(t.BaseURL))
	if err != nil {
		return t, fmt.Errorf("target base URL %q: %w", t.BaseURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return t, fmt.Errorf("target base URL %q: scheme must be https (or http), not %q", t.BaseURL, u.Scheme)
	}
	if u.Host == "" {
		return t, fmt.Errorf("target base URL %q: no host", t.BaseURL)
	}
	if u.User != nil {
		return t, fmt.Errorf("target base URL %q: credentials in the URL are not accepted; use a token", redactURLUser(u))
	}
	u.RawQuery, u.Fragment = "", ""
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	t.BaseURL = u.String()

	switch strings.ToUpper(strings.TrimSpace(t.FHIRVersion)) {
	case "", "R4", "4.0", "4.0.1":
		t.FHIRVersion = R4
	case "STU3", "R3", "3.0", "3.0.1", "3.0.2":
		t.FHIRVersion = STU3
	default:
		return t, fmt.Errorf("target FHIR version %q: use R4 or STU3", t.FHIRVersion)
	}
	if (t.ClientCert == "") != (t.ClientKey == "") {
		return t, fmt.Errorf("client certificate and key go together: give both --cert and --key")
	}
	t.TestNHSNumber = strings.ReplaceAll(strings.TrimSpace(t.TestNHSNumber), " ", "")
	return t, nil
}

// IsR4 reports whether the target speaks FHIR R4 (the default).
func (t Target) IsR4() bool { return t.FHIRVersion != STU3 }

func redactURLUser(u *url.URL) string {
	c := *u
	c.User = url.User(Redacted)
	return c.String()
}

// Spec returns the URL of a page of the FHIR specification for the target's version, e.g.
// Spec("http.html#read") is http://hl7.org/fhir/R4/http.html#read for an R4 target.
func (t Target) Spec(page string) string {
	if t.FHIRVersion == STU3 {
		return "http://hl7.org/fhir/STU3/" + page
	}
	return "http://hl7.org/fhir/R4/" + page
}
