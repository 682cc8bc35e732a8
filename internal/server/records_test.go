package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/domain"
)

// TestRecordsAPI walks a file through the API: list, heading, file, open,
// items, close, hand-over, receipt; and the refusals on the way.
func TestRecordsAPI(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	clerk, staff, archivist, q1 := e.login("vanthu.sgd"), e.login("chuyenvien.sgd"), e.login("luutru.sgd"), e.login("vanthu.q1")

	status, b := e.postJSON(t, "/api/v1/file-lists", staff, map[string]any{"year": 2026})
	if status != 403 {
		t.Fatalf("staff creates a list: %d %s", status, b)
	}
	status, b = e.postJSON(t, "/api/v1/file-lists", archivist, map[string]any{"year": 2026})
	if status != 201 {
		t.Fatalf("create list: %d %s", status, b)
	}
	var list struct {
		ID int64 `json:"id"`
	}
	json.Unmarshal(b, &list)
	status, b = e.postJSON(t, fmt.Sprintf("/api/v1/file-lists/%d/headings", list.ID), clerk, map[string]any{"title": "Văn phòng", "code": "VP"})
	if status != 201 {
		t.Fatalf("heading: %d %s", status, b)
	}
	var heading struct {
		ID int64 `json:"id"`
	}
	json.Unmarshal(b, &heading)
	var me struct {
		ID int64 `json:"id"`
	}
	_, mb, _ := e.request("GET", "/api/v1/me", staff, nil, "")
	json.Unmarshal(mb, &me)
	status, b = e.postJSON(t, fmt.Sprintf("/api/v1/file-lists/%d/files", list.ID), clerk, map[string]any{
		"heading_id": heading.ID, "code": "01.VP", "title": "Kế hoạch năm học", "retention_years": 10, "responsible_id": me.ID})
	if status != 201 {
		t.Fatalf("file: %d %s", status, b)
	}
	var file struct {
		ID    int64  `json:"id"`
		State string `json:"state"`
		DueOn string `json:"due_on"`
		Items []struct {
			Seq        int   `json:"seq"`
			DocumentID int64 `json:"document_id"`
		} `json:"items"`
	}
	json.Unmarshal(b, &file)
	fpath := fmt.Sprintf("/api/v1/files/%d", file.ID)
	status, b = e.postJSON(t, fmt.Sprintf("/api/v1/file-lists/%d/files", list.ID), clerk, map[string]any{"code": "02", "title": "X", "retention_years": 0})
	if status != 422 || !strings.Contains(string(b), "retention_years") {
		t.Fatalf("retention 0: %d %s", status, b)
	}

	if status, b = e.postJSON(t, fpath+"/open", staff, nil); status != 200 {
		t.Fatalf("open: %d %s", status, b)
	}
	doc := e.issuable(t, nil)
	if status, b = e.postJSON(t, fpath+"/items", staff, map[string]any{"document_id": doc.ID}); status != 201 {
		t.Fatalf("add item: %d %s", status, b)
	}
	draft := e.create(t, clerk, validFields(), "Dự thảo.pdf", fixturePDF(t))
	status, b = e.postJSON(t, fpath+"/items", staff, map[string]any{"document_id": draft.ID})
	if status != 422 && status != 404 {
		t.Fatalf("draft: %d %s", status, b)
	}
	status, b = e.postJSON(t, fpath+"/items", clerk, map[string]any{"document_id": draft.ID})
	if status != 422 || !strings.Contains(string(b), "dự thảo") {
		t.Fatalf("clerk files a draft: %d %s", status, b)
	}
	// Another unit: not found, whatever it tries.
	if status, _, _ := e.request("GET", fpath, q1, nil, ""); status != 404 {
		t.Fatalf("another unit reads: %d", status)
	}
	if status, _ := e.postJSON(t, fpath+"/close", q1, nil); status != 404 {
		t.Fatalf("another unit closes: %d", status)
	}

	if status, b = e.postJSON(t, fpath+"/close", staff, nil); status != 200 {
		t.Fatalf("close: %d %s", status, b)
	}
	json.Unmarshal(b, &file)
	if file.State != "closed" || file.DueOn == "" {
		t.Fatalf("closed: %s", b)
	}
	if status, b = e.postJSON(t, "/api/v1/handovers", staff, map[string]any{"file_ids": []int64{file.ID}}); status != 403 {
		t.Fatalf("staff prepares: %d %s", status, b)
	}
	status, b = e.postJSON(t, "/api/v1/handovers", clerk, map[string]any{"file_ids": []int64{file.ID}})
	if status != 201 {
		t.Fatalf("prepare: %d %s", status, b)
	}
	var h struct {
		ID               int64  `json:"id"`
		State            string `json:"state"`
		RecordDocumentID int64  `json:"record_document_id"`
		ListDocumentID   int64  `json:"list_document_id"`
	}
	json.Unmarshal(b, &h)
	if h.RecordDocumentID == 0 || h.ListDocumentID == 0 {
		t.Fatalf("hand-over documents: %s", b)
	}
	hpath := fmt.Sprintf("/api/v1/handovers/%d", h.ID)
	if status, _ := e.postJSON(t, hpath+"/receive", clerk, nil); status != 403 {
		t.Fatalf("the clerk receives: %d", status)
	}
	if status, b = e.postJSON(t, hpath+"/receive", archivist, nil); status != 200 {
		t.Fatalf("receive: %d %s", status, b)
	}
	if status, b, _ = e.request("GET", hpath, archivist, nil, ""); status != 200 || !strings.Contains(string(b), `"handed_over"`) {
		t.Fatalf("get hand-over: %d %s", status, b)
	}
	// Frozen: 409 with its message.
	status, b = e.postJSON(t, fpath+"/items", clerk, map[string]any{"document_id": doc.ID})
	if status != 409 || !strings.Contains(string(b), "file_frozen") || !strings.Contains(string(b), "đã nộp lưu") {
		t.Fatalf("add to a frozen file: %d %s", status, b)
	}
	if status, b, _ = e.request("DELETE", fpath+"/items/1", clerk, nil, ""); status != 409 {
		t.Fatalf("remove from a frozen file: %d %s", status, b)
	}
	status, b, hdr := e.request("GET", fpath+"/export", clerk, nil, "")
	if status != 200 || !bytes.HasPrefix(b, []byte("PK")) || !bytes.Contains(b, []byte("hoso.xml")) || !bytes.Contains(b, []byte("manifest.xml")) {
		t.Fatalf("export: %d, %d bytes", status, len(b))
	}
	if cd := hdr.Get("Content-Disposition"); !strings.Contains(cd, "filename*=UTF-8''H%E1%BB%93%20s%C6%A1%2001.VP.zip") {
		t.Errorf("the package's file name lost its Vietnamese: %q", cd)
	}
	if status, _, _ = e.request("GET", fpath+"/export", q1, nil, ""); status != 404 {
		t.Fatalf("export by another unit: %d, want 404", status)
	}
	if status, b, _ = e.request("GET", "/api/v1/file-lists?year=2026", staff, nil, ""); status != 200 || !strings.Contains(string(b), `"01.VP"`) {
		t.Fatalf("list: %d %s", status, b)
	}
	if status, b, _ = e.request("GET", "/api/v1/file-lists?year=2026", q1, nil, ""); status != 200 || !strings.Contains(string(b), `"list":null`) {
		t.Fatalf("another unit's view of the list: %d %s", status, b)
	}
	status, b = e.postJSON(t, "/api/v1/file-lists/copy", clerk, map[string]any{"year": 2027})
	if status != 201 || !strings.Contains(string(b), `"01.VP"`) || !strings.Contains(string(b), `"planned"`) {
		t.Fatalf("copy: %d %s", status, b)
	}
	var copied struct {
		Files []struct {
			ID int64 `json:"id"`
		} `json:"files"`
	}
	json.Unmarshal(b, &copied)
	cpath := fmt.Sprintf("/api/v1/files/%d", copied.Files[0].ID)
	body, _ := json.Marshal(map[string]any{"code": "01.VP", "title": "Kế hoạch năm học 2027", "retention_years": nil})
	if status, b, _ = e.request("PATCH", cpath, clerk, strings.NewReader(string(body)), "application/json"); status != 200 || !strings.Contains(string(b), `"retention_years":null`) {
		t.Fatalf("update: %d %s", status, b)
	}
	if status, b, _ = e.request("PATCH", fpath, clerk, strings.NewReader(string(body)), "application/json"); status != 409 {
		t.Fatalf("update a frozen file: %d %s", status, b)
	}
	if status, b, _ = e.request("DELETE", cpath, clerk, nil, ""); status != 204 {
		t.Fatalf("delete: %d %s", status, b)
	}
}

var idRE = regexp.MustCompile(`id="file-link-(\d+)"`)

// TestRecordsPages walks the clickable flow the browser test follows:
// list → file → add → close → hand over → the archive officer receives.
func TestRecordsPages(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	doc := e.issuable(t, nil)
	year := fmt.Sprint(time.Now().In(domain.VietnamTime).Year())

	arch := newBrowser(t, e)
	arch.login("luutru.sgd")
	_, page, _ := arch.get("/files")
	if !strings.Contains(page, `id="nav-files"`) || !strings.Contains(page, `id="create-list"`) {
		t.Fatalf("files page without the create form:\n%s", page)
	}
	csrf := csrfOf(t, page)
	if status, _, h := arch.postForm("/files/lists", url.Values{"_csrf": {csrf}, "year": {year}}, ""); status != 303 {
		t.Fatalf("create list: %d %s", status, h.Get("Location"))
	}
	_, page, _ = arch.get("/files?year=" + year)
	m := regexp.MustCompile(`action="/files/lists/(\d+)/files"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no file form:\n%s", page)
	}
	listPath := "/files/lists/" + m[1]
	if status, _, _ := arch.postForm(listPath+"/headings", url.Values{"_csrf": {csrf}, "year": {year}, "title": {"Văn phòng"}}, ""); status != 303 {
		t.Fatalf("heading: %d", status)
	}
	status, page, _ := arch.postForm(listPath+"/files", url.Values{"_csrf": {csrf}, "year": {year}, "code": {"01.VP"},
		"title": {"Kế hoạch năm học"}, "retention_years": {"abc"}}, "")
	if status != 422 || !strings.Contains(page, "thời hạn bảo quản") {
		t.Fatalf("bad retention: %d", status)
	}
	if status, _, _ := arch.postForm(listPath+"/files", url.Values{"_csrf": {csrf}, "year": {year}, "code": {"01.VP"},
		"title": {"Kế hoạch năm học"}, "retention_years": {"vĩnh viễn"}}, ""); status != 303 {
		t.Fatalf("file: %d", status)
	}
	_, page, _ = arch.get("/files?year=" + year)
	m = idRE.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "I. VĂN PHÒNG") || !strings.Contains(page, "Vĩnh viễn") {
		t.Fatalf("list page:\n%s", page)
	}
	filePath := "/files/" + m[1]
	if status, _, h := arch.get("/files/list.pdf?year=" + year); status != 200 || h.Get("Content-Type") != "application/pdf" {
		t.Fatalf("list PDF: %d", status)
	}

	// Adjust the file's entry: five years instead of permanent.
	_, page, _ = arch.get(filePath)
	if !strings.Contains(page, `id="save-file"`) || !strings.Contains(page, `id="delete-file"`) {
		t.Fatalf("no edit form:\n%s", page)
	}
	if status, _, _ := arch.postForm(filePath, url.Values{"_csrf": {csrf}, "code": {"01.VP"}, "title": {"Kế hoạch năm học"},
		"retention_years": {"5"}}, ""); status != 303 {
		t.Fatalf("edit: %d", status)
	}
	if _, page, _ = arch.get(filePath); !strings.Contains(page, "5 năm") {
		t.Fatalf("edited file:\n%s", page)
	}

	clerk := newBrowser(t, e)
	clerk.login("vanthu.sgd")
	_, page, _ = clerk.get(filePath)
	csrf = csrfOf(t, page)
	if !strings.Contains(page, `id="open-file"`) {
		t.Fatalf("no open button:\n%s", page)
	}
	if status, _, _ := clerk.postForm(filePath+"/open", url.Values{"_csrf": {csrf}}, ""); status != 303 {
		t.Fatalf("open: %d", status)
	}
	// From the document page.
	_, page, _ = clerk.get(fmt.Sprintf("/documents/%d", doc.ID))
	if !strings.Contains(page, `id="file-document"`) {
		t.Fatalf("document page without Lưu vào hồ sơ:\n%s", page)
	}
	if status, _, h := clerk.postForm(fmt.Sprintf("/documents/%d/file", doc.ID), url.Values{"_csrf": {csrf}, "file_id": {m[1]}}, ""); status != 303 || h.Get("Location") != filePath+"?done=added" {
		t.Fatalf("file from the document page: %d %s", status, h.Get("Location"))
	}
	// By number and symbol: already in it.
	status, page, _ = clerk.postForm(filePath+"/items", url.Values{"_csrf": {csrf}, "document": {doc.NumberSymbol}}, "")
	if status != 422 || !strings.Contains(page, "đã có trong hồ sơ") {
		t.Fatalf("the same document again: %d", status)
	}
	_, page, _ = clerk.get(filePath)
	if !strings.Contains(page, `id="item-1"`) || !strings.Contains(page, `id="close-file"`) {
		t.Fatalf("file page:\n%s", page)
	}
	if status, _, h := clerk.get(filePath + "/index.pdf"); status != 200 || h.Get("Content-Type") != "application/pdf" {
		t.Fatalf("index PDF: %d", status)
	}
	if status, _, _ := clerk.postForm(filePath+"/close", url.Values{"_csrf": {csrf}}, ""); status != 303 {
		t.Fatalf("close: %d", status)
	}
	_, page, _ = clerk.get("/handovers")
	if !strings.Contains(page, `id="handover-file-`+m[1]+`"`) {
		t.Fatalf("hand-over page without the closed file:\n%s", page)
	}
	status, _, h := clerk.postForm("/handovers", url.Values{"_csrf": {csrf}, "file_ids": {m[1]}}, "")
	if status != 303 {
		t.Fatalf("prepare: %d", status)
	}
	hpath := strings.TrimSuffix(h.Get("Location"), "?done=prepared")
	for _, pdf := range []string{"/list.pdf", "/record.pdf"} {
		if status, body, h := clerk.get(hpath + pdf); status != 200 || h.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(body, "%PDF") {
			t.Fatalf("%s: %d", pdf, status)
		}
	}

	_, page, _ = arch.get(hpath)
	if !strings.Contains(page, `id="receive-handover"`) {
		t.Fatalf("no receive button:\n%s", page)
	}
	if status, _, _ := arch.postForm(hpath+"/receive", url.Values{"_csrf": {csrfOf(t, page)}}, ""); status != 303 {
		t.Fatalf("receive: %d", status)
	}
	_, page, _ = clerk.get(filePath)
	if !strings.Contains(page, "Đã nộp lưu — không thể thay đổi") || strings.Contains(page, `id="add-item"`) {
		t.Fatalf("frozen file page:\n%s", page)
	}

	other := newBrowser(t, e)
	other.login("vanthu.q1")
	if status, _, _ := other.get(filePath); status != http.StatusNotFound {
		t.Fatalf("another unit sees the file: %d", status)
	}
	if status, _, _ := other.get(hpath); status != http.StatusNotFound {
		t.Fatalf("another unit sees the hand-over: %d", status)
	}
}
