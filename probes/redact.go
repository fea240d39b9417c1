package probes

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/internal/redact"
)

// Redacted replaces every secret (and, unless kept, every patient identifier) in evidence.
const Redacted = "[REDACTED]"

// RedactedNHSNumber replaces NHS numbers in stored evidence.
const RedactedNHSNumber = "[NHS-NUMBER]"

// Members of person resources that directly identify someone.
var personIdentifyingMembers = []string{"name", "telecom", "address", "birthDate", "photo", "contact"}

// redactor strips secrets (always) and patient identifiers (unless kept) from evidence.
type redactor struct {
	secrets         [][]byte
	keepIdentifiers bool
}

func newRedactor(keepIdentifiers bool, secrets ...string) *redactor {
	r := &redactor{keepIdentifiers: keepIdentifiers}
	seen := map[string]bool{}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		// The same secret as it may appear URL-encoded or JSON-escaped.
		jsonForm, _ := json.Marshal(s)
		for _, form := range []string{s, url.QueryEscape(s), url.PathEscape(s), string(jsonForm[1 : len(jsonForm)-1])} {
			if form != "" && !seen[form] {
				seen[form] = true
				r.secrets = append(r.secrets, []byte(form))
			}
		}
	}
	return r
}

// bytes replaces every known secret in b.
func (r *redactor) replaceSecrets(b []byte) []byte {
	for _, s := range r.secrets {
		if bytes.Contains(b, s) {
			b = bytes.ReplaceAll(b, s, []byte(Redacted))
		}
	}
	return b
}

// text redacts secrets, echoed bearer credentials and (unless kept) NHS numbers in free text.
func (r *redactor) text(s string) string {
	s = string(r.replaceSecrets([]byte(s)))
	s = redact.BearerCredential.ReplaceAllString(s, "${1}"+Redacted)
	if !r.keepIdentifiers {
		s = redactNHSNumbers(s)
	}
	return s
}

// url redacts credential query parameters, user info, secrets and identifiers in a URL.
func (r *redactor) url(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return r.text(raw)
	}
	if u.User != nil {
		u.User = url.User(Redacted)
	}
	if u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		if err == nil {
			changed := false
			for name, values := range q {
				if redact.SecretName(name) {
					for i := range values {
						values[i] = Redacted
					}
					changed = true
				}
			}
			if changed {
				u.RawQuery = q.Encode()
			}
		}
	}
	return r.text(u.String())
}

// header returns a redacted copy of h.
func (r *redactor) header(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	out := make(http.Header, len(h))
	for name, values := range h {
		canon := http.CanonicalHeaderKey(name)
		redacted := make([]string, len(values))
		for i, v := range values {
			switch {
			case canon == "Authorization" || canon == "Proxy-Authorization":
				scheme, _, found := strings.Cut(strings.TrimSpace(v), " ")
				if found {
					redacted[i] = scheme + " " + Redacted
				} else {
					redacted[i] = Redacted
				}
			case redact.SecretHeader(canon):
				redacted[i] = Redacted
			case canon == "Location" || canon == "Content-Location" || canon == "Referer":
				redacted[i] = r.url(v)
			default:
				redacted[i] = r.text(v)
			}
		}
		out[canon] = redacted
	}
	return out
}

// personParseLimit bounds the bodies parsed as JSON to redact people: bigger bodies that
// may hold people are not stored at all (their hash and size still are).
const personParseLimit = 1 << 20

// Digit runs left at the end of a cut body (part of an NHS number, perhaps).
var digitsAtEnd = regexp.MustCompile(`[0-9]{1,9}$`)

// body redacts a body for storage and caps it at limit bytes (negative: no cap).
// truncatedRead says the body was itself cut at the read limit, so a secret may straddle
// its end. The expensive steps run on the stored part only, so a hostile 4 MiB body costs
// little more than a small one.
func (r *redactor) body(b []byte, contentType string, limit int64, truncatedRead bool) (stored []byte, cut bool) {
	if len(b) == 0 {
		return nil, false
	}
	out := r.replaceSecrets(bytes.Clone(b))
	if truncatedRead {
		out = r.trimSecretPrefixAtEnd(out)
	}
	if !r.keepIdentifiers && (isJSONMedia(contentType) || looksLikeJSON(out)) {
		switch {
		case len(out) <= personParseLimit:
			if redacted, ok := redactPersonResources(out); ok {
				out = redacted
			}
		case mentionsPeople(out):
			return nil, true
		}
	}
	if limit >= 0 && int64(len(out)) > limit {
		out, cut = out[:limit], true
	}
	out = redact.JSONSecretMember.ReplaceAll(out, []byte(`${1}"`+Redacted+`"`))
	out = redact.BearerCredential.ReplaceAll(out, []byte("${1}"+Redacted))
	if cut || truncatedRead {
		out = redact.JSONSecretMemberAtEnd.ReplaceAll(out, []byte(`${1}"`+Redacted))
	}
	if !r.keepIdentifiers {
		out = []byte(redactNHSNumbers(string(out)))
		if cut || truncatedRead {
			out = digitsAtEnd.ReplaceAll(out, nil)
		}
	}
	// Re-encoding JSON turns escapes such as \u0041 into plain characters, which could spell a
	// secret that was not visible before: replace once more on the final bytes.
	out = r.replaceSecrets(out)
	if cut || truncatedRead {
		out = r.trimSecretPrefixAtEnd(out)
	}
	return out, cut
}

// mentionsPeople reports whether a body may hold person resources.
func mentionsPeople(b []byte) bool {
	for _, t := range []string{`"Patient"`, `"RelatedPerson"`, `"Person"`} {
		if bytes.Contains(b, []byte(t)) {
			return true
		}
	}
	return false
}

// trimSecretPrefixAtEnd cuts a trailing partial secret left where the body was truncated.
func (r *redactor) trimSecretPrefixAtEnd(b []byte) []byte {
	for _, s := range r.secrets {
		for n := min(len(s)-1, len(b)); n > 0; n-- {
			if bytes.HasSuffix(b, s[:n]) {
				b = append(b[:len(b)-n:len(b)-n], Redacted...)
				break
			}
		}
	}
	return b
}

func redactNHSNumbers(s string) string { return redact.NHSNumbers(s, RedactedNHSNumber, nil) }

func looksLikeJSON(b []byte) bool {
	t := bytes.TrimSpace(b)
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// redactPersonResources blanks direct identifiers of people (Patient, RelatedPerson, Person)
// wherever they appear in a JSON document, including inside Bundles and contained resources.
func redactPersonResources(b []byte) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, false
	}
	if !redactPersons(doc, 0) {
		return b, true
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, false
	}
	return out, true
}

func redactPersons(v any, depth int) (changed bool) {
	if depth > 64 {
		return false
	}
	switch x := v.(type) {
	case map[string]any:
		switch x["resourceType"] {
		case "Patient", "RelatedPerson", "Person":
			for _, m := range personIdentifyingMembers {
				if _, ok := x[m]; ok {
					x[m] = Redacted
					changed = true
				}
			}
			if ids, ok := x["identifier"].([]any); ok {
				for _, id := range ids {
					if idm, ok := id.(map[string]any); ok {
						if _, has := idm["value"]; has {
							idm["value"] = Redacted
							changed = true
						}
					}
				}
			}
		}
		for _, child := range x {
			if redactPersons(child, depth+1) {
				changed = true
			}
		}
	case []any:
		for _, child := range x {
			if redactPersons(child, depth+1) {
				changed = true
			}
		}
	}
	return changed
}
