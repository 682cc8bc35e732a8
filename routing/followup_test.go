package routing_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/registers"
	"github.com/hcm-edu/vanban/routing"
)

// The handling rows below are written with SQL, standing in for the
// handling domain (present, direct, assign, handle) that fills them.

// handlingFixture is what a test of follow-up builds on: a document the
// department issued to Quận 1, accepted there.
type handlingFixture struct {
	*fixture
	q1clerk, q1lead auth.Principal
}

func newHandlingFixture(t *testing.T) *handlingFixture {
	f := newFixture(t, 0)
	return &handlingFixture{fixture: f, q1clerk: f.who("vanthu.q1"), q1lead: f.who("truongphong.q1")}
}

// received has the department issue a new document to Quận 1, whose clerk
// accepts it; it returns the delivery.
func (h *handlingFixture) received() routing.Delivery {
	h.t.Helper()
	clerk := h.who("vanthu.sgd")
	doc := h.document(clerk, "yes", "thuong")
	h.issue(clerk, doc.ID, routing.Recipients{Units: []int64{h.unit("000.01.24.H29").ID}}, "")
	d := h.inboxOf(h.q1clerk, doc.ID)
	d, err := h.rt.Accept(h.ctx, h.q1clerk, d.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	return d
}

// sqlExec runs a statement of the fixture, returning the id it returns if any.
func (h *handlingFixture) sqlID(q string, args ...any) int64 {
	h.t.Helper()
	var id int64
	if err := h.db.Get(&id, q, args...); err != nil {
		h.t.Fatalf("%v\n%s", err, q)
	}
	return id
}

func (h *handlingFixture) section(name string, head int64) int64 {
	return h.sqlID(`INSERT INTO sections (unit_id, name, head_user_id) VALUES ($1, $2, $3) RETURNING id`, h.q1clerk.UnitID, name, head)
}

// task adds a task: for a section (section != 0) or a person.
func (h *handlingFixture) task(delivery int64, parent int64, role string, section, user int64, due string, by int64) int64 {
	var sec, usr, par, dueP any
	if section != 0 {
		sec = section
	}
	if user != 0 {
		usr = user
	}
	if parent != 0 {
		par = parent
	}
	if due != "" {
		dueP = due
	}
	return h.sqlID(`INSERT INTO delivery_tasks (delivery_id, parent_id, role, section_id, user_id, due_date, assigned_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, delivery, par, role, sec, usr, dueP, by)
}

func (h *handlingFixture) entry(delivery, task int64, kind string, author int64, body string) {
	var tk any
	if task != 0 {
		tk = task
	}
	h.sqlID(`INSERT INTO delivery_entries (delivery_id, task_id, kind, author_id, body) VALUES ($1, $2, $3, $4, $5) RETURNING id`, delivery, tk, kind, author, body)
}

func (h *handlingFixture) done(task int64, at time.Time) {
	h.sqlID(`UPDATE delivery_tasks SET state = 'done', done_at = $2 WHERE id = $1 RETURNING id`, task, at)
}

func TestSlipAndFollowUpRegister(t *testing.T) {
	h := newHandlingFixture(t)
	d := h.received()
	primary := h.section("Tổ Giáo dục tiểu học", h.q1lead.UserID)
	h.sqlID(`UPDATE deliveries SET presented_to = $2, presented_at = now(), directed_by = $2, directed_at = now(),
		opinion = 'Giao Tổ Giáo dục tiểu học chủ trì triển khai', task_due = '2026-12-28', status = '04' WHERE id = $1 RETURNING id`, d.ID, h.q1lead.UserID)
	lead := h.task(d.ID, 0, routing.TaskLead, primary, 0, "2026-12-20", h.q1lead.UserID)
	h.task(d.ID, 0, routing.TaskCoordinate, 0, h.q1clerk.UserID, "", h.q1lead.UserID)
	handler := h.task(d.ID, lead, routing.TaskLead, 0, h.q1clerk.UserID, "2026-12-18", h.q1lead.UserID)
	h.entry(d.ID, handler, "assign", h.q1lead.UserID, "Đồng chí Ánh soạn văn bản triển khai")
	h.entry(d.ID, handler, "proposal", h.q1clerk.UserID, "Đề nghị gửi kế hoạch đến các trường tiểu học")

	sl, err := h.rt.Slip(h.ctx, h.q1clerk, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := registers.SlipPDF(&b, sl); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		testenv.Missing(t, "pdftotext")
	}
	file := filepath.Join(t.TempDir(), "slip.pdf")
	os.WriteFile(file, b.Bytes(), 0o600)
	out, err := exec.Command("pdftotext", file, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	for _, want := range []string{"PHIẾU GIẢI QUYẾT VĂN BẢN ĐẾN", "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO QUẬN 1", *d.NumberSymbol, "Số đến: 01",
		"Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh", "Giao Tổ Giáo dục tiểu học chủ trì triển khai",
		"Tổ Giáo dục tiểu học (hạn 20/12/2026)", h.q1clerk.FullName, h.q1lead.FullName, "Đồng chí Ánh soạn văn bản triển khai",
		h.q1clerk.FullName + " (hạn 18/12/2026)", "Thời hạn giải quyết: 28/12/2026", "Đề nghị gửi kế hoạch đến các trường tiểu học"} {
		if !strings.Contains(text, want) {
			t.Errorf("the slip lacks %q:\n%s", want, text)
		}
	}
	// Only those who see the delivery get its slip.
	if _, err := h.rt.Slip(h.ctx, h.who("vanthu.thcs1"), d.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("another unit's slip: %v", err)
	}

	// The follow-up register.
	from, to, err := routing.ParsePeriod("2026-01-01", "2026-12-31", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	fu, err := h.rt.FollowUpRegister(h.ctx, h.q1clerk, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(fu.Rows) != 1 {
		t.Fatalf("rows = %+v", fu.Rows)
	}
	b.Reset()
	if err := registers.WriteFollowUpCSV(&b, fu.Rows); err != nil {
		t.Fatal(err)
	}
	csv := b.String()
	if !strings.HasPrefix(csv, "\uFEFFSố đến,") {
		t.Fatalf("no BOM or heading:\n%s", csv)
	}
	for _, want := range []string{"01,Kế hoạch số " + *d.NumberSymbol, "Tổ Giáo dục tiểu học (" + h.q1clerk.FullName + "); phối hợp: " + h.q1clerk.FullName,
		"20/12/2026", "Chưa giải quyết"} {
		if !strings.Contains(csv, want) {
			t.Errorf("the register lacks %q:\n%s", want, csv)
		}
	}
	h.done(lead, time.Date(2026, 12, 19, 10, 0, 0, 0, domain.VietnamTime))
	fu, _ = h.rt.FollowUpRegister(h.ctx, h.q1clerk, from, to)
	if got := fu.Rows[0].Progress; got != "Hoàn thành ngày 19/12/2026, đúng hạn" {
		t.Fatalf("progress = %q", got)
	}
	if _, err := h.rt.FollowUpRegister(h.ctx, h.who("vanthu.q1"), from, to); err != nil {
		t.Fatal(err)
	}
	staff := h.who("chuyenvien.sgd")
	if _, err := h.rt.FollowUpRegister(h.ctx, staff, from, to); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("staff reading the register: %v", err)
	}
}

// TestHandlingStatsAcrossMidnight: on time is done by the deadline's day in
// Vietnam; a task open at 23:59 of that day is in progress, at 00:00 overdue.
func TestHandlingStatsAcrossMidnight(t *testing.T) {
	h := newHandlingFixture(t)
	sec := h.section("Tổ Giáo dục tiểu học", h.q1lead.UserID)
	var ds []routing.Delivery
	for range 5 {
		ds = append(ds, h.received())
	}
	vn := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04:05", s, domain.VietnamTime)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	onTime := h.task(ds[0].ID, 0, routing.TaskLead, sec, 0, "2026-12-10", h.q1lead.UserID)
	h.done(onTime, vn("2026-12-10 23:59:59"))
	late := h.task(ds[1].ID, 0, routing.TaskLead, sec, 0, "2026-12-10", h.q1lead.UserID)
	h.done(late, vn("2026-12-11 00:00:00"))
	h.task(ds[2].ID, 0, routing.TaskLead, 0, h.q1clerk.UserID, "2026-12-10", h.q1lead.UserID)
	h.task(ds[2].ID, 0, routing.TaskInform, sec, 0, "", h.q1lead.UserID)
	h.sqlID(`UPDATE deliveries SET filed_at = now() WHERE id = $1 RETURNING id`, ds[3].ID)
	// ds[4]: handled the old way, done late by its status.
	h.sqlID(`UPDATE deliveries SET status = '06', task_due = '2026-12-09', done_at = $2 WHERE id = $1 RETURNING id`, ds[4].ID, vn("2026-12-10 08:00:00"))

	from, to, _ := routing.ParsePeriod("2026-01-01", "2026-12-31", time.Now())
	stats := func(clock string) map[string]routing.HandlingStat {
		t.Helper()
		h.rt.SetClock(func() time.Time { return vn(clock) })
		rows, err := h.rt.HandlingStats(h.ctx, h.q1lead, from, to)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]routing.HandlingStat{}
		for _, r := range rows {
			m[r.Level+":"+r.Name] = r
		}
		return m
	}
	m := stats("2026-12-10 23:59:00")
	unit := m["unit:Phòng Giáo dục và Đào tạo Quận 1"]
	want := routing.HandlingStat{Level: "unit", ID: h.q1clerk.UnitID, Name: unit.Name, Received: 5, InProgress: 1, OnTime: 1, Late: 2, Overdue: 0, Filed: 1}
	if unit != want {
		t.Fatalf("before midnight, unit = %+v, want %+v", unit, want)
	}
	if s := m["section:Tổ Giáo dục tiểu học"]; s.Received != 3 || s.OnTime != 1 || s.Late != 1 || s.Filed != 1 || s.InProgress != 0 {
		t.Fatalf("section = %+v", s)
	}
	if p := m["person:"+h.q1clerk.FullName]; p.Received != 1 || p.InProgress != 1 || p.Overdue != 0 {
		t.Fatalf("person before midnight = %+v", p)
	}
	m = stats("2026-12-11 00:00:00")
	if u := m["unit:Phòng Giáo dục và Đào tạo Quận 1"]; u.InProgress != 0 || u.Overdue != 1 {
		t.Fatalf("after midnight, unit = %+v", u)
	}
	if p := m["person:"+h.q1clerk.FullName]; p.InProgress != 0 || p.Overdue != 1 {
		t.Fatalf("person after midnight = %+v", p)
	}
	// Staff see only their own lines.
	rows, err := h.rt.HandlingStats(h.ctx, h.who("chuyenvien.sgd"), from, to)
	if err != nil || len(rows) != 0 {
		t.Fatalf("staff of another unit: %v %v", rows, err)
	}

	// The 98% figure: judged by the lead task where there is one, by the
	// status otherwise (ds[4]); ds[2] counts once its deadline passed.
	ind := func(clock string) routing.Indicator {
		t.Helper()
		h.rt.SetClock(func() time.Time { return vn(clock) })
		rows, err := h.rt.Indicators(h.ctx, h.q1clerk, "2026-12", "2026-12")
		if err != nil {
			t.Fatal(err)
		}
		return routing.Totals(rows)
	}
	if i := ind("2026-12-10 23:59:00"); i.CasesDue != 3 || i.CasesOnTime != 1 {
		t.Fatalf("before midnight: %d on time of %d, want 1 of 3", i.CasesOnTime, i.CasesDue)
	}
	if i := ind("2026-12-11 00:00:00"); i.CasesDue != 4 || i.CasesOnTime != 1 {
		t.Fatalf("after midnight: %d on time of %d, want 1 of 4", i.CasesOnTime, i.CasesDue)
	}
}

func TestDistrictBoardAndReminder(t *testing.T) {
	h := newHandlingFixture(t)
	clerk := h.who("vanthu.sgd")
	q1 := h.unit("000.01.24.H29")
	doc := h.document(clerk, "yes", "thuong")
	res := h.issue(clerk, doc.ID, routing.Recipients{Groups: []string{"district:" + strconv.FormatInt(q1.ID, 10)}}, "")
	if res.Delivered != 3 {
		t.Fatalf("delivered to %d schools", res.Delivered)
	}
	thcs := h.who("vanthu.thcs1")
	// Ten days ago, and no school accepted yet: every one is late.
	h.db.MustExec(`UPDATE deliveries SET arrived_at = now() - interval '10 days' WHERE document_id = $1`, doc.ID)

	b, err := h.rt.District(h.ctx, h.q1clerk, 0, "2026-01", "2026-12")
	if err != nil {
		t.Fatal(err)
	}
	if b.Schools != 3 || len(b.Documents) != 1 || b.Documents[0].ReceiptOverdue != 3 || b.Laggards != 3 {
		t.Fatalf("board = %+v", b)
	}
	var names []string
	for _, d := range b.Documents[0].Laggards() {
		names = append(names, d.RecipientName)
	}
	if !strings.Contains(strings.Join(names, ";"), "Trường THCS Văn Lang") {
		t.Fatalf("laggards = %v", names)
	}
	r, err := h.rt.RemindLaggards(h.ctx, h.q1lead, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Notified != 1 || r.Deliveries != 1 || r.NoClerk != 2 {
		t.Fatalf("reminder = %+v", r)
	}
	r, err = h.rt.RemindLaggards(h.ctx, h.q1clerk, 0, doc.ID) // a double click
	if err != nil || r.Notified != 0 || r.Skipped != 1 {
		t.Fatalf("second reminder = %+v, %v", r, err)
	}
	var n int
	h.db.Get(&n, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'district.remind'`, thcs.UserID)
	if n != 1 {
		t.Fatalf("the school's clerk got %d reminders, want 1", n)
	}
	h.db.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'district.remind'`)
	if n != 1 {
		t.Fatalf("%d reminders in the audit log, want 1", n)
	}
	// Once accepted, the school is no longer late.
	if _, err := h.rt.Accept(h.ctx, thcs, h.inboxOf(thcs, doc.ID).ID); err != nil {
		t.Fatal(err)
	}
	b, _ = h.rt.District(h.ctx, h.q1clerk, 0, "2026-01", "2026-12")
	if b.Documents[0].Accepted != 1 || b.Laggards != 2 {
		t.Fatalf("after acceptance: %+v", b.Documents[0])
	}
	if len(b.Indicators) == 0 {
		t.Fatalf("no indicators for the schools")
	}
	// A document the office relayed to its schools joins the board.
	d := h.received()
	if _, err := h.rt.Relay(h.ctx, h.q1clerk, d.ID, routing.IssueRequest{Recipients: routing.Recipients{Groups: []string{"district:" + strconv.FormatInt(q1.ID, 10)}}}); err != nil {
		t.Fatal(err)
	}
	b, _ = h.rt.District(h.ctx, h.q1clerk, 0, "2026-01", "2026-12")
	if len(b.Documents) != 2 || !b.Documents[0].Relayed || b.Documents[0].Total != 3 || b.Documents[0].DocumentID != d.DocumentID {
		t.Fatalf("after a relay: %+v", b.Documents)
	}
	// The department sees any district's board; a school and another
	// district's office see none.
	if _, err := h.rt.District(h.ctx, clerk, q1.ID, "2026-01", "2026-12"); err != nil {
		t.Fatal(err)
	}
	for _, who := range []auth.Principal{thcs, h.who("chuyenvien.sgd")} {
		if _, err := h.rt.District(h.ctx, who, q1.ID, "2026-01", "2026-12"); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("%s: %v", who.Username, err)
		}
	}
	if _, err := h.rt.District(h.ctx, thcs, 0, "2026-01", "2026-12"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("a school's own board: %v", err)
	}
	if _, err := h.rt.RemindLaggards(h.ctx, thcs, q1.ID, 0); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("a school reminding: %v", err)
	}
}
