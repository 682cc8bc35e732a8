package server

import (
	"context"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/notify"
)

// runTextJobs runs the queued text extractions (the service runs them in
// a worker of their own).
func runTextJobs(e *testEnv) {
	e.t.Helper()
	w := notify.NewWorker(e.db, "test-text", e.docs.TextHandlers(), notify.WorkerOptions{Logger: e.log})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for range 20 {
		n, err := w.RunOnce(ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// TestE2EBrowserIncoming is issue 15's "done when", in a real headless
// Chromium with the real PostgreSQL, S3 server, pdftotext and Tesseract:
//  1. the department's clerk issues the 206 plan to the Quận 1 office and
//     two of its schools;
//  2. Quận 1's clerk accepts it and presents it to the head in one step;
//  3. the head directs it to the primary-education section, with the
//     planning-and-finance section coordinating and a deadline;
//  4. the section's head gives it to a specialist;
//  5. the specialist writes a proposal and reports done with an
//     answering document: the delivery is done;
//  6. the processing slip prints with the direction, the handler and the
//     proposal;
//  7. the school and the district office each find the plan by a phrase
//     of its page 3 typed without accents;
//  8. the school's clerk receives a scanned paper letter, found by a word
//     inside it once OCR has read it;
//  9. the district office's board shows the school that has not accepted
//     the plan for days, and one click reminds it.
func TestE2EBrowserIncoming(t *testing.T) {
	testenv.RequireOCR(t)
	env := newEnv(t, envOptions{signing: true})
	doc := env.issuable(t, nil) // the 206 plan, signed and registered
	const title = "Kế hoạch cải cách hành chính năm 2021"
	q1, school, late := webUnitID(env, codeQ1Office), webUnitID(env, codeTHCSVL), webUnitID(env, "002.01.24.H29")
	userID := func(username string) int64 {
		var id int64
		if err := env.db.Get(&id, `SELECT id FROM users WHERE username = $1`, username); err != nil {
			t.Fatalf("user %s: %v", username, err)
		}
		return id
	}
	leader, head, handler, planner := userID("truongphong.q1"), userID("phutrach.q1"), userID("chuyenvienth.q1"), userID("chuyenvienkh.q1")
	// Quận 1's sections, as seed-demo's import makes them (the harness
	// seeds the accounts alone).
	section := func(name string, headID int64, members ...int64) int64 {
		var id int64
		if err := env.db.Get(&id, `INSERT INTO sections (unit_id, name, head_user_id) VALUES ($1, $2, $3) RETURNING id`, q1, name, headID); err != nil {
			t.Fatal(err)
		}
		for _, m := range members {
			env.db.MustExec(`UPDATE users SET section_id = $1 WHERE id = $2`, id, m)
		}
		return id
	}
	primary := section("Bộ phận Giáo dục Tiểu học", head, head, handler)
	finance := section("Bộ phận Kế hoạch - Tài chính", planner, planner)
	due := time.Now().In(domain.VietnamTime).AddDate(0, 0, 14).Format(time.DateOnly)

	br := newE2EBrowser(t, env.baseURL, 600*time.Second)
	ctx, must, find := br.ctx, br.must, br.find
	navigate, waitText := br.navigate, br.waitText
	began := time.Now()
	step := func(name string) { t.Logf("%5.1fs %s", time.Since(began).Seconds(), name) }
	login, logout, click, choose := br.login, br.logout, br.click, br.choose
	search := func(words string) {
		t.Helper()
		navigate("/search")
		must("type the search", chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("search-q"), words)))
		click("search "+words, "#search-submit")
	}

	// (1) The department's clerk issues the plan to Quận 1 and two of its schools.
	step("(1)")
	login("vanthu.sgd")
	navigate(fmt.Sprintf("/documents/%d", doc.ID))
	waitText("#issue-form", "Nơi nhận")
	for _, id := range []int64{q1, school, late} {
		must("choose a unit", chromedp.Do(ctx, chromedp.Click(chromedp.ID(fmt.Sprintf("issue-unit-%d", id)))))
	}
	must("the deadline", chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("issue-due"), due)))
	click("issue", "#issue-button")
	click("confirm the issue", "#confirm-button")
	waitText(".flash", "Đã phát hành văn bản đến 3 đơn vị")
	logout()
	runWebJobs(env)
	var delivery int64
	if err := env.db.Get(&delivery, `SELECT id FROM deliveries WHERE document_id = $1 AND recipient_unit_id = $2`, doc.ID, q1); err != nil {
		t.Fatal(err)
	}
	deliveryPath := fmt.Sprintf("/inbox/%d", delivery)
	// Trường Tiểu học Trần Hưng Đạo has left it unaccepted for a week.
	env.db.MustExec(`UPDATE deliveries SET arrived_at = arrived_at - interval '7 days' WHERE document_id = $1 AND recipient_unit_id = $2`, doc.ID, late)

	// (2) Quận 1's clerk accepts it and presents it to the head in one step.
	step("(2)")
	login("vanthu.q1")
	navigate("/inbox?tab=work")
	waitText("#inbox", title)
	click("open the delivery", "#inbox .title-cell a")
	choose("#accept-present-to", fmt.Sprint(leader))
	click("accept and present", "#accept-present-button")
	waitText("#incoming-number", "1")
	waitText("#presented-to", "Võ Minh Quân")
	logout()

	// (3) The head directs it: the primary section leads, the finance
	// section coordinates, a deadline.
	step("(3)")
	login("truongphong.q1")
	navigate("/inbox?tab=work")
	waitText("#inbox", title)
	navigate(deliveryPath)
	const direction = "Giao Bộ phận Giáo dục Tiểu học chủ trì triển khai; Bộ phận Kế hoạch - Tài chính phối hợp bố trí kinh phí."
	// Each section is offered with its head, who will receive the task.
	if _, offered := find("#direct-lead"); !strings.Contains(offered, "Bộ phận Giáo dục Tiểu học · Trần Quốc Bảo") {
		t.Errorf("the lead's choices do not name the section's head:\n%s", offered)
	}
	must("write the direction", chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("direct-opinion"), direction)))
	choose("#direct-lead", fmt.Sprintf("s:%d", primary))
	choose("#direct-coordinators", fmt.Sprintf("s:%d", finance))
	must("the deadline", chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("direct-due"), due)))
	click("direct", "#direct-button")
	waitText("#delivery-state", "Đã phân công")
	waitText("#opinion", "chủ trì triển khai")
	waitText("#tasks", "Bộ phận Giáo dục Tiểu học")
	waitText("#tasks", "Bộ phận Kế hoạch - Tài chính")
	logout()

	// (4) The section's head gives the section's task to the specialist.
	step("(4)")
	var leadTask int64
	if err := env.db.Get(&leadTask, `SELECT id FROM delivery_tasks WHERE delivery_id = $1 AND role = 'lead' AND state <> 'cancelled'`, delivery); err != nil {
		t.Fatal(err)
	}
	login("phutrach.q1")
	navigate("/inbox?tab=work")
	waitText("#inbox", title)
	navigate(deliveryPath)
	choose(fmt.Sprintf("#task-%d-users", leadTask), fmt.Sprint(handler))
	click("assign the handler", fmt.Sprintf("#task-%d-assign-button", leadTask))
	waitText("#tasks", "Nguyễn Thị Lan")
	logout()

	// (5) The specialist proposes, then reports done with the answer, a
	// document of Quận 1.
	step("(5)")
	var mine int64
	if err := env.db.Get(&mine, `SELECT id FROM delivery_tasks WHERE parent_id = $1 AND user_id = $2`, leadTask, handler); err != nil {
		t.Fatal(err)
	}
	answerFields := validFields()
	answerFields["doc_type"], answerFields["title"] = "BC", "Báo cáo triển khai kế hoạch cải cách hành chính tại các trường tiểu học"
	answer := env.create(t, env.login("chuyenvienth.q1"), answerFields, "Báo cáo triển khai.pdf", fixturePDF(t))
	login("chuyenvienth.q1")
	navigate("/inbox?tab=work")
	waitText("#inbox", title)
	navigate(deliveryPath)
	const proposal = "Đề xuất tổ chức tập huấn cho hiệu trưởng các trường tiểu học trong tháng 12."
	choose(fmt.Sprintf("#task-%d-kind", mine), "proposal")
	must("write the proposal", chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID(fmt.Sprintf("task-%d-body", mine)), proposal)))
	click("record the proposal", fmt.Sprintf("#task-%d-entry-button", mine))
	waitText("#trail", "tập huấn cho hiệu trưởng")
	choose(fmt.Sprintf("#task-%d-response", mine), fmt.Sprint(answer.ID))
	click("report done", fmt.Sprintf("#task-%d-done-button", mine))
	waitText("#delivery-state", "Hoàn thành")
	logout()

	// (6) The head prints the processing slip.
	step("(6)")
	login("truongphong.q1")
	navigate(deliveryPath)
	waitText("#slip-pdf", "In phiếu giải quyết văn bản đến")
	b64, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => {
		const r = await fetch(document.getElementById("slip-pdf").href);
		if (!r.ok || r.headers.get("Content-Type") !== "application/pdf") return "status " + r.status + " " + r.headers.get("Content-Type");
		const b = new Uint8Array(await r.arrayBuffer()); let s = "";
		for (const c of b) s += String.fromCharCode(c);
		return btoa(s); })()`, chromedp.EvalAwaitPromise))
	must("fetch the slip", err)
	slip, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatalf("the slip: %s", b64)
	}
	text := oneLine(pdfText(t, slip))
	for _, want := range []string{"PHIẾU GIẢI QUYẾT VĂN BẢN ĐẾN", "Ý kiến của lãnh đạo", "chủ trì triển khai", "Bộ phận Kế hoạch - Tài chính",
		"Nguyễn Thị Lan", "tập huấn cho hiệu trưởng", title} {
		if !strings.Contains(text, want) {
			t.Errorf("the slip lacks %q:\n%s", want, text)
		}
	}
	logout()

	// (7) The school and the district office find the plan by a phrase of
	// its page 3, typed without accents.
	step("(7)")
	runTextJobs(env)
	for _, who := range []string{"vanthu.thcs1", "vanthu.q1"} {
		login(who)
		search("long ghep cac giai phap the che")
		waitText("#search-results", title)
		snippet, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(
			`(() => { const e = document.querySelector("#hit-%d .snippet"); return e ? e.innerHTML : ""; })()`, doc.ID)))
		must("read the snippet", err)
		if !strings.Contains(snippet, "<mark>lồng</mark> <mark>ghép</mark> <mark>các</mark> <mark>giải</mark> <mark>pháp</mark>") {
			t.Errorf("%s: the snippet does not show the phrase, marked, with its accents:\n%s", who, snippet)
		}
		logout()
	}

	// (8) The school's clerk receives a scanned paper letter; OCR makes it
	// findable by a word inside it.
	step("(8)")
	const letter = "Thư mời tham dự buổi lễ của Hội Khuyến học phường"
	scan, err := filepath.Abs("../../testdata/scanned-letter.pdf")
	must("the scan's path", err)
	login("vanthu.thcs1")
	navigate("/inbox")
	click("open the paper form", "#paper-link")
	must("fill the paper form", chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("paper-from"), "Hội Khuyến học phường Bến Nghé"),
		chromedp.SetValue(chromedp.ID("paper-doc-type"), "GM"),
		chromedp.SendKeys(chromedp.ID("paper-number"), "12"),
		chromedp.SendKeys(chromedp.ID("paper-symbol"), "GM-HKH"),
		chromedp.SetValue(chromedp.ID("paper-doc-date"), "2026-11-20"),
		chromedp.SendKeys(chromedp.ID("paper-title"), letter),
		chromedp.SetUploadFiles(`#paper-file`, []string{scan}),
	))
	click("receive the paper letter", "#paper-submit")
	waitText(".flash", "Đã tiếp nhận văn bản giấy")
	runTextJobs(env)
	search("trao hoc bong") // only in the scan: not in what the clerk typed
	waitText("#search-results", letter)
	logout()

	// (9) The district office's board: the late school, reminded at once.
	step("(9)")
	login("vanthu.q1")
	click("open the district board", "#nav-district")
	waitText("#district-documents", title)
	_, laggards := find("#district-documents .laggards")
	if !strings.Contains(laggards, "Trường Tiểu học Trần Hưng Đạo") || strings.Contains(laggards, "Trường THCS Văn Lang") {
		t.Errorf("late schools on the board: %q, want Trần Hưng Đạo alone", laggards)
	}
	click("remind every late school", "#remind-all")
	// The school has no clerk's account yet: the office is told so.
	waitText(".flash", "Đã nhắc 0 trường chậm")
	waitText(".flash", "1 văn bản chậm ở trường chưa có tài khoản văn thư")
	lateClerk, err := auth.NewService(env.db, time.Hour).CreateUser(context.Background(), auth.NewUser{Username: "vanthu.thhd",
		FullName: "Lý Thị Hồng", Position: "Văn thư", UnitID: late, Roles: []string{auth.RoleClerk}, Password: testPassword})
	must("the school's clerk", err)
	click("remind every late school", "#remind-all")
	waitText(".flash", "Đã nhắc 1 trường chậm (1 thông báo đến văn thư)")
	var reminders int
	must("count the reminders", env.db.Get(&reminders, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'district.remind'`, lateClerk))
	if reminders != 1 {
		t.Errorf("the late school's clerk has %d reminders, want 1", reminders)
	}
	// A second click within the hour sends nothing more.
	click("remind again", "#remind-all")
	waitText(".flash", "đã được nhắc trong vòng một giờ qua")
	logout()
}
