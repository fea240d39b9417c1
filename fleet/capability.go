package fleet

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/probes"
)

// Capability is what a CapabilityStatement declares, reduced to what is compared between runs.
// Volatile elements (date, id, meta, text) are left out, so a server that restamps its
// statement on every request does not show as changed.
type Capability struct {
	FHIRVersion     string               `json:"fhir_version,omitempty"`
	Kind            string               `json:"kind,omitempty"`
	Status          string               `json:"status,omitempty"`
	Software        string               `json:"software,omitempty"`
	SoftwareVersion string               `json:"software_version,omitempty"`
	Implementation  string               `json:"implementation,omitempty"`
	Description     bool                 `json:"description,omitempty"`
	Formats         []string             `json:"formats,omitempty"`
	Profiles        []string             `json:"profiles,omitempty"`
	RestModes       []string             `json:"rest_modes,omitempty"`
	Messaging       bool                 `json:"messaging,omitempty"`
	Document        bool                 `json:"document,omitempty"`
	Resources       []ResourceCapability `json:"resources,omitempty"`
	// Security lists rest.security.service codes (SMART-on-FHIR, OAuth...).
	Security []string `json:"security,omitempty"`
	// duplicateResources and duplicateSearchParams feed the uniqueness rules; they are not compared.
	duplicateResources    []string
	duplicateSearchParams []string
}

// ResourceCapability is one rest[mode=server].resource[] entry.
type ResourceCapability struct {
	Type         string   `json:"type"`
	Interactions []string `json:"interactions,omitempty"`
	SearchParams []string `json:"search_params,omitempty"`
	Profiles     []string `json:"profiles,omitempty"`
}

// extraCapability reads the elements probes.CapabilityStatement does not keep.
type extraCapability struct {
	Description    string                             `json:"description"`
	Implementation *struct{ URL, Description string } `json:"implementation"`
	Messaging      json.RawMessage                    `json:"messaging"`
	Document       json.RawMessage                    `json:"document"`
	Rest           []struct {
		Mode     string `json:"mode"`
		Security *struct {
			Service []probes.CodeableConcept `json:"service"`
		} `json:"security"`
	} `json:"rest"`
}

// ParseCapability reads a CapabilityStatement body into its comparable summary.
func ParseCapability(body []byte) (*Capability, error) {
	cs, err := probes.ParseCapabilityStatement(body)
	if err != nil {
		return nil, err
	}
	var extra extraCapability
	if err := json.Unmarshal(body, &extra); err != nil {
		return nil, fmt.Errorf("decode CapabilityStatement: %w", err)
	}
	c := &Capability{
		FHIRVersion: cs.FHIRVersion, Kind: cs.Kind, Status: cs.Status,
		Description: strings.TrimSpace(extra.Description) != "",
		Formats:     sortedUnique(cs.Format),
		Profiles:    sortedUnique(cs.AllProfiles()),
		Messaging:   len(extra.Messaging) > 0 && string(extra.Messaging) != "null" && string(extra.Messaging) != "[]",
		Document:    len(extra.Document) > 0 && string(extra.Document) != "null" && string(extra.Document) != "[]",
	}
	if cs.Software != nil {
		c.Software, c.SoftwareVersion = probes.Clip(cs.Software.Name, 200), probes.Clip(cs.Software.Version, 100)
	}
	if extra.Implementation != nil {
		c.Implementation = probes.Clip(cmpOr(extra.Implementation.URL, extra.Implementation.Description, "(present)"), 300)
	}
	for _, r := range extra.Rest {
		if r.Security == nil {
			continue
		}
		for _, svc := range r.Security.Service {
			for _, cd := range svc.Coding {
				c.Security = append(c.Security, probes.Clip(cd.Code, 100))
			}
			if len(svc.Coding) == 0 && svc.Text != "" {
				c.Security = append(c.Security, probes.Clip(svc.Text, 100))
			}
		}
	}
	c.Security = sortedUnique(c.Security)
	seen := map[string]bool{}
	for _, rest := range cs.Rest {
		c.RestModes = append(c.RestModes, rest.Mode)
		if rest.Mode != "server" {
			continue
		}
		for _, r := range rest.Resource {
			if seen[r.Type] {
				c.duplicateResources = append(c.duplicateResources, r.Type)
				continue
			}
			seen[r.Type] = true
			rc := ResourceCapability{Type: r.Type, Profiles: sortedUnique(r.Profiles())}
			for _, i := range r.Interaction {
				rc.Interactions = append(rc.Interactions, i.Code)
			}
			params := map[string]bool{}
			for _, p := range r.SearchParam {
				if params[p.Name] {
					c.duplicateSearchParams = append(c.duplicateSearchParams, r.Type+"."+p.Name)
				}
				params[p.Name] = true
				rc.SearchParams = append(rc.SearchParams, p.Name)
			}
			rc.Interactions = sortedUnique(rc.Interactions)
			rc.SearchParams = sortedUnique(rc.SearchParams)
			c.Resources = append(c.Resources, rc)
		}
	}
	c.RestModes = sortedUnique(c.RestModes)
	slices.SortFunc(c.Resources, func(a, b ResourceCapability) int { return strings.Compare(a.Type, b.Type) })
	return c, nil
}

// SHA256 is the hash of the summary's canonical JSON: equal hashes mean nothing compared changed.
func (c *Capability) SHA256() string {
	b, _ := json.Marshal(c)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Declares reports whether the server part declares a resource type.
func (c *Capability) Declares(resourceType string) bool {
	for _, r := range c.Resources {
		if r.Type == resourceType {
			return true
		}
	}
	return false
}

// Change is one difference between two CapabilityStatements of the same endpoint.
type Change struct {
	// Field names what changed: "fhir_version", "software", "resource", "resource Patient
	// interactions"...
	Field string `json:"field"`
	// Kind is added, removed or changed.
	Kind   string `json:"kind"`
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
}

// Diff lists what changed from before to after; nil before means the endpoint served no
// CapabilityStatement last time (and every declared resource counts as added).
func Diff(before, after *Capability) []Change {
	if before == nil && after == nil {
		return nil
	}
	if before == nil {
		before = &Capability{}
	}
	if after == nil {
		after = &Capability{}
	}
	var out []Change
	scalar := func(field, a, b string) {
		switch {
		case a == b:
		case a == "":
			out = append(out, Change{Field: field, Kind: "added", After: b})
		case b == "":
			out = append(out, Change{Field: field, Kind: "removed", Before: a})
		default:
			out = append(out, Change{Field: field, Kind: "changed", Before: a, After: b})
		}
	}
	set := func(field string, a, b []string) {
		for _, v := range b {
			if !slices.Contains(a, v) {
				out = append(out, Change{Field: field, Kind: "added", After: v})
			}
		}
		for _, v := range a {
			if !slices.Contains(b, v) {
				out = append(out, Change{Field: field, Kind: "removed", Before: v})
			}
		}
	}
	flag := func(field string, a, b bool) {
		if a != b {
			scalar(field, yes(a), yes(b))
		}
	}
	scalar("fhir_version", before.FHIRVersion, after.FHIRVersion)
	scalar("kind", before.Kind, after.Kind)
	scalar("status", before.Status, after.Status)
	scalar("software", before.Software, after.Software)
	scalar("software_version", before.SoftwareVersion, after.SoftwareVersion)
	scalar("implementation", before.Implementation, after.Implementation)
	flag("description", before.Description, after.Description)
	flag("messaging", before.Messaging, after.Messaging)
	flag("document", before.Document, after.Document)
	set("format", before.Formats, after.Formats)
	set("rest_mode", before.RestModes, after.RestModes)
	set("security", before.Security, after.Security)
	set("profile", before.Profiles, after.Profiles)
	old := map[string]ResourceCapability{}
	for _, r := range before.Resources {
		old[r.Type] = r
	}
	for _, r := range after.Resources {
		o, ok := old[r.Type]
		if !ok {
			out = append(out, Change{Field: "resource", Kind: "added", After: r.Type})
			continue
		}
		delete(old, r.Type)
		set("resource "+r.Type+" interaction", o.Interactions, r.Interactions)
		set("resource "+r.Type+" search_param", o.SearchParams, r.SearchParams)
		set("resource "+r.Type+" profile", o.Profiles, r.Profiles)
	}
	for _, r := range before.Resources {
		if _, gone := old[r.Type]; gone {
			out = append(out, Change{Field: "resource", Kind: "removed", Before: r.Type})
		}
	}
	return out
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return ""
}

func sortedUnique(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func cmpOr(vals ...string) string {
	for _, v := range vals {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
