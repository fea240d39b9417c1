package terminology

import "testing"

func TestNHSNumberValid(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"9658218865", true},
		{"9999999999", true},
		{"1234567891", false}, // check would be 10
		{"9658218866", false},
		{"965821886", false},
		{"96582188650", false},
		{"965821886a", false},
		{"965 821 8865", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := NHSNumberValid(tt.in); got != tt.want {
			t.Errorf("NHSNumberValid(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestNHSNumberCheckDigit(t *testing.T) {
	d, ok := NHSNumberCheckDigit("965821886")
	if !ok || d != '5' {
		t.Fatalf("got %c %v, want 5 true", d, ok)
	}
	if _, ok := NHSNumberCheckDigit("123456789"); ok {
		t.Fatal("123456789 has check 10 and must be refused")
	}
}

func TestParseSCTID(t *testing.T) {
	tests := []struct {
		in   string
		kind SCTIDKind
		ok   bool
	}{
		{"22298006", SCTConcept, true}, // myocardial infarction
		{"38341003", SCTConcept, true}, // hypertensive disorder
		{"1000000", "", false},         // partition 00 but wrong check digit
		{"22298007", "", false},        // check digit flipped
		{"751689013", SCTDescription, true},
		{"1102181000000102", SCTConcept, true}, // UK extension concept (namespace 1000000), a GP Connect list code
		{"022298006", "", false},               // leading zero
		{"12345", "", false},                   // too short
		{"22298a06", "", false},
		{"123456789012345678901", "", false},
	}
	// Long-format partition 10 with a valid check digit, but too short to hold the 7-digit
	// namespace it implies: rejected. The same stem at 11 digits is accepted.
	short := "123410" + string(VerhoeffCheckDigit("123410"))
	long := "11000001" + "10" + string(VerhoeffCheckDigit("1100000110"))
	tests = append(tests, struct {
		in   string
		kind SCTIDKind
		ok   bool
	}{short, "", false}, struct {
		in   string
		kind SCTIDKind
		ok   bool
	}{long, SCTConcept, true})
	for _, tt := range tests {
		kind, ok := ParseSCTID(tt.in)
		if ok != tt.ok || kind != tt.kind {
			t.Errorf("ParseSCTID(%q) = %q %v, want %q %v", tt.in, kind, ok, tt.kind, tt.ok)
		}
	}
}

func TestVerhoeffRoundTrip(t *testing.T) {
	for _, base := range []string{"2229800", "3834100", "110395100000010", "12345"} {
		full := base + string(VerhoeffCheckDigit(base))
		if !verhoeffValid(full) {
			t.Errorf("%s: computed check digit does not validate", full)
		}
	}
}

func TestLOINCValid(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"8867-4", true},  // heart rate
		{"8480-6", true},  // systolic BP
		{"29463-7", true}, // body weight
		{"8867-5", false},
		{"88674", false},
		{"-4", false},
		{"8867-", false},
		{"88a7-4", false},
	}
	for _, tt := range tests {
		if got := LOINCValid(tt.in); got != tt.want {
			t.Errorf("LOINCValid(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestODSCodeValid(t *testing.T) {
	for in, want := range map[string]bool{"RXX": true, "B82617": true, "R1A14": true, "QWE": true, "rxx": false, "R": false, "TOOLONG1": false, "R-X1": false} {
		if got := ODSCodeValid(in); got != want {
			t.Errorf("ODSCodeValid(%q) = %v, want %v", in, got, want)
		}
	}
}

func FuzzParseSCTID(f *testing.F) {
	for _, s := range []string{"22298006", "", "0", "999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kind, ok := ParseSCTID(s)
		if ok && kind == "" {
			t.Fatalf("valid id %q without kind", s)
		}
		_ = NHSNumberValid(s)
		_ = LOINCValid(s)
	})
}
