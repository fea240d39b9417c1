package validator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/validator/internal/benchdata"
)

// TestParallelNDJSONMatchesSequential validates the same NDJSON (with defects, blank lines and
// a syntax error) on one worker and on several: the results must be identical and in order.
func TestParallelNDJSONMatchesSequential(t *testing.T) {
	var buf bytes.Buffer
	if _, err := benchdata.Write(&buf, 3<<20, 5, 3); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("\n   \n{\"resourceType\": \"Patient\", \"active\": tru}\n")
	buf.WriteString(`{"resourceType": "Patient", "gender": "femail"}` + "\n")
	data := buf.Bytes()
	run := func(workers int) ([]Result, Summary) {
		v, err := New(R4, WithWorkers(workers))
		if err != nil {
			t.Fatal(err)
		}
		var out []Result
		sum, err := v.ValidateStream(context.Background(), bytes.NewReader(data), func(r Result) error {
			out = append(out, r)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out, sum
	}
	seq, seqSum := run(1)
	for _, n := range []int{2, 4} {
		par, parSum := run(n)
		if len(par) != len(seq) {
			t.Fatalf("%d workers: %d results, want %d", n, len(par), len(seq))
		}
		for i := range seq {
			if !reflect.DeepEqual(seq[i], par[i]) {
				t.Fatalf("%d workers: result %d differs:\n got %+v\nwant %+v", n, i, par[i], seq[i])
			}
		}
		if !reflect.DeepEqual(seqSum, parSum) {
			t.Fatalf("%d workers: summary %+v, want %+v", n, parSum, seqSum)
		}
	}
	if seqSum.Errors == 0 || seq[len(seq)-2].Issues[0].Check != CheckSyntax {
		t.Fatalf("the defects were not found: %+v", seq[len(seq)-2])
	}
}

// TestParallelNDJSONStopsOnCallbackError: an error from the callback ends the run with that
// error, and nothing is emitted after it.
func TestParallelNDJSONStopsOnCallbackError(t *testing.T) {
	var buf bytes.Buffer
	if _, err := benchdata.Write(&buf, 2<<20, 5, 1); err != nil {
		t.Fatal(err)
	}
	v, err := New(R4, WithWorkers(4))
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	n := 0
	_, err = v.ValidateStream(context.Background(), &buf, func(r Result) error {
		n++
		if n == 10 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 10 {
		t.Fatalf("got err %v after %d results, want stop after 10", err, n)
	}
}

// TestParallelBundleMatchesSequential validates Bundles (a large collection with defects, and a
// document whose references are resolved) on one worker and on several: same issues.
func TestParallelBundleMatchesSequential(t *testing.T) {
	var nd bytes.Buffer
	if _, err := benchdata.Write(&nd, 2<<20, 7, 4); err != nil {
		t.Fatal(err)
	}
	var big bytes.Buffer
	big.WriteString(`{"resourceType":"Bundle","type":"collection","link":[{"relation":"next","url":"http://x.org/p2"}],"entry":[`)
	for i, line := range bytes.Split(bytes.TrimSpace(nd.Bytes()), []byte("\n")) {
		if i > 0 {
			big.WriteString(",\n")
		}
		if i%50 == 3 {
			big.WriteString(`{"fullUrl":"Patient/relative","resource":`)
		} else {
			big.WriteString(`{"fullUrl":"urn:uuid:` + uuidFor(i) + `","resource":`)
		}
		big.Write(line)
		big.WriteString("}")
	}
	big.WriteString("]}")
	const div = `"text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"}`
	doc := `{"resourceType": "Bundle", "identifier": {"system": "urn:x", "value": "1"}, "type": "document", "timestamp": "2020-01-01T00:00:00Z",
	  "entry": [{"fullUrl": "http://x.org/fhir/Composition/c", "resource": {"resourceType": "Composition", "id": "c", ` + div + `, "status": "final",
	     "type": {"text": "t"}, "date": "2020-01-01", "title": "t", "author": [{"reference": "Patient/p"}, {"reference": "Practitioner/nobody"}]}},
	    {"fullUrl": "http://x.org/fhir/Patient/p", "resource": {"resourceType": "Patient", "id": "q", ` + div + `, "gender": "femail"}},
	    {"fullUrl": "http://x.org/fhir/Patient/z", "resource": {"resourceType": "Patient", "id": "z", ` + div + `}},
	    {"fullUrl": "http://x.org/fhir/Thing/1", "resource": {"resourceType": "Thing"}}]}`
	// Entry resources are only skimmed by the document's reader: a syntax error inside one is
	// found by the worker and must be placed and reported as the sequential reader does.
	broken := `{"resourceType":"Bundle","type":"collection","entry":[
	  {"fullUrl":"urn:uuid:6f7a1c3e-1111-4a5b-9c0d-000000000001","resource":{"resourceType":"Patient","gender":"femail"}},
	  {"fullUrl":"urn:uuid:6f7a1c3e-1111-4a5b-9c0d-000000000002","resource":{"resourceType":"Patient",
	     "name":[{"given":["A" "B"]}]}},
	  {"fullUrl":"urn:uuid:6f7a1c3e-1111-4a5b-9c0d-000000000003","resource":{"resourceType":"Patient","gender":"mail"}}]}`
	for name, data := range map[string][]byte{"collection": big.Bytes(), "document": []byte(doc), "broken entry": []byte(broken)} {
		t.Run(name, func(t *testing.T) {
			var results [][]Issue
			for _, n := range []int{1, 3} {
				v, err := New(R4, WithWorkers(n))
				if err != nil {
					t.Fatal(err)
				}
				results = append(results, v.ValidateResource(context.Background(), data))
			}
			if len(results[0]) == 0 {
				t.Fatal("no issues: the test data lost its defects")
			}
			if !reflect.DeepEqual(results[0], results[1]) {
				t.Fatalf("parallel differs from sequential:\n%s\n----\n%s", describe(results[0]), describe(results[1]))
			}
		})
	}
}

// TestNDJSONLongLines checks lines longer than the reader's 64 KB buffer among short ones: each
// is validated whole, on its own line number, on one worker (where short lines are read in
// place and long ones gathered) and on several.
func TestNDJSONLongLines(t *testing.T) {
	long := `{"resourceType":"Patient","gender":"femail","name":[{"text":"` + strings.Repeat("x", 200_000) + `"}]}`
	input := `{"resourceType":"Patient","gender":"male"}` + "\n" + long + "\n" + `{"resourceType":"Patient","gender":"mail"}` + "\n" + long + "\n"
	for _, workers := range []int{1, 2} {
		v, err := New(R4, WithWorkers(workers))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		if _, err := v.ValidateStream(context.Background(), strings.NewReader(input), func(r Result) error {
			for _, is := range r.Issues {
				if is.Check == CheckBinding {
					got = append(got, fmt.Sprintf("%d:%d", r.Line, is.Line))
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if want := "2:2 3:3 4:4"; strings.Join(got, " ") != want {
			t.Errorf("%d workers: binding errors on lines %v, want %s", workers, got, want)
		}
	}
}
