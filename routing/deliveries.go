package routing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/workdays"
	"github.com/jmoiron/sqlx"
)

// Delivery is one document in one unit's inbox.
type Delivery struct {
	ID              int64      `db:"id" json:"id"`
	DispatchID      int64      `db:"dispatch_id" json:"dispatch_id"`
	DocumentID      int64      `db:"document_id" json:"document_id"`
	SenderUnitID    int64      `db:"sender_unit_id" json:"sender_unit_id"`
	SenderName      string     `db:"sender_name" json:"sender_name"`
	RecipientUnitID int64      `db:"recipient_unit_id" json:"recipient_unit_id"`
	RecipientName   string     `db:"recipient_name" json:"recipient_name"`
	Urgency         string     `db:"urgency" json:"urgency"`
	DueDate         *time.Time `db:"due_date" json:"-"`
	Status          string     `db:"status" json:"status"`
	Recall          *string    `db:"recall" json:"recall,omitempty"`
	ArrivedAt       time.Time  `db:"arrived_at" json:"arrived_at"`
	StatusAt        time.Time  `db:"status_at" json:"status_at"`
	StatusByName    string     `db:"status_by_name" json:"status_by_name,omitempty"`
	Reason          string     `db:"reason" json:"reason,omitempty"`
	IncomingYear    *int       `db:"incoming_year" json:"incoming_year,omitempty"`
	IncomingNumber  *int       `db:"incoming_number" json:"incoming_number,omitempty"`
	AcceptedAt      *time.Time `db:"accepted_at" json:"accepted_at,omitempty"`
	AssigneeID      *int64     `db:"assignee_id" json:"assignee_id,omitempty"`
	AssigneeName    string     `db:"assignee_name" json:"assignee_name,omitempty"`
	AssignedAt      *time.Time `db:"assigned_at" json:"assigned_at,omitempty"`
	Section         string     `db:"section" json:"section,omitempty"`
	Coordinators    string     `db:"coordinators" json:"coordinators,omitempty"`
	Opinion         string     `db:"opinion" json:"opinion,omitempty"`
	TaskDue         *time.Time `db:"task_due" json:"-"`
	DoneAt          *time.Time `db:"done_at" json:"done_at,omitempty"`
	ResponseDocID   *int64     `db:"response_document_id" json:"response_document_id,omitempty"`
	Removed         bool       `db:"removed" json:"removed"`
	Steering        int        `db:"steering" json:"steering"`
	Note            string     `db:"note" json:"note,omitempty"`
	VersionNo       int        `db:"version_no" json:"version"`

	// From the document.
	NumberSymbol *string `db:"number_symbol" json:"number_symbol,omitempty"`
	Title        string  `db:"title" json:"title"`
	DocType      string  `db:"doc_type" json:"doc_type"`
	Valid        *bool   `db:"valid" json:"signature_valid"` // nil: not verified

	// Computed.
	DueDateText    string `db:"-" json:"due_date,omitempty"`
	TaskDueText    string `db:"-" json:"task_due,omitempty"`
	Overdue        bool   `db:"-" json:"overdue"`         // past its deadline, not done
	ReceiptOverdue bool   `db:"-" json:"receipt_overdue"` // not accepted or refused by the next working day
}

// StatusLabel is the state in Vietnamese, the recall first.
func (d Delivery) StatusLabel() string {
	if d.Recall != nil {
		return StatusLabels[*d.Recall]
	}
	return StatusLabels[d.Status]
}

func (d Delivery) state() string {
	if d.Recall != nil {
		return d.Status + "/" + *d.Recall
	}
	return d.Status
}

// The names and the verdict are scalar subqueries rather than joins: the
// planner then weighs a three-table join instead of an eight-table one,
// which took ten times longer to plan than to run on a large inbox.
const deliveryColumns = `
	dl.id, dl.dispatch_id, dl.document_id, dl.sender_unit_id,
	(SELECT name FROM units WHERE id = dl.sender_unit_id) AS sender_name,
	dl.recipient_unit_id, (SELECT name FROM units WHERE id = dl.recipient_unit_id) AS recipient_name,
	d.urgency, dl.due_date, dl.status, dl.recall,
	dl.arrived_at, dl.status_at, coalesce((SELECT full_name FROM users WHERE id = dl.status_by), '') AS status_by_name, dl.reason,
	dl.incoming_year, dl.incoming_number, dl.accepted_at, dl.assignee_id,
	coalesce((SELECT full_name FROM users WHERE id = dl.assignee_id), '') AS assignee_name, dl.assigned_at, dl.section, dl.coordinators, dl.opinion,
	dl.task_due, dl.done_at, dl.response_document_id, dl.removed, x.steering, x.note, x.version_no,
	d.number_symbol, d.title, d.doc_type,
	(SELECT valid FROM verification_reports vr WHERE vr.document_id = dl.document_id AND vr.version_no = x.version_no) AS valid`

const deliveryFrom = `
	FROM deliveries dl
	JOIN dispatches x ON x.id = dl.dispatch_id
	JOIN documents d ON d.id = dl.document_id`

// decorate fills the computed fields.
func (s *Service) decorate(cal *workdays.Calendar, ds []Delivery) {
	now := s.now()
	for i := range ds {
		d := &ds[i]
		if d.DueDate != nil {
			d.DueDateText = d.DueDate.Format(time.DateOnly)
		}
		if d.TaskDue != nil {
			d.TaskDueText = d.TaskDue.Format(time.DateOnly)
		}
		open := !isClosed(d.Status) && !recallInForce(d.Recall)
		due := d.TaskDue
		if due == nil {
			due = d.DueDate
		}
		if open && due != nil {
			d.Overdue = cal.Overdue(*due, now)
		}
		if open && d.Status == Arrived {
			d.ReceiptOverdue = cal.Overdue(cal.ReceiptDue(d.ArrivedAt), now)
		}
	}
}

// delivery returns a delivery of p's unit (removed ones too: the trace of
// a recall stays), or domain.ErrNotFound.
func (s *Service) delivery(ctx context.Context, p auth.Principal, id int64) (Delivery, error) {
	var d Delivery
	err := s.db.GetContext(ctx, &d, `SELECT `+deliveryColumns+deliveryFrom+` WHERE dl.id = $1 AND dl.recipient_unit_id = $2`, id, p.UnitID)
	if errors.Is(err, sql.ErrNoRows) {
		return d, domain.ErrNotFound
	}
	if err != nil {
		return d, fmt.Errorf("routing: unable to fetch delivery: %w", err)
	}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return d, err
	}
	ds := []Delivery{d}
	s.decorate(cal, ds)
	return ds[0], nil
}

// Delivery returns one delivery to p's unit.
func (s *Service) Delivery(ctx context.Context, p auth.Principal, id int64) (Delivery, error) {
	return s.delivery(ctx, p, id)
}

// InboxFilter narrows an inbox. Zero values mean no condition.
type InboxFilter struct {
	Status  string // one of the states, or "open" (not done, refused or recalled)
	Overdue bool
	Removed bool // the recalled ones instead
	Cursor  string
	Limit   int // default 50, at most 200
}

// Page of deliveries.
type Page struct {
	Items      []Delivery `json:"items"`
	NextCursor string     `json:"next_cursor,omitempty"`
	Unread     int        `json:"-"`
}

// Problems lists what is wrong with a filter, field by field.
func (f InboxFilter) Problems() map[string]string {
	m := map[string]string{}
	if f.Status != "" && f.Status != "open" && StatusLabels[f.Status] == "" {
		m["status"] = "trạng thái phải là " + stateChoices + " hoặc open"
	}
	if f.Limit < 0 || f.Limit > 200 {
		m["limit"] = "số dòng mỗi trang từ 1 đến 200"
	}
	if f.Cursor != "" {
		if _, _, err := documents.DecodeCursor(f.Cursor); err != nil {
			m["cursor"] = "con trỏ trang không hợp lệ"
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// Inbox lists what was delivered to p's unit, newest first.
func (s *Service) Inbox(ctx context.Context, p auth.Principal, f InboxFilter) (Page, error) {
	if m := f.Problems(); m != nil {
		return Page{}, &domain.ValidationError{Fields: m}
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	args := []any{p.UnitID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where := []string{`dl.recipient_unit_id = $1`}
	if f.Removed {
		where = append(where, `dl.removed`)
	} else {
		where = append(where, `NOT dl.removed`)
	}
	switch {
	case f.Status == "open":
		where = append(where, `dl.status NOT IN `+closedSQL)
	case isRecall(f.Status):
		where = append(where, `dl.recall = `+arg(f.Status))
	case f.Status != "":
		where = append(where, `dl.status = `+arg(f.Status))
	}
	if f.Overdue {
		today := dateOf(s.now()).Format(time.DateOnly)
		where = append(where, `dl.status NOT IN `+closedSQL+` AND coalesce(dl.task_due, dl.due_date) < `+arg(today)+`::date`)
	}
	if f.Cursor != "" {
		at, id, _ := documents.DecodeCursor(f.Cursor)
		where = append(where, `(dl.arrived_at, dl.id) < (`+arg(at)+`, `+arg(id)+`)`)
	}
	q := `SELECT ` + deliveryColumns + deliveryFrom + ` WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY dl.arrived_at DESC, dl.id DESC LIMIT ` + strconv.Itoa(f.Limit+1)
	var items []Delivery
	if err := s.db.SelectContext(ctx, &items, q, args...); err != nil {
		return Page{}, fmt.Errorf("routing: unable to list the inbox: %w", err)
	}
	page := Page{Items: items}
	if len(items) > f.Limit {
		last := items[f.Limit-1]
		page.Items = items[:f.Limit]
		page.NextCursor = documents.EncodeCursor(last.ArrivedAt, last.ID)
	}
	if page.Items == nil {
		page.Items = []Delivery{}
	}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return Page{}, err
	}
	s.decorate(cal, page.Items)
	return page, nil
}

// Summary counts a document's deliveries by state, for its sender.
type Summary struct {
	Total          int            `json:"total"`
	ByStatus       map[string]int `json:"by_status"`
	Accepted       int            `json:"accepted"` // accepted or further along
	Overdue        int            `json:"overdue"`
	ReceiptOverdue int            `json:"receipt_overdue"`
	RecallPending  int            `json:"recall_pending"`
}

// Board is the sender's view of a document's deliveries.
type Board struct {
	Summary Summary    `json:"summary"`
	Items   []Delivery `json:"items"`
	Total   int        `json:"filtered_total"`
}

// BoardFilter narrows the board's rows (the summary always counts all).
type BoardFilter struct {
	Status  string
	Overdue bool
	Offset  int
	Limit   int // default 200, at most 5000
}

// Deliveries is the sender's view: every delivery of the document from p's
// unit, with its state, when it changed and who changed it.
func (s *Service) Deliveries(ctx context.Context, p auth.Principal, documentID int64, f BoardFilter) (Board, error) {
	if _, err := s.docs.Get(ctx, p, documentID); err != nil {
		return Board{}, err
	}
	if f.Limit == 0 {
		f.Limit = 200
	}
	if f.Limit < 0 || f.Limit > 5000 || f.Offset < 0 || (f.Status != "" && f.Status != "open" && StatusLabels[f.Status] == "") {
		return Board{}, &domain.ValidationError{Fields: map[string]string{"filter": "trạng thái " + stateChoices + " hoặc open; limit từ 1 đến 5000; offset không âm"}}
	}
	var all []Delivery
	err := s.db.SelectContext(ctx, &all, `SELECT `+deliveryColumns+deliveryFrom+`
		WHERE dl.document_id = $1 AND dl.sender_unit_id = $2 ORDER BY recipient_name, dl.id`, documentID, p.UnitID)
	if err != nil {
		return Board{}, fmt.Errorf("routing: unable to list deliveries: %w", err)
	}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return Board{}, err
	}
	s.decorate(cal, all)
	b := Board{Summary: Summary{ByStatus: map[string]int{}}, Items: []Delivery{}}
	var rows []Delivery
	for _, d := range all {
		b.Summary.Total++
		b.Summary.ByStatus[d.Status]++
		if d.Recall != nil {
			b.Summary.ByStatus[*d.Recall]++
			if *d.Recall == RecallRequested {
				b.Summary.RecallPending++
			}
		}
		if d.Status >= Accepted {
			b.Summary.Accepted++
		}
		if d.Overdue {
			b.Summary.Overdue++
		}
		if d.ReceiptOverdue {
			b.Summary.ReceiptOverdue++
		}
		match := true
		switch {
		case f.Status == "open":
			match = !isClosed(d.Status)
		case isRecall(f.Status):
			match = d.Recall != nil && *d.Recall == f.Status
		case f.Status != "":
			match = d.Status == f.Status
		}
		if f.Overdue && !(d.Overdue || d.ReceiptOverdue) {
			match = false
		}
		if match {
			rows = append(rows, d)
		}
	}
	b.Total = len(rows)
	if f.Offset < len(rows) {
		end := min(len(rows), f.Offset+f.Limit)
		b.Items = rows[f.Offset:end]
	}
	return b, nil
}

// SummaryText is the one-line summary, e.g. "2.871/3.022 đã tiếp nhận, 14 quá hạn".
func (sm Summary) SummaryText() string {
	t := fmt.Sprintf("%s/%s đơn vị đã tiếp nhận", thousands(sm.Accepted), thousands(sm.Total))
	if sm.Overdue > 0 {
		t += fmt.Sprintf(", %s quá hạn xử lý", thousands(sm.Overdue))
	}
	if sm.ReceiptOverdue > 0 {
		t += fmt.Sprintf(", %s chưa tiếp nhận quá hạn", thousands(sm.ReceiptOverdue))
	}
	if n := sm.ByStatus[Refused]; n > 0 {
		t += fmt.Sprintf(", %s từ chối", thousands(n))
	}
	return t
}

// thousands formats n with dots between thousands, as Vietnamese does.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "." + s[i:]
	}
	return s
}

// Transitions.

// move takes the act on a delivery of p's unit, in a state its rule
// allows, with set (SQL assignments using $3...) and args, and records the
// event. It returns StateError when the delivery is elsewhere in its
// life-cycle.
type move struct {
	action  string
	act     act
	set     string
	args    []any
	reason  string
	details map[string]any
	notes   func(Delivery) []notify.Notification
	message string // Vietnamese, for an illegal move
}

// before, if given, runs in the transaction once the state is checked; the
// values it returns follow m.args in the statement.
func (s *Service) apply(ctx context.Context, p auth.Principal, id int64, m move, before func(*sqlx.Tx, Delivery) ([]any, error)) (Delivery, error) {
	cur, err := s.delivery(ctx, p, id)
	if err != nil {
		return cur, err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return cur, fmt.Errorf("routing: unable to begin: %w", err)
	}
	defer tx.Rollback()
	// Lock the row and re-read its state: the check and the change are one.
	var st struct {
		Status string  `db:"status"`
		Recall *string `db:"recall"`
	}
	if err := tx.GetContext(ctx, &st, `SELECT status, recall FROM deliveries WHERE id = $1 FOR UPDATE`, id); err != nil {
		return cur, fmt.Errorf("routing: unable to lock delivery: %w", err)
	}
	cur.Status, cur.Recall = st.Status, st.Recall
	if r := rules[m.act]; !r.legal(cur) {
		if r.onRecall {
			return cur, &StateError{Current: cur.state(), Message: m.message}
		}
		msg := m.message
		if recallInForce(cur.Recall) {
			msg = "Văn bản đã bị thu hồi hoặc đang được đề nghị thu hồi; không thực hiện được thao tác này"
		}
		return cur, &StateError{Current: cur.state(), Message: msg + " (trạng thái hiện tại: " + cur.StatusLabel() + ")"}
	}
	args := append([]any{id, p.UserID}, m.args...)
	if before != nil {
		more, err := before(tx, cur)
		if err != nil {
			return cur, err
		}
		args = append(args, more...)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET status_at = now(), status_by = $2, `+m.set+` WHERE id = $1`, args...); err != nil {
		return cur, fmt.Errorf("routing: unable to update delivery: %w", err)
	}
	if m.notes != nil {
		if err := s.notes.Add(ctx, tx, m.notes(cur)); err != nil {
			return cur, err
		}
	}
	err = audit.Append(ctx, tx, audit.Event{ActorID: p.UserID, ActorUnitID: p.UnitID, Action: "delivery." + m.action,
		DocumentID: cur.DocumentID, DeliveryID: id, Reason: m.reason, Details: m.details})
	if err != nil {
		return cur, err
	}
	if err := tx.Commit(); err != nil {
		return cur, fmt.Errorf("routing: unable to commit: %w", err)
	}
	return s.delivery(ctx, p, id)
}

// Accept registers an arrived document in p's unit: it gets the unit's
// next incoming number for the year.
func (s *Service) Accept(ctx context.Context, p auth.Principal, id int64) (Delivery, error) {
	if err := s.mustMay(ctx, p, id, actAccept); err != nil {
		return Delivery{}, err
	}
	year := s.now().In(domain.VietnamTime).Year()
	m := move{action: "accept", act: actAccept, message: "Chỉ tiếp nhận được văn bản vừa đến",
		set: `status = ` + lit(Accepted) + `, accepted_at = now(), incoming_year = $3, incoming_number = $4`}
	return s.apply(ctx, p, id, m, func(tx *sqlx.Tx, d Delivery) ([]any, error) {
		// The incoming number is taken only once the move is legal, in the
		// same transaction: no gaps.
		n, err := documents.NextNumber(ctx, tx, p.UnitID, year, documents.SeriesIncoming)
		if err != nil {
			return nil, err
		}
		return []any{year, n}, nil
	})
}

// Refuse returns an arrived document to its sender with a reason (wrong
// recipient, invalid signature).
func (s *Service) Refuse(ctx context.Context, p auth.Principal, id int64, reason string) (Delivery, error) {
	if err := s.mustMay(ctx, p, id, actRefuse); err != nil {
		return Delivery{}, err
	}
	reason = strings.TrimSpace(reason)
	if len([]rune(reason)) < 3 || len(reason) > 2000 {
		return Delivery{}, &domain.ValidationError{Fields: map[string]string{"reason": "cần nêu lý do từ chối (3 đến 2000 ký tự)"}}
	}
	m := move{action: "refuse", act: actRefuse, message: "Chỉ từ chối được văn bản vừa đến, chưa tiếp nhận",
		set: `status = ` + lit(Refused) + `, reason = $3`, args: []any{reason}, reason: reason,
		notes: func(d Delivery) []notify.Notification {
			return s.toSender(ctx, d, "refused", "Văn bản bị từ chối: "+docLabel(d),
				d.RecipientName+" từ chối nhận văn bản. Lý do: "+reason)
		}}
	return s.apply(ctx, p, id, m, nil)
}

// AssignRequest routes an accepted document inside the unit.
type AssignRequest struct {
	AssigneeID   int64
	Section      string
	Coordinators string
	Opinion      string
	Due          string // YYYY-MM-DD; default: the sender's due date
}

// Assign gives an accepted document to a person of the unit, with a
// deadline and coordinators (the leader's routing, Decree 30 art. 24).
func (s *Service) Assign(ctx context.Context, p auth.Principal, id int64, req AssignRequest) (Delivery, error) {
	if err := s.mustMay(ctx, p, id, actAssign); err != nil {
		return Delivery{}, err
	}
	fields := map[string]string{}
	var assignee struct {
		UnitID   int64 `db:"unit_id"`
		Disabled bool  `db:"disabled"`
	}
	err := s.db.GetContext(ctx, &assignee, `SELECT unit_id, disabled FROM users WHERE id = $1`, req.AssigneeID)
	if err != nil || assignee.UnitID != p.UnitID || assignee.Disabled {
		fields["assignee_id"] = "người được giao phải là người dùng đang hoạt động của đơn vị"
	}
	var due *string
	if d := strings.TrimSpace(req.Due); d != "" {
		t, err := time.ParseInLocation(time.DateOnly, d, domain.VietnamTime)
		if err != nil {
			fields["due"] = "hạn xử lý phải có dạng YYYY-MM-DD"
		} else if t.Before(dateOf(s.now())) {
			fields["due"] = "hạn xử lý không được trước hôm nay"
		}
		due = &d
	}
	for k, v := range map[string]string{"section": req.Section, "coordinators": req.Coordinators, "opinion": req.Opinion} {
		if len(v) > 2000 {
			fields[k] = "tối đa 2000 ký tự"
		}
	}
	if len(fields) > 0 {
		return Delivery{}, &domain.ValidationError{Fields: fields}
	}
	m := move{action: "assign", act: actAssign, message: "Cần tiếp nhận văn bản trước khi phân công",
		set: `status = ` + lit(Assigned) + `, assignee_id = $3, assigned_at = now(), section = $4, coordinators = $5, opinion = $6,
		      task_due = coalesce($7::date, due_date)`,
		args:    []any{req.AssigneeID, strings.TrimSpace(req.Section), strings.TrimSpace(req.Coordinators), strings.TrimSpace(req.Opinion), due},
		reason:  strings.TrimSpace(req.Opinion),
		details: map[string]any{"assignee": req.AssigneeID, "due": req.Due, "section": req.Section, "coordinators": req.Coordinators},
		notes: func(d Delivery) []notify.Notification {
			body := "Bạn được giao xử lý văn bản " + docLabel(d) + " của " + d.SenderName + "."
			if due != nil {
				body += " Hạn xử lý: " + formatDate(*due) + "."
			}
			if req.Opinion != "" {
				body += " Ý kiến chỉ đạo: " + strings.TrimSpace(req.Opinion)
			}
			return []notify.Notification{{UserID: req.AssigneeID, Kind: "assigned", Title: "Được giao xử lý: " + docLabel(d),
				Body: body, Link: deliveryLink(d.ID), DocumentID: &d.DocumentID, DeliveryID: &d.ID}}
		}}
	return s.apply(ctx, p, id, m, nil)
}

// StatusRequest reports progress: "05" in progress or "06" done, with an
// optional answering document of the unit's own.
type StatusRequest struct {
	Status     string
	Note       string
	ResponseID int64
}

// UpdateStatus moves an assigned document to in progress or done. The
// assignee, a leader or the clerk of the unit may do it.
func (s *Service) UpdateStatus(ctx context.Context, p auth.Principal, id int64, req StatusRequest) (Delivery, error) {
	cur, err := s.delivery(ctx, p, id)
	if err != nil {
		return cur, err
	}
	// Progress and done have the same people: the assignee, a leader or a clerk.
	if !rules[actProgress].permits(p, cur) {
		return cur, domain.ErrForbidden
	}
	note := strings.TrimSpace(req.Note)
	fields := map[string]string{}
	var a act
	set := ``
	switch req.Status {
	case InProgress:
		a, set = actProgress, `status = `+lit(InProgress)
	case Done:
		a, set = actDone, `status = `+lit(Done)+`, done_at = now(), response_document_id = nullif($3, 0)::bigint`
	default:
		fields["status"] = "trạng thái mới phải là 05 (đang xử lý) hoặc 06 (hoàn thành)"
	}
	if req.ResponseID != 0 {
		r, err := s.docs.Get(ctx, p, req.ResponseID)
		if err != nil || r.UnitID != p.UnitID {
			fields["response_id"] = "văn bản trả lời phải là văn bản của đơn vị bạn"
		}
		if req.Status != Done {
			fields["response_id"] = "văn bản trả lời chỉ gắn khi hoàn thành"
		}
	}
	if len(note) > 2000 {
		fields["note"] = "tối đa 2000 ký tự"
	}
	if len(fields) > 0 {
		return cur, &domain.ValidationError{Fields: fields}
	}
	m := move{action: "status." + req.Status, act: a, set: set, reason: note,
		message: "Chỉ chuyển sang đang xử lý khi đã phân công, và hoàn thành khi đã phân công hoặc đang xử lý",
		details: map[string]any{"status": req.Status}}
	if req.Status == Done {
		m.args = []any{req.ResponseID}
		m.details["response_document"] = req.ResponseID
		m.notes = func(d Delivery) []notify.Notification {
			return s.toSender(ctx, d, "done", "Đã xử lý xong: "+docLabel(d), d.RecipientName+" báo đã hoàn thành xử lý văn bản.")
		}
	}
	return s.apply(ctx, p, id, m, nil)
}

// Recall asks every unit the document went to (13) to remove it. Only the
// sender's clerk may; the reason is required.
func (s *Service) Recall(ctx context.Context, p auth.Principal, documentID int64, reason string) (int, error) {
	d, err := s.docs.Get(ctx, p, documentID)
	if err != nil {
		return 0, err
	}
	if d.UnitID != p.UnitID || !p.Has(auth.RoleClerk) {
		return 0, domain.ErrForbidden
	}
	reason = strings.TrimSpace(reason)
	if len([]rune(reason)) < 3 || len(reason) > 2000 {
		return 0, &domain.ValidationError{Fields: map[string]string{"reason": "cần nêu lý do thu hồi (3 đến 2000 ký tự)"}}
	}
	if d.Status == "recalled" {
		return 0, &domain.PreconditionError{Code: "already_recalled", Message: "Văn bản đã được thu hồi"}
	}
	if d.Status != "issued" {
		return 0, &domain.PreconditionError{Code: "not_issued", Message: "Văn bản chưa được phát hành nên không cần thu hồi"}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var ids []int64
	// Relayed copies are recalled too: the document itself is withdrawn.
	err = tx.SelectContext(ctx, &ids, `
		UPDATE deliveries SET recall = `+lit(RecallRequested)+`, reason = $2, status_at = now(), status_by = $3
		WHERE document_id = $1 AND status <> `+lit(Refused)+` AND `+noRecallSQL("recall")+`
		RETURNING id`, documentID, reason, p.UserID)
	if err != nil {
		return 0, fmt.Errorf("routing: unable to recall: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE documents SET status = 'recalled', updated_at = now() WHERE id = $1`, documentID); err != nil {
		return 0, err
	}
	if err := notify.Enqueue(ctx, tx, notify.Job{Kind: JobNotifyRecall, Payload: map[string]any{"document_id": documentID, "reason": reason}}); err != nil {
		return 0, err
	}
	err = audit.Append(ctx, tx, audit.Event{ActorID: p.UserID, ActorUnitID: p.UnitID, Action: "document.recall",
		DocumentID: documentID, Reason: reason, Details: map[string]any{"deliveries": ids}})
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return len(ids), nil
}

// AnswerRecall accepts (15: the document leaves the inbox, a trace stays)
// or refuses (16, with a reason) a recall.
func (s *Service) AnswerRecall(ctx context.Context, p auth.Principal, id int64, accept bool, reason string) (Delivery, error) {
	if err := s.mustMay(ctx, p, id, actAnswerRecall); err != nil {
		return Delivery{}, err
	}
	reason = strings.TrimSpace(reason)
	if !accept && (len([]rune(reason)) < 3 || len(reason) > 2000) {
		return Delivery{}, &domain.ValidationError{Fields: map[string]string{"reason": "cần nêu lý do từ chối thu hồi (3 đến 2000 ký tự)"}}
	}
	cur, err := s.delivery(ctx, p, id)
	if err != nil {
		return cur, err
	}
	const noRecall = "Văn bản này không có đề nghị thu hồi đang chờ trả lời"
	if !rules[actAnswerRecall].legal(cur) {
		return cur, &StateError{Current: cur.state(), Message: noRecall}
	}
	code, set, word := RecallAccepted, `recall = `+lit(RecallAccepted)+`, removed = true`, "đồng ý"
	if !accept {
		code, set, word = RecallRefused, `recall = `+lit(RecallRefused)+`, reason = $3`, "từ chối"
	}
	m := move{action: "recall." + code, act: actAnswerRecall, message: noRecall,
		set: set, reason: reason, details: map[string]any{"recall": code},
		notes: func(d Delivery) []notify.Notification {
			return s.toSender(ctx, d, "recall_answer", "Trả lời thu hồi: "+docLabel(d), d.RecipientName+" "+word+" thu hồi văn bản. "+reason)
		}}
	if !accept {
		m.args = []any{reason}
	}
	return s.apply(ctx, p, id, m, nil)
}

// mustMay checks that the delivery is p's unit's and that p is among those
// who may take the act; whether its state allows it is checked later.
func (s *Service) mustMay(ctx context.Context, p auth.Principal, id int64, a act) error {
	d, err := s.delivery(ctx, p, id)
	if err != nil {
		return err
	}
	if !rules[a].permits(p, d) {
		return domain.ErrForbidden
	}
	return nil
}

func docLabel(d Delivery) string {
	if d.NumberSymbol != nil {
		return *d.NumberSymbol + " " + d.Title
	}
	return d.Title
}

func deliveryLink(id int64) string { return "/inbox/" + strconv.FormatInt(id, 10) }

func formatDate(iso string) string {
	t, err := time.Parse(time.DateOnly, iso)
	if err != nil {
		return iso
	}
	return t.Format("02/01/2006")
}

// toSender notifies the clerks of the sending unit and whoever sent.
func (s *Service) toSender(ctx context.Context, d Delivery, kind, title, body string) []notify.Notification {
	var users []int64
	err := s.db.SelectContext(ctx, &users, `
		SELECT id FROM users WHERE unit_id = $1 AND NOT disabled AND 'clerk' = ANY(roles)
		UNION SELECT created_by FROM dispatches WHERE id = $2`, d.SenderUnitID, d.DispatchID)
	if err != nil {
		return nil
	}
	out := make([]notify.Notification, len(users))
	for i, u := range users {
		out[i] = notify.Notification{UserID: u, Kind: kind, Title: title, Body: body,
			Link: "/documents/" + strconv.FormatInt(d.DocumentID, 10) + "/deliveries", DocumentID: &d.DocumentID, DeliveryID: &d.ID}
	}
	return out
}

// calendarCache keeps the working-day calendar for a few minutes.
type calendarCache struct {
	db  *sqlx.DB
	mu  sync.Mutex
	cal *workdays.Calendar
	at  time.Time
}

func (c *calendarCache) get(ctx context.Context) (*workdays.Calendar, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cal != nil && time.Since(c.at) < 5*time.Minute {
		return c.cal, nil
	}
	cal, err := workdays.Load(ctx, c.db)
	if err != nil {
		return nil, err
	}
	c.cal, c.at = cal, time.Now()
	return cal, nil
}

// History is the audit trail of a document as p's unit may see it: the
// whole of it for the unit that owns the document, and only what concerns
// its own delivery for a unit that received it.
func (s *Service) History(ctx context.Context, p auth.Principal, documentID int64) ([]audit.Entry, error) {
	d, err := s.docs.Get(ctx, p, documentID)
	if err != nil {
		return nil, err
	}
	var mine []int64
	if d.UnitID != p.UnitID {
		if err := s.db.SelectContext(ctx, &mine, `SELECT id FROM deliveries WHERE document_id = $1 AND recipient_unit_id = $2`, documentID, p.UnitID); err != nil {
			return nil, fmt.Errorf("routing: unable to list deliveries: %w", err)
		}
	}
	return audit.ForDocument(ctx, s.db, documentID, d.UnitID == p.UnitID, mine)
}

// Relayed counts the units p's unit sent the document on to: its own
// board for the relay, as opposed to the sender's.
func (s *Service) Relayed(ctx context.Context, p auth.Principal, documentID int64) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `
		SELECT count(*) FROM deliveries dl JOIN documents d ON d.id = dl.document_id
		WHERE dl.document_id = $1 AND dl.sender_unit_id = $2 AND d.unit_id <> $2`, documentID, p.UnitID)
	if err != nil {
		return 0, fmt.Errorf("routing: unable to count relays: %w", err)
	}
	return n, nil
}
