package console

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/scoring"
)

type ctxKey int

const sessionKey ctxKey = 1

func withSession(ctx context.Context, s *session) context.Context {
	return context.WithValue(ctx, sessionKey, s)
}

func sessionOf(r *http.Request) *session {
	s, _ := r.Context().Value(sessionKey).(*session)
	return s
}

// page is what every template gets.
type page struct {
	Title   string
	CSRF    string
	Section string
	Central bool
	Train   bool
	Data    any
}

var funcs = template.FuncMap{
	"pct": func(p *float64) string {
		if p == nil {
			return "—"
		}
		return fmt.Sprintf("%.1f %%", *p)
	},
	"pctf":   func(f float64) string { return fmt.Sprintf("%.1f %%", f) },
	"share":  func(f float64) string { return fmt.Sprintf("%.0f %%", f*100) },
	"date":   func(t time.Time) string { return fmtTime(t, "2 Jan 2006 15:04 MST") },
	"day":    func(t time.Time) string { return fmtTime(t, "2 Jan 2006") },
	"rating": func(r scoring.Rating) string { return r.Label() },
	"ratingClass": func(r scoring.Rating) string {
		return "rating-" + string(r)
	},
	"lower": strings.ToLower,
	"words": func(s string) string { return strings.ReplaceAll(s, "-", " ") },
	"level": func(l int) string {
		if l == 0 {
			return "—"
		}
		return fmt.Sprint(l)
	},
	"deref": func(p *int) int {
		if p == nil {
			return 0
		}
		return *p
	},
	"add":   func(a, b int) int { return a + b },
	"add_f": func(a, b float64) float64 { return a + b },
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
	"join": strings.Join,
	"statusClass": func(s any) string {
		return "status-" + strings.ReplaceAll(fmt.Sprint(s), " ", "-")
	},
}

func fmtTime(t time.Time, layout string) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format(layout)
}

// parsePages parses each page template with the layout.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("console template %s: %w", n, err)
		}
		pages[base] = t
	}
	return pages, nil
}

// render writes a page whole or not at all: a template error becomes an error page, never half
// a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, name, title string, data any) {
	s.renderStatus(w, r, http.StatusOK, name, title, data)
}

func (s *Server) renderStatus(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	t := s.pages[name]
	if t == nil {
		http.Error(w, "no page "+name, http.StatusInternalServerError)
		return
	}
	p := page{Title: title, Section: sectionOf(r.URL.Path), Central: s.cfg.League != nil, Train: s.cfg.Sandboxes != nil, Data: data}
	if sess := sessionOf(r); sess != nil {
		p.CSRF = sess.csrf
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, p); err != nil {
		s.cfg.Log.Printf("render %s: %v", name, err)
		http.Error(w, "The page could not be drawn: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func sectionOf(p string) string {
	switch {
	case strings.HasPrefix(p, "/assessments"):
		return "assessments"
	case strings.HasPrefix(p, "/league"):
		return "league"
	case strings.HasPrefix(p, "/fleet"):
		return "fleet"
	case strings.HasPrefix(p, "/training"):
		return "training"
	}
	return "home"
}

// refuse answers with a short page saying why, and nothing else.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, why string) {
	s.renderStatus(w, r, status, "message", http.StatusText(status), map[string]any{"Message": why, "Status": status})
}

// fail reports an error to the person, with what it means. Errors from the packages already
// name the file, item or field; they never carry a token.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	if isNotFound(err) {
		status = http.StatusNotFound
	}
	s.cfg.Log.Printf("%s %s: %v", r.Method, r.URL.Path, err)
	s.refuse(w, r, status, err.Error())
}

func (s *Server) badRequest(w http.ResponseWriter, r *http.Request, err error) {
	s.refuse(w, r, http.StatusBadRequest, err.Error())
}

func isNotFound(err error) bool {
	return errors.Is(err, evidence.ErrNotFound)
}
