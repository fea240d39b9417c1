package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/nhs-jigsaw/jigsaw/answers"
	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/evidence"
)

// TestSelfAssessmentRoundTrip runs the trust's journey on each demo organisation's answers:
// template → fill in (as Excel would) → import (twice: idempotent) → report → signed export →
// verify, and an inspector's late answers on the completed assessment.
func TestSelfAssessmentRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c, err := checklist.Lookup("nhs-interop@2026.1")
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "evidence.db")
	var out, errOut bytes.Buffer
	streams := IO{Out: &out, ErrOut: &errOut}
	keyPath := filepath.Join(dir, "trust.key")
	if err := runKeysGenerate(ctx, keysGenerateOptions{IO: streams, Out: keyPath, Format: "table"}); err != nil {
		t.Fatal(err)
	}

	for _, name := range answers.ExampleNames() {
		t.Run(name, func(t *testing.T) {
			ex, err := answers.Example(name, c)
			if err != nil {
				t.Fatal(err)
			}
			store, err := evidence.Open(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			if err := store.UpsertOrganisation(ctx, evidence.Organisation{ODSCode: ex.Organisation.ODS, Name: ex.Organisation.Name, Type: ex.Organisation.Type, Region: "Wales"}); err != nil {
				t.Fatal(err)
			}
			a, err := store.CreateAssessment(ctx, evidence.NewAssessment{ODSCode: ex.Organisation.ODS, ChecklistID: c.ID,
				ChecklistVersion: c.Version, ChecklistSHA256: c.SHA256, TargetURL: "https://127.0.0.1:1/fhir", FHIRVersion: "R4",
				Cycle: "2026-Q3", ToolVersion: "test"})
			if err != nil {
				t.Fatal(err)
			}
			if err := store.SetAssessmentStatus(ctx, a.ID, evidence.Complete); err != nil {
				t.Fatal(err)
			}
			store.Close()

			xlsx := filepath.Join(dir, name+".xlsx")
			if err := runChecklistTemplate(ctx, templateOptions{IO: streams, XLSX: xlsx, Checklist: c.Ref(), OrgType: string(ex.Organisation.Type)}); err != nil {
				t.Fatal(err)
			}
			fillWorkbook(t, xlsx, ex)
			evidenceFile := filepath.Join(dir, "Digital Strategy 2024-2027")
			os.WriteFile(evidenceFile, []byte("strategy"), 0o644)

			var added int
			for i := range 2 {
				out.Reset()
				err := runAnswersImport(ctx, answersImportOptions{IO: IO{Out: &out, ErrOut: &errOut}, File: xlsx, DB: db,
					Provenance: "self-assessed", Attach: []string{evidenceFile}, Format: "json"})
				if err != nil {
					t.Fatalf("import %d: %v", i+1, err)
				}
				var res answersImportOutput
				if err := json.Unmarshal(out.Bytes(), &res); err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					added = len(res.Added)
					if added == 0 || res.Assessment != a.Ref {
						t.Fatalf("first import: %+v", res)
					}
				} else if len(res.Added) != 0 || res.Unchanged != added {
					t.Errorf("second import was not idempotent: %+v", res)
				}
			}

			// An inspector verifies one answer after the assessment closed.
			verified := strings.Replace(string(mustRead(t, filepath.Join("..", "..", "answers", "examples", name+".yaml"))),
				"provenance: self-assessed", "provenance: inspector-verified", 1)
			vpath := filepath.Join(dir, name+"-verified.yaml")
			os.WriteFile(vpath, []byte(verified), 0o644)
			if err := runAnswersImport(ctx, answersImportOptions{IO: streams, File: vpath, DB: db, Assessment: a.Ref,
				Provenance: "self-assessed", Format: "table"}); err != nil {
				t.Fatalf("inspector answers: %v", err)
			}

			repDir := filepath.Join(dir, name)
			if err := runReport(ctx, reportOptions{IO: streams, DB: db, Assessment: a.Ref, Formats: "json", OutDir: repDir,
				now: func() time.Time { return time.Date(2026, 10, 3, 0, 0, 0, 0, time.UTC) }}); err != nil {
				t.Fatal(err)
			}
			reps, _ := filepath.Glob(filepath.Join(repDir, "*.json"))
			if len(reps) != 1 || !strings.Contains(string(mustRead(t, reps[0])), `"claimed"`) {
				t.Errorf("report %v does not show claimed levels", reps)
			}

			subPath := filepath.Join(dir, name+".submission.json")
			if err := runExport(ctx, exportOptions{IO: streams, DB: db, Assessment: a.Ref, Key: keyPath, Out: subPath, Format: "table", now: time.Now}); err != nil {
				t.Fatal(err)
			}
			out.Reset()
			if err := runVerify(ctx, verifyOptions{IO: IO{Out: &out, ErrOut: &errOut}, File: subPath, PubKeys: []string{keyPath + ".pub"}, Format: "table"}); err != nil {
				t.Fatalf("verify: %v\n%s", err, out.String())
			}
			if !strings.HasPrefix(out.String(), "OK  ") {
				t.Errorf("verify printed %s", out.String())
			}
			data := mustRead(t, subPath)
			data[len(data)/2] ^= 1
			bad := filepath.Join(dir, name+".bad.json")
			os.WriteFile(bad, data, 0o644)
			if err := runVerify(ctx, verifyOptions{IO: IO{Out: &out, ErrOut: &errOut}, File: bad, Format: "json"}); err == nil {
				t.Error("a flipped byte in the submission went unnoticed")
			}
		})
	}
}

func TestAnswersImportAllOrNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c, _ := checklist.Lookup("nhs-interop@2026.1")
	ex, _ := answers.Example("typical", c)
	db := filepath.Join(dir, "evidence.db")
	store, err := evidence.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	store.UpsertOrganisation(ctx, evidence.Organisation{ODSCode: ex.Organisation.ODS, Name: ex.Organisation.Name, Type: ex.Organisation.Type})
	a, err := store.CreateAssessment(ctx, evidence.NewAssessment{ODSCode: ex.Organisation.ODS, ChecklistID: c.ID,
		ChecklistVersion: c.Version, ChecklistSHA256: c.SHA256, TargetURL: "https://127.0.0.1:1/fhir", FHIRVersion: "R4", ToolVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	store.Close()
	xlsx := filepath.Join(dir, "t.xlsx")
	var out bytes.Buffer
	if err := runChecklistTemplate(ctx, templateOptions{IO: IO{Out: &out}, XLSX: xlsx, Checklist: c.Ref()}); err != nil {
		t.Fatal(err)
	}
	fillWorkbook(t, xlsx, ex)
	wb, _ := excelize.OpenFile(xlsx)
	wb.SetCellValue(answers.SheetAnswers, "D17", 5)
	wb.SetCellValue(answers.SheetAnswers, "E17", "answered")
	wb.Save()
	wb.Close()
	err = runAnswersImport(ctx, answersImportOptions{IO: IO{Out: &out}, File: xlsx, DB: db, Provenance: "self-assessed", Format: "table"})
	if err == nil || !strings.Contains(err.Error(), "Answers!D17: level 5 is outside 1–4") {
		t.Fatalf("import error: %v", err)
	}
	store, _ = evidence.OpenReadOnly(ctx, db)
	defer store.Close()
	if atts, _ := store.Attestations(ctx, a.ID); len(atts) != 0 {
		t.Errorf("%d attestations recorded from a workbook with an error", len(atts))
	}
}

func fillWorkbook(t *testing.T, path string, f *answers.File) {
	t.Helper()
	wb, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	set := func(sheet, cell string, v any) {
		if err := wb.SetCellValue(sheet, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	set(answers.SheetOrganisation, "B2", f.Organisation.ODS)
	set(answers.SheetOrganisation, "B3", f.Organisation.Name)
	set(answers.SheetOrganisation, "B4", string(f.Organisation.Type))
	set(answers.SheetOrganisation, "B5", f.AnsweredBy)
	set(answers.SheetOrganisation, "B6", f.AnsweredAt)
	rows, err := wb.GetRows(answers.SheetAnswers)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows[1:] {
		a := f.Find(r[0])
		if a == nil || a.Status == answers.Waived {
			continue
		}
		n := strconv.Itoa(i + 2)
		if a.Status == answers.Answered {
			set(answers.SheetAnswers, "D"+n, a.Level)
		}
		set(answers.SheetAnswers, "E"+n, strings.ReplaceAll(string(a.Status), "-", " "))
		var docs []string
		for _, d := range a.Evidence {
			docs = append(docs, d.Name)
		}
		set(answers.SheetAnswers, "F"+n, strings.Join(docs, "; "))
		set(answers.SheetAnswers, "G"+n, a.Owner)
	}
	if err := wb.Save(); err != nil {
		t.Fatal(err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
