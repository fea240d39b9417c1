package fleet

import (
	"context"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const header = "ods,name,type,region,base_url,kind\n"

func TestParseDirectory(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
		want              int
	}{
		{"valid", header + "RX1,Trust One,acute-trust,London,https://fhir.example/R4/,fhir-r4\nA81001,Practice,gp-practice,North East,https://gp.example/ods/A81001,gpconnect\n", "", 2},
		{"any column order and extra columns", "kind,base_url,region,type,name,ods,notes\nfhir-r4,https://a.example/fhir,London,icb,ICB,QWE,x\n", "", 1},
		{"empty file", "", "the file is empty", 0},
		{"missing column", "ods,name,type,region,kind\n", "header lacks column(s) base_url", 0},
		{"bad ods", header + "rx-1,T,acute-trust,London,https://a.example,fhir-r4\n", "d.csv:2: ods \"rx-1\"", 0},
		{"bad type", header + "RX1,T,hospital,London,https://a.example,fhir-r4\n", "d.csv:2: type \"hospital\"", 0},
		{"bad kind", header + "RX1,T,acute-trust,London,https://a.example,hl7v2\n", "kind \"hl7v2\"", 0},
		{"bad scheme", header + "RX1,T,acute-trust,London,ftp://a.example,fhir-r4\n", "scheme must be https", 0},
		{"credentials", header + "RX1,T,acute-trust,London,https://u:secret@a.example,fhir-r4\n", "carries credentials", 0},
		{"duplicate url on line 3", header + "RX1,T,acute-trust,London,https://a.example,fhir-r4\nRX2,U,acute-trust,London,https://a.example/,fhir-r4\n", "d.csv:3: base_url https://a.example is already listed on line 2", 0},
		{"broken quote", header + "RX1,\"T,acute-trust,London,https://a.example,fhir-r4\n", "d.csv:2", 0},
		{"no rows", header, "no endpoints listed", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDirectory(strings.NewReader(tt.in), "d.csv")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				if got != nil {
					t.Fatalf("got %d endpoints with an error", len(got))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.want {
				t.Fatalf("got %d endpoints, want %d", len(got), tt.want)
			}
			for _, e := range got {
				if strings.HasSuffix(e.BaseURL, "/") {
					t.Errorf("base URL %s keeps its trailing slash", e.BaseURL)
				}
			}
		})
	}
}

func FuzzParseDirectory(f *testing.F) {
	f.Add(header + "RX1,Trust One,acute-trust,London,https://fhir.example/R4/,fhir-r4\n")
	f.Add("ods,name\n\"a\"\"b\",c\n")
	f.Add(header + "RX1,,,,,\n,,,,,,,,\n")
	f.Fuzz(func(t *testing.T, in string) {
		eps, err := ParseDirectory(strings.NewReader(in), "f.csv")
		if err != nil {
			if eps != nil {
				t.Fatal("endpoints returned with an error")
			}
			if !strings.HasPrefix(err.Error(), "f.csv") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, e := range eps {
			if e.ODS == "" || e.BaseURL == "" || e.Line < 2 {
				t.Fatalf("invalid endpoint accepted: %+v", e)
			}
		}
	})
}

// capStatement is a conformant R4 CapabilityStatement declaring the given resources.
func capStatement(software string, resources ...string) string {
	var rs []string
	for _, r := range resources {
		rs = append(rs, fmt.Sprintf(`{"type":%q,"interaction":[{"code":"read"},{"code":"search-type"}],"searchParam":[{"name":"_id","type":"token"}]}`, r))
	}
	return fmt.Sprintf(`{"resourceType":"CapabilityStatement","status":"active","date":%q,"kind":"instance",
		"software":{"name":%q,"version":"1"},"implementation":{"description":"test","url":"https://x.example"},
		"fhirVersion":"4.0.1","format":["application/fhir+json"],"rest":[{"mode":"server","resource":[%s]}]}`,
		time.Now().Format(time.RFC3339Nano), software, strings.Join(rs, ","))
}

// fleetServer serves behaviours by the first path segment over TLS on 127.0.0.1.
type fleetServer struct {
	srv      *httptest.Server
	caFile   string
	mu       sync.Mutex
	agents   []string
	hits     map[string]*atomic.Int32
	software atomic.Value
}

func newFleetServer(t *testing.T) *fleetServer {
	t.Helper()
	fs := &fleetServer{hits: map[string]*atomic.Int32{}}
	fs.software.Store("Server A")
	for _, k := range []string{"ok", "busy", "down", "slow", "gone", "html", "throttled"} {
		fs.hits[k] = &atomic.Int32{}
	}
	fs.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.mu.Lock()
		fs.agents = append(fs.agents, r.UserAgent())
		fs.mu.Unlock()
		kind, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		n := fs.hits[kind].Add(1)
		switch kind {
		case "ok":
			w.Header().Set("Content-Type", "application/fhir+json")
			fmt.Fprint(w, capStatement(fs.software.Load().(string), "Patient", "Observation"))
		case "busy": // 429 once, then fine
			if n == 1 {
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			w.Header().Set("Content-Type", "application/fhir+json")
			fmt.Fprint(w, capStatement("Busy", "Patient"))
		case "throttled": // asks for longer than the crawler waits
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusServiceUnavailable)
		case "down":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "slow":
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
			}
		case "html":
			fmt.Fprint(w, "<html>maintenance</html>")
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(fs.srv.Close)
	fs.caFile = filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: fs.srv.Certificate().Raw})
	if err := os.WriteFile(fs.caFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return fs
}

func (fs *fleetServer) endpoints(t *testing.T) []Endpoint {
	t.Helper()
	// A closed port on loopback: connection refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	var b strings.Builder
	b.WriteString(header)
	for i, k := range []string{"ok", "busy", "down", "slow", "gone", "html", "throttled"} {
		fmt.Fprintf(&b, "RX%d,Org %s,acute-trust,London,%s/%s/fhir,fhir-r4\n", i, k, fs.srv.URL, k)
	}
	fmt.Fprintf(&b, "RY1,Org refused,icb,North,https://%s/fhir,fhir-r4\n", closed)
	eps, err := ParseDirectory(strings.NewReader(b.String()), "test.csv")
	if err != nil {
		t.Fatal(err)
	}
	return eps
}

func testOptions(caFile string) Options {
	return Options{Concurrency: 4, PerHostRate: -1, Timeout: 500 * time.Millisecond, ConnectTimeout: time.Second,
		BaseBackoff: 10 * time.Millisecond, MaxRetryWait: 2 * time.Second, CAFile: caFile, UserAgent: "jigsaw-fleet-test/1"}
}

func TestScanRecordsEachKindOfEndpoint(t *testing.T) {
	fs := newFleetServer(t)
	eps := fs.endpoints(t)
	var progress atomic.Int32
	opts := testOptions(fs.caFile)
	opts.Progress = func(done, total int, o Observation) { progress.Add(1) }
	c, err := NewCrawler(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	obs, err := c.Scan(context.Background(), eps)
	if err != nil {
		t.Fatal(err)
	}
	byODS := map[string]Observation{}
	for _, o := range obs {
		byODS[o.ODS] = o
	}
	type want struct {
		up       bool
		status   int
		level    int
		attempts int
		errHas   string
	}
	for ods, w := range map[string]want{
		"RX0": {true, 200, LevelConformant, 1, ""},
		"RX1": {true, 200, LevelConformant, 2, ""},
		"RX2": {false, 503, LevelUnreachable, 3, "HTTP 503"},
		"RX3": {false, 0, LevelUnreachable, 1, "timeout"},
		"RX4": {false, 404, LevelSecure, 1, "HTTP 404"},
		"RX5": {true, 200, LevelSecure, 1, ""},
		"RX6": {false, 503, LevelUnreachable, 1, "exceeds"},
		"RY1": {false, 0, LevelUnreachable, 1, "connect"},
	} {
		o := byODS[ods]
		if o.Up != w.up || o.HTTPStatus != w.status || o.Level != w.level || o.Attempts != w.attempts || !strings.Contains(o.Error, w.errHas) {
			t.Errorf("%s: up=%v status=%d level=%d attempts=%d error=%q; want %+v", ods, o.Up, o.HTTPStatus, o.Level, o.Attempts, o.Error, w)
		}
	}
	if o := byODS["RX0"]; o.TLS == nil || !o.TLS.Verified || o.Capability == nil || o.Capability.Software != "Server A" || o.LatencyMS <= 0 {
		t.Errorf("RX0 facts missing: %+v", o)
	}
	if o := byODS["RX5"]; o.CapabilityError == "" {
		t.Error("HTML body not reported as a CapabilityStatement error")
	}
	if int(progress.Load()) != len(eps) {
		t.Errorf("progress called %d times for %d endpoints", progress.Load(), len(eps))
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, ua := range fs.agents {
		if ua != "jigsaw-fleet-test/1" {
			t.Fatalf("User-Agent %q sent", ua)
		}
	}
}

func TestPerHostRateLimit(t *testing.T) {
	fs := newFleetServer(t)
	var eps []Endpoint
	for i := range 4 {
		eps = append(eps, Endpoint{ODS: fmt.Sprintf("RA%d", i), BaseURL: fmt.Sprintf("%s/ok/%d", fs.srv.URL, i), Kind: KindFHIRR4})
	}
	opts := testOptions(fs.caFile)
	opts.PerHostRate, opts.PerHostBurst, opts.Concurrency = 10, 1, 4
	c, err := NewCrawler(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	if _, err := c.Scan(context.Background(), eps); err != nil {
		t.Fatal(err)
	}
	// Four requests to one host at 10 per second with no burst cannot finish before 300 ms,
	// however high the concurrency.
	if d := time.Since(start); d < 290*time.Millisecond {
		t.Fatalf("4 requests to one host took %s: the per-host limit was not applied", d)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              -1,
		"5":                             5 * time.Second,
		"soon":                          -1,
		"Thu, 01 Jan 2026 12:00:30 GMT": 30 * time.Second,
		"Thu, 01 Jan 2026 11:00:00 GMT": 0,
	} {
		if got := retryAfter(in, now); got != want {
			t.Errorf("retryAfter(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestStoreHistoryAndChanges(t *testing.T) {
	fs := newFleetServer(t)
	eps := fs.endpoints(t)
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "central.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := NewCrawler(testOptions(fs.caFile))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for run := range 2 {
		if run == 1 {
			fs.software.Store("Server B")
		}
		obs, err := c.Scan(ctx, eps)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.RecordRun(ctx, Run{StartedAt: time.Now(), FinishedAt: time.Now(), Directory: "test.csv"}, eps, obs); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := st.Summary(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Runs) != 2 || len(sum.Endpoints) != len(eps) {
		t.Fatalf("runs %d endpoints %d", len(sum.Runs), len(sum.Endpoints))
	}
	for _, e := range sum.Endpoints {
		if e.Checks != 2 {
			t.Errorf("%s checks = %d, want 2", e.ODS, e.Checks)
		}
		if e.ODS == "RX0" && e.Availability != 1 {
			t.Errorf("RX0 availability %v", e.Availability)
		}
		if e.ODS == "RX2" && e.Availability != 0 {
			t.Errorf("RX2 availability %v", e.Availability)
		}
	}
	// RX0's software changed; the busy endpoint restamps its date but nothing else.
	if len(sum.Changes) != 1 || sum.Changes[0].ODS != "RX0" {
		t.Fatalf("changes = %+v, want one for RX0", sum.Changes)
	}
	ch := sum.Changes[0].Changes
	if len(ch) != 1 || ch[0].Field != "software" || ch[0].Before != "Server A" || ch[0].After != "Server B" {
		t.Fatalf("change = %+v", ch)
	}
}

func TestDiff(t *testing.T) {
	a := &Capability{FHIRVersion: "4.0.1", Formats: []string{"json"}, Resources: []ResourceCapability{
		{Type: "Patient", Interactions: []string{"read"}}, {Type: "Encounter"}}}
	b := &Capability{FHIRVersion: "4.0.1", Formats: []string{"json", "xml"}, Resources: []ResourceCapability{
		{Type: "Observation"}, {Type: "Patient", Interactions: []string{"read", "search-type"}}}}
	got := Diff(a, b)
	want := []string{"format added xml", "resource added Observation", "resource Patient interaction added search-type", "resource removed Encounter"}
	var s []string
	for _, c := range got {
		s = append(s, strings.TrimSpace(c.Field+" "+c.Kind+" "+c.After+c.Before))
	}
	if strings.Join(s, "|") != strings.Join(want, "|") {
		t.Fatalf("diff = %q, want %q", s, want)
	}
	if Diff(a, a) != nil {
		t.Fatal("a statement differs from itself")
	}
}
