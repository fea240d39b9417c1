package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/probes"
)

// Scenario is one training organisation: a sandbox profile and its documented defects, the
// known answers a trainee's findings are compared with.
type Scenario struct {
	Name        string
	Title       string
	ODS         string
	OrgName     string
	OrgType     checklist.OrgType
	Description string
	Defects     []Defect
}

// Defect is one documented departure from good practice and the probe that finds it.
type Defect struct {
	ID, Description, ProbeID string
}

// Instance is a running scenario: the targets to assess and how to stop it.
type Instance struct {
	Target    probes.Target
	GPConnect *probes.Target
	Close     func()
}

// Sandboxes runs the training ground's scenarios. The command wires the sandbox package in,
// so the console itself never links it.
type Sandboxes interface {
	Scenarios() []Scenario
	Start(ctx context.Context, name string) (*Instance, error)
}

// training is a trainee's run of a scenario.
type training struct {
	scenario Scenario
	trainee  string
	inst     *Instance
	stopOnce sync.Once

	mu     sync.Mutex
	called map[string]bool // probe ids the trainee called as defects
	notes  string
	closed bool
}

func (t *training) stop() {
	t.stopOnce.Do(func() {
		if t.inst != nil && t.inst.Close != nil {
			t.inst.Close()
		}
	})
}

func (s *Server) scenario(name string) (Scenario, bool) {
	if s.cfg.Sandboxes == nil {
		return Scenario{}, false
	}
	for _, sc := range s.cfg.Sandboxes.Scenarios() {
		if sc.Name == name {
			return sc, true
		}
	}
	return Scenario{}, false
}

func (s *Server) needTraining(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.Sandboxes == nil {
		s.refuse(w, r, http.StatusNotFound, "This console was started without the training ground.")
		return false
	}
	return true
}

func (s *Server) trainingIndex(w http.ResponseWriter, r *http.Request) {
	if !s.needTraining(w, r) {
		return
	}
	s.mu.Lock()
	var runs []map[string]any
	for ref, t := range s.training {
		runs = append(runs, map[string]any{"Ref": ref, "Scenario": t.scenario.Title, "Trainee": t.trainee})
	}
	s.mu.Unlock()
	slices.SortFunc(runs, func(a, b map[string]any) int { return strings.Compare(a["Ref"].(string), b["Ref"].(string)) })
	s.render(w, r, "training", "Training ground", map[string]any{"Scenarios": s.cfg.Sandboxes.Scenarios(), "Runs": runs})
}

// trainingStart starts the scenario's sandbox and assesses it with the same workflow as the
// inspection day, recorded in the evidence database with cycle "training".
func (s *Server) trainingStart(w http.ResponseWriter, r *http.Request) {
	if !s.needTraining(w, r) {
		return
	}
	sc, ok := s.scenario(r.PostFormValue("scenario"))
	trainee := strings.TrimSpace(r.PostFormValue("trainee"))
	if !ok || trainee == "" {
		s.badRequest(w, r, errors.New("choose a scenario and give the trainee's name"))
		return
	}
	inst, err := s.cfg.Sandboxes.Start(background(), sc.Name)
	if err != nil {
		s.fail(w, r, fmt.Errorf("start scenario %s: %w", sc.Name, err))
		return
	}
	t := &training{scenario: sc, trainee: trainee, inst: inst, called: map[string]bool{}}
	p := Preset{ODS: sc.ODS, Name: sc.OrgName, Type: sc.OrgType, Region: "Training"}
	req := runRequest{preset: p, cycle: "training"}
	ref, err := s.launchTargets(req, inst.Target, inst.GPConnect)
	if err != nil {
		t.stop()
		s.fail(w, r, err)
		return
	}
	s.mu.Lock()
	s.training[ref] = t
	s.mu.Unlock()
	http.Redirect(w, r, "/training/"+ref, http.StatusSeeOther)
}

func (s *Server) trainingFor(w http.ResponseWriter, r *http.Request) (string, *training) {
	ref := r.PathValue("ref")
	s.mu.Lock()
	t := s.training[ref]
	s.mu.Unlock()
	if t == nil {
		s.refuse(w, r, http.StatusNotFound, "No training run "+ref+" in this console.")
	}
	return ref, t
}

// trainingPage shows the run's probe results for the trainee to judge, without the answers.
func (s *Server) trainingPage(w http.ResponseWriter, r *http.Request) {
	if !s.needTraining(w, r) {
		return
	}
	ref, t := s.trainingFor(w, r)
	if t == nil {
		return
	}
	if j := s.jobFor(ref); j != nil {
		if p, _ := j.snapshot(); !p.Finished {
			s.render(w, r, "running", "Training run "+ref, p)
			return
		}
	}
	_, rep, err := s.loadReport(r.Context(), ref)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	t.mu.Lock()
	called := map[string]bool{}
	for k, v := range t.called {
		called[k] = v
	}
	notes := t.notes
	t.mu.Unlock()
	s.render(w, r, "trainingrun", "Training: "+t.scenario.Title, map[string]any{
		"Ref": ref, "T": t.scenario, "Trainee": t.trainee, "R": rep, "Domains": groupByDomain(rep), "Called": called, "Notes": notes,
	})
}

func (s *Server) trainingFindings(w http.ResponseWriter, r *http.Request) {
	if !s.needTraining(w, r) {
		return
	}
	ref, t := s.trainingFor(w, r)
	if t == nil {
		return
	}
	called := map[string]bool{}
	for _, id := range r.PostForm["defect"] {
		if s.cfg.Registry.Has(id) {
			called[id] = true
		}
	}
	t.mu.Lock()
	t.called, t.notes, t.closed = called, strings.TrimSpace(r.PostFormValue("notes")), true
	t.mu.Unlock()
	t.stop()
	http.Redirect(w, r, "/training/"+ref+"/debrief", http.StatusSeeOther)
}

// debrief compares what the trainee called with the scenario's documented defects, by the
// probe that finds each.
type debrief struct {
	Found, Missed []Defect
	OverCalled    []string
}

func compare(known []Defect, called map[string]bool) debrief {
	var d debrief
	knownProbes := map[string]bool{}
	for _, k := range known {
		knownProbes[k.ProbeID] = true
		if called[k.ProbeID] {
			d.Found = append(d.Found, k)
		} else {
			d.Missed = append(d.Missed, k)
		}
	}
	for id := range called {
		if !knownProbes[id] {
			d.OverCalled = append(d.OverCalled, id)
		}
	}
	slices.Sort(d.OverCalled)
	return d
}

func (s *Server) trainingDebrief(w http.ResponseWriter, r *http.Request) {
	if !s.needTraining(w, r) {
		return
	}
	ref, t := s.trainingFor(w, r)
	if t == nil {
		return
	}
	t.mu.Lock()
	closed, called, notes := t.closed, t.called, t.notes
	t.mu.Unlock()
	if !closed {
		s.refuse(w, r, http.StatusConflict, "Record your findings first: the debrief shows the known answers.")
		return
	}
	_, rep, err := s.loadReport(r.Context(), ref)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, "debrief", "Debrief: "+t.scenario.Title, map[string]any{
		"Ref": ref, "T": t.scenario, "Trainee": t.trainee, "D": compare(t.scenario.Defects, called), "Notes": notes, "R": rep,
	})
}
