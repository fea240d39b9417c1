package redact

import "testing"

func TestSecretHeader(t *testing.T) {
	for name, want := range map[string]bool{
		"authorization": true, "Cookie": true, "set-cookie": true, "apikey": true, "X-Api-Key": true,
		"X-Amz-Security-Token": true, "X-Custom-Token": true, "X-Client-Secret": true,
		"Accept": false, "Content-Type": false, "Ssp-TraceID": false,
	} {
		if got := SecretHeader(name); got != want {
			t.Errorf("SecretHeader(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestSecretName(t *testing.T) {
	for name, want := range map[string]bool{"access_token": true, "Client_Secret": true, "sig": true, "code": false, "identifier": false} {
		if got := SecretName(name); got != want {
			t.Errorf("SecretName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestPatterns(t *testing.T) {
	cases := []struct {
		name, in, want string
		got            func(string) string
	}{
		{"bearer token", "401: Bearer eyJhbGciOiJIUzI1NiJ9.abc rejected", "401: Bearer [REDACTED] rejected",
			func(s string) string { return BearerCredential.ReplaceAllString(s, "${1}[REDACTED]") }},
		{"bearer realm kept", `Bearer realm="fhir"`, `Bearer realm="fhir"`,
			func(s string) string { return BearerCredential.ReplaceAllString(s, "${1}[REDACTED]") }},
		{"json member", `{"access_token" : "abc\"def","scope":"x"}`, `{"access_token" : "[REDACTED]","scope":"x"}`,
			func(s string) string { return JSONSecretMember.ReplaceAllString(s, `${1}"[REDACTED]"`) }},
		{"json member cut", `{"id_token":"eyJhb`, `{"id_token":"[REDACTED]`,
			func(s string) string { return JSONSecretMemberAtEnd.ReplaceAllString(s, `${1}"[REDACTED]`) }},
	}
	for _, c := range cases {
		if got := c.got(c.in); got != c.want {
			t.Errorf("%s: %q → %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

func TestNHSNumbers(t *testing.T) {
	keep := func(d string) bool { return d == "9000000009" }
	cases := []struct{ in, want string }{
		{"patient 9434765919 seen", "patient [N] seen"},
		{"patient 943 476 5919 seen", "patient [N] seen"},
		{"patient 943-476-5919", "patient [N]"},
		{"test patient 9000000009 kept", "test patient 9000000009 kept"},
		{"bad check digit 9434765918", "bad check digit 9434765918"},
		{"longer number 194347659190", "longer number 194347659190"},
		{"two 9434765919,9434765919", "two [N],[N]"},
	}
	for _, c := range cases {
		if got := NHSNumbers(c.in, "[N]", keep); got != c.want {
			t.Errorf("NHSNumbers(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
