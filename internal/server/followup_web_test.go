package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestFollowUpPagesAndAccess: the slip, the follow-up register, the
// statistics and the district board through the pages and the API, and
// who gets a 404.
func TestFollowUpPagesAndAccess(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	doc := e.issuable(t, nil)
	q1 := webUnitID(e, codeQ1Office)
	body := fmt.Sprintf(`{"recipients":{"units":[%d],"groups":["district:%d"]},"steering":2}`, q1, q1)
	status, out, _ := e.request("POST", fmt.Sprintf("/api/v1/documents/%d/issue", doc.ID), e.login("vanthu.sgd"), strings.NewReader(body), "application/json")
	if status != 201 {
		t.Fatalf("issue: %d %s", status, out)
	}
	var dl int64
	if err := e.db.Get(&dl, `SELECT id FROM deliveries WHERE document_id = $1 AND recipient_unit_id = $2`, doc.ID, q1); err != nil {
		t.Fatal(err)
	}
	q1Tok := e.login("vanthu.q1")
	if status, out, _ := e.request("POST", fmt.Sprintf("/api/v1/inbox/%d/accept", dl), q1Tok, nil, ""); status != 200 {
		t.Fatalf("accept: %d %s", status, out)
	}

	// The slip.
	status, out, h := e.request("GET", fmt.Sprintf("/api/v1/inbox/%d/slip", dl), q1Tok, nil, "")
	if status != 200 || h.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(string(out), "%PDF") {
		t.Fatalf("slip: %d %s", status, h.Get("Content-Type"))
	}
	schoolTok := e.login("vanthu.thcs1")
	if status, _, _ := e.request("GET", fmt.Sprintf("/api/v1/inbox/%d/slip", dl), schoolTok, nil, ""); status != 404 {
		t.Fatalf("another unit's slip: %d, want 404", status)
	}
	office := newBrowser(t, e)
	office.login("vanthu.q1")
	if _, page, _ := office.get(fmt.Sprintf("/inbox/%d", dl)); !strings.Contains(page, fmt.Sprintf(`href="/inbox/%d/slip.pdf" id="slip-pdf"`, dl)) {
		t.Fatal("the delivery page has no link to the slip")
	}
	if status, page, h := office.get(fmt.Sprintf("/inbox/%d/slip.pdf", dl)); status != 200 || h.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(page, "%PDF") {
		t.Fatalf("slip page: %d %s", status, h.Get("Content-Type"))
	}
	school := newBrowser(t, e)
	school.login("vanthu.thcs1")
	if status, _, _ := school.get(fmt.Sprintf("/inbox/%d/slip.pdf", dl)); status != 404 {
		t.Fatalf("another unit's slip page: %d, want 404", status)
	}

	// The follow-up register and the statistics.
	status, page, _ := office.get("/registers?kind=followup")
	if status != 200 || !strings.Contains(page, "Sổ theo dõi giải quyết văn bản đến") || !strings.Contains(page, "01/KH-SGDĐT") {
		t.Fatalf("follow-up register page: %d", status)
	}
	status, out, h = e.request("GET", "/api/v1/followup/register?format=csv", q1Tok, nil, "")
	if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.HasPrefix(string(out), "\uFEFFSố đến,") || !strings.Contains(string(out), "01/KH-SGDĐT") {
		t.Fatalf("follow-up register CSV: %d %s", status, out)
	}
	status, out, h = e.request("GET", "/api/v1/followup/register?format=pdf&from=2026-01-01&to=2026-12-31", q1Tok, nil, "")
	if status != 200 || h.Get("Content-Type") != "application/pdf" {
		t.Fatalf("follow-up register PDF: %d %s", status, out)
	}
	if status, page, _ := office.get("/handling/stats"); status != 200 || !strings.Contains(page, "Phòng Giáo dục và Đào tạo Quận 1") {
		t.Fatalf("statistics page: %d", status)
	}
	if status, page, _ := office.get("/handling/stats?format=csv"); status != 200 || !strings.HasPrefix(page, "\uFEFFCấp,Tên,Đã nhận") {
		t.Fatalf("statistics CSV: %d %q", status, page)
	}

	// The district board: the schools have not accepted for ten days.
	e.db.MustExec(`UPDATE deliveries SET arrived_at = now() - interval '10 days' WHERE document_id = $1 AND recipient_unit_id <> $2`, doc.ID, q1)
	status, page, _ = office.get("/district")
	if status != 200 || !strings.Contains(page, `id="nav-district"`) || !strings.Contains(page, "Trường THCS Văn Lang") ||
		!strings.Contains(page, `id="remind-all"`) || !strings.Contains(page, "Nhắc tất cả trường chậm (3)") {
		t.Fatalf("district board: %d\n%s", status, page)
	}
	remind := url.Values{"_csrf": {csrfOf(t, page)}}
	status, _, h = office.postForm("/district/remind", remind, "")
	if status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/district?done=reminded") {
		t.Fatalf("remind: %d to %q", status, h.Get("Location"))
	}
	if _, page, _ := office.get(h.Get("Location")); !strings.Contains(page, "Đã nhắc 1 trường chậm (1 thông báo đến văn thư).") {
		t.Errorf("after the reminder, the page lacks its message")
	}
	office.postForm("/district/remind", remind, "") // a double click
	var n int
	e.db.Get(&n, `SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.username = 'vanthu.thcs1' AND n.kind = 'district.remind'`)
	if n != 1 {
		t.Fatalf("the school's clerk got %d reminders, want 1", n)
	}
	if status, out, _ := e.request("GET", "/api/v1/district/board", q1Tok, nil, ""); status != 200 || !strings.Contains(string(out), `"laggards":3`) {
		t.Fatalf("board API: %d %s", status, out)
	}

	// A school has no board, no link to one; the department sees any.
	if status, page, _ := school.get("/district"); status != 404 || strings.Contains(page, `id="nav-district"`) {
		t.Fatalf("a school's /district: %d, want 404", status)
	}
	if status, _, _ := school.get(fmt.Sprintf("/district?unit=%d", q1)); status != 404 {
		t.Fatalf("a school's view of its district: %d, want 404", status)
	}
	if status, _, _ := e.request("GET", fmt.Sprintf("/api/v1/district/board?unit=%d", q1), schoolTok, nil, ""); status != 404 {
		t.Fatalf("a school's board API: %d, want 404", status)
	}
	if status, _, _ := e.request("POST", "/api/v1/district/remind", schoolTok, nil, ""); status != 404 {
		t.Fatalf("a school reminding: %d, want 404", status)
	}
	sgd := newBrowser(t, e)
	sgd.login("vanthu.sgd")
	if status, page, _ := sgd.get("/district"); status != 200 || !strings.Contains(page, fmt.Sprintf(`href="/district?unit=%d"`, q1)) ||
		!strings.Contains(page, `id="nav-district"`) {
		t.Fatalf("the department's choice of district: %d", status)
	}
	if status, page, _ := sgd.get(fmt.Sprintf("/district?unit=%d", q1)); status != 200 || !strings.Contains(page, "Trường THCS Văn Lang") {
		t.Fatalf("the department's view of Quận 1: %d", status)
	}
}
