package validator

import (
	"context"
	"strings"
	"testing"
)

// TestMeasureReportRules checks a MeasureReport against its Measure: each row gives the
// Measure's scoring and groups, the report's groups and type, and the errors expected.
func TestMeasureReportRules(t *testing.T) {
	const pop = `"population": [{"code": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/measure-population", "code": "initial-population"}]}, "criteria": {"language": "text/cql", "expression": "X"}}]`
	const rpop = `"population": [{"code": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/measure-population", "code": "initial-population"}]}, "count": 3}]`
	group := func(code, extra string) string {
		return `{"code": {"coding": [{"system": "http://example.org/g", "code": "` + code + `"}]}, ` + pop + extra + `}`
	}
	rgroup := func(code, extra string) string {
		return `{"code": {"coding": [{"system": "http://example.org/g", "code": "` + code + `"}]}, ` + rpop + extra + `}`
	}
	const strat = `, "stratifier": [{"code": {"coding": [{"system": "http://example.org/s", "code": "age"}]}, "criteria": {"language": "text/cql", "expression": "A"}}]`
	cases := []struct {
		name, scoring, groups, reportType, reportGroups string
		want                                            []string
	}{
		{"cohort without a score", "cohort", group("a", ""), "summary", rgroup("a", ""), nil},
		{"cohort with a score", "cohort", group("a", ""), "summary", rgroup("a", `, "measureScore": {"value": 1}`),
			[]string{"no measureScore when the Measure's scoring is 'cohort'"}},
		{"proportion without a score", "proportion", group("a", ""), "summary", rgroup("a", ""),
			[]string{"a measureScore is required"}},
		{"proportion above 1", "proportion", group("a", ""), "summary", rgroup("a", `, "measureScore": {"value": 1.5}`),
			[]string{"between 0 and 1"}},
		{"proportion in range", "proportion", group("a", ""), "summary", rgroup("a", `, "measureScore": {"value": 0.5}`), nil},
		{"group of the Measure left out", "cohort", group("a", "") + `, ` + group("b", ""), "summary", rgroup("a", ""),
			[]string{"no group for the Measure's group with code http://example.org/g#b"}},
		{"group with an unknown code", "cohort", group("a", "") + `, ` + group("b", ""), "summary", rgroup("a", "") + `, ` + rgroup("b", "") + `, ` + rgroup("c", ""),
			[]string{"matches no group of the Measure"}},
		{"population left out", "cohort", group("a", ""), "summary", `{"code": {"coding": [{"system": "http://example.org/g", "code": "a"}]}}`,
			[]string{"no population for the Measure's population"}},
		{"subjectResults outside a subject-list", "cohort", group("a", ""), "summary",
			`{"code": {"coding": [{"system": "http://example.org/g", "code": "a"}]}, "population": [{"code": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/measure-population", "code": "initial-population"}]}, "count": 1, "subjectResults": {"reference": "List/l"}}]}`,
			[]string{"subjectResults belong only in a subject-list report"}},
		{"stratifier without a code", "cohort", group("a", strat), "summary", rgroup("a", `, "stratifier": [{"stratum": [{"value": {"text": "x"}}]}]`),
			[]string{"no stratifier for the Measure's stratifier with code http://example.org/s#age", "the stratifier needs a code"}},
		{"stratifier matched by code", "cohort", group("a", strat), "summary", rgroup("a", `, "stratifier": [{"code": [{"coding": [{"system": "http://example.org/s", "code": "age"}]}], "stratum": [{"value": {"text": "x"}}]}]`), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := `{"resourceType": "Measure", "url": "http://example.org/Measure/m", "status": "active",
			  "scoring": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/measure-scoring", "code": "` + c.scoring + `"}]},
			  "group": [` + c.groups + `]}`
			v := validatorWithFiles(t, map[string]string{"m.json": m})
			mr := `{"resourceType": "MeasureReport", "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},
			  "status": "complete", "type": "` + c.reportType + `", "measure": "http://example.org/Measure/m", "period": {"start": "2020-01-01"},
			  "group": [` + c.reportGroups + `]}`
			got := errorsOnly(v.ValidateResource(context.Background(), []byte(mr)))
			if len(got) != len(c.want) {
				t.Fatalf("want %d errors %q, got:\n%s", len(c.want), c.want, describe(got))
			}
			for i, w := range c.want {
				if got[i].Check != CheckMeasure || !strings.Contains(got[i].Message, w) {
					t.Errorf("error %d: want measure %q, got %s %q", i, w, got[i].Check, got[i].Message)
				}
			}
		})
	}
}
