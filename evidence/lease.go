package evidence

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// ErrAssessmentBusy is returned by ClaimWriter when another run is writing the assessment.
var ErrAssessmentBusy = errors.New("another jigsaw run is writing this assessment")

// Writer leases make one run at a time the writer of an assessment: two runs resuming the
// same assessment would otherwise both see a probe as not yet done and both record it. A
// lease is a row claimed in an IMMEDIATE transaction, so two claims are serialised by SQLite
// itself; it names its owner (a random id, the host and the process) and lapses unless
// renewed, so a run that dies leaves the assessment free again: at once when the owner was a
// process on this host that no longer exists, otherwise after LeaseTTL.
//
// The table is operational state, not evidence: it is outside the hash chain and is created
// on first use rather than by a migration, so it never changes the schema version (an older
// Jigsaw still opens the file) and read-only opens never see a difference that matters.
const createLeases = `CREATE TABLE IF NOT EXISTS writer_leases (
	assessment_id INTEGER PRIMARY KEY,
	owner         TEXT NOT NULL,
	host          TEXT NOT NULL,
	pid           INTEGER NOT NULL,
	claimed_at    TEXT NOT NULL,
	expires_at    TEXT NOT NULL
)`

// LeaseTTL is how long a writer lease lasts without renewal; a live run renews it every
// third of that.
const LeaseTTL = 30 * time.Second

// WriterLease is a held claim on an assessment. Release it when the run ends.
type WriterLease struct {
	store        *Store
	assessmentID int64
	owner        string
	stop         chan struct{}
	done         chan struct{}
	once         sync.Once
	lost         chan struct{} // closed if the lease was taken away (it lapsed while we stalled)
}

// Lost is closed when the lease could no longer be renewed because another run now holds it.
func (l *WriterLease) Lost() <-chan struct{} { return l.lost }

// ClaimWriter makes this process the only writer of an assessment until Release. When another
// live run holds it, the error wraps ErrAssessmentBusy and says who holds it and until when.
func (s *Store) ClaimWriter(ctx context.Context, assessmentID int64) (*WriterLease, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	l := &WriterLease{store: s, assessmentID: assessmentID, owner: hex.EncodeToString(b[:]),
		stop: make(chan struct{}), done: make(chan struct{}), lost: make(chan struct{})}
	ref := FormatID(KindAssessment, assessmentID)
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, createLeases); err != nil {
			return fmt.Errorf("create writer_leases: %w", err)
		}
		var owner, heldHost, claimed, expires string
		var pid int
		err := tx.QueryRowContext(ctx, `SELECT owner, host, pid, claimed_at, expires_at FROM writer_leases WHERE assessment_id = ?`,
			assessmentID).Scan(&owner, &heldHost, &pid, &claimed, &expires)
		now := s.now().UTC()
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("read writer lease: %w", err)
		default:
			until, perr := time.Parse(time.RFC3339Nano, expires)
			dead := heldHost == host && !processAlive(pid)
			if perr == nil && until.After(now) && !dead {
				return fmt.Errorf("assessment %s: %w (process %d on %s, since %s); wait for it to finish, or if it was killed, try again after %s when its lease lapses",
					ref, ErrAssessmentBusy, pid, heldHost, claimed, until.Format(time.RFC3339))
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO writer_leases (assessment_id, owner, host, pid, claimed_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (assessment_id) DO UPDATE SET owner = excluded.owner, host = excluded.host, pid = excluded.pid,
				claimed_at = excluded.claimed_at, expires_at = excluded.expires_at`,
			assessmentID, l.owner, host, os.Getpid(), now.Format(time.RFC3339Nano), now.Add(LeaseTTL).Format(time.RFC3339Nano))
		return err
	})
	if err != nil {
		return nil, err
	}
	go l.renew()
	return l, nil
}

func (l *WriterLease) renew() {
	defer close(l.done)
	t := time.NewTicker(LeaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		var n int64
		err := l.store.writeTx(context.Background(), func(tx *sql.Tx) error {
			res, err := tx.Exec(`UPDATE writer_leases SET expires_at = ? WHERE assessment_id = ? AND owner = ?`,
				l.store.now().UTC().Add(LeaseTTL).Format(time.RFC3339Nano), l.assessmentID, l.owner)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err == nil && n == 0 {
			close(l.lost)
			return
		}
		// A busy database is retried at the next tick, well before the lease lapses.
	}
}

// Release gives the assessment up. It is safe to call more than once.
func (l *WriterLease) Release() error {
	var err error
	l.once.Do(func() {
		close(l.stop)
		<-l.done
		err = l.store.writeTx(context.Background(), func(tx *sql.Tx) error {
			_, err := tx.Exec(`DELETE FROM writer_leases WHERE assessment_id = ? AND owner = ?`, l.assessmentID, l.owner)
			return err
		})
	})
	return err
}
