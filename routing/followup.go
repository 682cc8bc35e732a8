package routing

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/registers"
)

// Following up incoming documents (Decree 30/2020 art. 24, Appendix IV
// sections VII and VIII): the processing slip of one delivery, the
// follow-up register of a unit, and the handling statistics. They read
// the tasks and the trail that handling writes (migration 16); a delivery
// handled before tasks existed (one assignee, free-text sections) is read
// from the delivery itself.

// taskDeadlineSQL is a task's deadline over the task t and its delivery dl:
// its own, else the delivery's.
const taskDeadlineSQL = `coalesce(t.due_date, dl.task_due, dl.due_date)`

// vnDateSQL is the Vietnam calendar day of the timestamp col.
func vnDateSQL(col string) string {
	return `(` + col + ` AT TIME ZONE '` + domain.VietnamZone + `')::date`
}

// taskRow is a task of a delivery with the names the slip and the
// register print.
type taskRow struct {
	ID         int64      `db:"id"`
	DeliveryID int64      `db:"delivery_id"`
	ParentID   *int64     `db:"parent_id"`
	Role       string     `db:"role"`
	SectionID  *int64     `db:"section_id"`
	Name       string     `db:"name"`
	Due        *time.Time `db:"due"` // the task's deadline
	State      string     `db:"state"`
	AssignedBy string     `db:"assigned_by"`
	AssignedAt time.Time  `db:"assigned_at"`
	DoneAt     *time.Time `db:"done_at"`
	Response   *string    `db:"response"`
}

// tasksOf reads the tasks (not cancelled) of the deliveries that where,
// over deliveries dl, selects.
func (s *Service) tasksOf(ctx context.Context, where string, args ...any) (map[int64][]taskRow, error) {
	var rows []taskRow
	err := s.db.SelectContext(ctx, &rows, `
		SELECT t.id, t.delivery_id, t.parent_id, t.role, t.section_id,
		       coalesce(sec.name, u.full_name, '') AS name, `+taskDeadlineSQL+` AS due, t.state,
		       coalesce(ab.full_name, '') AS assigned_by, t.assigned_at, t.done_at, rd.number_symbol AS response
		FROM delivery_tasks t
		JOIN deliveries dl ON dl.id = t.delivery_id
		LEFT JOIN sections sec ON sec.id = t.section_id
		LEFT JOIN users u ON u.id = t.user_id
		LEFT JOIN users ab ON ab.id = t.assigned_by
		LEFT JOIN documents rd ON rd.id = t.response_document_id
		WHERE t.state <> 'cancelled' AND `+where+`
		ORDER BY t.delivery_id, t.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("routing: unable to read tasks: %w", err)
	}
	out := map[int64][]taskRow{}
	for _, r := range rows {
		out[r.DeliveryID] = append(out[r.DeliveryID], r)
	}
	return out, nil
}

// unitHeader names p's unit and the body it belongs to, for the head of a
// printed form.
func (s *Service) unitHeader(ctx context.Context, unitID int64) (unit, parent string, err error) {
	var row struct {
		Unit   string `db:"unit"`
		Parent string `db:"parent"`
	}
	err = s.db.GetContext(ctx, &row, `
		SELECT u.name AS unit, coalesce(pu.name, '') AS parent FROM units u LEFT JOIN units pu ON pu.id = u.parent_id
		WHERE u.id = $1`, unitID)
	if err != nil {
		return "", "", fmt.Errorf("routing: unable to read the unit: %w", err)
	}
	return row.Unit, row.Parent, nil
}

// Slip returns the processing slip of a delivery to p's unit, for whoever
// sees the delivery (the rule of Delivery): the leader's direction, what
// the sections' heads gave their people, the handlers' proposals.
func (s *Service) Slip(ctx context.Context, p auth.Principal, deliveryID int64) (registers.Slip, error) {
	dl, err := s.Delivery(ctx, p, deliveryID)
	if err != nil {
		return registers.Slip{}, err
	}
	unit, parent, err := s.unitHeader(ctx, p.UnitID)
	if err != nil {
		return registers.Slip{}, err
	}
	var head struct {
		Author     string     `db:"author"`
		DocDate    time.Time  `db:"doc_date"`
		Title      string     `db:"title"`
		Leader     string     `db:"leader"`
		DirectedAt *time.Time `db:"directed_at"`
	}
	restricted := strings.ReplaceAll(s.docs.RestrictionSQL(), ":user", "$2")
	err = s.db.GetContext(ctx, &head, `
		SELECT au.name AS author, d.doc_date,
		       CASE WHEN d.unit_id <> dl.recipient_unit_id OR `+restricted+` THEN d.title ELSE `+lit(hiddenTitle)+` END AS title,
		       coalesce(lu.full_name, '') AS leader, coalesce(dl.directed_at, dl.assigned_at) AS directed_at
		FROM deliveries dl JOIN documents d ON d.id = dl.document_id JOIN units au ON au.id = d.unit_id
		LEFT JOIN users lu ON lu.id = dl.directed_by
		WHERE dl.id = $1`, deliveryID, p.UserID)
	if err != nil {
		return registers.Slip{}, fmt.Errorf("routing: unable to read the delivery: %w", err)
	}
	sl := registers.Slip{Organisation: parent, Unit: unit, Type: typeName(dl.DocType), NumberSymbol: deref(dl.NumberSymbol),
		Date: head.DocDate, Author: head.Author, Title: head.Title, ReceivedAt: dl.ArrivedAt, Opinion: dl.Opinion,
		Leader: head.Leader, DirectedAt: head.DirectedAt, Due: dl.TaskDue, GeneratedAt: s.now()}
	if dl.IncomingNumber != nil {
		sl.IncomingNumber = *dl.IncomingNumber
	}
	if sl.Due == nil {
		sl.Due = dl.DueDate
	}
	tasks, err := s.tasksOf(ctx, `t.delivery_id = $1`, deliveryID)
	if err != nil {
		return sl, err
	}
	var entries []struct {
		TaskID *int64    `db:"task_id"`
		Kind   string    `db:"kind"`
		Author string    `db:"author"`
		Body   string    `db:"body"`
		At     time.Time `db:"created_at"`
	}
	err = s.db.SelectContext(ctx, &entries, `
		SELECT e.task_id, e.kind, coalesce(u.full_name, '') AS author, e.body, e.created_at
		FROM delivery_entries e LEFT JOIN users u ON u.id = e.author_id
		WHERE e.delivery_id = $1 AND e.kind IN ('assign', 'proposal') ORDER BY e.id`, deliveryID)
	if err != nil {
		return sl, fmt.Errorf("routing: unable to read the trail: %w", err)
	}
	ts := tasks[deliveryID]
	sections := map[int64]int{} // a top task's id → its index in sl.Sections
	for _, t := range ts {
		if t.ParentID != nil {
			continue
		}
		st := registers.SlipTask{Name: t.Name, Due: t.Due}
		switch t.Role {
		case TaskLead:
			sl.Lead = append(sl.Lead, st)
		case TaskCoordinate:
			sl.Coordinate = append(sl.Coordinate, st)
		default:
			sl.Inform = append(sl.Inform, st)
		}
		if sl.Leader == "" {
			sl.Leader = t.AssignedBy
		}
		if t.SectionID != nil {
			sections[t.ID] = -1
		}
	}
	for _, t := range ts {
		if t.ParentID == nil {
			continue
		}
		i, ok := sections[*t.ParentID]
		if !ok {
			continue
		}
		if i < 0 {
			var name string
			for _, top := range ts {
				if top.ID == *t.ParentID {
					name = top.Name
				}
			}
			at := t.AssignedAt
			sl.Sections = append(sl.Sections, registers.SlipSection{Section: name, Head: t.AssignedBy, At: &at})
			i = len(sl.Sections) - 1
			sections[*t.ParentID] = i
			for _, e := range entries {
				if e.Kind == "assign" && e.TaskID != nil && (*e.TaskID == *t.ParentID || *e.TaskID == t.ID) && e.Body != "" {
					sl.Sections[i].Opinion = e.Body
				}
			}
		}
		sl.Sections[i].Handlers = append(sl.Sections[i].Handlers, registers.SlipTask{Name: t.Name, Due: t.Due})
	}
	if len(ts) == 0 && dl.AssigneeID != nil {
		// Handled before tasks: the assignee, the free-text sections.
		lead := strings.Join(nonEmpty(dl.Section, dl.AssigneeName), ", ")
		sl.Lead = []registers.SlipTask{{Name: lead, Due: sl.Due}}
		if dl.Coordinators != "" {
			sl.Coordinate = []registers.SlipTask{{Name: dl.Coordinators}}
		}
	}
	for _, e := range entries {
		if e.Kind == "proposal" {
			sl.Proposals = append(sl.Proposals, registers.SlipNote{Author: e.Author, Body: e.Body, At: e.At})
		}
	}
	return sl, nil
}

// FollowUpData is a unit's follow-up register over a period.
type FollowUpData struct {
	Unit, Parent string
	From, To     time.Time // Vietnam days, both included
	Rows         []registers.FollowUp
}

// Period is the register's period in words, for its head.
func (f FollowUpData) Period() string {
	return "Từ ngày " + f.From.Format("02/01/2006") + " đến ngày " + f.To.Format("02/01/2006")
}

// ParsePeriod reads a period of days (YYYY-MM-DD, both included) of at
// most five years; empty from and to are the year of today.
func ParsePeriod(from, to string, now time.Time) (time.Time, time.Time, error) {
	today := dateOf(now)
	if from == "" && to == "" {
		y := today.Year()
		return time.Date(y, 1, 1, 0, 0, 0, 0, domain.VietnamTime), time.Date(y, 12, 31, 0, 0, 0, 0, domain.VietnamTime), nil
	}
	f, err1 := time.ParseInLocation(time.DateOnly, from, domain.VietnamTime)
	t, err2 := time.ParseInLocation(time.DateOnly, to, domain.VietnamTime)
	if err1 != nil || err2 != nil || t.Before(f) || t.Sub(f) > 5*366*24*time.Hour {
		return f, t, &domain.ValidationError{Fields: map[string]string{"from": "khoảng ngày dạng YYYY-MM-DD, từ ngày đến ngày, tối đa 5 năm"}}
	}
	return f, t, nil
}

// FollowUpRegister returns p's unit's follow-up register (Appendix IV
// section VIII) for the documents it accepted in [from, to] (Vietnam
// days): each with the unit or person handling it, its deadline, how far
// the handling went and the answer. Documents only filed for information
// are left out. Clerks, leaders and admins of the unit may read it, as
// the other registers.
func (s *Service) FollowUpRegister(ctx context.Context, p auth.Principal, from, to time.Time) (FollowUpData, error) {
	if !p.HasAny(auth.RoleClerk, auth.RoleSigner, auth.RoleAdmin) {
		return FollowUpData{}, domain.ErrForbidden
	}
	out := FollowUpData{From: from, To: to}
	var err error
	if out.Unit, out.Parent, err = s.unitHeader(ctx, p.UnitID); err != nil {
		return out, err
	}
	today := dateOf(s.now())
	restricted := strings.ReplaceAll(s.docs.RestrictionSQL(), ":user", "$6")
	var rows []struct {
		Number    int        `db:"incoming_number"`
		Type      string     `db:"doc_type"`
		NumberSym *string    `db:"number_symbol"`
		Date      time.Time  `db:"doc_date"`
		Author    string     `db:"author"`
		Title     string     `db:"title"`
		Status    string     `db:"status"`
		Recall    *string    `db:"recall"`
		Due       *time.Time `db:"due"`
		DoneAt    *time.Time `db:"done_at"`
		Response  *string    `db:"response"`
		Section   string     `db:"section"`
		Assignee  string     `db:"assignee"`
		Coord     string     `db:"coordinators"`
		Presented bool       `db:"presented"`
		Directed  bool       `db:"directed"`
		Leads     *string    `db:"leads"`
		Handlers  *string    `db:"handlers"`
		Coords    *string    `db:"coords"`
		LeadState *string    `db:"lead_state"`
		LeadDue   *time.Time `db:"lead_due"`
		LeadDone  *time.Time `db:"lead_done_at"`
		LeadResp  *string    `db:"lead_response"`
	}
	// One row per delivery, its tasks folded in: 100,000 rows, not the
	// 250,000 of the tasks. JIT compiling costs more than it saves here.
	tx, err := s.db.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return out, fmt.Errorf("routing: unable to begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SET LOCAL jit = off`); err != nil {
		return out, fmt.Errorf("routing: unable to set up the query: %w", err)
	}
	err = tx.SelectContext(ctx, &rows, `
		WITH dls AS (
		  SELECT dl.* FROM deliveries dl
		  WHERE dl.recipient_unit_id = $1 AND dl.incoming_year BETWEEN $2 AND $3 AND dl.accepted_at >= $4 AND dl.accepted_at < $5
		), tk AS (
		  SELECT t.delivery_id,
		         string_agg(coalesce(sec.name, u.full_name), '; ' ORDER BY t.id) FILTER (WHERE t.parent_id IS NULL AND t.role = 'lead') AS leads,
		         string_agg(coalesce(sec.name, u.full_name), ', ' ORDER BY t.id) FILTER (WHERE t.parent_id IS NOT NULL) AS handlers,
		         string_agg(coalesce(sec.name, u.full_name), '; ' ORDER BY t.id) FILTER (WHERE t.parent_id IS NULL AND t.role = 'coordinate') AS coords,
		         (array_agg(t.id ORDER BY t.id) FILTER (WHERE t.parent_id IS NULL AND t.role = 'lead'))[1] AS lead_id,
		         bool_or(t.role <> 'inform') AS handled
		  FROM delivery_tasks t JOIN dls ON dls.id = t.delivery_id
		  LEFT JOIN sections sec ON sec.id = t.section_id
		  LEFT JOIN users u ON u.id = t.user_id
		  WHERE t.state <> 'cancelled'
		  GROUP BY t.delivery_id
		)
		SELECT dl.incoming_number, d.doc_type, d.number_symbol, d.doc_date, au.name AS author,
		       CASE WHEN d.unit_id <> $1 OR `+restricted+` THEN d.title ELSE `+lit(hiddenTitle)+` END AS title,
		       dl.status, dl.recall, coalesce(dl.task_due, dl.due_date) AS due, dl.done_at, rd.number_symbol AS response,
		       dl.section, coalesce(asg.full_name, '') AS assignee, dl.coordinators,
		       dl.presented_at IS NOT NULL AS presented, dl.directed_at IS NOT NULL AS directed,
		       tk.leads, tk.handlers, tk.coords, lt.state AS lead_state, coalesce(lt.due_date, dl.task_due, dl.due_date) AS lead_due,
		       lt.done_at AS lead_done_at, lrd.number_symbol AS lead_response
		FROM dls dl
		JOIN documents d ON d.id = dl.document_id
		JOIN units au ON au.id = d.unit_id
		LEFT JOIN users asg ON asg.id = dl.assignee_id
		LEFT JOIN documents rd ON rd.id = dl.response_document_id
		LEFT JOIN tk ON tk.delivery_id = dl.id
		LEFT JOIN delivery_tasks lt ON lt.id = tk.lead_id
		LEFT JOIN documents lrd ON lrd.id = lt.response_document_id
		WHERE NOT (dl.filed_at IS NOT NULL AND NOT coalesce(tk.handled, false))
		ORDER BY dl.incoming_year, dl.incoming_number`, p.UnitID, from.Year(), to.Year(), from, to.AddDate(0, 0, 1), p.UserID)
	if err != nil {
		return out, fmt.Errorf("routing: unable to read the follow-up register: %w", err)
	}
	out.Rows = make([]registers.FollowUp, len(rows))
	for i, r := range rows {
		fu := registers.FollowUp{IncomingNumber: r.Number, Type: typeName(r.Type), NumberSymbol: deref(r.NumberSym), Date: r.Date,
			Author: r.Author, Title: r.Title, Due: r.Due, Response: deref(r.Response)}
		if r.LeadState != nil {
			fu.Recipient = deref(r.Leads)
			if r.Handlers != nil {
				fu.Recipient += " (" + *r.Handlers + ")"
			}
			if r.Coords != nil {
				fu.Recipient += "; phối hợp: " + *r.Coords
			}
			fu.Due = r.LeadDue
			if r.LeadResp != nil {
				fu.Response = *r.LeadResp
			}
			fu.Progress = progress(*r.LeadState, r.LeadDue, r.LeadDone, today)
		} else {
			fu.Recipient = strings.Join(nonEmpty(r.Section, r.Assignee), ", ")
			if c := strings.Join(nonEmpty(r.Coord, deref(r.Coords)), "; "); c != "" {
				fu.Recipient = strings.TrimPrefix(fu.Recipient+"; phối hợp: "+c, "; ")
			}
			state := "open"
			switch {
			case r.Status == Done:
				state = "done"
			case r.Status >= Assigned && r.Status != Refused:
				state = "in_progress"
			}
			fu.Progress = progress(state, r.Due, r.DoneAt, today)
			if state == "open" {
				switch {
				case r.Directed:
					fu.Progress = strings.Replace(fu.Progress, "Chưa giải quyết", "Đã có ý kiến chỉ đạo", 1)
				case r.Presented:
					fu.Progress = strings.Replace(fu.Progress, "Chưa giải quyết", "Đã trình lãnh đạo", 1)
				}
			}
		}
		switch {
		case r.Recall != nil && *r.Recall == RecallAccepted:
			fu.Notes = "Đã thu hồi"
		case r.Status == Refused:
			fu.Notes = "Từ chối nhận"
		}
		out.Rows[i] = fu
	}
	return out, nil
}

// progress says how far a handling went, as the register writes it.
func progress(state string, due, doneAt *time.Time, today time.Time) string {
	if state == "done" && doneAt != nil {
		done := dateOf(*doneAt)
		t := "Hoàn thành ngày " + done.Format("02/01/2006")
		switch {
		case due == nil:
		case !done.After(*due):
			t += ", đúng hạn"
		default:
			t += ", trễ hạn"
		}
		return t
	}
	t := "Chưa giải quyết"
	if state == "in_progress" {
		t = "Đang giải quyết"
	}
	if due != nil && today.After(*due) {
		t += ", quá hạn"
	}
	return t
}

// HandlingStat is the handling of incoming documents by one unit, section
// or person over a period: the tasks it received in the period, by where
// they stand now.
type HandlingStat struct {
	Level      string `db:"level" json:"level"` // unit, section or person
	ID         int64  `db:"id" json:"id"`
	Name       string `db:"name" json:"name"`
	Received   int    `db:"received" json:"received"`
	InProgress int    `db:"in_progress" json:"in_progress"` // open, within the deadline
	OnTime     int    `db:"on_time" json:"done_on_time"`
	Late       int    `db:"late" json:"done_late"`
	Overdue    int    `db:"overdue" json:"overdue"` // open past the deadline
	Filed      int    `db:"filed" json:"filed_for_information"`
}

// Stat levels.
const (
	LevelUnit    = "unit"
	LevelSection = "section"
	LevelPerson  = "person"
)

// HandlingStats counts the handling in p's unit of the documents received
// in [from, to] (Vietnam days): one line for the unit (its deliveries, by
// their lead task, or by their status when handled before tasks), one per
// section and one per person (their tasks, handlers' included). A task's
// deadline is its own, else the delivery's; done on time means done on or
// before the deadline's day, in Vietnam. Clerks, leaders and admins see
// every line; anyone else, the lines of their own section and their own.
func (s *Service) HandlingStats(ctx context.Context, p auth.Principal, from, to time.Time) ([]HandlingStat, error) {
	today := dateOf(s.now()).Format(time.DateOnly)
	end := to.AddDate(0, 0, 1)
	class := func(state, due, doneAt string) string {
		return `count(*) FILTER (WHERE ` + state + ` NOT IN ('done', 'inform') AND (` + due + ` IS NULL OR ` + due + ` >= $4::date)) AS in_progress,
		count(*) FILTER (WHERE ` + state + ` = 'done' AND (` + due + ` IS NULL OR ` + vnDateSQL(doneAt) + ` <= ` + due + `)) AS on_time,
		count(*) FILTER (WHERE ` + state + ` = 'done' AND ` + vnDateSQL(doneAt) + ` > ` + due + `) AS late,
		count(*) FILTER (WHERE ` + state + ` NOT IN ('done', 'inform') AND ` + due + ` < $4::date) AS overdue,
		count(*) FILTER (WHERE ` + state + ` = 'inform') AS filed`
	}
	out := []HandlingStat{}
	// The unit: each accepted delivery once, by its lead task if it has one.
	err := s.db.SelectContext(ctx, &out, `
		WITH c AS (
		  SELECT CASE WHEN lt.id IS NOT NULL THEN CASE WHEN lt.state = 'done' THEN 'done' ELSE 'open' END
		              WHEN dl.filed_at IS NOT NULL THEN 'inform'
		              WHEN dl.status = `+lit(Done)+` THEN 'done' ELSE 'open' END AS state,
		         CASE WHEN lt.id IS NOT NULL THEN coalesce(lt.due_date, dl.task_due, dl.due_date) ELSE coalesce(dl.task_due, dl.due_date) END AS due,
		         coalesce(lt.done_at, dl.done_at) AS done_at
		  FROM deliveries dl
		  LEFT JOIN LATERAL (SELECT * FROM delivery_tasks t WHERE t.delivery_id = dl.id AND t.role = 'lead' AND t.parent_id IS NULL
		                     AND t.state <> 'cancelled' ORDER BY t.id LIMIT 1) lt ON true
		  WHERE dl.recipient_unit_id = $1 AND dl.accepted_at >= $2 AND dl.accepted_at < $3 AND dl.status <> `+lit(Refused)+`
		    AND `+noRecallSQL("dl.recall")+`
		)
		SELECT 'unit' AS level, u.id, u.name, count(c.state) AS received, `+class("c.state", "c.due", "c.done_at")+`
		FROM units u LEFT JOIN c ON true WHERE u.id = $1 GROUP BY u.id`, p.UnitID, from, end, today)
	if err != nil {
		return nil, fmt.Errorf("routing: unable to count the unit's handling: %w", err)
	}
	var lines []HandlingStat
	err = s.db.SelectContext(ctx, &lines, `
		WITH t AS (
		  SELECT t.section_id, t.user_id, CASE WHEN t.role = 'inform' THEN 'inform' WHEN t.state = 'done' THEN 'done' ELSE 'open' END AS state,
		         `+taskDeadlineSQL+` AS due, t.done_at
		  FROM delivery_tasks t JOIN deliveries dl ON dl.id = t.delivery_id
		  WHERE dl.recipient_unit_id = $1 AND t.assigned_at >= $2 AND t.assigned_at < $3 AND t.state <> 'cancelled'
		    AND `+noRecallSQL("dl.recall")+`
		)
		SELECT 'section' AS level, sec.id, sec.name, count(*) AS received, `+class("t.state", "t.due", "t.done_at")+`
		FROM t JOIN sections sec ON sec.id = t.section_id GROUP BY sec.id
		UNION ALL
		SELECT 'person' AS level, u.id, u.full_name AS name, count(*) AS received, `+class("t.state", "t.due", "t.done_at")+`
		FROM t JOIN users u ON u.id = t.user_id GROUP BY u.id
		ORDER BY 1 DESC, 3`, p.UnitID, from, end, today)
	if err != nil {
		return nil, fmt.Errorf("routing: unable to count the handling: %w", err)
	}
	if p.HasAny(auth.RoleClerk, auth.RoleSigner, auth.RoleAdmin) {
		return append(out, lines...), nil
	}
	var section *int64
	if err := s.db.GetContext(ctx, &section, `SELECT section_id FROM users WHERE id = $1`, p.UserID); err != nil {
		return nil, fmt.Errorf("routing: unable to read the user: %w", err)
	}
	mine := []HandlingStat{}
	for _, l := range lines {
		if (l.Level == LevelPerson && l.ID == p.UserID) || (l.Level == LevelSection && section != nil && l.ID == *section) {
			mine = append(mine, l)
		}
	}
	return mine, nil
}

var levelLabels = map[string]string{LevelUnit: "Đơn vị", LevelSection: "Phòng, tổ", LevelPerson: "Cá nhân"}

// LevelLabel names the level in Vietnamese.
func (h HandlingStat) LevelLabel() string { return levelLabels[h.Level] }

// WriteStatsCSV writes the handling statistics as CSV (UTF-8 with a byte
// order mark, for Excel).
func WriteStatsCSV(w io.Writer, rows []HandlingStat) error {
	cells := make([][]string, len(rows))
	for i, r := range rows {
		cells[i] = []string{r.LevelLabel(), r.Name, strconv.Itoa(r.Received), strconv.Itoa(r.InProgress), strconv.Itoa(r.OnTime),
			strconv.Itoa(r.Late), strconv.Itoa(r.Overdue), strconv.Itoa(r.Filed)}
	}
	return registers.WriteTableCSV(w, []string{"Cấp", "Tên", "Đã nhận", "Đang giải quyết", "Hoàn thành đúng hạn",
		"Hoàn thành trễ hạn", "Quá hạn", "Lưu để biết"}, cells)
}
