package console

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nhs-jigsaw/jigsaw/assess"
	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/fleet"
	"github.com/nhs-jigsaw/jigsaw/league"
	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/probes/all"
	"github.com/nhs-jigsaw/jigsaw/sandbox"
	gpcsandbox "github.com/nhs-jigsaw/jigsaw/sandbox/gpconnect"
	"github.com/nhs-jigsaw/jigsaw/submission"
)

// testSandboxes runs the sandbox profiles as training scenarios, as jigsaw serve wires them.
type testSandboxes struct{}

func (testSandboxes) Scenarios() []Scenario {
	var out []Scenario
	for _, p := range sandbox.Profiles() {
		org := sandbox.DefaultOrg(p)
		sc := Scenario{Name: string(p), Title: org.Name, ODS: org.ODSCode, OrgName: org.Name, OrgType: checklist.AcuteTrust,
			Description: "sandbox profile " + string(p)}
		for _, d := range sandbox.Defects(p) {
			sc.Defects = append(sc.Defects, Defect{ID: d.ID, Description: d.Description, ProbeID: d.ProbeID})
		}
		out = append(out, sc)
	}
	return out
}

func (testSandboxes) Start(ctx context.Context, name string) (*Instance, error) {
	p, err := sandbox.ParseProfile(name)
	if err != nil {
		return nil, err
	}
	srv, err := sandbox.Start(ctx, sandbox.Config{Profile: p, LatencyScale: -1, GPConnect: true})
	if err != nil {
		return nil, err
	}
	return &Instance{
		Target: probes.Target{BaseURL: srv.BaseURL(), FHIRVersion: probes.R4, Token: srv.Token, CAFile: srv.CAFile, TestNHSNumber: srv.TestNHSNumber},
		GPConnect: &probes.Target{BaseURL: "https://" + srv.GPConnectAddr() + gpcsandbox.FoundationsPath, FHIRVersion: probes.STU3, CAFile: srv.CAFile,
			ClientCert: srv.ClientCertFile, ClientKey: srv.ClientKeyFile,
			GPConnect: &probes.GPConnectSettings{StructuredURL: "https://" + srv.GPConnectAddr() + gpcsandbox.StructuredPath}},
		Close: func() { srv.Close() },
	}, nil
}

type env struct {
	t      *testing.T
	dir    string
	store  *evidence.Store
	league *league.Store
	fleet  *fleet.Store
	srv    *Server
	ts     *httptest.Server
	key    ed25519.PrivateKey
}

type envOption func(*Config)

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	store, err := evidence.Open(ctx, filepath.Join(dir, "evidence.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	central := filepath.Join(dir, "central.db")
	ls, err := league.Open(ctx, central)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ls.Close() })
	fs, err := fleet.Open(ctx, central)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	if _, err := submission.GenerateKeys(filepath.Join(dir, "k.key"), filepath.Join(dir, "k.pub")); err != nil {
		t.Fatal(err)
	}
	priv, err := submission.LoadPrivateKey(filepath.Join(dir, "k.key"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Store: store, League: ls, Fleet: fs, Registry: all.Registry(), PresetsFile: filepath.Join(dir, "presets.json"),
		SigningKey: priv, Sandboxes: testSandboxes{}, ToolVersion: "test", UserAgent: "jigsaw-console-test",
		Getenv: func(string) string { return "" }}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { ts.Close(); srv.Close() })
	return &env{t: t, dir: dir, store: store, league: ls, fleet: fs, srv: srv, ts: ts, key: priv}
}

// browser is an HTTP client that keeps cookies and does not follow redirects.
type browser struct {
	e *env
	c *http.Client
}

func (e *env) anonymous() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{Jar: jar, Timeout: 2 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// login presents the access token and returns a browser holding the session cookie.
func (e *env) login() *browser {
	e.t.Helper()
	b := e.anonymous()
	resp := b.get("/?token=" + e.srv.AccessToken())
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("token exchange: %d", resp.StatusCode)
	}
	return b
}

func (b *browser) get(path string) *http.Response {
	b.e.t.Helper()
	resp, err := b.c.Get(b.e.ts.URL + path)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return resp
}

func (b *browser) page(path string) string {
	b.e.t.Helper()
	resp := b.get(path)
	body := readAll(b.e.t, resp)
	if resp.StatusCode != http.StatusOK {
		b.e.t.Fatalf("GET %s: %d\n%s", path, resp.StatusCode, body)
	}
	return body
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the CSRF token from a page of the session.
func (b *browser) csrf() string {
	b.e.t.Helper()
	m := csrfRE.FindStringSubmatch(b.page("/assessments/new"))
	if m == nil {
		b.e.t.Fatal("no CSRF token on the form")
	}
	return m[1]
}

func (b *browser) post(path string, form url.Values, header map[string]string) *http.Response {
	b.e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.e.ts.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return resp
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// waitFinished follows the run's event stream until it says finished.
func (b *browser) waitFinished(ref string) string {
	b.e.t.Helper()
	resp := b.get("/assessments/" + ref + "/events")
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.e.t.Fatalf("events: %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "event: "); ok {
			event = v
		}
		if v, ok := strings.CutPrefix(line, "data: "); ok && event == "finished" {
			return v
		}
	}
	b.e.t.Fatalf("event stream ended without finishing: %v", sc.Err())
	return ""
}

// startSandbox starts a sandbox organisation for the test.
func startSandbox(t *testing.T, p sandbox.Profile) *sandbox.Server {
	t.Helper()
	srv, err := sandbox.Start(context.Background(), sandbox.Config{Profile: p, LatencyScale: -1, GPConnect: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// presetForm is the new-assessment form filled in for a sandbox.
func presetForm(sb *sandbox.Server, csrf string) url.Values {
	return url.Values{
		"csrf": {csrf}, "ods": {sb.Org.ODSCode}, "name": {sb.Org.Name}, "type": {"acute-trust"}, "region": {"Test region"},
		"target": {sb.BaseURL()}, "fhir_version": {"R4"}, "ca_file": {sb.CAFile}, "client_cert": {sb.ClientCertFile}, "client_key": {sb.ClientKeyFile},
		"gpconnect": {"https://" + sb.GPConnectAddr() + gpcsandbox.FoundationsPath}, "gpconnect_structured": {"https://" + sb.GPConnectAddr() + gpcsandbox.StructuredPath},
		"token": {sb.Token}, "cycle": {"2026-Q3"},
	}
}

// runAssessment starts an assessment of the sandbox from the console and waits for it.
func (b *browser) runAssessment(sb *sandbox.Server) string {
	b.e.t.Helper()
	resp := b.post("/assessments", presetForm(sb, b.csrf()), nil)
	body := readAll(b.e.t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		b.e.t.Fatalf("start assessment: %d\n%s", resp.StatusCode, body)
	}
	ref := strings.TrimPrefix(resp.Header.Get("Location"), "/assessments/")
	b.waitFinished(ref)
	return ref
}

// seedCentral signs the assessment as a submission, imports it into the league and records a
// fleet scan of the sandbox, with the packages' own code.
func (e *env) seedCentral(ref string, sb *sandbox.Server) {
	e.t.Helper()
	ctx := context.Background()
	id, err := evidence.ParseAssessmentID(ref)
	if err != nil {
		e.t.Fatal(err)
	}
	payload, err := assess.Submission(ctx, e.store, id, checklist.Lookup, "test", time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	data, err := submission.Sign(payload, e.key)
	if err != nil {
		e.t.Fatal(err)
	}
	file := filepath.Join(e.dir, ref+".json")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		e.t.Fatal(err)
	}
	if err := e.league.AddKeys(ctx, []league.Key{league.NewKey(e.key.Public().(ed25519.PublicKey), "", "test")}); err != nil {
		e.t.Fatal(err)
	}
	res, err := e.league.Import(ctx, []string{file})
	if err != nil || res[0].Status != league.Imported {
		e.t.Fatalf("league import: %v %+v", err, res)
	}
	crawler, err := fleet.NewCrawler(fleet.Options{CAFile: sb.CAFile, PerHostRate: 100})
	if err != nil {
		e.t.Fatal(err)
	}
	defer crawler.Close()
	eps := []fleet.Endpoint{{ODS: sb.Org.ODSCode, Name: sb.Org.Name, OrgType: checklist.AcuteTrust, Region: "Test region",
		BaseURL: sb.BaseURL(), Kind: fleet.KindFHIRR4}}
	started := time.Now().UTC()
	obs, err := crawler.Scan(ctx, eps)
	if err != nil {
		e.t.Fatal(err)
	}
	up := 0
	for _, o := range obs {
		if o.Up {
			up++
		}
	}
	if _, err := e.fleet.RecordRun(ctx, fleet.Run{StartedAt: started, FinishedAt: time.Now().UTC(), Directory: "test.csv",
		DirectorySHA256: strings.Repeat("0", 64), Endpoints: len(eps), Up: up, Concurrency: 1, PerHostRate: 100, UserAgent: "test"}, eps, obs); err != nil {
		e.t.Fatal(err)
	}
}
