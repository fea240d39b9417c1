package security_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/probes/probetest"
	"github.com/nhs-jigsaw/jigsaw/probes/security"
)

func TestProbes(t *testing.T) {
	tests := []struct {
		id, name string
		breakIt  func(f *probetest.FHIR)
		target   func(t *probes.Target)
		want     probes.Status
		severity probes.Severity
		observed string
	}{
		{id: "security.auth.required", name: "401", want: probes.Pass, observed: "GET Patient/[test patient]: HTTP 401"},
		{id: "security.auth.required", name: "403", breakIt: func(f *probetest.FHIR) { f.Forbidden403 = true }, want: probes.Pass, observed: "HTTP 403"},
		{id: "security.auth.required", name: "open", breakIt: func(f *probetest.FHIR) { f.AuthOptional = true }, want: probes.Fail, observed: "with patient data"},
		{id: "security.auth.required", name: "open, --patient given", breakIt: func(f *probetest.FHIR) { f.AuthOptional = true }, target: func(t *probes.Target) { t.TestNHSNumber = probetest.NHSNumber1 }, want: probes.Fail, observed: "Patient?identifier=[NHS number]: HTTP 200 with patient data"},
		{id: "security.auth.required", name: "open but empty", breakIt: func(f *probetest.FHIR) { f.Token = ""; f.Patients = nil }, want: probes.Warn, observed: "accepted, no patient data"},

		{id: "security.auth.invalid-token", name: "401", want: probes.Pass, observed: "HTTP 401"},
		{id: "security.auth.invalid-token", name: "any token accepted", breakIt: func(f *probetest.FHIR) { f.AcceptAnyToken = true }, want: probes.Fail, observed: "with patient data"},
		{id: "security.auth.invalid-token", name: "forged token answered 200 without patient data", breakIt: func(f *probetest.FHIR) {
			f.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
				if strings.Contains(r.URL.Path, "Patient") && r.Header.Get("Authorization") != "Bearer "+probetest.Token {
					w.Header().Set("Content-Type", "application/fhir+json")
					w.Write([]byte(`{"resourceType":"Bundle","type":"searchset","total":0}`))
					return true
				}
				return false
			}
		}, want: probes.Fail, severity: probes.Critical, observed: "forged token was not checked"},
		{id: "security.auth.invalid-token", name: "403", breakIt: func(f *probetest.FHIR) { f.Forbidden403 = true }, want: probes.Warn, observed: "HTTP 403"},

		{id: "security.auth.www-authenticate", name: "bearer", want: probes.Pass, observed: `Bearer realm="fhir"`},
		{id: "security.auth.www-authenticate", name: "missing", breakIt: func(f *probetest.FHIR) { f.NoWWWAuthenticate = true }, want: probes.Fail, observed: "no WWW-Authenticate"},
		{id: "security.auth.www-authenticate", name: "basic", breakIt: func(f *probetest.FHIR) {
			f.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
				if r.Header.Get("Authorization") != "Bearer "+probetest.Token && strings.Contains(r.URL.Path, "Patient") {
					w.Header().Set("WWW-Authenticate", `Basic realm="x"`)
					w.WriteHeader(401)
					return true
				}
				return false
			}
		}, want: probes.Fail, observed: "no Bearer challenge"},
		{id: "security.auth.www-authenticate", name: "no 401", breakIt: func(f *probetest.FHIR) { f.Forbidden403 = true }, want: probes.Skip},

		{id: "security.headers.no-store", name: "no-store", want: probes.Pass, observed: `Cache-Control "no-store"`},
		{id: "security.headers.no-store", name: "cacheable", breakIt: func(f *probetest.FHIR) { f.CacheControl = "max-age=3600" }, want: probes.Warn, observed: `Cache-Control "max-age=3600"`},
		{id: "security.headers.no-store", name: "none", breakIt: func(f *probetest.FHIR) { f.CacheControl = "-" }, want: probes.Warn, observed: "no Cache-Control"},
		{id: "security.headers.no-store", name: "no patient", breakIt: func(f *probetest.FHIR) { f.Patients = nil }, want: probes.Skip},

		{id: "security.errors.no-leak", name: "clean", want: probes.Pass, observed: "3 error responses inspected"},
		{id: "security.errors.no-leak", name: "stack traces", breakIt: func(f *probetest.FHIR) { f.HTMLErrors = true }, want: probes.Fail, observed: "Java stack trace, versioned server banner"},
		{id: "security.errors.no-leak", name: "banner header", breakIt: func(f *probetest.FHIR) { f.ServerBanner = "Apache/2.4.41 (Ubuntu)" }, want: probes.Warn, observed: "Server: Apache/2.4.41"},
	}
	for _, tc := range tests {
		t.Run(tc.id+"/"+tc.name, func(t *testing.T) {
			t.Parallel()
			f := probetest.Default()
			if tc.breakIt != nil {
				tc.breakIt(f)
			}
			target := probetest.Serve(t, f)
			if tc.target != nil {
				tc.target(&target)
			}
			res, report := probetest.Run(t, target, probetest.Find(t, security.Probes(), tc.id))
			if res.Status != tc.want || !strings.Contains(res.Observed, tc.observed) {
				t.Fatalf("status %s, observed %q; want %s containing %q", res.Status, res.Observed, tc.want, tc.observed)
			}
			if tc.severity != "" && res.Severity != tc.severity {
				t.Errorf("severity %s, want %s", res.Severity, tc.severity)
			}
			probetest.AssertNoSecret(t, report, target.Token)
			t.Logf("%s: %s", res.Status, res.Observed)
		})
	}
}

func TestParseWWWAuthenticate(t *testing.T) {
	tests := []struct {
		in   string
		want []security.Challenge
	}{
		{`Bearer`, []security.Challenge{{Scheme: "Bearer", Params: map[string]string{}}}},
		{`Bearer realm="fhir", error="invalid_token", error_description="The access token expired"`,
			[]security.Challenge{{Scheme: "Bearer", Params: map[string]string{"realm": "fhir", "error": "invalid_token", "error_description": "The access token expired"}}}},
		{`Basic realm="a, b", Bearer scope="x y"`, []security.Challenge{
			{Scheme: "Basic", Params: map[string]string{"realm": "a, b"}},
			{Scheme: "Bearer", Params: map[string]string{"scope": "x y"}}}},
		{`Negotiate abc123==, Bearer`, []security.Challenge{
			{Scheme: "Negotiate", Params: map[string]string{"token68": "abc123=="}},
			{Scheme: "Bearer", Params: map[string]string{}}}},
		{`Bearer realm="esc\"aped"`, []security.Challenge{{Scheme: "Bearer", Params: map[string]string{"realm": `esc"aped`}}}},
		{``, nil},
		{`, ,`, nil},
	}
	for _, tc := range tests {
		got := security.ParseWWWAuthenticate(tc.in)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseWWWAuthenticate(%q) = %#v; want %#v", tc.in, got, tc.want)
		}
	}
}

func FuzzParseWWWAuthenticate(f *testing.F) {
	for _, seed := range []string{`Bearer realm="fhir", error="invalid_token"`, `Basic realm="a, b", Bearer`, `Negotiate abc==`, `="`, `a=b=c,,"`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		for _, c := range security.ParseWWWAuthenticate(v) {
			if c.Scheme == "" {
				t.Fatalf("empty scheme from %q", v)
			}
		}
	})
}

func TestLeaks(t *testing.T) {
	tests := []struct {
		body string
		want []string
	}{
		{"java.lang.NullPointerException\n\tat com.acme.Foo.bar(Foo.java:12)", []string{"Java stack trace"}},
		{"Traceback (most recent call last):\n  File \"app.py\", line 3", []string{"Python traceback"}},
		{"System.NullReferenceException: Object reference not set", []string{".NET stack trace"}},
		{"ERROR: syntax error at or near \"FROM\"", []string{"SQL error"}},
		{"<address>Apache/2.4.41 (Ubuntu) Server at x Port 443</address>", []string{"versioned server banner"}},
		{`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found"}]}`, nil},
	}
	for _, tc := range tests {
		if got := security.Leaks([]byte(tc.body)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Leaks(%q) = %v; want %v", tc.body, got, tc.want)
		}
	}
}

func TestForgedTokenLooksLikeAJWT(t *testing.T) {
	tok := security.ForgedToken()
	if strings.Count(tok, ".") != 2 || tok == security.ForgedToken() {
		t.Fatalf("forged token %q is not a fresh three-part JWT", tok)
	}
}
