package evidence

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/probes"
)

const testNHSNumber = "9990000018" // the sandbox's test patient (valid mod 11)

// realLookingNHSNumber is valid mod 11 and not on any test list, so it must be redacted.
const realLookingNHSNumber = "9434765919"

func checklistSum() string {
	sum := sha256.Sum256([]byte("nhs-interop@2026.1"))
	return hex.EncodeToString(sum[:])
}

func openTestStore(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "evidence.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func newAssessment(t *testing.T, s *Store, ods string, keepBodies bool) Assessment {
	t.Helper()
	ctx := context.Background()
	if err := s.UpsertOrganisation(ctx, Organisation{ODSCode: ods, Name: "Test Trust " + ods, Type: checklist.AcuteTrust, Region: "London", ICB: "QMJ"}); err != nil {
		t.Fatalf("UpsertOrganisation: %v", err)
	}
	a, err := s.CreateAssessment(ctx, NewAssessment{
		ODSCode: ods, ChecklistID: "nhs-interop", ChecklistVersion: "2026.1", ChecklistSHA256: checklistSum(),
		TargetURL: "https://127.0.0.1:8443/fhir", FHIRVersion: "R4", Cycle: "2026-Q3", ToolVersion: "test",
		KeepBodies: keepBodies, TestNHSNumbers: []string{testNHSNumber},
	})
	if err != nil {
		t.Fatalf("CreateAssessment: %v", err)
	}
	return a
}

// patientBundle is a search result with one synthetic patient whose identifiers must not be
// stored.
func patientBundle(nhs string) []byte {
	return []byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"fullUrl":"https://127.0.0.1/Patient/p1",` +
		`"resource":{"resourceType":"Patient","id":"p1","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhs + `"}],` +
		`"name":[{"use":"official","family":"Smith","given":["Jane","Ann"],"prefix":["Mrs"]}],` +
		`"telecom":[{"system":"phone","value":"020 7946 0000","use":"home"}],"birthDate":"1970-01-31",` +
		`"address":[{"use":"home","line":["1 High Street"],"city":"Leeds","postalCode":"LS1 1AA"}]}}]}`)
}

func sampleExchange(id, probeID string, body []byte) probes.Exchange {
	return probes.Exchange{
		ID: id, ProbeID: probeID, Method: http.MethodGet,
		URL: "https://127.0.0.1:8443/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|" + realLookingNHSNumber + "&access_token=sekrit",
		RequestHeaders: http.Header{
			"Authorization": {"Bearer eyJhbGciOiJIUzI1NiJ9.secret.token"},
			"Cookie":        {"session=abc"},
			"Accept":        {"application/fhir+json"},
		},
		StatusCode: 200,
		ResponseHeaders: http.Header{
			"Content-Type": {"application/fhir+json"},
			"Set-Cookie":   {"session=def"},
		},
		ResponseBody: body, ResponseSize: int64(len(body)),
		TLS:       &probes.TLSFacts{Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", Verified: true, PeerDNSNames: []string{"localhost"}},
		StartedAt: time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC), Duration: 12 * time.Millisecond,
	}
}

func sampleResult(probeID string, status probes.Status, exchangeIDs ...string) probes.Result {
	return probes.Result{
		ProbeID: probeID, Title: "Title of " + probeID, Pack: "fhir", Status: status, Severity: probes.Medium,
		Expected: "200 Bundle", Observed: "200 Bundle for NHS number " + realLookingNHSNumber, SpecRef: "https://hl7.org/fhir/R4/http.html#search",
		StartedAt: time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC), Duration: 20 * time.Millisecond, Exchanges: exchangeIDs,
	}
}

func recordSample(t *testing.T, s *Store, assessmentID int64, probeID string) RecordedResult {
	t.Helper()
	rec, err := s.RecordProbeResult(context.Background(), assessmentID, sampleResult(probeID, probes.Pass, "ex-1"),
		[]probes.Exchange{sampleExchange("ex-1", probeID, patientBundle(realLookingNHSNumber))})
	if err != nil {
		t.Fatalf("RecordProbeResult(%s): %v", probeID, err)
	}
	return rec
}

// rawDB opens the file as an attacker (or a test) would: plain SQL, no store.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOpenMigratesEmptyDatabaseAndReopens(t *testing.T) {
	ctx := context.Background()
	s, path := openTestStore(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // reopening applies nothing again
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("reopen %d: %v", i, err)
		}
		s.Close()
	}
	db := rawDB(t, path)
	var versions, maxVersion int
	if err := db.QueryRow(`SELECT count(*), max(version) FROM schema_migrations`).Scan(&versions, &maxVersion); err != nil {
		t.Fatal(err)
	}
	if versions != SchemaVersion() || maxVersion != SchemaVersion() || SchemaVersion() < 1 {
		t.Errorf("schema_migrations has %d rows up to %d, want %d", versions, maxVersion, SchemaVersion())
	}
	var appID int64
	var journal string
	if err := db.QueryRow(`PRAGMA application_id`).Scan(&appID); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&journal); err != nil {
		t.Fatal(err)
	}
	if appID != applicationID || journal != "wal" {
		t.Errorf("application_id %#x journal_mode %s, want %#x wal", appID, journal, applicationID)
	}
}

func TestOpenConfiguresConnections(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	for name, db := range map[string]*sql.DB{"write": s.write, "read": s.read} {
		var fk, busy, sync int
		if err := db.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&busy); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&sync); err != nil {
			t.Fatal(err)
		}
		wantSync := 1 // NORMAL
		if name == "write" {
			wantSync = 2 // FULL
		}
		if fk != 1 || busy != int(busyTimeout.Milliseconds()) || sync != wantSync {
			t.Errorf("%s: foreign_keys=%d busy_timeout=%d synchronous=%d, want 1, %d, %d", name, fk, busy, sync, busyTimeout.Milliseconds(), wantSync)
		}
	}
	if _, err := s.read.ExecContext(ctx, `INSERT INTO organisations VALUES ('X1','n','icb','','','')`); err == nil {
		t.Error("read pool accepted a write")
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	s, path := openTestStore(t)
	s.Close()
	db := rawDB(t, path)
	if _, err := db.Exec(`INSERT INTO schema_migrations VALUES (99, 'future', 'x', '2030-01-01T00:00:00Z')`); err != nil {
		t.Fatal(err)
	}
	for name, open := range map[string]func(context.Context, string) (*Store, error){"Open": Open, "OpenReadOnly": OpenReadOnly} {
		_, err := open(context.Background(), path)
		if err == nil || !strings.Contains(err.Error(), "newer than this Jigsaw supports") {
			t.Errorf("%s of a newer database: %v, want a refusal naming the newer version", name, err)
		}
	}
}

func TestOpenRefusesOtherDatabases(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	db := rawDB(t, path)
	if _, err := db.Exec(`CREATE TABLE customers (id INTEGER)`); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), path); err == nil || !strings.Contains(err.Error(), "not a Jigsaw evidence database") {
		t.Errorf("Open of a foreign database: %v", err)
	}
	if _, err := OpenReadOnly(context.Background(), path); err == nil || !strings.Contains(err.Error(), "not a Jigsaw evidence database") {
		t.Errorf("OpenReadOnly of a foreign database: %v", err)
	}
	if _, err := OpenReadOnly(context.Background(), filepath.Join(t.TempDir(), "missing.db")); err == nil {
		t.Error("OpenReadOnly of a missing file succeeded")
	}
}

func TestOpenReadOnlyDoesNotWrite(t *testing.T) {
	s, path := openTestStore(t)
	a := newAssessment(t, s, "RX1", false)
	recordSample(t, s, a.ID, "fhir.capability.present")
	s.Close()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ro, err := OpenReadOnly(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if rep, err := ro.VerifyChain(context.Background()); err != nil || !rep.OK {
		t.Fatalf("VerifyChain read-only: %+v, %v", rep, err)
	}
	if _, err := ro.RecordProbeResult(context.Background(), a.ID, sampleResult("x", probes.Pass), nil); err == nil {
		t.Error("read-only store recorded a result")
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("opening read-only changed the database file")
	}
}

func TestRecordProbeResultStoresRedactedEvidence(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	a := newAssessment(t, s, "RX1", false)
	if a.Ref != FormatID(KindAssessment, a.ID) || a.Status != Running || a.Org.Name != "Test Trust RX1" {
		t.Fatalf("assessment = %+v", a)
	}
	rec := recordSample(t, s, a.ID, "identity.nhs-number.search")
	if !strings.HasPrefix(rec.ID, "PR-") || !strings.HasPrefix(rec.Exchanges["ex-1"], "EX-") {
		t.Fatalf("recorded = %+v", rec)
	}

	ex, err := s.Exchange(ctx, rec.Exchanges["ex-1"])
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []http.Header{ex.RequestHeaders, ex.ResponseHeaders} {
		for _, name := range []string{"Authorization", "Cookie", "Set-Cookie"} {
			if _, ok := h[name]; ok {
				t.Errorf("stored headers contain %s", name)
			}
		}
	}
	if strings.Join(ex.RemovedHeaders, ",") != "Authorization,Cookie,Set-Cookie" {
		t.Errorf("removed headers = %v", ex.RemovedHeaders)
	}
	if ex.RequestHeaders.Get("Accept") != "application/fhir+json" {
		t.Errorf("Accept header lost: %v", ex.RequestHeaders)
	}
	if ex.ResponseBodyMode != BodyRedacted {
		t.Errorf("response body mode = %s", ex.ResponseBodyMode)
	}
	stored := string(ex.ResponseBody)
	for _, secret := range []string{realLookingNHSNumber, "Smith", "Jane", "1970-01-31", "Leeds", "LS1 1AA", "020 7946", "sekrit", "eyJhbGci"} {
		if strings.Contains(stored, secret) || strings.Contains(ex.URL, secret) {
			t.Errorf("stored exchange still contains %q\nbody: %s\nurl: %s", secret, stored, ex.URL)
		}
	}
	if !strings.Contains(stored, `"use":"official"`) || !strings.Contains(stored, Redacted) {
		t.Errorf("redacted body lost its structure: %s", stored)
	}
	original := patientBundle(realLookingNHSNumber)
	if ex.ResponseSHA256 != sha256Hex(original) || ex.ResponseSize != int64(len(original)) {
		t.Errorf("response digest/size = %s/%d, want those of the body as received", ex.ResponseSHA256, ex.ResponseSize)
	}
	if ex.TLS == nil || ex.TLS.Version != "TLS 1.3" || ex.Duration != 12*time.Millisecond || ex.StatusCode != 200 {
		t.Errorf("exchange facts lost: %+v", ex)
	}

	results, err := s.ResultsFor(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].ID != rec.ID || len(results[0].Exchanges) != 1 || results[0].Exchanges[0] != rec.Exchanges["ex-1"] {
		t.Fatalf("ResultsFor = %+v", results)
	}
	if strings.Contains(results[0].Observed, realLookingNHSNumber) {
		t.Errorf("observed text kept an NHS number: %q", results[0].Observed)
	}
}

func TestKeepBodiesStoresRawBodiesButNeverSecrets(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	a := newAssessment(t, s, "RX1", true)
	body := patientBundle(realLookingNHSNumber)
	rec, err := s.RecordProbeResult(ctx, a.ID, sampleResult("fhir.search.bundle", probes.Pass, "e"),
		[]probes.Exchange{sampleExchange("e", "fhir.search.bundle", body)})
	if err != nil {
		t.Fatal(err)
	}
	ex, err := s.Exchange(ctx, rec.Exchanges["e"])
	if err != nil {
		t.Fatal(err)
	}
	if ex.ResponseBodyMode != BodyRaw || !bytes.Equal(ex.ResponseBody, body) {
		t.Errorf("keep-bodies body = %s (%s), want the original", ex.ResponseBody, ex.ResponseBodyMode)
	}
	if strings.Contains(ex.URL, "sekrit") || ex.RequestHeaders.Get("Authorization") != "" {
		t.Errorf("keep-bodies stored a secret: url %s headers %v", ex.URL, ex.RequestHeaders)
	}
}

func TestRecordProbeResultIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	a := newAssessment(t, s, "RX1", false)
	before, _ := s.ChainHead(ctx)

	// The result cites an exchange that was not passed: nothing may be written.
	_, err := s.RecordProbeResult(ctx, a.ID, sampleResult("p", probes.Pass, "ex-1", "ex-2"),
		[]probes.Exchange{sampleExchange("ex-1", "p", nil)})
	if err == nil {
		t.Fatal("recorded a result citing a missing exchange")
	}
	// A failure inside the transaction (a status the schema refuses) must roll back the exchanges.
	bad := sampleResult("p", probes.Pass, "ex-1")
	bad.Status = "maybe"
	if _, err := s.RecordProbeResult(ctx, a.ID, bad, []probes.Exchange{sampleExchange("ex-1", "p", nil)}); err == nil {
		t.Fatal("recorded a result with an unknown status")
	}
	ctxCancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.RecordProbeResult(ctxCancelled, a.ID, sampleResult("p", probes.Pass, "ex-1"), []probes.Exchange{sampleExchange("ex-1", "p", nil)}); err == nil {
		t.Fatal("recorded with a cancelled context")
	}
	after, _ := s.ChainHead(ctx)
	if after != before {
		t.Errorf("chain head moved from %v to %v after failed records", before, after)
	}
	if _, err := s.RecordProbeResult(ctx, 999, sampleResult("p", probes.Pass), nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown assessment: %v, want ErrNotFound", err)
	}
}

func TestResultsForReturnsLatestPerProbe(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	a := newAssessment(t, s, "RX1", false)
	other := newAssessment(t, s, "RX2", false)
	if _, err := s.RecordProbeResult(ctx, a.ID, sampleResult("b.probe", probes.Error), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordProbeResult(ctx, a.ID, sampleResult("a.probe", probes.Pass), nil); err != nil {
		t.Fatal(err)
	}
	rerun, err := s.RecordProbeResult(ctx, a.ID, sampleResult("b.probe", probes.Fail), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordProbeResult(ctx, other.ID, sampleResult("c.probe", probes.Pass), nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.ResultsFor(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ProbeID != "a.probe" || got[1].ProbeID != "b.probe" || got[1].ID != rerun.ID || got[1].Status != probes.Fail {
		t.Errorf("ResultsFor = %+v", got)
	}
}

func TestAssessmentStatusLifecycle(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	a := newAssessment(t, s, "RX1", false)
	steps := []struct {
		status  AssessmentStatus
		wantErr bool
	}{
		{Incomplete, false}, {Running, false}, {Complete, false}, {Complete, false}, {Running, true}, {Incomplete, true}, {"paused", true},
	}
	for _, st := range steps {
		err := s.SetAssessmentStatus(ctx, a.ID, st.status)
		if (err != nil) != st.wantErr {
			t.Errorf("SetAssessmentStatus(%s): %v, want error %v", st.status, err, st.wantErr)
		}
	}
	got, err := s.Assessment(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != Complete || got.FinishedAt.IsZero() {
		t.Errorf("after completion: %+v", got)
	}
	if _, err := s.RecordProbeResult(ctx, a.ID, sampleResult("late", probes.Pass), nil); err == nil || !strings.Contains(err.Error(), "complete") {
		t.Errorf("evidence added to a complete assessment: %v", err)
	}
}

func TestListAssessments(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	first := newAssessment(t, s, "RX1", false)
	second := newAssessment(t, s, "RX1", false)
	otherOrg := newAssessment(t, s, "A12345", false)
	recordSample(t, s, second.ID, "p1")

	all, err := s.ListAssessments(ctx, AssessmentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if ids := refs(all); ids != strings.Join([]string{otherOrg.Ref, second.Ref, first.Ref}, ",") {
		t.Errorf("all assessments newest first = %s", ids)
	}
	if all[1].Results != 1 || all[1].Exchanges != 1 {
		t.Errorf("counts of %s = %+v", second.Ref, all[1])
	}
	byOrg, _ := s.ListAssessments(ctx, AssessmentFilter{ODSCode: "RX1"})
	if refs(byOrg) != second.Ref+","+first.Ref {
		t.Errorf("RX1 assessments = %s", refs(byOrg))
	}
	latest, _ := s.ListAssessments(ctx, AssessmentFilter{LatestPerOrg: true})
	if refs(latest) != otherOrg.Ref+","+second.Ref {
		t.Errorf("latest per org = %s", refs(latest))
	}
	l, err := s.LatestAssessment(ctx, "RX1")
	if err != nil || l.ID != second.ID {
		t.Errorf("LatestAssessment = %v, %v", l.Ref, err)
	}
	if _, err := s.LatestAssessment(ctx, "ZZZ"); !errors.Is(err, ErrNotFound) {
		t.Errorf("LatestAssessment of unknown org: %v", err)
	}
}

func refs(list []AssessmentSummary) string {
	var out []string
	for _, a := range list {
		out = append(out, a.Ref)
	}
	return strings.Join(out, ",")
}

func TestUpsertOrganisationValidatesAndUpdates(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	bad := []Organisation{
		{ODSCode: "rx1", Name: "n", Type: checklist.AcuteTrust},
		{ODSCode: "RX1", Name: " ", Type: checklist.AcuteTrust},
		{ODSCode: "RX1", Name: "n", Type: "hospital"},
	}
	for _, o := range bad {
		if err := s.UpsertOrganisation(ctx, o); err == nil {
			t.Errorf("UpsertOrganisation(%+v) accepted", o)
		}
	}
	a := newAssessment(t, s, "RX1", false)
	if err := s.UpsertOrganisation(ctx, Organisation{ODSCode: "RX1", Name: "Renamed Trust", Type: checklist.CommunityTrust}); err != nil {
		t.Fatal(err)
	}
	o, err := s.Organisation(ctx, "RX1")
	if err != nil || o.Name != "Renamed Trust" || o.Type != checklist.CommunityTrust {
		t.Errorf("Organisation after update = %+v, %v", o, err)
	}
	got, _ := s.Assessment(ctx, a.ID)
	if got.Org.Name != "Test Trust RX1" || got.Org.Type != checklist.AcuteTrust {
		t.Errorf("assessment lost its snapshot of the organisation: %+v", got.Org)
	}
}

func sampleAttestations() []Attestation {
	at := time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)
	return []Attestation{
		{ItemID: "IG-01", Status: Answered, Level: 3, Provenance: InspectorVerified, AnsweredBy: "inspector@cqc", AnsweredAt: at, EvidenceRefs: []string{"DSA v3"}},
		{ItemID: "TERM-01", Status: NotApplicable, Provenance: SelfAssessed, AnsweredBy: "ig.lead@trust", AnsweredAt: at},
		{ItemID: "CYB-02", Status: Waived, Provenance: SelfAssessed, AnsweredBy: "ig.lead@trust", AnsweredAt: at,
			WaiverReason: "system replaced in Q4", WaiverExpiry: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)},
	}
}

func TestRecordAttestationsIsIdempotent(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	a := newAssessment(t, s, "RX1", false)
	src := AttestationSource{File: "answers.yaml", SHA256: sha256Hex([]byte("answers v1"))}

	first, err := s.RecordAttestations(ctx, a.ID, src, sampleAttestations())
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Added) != 3 || first.Unchanged != 0 {
		t.Fatalf("first import = %+v", first)
	}
	head, _ := s.ChainHead(ctx)
	again, err := s.RecordAttestations(ctx, a.ID, src, sampleAttestations())
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Added) != 0 || again.Unchanged != 3 {
		t.Errorf("second import of the same file = %+v, want nothing added", again)
	}
	if h, _ := s.ChainHead(ctx); h != head {
		t.Errorf("re-import moved the chain head %v -> %v", head, h)
	}

	// A changed file supersedes the answer it changes.
	changed := sampleAttestations()[:1]
	changed[0].Level = 4
	v2 := AttestationSource{File: "answers.yaml", SHA256: sha256Hex([]byte("answers v2"))}
	if _, err := s.RecordAttestations(ctx, a.ID, v2, changed); err != nil {
		t.Fatal(err)
	}
	latest, err := s.Attestations(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(latest) != 3 || latest[1].ItemID != "IG-01" || latest[1].Level != 4 || latest[1].Source.SHA256 != v2.SHA256 {
		t.Errorf("latest attestations = %+v", latest)
	}
	if w := latest[0]; w.ItemID != "CYB-02" || w.WaiverReason == "" || !w.WaiverExpiry.Equal(time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("waiver = %+v", w)
	}
}

func TestRecordAttestationsRejectsBadAnswers(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	a := newAssessment(t, s, "RX1", false)
	src := AttestationSource{File: "answers.yaml", SHA256: sha256Hex([]byte("x"))}
	base := sampleAttestations()[0]
	cases := map[string]func(*Attestation){
		"no item":             func(a *Attestation) { a.ItemID = "" },
		"level 5":             func(a *Attestation) { a.Level = 5 },
		"answered no level":   func(a *Attestation) { a.Level = 0 },
		"n/a with level":      func(a *Attestation) { a.Status = NotApplicable },
		"bad status":          func(a *Attestation) { a.Status = "maybe" },
		"bad provenance":      func(a *Attestation) { a.Provenance = "probe-verified" },
		"waiver no expiry":    func(a *Attestation) { a.Status, a.Level, a.WaiverReason = Waived, 0, "r" },
		"reason on an answer": func(a *Attestation) { a.WaiverReason = "r" },
	}
	for name, mutate := range cases {
		att := base
		mutate(&att)
		if _, err := s.RecordAttestations(ctx, a.ID, src, []Attestation{att}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := s.RecordAttestations(ctx, a.ID, src, []Attestation{base, base}); err == nil {
		t.Error("duplicate item accepted")
	}
	if _, err := s.RecordAttestations(ctx, a.ID, AttestationSource{File: "f", SHA256: "abc"}, []Attestation{base}); err == nil {
		t.Error("bad source digest accepted")
	}
	if n, _ := s.Attestations(ctx, a.ID); len(n) != 0 {
		t.Errorf("rejected imports left %d attestations", len(n))
	}
}

func TestAttachFile(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	a := newAssessment(t, s, "RX1", false)
	content := []byte("%PDF-1.7 pen test report")
	f, err := s.AttachFile(ctx, a.ID, FileInput{Name: "pentest.pdf", MediaType: "application/pdf", Content: bytes.NewReader(content), KeepBytes: true})
	if err != nil {
		t.Fatal(err)
	}
	if f.SHA256 != sha256Hex(content) || f.Size != int64(len(content)) || !f.HasContent || !strings.HasPrefix(f.ID, "FI-") {
		t.Errorf("attached = %+v", f)
	}
	got, err := s.FileContent(ctx, f.ID)
	if err != nil || !bytes.Equal(got, content) {
		t.Errorf("FileContent = %q, %v", got, err)
	}
	again, err := s.AttachFile(ctx, a.ID, FileInput{Name: "pentest.pdf", Content: bytes.NewReader(content), KeepBytes: true})
	if err != nil || again.ID != f.ID {
		t.Errorf("re-attach = %+v, %v; want the existing %s", again, err, f.ID)
	}
	hashOnly, err := s.AttachFile(ctx, a.ID, FileInput{Name: "dpia.docx", Content: strings.NewReader("dpia")})
	if err != nil || hashOnly.HasContent || hashOnly.Size != 4 {
		t.Errorf("hash-only attach = %+v, %v", hashOnly, err)
	}
	if _, err := s.FileContent(ctx, hashOnly.ID); err == nil {
		t.Error("FileContent of a hash-only file succeeded")
	}
}

func TestLoadReadsEverything(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	a := newAssessment(t, s, "RX1", false)
	rec := recordSample(t, s, a.ID, "fhir.search.bundle")
	if _, err := s.RecordAttestations(ctx, a.ID, AttestationSource{File: "a.yaml", SHA256: sha256Hex([]byte("a"))}, sampleAttestations()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AttachFile(ctx, a.ID, FileInput{Name: "dsa.pdf", Content: strings.NewReader("dsa")}); err != nil {
		t.Fatal(err)
	}
	snap, err := s.Load(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Assessment.ID != a.ID || len(snap.Results) != 1 || len(snap.Attestations) != 3 || len(snap.Exchanges) != 1 || len(snap.Files) != 1 {
		t.Fatalf("snapshot = %+v", snap)
	}
	ex := snap.Exchanges[0]
	if ex.ID != rec.Exchanges["ex-1"] || ex.Method != "GET" || ex.StatusCode != 200 || ex.ResponseSHA256 == "" || ex.Duration != 12*time.Millisecond {
		t.Errorf("exchange summary = %+v", ex)
	}
	head, _ := s.ChainHead(ctx)
	if snap.Head != head || head.Seq != 7 {
		t.Errorf("snapshot head %v, store head %v", snap.Head, head)
	}
	if _, err := s.Load(ctx, 12345); !errors.Is(err, ErrNotFound) {
		t.Errorf("Load of unknown assessment: %v", err)
	}
}

func TestParseID(t *testing.T) {
	cases := []struct {
		in      string
		kind    Kind
		seq     int64
		wantErr bool
	}{
		{"EX-000123", KindExchange, 123, false},
		{"pr-7", KindResult, 7, false},
		{"FI-1234567", KindFile, 1234567, false},
		{"XX-000001", "", 0, true},
		{"EX-", "", 0, true},
		{"EX-0", "", 0, true},
		{"123", "", 0, true},
	}
	for _, c := range cases {
		k, seq, err := ParseID(c.in)
		if (err != nil) != c.wantErr || k != c.kind || seq != c.seq {
			t.Errorf("ParseID(%q) = %s, %d, %v", c.in, k, seq, err)
		}
	}
	if FormatID(KindExchange, 123) != "EX-000123" {
		t.Errorf("FormatID = %s", FormatID(KindExchange, 123))
	}
	for in, want := range map[string]int64{"12": 12, "AS-000012": 12} {
		if got, err := ParseAssessmentID(in); err != nil || got != want {
			t.Errorf("ParseAssessmentID(%q) = %d, %v", in, got, err)
		}
	}
	if _, err := ParseAssessmentID("EX-000012"); err == nil {
		t.Error("ParseAssessmentID accepted an exchange id")
	}
}

// fill records a little of everything so that every chained table has rows mid-chain.
func fill(t *testing.T, s *Store) Assessment {
	t.Helper()
	ctx := context.Background()
	a := newAssessment(t, s, "RX1", false)
	recordSample(t, s, a.ID, "p1")
	if _, err := s.RecordAttestations(ctx, a.ID, AttestationSource{File: "a.yaml", SHA256: sha256Hex([]byte("a"))}, sampleAttestations()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AttachFile(ctx, a.ID, FileInput{Name: "dsa.pdf", Content: strings.NewReader("dsa"), KeepBytes: true}); err != nil {
		t.Fatal(err)
	}
	recordSample(t, s, a.ID, "p2")
	newAssessment(t, s, "RX2", false)
	return a
}

func TestRecordProbeResultCitesEarlierExchange(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	a := newAssessment(t, s, "RXA", false)
	shared := probes.Exchange{ID: "run1-0001", Method: "GET", URL: "https://x.test/metadata", StatusCode: 200}
	first, err := s.RecordProbeResult(ctx, a.ID, probes.Result{ProbeID: "fhir.capability.present", Status: probes.Pass, Exchanges: []string{"run1-0001"}}, []probes.Exchange{shared})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordProbeResult(ctx, a.ID, probes.Result{ProbeID: "fhir.capability.version", Status: probes.Pass, Exchanges: []string{"run1-0001"}}, nil); err != nil {
		t.Fatalf("citing an exchange recorded with an earlier result: %v", err)
	}
	results, err := s.ResultsFor(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if len(r.Exchanges) != 1 || r.Exchanges[0] != first.Exchanges["run1-0001"] {
			t.Errorf("%s cites %v, want [%s]", r.ProbeID, r.Exchanges, first.Exchanges["run1-0001"])
		}
	}
	if _, err := s.RecordProbeResult(ctx, a.ID, probes.Result{ProbeID: "fhir.content-type", Status: probes.Pass, Exchanges: []string{"never-recorded"}}, nil); err == nil {
		t.Fatal("citing an exchange never recorded must fail")
	}
}
