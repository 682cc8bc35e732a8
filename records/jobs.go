package records

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/hcm-edu/vanban/notify"
	"github.com/lib/pq"
)

// JobDue is the periodic scan of files due at the archive (ScanDue); it
// also completes the locking of handed-over files (FreezeHandedOver).
const JobDue = "records.due"

// dueNotice is how long before a closed file's due date the archive hears
// of it (Appendix VI III.5.b).
const dueNotice = 30

// Handlers are the job handlers the worker needs for records.
func (s *Service) Handlers() map[string]notify.Handler {
	return map[string]notify.Handler{
		JobDue: {Run: func(ctx context.Context, _ json.RawMessage) error {
			if err := s.FreezeHandedOver(ctx); err != nil {
				return err
			}
			return s.ScanDue(ctx)
		}, Idempotent: true},
	}
}

// ScanDue tells the archive officers and clerks of a unit, once per
// file, that a closed file is due at the archive within 30 days.
func (s *Service) ScanDue(ctx context.Context) error {
	limit := s.now().AddDate(0, 0, dueNotice).Format(time.DateOnly)
	var rows []struct {
		FileID int64     `db:"file_id"`
		UserID int64     `db:"user_id"`
		Code   string    `db:"code"`
		Title  string    `db:"title"`
		DueOn  time.Time `db:"due_on"`
	}
	err := s.db.SelectContext(ctx, &rows, `
		SELECT f.id AS file_id, u.id AS user_id, f.code, f.title, f.due_on
		FROM files f JOIN users u ON u.unit_id = f.unit_id AND NOT u.disabled AND u.roles && ARRAY['archivist', 'clerk']
		WHERE f.state = 'closed' AND f.due_notified_at IS NULL AND f.due_on <= $1::date
		ORDER BY f.id, u.id`, limit)
	if err != nil {
		return fmt.Errorf("records: unable to scan due files: %w", err)
	}
	if len(rows) == 0 {
		return nil
	}
	ns := make([]notify.Notification, len(rows))
	var ids []int64
	for i, r := range rows {
		ns[i] = notify.Notification{UserID: r.UserID, Kind: "file_due", Title: "Hồ sơ sắp đến hạn nộp lưu: " + r.Code + " " + r.Title,
			Body: "Hạn nộp lưu: " + r.DueOn.Format("02/01/2006") + ".", Link: "/files/" + strconv.FormatInt(r.FileID, 10),
			DedupeKey: "file_due:" + strconv.FormatInt(r.FileID, 10) + ":" + strconv.FormatInt(r.UserID, 10)}
		if len(ids) == 0 || ids[len(ids)-1] != r.FileID {
			ids = append(ids, r.FileID)
		}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := s.notes.Add(ctx, tx, ns); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE files SET due_notified_at = now() WHERE id = ANY($1)`, pq.Array(ids)); err != nil {
		return fmt.Errorf("records: unable to mark due files: %w", err)
	}
	return tx.Commit()
}
