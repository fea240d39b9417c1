package validator

import (
	"bytes"
	"context"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/validator/internal/benchdata"
)

// TestBenchDataDefects validates the synthetic benchmark data: every defective resource gets
// an error of the injected kind, and no other resource gets an error.
func TestBenchDataDefects(t *testing.T) {
	var buf bytes.Buffer
	st, err := benchdata.Write(&buf, 2<<20, 7, 1)
	if err != nil {
		t.Fatal(err)
	}
	v, err := New(R4)
	if err != nil {
		t.Fatal(err)
	}
	wantDefect := map[int]string{}
	{
		var b2 bytes.Buffer
		// Regenerate to learn which defect each line has.
		i := 0
		_ = b2
		for _, line := range st.DefectiveLines {
			wantDefect[line] = benchdata.Defects[i%len(benchdata.Defects)]
			i++
		}
	}
	found := map[string]int{}
	_, err = v.ValidateStream(context.Background(), &buf, func(r Result) error {
		line := r.Index + 1
		want, defective := wantDefect[line]
		var checks []Check
		for _, is := range r.Issues {
			if is.Severity == SeverityError || is.Severity == SeverityFatal {
				checks = append(checks, is.Check)
			}
		}
		if !defective {
			if len(checks) > 0 {
				t.Errorf("line %d (%s): unexpected errors %v", line, r.ResourceType, r.Issues)
			}
			return nil
		}
		ok := false
		for _, c := range checks {
			if string(c) == want {
				ok = true
			}
		}
		if !ok {
			t.Errorf("line %d (%s): defect %s not found; got %v", line, r.ResourceType, want, r.Issues)
		} else {
			found[want]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range benchdata.Defects {
		if found[d] == 0 {
			t.Errorf("defect %s never injected or found", d)
		}
	}
}

// BenchmarkValidateNDJSON measures parse + full validation throughput on one core.
func BenchmarkValidateNDJSON(b *testing.B) {
	var buf bytes.Buffer
	if _, err := benchdata.Write(&buf, 16<<20, 20, 1); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	v, err := New(R4)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := v.ValidateStream(context.Background(), bytes.NewReader(data), func(Result) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateBundle measures one large Bundle (a single streamed document).
func BenchmarkValidateBundle(b *testing.B) {
	var nd bytes.Buffer
	if _, err := benchdata.Write(&nd, 8<<20, 0, 2); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	buf.WriteString(`{"resourceType":"Bundle","type":"collection","entry":[`)
	for i, line := range bytes.Split(bytes.TrimSpace(nd.Bytes()), []byte("\n")) {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`{"fullUrl":"urn:uuid:`)
		buf.WriteString(uuidFor(i))
		buf.WriteString(`","resource":`)
		buf.Write(line)
		buf.WriteString("}\n")
	}
	buf.WriteString("]}")
	data := buf.Bytes()
	v, err := New(R4)
	if err != nil {
		b.Fatal(err)
	}
	issues := v.ValidateResource(context.Background(), data)
	for _, is := range issues {
		if is.Severity == SeverityError || is.Severity == SeverityFatal {
			b.Fatalf("bundle has an error: %+v", is)
		}
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v.ValidateResource(context.Background(), data)
	}
}

func uuidFor(i int) string {
	const hex = "0123456789abcdef"
	b := []byte("00000000-0000-4000-8000-000000000000")
	for k, j := len(b)-1, i; j > 0 && k >= 0; k-- {
		if b[k] == '-' {
			continue
		}
		b[k] = hex[j%16]
		j /= 16
	}
	return string(b)
}
