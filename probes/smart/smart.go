// Package smart probes SMART on FHIR discovery, for servers that declare SMART.
package smart

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// Pack is this pack's name.
const Pack = "smart"

// SpecRef is the SMART App Launch 2.0 (STU2) conformance page.
const SpecRef = "http://hl7.org/fhir/smart-app-launch/STU2/conformance.html#metadata"

// Probes returns the pack's probes in report order.
func Probes() []probes.Probe {
	return []probes.Probe{
		probes.New(probes.Meta{
			ID: "smart.configuration", Pack: Pack, Severity: probes.Medium, Strength: verdict.Shall,
			Title:   "SMART configuration is published",
			SpecRef: SpecRef + "; http://hl7.org/fhir/R4/capabilitystatement-definitions.html#CapabilityStatement.rest.security.service",
			Requirement: "SMART App Launch 2.0 §2.0.4: a server that supports SMART SHALL publish [base]/.well-known/smart-configuration with token_endpoint, grant_types_supported, capabilities and " +
				"code_challenge_methods_supported (which SHALL include S256 and SHALL NOT include plain); authorization_endpoint is REQUIRED when launch-ehr or launch-standalone is declared, issuer and jwks_uri when sso-openid-connect is.",
			Description: "Not applicable unless the CapabilityStatement declares SMART-on-FHIR in rest.security.service (NHS national APIs use NHS CIS2 or NHS login instead; checklist IAM-02 accepts them) and the target is R4. " +
				"When declared: fail when the document is missing, not JSON, lacks a required field, or code_challenge_methods_supported lacks S256 or includes plain.",
		}, configuration),
	}
}

// Configuration is the part of a SMART configuration document the probe reads.
type Configuration struct {
	Issuer                        string   `json:"issuer"`
	JWKSURI                       string   `json:"jwks_uri"`
	AuthorizationEndpoint         string   `json:"authorization_endpoint"`
	TokenEndpoint                 string   `json:"token_endpoint"`
	GrantTypesSupported           []string `json:"grant_types_supported"`
	Capabilities                  []string `json:"capabilities"`
	CodeChallengeMethodsSupported []string `json:"code_challenge_methods_supported"`
}

// ParseConfiguration decodes a SMART configuration and lists the members SMART App Launch 2.0
// requires that are missing or malformed (conditional ones by the declared capabilities).
func ParseConfiguration(body []byte) (*Configuration, []string, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, nil, fmt.Errorf("not a JSON object: %w", err)
	}
	var c Configuration
	var missing []string
	read := func(name string, into any, required bool) {
		v, ok := raw[name]
		if !ok || string(v) == "null" {
			if required {
				missing = append(missing, name)
			}
			return
		}
		if json.Unmarshal(v, into) != nil {
			missing = append(missing, name+" (malformed)")
		}
	}
	read("token_endpoint", &c.TokenEndpoint, true)
	read("grant_types_supported", &c.GrantTypesSupported, true)
	read("capabilities", &c.Capabilities, true)
	read("code_challenge_methods_supported", &c.CodeChallengeMethodsSupported, true)
	launch := slices.Contains(c.Capabilities, "launch-ehr") || slices.Contains(c.Capabilities, "launch-standalone")
	read("authorization_endpoint", &c.AuthorizationEndpoint, launch)
	oidc := slices.Contains(c.Capabilities, "sso-openid-connect")
	read("issuer", &c.Issuer, oidc)
	read("jwks_uri", &c.JWKSURI, oidc)
	for _, m := range []struct {
		name, value string
		required    bool
	}{{"token_endpoint", c.TokenEndpoint, true}, {"authorization_endpoint", c.AuthorizationEndpoint, launch}, {"issuer", c.Issuer, oidc}, {"jwks_uri", c.JWKSURI, oidc}} {
		if m.required && m.value == "" && !slices.ContainsFunc(missing, func(s string) bool { return strings.HasPrefix(s, m.name) }) {
			missing = append(missing, m.name)
		}
	}
	if _, ok := raw["grant_types_supported"]; ok && len(c.GrantTypesSupported) == 0 && !slices.ContainsFunc(missing, func(s string) bool { return strings.HasPrefix(s, "grant_types_supported") }) {
		missing = append(missing, "grant_types_supported (empty)")
	}
	return &c, missing, nil
}

func configuration(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "when SMART is declared: GET [base]/.well-known/smart-configuration → 200 JSON with token_endpoint, grant_types_supported, capabilities, code_challenge_methods_supported (S256, not plain), and authorization_endpoint for launch capabilities"
	if !s.Target.IsR4() {
		return probes.NotApplicableTo(exp, "SMART App Launch 2.0 is an R4 specification; this target is STU3")
	}
	f, err := s.Capability(ctx)
	if err != nil {
		return probes.Errored(exp, err)
	}
	if f.Statement == nil {
		return probes.SkippedFor(exp, "fhir.capability.present", "no CapabilityStatement to say whether SMART is declared")
	}
	rest := f.Statement.ServerRest()
	if !rest.DeclaresSMART() {
		declared := "none"
		if svc := rest.SecurityServices(); len(svc) > 0 {
			declared = probes.Clip(strings.Join(svc, ", "), 80)
		}
		return probes.NotApplicableTo(exp, "the CapabilityStatement does not declare SMART-on-FHIR in rest.security.service (declared services: "+declared+"); national NHS APIs use NHS CIS2 or NHS login instead")
	}
	resp, err := s.Do(ctx, probes.Request{URL: ".well-known/smart-configuration", NoAuth: true,
		Header: map[string][]string{"Accept": {"application/json"}}})
	if err != nil {
		return probes.Errored(exp, err)
	}
	if resp.StatusCode != 200 {
		return s.Breach(exp, "SMART-on-FHIR declared, but .well-known/smart-configuration: "+resp.Describe())
	}
	c, missing, err := ParseConfiguration(resp.Body)
	if err != nil {
		return s.Breach(exp, fmt.Sprintf("%s: %v", resp.Describe(), err))
	}
	var problems []string
	if len(missing) > 0 {
		problems = append(problems, "missing or malformed: "+strings.Join(missing, ", "))
	}
	if len(c.CodeChallengeMethodsSupported) > 0 && !slices.Contains(c.CodeChallengeMethodsSupported, "S256") {
		problems = append(problems, "code_challenge_methods_supported lacks S256")
	}
	if slices.Contains(c.CodeChallengeMethodsSupported, "plain") {
		problems = append(problems, "code_challenge_methods_supported includes plain")
	}
	observed := fmt.Sprintf("token_endpoint %s, grant types %s, %d capabilities (%s), PKCE methods %s",
		probes.Clip(c.TokenEndpoint, 80), probes.Clip(strings.Join(c.GrantTypesSupported, " "), 60), len(c.Capabilities),
		probes.Clip(strings.Join(c.Capabilities, " "), 120), probes.Clip(strings.Join(c.CodeChallengeMethodsSupported, " "), 30))
	if c.AuthorizationEndpoint != "" {
		observed = "authorization_endpoint " + probes.Clip(c.AuthorizationEndpoint, 80) + ", " + observed
	}
	if len(problems) > 0 {
		return s.Breach(exp, strings.Join(problems, "; ")+" ("+observed+")")
	}
	return probes.Passed(exp, observed)
}
