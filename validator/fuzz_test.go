package validator

import (
	"bytes"
	"context"
	"testing"
	"testing/iotest"
)

// FuzzValidate feeds arbitrary bytes to the validator, both in memory and through a one-byte
// reader: no panic, no hang, and the same issues either way.
func FuzzValidate(f *testing.F) {
	for _, s := range []string{
		basePatient,
		`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","contained":[{"resourceType":"Patient"}]}}]}`,
		`{"resourceType":"Patient","name":[{"given":["a",null],"_given":[null,{"id":"x"}]}]}` + "\n" + `{"resourceType":"Observation"}`,
		`{"x":1,"resourceType":"Observation","valueQuantity":{"value":1e3},"effectivePeriod":{"start":"2020","end":"2019-12-31T10:00:00Z"}}`,
		`{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><a href=\"x\">&amp;</a></div>"}}`,
	} {
		f.Add([]byte(s))
	}
	v, err := New(R4)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a := v.ValidateResource(context.Background(), data)
		var b []Issue
		_, err := v.ValidateStream(context.Background(), iotest.OneByteReader(bytes.NewReader(data)), func(r Result) error {
			b = append(b, r.Issues...)
			return nil
		})
		if err != nil {
			t.Fatalf("stream error: %v", err)
		}
		if len(a) != len(b) {
			t.Fatalf("in-memory %d issues, streamed %d:\n%s\nvs\n%s", len(a), len(b), describe(a), describe(b))
		}
	})
}
