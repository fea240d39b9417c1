package validator

import (
	"encoding/json"
	"strconv"
	"strings"
)

// enableWhen (R4): an item with enableWhen conditions is enabled when they hold (all of them, or
// any, as enableBehavior says) against the answers of the response. A disabled item is not
// required and must not be answered (both as in the Java validator). A condition Jigsaw cannot
// decide (an answer type it does not compare, STU3's form) leaves the item's state unknown:
// then it is neither required nor refused.

type enableCond struct {
	question string
	op       string
	answer   any    // decoded answer[x] value
	typ      string // the [x] type of answer, e.g. "Coding", "Integer"
}

func readEnableWhen(m map[string]any) (conds []enableCond, behavior string) {
	behavior, _ = m["enableBehavior"].(string)
	for _, e := range anyList(m["enableWhen"]) {
		em, _ := e.(map[string]any)
		c := enableCond{}
		c.question, _ = em["question"].(string)
		c.op, _ = em["operator"].(string)
		for k, v := range em {
			if strings.HasPrefix(k, "answer") && len(k) > len("answer") {
				c.answer, c.typ = v, k[len("answer"):]
			}
		}
		conds = append(conds, c)
	}
	return conds, behavior
}

// tri is a three-valued truth: yes, no, or unknown.
type tri int8

const (
	triUnknown tri = iota
	triYes
	triNo
)

// itemEnabled decides whether item it is enabled, given the response rooted at node qr.
func (w *walker) itemEnabled(t *tree, qr int32, it *qItem) tri {
	if len(it.enableWhen) == 0 {
		return triYes
	}
	anyOf := it.enableBehavior == "any"
	result := triYes
	if anyOf {
		result = triNo
	}
	for _, c := range it.enableWhen {
		v := evalEnableCond(t, qr, c)
		switch {
		case anyOf && v == triYes:
			return triYes
		case !anyOf && v == triNo:
			return triNo
		case v == triUnknown:
			result = triUnknown
		}
	}
	return result
}

// evalEnableCond evaluates one condition against every answer to its question in the response.
func evalEnableCond(t *tree, qr int32, c enableCond) tri {
	if c.question == "" || c.op == "" {
		return triUnknown // STU3's form, or incomplete
	}
	var answers []int32
	collectAnswers(t, qr, c.question, &answers)
	if c.op == "exists" {
		want, ok := c.answer.(bool)
		if !ok {
			return triUnknown
		}
		if (len(answers) > 0) == want {
			return triYes
		}
		return triNo
	}
	if len(answers) == 0 {
		if c.op == "!=" {
			return triYes
		}
		return triNo
	}
	result := triNo
	if c.op == "!=" {
		result = triYes
	}
	for _, a := range answers {
		v := t.firstChild(a, "value")
		if v < 0 {
			continue
		}
		cmp, ok := compareAnswer(t, v, c)
		if !ok {
			return triUnknown
		}
		var hit bool
		switch c.op {
		case "=":
			hit = cmp == 0
		case "!=":
			if cmp == 0 {
				return triNo
			}
			continue
		case ">":
			hit = cmp > 0
		case "<":
			hit = cmp < 0
		case ">=":
			hit = cmp >= 0
		case "<=":
			hit = cmp <= 0
		default:
			return triUnknown
		}
		if hit {
			return triYes
		}
	}
	return result
}

// collectAnswers gathers the answer nodes of the response items with a linkId, anywhere below n.
func collectAnswers(t *tree, n int32, link string, dst *[]int32) {
	for c := t.nodes[n].first; c >= 0; c = t.nodes[c].next {
		switch t.nodes[c].name {
		case "item":
			if l := t.firstChild(c, "linkId"); l >= 0 && t.nodes[l].kind == valString && t.str(l) == link {
				*dst = t.childrenNamed(c, "answer", *dst)
			}
			collectAnswers(t, c, link, dst)
		case "answer":
			collectAnswers(t, c, link, dst)
		}
	}
}

// compareAnswer compares an answer value with the condition's answer: -1, 0 or 1, and whether
// they could be compared (same kind of value). Codings compare equal or not (1) only.
func compareAnswer(t *tree, v int32, c enableCond) (int, bool) {
	vt := t.nodes[v].choiceType
	if !strings.EqualFold(vt, c.typ) {
		return 0, false
	}
	switch c.typ {
	case "Coding":
		cm, _ := c.answer.(map[string]any)
		sys, _ := cm["system"].(string)
		code, _ := cm["code"].(string)
		if code == "" {
			return 0, false
		}
		if childString(t, v, "code") == code && (sys == "" || childString(t, v, "system") == sys) {
			return 0, true
		}
		return 1, true
	case "Boolean":
		want, ok := c.answer.(bool)
		if !ok {
			return 0, false
		}
		got := t.nodes[v].kind == valTrue
		if got == want {
			return 0, true
		}
		return 1, true
	case "Integer", "Decimal":
		var want float64
		switch x := c.answer.(type) {
		case json.Number:
			f, err := x.Float64()
			if err != nil {
				return 0, false
			}
			want = f
		case float64:
			want = x
		default:
			return 0, false
		}
		got, err := strconv.ParseFloat(t.str(v), 64)
		if err != nil {
			return 0, false
		}
		switch {
		case got < want:
			return -1, true
		case got > want:
			return 1, true
		}
		return 0, true
	case "String", "Date", "DateTime", "Time":
		want, ok := c.answer.(string)
		if !ok || t.nodes[v].kind != valString {
			return 0, false
		}
		if c.typ != "String" && len(want) != len(t.str(v)) {
			return 0, false // different precision: not compared
		}
		return strings.Compare(t.str(v), want), true
	}
	return 0, false
}
