package fhirpath

import (
	"fmt"
	"strings"
	"testing"
)

// jsonPresence answers a guard's questions about the root of a jsonModel.
type jsonPresence struct{ m *jsonModel }

func (p jsonPresence) HasAny(names []string) bool {
	for _, c := range p.m.children[0] {
		for _, n := range names {
			if p.m.name[c] == n {
				return true
			}
		}
	}
	return false
}

func (p jsonPresence) Exists(path []string) (bool, bool) {
	level := []int32{0}
	for _, name := range path {
		var next []int32
		for _, n := range level {
			for _, c := range p.m.children[n] {
				if p.m.name[c] == name {
					next = append(next, c)
				}
			}
		}
		level = next
	}
	return len(level) > 0, true
}

func (p jsonPresence) StringTest(name, fn, arg string) Truth3 {
	var found []int32
	for _, c := range p.m.children[0] {
		if p.m.name[c] == name {
			found = append(found, c)
		}
	}
	switch {
	case len(found) == 0:
		return Empty
	case len(found) > 1 || !p.m.hasValue[found[0]] || p.m.value[found[0]].Kind != KString:
		return NeedsEvaluation
	}
	v := p.m.value[found[0]].S
	switch fn {
	case "startsWith":
		return truth3(strings.HasPrefix(v, arg))
	case "endsWith":
		return truth3(strings.HasSuffix(v, arg))
	}
	return truth3(strings.Contains(v, arg))
}

// TestDecideByAbsence checks the shortcut against full evaluation: on every document, whenever
// the presence of children decides an expression, evaluating it gives the same answer; and the
// shortcut does decide the common shapes.
func TestDecideByAbsence(t *testing.T) {
	exprs := []string{
		"value.empty() or system.exists()",
		"dataAbsentReason.empty() or value.empty()",
		"start.hasValue().not() or end.hasValue().not() or (start <= end)",
		"abatement.empty() or clinicalStatus.coding.where(system='x' and (code='resolved' or code='inactive')).exists()",
		"clinicalStatus.exists() or verificationStatus.coding.where(code = 'entered-in-error').exists() or category.select($this='problem-list-item').empty()",
		"period.exists() implies period >= 0",
		"offset.empty() or (when.exists() and ((when in ('C' | 'CM' | 'CD' | 'CV')).not()))",
		"contained.empty() or text.exists()",
		"name.exists() and id.exists()",
		"name.exists() xor id.exists()",
		"(a.exists() and b.exists()) implies c.exists()",
		"a.empty() and b.count() > 1",
		"hasValue() or (children().count() > id.count())",
		"text.div.exists()",
		"text.`div`.empty().not() or contained.exists()",
		"code.empty() or system.exists()",
		"htmlChecks()",
		"reference.startsWith('#').not() or (reference.substring(1) in %rootResource.contained.id)",
		"reference.startsWith('#')",
		"reference.startsWith('#').not() and contained.empty()",
		"fullUrl.contains('/_history/').not()",
		"reference.endsWith('/1')",
	}
	docs := []string{
		`{}`,
		`{"value":1}`,
		`{"system":"s"}`,
		`{"value":1,"system":"s"}`,
		`{"dataAbsentReason":{"text":"x"}}`,
		`{"dataAbsentReason":{"text":"x"},"value":2}`,
		`{"start":"2020-01-01"}`,
		`{"start":"2020-01-02","end":"2020-01-01"}`,
		`{"abatement":"x"}`,
		`{"abatement":"x","clinicalStatus":{"coding":[{"system":"x","code":"resolved"}]}}`,
		`{"clinicalStatus":{"text":"a"}}`,
		`{"category":"problem-list-item"}`,
		`{"period":-1}`,
		`{"period":2}`,
		`{"offset":3}`,
		`{"offset":3,"when":"C"}`,
		`{"offset":3,"when":"AC"}`,
		`{"contained":[{"id":"a"}]}`,
		`{"name":"n"}`,
		`{"id":"i"}`,
		`{"a":1,"b":2}`,
		`{"a":1,"b":2,"c":3}`,
		`{"b":[1,2]}`,
		`{"text":{"status":"generated"}}`,
		`{"text":{"div":"<div/>"}}`,
		`{"text":{"div":"<div/>"},"contained":[{"id":"c"}]}`,
		`{"code":"c","system":"s"}`,
		`{"code":"c"}`,
		`{"reference":"Patient/1"}`,
		`{"reference":"#c"}`,
		`{"reference":"#c","contained":[{"id":"c"}]}`,
		`{"reference":["#a","#b"]}`,
		`{"reference":1}`,
		`{"fullUrl":"http://x/Patient/1/_history/2"}`,
		`{"fullUrl":"http://x/Patient/1"}`,
	}
	decided := 0
	for _, src := range exprs {
		e, err := Parse(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		for _, doc := range docs {
			m := newJSONModel(t, doc)
			got := e.Decide(jsonPresence{m})
			if got == NeedsEvaluation {
				continue
			}
			decided++
			res, err := Eval(e, m, 0)
			if err != nil {
				t.Errorf("%s on %s: shortcut %v but evaluation failed: %v", src, doc, got, err)
				continue
			}
			want := Empty
			if v, ok := Truth(res); ok && v {
				want = True
			} else if ok {
				want = False
			}
			if got != want {
				t.Errorf("%s on %s: shortcut %v, evaluation %v", src, doc, got, want)
			}
		}
	}
	// The shapes above are decided on most of these documents; a shortcut that never applies
	// would pass the comparison trivially.
	if decided < 250 {
		t.Errorf("the shortcut decided only %d expression/document pairs", decided)
	}
	for _, tc := range []struct {
		src  string
		doc  string
		want Truth3
	}{
		{"value.empty() or system.exists()", `{"code":"x"}`, True},
		{"period.exists() implies period >= 0", `{}`, True},
		{"name.exists() and id.exists()", `{"id":"x"}`, False},
		{"a.empty() and b.count() > 1", `{}`, False},
		{"a.empty() or b.count() > 1", `{"a":1}`, False},
		{"a.empty() or b.count() > 1", `{"a":1,"b":[1,2]}`, NeedsEvaluation},
		{"hasValue() or (children().count() > id.count())", `{}`, NeedsEvaluation},
		{"code.empty() or system.exists()", `{"code":"c","system":"s"}`, True},
		{"code.empty() or system.exists()", `{"code":"c"}`, False},
		{"text.div.exists()", `{"text":{"status":"generated"}}`, False},
		{"text.div.exists()", `{"text":{"div":"<div/>"}}`, True},
		{"htmlChecks()", `{}`, True},
		{"reference.startsWith('#').not() or (reference.substring(1) in %rootResource.contained.id)", `{"reference":"#c"}`, NeedsEvaluation},
		{"reference.startsWith('#').not() or (reference.substring(1) in %rootResource.contained.id)", `{"reference":"Patient/1"}`, True},
		{"reference.startsWith('#').not() or (reference.substring(1) in %rootResource.contained.id)", `{}`, NeedsEvaluation},
		{"reference.startsWith('#')", `{"reference":["#a","#b"]}`, NeedsEvaluation},
	} {
		e, _ := Parse(tc.src)
		m := newJSONModel(t, tc.doc)
		if got := e.Decide(jsonPresence{m}); got != tc.want {
			t.Errorf("%s on %s: got %v, want %v", tc.src, tc.doc, got, tc.want)
		}
	}
}

// TestInvariantCache checks that caching the subexpressions that do not depend on the focus
// changes no result: each expression is evaluated with its cache slots and again without them.
func TestInvariantCache(t *testing.T) {
	doc := `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET"},"fullUrl":"a"},{"fullUrl":"b"},{"request":{"method":"POST"},"fullUrl":"a"}],
		"item":[{"code":"x","answer":[{"v":1},{"v":2}]},{"code":"batch","answer":[{"v":3}]}]}`
	for _, tc := range []struct {
		src       string
		wantSlots bool
	}{
		{"entry.all(request.exists() = (%resource.type = 'batch' or %resource.type = 'transaction'))", true},
		{"entry.where(fullUrl = %resource.entry.first().fullUrl).count()", true},
		{"item.where(code = %resource.type).count()", true},
		{"item.all(code = 'x')", false},
		{"item.select(answer.v.count() + %resource.entry.count())", true},
		{"entry.select(fullUrl & %resource.type)", true},
		{"item.where(answer.where(v > 1).exists()).code", false},
		{"entry.all($this.fullUrl.exists())", false},
		{"item.select($index)", false},
	} {
		e, err := Parse(tc.src)
		if err != nil {
			t.Fatalf("%s: %v", tc.src, err)
		}
		if (e.slots > 0) != tc.wantSlots {
			t.Errorf("%s: %d cache slots, want some: %v", tc.src, e.slots, tc.wantSlots)
		}
		m := newJSONModel(t, doc)
		var ev Evaluator
		got, err1 := ev.Eval(e, m, 0)
		gotS := render(got)
		var clearSlots func(a *ast)
		clearSlots = func(a *ast) {
			if a == nil {
				return
			}
			a.slot = 0
			for _, x := range a.args {
				clearSlots(x)
			}
			clearSlots(a.left)
			clearSlots(a.right)
		}
		clearSlots(e.root)
		want, err2 := Eval(e, m, 0)
		if gotS != render(want) || (err1 == nil) != (err2 == nil) {
			t.Errorf("%s: cached %s (%v), uncached %s (%v)", tc.src, gotS, err1, render(want), err2)
		}
	}
}

func render(items []Item) string {
	var b strings.Builder
	for _, it := range items {
		fmt.Fprintf(&b, "[%d %d %q %v %v]", it.Node, it.Kind, it.S, it.F, it.B)
	}
	return b.String()
}
