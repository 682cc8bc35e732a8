// Package worm keeps archived objects write-once (WORM): it locks them in
// the store (S3 Object Lock in compliance mode, or the local store's
// read-only files when an operator accepts them), records each lock, and
// re-reads every locked object on a schedule to check its SHA-256.
package worm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/storage"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/prometheus/client_golang/prometheus"
)

// Modes of a lock, as recorded in locked_objects.
const (
	ModeObjectLock = "object_lock"
	ModeLocal      = "local"
)

// Store locks archived objects and checks them.
type Store struct {
	db          *sqlx.DB
	blobs       storage.Blobs
	notes       *notify.Store
	acceptLocal bool
	// Interval is how often each locked object is re-read (default 24 h).
	Interval time.Duration
	// BatchSize is how many objects one query of the check takes (default 100).
	BatchSize int
	faults    *prometheus.CounterVec
	now       func() time.Time
}

// New returns a store locking the objects of blobs. acceptLocal accepts a
// store that cannot enforce WORM (ARCHIVE_ACCEPT_LOCAL_WORM); notes, if
// not nil, tells administrators about a damaged object.
func New(db *sqlx.DB, blobs storage.Blobs, notes *notify.Store, acceptLocal bool) *Store {
	return &Store{db: db, blobs: blobs, notes: notes, acceptLocal: acceptLocal,
		Interval: 24 * time.Hour, BatchSize: 100, now: time.Now,
		faults: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vanban_archive_object_faults_total",
			Help: "Locked (archived) objects found missing or with another SHA-256 by the check job.",
		}, []string{"kind"}),
	}
}

// Register adds the store's metrics to reg.
func (s *Store) Register(reg prometheus.Registerer) error {
	return reg.Register(s.faults)
}

// Unsupported is Check's error: the store cannot lock objects, and why.
type Unsupported struct{ Reason error }

func (e *Unsupported) Error() string {
	return "kho lưu trữ tệp không tự khóa được dữ liệu (WORM): cần S3 có Object Lock (bucket tạo với S3_OBJECT_LOCK=true), " +
		"hoặc quản trị viên chấp nhận tệp chỉ đọc trên đĩa bằng ARCHIVE_ACCEPT_LOCAL_WORM=true / " +
		"the document store cannot lock objects (WORM): use S3 with Object Lock (a bucket created with S3_OBJECT_LOCK=true), " +
		"or accept the local store's read-only files with ARCHIVE_ACCEPT_LOCAL_WORM=true: " + e.Reason.Error()
}

func (e *Unsupported) Unwrap() error { return e.Reason }

// mode says how the store locks, or returns an *Unsupported.
func (s *Store) mode(ctx context.Context) (storage.Locker, string, error) {
	l, ok := s.blobs.(storage.Locker)
	if !ok {
		return nil, "", &Unsupported{Reason: fmt.Errorf("worm: the store %T has no lock", s.blobs)}
	}
	err := l.LockSupport(ctx)
	switch {
	case err == nil:
		return l, ModeObjectLock, nil
	case errors.Is(err, storage.ErrLockLocalOnly) && s.acceptLocal:
		return l, ModeLocal, nil
	case errors.Is(err, storage.ErrUnavailable) || ctx.Err() != nil:
		return nil, "", fmt.Errorf("worm: unable to check the store: %w", err)
	}
	return nil, "", &Unsupported{Reason: err}
}

// Check returns nil when Freeze can lock objects: the store enforces WORM,
// or it is the local store and the operator accepted it. Otherwise its
// error says why, in Vietnamese and English.
func (s *Store) Check(ctx context.Context) error {
	_, _, err := s.mode(ctx)
	return err
}

// Freeze locks every key until at least until and records it. Locks only
// extend: a key locked longer stays so. New locks are checked by the next
// run of the check job.
func (s *Store) Freeze(ctx context.Context, keys []string, until time.Time) error {
	l, mode, err := s.mode(ctx)
	if err != nil {
		return err
	}
	keys = slices.Compact(slices.Sorted(slices.Values(keys)))
	// Keys already locked as long, in this mode, are not asked again: the
	// records' hourly scan freezes every handed-over file once more.
	var done []string
	if err := s.db.SelectContext(ctx, &done, `SELECT object_key FROM locked_objects
		WHERE object_key = ANY($1) AND retain_until >= $2 AND mode = $3`, pq.Array(keys), until.UTC(), mode); err != nil {
		return fmt.Errorf("worm: unable to read the locks: %w", err)
	}
	locked := make(map[string]bool, len(done))
	for _, k := range done {
		locked[k] = true
	}
	for _, k := range keys {
		if locked[k] {
			continue
		}
		if err := l.Lock(ctx, k, until); err != nil {
			return fmt.Errorf("worm: unable to freeze %s: %w", k, err)
		}
		_, err := s.db.ExecContext(ctx, `
			INSERT INTO locked_objects (object_key, retain_until, mode) VALUES ($1, $2, $3)
			ON CONFLICT (object_key) DO UPDATE
			SET retain_until = greatest(locked_objects.retain_until, EXCLUDED.retain_until), mode = EXCLUDED.mode`,
			k, until.UTC(), mode)
		if err != nil {
			return fmt.Errorf("worm: unable to record the lock of %s: %w", k, err)
		}
	}
	return nil
}
