package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"image/jpeg"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/notify"
)

// A school's clerk receives a scanned paper letter through the API: it
// arrives in the school's inbox, its text is read by OCR in the
// background, and the text state and the text are there to read; a file
// that is not a scan is a 400 in Vietnamese.
func TestPaperArrivalAPI(t *testing.T) {
	e := newEnv(t, envOptions{})
	clerk := e.login("vanthu.thpt1")
	scan, err := os.ReadFile("../../testdata/scanned-letter.pdf")
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]string{"from": "Hội Khuyến học phường Bến Nghé", "doc_type": "CV", "number": "15", "symbol": "TM-HKH",
		"doc_date": "2026-12-01", "title": "Thư mời dự lễ trao học bổng", "urgency": "khan", "due_date": "2026-12-14"}

	body, ct := multipartBody(t, fields, "ghi-chu.txt", []byte("đây không phải bản quét"))
	status, out, _ := e.request("POST", "/api/v1/inbox/paper", clerk, body, ct)
	if status != 400 || !strings.Contains(string(out), `"not_scan"`) || !strings.Contains(string(out), "PDF hoặc ảnh JPEG, PNG") {
		t.Fatalf("not a scan: %d %s", status, out)
	}
	body, ct = multipartBody(t, fields, "thu-moi.pdf", scan)
	if status, out, _ := e.request("POST", "/api/v1/inbox/paper", e.login("chuyenvien.sgd"), body, ct); status != 403 {
		t.Fatalf("staff: %d %s", status, out)
	}
	body, ct = multipartBody(t, fields, "thu-moi.pdf", scan)
	status, out, hdr := e.request("POST", "/api/v1/inbox/paper", clerk, body, ct)
	if status != 201 {
		t.Fatalf("receive: %d %s", status, out)
	}
	var del struct {
		ID         int64  `json:"id"`
		DocumentID int64  `json:"document_id"`
		Status     string `json:"status"`
	}
	if err := json.Unmarshal(out, &del); err != nil || del.Status != "01" || hdr.Get("Location") != fmt.Sprintf("/api/v1/inbox/%d", del.ID) {
		t.Fatalf("delivery %s, %v, Location %q", out, err, hdr.Get("Location"))
	}
	type text struct {
		State, Method, Label, Body string
		Pages                      int
	}
	get := func() text {
		t.Helper()
		status, out, _ := e.request("GET", fmt.Sprintf("/api/v1/documents/%d/text?body=1", del.DocumentID), clerk, nil, "")
		var x text
		if status != 200 || json.Unmarshal(out, &x) != nil {
			t.Fatalf("text: %d %s", status, out)
		}
		return x
	}
	if x := get(); x.State != "pending" || x.Label != "đang xử lý" {
		t.Fatalf("text before the job: %+v", x)
	}
	testenv.RequireOCR(t)
	w := notify.NewWorker(e.db, "test-text", e.docs.TextHandlers(), notify.WorkerOptions{Logger: e.log})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if n, err := w.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("text jobs run: %d, %v", n, err)
	}
	x := get()
	if x.State != "done" || x.Method != "ocr" || x.Label != "đã nhận dạng OCR (1 trang)" || !strings.Contains(x.Body, "Khuyến học") {
		t.Fatalf("text after the job: %+v", x)
	}
	status, out, _ = e.request("POST", fmt.Sprintf("/api/v1/documents/%d/text", del.DocumentID), clerk, nil, "")
	if status != 202 || !strings.Contains(string(out), `"pending"`) {
		t.Fatalf("again: %d %s", status, out)
	}
	if status, out, _ := e.request("POST", fmt.Sprintf("/api/v1/documents/%d/text", del.DocumentID), e.login("vanthu.q1"), nil, ""); status != 404 {
		t.Fatalf("another unit asked for the text again: %d %s", status, out)
	}
}

// The web form: a school's clerk finds "Tiếp nhận văn bản giấy" on the
// inbox, uploads a photo of a letter (accepted: the clerk decides), lands
// on the delivery; the document page shows the text state and the copy
// mark's button, which signs the digitised copy once.
func TestPaperArrivalWeb(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	b := newBrowser(t, e)
	b.login("vanthu.thpt1")
	if status, page, _ := b.get("/inbox"); status != 200 || !strings.Contains(page, `href="/inbox/paper" id="paper-link"`) {
		t.Fatalf("inbox: %d, no link to the paper form", status)
	}
	status, page, _ := b.get("/inbox/paper")
	if status != 200 || !strings.Contains(page, "Tiếp nhận văn bản giấy") || !strings.Contains(page, `id="paper-submit"`) {
		t.Fatalf("form: %d %s", status, page)
	}
	csrf := csrfOf(t, page)
	post := func(name string, content []byte) (int, string, http.Header) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		w.WriteField("_csrf", csrf)
		for _, kv := range [][2]string{{"from", "Ủy ban nhân dân Phường Bến Nghé"}, {"doc_type", "CV"}, {"number", "88"}, {"symbol", "UBND-VX"},
			{"doc_date", "2026-12-01"}, {"title", "Về việc phối hợp tổ chức ngày hội đọc sách"}, {"urgency", "thuong"}, {"due_date", ""}} {
			w.WriteField(kv[0], kv[1])
		}
		fw, _ := w.CreateFormFile("file", name)
		fw.Write(content)
		w.Close()
		req, _ := http.NewRequest("POST", e.baseURL+"/inbox/paper", &buf)
		req.Header.Set("Content-Type", w.FormDataContentType())
		return b.do(req)
	}
	status, page, _ = post("ghi-chu.txt", []byte("không phải bản quét"))
	if status != 400 || !strings.Contains(html.UnescapeString(page), "Tệp quét phải là PDF hoặc ảnh JPEG, PNG") || !strings.Contains(page, "Về việc phối hợp") {
		t.Fatalf("not a scan: %d", status)
	}
	var photo bytes.Buffer
	jpeg.Encode(&photo, image.NewGray(image.Rect(0, 0, 600, 800)), nil)
	status, _, hdr := post("anh-chup.jpg", photo.Bytes())
	if status != 303 || !strings.HasSuffix(hdr.Get("Location"), "?done=paper-received") {
		t.Fatalf("photo: %d, Location %q", status, hdr.Get("Location"))
	}
	status, page, _ = b.get(hdr.Get("Location"))
	if status != 200 || !strings.Contains(page, "Đã tiếp nhận văn bản giấy") {
		t.Fatalf("delivery page: %d", status)
	}
	var docID int64
	var sha string
	if err := e.db.QueryRow(`SELECT d.id, v.sha256 FROM documents d JOIN document_versions v ON v.document_id = d.id WHERE d.origin = 'received_paper'`).Scan(&docID, &sha); err != nil {
		t.Fatal(err)
	}
	status, page, _ = b.get(fmt.Sprintf("/documents/%d", docID))
	if status != 200 || !strings.Contains(page, `id="doc-text-state">đang xử lý`) || !strings.Contains(page, `id="certify-copy-submit"`) || !strings.Contains(page, `id="doc-text-rerun"`) {
		t.Fatalf("document page: %d %s", status, page)
	}
	status, _, hdr = b.postForm(fmt.Sprintf("/documents/%d/certify-copy", docID), url.Values{"_csrf": {csrf}, "version_sha256": {sha}}, "")
	if status != 303 || !strings.Contains(hdr.Get("Location"), "done=sealed") {
		t.Fatalf("certify: %d %q", status, hdr.Get("Location"))
	}
	status, page, _ = b.get(fmt.Sprintf("/documents/%d", docID))
	if status != 200 || strings.Contains(page, `id="certify-copy-submit"`) {
		t.Fatalf("the copy mark offered twice: %d", status)
	}
	if status, _, hdr := b.postForm(fmt.Sprintf("/documents/%d/text", docID), url.Values{"_csrf": {csrf}}, ""); status != 303 {
		t.Fatalf("read again: %d %q", status, hdr.Get("Location"))
	}
}
