package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/notify"
)

// Demo units the routing tests send to.
const (
	codeQ1Office = "000.01.24.H29" // Phòng Giáo dục và Đào tạo Quận 1
	codeTHCSVL   = "001.01.24.H29" // Trường THCS Văn Lang, under Quận 1
)

// webUnitID is the id of a demo unit.
func webUnitID(e *testEnv, code string) int64 {
	e.t.Helper()
	var id int64
	if err := e.db.Get(&id, `SELECT id FROM units WHERE code = $1`, code); err != nil {
		e.t.Fatalf("unit %s: %v", code, err)
	}
	return id
}

// runWebJobs runs the queued background jobs (the notifications of a
// dispatch) as the worker of a running service would.
func runWebJobs(e *testEnv) {
	e.t.Helper()
	w := notify.NewWorker(e.db, "test", e.routing.Handlers(), notify.WorkerOptions{Logger: e.log})
	for range 10 {
		n, err := w.RunOnce(context.Background())
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

var (
	idempotencyRE  = regexp.MustCompile(`name="idempotency_key" value="([^"]+)"`)
	inboxLinkRE    = regexp.MustCompile(`href="/inbox/([0-9]+)"`)
	bellCountRE    = regexp.MustCompile(`id="bell-count">([0-9]+)<`)
	noteFormRE     = regexp.MustCompile(`action="/notifications/([0-9]+)/open"`)
	checkedGroupRE = regexp.MustCompile(`value="district_offices" id="issue-group-district_offices" data-count="[0-9]+" checked`)
)

func bellCount(page string) int {
	m := bellCountRE.FindStringSubmatch(page)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// deliveryIn returns the id of the only delivery listed in an inbox page.
func deliveryIn(t *testing.T, page string) string {
	t.Helper()
	m := inboxLinkRE.FindAllStringSubmatch(page, -1)
	if len(m) != 1 {
		t.Fatalf("%d deliveries listed in the inbox, want 1", len(m))
	}
	return m[0][1]
}

// TestWebRoutingIssueAcceptRefuse follows a document through the web
// forms: the department's clerk issues it to the Quận 1 office and a
// school, the school's clerk accepts it (another school cannot even see
// it), the office's clerk refuses it, and the sender's board shows both.
func TestWebRoutingIssueAcceptRefuse(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	f := validFields()
	f["urgency"] = "khan" // the document's urgency, which the issue keeps
	doc := e.issuable(t, f)
	docPath := "/documents/" + strconv.FormatInt(doc.ID, 10)
	const title = "Kế hoạch cải cách hành chính năm 2021"
	due := time.Now().In(domain.VietnamTime).AddDate(0, 0, 10).Format(time.DateOnly)

	sgd := newBrowser(t, e)
	sgd.login("vanthu.sgd")
	status, page, _ := sgd.get(docPath)
	if status != 200 || !strings.Contains(page, `id="issue-form"`) || !strings.Contains(page, "Tất cả phòng giáo dục và đào tạo quận, huyện") ||
		!strings.Contains(page, "Trường THCS Văn Lang") {
		t.Fatalf("document page of the clerk: %d, the issue form with groups and units is missing", status)
	}
	key := idempotencyRE.FindStringSubmatch(page)
	if key == nil {
		t.Fatal("the issue form has no idempotency key")
	}
	issue := url.Values{"_csrf": {csrfOf(t, page)}, "unit": {fmt.Sprint(webUnitID(e, codeQ1Office)), fmt.Sprint(webUnitID(e, codeTHCSVL))},
		"due_date": {due}, "steering": {"2"}, "note": {"Đề nghị triển khai"}, "idempotency_key": {key[1]}}
	status, _, h := sgd.postForm(docPath+"/issue", issue, "")
	if status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), docPath+"?done=issued&n=2") {
		t.Fatalf("issue: %d to %q", status, h.Get("Location"))
	}
	_, page, _ = sgd.get(h.Get("Location"))
	if !strings.Contains(page, "Đã phát hành văn bản đến 2 đơn vị") || !strings.Contains(page, `id="board-link"`) {
		t.Errorf("after issuing, the page lacks the message or the link to the board")
	}
	// The same form sent twice (a double click, a reload) issues once.
	status, _, h = sgd.postForm(docPath+"/issue", issue, "")
	if status != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "replayed=1") {
		t.Errorf("second submit of the same form: %d to %q, want a replay", status, h.Get("Location"))
	}
	var n int
	if err := e.db.Get(&n, `SELECT count(*) FROM deliveries WHERE document_id = $1`, doc.ID); err != nil || n != 2 {
		t.Fatalf("%d deliveries after a double submit (%v), want 2", n, err)
	}
	runWebJobs(e)

	// The school's clerk sees it, with the bell.
	school := newBrowser(t, e)
	school.login("vanthu.thcs1")
	status, page, _ = school.get("/inbox")
	if status != 200 || !strings.Contains(page, title) || !strings.Contains(page, "01/KH-SGDĐT") ||
		!strings.Contains(page, "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh") || !strings.Contains(page, `class="urg khan">Khẩn`) {
		t.Fatalf("school inbox: %d, the document, its sender or its urgency is missing", status)
	}
	if n := bellCount(page); n != 1 {
		t.Errorf("bell count of the school's clerk = %d, want 1", n)
	}
	dl := deliveryIn(t, page)
	_, page, _ = school.get("/inbox?tab=arrived")
	if !strings.Contains(page, "/inbox/"+dl) {
		t.Error("the waiting tab does not list the new document")
	}
	_, page, _ = school.get("/inbox?tab=removed")
	if strings.Contains(page, "/inbox/"+dl) {
		t.Error("the recalled tab lists a document that was not recalled")
	}

	// Another school sees nothing of it.
	other := newBrowser(t, e)
	other.login("vanthu.thpt1")
	if _, page, _ := other.get("/inbox"); strings.Contains(page, title) {
		t.Error("another school's inbox lists the document")
	}
	if status, page, _ := other.get("/inbox/" + dl); status != 404 || strings.Contains(page, title) {
		t.Errorf("another school opens the delivery: %d", status)
	}
	_, opage, _ := other.get("/inbox")
	if status, _, _ := other.postForm("/inbox/"+dl+"/accept", url.Values{"_csrf": {csrfOf(t, opage)}}, ""); status != 404 {
		t.Errorf("another school accepts the delivery: %d, want 404", status)
	}

	// The delivery page offers the clerk's actions; a refusal without a
	// real reason comes back in Vietnamese with what was typed.
	status, page, _ = school.get("/inbox/" + dl)
	if status != 200 || !strings.Contains(page, `id="accept-button"`) || !strings.Contains(page, `id="refuse-button"`) ||
		!strings.Contains(page, `href="`+docPath+`"`) || strings.Contains(page, `id="assign-form"`) {
		t.Fatalf("delivery page: %d; want accept and refuse, a link to the document, no assignment for a clerk", status)
	}
	csrf := csrfOf(t, page)
	if status, _, _ := school.postForm("/inbox/"+dl+"/accept", url.Values{}, ""); status != http.StatusForbidden {
		t.Errorf("accept without the CSRF token: %d", status)
	}
	status, page, _ = school.postForm("/inbox/"+dl+"/refuse", url.Values{"_csrf": {csrf}, "reason": {"xy"}}, "")
	if status != 422 || !strings.Contains(page, "cần nêu lý do từ chối") || !strings.Contains(page, "Lý do: cần nêu") ||
		!strings.Contains(page, ">xy</textarea>") {
		t.Errorf("refusal with a short reason: %d; want the Vietnamese message and the typed reason kept", status)
	}
	status, _, h = school.postForm("/inbox/"+dl+"/accept", url.Values{"_csrf": {csrf}}, "")
	if status != http.StatusSeeOther || h.Get("Location") != "/inbox/"+dl+"?done=accepted" {
		t.Fatalf("accept: %d to %q", status, h.Get("Location"))
	}
	_, page, _ = school.get(h.Get("Location"))
	if !strings.Contains(page, "Đã tiếp nhận văn bản, số đến 1.") || !strings.Contains(page, `id="incoming-number"><strong>1</strong>`) ||
		!strings.Contains(page, "Đã tiếp nhận") || strings.Contains(page, `id="accept-button"`) {
		t.Errorf("after accepting: the message, the incoming number or the new state is missing, or accept is still offered")
	}
	if !strings.Contains(page, `id="history"`) || !strings.Contains(page, "Huỳnh Văn Đức") || !strings.Contains(page, "Tiếp nhận") {
		t.Error("the history does not show who accepted")
	}
	if bellCount(page) != 0 {
		t.Errorf("bell after opening the delivery = %d, want 0: its notification was seen", bellCount(page))
	}
	// A stale form (accepting twice) says why in Vietnamese.
	status, page, _ = school.postForm("/inbox/"+dl+"/accept", url.Values{"_csrf": {csrf}}, "")
	if status != http.StatusConflict || !strings.Contains(page, "Chỉ tiếp nhận được văn bản vừa đến") {
		t.Errorf("accepting twice: %d", status)
	}
	// The recipient may open the document itself.
	if status, page, _ := school.get(docPath); status != 200 || !strings.Contains(page, title) || strings.Contains(page, `id="issue-form"`) {
		t.Errorf("recipient opens the document: %d, or is offered the sender's issue form", status)
	}

	// The Quận 1 office refuses.
	q1 := newBrowser(t, e)
	q1.login("vanthu.q1")
	_, page, _ = q1.get("/inbox")
	q1dl := deliveryIn(t, page)
	status, _, h = q1.postForm("/inbox/"+q1dl+"/refuse", url.Values{"_csrf": {csrfOf(t, page)}, "reason": {"Gửi nhầm đơn vị"}}, "")
	if status != http.StatusSeeOther {
		t.Fatalf("refuse: %d", status)
	}
	_, page, _ = q1.get(h.Get("Location"))
	if !strings.Contains(page, "Đã từ chối nhận văn bản") || !strings.Contains(page, `id="delivery-reason">Gửi nhầm đơn vị`) {
		t.Error("after refusing: the message or the reason is missing")
	}

	// The sender's board.
	status, page, _ = sgd.get(docPath + "/deliveries")
	if status != 200 || !strings.Contains(page, "1/2 đơn vị đã tiếp nhận") || !strings.Contains(page, "1 từ chối") ||
		!strings.Contains(page, "Gửi nhầm đơn vị") || !strings.Contains(page, "Trường THCS Văn Lang") || !strings.Contains(page, "Phạm Thị Ngọc Ánh") {
		t.Errorf("board: %d; the summary, the refusal, its reason or who refused is missing", status)
	}
	_, page, _ = sgd.get(docPath + "/deliveries?status=02")
	if !strings.Contains(page, "Phòng Giáo dục và Đào tạo Quận 1") || strings.Contains(page, "Trường THCS Văn Lang</td>") {
		t.Error("the board's filter on refused rows does not narrow the table")
	}

	// Past the deadline, the accepted delivery is overdue: marked with a
	// word in the school's inbox, listed under its tab, counted on the board.
	e.routing.SetClock(func() time.Time { return time.Now().AddDate(0, 0, 30) })
	_, page, _ = school.get("/inbox")
	if !strings.Contains(page, `id="delivery-`+dl+`" class="overdue`) || !strings.Contains(page, "Quá hạn xử lý") {
		t.Error("an overdue delivery is not marked in the inbox")
	}
	if _, page, _ := school.get("/inbox?tab=overdue"); !strings.Contains(page, "/inbox/"+dl) {
		t.Error("the overdue tab does not list the overdue delivery")
	}
	if _, page, _ := sgd.get(docPath + "/deliveries?overdue=1"); !strings.Contains(page, "1 quá hạn xử lý") || !strings.Contains(page, "Trường THCS Văn Lang") ||
		strings.Contains(page, `id="board-`+q1dl+`"`) {
		t.Error("the board does not count or list the overdue delivery")
	}
	e.routing.SetClock(time.Now)

	// The sender was told of the refusal: the bell, the list, and opening
	// one marks it read and goes to its link.
	_, page, _ = sgd.get("/notifications")
	if bellCount(page) != 1 || !strings.Contains(page, "Văn bản bị từ chối") || !strings.Contains(page, `class="tag new">Mới`) {
		t.Fatalf("sender's notifications: bell %d, the refusal not listed as new", bellCount(page))
	}
	m := noteFormRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no notification to open")
	}
	status, _, h = sgd.postForm("/notifications/"+m[1]+"/open", url.Values{"_csrf": {csrfOf(t, page)}, "next": {docPath + "/deliveries"}}, "")
	if status != http.StatusSeeOther || h.Get("Location") != docPath+"/deliveries" {
		t.Errorf("open a notification: %d to %q", status, h.Get("Location"))
	}
	if _, page, _ := sgd.get("/notifications"); bellCount(page) != 0 || strings.Contains(page, `class="tag new"`) {
		t.Error("an opened notification is still unread")
	}
	if status, _, h := sgd.postForm("/notifications/"+m[1]+"/open", url.Values{"_csrf": {csrfOf(t, page)}, "next": {"//evil.example/x"}}, ""); status != http.StatusSeeOther || h.Get("Location") != "/documents" {
		t.Errorf("a notification sends off-site: %d to %q", status, h.Get("Location"))
	}

	// The school's register of incoming documents has the line; the CSV
	// downloads with the session cookie.
	year := time.Now().In(domain.VietnamTime).Year()
	status, page, _ = school.get("/registers?kind=incoming")
	if status != 200 || !strings.Contains(page, title) || !strings.Contains(page, fmt.Sprintf("/api/v1/registers/incoming?year=%d&amp;format=pdf", year)) {
		t.Errorf("incoming register page: %d", status)
	}
	if status, body, _ := school.get(fmt.Sprintf("/api/v1/registers/incoming?year=%d&format=csv", year)); status != 200 || !strings.Contains(body, "01/KH-SGDĐT") {
		t.Errorf("register CSV with the session cookie: %d", status)
	}
	if status, page, _ := school.get("/registers?year=abc"); status != 422 || !strings.Contains(page, "năm phải là số") {
		t.Errorf("register with a bad year: %d", status)
	}
	if status, page, _ := sgd.get("/indicators"); status != 200 || !strings.Contains(page, "Tỷ lệ đúng hạn") {
		t.Errorf("indicators: %d", status)
	}
}

// TestWebIssueFormErrors: a refused issue form comes back with the
// message per field and everything chosen or typed.
func TestWebIssueFormErrors(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	doc := e.issuable(t, nil)
	docPath := "/documents/" + strconv.FormatInt(doc.ID, 10)
	b := newBrowser(t, e)
	b.login("vanthu.sgd")
	_, page, _ := b.get(docPath)
	csrf, key := csrfOf(t, page), idempotencyRE.FindStringSubmatch(page)[1]

	status, page, _ := b.postForm(docPath+"/issue", url.Values{"_csrf": {csrf}, "note": {"Ghi chú cần giữ"}, "idempotency_key": {key}}, "")
	if status != 422 || !strings.Contains(page, "Nơi nhận: cần chọn ít nhất một đơn vị nhận") || !strings.Contains(page, ">Ghi chú cần giữ</textarea>") ||
		!strings.Contains(page, `value="`+key+`"`) {
		t.Errorf("issue without recipients: %d; want the message on Nơi nhận, the note and the same key kept", status)
	}
	status, page, _ = b.postForm(docPath+"/issue", url.Values{"_csrf": {csrf}, "group": {"district_offices"}, "due_date": {"2020-01-01"},
		"idempotency_key": {key}}, "")
	if status != 422 || !strings.Contains(page, "Hạn xử lý: hạn xử lý không được trước hôm nay") || !checkedGroupRE.MatchString(page) ||
		!strings.Contains(page, `value="2020-01-01"`) {
		t.Errorf("issue with a past due date: %d; want the message and the chosen group and date kept", status)
	}
	var n int
	if err := e.db.Get(&n, `SELECT count(*) FROM deliveries`); err != nil || n != 0 {
		t.Errorf("%d deliveries after refused forms (%v)", n, err)
	}

	// A secret document says why it cannot be issued.
	clerk, err := auth.NewService(e.db, time.Hour).PrincipalByUsername(context.Background(), "vanthu.sgd")
	if err != nil {
		t.Fatal(err)
	}
	sd, err := e.docs.AssignSecretNumber(context.Background(), clerk, documents.Meta{DocType: "KH", Title: "Kế hoạch bảo vệ bí mật nhà nước",
		Confidentiality: "mat"}, documents.NumberRequest{})
	if err != nil {
		t.Fatal(err)
	}
	_, page, _ = b.get("/documents/" + strconv.FormatInt(sd.ID, 10))
	if !strings.Contains(page, `id="secret-note"`) || strings.Contains(page, `id="issue-form"`) {
		t.Error("a secret document is offered the issue form, or no reason is given")
	}

	// Recall needs a reason, and then reaches the recipient.
	if status, _, _ := b.postForm(docPath+"/issue", url.Values{"_csrf": {csrf}, "unit": {fmt.Sprint(webUnitID(e, codeTHCSVL))}, "idempotency_key": {key}}, ""); status != http.StatusSeeOther {
		t.Fatalf("issue: %d", status)
	}
	status, page, _ = b.postForm(docPath+"/recall", url.Values{"_csrf": {csrf}, "reason": {""}}, "")
	if status != 422 || !strings.Contains(page, "cần nêu lý do thu hồi") {
		t.Errorf("recall without a reason: %d", status)
	}
	status, _, h := b.postForm(docPath+"/recall", url.Values{"_csrf": {csrf}, "reason": {"Sai nội dung mục 2"}}, "")
	if status != http.StatusSeeOther || h.Get("Location") != docPath+"?done=recalled&n=1" {
		t.Fatalf("recall: %d to %q", status, h.Get("Location"))
	}
	school := newBrowser(t, e)
	school.login("vanthu.thcs1")
	_, page, _ = school.get("/inbox?tab=recall")
	dl := deliveryIn(t, page)
	_, page, _ = school.get("/inbox/" + dl)
	if !strings.Contains(page, `id="recall-accept"`) || strings.Contains(page, `id="accept-button"`) {
		t.Fatal("a recalled delivery must offer only the answer to the recall")
	}
	status, page, _ = school.postForm("/inbox/"+dl+"/recall-answer", url.Values{"_csrf": {csrfOf(t, page)}, "accept": {"0"}, "reason": {""}}, "")
	if status != 422 || !strings.Contains(page, "cần nêu lý do từ chối thu hồi") {
		t.Errorf("refusing a recall without a reason: %d", status)
	}
	status, _, h = school.postForm("/inbox/"+dl+"/recall-answer", url.Values{"_csrf": {csrfOf(t, page)}, "accept": {"1"}}, "")
	if status != http.StatusSeeOther {
		t.Fatalf("accept the recall: %d", status)
	}
	_, page, _ = school.get(h.Get("Location"))
	if !strings.Contains(page, "Đã đồng ý thu hồi") || !strings.Contains(page, "không còn mở được") {
		t.Error("after accepting the recall: the message or the note on the removed document is missing")
	}
	if _, page, _ := school.get("/inbox?tab=removed"); !strings.Contains(page, "/inbox/"+dl) {
		t.Error("the recalled tab does not list the removed document")
	}
}

// TestWebInboxAssignAndReport: the office's leader assigns an accepted
// document to a person of the office with a deadline (a direction with a
// lead person), and that person reports progress on the task, then done.
func TestWebInboxAssignAndReport(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	sgd := newBrowser(t, e)
	sgd.login("vanthu.sgd")
	doc := e.issuable(t, nil)
	docPath := "/documents/" + strconv.FormatInt(doc.ID, 10)
	_, page, _ := sgd.get(docPath)
	if status, _, _ := sgd.postForm(docPath+"/issue", url.Values{"_csrf": {csrfOf(t, page)}, "unit": {fmt.Sprint(webUnitID(e, codeQ1Office))},
		"idempotency_key": {idempotencyRE.FindStringSubmatch(page)[1]}}, ""); status != http.StatusSeeOther {
		t.Fatalf("issue: %d", status)
	}
	clerk := newBrowser(t, e)
	clerk.login("vanthu.q1")
	_, page, _ = clerk.get("/inbox")
	dl := deliveryIn(t, page)
	if status, _, _ := clerk.postForm("/inbox/"+dl+"/accept", url.Values{"_csrf": {csrfOf(t, page)}}, ""); status != http.StatusSeeOther {
		t.Fatalf("accept: %d", status)
	}
	_, page, _ = clerk.get("/inbox/" + dl)
	if strings.Contains(page, `id="assign-form"`) || !strings.Contains(page, `id="relay-form"`) {
		t.Error("the clerk is offered the leader's assignment, or not the relay")
	}
	if strings.Contains(page, `id="relay-board-link"`) {
		t.Error("a board link for a relay that never happened")
	}
	// The office relays it to its schools, then finds its own board.
	q1 := webUnitID(e, codeQ1Office)
	if status, _, _ := clerk.postForm("/inbox/"+dl+"/relay", url.Values{"_csrf": {csrfOf(t, page)}, "group": {fmt.Sprintf("district:%d", q1)},
		"idempotency_key": {idempotencyRE.FindStringSubmatch(page)[1]}}, ""); status != http.StatusSeeOther {
		t.Fatalf("relay: %d", status)
	}
	_, page, _ = clerk.get("/inbox/" + dl)
	if !strings.Contains(page, `id="relay-board-link"`) || !strings.Contains(page, "Theo dõi chuyển tiếp (3 đơn vị)") {
		t.Error("after relaying to its three schools the office has no link to its board")
	}

	var assignee int64
	if err := e.db.Get(&assignee, `SELECT id FROM users WHERE username = 'vanthu.q1'`); err != nil {
		t.Fatal(err)
	}
	leader := newBrowser(t, e)
	leader.login("truongphong.q1")
	_, page, _ = leader.get("/inbox/" + dl)
	if !strings.Contains(page, `id="direct-form"`) || !strings.Contains(page, "Phạm Thị Ngọc Ánh · Văn thư") || strings.Contains(page, "Nguyễn Thị Thu Hà") {
		t.Fatal("the leader's page lacks the direction form, or lists people outside the unit")
	}
	form := url.Values{"_csrf": {csrfOf(t, page)}, "lead": {fmt.Sprintf("u:%d", assignee)},
		"opinion": {"Tổng hợp báo cáo gửi Sở"}, "due": {"2020-01-01"}}
	status, page, _ := leader.postForm("/inbox/"+dl+"/direct", form, "")
	if status != 422 || !strings.Contains(page, "Hạn xử lý: hạn xử lý không được trước hôm nay") || !strings.Contains(page, ">Tổng hợp báo cáo gửi Sở</textarea>") ||
		!strings.Contains(page, fmt.Sprintf(`value="u:%d" selected`, assignee)) {
		t.Errorf("direction with a past deadline: %d; want the message and the choices kept", status)
	}
	form.Set("due", time.Now().In(domain.VietnamTime).AddDate(0, 0, 5).Format(time.DateOnly))
	status, _, h := leader.postForm("/inbox/"+dl+"/direct", form, "")
	if status != http.StatusSeeOther {
		t.Fatalf("direct: %d", status)
	}
	_, page, _ = leader.get(h.Get("Location"))
	if !strings.Contains(page, "Đã giao xử lý") || !strings.Contains(page, `id="assignee">Phạm Thị Ngọc Ánh`) || !strings.Contains(page, "Chỉ đạo, giao xử lý") {
		t.Error("after directing: the message, the assignee or the history line is missing")
	}

	// The lead person reports progress on the task, then done.
	_, page, _ = clerk.get("/inbox/" + dl)
	m := regexp.MustCompile(`id="task-([0-9]+)-entry-form"`).FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, `id="task-`+m[1]+`-done-button"`) {
		t.Fatal("the lead person is not offered progress and done")
	}
	task := "/inbox/" + dl + "/tasks/" + m[1]
	if status, _, _ := clerk.postForm(task+"/entries", url.Values{"_csrf": {csrfOf(t, page)}, "kind": {"progress"}, "body": {"Đang tổng hợp"}}, ""); status != http.StatusSeeOther {
		t.Fatalf("in progress: %d", status)
	}
	status, _, h = clerk.postForm(task+"/done", url.Values{"_csrf": {csrfOf(t, page)}, "note": {"Đã gửi báo cáo"}}, "")
	if status != http.StatusSeeOther {
		t.Fatalf("done: %d", status)
	}
	_, page, _ = clerk.get(h.Get("Location"))
	if !strings.Contains(page, "Đã báo hoàn thành phần việc") || !strings.Contains(page, `id="delivery-state">Hoàn thành`) || !strings.Contains(page, "Hoàn thành phần việc") {
		t.Error("after done: the message, the state or the history line is missing")
	}
	if _, page, _ := sgd.get(docPath + "/deliveries"); !strings.Contains(page, "Hoàn thành") {
		t.Error("the board does not show the delivery done")
	}
}

// TestWebRegisterForm: the clerk numbers a signed letter from the document
// page; a letter needs its drafting unit, and the form says so.
func TestWebRegisterForm(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	f := validFields()
	delete(f, "number")
	delete(f, "symbol")
	f["doc_type"] = "CV"
	d := e.create(t, e.login("vanthu.sgd"), f, "Công văn.pdf", fixturePDF(t))
	docPath := "/documents/" + strconv.FormatInt(d.ID, 10)
	if status, b := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/sign", d.ID), e.login("giamdoc.sgd"), map[string]any{"version_sha256": d.Versions[0].SHA256}); status != 200 {
		t.Fatalf("sign: %d %s", status, b)
	}
	b := newBrowser(t, e)
	b.login("vanthu.sgd")
	_, page, _ := b.get(docPath)
	if !strings.Contains(page, `id="register-form"`) || !strings.Contains(page, `id="register-drafting-unit"`) || strings.Contains(page, `id="issue-form"`) {
		t.Fatal("a letter without a number: want the register form with the drafting unit, and no issue form yet")
	}
	sha := regexp.MustCompile(`action="` + docPath + `/register"[^>]*>\s*<input type="hidden" name="_csrf" value="[^"]+">\s*<input type="hidden" name="version_sha256" value="([0-9a-f]+)"`).FindStringSubmatch(page)
	if sha == nil {
		t.Fatal("the register form does not carry the version seen")
	}
	form := url.Values{"_csrf": {csrfOf(t, page)}, "version_sha256": {sha[1]}, "copies": {"3"}, "file_unit": {"Văn phòng Sở"}}
	status, page, _ := b.postForm(docPath+"/register", form, "")
	if status != 422 || !strings.Contains(page, "Đơn vị soạn thảo: công văn cần chữ viết tắt") || !strings.Contains(page, `value="Văn phòng Sở"`) {
		t.Errorf("register a letter without its drafting unit: %d", status)
	}
	form.Set("drafting_unit", "VP")
	status, _, h := b.postForm(docPath+"/register", form, "")
	if status != http.StatusSeeOther {
		t.Fatalf("register: %d", status)
	}
	_, page, _ = b.get(h.Get("Location"))
	if !strings.Contains(page, "Đã đăng ký, cấp số 01/SGDĐT-VP.") || !strings.Contains(page, `id="issue-form"`) || strings.Contains(page, `id="register-form"`) {
		t.Error("after registering: the number, or the issue form in place of the register form, is missing")
	}
}
