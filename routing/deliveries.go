package routing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
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
	PresentedTo     *int64     `db:"presented_to" json:"presented_to,omitempty"`
	PresentedToName string     `db:"presented_to_name" json:"presented_to_name,omitempty"`
	PresentedAt     *time.Time `db:"presented_at" json:"presented_at,omitempty"`
	FiledAt         *time.Time `db:"filed_at" json:"filed_at,omitempty"` // filed for information: no handling
	DirectedBy      *int64     `db:"directed_by" json:"directed_by,omitempty"`
	DirectedByName  string     `db:"directed_by_name" json:"directed_by_name,omitempty"`
	DirectedAt      *time.Time `db:"directed_at" json:"directed_at,omitempty"`

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
	dl.presented_to, coalesce((SELECT full_name FROM users WHERE id = dl.presented_to), '') AS presented_to_name, dl.presented_at, dl.filed_at,
	dl.directed_by, coalesce((SELECT full_name FROM users WHERE id = dl.directed_by), '') AS directed_by_name, dl.directed_at,
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
		if d.FiledAt != nil {
			due = nil // filed for information: no deadline runs
		}
		if due == nil && d.FiledAt == nil {
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
	Work    bool // only what waits for p: see workSQL (handling.go)
	Cursor  string
	Limit   int // default 50, at most 200
	// Query: words of the number and symbol, trích yếu, sender or text of
	// the PDF, accents optional; Before: a PrevCursor, the page before it.
	Query  string
	Before string
}

// Page of deliveries.
type Page struct {
	Items      []Delivery `json:"items"`
	NextCursor string     `json:"next_cursor,omitempty"`
	PrevCursor string     `json:"prev_cursor,omitempty"`
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
	if f.Before != "" {
		if _, _, err := documents.DecodeCursor(f.Before); err != nil || f.Cursor != "" {
			m["before"] = "con trỏ trang trước không hợp lệ (và không dùng cùng cursor)"
		}
	}
	if strings.TrimSpace(f.Query) != "" && documents.TSQuery(f.Query) == "" {
		m["q"] = "từ khóa không có chữ hay số nào để tìm"
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
		where = append(where, `dl.status NOT IN `+closedSQL+` AND dl.filed_at IS NULL AND coalesce(dl.task_due, dl.due_date) < `+arg(today)+`::date`)
	}
	if f.Work {
		where = append(where, workSQL(p, arg(p.UserID)))
	}
	if tsq := documents.TSQuery(f.Query); tsq != "" {
		q := `to_tsquery('simple', ` + arg(tsq) + `)`
		where = append(where, `(d.search @@ `+q+`
			OR EXISTS (SELECT 1 FROM document_texts t WHERE t.document_id = d.id AND t.search @@ `+q+`)
			OR to_tsvector('simple', regexp_replace(vn_unaccent((SELECT name FROM units WHERE id = dl.sender_unit_id)), '[^a-z0-9]+', ' ', 'g')) @@ `+q+`)`)
	}
	order := `dl.arrived_at DESC, dl.id DESC`
	if f.Cursor != "" {
		at, id, _ := documents.DecodeCursor(f.Cursor)
		where = append(where, `(dl.arrived_at, dl.id) < (`+arg(at)+`, `+arg(id)+`)`)
	}
	if f.Before != "" {
		// The page before: read upwards from the cursor, then turn it.
		at, id, _ := documents.DecodeCursor(f.Before)
		where = append(where, `(dl.arrived_at, dl.id) > (`+arg(at)+`, `+arg(id)+`)`)
		order = `dl.arrived_at, dl.id`
	}
	q := `SELECT ` + deliveryColumns + deliveryFrom + ` WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY ` + order + ` LIMIT ` + strconv.Itoa(f.Limit+1)
	var items []Delivery
	if err := s.db.SelectContext(ctx, &items, q, args...); err != nil {
		return Page{}, fmt.Errorf("routing: unable to list the inbox: %w", err)
	}
	more := len(items) > f.Limit
	if more {
		items = items[:f.Limit]
	}
	if f.Before != "" {
		slices.Reverse(items)
	}
	page := Page{Items: items}
	if n := len(items); n > 0 {
		first, last := items[0], items[n-1]
		if more && f.Before == "" || f.Before != "" {
			page.NextCursor = documents.EncodeCursor(last.ArrivedAt, last.ID)
		}
		if f.Cursor != "" || more && f.Before != "" {
			page.PrevCursor = documents.EncodeCursor(first.ArrivedAt, first.ID)
		}
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
