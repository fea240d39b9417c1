// Package console is jigsaw serve: a local web console for the inspection day, the guided
// interview, a trust's self-assessment, the national view and the training ground. It is one
// more front door beside the command line: its handlers call the packages the commands call
// (assess, evidence, answers, reports, submission, league, fleet) and render what they return
// with html/template. Every asset is embedded; nothing is fetched from the network.
//
// Safe by default: the console listens on loopback unless told otherwise (and then only with
// TLS), admits a browser only after it presents the random access token printed at start (the
// token is exchanged for an HttpOnly, SameSite=Strict session cookie), checks a per-session
// CSRF token and the Origin / Sec-Fetch-Site of every form post, and sends a strict
// Content-Security-Policy with every response.
package console

import (
	"context"
	"crypto/ed25519"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log"
	"net/http"
	"sync"
	"time"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/fleet"
	"github.com/nhs-jigsaw/jigsaw/league"
	"github.com/nhs-jigsaw/jigsaw/probes"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// DefaultMaxUpload is the largest file an interview answer may attach (the evidence store keeps
// the bytes of files up to 64 MiB).
const DefaultMaxUpload = 32 << 20

// Config says what the console serves.
type Config struct {
	// Store is the evidence database the inspection day and interviews read and write.
	Store *evidence.Store
	// League and Fleet are the central database's stores; nil hides the national view.
	League *league.Store
	Fleet  *fleet.Store
	// Registry holds the probes assessments run.
	Registry *probes.Registry
	// Checklist is the checklist new assessments use (default the built-in nhs-interop@2026.1).
	Checklist *checklist.Checklist
	// FindChecklist finds the checklist an assessment recorded (default checklist.Lookup).
	FindChecklist func(ref string) (*checklist.Checklist, error)
	// PresetsFile is where organisation presets are kept (JSON; never a token).
	PresetsFile string
	// SigningKey signs exports; nil means the export button explains how to supply one.
	SigningKey ed25519.PrivateKey
	// Sandboxes runs the training ground's scenarios; nil hides it.
	Sandboxes Sandboxes
	// Getenv reads a token from the environment when a preset names a variable (default os.Getenv).
	Getenv func(string) string
	// Token is the access token; empty makes a random one (see AccessToken).
	Token string
	// SecureCookies marks the session cookie Secure (set when serving over TLS).
	SecureCookies bool
	// MaxUpload caps an attached file (default DefaultMaxUpload).
	MaxUpload int64
	// ToolVersion is printed on reports and recorded with assessments.
	ToolVersion string
	// UserAgent is sent by probes.
	UserAgent string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Log receives server-side errors (default discarded). It never gets a token.
	Log *log.Logger
}

// Server is the console's HTTP handler and the state of its running jobs.
type Server struct {
	cfg   Config
	pages map[string]*template.Template
	mux   *http.ServeMux
	auth  *auth

	mu       sync.Mutex
	jobs     map[string]*job      // running and finished assessment runs, by assessment ref
	training map[string]*training // training runs, by assessment ref
	presetMu sync.Mutex
}

// New makes a console. Call Close to stop what it started (runs, sandboxes).
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Registry == nil {
		return nil, errors.New("console: an evidence store and a probe registry are required")
	}
	if cfg.FindChecklist == nil {
		cfg.FindChecklist = checklist.Lookup
	}
	if cfg.Checklist == nil {
		c, err := checklist.Lookup("nhs-interop@2026.1")
		if err != nil {
			return nil, err
		}
		cfg.Checklist = c
	}
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = DefaultMaxUpload
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = log.New(io.Discard, "", 0)
	}
	a, err := newAuth(cfg.Token, cfg.SecureCookies)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, auth: a, jobs: map[string]*job{}, training: map[string]*training{}}
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

// AccessToken is the token a browser must present once (as ?token=) to be admitted.
func (s *Server) AccessToken() string { return s.auth.token }

// Close cancels running assessments and stops the training ground's sandboxes.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, j := range s.jobs {
		j.cancel()
	}
	for _, t := range s.training {
		t.stop()
	}
}

// ServeHTTP serves the console with its security wrapping (headers, admission, CSRF).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.secure(s.mux).ServeHTTP(w, r)
}

func (s *Server) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	m.Handle("GET /static/", http.StripPrefix("/static/", staticHandler(static)))
	m.HandleFunc("GET /{$}", s.home)

	// Inspection day.
	m.HandleFunc("GET /assessments", s.assessmentList)
	m.HandleFunc("GET /assessments/new", s.newAssessmentForm)
	m.HandleFunc("POST /assessments", s.startAssessment)
	m.HandleFunc("POST /presets", s.savePreset)
	m.HandleFunc("GET /assessments/{ref}", s.assessmentPage)
	m.HandleFunc("GET /assessments/{ref}/events", s.assessmentEvents)
	m.HandleFunc("GET /assessments/{ref}/download/{format}", s.downloadReport)
	m.HandleFunc("POST /assessments/{ref}/export", s.downloadExport)
	m.HandleFunc("POST /assessments/{ref}/workbook", s.importWorkbook)

	// Guided interview and self-assessment.
	m.HandleFunc("GET /assessments/{ref}/interview", s.interviewIndex)
	m.HandleFunc("GET /assessments/{ref}/interview/{item}", s.interviewItem)
	m.HandleFunc("POST /assessments/{ref}/interview/{item}", s.saveAnswer)

	// National view.
	m.HandleFunc("GET /league", s.leaguePage)
	m.HandleFunc("GET /league/{ods}", s.historyPage)
	m.HandleFunc("GET /fleet", s.fleetPage)
	m.HandleFunc("GET /fleet/download/{format}", s.fleetDownload)

	// Training ground.
	m.HandleFunc("GET /training", s.trainingIndex)
	m.HandleFunc("POST /training", s.trainingStart)
	m.HandleFunc("GET /training/{ref}", s.trainingPage)
	m.HandleFunc("POST /training/{ref}/findings", s.trainingFindings)
	m.HandleFunc("GET /training/{ref}/debrief", s.trainingDebrief)
	s.mux = m
}

// home is the start page: what the console can do, with links.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	list, err := s.cfg.Store.ListAssessments(r.Context(), evidence.AssessmentFilter{Limit: 5})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, "home", "Jigsaw console", map[string]any{
		"Recent": list, "Central": s.cfg.League != nil, "Training": s.cfg.Sandboxes != nil,
		"DB": s.cfg.Store.Path(),
	})
}

// background is the context of work that outlives a request (assessment runs).
func background() context.Context { return context.Background() }

// errorf makes an error a person sees.
func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
