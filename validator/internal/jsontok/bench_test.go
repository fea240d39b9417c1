package jsontok

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// benchLines reads the NDJSON file named by JSONTOK_BENCH (for instance the file
// scripts/bench-validate.sh generates), or builds a small synthetic one.
func benchLines(b *testing.B) [][]byte {
	if f := os.Getenv("JSONTOK_BENCH"); f != "" {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
		setBytes(b, lines)
		return lines
	}
	line := []byte(`{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2020-01-01T10:00:00Z","valueQuantity":{"value":72.5,"unit":"beats/minute","system":"http://unitsofmeasure.org","code":"/min"}}`)
	var lines [][]byte
	for i := 0; i < 20000; i++ {
		lines = append(lines, line)
	}
	setBytes(b, lines)
	return lines
}

// setBytes reports throughput over the lines and their newlines.
func setBytes(b *testing.B, lines [][]byte) {
	var n int64
	for _, l := range lines {
		n += int64(len(l)) + 1
	}
	b.SetBytes(n)
}

func BenchmarkTokenize(b *testing.B) {
	lines := benchLines(b)
	r := NewReaderBytes(nil)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, l := range lines {
			r.ResetBytes(l)
			for {
				t, err := r.Next()
				if err != nil {
					b.Fatal(err)
				}
				if t.Kind == EOF {
					break
				}
			}
		}
	}
}

func BenchmarkJSONValid(b *testing.B) {
	lines := benchLines(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, l := range lines {
			if !json.Valid(l) {
				b.Fatal("invalid")
			}
		}
	}
}

// BenchmarkSkim measures the bracket-matching skim over the same lines, each one object.
func BenchmarkSkim(b *testing.B) {
	lines := benchLines(b)
	r := NewReaderBytes(nil)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, l := range lines {
			r.ResetBytes(l)
			if t, err := r.Next(); err != nil || t.Kind != BeginObject {
				b.Fatal(err)
			}
			if err := r.SkimContainer(); err != nil {
				b.Fatal(err)
			}
		}
	}
}
