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
		// StructureDefinition checks: constraints type-checked, snapshot from the differential
		`{"resourceType":"StructureDefinition","url":"http://x/sd","name":"X","status":"draft","kind":"resource","abstract":false,"type":"Observation",` +
			`"baseDefinition":"http://hl7.org/fhir/StructureDefinition/Observation","derivation":"constraint",` +
			`"differential":{"element":[{"id":"Observation.valueQuantity","path":"Observation.valueBla"},{"id":"Observation.component:a.code","path":"Observation.component.code",` +
			`"slicing":{"discriminator":[{"type":"value","path":"coding.where(system).code"}]}}]},` +
			`"snapshot":{"element":[{"id":"Observation","path":"Observation","constraint":[{"key":"x-1","severity":"error","human":"h","expression":"component.where(code).exists() and bogus.exists()"}]}]}}`,
		// a signed Bundle (the JWS does not verify)
		`{"resourceType":"Bundle","type":"collection","signature":{"sigFormat":"application/jose","targetFormat":"application/fhir+json;canonicalization=http://hl7.org/fhir/canonicalization/json#document",` +
			`"data":"ZXlKaGJHY2lPaUpTVXpJMU5pSXNJbmcxWXlJNld5Sk5TVWxDSWwxOS4uYzJsbg=="}}`,
	} {
		f.Add([]byte(s))
	}
	v, err := New(R4, WithWorkers(2))
	if err != nil {
		f.Fatal(err)
	}
	seq, err := New(R4, WithWorkers(1))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a := v.ValidateResource(context.Background(), data)
		// Bundle entries are skimmed and validated by workers: the same issues as on one
		// worker, unless the input cannot be read (then the entries after the broken one
		// may differ).
		if s := seq.ValidateResource(context.Background(), data); !hasFatal(s) && describe(s) != describe(a) {
			t.Fatalf("one worker:\n%s\ntwo workers:\n%s", describe(s), describe(a))
		}
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

func hasFatal(is []Issue) bool {
	for _, i := range is {
		if i.Severity == SeverityFatal {
			return true
		}
	}
	return false
}
