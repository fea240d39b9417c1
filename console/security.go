package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// ContentSecurityPolicy is sent with every response: only the console's own scripts, styles
// and images; no inline script or style, no plugins, no framing, forms post only to the console.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

const (
	csrfField   = "csrf"
	maxSessions = 64
)

// auth admits browsers: the access token is presented once and exchanged for a session.
type auth struct {
	token  string
	secure bool
	// cookie is the session cookie's name, different for each console: browsers share cookies
	// between ports of one host, so two consoles on one machine must not overwrite each other's.
	cookie string

	mu       sync.Mutex
	sessions map[string]*session // by session id
	order    []string            // oldest first, to bound the table
}

type session struct {
	csrf string
}

func newAuth(token string, secure bool) (*auth, error) {
	if token == "" {
		var err error
		if token, err = randomString(32); err != nil {
			return nil, err
		}
	}
	suffix, err := randomString(6)
	if err != nil {
		return nil, err
	}
	return &auth{token: token, secure: secure, cookie: "jigsaw_session_" + suffix, sessions: map[string]*session{}}, nil
}

func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (a *auth) newSession() (string, error) {
	id, err := randomString(32)
	if err != nil {
		return "", err
	}
	csrf, err := randomString(32)
	if err != nil {
		return "", err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sessions[id] = &session{csrf: csrf}
	a.order = append(a.order, id)
	if len(a.order) > maxSessions {
		delete(a.sessions, a.order[0])
		a.order = a.order[1:]
	}
	return id, nil
}

func (a *auth) session(r *http.Request) *session {
	c, err := r.Cookie(a.cookie)
	if err != nil || c.Value == "" {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sessions[c.Value]
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// secure wraps every handler: security headers on every response, admission by token or
// session, and the CSRF and same-origin checks on every state-changing request.
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		// same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on form posts,
		// which the same-origin check must refuse.
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		h.Set("Cache-Control", "no-store")

		// The token in the URL is exchanged for a session cookie and removed from the address
		// bar at once, so it stays out of history and logs.
		if tok := r.URL.Query().Get("token"); tok != "" {
			if !equal(tok, s.auth.token) {
				s.refuse(w, r, http.StatusUnauthorized, "That access token is not this console's. Open the address jigsaw serve printed when it started.")
				return
			}
			id, err := s.auth.newSession()
			if err != nil {
				s.fail(w, r, err)
				return
			}
			http.SetCookie(w, &http.Cookie{Name: s.auth.cookie, Value: id, Path: "/", HttpOnly: true,
				Secure: s.auth.secure, SameSite: http.SameSiteStrictMode})
			q := r.URL.Query()
			q.Del("token")
			clean := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
			http.Redirect(w, r, clean.String(), http.StatusSeeOther)
			return
		}
		sess := s.auth.session(r)
		if sess == nil {
			s.refuse(w, r, http.StatusUnauthorized, "This console needs its access token. Open the address jigsaw serve printed when it started (it ends in ?token=…).")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if err := sameOrigin(r); err != nil {
				s.refuse(w, r, http.StatusForbidden, "Refused a cross-site request: "+err.Error())
				return
			}
			tok, err := s.formCSRF(w, r)
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				s.refuse(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("That upload is larger than the console accepts (%d MiB). Attach a smaller file, or record the document by name and SHA-256.", s.cfg.MaxUpload>>20))
				return
			}
			if err != nil || !equal(tok, sess.csrf) {
				s.refuse(w, r, http.StatusForbidden, "This form has expired or did not come from this console (CSRF check). Go back, reload the page and try again.")
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(withSession(r.Context(), sess)))
	})
}

// formCSRF reads the CSRF token from the form. The body is capped first: an upload larger than
// the limit is refused before it is read in full.
func (s *Server) formCSRF(w http.ResponseWriter, r *http.Request) (string, error) {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUpload+1<<20)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			return "", err
		}
		return r.FormValue(csrfField), nil
	}
	if err := r.ParseForm(); err != nil {
		return "", err
	}
	return r.PostForm.Get(csrfField), nil
}

// sameOrigin refuses requests a browser says came from another site: Sec-Fetch-Site other
// than same-origin (or none, a typed address), or an Origin that is not this server's.
func sameOrigin(r *http.Request) error {
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin", "none":
	default:
		return fmt.Errorf("the browser says it came from a %s page", site)
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return fmt.Errorf("origin %q is not this console", origin)
	}
	if !strings.EqualFold(u.Host, r.Host) {
		return fmt.Errorf("origin %s is not this console", u.Host)
	}
	return nil
}

// CheckBind refuses to listen beyond loopback without TLS: the console shows evidence about
// an organisation's systems and accepts uploads.
func CheckBind(addr string, tlsOn bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %v (use host:port, for example 127.0.0.1:8080)", addr, err)
	}
	if isLoopback(host) || tlsOn {
		return nil
	}
	if host == "" {
		host = "every interface"
	}
	return fmt.Errorf("--addr %s listens on %s, beyond this machine: give --tls-cert and --tls-key to serve it over TLS, or use 127.0.0.1", addr, host)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// staticHandler serves the embedded assets with their types; they never change while the
// server runs, so browsers may cache them.
func staticHandler(fsys fs.FS) http.Handler {
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "private, max-age=3600")
		files.ServeHTTP(w, r)
	})
}
