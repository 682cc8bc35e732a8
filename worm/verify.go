package worm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/storage"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// JobVerify is the kind of the job that checks the locked objects due.
const JobVerify = "worm.verify"

// Kinds of fault the check finds.
const (
	FaultMissing  = "missing"
	FaultMismatch = "mismatch"
)

// VerifyJob is the check of the hour: enqueue it hourly (its dedupe key
// makes one run per hour, whichever instance enqueues it first); it checks
// the objects not checked within Interval.
func VerifyJob(now time.Time) notify.Job {
	return notify.Job{Kind: JobVerify, DedupeKey: "worm-verify:" + now.UTC().Format("2006-01-02T15")}
}

// Handlers are the job handlers the worker needs for the check.
func (s *Store) Handlers() map[string]notify.Handler {
	return map[string]notify.Handler{
		JobVerify: {Run: func(ctx context.Context, _ json.RawMessage) error {
			_, err := s.VerifyDue(ctx)
			return err
		}, Idempotent: true},
	}
}

// Summary counts what one check run found.
type Summary struct {
	Checked int
	Faults  []Fault
}

// Fault is a locked object missing or with another SHA-256 than its key.
type Fault struct {
	Key   string
	Kind  string // FaultMissing or FaultMismatch
	Error string
}

// VerifyDue re-reads, in batches, every locked object not checked within
// Interval, checks its SHA-256 against its key and records the result. A
// missing or changed object is audited, counted in the metric and told to
// the administrators of the units whose documents hold it. A store that
// cannot be read stops the run with an error (the job retries).
func (s *Store) VerifyDue(ctx context.Context) (Summary, error) {
	var sum Summary
	batch := max(s.BatchSize, 1)
	for {
		cutoff := s.now().Add(-s.Interval)
		var keys []string
		err := s.db.SelectContext(ctx, &keys, `
			SELECT object_key FROM locked_objects
			WHERE last_checked_at IS NULL OR last_checked_at < $1
			ORDER BY last_checked_at NULLS FIRST, object_key LIMIT $2`, cutoff, batch)
		if err != nil {
			return sum, fmt.Errorf("worm: unable to list the objects due: %w", err)
		}
		if len(keys) == 0 {
			return sum, nil
		}
		for _, k := range keys {
			f, err := s.verifyOne(ctx, k)
			if err != nil {
				return sum, err
			}
			sum.Checked++
			if f != nil {
				sum.Faults = append(sum.Faults, *f)
			}
		}
	}
}

// Hash reads an object and returns its hex SHA-256.
func Hash(ctx context.Context, blobs storage.Blobs, key string) (string, error) {
	rc, err := blobs.Open(ctx, key, 0, -1)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// SumOfKey is the hex SHA-256 a content-addressed key names (KeyFor), or "".
func SumOfKey(key string) string {
	sum := key[strings.LastIndexByte(key, '/')+1:]
	if k, err := storage.KeyFor(sum); err != nil || k != key {
		return ""
	}
	return sum
}

func (s *Store) verifyOne(ctx context.Context, key string) (*Fault, error) {
	var f *Fault
	got, err := Hash(ctx, s.blobs, key)
	switch {
	case errors.Is(err, os.ErrNotExist):
		f = &Fault{Key: key, Kind: FaultMissing, Error: "đối tượng không còn trong kho / the object is missing from the store"}
	case err != nil:
		return nil, fmt.Errorf("worm: unable to check %s: %w", key, err)
	case got != SumOfKey(key):
		f = &Fault{Key: key, Kind: FaultMismatch, Error: "SHA-256 " + got + " khác với khóa / differs from the key"}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("worm: unable to record the check of %s: %w", key, err)
	}
	defer tx.Rollback()
	msg := ""
	if f != nil {
		msg = f.Error
	}
	if _, err := tx.ExecContext(ctx, `UPDATE locked_objects SET last_checked_at = $2, last_ok = $3, last_error = $4 WHERE object_key = $1`,
		key, s.now(), f == nil, msg); err != nil {
		return nil, fmt.Errorf("worm: unable to record the check of %s: %w", key, err)
	}
	if f != nil {
		if err := s.report(ctx, tx, *f); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("worm: unable to record the check of %s: %w", key, err)
	}
	if f != nil {
		s.faults.WithLabelValues(f.Kind).Inc()
	}
	return f, nil
}

// report audits a fault and tells the administrators of the units whose
// documents hold the object (every administrator of a top unit if none).
func (s *Store) report(ctx context.Context, tx *sqlx.Tx, f Fault) error {
	var docs []int64
	err := tx.SelectContext(ctx, &docs, `
		SELECT document_id FROM document_versions WHERE object_key = $1
		UNION SELECT document_id FROM document_attachments WHERE object_key = $1 OR source_object_key = $1
		ORDER BY 1`, f.Key)
	if err != nil {
		return fmt.Errorf("worm: unable to find the documents of %s: %w", f.Key, err)
	}
	ev := audit.Event{Action: "archive.object_" + f.Kind, Details: map[string]any{"object_key": f.Key, "error": f.Error, "document_ids": docs}}
	if len(docs) > 0 {
		ev.DocumentID = docs[0]
	}
	if err := audit.Append(ctx, tx, ev); err != nil {
		return err
	}
	if s.notes == nil {
		return nil
	}
	var admins []int64
	err = tx.SelectContext(ctx, &admins, `
		SELECT u.id FROM users u
		WHERE NOT u.disabled AND 'admin' = ANY(u.roles) AND (
		  u.unit_id IN (SELECT unit_id FROM documents WHERE id = ANY($1))
		  OR (coalesce(cardinality($1::bigint[]), 0) = 0 AND u.unit_id IN (SELECT id FROM units WHERE parent_id IS NULL)))
		ORDER BY u.id`, pq.Int64Array(docs))
	if err != nil {
		return fmt.Errorf("worm: unable to find the administrators to tell: %w", err)
	}
	title := "Dữ liệu lưu trữ bị mất hoặc bị thay đổi"
	if f.Kind == FaultMissing {
		title = "Dữ liệu lưu trữ bị mất"
	}
	day := s.now().UTC().Format("2006-01-02")
	ns := make([]notify.Notification, len(admins))
	for i, id := range admins {
		n := notify.Notification{UserID: id, Kind: "archive.object_fault", Title: title,
			Body:      fmt.Sprintf("Kiểm tra định kỳ phát hiện đối tượng %s đã khóa (WORM): %s. Hãy khôi phục từ bản sao lưu.", f.Key, f.Error),
			DedupeKey: "worm:" + f.Kind + ":" + f.Key + ":" + day + ":" + fmt.Sprint(id)}
		if len(docs) > 0 {
			n.DocumentID = &docs[0]
			n.Link = fmt.Sprintf("/documents/%d", docs[0])
		}
		ns[i] = n
	}
	return s.notes.Add(ctx, tx, ns)
}
