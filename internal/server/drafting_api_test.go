package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/convert"
	"github.com/hcm-edu/vanban/internal/domain"
)

// landingPage reports whether path is one of the pages a user lands on
// after logging in (drafting.Landing): where the user's work is.
func landingPage(path string) bool {
	switch path {
	case "/documents", "/drafts", "/inbox", "/queues/sign", "/queues/register":
		return true
	}
	return false
}

// draftJSON is a draft as the API returns it.
type draftJSON struct {
	Document struct {
		ID          int64  `json:"id"`
		Title       string `json:"title"`
		SubmittedTo *int64 `json:"submitted_to"`
	} `json:"document"`
	State     string `json:"state"`
	Revisions []struct {
		Version int    `json:"version"`
		SHA256  string `json:"sha256"`
	} `json:"revisions"`
	Reviews []struct {
		Decision *string `json:"decision"`
	} `json:"reviews"`
	Actions map[string]struct {
		Allowed bool   `json:"allowed"`
		Reason  string `json:"reason"`
	} `json:"actions"`
}

// refusingConverter refuses every file, as LibreOffice refuses one with
// macros.
type refusingConverter struct{}

func (refusingConverter) ToPDF(context.Context, []byte, string) ([]byte, error) {
	return nil, &convert.BadFileError{Code: "macros", Reason: "Tệp có macro; hãy lưu lại dạng .docx rồi tải lên lại"}
}

func (refusingConverter) ToText(context.Context, []byte, string) (string, error) { return "", nil }

func (e *testEnv) userID(t *testing.T, username string) int64 {
	t.Helper()
	var id int64
	if err := e.db.Get(&id, `SELECT id FROM users WHERE username = $1`, username); err != nil {
		t.Fatal(err)
	}
	return id
}

func wantStatus(t *testing.T, what string, status, want int, body []byte) {
	t.Helper()
	if status != want {
		t.Fatalf("%s: status %d, want %d: %s", what, status, want, body)
	}
}

func decodeDraft(t *testing.T, b []byte) draftJSON {
	t.Helper()
	var d draftJSON
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("draft: %v: %s", err, b)
	}
	return d
}

// TestDraftThroughTheAPI runs the drafting story through HTTP: upload,
// visibility, review, submission, return, revision, signature by the named
// signer, the clerk's queue; and the converter's answers.
func TestDraftThroughTheAPI(t *testing.T) {
	e := newEnv(t, envOptions{signing: true, converter: refusingConverter{}})
	drafter, reviewer, leader, clerk := e.login("chuyenvien.sgd"), e.login("truongphong.sgd"), e.login("giamdoc.sgd"), e.login("vanthu.sgd")
	fields := map[string]string{"doc_type": "KH", "title": "Kế hoạch tổ chức kỳ thi học sinh giỏi năm 2027"}

	body, ct := multipartBody(t, fields, "Kế hoạch.pdf", fixturePDF(t))
	status, out, h := e.request("POST", "/api/v1/drafts", drafter, body, ct)
	wantStatus(t, "create", status, 201, out)
	d := decodeDraft(t, out)
	path := fmt.Sprintf("/api/v1/drafts/%d", d.Document.ID)
	if h.Get("Location") != path || d.State != "open" || !d.Actions["submit"].Allowed {
		t.Fatalf("created: %s %+v", h.Get("Location"), d)
	}

	// Not a participant: 404, for the draft and for the document.
	for _, p := range []string{path, fmt.Sprintf("/api/v1/documents/%d", d.Document.ID)} {
		if status, out, _ := e.request("GET", p, reviewer, nil, ""); status != 404 {
			t.Fatalf("a colleague reads %s: %d %s", p, status, out)
		}
	}
	status, out = e.postJSON(t, path+"/reviews", drafter, map[string]any{"reviewer_ids": []int64{e.userID(t, "vanthu.q1")}})
	wantStatus(t, "reviewer outside the unit", status, 422, out)
	if !strings.Contains(string(out), "reviewer_id") {
		t.Errorf("no field error: %s", out)
	}
	status, out = e.postJSON(t, path+"/reviews", drafter, map[string]any{"reviewer_ids": []int64{e.userID(t, "truongphong.sgd")}, "note": "Nhờ xem giúp"})
	wantStatus(t, "request review", status, 200, out)
	status, out, _ = e.request("GET", "/api/v1/queues/review", reviewer, nil, "")
	wantStatus(t, "review queue", status, 200, out)
	status, out = e.postJSON(t, path+"/comments", reviewer, map[string]any{"body": "Mục II cần nêu rõ thời gian"})
	wantStatus(t, "comment", status, 200, out)
	status, out = e.postJSON(t, path+"/reviews/decision", reviewer, map[string]any{"decision": "approved"})
	wantStatus(t, "approve", status, 200, out)

	due := time.Now().In(domain.VietnamTime).AddDate(0, 0, 2).Format(time.DateOnly)
	status, out = e.postJSON(t, path+"/submit", drafter, map[string]any{"signer_id": e.userID(t, "vanthu.sgd"), "due_date": due})
	wantStatus(t, "submit to a clerk", status, 422, out)
	status, out = e.postJSON(t, path+"/submit", drafter, map[string]any{"signer_id": e.userID(t, "giamdoc.sgd"), "due_date": due})
	wantStatus(t, "submit", status, 200, out)
	status, out, _ = e.request("GET", "/api/v1/queues", leader, nil, "")
	var counts struct{ Sign int }
	if status != 200 || json.Unmarshal(out, &counts) != nil || counts.Sign != 1 {
		t.Fatalf("counts: %d %s", status, out)
	}

	body, ct = multipartBody(t, nil, "Kế hoạch v2.pdf", e.otherPDF(t))
	status, out, _ = e.request("POST", path+"/revisions", drafter, body, ct)
	wantStatus(t, "revision while submitted", status, 409, out)
	status, out = e.postJSON(t, path+"/return", leader, map[string]any{"reason": ""})
	wantStatus(t, "return without a reason", status, 422, out)
	status, out = e.postJSON(t, path+"/return", leader, map[string]any{"reason": "Bổ sung kinh phí"})
	wantStatus(t, "return", status, 200, out)

	body, ct = multipartBody(t, map[string]string{"note": "Bổ sung kinh phí"}, "Kế hoạch v2.pdf", e.otherPDF(t))
	status, out, _ = e.request("POST", path+"/revisions", drafter, body, ct)
	wantStatus(t, "revision", status, 201, out)
	status, out, _ = e.request("GET", path+"/diff", drafter, nil, "")
	wantStatus(t, "diff", status, 200, out)
	status, out = e.postJSON(t, path+"/submit", drafter, map[string]any{"signer_id": e.userID(t, "giamdoc.sgd"), "due_date": due})
	wantStatus(t, "submit again", status, 200, out)
	d = decodeDraft(t, out)

	status, out, _ = e.request("GET", "/api/v1/queues/sign", leader, nil, "")
	if status != 200 || !strings.Contains(string(out), d.Revisions[0].SHA256) {
		t.Fatalf("sign queue: %d %s", status, out)
	}
	status, out = e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/sign", d.Document.ID), leader, map[string]any{"version_sha256": d.Revisions[0].SHA256})
	wantStatus(t, "sign", status, 200, out)
	status, out, _ = e.request("GET", "/api/v1/queues/register", clerk, nil, "")
	if status != 200 || !strings.Contains(string(out), fmt.Sprintf(`"document_id":%d`, d.Document.ID)) {
		t.Fatalf("register queue: %d %s", status, out)
	}

	// Word files: refused by the converter (422, nothing kept).
	body, ct = multipartBody(t, fields, "Kế hoạch.docx", []byte("PK\x03\x04 not really"))
	status, out, _ = e.request("POST", "/api/v1/drafts", drafter, body, ct)
	wantStatus(t, "refused Word file", status, 422, out)
	if !strings.Contains(string(out), "bad_office_file") {
		t.Errorf("refusal: %s", out)
	}
}

// otherPDF is a PDF other than the fixture.
func (e *testEnv) otherPDF(t *testing.T) []byte {
	t.Helper()
	return append(fixturePDF(t), "\n% revision 2\n"...)
}

// TestWordUploadWithoutConverter: with no converter a Word upload answers
// 503 and is kept, listed as waiting for conversion.
func TestWordUploadWithoutConverter(t *testing.T) {
	e := newEnv(t, envOptions{})
	drafter := e.login("chuyenvien.sgd")
	body, ct := multipartBody(t, map[string]string{"doc_type": "CV", "title": "Công văn thử"}, "Công văn.docx", []byte("PK\x03\x04 docx"))
	status, out, _ := e.request("POST", "/api/v1/drafts", drafter, body, ct)
	wantStatus(t, "Word without converter", status, 503, out)
	if !strings.Contains(string(out), "conversion_pending") {
		t.Errorf("answer: %s", out)
	}
	status, out, _ = e.request("GET", "/api/v1/drafts", drafter, nil, "")
	if status != 200 || !strings.Contains(string(out), "Công văn.docx") {
		t.Fatalf("pending list: %d %s", status, out)
	}
	b := newBrowser(t, e)
	b.login("chuyenvien.sgd")
	if status, page, _ := b.get("/drafts"); status != 200 || !strings.Contains(page, "Đang chờ chuyển đổi") {
		t.Fatalf("drafts page: %d", status)
	}
}

// TestDraftPages renders the drafting pages and the menu's counts.
func TestDraftPages(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	drafter := e.login("chuyenvien.sgd")
	body, ct := multipartBody(t, map[string]string{"doc_type": "KH", "title": "Kế hoạch kiểm tra"}, "Kế hoạch.pdf", fixturePDF(t))
	status, out, _ := e.request("POST", "/api/v1/drafts", drafter, body, ct)
	wantStatus(t, "create", status, 201, out)
	d := decodeDraft(t, out)
	due := time.Now().In(domain.VietnamTime).AddDate(0, 0, 2).Format(time.DateOnly)
	path := fmt.Sprintf("/api/v1/drafts/%d", d.Document.ID)
	status, out = e.postJSON(t, path+"/reviews", drafter, map[string]any{"reviewer_ids": []int64{e.userID(t, "truongphong.sgd")}})
	wantStatus(t, "request review", status, 200, out)
	status, out = e.postJSON(t, path+"/reviews/decision", e.login("truongphong.sgd"), map[string]any{"decision": "approved"})
	wantStatus(t, "approve", status, 200, out)

	b := newBrowser(t, e)
	b.login("chuyenvien.sgd")
	for _, p := range []string{"/drafts", "/drafts/new", fmt.Sprintf("/drafts/%d", d.Document.ID), "/queues/review", "/queues/returned"} {
		if status, page, _ := b.get(p); status != 200 || !strings.Contains(page, "Dự thảo") {
			t.Fatalf("%s: %d", p, status)
		}
	}
	_, page, _ := b.get(fmt.Sprintf("/drafts/%d", d.Document.ID))
	for _, want := range []string{`class="pdf-view"`, "download?inline=1", "Trình ký", "Tải lên bản sửa", "Bình luận", "Đã duyệt"} {
		if !strings.Contains(page, want) {
			t.Errorf("draft page lacks %q", want)
		}
	}
	form := url.Values{"_csrf": {csrfOf(t, page)}, "signer_id": {fmt.Sprint(e.userID(t, "giamdoc.sgd"))}, "due_date": {due}}
	status, page, _ = b.postForm(fmt.Sprintf("/drafts/%d/submit/confirm", d.Document.ID), form, "")
	if status != 200 || !strings.Contains(page, "Lê Hoài Nam") {
		t.Fatalf("submit confirmation: %d", status)
	}
	form.Set("_csrf", csrfOf(t, page))
	if status, _, h := b.postForm(fmt.Sprintf("/drafts/%d/submit", d.Document.ID), form, ""); status != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "done=submitted") {
		t.Fatalf("submit: %d %s", status, h.Get("Location"))
	}

	l := newBrowser(t, e)
	_, page, _ = l.get("/login")
	status, _, h := l.postForm("/login", url.Values{"_csrf": {csrfOf(t, page)}, "username": {"giamdoc.sgd"}, "password": {testPassword}}, "")
	if status != http.StatusSeeOther || h.Get("Location") != "/queues/sign" {
		t.Fatalf("leader's landing: %d %s", status, h.Get("Location"))
	}
	status, page, _ = l.get("/queues/sign")
	if status != 200 || !strings.Contains(page, `id="sign-count">1<`) || !strings.Contains(page, `action="/documents/sign-batch"`) ||
		!strings.Contains(page, fmt.Sprintf(`value="%d:`, d.Document.ID)) {
		t.Fatalf("sign queue page: %d", status)
	}
	status, page, _ = l.get(fmt.Sprintf("/drafts/%d", d.Document.ID))
	if status != 200 || !strings.Contains(page, `id="return-form"`) {
		t.Fatalf("the signer's draft page: %d", status)
	}
	form = url.Values{"_csrf": {csrfOf(t, page)}, "reason": {"Sửa mục IV"}}
	status, page, _ = l.postForm(fmt.Sprintf("/drafts/%d/return/confirm", d.Document.ID), form, "")
	if status != 200 || !strings.Contains(page, "Sửa mục IV") {
		t.Fatalf("return confirmation: %d", status)
	}
	form.Set("_csrf", csrfOf(t, page))
	if status, _, _ := l.postForm(fmt.Sprintf("/drafts/%d/return", d.Document.ID), form, ""); status != http.StatusSeeOther {
		t.Fatalf("return: %d", status)
	}
	if status, page, _ := b.get("/queues/returned"); status != 200 || !strings.Contains(page, "Sửa mục IV") || !strings.Contains(page, `id="returned-count"`) {
		t.Fatalf("returned queue: %d", status)
	}
}
