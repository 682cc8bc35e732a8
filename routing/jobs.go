package routing

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/hcm-edu/vanban/notify"
)

// Background jobs of routing. Each is idempotent: notifications carry a
// dedupe key, so a job run twice notifies once.
const (
	JobNotifyDispatch = "routing.notify_dispatch"
	JobNotifyRecall   = "routing.notify_recall"
	JobDeadlines      = "routing.deadlines"
)

// Handlers are the job handlers the worker needs for routing.
func (s *Service) Handlers() map[string]notify.Handler {
	return map[string]notify.Handler{
		JobNotifyDispatch: {Run: s.notifyDispatch, Idempotent: true},
		JobNotifyRecall:   {Run: s.notifyRecall, Idempotent: true},
		JobDeadlines:      {Run: func(ctx context.Context, _ json.RawMessage) error { return s.ScanDeadlines(ctx) }, Idempotent: true},
		JobIndicators:     {Run: s.indicatorsHandler, Idempotent: true},
	}
}

type recipientRow struct {
	UserID     int64   `db:"user_id"`
	DeliveryID int64   `db:"delivery_id"`
	DocumentID int64   `db:"document_id"`
	Label      string  `db:"label"`
	Sender     string  `db:"sender"`
	Urgency    string  `db:"urgency"`
	Due        *string `db:"due"`
}

// notifyDispatch tells the clerks of every unit a dispatch reached.
func (s *Service) notifyDispatch(ctx context.Context, payload json.RawMessage) error {
	var p struct {
		DispatchID int64 `json:"dispatch_id"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return notify.Permanent(err)
	}
	var rows []recipientRow
	err := s.db.SelectContext(ctx, &rows, `
		SELECT u.id AS user_id, dl.id AS delivery_id, dl.document_id,
		       coalesce(d.number_symbol || ' ', '') || d.title AS label, su.name AS sender, d.urgency,
		       to_char(dl.due_date, 'DD/MM/YYYY') AS due
		FROM deliveries dl
		JOIN documents d ON d.id = dl.document_id
		JOIN units su ON su.id = dl.sender_unit_id
		JOIN users u ON u.unit_id = dl.recipient_unit_id AND NOT u.disabled AND 'clerk' = ANY(u.roles)
		WHERE dl.dispatch_id = $1`, p.DispatchID)
	if err != nil {
		return fmt.Errorf("routing: unable to list recipients: %w", err)
	}
	ns := make([]notify.Notification, len(rows))
	for i, r := range rows {
		title := "Văn bản đến: " + r.Label
		if r.Urgency != "thuong" {
			title = "[" + urgencyLabel(r.Urgency) + "] " + title
		}
		body := "Đơn vị gửi: " + r.Sender + "."
		if r.Due != nil {
			body += " Hạn xử lý: " + *r.Due + "."
		}
		ns[i] = notify.Notification{UserID: r.UserID, Kind: "arrived", Title: title, Body: body,
			Link: deliveryLink(r.DeliveryID), DocumentID: &rows[i].DocumentID, DeliveryID: &rows[i].DeliveryID,
			DedupeKey: "arrived:" + strconv.FormatInt(r.DeliveryID, 10) + ":" + strconv.FormatInt(r.UserID, 10)}
	}
	return s.addNotifications(ctx, ns)
}

func urgencyLabel(u string) string {
	switch u {
	case "khan":
		return "Khẩn"
	case "thuong_khan":
		return "Thượng khẩn"
	case "hoa_toc":
		return "Hỏa tốc"
	}
	return "Thường"
}

// notifyRecall tells the clerks of every unit holding a recalled document.
func (s *Service) notifyRecall(ctx context.Context, payload json.RawMessage) error {
	var p struct {
		DocumentID int64  `json:"document_id"`
		Reason     string `json:"reason"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return notify.Permanent(err)
	}
	var rows []recipientRow
	err := s.db.SelectContext(ctx, &rows, `
		SELECT u.id AS user_id, dl.id AS delivery_id, dl.document_id,
		       coalesce(d.number_symbol || ' ', '') || d.title AS label, su.name AS sender, d.urgency, NULL AS due
		FROM deliveries dl
		JOIN documents d ON d.id = dl.document_id
		JOIN units su ON su.id = d.unit_id
		JOIN users u ON u.unit_id = dl.recipient_unit_id AND NOT u.disabled AND 'clerk' = ANY(u.roles)
		WHERE dl.document_id = $1 AND dl.recall = `+lit(RecallRequested), p.DocumentID)
	if err != nil {
		return fmt.Errorf("routing: unable to list recipients: %w", err)
	}
	ns := make([]notify.Notification, len(rows))
	for i, r := range rows {
		ns[i] = notify.Notification{UserID: r.UserID, Kind: "recall", Title: "Đề nghị thu hồi: " + r.Label,
			Body: r.Sender + " đề nghị thu hồi văn bản. Lý do: " + p.Reason, Link: deliveryLink(r.DeliveryID),
			DocumentID: &rows[i].DocumentID, DeliveryID: &rows[i].DeliveryID,
			DedupeKey: "recall:" + strconv.FormatInt(r.DeliveryID, 10) + ":" + strconv.FormatInt(r.UserID, 10)}
	}
	return s.addNotifications(ctx, ns)
}

func (s *Service) addNotifications(ctx context.Context, ns []notify.Notification) error {
	if len(ns) == 0 {
		return nil
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := s.notes.Add(ctx, tx, ns); err != nil {
		return err
	}
	return tx.Commit()
}

// ScanDeadlines notifies, once per deadline, the person handling each open
// delivery (or the unit's clerks when nobody is assigned) that its
// deadline is the next working day, or has passed. A delivery directed to
// tasks is followed task by task instead (scanTasks); one filed for
// information has no deadline.
func (s *Service) ScanDeadlines(ctx context.Context) error {
	cal, err := s.Calendar(ctx)
	if err != nil {
		return err
	}
	today := dateOf(s.now())
	soon := cal.AddWorkingDays(today, 1)
	var rows []struct {
		recipientRow
		DueDate time.Time `db:"due_date"`
	}
	err = s.db.SelectContext(ctx, &rows, `
		SELECT u.id AS user_id, dl.id AS delivery_id, dl.document_id,
		       coalesce(d.number_symbol || ' ', '') || d.title AS label, su.name AS sender, d.urgency,
		       to_char(coalesce(dl.task_due, dl.due_date), 'DD/MM/YYYY') AS due,
		       coalesce(dl.task_due, dl.due_date) AS due_date
		FROM deliveries dl
		JOIN documents d ON d.id = dl.document_id
		JOIN units su ON su.id = dl.sender_unit_id
		JOIN users u ON u.unit_id = dl.recipient_unit_id AND NOT u.disabled
		     AND (u.id = dl.assignee_id OR (dl.assignee_id IS NULL AND 'clerk' = ANY(u.roles)))
		WHERE NOT dl.removed AND dl.status NOT IN `+closedSQL+` AND `+noRecallSQL("dl.recall")+` AND dl.filed_at IS NULL
		  AND coalesce(dl.task_due, dl.due_date) <= $1::date
		  AND NOT EXISTS (SELECT 1 FROM delivery_tasks t WHERE t.delivery_id = dl.id AND t.state <> 'cancelled')`, soon.Format(time.DateOnly))
	if err != nil {
		return fmt.Errorf("routing: unable to scan deadlines: %w", err)
	}
	var ns []notify.Notification
	for i := range rows {
		ns = append(ns, deadlineNote(&rows[i].recipientRow, rows[i].DueDate, today, strconv.FormatInt(rows[i].DeliveryID, 10)))
	}
	if err := s.addNotifications(ctx, ns); err != nil {
		return err
	}
	return s.scanTasks(ctx, today, soon)
}

// scanTasks notifies, once per deadline, the person of each unfinished
// task (or its section's head) the working day before the task's
// deadline, and once when it has passed.
func (s *Service) scanTasks(ctx context.Context, today, soon time.Time) error {
	var rows []struct {
		recipientRow
		TaskID  int64     `db:"task_id"`
		DueDate time.Time `db:"due_date"`
	}
	err := s.db.SelectContext(ctx, &rows, `
		SELECT u.id AS user_id, t.id AS task_id, dl.id AS delivery_id, dl.document_id,
		       coalesce(d.number_symbol || ' ', '') || d.title AS label, su.name AS sender, d.urgency,
		       to_char(coalesce(t.due_date, dl.task_due, dl.due_date), 'DD/MM/YYYY') AS due,
		       coalesce(t.due_date, dl.task_due, dl.due_date) AS due_date
		FROM delivery_tasks t
		JOIN deliveries dl ON dl.id = t.delivery_id
		JOIN documents d ON d.id = dl.document_id
		JOIN units su ON su.id = dl.sender_unit_id
		LEFT JOIN sections sc ON sc.id = t.section_id
		JOIN users u ON u.id = coalesce(t.user_id, sc.head_user_id) AND NOT u.disabled AND u.left_at IS NULL
		WHERE t.state IN ('open', 'in_progress') AND t.role <> 'inform'
		  AND NOT dl.removed AND dl.status NOT IN `+closedSQL+` AND `+noRecallSQL("dl.recall")+`
		  AND coalesce(t.due_date, dl.task_due, dl.due_date) <= $1::date`, soon.Format(time.DateOnly))
	if err != nil {
		return fmt.Errorf("routing: unable to scan task deadlines: %w", err)
	}
	var ns []notify.Notification
	for i := range rows {
		ns = append(ns, deadlineNote(&rows[i].recipientRow, rows[i].DueDate, today, "task:"+strconv.FormatInt(rows[i].TaskID, 10)))
	}
	return s.addNotifications(ctx, ns)
}

// deadlineNote reminds r's person of a deadline due the next working day
// or passed; key (the delivery's, or "task:" and the task's) with the
// person and the date makes it once per deadline.
func deadlineNote(r *recipientRow, due, today time.Time, key string) notify.Notification {
	kind, title := "due_soon", "Sắp đến hạn xử lý: "+r.Label
	if due.Before(today) {
		kind, title = "overdue", "Quá hạn xử lý: "+r.Label
	}
	return notify.Notification{UserID: r.UserID, Kind: kind, Title: title,
		Body: "Hạn xử lý: " + *r.Due + ". Đơn vị gửi: " + r.Sender + ".", Link: deliveryLink(r.DeliveryID),
		DocumentID: &r.DocumentID, DeliveryID: &r.DeliveryID,
		DedupeKey: kind + ":" + key + ":" + strconv.FormatInt(r.UserID, 10) + ":" + *r.Due}
}
