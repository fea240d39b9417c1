package console

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/nhs-jigsaw/jigsaw/answers"
	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/sandbox"
)

func TestRequestWithoutTokenIsRefused(t *testing.T) {
	e := newEnv(t)
	b := e.anonymous()
	for _, path := range []string{"/", "/assessments", "/assessments/new", "/league", "/fleet/download/csv", "/training", "/static/app.css"} {
		resp := b.get(path)
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s without a session: %d, want 401", path, resp.StatusCode)
		}
		if strings.Contains(body, e.srv.AccessToken()) {
			t.Errorf("GET %s: the refusal shows the access token", path)
		}
	}
	resp := b.get("/?token=not-the-token")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong token: %d, want 401", resp.StatusCode)
	}
	if c := resp.Header.Get("Set-Cookie"); c != "" {
		t.Errorf("wrong token got a cookie: %s", c)
	}
	// A forged cookie is no session.
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/", nil)
	req.AddCookie(&http.Cookie{Name: e.srv.auth.cookie, Value: "forged"})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged cookie: %d, want 401", resp.StatusCode)
	}
}

func TestTokenIsExchangedForAStrictCookie(t *testing.T) {
	e := newEnv(t)
	b := e.anonymous()
	resp := b.get("/assessments?token=" + e.srv.AccessToken() + "&org=RZX")
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("token exchange: %d, want 303", resp.StatusCode)
	}
	if loc := resp.Header.Get("Location"); strings.Contains(loc, "token") || loc != "/assessments?org=RZX" {
		t.Errorf("redirect keeps the token or loses the path: %q", loc)
	}
	cookies := resp.Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies: %v", cookies)
	}
	c := cookies[0]
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Name != e.srv.auth.cookie || c.Value == e.srv.AccessToken() {
		t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict, not the token itself", c)
	}
	body := b.page("/assessments")
	if strings.Contains(body, e.srv.AccessToken()) {
		t.Error("a page shows the access token")
	}
}

func TestCrossSiteFormPostIsRefused(t *testing.T) {
	e := newEnv(t)
	b := e.login()
	csrf := b.csrf()
	form := url.Values{"csrf": {csrf}, "ods": {"RZX"}, "name": {"Northbridge"}, "type": {"acute-trust"}, "target": {"https://127.0.0.1:1/fhir"},
		"token": {"secret-bearer-token"}, "token_env": {"JIGSAW_TOKEN"}}
	bad := form
	tests := []struct {
		name   string
		form   url.Values
		header map[string]string
	}{
		{"no CSRF token", url.Values{"ods": {"RZX"}}, nil},
		{"wrong CSRF token", url.Values{"csrf": {"x" + csrf}, "ods": {"RZX"}}, nil},
		{"cross-site fetch metadata", bad, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"same-site but not same-origin", bad, map[string]string{"Sec-Fetch-Site": "same-site"}},
		{"foreign Origin", bad, map[string]string{"Origin": "https://evil.example"}},
		{"null Origin", bad, map[string]string{"Origin": "null"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := b.post("/presets", tt.form, tt.header)
			readAll(t, resp)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("status %d, want 403", resp.StatusCode)
			}
		})
	}
	// A post without a session is refused before anything else.
	resp := e.anonymous().post("/presets", form, nil)
	readAll(t, resp)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("post without a session: %d, want 401", resp.StatusCode)
	}
	// The same form from the console itself is accepted.
	resp = b.post("/presets", form, map[string]string{"Origin": e.ts.URL, "Sec-Fetch-Site": "same-origin"})
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("same-origin post: %d\n%s", resp.StatusCode, body)
	}
	list, err := e.srv.loadPresets()
	if err != nil || len(list) != 1 || list[0].ODS != "RZX" || list[0].TokenEnv != "JIGSAW_TOKEN" {
		t.Fatalf("preset not saved: %v %+v", err, list)
	}
	saved, err := os.ReadFile(e.srv.cfg.PresetsFile)
	if err != nil || strings.Contains(string(saved), "secret-bearer-token") {
		t.Errorf("the presets file holds the token: %v\n%s", err, saved)
	}
	if page := b.page("/assessments/new?preset=RZX"); strings.Contains(page, "secret-bearer-token") || !strings.Contains(page, `value="Northbridge"`) {
		t.Error("the preset form shows the token or lost the preset")
	}
}

func TestNonLoopbackBindNeedsTLS(t *testing.T) {
	tests := []struct {
		addr  string
		tls   bool
		allow bool
	}{
		{"127.0.0.1:8080", false, true},
		{"localhost:0", false, true},
		{"[::1]:8080", false, true},
		{"127.0.0.2:8080", false, true},
		{"0.0.0.0:8080", false, false},
		{":8080", false, false},
		{"10.1.2.3:8443", false, false},
		{"console.trust.nhs.uk:443", false, false},
		{"10.1.2.3:8443", true, true},
		{":8443", true, true},
		{"nonsense", false, false},
	}
	for _, tt := range tests {
		err := CheckBind(tt.addr, tt.tls)
		if (err == nil) != tt.allow {
			t.Errorf("CheckBind(%q, tls=%v) = %v, want allowed=%v", tt.addr, tt.tls, err, tt.allow)
		}
	}
}

func TestEveryResponseCarriesTheCSP(t *testing.T) {
	e := newEnv(t)
	b := e.login()
	paths := []string{"/", "/assessments", "/assessments/new", "/assessments/AS-999999", "/league", "/fleet", "/fleet/download/csv",
		"/training", "/static/app.css", "/static/progress.js", "/no-such-page", "/assessments/AS-000001/download/pdf"}
	check := func(who string, b *browser) {
		for _, p := range paths {
			resp := b.get(p)
			readAll(t, resp)
			if got := resp.Header.Get("Content-Security-Policy"); got != ContentSecurityPolicy {
				t.Errorf("%s GET %s (%d): CSP %q", who, p, resp.StatusCode, got)
			}
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Referrer-Policy") != "same-origin" {
				t.Errorf("%s GET %s: missing nosniff or the referrer policy", who, p)
			}
		}
	}
	check("signed in", b)
	check("anonymous", e.anonymous())
	if strings.Contains(ContentSecurityPolicy, "unsafe-inline") || strings.Contains(ContentSecurityPolicy, "unsafe-eval") {
		t.Error("CSP allows inline script or style")
	}
	// No template carries an inline script, handler or style the CSP would block.
	for name := range e.srv.pages {
		body := b.page("/")
		_ = name
		for _, bad := range []string{"<script>", " style=", " onclick=", "javascript:"} {
			if strings.Contains(body, bad) {
				t.Errorf("page has %q", bad)
			}
		}
	}
}

func TestUploadsAreSizeLimited(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxUpload = 1 << 10 })
	b := e.login()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("csrf", b.csrf())
	fw, _ := mw.CreateFormFile("workbook", "big.xlsx")
	_, _ = fw.Write(bytes.Repeat([]byte("x"), 3<<20))
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/assessments/AS-000001/workbook", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized upload: %d, want 413", resp.StatusCode)
	}
}

// TestInspectionDay runs an assessment of the typical sandbox from the console and checks
// every page of the day: live progress, findings with redacted exchanges, downloads, the
// interview, the national view.
func TestInspectionDay(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a full assessment against the sandbox")
	}
	e := newEnv(t)
	sb := startSandbox(t, sandbox.Typical)
	b := e.login()
	ref := b.runAssessment(sb)

	var final progress
	if err := json.Unmarshal([]byte(b.waitFinishedOrDone(ref)), &final); err != nil {
		t.Fatal(err)
	}
	if final.Done == 0 || final.Done != final.Total || final.Counts["fail"] == 0 {
		t.Errorf("final progress %+v: want every probe done and the typical profile's failures counted", final)
	}

	page := b.page("/assessments/" + ref)
	for _, want := range []string{"Findings by domain", "FHIR and API conformance", "transport.hsts", "<details>",
		"Expected", "Observed", "Source clause", "Request headers", "Claimed against verified", "Completeness"} {
		if !strings.Contains(page, want) {
			t.Errorf("assessment page lacks %q", want)
		}
	}
	for _, secret := range []string{sb.Token, e.srv.AccessToken()} {
		if strings.Contains(page, secret) {
			t.Error("the assessment page shows a token")
		}
	}

	for format, magic := range map[string]string{"pdf": "%PDF-", "xlsx": "PK", "json": "{"} {
		resp := b.get("/assessments/" + ref + "/download/" + format)
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, magic) {
			t.Errorf("report.%s: %d, starts %q", format, resp.StatusCode, body[:min(len(body), 8)])
		}
	}
	resp := b.post("/assessments/"+ref+"/export", url.Values{"csrf": {b.csrf()}}, nil)
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"signature"`) {
		t.Errorf("signed export: %d %.200s", resp.StatusCode, body)
	}

	// The interview: an answer is an attestation attributed to the person and role, and one
	// that claims more than the probes verified is flagged.
	interview := b.page("/assessments/" + ref + "/interview")
	if !strings.Contains(interview, "Continue with LEAD-01") {
		t.Errorf("interview does not start at the first item")
	}
	save := func(item string, level string, extra url.Values) *http.Response {
		form := url.Values{"csrf": {b.csrf()}, "person": {"Priya Raman"}, "role": {"IG lead"}, "provenance": {"inspector-verified"},
			"status": {"answered"}, "level": {level}, "notes": {"seen the DSA"}, "documents": {"DSA v3 signed 2026-01-12"}}
		for k, v := range extra {
			form[k] = v
		}
		return b.post("/assessments/"+ref+"/interview/"+item, form, nil)
	}
	resp = save("API-02", "4", nil)
	if body := readAll(t, resp); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save answer: %d\n%s", resp.StatusCode, body)
	}
	item := b.page(resp.Header.Get("Location"))
	if !strings.Contains(item, "Saved to the evidence chain") || !strings.Contains(item, "contradicts the evidence") {
		t.Errorf("saved over-claim not flagged:\n%s", item)
	}
	resp = save("LEAD-01", "3", url.Values{"review": {"1"}})
	readAll(t, resp)
	snap, err := e.store.Load(t.Context(), mustID(t, ref))
	if err != nil {
		t.Fatal(err)
	}
	var got []evidence.StoredAttestation
	for _, a := range snap.Attestations {
		if a.ItemID == "API-02" || a.ItemID == "LEAD-01" {
			got = append(got, a)
		}
	}
	if len(got) != 2 || got[0].AnsweredBy != "Priya Raman (IG lead)" || got[0].Provenance != evidence.InspectorVerified {
		t.Fatalf("attestations: %+v", got)
	}
	if !strings.HasPrefix(got[1].Notes, reviewMarker) && !strings.HasPrefix(got[0].Notes, reviewMarker) {
		t.Errorf("mark for review lost: %+v", got)
	}
	if head, err := e.store.IntegrityCheck(t.Context()); err != nil || len(head) != 0 {
		t.Errorf("evidence chain after interview: %v %v", head, err)
	}
	// Resumes where it stopped: the next unanswered item after LEAD-01.
	if !strings.Contains(b.page("/assessments/"+ref+"/interview"), "Continue with LEAD-02") {
		t.Error("the interview does not resume at the first unanswered item")
	}
	// A bad answer is refused with the reason and nothing recorded.
	resp = save("LEAD-02", "9", nil)
	body = readAll(t, resp)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "not saved") {
		t.Errorf("level 9: %d", resp.StatusCode)
	}

	// A file attached to an answer is hashed into the chain and cited by its evidence id.
	doc := []byte("Data sharing agreement v3, signed 2026-01-12")
	resp = b.postMultipart("/assessments/"+ref+"/interview/IG-01", map[string]string{"person": "Priya Raman", "role": "IG lead",
		"provenance": "inspector-verified", "status": "answered", "level": "3"}, "file", "DSA v3.pdf", doc)
	if body := readAll(t, resp); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("answer with a file: %d\n%s", resp.StatusCode, body)
	}
	// A filled-in workbook is imported as jigsaw answers import does.
	resp = b.postMultipart("/assessments/"+ref+"/workbook", map[string]string{"provenance": "self-assessed"},
		"workbook", "self-assessment.xlsx", filledWorkbook(t, sb.Org.ODSCode, sb.Org.Name, "LEAD-03", 2))
	if body := readAll(t, resp); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("workbook import: %d\n%s", resp.StatusCode, body)
	}
	resp = b.postMultipart("/assessments/"+ref+"/workbook", map[string]string{"provenance": "self-assessed"},
		"workbook", "other.xlsx", filledWorkbook(t, "RZZ", "Another trust", "LEAD-03", 2))
	if body := readAll(t, resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "RZZ") {
		t.Errorf("another organisation's workbook: %d", resp.StatusCode)
	}
	snap, err = e.store.Load(t.Context(), mustID(t, ref))
	if err != nil {
		t.Fatal(err)
	}
	byItem := map[string]evidence.StoredAttestation{}
	for _, a := range snap.Attestations {
		byItem[a.ItemID] = a
	}
	var dsa evidence.AttachedFile
	for _, f := range snap.Files {
		if f.Name == "DSA v3.pdf" {
			dsa = f
		}
	}
	if len(byItem["IG-01"].EvidenceRefs) != 1 || byItem["IG-01"].EvidenceRefs[0] != dsa.ID ||
		dsa.SHA256 != fmt.Sprintf("%x", sha256.Sum256(doc)) {
		t.Errorf("attached file not cited by its evidence id: files %+v, IG-01 %+v", snap.Files, byItem["IG-01"])
	}
	if a := byItem["LEAD-03"]; a.Level != 2 || a.Provenance != evidence.SelfAssessed {
		t.Errorf("workbook answer: %+v", a)
	}

	// National view.
	e.seedCentral(ref, sb)
	league := b.page("/league")
	for _, want := range []string{sb.Org.Name, "Peer percentile", "Rating", "Completeness"} {
		if !strings.Contains(league, want) {
			t.Errorf("league page lacks %q", want)
		}
	}
	if !strings.Contains(b.page("/league/"+sb.Org.ODSCode), "2026-Q3") {
		t.Error("history page lacks the cycle")
	}
	fleet := b.page("/fleet")
	if !strings.Contains(fleet, sb.BaseURL()) || !strings.Contains(fleet, "4.0.1") {
		t.Errorf("fleet page lacks the endpoint or its FHIR version")
	}
	csv := b.page("/fleet/download/csv")
	if !strings.HasPrefix(csv, "ods,name,") || !strings.Contains(csv, sb.Org.ODSCode) {
		t.Errorf("fleet CSV:\n%s", csv)
	}
	var fj map[string]any
	if err := json.Unmarshal([]byte(b.page("/fleet/download/json")), &fj); err != nil || fj["endpoints"] != float64(1) {
		t.Errorf("fleet JSON: %v %v", err, fj["endpoints"])
	}
}

func (b *browser) waitFinishedOrDone(ref string) string { return b.waitFinished(ref) }

// postMultipart posts a form with one file, the CSRF token first.
func (b *browser) postMultipart(path string, fields map[string]string, fileField, fileName string, content []byte) *http.Response {
	b.e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("csrf", b.csrf())
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile(fileField, fileName)
	_, _ = fw.Write(content)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.e.ts.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return resp
}

// filledWorkbook fills in the self-assessment template (jigsaw checklist template --xlsx) for
// one organisation with one answer, as an IG lead would: the organisation in B2:B6 of the
// Organisation sheet, the level in column D and the status in column E of the item's row.
func filledWorkbook(t *testing.T, ods, name, item string, level int) []byte {
	t.Helper()
	c, err := checklist.Lookup("nhs-interop@2026.1")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := answers.WriteTemplate(&buf, c, checklist.AcuteTrust); err != nil {
		t.Fatal(err)
	}
	wb, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	set := func(sheet, cell string, v any) {
		if err := wb.SetCellValue(sheet, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	for cell, v := range map[string]string{"B2": ods, "B3": name, "B4": "acute-trust", "B5": "Gareth Llewellyn, IG Manager", "B6": "2026-09-01"} {
		set(answers.SheetOrganisation, cell, v)
	}
	rows, err := wb.GetRows(answers.SheetAnswers)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if len(r) > 0 && r[0] == item {
			set(answers.SheetAnswers, fmt.Sprintf("D%d", i+1), level)
			set(answers.SheetAnswers, fmt.Sprintf("E%d", i+1), "answered")
		}
	}
	buf.Reset()
	if err := wb.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func mustID(t *testing.T, ref string) int64 {
	t.Helper()
	id, err := evidence.ParseAssessmentID(ref)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestTrainingDebrief(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a full assessment against the sandbox")
	}
	e := newEnv(t)
	b := e.login()
	if !strings.Contains(b.page("/training"), "Fenwick Vale") {
		t.Fatal("training ground lists no legacy scenario")
	}
	resp := b.post("/training", url.Values{"csrf": {b.csrf()}, "scenario": {"legacy"}, "trainee": {"Sam Trainee"}}, nil)
	readAll(t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("start training: %d", resp.StatusCode)
	}
	ref := strings.TrimPrefix(resp.Header.Get("Location"), "/training/")
	b.waitFinished(ref)
	run := b.page("/training/" + ref)
	if strings.Contains(run, "legacy.tls10") {
		t.Error("the training page gives away the known answers")
	}
	// Call two real defects and one the scenario does not have.
	resp = b.post("/training/"+ref+"/findings", url.Values{"csrf": {b.csrf()},
		"defect": {"transport.hsts", "security.auth.required", "fhir.search.paging"}, "notes": {"first go"}}, nil)
	readAll(t, resp)
	debrief := b.page("/training/" + ref + "/debrief")
	for _, want := range []string{"found,", "over-called", "fhir.search.paging", "transport.tls.version", "Missed"} {
		if !strings.Contains(debrief, want) {
			t.Errorf("debrief lacks %q", want)
		}
	}
}

func TestCompare(t *testing.T) {
	known := []Defect{{ID: "a", ProbeID: "p1"}, {ID: "b", ProbeID: "p2"}, {ID: "c", ProbeID: "p2"}}
	d := compare(known, map[string]bool{"p2": true, "p9": true})
	if len(d.Found) != 2 || len(d.Missed) != 1 || d.Missed[0].ID != "a" || len(d.OverCalled) != 1 || d.OverCalled[0] != "p9" {
		t.Errorf("compare: %+v", d)
	}
}
