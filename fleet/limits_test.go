package fleet

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestDirectoryLimits(t *testing.T) {
	row := "RX1,Trust One,acute-trust,London,https://fhir.example/R4,fhir-r4\n"
	tests := []struct {
		name string
		in   io.Reader
		want string
	}{
		{"huge field on one line", io.MultiReader(strings.NewReader(header+"RX1,"), neverEnding('a', 100<<20)), "the record at line 2 is longer than 64 KiB"},
		{"huge quoted field over many lines", io.MultiReader(strings.NewReader(header+"RX1,\""), neverEnding('\n', 100<<20)), "the record at line 2 is longer than 64 KiB"},
		{"many lines", io.MultiReader(strings.NewReader(header), neverEnding('\n', 100<<20)), "larger than 64 MiB"},
		{"long field", strings.NewReader(header + "RX1," + strings.Repeat("n", 3000) + ",acute-trust,London,https://x.example,fhir-r4\n"), "f.csv:2: column 2 is 3000 bytes, longer than the 2048 byte limit"},
		{"port out of range", strings.NewReader(header + "RX1,T,acute-trust,London,https://x.example:99999/R4,fhir-r4\n"), "port 99999 is not between 1 and 65535"},
		{"port zero", strings.NewReader(header + "RX1,T,acute-trust,London,https://x.example:0/R4,fhir-r4\n"), "port 0 is not between 1 and 65535"},
		{"latin-1", strings.NewReader(header + row + "RX2,H\xf4pital,acute-trust,London,https://y.example,fhir-r4\n"), "f.csv:3: column 2 is not UTF-8 text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			eps, err := ParseDirectory(tt.in, "f.csv")
			if err == nil || eps != nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "f.csv") {
				t.Fatalf("got %v, want an error naming f.csv and %q", err, tt.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
	if _, err := ParseDirectory(io.MultiReader(strings.NewReader(header+"RX1,"), neverEnding('a', 1<<20)), "f.csv"); !errors.Is(err, ErrDirectoryLimit) {
		t.Errorf("limit error does not wrap ErrDirectoryLimit: %v", err)
	}
}

// neverEnding yields n copies of one byte without holding them.
func neverEnding(b byte, n int) io.Reader {
	return io.LimitReader(repeatReader(b), int64(n))
}

type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// FuzzParseCapability feeds CapabilityStatement bodies (as a crawled server might send) to the
// fleet's parser: it must return a summary or an error, never panic, and a summary must be
// stable enough to hash and diff against itself.
func FuzzParseCapability(f *testing.F) {
	f.Add([]byte(capStatement("Server", "Patient", "Observation")))
	f.Add([]byte(`{"resourceType":"CapabilityStatement","rest":[{"resource":[{"type":null}]}]}`))
	f.Add([]byte(`{"resourceType":"CapabilityStatement","fhirVersion":3,"rest":"x"}`))
	f.Add([]byte(`{"resourceType":"Patient"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := ParseCapability(body)
		if err != nil {
			if c != nil {
				t.Fatal("summary returned with an error")
			}
			return
		}
		if c.SHA256() == "" {
			t.Fatal("empty hash")
		}
		if d := Diff(c, c); len(d) != 0 {
			t.Fatalf("a statement differs from itself: %v", d)
		}
	})
}
