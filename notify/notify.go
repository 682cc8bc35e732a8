// Package notify keeps the notifications users see in the UI, the
// PostgreSQL job queue that any instance of the service may work on, and
// the sending of notifications by e-mail through SMTP.
//
// A notification is added in the same transaction as the change it reports;
// its e-mail is a job added in that transaction too, so an e-mail is sent
// only for a change that committed, and at most once.
package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// jobsChannel is the LISTEN/NOTIFY channel that wakes workers when jobs are
// added.
const jobsChannel = "vanban_jobs"

// KindEmail is the kind of the job that sends one notification by e-mail;
// its payload is {"notification_id": N}.
const KindEmail = "email"

// emailAttempts is how often an e-mail is tried: with the default back-off
// (10 s doubling to an hour) that rides out a mail server down for about
// half a day.
const emailAttempts = 20

// Notification is a message to one user. DedupeKey, if set, makes adding it
// idempotent: a second notification with the same key is skipped.
type Notification struct {
	UserID     int64
	Kind       string // what happened, e.g. "delivery.arrived"
	Title      string // one line, also the e-mail's subject
	Body       string
	Link       string // path in the service, such as /deliveries/12
	DocumentID *int64
	DeliveryID *int64
	DedupeKey  string
}

// Item is a notification as stored and listed.
type Item struct {
	ID         int64      `db:"id" json:"id"`
	Kind       string     `db:"kind" json:"kind"`
	Title      string     `db:"title" json:"title"`
	Body       string     `db:"body" json:"body"`
	Link       string     `db:"link" json:"link"`
	DocumentID *int64     `db:"document_id" json:"document_id,omitempty"`
	DeliveryID *int64     `db:"delivery_id" json:"delivery_id,omitempty"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
	ReadAt     *time.Time `db:"read_at" json:"read_at,omitempty"`
}

// Store lists notifications and adds them.
type Store struct {
	db    *sqlx.DB
	email bool
}

// NewStore returns a store; email says whether Add also queues e-mails
// (SMTP is configured).
func NewStore(db *sqlx.DB, email bool) *Store { return &Store{db: db, email: email} }

// Add inserts notifications inside the caller's transaction (q is a
// *sqlx.Tx, or the *sqlx.DB for a change of its own) and, when e-mail is on,
// queues one e-mail job for each new notification whose user has an address
// and is not disabled. A notification whose DedupeKey is already stored is
// skipped. One statement does it all, however many notifications.
func (s *Store) Add(ctx context.Context, q sqlx.ExtContext, ns []Notification) error {
	if len(ns) == 0 {
		return nil
	}
	n := len(ns)
	users := make(pq.Int64Array, n)
	kinds, titles, bodies, links, keys := make(pq.StringArray, n), make(pq.StringArray, n),
		make(pq.StringArray, n), make(pq.StringArray, n), make(pq.StringArray, n)
	docs, dels := make(pq.Int64Array, n), make(pq.Int64Array, n)
	for i, x := range ns {
		if x.UserID <= 0 || x.Kind == "" || x.Title == "" {
			return fmt.Errorf("notify: notification %d needs a user, a kind and a title", i)
		}
		users[i], kinds[i], titles[i], bodies[i], links[i], keys[i] = x.UserID, x.Kind, x.Title, x.Body, x.Link, x.DedupeKey
		if x.DocumentID != nil {
			docs[i] = *x.DocumentID
		}
		if x.DeliveryID != nil {
			dels[i] = *x.DeliveryID
		}
	}
	// ON CONFLICT DO NOTHING also skips a key repeated within the batch.
	// pg_notify runs only if a job was queued, and is delivered at commit.
	_, err := q.ExecContext(ctx, `
WITH input AS (
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::text[])
    AS t (user_id, kind, title, body, link, document_id, delivery_id, dedupe_key)
), added AS (
  INSERT INTO notifications (user_id, kind, title, body, link, document_id, delivery_id, dedupe_key)
  SELECT user_id, kind, title, body, link, NULLIF(document_id, 0), NULLIF(delivery_id, 0), NULLIF(dedupe_key, '')
  FROM input
  ON CONFLICT (dedupe_key) DO NOTHING
  RETURNING id, user_id
), queued AS (
  INSERT INTO jobs (kind, payload, max_attempts, dedupe_key)
  SELECT $9, jsonb_build_object('notification_id', a.id), $12, 'email:notification:' || a.id
  FROM added a JOIN users u ON u.id = a.user_id
  WHERE $10::boolean AND u.email <> '' AND NOT u.disabled
  ON CONFLICT (dedupe_key) DO NOTHING
  RETURNING id
)
SELECT pg_notify($11, '') FROM (SELECT 1 FROM queued LIMIT 1) AS any_job`,
		users, kinds, titles, bodies, links, docs, dels, keys, KindEmail, s.email, jobsChannel, emailAttempts)
	if err != nil {
		return fmt.Errorf("notify: unable to add notifications: %v", err)
	}
	return nil
}

// List returns the user's notifications, newest first: at most limit (1 to
// 200, default 50), and only those older than the notification beforeID
// when it is not 0 (the next page).
func (s *Store) List(ctx context.Context, userID int64, limit int, beforeID int64) ([]Item, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	items := []Item{}
	err := s.db.SelectContext(ctx, &items, `
SELECT n.id, n.kind, n.title, n.body, n.link, n.document_id, n.delivery_id, n.created_at, n.read_at
FROM notifications n
WHERE n.user_id = $1
  AND ($2 = 0 OR (n.created_at, n.id) < (SELECT b.created_at, b.id FROM notifications b WHERE b.id = $2 AND b.user_id = $1))
ORDER BY n.created_at DESC, n.id DESC
LIMIT $3`, userID, beforeID, limit)
	if err != nil {
		return nil, fmt.Errorf("notify: unable to list notifications: %v", err)
	}
	return items, nil
}

// Unread counts the user's unread notifications.
func (s *Store) Unread(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL`, userID)
	if err != nil {
		return 0, fmt.Errorf("notify: unable to count unread notifications: %v", err)
	}
	return n, nil
}

// MarkRead marks the user's notifications ids as read, or all of them when
// ids is empty. Ids of other users' notifications are ignored.
func (s *Store) MarkRead(ctx context.Context, userID int64, ids []int64) error {
	var arg any // NULL: all
	if len(ids) > 0 {
		arg = pq.Int64Array(ids)
	}
	_, err := s.db.ExecContext(ctx, `
UPDATE notifications SET read_at = now()
WHERE user_id = $1 AND read_at IS NULL AND ($2::bigint[] IS NULL OR id = ANY ($2::bigint[]))`, userID, arg)
	if err != nil {
		return fmt.Errorf("notify: unable to mark notifications read: %v", err)
	}
	return nil
}
