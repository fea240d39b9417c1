package verdict

import "testing"

func TestStatusesAreValidAndDistinct(t *testing.T) {
	seen := map[Status]bool{}
	for _, s := range Statuses {
		if !s.Valid() {
			t.Errorf("%q listed but not valid", s)
		}
		if seen[s] {
			t.Errorf("%q listed twice", s)
		}
		seen[s] = true
		if s.Label() == string(s) && s != "" {
			t.Errorf("%q has no label", s)
		}
	}
	if Status("passed").Valid() {
		t.Error(`"passed" accepted`)
	}
}

func TestJudgedAndCouldNotTest(t *testing.T) {
	cases := []struct {
		s            Status
		judged, cant bool
	}{
		{Pass, true, false}, {Fail, true, false}, {Warn, true, false},
		{Info, false, false}, {Skip, false, false}, {NotApplicable, false, false},
		{Error, false, true},
	}
	for _, c := range cases {
		if c.s.Judged() != c.judged || c.s.CouldNotTest() != c.cant {
			t.Errorf("%s: judged=%v could-not-test=%v, want %v %v", c.s, c.s.Judged(), c.s.CouldNotTest(), c.judged, c.cant)
		}
	}
}

func TestSeverityRankOrdersMostSeriousFirst(t *testing.T) {
	for i := 1; i < len(Severities); i++ {
		if Severities[i-1].Rank() >= Severities[i].Rank() {
			t.Errorf("%s ranked after %s", Severities[i-1], Severities[i])
		}
		if !Severities[i].Valid() {
			t.Errorf("%s not valid", Severities[i])
		}
	}
	if Severity("severe").Valid() || Severity("severe").Rank() != 5 {
		t.Error("unknown severity accepted")
	}
}

func TestBreachFollowsStrength(t *testing.T) {
	for s, want := range map[Strength]Status{Shall: Fail, Should: Warn, May: Info} {
		if got := s.Breach(); got != want {
			t.Errorf("%s breach = %s, want %s", s, got, want)
		}
	}
}
