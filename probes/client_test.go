package probes_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/probes/probetest"
)

// secret is a token with characters that change under URL and JSON encoding.
const secret = "tok/EN+with=special&chars_0123456789"

// do runs one request through a probe session and returns what the session saw.
func do(t *testing.T, target probes.Target, opts probes.ClientOptions, req probes.Request) (*probes.Response, error, *probes.Report) {
	t.Helper()
	var resp *probes.Response
	var err error
	p := probes.New(probes.Meta{ID: "test.do", Pack: "test", Title: "do", Severity: probes.Low, SpecRef: "-"},
		func(ctx context.Context, s *probes.Session) probes.Result {
			resp, err = s.Do(ctx, req)
			return probes.Passed("", "")
		})
	if opts.RatePerSecond == 0 {
		opts.RatePerSecond = -1
	}
	if opts.RequestTimeout == 0 {
		opts.RequestTimeout = 5 * time.Second
	}
	r := &probes.Runner{Client: opts, ProbeTimeout: 30 * time.Second}
	report, rerr := r.Run(context.Background(), target, []probes.Probe{p})
	if rerr != nil {
		t.Fatal(rerr)
	}
	return resp, err, report
}

func reportJSON(t *testing.T, r *probes.Report) string {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSecretsNeverRecorded(t *testing.T) {
	var srvURL string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		tok := strings.TrimPrefix(auth, "Bearer ")
		switch r.URL.Path {
		case "/fhir/start":
			http.Redirect(w, r, srvURL+"/fhir/echo?access_token="+url.QueryEscape(tok)+"&x="+tok, http.StatusFound)
		case "/fhir/echo":
			http.SetCookie(w, &http.Cookie{Name: "session", Value: tok})
			w.Header().Set("X-Echo", auth)
			w.Header().Set("X-Auth-Token", tok)
			w.Header().Set("Content-Type", "application/json")
			esc, _ := json.Marshal(tok)
			fmt.Fprintf(w, `{"access_token":"whatever-else","echo":%s,"url":"%s","raw":"%s","auth":"%s","other":"Bearer someoneelses.jwt.token"}`,
				esc, url.QueryEscape(tok), tok, auth)
		}
	}))
	defer srv.Close()
	srvURL = srv.URL
	target := probes.Target{BaseURL: srv.URL + "/fhir", Token: secret, AllowTokenOverHTTP: true}
	resp, err, report := do(t, target, probes.ClientOptions{}, probes.Request{URL: "start"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(resp.Body, []byte(secret)) {
		t.Fatalf("the probe itself should see the real body; got %s", resp.Body)
	}
	if len(report.Exchanges) != 2 {
		t.Fatalf("%d exchanges, want 2 (redirect and final)", len(report.Exchanges))
	}
	out := reportJSON(t, report)
	for _, form := range []string{secret, url.QueryEscape(secret), url.PathEscape(secret), "someoneelses.jwt.token"} {
		if strings.Contains(out, form) {
			t.Errorf("report contains the secret in the form %q:\n%s", form, out)
		}
	}
	first := report.Exchanges[0]
	if got := first.RequestHeaders.Get("Authorization"); got != "Bearer "+probes.Redacted {
		t.Errorf("Authorization recorded as %q", got)
	}
	if !strings.Contains(out, "Set-Cookie") || !strings.Contains(out, probes.Redacted) {
		t.Errorf("expected redacted Set-Cookie in %s", out)
	}
}

// TestTokenNeverOverPlainHTTP: a plain-http target never receives the token unless the lab
// switch is on, and no redirect carries a Referer (it would leak the query).
func TestTokenNeverOverPlainHTTP(t *testing.T) {
	var mu sync.Mutex
	var auth, referer []string
	var srvURL string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		referer = append(referer, r.Header.Get("Referer"))
		mu.Unlock()
		if r.URL.Path == "/fhir/Patient" {
			http.Redirect(w, r, srvURL+"/elsewhere", http.StatusFound)
			return
		}
		w.WriteHeader(200)
	}))
	defer srv.Close()
	srvURL = srv.URL
	for _, allow := range []bool{false, true} {
		mu.Lock()
		auth, referer = nil, nil
		mu.Unlock()
		target := probes.Target{BaseURL: srv.URL + "/fhir", Token: secret, AllowTokenOverHTTP: allow}
		for _, path := range []string{"metadata", "Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018"} {
			if _, err, _ := do(t, target, probes.ClientOptions{}, probes.Request{URL: path}); err != nil {
				t.Fatal(err)
			}
		}
		mu.Lock()
		for i, a := range auth {
			if want := map[bool]string{false: "", true: "Bearer " + secret}[allow]; a != want {
				t.Errorf("allow=%v: request %d carried Authorization %q, want %q", allow, i, a, want)
			}
			if referer[i] != "" {
				t.Errorf("request %d carried Referer %q", i, referer[i])
			}
		}
		if len(auth) != 3 {
			t.Errorf("%d requests, want 3", len(auth))
		}
		mu.Unlock()
	}
}

func TestCredentialsStayOnTheirOrigin(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]string{}
	record := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen[name+r.URL.Path] = r.Header.Get("Authorization")
			mu.Unlock()
			w.WriteHeader(200)
		}
	}
	other := httptest.NewServer(record("other"))
	defer other.Close()
	home := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/fhir/away":
			http.Redirect(w, r, other.URL+"/landing", http.StatusFound)
		case "/fhir/here":
			http.Redirect(w, r, "/fhir/landed", http.StatusFound)
		default:
			record("home")(w, r)
		}
	}))
	defer home.Close()
	target := probes.Target{BaseURL: home.URL + "/fhir", Token: secret, AllowTokenOverHTTP: true}

	if _, err, _ := do(t, target, probes.ClientOptions{}, probes.Request{URL: "away"}); err != nil {
		t.Fatal(err)
	}
	if _, err, _ := do(t, target, probes.ClientOptions{}, probes.Request{URL: "here"}); err != nil {
		t.Fatal(err)
	}
	if _, err, _ := do(t, target, probes.ClientOptions{}, probes.Request{URL: other.URL + "/direct"}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := seen["other/landing"]; got != "" {
		t.Errorf("credentials followed a redirect to another origin: %q", got)
	}
	if got := seen["other/direct"]; got != "" {
		t.Errorf("credentials sent to an absolute URL off the target: %q", got)
	}
	if got := seen["home/fhir/landed"]; got != "Bearer "+secret {
		t.Errorf("same-origin redirect lost credentials: %q", got)
	}
}

func TestRedirectLoopsAndChains(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/fhir/a":
			http.Redirect(w, r, "/fhir/b", http.StatusFound)
		case r.URL.Path == "/fhir/b":
			http.Redirect(w, r, "/fhir/a", http.StatusFound)
		case strings.HasPrefix(r.URL.Path, "/fhir/chain/"):
			http.Redirect(w, r, r.URL.Path+"x", http.StatusFound)
		}
	}))
	defer srv.Close()
	target := probes.Target{BaseURL: srv.URL + "/fhir"}
	resp, err, report := do(t, target, probes.ClientOptions{}, probes.Request{URL: "a"})
	if !errors.Is(err, probes.ErrRedirectLoop) {
		t.Fatalf("error %v, want a redirect loop", err)
	}
	if resp == nil || len(resp.Exchanges) < 2 || len(report.Results[0].Exchanges) < 2 {
		t.Fatalf("loop hops not recorded as evidence: %+v", resp)
	}
	_, err, _ = do(t, target, probes.ClientOptions{MaxRedirects: 3}, probes.Request{URL: "chain/"})
	if !errors.Is(err, probes.ErrTooManyRedirects) {
		t.Fatalf("error %v, want too many redirects", err)
	}
	resp, err, _ = do(t, target, probes.ClientOptions{}, probes.Request{URL: "a", NoFollow: true})
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("NoFollow: %v %+v", err, resp)
	}
}

func TestBodyCaps(t *testing.T) {
	const size = 3 << 20
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/fhir/big":
			w.Write(bytes.Repeat([]byte("a"), size))
		case "/fhir/endless":
			chunk := bytes.Repeat([]byte("b"), 32<<10)
			for r.Context().Err() == nil {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		case "/fhir/bomb":
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			zeros := make([]byte, 1<<20)
			for i := 0; i < 64; i++ {
				if _, err := zw.Write(zeros); err != nil {
					return
				}
			}
			zw.Close()
		}
	}))
	defer srv.Close()
	target := probes.Target{BaseURL: srv.URL + "/fhir"}
	opts := probes.ClientOptions{ReadLimit: 1 << 20, StoreLimit: 1 << 10}
	for _, path := range []string{"big", "endless", "bomb"} {
		t.Run(path, func(t *testing.T) {
			start := time.Now()
			resp, err, report := do(t, target, opts, probes.Request{URL: path})
			if err != nil {
				t.Fatal(err)
			}
			if time.Since(start) > 4*time.Second {
				t.Errorf("capped read took %v", time.Since(start))
			}
			if !resp.Truncated || len(resp.Body) != 1<<20 {
				t.Fatalf("truncated %v, %d bytes read; want 1 MiB, truncated", resp.Truncated, len(resp.Body))
			}
			ex := report.Exchanges[0]
			sum := sha256.Sum256(resp.Body)
			if ex.ResponseSize != 1<<20 || len(ex.ResponseBody) != 1<<10 || !ex.ResponseTruncated || ex.ResponseSHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("exchange size %d, stored %d, truncated %v, sha %s", ex.ResponseSize, len(ex.ResponseBody), ex.ResponseTruncated, ex.ResponseSHA256)
			}
		})
	}
}

func TestGzipAndGarbage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/fhir/gzip":
			w.Header().Set("Content-Encoding", "gzip")
			w.Header().Set("Content-Type", "application/fhir+json")
			zw := gzip.NewWriter(w)
			zw.Write([]byte(`{"resourceType":"CapabilityStatement"}`))
			zw.Close()
		case "/fhir/badgzip":
			w.Header().Set("Content-Encoding", "gzip")
			w.Write([]byte("this is not gzip"))
		case "/fhir/html":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html><body>\x00\xff\xfe garbage</body></html>"))
		}
	}))
	defer srv.Close()
	target := probes.Target{BaseURL: srv.URL + "/fhir"}
	resp, err, report := do(t, target, probes.ClientOptions{}, probes.Request{URL: "gzip"})
	if err != nil || string(resp.Body) != `{"resourceType":"CapabilityStatement"}` {
		t.Fatalf("gzip: %v %q", err, resp.Body)
	}
	if report.Exchanges[0].ResponseHeaders.Get("Content-Encoding") != "gzip" {
		t.Error("Content-Encoding not kept as evidence")
	}
	if _, err, report = do(t, target, probes.ClientOptions{}, probes.Request{URL: "badgzip"}); err == nil || report.Exchanges[0].Err == "" {
		t.Errorf("bad gzip: error %v, exchange error %q", err, report.Exchanges[0].Err)
	}
	if resp, err, _ = do(t, target, probes.ClientOptions{}, probes.Request{URL: "html"}); err != nil || resp.ContentType() != "text/html" {
		t.Errorf("html: %v", err)
	}
}

func TestRequestTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/fhir/silent":
			<-r.Context().Done()
		case "/fhir/trickle":
			w.WriteHeader(200)
			for i := 0; r.Context().Err() == nil && i < 100; i++ {
				w.Write([]byte("x"))
				w.(http.Flusher).Flush()
				time.Sleep(50 * time.Millisecond)
			}
		}
	}))
	defer srv.Close()
	target := probes.Target{BaseURL: srv.URL + "/fhir"}
	for _, path := range []string{"silent", "trickle"} {
		t.Run(path, func(t *testing.T) {
			start := time.Now()
			_, err, report := do(t, target, probes.ClientOptions{RequestTimeout: 300 * time.Millisecond}, probes.Request{URL: path})
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("error %v, want the request deadline", err)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("timed out after %v", d)
			}
			if len(report.Exchanges) != 1 || report.Exchanges[0].Err == "" {
				t.Errorf("the failed exchange was not recorded with its error: %+v", report.Exchanges)
			}
		})
	}
}

func TestIdentifiersRedactedUnlessKept(t *testing.T) {
	patient := `{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Patient","id":"p1",` +
		`"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],"name":[{"family":"Smith"}],"birthDate":"1970-01-01"}}]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/fhir+json")
		io.WriteString(w, patient)
	}))
	defer srv.Close()
	target := probes.Target{BaseURL: srv.URL + "/fhir"}
	req := probes.Request{URL: probes.NHSNumberQuery("9990000018")}

	_, err, report := do(t, target, probes.ClientOptions{}, req)
	if err != nil {
		t.Fatal(err)
	}
	ex := report.Exchanges[0]
	for _, s := range []string{"9990000018", "Smith", "1970-01-01"} {
		if strings.Contains(ex.URL, s) || bytes.Contains(ex.ResponseBody, []byte(s)) {
			t.Errorf("stored evidence keeps %q: %s %s", s, ex.URL, ex.ResponseBody)
		}
	}
	if !bytes.Contains(ex.ResponseBody, []byte(`"id":"p1"`)) {
		t.Errorf("redaction removed more than identifiers: %s", ex.ResponseBody)
	}

	_, _, report = do(t, target, probes.ClientOptions{KeepIdentifiers: true}, req)
	if !bytes.Contains(report.Exchanges[0].ResponseBody, []byte("9990000018")) {
		t.Error("KeepIdentifiers did not keep the NHS number")
	}
}

func TestTLSFactsRecorded(t *testing.T) {
	target := probetest.Serve(t, probetest.Default())
	_, err, report := do(t, target, probes.ClientOptions{}, probes.Request{URL: "metadata"})
	if err != nil {
		t.Fatal(err)
	}
	f := report.Exchanges[0].TLS
	if f == nil || !f.Verified || f.Version != "TLS 1.3" || f.PeerNotAfter.IsZero() {
		t.Fatalf("TLS facts %+v", f)
	}
	// Insecure mode still says whether the chain would verify.
	target.CAFile, target.Insecure = "", true
	_, err, report = do(t, target, probes.ClientOptions{}, probes.Request{URL: "metadata"})
	if err != nil {
		t.Fatal(err)
	}
	if f := report.Exchanges[0].TLS; f.Verified || !strings.Contains(f.VerifyError, "unknown authority") {
		t.Fatalf("insecure TLS facts %+v", f)
	}
	// And without --insecure an untrusted server is refused.
	target.Insecure = false
	if _, err, _ = do(t, target, probes.ClientOptions{}, probes.Request{URL: "metadata"}); err == nil {
		t.Fatal("untrusted certificate accepted")
	}
}

func TestRateLimitPerHost(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	p := probes.New(probes.Meta{ID: "test.rate", Pack: "test", Title: "rate", Severity: probes.Low, SpecRef: "-"},
		func(ctx context.Context, s *probes.Session) probes.Result {
			for i := 0; i < 6; i++ {
				if _, err := s.Get(ctx, "metadata"); err != nil {
					return probes.Errored("", err)
				}
			}
			return probes.Passed("", "")
		})
	// The test server is on loopback, which is limited only when asked.
	r := &probes.Runner{Client: probes.ClientOptions{RatePerSecond: 20, Burst: 1, LimitLoopback: true}}
	start := time.Now()
	report, err := r.Run(context.Background(), probes.Target{BaseURL: srv.URL}, []probes.Probe{p})
	if err != nil || report.Results[0].Status != probes.Pass {
		t.Fatal(err, report.Results[0])
	}
	// Six requests at 20/s with burst 1 need at least five intervals of 50 ms.
	if d := time.Since(start); d < 240*time.Millisecond {
		t.Errorf("6 requests took %v; the limiter did not hold them back", d)
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1": true, "127.9.8.7": true, "::1": true, "[::1]": true, "localhost": true, "LocalHost": true,
		"10.0.0.1": false, "fhir.example.nhs.uk": false, "": false, "0.0.0.0": false,
	} {
		if got := probes.IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestTargetValidation(t *testing.T) {
	bad := []probes.Target{
		{BaseURL: "ftp://example.org/fhir"},
		{BaseURL: "https:///fhir"},
		{BaseURL: "https://user:pass@example.org/fhir"},
		{BaseURL: "https://example.org/fhir", FHIRVersion: "R5"},
		{BaseURL: "https://example.org/fhir", ClientCert: "c.pem"},
		{BaseURL: "https://example.org/fhir", CAFile: "/nonexistent/ca.pem"},
	}
	for _, tg := range bad {
		_, err := (&probes.Runner{}).Run(context.Background(), tg, nil)
		if err == nil {
			t.Errorf("target %+v accepted", tg)
		} else if strings.Contains(err.Error(), "pass") {
			t.Errorf("error repeats the password: %v", err)
		}
	}
	good, err := probes.Target{BaseURL: " https://example.org/fhir/ ", FHIRVersion: "stu3"}.Normalize()
	if err != nil || good.BaseURL != "https://example.org/fhir" || good.FHIRVersion != probes.STU3 {
		t.Errorf("normalised %+v, %v", good, err)
	}
}
