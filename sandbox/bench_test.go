package sandbox

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

func benchServer(b *testing.B) *r4Server {
	b.Helper()
	beh := behaviourOf(Exemplar)
	st, err := newStore(generate(beh, DefaultOrg(Exemplar)), beh)
	if err != nil {
		b.Fatal(err)
	}
	srv, err := newR4Server(Exemplar, DefaultOrg(Exemplar), st, "token", "127.0.0.1:1", 1)
	if err != nil {
		b.Fatal(err)
	}
	return srv
}

func benchRequest(b *testing.B, srv http.Handler, target, accept string) {
	b.Helper()
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("Authorization", "Bearer token")
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("%s: %d", target, rec.Code)
		}
	}
}

// The sandbox must never be the slow part of a probe run: these are in-process costs of
// answering, without TLS or deliberate delays.
func BenchmarkPatientSearchByNHSNumber(b *testing.B) {
	benchRequest(b, benchServer(b), testPatientQuery, "")
}

func BenchmarkObservationPage(b *testing.B) {
	benchRequest(b, benchServer(b), "/Observation?category=vital-signs&_count=20", "")
}

func BenchmarkReadAsXML(b *testing.B) {
	srv := benchServer(b)
	id := srv.store.types["Patient"].all[0].id
	benchRequest(b, srv, "/Patient/"+id, "application/fhir+xml")
}

func BenchmarkStart(b *testing.B) {
	for _, p := range Profiles() {
		b.Run(string(p), func(b *testing.B) {
			for b.Loop() {
				srv, err := Start(context.Background(), Config{Profile: p, Dir: b.TempDir()})
				if err != nil {
					b.Fatal(err)
				}
				srv.Close()
			}
		})
	}
}
