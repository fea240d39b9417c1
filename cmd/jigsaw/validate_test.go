package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestRunValidate(t *testing.T) {
	tests := []struct {
		name     string
		opts     validateOptions
		stdin    string
		wantErr  error
		contains []string
	}{
		{
			name:     "errors exit 1 with positions",
			opts:     validateOptions{Files: []string{"testdata/validate/bad-patient.json"}, FHIRVersion: "R4", Format: "table"},
			wantErr:  errSilentFailure,
			contains: []string{"bad-patient.json:5:13", "binding", "femail", "bad-patient.json:6:16", "primitive-format", "1 resources (R4", "0 valid, 2 errors"},
		},
		{
			name:     "valid NDJSON",
			opts:     validateOptions{Files: []string{"testdata/validate/good.ndjson"}, FHIRVersion: "R4", Format: "table"},
			contains: []string{"2 resources (R4", "2 valid, 0 errors"},
		},
		{
			name:     "stdin",
			opts:     validateOptions{Files: []string{"-"}, FHIRVersion: "STU3", Format: "table"},
			stdin:    `{"resourceType":"Patient","gender":"male","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"}}`,
			contains: []string{"1 resources (STU3", "1 valid"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			tt.opts.IO = IO{In: strings.NewReader(tt.stdin), Out: &out, ErrOut: &out}
			err := runValidate(context.Background(), tt.opts)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v\n%s", err, tt.wantErr, out.String())
			}
			for _, c := range tt.contains {
				if !strings.Contains(out.String(), c) {
					t.Errorf("output lacks %q:\n%s", c, out.String())
				}
			}
		})
	}
}

func TestRunValidateJSON(t *testing.T) {
	var out bytes.Buffer
	err := runValidate(context.Background(), validateOptions{IO: IO{Out: &out}, Files: []string{"testdata/validate/bad-patient.json"}, FHIRVersion: "R4", Format: "json"})
	if !errors.Is(err, errSilentFailure) {
		t.Fatalf("err = %v", err)
	}
	var oo struct {
		ResourceType string `json:"resourceType"`
		Issue        []struct {
			Severity   string   `json:"severity"`
			Code       string   `json:"code"`
			Expression []string `json:"expression"`
		} `json:"issue"`
	}
	if err := json.Unmarshal(out.Bytes(), &oo); err != nil {
		t.Fatal(err)
	}
	if oo.ResourceType != "OperationOutcome" || len(oo.Issue) != 2 || oo.Issue[0].Code != "code-invalid" || oo.Issue[0].Expression[0] != "Patient.gender" {
		t.Fatalf("unexpected outcome: %s", out.String())
	}

	out.Reset()
	if err := runValidate(context.Background(), validateOptions{IO: IO{Out: &out}, Files: []string{"testdata/validate/good.ndjson"}, FHIRVersion: "R4", Format: "json"}); err != nil {
		t.Fatal(err)
	}
	var sum validateFileOutput
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Summary.Resources != 2 || sum.Summary.Valid != 2 || len(sum.Outcomes) != 0 {
		t.Fatalf("unexpected summary: %s", out.String())
	}
}

func TestRunValidateUsage(t *testing.T) {
	var out bytes.Buffer
	for _, opts := range []validateOptions{
		{Files: []string{"x.json"}, FHIRVersion: "R5", Format: "table"},
		{Files: []string{"x.json"}, FHIRVersion: "R4", Format: "xml"},
	} {
		opts.IO = IO{Out: &out}
		var ue usageError
		if err := runValidate(context.Background(), opts); !errors.As(err, &ue) {
			t.Errorf("%+v: got %v, want a usage error", opts, err)
		}
	}
	err := runValidate(context.Background(), validateOptions{IO: IO{Out: &out}, Files: []string{"testdata/validate/missing.json"}, FHIRVersion: "R4", Format: "table"})
	if err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Fatalf("missing file: got %v", err)
	}
}
