package routing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/notify"
	"github.com/lib/pq"
)

// A district office's board of its schools (issue 15 point 6): for the
// documents the department sent to the schools and those the office
// relayed to them, which schools accepted and which lag; the indicators of
// each school; one action to remind every laggard.

// DistrictDocument is one document as it stands in a district's schools.
type DistrictDocument struct {
	DocumentID     int64      `json:"document_id"`
	NumberSymbol   string     `json:"number_symbol,omitempty"`
	Title          string     `json:"title"`
	SenderName     string     `json:"sender_name"`
	Relayed        bool       `json:"relayed"` // sent on by the district office itself
	ArrivedAt      time.Time  `json:"arrived_at"`
	Total          int        `json:"total"`
	Accepted       int        `json:"accepted"`
	ReceiptOverdue int        `json:"receipt_overdue"`
	Overdue        int        `json:"overdue"`
	Schools        []Delivery `json:"schools"` // every school's delivery, by name
}

// Laggards are the deliveries of the document that are late: not accepted
// by the next working day, or past their deadline.
func (d DistrictDocument) Laggards() []Delivery {
	var out []Delivery
	for _, s := range d.Schools {
		if s.ReceiptOverdue || s.Overdue {
			out = append(out, s)
		}
	}
	return out
}

// NotAccepted are the deliveries still waiting to be accepted.
func (d DistrictDocument) NotAccepted() []Delivery {
	var out []Delivery
	for _, s := range d.Schools {
		if s.Status == Arrived && !recallInForce(s.Recall) {
			out = append(out, s)
		}
	}
	return out
}

// DistrictBoard is a district office's view of its schools.
type DistrictBoard struct {
	UnitID     int64              `json:"unit_id"`
	UnitName   string             `json:"unit_name"`
	Schools    int                `json:"schools"`
	Since      time.Time          `json:"since"`
	Documents  []DistrictDocument `json:"documents"`
	Laggards   int                `json:"laggards"` // late deliveries over all documents
	Indicators []Indicator        `json:"indicators"`
}

// districtDays is how far back the board looks for documents.
const districtDays = 90

// districtDocs caps the documents on the board, newest first.
const districtDocs = 200

// district checks that p may see the board of the district office id (0:
// p's own unit): its clerks and leaders, and the department's. Anyone
// else, and a unit that is not a district office, gets domain.ErrNotFound.
func (s *Service) district(ctx context.Context, p auth.Principal, id int64) (int64, string, error) {
	if id == 0 {
		id = p.UnitID
	}
	var row struct {
		Kind string `db:"kind"`
		Name string `db:"name"`
		Mine string `db:"mine"`
	}
	err := s.db.GetContext(ctx, &row, `SELECT u.kind, u.name, (SELECT kind FROM units WHERE id = $2) AS mine FROM units u WHERE u.id = $1`, id, p.UnitID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", domain.ErrNotFound
	}
	if err != nil {
		return 0, "", fmt.Errorf("routing: unable to read the unit: %w", err)
	}
	ok := row.Kind == "district_office" && p.HasAny(auth.RoleClerk, auth.RoleSigner) && id == p.UnitID
	ok = ok || (row.Kind == "district_office" && row.Mine == "department" && p.HasAny(auth.RoleClerk, auth.RoleSigner, auth.RoleAdmin))
	if !ok {
		return 0, "", domain.ErrNotFound
	}
	return id, row.Name, nil
}

// SeesDistricts reports whether unitID's clerks and leaders have district
// boards: a district office (its own) or the department (every district's).
func (s *Service) SeesDistricts(ctx context.Context, unitID int64) (bool, error) {
	var ok bool
	err := s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM units WHERE id = $1 AND kind IN ('district_office', 'department'))`, unitID)
	return ok, err
}

// District returns the board of the district office id (0: p's own unit)
// for p: the documents that reached its schools in the last 90 days from
// the department (or its offices) or from the district office, and each
// school's indicators over [from, to] (months, YYYY-MM).
func (s *Service) District(ctx context.Context, p auth.Principal, id int64, from, to string) (DistrictBoard, error) {
	return s.districtBoard(ctx, p, id, from, to, true)
}

// districtBoard is District, with the indicators when withIndicators.
func (s *Service) districtBoard(ctx context.Context, p auth.Principal, id int64, from, to string, withIndicators bool) (DistrictBoard, error) {
	id, name, err := s.district(ctx, p, id)
	if err != nil {
		return DistrictBoard{}, err
	}
	b := DistrictBoard{UnitID: id, UnitName: name, Since: dateOf(s.now()).AddDate(0, 0, -districtDays), Documents: []DistrictDocument{}}
	var schools []int64
	if err := s.db.SelectContext(ctx, &schools, `SELECT id FROM units WHERE parent_id = $1 AND kind = 'school' ORDER BY id`, id); err != nil {
		return b, fmt.Errorf("routing: unable to list the schools: %w", err)
	}
	b.Schools = len(schools)
	var all []Delivery
	err = s.db.SelectContext(ctx, &all, `SELECT `+deliveryColumns+deliveryFrom+`
		WHERE dl.recipient_unit_id = ANY($1) AND NOT dl.removed AND dl.arrived_at >= $3
		  AND dl.document_id IN (
		    SELECT x.document_id FROM deliveries x JOIN units su ON su.id = x.sender_unit_id
		    WHERE x.recipient_unit_id = ANY($1) AND x.arrived_at >= $3 AND NOT x.removed
		      AND (x.sender_unit_id = $2 OR su.kind IN ('department', 'office'))
		    GROUP BY x.document_id ORDER BY max(x.arrived_at) DESC LIMIT `+strconv.Itoa(districtDocs)+`)
		  AND (dl.sender_unit_id = $2 OR (SELECT kind FROM units WHERE id = dl.sender_unit_id) IN ('department', 'office'))
		ORDER BY dl.arrived_at DESC, dl.document_id, recipient_name`, pq.Array(schools), id, b.Since)
	if err != nil {
		return b, fmt.Errorf("routing: unable to list the schools' deliveries: %w", err)
	}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return b, err
	}
	s.decorate(cal, all)
	index := map[int64]int{}
	for _, d := range all {
		i, ok := index[d.DocumentID]
		if !ok {
			b.Documents = append(b.Documents, DistrictDocument{DocumentID: d.DocumentID, NumberSymbol: deref(d.NumberSymbol), Title: d.Title,
				SenderName: d.SenderName, Relayed: d.SenderUnitID == id, ArrivedAt: d.ArrivedAt})
			i = len(b.Documents) - 1
			index[d.DocumentID] = i
		}
		doc := &b.Documents[i]
		doc.Schools = append(doc.Schools, d)
		doc.Total++
		if d.Status >= Accepted && d.Status != Refused {
			doc.Accepted++
		}
		if d.ReceiptOverdue {
			doc.ReceiptOverdue++
		}
		if d.Overdue {
			doc.Overdue++
		}
		if d.ReceiptOverdue || d.Overdue {
			b.Laggards++
		}
	}
	b.Indicators = []Indicator{}
	if len(schools) > 0 && withIndicators {
		if b.Indicators, err = s.indicators(ctx, from, to, false, schools); err != nil {
			return b, err
		}
	}
	return b, nil
}

// RemindResult says what a reminder did.
type RemindResult struct {
	Deliveries int `json:"deliveries"` // late deliveries reminded
	Notified   int `json:"notified"`   // notifications sent
	Skipped    int `json:"skipped"`    // late deliveries reminded less than an hour ago
	NoClerk    int `json:"no_clerk"`   // late deliveries of schools with no clerk to tell
}

// remindEvery is how long a reminder of a delivery stands: another within
// it (a double click, a second leader) sends nothing.
const remindEvery = time.Hour

// RemindLaggards notifies the clerks of every school of the district
// office id (0: p's own) that is late on a document of the board, or on
// documentID only when it is not 0: not accepted by the next working day,
// or past its deadline. A delivery reminded within the last hour is
// skipped. The reminder is in the audit log.
func (s *Service) RemindLaggards(ctx context.Context, p auth.Principal, id, documentID int64) (RemindResult, error) {
	b, err := s.districtBoard(ctx, p, id, "", "", false)
	if err != nil {
		return RemindResult{}, err
	}
	var late []Delivery
	for _, d := range b.Documents {
		if documentID == 0 || d.DocumentID == documentID {
			late = append(late, d.Laggards()...)
		}
	}
	var res RemindResult
	if len(late) == 0 {
		return res, nil
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("routing: unable to begin: %w", err)
	}
	defer tx.Rollback()
	// One reminder of a district at a time, so that two clicks see each other.
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7215, $1::int)`, b.UnitID); err != nil {
		return res, fmt.Errorf("routing: unable to lock: %w", err)
	}
	ids := make([]int64, len(late))
	for i, d := range late {
		ids[i] = d.ID
	}
	var recent []int64
	err = tx.SelectContext(ctx, &recent, `
		SELECT DISTINCT delivery_id FROM notifications
		WHERE kind = 'district.remind' AND delivery_id = ANY($1) AND created_at > $2`, pq.Array(ids), s.now().Add(-remindEvery))
	if err != nil {
		return res, fmt.Errorf("routing: unable to read reminders: %w", err)
	}
	skip := map[int64]bool{}
	for _, id := range recent {
		skip[id] = true
	}
	var notes []notify.Notification
	var reminded []int64
	bucket := s.now().Unix() / int64(remindEvery.Seconds())
	for _, d := range late {
		if skip[d.ID] {
			res.Skipped++
			continue
		}
		var clerks []int64
		err := tx.SelectContext(ctx, &clerks, `SELECT id FROM users WHERE unit_id = $1 AND NOT disabled AND 'clerk' = ANY(roles) ORDER BY id`, d.RecipientUnitID)
		if err != nil {
			return res, fmt.Errorf("routing: unable to list clerks: %w", err)
		}
		if len(clerks) == 0 {
			res.NoClerk++ // nobody to tell: the board keeps showing it
			continue
		}
		what := "chưa tiếp nhận văn bản"
		if !d.ReceiptOverdue {
			what = "đã quá hạn xử lý văn bản"
			if d.TaskDue != nil || d.DueDate != nil {
				due := d.TaskDue
				if due == nil {
					due = d.DueDate
				}
				what += " (hạn " + due.Format("02/01/2006") + ")"
			}
		}
		title := "Nhắc việc: " + docLabel(d)
		body := b.UnitName + " nhắc: trường " + what + " " + docLabel(d) + ". Đề nghị xử lý ngay."
		for _, u := range clerks {
			did, docID := d.ID, d.DocumentID
			notes = append(notes, notify.Notification{UserID: u, Kind: "district.remind", Title: title, Body: body,
				Link: deliveryLink(d.ID), DocumentID: &docID, DeliveryID: &did,
				DedupeKey: fmt.Sprintf("district.remind:%d:%d:%d", d.ID, u, bucket)})
		}
		reminded = append(reminded, d.ID)
		res.Deliveries++
		res.Notified += len(clerks)
	}
	if len(reminded) == 0 {
		return res, nil
	}
	if err := s.notes.Add(ctx, tx, notes); err != nil {
		return res, err
	}
	err = audit.Append(ctx, tx, audit.Event{ActorID: p.UserID, ActorUnitID: p.UnitID, Action: "district.remind", DocumentID: documentID,
		Details: map[string]any{"district": b.UnitID, "deliveries": reminded, "notified": res.Notified, "skipped": res.Skipped}})
	if err != nil {
		return res, err
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("routing: unable to commit: %w", err)
	}
	return res, nil
}
