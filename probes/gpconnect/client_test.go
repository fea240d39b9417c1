package gpconnect

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nhs-jigsaw/jigsaw/probes"
)

func TestTokenIsUnsecuredJWTWithEveryClaim(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	tok, err := Token(Claims(Settings(probes.Target{}), "https://provider.example/B82617/STU3/1", ScopePatientRead, now))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 || parts[2] != "" {
		t.Fatalf("token %q: want three parts and an empty signature", tok)
	}
	head, _ := base64.RawURLEncoding.DecodeString(parts[0])
	var h map[string]string
	if err := json.Unmarshal(head, &h); err != nil || h["alg"] != "none" || h["typ"] != "JWT" {
		t.Fatalf("header %s", head)
	}
	body, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c map[string]any
	if err := json.Unmarshal(body, &c); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"iss", "sub", "aud", "exp", "iat", "reason_for_request", "requested_scope", "requesting_device", "requesting_organization", "requesting_practitioner"} {
		if c[name] == nil {
			t.Errorf("claim %s missing", name)
		}
	}
	if c["exp"].(float64)-c["iat"].(float64) != 300 {
		t.Errorf("exp - iat = %v, want 300", c["exp"].(float64)-c["iat"].(float64))
	}
	if c["sub"] != c["requesting_practitioner"].(map[string]any)["id"] {
		t.Errorf("sub %v is not requesting_practitioner.id", c["sub"])
	}
}

func TestErrorAnswerMatch(t *testing.T) {
	oo := func(code string) []byte {
		return []byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid","details":{"coding":[{"code":"` + code + `","display":"x"}]}}]}`)
	}
	spec := expectation{status: 400, codes: []string{"BAD_REQUEST"}, source: "spec"}
	suite := expectation{status: 422, codes: []string{"INVALID_RESOURCE"}, source: "suite"}
	tests := []struct {
		name   string
		status int
		body   []byte
		want   string // source matched, "" for no match
	}{
		{"spec answer", 400, oo("BAD_REQUEST"), "spec"},
		{"suite answer", 422, oo("INVALID_RESOURCE"), "suite"},
		{"wrong code", 400, oo("INVALID_PARAMETER"), ""},
		{"success", 200, []byte(`{"resourceType":"CapabilityStatement"}`), ""},
		{"HTML error", 400, []byte(`<html>bad</html>`), ""},
	}
	for _, tt := range tests {
		a := parseError(&probes.Response{StatusCode: tt.status, Body: tt.body})
		e, ok := a.match([]expectation{spec, suite})
		if got := map[bool]string{true: e.source, false: ""}[ok]; got != tt.want {
			t.Errorf("%s: matched %q, want %q (%s)", tt.name, got, tt.want, a)
		}
	}
}
