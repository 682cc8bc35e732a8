package server

import (
	"context"
	"encoding/json"
	"fmt"
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
