package probes

import (
	"bytes"
	"strings"
	"testing"
)

func FuzzParseCapabilityStatement(f *testing.F) {
	f.Add([]byte(`{"resourceType":"CapabilityStatement","status":"active","kind":"instance","fhirVersion":"4.0.1","format":["json"],"rest":[{"mode":"server","resource":[{"type":"Patient","profile":{"reference":"x"},"interaction":[{"code":"read"}]}]}],"profile":["a",{"reference":"b"}]}`))
	f.Add([]byte(`{"resourceType":"Conformance"}`))
	f.Add([]byte(`<html>`))
	f.Add([]byte(`{"resourceType":"CapabilityStatement","rest":"nope"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		cs, err := ParseCapabilityStatement(b)
		if err != nil {
			return
		}
		_ = cs.ServerRest()
		_ = cs.AllProfiles()
		if d := cs.ResourceDecl("Patient"); d != nil {
			_ = d.Profiles()
		}
	})
}

func FuzzParseBundle(f *testing.F) {
	f.Add([]byte(`{"resourceType":"Bundle","type":"searchset","total":2,"link":[{"relation":"next","url":"x"}],"entry":[{"fullUrl":"u","resource":{"resourceType":"Patient","id":"1","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}]},"search":{"mode":"match"}}]}`))
	f.Add([]byte(`{"resourceType":"Bundle","entry":[{"resource":[]}]}`))
	f.Add([]byte(`{"resourceType":"Bundle","total":-1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		bundle, err := ParseBundle(b)
		if err != nil {
			return
		}
		_ = bundle.LinkURL("next")
		for _, raw := range bundle.Matches("Patient") {
			if p, err := ParsePatient(raw); err == nil {
				_ = p.NHSNumber()
			}
		}
		_, _ = ParseOperationOutcome(b)
	})
}

func FuzzMediaType(f *testing.F) {
	for _, s := range []string{"application/fhir+json; charset=utf-8", "text/html;;", `a/b; x="`, ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		mt, _ := MediaType(s)
		if strings.ContainsAny(mt, ";") {
			t.Fatalf("media type %q keeps parameters", mt)
		}
		_ = Clip(s, 10)
	})
}

// FuzzRedactBody: whatever the server sends, the stored body never holds the token.
func FuzzRedactBody(f *testing.F) {
	f.Add([]byte(`{"access_token":"abc","x":"TOKEN-1234567"}`), "TOKEN-1234567", int64(10), false)
	f.Add([]byte(`{"resourceType":"Patient","name":[{"family":"X"}],"identifier":[{"value":"9990000018"}]}`), "secret-secret", int64(-1), true)
	f.Add([]byte("prefix TOKEN-12"), "TOKEN-1234567", int64(100), true)
	f.Add([]byte(`{"resourceType":"Patient","x":"\u0041BCDEFG"}`), "ABCDEFG", int64(-1), false)
	f.Fuzz(func(t *testing.T, body []byte, token string, limit int64, truncated bool) {
		if len(token) < 4 || strings.ContainsAny(token, "[]") {
			return // a "token" made of the redaction markers themselves cannot be told apart from them
		}
		r := newRedactor(false, token)
		stored, _ := r.body(body, "application/fhir+json", limit, truncated)
		if bytes.Contains(stored, []byte(token)) {
			t.Fatalf("token %q survives redaction of %q: %q", token, body, stored)
		}
		if limit >= 0 && int64(len(stored)) > limit+int64(len(Redacted)) {
			t.Fatalf("stored %d bytes over the limit %d", len(stored), limit)
		}
		_ = r.url(string(body))
		_ = r.text(string(body))
	})
}

// BenchmarkRedactHostileBody measures redaction of a 4 MiB body built to be slow (every ten
// digits a valid NHS number): the work is bounded by the stored part, not the body.
func BenchmarkRedactHostileBody(b *testing.B) {
	r := newRedactor(false, "some-token-value-1234567890")
	body := bytes.Repeat([]byte("9990000018 "), DefaultReadLimit/11)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		r.body(body, "application/fhir+json", DefaultStoreLimit, true)
	}
}

// BenchmarkRedactPatientBundle measures redaction of a 512 KiB Bundle of patients, which is
// parsed whole to blank the people in it.
func BenchmarkRedactPatientBundle(b *testing.B) {
	r := newRedactor(false, "some-token-value-1234567890")
	entry := `{"fullUrl":"https://x/Patient/1","resource":{"resourceType":"Patient","id":"1","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],"name":[{"family":"Jones","given":["Siân"]}],"birthDate":"1968-04-12"}},`
	body := []byte(`{"resourceType":"Bundle","type":"searchset","entry":[` + strings.Repeat(entry, (512<<10)/len(entry)) + `{}]}`)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		r.body(body, "application/fhir+json", DefaultStoreLimit, false)
	}
}
