package sandbox

import (
	"time"
)

// The CapabilityStatement and SMART configuration documents, built once per server.

type csSoftware struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

type csImplementation struct {
	Description string `json:"description"`
	URL         string `json:"url,omitempty"`
}

type csSecurity struct {
	Extension   []extension       `json:"extension,omitempty"`
	Cors        bool              `json:"cors"`
	Service     []codeableConcept `json:"service,omitempty"`
	Description string            `json:"description,omitempty"`
}

type csInteraction struct {
	Code string `json:"code"`
}

type csSearchParam struct {
	Name          string `json:"name"`
	Definition    string `json:"definition,omitempty"`
	Type          string `json:"type"`
	Documentation string `json:"documentation,omitempty"`
}

type csResource struct {
	Type             string          `json:"type"`
	Profile          string          `json:"profile,omitempty"`
	SupportedProfile []string        `json:"supportedProfile,omitempty"`
	Interaction      []csInteraction `json:"interaction"`
	Versioning       string          `json:"versioning,omitempty"`
	ReadHistory      *bool           `json:"readHistory,omitempty"`
	ConditionalRead  string          `json:"conditionalRead,omitempty"`
	SearchParam      []csSearchParam `json:"searchParam,omitempty"`
}

type csRest struct {
	Mode          string          `json:"mode"`
	Documentation string          `json:"documentation,omitempty"`
	Security      *csSecurity     `json:"security,omitempty"`
	Resource      []csResource    `json:"resource"`
	SearchParam   []csSearchParam `json:"searchParam,omitempty"`
}

type capabilityStatement struct {
	ResourceType   string           `json:"resourceType"`
	ID             string           `json:"id"`
	URL            string           `json:"url,omitempty"`
	Version        string           `json:"version,omitempty"`
	Name           string           `json:"name"`
	Title          string           `json:"title,omitempty"`
	Status         string           `json:"status"`
	Experimental   bool             `json:"experimental"`
	Date           string           `json:"date"`
	Publisher      string           `json:"publisher,omitempty"`
	Description    string           `json:"description,omitempty"`
	Kind           string           `json:"kind"`
	Instantiates   []string         `json:"instantiates,omitempty"`
	Software       csSoftware       `json:"software"`
	Implementation csImplementation `json:"implementation"`
	FHIRVersion    string           `json:"fhirVersion"`
	Format         []string         `json:"format"`
	Rest           []csRest         `json:"rest"`
}

// sandboxVersion names the sandbox's data and behaviour in CapabilityStatement.software.
const sandboxVersion = "2026.1"

const smartOAuthExtension = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"

func capabilityJSON(base string, org Org, p Profile, b behaviour) ([]byte, error) {
	cs := capabilityStatement{
		ResourceType: "CapabilityStatement",
		ID:           "jigsaw-sandbox-" + string(p),
		URL:          base + "/metadata",
		Version:      sandboxVersion,
		Name:         "JigsawSandbox" + titleCase(string(p)),
		Title:        "Jigsaw sandbox: " + org.Name,
		Status:       "active",
		Experimental: true,
		Date:         referenceDate.Format(time.DateOnly),
		Publisher:    org.Name,
		Description:  "Synthetic FHIR R4 server for " + org.Name + " (ODS " + org.ODSCode + "), profile " + string(p) + ". All data is fictional.",
		Kind:         "instance",
		Software:     csSoftware{Name: "Jigsaw sandbox", Version: sandboxVersion},
		Implementation: csImplementation{
			Description: org.Name + " (" + org.ODSCode + ")",
			URL:         base,
		},
		FHIRVersion: "4.0.1",
		Format:      []string{"application/fhir+json", "json"},
	}
	if b.xml == xmlServed {
		cs.Format = append(cs.Format, "application/fhir+xml", "xml")
	}
	if b.ukCore {
		cs.Instantiates = []string{"https://fhir.hl7.org.uk/CapabilityStatement/ukcore-conformance"}
	}
	rest := csRest{Mode: "server", Documentation: "Read-only. Every request except /metadata and /.well-known/smart-configuration needs the bearer token printed when the sandbox starts."}
	if b.authRequired {
		rest.Security = &csSecurity{
			Cors: false,
			Service: []codeableConcept{{
				Coding: []coding{{System: "http://terminology.hl7.org/CodeSystem/restful-security-service", Code: "SMART-on-FHIR", Display: "SMART-on-FHIR"}},
			}},
			Description: "Bearer token (RFC 6750).",
		}
		if b.smart {
			rest.Security.Extension = []extension{{
				URL: smartOAuthExtension,
				Extension: []extension{
					{URL: "authorize", ValueURI: base + "/auth/authorize"},
					{URL: "token", ValueURI: base + "/auth/token"},
				},
			}}
		}
	} else {
		rest.Documentation = "Read-only."
	}
	for _, d := range resourceDefs {
		r := csResource{Type: d.name, Interaction: []csInteraction{{Code: "read"}}}
		if b.capabilitySearch {
			r.Interaction = append(r.Interaction, csInteraction{Code: "vread"}, csInteraction{Code: "search-type"})
			for _, sp := range d.params {
				r.SearchParam = append(r.SearchParam, csSearchParam{Name: sp.name, Definition: sp.definition, Type: sp.typ.String(), Documentation: sp.doc})
			}
		}
		if b.etags {
			r.Versioning = "versioned"
			no := false
			r.ReadHistory = &no
			r.ConditionalRead = "not-match"
		}
		if b.ukCore {
			r.Profile = ukCoreProfileBase + d.name
			r.SupportedProfile = []string{ukCoreProfileBase + d.name}
		}
		rest.Resource = append(rest.Resource, r)
	}
	if b.capabilitySearch {
		rest.SearchParam = []csSearchParam{
			{Name: "_count", Type: "number", Documentation: "Page size (default 10, at most 100)"},
			{Name: "_format", Type: "token", Documentation: "json or xml"},
		}
	}
	cs.Rest = []csRest{rest}
	return marshalJSON(cs)
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// smartConfiguration is the SMART App Launch 2.0 discovery document.
type smartConfiguration struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	Capabilities                      []string `json:"capabilities"`
}

func smartJSON(base string) ([]byte, error) {
	return marshalJSON(smartConfiguration{
		Issuer:                            base,
		AuthorizationEndpoint:             base + "/auth/authorize",
		TokenEndpoint:                     base + "/auth/token",
		TokenEndpointAuthMethodsSupported: []string{"private_key_jwt"},
		GrantTypesSupported:               []string{"authorization_code", "client_credentials"},
		ScopesSupported:                   []string{"openid", "fhirUser", "launch/patient", "patient/*.rs", "user/*.rs", "system/*.rs"},
		ResponseTypesSupported:            []string{"code"},
		CodeChallengeMethodsSupported:     []string{"S256"},
		Capabilities:                      []string{"launch-standalone", "client-confidential-asymmetric", "context-standalone-patient", "permission-patient", "permission-user", "permission-v2"},
	})
}
