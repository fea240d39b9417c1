package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestRunTerminology(t *testing.T) {
	var out bytes.Buffer
	err := runTerminology(context.Background(), terminologyOptions{IO: IO{Out: &out}, Files: []string{"testdata/validate/coded.ndjson"}, FHIRVersion: "R4", Format: "json"})
	if !errors.Is(err, errSilentFailure) {
		t.Fatalf("err = %v (findings must fail the command)", err)
	}
	var got terminologyOutput
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	p := got.Profile
	if p.Resources != 3 || p.CodeableConcepts != 4 || p.Coded != 3 || p.TextOnly != 1 || p.Codings != 4 {
		t.Errorf("counts: %+v", p)
	}
	if p.NHSNumbers.Total != 2 || p.NHSNumbers.Invalid != 1 || p.ODSCodes.Valid != 1 {
		t.Errorf("identifiers: %+v %+v", p.NHSNumbers, p.ODSCodes)
	}
	kinds := map[string]string{}
	for _, f := range p.Findings {
		kinds[f.Kind] = f.Expression
	}
	want := map[string]string{
		"nhs-number-invalid": "Patient.identifier[1]",
		"loinc-invalid":      "Observation.code.coding",
		"snomed-invalid":     "Observation.code.coding",
	}
	for k, expr := range want {
		if kinds[k] != expr {
			t.Errorf("finding %s at %q, want %q (all: %+v)", k, kinds[k], expr, p.Findings)
		}
	}
	if strings.Contains(out.String(), "9000000008") {
		t.Error("an NHS number appears unredacted in the output")
	}
	if p.SNOMEDRatio != 0.5 || p.LocalOnlyRatio != 0.25 {
		t.Errorf("ratios: snomed %v local-only %v", p.SNOMEDRatio, p.LocalOnlyRatio)
	}

	out.Reset()
	err = runTerminology(context.Background(), terminologyOptions{IO: IO{Out: &out}, Files: []string{"testdata/validate/good.ndjson"}, FHIRVersion: "R4", Format: "table"})
	if err != nil {
		t.Fatalf("clean data: %v\n%s", err, out.String())
	}
	for _, s := range []string{"Resources: 2", "CodeableConcepts: 1", "text only 1"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, out.String())
		}
	}
}
