package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
)

// TestWebHandlingForms follows a document through the handling forms of
// the delivery page: the Quận 1 clerk accepts and presents it in one step,
// the leader directs it to a section with a coordinator and a deadline
// (a section of another unit and a past deadline refused), the section's
// head gives it to a handler, who reports progress and done; each finds it
// under "Việc của tôi"; the page shows the tasks and the trail.
func TestWebHandlingForms(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	ctx := context.Background()
	users := auth.NewService(e.db, time.Hour)
	q1 := webUnitID(e, codeQ1Office)
	newUser := func(username, name string) int64 {
		id, err := users.CreateUser(ctx, auth.NewUser{Username: username, FullName: name, Position: "Chuyên viên", UnitID: q1,
			Roles: []string{auth.RoleStaff}, Password: testPassword})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	headID, staffID := newUser("totruong.q1", "Trần Thị Tổ Trưởng"), newUser("chuyenvien.q1", "Ngô Văn Chuyên")
	var plan, foreign int64
	e.db.Get(&plan, `INSERT INTO sections (unit_id, name, head_user_id) VALUES ($1, 'Tổ Kế hoạch', $2) RETURNING id`, q1, headID)
	e.db.MustExec(`UPDATE users SET section_id = $1 WHERE id IN ($2, $3)`, plan, headID, staffID)
	e.db.Get(&foreign, `INSERT INTO sections (unit_id, name) VALUES ($1, 'Văn phòng Sở') RETURNING id`, webUnitID(e, "000.00.24.H29"))
	var leaderID, clerkID int64
	e.db.Get(&leaderID, `SELECT id FROM users WHERE username = 'truongphong.q1'`)
	e.db.Get(&clerkID, `SELECT id FROM users WHERE username = 'vanthu.q1'`)

	// The department issues an urgent document to Quận 1.
	sgd := newBrowser(t, e)
	sgd.login("vanthu.sgd")
	f := validFields()
	f["urgency"] = "khan"
	doc := e.issuable(t, f)
	docPath := "/documents/" + fmt.Sprint(doc.ID)
	_, page, _ := sgd.get(docPath)
	if status, _, _ := sgd.postForm(docPath+"/issue", url.Values{"_csrf": {csrfOf(t, page)}, "unit": {fmt.Sprint(q1)},
		"idempotency_key": {idempotencyRE.FindStringSubmatch(page)[1]}}, ""); status != http.StatusSeeOther {
		t.Fatalf("issue: %d", status)
	}

	// The clerk: in "Việc của tôi", accepted and presented in one step.
	clerk := newBrowser(t, e)
	clerk.login("vanthu.q1")
	_, page, _ = clerk.get("/inbox?tab=work")
	if !strings.Contains(page, `id="tab-work"`) || !strings.Contains(page, "Việc của tôi") {
		t.Fatal("no work tab")
	}
	dl := deliveryIn(t, page)
	path := "/inbox/" + dl
	_, page, _ = clerk.get(path)
	if !strings.Contains(page, `id="accept-present-button"`) || !strings.Contains(page, `id="accept-present-to"`) || !strings.Contains(page, "Võ Minh Quân") {
		t.Fatal("an urgent document is not offered 'Tiếp nhận và trình'")
	}
	csrf := csrfOf(t, page)
	if status, page, _ := clerk.postForm(path+"/accept", url.Values{"_csrf": {csrf}, "present": {"1"}}, ""); status != 422 || !strings.Contains(page, "chọn lãnh đạo để trình") {
		t.Errorf("accept and present with no leader: %d", status)
	}
	if status, page, _ := clerk.postForm(path+"/accept", url.Values{"_csrf": {csrf}, "present": {"1"}, "present_to": {fmt.Sprint(staffID)}}, ""); status != 422 ||
		!strings.Contains(page, "Lãnh đạo được trình: phải là lãnh đạo") || !strings.Contains(page, `id="accept-button"`) {
		t.Errorf("accept and present to someone not a leader: %d; want the message, nothing accepted", status)
	}
	status, _, h := clerk.postForm(path+"/accept", url.Values{"_csrf": {csrf}, "present": {"1"}, "present_to": {fmt.Sprint(leaderID)}}, "")
	if status != http.StatusSeeOther || h.Get("Location") != path+"?done=accepted-presented" {
		t.Fatalf("accept and present: %d to %q", status, h.Get("Location"))
	}
	_, page, _ = clerk.get(path)
	if !strings.Contains(page, `id="presented-to">Võ Minh Quân`) || !strings.Contains(page, `id="trail"`) || !strings.Contains(page, "Trình lãnh đạo") {
		t.Error("after presenting: the leader presented to or the trail is missing")
	}
	if _, page, _ := clerk.get("/inbox?tab=work"); strings.Contains(page, path) {
		t.Error("a presented document is still in the clerk's work list")
	}

	// The leader: in his work list; bad directions come back with the
	// field named and what was typed.
	leader := newBrowser(t, e)
	leader.login("truongphong.q1")
	_, page, _ = leader.get("/inbox?tab=work")
	if !strings.Contains(page, path) {
		t.Fatal("the presented document is not in the leader's work list")
	}
	_, page, _ = leader.get(path)
	if !strings.Contains(page, `id="direct-form"`) || !strings.Contains(page, `value="s:`+fmt.Sprint(plan)+`"`) || strings.Contains(page, "Văn phòng Sở") {
		t.Fatal("the direction form lacks the unit's section, or offers another unit's")
	}
	csrf = csrfOf(t, page)
	due := time.Now().In(domain.VietnamTime).AddDate(0, 0, 10).Format(time.DateOnly)
	form := url.Values{"_csrf": {csrf}, "opinion": {"Tổ Kế hoạch chủ trì"}, "lead": {fmt.Sprintf("s:%d", foreign)}, "due": {due}}
	status, page, _ = leader.postForm(path+"/direct", form, "")
	if status != 422 || !strings.Contains(page, "Chủ trì: phòng, tổ phải thuộc đơn vị") || !strings.Contains(page, ">Tổ Kế hoạch chủ trì</textarea>") {
		t.Errorf("a section of another unit: %d", status)
	}
	form.Set("lead", fmt.Sprintf("s:%d", plan))
	form.Set("due", "2020-01-01")
	form["coordinators"] = []string{fmt.Sprintf("u:%d", clerkID)}
	if status, page, _ := leader.postForm(path+"/direct", form, ""); status != 422 || !strings.Contains(page, "Hạn xử lý: hạn xử lý không được trước hôm nay") {
		t.Errorf("a past deadline: %d", status)
	} else if !strings.Contains(page, fmt.Sprintf(`value="u:%d" selected`, clerkID)) {
		t.Error("the refused direction lost the chosen coordinator")
	}
	form.Set("due", due)
	status, _, h = leader.postForm(path+"/direct", form, "")
	if status != http.StatusSeeOther || h.Get("Location") != path+"?done=directed" {
		t.Fatalf("direct: %d to %q", status, h.Get("Location"))
	}
	_, page, _ = leader.get(h.Get("Location"))
	if !strings.Contains(page, "Đã giao xử lý") || !strings.Contains(page, `id="tasks"`) || !strings.Contains(page, "Tổ Kế hoạch") ||
		!strings.Contains(page, "Phối hợp") || !strings.Contains(page, `id="opinion">Tổ Kế hoạch chủ trì`) || !strings.Contains(page, `id="remind-button"`) {
		t.Error("after directing: the message, the tasks, the opinion or the reminder is missing")
	}
	var leadTask int64
	e.db.Get(&leadTask, `SELECT id FROM delivery_tasks WHERE role = 'lead'`)
	lt := fmt.Sprint(leadTask)

	// The section's head gives it to a handler.
	head := newBrowser(t, e)
	head.login("totruong.q1")
	_, page, _ = head.get("/inbox?tab=work")
	if !strings.Contains(page, path) {
		t.Fatal("the section's task is not in its head's work list")
	}
	_, page, _ = head.get(path)
	if !strings.Contains(page, `id="task-`+lt+`-assign-form"`) || !strings.Contains(page, "Ngô Văn Chuyên") {
		t.Fatal("the head is not offered to give the task to the section's people")
	}
	status, _, h = head.postForm(path+"/tasks/"+lt+"/assign", url.Values{"_csrf": {csrfOf(t, page)}, "user_id": {fmt.Sprint(staffID)}, "due": {due}}, "")
	if status != http.StatusSeeOther || h.Get("Location") != path+"?done=task-assigned" {
		t.Fatalf("give the task: %d to %q", status, h.Get("Location"))
	}

	// The handler reports progress, then done; the delivery is done.
	staff := newBrowser(t, e)
	staff.login("chuyenvien.q1")
	_, page, _ = staff.get("/inbox?tab=work")
	if !strings.Contains(page, path) {
		t.Fatal("the handler's task is not in the work list")
	}
	var handlerTask int64
	e.db.Get(&handlerTask, `SELECT id FROM delivery_tasks WHERE parent_id = $1`, leadTask)
	ht := fmt.Sprint(handlerTask)
	_, page, _ = staff.get(path)
	if !strings.Contains(page, `id="task-`+ht+`-entry-button"`) || strings.Contains(page, `id="task-`+lt+`-entry-button"`) {
		t.Fatal("the handler is not offered his own task's forms only")
	}
	csrf = csrfOf(t, page)
	if status, page, _ := staff.postForm(path+"/tasks/"+ht+"/entries", url.Values{"_csrf": {csrf}, "kind": {"progress"}, "body": {""}}, ""); status != 422 || !strings.Contains(page, "Nội dung: không được để trống") {
		t.Errorf("an empty progress report: %d", status)
	}
	if status, _, _ := staff.postForm(path+"/tasks/"+ht+"/entries", url.Values{"_csrf": {csrf}, "kind": {"progress"}, "body": {"Đã soạn dự thảo"}}, ""); status != http.StatusSeeOther {
		t.Fatalf("progress: %d", status)
	}
	_, page, _ = staff.get(path)
	if !strings.Contains(page, `id="delivery-state">Đang xử lý`) || !strings.Contains(page, "Đã soạn dự thảo") {
		t.Error("after the first progress the delivery is not in progress, or the report is not on the trail")
	}
	if status, _, _ := staff.postForm(path+"/tasks/"+lt+"/done", url.Values{"_csrf": {csrf}}, ""); status != http.StatusForbidden {
		t.Errorf("the handler marking the section's task done: %d, want 403", status)
	}
	if status, _, _ := staff.postForm(path+"/tasks/"+ht+"/done", url.Values{"_csrf": {csrf}, "note": {"Xong"}}, ""); status != http.StatusSeeOther {
		t.Fatalf("done: %d", status)
	}

	// The leader's one page: the state, every task, the whole trail.
	_, page, _ = leader.get(path)
	if !strings.Contains(page, `id="delivery-state">Hoàn thành`) || !strings.Contains(page, `id="task-`+lt+`-reopen-button"`) {
		t.Error("the leader does not see the delivery done, or cannot reopen the lead task")
	}
	for _, step := range []string{"Tiếp nhận", "Trình lãnh đạo", "Chỉ đạo, giao xử lý", "Giao người xử lý", "Báo tiến độ", "Hoàn thành"} {
		if !strings.Contains(page, `<td data-label="Bước">`+step+`</td>`) {
			t.Errorf("the trail lacks %q", step)
		}
	}
	// Another unit cannot direct it.
	other := newBrowser(t, e)
	other.login("vanthu.thcs1")
	_, opage, _ := other.get("/inbox")
	if status, _, _ := other.postForm(path+"/direct", url.Values{"_csrf": {csrfOf(t, opage)}, "lead": {fmt.Sprintf("s:%d", plan)}}, ""); status != http.StatusNotFound {
		t.Errorf("another unit directs: %d, want 404", status)
	}
}
