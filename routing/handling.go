package routing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/notify"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// How an accepted document is handled inside the unit (Decree 30 art.
// 23–24): the clerk presents it to a leader or files it for information;
// a leader directs it to a lead, coordinators and those informed, each a
// section or a person (tasks), or forwards it to another leader; the head
// of a section gives the section's task to its people; each reports
// proposals, progress and contributions and marks the task done. The lead
// task done is the delivery done (06). Every step is an entry of the
// delivery's trail (delivery_entries) and an audit event.

// Task roles.
const (
	TaskLead       = "lead"
	TaskCoordinate = "coordinate"
	TaskInform     = "inform"
)

// Task states.
const (
	TaskOpen       = "open"
	TaskInProgress = "in_progress"
	TaskDone       = "done"
	TaskCancelled  = "cancelled"
)

// TaskRoleLabels and TaskStateLabels name roles and states in Vietnamese.
var (
	TaskRoleLabels  = map[string]string{TaskLead: "Chủ trì", TaskCoordinate: "Phối hợp", TaskInform: "Để biết"}
	TaskStateLabels = map[string]string{TaskOpen: "Chưa bắt đầu", TaskInProgress: "Đang xử lý", TaskDone: "Hoàn thành", TaskCancelled: "Đã hủy"}
)

// Task is a part of a delivery's handling given to a section or a person.
type Task struct {
	ID            int64      `db:"id" json:"id"`
	DeliveryID    int64      `db:"delivery_id" json:"delivery_id"`
	ParentID      *int64     `db:"parent_id" json:"parent_id,omitempty"`
	Role          string     `db:"role" json:"role"`
	SectionID     *int64     `db:"section_id" json:"section_id,omitempty"`
	SectionName   string     `db:"section_name" json:"section_name,omitempty"`
	SectionHeadID *int64     `db:"section_head_id" json:"section_head_id,omitempty"`
	UserID        *int64     `db:"user_id" json:"user_id,omitempty"`
	UserName      string     `db:"user_name" json:"user_name,omitempty"`
	DueDate       *time.Time `db:"due_date" json:"-"`
	State         string     `db:"state" json:"state"`
	AssignedBy    int64      `db:"assigned_by" json:"assigned_by"`
	AssignedAt    time.Time  `db:"assigned_at" json:"assigned_at"`
	StartedAt     *time.Time `db:"started_at" json:"started_at,omitempty"`
	DoneAt        *time.Time `db:"done_at" json:"done_at,omitempty"`
	ResponseDocID *int64     `db:"response_document_id" json:"response_document_id,omitempty"`

	// Computed: the deadline that counts, coalesce(due_date, the
	// delivery's), and whether it passed with the task unfinished.
	DueText      string `db:"-" json:"due_date,omitempty"`
	DeadlineText string `db:"-" json:"deadline,omitempty"`
	Overdue      bool   `db:"-" json:"overdue"`
}

// Name is the section's or the person's name.
func (t Task) Name() string {
	if t.SectionID != nil {
		return t.SectionName
	}
	return t.UserName
}

// RoleLabel and StateLabel are the role and state in Vietnamese.
func (t Task) RoleLabel() string  { return TaskRoleLabels[t.Role] }
func (t Task) StateLabel() string { return TaskStateLabels[t.State] }

// Entry is a step of a delivery's handling trail.
type Entry struct {
	ID            int64     `db:"id" json:"id"`
	DeliveryID    int64     `db:"delivery_id" json:"delivery_id"`
	TaskID        *int64    `db:"task_id" json:"task_id,omitempty"`
	Kind          string    `db:"kind" json:"kind"`
	AuthorID      *int64    `db:"author_id" json:"author_id,omitempty"`
	AuthorName    string    `db:"author_name" json:"author_name,omitempty"`
	Body          string    `db:"body" json:"body"`
	ResponseDocID *int64    `db:"response_document_id" json:"response_document_id,omitempty"`
	CreatedAt     time.Time `db:"created_at" json:"created_at"`
}

// EntryLabels name the kinds of entries in Vietnamese.
var EntryLabels = map[string]string{
	"accept": "Tiếp nhận", "present": "Trình lãnh đạo", "forward": "Chuyển lãnh đạo khác", "file": "Lưu để biết",
	"direct": "Chỉ đạo, giao xử lý", "assign": "Giao người xử lý", "proposal": "Đề xuất", "progress": "Báo tiến độ",
	"contribution": "Ý kiến phối hợp", "done": "Hoàn thành", "reopen": "Mở lại", "remind": "Nhắc việc", "note": "Ghi chú",
}

// KindLabel is the entry's kind in Vietnamese.
func (e Entry) KindLabel() string { return EntryLabels[e.Kind] }

const taskColumns = `
	t.id, t.delivery_id, t.parent_id, t.role, t.section_id, coalesce(s.name, '') AS section_name, s.head_user_id AS section_head_id,
	t.user_id, coalesce(u.full_name, '') AS user_name, t.due_date, t.state, t.assigned_by, t.assigned_at, t.started_at,
	t.done_at, t.response_document_id
	FROM delivery_tasks t LEFT JOIN sections s ON s.id = t.section_id LEFT JOIN users u ON u.id = t.user_id`

// Tasks lists the tasks of a delivery of p's unit, in the order they were
// given, handlers after their section's task.
func (s *Service) Tasks(ctx context.Context, p auth.Principal, id int64) ([]Task, error) {
	d, err := s.delivery(ctx, p, id)
	if err != nil {
		return nil, err
	}
	return s.tasks(ctx, s.db, d)
}

func (s *Service) tasks(ctx context.Context, q sqlx.QueryerContext, d Delivery) ([]Task, error) {
	ts := []Task{}
	err := sqlx.SelectContext(ctx, q, &ts, `SELECT `+taskColumns+` WHERE t.delivery_id = $1 ORDER BY coalesce(t.parent_id, t.id), t.parent_id NULLS FIRST, t.id`, d.ID)
	if err != nil {
		return nil, fmt.Errorf("routing: unable to list tasks: %w", err)
	}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	due := d.TaskDue
	if due == nil {
		due = d.DueDate
	}
	open := !recallInForce(d.Recall) && !d.Removed
	for i := range ts {
		t := &ts[i]
		deadline := due
		if t.DueDate != nil {
			deadline = t.DueDate
			t.DueText = t.DueDate.Format(time.DateOnly)
		}
		if deadline != nil {
			t.DeadlineText = deadline.Format(time.DateOnly)
			t.Overdue = open && t.Role != TaskInform && (t.State == TaskOpen || t.State == TaskInProgress) && cal.Overdue(*deadline, now)
		}
	}
	return ts, nil
}

// Trail is the handling trail of a delivery of p's unit, oldest first.
func (s *Service) Trail(ctx context.Context, p auth.Principal, id int64) ([]Entry, error) {
	if _, err := s.delivery(ctx, p, id); err != nil {
		return nil, err
	}
	es := []Entry{}
	err := s.db.SelectContext(ctx, &es, `
		SELECT e.id, e.delivery_id, e.task_id, e.kind, e.author_id, coalesce(u.full_name, '') AS author_name, e.body,
		       e.response_document_id, e.created_at
		FROM delivery_entries e LEFT JOIN users u ON u.id = e.author_id
		WHERE e.delivery_id = $1 ORDER BY e.id`, id)
	if err != nil {
		return nil, fmt.Errorf("routing: unable to list the trail: %w", err)
	}
	return es, nil
}

// step is one handling move on a delivery: the act its rule checks, what
// the audit log records, and a message for a state the act does not start
// from.
type step struct {
	action  string // audit action, after "delivery."
	act     act
	message string
	reason  string
	details map[string]any
	// may, when set, replaces the check of who may take the act (a
	// task's people, see mayTask); it runs on the locked state.
	may func(Delivery) bool
}

// handle locks the delivery, checks its rule, runs do in the transaction
// and records the event: the pattern of apply (lifecycle.go), for moves
// that change more than the delivery row.
func (s *Service) handle(ctx context.Context, p auth.Principal, id int64, st step, do func(tx *sqlx.Tx, d Delivery) ([]notify.Notification, error)) (Delivery, error) {
	cur, err := s.delivery(ctx, p, id)
	if err != nil {
		return cur, err
	}
	if st.may == nil && !rules[st.act].permits(p, cur) {
		return cur, domain.ErrForbidden
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return cur, fmt.Errorf("routing: unable to begin: %w", err)
	}
	defer tx.Rollback()
	var lk struct {
		Status  string     `db:"status"`
		Recall  *string    `db:"recall"`
		Removed bool       `db:"removed"`
		FiledAt *time.Time `db:"filed_at"`
	}
	if err := tx.GetContext(ctx, &lk, `SELECT status, recall, removed, filed_at FROM deliveries WHERE id = $1 FOR UPDATE`, id); err != nil {
		return cur, fmt.Errorf("routing: unable to lock delivery: %w", err)
	}
	cur.Status, cur.Recall, cur.Removed, cur.FiledAt = lk.Status, lk.Recall, lk.Removed, lk.FiledAt
	if !rules[st.act].legal(cur) {
		msg := st.message
		switch {
		case cur.Removed:
			msg = "Văn bản đã được gỡ khỏi Văn bản đến do thu hồi; không thực hiện được thao tác này"
		case recallInForce(cur.Recall):
			msg = "Văn bản đã bị thu hồi hoặc đang được đề nghị thu hồi; không thực hiện được thao tác này"
		case cur.Status == Refused:
			msg = "Đơn vị đã từ chối nhận văn bản này; không thực hiện được thao tác này"
		}
		return cur, &StateError{Current: cur.state(), Message: msg + " (trạng thái hiện tại: " + cur.StatusLabel() + ")"}
	}
	if st.may != nil && !st.may(cur) {
		return cur, domain.ErrForbidden
	}
	ns, err := do(tx, cur)
	if err != nil {
		return cur, err
	}
	if err := s.notes.Add(ctx, tx, ns); err != nil {
		return cur, err
	}
	err = audit.Append(ctx, tx, audit.Event{ActorID: p.UserID, ActorUnitID: p.UnitID, Action: "delivery." + st.action,
		DocumentID: cur.DocumentID, DeliveryID: id, Reason: st.reason, Details: st.details})
	if err != nil {
		return cur, err
	}
	if err := tx.Commit(); err != nil {
		return cur, fmt.Errorf("routing: unable to commit: %w", err)
	}
	return s.delivery(ctx, p, id)
}

// addEntry appends a step to the trail.
func addEntry(ctx context.Context, tx *sqlx.Tx, deliveryID int64, taskID *int64, kind string, author int64, body string, response *int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO delivery_entries (delivery_id, task_id, kind, author_id, body, response_document_id)
		VALUES ($1, $2, $3, $4, $5, $6)`, deliveryID, taskID, kind, author, body, response)
	if err != nil {
		return fmt.Errorf("routing: unable to add to the trail: %w", err)
	}
	return nil
}

// checkText trims a free text and checks its length.
func checkText(fields map[string]string, name, v string, required bool) string {
	v = strings.TrimSpace(v)
	switch {
	case required && v == "":
		fields[name] = "không được để trống"
	case len(v) > 4000:
		fields[name] = "tối đa 4000 ký tự"
	}
	return v
}

// checkDue parses an optional deadline: YYYY-MM-DD, not before today.
func (s *Service) checkDue(fields map[string]string, name, v string) *string {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	t, err := time.ParseInLocation(time.DateOnly, v, domain.VietnamTime)
	if err != nil {
		fields[name] = "hạn xử lý phải có dạng YYYY-MM-DD"
	} else if t.Before(dateOf(s.now())) {
		fields[name] = "hạn xử lý không được trước hôm nay"
	}
	return &v
}

// member is a person of a unit who may be given work.
type member struct {
	ID        int64          `db:"id"`
	Name      string         `db:"full_name"`
	Roles     pq.StringArray `db:"roles"`
	SectionID *int64         `db:"section_id"`
}

// activeMember returns a person of the unit who has not left and is not
// disabled, or false.
func (s *Service) activeMember(ctx context.Context, unitID, userID int64) (member, bool) {
	var m member
	err := s.db.GetContext(ctx, &m, `SELECT id, full_name, roles, section_id FROM users
		WHERE id = $1 AND unit_id = $2 AND NOT disabled AND left_at IS NULL`, userID, unitID)
	return m, err == nil
}

// leaderOf returns a leader (role signer) of the unit, or a validation
// error on field.
func (s *Service) leaderOf(ctx context.Context, unitID, userID int64, field string) (member, error) {
	m, ok := s.activeMember(ctx, unitID, userID)
	if !ok || !slices.Contains(m.Roles, auth.RoleSigner) {
		return m, &domain.ValidationError{Fields: map[string]string{field: "phải là lãnh đạo (người ký) đang làm việc của đơn vị"}}
	}
	return m, nil
}

// PresentRequest presents an accepted document to a leader of the unit.
type PresentRequest struct {
	LeaderID int64
	Note     string
}

// Present has the clerk present (trình) an accepted document to a leader
// of the unit, who is notified. Presenting again presents to another.
func (s *Service) Present(ctx context.Context, p auth.Principal, id int64, req PresentRequest) (Delivery, error) {
	return s.presentTo(ctx, p, id, req, step{action: "present", act: actPresent,
		message: "Chỉ trình được văn bản đã tiếp nhận, chưa có ý kiến chỉ đạo"}, "present", "presented",
		"Văn bản trình: ", " trình văn bản để chỉ đạo xử lý.")
}

// AcceptAndPresent accepts an arrived document and presents it to a
// leader at once, the way urgent documents go (Decree 30 art. 22.2). The
// leader is checked first, so a wrong choice accepts nothing.
func (s *Service) AcceptAndPresent(ctx context.Context, p auth.Principal, id int64, req PresentRequest) (Delivery, error) {
	if err := s.mustMay(ctx, p, id, actAccept); err != nil {
		return Delivery{}, err
	}
	if _, err := s.leaderOf(ctx, p.UnitID, req.LeaderID, "leader_id"); err != nil {
		return Delivery{}, err
	}
	if _, err := s.Accept(ctx, p, id); err != nil {
		return Delivery{}, err
	}
	return s.Present(ctx, p, id, req)
}

// Forward has a leader pass a presented document on to another leader
// of the unit (a deputy), who is notified.
func (s *Service) Forward(ctx context.Context, p auth.Principal, id int64, req PresentRequest) (Delivery, error) {
	if err := s.mustMay(ctx, p, id, actForward); err != nil {
		return Delivery{}, err
	}
	if req.LeaderID == p.UserID {
		return Delivery{}, &domain.ValidationError{Fields: map[string]string{"leader_id": "chọn một lãnh đạo khác"}}
	}
	return s.presentTo(ctx, p, id, req, step{action: "forward", act: actForward,
		message: "Chỉ chuyển được văn bản đã tiếp nhận, chưa có ý kiến chỉ đạo"}, "forward", "presented",
		"Văn bản chuyển để chỉ đạo: ", " chuyển văn bản để đồng chí chỉ đạo xử lý.")
}

func (s *Service) presentTo(ctx context.Context, p auth.Principal, id int64, req PresentRequest, st step, kind, note, title, body string) (Delivery, error) {
	if err := s.mustMay(ctx, p, id, st.act); err != nil {
		return Delivery{}, err
	}
	fields := map[string]string{}
	text := checkText(fields, "note", req.Note, false)
	leader, err := s.leaderOf(ctx, p.UnitID, req.LeaderID, "leader_id")
	if err != nil {
		var ve *domain.ValidationError
		errors.As(err, &ve)
		for k, v := range ve.Fields {
			fields[k] = v
		}
	}
	if len(fields) > 0 {
		return Delivery{}, &domain.ValidationError{Fields: fields}
	}
	st.reason, st.details = text, map[string]any{"leader": leader.ID}
	return s.handle(ctx, p, id, st, func(tx *sqlx.Tx, d Delivery) ([]notify.Notification, error) {
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET presented_to = $2, presented_at = now(), filed_at = NULL WHERE id = $1`, id, leader.ID); err != nil {
			return nil, fmt.Errorf("routing: unable to present: %w", err)
		}
		if err := addEntry(ctx, tx, id, nil, kind, p.UserID, text, nil); err != nil {
			return nil, err
		}
		b := p.FullName + body
		if text != "" {
			b += " " + text
		}
		return []notify.Notification{s.noteAbout(d, leader.ID, note, title+docLabel(d), b)}, nil
	})
}

func (s *Service) noteAbout(d Delivery, user int64, kind, title, body string) notify.Notification {
	if d.Urgency != "" && d.Urgency != "thuong" {
		title = "[" + urgencyLabel(d.Urgency) + "] " + title
	}
	return notify.Notification{UserID: user, Kind: kind, Title: title, Body: body, Link: deliveryLink(d.ID),
		DocumentID: &d.DocumentID, DeliveryID: &d.ID}
}

// File has the clerk file an accepted document for information: it needs
// no handling and runs no deadline.
func (s *Service) File(ctx context.Context, p auth.Principal, id int64, note string) (Delivery, error) {
	if err := s.mustMay(ctx, p, id, actFile); err != nil {
		return Delivery{}, err
	}
	fields := map[string]string{}
	text := checkText(fields, "note", note, false)
	if len(fields) > 0 {
		return Delivery{}, &domain.ValidationError{Fields: fields}
	}
	st := step{action: "file", act: actFile, message: "Chỉ lưu để biết được văn bản đã tiếp nhận, chưa có ý kiến chỉ đạo", reason: text}
	return s.handle(ctx, p, id, st, func(tx *sqlx.Tx, d Delivery) ([]notify.Notification, error) {
		if d.FiledAt != nil {
			return nil, &domain.PreconditionError{Code: "already_filed", Message: "Văn bản đã được lưu để biết"}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET filed_at = now() WHERE id = $1`, id); err != nil {
			return nil, fmt.Errorf("routing: unable to file: %w", err)
		}
		return nil, addEntry(ctx, tx, id, nil, "file", p.UserID, text, nil)
	})
}

// Target is a section or a person of the unit given a task, with its own
// deadline if any (YYYY-MM-DD).
type Target struct {
	SectionID int64  `json:"section_id,omitempty"`
	UserID    int64  `json:"user_id,omitempty"`
	Due       string `json:"due,omitempty"`
}

// DirectRequest is a leader's direction (ý kiến chỉ đạo): the lead, the
// coordinators, those informed and the deadline.
type DirectRequest struct {
	Opinion      string
	Lead         Target
	Coordinators []Target
	Informed     []Target
	Due          string // YYYY-MM-DD; default: the sender's due date

	// Set by Assign: the free texts of the old form, and its audit action.
	section, coordinators, action string
}

// target is a checked Target.
type target struct {
	role    string
	section *int64
	user    *int64
	head    *int64 // the section's head
	name    string
	due     *string
}

// checkTargets resolves ts to sections and people of the unit, open and
// active, naming field in what it refuses.
func (s *Service) checkTargets(ctx context.Context, unitID int64, field, role string, ts []Target, fields map[string]string) []target {
	var out []target
	for i, t := range ts {
		key := field
		if len(ts) > 1 || field != "lead" {
			key = field + "[" + strconv.Itoa(i) + "]"
		}
		x := target{role: role}
		switch {
		case (t.SectionID == 0) == (t.UserID == 0):
			fields[key] = "chọn một phòng, tổ hoặc một người của đơn vị"
			continue
		case t.SectionID != 0:
			var sec struct {
				Name string `db:"name"`
				Head *int64 `db:"head_user_id"`
			}
			err := s.db.GetContext(ctx, &sec, `SELECT name, head_user_id FROM sections WHERE id = $1 AND unit_id = $2 AND closed_at IS NULL`, t.SectionID, unitID)
			if err != nil {
				fields[key] = "phòng, tổ phải thuộc đơn vị và đang hoạt động"
				continue
			}
			id := t.SectionID
			x.section, x.head, x.name = &id, sec.Head, sec.Name
		default:
			m, ok := s.activeMember(ctx, unitID, t.UserID)
			if !ok {
				fields[key] = "người được giao phải là người đang làm việc của đơn vị"
				continue
			}
			id := t.UserID
			x.user, x.name = &id, m.Name
		}
		x.due = s.checkDue(fields, key+".due", t.Due)
		out = append(out, x)
	}
	return out
}

// Direct is a leader's direction of an accepted document: the opinion,
// the lead section or person, the coordinators and those informed, the
// deadline. The delivery goes to 04 and everyone named (a section's head
// for a section) is notified. Directing again is a re-direction: the
// tasks of the earlier direction not yet done are cancelled (the trail
// keeps them) and the new ones replace them.
func (s *Service) Direct(ctx context.Context, p auth.Principal, id int64, req DirectRequest) (Delivery, error) {
	if err := s.mustMay(ctx, p, id, actAssign); err != nil {
		return Delivery{}, err
	}
	fields := map[string]string{}
	opinion := strings.TrimSpace(req.Opinion)
	if len(opinion) > 4000 {
		fields["opinion"] = "tối đa 4000 ký tự"
	}
	due := s.checkDue(fields, "due", req.Due)
	targets := s.checkTargets(ctx, p.UnitID, "lead", TaskLead, []Target{req.Lead}, fields)
	targets = append(targets, s.checkTargets(ctx, p.UnitID, "coordinators", TaskCoordinate, req.Coordinators, fields)...)
	targets = append(targets, s.checkTargets(ctx, p.UnitID, "informed", TaskInform, req.Informed, fields)...)
	seen := map[string]bool{}
	for _, t := range targets {
		k := "u"
		if t.section != nil {
			k = "s" + strconv.FormatInt(*t.section, 10)
		} else {
			k += strconv.FormatInt(*t.user, 10)
		}
		if seen[k] {
			fields["coordinators"] = "mỗi phòng, tổ hoặc người chỉ được giao một vai trò (" + t.name + ")"
		}
		seen[k] = true
	}
	if len(req.Coordinators) > 50 || len(req.Informed) > 200 {
		fields["coordinators"] = "quá nhiều nơi được giao"
	}
	if len(fields) > 0 {
		return Delivery{}, &domain.ValidationError{Fields: fields}
	}
	lead := targets[0]
	var coordNames []string
	for _, t := range targets[1:] {
		if t.role == TaskCoordinate {
			coordNames = append(coordNames, t.name)
		}
	}
	section, coordinators := lead.name, strings.Join(coordNames, ", ")
	if lead.section == nil {
		section = ""
	}
	if req.action != "" {
		section, coordinators = strings.TrimSpace(req.section), strings.TrimSpace(req.coordinators)
	}
	assignee := lead.user
	if assignee == nil {
		assignee = lead.head
	}
	action := "direct"
	if req.action != "" {
		action = req.action
	}
	st := step{action: action, act: actAssign, message: "Cần tiếp nhận văn bản trước khi chỉ đạo, phân công", reason: opinion,
		details: map[string]any{"due": req.Due, "lead": req.Lead, "coordinators": req.Coordinators, "informed": req.Informed}}
	if req.action != "" {
		st.message = "Cần tiếp nhận văn bản trước khi phân công"
		st.details = map[string]any{"assignee": req.Lead.UserID, "due": req.Due, "section": req.section, "coordinators": req.coordinators}
	}
	return s.handle(ctx, p, id, st, func(tx *sqlx.Tx, d Delivery) ([]notify.Notification, error) {
		var cancelled []int64
		err := tx.SelectContext(ctx, &cancelled, `UPDATE delivery_tasks SET state = 'cancelled'
			WHERE delivery_id = $1 AND state IN ('open', 'in_progress') RETURNING id`, id)
		if err != nil {
			return nil, fmt.Errorf("routing: unable to cancel the earlier tasks: %w", err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE deliveries SET
			status = CASE WHEN status = `+lit(Accepted)+` THEN `+lit(Assigned)+` ELSE status END, status_at = now(), status_by = $2,
			assignee_id = $3, assigned_at = now(), section = $4, coordinators = $5, opinion = $6,
			task_due = coalesce($7::date, due_date), directed_by = $2, directed_at = now(), filed_at = NULL
			WHERE id = $1`, id, p.UserID, assignee, section, coordinators, opinion, due)
		if err != nil {
			return nil, fmt.Errorf("routing: unable to direct: %w", err)
		}
		body := opinion
		if len(cancelled) > 0 {
			body = strings.TrimSpace(body + " (chỉ đạo lại; " + strconv.Itoa(len(cancelled)) + " việc của lần chỉ đạo trước chưa xong được hủy)")
		}
		if err := addEntry(ctx, tx, id, nil, "direct", p.UserID, body, nil); err != nil {
			return nil, err
		}
		deadline := due
		if deadline == nil && d.DueDate != nil {
			v := d.DueDate.Format(time.DateOnly)
			deadline = &v
		}
		var ns []notify.Notification
		for _, t := range targets {
			var tid int64
			err := tx.GetContext(ctx, &tid, `INSERT INTO delivery_tasks (delivery_id, role, section_id, user_id, due_date, assigned_by)
				VALUES ($1, $2, $3, $4, $5::date, $6) RETURNING id`, id, t.role, t.section, t.user, t.due, p.UserID)
			if err != nil {
				return nil, fmt.Errorf("routing: unable to add a task: %w", err)
			}
			to := t.user
			if to == nil {
				to = t.head
			}
			if to == nil {
				continue
			}
			kind, title := "assigned", "Được giao xử lý: "
			what := "Bạn được giao " + strings.ToLower(TaskRoleLabels[t.role]) + " xử lý văn bản "
			if t.section != nil {
				what = "Phòng, tổ " + t.name + " (đồng chí là trưởng) được giao " + strings.ToLower(TaskRoleLabels[t.role]) + " xử lý văn bản "
			}
			if t.role == TaskInform {
				kind, title, what = "informed", "Văn bản để biết: ", "Văn bản được chuyển để biết: "
			}
			b := what + docLabel(d) + " của " + d.SenderName + "."
			if dl := t.due; dl != nil {
				b += " Hạn xử lý: " + formatDate(*dl) + "."
			} else if deadline != nil && t.role != TaskInform {
				b += " Hạn xử lý: " + formatDate(*deadline) + "."
			}
			if opinion != "" {
				b += " Ý kiến chỉ đạo: " + opinion
			}
			ns = append(ns, s.noteAbout(d, *to, kind, title+docLabel(d), b))
		}
		return ns, nil
	})
}

// AssignTaskRequest gives a section's task to people of the section.
type AssignTaskRequest struct {
	UserIDs []int64
	Due     string // YYYY-MM-DD, not after the section task's deadline
	Note    string
}

// task returns task tid of delivery d, locked when q is a transaction.
func (s *Service) task(ctx context.Context, q sqlx.QueryerContext, d Delivery, tid int64) (Task, error) {
	ts, err := s.tasks(ctx, q, d)
	if err != nil {
		return Task{}, err
	}
	for _, t := range ts {
		if t.ID == tid {
			return t, nil
		}
	}
	return Task{}, domain.ErrNotFound
}

// taskStep is handle for an act on task tid: the task is read in the
// transaction and the rule applied to it.
func (s *Service) taskStep(ctx context.Context, p auth.Principal, id, tid int64, st step, do func(tx *sqlx.Tx, d Delivery, t Task) ([]notify.Notification, error)) (Delivery, error) {
	d, err := s.delivery(ctx, p, id)
	if err != nil {
		return d, err
	}
	if _, err := s.task(ctx, s.db, d, tid); err != nil {
		return d, err
	}
	var t Task
	st.may = func(cur Delivery) bool { return true }
	return s.handle(ctx, p, id, st, func(tx *sqlx.Tx, cur Delivery) ([]notify.Notification, error) {
		var lock int64
		if err := tx.GetContext(ctx, &lock, `SELECT id FROM delivery_tasks WHERE id = $1 FOR UPDATE`, tid); err != nil {
			return nil, fmt.Errorf("routing: unable to lock the task: %w", err)
		}
		var err error
		if t, err = s.task(ctx, tx, cur, tid); err != nil {
			return nil, err
		}
		if !mayTask(p, cur, t, st.act) {
			if taskRule(p, Task{Role: t.Role, State: TaskOpen, SectionID: t.SectionID, SectionHeadID: t.SectionHeadID, UserID: t.UserID}, st.act) ||
				(st.act == actTaskReopen && p.Has(auth.RoleSigner)) {
				return nil, &domain.PreconditionError{Code: "task_state", Message: "Việc này đang ở trạng thái " + strings.ToLower(t.StateLabel()) + "; không thực hiện được thao tác này"}
			}
			return nil, domain.ErrForbidden
		}
		return do(tx, cur, t)
	})
}

// AssignTask gives a section's task to one or more people of the section
// (handlers), each a task under it with its own deadline.
func (s *Service) AssignTask(ctx context.Context, p auth.Principal, id, tid int64, req AssignTaskRequest) (Delivery, error) {
	fields := map[string]string{}
	note := checkText(fields, "note", req.Note, false)
	due := s.checkDue(fields, "due", req.Due)
	if len(req.UserIDs) == 0 || len(req.UserIDs) > 50 {
		fields["user_ids"] = "chọn một đến 50 người của phòng, tổ"
	}
	if len(fields) > 0 {
		return Delivery{}, &domain.ValidationError{Fields: fields}
	}
	st := step{action: "task.assign", act: actTaskAssign, reason: note, message: "Chỉ giao người xử lý khi văn bản đang được xử lý",
		details: map[string]any{"task": tid, "users": req.UserIDs, "due": req.Due}}
	return s.taskStep(ctx, p, id, tid, st, func(tx *sqlx.Tx, d Delivery, t Task) ([]notify.Notification, error) {
		if due != nil && t.DeadlineText != "" && *due > t.DeadlineText {
			return nil, &domain.ValidationError{Fields: map[string]string{"due": "hạn của người xử lý không được sau hạn của phòng, tổ (" + formatDate(t.DeadlineText) + ")"}}
		}
		var ns []notify.Notification
		var names []string
		for i, u := range req.UserIDs {
			m, ok := s.activeMember(ctx, p.UnitID, u)
			if !ok || m.SectionID == nil || *m.SectionID != *t.SectionID {
				return nil, &domain.ValidationError{Fields: map[string]string{"user_ids[" + strconv.Itoa(i) + "]": "người xử lý phải là người đang làm việc của " + t.SectionName}}
			}
			var n int
			err := tx.GetContext(ctx, &n, `SELECT count(*) FROM delivery_tasks WHERE parent_id = $1 AND user_id = $2 AND state <> 'cancelled'`, t.ID, u)
			if err != nil {
				return nil, err
			}
			if n > 0 {
				return nil, &domain.ValidationError{Fields: map[string]string{"user_ids[" + strconv.Itoa(i) + "]": m.Name + " đã được giao việc này"}}
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO delivery_tasks (delivery_id, parent_id, role, user_id, due_date, assigned_by)
				VALUES ($1, $2, $3, $4, $5::date, $6)`, id, t.ID, t.Role, u, due, p.UserID)
			if err != nil {
				return nil, fmt.Errorf("routing: unable to add a task: %w", err)
			}
			names = append(names, m.Name)
			b := p.FullName + " giao đồng chí xử lý văn bản " + docLabel(d) + " (" + strings.ToLower(t.RoleLabel()) + ", " + t.SectionName + ")."
			if dl := coalesceStr(due, t.DeadlineText); dl != "" {
				b += " Hạn xử lý: " + formatDate(dl) + "."
			}
			if note != "" {
				b += " " + note
			}
			ns = append(ns, s.noteAbout(d, u, "assigned", "Được giao xử lý: "+docLabel(d), b))
		}
		body := "Giao " + strings.Join(names, ", ")
		if note != "" {
			body += ": " + note
		}
		return ns, addEntry(ctx, tx, id, &t.ID, "assign", p.UserID, body, nil)
	})
}

func coalesceStr(p *string, def string) string {
	if p != nil {
		return *p
	}
	return def
}

// Entry kinds a task's people write.
const (
	EntryProposal     = "proposal"
	EntryProgress     = "progress"
	EntryContribution = "contribution"
)

// AddEntry records a proposal (đề xuất), progress or a coordinator's
// contribution on a task. Progress and contributions start the task, and
// the first task started puts the delivery in progress (05).
func (s *Service) AddEntry(ctx context.Context, p auth.Principal, id, tid int64, kind, body string) (Delivery, error) {
	fields := map[string]string{}
	body = checkText(fields, "body", body, true)
	if kind != EntryProposal && kind != EntryProgress && kind != EntryContribution {
		fields["kind"] = "loại ghi nhận phải là proposal (đề xuất), progress (tiến độ) hoặc contribution (ý kiến phối hợp)"
	}
	if len(fields) > 0 {
		return Delivery{}, &domain.ValidationError{Fields: fields}
	}
	st := step{action: "task." + kind, act: actTaskWork, reason: body, message: "Chỉ ghi nhận được khi văn bản đang được xử lý",
		details: map[string]any{"task": tid}}
	return s.taskStep(ctx, p, id, tid, st, func(tx *sqlx.Tx, d Delivery, t Task) ([]notify.Notification, error) {
		if err := addEntry(ctx, tx, id, &t.ID, kind, p.UserID, body, nil); err != nil {
			return nil, err
		}
		if kind != EntryProposal {
			if err := s.start(ctx, tx, p, d, t); err != nil {
				return nil, err
			}
		}
		// A proposal goes to the leader who directed.
		if kind == EntryProposal && d.DirectedBy != nil && *d.DirectedBy != p.UserID {
			return []notify.Notification{s.noteAbout(d, *d.DirectedBy, "proposal", "Đề xuất xử lý: "+docLabel(d), p.FullName+" đề xuất: "+body)}, nil
		}
		return nil, nil
	})
}

// start puts a task and its section's task in progress, and the delivery
// in progress (05) the first time.
func (s *Service) start(ctx context.Context, tx *sqlx.Tx, p auth.Principal, d Delivery, t Task) error {
	_, err := tx.ExecContext(ctx, `UPDATE delivery_tasks SET state = 'in_progress', started_at = coalesce(started_at, now())
		WHERE id IN ($1, $2) AND state = 'open'`, t.ID, t.ParentID)
	if err != nil {
		return fmt.Errorf("routing: unable to start the task: %w", err)
	}
	if d.Status == Assigned {
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = `+lit(InProgress)+`, status_at = now(), status_by = $2 WHERE id = $1 AND status = `+lit(Assigned), d.ID, p.UserID); err != nil {
			return fmt.Errorf("routing: unable to update delivery: %w", err)
		}
	}
	return nil
}

// CompleteRequest marks a task done, with the unit's answering document if any.
type CompleteRequest struct {
	Note       string
	ResponseID int64
}

// CompleteTask marks a task done. A section's task is done when all its
// handlers' tasks are, or when its head marks it done (the handlers' open
// tasks are then cancelled). The lead task done puts the delivery done
// (06) with the answering document, and the sender is told.
func (s *Service) CompleteTask(ctx context.Context, p auth.Principal, id, tid int64, req CompleteRequest) (Delivery, error) {
	fields := map[string]string{}
	note := checkText(fields, "note", req.Note, false)
	if req.ResponseID != 0 {
		r, err := s.docs.Get(ctx, p, req.ResponseID)
		if err != nil || r.UnitID != p.UnitID {
			fields["response_id"] = "văn bản trả lời phải là văn bản của đơn vị bạn"
		}
	}
	if len(fields) > 0 {
		return Delivery{}, &domain.ValidationError{Fields: fields}
	}
	var resp *int64
	if req.ResponseID != 0 {
		resp = &req.ResponseID
	}
	st := step{action: "task.done", act: actTaskWork, reason: note, message: "Chỉ báo hoàn thành khi văn bản đang được xử lý",
		details: map[string]any{"task": tid, "response_document": req.ResponseID}}
	var finished bool
	d, err := s.taskStep(ctx, p, id, tid, st, func(tx *sqlx.Tx, d Delivery, t Task) ([]notify.Notification, error) {
		if err := addEntry(ctx, tx, id, &t.ID, "done", p.UserID, note, resp); err != nil {
			return nil, err
		}
		if err := s.start(ctx, tx, p, d, t); err != nil {
			return nil, err
		}
		var err error
		finished, err = s.finish(ctx, tx, p, d, t.ID, resp)
		if err != nil || !finished {
			return nil, err
		}
		st.details["delivery_status"] = Done
		return s.toSender(ctx, d, "done", "Đã xử lý xong: "+docLabel(d), d.RecipientName+" báo đã hoàn thành xử lý văn bản."), nil
	})
	return d, err
}

// finish marks task tid done, its open handlers' tasks cancelled, then
// its section's task done if it was the last handler; when that reaches
// the lead task, the delivery is done. It reports whether the delivery
// was.
func (s *Service) finish(ctx context.Context, tx *sqlx.Tx, p auth.Principal, d Delivery, tid int64, resp *int64) (bool, error) {
	for {
		var t struct {
			Parent *int64 `db:"parent_id"`
			Role   string `db:"role"`
			Resp   *int64 `db:"response_document_id"`
		}
		err := tx.GetContext(ctx, &t, `UPDATE delivery_tasks SET state = 'done', done_at = now(), started_at = coalesce(started_at, now()),
			response_document_id = coalesce($2, response_document_id)
			WHERE id = $1 RETURNING parent_id, role, response_document_id`, tid, resp)
		if err != nil {
			return false, fmt.Errorf("routing: unable to finish the task: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE delivery_tasks SET state = 'cancelled' WHERE parent_id = $1 AND state IN ('open', 'in_progress')`, tid); err != nil {
			return false, fmt.Errorf("routing: unable to close the handlers' tasks: %w", err)
		}
		resp = t.Resp
		if t.Parent == nil {
			if t.Role != TaskLead {
				return false, nil
			}
			_, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = `+lit(Done)+`, status_at = now(), status_by = $2, done_at = now(),
				response_document_id = coalesce($3, response_document_id) WHERE id = $1`, d.ID, p.UserID, resp)
			if err != nil {
				return false, fmt.Errorf("routing: unable to update delivery: %w", err)
			}
			return true, nil
		}
		var left int
		err = tx.GetContext(ctx, &left, `SELECT count(*) FROM delivery_tasks WHERE parent_id = $1 AND state IN ('open', 'in_progress')`, *t.Parent)
		if err != nil {
			return false, err
		}
		if left > 0 {
			return false, s.start(ctx, tx, p, d, Task{ID: tid, ParentID: t.Parent})
		}
		// The section's answer is its handlers' latest.
		if resp == nil {
			err = tx.GetContext(ctx, &resp, `SELECT max(response_document_id) FROM delivery_tasks WHERE parent_id = $1`, *t.Parent)
			if err != nil {
				return false, err
			}
		}
		tid = *t.Parent
	}
}

// Reopen has a leader reopen a task marked done: it goes back in
// progress, with its section's task, and the delivery back to 05 if the
// lead task was done.
func (s *Service) Reopen(ctx context.Context, p auth.Principal, id, tid int64, note string) (Delivery, error) {
	fields := map[string]string{}
	note = checkText(fields, "note", note, false)
	if len(fields) > 0 {
		return Delivery{}, &domain.ValidationError{Fields: fields}
	}
	st := step{action: "task.reopen", act: actTaskReopen, reason: note, message: "Văn bản không ở trạng thái mở lại được",
		details: map[string]any{"task": tid}}
	return s.taskStep(ctx, p, id, tid, st, func(tx *sqlx.Tx, d Delivery, t Task) ([]notify.Notification, error) {
		var lead bool
		err := tx.GetContext(ctx, &lead, `
			WITH RECURSIVE up AS (SELECT id, parent_id, role FROM delivery_tasks WHERE id = $1
			  UNION ALL SELECT t.id, t.parent_id, t.role FROM delivery_tasks t JOIN up ON t.id = up.parent_id),
			r AS (UPDATE delivery_tasks SET state = 'in_progress', done_at = NULL WHERE id IN (SELECT id FROM up) AND state = 'done' RETURNING id)
			SELECT coalesce(bool_or(parent_id IS NULL AND role = 'lead'), false) FROM up`, t.ID)
		if err != nil {
			return nil, fmt.Errorf("routing: unable to reopen: %w", err)
		}
		if lead && d.Status == Done {
			_, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = `+lit(InProgress)+`, status_at = now(), status_by = $2, done_at = NULL WHERE id = $1`, id, p.UserID)
			if err != nil {
				return nil, fmt.Errorf("routing: unable to update delivery: %w", err)
			}
		}
		if err := addEntry(ctx, tx, id, &t.ID, "reopen", p.UserID, note, nil); err != nil {
			return nil, err
		}
		var ns []notify.Notification
		if to := taskPerson(t); to != nil {
			ns = append(ns, s.noteAbout(d, *to, "reopened", "Mở lại việc: "+docLabel(d), p.FullName+" mở lại việc xử lý văn bản. "+note))
		}
		return ns, nil
	})
}

// taskPerson is who answers for a task: its person, or its section's head.
func taskPerson(t Task) *int64 {
	if t.UserID != nil {
		return t.UserID
	}
	return t.SectionHeadID
}

// Remind has a leader remind now everyone with an unfinished task of the
// delivery (the person, or the section's head).
func (s *Service) Remind(ctx context.Context, p auth.Principal, id int64, note string) (Delivery, error) {
	fields := map[string]string{}
	note = checkText(fields, "note", note, false)
	if len(fields) > 0 {
		return Delivery{}, &domain.ValidationError{Fields: fields}
	}
	st := step{action: "remind", act: actRemind, reason: note, message: "Chỉ nhắc việc khi văn bản đang được xử lý"}
	return s.handle(ctx, p, id, st, func(tx *sqlx.Tx, d Delivery) ([]notify.Notification, error) {
		ts, err := s.tasks(ctx, tx, d)
		if err != nil {
			return nil, err
		}
		seen := map[int64]bool{}
		var ns []notify.Notification
		stamp := strconv.FormatInt(s.now().UnixNano(), 36)
		for _, t := range ts {
			to := taskPerson(t)
			if t.Role == TaskInform || (t.State != TaskOpen && t.State != TaskInProgress) || to == nil || seen[*to] {
				continue
			}
			seen[*to] = true
			b := p.FullName + " nhắc xử lý văn bản " + docLabel(d) + "."
			if t.DeadlineText != "" {
				b += " Hạn xử lý: " + formatDate(t.DeadlineText) + "."
			}
			if note != "" {
				b += " " + note
			}
			n := s.noteAbout(d, *to, "remind", "Nhắc xử lý: "+docLabel(d), b)
			n.DedupeKey = "remind:" + strconv.FormatInt(id, 10) + ":" + strconv.FormatInt(*to, 10) + ":" + stamp
			ns = append(ns, n)
		}
		if len(ns) == 0 {
			return nil, &domain.PreconditionError{Code: "nothing_open", Message: "Không còn việc nào chưa hoàn thành để nhắc"}
		}
		return ns, addEntry(ctx, tx, id, nil, "remind", p.UserID, note, nil)
	})
}

// recordAccept adds the acceptance to the trail (Accept, lifecycle.go).
func recordAccept(ctx context.Context, tx *sqlx.Tx, id, author int64) error {
	return addEntry(ctx, tx, id, nil, "accept", author, "", nil)
}

// legacyStatus keeps the lead task in step with UpdateStatus, the report
// of the lead's assignee through the older operation: 05 starts the open
// lead task, 06 marks it done (lifecycle.go).
func (s *Service) legacyStatus(ctx context.Context, tx *sqlx.Tx, p auth.Principal, d Delivery, status, note string, resp *int64) error {
	var lead sql.NullInt64
	err := tx.GetContext(ctx, &lead, `SELECT id FROM delivery_tasks WHERE delivery_id = $1 AND parent_id IS NULL AND role = 'lead'
		AND state IN ('open', 'in_progress') ORDER BY id DESC LIMIT 1`, d.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("routing: unable to find the lead task: %w", err)
	}
	tid := lead.Int64
	if status == InProgress {
		if _, err := tx.ExecContext(ctx, `UPDATE delivery_tasks SET state = 'in_progress', started_at = coalesce(started_at, now()) WHERE id = $1`, tid); err != nil {
			return fmt.Errorf("routing: unable to start the task: %w", err)
		}
		return addEntry(ctx, tx, d.ID, &tid, "progress", p.UserID, note, nil)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE delivery_tasks SET state = 'done', done_at = now(), started_at = coalesce(started_at, now()),
		response_document_id = coalesce($2, response_document_id) WHERE id = $1`, tid, resp); err != nil {
		return fmt.Errorf("routing: unable to finish the task: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE delivery_tasks SET state = 'cancelled' WHERE parent_id = $1 AND state IN ('open', 'in_progress')`, tid); err != nil {
		return err
	}
	return addEntry(ctx, tx, d.ID, &tid, "done", p.UserID, note, resp)
}

// workSQL is the condition of the work list (InboxFilter.Work): what waits
// for p, by role. me is the parameter holding p's user id.
func workSQL(p auth.Principal, me string) string {
	live := `NOT dl.removed AND ` + noRecallSQL("dl.recall")
	var or []string
	if p.Has(auth.RoleClerk) {
		// To accept, to present (or file), a recall to answer.
		or = append(or, `dl.status = `+lit(Arrived), `dl.recall = `+lit(RecallRequested),
			`(dl.status = `+lit(Accepted)+` AND dl.presented_to IS NULL AND dl.filed_at IS NULL AND `+live+`)`)
	}
	if p.Has(auth.RoleSigner) {
		or = append(or, `(dl.presented_to = `+me+` AND dl.status = `+lit(Accepted)+` AND dl.filed_at IS NULL AND `+live+`)`)
	}
	// A section's head: its tasks with no handler yet; a person: their
	// open tasks, to lead or to coordinate.
	or = append(or, `(dl.status IN (`+lit(Assigned)+`, `+lit(InProgress)+`) AND `+live+` AND EXISTS (
		SELECT 1 FROM delivery_tasks t WHERE t.delivery_id = dl.id AND t.role <> 'inform' AND t.state IN ('open', 'in_progress')
		  AND (t.user_id = `+me+` OR (t.section_id IN (SELECT id FROM sections WHERE head_user_id = `+me+`)
		       AND NOT EXISTS (SELECT 1 FROM delivery_tasks c WHERE c.parent_id = t.id AND c.state <> 'cancelled')))))`)
	return `(` + strings.Join(or, " OR ") + `)`
}

// Section is an open section of a unit, which may be given a task.
type Section struct {
	ID       int64  `db:"id" json:"id"`
	Name     string `db:"name" json:"name"`
	HeadID   *int64 `db:"head_user_id" json:"head_user_id,omitempty"`
	HeadName string `db:"head_name" json:"head_name,omitempty"`
}

// Sections lists the open sections of p's unit, by name.
func (s *Service) Sections(ctx context.Context, p auth.Principal) ([]Section, error) {
	out := []Section{}
	err := s.db.SelectContext(ctx, &out, `SELECT s.id, s.name, s.head_user_id, coalesce(h.full_name, '') AS head_name
		FROM sections s LEFT JOIN users h ON h.id = s.head_user_id
		WHERE s.unit_id = $1 AND s.closed_at IS NULL ORDER BY s.name, s.id`, p.UnitID)
	if err != nil {
		return nil, fmt.Errorf("routing: unable to list sections: %w", err)
	}
	return out, nil
}

// Member is a person of a unit who may be given work: active, not left.
type Member struct {
	ID        int64          `db:"id" json:"id"`
	Name      string         `db:"full_name" json:"full_name"`
	Position  string         `db:"position" json:"position"`
	Roles     pq.StringArray `db:"roles" json:"roles"`
	SectionID *int64         `db:"section_id" json:"section_id,omitempty"`
}

// Leader reports whether m is a leader (role signer), who may direct.
func (m Member) Leader() bool { return slices.Contains(m.Roles, auth.RoleSigner) }

// Members lists the people of p's unit who may be given work, by name.
func (s *Service) Members(ctx context.Context, p auth.Principal) ([]Member, error) {
	out := []Member{}
	err := s.db.SelectContext(ctx, &out, `SELECT id, full_name, position, roles, section_id FROM users
		WHERE unit_id = $1 AND NOT disabled AND left_at IS NULL ORDER BY full_name, id`, p.UnitID)
	if err != nil {
		return nil, fmt.Errorf("routing: unable to list people: %w", err)
	}
	return out, nil
}
