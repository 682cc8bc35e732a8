package routing_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/routing"
)

// office is the Quận 1 office with the people and sections the handling
// needs: a deputy, two sections with heads and staff, a closed section,
// a person who left.
type office struct {
	clerk, head, deputy, planHead, planStaff, planStaff2, adminHead, left auth.Principal
	plan, admin, closed, foreign                                          int64
}

func (f *fixture) person(username, name string, unit int64, roles ...string) auth.Principal {
	f.t.Helper()
	if _, err := f.users.CreateUser(f.ctx, auth.NewUser{Username: username, FullName: name, UnitID: unit, Roles: roles, Password: password}); err != nil {
		f.t.Fatal(err)
	}
	return f.who(username)
}

func (f *fixture) section(unit int64, name string, head auth.Principal, members ...auth.Principal) int64 {
	f.t.Helper()
	var id int64
	var headID *int64
	if head.UserID != 0 {
		headID = &head.UserID
	}
	if err := f.db.Get(&id, `INSERT INTO sections (unit_id, name, head_user_id) VALUES ($1, $2, $3) RETURNING id`, unit, name, headID); err != nil {
		f.t.Fatal(err)
	}
	for _, m := range append(members, head) {
		if m.UserID != 0 {
			f.db.MustExec(`UPDATE users SET section_id = $1 WHERE id = $2`, id, m.UserID)
		}
	}
	return id
}

func (f *fixture) office() office {
	f.t.Helper()
	q1 := f.unit("000.01.24.H29").ID
	o := office{clerk: f.who("vanthu.q1"), head: f.who("truongphong.q1")}
	o.deputy = f.person("phophong.q1", "Lê Văn Phó", q1, auth.RoleSigner)
	o.planHead = f.person("totruong.kh.q1", "Trần Thị Tổ Trưởng", q1, auth.RoleStaff)
	o.planStaff = f.person("chuyenvien.kh.q1", "Ngô Văn Chuyên", q1, auth.RoleStaff)
	o.planStaff2 = f.person("chuyenvien2.kh.q1", "Đỗ Thị Hai", q1, auth.RoleStaff)
	o.adminHead = f.person("totruong.vp.q1", "Bùi Văn Phòng", q1, auth.RoleStaff)
	o.left = f.person("danghi.q1", "Người Đã Nghỉ", q1, auth.RoleStaff)
	f.db.MustExec(`UPDATE users SET left_at = now() WHERE id = $1`, o.left.UserID)
	o.plan = f.section(q1, "Tổ Kế hoạch", o.planHead, o.planStaff, o.planStaff2)
	o.admin = f.section(q1, "Tổ Văn phòng", o.adminHead)
	o.closed = f.section(q1, "Tổ Đã giải thể", auth.Principal{})
	f.db.MustExec(`UPDATE sections SET closed_at = now() WHERE id = $1`, o.closed)
	o.foreign = f.section(f.unit("000.00.24.H29").ID, "Phòng Giáo dục Trung học", auth.Principal{})
	return o
}

// arrive issues a new document from the department to Quận 1 and returns
// its delivery there.
func (f *fixture) arrive(due string) routing.Delivery {
	f.t.Helper()
	clerk := f.who("vanthu.sgd")
	doc := f.document(clerk, "yes", "thuong")
	f.issue(clerk, doc.ID, routing.Recipients{Units: []int64{f.unit("000.01.24.H29").ID}}, due)
	return f.inboxOf(f.who("vanthu.q1"), doc.ID)
}

func wantFields(t *testing.T, err error, fields ...string) {
	t.Helper()
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a validation error on %v", err, fields)
	}
	for _, k := range fields {
		if ve.Fields[k] == "" {
			t.Fatalf("fields = %v, want %s named", ve.Fields, k)
		}
	}
}

func notesOf(f *fixture, p auth.Principal) []notify.Item {
	f.t.Helper()
	items, err := notify.NewStore(f.db, false).List(f.ctx, p.UserID, 100, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	return items
}

func hasNote(f *fixture, p auth.Principal, kind string, deliveryID int64) bool {
	for _, n := range notesOf(f, p) {
		if n.Kind == kind && n.DeliveryID != nil && *n.DeliveryID == deliveryID {
			return true
		}
	}
	return false
}

func work(f *fixture, p auth.Principal) []int64 {
	f.t.Helper()
	page, err := f.rt.Inbox(f.ctx, p, routing.InboxFilter{Work: true})
	if err != nil {
		f.t.Fatal(err)
	}
	var ids []int64
	for _, d := range page.Items {
		ids = append(ids, d.ID)
	}
	return ids
}

func contains(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func taskOf(t *testing.T, ts []routing.Task, match func(routing.Task) bool) routing.Task {
	t.Helper()
	for _, x := range ts {
		if match(x) {
			return x
		}
	}
	t.Fatalf("no such task among %+v", ts)
	return routing.Task{}
}

// TestHandlingFlow: accept and present, forward to the deputy, direct to
// a lead section with a coordinator and a deadline, the section head
// gives it to two handlers, proposals, progress and contributions, the
// handlers done, the lead section done, the delivery done with its
// answer; then reopen, remind and the trail.
func TestHandlingFlow(t *testing.T) {
	f := newFixture(t, 0)
	o := f.office()
	today := time.Now().In(domain.VietnamTime)
	due := today.AddDate(0, 0, 20).Format(time.DateOnly)
	d := f.arrive(due)

	// The clerk's work list has it to accept; nobody else's.
	if !contains(work(f, o.clerk), d.ID) || contains(work(f, o.head), d.ID) {
		t.Fatal("an arrived document is not in the clerk's work list only")
	}
	if _, err := f.rt.Present(f.ctx, o.clerk, d.ID, routing.PresentRequest{LeaderID: o.head.UserID}); err == nil {
		t.Fatal("presented before acceptance")
	} else {
		wantState(t, err, "01")
	}
	if _, err := f.rt.Accept(f.ctx, o.clerk, d.ID); err != nil {
		t.Fatal(err)
	}
	if !contains(work(f, o.clerk), d.ID) {
		t.Fatal("an accepted document not yet presented left the clerk's work list")
	}
	// Present to a leader only: not to staff, nor to another unit's leader.
	wantFields(t, ignore(f.rt.Present(f.ctx, o.clerk, d.ID, routing.PresentRequest{LeaderID: o.planStaff.UserID})), "leader_id")
	wantFields(t, ignore(f.rt.Present(f.ctx, o.clerk, d.ID, routing.PresentRequest{LeaderID: f.who("giamdoc.sgd").UserID})), "leader_id")
	if _, err := f.rt.Present(f.ctx, o.head, d.ID, routing.PresentRequest{LeaderID: o.head.UserID}); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("a leader presenting: %v", err)
	}
	pd, err := f.rt.Present(f.ctx, o.clerk, d.ID, routing.PresentRequest{LeaderID: o.head.UserID, Note: "Kính trình"})
	if err != nil {
		t.Fatal(err)
	}
	if pd.PresentedTo == nil || *pd.PresentedTo != o.head.UserID || pd.PresentedToName != o.head.FullName || pd.Status != routing.Accepted {
		t.Fatalf("presented = %+v", pd)
	}
	if !hasNote(f, o.head, "presented", d.ID) || contains(work(f, o.clerk), d.ID) || !contains(work(f, o.head), d.ID) {
		t.Fatal("the leader presented to is not notified, or the work lists did not move")
	}
	// The head forwards it to the deputy.
	wantFields(t, ignore(f.rt.Forward(f.ctx, o.head, d.ID, routing.PresentRequest{LeaderID: o.head.UserID})), "leader_id")
	if _, err := f.rt.Forward(f.ctx, o.head, d.ID, routing.PresentRequest{LeaderID: o.deputy.UserID, Note: "Đồng chí Phó xử lý"}); err != nil {
		t.Fatal(err)
	}
	if !hasNote(f, o.deputy, "presented", d.ID) || contains(work(f, o.head), d.ID) || !contains(work(f, o.deputy), d.ID) {
		t.Fatal("the forward did not reach the deputy's work list")
	}

	// Bad directions.
	past := today.AddDate(0, 0, -1).Format(time.DateOnly)
	good := routing.Target{SectionID: o.plan}
	bad := []struct {
		name  string
		req   routing.DirectRequest
		field string
	}{
		{"no lead", routing.DirectRequest{}, "lead"},
		{"another unit's section", routing.DirectRequest{Lead: routing.Target{SectionID: o.foreign}}, "lead"},
		{"a closed section", routing.DirectRequest{Lead: routing.Target{SectionID: o.closed}}, "lead"},
		{"another unit's person", routing.DirectRequest{Lead: good, Coordinators: []routing.Target{{UserID: f.who("vanthu.sgd").UserID}}}, "coordinators[0]"},
		{"a person who left", routing.DirectRequest{Lead: good, Informed: []routing.Target{{UserID: o.left.UserID}}}, "informed[0]"},
		{"a deadline before today", routing.DirectRequest{Lead: good, Due: past}, "due"},
		{"a task deadline before today", routing.DirectRequest{Lead: routing.Target{SectionID: o.plan, Due: past}}, "lead.due"},
		{"a bad date", routing.DirectRequest{Lead: good, Due: "31/12/2026"}, "due"},
		{"both a section and a person", routing.DirectRequest{Lead: routing.Target{SectionID: o.plan, UserID: o.planStaff.UserID}}, "lead"},
		{"twice the same", routing.DirectRequest{Lead: good, Coordinators: []routing.Target{{SectionID: o.plan}}}, "coordinators"},
	}
	for _, b := range bad {
		_, err := f.rt.Direct(f.ctx, o.deputy, d.ID, b.req)
		var ve *domain.ValidationError
		if !errors.As(err, &ve) || ve.Fields[b.field] == "" {
			t.Errorf("%s: %v, want a message on %s", b.name, err, b.field)
		}
	}
	if _, err := f.rt.Direct(f.ctx, o.clerk, d.ID, routing.DirectRequest{Lead: good}); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("a clerk directing: %v", err)
	}

	// The deputy directs: the plan section leads, the admin section and a
	// person coordinate, the clerk is informed.
	taskDue := today.AddDate(0, 0, 10).Format(time.DateOnly)
	dd, err := f.rt.Direct(f.ctx, o.deputy, d.ID, routing.DirectRequest{Opinion: "Tổ Kế hoạch chủ trì, báo cáo trước hạn",
		Lead: routing.Target{SectionID: o.plan}, Due: taskDue,
		Coordinators: []routing.Target{{SectionID: o.admin}, {UserID: o.head.UserID, Due: today.AddDate(0, 0, 5).Format(time.DateOnly)}},
		Informed:     []routing.Target{{UserID: o.clerk.UserID}}})
	if err != nil {
		t.Fatal(err)
	}
	if dd.Status != routing.Assigned || dd.Opinion != "Tổ Kế hoạch chủ trì, báo cáo trước hạn" || dd.TaskDueText != taskDue ||
		dd.DirectedBy == nil || *dd.DirectedBy != o.deputy.UserID || dd.Section != "Tổ Kế hoạch" || dd.Coordinators != "Tổ Văn phòng, "+o.head.FullName {
		t.Fatalf("directed = %+v", dd)
	}
	ts, err := f.rt.Tasks(f.ctx, o.deputy, d.ID)
	if err != nil || len(ts) != 4 {
		t.Fatalf("tasks = %+v, %v", ts, err)
	}
	lead := taskOf(t, ts, func(x routing.Task) bool { return x.Role == routing.TaskLead })
	if lead.SectionName != "Tổ Kế hoạch" || lead.DeadlineText != taskDue || lead.State != routing.TaskOpen || lead.Overdue {
		t.Fatalf("lead task = %+v", lead)
	}
	coord := taskOf(t, ts, func(x routing.Task) bool { return x.Role == routing.TaskCoordinate && x.UserID != nil })
	if coord.DueText == "" || coord.DeadlineText == taskDue {
		t.Fatalf("coordinator's own deadline lost: %+v", coord)
	}
	adminTask := taskOf(t, ts, func(x routing.Task) bool { return x.Role == routing.TaskCoordinate && x.SectionID != nil })
	for who, kind := range map[*auth.Principal]string{&o.planHead: "assigned", &o.adminHead: "assigned", &o.head: "assigned", &o.clerk: "informed"} {
		if !hasNote(f, *who, kind, d.ID) {
			t.Errorf("%s was not notified (%s)", who.Username, kind)
		}
	}
	if !contains(work(f, o.planHead), d.ID) || contains(work(f, o.deputy), d.ID) || contains(work(f, o.clerk), d.ID) {
		t.Fatal("work lists after the direction: the section head lacks it, or the leader or the informed clerk still has it")
	}

	// The section head gives the lead task to two handlers; a handler's
	// deadline after the section's, a person of another section, staff
	// assigning, are refused.
	wantFields(t, ignore(f.rt.AssignTask(f.ctx, o.planHead, d.ID, lead.ID, routing.AssignTaskRequest{UserIDs: []int64{o.planStaff.UserID},
		Due: today.AddDate(0, 0, 15).Format(time.DateOnly)})), "due")
	wantFields(t, ignore(f.rt.AssignTask(f.ctx, o.planHead, d.ID, lead.ID, routing.AssignTaskRequest{UserIDs: []int64{o.adminHead.UserID}})), "user_ids[0]")
	if _, err := f.rt.AssignTask(f.ctx, o.planStaff, d.ID, lead.ID, routing.AssignTaskRequest{UserIDs: []int64{o.planStaff.UserID}}); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("staff giving the section's task: %v", err)
	}
	if _, err := f.rt.AssignTask(f.ctx, o.planHead, d.ID, coord.ID, routing.AssignTaskRequest{UserIDs: []int64{o.planStaff.UserID}}); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("giving on a person's task: %v", err)
	}
	handlerDue := today.AddDate(0, 0, 8).Format(time.DateOnly)
	if _, err := f.rt.AssignTask(f.ctx, o.planHead, d.ID, lead.ID, routing.AssignTaskRequest{UserIDs: []int64{o.planStaff.UserID, o.planStaff2.UserID},
		Due: handlerDue, Note: "Hai đồng chí phối hợp soạn"}); err != nil {
		t.Fatal(err)
	}
	if contains(work(f, o.planHead), d.ID) || !contains(work(f, o.planStaff), d.ID) || !hasNote(f, o.planStaff2, "assigned", d.ID) {
		t.Fatal("after giving the task: the head still has it to give, or a handler lacks it")
	}
	ts, _ = f.rt.Tasks(f.ctx, o.planHead, d.ID)
	h1 := taskOf(t, ts, func(x routing.Task) bool { return x.UserID != nil && *x.UserID == o.planStaff.UserID })
	h2 := taskOf(t, ts, func(x routing.Task) bool { return x.UserID != nil && *x.UserID == o.planStaff2.UserID })
	if h1.ParentID == nil || *h1.ParentID != lead.ID || h1.DeadlineText != handlerDue || h1.Role != routing.TaskLead {
		t.Fatalf("handler task = %+v", h1)
	}
	if _, err := f.rt.AssignTask(f.ctx, o.planHead, d.ID, lead.ID, routing.AssignTaskRequest{UserIDs: []int64{o.planStaff.UserID}}); err == nil {
		t.Fatal("the same handler given the task twice")
	}

	// A proposal goes to the leader who directed; progress starts the
	// task, its section's task and the delivery (05).
	if _, err := f.rt.AddEntry(f.ctx, o.planStaff, d.ID, h1.ID, routing.EntryProposal, "Đề xuất lấy ý kiến các trường"); err != nil {
		t.Fatal(err)
	}
	if !hasNote(f, o.deputy, "proposal", d.ID) {
		t.Error("the directing leader did not get the proposal")
	}
	wantFields(t, ignore(f.rt.AddEntry(f.ctx, o.planStaff, d.ID, h1.ID, "note", "x")), "kind")
	wantFields(t, ignore(f.rt.AddEntry(f.ctx, o.planStaff, d.ID, h1.ID, routing.EntryProgress, "  ")), "body")
	if _, err := f.rt.AddEntry(f.ctx, o.planStaff2, d.ID, h1.ID, routing.EntryProgress, "không phải việc của tôi"); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("progress on another's task: %v", err)
	}
	pr, err := f.rt.AddEntry(f.ctx, o.planStaff, d.ID, h1.ID, routing.EntryProgress, "Đã soạn dự thảo")
	if err != nil {
		t.Fatal(err)
	}
	if pr.Status != routing.InProgress {
		t.Fatalf("after the first progress: %s, want 05", pr.Status)
	}
	if _, err := f.rt.AddEntry(f.ctx, o.head, d.ID, coord.ID, routing.EntryContribution, "Đồng ý, bổ sung số liệu"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.rt.CompleteTask(f.ctx, o.head, d.ID, coord.ID, routing.CompleteRequest{Note: "Xong phần phối hợp"}); err != nil {
		t.Fatal(err)
	}

	// A handler done: the section's task is still open (the other handler).
	reply := f.document(o.clerk, "yes", "thuong") // registered: the whole unit sees it
	foreignDoc := f.document(f.who("vanthu.sgd"), "", "thuong")
	wantFields(t, ignore(f.rt.CompleteTask(f.ctx, o.planStaff, d.ID, h1.ID, routing.CompleteRequest{ResponseID: foreignDoc.ID})), "response_id")
	if _, err := f.rt.CompleteTask(f.ctx, o.planStaff, d.ID, h1.ID, routing.CompleteRequest{Note: "Đã xong", ResponseID: reply.ID}); err != nil {
		t.Fatal(err)
	}
	var pe *domain.PreconditionError
	if _, err := f.rt.AddEntry(f.ctx, o.planStaff, d.ID, h1.ID, routing.EntryProgress, "thêm"); !errors.As(err, &pe) {
		t.Fatalf("progress on a finished task: %v, want a precondition", err)
	}
	ts, _ = f.rt.Tasks(f.ctx, o.deputy, d.ID)
	if l := taskOf(t, ts, func(x routing.Task) bool { return x.ID == lead.ID }); l.State != routing.TaskInProgress {
		t.Fatalf("lead after one handler done: %s", l.State)
	}
	// The last handler done: the section's task done, the delivery done
	// with the answer, the sender told.
	done, err := f.rt.CompleteTask(f.ctx, o.planStaff2, d.ID, h2.ID, routing.CompleteRequest{Note: "Xong"})
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != routing.Done || done.ResponseDocID == nil || *done.ResponseDocID != reply.ID || done.DoneAt == nil {
		t.Fatalf("delivery after the lead task done = %+v", done)
	}
	if !hasNote(f, f.who("vanthu.sgd"), "done", d.ID) {
		t.Error("the sender was not told")
	}
	// The admin section's coordination stays open; it no longer runs.
	ts, _ = f.rt.Tasks(f.ctx, o.deputy, d.ID)
	if a := taskOf(t, ts, func(x routing.Task) bool { return x.ID == adminTask.ID }); a.State != routing.TaskOpen {
		t.Fatalf("admin coordination = %s", a.State)
	}
	if contains(work(f, o.adminHead), d.ID) {
		t.Error("a done delivery is still in a coordinator's work list")
	}

	// A leader reopens the lead task: back in progress (05).
	if _, err := f.rt.Reopen(f.ctx, o.planHead, d.ID, lead.ID, ""); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("a section head reopening: %v", err)
	}
	ro, err := f.rt.Reopen(f.ctx, o.deputy, d.ID, lead.ID, "Bổ sung số liệu quý IV")
	if err != nil {
		t.Fatal(err)
	}
	if ro.Status != routing.InProgress || ro.DoneAt != nil {
		t.Fatalf("reopened = %+v", ro)
	}
	// A leader reminds now: the section head of the reopened task and the
	// admin section's head.
	if _, err := f.rt.Remind(f.ctx, o.planStaff, d.ID, ""); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("staff reminding: %v", err)
	}
	if _, err := f.rt.Remind(f.ctx, o.deputy, d.ID, "Đề nghị khẩn trương"); err != nil {
		t.Fatal(err)
	}
	if !hasNote(f, o.adminHead, "remind", d.ID) || !hasNote(f, o.planHead, "remind", d.ID) {
		t.Error("the reminder did not reach the open tasks' people")
	}
	// The head marks the section's task done itself.
	if _, err := f.rt.CompleteTask(f.ctx, o.planHead, d.ID, lead.ID, routing.CompleteRequest{Note: "Đã bổ sung"}); err != nil {
		t.Fatal(err)
	}

	// The trail, in order.
	trail, err := f.rt.Trail(f.ctx, o.head, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range trail {
		kinds = append(kinds, e.Kind)
	}
	want := "accept present forward direct assign proposal progress contribution done done done reopen remind done"
	if strings.Join(kinds, " ") != want {
		t.Fatalf("trail = %v\nwant    %s", kinds, want)
	}
	if trail[1].Body != "Kính trình" || trail[1].AuthorName != o.clerk.FullName || trail[8].ResponseDocID != nil && *trail[8].ResponseDocID == 0 {
		t.Fatalf("trail entries = %+v", trail[:2])
	}
	if n, err := audit.Check(f.ctx, f.db); err != nil || n == 0 {
		t.Fatalf("audit: %d, %v", n, err)
	}
	var actions []string
	f.db.Select(&actions, `SELECT action FROM audit_log WHERE delivery_id = $1 ORDER BY id`, d.ID)
	if got := strings.Join(actions, " "); !strings.Contains(got, "delivery.present delivery.forward delivery.direct delivery.task.assign delivery.task.proposal") ||
		!strings.Contains(got, "delivery.task.reopen delivery.remind delivery.task.done") {
		t.Fatalf("audit actions = %s", got)
	}
	// Another unit sees nothing of it.
	if _, err := f.rt.Trail(f.ctx, f.who("vanthu.thcs1"), d.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("another unit's trail: %v", err)
	}
}

func ignore(_ routing.Delivery, err error) error { return err }

// TestHandlingRefusedRecalledAndRedirected: nothing is directed in a
// delivery refused or recalled; filing stops the deadline; a new direction
// cancels the earlier one's unfinished tasks; the old Assign still works.
func TestHandlingRefusedRecalledAndRedirected(t *testing.T) {
	f := newFixture(t, 0)
	o := f.office()
	today := time.Now().In(domain.VietnamTime)
	lead := routing.DirectRequest{Lead: routing.Target{SectionID: o.plan}}

	refused := f.arrive("")
	if _, err := f.rt.Refuse(f.ctx, o.clerk, refused.ID, "Gửi nhầm đơn vị"); err != nil {
		t.Fatal(err)
	}
	_, err := f.rt.Direct(f.ctx, o.head, refused.ID, lead)
	wantState(t, err, "02")
	if !strings.Contains(err.(*routing.StateError).Message, "từ chối") {
		t.Errorf("message = %q", err.(*routing.StateError).Message)
	}

	// Recalled after acceptance: neither present nor direct.
	rc := f.arrive("")
	if _, err := f.rt.Accept(f.ctx, o.clerk, rc.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.rt.Recall(f.ctx, f.who("vanthu.sgd"), rc.DocumentID, "Văn bản ban hành nhầm"); err != nil {
		t.Fatal(err)
	}
	_, err = f.rt.Direct(f.ctx, o.head, rc.ID, lead)
	wantState(t, err, "03/13")
	_, err = f.rt.Present(f.ctx, o.clerk, rc.ID, routing.PresentRequest{LeaderID: o.head.UserID})
	wantState(t, err, "03/13")

	// Filed for information: past its deadline, not overdue, no reminder.
	filed := f.arrive(today.AddDate(0, 0, 1).Format(time.DateOnly))
	if _, err := f.rt.Accept(f.ctx, o.clerk, filed.ID); err != nil {
		t.Fatal(err)
	}
	fd, err := f.rt.File(f.ctx, o.clerk, filed.ID, "Để biết")
	if err != nil || fd.FiledAt == nil {
		t.Fatalf("file: %+v, %v", fd, err)
	}
	var pe *domain.PreconditionError
	if _, err := f.rt.File(f.ctx, o.clerk, filed.ID, ""); !errors.As(err, &pe) {
		t.Fatalf("filing twice: %v", err)
	}
	if routing.Allowed(o.clerk, fd).File || contains(work(f, o.clerk), filed.ID) {
		t.Error("a filed delivery is still offered to file, or in the clerk's work list")
	}
	f.rt.SetClock(func() time.Time { return today.AddDate(0, 0, 30) })
	if d := f.inboxOf(o.clerk, filed.DocumentID); d.Overdue {
		t.Error("a filed delivery is overdue")
	}
	page, _ := f.rt.Inbox(f.ctx, o.clerk, routing.InboxFilter{Overdue: true})
	for _, x := range page.Items {
		if x.ID == filed.ID {
			t.Error("a filed delivery listed as overdue")
		}
	}
	f.rt.SetClock(time.Now)

	// Direct, start, re-direct: the unfinished tasks are cancelled, the
	// new ones replace them; the trail keeps both.
	rd := f.arrive("")
	if _, err := f.rt.Accept(f.ctx, o.clerk, rd.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.rt.Direct(f.ctx, o.head, rd.ID, routing.DirectRequest{Lead: routing.Target{UserID: o.planStaff.UserID},
		Coordinators: []routing.Target{{SectionID: o.admin}}}); err != nil {
		t.Fatal(err)
	}
	ts, _ := f.rt.Tasks(f.ctx, o.head, rd.ID)
	first := taskOf(t, ts, func(x routing.Task) bool { return x.Role == routing.TaskLead })
	if _, err := f.rt.AddEntry(f.ctx, o.planStaff, rd.ID, first.ID, routing.EntryProgress, "Bắt đầu"); err != nil {
		t.Fatal(err)
	}
	again, err := f.rt.Direct(f.ctx, o.deputy, rd.ID, routing.DirectRequest{Lead: routing.Target{SectionID: o.plan}, Opinion: "Giao lại cho Tổ Kế hoạch"})
	if err != nil {
		t.Fatal(err)
	}
	if again.Status != routing.InProgress {
		t.Fatalf("re-directed status = %s, want 05 kept", again.Status)
	}
	ts, _ = f.rt.Tasks(f.ctx, o.head, rd.ID)
	states := map[string]int{}
	for _, x := range ts {
		states[x.State]++
	}
	if len(ts) != 3 || states[routing.TaskCancelled] != 2 || states[routing.TaskOpen] != 1 {
		t.Fatalf("tasks after re-direction = %v", states)
	}
	if _, err := f.rt.AddEntry(f.ctx, o.planStaff, rd.ID, first.ID, routing.EntryProgress, "tiếp"); !errors.As(err, &pe) {
		t.Fatalf("progress on a cancelled task: %v", err)
	}

	// The older Assign: a direction with a lead person; UpdateStatus moves
	// the lead task.
	old := f.arrive("")
	if _, err := f.rt.Accept(f.ctx, o.clerk, old.ID); err != nil {
		t.Fatal(err)
	}
	due := today.AddDate(0, 0, 3).Format(time.DateOnly)
	as, err := f.rt.Assign(f.ctx, o.head, old.ID, routing.AssignRequest{AssigneeID: o.planStaff.UserID, Section: "Tổ Kế hoạch", Due: due})
	if err != nil || as.AssigneeID == nil || *as.AssigneeID != o.planStaff.UserID || as.Section != "Tổ Kế hoạch" {
		t.Fatalf("assign: %+v, %v", as, err)
	}
	if _, err := f.rt.UpdateStatus(f.ctx, o.planStaff, old.ID, routing.StatusRequest{Status: routing.Done, Note: "Xong"}); err != nil {
		t.Fatal(err)
	}
	ts, _ = f.rt.Tasks(f.ctx, o.head, old.ID)
	if len(ts) != 1 || ts[0].State != routing.TaskDone || ts[0].UserID == nil || *ts[0].UserID != o.planStaff.UserID {
		t.Fatalf("the lead task of an assignment = %+v", ts)
	}
}

// TestTaskDeadlineReminders: the person of each open task is told the
// working day before its deadline and once when it passed; a section's
// task goes to its head; done and informed tasks are left alone.
func TestTaskDeadlineReminders(t *testing.T) {
	f := newFixture(t, 0)
	o := f.office()
	// Wednesday 2 December 2026.
	wed := time.Date(2026, 12, 2, 9, 0, 0, 0, domain.VietnamTime)
	f.rt.SetClock(func() time.Time { return wed })
	d := f.arrive("")
	if _, err := f.rt.Accept(f.ctx, o.clerk, d.ID); err != nil {
		t.Fatal(err)
	}
	_, err := f.rt.Direct(f.ctx, o.head, d.ID, routing.DirectRequest{Lead: routing.Target{SectionID: o.plan}, Due: "2026-12-10",
		Coordinators: []routing.Target{{UserID: o.planStaff.UserID, Due: "2026-12-03"}}, Informed: []routing.Target{{UserID: o.deputy.UserID, Due: "2026-12-03"}}})
	if err != nil {
		t.Fatal(err)
	}
	count := func(p auth.Principal, kind string) int {
		n := 0
		for _, x := range notesOf(f, p) {
			if x.Kind == kind {
				n++
			}
		}
		return n
	}
	scan := func(now time.Time) {
		f.rt.SetClock(func() time.Time { return now })
		for range 2 {
			if err := f.rt.ScanDeadlines(f.ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	scan(wed)
	if count(o.planStaff, "due_soon") != 1 || count(o.planHead, "due_soon") != 0 || count(o.deputy, "due_soon") != 0 {
		t.Fatalf("the day before: coordinator %d, head %d, informed %d", count(o.planStaff, "due_soon"), count(o.planHead, "due_soon"), count(o.deputy, "due_soon"))
	}
	scan(time.Date(2026, 12, 4, 9, 0, 0, 0, domain.VietnamTime))
	if count(o.planStaff, "overdue") != 1 {
		t.Fatalf("overdue reminders = %d, want 1", count(o.planStaff, "overdue"))
	}
	scan(time.Date(2026, 12, 9, 9, 0, 0, 0, domain.VietnamTime))
	scan(time.Date(2026, 12, 11, 9, 0, 0, 0, domain.VietnamTime))
	if count(o.planHead, "due_soon") != 1 || count(o.planHead, "overdue") != 1 || count(o.planStaff, "overdue") != 1 {
		t.Fatalf("the section head: %d due soon, %d overdue; coordinator overdue %d", count(o.planHead, "due_soon"), count(o.planHead, "overdue"), count(o.planStaff, "overdue"))
	}
	// The delivery-level scan leaves a directed delivery to the tasks.
	if count(o.clerk, "overdue") != 0 {
		t.Error("the clerk was reminded of a directed delivery")
	}
	ts, _ := f.rt.Tasks(f.ctx, o.head, d.ID)
	if l := taskOf(t, ts, func(x routing.Task) bool { return x.Role == routing.TaskLead }); !l.Overdue {
		t.Errorf("lead task past its deadline not overdue: %+v", l)
	}
}

func TestTaskAllowed(t *testing.T) {
	const unit = 7
	id := func(v int64) *int64 { return &v }
	head, staff, leader := auth.Principal{UserID: 1, UnitID: unit}, auth.Principal{UserID: 2, UnitID: unit}, auth.Principal{UserID: 3, UnitID: unit, Roles: []string{auth.RoleSigner}}
	d := routing.Delivery{ID: 9, RecipientUnitID: unit, Status: routing.Assigned}
	section := routing.Task{DeliveryID: 9, Role: routing.TaskLead, SectionID: id(5), SectionHeadID: id(1), State: routing.TaskOpen}
	mine := routing.Task{DeliveryID: 9, Role: routing.TaskCoordinate, UserID: id(2), State: routing.TaskInProgress}
	inform := routing.Task{DeliveryID: 9, Role: routing.TaskInform, UserID: id(2), State: routing.TaskOpen}
	done := section
	done.State = routing.TaskDone
	tests := []struct {
		name string
		p    auth.Principal
		d    routing.Delivery
		t    routing.Task
		want routing.TaskActions
	}{
		{"head, section task", head, d, section, routing.TaskActions{Assign: true, Work: true}},
		{"leader, section task", leader, d, section, routing.TaskActions{Assign: true}},
		{"staff, section task", staff, d, section, routing.TaskActions{}},
		{"staff, own task", staff, d, mine, routing.TaskActions{Work: true}},
		{"staff, informed", staff, d, inform, routing.TaskActions{}},
		{"leader, done task", leader, d, done, routing.TaskActions{Reopen: true}},
		{"head, done task", head, d, done, routing.TaskActions{}},
		{"staff, own task, recall", staff, routing.Delivery{ID: 9, RecipientUnitID: unit, Status: routing.InProgress, Recall: id2s(routing.RecallRequested)}, mine, routing.TaskActions{}},
		{"staff, own task, another unit", auth.Principal{UserID: 2, UnitID: 8}, d, mine, routing.TaskActions{}},
	}
	for _, tt := range tests {
		if got := routing.TaskAllowed(tt.p, tt.d, tt.t); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func id2s(s string) *string { return &s }
