package answers

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/terminology"
)

// Sheet names and layout of the self-assessment workbook. The import reads cells by these
// positions, so they are part of the template format (TemplateFormat).
const (
	TemplateFormat = "jigsaw-answers-template/1"

	SheetReadMe       = "Read me"
	SheetOrganisation = "Organisation"
	SheetAnswers      = "Answers"
	// SheetMeta is very hidden and protected: it records which checklist text the workbook was
	// made from, so a workbook for another checklist version is refused.
	SheetMeta = "Jigsaw"

	// MaxWorkbookSize is the largest workbook file read at all.
	MaxWorkbookSize = 32 << 20
)

// Limits on what a workbook may hold once unzipped, checked from the zip directory before
// excelize reads anything (archive/zip refuses an entry that inflates past its declared
// size, so the declared sizes bound the work). A template for the whole catalogue unzips to
// well under 1 MiB; docs/limits.md lists these.
const (
	maxWorkbookEntries  = 1000
	maxWorkbookXMLPart  = 4 << 20  // one unzipped XML part (a worksheet, the shared strings), parsed whole
	maxWorkbookPart     = 32 << 20 // any other part (a picture), kept as bytes
	maxWorkbookUnzipped = 64 << 20 // all parts together
	maxWorkbookRows     = 10_000   // rows read from one sheet
	maxWorkbookColumns  = 64       // cells kept from one row
)

// Answers sheet columns.
const (
	colItem     = "A"
	colDomain   = "B"
	colQuestion = "C"
	colLevel    = "D"
	colStatus   = "E"
	colEvidence = "F"
	colOwner    = "G"
	colNotes    = "H"
	colMand     = "I"
	colGuidance = "J"
	// K..N hold the level 1–4 achievement statements.
)

// Organisation sheet cells.
const (
	cellODS        = "B2"
	cellName       = "B3"
	cellType       = "B4"
	cellAnsweredBy = "B5"
	cellAnsweredAt = "B6"
)

// Workbook status labels: plain words for people, mapped to answer statuses.
var statusLabels = []struct {
	label  string
	status Status
}{
	{"answered", Answered}, {"not applicable", NotApplicable}, {"not reviewed", NotReviewed},
}

// WriteTemplate writes a self-assessment workbook for checklist c: one row per item with the
// question, guidance and achievement statements, level and status dropdowns, evidence, owner
// and notes columns, items mandatory for orgType highlighted (any type when orgType is
// empty), a frozen header, a read-me sheet, and the checklist's id, version and SHA-256 on a
// hidden, protected sheet and in the document properties.
func WriteTemplate(w io.Writer, c *checklist.Checklist, orgType checklist.OrgType) error {
	if orgType != "" && !slices.Contains(checklist.OrgTypes(), orgType) {
		return fmt.Errorf("organisation type %q is not one of %s", orgType, joinStrings(checklist.OrgTypes()))
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := buildTemplate(f, c, orgType); err != nil {
		return fmt.Errorf("make template for %s: %w", c.Ref(), err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write template for %s: %w", c.Ref(), err)
	}
	return nil
}

func buildTemplate(f *excelize.File, c *checklist.Checklist, orgType checklist.OrgType) error {
	if err := f.SetSheetName("Sheet1", SheetReadMe); err != nil {
		return err
	}
	for _, s := range []string{SheetOrganisation, SheetAnswers, SheetMeta} {
		if _, err := f.NewSheet(s); err != nil {
			return err
		}
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	header, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "FFFFFF"},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"005EB8"}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	mandatory, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFF2CC"}}, Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	input, err := f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E8F1FA"}},
		Border: []excelize.Border{{Type: "bottom", Color: "005EB8", Style: 1}}})
	if err != nil {
		return err
	}

	typeText := "any organisation type"
	if orgType != "" {
		typeText = string(orgType)
	}
	// Read me.
	readMe := []string{
		c.Title + " — self-assessment",
		"",
		"Checklist: " + c.Ref() + " (SHA-256 " + c.SHA256 + ")",
		"Made for: " + typeText,
		"",
		"How to fill it in",
		"1. On the Organisation sheet, fill in your ODS code, organisation name, type, who answered and the date (YYYY-MM-DD).",
		"2. On the Answers sheet, for each item read the question, the guidance and the four achievement statements (columns K to N).",
		"3. Pick the level you achieve (1 not achieved, 2 partially achieved, 3 achieved, 4 exceeds) and the status 'answered'.",
		"   If an item does not apply to you pick 'not applicable'; if you have not looked at it yet pick 'not reviewed' (or leave the row empty).",
		"4. Name the evidence you hold (document names, separated by ';'), the owner and any notes.",
		"5. Highlighted rows are mandatory for your organisation type: a mandatory item at level 1 caps the rating.",
		"",
		"Then import it: jigsaw answers import THIS-FILE.xlsx --db evidence.db",
		"Every cell is checked; if anything is wrong nothing is imported and each problem is named by sheet and cell.",
		"Do not rename sheets, move columns or edit the hidden Jigsaw sheet: it ties the workbook to this exact checklist version.",
	}
	for i, line := range readMe {
		if err := f.SetCellStr(SheetReadMe, "A"+strconv.Itoa(i+1), line); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(SheetReadMe, "A1", "A1", bold); err != nil {
		return err
	}
	if err := f.SetCellStyle(SheetReadMe, "A6", "A6", bold); err != nil {
		return err
	}
	if err := f.SetColWidth(SheetReadMe, "A", "A", 120); err != nil {
		return err
	}

	// Organisation.
	orgRows := [][]string{
		{"Field", "Your answer"}, {"ODS code", ""}, {"Organisation name", ""}, {"Organisation type", string(orgType)},
		{"Answered by (name and role)", ""}, {"Answered on (YYYY-MM-DD)", ""},
	}
	for i, r := range orgRows {
		if err := f.SetSheetRow(SheetOrganisation, "A"+strconv.Itoa(i+1), &[]any{r[0], r[1]}); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(SheetOrganisation, "A1", "B1", header); err != nil {
		return err
	}
	if err := f.SetCellStyle(SheetOrganisation, "B2", "B6", input); err != nil {
		return err
	}
	if err := f.SetColWidth(SheetOrganisation, "A", "B", 40); err != nil {
		return err
	}
	if err := addDropList(f, SheetOrganisation, cellType, joinTypes()); err != nil {
		return err
	}

	// Answers.
	head := []any{"Item", "Domain", "Question", "Level (1–4)", "Status", "Evidence (names; separated by ;)", "Owner", "Notes",
		"Mandatory", "Guidance", "Level 1: not achieved", "Level 2: partially achieved", "Level 3: achieved", "Level 4: exceeds"}
	if err := f.SetSheetRow(SheetAnswers, "A1", &head); err != nil {
		return err
	}
	if err := f.SetCellStyle(SheetAnswers, "A1", "N1", header); err != nil {
		return err
	}
	row := 2
	for _, d := range c.Domains {
		for _, it := range d.Items {
			mand := ""
			isMandatory := false
			switch {
			case orgType != "" && it.MandatoryForType(orgType):
				mand, isMandatory = "mandatory", true
			case orgType == "" && len(it.MandatoryFor) > 0:
				mand, isMandatory = "mandatory for "+joinStrings(it.MandatoryFor), true
			}
			vals := []any{it.ID, d.Title, it.Question, nil, nil, nil, nil, nil, mand, it.Guidance,
				it.Levels.Statement(1), it.Levels.Statement(2), it.Levels.Statement(3), it.Levels.Statement(4)}
			cell := "A" + strconv.Itoa(row)
			if err := f.SetSheetRow(SheetAnswers, cell, &vals); err != nil {
				return err
			}
			style := wrap
			if isMandatory {
				style = mandatory
			}
			if err := f.SetCellStyle(SheetAnswers, cell, "N"+strconv.Itoa(row), style); err != nil {
				return err
			}
			if err := f.SetCellStyle(SheetAnswers, colLevel+strconv.Itoa(row), colNotes+strconv.Itoa(row), input); err != nil {
				return err
			}
			row++
		}
	}
	last := strconv.Itoa(row - 1)
	if err := addDropList(f, SheetAnswers, colLevel+"2:"+colLevel+last, []string{"1", "2", "3", "4"}); err != nil {
		return err
	}
	labels := make([]string, len(statusLabels))
	for i, s := range statusLabels {
		labels[i] = s.label
	}
	if err := addDropList(f, SheetAnswers, colStatus+"2:"+colStatus+last, labels); err != nil {
		return err
	}
	for _, cw := range []struct {
		from, to string
		width    float64
	}{{"A", "B", 14}, {"C", "C", 50}, {"D", "E", 14}, {"F", "H", 30}, {"I", "I", 14}, {"J", "N", 45}} {
		if err := f.SetColWidth(SheetAnswers, cw.from, cw.to, cw.width); err != nil {
			return err
		}
	}
	if err := f.SetPanes(SheetAnswers, &excelize.Panes{Freeze: true, XSplit: 1, YSplit: 1, TopLeftCell: "B2", ActivePane: "bottomRight"}); err != nil {
		return err
	}
	if err := f.AutoFilter(SheetAnswers, "A1:N"+last, nil); err != nil {
		return err
	}

	// Metadata.
	meta := [][]string{
		{"format", TemplateFormat}, {"checklist_id", c.ID}, {"checklist_version", c.Version},
		{"checklist_sha256", c.SHA256}, {"org_type", string(orgType)},
	}
	for i, m := range meta {
		if err := f.SetSheetRow(SheetMeta, "A"+strconv.Itoa(i+1), &[]any{m[0], m[1]}); err != nil {
			return err
		}
	}
	if err := f.ProtectSheet(SheetMeta, &excelize.SheetProtectionOptions{SelectLockedCells: false}); err != nil {
		return err
	}
	if err := f.SetSheetVisible(SheetMeta, false, true); err != nil {
		return err
	}
	if err := f.SetDocProps(&excelize.DocProperties{
		Title:       c.Title + " — self-assessment",
		Subject:     c.Ref(),
		Keywords:    "jigsaw " + c.Ref() + " sha256:" + c.SHA256,
		Description: "Made by Jigsaw (" + TemplateFormat + ") for " + typeText,
		Creator:     "Jigsaw",
	}); err != nil {
		return err
	}
	idx, err := f.GetSheetIndex(SheetAnswers)
	if err != nil {
		return err
	}
	f.SetActiveSheet(idx)
	return nil
}

func addDropList(f *excelize.File, sheet, sqref string, values []string) error {
	dv := excelize.NewDataValidation(true)
	dv.Sqref = sqref
	if err := dv.SetDropList(values); err != nil {
		return err
	}
	dv.SetError(excelize.DataValidationErrorStyleStop, "Not in the list", "Pick a value from the list.")
	return f.AddDataValidation(sheet, dv)
}

func joinTypes() []string {
	out := make([]string, 0, len(checklist.OrgTypes()))
	for _, t := range checklist.OrgTypes() {
		out = append(out, string(t))
	}
	return out
}

// CellError is one problem in a workbook, named by sheet and cell.
type CellError struct {
	Sheet   string
	Cell    string
	Message string
}

func (e CellError) Error() string {
	if e.Cell == "" {
		return e.Sheet + ": " + e.Message
	}
	return e.Sheet + "!" + e.Cell + ": " + e.Message
}

// WorkbookErrors are all the problems found in a workbook; nothing is imported while any remain.
type WorkbookErrors struct {
	File   string
	Errors []CellError
}

func (e *WorkbookErrors) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problem(s), nothing imported:", e.File, len(e.Errors))
	for _, ce := range e.Errors {
		b.WriteString("\n  " + ce.Error())
	}
	return b.String()
}

// ErrOtherChecklist is wrapped when a workbook was made for another checklist (or another
// text of the same version) than the one it is imported against.
var ErrOtherChecklist = errors.New("workbook was made for another checklist")

// ParseXLSX reads a filled-in self-assessment workbook made by WriteTemplate for checklist c
// and returns its answers, checked cell by cell: every problem is reported by sheet and cell
// (for example "Answers!D17: level 5 is outside 1–4"). Rows with neither level nor status are
// left out (not answered). Answers carry the given provenance. The File's SHA256 is the
// workbook's, so importing the same workbook twice adds nothing.
func ParseXLSX(name string, data []byte, c *checklist.Checklist, prov Provenance) (*File, error) {
	if len(data) > MaxWorkbookSize {
		return nil, fmt.Errorf("%s: larger than %d MiB: not a self-assessment workbook", name, MaxWorkbookSize>>20)
	}
	if !slices.Contains(Provenances(), prov) {
		return nil, fmt.Errorf("provenance %q is not one of %s", prov, joinStrings(Provenances()))
	}
	wb, err := openWorkbook(name, data)
	if err != nil {
		return nil, err
	}
	defer wb.Close()

	meta, err := readMeta(wb)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if meta["checklist_id"] != c.ID || meta["checklist_version"] != c.Version || meta["checklist_sha256"] != c.SHA256 {
		return nil, fmt.Errorf("%s: %w: it is for %s@%s (sha256 %.12s…), but the assessment uses %s (sha256 %.12s…); make a new one with jigsaw checklist template --xlsx FILE --checklist %s",
			name, ErrOtherChecklist, meta["checklist_id"], meta["checklist_version"], meta["checklist_sha256"], c.Ref(), c.SHA256, c.Ref())
	}

	errs := &WorkbookErrors{File: name}
	add := func(sheet, cell, format string, args ...any) {
		errs.Errors = append(errs.Errors, CellError{Sheet: sheet, Cell: cell, Message: fmt.Sprintf(format, args...)})
	}
	out := &File{Checklist: c.Ref(), Source: name}
	cell := func(ref string) string {
		v, err := wb.GetCellValue(SheetOrganisation, ref)
		if err != nil {
			add(SheetOrganisation, ref, "cannot be read: %v", err)
		}
		return strings.TrimSpace(v)
	}
	if idx, _ := wb.GetSheetIndex(SheetOrganisation); idx < 0 {
		add(SheetOrganisation, "", "sheet is missing")
	} else {
		out.Organisation.ODS = strings.ToUpper(cell(cellODS))
		out.Organisation.Name = cell(cellName)
		out.Organisation.Type = checklist.OrgType(cell(cellType))
		out.AnsweredBy = cell(cellAnsweredBy)
		out.AnsweredAt = cell(cellAnsweredAt)
		if !terminology.ODSCodeValid(out.Organisation.ODS) {
			add(SheetOrganisation, cellODS, "ODS code %q is not 3 to 6 upper-case letters and digits", out.Organisation.ODS)
		}
		if out.Organisation.Name == "" {
			add(SheetOrganisation, cellName, "organisation name is empty")
		}
		if !slices.Contains(checklist.OrgTypes(), out.Organisation.Type) {
			add(SheetOrganisation, cellType, "organisation type %q is not one of %s", out.Organisation.Type, joinStrings(checklist.OrgTypes()))
		}
		if out.AnsweredBy == "" {
			add(SheetOrganisation, cellAnsweredBy, "who answered is empty")
		}
		if at, ok := parseWorkbookDate(out.AnsweredAt); ok {
			out.AnsweredAt = at
		} else {
			add(SheetOrganisation, cellAnsweredAt, "%q is not a date (YYYY-MM-DD)", out.AnsweredAt)
		}
	}

	rows, err := readRows(wb, SheetAnswers)
	if errors.Is(err, errTooManyRows) {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err != nil {
		add(SheetAnswers, "", "sheet is missing or unreadable: %v", err)
	}
	seen := map[string]string{}
	for i, r := range rows {
		if i == 0 {
			continue
		}
		n := strconv.Itoa(i + 1)
		get := func(col string) string {
			idx, _ := excelize.ColumnNameToNumber(col)
			if idx-1 < len(r) {
				return strings.TrimSpace(r[idx-1])
			}
			return ""
		}
		id := get(colItem)
		levelText, statusText := get(colLevel), strings.ToLower(get(colStatus))
		if id == "" {
			if levelText != "" || statusText != "" {
				add(SheetAnswers, colItem+n, "item id is empty but the row has an answer")
			}
			continue
		}
		if first, dup := seen[id]; dup {
			add(SheetAnswers, colItem+n, "item %s appears twice (first at %s)", id, first)
			continue
		}
		seen[id] = colItem + n
		if _, _, ok := c.Item(id); !ok {
			add(SheetAnswers, colItem+n, "unknown item %q: %s has no such item", id, c.Ref())
			continue
		}
		if levelText == "" && statusText == "" {
			continue // not answered yet
		}
		a := Answer{Item: id, Provenance: prov, Owner: get(colOwner), Notes: get(colNotes)}
		switch {
		case statusText == "":
			a.Status = Answered
		default:
			i := slices.IndexFunc(statusLabels, func(s struct {
				label  string
				status Status
			}) bool {
				return s.label == statusText || string(s.status) == statusText
			})
			if i < 0 {
				add(SheetAnswers, colStatus+n, "status %q is not answered, not applicable or not reviewed", get(colStatus))
				continue
			}
			a.Status = statusLabels[i].status
		}
		if a.Status == Answered {
			lvl, err := strconv.ParseFloat(levelText, 64)
			switch {
			case levelText == "":
				add(SheetAnswers, colLevel+n, "level is empty: an answered item needs a level from 1 to 4")
			case err != nil || lvl != float64(int(lvl)):
				add(SheetAnswers, colLevel+n, "level %q is not a whole number from 1 to 4", levelText)
			case lvl < 1 || lvl > 4:
				add(SheetAnswers, colLevel+n, "level %s is outside 1–4", levelText)
			default:
				a.Level = int(lvl)
			}
		} else if levelText != "" {
			add(SheetAnswers, colLevel+n, "a %s item has no level (found %s): clear the level or set the status to answered", statusText, levelText)
		}
		for _, doc := range strings.FieldsFunc(get(colEvidence), func(r rune) bool { return r == ';' || r == '\n' }) {
			if doc = strings.TrimSpace(doc); doc != "" {
				a.Evidence = append(a.Evidence, Document{Name: doc})
			}
		}
		out.Answers = append(out.Answers, a)
	}
	if len(errs.Errors) == 0 && len(out.Answers) == 0 {
		add(SheetAnswers, "", "no item is answered: fill in a level or status for at least one item")
	}
	if len(errs.Errors) > 0 {
		return nil, errs
	}
	sum := sha256.Sum256(data)
	out.SHA256 = hex.EncodeToString(sum[:])
	// The file-level rules the YAML format enforces hold here too.
	if err := Validate(out, c, time.Time{}); err != nil {
		return nil, err
	}
	return out, nil
}

func readMeta(wb *excelize.File) (map[string]string, error) {
	rows, err := readRows(wb, SheetMeta)
	if errors.Is(err, errTooManyRows) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("not a Jigsaw self-assessment workbook (no %s sheet): make one with jigsaw checklist template --xlsx FILE", SheetMeta)
	}
	meta := map[string]string{}
	for _, r := range rows {
		if len(r) >= 2 {
			meta[r[0]] = r[1]
		}
	}
	if meta["format"] != TemplateFormat {
		return nil, fmt.Errorf("workbook format %q is not %s: make a new template with jigsaw checklist template --xlsx FILE", meta["format"], TemplateFormat)
	}
	return meta, nil
}

// openWorkbook checks the zip directory against the workbook limits and only then hands the
// bytes to excelize, told to keep every part in memory (no temporary files) and to unzip no
// more than the limits allow.
func openWorkbook(name string, data []byte) (*excelize.File, error) {
	if err := checkWorkbookZip(name, data); err != nil {
		return nil, err
	}
	wb, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    maxWorkbookUnzipped,
		UnzipXMLSizeLimit: maxWorkbookUnzipped,
	})
	if err != nil {
		return nil, fmt.Errorf("%s: not an Excel workbook (.xlsx): %w", name, err)
	}
	return wb, nil
}

func checkWorkbookZip(name string, data []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fmt.Errorf("%s: not an Excel workbook (.xlsx): %w", name, err)
	}
	if len(zr.File) > maxWorkbookEntries {
		return fmt.Errorf("%s: holds %d parts, more than the %d a self-assessment workbook may (see docs/limits.md)", name, len(zr.File), maxWorkbookEntries)
	}
	var total uint64
	for _, f := range zr.File {
		limit := uint64(maxWorkbookPart)
		if strings.HasSuffix(strings.ToLower(f.Name), ".xml") || strings.HasSuffix(strings.ToLower(f.Name), ".rels") {
			limit = maxWorkbookXMLPart
		}
		if f.UncompressedSize64 > limit {
			return fmt.Errorf("%s: part %s unzips to %d bytes, more than the %d MiB limit: not a self-assessment workbook (a template's parts are under 100 KiB; see docs/limits.md)",
				name, printablePart(f.Name), f.UncompressedSize64, limit>>20)
		}
		total += f.UncompressedSize64
	}
	if total > maxWorkbookUnzipped {
		return fmt.Errorf("%s: unzips to %d MiB, more than the %d MiB limit: not a self-assessment workbook (see docs/limits.md)", name, total>>20, maxWorkbookUnzipped>>20)
	}
	return nil
}

// printablePart quotes a zip entry name that is not plain printable text.
func printablePart(s string) string {
	if q := strconv.QuoteToGraphic(s); q[1:len(q)-1] != s || len(s) > 200 {
		return fmt.Sprintf("%.200q", s)
	}
	return s
}

var errTooManyRows = fmt.Errorf("a sheet has more than %d rows: not a self-assessment workbook (see docs/limits.md)", maxWorkbookRows)

// readRows reads a sheet row by row, keeping at most maxWorkbookColumns cells of each and
// refusing a sheet of more than maxWorkbookRows rows.
func readRows(wb *excelize.File, sheet string) ([][]string, error) {
	it, err := wb.Rows(sheet)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var rows [][]string
	for it.Next() {
		if len(rows) == maxWorkbookRows {
			return nil, fmt.Errorf("%s: %w", sheet, errTooManyRows)
		}
		r, err := it.Columns()
		if err != nil {
			return nil, err
		}
		if len(r) > maxWorkbookColumns {
			r = r[:maxWorkbookColumns]
		}
		rows = append(rows, r)
	}
	return rows, it.Error()
}

// parseWorkbookDate accepts YYYY-MM-DD, an RFC 3339 time, or the forms a spreadsheet shows a
// date cell in (DD/MM/YYYY, as UK locales do, and MM-DD-YY, excelize's default rendering).
func parseWorkbookDate(s string) (string, bool) {
	if _, ok := parseDateOrTime(s); ok {
		return s, true
	}
	for _, layout := range []string{"02/01/2006", "01-02-06", "2/1/2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(time.DateOnly), true
		}
	}
	return s, false
}

// PeekXLSX reads which organisation (ODS code, as typed) and checklist (id@version) a workbook
// is for, without checking anything else: enough to find the assessment to import it into.
func PeekXLSX(name string, data []byte) (ods, checklistRef string, err error) {
	if len(data) > MaxWorkbookSize {
		return "", "", fmt.Errorf("%s: larger than %d MiB: not a self-assessment workbook", name, MaxWorkbookSize>>20)
	}
	wb, err := openWorkbook(name, data)
	if err != nil {
		return "", "", err
	}
	defer wb.Close()
	meta, err := readMeta(wb)
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", name, err)
	}
	v, _ := wb.GetCellValue(SheetOrganisation, cellODS)
	return strings.ToUpper(strings.TrimSpace(v)), checklist.Ref{ID: meta["checklist_id"], Version: meta["checklist_version"]}.String(), nil
}
