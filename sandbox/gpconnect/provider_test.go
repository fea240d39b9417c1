package gpconnect

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"": false, "gzip": true, "deflate, gzip;q=0.5": true, "GZIP": true, "gzip;q=0": false, "br": false, "x-gzip": false,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

func TestCheckPeriod(t *testing.T) {
	p := New(Config{Now: func() time.Time { return time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC) }})
	tests := []struct {
		period string
		ok     bool
	}{
		{`{"start":"2025-01-01","end":"2026-06-01"}`, true},
		{`{"start":"2025-01-01"}`, true},
		{`{"start":"2026-05-01","end":"2026-04-01"}`, false},
		{`{"start":"2026-06-02"}`, false},
		{`{"start":"2026-05"}`, false},
		{`"2026-05-01"`, false},
		{``, false},
	}
	for _, tt := range tests {
		if msg := p.checkPeriod(json.RawMessage(tt.period)); (msg == "") != tt.ok {
			t.Errorf("checkPeriod(%s) = %q, want ok %v", tt.period, msg, tt.ok)
		}
	}
}

func TestNHSNumberValid(t *testing.T) {
	for nhs, want := range map[string]bool{"9690937286": true, "9999999999": true, "1234567891": false, "969093728": false, "969093728x": false} {
		if nhsNumberValid(nhs) != want {
			t.Errorf("nhsNumberValid(%s) != %v", nhs, want)
		}
	}
}

// FuzzCheckToken: the provider reads the Authorization header of anyone who connects; it must
// never panic, and must never accept what is not a well-formed token.
func FuzzCheckToken(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	p := New(Config{Profile: "exemplar", Now: func() time.Time { return now }})
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	f.Add("Bearer " + enc(`{"alg":"none","typ":"JWT"}`) + "." + enc(`{"iss":"x"}`) + ".")
	f.Add("Bearer a.b.c")
	f.Add("Bearer " + enc(`{"alg":"none"}`) + "." + enc(`{"requesting_device":[],"requesting_organization":null}`) + ".")
	f.Add("Basic x")
	f.Fuzz(func(t *testing.T, header string) {
		status, code, _ := p.checkToken(header, "organization/*.read")
		if status == 0 && len(header) < 20 {
			t.Fatalf("accepted %q", header)
		}
		if status != 0 && status != http.StatusBadRequest && status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d (%s) for %q", status, code, header)
		}
	})
}
