package validator

import (
	"bytes"
	"context"
	"errors"
	"reflect"
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
