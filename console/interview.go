package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nhs-jigsaw/jigsaw/answers"
	"github.com/nhs-jigsaw/jigsaw/assess"
	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/reports"
)

// domainRoles says whom an inspector usually asks about each domain of the built-in
// checklist. It only groups the interview; an inspector may ask anyone. Domains of other
// checklists fall under "Anyone".
var domainRoles = map[string]string{
	"leadership":             "Chief Information Officer / Chief Digital Officer",
	"information-governance": "IG lead, DPO and Caldicott Guardian",
	"patient-identity":       "Integration lead and data quality team",
	"terminology":            "Chief Clinical Information Officer",
	"fhir-api":               "Integration lead",
	"national-services":      "Integration lead",
	"identity-access":        "IT security lead",
	"shared-care":            "Chief Clinical Information Officer",
	"clinical-safety":        "Clinical Safety Officer",
	"cyber-resilience":       "IT security lead",
	"vendor-contracts":       "Head of procurement and contracts",
	"workforce":              "Workforce and training lead",
}

// reviewMarker starts the note of an answer marked for review, so the mark survives in the
// evidence chain and the interview can list what to come back to.
const reviewMarker = "[For review] "

func roleOf(domainID string) string {
	if r, ok := domainRoles[domainID]; ok {
		return r
	}
	return "Anyone"
}

// interviewRow is one item in the interview list.
type interviewRow struct {
	Item      checklist.Item
	Domain    checklist.Domain
	Role      string
	Answer    *evidence.StoredAttestation
	Result    reports.Item
	ForReview bool
}

type interviewState struct {
	A      evidence.Assessment
	C      *checklist.Checklist
	Rows   []interviewRow
	Files  []evidence.AttachedFile
	Report *reports.Report
}

func (s *Server) interviewState(ctx context.Context, ref string) (*interviewState, error) {
	scored, rep, err := s.loadReport(ctx, ref)
	if err != nil {
		return nil, err
	}
	latest := map[string]*evidence.StoredAttestation{}
	for i := range scored.Snapshot.Attestations {
		a := &scored.Snapshot.Attestations[i]
		latest[a.ItemID] = a
	}
	results := map[string]reports.Item{}
	for _, it := range rep.Items {
		results[it.ID] = it
	}
	st := &interviewState{A: scored.Snapshot.Assessment, C: scored.Checklist, Files: scored.Snapshot.Files, Report: rep}
	for _, d := range scored.Checklist.Domains {
		for _, it := range d.Items {
			row := interviewRow{Item: it, Domain: d, Role: roleOf(d.ID), Answer: latest[it.ID], Result: results[it.ID]}
			row.ForReview = row.Answer != nil && strings.HasPrefix(row.Answer.Notes, reviewMarker)
			st.Rows = append(st.Rows, row)
		}
	}
	return st, nil
}

// filter keeps the rows of one domain and/or one role.
func (st *interviewState) filter(domain, role string) []interviewRow {
	var out []interviewRow
	for _, r := range st.Rows {
		if (domain == "" || r.Domain.ID == domain) && (role == "" || r.Role == role) {
			out = append(out, r)
		}
	}
	return out
}

// next is the first row after item (in the filtered order) not yet answered, else the first
// unanswered row anywhere in the filter: the interview resumes where it stopped.
func next(rows []interviewRow, after string) *interviewRow {
	start := slices.IndexFunc(rows, func(r interviewRow) bool { return r.Item.ID == after }) + 1
	for i := 0; i < len(rows); i++ {
		r := &rows[(start+i)%len(rows)]
		if r.Answer == nil && r.Item.ID != after {
			return r
		}
	}
	return nil
}

func (s *Server) interviewIndex(w http.ResponseWriter, r *http.Request) {
	st, err := s.interviewState(r.Context(), r.PathValue("ref"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	domain, role := r.URL.Query().Get("domain"), r.URL.Query().Get("role")
	rows := st.filter(domain, role)
	var roles []string
	for _, row := range st.Rows {
		if !slices.Contains(roles, row.Role) {
			roles = append(roles, row.Role)
		}
	}
	slices.Sort(roles)
	answered, review := 0, 0
	for _, row := range rows {
		if row.Answer != nil {
			answered++
		}
		if row.ForReview {
			review++
		}
	}
	type group struct {
		Domain checklist.Domain
		Role   string
		Rows   []interviewRow
	}
	var groups []group
	for _, row := range rows {
		if n := len(groups); n == 0 || groups[n-1].Domain.ID != row.Domain.ID {
			groups = append(groups, group{Domain: row.Domain, Role: row.Role})
		}
		groups[len(groups)-1].Rows = append(groups[len(groups)-1].Rows, row)
	}
	s.render(w, r, "interview", "Interview: "+st.A.Org.Name, map[string]any{
		"S": st, "Rows": rows, "Groups": groups, "Roles": roles, "Domain": domain, "Role": role, "Next": next(rows, ""),
		"Answered": answered, "Review": review, "Query": filterQuery(domain, role),
	})
}

func filterQuery(domain, role string) string {
	q := url.Values{}
	if domain != "" {
		q.Set("domain", domain)
	}
	if role != "" {
		q.Set("role", role)
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

func (s *Server) interviewItem(w http.ResponseWriter, r *http.Request) {
	s.showItem(w, r, http.StatusOK, nil)
}

func (s *Server) showItem(w http.ResponseWriter, r *http.Request, status int, problem error) {
	st, err := s.interviewState(r.Context(), r.PathValue("ref"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id := r.PathValue("item")
	i := slices.IndexFunc(st.Rows, func(row interviewRow) bool { return row.Item.ID == id })
	if i < 0 {
		s.refuse(w, r, http.StatusNotFound, fmt.Sprintf("Checklist %s has no item %s.", st.C.Ref(), id))
		return
	}
	row := st.Rows[i]
	domain, role := r.URL.Query().Get("domain"), r.URL.Query().Get("role")
	rows := st.filter(domain, role)
	var findings []reports.ProbeResult
	for _, pc := range row.Result.Probes {
		for _, pr := range st.Report.Probes {
			if pr.ProbeID == pc.ProbeID {
				findings = append(findings, pr)
			}
		}
	}
	levels := []struct {
		N         int
		Statement string
	}{}
	for n := 1; n <= 4; n++ {
		levels = append(levels, struct {
			N         int
			Statement string
		}{n, row.Item.Levels.Statement(n)})
	}
	var files []evidence.AttachedFile
	if row.Answer != nil {
		for _, f := range st.Files {
			if slices.Contains(row.Answer.EvidenceRefs, f.ID) {
				files = append(files, f)
			}
		}
	}
	prov := r.URL.Query().Get("as")
	if row.Answer != nil && prov == "" {
		prov = string(row.Answer.Provenance)
	}
	msg := ""
	if problem != nil {
		msg = problem.Error()
	}
	s.renderStatus(w, r, status, "item", row.Item.ID+" "+row.Item.Title, map[string]any{
		"S": st, "Row": row, "Levels": levels, "Probes": findings, "Files": files, "Provenance": prov,
		"Next": next(rows, id), "Query": filterQuery(domain, role), "Saved": r.URL.Query().Get("saved") != "",
		"Problem": msg, "MaxUpload": s.cfg.MaxUpload >> 20,
	})
}

// saveAnswer records one answer the way a workbook or answers file is imported: the form
// becomes a one-answer answers file, checked by answers.Parse against the checklist and
// recorded by assess.ImportAnswers as an attestation in the evidence chain. An attached
// file is hashed into the chain first and cited by its evidence id.
func (s *Server) saveAnswer(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ref, itemID := r.PathValue("ref"), r.PathValue("item")
	a, c, err := s.assessmentAndChecklist(ctx, ref)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, _, ok := c.Item(itemID); !ok {
		s.refuse(w, r, http.StatusNotFound, fmt.Sprintf("Checklist %s has no item %s.", c.Ref(), itemID))
		return
	}
	f := r.PostFormValue
	person, role := strings.TrimSpace(f("person")), strings.TrimSpace(f("role"))
	if person == "" || role == "" {
		s.showItem(w, r, http.StatusBadRequest, errors.New("say who answered and their role: the answer is attributed to them in the evidence chain"))
		return
	}
	ans := answers.Answer{
		Item: itemID, Status: answers.Status(f("status")), Provenance: answers.Provenance(f("provenance")),
		Notes: strings.TrimSpace(f("notes")), Owner: role,
	}
	if ans.Status == answers.Answered {
		if ans.Level, err = strconv.Atoi(f("level")); err != nil {
			s.showItem(w, r, http.StatusBadRequest, errors.New("choose the level the answer supports (1 to 4)"))
			return
		}
	}
	if f("review") != "" {
		ans.Notes = reviewMarker + ans.Notes
	}
	for _, d := range strings.Split(f("documents"), "\n") {
		if d = strings.TrimSpace(d); d != "" {
			ans.Evidence = append(ans.Evidence, answers.Document{Name: d})
		}
	}
	var files []assess.Attachment
	if file, hdr, err := r.FormFile("file"); err == nil {
		content, err := io.ReadAll(io.LimitReader(file, s.cfg.MaxUpload+1))
		file.Close()
		if err != nil || int64(len(content)) > s.cfg.MaxUpload {
			s.showItem(w, r, http.StatusBadRequest, fmt.Errorf("attached file: could not read it whole (at most %d MiB)", s.cfg.MaxUpload>>20))
			return
		}
		name := path.Base(strings.ReplaceAll(hdr.Filename, "\\", "/"))
		files = append(files, assess.Attachment{Name: name, Content: content})
		ans.Evidence = append(ans.Evidence, answers.Document{Name: name})
	} else if !errors.Is(err, http.ErrMissingFile) && !errors.Is(err, http.ErrNotMultipart) {
		s.showItem(w, r, http.StatusBadRequest, fmt.Errorf("attached file: %w", err))
		return
	}
	now := s.cfg.Now().UTC()
	doc := answers.File{
		Checklist:    c.Ref(),
		Organisation: answers.Organisation{ODS: a.Org.ODSCode, Name: a.Org.Name, Type: a.Org.Type},
		AnsweredBy:   person + " (" + role + ")",
		AnsweredAt:   now.Format(time.RFC3339),
		Answers:      []answers.Answer{ans},
	}
	data, err := json.Marshal(doc)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	parsed, err := answers.Parse("console interview "+itemID, data, answers.WithChecklist(c, now))
	if err != nil {
		s.showItem(w, r, http.StatusBadRequest, err)
		return
	}
	// The same path as jigsaw answers import --attach: the file is hashed into the chain first
	// and the answer cites it by its evidence id.
	note := fmt.Sprintf("attached in the console to %s by %s (%s)", itemID, person, role)
	if _, err := assess.ImportAnswersWithFiles(ctx, s.cfg.Store, a.ID, parsed, files, true, note); err != nil {
		s.showItem(w, r, http.StatusBadRequest, err)
		return
	}
	q := r.URL.Query()
	q.Set("saved", "1")
	q.Set("as", string(ans.Provenance))
	http.Redirect(w, r, "/assessments/"+ref+"/interview/"+itemID+"?"+q.Encode(), http.StatusSeeOther)
}
