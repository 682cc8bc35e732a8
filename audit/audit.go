// Package audit keeps the append-only, hash-chained log of every state
// change: who did what to which document or delivery, when and why. Each
// entry's hash covers the previous entry's hash and the entry's own
// fields, so changing, removing or reordering any entry breaks the chain
// from that point on, and Check names the first broken link.
package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// lockKey is the advisory lock that orders appends across instances.
const lockKey = 7215003

// genesis is the previous hash of the first entry.
const genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Event is one state change.
type Event struct {
	ActorID     int64          // 0 for the service itself
	ActorUnitID int64          // 0 for the service itself
	Action      string         // e.g. "delivery.accept"
	DocumentID  int64          // 0 when none
	DeliveryID  int64          // 0 when none
	Reason      string         // the user's reason, if any
	Details     map[string]any // anything else worth keeping
}

// Entry is an event as stored.
type Entry struct {
	ID          int64     `db:"id" json:"id"`
	At          time.Time `db:"at" json:"at"`
	ActorID     *int64    `db:"actor_id" json:"actor_id,omitempty"`
	ActorUnitID *int64    `db:"actor_unit_id" json:"actor_unit_id,omitempty"`
	ActorName   string    `db:"actor_name" json:"actor_name,omitempty"`
	Action      string    `db:"action" json:"action"`
	DocumentID  *int64    `db:"document_id" json:"document_id,omitempty"`
	DeliveryID  *int64    `db:"delivery_id" json:"delivery_id,omitempty"`
	Reason      string    `db:"reason" json:"reason,omitempty"`
	Details     string    `db:"details" json:"details"`
	PrevHash    string    `db:"prev_hash" json:"-"`
	Hash        string    `db:"hash" json:"hash"`
}

// Append adds events to the log inside the caller's transaction. It takes
// a transaction-wide lock that orders appends, so call it as the last step
// before commit to hold the lock briefly.
func Append(ctx context.Context, tx *sqlx.Tx, events ...Event) error {
	if len(events) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey); err != nil {
		return fmt.Errorf("audit: unable to lock: %w", err)
	}
	var last struct {
		ID   int64  `db:"id"`
		Hash string `db:"hash"`
	}
	err := tx.GetContext(ctx, &last, `SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1`)
	if errors.Is(err, sql.ErrNoRows) {
		last.Hash = genesis
	} else if err != nil {
		return fmt.Errorf("audit: unable to read the last entry: %w", err)
	}
	var now time.Time
	if err := tx.GetContext(ctx, &now, `SELECT now()`); err != nil {
		return fmt.Errorf("audit: unable to read the time: %w", err)
	}
	rows := make([]Entry, len(events))
	for i, ev := range events {
		details := "{}"
		if len(ev.Details) > 0 {
			b, err := json.Marshal(ev.Details)
			if err != nil {
				return fmt.Errorf("audit: unable to encode details: %w", err)
			}
			details = string(b)
		}
		e := Entry{ID: last.ID + 1 + int64(i), At: now.UTC().Truncate(time.Microsecond), Action: ev.Action,
			ActorID: nonZero(ev.ActorID), ActorUnitID: nonZero(ev.ActorUnitID), DocumentID: nonZero(ev.DocumentID),
			DeliveryID: nonZero(ev.DeliveryID), Reason: ev.Reason, Details: details, PrevHash: last.Hash}
		if i > 0 {
			e.PrevHash = rows[i-1].Hash
		}
		e.Hash = e.computeHash()
		rows[i] = e
	}
	_, err = tx.NamedExecContext(ctx, `
		INSERT INTO audit_log (id, at, actor_id, actor_unit_id, action, document_id, delivery_id, reason, details, prev_hash, hash)
		VALUES (:id, :at, :actor_id, :actor_unit_id, :action, :document_id, :delivery_id, :reason, :details, :prev_hash, :hash)`, rows)
	if err != nil {
		return fmt.Errorf("audit: unable to append: %w", err)
	}
	return nil
}

func nonZero(v int64) *int64 {
	if v == 0 {
		return nil
	}
	return &v
}

func optional(v *int64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatInt(*v, 10)
}

// computeHash is SHA-256 over the previous hash and the entry's fields,
// each length-prefixed so that no two entries encode alike.
func (e Entry) computeHash() string {
	h := sha256.New()
	for _, f := range []string{e.PrevHash, strconv.FormatInt(e.ID, 10), e.At.UTC().Format(time.RFC3339Nano),
		optional(e.ActorID), optional(e.ActorUnitID), e.Action, optional(e.DocumentID), optional(e.DeliveryID),
		e.Reason, e.Details} {
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// BrokenLink is the first entry whose stored hash or link disagrees with
// the chain.
type BrokenLink struct {
	ID     int64
	Reason string
}

func (b *BrokenLink) Error() string {
	return fmt.Sprintf("audit: the chain breaks at entry %d: %s", b.ID, b.Reason)
}

// Check walks the whole log in id order and returns the number of entries
// checked, and a *BrokenLink for the first entry that is missing, altered
// or out of place.
func Check(ctx context.Context, db *sqlx.DB) (int64, error) {
	rows, err := db.QueryxContext(ctx, `
		SELECT id, at, actor_id, actor_unit_id, action, document_id, delivery_id, reason, details, prev_hash, hash
		FROM audit_log ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("audit: unable to read the log: %w", err)
	}
	defer rows.Close()
	prev, want := genesis, int64(1)
	var n int64
	for rows.Next() {
		var e Entry
		if err := rows.StructScan(&e); err != nil {
			return n, fmt.Errorf("audit: unable to read entry: %w", err)
		}
		switch {
		case e.ID != want:
			return n, &BrokenLink{ID: want, Reason: fmt.Sprintf("entry %d is missing (next is %d)", want, e.ID)}
		case e.PrevHash != prev:
			return n, &BrokenLink{ID: e.ID, Reason: "its link to the previous entry does not match that entry's hash"}
		case e.computeHash() != e.Hash:
			return n, &BrokenLink{ID: e.ID, Reason: "its fields do not match its hash (the entry was altered)"}
		}
		prev, want = e.Hash, e.ID+1
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("audit: unable to read the log: %w", err)
	}
	return n, nil
}

// ForDocument returns the entries about a document, in order, with the
// actor's name: all of them when all is set (the document's own unit),
// otherwise only those about the given deliveries (a recipient's).
func ForDocument(ctx context.Context, db sqlx.QueryerContext, documentID int64, all bool, deliveryIDs []int64) ([]Entry, error) {
	var out []Entry
	err := sqlx.SelectContext(ctx, db, &out, `
		SELECT a.id, a.at, a.actor_id, a.actor_unit_id, coalesce(u.full_name, '') AS actor_name, a.action,
		       a.document_id, a.delivery_id, a.reason, a.details, a.prev_hash, a.hash
		FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
		WHERE a.document_id = $1 AND ($2 OR a.delivery_id = ANY($3))
		ORDER BY a.id`, documentID, all, pq.Array(deliveryIDs))
	if err != nil {
		return nil, fmt.Errorf("audit: unable to read entries: %w", err)
	}
	return out, nil
}
