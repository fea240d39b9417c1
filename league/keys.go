package league

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrSecondKey is wrapped when a key would give an organisation a second active key without
// a rotation.
var ErrSecondKey = errors.New("the organisation already has a registered key")

// KeyEvent is one change to the key registry.
type KeyEvent struct {
	Seq           int64  `json:"seq"`
	At            string `json:"at"`
	Action        string `json:"action"`
	ODS           string `json:"ods,omitempty"`
	KeyID         string `json:"key_id"`
	PreviousKeyID string `json:"previous_key_id,omitempty"`
	Reason        string `json:"reason,omitempty"`
	Source        string `json:"source"`
	Hash          string `json:"hash"`
}

type execQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// addKeys registers keys within tx. A key already registered keeps its binding (rebinding is
// refused: it would let the key sign for another organisation). A key bound to an
// organisation that already has a different active key is refused: that is a rotation, made
// on purpose with RotateKey, never by dropping a new file into --keys.
func (s *Store) addKeys(ctx context.Context, tx execQuerier, keys []Key) error {
	batch := map[string]string{} // ods -> key id, within this batch
	for _, k := range keys {
		var ods string
		err := tx.QueryRowContext(ctx, `SELECT ods FROM league_keys WHERE key_id = ?`, k.KeyID).Scan(&ods)
		switch {
		case err == nil && ods != k.ODS:
			return fmt.Errorf("key %s (%s) is registered for %q; it cannot be re-registered for %q", k.KeyID, k.Source, ods, k.ODS)
		case err == nil:
			continue
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if k.ODS != "" {
			if other, dup := batch[k.ODS]; dup {
				return fmt.Errorf("keys %s and %s are both for %s: %w; register one", other, k.KeyID, k.ODS, ErrSecondKey)
			}
			var active string
			err := tx.QueryRowContext(ctx, `SELECT key_id FROM league_keys WHERE ods = ? AND retired_at = ''`, k.ODS).Scan(&active)
			if err == nil {
				return fmt.Errorf("key %s (%s) is for %s, but %w (%s); to replace it run: jigsaw league keys rotate --db %s --ods %s %s --reason \"…\"",
					k.KeyID, k.Source, k.ODS, ErrSecondKey, active, s.path, k.ODS, k.Source)
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			batch[k.ODS] = k.KeyID
		}
		if err := s.insertKey(ctx, tx, k); err != nil {
			return err
		}
		if err := s.keyEvent(ctx, tx, KeyEvent{Action: "register", ODS: k.ODS, KeyID: k.KeyID, Source: k.Source}); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) insertKey(ctx context.Context, tx execQuerier, k Key) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO league_keys (key_id, public_key, ods, source, added_at) VALUES (?, ?, ?, ?, ?)`,
		k.KeyID, base64.StdEncoding.EncodeToString(k.public), k.ODS, k.Source, s.now().UTC().Format(time.RFC3339)); err != nil {
		return fmt.Errorf("register key %s: %w", k.KeyID, err)
	}
	return nil
}

// keyEvent appends an event to the registry's hash chain.
func (s *Store) keyEvent(ctx context.Context, tx execQuerier, e KeyEvent) error {
	prev := strings.Repeat("0", 64)
	err := tx.QueryRowContext(ctx, `SELECT hash FROM league_key_events ORDER BY seq DESC LIMIT 1`).Scan(&prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	e.At = s.now().UTC().Format(time.RFC3339Nano)
	e.Hash = keyEventHash(prev, e)
	_, err = tx.ExecContext(ctx, `INSERT INTO league_key_events (at, action, ods, key_id, previous_key_id, reason, source, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.At, e.Action, e.ODS, e.KeyID, e.PreviousKeyID, e.Reason, e.Source, prev, e.Hash)
	if err != nil {
		return fmt.Errorf("record key event: %w", err)
	}
	return nil
}

func keyEventHash(prev string, e KeyEvent) string {
	h := sha256.New()
	for _, f := range []string{prev, e.At, e.Action, e.ODS, e.KeyID, e.PreviousKeyID, e.Reason, e.Source} {
		fmt.Fprintf(h, "%d:%s\n", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// RotateKey replaces an organisation's active key with k: the old key is retired (submissions
// it signed before now still verify; later ones are refused) and the rotation, with its
// reason, is recorded in the key registry's chain.
func (s *Store) RotateKey(ctx context.Context, ods string, k Key, reason string) (KeyEvent, error) {
	ods = strings.ToUpper(strings.TrimSpace(ods))
	if strings.TrimSpace(reason) == "" {
		return KeyEvent{}, errors.New("a rotation needs a reason (--reason), kept in the key registry's record")
	}
	k.ODS = ods
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return KeyEvent{}, err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	var old string
	switch err := tx.QueryRowContext(ctx, `SELECT key_id FROM league_keys WHERE ods = ? AND retired_at = ''`, ods).Scan(&old); {
	case errors.Is(err, sql.ErrNoRows):
		return KeyEvent{}, fmt.Errorf("%s has no registered key to rotate: register its first key with league import --keys", ods)
	case err != nil:
		return KeyEvent{}, err
	}
	if old == k.KeyID {
		return KeyEvent{}, fmt.Errorf("key %s is already %s's active key", k.KeyID, ods)
	}
	var bound string
	switch err := tx.QueryRowContext(ctx, `SELECT ods FROM league_keys WHERE key_id = ?`, k.KeyID).Scan(&bound); {
	case err == nil:
		return KeyEvent{}, fmt.Errorf("key %s is already registered (for %q); a rotation needs a new key", k.KeyID, bound)
	case !errors.Is(err, sql.ErrNoRows):
		return KeyEvent{}, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE league_keys SET retired_at = ? WHERE key_id = ?`, s.now().UTC().Format(time.RFC3339Nano), old); err != nil {
		return KeyEvent{}, err
	}
	if err := s.insertKey(ctx, tx, k); err != nil {
		return KeyEvent{}, err
	}
	e := KeyEvent{Action: "rotate", ODS: ods, KeyID: k.KeyID, PreviousKeyID: old, Reason: reason, Source: k.Source}
	if err := s.keyEvent(ctx, tx, e); err != nil {
		return KeyEvent{}, err
	}
	if err := tx.Commit(); err != nil {
		return KeyEvent{}, err
	}
	events, err := s.KeyEvents(ctx)
	if err != nil || len(events) == 0 {
		return KeyEvent{}, err
	}
	return events[len(events)-1], nil
}

// KeyEvents lists the key registry's events in order, checking their hash chain: an error
// means an event was altered, inserted or removed.
func (s *Store) KeyEvents(ctx context.Context) ([]KeyEvent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, at, action, ods, key_id, previous_key_id, reason, source, prev_hash, hash FROM league_key_events ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []KeyEvent
	prev := strings.Repeat("0", 64)
	for rows.Next() {
		var e KeyEvent
		var prevHash string
		if err := rows.Scan(&e.Seq, &e.At, &e.Action, &e.ODS, &e.KeyID, &e.PreviousKeyID, &e.Reason, &e.Source, &prevHash, &e.Hash); err != nil {
			return nil, err
		}
		if prevHash != prev || keyEventHash(prev, e) != e.Hash {
			return nil, fmt.Errorf("key registry event %d does not chain: the registry was altered", e.Seq)
		}
		prev = e.Hash
		out = append(out, e)
	}
	return out, rows.Err()
}
