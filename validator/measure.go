package validator

import (
	"strconv"
	"strings"
)

// MeasureReport validation against its Measure (R4), when the Measure is in a package given with
// --package (or a loose JSON file), with the HL7 Java validator's rules: groups, populations and
// stratifiers of the report are matched to the Measure's by code (one group each: matched as
// they are); a report item without a code, with a code the Measure does not have, or twice, is an
// error, and so is a Measure group, population or stratifier the report leaves out (a
// data-collection report may leave out groups; the measure-observation population may be
// left out). The measureScore follows the Measure's scoring: none for a cohort or a
// data-collection report; required for proportion, ratio and continuous-variable, and for a
// proportion a number from 0 to 1 without a unit. A population's subjectResults belong only in a
// subject-list report, where the count must equal their number.

type measureDef struct {
	scoring string
	groups  []*measureGroup
}

type measureGroup struct {
	code        []codingKey
	populations [][]codingKey
	popIsObs    []bool // the population is the measure-observation population
	stratifiers [][]codingKey
	stratText   []string // a stratifier's code.text when it has no coding
}

type codingKey struct{ system, code string }

func (sc *schema) measure(url string) *measureDef {
	return rawByURL(&sc.mcache, sc.defs.Measures, url, readMeasure)
}

func readMeasure(m map[string]any) *measureDef {
	md := &measureDef{}
	if sc, ok := m["scoring"].(map[string]any); ok {
		for _, c := range codingKeys(sc) {
			if c.system == "http://terminology.hl7.org/CodeSystem/measure-scoring" || c.system == "http://hl7.org/fhir/measure-scoring" {
				md.scoring = c.code
			}
		}
	}
	for _, g := range anyList(m["group"]) {
		gm, _ := g.(map[string]any)
		mg := &measureGroup{code: codingKeys(gm["code"])}
		for _, p := range anyList(gm["population"]) {
			pm, _ := p.(map[string]any)
			keys := codingKeys(pm["code"])
			mg.populations = append(mg.populations, keys)
			obs := false
			for _, k := range keys {
				if k.system == "http://terminology.hl7.org/CodeSystem/measure-population" && k.code == "measure-observation" {
					obs = true
				}
			}
			mg.popIsObs = append(mg.popIsObs, obs)
		}
		for _, s := range anyList(gm["stratifier"]) {
			smap, _ := s.(map[string]any)
			mg.stratifiers = append(mg.stratifiers, codingKeys(smap["code"]))
			text := ""
			if cc, ok := smap["code"].(map[string]any); ok {
				text, _ = cc["text"].(string)
			}
			mg.stratText = append(mg.stratText, text)
		}
		md.groups = append(md.groups, mg)
	}
	return md
}

// codingKeys lists the system and code of a decoded CodeableConcept's codings.
func codingKeys(v any) []codingKey {
	cc, _ := v.(map[string]any)
	var out []codingKey
	for _, c := range anyList(cc["coding"]) {
		cm, _ := c.(map[string]any)
		s, _ := cm["system"].(string)
		k, _ := cm["code"].(string)
		out = append(out, codingKey{s, k})
	}
	return out
}

// treeCodings lists the system and code of the codings of the CodeableConcept at node cc.
func treeCodings(t *tree, cc int32) []codingKey {
	var out []codingKey
	for c := t.nodes[cc].first; c >= 0; c = t.nodes[c].next {
		if t.nodes[c].name != "coding" {
			continue
		}
		var k codingKey
		if x := t.firstChild(c, "system"); x >= 0 && t.nodes[x].kind == valString {
			k.system = t.str(x)
		}
		if x := t.firstChild(c, "code"); x >= 0 && t.nodes[x].kind == valString {
			k.code = t.str(x)
		}
		out = append(out, k)
	}
	return out
}

// codesMatch reports whether a report's codings share a system and code with a definition's.
func codesMatch(report, def []codingKey) bool {
	for _, d := range def {
		for _, r := range report {
			if r.code != "" && r == d {
				return true
			}
		}
	}
	return false
}

// childString returns the string value of n's first child name, or "".
func childString(t *tree, n int32, name string) string {
	if x := t.firstChild(n, name); x >= 0 && t.nodes[x].kind == valString {
		return t.str(x)
	}
	return ""
}

// checkMeasureReport validates the (R4) MeasureReport at node n of the current tree.
func (w *walker) checkMeasureReport(n int32) {
	if n < 0 || len(w.sc.defs.Measures) == 0 || w.sc.fhirVersion != "4.0.1" {
		return
	}
	t := w.tree()
	mn := t.firstChild(n, "measure")
	if mn < 0 || t.nodes[mn].kind != valString {
		return
	}
	m := w.sc.measure(t.str(mn))
	if m == nil {
		return
	}
	s := &sink{w: w}
	reportType := childString(t, n, "type")
	var groups []int32
	groups = t.childrenNamed(n, "group", groups)
	if len(groups) == 1 && len(m.groups) == 1 {
		g := groups[0]
		mg := m.groups[0]
		if cc := t.firstChild(g, "code"); cc >= 0 && len(mg.code) > 0 {
			if rc := treeCodings(t, cc); !codesMatch(rc, mg.code) {
				s.add(SeverityError, CheckMeasure, t, g, "", "the group's code does not match the code of the Measure's group")
			}
		}
		w.measureReportGroup(s, t, g, mg, m, reportType)
		return
	}
	used := make([]bool, len(m.groups))
	for _, g := range groups {
		cc := t.firstChild(g, "code")
		if cc < 0 {
			s.add(SeverityError, CheckMeasure, t, g, "", "the Measure has several groups, so each group of the report needs a code to match it with one of them")
			continue
		}
		rc := treeCodings(t, cc)
		k := -1
		for i, mg := range m.groups {
			if codesMatch(rc, mg.code) {
				k = i
				break
			}
		}
		switch {
		case k < 0:
			s.add(SeverityError, CheckMeasure, t, g, "", "the group's code matches no group of the Measure")
		case used[k]:
			s.add(SeverityError, CheckMeasure, t, g, "", "the Measure's group with this code is reported twice")
		default:
			used[k] = true
			w.measureReportGroup(s, t, g, m.groups[k], m, reportType)
		}
	}
	if reportType != "data-collection" {
		for k, mg := range m.groups {
			if !used[k] {
				s.add(SeverityError, CheckMeasure, t, n, "", "the report has no group for the Measure's group with code %s", describeCodes(mg.code))
			}
		}
	}
}

func describeCodes(keys []codingKey) string {
	var parts []string
	for _, k := range keys {
		parts = append(parts, k.system+"#"+k.code)
	}
	if len(parts) == 0 {
		return "''"
	}
	return strings.Join(parts, ", ")
}

func (w *walker) measureReportGroup(s *sink, t *tree, g int32, mg *measureGroup, m *measureDef, reportType string) {
	// populations
	var items []int32
	items = t.childrenNamed(g, "population", items)
	used := make([]bool, len(mg.populations))
	for _, p := range items {
		cc := t.firstChild(p, "code")
		if cc < 0 {
			s.add(SeverityError, CheckMeasure, t, p, "", "the population needs a code to match it with a population of the Measure")
			continue
		}
		rc := treeCodings(t, cc)
		k := -1
		for i, keys := range mg.populations {
			if codesMatch(rc, keys) {
				k = i
				break
			}
		}
		switch {
		case k < 0:
			s.add(SeverityError, CheckMeasure, t, p, "", "the population's code matches no population of the Measure's group")
		case used[k]:
			s.add(SeverityError, CheckMeasure, t, p, "", "the Measure's population with this code is reported twice")
		default:
			used[k] = true
			w.measureReportPopulation(s, t, p, reportType)
		}
	}
	for k, keys := range mg.populations {
		if !used[k] && !mg.popIsObs[k] {
			s.add(SeverityError, CheckMeasure, t, g, "", "the group has no population for the Measure's population with code %s", describeCodes(keys))
		}
	}
	w.measureScore(s, t, g, m, reportType)
	// stratifiers
	items = t.childrenNamed(g, "stratifier", items[:0])
	usedS := make([]bool, len(mg.stratifiers))
	for _, st := range items {
		cc := t.firstChild(st, "code")
		if cc < 0 {
			s.add(SeverityError, CheckMeasure, t, st, "", "the stratifier needs a code that matches a stratifier of the Measure's group")
			continue
		}
		// MeasureReport.group.stratifier.code repeats (R4): any of its codes may match.
		var rc []codingKey
		for c := t.nodes[st].first; c >= 0; c = t.nodes[c].next {
			if t.nodes[c].name == "code" {
				rc = append(rc, treeCodings(t, c)...)
			}
		}
		text := childString(t, cc, "text")
		k := -1
		for i, keys := range mg.stratifiers {
			if codesMatch(rc, keys) || (len(rc) == 0 && len(keys) == 0 && text != "" && text == mg.stratText[i]) {
				k = i
				break
			}
		}
		switch {
		case k < 0:
			s.add(SeverityError, CheckMeasure, t, st, "", "the stratifier's code matches no stratifier of the Measure's group")
		case usedS[k]:
			s.add(SeverityError, CheckMeasure, t, st, "", "the Measure's stratifier with this code is reported twice")
		default:
			usedS[k] = true
		}
	}
	for k, keys := range mg.stratifiers {
		if !usedS[k] {
			s.add(SeverityError, CheckMeasure, t, g, "", "the group has no stratifier for the Measure's stratifier with code %s", describeCodes(keys))
		}
	}
}

func (w *walker) measureReportPopulation(s *sink, t *tree, p int32, reportType string) {
	var results []int32
	results = t.childrenNamed(p, "subjectResults", results)
	if reportType == "subject-list" {
		if c := t.firstChild(p, "count"); c >= 0 && t.nodes[c].kind == valNumber {
			if k, err := strconv.Atoi(t.str(c)); err == nil && k != len(results) {
				s.add(SeverityError, CheckMeasure, t, p, "", "the population's count is %d, but it lists %d subject results", k, len(results))
			}
		}
		return
	}
	if len(results) > 0 {
		s.add(SeverityError, CheckMeasure, t, p, "", "subjectResults belong only in a subject-list report")
	}
}

func (w *walker) measureScore(s *sink, t *tree, g int32, m *measureDef, reportType string) {
	ms := t.firstChild(g, "measureScore")
	switch {
	case reportType == "data-collection":
		if ms >= 0 {
			s.add(SeverityError, CheckMeasure, t, ms, "", "a data-collection report has no measureScore")
		}
	case m.scoring == "cohort":
		if ms >= 0 {
			s.add(SeverityError, CheckMeasure, t, ms, "", "no measureScore when the Measure's scoring is 'cohort'")
		}
	case m.scoring == "proportion" || m.scoring == "ratio" || m.scoring == "continuous-variable":
		if ms < 0 {
			s.add(SeverityError, CheckMeasure, t, g, "", "a measureScore is required when the Measure's scoring is '%s'", m.scoring)
			return
		}
		v := t.firstChild(ms, "value")
		if v < 0 {
			s.add(SeverityError, CheckMeasure, t, ms, "", "the measureScore needs a value when the Measure's scoring is '%s'", m.scoring)
			return
		}
		if m.scoring != "proportion" {
			return
		}
		for _, u := range []string{"unit", "system", "code"} {
			if x := t.firstChild(ms, u); x >= 0 {
				s.add(SeverityError, CheckMeasure, t, x, "", "a proportion's measureScore is a number without a unit")
			}
		}
		if t.nodes[v].kind == valNumber {
			if f, err := strconv.ParseFloat(t.str(v), 64); err == nil && (f < 0 || f > 1) {
				s.add(SeverityError, CheckMeasure, t, v, "", "a proportion's measureScore must be between 0 and 1")
			}
		}
	}
}
