// Package routing carries registered documents between units: a sender
// issues a document to units and groups of units, each recipient finds it
// in its inbox, accepts or refuses it, assigns it and reports it done; the
// sender follows every delivery and may recall the document. Every state
// change is recorded in the audit log in the same transaction.
//
// Who may do what is decided here, not in the HTTP layer: a unit acts only
// on what it sent or what was delivered to it, and anything else is
// domain.ErrNotFound, exactly as if it did not exist.
package routing

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/workdays"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Steering types of a dispatch.
const (
	SteeringNone      = 1
	SteeringDirective = 2
	SteeringReport    = 3
)

// StateError is an illegal move in the life-cycle: the delivery is not in
// a state the action starts from. Current is its state now.
type StateError struct {
	Current string // e.g. "01", or "01/13" while a recall is pending
	Message string
}

func (e *StateError) Error() string { return "routing: illegal move from " + e.Current }

// IdempotencyError: the key was used before for a different request.
type IdempotencyError struct{}

func (e *IdempotencyError) Error() string {
	return "routing: idempotency key reused with a different request"
}

// Service routes documents.
type Service struct {
	db       *sqlx.DB
	docs     *documents.Service
	notes    *notify.Store
	calendar *calendarCache
	now      func() time.Time
}

// New returns a Service that tells people what concerns them through notes.
// It tells docs that a unit sees what was delivered to it (see documentLink).
func New(db *sqlx.DB, docs *documents.Service, notes *notify.Store) *Service {
	docs.AddLink(documentLink)
	return &Service{db: db, docs: docs, notes: notes, calendar: &calendarCache{db: db}, now: time.Now}
}

// documentLink widens the documents a unit sees: those delivered to it,
// issued or relayed, until it accepts their recall.
var documentLink = documents.Link{Reach: `EXISTS (
	SELECT 1 FROM deliveries dl WHERE dl.document_id = d.id AND dl.recipient_unit_id = :unit AND NOT dl.removed)`}

// SetClock replaces the clock deadlines are judged by (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Calendar returns the working-day calendar, reloaded every few minutes so
// holidays added by an operator take effect without a restart.
func (s *Service) Calendar(ctx context.Context) (*workdays.Calendar, error) {
	return s.calendar.get(ctx)
}

// Recipients names the units a document goes to: units by id, and groups
// (see Groups) by id.
type Recipients struct {
	Units  []int64  `json:"units"`
	Groups []string `json:"groups"`
}

// IssueRequest sends a registered document.
type IssueRequest struct {
	Recipients     Recipients
	Urgency        string // default: the document's
	DueDate        string // YYYY-MM-DD, when a reply or report is expected
	Steering       int    // 1 none (default), 2 directive, 3 report on a directive
	ResponseFor    int64  // the document this one answers, if any
	Replaces       int64  // the recalled document this one supersedes, if any
	Note           string
	IdempotencyKey string
}

// IssueResult says what an issue did.
type IssueResult struct {
	DispatchID int64 `json:"dispatch_id"`
	Delivered  int   `json:"delivered"`
	Skipped    int   `json:"skipped"` // units that had the document already
	Replayed   bool  `json:"replayed"`
}

func (r IssueRequest) hash(kind string, documentID int64) string {
	b, _ := json.Marshal([]any{kind, documentID, r.Recipients, r.Urgency, r.DueDate, r.Steering, r.ResponseFor, r.Replaces, r.Note})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Issue sends a registered document of p's unit to the recipients. A
// retry with the same idempotency key returns the first result and
// delivers nothing twice.
func (s *Service) Issue(ctx context.Context, p auth.Principal, documentID int64, req IssueRequest) (IssueResult, error) {
	d, err := s.docs.Get(ctx, p, documentID)
	if err != nil {
		return IssueResult{}, err
	}
	if err := documents.IssueRule(p, d).Err(); err != nil {
		return IssueResult{}, err
	}
	return s.dispatch(ctx, p, d, "issue", req)
}

// Relay sends on a document delivered to p's unit (a directive to the
// district office, say) to units of p's choice, usually its schools.
func (s *Service) Relay(ctx context.Context, p auth.Principal, deliveryID int64, req IssueRequest) (IssueResult, error) {
	dl, err := s.delivery(ctx, p, deliveryID)
	if err != nil {
		return IssueResult{}, err
	}
	relay := rules[actRelay]
	if !relay.permits(p, dl) {
		return IssueResult{}, domain.ErrForbidden
	}
	if recallInForce(dl.Recall) {
		return IssueResult{}, &StateError{Current: dl.state(), Message: "Văn bản đã bị đề nghị thu hồi; không chuyển tiếp được"}
	}
	if !relay.legal(dl) {
		return IssueResult{}, &StateError{Current: dl.state(), Message: "Cần tiếp nhận văn bản trước khi chuyển tiếp"}
	}
	d, err := s.relayable(ctx, p, dl)
	if err != nil {
		return IssueResult{}, err
	}
	if req.DueDate == "" && dl.DueDate != nil {
		req.DueDate = dl.DueDate.Format(time.DateOnly)
	}
	return s.dispatch(ctx, p, d, "relay", req)
}

// relayable returns the document of dl, delivered to p's unit, if it may
// go on: issued by its owner, neither secret nor recalled.
func (s *Service) relayable(ctx context.Context, p auth.Principal, dl Delivery) (documents.Document, error) {
	d, err := s.docs.Get(ctx, p, dl.DocumentID)
	if err != nil {
		return d, err
	}
	switch {
	case documents.IsSecret(d.Confidentiality):
		return d, errSecret
	case d.Status == "recalled":
		return d, documents.ErrRecalled
	case d.Status != "issued":
		return d, &domain.PreconditionError{Code: "not_issued", Message: "Văn bản chưa được đơn vị ban hành phát hành; không chuyển tiếp được"}
	}
	return d, nil
}

var errNotIssuable = &domain.PreconditionError{Code: "not_issuable", Message: "Văn bản không còn đủ điều kiện gửi đi (đã bị thu hồi, hoặc thiếu số, chữ ký của người có thẩm quyền hay của cơ quan); hãy tải lại trang"}

var errSecret = &domain.PreconditionError{Code: "secret", Message: "Văn bản mật (Mật, Tối mật, Tuyệt mật) không được gửi qua hệ thống; hãy chuyển theo quy định về văn bản mật"}

// plan is a checked dispatch: what dispatch would send.
type plan struct {
	req     IssueRequest
	due     *time.Time
	units   []int64
	outside []unitName // for a relay, units out of the sender's reach
}

func (s *Service) dispatch(ctx context.Context, p auth.Principal, d documents.Document, kind string, req IssueRequest) (IssueResult, error) {
	pl, err := s.prepare(ctx, p, d, kind, req)
	if err != nil {
		return IssueResult{}, err
	}
	if len(pl.outside) > 0 {
		return IssueResult{}, &domain.ValidationError{Fields: map[string]string{"recipients": outsideMessage(pl.outside)}}
	}
	return s.send(ctx, p, d, kind, pl)
}

// prepare checks a dispatch of d and resolves its recipients, reading
// only. The document's urgency is the one every recipient sees: it is
// printed on the document (Decree 30/2020 Appendix I), so a dispatch
// cannot change it.
func (s *Service) prepare(ctx context.Context, p auth.Principal, d documents.Document, kind string, req IssueRequest) (plan, error) {
	req.Note = strings.TrimSpace(req.Note)
	req.IdempotencyKey = strings.TrimSpace(req.IdempotencyKey)
	if req.Steering == 0 {
		req.Steering = SteeringNone
	}
	fields := map[string]string{}
	switch {
	case req.Urgency == "" || req.Urgency == d.Urgency:
		req.Urgency = d.Urgency
	case !validUrgency(req.Urgency):
		fields["urgency"] = "độ khẩn phải là thuong, khan, thuong_khan hoặc hoa_toc"
	default:
		fields["urgency"] = "độ khẩn là của văn bản (" + documents.Label(documents.Urgencies, d.Urgency) +
			", ghi trên văn bản); khi gửi không đổi được. Để trống hoặc chọn đúng độ khẩn của văn bản"
	}
	if req.Steering < 1 || req.Steering > 3 {
		fields["steering"] = "loại chỉ đạo phải là 1 (không), 2 (chỉ đạo) hoặc 3 (báo cáo thực hiện chỉ đạo)"
	}
	var due *time.Time
	if req.DueDate != "" {
		t, err := time.ParseInLocation(time.DateOnly, req.DueDate, domain.VietnamTime)
		today := dateOf(s.now())
		switch {
		case err != nil:
			fields["due_date"] = "hạn xử lý phải có dạng YYYY-MM-DD"
		case t.Before(today):
			fields["due_date"] = "hạn xử lý không được trước hôm nay"
		default:
			due = &t
		}
	}
	if len(req.Note) > 2000 {
		fields["note"] = "ghi chú tối đa 2000 ký tự"
	}
	if len(req.IdempotencyKey) > 200 {
		fields["idempotency_key"] = "Idempotency-Key tối đa 200 ký tự"
	}
	if req.ResponseFor != 0 {
		if _, err := s.docs.Get(ctx, p, req.ResponseFor); err != nil {
			fields["response_for"] = "không tìm thấy văn bản được trả lời"
		}
	}
	if req.Replaces != 0 {
		old, err := s.docs.Get(ctx, p, req.Replaces)
		switch {
		case err != nil || old.UnitID != p.UnitID:
			fields["replaces"] = "không tìm thấy văn bản được thay thế trong văn bản của đơn vị"
		case old.Status != "recalled":
			fields["replaces"] = "chỉ thay thế được văn bản đã thu hồi"
		}
	}
	units, unknown, err := s.resolve(ctx, p, req.Recipients)
	if err != nil {
		return plan{}, err
	}
	if len(unknown) > 0 {
		fields["recipients"] = "không có đơn vị hoặc nhóm: " + strings.Join(unknown, ", ")
	} else if len(units) == 0 {
		fields["recipients"] = "cần chọn ít nhất một đơn vị nhận (khác đơn vị của bạn)"
	}
	if len(fields) > 0 {
		return plan{}, &domain.ValidationError{Fields: fields}
	}
	pl := plan{req: req, due: due, units: units}
	if kind == "relay" {
		var err error
		if pl.outside, err = s.outsideReach(ctx, p.UnitID, units); err != nil {
			return plan{}, err
		}
	}
	return pl, nil
}

// send records the dispatch pl and its deliveries.
func (s *Service) send(ctx context.Context, p auth.Principal, d documents.Document, kind string, pl plan) (IssueResult, error) {
	req, due, units := pl.req, pl.due, pl.units
	latest := d.Versions[0]
	// The verdict each recipient sees is computed once, before sending.
	if _, err := s.docs.Verification(ctx, p, d.ID, latest.No); err != nil && !isSigningDisabled(err) {
		return IssueResult{}, err
	}

	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return IssueResult{}, fmt.Errorf("routing: unable to begin: %w", err)
	}
	defer tx.Rollback()
	hash := req.hash(kind, d.ID)
	var dispatchID int64
	err = tx.GetContext(ctx, &dispatchID, `
		INSERT INTO dispatches (document_id, sender_unit_id, kind, version_no, urgency, steering, due_date,
		                        response_for, replaces, note, idempotency_key, request_hash, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, nullif($8, 0), nullif($9, 0), $10, nullif($11, ''), $12, $13)
		ON CONFLICT (sender_unit_id, idempotency_key) DO NOTHING
		RETURNING id`,
		d.ID, p.UnitID, kind, latest.No, req.Urgency, req.Steering, due, req.ResponseFor, req.Replaces,
		req.Note, req.IdempotencyKey, hash, p.UserID)
	if errors.Is(err, sql.ErrNoRows) {
		tx.Rollback()
		return s.replay(ctx, p, req.IdempotencyKey, hash)
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23514" {
		// The database's rule for what goes out (migration 6), when the
		// document changed since it was checked (recalled meanwhile, say).
		return IssueResult{}, errNotIssuable
	}
	if err != nil {
		return IssueResult{}, fmt.Errorf("routing: unable to record the dispatch: %w", err)
	}
	res, err := tx.ExecContext(ctx, `
		INSERT INTO deliveries (dispatch_id, document_id, sender_unit_id, recipient_unit_id, urgency, due_date)
		SELECT $1, $2, $3, u, $4, $5 FROM unnest($6::bigint[]) AS u
		ON CONFLICT (document_id, recipient_unit_id) DO NOTHING`,
		dispatchID, d.ID, p.UnitID, req.Urgency, due, pq.Array(units))
	if err != nil {
		return IssueResult{}, fmt.Errorf("routing: unable to deliver: %w", err)
	}
	n, _ := res.RowsAffected()
	if n == 0 {
		return IssueResult{}, &domain.PreconditionError{Code: "already_delivered", Message: "Tất cả đơn vị đã chọn đều đã nhận văn bản này"}
	}
	if kind == "issue" {
		if _, err := tx.ExecContext(ctx, `UPDATE documents SET status = 'issued', updated_at = now() WHERE id = $1 AND status <> 'issued'`, d.ID); err != nil {
			return IssueResult{}, fmt.Errorf("routing: unable to update the document: %w", err)
		}
	}
	if err := notify.Enqueue(ctx, tx, notify.Job{Kind: JobNotifyDispatch, Payload: map[string]int64{"dispatch_id": dispatchID}}); err != nil {
		return IssueResult{}, err
	}
	err = audit.Append(ctx, tx, audit.Event{ActorID: p.UserID, ActorUnitID: p.UnitID, Action: "document." + kind,
		DocumentID: d.ID, Reason: req.Note, Details: map[string]any{"dispatch": dispatchID, "version": latest.No,
			"recipients": units, "delivered": n, "urgency": req.Urgency, "due_date": req.DueDate, "steering": req.Steering}})
	if err != nil {
		return IssueResult{}, err
	}
	if err := tx.Commit(); err != nil {
		return IssueResult{}, fmt.Errorf("routing: unable to commit: %w", err)
	}
	return IssueResult{DispatchID: dispatchID, Delivered: int(n), Skipped: len(units) - int(n)}, nil
}

func isSigningDisabled(err error) bool {
	var pe *domain.PreconditionError
	return errors.As(err, &pe) && pe.Code == "signing_disabled"
}

// replay answers a retried issue from what the first one did.
func (s *Service) replay(ctx context.Context, p auth.Principal, key, hash string) (IssueResult, error) {
	var row struct {
		ID   int64  `db:"id"`
		Hash string `db:"request_hash"`
		N    int    `db:"n"`
	}
	err := s.db.GetContext(ctx, &row, `
		SELECT x.id, x.request_hash, (SELECT count(*) FROM deliveries WHERE dispatch_id = x.id) AS n
		FROM dispatches x WHERE x.sender_unit_id = $1 AND x.idempotency_key = $2`, p.UnitID, key)
	if err != nil {
		return IssueResult{}, fmt.Errorf("routing: unable to read the earlier dispatch: %w", err)
	}
	if row.Hash != hash {
		return IssueResult{}, &IdempotencyError{}
	}
	return IssueResult{DispatchID: row.ID, Delivered: row.N, Replayed: true}, nil
}

func validUrgency(u string) bool {
	return slices.Contains([]string{"thuong", "khan", "thuong_khan", "hoa_toc"}, u)
}

// dateOf is the calendar day of t in Vietnam, at midnight Vietnam time.
func dateOf(t time.Time) time.Time {
	y, m, d := t.In(domain.VietnamTime).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, domain.VietnamTime)
}

// Group is a named set of recipient units.
type Group struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Count int    `json:"count"`
	Saved bool   `json:"saved"`
}

var levelNames = map[string]string{"thpt": "trung học phổ thông", "thcs": "trung học cơ sở", "tieu_hoc": "tiểu học", "mam_non": "mầm non"}

// Groups lists the groups p can send to: all district offices, all
// schools, all schools of a level, the schools under each district office,
// the department's offices, and the lists p's unit saved.
func (s *Service) Groups(ctx context.Context, p auth.Principal) ([]Group, error) {
	var counts []struct {
		Kind     string `db:"kind"`
		Level    string `db:"school_level"`
		ParentID *int64 `db:"parent_id"`
		Parent   string `db:"parent_name"`
		PKind    string `db:"parent_kind"`
		N        int    `db:"n"`
	}
	err := s.db.SelectContext(ctx, &counts, `
		SELECT u.kind, u.school_level, u.parent_id, coalesce(pu.name, '') AS parent_name, coalesce(pu.kind, '') AS parent_kind, count(*) AS n
		FROM units u LEFT JOIN units pu ON pu.id = u.parent_id
		WHERE u.kind <> 'external'
		GROUP BY 1, 2, 3, 4, 5 ORDER BY 4, 2`)
	if err != nil {
		return nil, fmt.Errorf("routing: unable to count units: %w", err)
	}
	var districts, schools, offices int
	levels := map[string]int{}
	byParent := map[int64]*Group{}
	var parentOrder []int64
	for _, c := range counts {
		switch c.Kind {
		case "district_office":
			districts += c.N
		case "office":
			offices += c.N
		case "school":
			schools += c.N
			levels[c.Level] += c.N
			if c.ParentID != nil && c.PKind == "district_office" {
				g, ok := byParent[*c.ParentID]
				if !ok {
					g = &Group{ID: "district:" + strconv.FormatInt(*c.ParentID, 10), Name: "Các trường thuộc " + c.Parent}
					byParent[*c.ParentID] = g
					parentOrder = append(parentOrder, *c.ParentID)
				}
				g.Count += c.N
			}
		}
	}
	out := []Group{
		{ID: "district_offices", Name: "Tất cả phòng giáo dục và đào tạo quận, huyện", Count: districts},
		{ID: "schools", Name: "Tất cả các trường", Count: schools},
	}
	for _, l := range []string{"thpt", "thcs", "tieu_hoc", "mam_non"} {
		if levels[l] > 0 {
			out = append(out, Group{ID: "schools:" + l, Name: "Tất cả các trường " + levelNames[l], Count: levels[l]})
		}
	}
	if offices > 0 {
		out = append(out, Group{ID: "offices", Name: "Các phòng, ban thuộc Sở", Count: offices})
	}
	// A district office sees its own schools first.
	slices.SortStableFunc(parentOrder, func(a, b int64) int {
		switch {
		case a == p.UnitID:
			return -1
		case b == p.UnitID:
			return 1
		}
		return 0
	})
	for _, id := range parentOrder {
		out = append(out, *byParent[id])
	}
	var saved []Group
	err = s.db.SelectContext(ctx, &saved, `
		SELECT 'saved:' || g.id AS id, g.name, count(m.unit_id) AS count, true AS saved
		FROM unit_groups g LEFT JOIN unit_group_members m ON m.group_id = g.id
		WHERE g.owner_unit_id = $1 GROUP BY g.id ORDER BY g.name`, p.UnitID)
	if err != nil {
		return nil, fmt.Errorf("routing: unable to list saved groups: %w", err)
	}
	return append(out, saved...), nil
}

// SaveGroup keeps a list of recipients for p's unit under a name,
// replacing a list of the same name.
func (s *Service) SaveGroup(ctx context.Context, p auth.Principal, name string, units []int64) (Group, error) {
	name = strings.TrimSpace(name)
	if !p.Has(auth.RoleClerk) {
		return Group{}, domain.ErrForbidden
	}
	fields := map[string]string{}
	if name == "" || len([]rune(name)) > 200 {
		fields["name"] = "tên nhóm từ 1 đến 200 ký tự"
	}
	ids, unknown, err := s.resolve(ctx, p, Recipients{Units: units})
	if err != nil {
		return Group{}, err
	}
	if len(unknown) > 0 {
		fields["units"] = "không có đơn vị: " + strings.Join(unknown, ", ")
	} else if len(ids) == 0 {
		fields["units"] = "nhóm cần ít nhất một đơn vị"
	}
	if len(fields) > 0 {
		return Group{}, &domain.ValidationError{Fields: fields}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Group{}, err
	}
	defer tx.Rollback()
	var id int64
	err = tx.GetContext(ctx, &id, `
		INSERT INTO unit_groups (owner_unit_id, name, created_by) VALUES ($1, $2, $3)
		ON CONFLICT (owner_unit_id, name) DO UPDATE SET created_by = excluded.created_by
		RETURNING id`, p.UnitID, name, p.UserID)
	if err != nil {
		return Group{}, fmt.Errorf("routing: unable to save the group: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM unit_group_members WHERE group_id = $1`, id); err != nil {
		return Group{}, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO unit_group_members (group_id, unit_id) SELECT $1, unnest($2::bigint[])`, id, pq.Array(ids)); err != nil {
		return Group{}, fmt.Errorf("routing: unable to save the group: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Group{}, err
	}
	return Group{ID: "saved:" + strconv.FormatInt(id, 10), Name: name, Count: len(ids), Saved: true}, nil
}

// resolve turns recipients into distinct unit ids, without p's own unit,
// and lists the names it does not know.
func (s *Service) resolve(ctx context.Context, p auth.Principal, r Recipients) ([]int64, []string, error) {
	var unknown []string
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	for _, g := range r.Groups {
		kind, rest, _ := strings.Cut(g, ":")
		switch {
		case g == "district_offices":
			conds = append(conds, `u.kind = 'district_office'`)
		case g == "schools":
			conds = append(conds, `u.kind = 'school'`)
		case g == "offices":
			conds = append(conds, `u.kind = 'office'`)
		case kind == "schools" && levelNames[rest] != "":
			conds = append(conds, `(u.kind = 'school' AND u.school_level = `+arg(rest)+`)`)
		case kind == "district" || kind == "saved":
			id, err := strconv.ParseInt(rest, 10, 64)
			if err != nil || id <= 0 {
				unknown = append(unknown, g)
				continue
			}
			var ok bool
			q := `SELECT EXISTS (SELECT 1 FROM units WHERE id = $1 AND kind = 'district_office')`
			if kind == "saved" {
				q = `SELECT EXISTS (SELECT 1 FROM unit_groups WHERE id = $1 AND owner_unit_id = $2)`
			}
			qargs := []any{id}
			if kind == "saved" {
				qargs = append(qargs, p.UnitID)
			}
			if err := s.db.GetContext(ctx, &ok, q, qargs...); err != nil {
				return nil, nil, fmt.Errorf("routing: unable to check group: %w", err)
			}
			if !ok {
				unknown = append(unknown, g)
				continue
			}
			if kind == "district" {
				conds = append(conds, `(u.kind = 'school' AND u.parent_id = `+arg(id)+`)`)
			} else {
				conds = append(conds, `u.id IN (SELECT unit_id FROM unit_group_members WHERE group_id = `+arg(id)+`)`)
			}
		default:
			unknown = append(unknown, g)
		}
	}
	if len(r.Units) > 0 {
		var found []int64
		if err := s.db.SelectContext(ctx, &found, `SELECT id FROM units WHERE id = ANY($1)`, pq.Array(r.Units)); err != nil {
			return nil, nil, fmt.Errorf("routing: unable to check units: %w", err)
		}
		for _, id := range r.Units {
			if !slices.Contains(found, id) {
				unknown = append(unknown, strconv.FormatInt(id, 10))
			}
		}
		conds = append(conds, `u.id = ANY(`+arg(pq.Array(r.Units))+`)`)
	}
	if len(unknown) > 0 || len(conds) == 0 {
		return nil, unknown, nil
	}
	var ids []int64
	err := s.db.SelectContext(ctx, &ids, `SELECT u.id FROM units u WHERE u.id <> `+arg(p.UnitID)+
		` AND (`+strings.Join(conds, " OR ")+`) ORDER BY u.id`, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("routing: unable to resolve recipients: %w", err)
	}
	return ids, nil, nil
}
