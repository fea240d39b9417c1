// Package smart probes SMART on FHIR discovery.
package smart

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/probes"
)

// Pack is this pack's name.
const Pack = "smart"

// Probes returns the pack's probes in report order.
func Probes() []probes.Probe {
	return []probes.Probe{
		probes.New(probes.Meta{
			ID: "smart.configuration", Pack: Pack, Severity: probes.Medium,
			Title:       "SMART configuration is published",
			SpecRef:     "http://hl7.org/fhir/smart-app-launch/conformance.html (SMART App Launch 2.0 §Using .well-known); SMART App Launch 1.0 conformance",
			Description: "GET [base]/.well-known/smart-configuration returns JSON with authorization_endpoint, token_endpoint and capabilities; PKCE S256 is expected (SMART 2.0). Skipped for STU3 targets.",
		}, configuration),
	}
}

// Configuration is the part of a SMART configuration document the probe reads.
type Configuration struct {
	AuthorizationEndpoint         string   `json:"authorization_endpoint"`
	TokenEndpoint                 string   `json:"token_endpoint"`
	Capabilities                  []string `json:"capabilities"`
	CodeChallengeMethodsSupported []string `json:"code_challenge_methods_supported"`
}

// ParseConfiguration decodes a SMART configuration and lists the required members missing.
func ParseConfiguration(body []byte) (*Configuration, []string, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, nil, fmt.Errorf("not a JSON object: %w", err)
	}
	var c Configuration
	var missing []string
	for _, m := range []struct {
		name string
		into any
	}{
		{"authorization_endpoint", &c.AuthorizationEndpoint},
		{"token_endpoint", &c.TokenEndpoint},
		{"capabilities", &c.Capabilities},
		{"code_challenge_methods_supported", &c.CodeChallengeMethodsSupported},
	} {
		v, ok := raw[m.name]
		if !ok || json.Unmarshal(v, m.into) != nil {
			if m.name != "code_challenge_methods_supported" {
				missing = append(missing, m.name)
			}
		}
	}
	if c.AuthorizationEndpoint == "" && !slices.Contains(missing, "authorization_endpoint") {
		missing = append(missing, "authorization_endpoint")
	}
	if c.TokenEndpoint == "" && !slices.Contains(missing, "token_endpoint") {
		missing = append(missing, "token_endpoint")
	}
	return &c, missing, nil
}

func configuration(ctx context.Context, s *probes.Session) probes.Result {
	const exp = "GET [base]/.well-known/smart-configuration → 200 JSON with authorization_endpoint, token_endpoint and capabilities (code_challenge_methods_supported with S256)"
	if !s.Target.IsR4() {
		return probes.Skipped(exp, "SMART App Launch applies to R4 targets; this target is STU3")
	}
	resp, err := s.Do(ctx, probes.Request{URL: ".well-known/smart-configuration", NoAuth: true,
		Header: map[string][]string{"Accept": {"application/json"}}})
	if err != nil {
		return probes.Errored(exp, err)
	}
	if resp.StatusCode != 200 {
		return probes.Failed(exp, resp.Describe())
	}
	c, missing, err := ParseConfiguration(resp.Body)
	if err != nil {
		return probes.Failed(exp, fmt.Sprintf("%s: %v", resp.Describe(), err))
	}
	if len(missing) > 0 {
		return probes.Failed(exp, "missing or malformed: "+strings.Join(missing, ", "))
	}
	observed := fmt.Sprintf("authorization_endpoint %s, token_endpoint %s, %d capabilities (%s)",
		probes.Clip(c.AuthorizationEndpoint, 80), probes.Clip(c.TokenEndpoint, 80), len(c.Capabilities), probes.Clip(strings.Join(c.Capabilities, " "), 120))
	if !slices.Contains(c.CodeChallengeMethodsSupported, "S256") {
		return probes.Warned(exp, observed+"; PKCE S256 not advertised in code_challenge_methods_supported")
	}
	return probes.Passed(exp, observed+"; PKCE S256")
}
