package evidence

import (
	"bytes"
	"mime"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/internal/jcs"
	"github.com/nhs-jigsaw/jigsaw/internal/redact"
	"github.com/nhs-jigsaw/jigsaw/terminology"
)

// Redacted replaces every value the store removes.
const Redacted = "[REDACTED]"

// redactedNarrative replaces a FHIR narrative, which repeats the resource in prose (names,
// dates of birth, addresses), and stays valid XHTML.
const redactedNarrative = `<div xmlns="http://www.w3.org/1999/xhtml">` + Redacted + `</div>`

// maxJSONDepth bounds nesting; a body nested deeper is treated as not JSON (hash only).
// Real FHIR resources nest a few dozen levels at most.
const maxJSONDepth = 256

// nhsNumberSystems are the identifier systems that mean "NHS number": the current URI, the
// one GP Connect 0.x and DSTU2 used, and the OID.
var nhsNumberSystems = map[string]bool{
	terminology.SystemNHSNumber:         true,
	"http://fhir.nhs.net/Id/nhs-number": true,
	"urn:oid:2.16.840.1.113883.2.1.4.1": true,
}

// Direct identifiers inside FHIR datatypes: HumanName, Address, ContactPoint, Attachment.
var (
	humanNameFields = []string{"family", "given", "text", "prefix", "suffix"}
	addressFields   = []string{"text", "line", "city", "district", "state", "postalCode"}
	telecomFields   = []string{"value"}
	photoFields     = []string{"data", "url", "title", "hash"}
)

// personResources are resource types whose own identifiers identify a person.
var personResources = map[string]bool{"Patient": true, "RelatedPerson": true, "Person": true}

// codeKeys hold codes (SNOMED CT, dm+d ...) that may look like NHS numbers and are not.
var codeKeys = map[string]bool{"code": true, "system": true, "version": true, "valueCode": true}

// Redactor removes secrets from everything it is given and, unless keepBodies, direct patient
// identifiers too. It is safe for concurrent use once made.
type Redactor struct {
	keepIdentifiers bool
}

// NewRedactor makes a Redactor. With keepBodies, bodies and identifiers are kept and only
// secrets go. Without it every NHS number is removed, a known test patient's as much as any
// other: evidence, reports and submissions leave the building, and a test number in them is
// still an identifier in a real number's format.
func NewRedactor(keepBodies bool) *Redactor {
	return &Redactor{keepIdentifiers: keepBodies}
}

func digitsOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
}

// Headers returns h without secret headers, and the canonical names of those removed.
func (r *Redactor) Headers(h http.Header) (kept http.Header, removed []string) {
	if len(h) == 0 {
		return nil, nil
	}
	kept = http.Header{}
	for name, values := range h {
		canonical := textproto.CanonicalMIMEHeaderKey(name)
		if redact.SecretHeader(canonical) {
			if !slices.Contains(removed, canonical) {
				removed = append(removed, canonical)
			}
			continue
		}
		for _, v := range values {
			kept[canonical] = append(kept[canonical], r.RedactText(v))
		}
	}
	slices.Sort(removed)
	return kept, removed
}

// Body decides what of an HTTP body is stored. JSON is kept with secrets and (unless
// keepBodies) direct identifiers replaced by "[REDACTED]"; when nothing needed replacing the
// original bytes are kept exactly. Anything else is kept only with keepBodies (form fields
// that carry credentials replaced); otherwise it is stored as its hash and size only.
func (r *Redactor) Body(contentType string, body []byte) ([]byte, BodyMode) {
	if len(body) == 0 {
		return nil, BodyNone
	}
	mode := BodyRedacted
	if r.keepIdentifiers {
		mode = BodyRaw
	}
	if out, err := r.RedactJSON(body); err == nil {
		return out, mode
	}
	if !r.keepIdentifiers {
		return nil, BodyHashOnly
	}
	if mt, _, err := mime.ParseMediaType(contentType); err == nil && mt == "application/x-www-form-urlencoded" {
		return []byte(redactParams(string(body))), BodyRaw
	}
	return body, BodyRaw
}

// RedactURL removes credentials from a URL (user info, token parameters in the query or the
// fragment) and, unless keepBodies, NHS numbers that are not known test numbers.
func (r *Redactor) RedactURL(raw string) string {
	out := raw
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		u.User = url.User("REDACTED")
		out = u.String()
	}
	if i := strings.IndexAny(out, "?#"); i >= 0 {
		out = out[:i+1] + redactURLTail(out[i+1:])
	}
	return r.RedactText(out)
}

// redactURLTail redacts secret parameters in what follows the first '?' or '#'.
func redactURLTail(tail string) string {
	if i := strings.IndexByte(tail, '#'); i >= 0 {
		return redactParams(tail[:i]) + "#" + redactParams(tail[i+1:])
	}
	return redactParams(tail)
}

// redactParams replaces the values of secret parameters in a&b=c form text, leaving the rest
// byte for byte.
func redactParams(s string) string {
	parts := strings.Split(s, "&")
	for i, p := range parts {
		k, _, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if redact.SecretName(name) {
			parts[i] = k + "=REDACTED"
		}
	}
	return strings.Join(parts, "&")
}

// RedactText replaces bearer tokens in free text and, unless keepBodies, NHS numbers (ten
// digits, or 3-3-4 separated by spaces or hyphens, with a valid check digit, not part of a
// longer number) that are not known test numbers.
func (r *Redactor) RedactText(s string) string {
	if strings.Contains(strings.ToLower(s), "bearer") {
		s = redact.BearerCredential.ReplaceAllString(s, "${1}"+Redacted)
	}
	if r.keepIdentifiers {
		return s
	}
	return redact.NHSNumbers(s, Redacted, nil)
}

// RedactJSON rewrites a JSON body with secrets and (unless keepBodies) direct patient
// identifiers replaced, keeping member order. It returns body itself when nothing needed
// replacing, and an error when body is not one well-formed JSON value.
//
// Identifiers removed, anywhere in the document: HumanName family/given/text/prefix/suffix;
// Address text/line/city/district/state/postalCode; ContactPoint (telecom) value; photo data,
// url, title, hash; birthDate; narrative div; the value of any identifier whose system is the
// NHS number; every identifier value of a Patient, RelatedPerson or Person; the display of a
// reference to a Patient or RelatedPerson; NHS numbers in any other string except codes.
// Known test NHS numbers are kept.
func (r *Redactor) RedactJSON(body []byte) ([]byte, error) {
	root, err := jcs.Parse(body, maxJSONDepth)
	if err != nil {
		return nil, err
	}
	w := redactWalk{r: r}
	w.node(root, "", "")
	if !w.changed {
		return body, nil
	}
	var out bytes.Buffer
	out.Grow(len(body))
	root.Write(&out)
	return out.Bytes(), nil
}

type redactWalk struct {
	r       *Redactor
	changed bool
}

func (w *redactWalk) set(n *jsonNode, v string) {
	if n.Kind == jsonString && n.Text != v {
		n.Text = v
		w.changed = true
	}
}

// node walks n, which is the value of member key inside a resource of type resourceType.
func (w *redactWalk) node(n *jsonNode, key, resourceType string) {
	switch n.Kind {
	case jsonString:
		if redact.SecretName(key) {
			w.set(n, Redacted)
		} else if !codeKeys[key] {
			w.set(n, w.r.RedactText(n.Text))
		}
	case jsonArray:
		for _, e := range n.Values {
			w.node(e, key, resourceType)
		}
	case jsonObject:
		w.object(n, resourceType)
	}
}

func (w *redactWalk) object(n *jsonNode, resourceType string) {
	if rt := n.Member("resourceType"); rt != nil && rt.Kind == jsonString {
		resourceType = rt.Text
		if !w.r.keepIdentifiers && personResources[rt.Text] {
			if ids := n.Member("identifier"); ids != nil {
				forEachObject(ids, func(id *jsonNode) { w.identifier(id, true) })
			}
		}
	}
	if !w.r.keepIdentifiers {
		w.identifier(n, false)
		if ref, display := n.Member("reference"), n.Member("display"); ref != nil && display != nil &&
			ref.Kind == jsonString && refersToPerson(ref.Text) {
			w.set(display, Redacted)
		}
	}
	for i, key := range n.Keys {
		v := n.Values[i]
		if !w.r.keepIdentifiers {
			switch key {
			case "name":
				forEachObject(v, func(o *jsonNode) { w.fields(o, humanNameFields) })
			case "address":
				forEachObject(v, func(o *jsonNode) { w.fields(o, addressFields) })
			case "telecom":
				forEachObject(v, func(o *jsonNode) { w.fields(o, telecomFields) })
			case "photo":
				forEachObject(v, func(o *jsonNode) { w.fields(o, photoFields) })
			case "birthDate":
				w.set(v, Redacted)
			case "div":
				w.set(v, redactedNarrative)
			}
		}
		w.node(v, key, resourceType)
	}
}

// identifier redacts the value of an identifier-shaped object (system + value) when it is an
// NHS number, or any value when the identifier belongs to a person resource.
func (w *redactWalk) identifier(o *jsonNode, person bool) {
	value := o.Member("value")
	if value == nil || value.Kind != jsonString {
		return
	}
	system := o.Member("system")
	isNHS := system != nil && system.Kind == jsonString && nhsNumberSystems[strings.TrimSpace(system.Text)]
	if isNHS || person {
		w.set(value, Redacted)
	}
}

// fields replaces every string (or string in an array) under the named members of o.
func (w *redactWalk) fields(o *jsonNode, names []string) {
	for i, k := range o.Keys {
		if !slices.Contains(names, k) {
			continue
		}
		v := o.Values[i]
		switch v.Kind {
		case jsonString:
			w.set(v, Redacted)
		case jsonArray:
			for _, e := range v.Values {
				w.set(e, Redacted)
			}
		}
	}
}

func refersToPerson(ref string) bool {
	for _, t := range []string{"Patient/", "RelatedPerson/"} {
		if strings.HasPrefix(ref, t) || strings.Contains(ref, "/"+t) {
			return true
		}
	}
	return false
}

func forEachObject(n *jsonNode, fn func(*jsonNode)) {
	switch n.Kind {
	case jsonObject:
		fn(n)
	case jsonArray:
		for _, e := range n.Values {
			if e.Kind == jsonObject {
				fn(e)
			}
		}
	}
}

// jsonNode is a parsed JSON value that keeps object members in document order (jcs.Parse),
// so a redacted body reads like the original.
type jsonNode = jcs.Node

const (
	jsonString  = jcs.String
	jsonLiteral = jcs.Literal
	jsonObject  = jcs.Object
	jsonArray   = jcs.Array
)
