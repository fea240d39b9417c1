package sandbox

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// testLatencyScale keeps the legacy profile's deliberate delays short in tests (Patient searches
// 24–32 ms, other requests 3–6 ms) while still measurable. Typical's one 50 ms delay stays as is.
func testLatencyScale(p Profile) float64 {
	if p == Legacy {
		return 0.02
	}
	return 1
}

// fixture is a running sandbox and a client that trusts its CA.
type fixture struct {
	srv    *Server
	client *http.Client
	scale  float64
}

func startFixture(t *testing.T, p Profile) *fixture {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	scale := testLatencyScale(p)
	srv, err := Start(ctx, Config{Profile: p, Dir: t.TempDir(), LatencyScale: scale})
	if err != nil {
		cancel()
		t.Fatalf("start %s sandbox: %v", p, err)
	}
	t.Cleanup(func() {
		cancel()
		if err := srv.Close(); err != nil {
			t.Errorf("close sandbox: %v", err)
		}
	})
	return &fixture{srv: srv, client: trustingClient(t, srv.CAFile), scale: scale}
}

func caPool(t *testing.T, caFile string) *x509.CertPool {
	t.Helper()
	pemBytes, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatalf("read CA file: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("CA file %s holds no certificate", caFile)
	}
	return pool
}

// trustingClient trusts the sandbox CA and does not follow redirects (tests look at them).
func trustingClient(t *testing.T, caFile string) *http.Client {
	return &http.Client{
		Timeout:       10 * time.Second,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: caPool(t, caFile)}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// response is what a test request got back.
type response struct {
	status int
	header http.Header
	body   []byte
	took   time.Duration
}

func (r response) contentType() string { return r.header.Get("Content-Type") }

// json decodes the body into a generic map, failing the test if it is not JSON.
func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response (%d, %s) is not a JSON object: %v\n%s", r.status, r.contentType(), err, truncate(string(r.body), 400))
	}
	return m
}

// tryJSON decodes the body if it is a JSON object.
func (r response) tryJSON() (map[string]any, bool) {
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		return nil, false
	}
	return m, true
}

// reqOpt adjusts a request.
type reqOpt func(*http.Request)

func withHeader(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }
func noAuth() reqOpt                { return func(r *http.Request) { r.Header.Del("Authorization") } }
func withToken(tok string) reqOpt {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

// do sends a request to a URL (absolute, or relative to the FHIR base) with the sandbox's token.
func (f *fixture) do(t *testing.T, method, target string, body io.Reader, opts ...reqOpt) response {
	t.Helper()
	if !strings.HasPrefix(target, "http://") && !strings.HasPrefix(target, "https://") {
		target = f.srv.BaseURL() + target
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatalf("new request %s %s: %v", method, target, err)
	}
	req.Header.Set("Authorization", "Bearer "+f.srv.Token)
	for _, o := range opts {
		o(req)
	}
	start := time.Now()
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body of %s %s: %v", method, target, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b, took: time.Since(start)}
}

func (f *fixture) get(t *testing.T, target string, opts ...reqOpt) response {
	t.Helper()
	return f.do(t, http.MethodGet, target, nil, opts...)
}

// testPatientQuery is the NHS number search for the primary test patient.
var testPatientQuery = "/Patient?identifier=" + url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|"+TestNHSNumber)

// testPatientID finds the test patient's logical id.
func (f *fixture) testPatientID(t *testing.T) string {
	t.Helper()
	b := f.get(t, testPatientQuery).json(t)
	entries := entryResources(b)
	if len(entries) != 1 {
		t.Fatalf("search for the test patient gave %d entries, want 1", len(entries))
	}
	return entries[0]["id"].(string)
}

// entryResources returns the resources of a Bundle's match entries (all entries when the Bundle
// does not say which are matches).
func entryResources(bundle map[string]any) []map[string]any {
	var out []map[string]any
	entries, _ := bundle["entry"].([]any)
	for _, e := range entries {
		em, _ := e.(map[string]any)
		if s, ok := em["search"].(map[string]any); ok && s["mode"] != "match" {
			continue
		}
		if r, ok := em["resource"].(map[string]any); ok {
			out = append(out, r)
		}
	}
	return out
}

// link returns a Bundle link's URL by relation.
func link(bundle map[string]any, relation string) string {
	links, _ := bundle["link"].([]any)
	for _, l := range links {
		lm, _ := l.(map[string]any)
		if lm["relation"] == relation {
			s, _ := lm["url"].(string)
			return s
		}
	}
	return ""
}

// mediaType is the Content-Type without parameters, lower case.
func mediaType(ct string) string {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// isOperationOutcome reports whether a body is an OperationOutcome with an issue that has a
// severity and a code.
func isOperationOutcome(r response) bool {
	m, ok := r.tryJSON()
	if !ok || m["resourceType"] != "OperationOutcome" {
		return false
	}
	issues, _ := m["issue"].([]any)
	if len(issues) == 0 {
		return false
	}
	first, _ := issues[0].(map[string]any)
	return first["severity"] != nil && first["code"] != nil
}
