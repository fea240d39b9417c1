package validator

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestUniqueFullURLs checks bdl-7, worked out from the entry summaries: two entries may share a
// fullUrl only with different meta.versionId, and history Bundles are exempt; in R4 and STU3,
// validated in order and by the parallel workers alike.
func TestUniqueFullURLs(t *testing.T) {
	entry := func(url, vers string) string {
		meta := ""
		if vers != "" {
			meta = fmt.Sprintf(`,"meta":{"versionId":%q}`, vers)
		}
		return fmt.Sprintf(`{"fullUrl":%q,"resource":{"resourceType":"Basic","id":"b1","code":{"text":"x"}%s}}`, url, meta)
	}
	const u1, u2 = "https://example.org/fhir/Basic/b1", "urn:uuid:6f7a1c3e-1111-4a5b-9c0d-000000000002"
	for _, tc := range []struct {
		name    string
		typ     string
		entries []string
		want    bool // bdl-7 reported
	}{
		{"distinct", "collection", []string{entry(u1, ""), entry(u2, "")}, false},
		{"same fullUrl", "collection", []string{entry(u1, ""), entry(u2, ""), entry(u1, "")}, true},
		{"same fullUrl and version", "collection", []string{entry(u1, "1"), entry(u1, "1")}, true},
		{"same fullUrl, other versions", "collection", []string{entry(u1, "1"), entry(u1, "2")}, false},
		{"one versioned, one not", "collection", []string{entry(u1, "1"), entry(u1, "")}, false},
		{"history", "history", []string{entry(u1, ""), entry(u1, "")}, false},
		{"no fullUrls", "collection", []string{`{"resource":{"resourceType":"Basic","code":{"text":"x"}}}`, `{"resource":{"resourceType":"Basic","code":{"text":"x"}}}`}, false},
	} {
		doc := fmt.Sprintf(`{"resourceType":"Bundle","type":%q,"entry":[%s]}`, tc.typ, strings.Join(tc.entries, ","))
		for _, version := range []Version{R4, STU3} {
			for _, workers := range []int{1, 2} {
				v, err := New(version, WithWorkers(workers))
				if err != nil {
					t.Fatal(err)
				}
				var got []Issue
				if _, err := v.ValidateStream(context.Background(), strings.NewReader(doc), func(r Result) error {
					got = append(got, r.Issues...)
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				found := false
				for _, is := range got {
					if is.Key == "bdl-7" {
						found = true
						if is.Severity != SeverityError || is.Expression != "Bundle" {
							t.Errorf("%s (%s, %d workers): %+v", tc.name, version, workers, is)
						}
					}
				}
				if found != tc.want {
					t.Errorf("%s (%s, %d workers): bdl-7 reported %v, want %v:\n%s", tc.name, version, workers, found, tc.want, describe(got))
				}
			}
		}
	}
}

// TestBundleInvariantsOverManyEntries checks the Bundle invariants that read every entry, on a
// Bundle with enough entries for the tree model to index them (and share the index with
// several expressions): a request in a collection fails bdl-3, a response bdl-4, wherever
// the entry is.
func TestBundleInvariantsOverManyEntries(t *testing.T) {
	v, err := New(R4, WithWorkers(1))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		request, response int // entry given a request / a response; -1 none
		want              []string
	}{
		{-1, -1, nil},
		{0, -1, []string{"bdl-3"}},
		{-1, 39, []string{"bdl-4"}},
		{17, 3, []string{"bdl-3", "bdl-4"}},
	} {
		var entries []string
		for i := 0; i < 40; i++ {
			extra := ""
			if i == tc.request {
				extra += `,"request":{"method":"GET","url":"Basic"}`
			}
			if i == tc.response {
				extra += `,"response":{"status":"200"}`
			}
			entries = append(entries, fmt.Sprintf(`{"fullUrl":"urn:uuid:6f7a1c3e-1111-4a5b-9c0d-%012d","resource":{"resourceType":"Basic","code":{"text":"x"}}%s}`, i, extra))
		}
		doc := `{"resourceType":"Bundle","type":"collection","entry":[` + strings.Join(entries, ",") + `]}`
		var got []string
		for _, is := range v.ValidateResource(context.Background(), []byte(doc)) {
			if is.Key != "" && strings.HasPrefix(is.Key, "bdl-") {
				got = append(got, is.Key)
			}
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("request at %d, response at %d: got %v, want %v", tc.request, tc.response, got, tc.want)
		}
	}
}
