package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nhs-jigsaw/jigsaw/answers"
	"github.com/nhs-jigsaw/jigsaw/assess"
	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/reports"
	"github.com/nhs-jigsaw/jigsaw/submission"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// progress is what the live view shows of a run.
type progress struct {
	Ref      string         `json:"ref"`
	Org      string         `json:"org"`
	Total    int            `json:"total"`
	Done     int            `json:"done"`
	Counts   map[string]int `json:"counts"`
	Last     string         `json:"last,omitempty"`
	Finished bool           `json:"finished"`
	Error    string         `json:"error,omitempty"`
	// Incomplete says why the assessment was stored as incomplete.
	Incomplete []string `json:"incomplete,omitempty"`
}

// job is one assessment run started from the console. Its token lives only in the run's
// target, in memory, until the run ends.
type job struct {
	cancel context.CancelFunc
	ods    string

	mu      sync.Mutex
	state   progress
	changed chan struct{} // closed and replaced on every change
}

func newJob(ods, org string, cancel context.CancelFunc) *job {
	return &job{cancel: cancel, ods: ods, changed: make(chan struct{}),
		state: progress{Org: org, Counts: map[string]int{}}}
}

func (j *job) update(fn func(p *progress)) {
	j.mu.Lock()
	fn(&j.state)
	close(j.changed)
	j.changed = make(chan struct{})
	j.mu.Unlock()
}

func (j *job) snapshot() (progress, <-chan struct{}) {
	j.mu.Lock()
	defer j.mu.Unlock()
	p := j.state
	p.Counts = map[string]int{}
	for k, v := range j.state.Counts {
		p.Counts[k] = v
	}
	return p, j.changed
}

// Start, Finished and Stop make a job the runner's progress display.
func (j *job) Start(total int) { j.update(func(p *progress) { p.Total += total }) }
func (j *job) Finished(r probes.Result) {
	j.update(func(p *progress) {
		p.Done++
		p.Counts[string(r.Status)]++
		p.Last = r.ProbeID + ": " + string(r.Status)
	})
}
func (j *job) Stop() {}

// runRequest is a validated request to run an assessment.
type runRequest struct {
	preset    Preset
	token     string
	cycle     string
	inspector string
}

func (s *Server) assessmentList(w http.ResponseWriter, r *http.Request) {
	list, err := s.cfg.Store.ListAssessments(r.Context(), evidence.AssessmentFilter{ODSCode: r.URL.Query().Get("org")})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, "assessments", "Assessments", map[string]any{"List": list, "DB": s.cfg.Store.Path()})
}

func (s *Server) newAssessmentForm(w http.ResponseWriter, r *http.Request) {
	s.showNewForm(w, r, http.StatusOK, Preset{FHIRVersion: probes.R4, TokenEnv: "JIGSAW_TOKEN"}, nil)
}

func (s *Server) showNewForm(w http.ResponseWriter, r *http.Request, status int, p Preset, problem error) {
	presets, err := s.loadPresets()
	if err != nil {
		problem = errors.Join(problem, err)
	}
	if ods := r.URL.Query().Get("preset"); ods != "" && problem == nil {
		if q, ok := s.preset(ods); ok {
			p = q
		}
	}
	var msgs []string
	if problem != nil {
		msgs = strings.Split(problem.Error(), "\n")
	}
	s.renderStatus(w, r, status, "new", "Start an assessment", map[string]any{
		"Presets": presets, "P": p, "Types": checklist.OrgTypes(), "Problems": msgs, "Checklist": s.cfg.Checklist.Ref(),
		"CanSave": s.cfg.PresetsFile != "",
	})
}

func (s *Server) savePreset(w http.ResponseWriter, r *http.Request) {
	p, err := presetFromForm(r.PostFormValue)
	if err == nil {
		err = s.storePreset(p)
	}
	if err != nil {
		s.showNewForm(w, r, http.StatusBadRequest, p, err)
		return
	}
	http.Redirect(w, r, "/assessments/new?preset="+p.ODS, http.StatusSeeOther)
}

// startAssessment runs jigsaw assess's workflow (assess.Run) in the background and sends the
// browser to the live view.
func (s *Server) startAssessment(w http.ResponseWriter, r *http.Request) {
	p, err := presetFromForm(r.PostFormValue)
	if err != nil {
		s.showNewForm(w, r, http.StatusBadRequest, p, err)
		return
	}
	token := r.PostFormValue("token")
	if token == "" && p.TokenEnv != "" && s.cfg.Getenv != nil {
		token = s.cfg.Getenv(p.TokenEnv)
	}
	req := runRequest{preset: p, token: token, cycle: strings.TrimSpace(r.PostFormValue("cycle")), inspector: strings.TrimSpace(r.PostFormValue("inspector"))}
	main, gpc := p.targets(token)
	ref, err := s.launchTargets(req, main, gpc)
	if err != nil {
		s.showNewForm(w, r, http.StatusBadRequest, p, err)
		return
	}
	http.Redirect(w, r, "/assessments/"+ref, http.StatusSeeOther)
}

// launchTargets starts an assessment run of the targets, with the console's checklist, and
// returns the assessment's reference once it exists.
func (s *Server) launchTargets(req runRequest, main probes.Target, gpc *probes.Target) (string, error) {
	c := s.cfg.Checklist
	ctx, cancel := context.WithCancel(background())
	j := newJob(req.preset.ODS, req.preset.Name, cancel)
	created := make(chan string, 1)
	failed := make(chan error, 1)
	runner := probes.Runner{Client: probes.ClientOptions{UserAgent: s.cfg.UserAgent}, Progress: j}
	go func() {
		defer cancel()
		// The reference is known once the runner starts; report it to the request waiting.
		go func() {
			for {
				p, ch := j.snapshot()
				if p.Finished {
					return
				}
				if p.Total > 0 {
					if a, err := s.cfg.Store.LatestAssessment(ctx, req.preset.ODS); err == nil {
						select {
						case created <- a.Ref:
						default:
						}
					}
					return
				}
				select {
				case <-ch:
				case <-ctx.Done():
					return
				}
			}
		}()
		out, err := assess.Run(ctx, s.cfg.Store, assess.Options{
			Checklist: c,
			Org: evidence.Organisation{ODSCode: req.preset.ODS, Name: req.preset.Name, Type: req.preset.Type,
				Region: req.preset.Region},
			Target: main, GPConnect: gpc, Registry: s.cfg.Registry, Runner: runner,
			Cycle: req.cycle, ToolVersion: s.cfg.ToolVersion,
		})
		j.update(func(p *progress) {
			p.Finished = true
			if out != nil {
				p.Ref = out.Assessment.Ref
				p.Incomplete = out.Incomplete
			}
			if err != nil {
				p.Error = err.Error()
			}
		})
		if out != nil && out.Assessment.Ref != "" {
			select {
			case created <- out.Assessment.Ref:
			default:
			}
		} else {
			if err == nil {
				err = errors.New("the assessment was not recorded")
			}
			failed <- err
		}
	}()
	select {
	case ref := <-created:
		j.update(func(p *progress) { p.Ref = ref })
		s.mu.Lock()
		s.jobs[ref] = j
		s.mu.Unlock()
		return ref, nil
	case err := <-failed:
		return "", err
	case <-time.After(time.Minute):
		cancel()
		return "", errors.New("the assessment did not start within a minute")
	}
}

func (s *Server) jobFor(ref string) *job {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.jobs[ref]
}

// assessmentEvents streams a run's progress as server-sent events until it finishes.
func (s *Server) assessmentEvents(w http.ResponseWriter, r *http.Request) {
	j := s.jobFor(r.PathValue("ref"))
	if j == nil {
		s.refuse(w, r, http.StatusNotFound, "No run of this assessment is in progress in this console.")
		return
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	for {
		p, ch := j.snapshot()
		b, _ := json.Marshal(p)
		event := "progress"
		if p.Finished {
			event = "finished"
		}
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b)
		fl.Flush()
		if p.Finished {
			return
		}
		select {
		case <-ch:
		case <-r.Context().Done():
			return
		case <-time.After(15 * time.Second):
			fmt.Fprint(w, ": keep-alive\n\n")
		}
	}
}

// loadReport reads an assessment back and builds the report model the PDF and XLSX render,
// exactly as jigsaw report does.
func (s *Server) loadReport(ctx context.Context, ref string) (*assess.Scored, *reports.Report, error) {
	id, err := evidence.ParseAssessmentID(ref)
	if err != nil {
		return nil, nil, fmt.Errorf("assessment %q: %w", ref, evidence.ErrNotFound)
	}
	scored, err := assess.Score(ctx, s.cfg.Store, id, s.cfg.FindChecklist)
	if err != nil {
		return nil, nil, err
	}
	rep, err := reports.Build(assess.ReportInput(scored, s.cfg.Now().UTC(), "jigsaw "+s.cfg.ToolVersion))
	if err != nil {
		return nil, nil, fmt.Errorf("build report: %w", err)
	}
	return scored, rep, nil
}

// domainFindings groups probe results by the checklist domain of the items they evidence.
type domainFindings struct {
	Domain   reports.Domain
	Results  []reports.ProbeResult
	Failures int
}

func groupByDomain(rep *reports.Report) []domainFindings {
	domainOf := map[string]string{}
	for _, it := range rep.Items {
		for _, pc := range it.Probes {
			if _, ok := domainOf[pc.ProbeID]; !ok {
				domainOf[pc.ProbeID] = it.DomainID
			}
		}
	}
	var out []domainFindings
	for _, d := range rep.Domains {
		df := domainFindings{Domain: d}
		for _, pr := range rep.Probes {
			if domainOf[pr.ProbeID] == d.ID {
				df.Results = append(df.Results, pr)
				if pr.Status == verdict.Fail || pr.Status == verdict.Warn {
					df.Failures++
				}
			}
		}
		if len(df.Results) > 0 {
			// Failures first, as the report lists them.
			slices.SortStableFunc(df.Results, func(a, b reports.ProbeResult) int {
				return statusRank(a.Status) - statusRank(b.Status)
			})
			out = append(out, df)
		}
	}
	return out
}

func statusRank(s verdict.Status) int {
	switch s {
	case verdict.Fail:
		return 0
	case verdict.Warn:
		return 1
	case verdict.Error:
		return 2
	case verdict.Pass:
		return 5
	case verdict.Info:
		return 3
	}
	return 4
}

// shownExchange is an HTTP exchange as the console shows it: headers and bodies redacted
// again on the way out, whatever the assessment stored.
type shownExchange struct {
	evidence.ExchangeSummary
	RequestHeaders, ResponseHeaders []string
	ResponseBody                    string
	BodyNote                        string
	TLS                             string
}

func (s *Server) assessmentPage(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("ref")
	j := s.jobFor(ref)
	if j != nil {
		if p, _ := j.snapshot(); !p.Finished {
			s.render(w, r, "running", "Assessment "+ref+" running", p)
			return
		}
	}
	scored, rep, err := s.loadReport(r.Context(), ref)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	snap := scored.Snapshot
	red := evidence.NewRedactor(false)
	exchanges := map[string]shownExchange{}
	for _, ex := range snap.Exchanges {
		full, err := s.cfg.Store.Exchange(r.Context(), ex.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		exchanges[ex.ID] = showExchange(red, full)
	}
	var runErr string
	var incomplete []string
	if j != nil {
		p, _ := j.snapshot()
		runErr, incomplete = p.Error, p.Incomplete
	}
	s.render(w, r, "assessment", "Assessment "+ref, map[string]any{
		"A": snap.Assessment, "R": rep, "Domains": groupByDomain(rep), "Exchanges": exchanges,
		"Signing": s.cfg.SigningKey != nil, "RunError": runErr, "Incomplete": incomplete,
	})
}

func showExchange(red *evidence.Redactor, e evidence.StoredExchange) shownExchange {
	out := shownExchange{ExchangeSummary: e.ExchangeSummary}
	out.URL = red.RedactURL(e.URL)
	out.Error = red.RedactText(e.Error)
	hdrs := func(h http.Header) []string {
		kept, _ := red.Headers(h)
		var lines []string
		for k, vs := range kept {
			for _, v := range vs {
				lines = append(lines, k+": "+red.RedactText(v))
			}
		}
		slices.Sort(lines)
		return lines
	}
	out.RequestHeaders, out.ResponseHeaders = hdrs(e.RequestHeaders), hdrs(e.ResponseHeaders)
	switch {
	case len(e.ResponseBody) == 0:
		out.BodyNote = fmt.Sprintf("Body not kept (%s): %d bytes, sha256 %s", e.ResponseBodyMode, e.ResponseSize, e.ResponseSHA256)
	default:
		body, err := red.RedactJSON(e.ResponseBody)
		if err != nil {
			body = []byte(red.RedactText(string(e.ResponseBody)))
		}
		var pretty bytes.Buffer
		if json.Indent(&pretty, body, "", "  ") == nil {
			body = pretty.Bytes()
		}
		const maxShown = 64 << 10
		if len(body) > maxShown {
			out.BodyNote = fmt.Sprintf("First %d KiB of %d bytes shown.", maxShown>>10, len(body))
			body = body[:maxShown]
		}
		out.ResponseBody = string(body)
	}
	if e.TLS != nil {
		out.TLS = e.TLS.Version + " " + e.TLS.CipherSuite
	}
	return out
}

// downloadReport renders the PDF, XLSX or JSON report with the reports package.
func (s *Server) downloadReport(w http.ResponseWriter, r *http.Request) {
	render := map[string]struct {
		fn   func(io.Writer, *reports.Report) error
		mime string
	}{
		"pdf":  {reports.RenderPDF, "application/pdf"},
		"xlsx": {reports.RenderXLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		"json": {reports.RenderJSON, "application/json"},
	}
	format := r.PathValue("format")
	f, ok := render[format]
	if !ok {
		s.refuse(w, r, http.StatusNotFound, "Reports come as pdf, xlsx or json.")
		return
	}
	ref := r.PathValue("ref")
	_, rep, err := s.loadReport(r.Context(), ref)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := f.fn(&buf, rep); err != nil {
		s.fail(w, r, fmt.Errorf("render %s report: %w", format, err))
		return
	}
	sendFile(w, f.mime, fmt.Sprintf("%s-%s.%s", rep.Organisation.ODS, ref, format), buf.Bytes())
}

func sendFile(w http.ResponseWriter, mime, name string, data []byte) {
	w.Header().Set("Content-Type", mime)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	w.Header().Set("Content-Length", fmt.Sprint(len(data)))
	_, _ = w.Write(data)
}

// downloadExport signs the assessment as a submission with the console's key, as jigsaw
// export does.
func (s *Server) downloadExport(w http.ResponseWriter, r *http.Request) {
	if s.cfg.SigningKey == nil {
		s.refuse(w, r, http.StatusConflict, "This console has no signing key. Start it with jigsaw serve --key FILE (make one with jigsaw keys generate) to sign exports.")
		return
	}
	ref := r.PathValue("ref")
	id, err := evidence.ParseAssessmentID(ref)
	if err != nil {
		s.badRequest(w, r, err)
		return
	}
	payload, err := assess.Submission(r.Context(), s.cfg.Store, id, s.cfg.FindChecklist, s.cfg.ToolVersion, s.cfg.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data, err := submission.Sign(payload, s.cfg.SigningKey)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sendFile(w, "application/json", fmt.Sprintf("%s-%s-signed.json", payload.Organisation.ODS, ref), data)
}

// importWorkbook imports a filled-in self-assessment workbook into the assessment, as
// jigsaw answers import does.
func (s *Server) importWorkbook(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("ref")
	a, c, err := s.assessmentAndChecklist(r.Context(), ref)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	file, hdr, err := r.FormFile("workbook")
	if err != nil {
		s.badRequest(w, r, errors.New("choose the workbook (.xlsx) to import"))
		return
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, s.cfg.MaxUpload+1))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	prov := answers.Provenance(r.PostFormValue("provenance"))
	if !slices.Contains(answers.Provenances(), prov) {
		prov = answers.SelfAssessed
	}
	f, err := answers.ParseXLSX(hdr.Filename, data, c, prov)
	if err != nil {
		s.badRequest(w, r, err)
		return
	}
	if f.Organisation.ODS != a.Org.ODSCode {
		s.badRequest(w, r, fmt.Errorf("%s answers for %s (%s), but assessment %s is of %s (%s)",
			hdr.Filename, f.Organisation.Name, f.Organisation.ODS, a.Ref, a.Org.Name, a.Org.ODSCode))
		return
	}
	if _, err := assess.ImportAnswers(r.Context(), s.cfg.Store, a.ID, f); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/assessments/"+ref+"/interview", http.StatusSeeOther)
}

func (s *Server) assessmentAndChecklist(ctx context.Context, ref string) (evidence.Assessment, *checklist.Checklist, error) {
	id, err := evidence.ParseAssessmentID(ref)
	if err != nil {
		return evidence.Assessment{}, nil, fmt.Errorf("assessment %q: %w", ref, evidence.ErrNotFound)
	}
	a, err := s.cfg.Store.Assessment(ctx, id)
	if err != nil {
		return a, nil, err
	}
	c, err := assess.FindChecklist(a, s.cfg.FindChecklist)
	return a, c, err
}
