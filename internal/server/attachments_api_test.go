package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hcm-edu/vanban/internal/testenv"
)

// pdfConverter stands for convert's pool: any Word file becomes a PDF.
type pdfConverter struct{}

func (pdfConverter) ToPDF(_ context.Context, in []byte, _ string) ([]byte, error) {
	return testenv.PDF(1500, uint64(len(in))), nil
}

type attachmentJSON struct {
	ID               int64   `json:"id"`
	Position         int     `json:"position"`
	Title            string  `json:"title"`
	FileName         string  `json:"file_name"`
	SHA256           string  `json:"sha256"`
	Sealed           bool    `json:"sealed"`
	Valid            *bool   `json:"valid"`
	OriginalFileName *string `json:"original_file_name"`
}

func (e *testEnv) attachments(t *testing.T, token string, id int64) (int, []attachmentJSON) {
	t.Helper()
	status, b, _ := e.request("GET", fmt.Sprintf("/api/v1/documents/%d/attachments", id), token, nil, "")
	var out struct{ Items []attachmentJSON }
	if status == 200 {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
	}
	return status, out.Items
}

func (e *testEnv) addAttachment(t *testing.T, token string, id int64, title, name string, content []byte) (int, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("title", title)
	fw, _ := w.CreateFormFile("file", name)
	fw.Write(content)
	w.Close()
	status, b, _ := e.request("POST", fmt.Sprintf("/api/v1/documents/%d/attachments", id), token, &buf, w.FormDataContentType())
	return status, b
}

// The attachments of a draft through the API, on S3: added, ordered,
// downloaded under their Vietnamese names, refused to whoever may not
// change them, sealed at registration and frozen after.
func TestAttachmentsThroughTheAPI(t *testing.T) {
	s3 := testenv.RequireS3(t)
	e := newEnv(t, envOptions{blobs: newS3Store(t, s3, s3.Endpoint), signing: true})
	clerk, director, staff, other := e.login("vanthu.sgd"), e.login("giamdoc.sgd"), e.login("chuyenvien.sgd"), e.login("vanthu.q1")
	d := e.create(t, clerk, validFields(), "Kế hoạch.pdf", fixturePDF(t))
	// The colleague reviews it, so sees the unsigned draft (drafting's rule).
	if status, b := e.postJSON(t, fmt.Sprintf("/api/v1/drafts/%d/reviews", d.ID), clerk, map[string]any{"reviewer_ids": []int64{e.userID(t, "chuyenvien.sgd")}}); status != 200 {
		t.Fatalf("review request: %d %s", status, b)
	}
	one, two := testenv.PDF(1500, 1), testenv.PDF(1500, 2)
	if status, b := e.addAttachment(t, clerk, d.ID, "Phụ lục I. Danh sách trường", "Phụ lục I.pdf", one); status != 201 {
		t.Fatalf("add: %d %s", status, b)
	}
	if status, b := e.addAttachment(t, clerk, d.ID, "Phụ lục II. Kinh phí", "Phụ lục II.pdf", two); status != 201 {
		t.Fatalf("add: %d %s", status, b)
	}
	_, atts := e.attachments(t, clerk, d.ID)
	if len(atts) != 2 || atts[0].Title != "Phụ lục I. Danh sách trường" || atts[1].Position != 2 {
		t.Fatalf("list = %+v", atts)
	}
	status, b := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/attachments/%d/move", d.ID, atts[1].ID), clerk, map[string]any{"position": 1})
	if status != 200 || !strings.Contains(string(b), `"position":1,"title":"Phụ lục II. Kinh phí"`) {
		t.Fatalf("move: %d %s", status, b)
	}
	status, got, h := e.request("GET", fmt.Sprintf("/api/v1/documents/%d/attachments/%d/download", d.ID, atts[0].ID), staff, nil, "")
	if status != 200 || !bytes.Equal(got, one) || h.Get("Content-Type") != "application/pdf" ||
		!strings.Contains(h.Get("Content-Disposition"), "attachment;") || !strings.Contains(h.Get("Content-Disposition"), "Ph%E1%BB%A5%20l%E1%BB%A5c%20I.pdf") {
		t.Fatalf("download: %d, identical %v, headers %v", status, bytes.Equal(got, one), h)
	}
	status, _, h = e.request("GET", fmt.Sprintf("/api/v1/documents/%d/attachments/%d/download?inline=1", d.ID, atts[0].ID), staff, nil, "")
	if status != 200 || !strings.HasPrefix(h.Get("Content-Disposition"), "inline;") {
		t.Fatalf("inline: %d %v", status, h)
	}

	// Refusals, with nothing stored.
	objects := e.countObjects()
	for _, tc := range []struct {
		who, title, name string
		content          []byte
		status           int
		code             string
	}{
		{other, "X", "x.pdf", testenv.PDF(1500, 3), 404, "not_found"},
		{staff, "X", "x.pdf", testenv.PDF(1500, 3), 403, "forbidden"},
		{clerk, "", "x.pdf", testenv.PDF(1500, 3), 422, "validation_failed"},
		{clerk, "X", "x.pdf", []byte("không phải PDF"), 422, "validation_failed"},
		{clerk, "X", "x.pdf", one, 422, "validation_failed"},
		{clerk, "Biểu mẫu", "Biểu mẫu.docx", append([]byte("PK\x03\x04"), make([]byte, 200)...), 503, "converter_unavailable"},
	} {
		status, b := e.addAttachment(t, tc.who, d.ID, tc.title, tc.name, tc.content)
		if status != tc.status || decodeError(t, b).Error.Code != tc.code {
			t.Errorf("%s %q: %d %s, want %d %s", tc.name, tc.title, status, b, tc.status, tc.code)
		}
	}
	if status, _ := e.attachments(t, other, d.ID); status != 404 {
		t.Errorf("another unit lists: %d", status)
	}
	if status, _, _ := e.request("DELETE", fmt.Sprintf("/api/v1/documents/%d/attachments/%d", d.ID, atts[0].ID), staff, nil, ""); status != 403 {
		t.Errorf("a colleague removes: %d", status)
	}
	if n := e.countObjects(); n != objects {
		t.Fatalf("refused attachments stored %d objects", n-objects)
	}
	// With a converter (the lead wires convert's pool), Word becomes a PDF
	// attachment and its original stays downloadable.
	e.docs.SetConverter(pdfConverter{})
	docx := append([]byte("PK\x03\x04"), bytes.Repeat([]byte("w"), 300)...)
	status, b = e.addAttachment(t, clerk, d.ID, "Biểu mẫu", "Biểu mẫu.docx", docx)
	var word attachmentJSON
	if status != 201 || json.Unmarshal(b, &word) != nil || word.FileName != "Biểu mẫu.pdf" || word.OriginalFileName == nil {
		t.Fatalf("Word with a converter: %d %s", status, b)
	}
	status, got, h = e.request("GET", fmt.Sprintf("/api/v1/documents/%d/attachments/%d/download?original=1", d.ID, word.ID), staff, nil, "")
	if status != 200 || !bytes.Equal(got, docx) || !strings.Contains(h.Get("Content-Type"), "wordprocessingml") ||
		!strings.HasPrefix(h.Get("Content-Disposition"), "attachment;") {
		t.Fatalf("the Word original: %d %v", status, h)
	}
	if status, _, _ := e.request("GET", fmt.Sprintf("/api/v1/documents/%d/attachments/%d/download?original=1", d.ID, atts[0].ID), staff, nil, ""); status != 404 {
		t.Fatalf("the original of a PDF: %d", status)
	}

	// Signed, registered: both sealed and verified; nothing changes after.
	if status, b := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/sign", d.ID), director, map[string]any{"version_sha256": d.Versions[0].SHA256}); status != 200 {
		t.Fatalf("sign: %d %s", status, b)
	}
	sha, _ := e.latest(t, clerk, d.ID)
	if status, b := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/register", d.ID), clerk, map[string]any{"version_sha256": sha}); status != 200 {
		t.Fatalf("register: %d %s", status, b)
	}
	_, atts = e.attachments(t, clerk, d.ID)
	for _, a := range atts {
		if !a.Sealed || a.Valid == nil || !*a.Valid {
			t.Fatalf("after registration: %+v", a)
		}
		status, got, _ := e.request("GET", fmt.Sprintf("/api/v1/documents/%d/attachments/%d/download", d.ID, a.ID), clerk, nil, "")
		if status != 200 {
			t.Fatalf("download sealed: %d", status)
		}
		testenv.CheckSignedPDF(t, got, 1)
	}
	status, b, _ = e.request("DELETE", fmt.Sprintf("/api/v1/documents/%d/attachments/%d", d.ID, atts[0].ID), clerk, nil, "")
	if status != 409 || decodeError(t, b).Error.Code != "attachments_frozen" {
		t.Fatalf("remove after registration: %d %s", status, b)
	}

	// The document page lists them with their seal.
	w := newBrowser(t, e)
	w.login("vanthu.sgd")
	status, page, _ := w.get(fmt.Sprintf("/documents/%d", d.ID))
	if status != 200 || !strings.Contains(page, `id="attachments"`) || !strings.Contains(page, "Phụ lục II. Kinh phí") ||
		!strings.Contains(page, "Đã ký số của cơ quan") || strings.Contains(page, `id="attachment-form"`) {
		t.Fatalf("document page: %d\n%s", status, page)
	}

	// Issued to Quận 1: its clerk finds them on the delivery's page and
	// downloads them.
	status, b = e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/issue", d.ID), clerk, map[string]any{
		"recipients": map[string]any{"units": []int64{e.unitID(t, "000.01.24.H29")}}})
	if status != 201 {
		t.Fatalf("issue: %d %s", status, b)
	}
	var dl deliveryJSON
	for _, x := range e.inbox(t, other, "") {
		if x.DocumentID == d.ID {
			dl = x
		}
	}
	q1 := newBrowser(t, e)
	q1.login("vanthu.q1")
	status, page, _ = q1.get(fmt.Sprintf("/inbox/%d", dl.ID))
	if status != 200 || !strings.Contains(page, "Phụ lục I. Danh sách trường") || !strings.Contains(page, "Đã ký số của cơ quan") ||
		strings.Contains(page, `id="attachment-form"`) {
		t.Fatalf("delivery page: %d\n%s", status, page)
	}
	if status, got, _ := e.request("GET", fmt.Sprintf("/api/v1/documents/%d/attachments/%d/download", d.ID, atts[1].ID), other, nil, ""); status != 200 || len(got) == 0 {
		t.Fatalf("the recipient downloads: %d", status)
	}
}

// The web forms: add (multipart, CSRF first), move, remove, with the
// errors shown on the page.
func TestAttachmentsOnTheDocumentPage(t *testing.T) {
	e := newEnv(t, envOptions{})
	w := newBrowser(t, e)
	w.login("vanthu.sgd")
	d := e.create(t, e.login("vanthu.sgd"), validFields(), "Kế hoạch.pdf", fixturePDF(t))
	_, page, _ := w.get(fmt.Sprintf("/documents/%d", d.ID))
	if !strings.Contains(page, `id="attachment-form"`) || !strings.Contains(page, `id="no-attachments"`) {
		t.Fatalf("the draft's page offers no attachment form")
	}
	csrf := csrfOf(t, page)
	add := func(token, title, name string, content []byte) (int, string, http.Header) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("_csrf", token)
		mw.WriteField("title", title)
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write(content)
		mw.Close()
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/documents/%d/attachments", e.baseURL, d.ID), &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		return w.do(req)
	}
	if status, _, _ := add("forged", "Phụ lục I", "a.pdf", testenv.PDF(1500, 1)); status != http.StatusForbidden {
		t.Fatalf("forged CSRF: %d", status)
	}
	status, page, _ := add(csrf, "Phụ lục sai", "a.pdf", []byte("không phải PDF"))
	if status != 422 || !strings.Contains(page, "chỉ nhận tệp PDF") || !strings.Contains(page, `value="Phụ lục sai"`) {
		t.Fatalf("a bad file: %d\n%s", status, page)
	}
	for i, title := range []string{"Phụ lục I", "Phụ lục II"} {
		status, _, h := add(csrf, title, title+".pdf", testenv.PDF(1500, uint64(i+1)))
		if status != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "done=attached") {
			t.Fatalf("add %s: %d %v", title, status, h)
		}
	}
	_, atts := e.attachments(t, e.login("vanthu.sgd"), d.ID)
	status, _, _ = w.postForm(fmt.Sprintf("/documents/%d/attachments/%d/move", d.ID, atts[1].ID), url.Values{"_csrf": {csrf}, "direction": {"up"}}, "")
	if status != http.StatusSeeOther {
		t.Fatalf("move up: %d", status)
	}
	status, _, _ = w.postForm(fmt.Sprintf("/documents/%d/attachments/%d/remove", d.ID, atts[0].ID), url.Values{"_csrf": {csrf}}, "")
	if status != http.StatusSeeOther {
		t.Fatalf("remove: %d", status)
	}
	_, page, _ = w.get(fmt.Sprintf("/documents/%d?done=attachment_removed", d.ID))
	if !strings.Contains(page, "Đã gỡ tệp kèm theo") || !strings.Contains(page, "Phụ lục II") || strings.Contains(page, "Phụ lục I ·") ||
		!strings.Contains(page, "Chưa ký số của cơ quan") {
		t.Fatalf("after move and remove:\n%s", page)
	}
}
