package gpconnect

import (
	"strings"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// Every probe states its requirement, its strength and a versioned clause: docs/probes.md is
// generated from these.
func TestEveryProbeStatesItsClause(t *testing.T) {
	ps := Probes()
	if len(ps) < 40 {
		t.Errorf("%d probes, want at least 40", len(ps))
	}
	if _, err := probes.NewRegistry(ps...); err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		m := p.Meta()
		if m.Requirement == "" || m.Description == "" {
			t.Errorf("%s: requirement or description missing", m.ID)
		}
		if m.Strength != verdict.Shall && m.Strength != verdict.Should && m.Strength != verdict.May {
			t.Errorf("%s: strength %q", m.ID, m.Strength)
		}
		for _, ref := range strings.Split(m.SpecRef, "; ") {
			versioned := strings.HasPrefix(ref, specBase) ||
				strings.HasPrefix(ref, "https://github.com/nhsconnect/gpconnect-provider-testing/blob/feature/1.6.0/") ||
				strings.HasPrefix(ref, "https://github.com/nhsconnect/gpconnect-provider-testing/blob/release/0.7.3/")
			if !versioned {
				t.Errorf("%s: clause %q is not a versioned URL", m.ID, ref)
			}
		}
	}
}

// FuzzParseError: whatever a provider answers, reading it as an error never panics and a
// match always carries a Spine code (or an explicitly outcome-free expectation).
func FuzzParseError(f *testing.F) {
	f.Add(400, []byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid","details":{"coding":[{"code":"BAD_REQUEST","display":"x"}]}}]}`))
	f.Add(200, []byte(`{"resourceType":"CapabilityStatement"}`))
	f.Add(500, []byte(`<html>`))
	f.Add(404, []byte(`{"resourceType":"OperationOutcome","issue":[{"details":null}]}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		a := parseError(&probes.Response{StatusCode: status, Body: body})
		_ = a.String()
		e, ok := a.match([]expectation{specAnswer(400, "BAD_REQUEST"), {status: anyClientError}, {status: 401, noOutcome: true}})
		if ok && !e.noOutcome && a.spineCode == "" {
			t.Fatalf("matched %v without a Spine code", e)
		}
	})
}
