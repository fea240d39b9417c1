package fhirpkg

import (
	"sort"
	"strings"
)

// CompleteCodeSystems returns the codes of every code system in the package that states it is
// complete (content "complete") and case-sensitive, and whose URL keep accepts: URL -> codes,
// sorted, nested concepts included. The validator checks Codings of these systems against them.
func CompleteCodeSystems(p *Package, keep func(url string) bool) map[string][]string {
	out := map[string][]string{}
	for _, r := range p.Resources {
		if r.Type != "CodeSystem" {
			continue
		}
		if c, _ := r.JSON["content"].(string); c != "complete" {
			continue
		}
		if cs, ok := r.JSON["caseSensitive"].(bool); ok && !cs {
			continue
		}
		if _, supplement := r.JSON["supplements"]; supplement {
			continue
		}
		cs := readCodeSystem(r.JSON)
		if cs.url == "" || len(cs.codes) == 0 || (keep != nil && !keep(cs.url)) {
			continue
		}
		codes := append([]string(nil), cs.codes...)
		sort.Strings(codes)
		out[strings.TrimSpace(cs.url)] = codes
	}
	return out
}

// SearchParam is what the validator keeps of a SearchParameter: its type and the resource types
// it applies to.
type SearchParam struct {
	Type string   `json:"type"`
	Base []string `json:"base"`
}

// SearchParams returns the package's SearchParameters by canonical URL.
func SearchParams(p *Package) map[string]SearchParam {
	out := map[string]SearchParam{}
	for _, r := range p.Resources {
		if r.Type != "SearchParameter" {
			continue
		}
		url, _ := r.JSON["url"].(string)
		typ, _ := r.JSON["type"].(string)
		if url == "" || typ == "" {
			continue
		}
		sp := SearchParam{Type: typ}
		for _, b := range list(r.JSON["base"]) {
			if s, ok := b.(string); ok {
				sp.Base = append(sp.Base, s)
			}
		}
		out[url] = sp
	}
	return out
}
