package validator

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/nhs-jigsaw/jigsaw/validator/internal/model"
)

// QuestionnaireResponse validation against its Questionnaire, when the Questionnaire is in a
// package given with --package (or a loose JSON file): link ids and nesting, required items,
// the answer's type, repeats, answer options and value sets, and the item constraints carried
// by the standard extensions (minValue, maxValue, maxDecimalPlaces, minLength, regex, mimeType,
// maxSize, minOccurs, maxOccurs, optionExclusive). Items with enableWhen are not required to be
// answered (enableWhen is not evaluated).

type qItem struct {
	linkID    string
	text      string // the item's text, which a response item's text must repeat
	typ       string
	required  bool
	repeats   bool
	maxLen    int
	options   []any // answerOption value[x] (R4) or option value[x] (STU3): decoded JSON values, keyed by JSON name
	optNames  []string
	exclusive map[int]bool
	valueSet  string
	enabled   bool // has enableWhen: may be disabled
	// enableWhen and enableBehavior (R4), evaluated by enablewhen.go.
	enableWhen     []enableCond
	enableBehavior string
	exts           map[string]any
	// unitOptions are the item's questionnaire-unitOption codings (system, code, display): a
	// quantity answer's unit must be one of them.
	unitOptions []map[string]any
	// unitValueSet is the item's questionnaire-unitValueSet: a quantity answer's unit must be in it.
	unitValueSet string
	// refTypes are the item's questionnaire-referenceResource types (the extension repeats).
	refTypes []string
	// mimeTypes are the item's mimeType extensions (repeating): an attachment's contentType
	// must start with one of them.
	mimeTypes []string
	items     []*qItem
}

type questionnaireDef struct {
	items []*qItem
}

func (sc *schema) questionnaire(url string) *questionnaireDef {
	return rawByURL(&sc.qcache, sc.defs.Questionnaires, url, func(m map[string]any) *questionnaireDef {
		return &questionnaireDef{items: readQItems(m["item"])}
	})
}

// rawByURL returns what read makes of the package resource with a canonical URL (any version),
// worked out once per URL and cached; nil when there is none or it is not a JSON object.
// Numbers are kept as json.Number.
func rawByURL[T any](cache *sync.Map, resources []model.RawResource, url string, read func(map[string]any) *T) *T {
	if i := strings.IndexByte(url, '|'); i >= 0 {
		url = url[:i]
	}
	if v, ok := cache.Load(url); ok {
		return v.(*T)
	}
	var out *T
	for _, r := range resources {
		if r.URL != url {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(r.JSON))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err == nil {
			out = read(m)
		}
		break
	}
	actual, _ := cache.LoadOrStore(url, out)
	return actual.(*T)
}

func readQItems(v any) []*qItem {
	var out []*qItem
	arr, _ := v.([]any)
	for _, x := range arr {
		m, ok := x.(map[string]any)
		if !ok {
			continue
		}
		it := &qItem{exts: map[string]any{}, exclusive: map[int]bool{}}
		it.linkID, _ = m["linkId"].(string)
		it.text, _ = m["text"].(string)
		it.typ, _ = m["type"].(string)
		it.required, _ = m["required"].(bool)
		it.repeats, _ = m["repeats"].(bool)
		if n, ok := m["maxLength"].(json.Number); ok {
			if k, err := n.Int64(); err == nil {
				it.maxLen = int(k)
			}
		}
		if vs, ok := m["answerValueSet"].(string); ok {
			it.valueSet = vs
		}
		if ref, ok := m["options"].(map[string]any); ok { // STU3
			it.valueSet, _ = ref["reference"].(string)
		}
		_, it.enabled = m["enableWhen"]
		it.enableWhen, it.enableBehavior = readEnableWhen(m)
		for _, e := range anyList(m["extension"]) {
			em, _ := e.(map[string]any)
			u, _ := em["url"].(string)
			for k, v := range em {
				if strings.HasPrefix(k, "value") {
					it.exts[u] = v
				}
			}
			switch u {
			case "http://hl7.org/fhir/StructureDefinition/questionnaire-unitOption":
				if c, ok := em["valueCoding"].(map[string]any); ok {
					it.unitOptions = append(it.unitOptions, c)
				}
			case "http://hl7.org/fhir/StructureDefinition/mimeType":
				if c, ok := em["valueCode"].(string); ok {
					it.mimeTypes = append(it.mimeTypes, c)
				}
			case "http://hl7.org/fhir/StructureDefinition/questionnaire-referenceResource":
				if c, ok := em["valueCode"].(string); ok {
					it.refTypes = append(it.refTypes, c)
				}
			case "http://hl7.org/fhir/StructureDefinition/questionnaire-unitValueSet":
				it.unitValueSet, _ = em["valueCanonical"].(string)
				if it.unitValueSet == "" {
					if r, ok := em["valueReference"].(map[string]any); ok { // STU3
						it.unitValueSet, _ = r["reference"].(string)
					}
				}
			}
		}
		opts := anyList(m["answerOption"])
		if len(opts) == 0 {
			opts = anyList(m["option"])
		}
		for i, o := range opts {
			om, _ := o.(map[string]any)
			for k, v := range om {
				if strings.HasPrefix(k, "value") {
					it.options = append(it.options, v)
					it.optNames = append(it.optNames, k)
				}
			}
			for _, e := range anyList(om["extension"]) {
				em, _ := e.(map[string]any)
				if em["url"] == "http://hl7.org/fhir/StructureDefinition/questionnaire-optionExclusive" && em["valueBoolean"] == true {
					it.exclusive[i] = true
				}
			}
		}
		it.items = readQItems(m["item"])
		out = append(out, it)
	}
	return out
}

func anyList(v any) []any {
	switch t := v.(type) {
	case []any:
		return t
	case nil:
		return nil
	}
	return []any{v}
}

// answerTypes maps an item type to the value[x] types its answers may have.
var answerTypes = map[string][]string{
	"boolean": {"boolean"}, "decimal": {"decimal"}, "integer": {"integer"}, "date": {"date"},
	"dateTime": {"dateTime"}, "time": {"time"}, "string": {"string"}, "text": {"string"},
	"url": {"uri"}, "choice": {"Coding"}, "open-choice": {"Coding", "string"},
	"attachment": {"Attachment"}, "reference": {"Reference"}, "quantity": {"Quantity"},
}

// checkQuestionnaireResponse validates the QuestionnaireResponse at node n of the current tree.
func (w *walker) checkQuestionnaireResponse(n int32) {
	if n < 0 || len(w.sc.defs.Questionnaires) == 0 {
		return
	}
	t := w.tree()
	qn := t.firstChild(n, "questionnaire")
	if qn < 0 {
		return
	}
	if t.nodes[qn].kind != valString {
		r := t.firstChild(qn, "reference") // STU3: a Reference
		if r < 0 || t.nodes[r].kind != valString {
			return
		}
		qn = r
	}
	q := w.sc.questionnaire(t.str(qn))
	if q == nil {
		return
	}
	s := &sink{w: w}
	w.qrItems(s, t, n, q.items)
}

func (w *walker) qrItems(s *sink, t *tree, parent int32, items []*qItem) {
	byLink := map[string]*qItem{}
	order := map[string]int{}
	for i, it := range items {
		byLink[it.linkID] = it
		order[it.linkID] = i
	}
	lastIndex := -1
	seen := map[string]int{}
	answered := map[string]bool{}
	for c := t.nodes[parent].first; c >= 0; c = t.nodes[c].next {
		if t.nodes[c].name != "item" {
			continue
		}
		l := t.firstChild(c, "linkId")
		if l < 0 || t.nodes[l].kind != valString {
			continue
		}
		link := t.str(l)
		it := byLink[link]
		if it == nil {
			s.add(SeverityError, CheckQuestionnaire, t, c, "", "LinkId '%s' not found in questionnaire", link)
			continue
		}
		// Items follow the Questionnaire's order, and an item that does not repeat is answered
		// in one response item (Java's item order and "only one response item" rules).
		if k := order[link]; k < lastIndex {
			s.add(SeverityError, CheckQuestionnaire, t, c, "", "Structural Error: items are out of order (item '%s' comes after an item the questionnaire puts later)", link)
		} else {
			lastIndex = k
		}
		if len(it.enableWhen) > 0 && (t.firstChild(c, "answer") >= 0 || t.firstChild(c, "item") >= 0) &&
			w.itemEnabled(t, responseRoot(t, c), it) == triNo {
			s.add(SeverityError, CheckQuestionnaire, t, c, "", "Item has answer, even though it is not enabled (item id = '%s')", link)
		}
		if seen[link]++; seen[link] == 2 && !it.repeats {
			s.add(SeverityError, CheckQuestionnaire, t, c, "", "Only one response item with linkId '%s' is allowed, as the item does not repeat", link)
		}
		if w.qrItem(s, t, c, it) {
			answered[link] = true
		}
	}
	for _, it := range items {
		if !it.required || answered[it.linkID] {
			continue
		}
		if it.enabled && (len(it.enableWhen) == 0 || w.itemEnabled(t, responseRoot(t, parent), it) != triYes) {
			continue // disabled, or not decided here: not required
		}
		// A response not yet completed may leave required items unanswered: a warning, as
		// in the Java validator.
		sev := SeverityError
		if responseNotCompleted(t, parent) {
			sev = SeverityWarning
		}
		if it.typ == "group" {
			s.add(sev, CheckQuestionnaire, t, parent, "", "No sub-items found for required group '%s'", it.linkID)
		} else if it.typ != "display" {
			s.add(sev, CheckQuestionnaire, t, parent, "", "No response answer found for required item '%s'", it.linkID)
		}
	}
}

// qrItem validates one response item; it reports whether the item has content.
func (w *walker) qrItem(s *sink, t *tree, c int32, it *qItem) bool {
	if x := t.firstChild(c, "text"); x >= 0 && t.nodes[x].kind == valString && t.str(x) != it.text {
		s.add(SeverityError, CheckQuestionnaire, t, x, "", "If text exists, it must match the questionnaire definition for linkId %s", it.linkID)
	}
	var answers []int32
	answers = t.childrenNamed(c, "answer", answers)
	hasItems := t.firstChild(c, "item") >= 0
	switch it.typ {
	case "display":
		if len(answers) > 0 {
			s.add(SeverityError, CheckQuestionnaire, t, c, "", "Items of type 'display' cannot have answers")
		}
		return true
	case "group":
		if len(answers) > 0 {
			s.add(SeverityError, CheckQuestionnaire, t, c, "", "Items of type group should not have answers")
		}
		w.qrItems(s, t, c, it.items)
		return hasItems
	case "question":
		// "question" is the abstract parent of the answerable item types (item-type code
		// system): an item that does not say which kind of answer it takes cannot be answered.
		if len(answers) > 0 {
			s.add(SeverityError, CheckQuestionnaire, t, c, "", "Items of type question should not have answers (the type is abstract: the item must state a concrete type such as string or choice)")
		}
		w.qrItems(s, t, c, it.items)
		return hasItems || len(answers) > 0
	}
	if hasItems {
		s.add(SeverityError, CheckQuestionnaire, t, c, "", "Items not of type group should not have items outside answers (use answer.item not .item)")
	}
	if len(answers) > 1 && !it.repeats {
		s.add(SeverityError, CheckQuestionnaire, t, c, "", "Only one response answer item with this linkId allowed")
	}
	if v, ok := it.exts["http://hl7.org/fhir/StructureDefinition/questionnaire-minOccurs"]; ok {
		if k, ok := jsonInt(v); ok && int64(len(answers)) < k {
			s.add(SeverityError, CheckQuestionnaire, t, c, "", "Item '%s' needs at least %d answers, found %d", it.linkID, k, len(answers))
		}
	}
	if v, ok := it.exts["http://hl7.org/fhir/StructureDefinition/questionnaire-maxOccurs"]; ok {
		if k, ok := jsonInt(v); ok && int64(len(answers)) > k {
			s.add(SeverityError, CheckQuestionnaire, t, c, "", "Item '%s' allows at most %d answers, found %d", it.linkID, k, len(answers))
		}
	}
	exclusiveChosen := false
	for i, a := range answers {
		if len(it.items) > 0 {
			w.qrItems(s, t, a, it.items)
		}
		v := t.firstChild(a, "value")
		if v < 0 {
			continue
		}
		vt := t.nodes[v].choiceType
		allowed := answerTypes[it.typ]
		if it.typ == "choice" || it.typ == "open-choice" {
			// R4 answer options may be integers, dates, times, strings or Codings: the
			// answers take the options' types.
			for _, on := range it.optNames {
				ot := strings.TrimPrefix(on, "value")
				if ot != "Coding" {
					ot = strings.ToLower(ot[:1]) + ot[1:]
				}
				allowed = append(append([]string(nil), allowed...), ot)
			}
		}
		if it.typ == "choice" && len(it.options) == 0 && it.valueSet == "" {
			allowed = nil // nothing to choose from: the Java validator does not check the type
		}
		if len(allowed) > 0 {
			ok := false
			for _, x := range allowed {
				if x == vt {
					ok = true
				}
			}
			if !ok {
				s.add(SeverityError, CheckQuestionnaire, t, v, "", "Answer value must be of the type %s not %s", strings.Join(allowed, " or "), vt)
				continue
			}
		}
		k := w.qrOption(s, t, v, vt, it)
		if k >= 0 && it.exclusive[k] {
			exclusiveChosen = true
		}
		if exclusiveChosen && len(answers) > 1 && i > 0 || (k >= 0 && it.exclusive[k] && i > 0) {
			s.add(SeverityError, CheckQuestionnaire, t, a, "", "Selected answer is an exclusive option - can't select anything else at the same time")
			exclusiveChosen = false
		}
		w.qrConstraints(s, t, v, vt, it)
	}
	return len(answers) > 0
}

// qrOption checks an answer against the item's options; it returns the option's index.
func (w *walker) qrOption(s *sink, t *tree, v int32, vt string, it *qItem) int {
	if len(it.options) == 0 {
		if it.valueSet != "" && vt == "string" && it.typ != "open-choice" {
			// A string answer to an item with a value set must be one of its codes.
			if vs := w.sc.valueSets[it.valueSet]; vs != nil && vs.complete && !w.inValueSet(t, v, vs) {
				s.add(SeverityError, CheckQuestionnaire, t, v, "", "The value '%s' is not in the list of allowed values (value set '%s')", t.str(v), it.valueSet)
			}
		}
		if it.valueSet != "" && vt == "Coding" {
			if vs := w.sc.valueSets[it.valueSet]; vs != nil && vs.complete {
				if !w.inValueSet(t, v, vs) {
					s.add(SeverityError, CheckQuestionnaire, t, v, "", "The code is not in the options value set %s specified by the questionnaire", it.valueSet)
				}
			}
		}
		return -1
	}
	if it.typ == "open-choice" && vt == "string" {
		return -1
	}
	for i, o := range it.options {
		if it.optNames[i] != "value"+upperFirst(vt) {
			continue
		}
		if vt == "Coding" {
			om, _ := o.(map[string]any)
			sys, _ := om["system"].(string)
			code, _ := om["code"].(string)
			if matchValue(t, v, map[string]any{"system": sys, "code": code}, false) {
				return i
			}
			continue
		}
		if matchValue(t, v, o, false) {
			return i
		}
	}
	if vt == "Coding" {
		sys, code := "", ""
		if x := t.firstChild(v, "system"); x >= 0 {
			sys = t.str(x)
		}
		if x := t.firstChild(v, "code"); x >= 0 {
			code = t.str(x)
		}
		s.add(SeverityError, CheckQuestionnaire, t, v, "", "The code %s::%s is not in the set of permitted values", sys, code)
	} else {
		s.add(SeverityError, CheckQuestionnaire, t, v, "", "The %s %s is not in the set of permitted values", vt, t.str(v))
	}
	return -1
}

func jsonInt(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	}
	return 0, false
}

func jsonScalar(v any) string {
	switch x := v.(type) {
	case json.Number:
		return x.String()
	case string:
		return x
	}
	return ""
}

// qrConstraints applies the item's value constraints to one answer value.
func (w *walker) qrConstraints(s *sink, t *tree, v int32, vt string, it *qItem) {
	nd := &t.nodes[v]
	val := ""
	if nd.kind == valString || nd.kind == valNumber {
		val = t.str(v)
	}
	less := func(a, b string) bool {
		if vt == "integer" || vt == "decimal" {
			x, err1 := strconv.ParseFloat(a, 64)
			y, err2 := strconv.ParseFloat(b, 64)
			return err1 == nil && err2 == nil && x < y
		}
		return a < b // ISO dates, times: lexical order, a partial value sorting before its extensions
	}
	if val != "" {
		if mv, ok := it.exts["http://hl7.org/fhir/StructureDefinition/minValue"]; ok {
			if m := jsonScalar(mv); m != "" && less(val, m) {
				s.add(SeverityError, CheckQuestionnaire, t, v, "", "The value %s is less than the allowed minimum of %s", val, m)
			}
		}
		if mv, ok := it.exts["http://hl7.org/fhir/StructureDefinition/maxValue"]; ok {
			if m := jsonScalar(mv); m != "" && less(m, val) {
				s.add(SeverityError, CheckQuestionnaire, t, v, "", "The value %s is greater than the allowed maximum of %s", val, m)
			}
		}
		if mv, ok := it.exts["http://hl7.org/fhir/StructureDefinition/maxDecimalPlaces"]; ok && vt == "decimal" {
			if k, ok := jsonInt(mv); ok {
				if i := strings.IndexByte(val, '.'); i >= 0 && int64(len(val)-i-1) > k {
					s.add(SeverityError, CheckQuestionnaire, t, v, "", "The value %s has too many decimal places (limit = %d)", val, k)
				}
			}
		}
		if vt == "string" {
			n := utf8.RuneCountInString(val)
			if it.maxLen > 0 && n > it.maxLen {
				s.add(SeverityError, CheckQuestionnaire, t, v, "", "The value is longer than the maximum length of %d", it.maxLen)
			}
			if mv, ok := it.exts["http://hl7.org/fhir/StructureDefinition/minLength"]; ok {
				if k, ok := jsonInt(mv); ok && int64(n) < k {
					s.add(SeverityError, CheckQuestionnaire, t, v, "", "The value is shorter than the minimum length of %d", k)
				}
			}
			if mv, ok := it.exts["http://hl7.org/fhir/StructureDefinition/regex"]; ok {
				if re, err := regexp.Compile("^(?:" + jsonScalar(mv) + ")$"); err == nil && !re.MatchString(val) {
					s.add(SeverityError, CheckQuestionnaire, t, v, "", "The value does not match the regex %s", jsonScalar(mv))
				}
			}
		}
	}
	switch vt {
	case "Attachment":
		if len(it.mimeTypes) > 0 {
			// As Java: the contentType is required, and must start with one of the types.
			ct := t.firstChild(v, "contentType")
			switch {
			case ct < 0 || t.nodes[ct].kind != valString:
				s.add(SeverityError, CheckQuestionnaire, t, v, "", "The attachment has no contentType, but the questionnaire allows only %s", strings.Join(it.mimeTypes, ", "))
			default:
				ok := false
				for _, m := range it.mimeTypes {
					if strings.HasPrefix(t.str(ct), m) {
						ok = true
					}
				}
				if !ok {
					s.add(SeverityError, CheckQuestionnaire, t, v, "", "The mime type %s is not valid for this answer (allowed = %s)", t.str(ct), strings.Join(it.mimeTypes, ", "))
				}
			}
		}
		if mv, ok := it.exts["http://hl7.org/fhir/StructureDefinition/maxSize"]; ok {
			max, _ := strconv.ParseFloat(jsonScalar(mv), 64)
			if d := t.firstChild(v, "data"); d >= 0 && t.nodes[d].kind == valString && max > 0 {
				// The decoded size must be below the limit (Java: size < maxSize).
				if size := float64(base64DecodedLen(t.str(d))); size >= max {
					s.add(SeverityError, CheckQuestionnaire, t, v, "", "The attachment is too large (allowed = below %v bytes, found = %v)", max, size)
				}
			}
		}
	case "Quantity":
		for _, k := range []string{"minQuantity", "maxQuantity"} {
			mv, ok := it.exts["http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-"+k]
			if !ok {
				continue
			}
			mq, _ := mv.(map[string]any)
			sys, code := "", ""
			if x := t.firstChild(v, "system"); x >= 0 {
				sys = t.str(x)
			}
			if x := t.firstChild(v, "code"); x >= 0 {
				code = t.str(x)
			}
			mcode, _ := mq["code"].(string)
			// Units of one dimension that UCUM relates by a factor (m and km) are converted.
			factor, comparable := 1.0, sys != "" && code != "" && mq["system"] == sys && mcode == code
			if !comparable && sys == "http://unitsofmeasure.org" && mq["system"] == sys {
				su, ok1 := ucumScale[code]
				sm, ok2 := ucumScale[mcode]
				if ok1 && ok2 && su.base == sm.base {
					factor, comparable = su.factor/sm.factor, true
				}
			}
			if !comparable {
				s.add(SeverityError, CheckQuestionnaire, t, v, "", "The quantity cannot be compared to the allowed %s (different or missing units that are not convertible)", strings.TrimSuffix(k, "Quantity"))
				continue
			}
			val := ""
			if x := t.firstChild(v, "value"); x >= 0 {
				val = t.str(x)
			}
			a, err1 := strconv.ParseFloat(val, 64)
			a *= factor // in the units of the limit
			b, err2 := strconv.ParseFloat(jsonScalar(mq["value"]), 64)
			if err1 == nil && err2 == nil && ((k == "minQuantity" && a < b) || (k == "maxQuantity" && a > b)) {
				s.add(SeverityError, CheckQuestionnaire, t, v, "", "The quantity %s is outside the allowed %s of %s", val, strings.TrimSuffix(k, "Quantity"), jsonScalar(mq["value"]))
			}
		}
		w.qrQuantityUnit(s, t, v, it)
	case "Reference":
		if len(it.refTypes) > 0 {
			if r := t.firstChild(v, "reference"); r >= 0 && t.nodes[r].kind == valString {
				if typ, ok := referenceType(t.str(r)); ok && !refTypeAllowed(w.sc, typ, it.refTypes) {
					s.add(SeverityError, CheckQuestionnaire, t, v, "", "The reference is to a %s, but the questionnaire allows %s", typ, strings.Join(it.refTypes, ", "))
				}
			}
		}
	}
}

// qrQuantityUnit checks a quantity answer's unit against the item's unitOption codings and its
// unitValueSet: the answer's system and code must be one of the options, and in the value set.
// A value set that cannot be enumerated here refuses only units from code systems it does not
// draw on.
func (w *walker) qrQuantityUnit(s *sink, t *tree, v int32, it *qItem) {
	if len(it.unitOptions) == 0 && it.unitValueSet == "" {
		return
	}
	sys, code := "", ""
	if x := t.firstChild(v, "system"); x >= 0 && t.nodes[x].kind == valString {
		sys = t.str(x)
	}
	if x := t.firstChild(v, "code"); x >= 0 && t.nodes[x].kind == valString {
		code = t.str(x)
	}
	unit := sys + "#" + code
	if len(it.unitOptions) > 0 {
		ok := false
		var allowed []string
		for _, o := range it.unitOptions {
			os, _ := o["system"].(string)
			oc, _ := o["code"].(string)
			allowed = append(allowed, os+"#"+oc)
			if code != "" && os == sys && oc == code {
				ok = true
			}
		}
		if !ok {
			s.add(SeverityError, CheckQuestionnaire, t, v, "", "The unit %s is not one of the units the questionnaire allows (%s)", unit, strings.Join(allowed, ", "))
		}
	}
	if it.unitValueSet != "" {
		in, known := w.sc.codeInValueSet(it.unitValueSet, sys, code)
		if known && !in {
			s.add(SeverityError, CheckQuestionnaire, t, v, "", "The unit %s is not in the unit value set %s", unit, it.unitValueSet)
		}
	}
}

// codeInValueSet says whether system|code is in the value set with this canonical URL, and
// whether that could be decided from the loaded packages: a complete expansion decides; an
// incomplete one decides only that a code from a system it does not draw on is not in it, as
// is a missing code.
func (sc *schema) codeInValueSet(url, system, code string) (in, known bool) {
	if i := strings.IndexByte(url, '|'); i >= 0 {
		url = url[:i]
	}
	vs := sc.valueSets[url]
	if vs == nil {
		return false, false
	}
	if code == "" {
		return false, true
	}
	if vs.complete {
		_, in = vs.coded[system+"|"+code]
		return in, true
	}
	if len(vs.includeSystems) == 0 {
		return false, false
	}
	for _, s := range vs.includeSystems {
		if s == system {
			return false, false
		}
	}
	return false, true
}

// refTypeAllowed reports whether a referenced resource type is one of the allowed types (or a
// specialisation of one, such as any type when Resource is allowed).
func refTypeAllowed(sc *schema, typ string, allowed []string) bool {
	rt := sc.types[typ]
	for _, a := range allowed {
		if a == typ || (rt != nil && rt.isA(a)) {
			return true
		}
	}
	return false
}

// responseNotCompleted reports whether the QuestionnaireResponse holding node n has a status
// other than completed or amended (in-progress, stopped, entered-in-error).
func responseNotCompleted(t *tree, n int32) bool {
	for x := n; x >= 0; x = t.nodes[x].parent {
		if t.nodes[x].resource {
			st := t.firstChild(x, "status")
			if st < 0 || t.nodes[st].kind != valString {
				return true
			}
			v := t.str(st)
			return v != "completed" && v != "amended"
		}
	}
	return false
}

// base64DecodedLen is the number of bytes base64 text decodes to (whitespace ignored).
func base64DecodedLen(s string) int {
	n := 0 // data characters: each carries 6 bits
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '=', ' ', '\t', '\r', '\n':
		default:
			n++
		}
	}
	return n * 6 / 8
}

// responseRoot is the resource node (the QuestionnaireResponse) holding node n.
func responseRoot(t *tree, n int32) int32 {
	for x := n; x >= 0; x = t.nodes[x].parent {
		if t.nodes[x].resource {
			return x
		}
	}
	return 0
}
