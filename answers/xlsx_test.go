package answers

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/nhs-jigsaw/jigsaw/checklist"
)

func templateFor(t testing.TB, c *checklist.Checklist, orgType checklist.OrgType) *excelize.File {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteTemplate(&buf, c, orgType); err != nil {
		t.Fatal(err)
	}
	wb, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return wb
}

// fill writes an answers file into a template, as an IG lead would.
func fill(t testing.TB, wb *excelize.File, f *File) []byte {
	t.Helper()
	set := func(sheet, cell string, v any) {
		if err := wb.SetCellValue(sheet, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	set(SheetOrganisation, cellODS, f.Organisation.ODS)
	set(SheetOrganisation, cellName, f.Organisation.Name)
	set(SheetOrganisation, cellType, string(f.Organisation.Type))
	set(SheetOrganisation, cellAnsweredBy, f.AnsweredBy)
	set(SheetOrganisation, cellAnsweredAt, f.AnsweredAt)
	rows, err := wb.GetRows(SheetAnswers)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows[1:] {
		a := f.Find(r[0])
		if a == nil {
			continue
		}
		n := strconv.Itoa(i + 2)
		if a.Status == Answered {
			set(SheetAnswers, colLevel+n, a.Level) // a number, as the dropdown stores it
		}
		label := strings.ReplaceAll(string(a.Status), "-", " ")
		set(SheetAnswers, colStatus+n, label)
		var docs []string
		for _, d := range a.Evidence {
			docs = append(docs, d.Name)
		}
		set(SheetAnswers, colEvidence+n, strings.Join(docs, "; "))
		set(SheetAnswers, colOwner+n, a.Owner)
		set(SheetAnswers, colNotes+n, a.Notes)
	}
	var buf bytes.Buffer
	if err := wb.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestTemplateRoundTrip(t *testing.T) {
	c, err := checklist.Lookup("nhs-interop@2026.1")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range ExampleNames() {
		t.Run(name, func(t *testing.T) {
			want, err := Example(name, c)
			if err != nil {
				t.Fatal(err)
			}
			// Waivers have no place in a self-assessment workbook.
			kept := want.Answers[:0]
			for _, a := range want.Answers {
				if a.Status != Waived {
					kept = append(kept, a)
				}
			}
			want.Answers = kept
			wb := templateFor(t, c, want.Organisation.Type)
			data := fill(t, wb, want)
			got, err := ParseXLSX(name+".xlsx", data, c, SelfAssessed)
			if err != nil {
				t.Fatal(err)
			}
			if got.Organisation != want.Organisation || got.AnsweredBy != want.AnsweredBy || got.Checklist != c.Ref() {
				t.Errorf("header: got %+v %q, want %+v %q", got.Organisation, got.AnsweredBy, want.Organisation, want.AnsweredBy)
			}
			if len(got.Answers) != len(want.Answers) {
				t.Fatalf("%d answers, want %d", len(got.Answers), len(want.Answers))
			}
			for _, w := range want.Answers {
				g := got.Find(w.Item)
				if g == nil || g.Status != w.Status || g.Level != w.Level || g.Owner != w.Owner || len(g.Evidence) != len(w.Evidence) {
					t.Errorf("item %s: got %+v, want %+v", w.Item, g, w)
				}
			}
		})
	}
}

func TestTemplateLayout(t *testing.T) {
	c, _ := checklist.Lookup("nhs-interop@2026.1")
	wb := templateFor(t, c, checklist.AcuteTrust)
	if got := wb.GetSheetList(); strings.Join(got, ",") != "Read me,Organisation,Answers,Jigsaw" {
		t.Errorf("sheets %v", got)
	}
	if v, _ := wb.GetSheetVisible(SheetMeta); v {
		t.Error("metadata sheet is visible")
	}
	panes, err := wb.GetPanes(SheetAnswers)
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("header not frozen: %+v, %v", panes, err)
	}
	dvs, err := wb.GetDataValidations(SheetAnswers)
	if err != nil || len(dvs) != 2 {
		t.Fatalf("data validations %d, %v", len(dvs), err)
	}
	rows, _ := wb.GetRows(SheetAnswers)
	if len(rows)-1 != c.ItemCount() {
		t.Errorf("%d item rows, checklist has %d items", len(rows)-1, c.ItemCount())
	}
	props, err := wb.GetDocProps()
	if err != nil || !strings.Contains(props.Keywords, c.SHA256) {
		t.Errorf("document properties do not carry the checklist hash: %+v", props)
	}
	// Mandatory rows are marked and styled differently from the rest.
	var mandStyle, plainStyle int
	for i, r := range rows[1:] {
		it, _, _ := c.Item(r[0])
		style, _ := wb.GetCellStyle(SheetAnswers, "A"+strconv.Itoa(i+2))
		if it.MandatoryForType(checklist.AcuteTrust) {
			if len(r) <= 8 || r[8] != "mandatory" {
				t.Errorf("item %s is mandatory but not marked", r[0])
			}
			mandStyle = style
		} else {
			plainStyle = style
		}
	}
	if mandStyle == 0 || mandStyle == plainStyle {
		t.Error("mandatory rows are not highlighted")
	}
}

func TestParseXLSXCellErrors(t *testing.T) {
	c, _ := checklist.Lookup("nhs-interop@2026.1")
	f, err := Example("typical", c)
	if err != nil {
		t.Fatal(err)
	}
	wb := templateFor(t, c, f.Organisation.Type)
	data := fill(t, wb, f)
	wb, _ = excelize.OpenReader(bytes.NewReader(data))
	wb.SetCellValue(SheetAnswers, "D17", 5)
	wb.SetCellValue(SheetAnswers, "E17", "answered")
	wb.SetCellValue(SheetAnswers, "D3", "three")
	wb.SetCellValue(SheetAnswers, "E4", "maybe")
	wb.SetCellValue(SheetAnswers, "A5", "NOPE-99")
	wb.SetCellValue(SheetOrganisation, cellODS, "not an ods")
	wb.SetCellValue(SheetOrganisation, cellAnsweredAt, "soon")
	var buf bytes.Buffer
	wb.Write(&buf)

	_, err = ParseXLSX("trust.xlsx", buf.Bytes(), c, SelfAssessed)
	var we *WorkbookErrors
	if !errors.As(err, &we) {
		t.Fatalf("error %v is not a WorkbookErrors", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"Answers!D17: level 5 is outside 1–4", `Answers!D3: level "three" is not a whole number`,
		`Answers!E4: status "maybe"`, `Answers!A5: unknown item "NOPE-99"`, "Organisation!B2: ODS code", "Organisation!B6:",
		"nothing imported",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("errors do not contain %q:\n%s", want, msg)
		}
	}
}

func TestParseXLSXRefusesOtherChecklist(t *testing.T) {
	c, _ := checklist.Lookup("nhs-interop@2026.1")
	other := *c
	other.Version = "2025.1"
	other.SHA256 = strings.Repeat("1", 64)
	f, _ := Example("typical", c)
	data := fill(t, templateFor(t, &other, f.Organisation.Type), f)
	_, err := ParseXLSX("old.xlsx", data, c, SelfAssessed)
	if !errors.Is(err, ErrOtherChecklist) || !strings.Contains(err.Error(), "nhs-interop@2025.1") {
		t.Errorf("a workbook for another version was not refused clearly: %v", err)
	}
	if _, err := ParseXLSX("x.xlsx", []byte("not a zip"), c, SelfAssessed); err == nil {
		t.Error("garbage accepted")
	}
}

func FuzzParseXLSX(f *testing.F) {
	c, err := checklist.Lookup("nhs-interop@2026.1")
	if err != nil {
		f.Fatal(err)
	}
	ex, _ := Example("typical", c)
	f.Add(fill(f, templateFor(f, c, ex.Organisation.Type), ex))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseXLSX("fuzz.xlsx", data, c, SelfAssessed)
		if err == nil && len(got.Answers) == 0 {
			t.Fatal("accepted a workbook without answers")
		}
	})
}
