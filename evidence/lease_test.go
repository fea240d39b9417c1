package evidence

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestWriterLease(t *testing.T) {
	ctx := context.Background()
	s, path := openTestStore(t)
	a := newAssessment(t, s, "RXX", false)

	held, err := s.ClaimWriter(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	// A second store on the same file, as a second process would open it.
	other, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.ClaimWriter(ctx, a.ID); !errors.Is(err, ErrAssessmentBusy) {
		t.Fatalf("second claim: got %v, want ErrAssessmentBusy", err)
	}
	if err := held.Release(); err != nil {
		t.Fatal(err)
	}
	again, err := other.ClaimWriter(ctx, a.ID)
	if err != nil {
		t.Fatalf("claim after release: %v", err)
	}

	// A lease that was not renewed lapses: a later claim takes it over, and the old holder
	// learns it lost it at its next renewal.
	other.now = func() time.Time { return time.Now().Add(2 * LeaseTTL) }
	if _, err := other.ClaimWriter(ctx, a.ID); err != nil {
		t.Fatalf("claim of a lapsed lease: %v", err)
	}
	other.now = time.Now
	if err := again.Release(); err != nil {
		t.Fatal(err)
	}
}

func TestWriterLeaseOfDeadProcessIsTakenOver(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	a := newAssessment(t, s, "RXX", false)
	if _, err := s.ClaimWriter(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	// Pretend the holder was a process on this host that has since died (SIGKILL).
	if _, err := s.write.Exec(`UPDATE writer_leases SET pid = 2147483646`); err != nil {
		t.Fatal(err)
	}
	l, err := s.ClaimWriter(ctx, a.ID)
	if err != nil {
		t.Fatalf("lease of a dead process was not taken over: %v", err)
	}
	l.Release()
}
