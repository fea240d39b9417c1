package fhirpkg

import (
	"fmt"
	"sort"

	"github.com/nhs-jigsaw/jigsaw/validator/internal/model"
)

// codeSystem is the part of a CodeSystem that expansion needs.
type codeSystem struct {
	url      string
	content  string
	codes    []string
	display  map[string]string
	children map[string][]string
}

func readCodeSystem(m map[string]any) *codeSystem {
	cs := &codeSystem{url: str(m, "url"), content: str(m, "content"), display: map[string]string{}, children: map[string][]string{}}
	if cs.content == "" { // STU3 packages sometimes omit it; concepts listed means complete
		cs.content = "complete"
	}
	var walk func(parent string, concepts []any)
	walk = func(parent string, concepts []any) {
		for _, c := range concepts {
			cm, ok := c.(map[string]any)
			if !ok {
				continue
			}
			code := str(cm, "code")
			if code == "" {
				continue
			}
			cs.codes = append(cs.codes, code)
			cs.display[code] = str(cm, "display")
			if parent != "" {
				cs.children[parent] = append(cs.children[parent], code)
			}
			walk(code, list(cm["concept"]))
		}
	}
	walk("", list(m["concept"]))
	return cs
}

func (cs *codeSystem) descendants(code string, out []string) []string {
	for _, c := range cs.children[code] {
		out = append(out, c)
		out = cs.descendants(c, out)
	}
	return out
}

type codeKey struct{ system, code string }

type expansion struct {
	codes    map[codeKey]string // -> display
	complete bool
	reason   string
}

func (x *expansion) fail(format string, args ...any) {
	if x.complete {
		x.complete = false
		x.reason = fmt.Sprintf(format, args...)
	}
}

// expand computes the expansion of the value set at url from the package's ValueSets and
// CodeSystems. Anything it cannot enumerate makes the expansion incomplete.
// MissingValueSetReason is the Reason of the expansion kept for a value set a binding names
// but no package holds: the definitions have an entry for its URL, yet no such value set.
func MissingValueSetReason(url string) string {
	return "value set " + url + " is not in the package"
}

func (b *Builder) expand(url string, seen map[string]bool) model.ValueSet {
	x := b.expandSet(url, seen)
	vs := model.ValueSet{URL: url, Complete: x.complete, Reason: x.reason}
	if !x.complete {
		vs.IncludeSystems = b.includeSystems(url, map[string]bool{})
		return vs
	}
	keys := make([]codeKey, 0, len(x.codes))
	for k := range x.codes {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].system != keys[j].system {
			return keys[i].system < keys[j].system
		}
		return keys[i].code < keys[j].code
	})
	sysIdx := map[string]int32{}
	for _, k := range keys {
		i, ok := sysIdx[k.system]
		if !ok {
			i = int32(len(vs.Systems))
			sysIdx[k.system] = i
			vs.Systems = append(vs.Systems, k.system)
		}
		vs.Codes = append(vs.Codes, model.Code{System: i, Code: k.code, Display: x.codes[k]})
	}
	return vs
}

func (b *Builder) expandSet(url string, seen map[string]bool) *expansion {
	x := &expansion{codes: map[codeKey]string{}, complete: true}
	if seen[url] {
		x.fail("value set %s includes itself", url)
		return x
	}
	seen[url] = true
	defer delete(seen, url)
	if i, ok := b.expanded[url]; ok { // already expanded (from base definitions)
		vs := b.defs.ValueSets[i]
		if !vs.Complete {
			x.fail("%s", vs.Reason)
			return x
		}
		for _, c := range vs.Codes {
			x.codes[codeKey{vs.Systems[c.System], c.Code}] = c.Display
		}
		return x
	}
	m, ok := b.valueSets[url]
	if !ok {
		x.fail("%s", MissingValueSetReason(url))
		return x
	}
	compose, ok := m["compose"].(map[string]any)
	if !ok {
		x.fail("value set %s has no compose", url)
		return x
	}
	for _, inc := range list(compose["include"]) {
		im, ok := inc.(map[string]any)
		if !ok {
			continue
		}
		part := b.expandInclude(im, seen)
		if !part.complete {
			x.fail("%s", part.reason)
			return x
		}
		for k, d := range part.codes {
			x.codes[k] = d
		}
	}
	for _, exc := range list(compose["exclude"]) {
		em, ok := exc.(map[string]any)
		if !ok {
			continue
		}
		part := b.expandInclude(em, seen)
		if !part.complete {
			x.fail("exclude: %s", part.reason)
			return x
		}
		for k := range part.codes {
			delete(x.codes, k)
		}
	}
	return x
}

// expandInclude expands one compose.include (or exclude) entry.
func (b *Builder) expandInclude(im map[string]any, seen map[string]bool) *expansion {
	x := &expansion{codes: map[codeKey]string{}, complete: true}
	system := str(im, "system")
	var imported []*expansion
	for _, v := range list(im["valueSet"]) {
		u, _ := v.(string)
		imported = append(imported, b.expandSet(stripVersion(u), seen))
	}
	for _, p := range imported {
		if !p.complete {
			x.fail("%s", p.reason)
			return x
		}
	}
	if system == "" {
		if len(imported) == 0 {
			x.fail("include without system or value set")
			return x
		}
		// The intersection of the imported value sets.
		for k, d := range imported[0].codes {
			in := true
			for _, p := range imported[1:] {
				if _, ok := p.codes[k]; !ok {
					in = false
					break
				}
			}
			if in {
				x.codes[k] = d
			}
		}
		return x
	}
	cs := b.codeSystems[system]
	concepts := list(im["concept"])
	filters := list(im["filter"])
	var members []string
	switch {
	case len(concepts) > 0:
		for _, c := range concepts {
			cm, _ := c.(map[string]any)
			if code := str(cm, "code"); code != "" {
				members = append(members, code)
			}
		}
	case len(filters) > 0:
		if cs == nil || cs.content != "complete" {
			x.fail("filter on code system %s, which the package does not define completely", system)
			return x
		}
		first := true
		for _, f := range filters {
			fm, _ := f.(map[string]any)
			op, val, prop := str(fm, "op"), str(fm, "value"), str(fm, "property")
			if prop != "concept" && prop != "code" {
				x.fail("filter on property %q of %s", prop, system)
				return x
			}
			var set []string
			switch op {
			case "is-a":
				set = cs.descendants(val, []string{val})
			case "descendent-of":
				set = cs.descendants(val, nil)
			default:
				x.fail("filter operator %q on %s", op, system)
				return x
			}
			if first {
				members = set
				first = false
				continue
			}
			keep := map[string]bool{}
			for _, c := range set {
				keep[c] = true
			}
			var both []string
			for _, c := range members {
				if keep[c] {
					both = append(both, c)
				}
			}
			members = both
		}
	default:
		if cs == nil {
			x.fail("code system %s is not in the package", system)
			return x
		}
		if cs.content != "complete" {
			x.fail("code system %s has content %q", system, cs.content)
			return x
		}
		members = cs.codes
	}
	for _, c := range members {
		d := ""
		if cs != nil {
			d = cs.display[c]
		}
		k := codeKey{system, c}
		if len(imported) > 0 {
			in := true
			for _, p := range imported {
				if _, ok := p.codes[k]; !ok {
					in = false
				}
			}
			if !in {
				continue
			}
		}
		x.codes[k] = d
	}
	return x
}

// includeSystems lists the code systems a value set draws on, through the value sets it
// imports; nil when any include cannot be followed (then no system can be ruled out).
func (b *Builder) includeSystems(url string, seen map[string]bool) []string {
	if seen[url] {
		return nil
	}
	seen[url] = true
	m, ok := b.valueSets[url]
	if !ok {
		return nil
	}
	compose, ok := m["compose"].(map[string]any)
	if !ok {
		return nil
	}
	var out []string
	for _, inc := range list(compose["include"]) {
		im, ok := inc.(map[string]any)
		if !ok {
			return nil
		}
		if sys := str(im, "system"); sys != "" {
			out = append(out, sys)
			continue
		}
		for _, v := range list(im["valueSet"]) {
			u, _ := v.(string)
			sub := b.includeSystems(stripVersion(u), seen)
			if sub == nil {
				return nil
			}
			out = append(out, sub...)
		}
	}
	return out
}
