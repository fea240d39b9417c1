package scoring

import (
	"testing"

	"github.com/nhs-jigsaw/jigsaw/verdict"
)

func TestGatedLevel(t *testing.T) {
	pass := verdict.Finding{Status: verdict.Pass}
	fail := verdict.Finding{Status: verdict.Fail}
	skip := verdict.Finding{Status: verdict.Skip}
	cases := []struct {
		name  string
		gates [][]verdict.Finding
		want  int
	}{
		{"no rungs", nil, 0},
		{"all pass", [][]verdict.Finding{{pass}, {pass, pass}, {pass}}, 3},
		{"first fails", [][]verdict.Finding{{fail}, {pass}}, 0},
		{"higher pass does not lift past a failed rung", [][]verdict.Finding{{pass}, {fail}, {pass}}, 1},
		{"skip is not a pass", [][]verdict.Finding{{pass}, {skip}}, 1},
		{"empty rung holds", [][]verdict.Finding{{pass}, {}, {pass}}, 3},
	}
	for _, c := range cases {
		if got := GatedLevel(c.gates); got != c.want {
			t.Errorf("%s: level %d, want %d", c.name, got, c.want)
		}
	}
}

// Info, skip, not-applicable and error are not judgements: an item whose probes say only these
// is unverified, and none of them is counted as a pass.
func TestNonJudgementsAreNeverAPass(t *testing.T) {
	for _, st := range []verdict.Status{verdict.Info, verdict.Skip, verdict.NotApplicable, verdict.Error} {
		got := oneItem(t, item("API-01", 1, "p.a"), []Claim{answered("API-01", 4, InspectorVerified)},
			[]ProbeOutcome{outcome("p.a", st, verdict.High)})
		if !got.Unverified || got.Verified != 0 {
			t.Errorf("%s: unverified=%v verified=%d, want an unverified item", st, got.Unverified, got.Verified)
		}
		if len(got.Probes) != 1 || got.Probes[0].Counted {
			t.Errorf("%s: checks %+v, want one uncounted check", st, got.Probes)
		}
	}
}
