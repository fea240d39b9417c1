package sandbox

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzParseSearch(f *testing.F) {
	for _, seed := range []string{
		"identifier=https%3A%2F%2Ffhir.nhs.uk%2FId%2Fnhs-number%7C9990000018",
		"family:exact=Si%C3%A2n&_count=2&_offset=4",
		"birthdate=ge1968-04&birthdate=lt2026-01-05T09:00:00%2B01:00",
		"patient=Patient/abc&code=a\\,b,c|d&_format=xml&_pretty=true",
		"subject:Patient=https://x/Patient/1/_history/2",
		"%zz=1", "a=%", "&&=&", ":x=1", "_count=99999999999999999999", "date=ap2020", "x;y=1",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		params, err := parseQueryString(raw)
		if err != nil {
			return
		}
		for _, p := range params {
			if p.name == "" || !utf8.ValidString(p.value) {
				t.Fatalf("bad parameter %+v from %q", p, raw)
			}
		}
		for _, def := range resourceDefs {
			req, serr := parseSearch(def, params)
			if serr != nil {
				if serr.code == "" || serr.msg == "" {
					t.Fatalf("error without code or message for %q", raw)
				}
				continue
			}
			if req.count > maxCount || req.offset > maxOffset {
				t.Fatalf("paging %d/%d beyond limits", req.count, req.offset)
			}
			// What the self link writes back parses to the same parameters.
			again, err := parseQueryString(encodeParams(req.applied))
			if err != nil || len(again) != len(req.applied) {
				t.Fatalf("self link of %q does not round-trip: %v", raw, err)
			}
			for i := range again {
				if again[i] != req.applied[i] {
					t.Fatalf("round trip changed %+v to %+v", req.applied[i], again[i])
				}
			}
		}
	})
}

func FuzzParseFHIRDate(f *testing.F) {
	for _, s := range []string{"2026", "2026-01", "2026-01-05", "2026-01-05T09:00", "2026-01-05T09:00:00Z", "2026-01-05T09:00:00.123+01:00", "ge1968", "2026-13-01", "2026-01-05T25:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if r, err := parseFHIRDate(s); err == nil && !r.lo.Before(r.hi) {
			t.Fatalf("%q gave an empty range %v", s, r)
		}
		if v, err := parseDateValue(s); err == nil {
			v.matches(dateRange{time.Unix(0, 0), time.Unix(1, 0)})
		}
	})
}

func FuzzNegotiateFormat(f *testing.F) {
	for _, s := range []string{"", "*/*", "application/fhir+json", "application/fhir+xml;q=0.9, */*;q=0.1", "text/html;q=abc", "xml", ";;;,,,"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, formatParam, accept string) {
		for _, has := range []bool{true, false} {
			if got := negotiateFormat(formatParam, has, accept); got < formatJSON || got > formatUnsupported {
				t.Fatalf("format %d", got)
			}
		}
	})
}

func FuzzFHIRJSONToXML(f *testing.F) {
	for _, s := range []string{
		`{"resourceType":"Patient","id":"a","name":[{"given":["Siân"]}],"active":true}`,
		`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"OperationOutcome","issue":[]}}]}`,
		`{"resourceType":"X","extension":[{"url":"u<&>","valueString":"\"'"}],"n":1.50}`,
		`[]`, `{"resourceType":"1"}`, `{"a":[[1]]}`, `{"resourceType":"P","_x":{}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := fhirJSONToXML(data)
		if err != nil {
			return
		}
		if !strings.Contains(string(data), `"div"`) {
			if err := xml.Unmarshal(out, new(any)); err != nil {
				t.Fatalf("not well-formed XML from %q: %v\n%s", data, err, out)
			}
		}
	})
}

// FuzzServeHTTP sends odd requests to the exemplar API in process: it never answers 5xx
// (a panic would show as 500) and never writes an empty error body.
func FuzzServeHTTP(f *testing.F) {
	b := behaviourOf(Exemplar)
	st, err := newStore(generate(b, DefaultOrg(Exemplar)), b)
	if err != nil {
		f.Fatal(err)
	}
	srv, err := newR4Server(Exemplar, DefaultOrg(Exemplar), st, "token", "127.0.0.1:1", 1)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []struct{ method, target, accept string }{
		{"GET", "/Patient?identifier=9990000018", ""},
		{"GET", "/Patient/x/_history/1?_format=xml", ""},
		{"POST", "/Observation/_search?_count=1", "application/fhir+xml"},
		{"GET", "/metadata?_pretty=true", "*/*"},
		{"HEAD", "/Condition?patient=Patient/x,Patient/y", ""},
		{"PATCH", "/.well-known/smart-configuration", "text/html"},
	} {
		f.Add(s.method, s.target, s.accept)
	}
	f.Fuzz(func(t *testing.T, method, target, accept string) {
		if method == "" || strings.ContainsAny(method, " \t\r\n()<>@,;:\\\"/[]?={}") || !strings.HasPrefix(target, "/") {
			return
		}
		req, err := http.NewRequest(method, "http://sandbox"+target, strings.NewReader("family=x"))
		if err != nil {
			return
		}
		req.Header.Set("Authorization", "Bearer token")
		req.Header.Set("Accept", accept)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s (Accept %q): %d %s", method, target, accept, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && rec.Body.Len() == 0 && method != http.MethodHead {
			t.Fatalf("%s %s: %d with an empty body", method, target, rec.Code)
		}
	})
}
