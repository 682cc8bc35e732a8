package server

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/testenv"
)

// meetingDriver drives one browser session through the meeting pages.
type meetingDriver struct {
	t    *testing.T
	b    *e2eBrowser
	name string
}

func (d *meetingDriver) fail(format string, args ...any) {
	d.t.Helper()
	_, msg := d.b.find(".error")
	d.t.Fatalf("%s: %s at %s (error on the page: %q)", d.name, fmt.Sprintf(format, args...), d.b.location(), msg)
}

// poll waits until js is true.
func (d *meetingDriver) poll(what, js string) {
	d.t.Helper()
	if err := d.b.pollJS(js, 20*time.Second); err != nil {
		d.fail("wait for %s: %v", what, err)
	}
}

func (d *meetingDriver) waitText(css, want string) {
	d.t.Helper()
	d.poll(fmt.Sprintf("%q in %s", want, css), fmt.Sprintf(
		`(() => { const e = document.querySelector(%q); return !!e && e.innerText.includes(%q); })()`, css, want))
}

// eval runs js and returns its value.
func (d *meetingDriver) eval(js string) string {
	d.t.Helper()
	v, err := chromedp.Run(d.b.ctx, chromedp.Evaluate[string](js))
	d.b.must(d.name+": "+js, err)
	return v
}

// click clicks what posts a form or follows a link, and waits for the
// page that answers.
func (d *meetingDriver) click(step, css string) {
	d.t.Helper()
	if status := d.b.submit(d.name+": "+step, chromedp.Click(chromedp.CSS(css))); status != 200 {
		d.fail("%s: status %d", step, status)
	}
}

func (d *meetingDriver) typeIn(css, text string) {
	d.t.Helper()
	d.b.must(d.name+": type in "+css, chromedp.Do(d.b.ctx, chromedp.SendKeys(chromedp.CSS(css), text)))
}

func (d *meetingDriver) login(username string) {
	d.t.Helper()
	d.b.navigate("/login")
	status := d.b.submit("log in as "+username,
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.ID("login-submit")))
	if status != 200 || !landingPage(d.b.location().Path) {
		d.fail("log in as %s: status %d", username, status)
	}
}

// live waits for the page's event stream to be open.
func (d *meetingDriver) live() {
	d.t.Helper()
	d.poll("the live stream", `document.getElementById("meeting")?.dataset.live === "open"`)
}

// mark tags the page; kept reports whether the page is still the one
// tagged (it was not reloaded).
func (d *meetingDriver) mark() { d.eval(`window.__e2eMark = "kept"; "ok"`) }

func (d *meetingDriver) kept(step string) {
	d.t.Helper()
	if v := d.eval(`window.__e2eMark || "reloaded"`); v != "kept" {
		d.fail("%s: the page was reloaded", step)
	}
}

// shots screenshots the whole page at a tablet's and a laptop's width.
func (d *meetingDriver) shots(name string) {
	d.t.Helper()
	for _, v := range []struct {
		suffix        string
		width, height int64
	}{{"tablet", 768, 1024}, {"laptop", 1280, 900}} {
		d.b.must("resize", chromedp.Do(d.b.ctx, chromedp.EmulateViewport(v.width, v.height)))
		png, err := chromedp.Run(d.b.ctx, chromedp.FullScreenshot(100))
		d.b.must("screenshot "+name, err)
		p := filepath.Join(d.b.shots, name+"-"+v.suffix+".png")
		d.b.must("screenshot "+name, os.WriteFile(p, png, 0o644))
		d.t.Logf("screenshot: %s", p)
	}
	d.b.must("reset the viewport", chromedp.Do(d.b.ctx, chromedp.ResetViewport()))
}

// TestE2EBrowserMeeting holds a meeting in two real browsers at once: the
// Director (chair) creates it, invites a high school and adds an agenda
// item that appears on the school clerk's open page without a reload; he
// starts the meeting; the clerk checks in and votes on the ballot the
// chair opened; the chair's console counts the vote live, and the result
// of the close appears on the clerk's screen.
//
// Screenshots of the calendar, the meeting page and the console at tablet
// and laptop widths go to $VANBAN_SCREENSHOTS when set.
func TestE2EBrowserMeeting(t *testing.T) {
	env := newEnv(t, envOptions{})
	doc := env.create(t, env.login("vanthu.sgd"), validFields(), "Kế hoạch 206.pdf", fixturePDF(t))
	chair := &meetingDriver{t: t, b: newE2EBrowser(t, env.baseURL, 240*time.Second), name: "chair"}
	clerk := &meetingDriver{t: t, b: newE2EBrowser(t, env.baseURL, 240*time.Second), name: "school clerk"}
	const title = "Họp triển khai kế hoạch cải cách hành chính"
	const item = "Triển khai kế hoạch 206/KH-SGDĐT"

	// (1) The Director organises the meeting from the calendar, with
	// himself in the chair, and invites Trường THPT Bùi Thị Xuân.
	chair.login("giamdoc.sgd")
	chair.b.navigate("/meetings")
	chair.click("open the form", "#create-link")
	chair.typeIn("#create-title", title)
	chair.typeIn("#create-place", "Phòng họp số 1, 66-68 Lê Thánh Tôn")
	chair.typeIn("#create-secretary", "chuyenvien.sgd")
	chair.click("create the meeting", "#create-submit")
	chair.waitText(".flash", "Đã tạo cuộc họp")
	chair.waitText("#meeting-title", title)
	meetingPath := chair.b.location().Path
	chair.typeIn("#participant-unit", "001.00.24.H29")
	chair.click("invite the school", "#participant-submit")
	chair.waitText(".flash", "Đã thêm thành phần dự họp")
	chair.waitText("#m-people", "Trường THPT Bùi Thị Xuân")
	// A meeting starts only within its check-in window: this one is about
	// to begin.
	if _, err := env.db.Exec(`UPDATE meetings SET starts_at = now() + interval '10 minutes', ends_at = now() + interval '2 hours' WHERE title = $1`, title); err != nil {
		t.Fatal(err)
	}
	var starts time.Time
	if err := env.db.Get(&starts, `SELECT starts_at FROM meetings WHERE title = $1`, title); err != nil {
		t.Fatal(err)
	}
	month := starts.In(domain.VietnamTime).Format("2006-01")

	// (2) The school's clerk finds it in the calendar and opens it.
	clerk.login("vanthu.thpt1")
	clerk.b.navigate("/meetings?month=" + month)
	clerk.waitText("#calendar", title)
	clerk.click("open the meeting", "#calendar .cal-title")
	if p := clerk.b.location().Path; p != meetingPath {
		t.Fatalf("the calendar links to %s, want %s", p, meetingPath)
	}
	clerk.waitText("#m-agenda", "Chưa có mục chương trình nào")
	clerk.live()
	clerk.mark()

	// (3) The chair adds an agenda item with a document; it appears on
	// the clerk's page, which is not reloaded.
	chair.typeIn("#item-title", item)
	chair.typeIn("#item-presenter", "Lê Hoài Nam")
	chair.click("add the item", "#item-submit")
	chair.waitText(".flash", "Đã thêm mục chương trình")
	clerk.waitText("#m-agenda", item)
	clerk.kept("the new item")
	itemID := chair.eval(`document.querySelector("#agenda .item").id.replace("item-", "")`)
	chair.b.must("open the document forms", chromedp.Do(chair.b.ctx, chromedp.Click(chromedp.CSS("#add-doc-"+itemID+" summary"))))
	chair.typeIn("#attach-"+itemID, fmt.Sprint(doc.ID))
	chair.click("attach the plan", "#attach-submit-"+itemID)
	chair.waitText(".flash", "Đã đưa văn bản vào mục chương trình")
	clerk.waitText("#m-agenda", "Kế hoạch cải cách hành chính năm 2021")
	clerk.waitText("#m-agenda", "Xem")
	clerk.kept("the new document")
	chair.b.navigate("/meetings?new=1&month=" + month)
	chair.waitText("#calendar", title)
	chair.shots("meeting-calendar")

	// (4) The chair starts the meeting; the clerk's page says so.
	chair.b.navigate(meetingPath)
	chair.click("start", "#start-meeting")
	chair.waitText(".flash", "Cuộc họp đã bắt đầu")
	clerk.waitText("#meeting-status", "Đang họp")
	clerk.kept("the start")

	// (5) The clerk checks in.
	clerk.click("check in", "#check-in-button")
	clerk.waitText(".flash", "Đã điểm danh")
	clerk.waitText("#checked-in", "Đã điểm danh lúc")
	clerk.live()
	clerk.mark()

	// (6) The chair opens a ballot from the console; the clerk sees it
	// and votes.
	chair.click("open the console", "#console-link")
	chair.waitText("#m-attendance", "Đặng Thị Kim Oanh")
	chair.typeIn("#ballot-question", "Thông qua kế hoạch triển khai?")
	chair.click("open the ballot", "#ballot-submit")
	chair.waitText(".flash", "Đã mở biểu quyết")
	chair.live()
	chair.mark()
	clerk.waitText("#m-ballots", "Thông qua kế hoạch triển khai?")
	clerk.poll("the vote buttons", `!!document.querySelector("#m-ballots form.vote button")`)
	clerk.kept("the new ballot")
	clerk.shots("meeting-page-participant")
	clerk.click("vote", "#m-ballots form.vote button")
	clerk.waitText(".flash", "Đã ghi nhận biểu quyết của bạn")
	clerk.waitText("#m-ballots", "Bạn đã biểu quyết: Tán thành")
	clerk.waitText("#m-ballots .receipt", "Biên nhận: phiếu số 1")
	clerk.live()
	clerk.mark()

	// (7) The console counts the vote without a reload.
	chair.poll("the count of votes", `(() => { const c = document.querySelector("#m-ballots [id^=count-]"); return !!c && c.innerText === "1"; })()`)
	chair.waitText("#m-ballots .results", "Tán thành")
	chair.kept("the vote")
	chair.shots("meeting-console")

	// (8) The chair closes the ballot; the result reaches the clerk.
	chair.eval(`window.confirm = () => true; "ok"`)
	chair.click("close the ballot", "#m-ballots form.inline-form button.danger")
	chair.waitText(".flash", "Đã kết thúc biểu quyết")
	chair.waitText("#m-ballots", "Kết quả khớp với chuỗi phiếu")
	clerk.waitText("#m-ballots", "Đã kết thúc")
	clerk.waitText("#m-ballots .results", "Tán thành")
	clerk.waitText("#m-ballots .results li.lead", "1 · 100%")
	clerk.waitText("#m-ballots", "Kết quả khớp với chuỗi phiếu")
	clerk.kept("the close")
	if _, text := clerk.b.find("#m-ballots"); !strings.Contains(text, "Bạn chọn: Tán thành") {
		t.Errorf("the clerk's closed ballot:\n%s", text)
	}
	chair.b.navigate(meetingPath)
	chair.waitText("#m-agenda", item)
	chair.shots("meeting-page-chair")

	// (9) The school is taken off the meeting: the clerk's open page
	// says so at once, without the meeting.
	clerk.live()
	clerk.mark()
	chair.eval(`window.confirm = () => true; "ok"`)
	chair.click("remove the school", "#m-people form.remove button")
	chair.waitText(".flash", "Đã bỏ thành phần dự họp")
	clerk.waitText("#meeting-gone", "Bạn không còn quyền truy cập cuộc họp này")
	clerk.kept("the removal")
	if ok, _ := clerk.b.find("#m-agenda"); ok {
		t.Error("the removed clerk still sees the agenda")
	}
	if status := clerk.b.navigate(meetingPath); status != 404 {
		t.Errorf("the removed clerk opens the meeting: %d", status)
	}
}

// TestWebMeetingForms posts the meeting pages' forms without a browser:
// each carries its CSRF token, a refused form comes back with the
// Vietnamese message and what was typed, and only the meeting's people
// see its pages.
func TestWebMeetingForms(t *testing.T) {
	e := newEnv(t, envOptions{signing: true}) // the conclusion notice is signed and registered before it is issued
	org := newBrowser(t, e)
	org.login("vanthu.sgd")
	status, page, _ := org.get("/meetings")
	if status != 200 || !strings.Contains(page, "Lịch họp") || !strings.Contains(page, "Tạo cuộc họp") {
		t.Fatalf("calendar: %d", status)
	}
	csrf := csrfOf(t, page)
	start := time.Now().In(domain.VietnamTime).Add(24 * time.Hour).Truncate(time.Hour)
	form := url.Values{"_csrf": {csrf}, "title": {"Họp giao ban chuyên môn"}, "starts_at": {start.Format("2006-01-02T15:04")},
		"ends_at": {start.Add(-time.Hour).Format("2006-01-02T15:04")}, "chair": {"giamdoc.sgd"}, "secretary": {"chuyenvien.sgd"}}
	status, page, _ = org.postForm("/meetings", form, "")
	if status != 422 || !strings.Contains(page, "thời gian kết thúc phải sau thời gian bắt đầu") || !strings.Contains(page, `value="Họp giao ban chuyên môn"`) {
		t.Errorf("end before start: %d", status)
	}
	form.Set("ends_at", start.Add(time.Hour).Format("2006-01-02T15:04"))
	form.Set("chair", "khong.co.ai")
	if status, page, _ = org.postForm("/meetings", form, ""); status != 422 || !strings.Contains(page, "không có tài khoản «khong.co.ai»") {
		t.Errorf("unknown chair: %d", status)
	}
	form.Set("chair", "giamdoc.sgd")
	form.Set("_csrf", "sai")
	if status, _, _ = org.postForm("/meetings", form, ""); status != 403 {
		t.Errorf("without the CSRF token: %d", status)
	}
	form.Set("_csrf", csrf)
	status, _, h := org.postForm("/meetings", form, "")
	loc := h.Get("Location")
	if status != 303 || !strings.HasSuffix(loc, "?done=created") {
		t.Fatalf("create: %d to %q", status, loc)
	}
	base := strings.TrimSuffix(loc, "?done=created")
	status, page, h = org.get(loc)
	if status != 200 || !strings.Contains(page, "Đã tạo cuộc họp") || !strings.Contains(page, `src="/static/meeting.js"`) ||
		!strings.Contains(h.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Fatalf("meeting page: %d", status)
	}
	post := func(b *webClient, path string, v url.Values) (int, string, string) {
		t.Helper()
		v.Set("_csrf", csrf)
		status, page, h := b.postForm(base+path, v, "")
		return status, page, h.Get("Location")
	}

	// The agenda: a refused item, two items, the second moved up.
	if status, page, _ := post(org, "/items", url.Values{"title": {" "}}); status != 422 || !strings.Contains(page, "cần nội dung của mục chương trình") {
		t.Errorf("an item without a title: %d", status)
	}
	if status, page, _ := post(org, "/items", url.Values{"title": {"Mục có giờ sai"}, "starts_at": {"8h"}}); status != 422 || !strings.Contains(page, "giờ:phút") {
		t.Errorf("an item with a bad time: %d", status)
	}
	for _, title := range []string{"Báo cáo kết quả tháng", "Thảo luận dự thảo quy chế"} {
		if status, _, loc := post(org, "/items", url.Values{"title": {title}, "starts_at": {"08:30"}, "ends_at": {"09:00"}}); status != 303 || !strings.Contains(loc, "done=item#item-") {
			t.Fatalf("add %q: %d %q", title, status, loc)
		}
	}
	var items []int64
	if err := e.db.Select(&items, `SELECT i.id FROM agenda_items i JOIN meetings m ON m.id = i.meeting_id WHERE m.title = $1 ORDER BY i.position`, "Họp giao ban chuyên môn"); err != nil || len(items) != 2 {
		t.Fatalf("items: %v %v", items, err)
	}
	if status, _, _ := post(org, fmt.Sprintf("/items/%d/move", items[1]), url.Values{"dir": {"up"}}); status != 303 {
		t.Fatalf("move up: %d", status)
	}
	_, page, _ = org.get(base)
	if strings.Index(page, "Thảo luận dự thảo quy chế") > strings.Index(page, "Báo cáo kết quả tháng") {
		t.Error("the moved item is not first")
	}

	// A draft uploaded through the form, shown inline and downloaded.
	upload := func(token string, name string, content []byte) (int, string, http.Header) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		if token != "" {
			w.WriteField("_csrf", token)
		}
		w.WriteField("title", "Dự thảo quy chế phối hợp")
		w.WriteField("draft", "true")
		fw, _ := w.CreateFormFile("file", name)
		fw.Write(content)
		w.Close()
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s%s/items/%d/files", e.baseURL, base, items[1]), &buf)
		req.Header.Set("Content-Type", w.FormDataContentType())
		return org.do(req)
	}
	draft := testenv.PDF(3000, 99)
	if status, _, _ := upload("", "du-thao.pdf", draft); status != 403 {
		t.Errorf("upload without the CSRF token: %d", status)
	}
	if status, page, _ := upload(csrf, "ghi-chu.txt", []byte("không phải PDF")); status != 415 || !strings.Contains(page, "Chỉ nhận tệp PDF") || !strings.Contains(page, "Chương trình họp") {
		t.Errorf("upload a text file: %d", status)
	}
	if status, _, h := upload(csrf, "du-thao.pdf", draft); status != 303 || !strings.Contains(h.Get("Location"), "done=uploaded") {
		t.Fatalf("upload the draft: %d %q", status, h.Get("Location"))
	}
	_, page, _ = org.get(base)
	m := regexp.MustCompile(`href="(/meetings/\d+/documents/(\d+))"`).FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "Dự thảo quy chế phối hợp") || !strings.Contains(page, "Dự thảo</span>") {
		t.Fatal("the draft is not on the page")
	}
	status, got, h := org.get(m[1])
	if status != 200 || got != string(draft) || !strings.HasPrefix(h.Get("Content-Disposition"), "inline") || h.Get("Content-Type") != "application/pdf" {
		t.Errorf("view the draft: %d %q %q", status, h.Get("Content-Disposition"), h.Get("Content-Type"))
	}
	if status, got, h = org.get(m[1] + "?download=1"); status != 200 || got != string(draft) || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
		t.Errorf("download the draft: %d %q", status, h.Get("Content-Disposition"))
	}
	if status, got, h = org.get(base + "/packet"); status != 200 || !strings.HasPrefix(got, "%PDF-") || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
		t.Errorf("packet: %d %q", status, h.Get("Content-Disposition"))
	}

	// Participants: a refused name, then the high school; the outsider
	// and the removed school see nothing; only the chair has a console.
	if status, page, _ := post(org, "/participants", url.Values{"username": {"khong.co.ai"}}); status != 422 || !strings.Contains(page, "không có tài khoản «khong.co.ai»") ||
		!strings.Contains(page, `value="khong.co.ai"`) {
		t.Errorf("an unknown participant: %d", status)
	}
	if status, page, _ := post(org, "/participants", url.Values{"unit": {"Trường"}}); status != 422 || !strings.Contains(page, "có nhiều đơn vị khớp") {
		t.Errorf("an ambiguous unit: %d", status)
	}
	if status, _, _ := post(org, "/participants", url.Values{"unit": {"Bùi Thị Xuân"}}); status != 303 {
		t.Fatalf("add the school by name: %d", status)
	}
	school, outsider := newBrowser(t, e), newBrowser(t, e)
	school.login("vanthu.thpt1")
	outsider.login("vanthu.thcs1")
	for _, path := range []string{base, base + "/console", base + "/packet", m[1]} {
		if status, page, _ := outsider.get(path); status != 404 || !strings.Contains(page, "Không tìm thấy") {
			t.Errorf("the outsider GET %s: %d", path, status)
		}
	}
	if status, page, _ := school.get(base); status != 200 || !strings.Contains(page, "Dự thảo quy chế phối hợp") || strings.Contains(page, `id="item-form"`) {
		t.Errorf("the school's page: %d (managers' forms shown: %v)", status, strings.Contains(page, `id="item-form"`))
	}
	if status, _, _ := school.get(base + "/console"); status != 403 {
		t.Errorf("the school opens the console: %d", status)
	}
	if _, page, _ := outsider.get("/meetings?month=" + start.Format("2006-01")); strings.Contains(page, "Họp giao ban chuyên môn") {
		t.Error("the meeting is in the outsider's calendar")
	}
	if _, page, _ := school.get("/meetings?month=" + start.Format("2006-01")); !strings.Contains(page, "Họp giao ban chuyên môn") {
		t.Error("the meeting is not in the school's calendar")
	}
	if status, _, _ := school.get("/meetings?month=2026-13"); status != 422 {
		t.Errorf("a bad month: %d", status)
	}
	_, page, _ = org.get(base)
	pid := regexp.MustCompile(`action="/meetings/\d+/participants/(\d+)/remove"`).FindStringSubmatch(page)
	if pid == nil {
		t.Fatal("no remove button")
	}
	if status, _, _ := post(org, "/participants/"+pid[1]+"/remove", url.Values{}); status != 303 {
		t.Fatalf("remove the school: %d", status)
	}
	if status, _, _ := school.get(base); status != 404 {
		t.Errorf("the removed school: %d", status)
	}

	// The chair starts the meeting, opens a ballot on the console, and a
	// refused vote comes back with its message.
	chair := newBrowser(t, e)
	chair.login("giamdoc.sgd")
	_, page, _ = chair.get(base)
	csrfChair := csrfOf(t, page)
	postAs := func(b *webClient, token, path string, v url.Values) (int, string, string) {
		t.Helper()
		v.Set("_csrf", token)
		status, page, h := b.postForm(base+path, v, "")
		return status, page, h.Get("Location")
	}
	if status, page, _ := postAs(chair, csrfChair, "/status", url.Values{"status": {"in_progress"}, "back": {"console"}}); status != 409 || !strings.Contains(page, "Chưa đến giờ họp") {
		t.Fatalf("start a day early: %d, want 409 saying it is too early", status)
	}
	// The next day: the meeting is about to begin.
	if _, err := e.db.Exec(`UPDATE meetings SET starts_at = now() + interval '5 minutes', ends_at = now() + interval '2 hours' WHERE id = $1`,
		strings.TrimPrefix(base, "/meetings/")); err != nil {
		t.Fatal(err)
	}
	if status, _, loc := postAs(chair, csrfChair, "/status", url.Values{"status": {"in_progress"}, "back": {"console"}}); status != 303 || !strings.HasPrefix(loc, base+"/console?done=in_progress") {
		t.Fatalf("start from the console: %d %q", status, loc)
	}
	if status, page, _ := postAs(chair, csrfChair, "/ballots", url.Values{"question": {"Chọn?"}, "options": {"Một"}, "back": {"console"}}); status != 422 ||
		!strings.Contains(page, "cần từ 2 đến 20 phương án") || !strings.Contains(page, "Bàn điều hành của chủ trì") {
		t.Errorf("a ballot of one option: %d", status)
	}
	status, _, loc = postAs(chair, csrfChair, "/ballots", url.Values{"question": {"Thông qua quy chế?"}, "options": {"Đồng ý\nKhông đồng ý"}, "secret": {"1"}, "back": {"console"}})
	if status != 303 || !strings.Contains(loc, "/console?done=ballot#ballot-") {
		t.Fatalf("open a ballot: %d %q", status, loc)
	}
	ballot := loc[strings.LastIndex(loc, "-")+1:]
	// The chair is present by the role from the start: no check-in before
	// voting (the API test refuses a participant's vote without one), and
	// the console's check-in answers with the arrival already recorded.
	if status, _, loc := postAs(chair, csrfChair, "/check-in", url.Values{"back": {"console"}}); status != 303 || !strings.Contains(loc, "/console?done=checked-in") {
		t.Fatalf("the chair checks in on the console: %d %q", status, loc)
	}
	if status, page, _ := postAs(chair, csrfChair, "/ballots/"+ballot+"/vote", url.Values{"choice": {"Có lẽ"}}); status != 422 || !strings.Contains(page, "hãy chọn một trong các phương án") {
		t.Errorf("an unknown choice: %d", status)
	}
	if status, _, _ := postAs(chair, csrfChair, "/ballots/"+ballot+"/vote", url.Values{"choice": {"Đồng ý"}}); status != 303 {
		t.Fatalf("vote: %d", status)
	}
	_, page, _ = chair.get(base)
	if !strings.Contains(page, "Bạn đã biểu quyết") || !strings.Contains(page, "Biên nhận: phiếu số 1") {
		t.Error("no receipt after the vote")
	}
	_, page, _ = chair.get(base + "/console")
	if !strings.Contains(page, `id="count-`+ballot+`">1</strong>`) || !strings.Contains(page, "tổng số từng phương án chỉ hiện khi kết thúc") {
		t.Error("the console does not count the secret vote, or shows its totals")
	}

	// After the meeting, the organiser links the conclusion notice: a
	// document of the unit already issued through routing.
	if status, _, _ := postAs(chair, csrfChair, "/status", url.Values{"status": {"ended"}}); status != 303 {
		t.Fatalf("end the meeting: %d", status)
	}
	notice := e.issuable(t, map[string]string{"doc_type": "TB", "title": "Thông báo kết luận cuộc họp giao ban chuyên môn",
		"doc_date": time.Now().In(domain.VietnamTime).Format(time.DateOnly)})
	_, page, _ = org.get(base)
	if strings.Contains(page, fmt.Sprintf(`<option value="%d"`, notice.ID)) {
		t.Error("a notice that was never issued is offered as the conclusion")
	}
	if status, out := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/issue", notice.ID), e.login("vanthu.sgd"),
		map[string]any{"recipients": map[string]any{"groups": []string{"district_offices"}}}); status != 201 {
		t.Fatalf("issue the notice: %d %s", status, out)
	}
	_, page, _ = org.get(base)
	if !strings.Contains(page, `id="conclusion-form"`) || !strings.Contains(page, fmt.Sprintf(`<option value="%d"`, notice.ID)) {
		t.Fatal("the ended meeting offers no conclusion form with the issued notice")
	}
	if status, page, _ := post(org, "/conclusion", url.Values{"document_id": {""}}); status != 422 || !strings.Contains(page, "chọn thông báo kết luận") {
		t.Errorf("no notice chosen: %d", status)
	}
	if status, _, loc := post(org, "/conclusion", url.Values{"document_id": {fmt.Sprint(notice.ID)}}); status != 303 || !strings.Contains(loc, "done=conclusion") {
		t.Fatalf("link the conclusion: %d %q", status, loc)
	}
	_, page, _ = org.get(base)
	if !strings.Contains(page, "Mở thông báo kết luận") {
		t.Error("the meeting page does not show the conclusion")
	}
}
