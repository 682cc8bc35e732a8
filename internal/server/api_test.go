package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/database"
	"github.com/hcm-edu/vanban/internal/httpx"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/storage"
)

type apiError struct {
	Error struct {
		Code      string            `json:"code"`
		Message   string            `json:"message"`
		Fields    map[string]string `json:"fields"`
		RequestID string            `json:"request_id"`
	} `json:"error"`
}

func decodeError(t *testing.T, body []byte) apiError {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("not an error envelope: %s", body)
	}
	return e
}

type docJSON struct {
	ID           int64  `json:"id"`
	Title        string `json:"title"`
	NumberSymbol string `json:"number_symbol"`
	DocDate      string `json:"doc_date"`
	CreatorName  string `json:"creator_name"`
	IssueNotice  string `json:"issue_notice"`
	Versions     []struct {
		Version  int    `json:"version"`
		SHA256   string `json:"sha256"`
		Size     int64  `json:"size"`
		FileName string `json:"file_name"`
	} `json:"versions"`
}

func (e *testEnv) create(t *testing.T, token string, fields map[string]string, name string, content []byte) docJSON {
	t.Helper()
	body, ct := multipartBody(t, fields, name, content)
	status, b, _ := e.request("POST", "/api/v1/documents", token, body, ct)
	if status != http.StatusCreated {
		t.Fatalf("create: status %d: %s", status, b)
	}
	var d docJSON
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestUploadListGetDownload(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.login("vanthu.sgd")
	pdf := fixturePDF(t)
	d := e.create(t, tok, validFields(), "Kế hoạch 206.pdf", pdf)
	// A draft: no number until the register gives it.
	if d.NumberSymbol != "" || d.DocDate != "2021-01-22" || d.CreatorName != "Nguyễn Thị Thu Hà" {
		t.Errorf("created document = %+v", d)
	}
	if len(d.Versions) != 1 || d.Versions[0].Size != int64(len(pdf)) || d.Versions[0].FileName != "Kế hoạch 206.pdf" {
		t.Fatalf("versions = %+v", d.Versions)
	}

	status, b, _ := e.request("GET", "/api/v1/documents", tok, nil, "")
	if status != 200 || !strings.Contains(string(b), "Kế hoạch cải cách hành chính năm 2021") {
		t.Fatalf("list: %d %s", status, b)
	}

	path := fmt.Sprintf("/api/v1/documents/%d/versions/1/download", d.ID)
	status, got, h := e.request("GET", path, tok, nil, "")
	if status != 200 || !bytes.Equal(got, pdf) {
		t.Fatalf("download: status %d, %d bytes, identical=%v", status, len(got), bytes.Equal(got, pdf))
	}
	if cd := h.Get("Content-Disposition"); !strings.Contains(cd, `filename*=UTF-8''K%E1%BA%BF%20ho%E1%BA%A1ch%20206.pdf`) || !strings.Contains(cd, `filename="Ke hoach 206.pdf"`) {
		t.Errorf("Content-Disposition = %q", cd)
	}
	if h.Get("ETag") != `"`+d.Versions[0].SHA256+`"` || h.Get("Content-Type") != "application/pdf" {
		t.Errorf("ETag %q, Content-Type %q", h.Get("ETag"), h.Get("Content-Type"))
	}
	// A version is immutable, even to SQL run by hand.
	if _, err := e.db.Exec(`UPDATE document_versions SET size_bytes = 1`); err == nil {
		t.Error("a version row could be changed")
	}
	if _, err := e.db.Exec(`DELETE FROM document_versions`); err == nil {
		t.Error("a version row could be deleted")
	}
}

func TestDownloadRangesAndETag(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.login("vanthu.sgd")
	pdf := fixturePDF(t)
	d := e.create(t, tok, validFields(), "a.pdf", pdf)
	path := fmt.Sprintf("/api/v1/documents/%d/versions/1/download", d.ID)
	size := len(pdf)
	tests := []struct {
		name, rng    string
		status       int
		want         []byte
		contentRange string
	}{
		{"first bytes", "bytes=0-9", 206, pdf[:10], fmt.Sprintf("bytes 0-9/%d", size)},
		{"open end", fmt.Sprintf("bytes=%d-", size-5), 206, pdf[size-5:], fmt.Sprintf("bytes %d-%d/%d", size-5, size-1, size)},
		{"suffix", "bytes=-7", 206, pdf[size-7:], fmt.Sprintf("bytes %d-%d/%d", size-7, size-1, size)},
		{"end past size is cut", fmt.Sprintf("bytes=%d-%d", size-2, size+100), 206, pdf[size-2:], fmt.Sprintf("bytes %d-%d/%d", size-2, size-1, size)},
		{"several ranges get the whole file", "bytes=0-1,5-6", 200, pdf, ""},
		{"start past the end", fmt.Sprintf("bytes=%d-", size), 416, nil, fmt.Sprintf("bytes */%d", size)},
		{"malformed", "bytes=x-y", 416, nil, fmt.Sprintf("bytes */%d", size)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", e.baseURL+path, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Range", tt.rng)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, b)
			}
			if tt.want != nil && !bytes.Equal(b, tt.want) {
				t.Errorf("body = %q, want %q", b, tt.want)
			}
			if got := resp.Header.Get("Content-Range"); got != tt.contentRange {
				t.Errorf("Content-Range = %q, want %q", got, tt.contentRange)
			}
		})
	}
	t.Run("If-None-Match", func(t *testing.T) {
		req, _ := http.NewRequest("GET", e.baseURL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("If-None-Match", `"`+d.Versions[0].SHA256+`"`)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotModified {
			t.Errorf("status %d, want 304", resp.StatusCode)
		}
	})
}

func TestBadUploadsStoreNothing(t *testing.T) {
	e := newEnv(t, envOptions{maxUploadBytes: 1 << 20})
	tok := e.login("vanthu.sgd")
	pdf := fixturePDF(t)
	without := func(k string) map[string]string { f := validFields(); delete(f, k); return f }
	with := func(k, v string) map[string]string { f := validFields(); f[k] = v; return f }
	big := append(append([]byte{}, pdf...), make([]byte, 1<<20)...)
	tests := []struct {
		name     string
		fields   map[string]string
		fileName string
		content  []byte
		status   int
		code     string
		field    string // a field the error must name
	}{
		{"not a PDF", validFields(), "a.pdf", []byte("GIF89a this is not a pdf at all"), 415, "not_pdf", ""},
		{"truncated PDF", validFields(), "a.pdf", pdf[:len(pdf)/2], 422, "bad_pdf", ""},
		{"PDF header only", validFields(), "a.pdf", []byte("%PDF-1.7\n%%EOF\n"), 422, "bad_pdf", ""},
		{"empty file", validFields(), "a.pdf", []byte{}, 422, "validation_failed", "file"},
		{"no file", validFields(), "", nil, 422, "validation_failed", "file"},
		{"over the size limit", validFields(), "a.pdf", big, 413, "too_large", ""},
		{"missing title", without("title"), "a.pdf", pdf, 422, "validation_failed", "title"},
		{"missing date", without("doc_date"), "a.pdf", pdf, 422, "validation_failed", "doc_date"},
		{"malformed date", with("doc_date", "22/01/2021"), "a.pdf", pdf, 422, "validation_failed", "doc_date"},
		{"unknown type", with("doc_type", "XYZ"), "a.pdf", pdf, 422, "validation_failed", "doc_type"},
		// A draft's number is the register's: any number at upload is refused.
		{"number without symbol", with("number", "206"), "a.pdf", pdf, 422, "validation_failed", "number"},
		{"bad symbol", with("symbol", "KH SGD/ĐT"), "a.pdf", pdf, 422, "validation_failed", "number"},
		{"negative number", with("number", "-3"), "a.pdf", pdf, 422, "validation_failed", "number"},
		{"bad urgency", with("urgency", "rat_khan"), "a.pdf", pdf, 422, "validation_failed", "urgency"},
		{"secret document", with("confidentiality", "mat"), "a.pdf", pdf, 422, "validation_failed", "confidentiality"},
		{"control character in the raw part header", validFields(), "a\x01b.pdf", pdf, 400, "bad_multipart", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, ct := multipartBody(t, tt.fields, tt.fileName, tt.content)
			status, b, _ := e.request("POST", "/api/v1/documents", tok, body, ct)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, b)
			}
			er := decodeError(t, b)
			if er.Error.Code != tt.code {
				t.Errorf("code %q, want %q", er.Error.Code, tt.code)
			}
			if tt.field != "" && er.Error.Fields[tt.field] == "" {
				t.Errorf("error does not name field %q: %s", tt.field, b)
			}
			if docs, versions := e.countRows(); docs != 0 || versions != 0 {
				t.Errorf("%d documents and %d versions stored after a refused upload", docs, versions)
			}
			if n := e.countObjects(); n != 0 {
				t.Errorf("%d objects stored after a refused upload", n)
			}
		})
	}
	t.Run("control character in an RFC 2231 file name", func(t *testing.T) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		for k, v := range validFields() {
			w.WriteField(k, v)
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="file"; filename*=UTF-8''a%01b.pdf`)
		pw, _ := w.CreatePart(h)
		pw.Write(pdf)
		w.Close()
		status, b, _ := e.request("POST", "/api/v1/documents", tok, &buf, w.FormDataContentType())
		if status != 422 || decodeError(t, b).Error.Fields["file"] == "" {
			t.Fatalf("status %d: %s", status, b)
		}
		if docs, _ := e.countRows(); docs != 0 {
			t.Errorf("%d documents stored", docs)
		}
	})
	t.Run("not multipart", func(t *testing.T) {
		status, b, _ := e.request("POST", "/api/v1/documents", tok, bytes.NewReader(pdf), "application/pdf")
		if status != 415 {
			t.Fatalf("status %d: %s", status, b)
		}
	})
	entries, _ := os.ReadDir(e.spool)
	if len(entries) != 0 {
		t.Errorf("spool folder keeps %d files", len(entries))
	}
}

func TestFileNamesAreCleaned(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.login("vanthu.sgd")
	pdf := fixturePDF(t)
	tests := []struct{ sent, stored string }{
		{"../../etc/passwd", "passwd.pdf"},
		{`C:\fakepath\Báo cáo.pdf`, "Báo cáo.pdf"},
		{"Ke\u0302\u0301 hoa\u0323ch.pdf", "Kế hoạch.pdf"}, // decomposed, as macOS sends
		{"..", "van-ban.pdf"},
	}
	for _, tt := range tests {
		d := e.create(t, tok, validFields(), tt.sent, pdf)
		if got := d.Versions[0].FileName; got != tt.stored {
			t.Errorf("file name %q stored as %q, want %q", tt.sent, got, tt.stored)
		}
	}
}

func TestOversizedBodyIsRefusedWithoutBuffering(t *testing.T) {
	e := newEnv(t, envOptions{maxUploadBytes: 1 << 20})
	tok := e.login("vanthu.sgd")
	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprintf("chunked=%v", chunked), func(t *testing.T) {
			const size = 64 << 20
			var before runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			pr, pw := io.Pipe()
			const head = "--XBOUNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n%PDF-1.7\n"
			go func() {
				pw.Write([]byte(head))
				buf := make([]byte, 1<<20)
				for i := 0; i < size>>20; i++ {
					if _, err := pw.Write(buf); err != nil {
						return
					}
				}
				pw.Close()
			}()
			req, _ := http.NewRequest("POST", e.baseURL+"/api/v1/documents", pr)
			if !chunked {
				req.ContentLength = int64(len(head)) + size
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "multipart/form-data; boundary=XBOUNDARY")
			resp, err := http.DefaultClient.Do(req)
			pr.CloseWithError(io.ErrClosedPipe)
			if err != nil {
				t.Fatalf("request failed instead of a 413: %v", err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 413 {
				t.Fatalf("status %d, want 413: %s", resp.StatusCode, b)
			}
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 32<<20 {
				t.Errorf("heap grew by %d MiB for a refused %d MiB body", grown>>20, size>>20)
			}
			if docs, _ := e.countRows(); docs != 0 {
				t.Errorf("%d documents stored", docs)
			}
		})
	}
}

func TestClientDisconnectMidUpload(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.login("vanthu.sgd")
	pdf := fixturePDF(t)
	body, ct := multipartBody(t, validFields(), "a.pdf", pdf)
	full := body.Bytes()
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.baseURL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST /api/v1/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", tok, ct, len(full))
	conn.Write(full[:len(full)-len(pdf)/2]) // half the file, then hang up
	time.Sleep(100 * time.Millisecond)
	conn.Close()

	// The server notices, and keeps nothing.
	deadline := time.Now().Add(5 * time.Second)
	for {
		entries, _ := os.ReadDir(e.spool)
		if len(entries) == 0 || time.Now().After(deadline) {
			if len(entries) != 0 {
				t.Errorf("spool keeps %d files after a disconnect", len(entries))
			}
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if docs, versions := e.countRows(); docs != 0 || versions != 0 {
		t.Errorf("%d documents, %d versions after a disconnect", docs, versions)
	}
	if n := e.countObjects(); n != 0 {
		t.Errorf("%d objects after a disconnect", n)
	}
	// And still serves the next request.
	e.create(t, tok, validFields(), "a.pdf", pdf)
}

func TestOtherUnitsCannotSeeDocuments(t *testing.T) {
	e := newEnv(t, envOptions{})
	dept := e.login("vanthu.sgd")
	d := e.create(t, dept, validFields(), "a.pdf", fixturePDF(t))
	paths := []string{
		fmt.Sprintf("/api/v1/documents/%d", d.ID),
		fmt.Sprintf("/api/v1/documents/%d/versions/1/download", d.ID),
		fmt.Sprintf("/api/v1/documents/%d/versions/1/link", d.ID),
	}
	missing := []string{"/api/v1/documents/999999", "/api/v1/documents/999999/versions/1/download", "/api/v1/documents/999999/versions/1/link"}
	for _, user := range []string{"vanthu.thcs1", "vanthu.q1", "vanthu.thpt1"} {
		tok := e.login(user)
		status, b, _ := e.request("GET", "/api/v1/documents", tok, nil, "")
		if status != 200 || !strings.Contains(string(b), `"items":[]`) {
			t.Errorf("%s: list = %d %s, want an empty list", user, status, b)
		}
		for i, p := range paths {
			st1, b1, _ := e.request("GET", p, tok, nil, "")
			st2, b2, _ := e.request("GET", missing[i], tok, nil, "")
			if st1 != 404 || st2 != 404 {
				t.Errorf("%s GET %s = %d, missing = %d; want 404 for both", user, p, st1, st2)
			}
			if decodeError(t, b1).Error.Message != decodeError(t, b2).Error.Message {
				t.Errorf("another unit's document answers differently from a missing one: %s vs %s", b1, b2)
			}
		}
		status, b, _ = e.request("GET", "/api/v1/documents?q=cai+cach", tok, nil, "")
		if status != 200 || strings.Contains(string(b), "cải cách") {
			t.Errorf("%s: search leaks another unit's document: %s", user, b)
		}
	}
	// Colleagues in the same unit see it.
	tok := e.login("giamdoc.sgd")
	if status, _, _ := e.request("GET", paths[0], tok, nil, ""); status != 200 {
		t.Errorf("colleague in the same unit: status %d", status)
	}
}

func TestRolesForUpload(t *testing.T) {
	e := newEnv(t, envOptions{})
	pdf := fixturePDF(t)
	for user, want := range map[string]int{"vanthu.sgd": 201, "giamdoc.sgd": 201, "chuyenvien.sgd": 201, "admin": 403} {
		body, ct := multipartBody(t, validFields(), "a.pdf", pdf)
		status, b, _ := e.request("POST", "/api/v1/documents", e.login(user), body, ct)
		if status != want {
			t.Errorf("%s uploads: status %d, want %d: %s", user, status, want, b)
		}
	}
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t, envOptions{})
	t.Run("no token", func(t *testing.T) {
		status, b, _ := e.request("GET", "/api/v1/documents", "", nil, "")
		if status != 401 || decodeError(t, b).Error.Code != "unauthenticated" {
			t.Errorf("%d %s", status, b)
		}
	})
	t.Run("forged token", func(t *testing.T) {
		status, _, _ := e.request("GET", "/api/v1/documents", "vb_forged", nil, "")
		if status != 401 {
			t.Errorf("status %d", status)
		}
	})
	t.Run("logout revokes the token", func(t *testing.T) {
		tok := e.login("vanthu.sgd")
		if status, _, _ := e.request("POST", "/api/v1/auth/logout", tok, nil, ""); status != 204 {
			t.Fatalf("logout status %d", status)
		}
		if status, _, _ := e.request("GET", "/api/v1/me", tok, nil, ""); status != 401 {
			t.Errorf("token still works after logout: %d", status)
		}
	})
	t.Run("wrong password then rate limit", func(t *testing.T) {
		login := func(pw string) (int, []byte, http.Header) {
			body, _ := json.Marshal(map[string]string{"username": "vanthu.q1", "password": pw})
			return e.request("POST", "/api/v1/auth/login", "", bytes.NewReader(body), "application/json")
		}
		for i := 0; i < 5; i++ {
			if status, b, _ := login("wrong-password"); status != 401 {
				t.Fatalf("attempt %d: %d %s", i, status, b)
			}
		}
		status, b, h := login(testPassword)
		if status != 429 || h.Get("Retry-After") == "" {
			t.Fatalf("after 5 failures the right password gets %d (Retry-After %q): %s", status, h.Get("Retry-After"), b)
		}
		if !strings.Contains(decodeError(t, b).Error.Message, "thử lại") {
			t.Errorf("message does not say to retry later: %s", b)
		}
	})
	t.Run("malformed login", func(t *testing.T) {
		status, _, _ := e.request("POST", "/api/v1/auth/login", "", strings.NewReader("{"), "application/json")
		if status != 400 {
			t.Errorf("status %d", status)
		}
		status, b, _ := e.request("POST", "/api/v1/auth/login", "", strings.NewReader(`{"username":""}`), "application/json")
		if status != 422 || decodeError(t, b).Error.Fields["password"] == "" {
			t.Errorf("status %d: %s", status, b)
		}
	})
}

func TestCookieRequestsNeedCSRF(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.login("vanthu.sgd") // an API token sent as a cookie has no CSRF token: refused too
	req, _ := http.NewRequest("POST", e.baseURL+"/api/v1/auth/logout", nil)
	req.AddCookie(&http.Cookie{Name: httpx.SessionCookie, Value: tok})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("cookie POST without CSRF token: status %d, want 403", resp.StatusCode)
	}
}

func TestSearchAndPagination(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.login("vanthu.sgd")
	pdf := fixturePDF(t)
	titles := []string{
		"Kế hoạch cải cách hành chính năm 2021",
		"Hướng dẫn tuyển sinh lớp 10",
		"Thông báo lịch nghỉ Tết Nguyên Đán",
		"Báo cáo tổng kết năm học",
		"Công văn về việc đánh giá học sinh",
	}
	for i, title := range titles {
		f := validFields()
		f["title"] = title
		// Digitised paper originals keep the numbers printed on them.
		f["kind"], f["number"], f["symbol"] = "paper_copy", fmt.Sprint(i+1), "KH-SGDĐT"
		f["doc_date"] = fmt.Sprintf("2021-0%d-10", i+1)
		e.create(t, tok, f, "a.pdf", pdf)
	}
	search := []struct {
		q    string
		want []string
	}{
		{"cai cach hanh chinh", titles[:1]},
		{"CẢI CÁCH", titles[:1]},
		{"tuyen sinh", titles[1:2]},
		{"nguyen dan", titles[2:3]},
		{"danh gia", titles[4:5]},
		{"03/KH-SGDĐT", titles[2:3]},
		{"nam", []string{titles[0], titles[3]}}, // prefix: năm
		{"khong ton tai", nil},
	}
	for _, tt := range search {
		t.Run("q="+tt.q, func(t *testing.T) {
			status, b, _ := e.request("GET", "/api/v1/documents?q="+url.QueryEscape(tt.q), tok, nil, "")
			if status != 200 {
				t.Fatalf("%d %s", status, b)
			}
			var page struct{ Items []docJSON }
			json.Unmarshal(b, &page)
			var got []string
			for _, d := range page.Items {
				got = append(got, d.Title)
			}
			if fmt.Sprint(sortStrings(got)) != fmt.Sprint(sortStrings(tt.want)) {
				t.Errorf("found %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("date range", func(t *testing.T) {
		_, b, _ := e.request("GET", "/api/v1/documents?from=2021-02-01&to=2021-03-31", tok, nil, "")
		var page struct{ Items []docJSON }
		json.Unmarshal(b, &page)
		if len(page.Items) != 2 {
			t.Errorf("got %d documents dated February-March, want 2", len(page.Items))
		}
	})
	t.Run("keyset pages", func(t *testing.T) {
		seen := map[int64]bool{}
		cursor := ""
		pages := 0
		for {
			_, b, _ := e.request("GET", "/api/v1/documents?limit=2&cursor="+cursor, tok, nil, "")
			var page struct {
				Items      []docJSON
				NextCursor string `json:"next_cursor"`
			}
			json.Unmarshal(b, &page)
			pages++
			for _, d := range page.Items {
				if seen[d.ID] {
					t.Fatalf("document %d on two pages", d.ID)
				}
				seen[d.ID] = true
			}
			if page.NextCursor == "" {
				break
			}
			cursor = url.QueryEscape(page.NextCursor)
		}
		if len(seen) != 5 || pages != 3 {
			t.Errorf("saw %d documents in %d pages, want 5 in 3", len(seen), pages)
		}
	})
	t.Run("bad filters", func(t *testing.T) {
		status, b, _ := e.request("GET", "/api/v1/documents?from=yesterday&cursor=not-a-cursor!&limit=1000", tok, nil, "")
		if status != 422 {
			t.Fatalf("%d %s", status, b)
		}
		f := decodeError(t, b).Error.Fields
		if f["from"] == "" || f["limit"] == "" || f["cursor"] == "" {
			t.Errorf("fields = %v", f)
		}
	})
}

func sortStrings(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestUnits(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.login("vanthu.thcs1")
	status, b, _ := e.request("GET", "/api/v1/units?kind=district_office", tok, nil, "")
	var page struct {
		Items []struct{ Code, Name, Abbreviation string }
	}
	json.Unmarshal(b, &page)
	if status != 200 || len(page.Items) != 22 {
		t.Fatalf("district offices: %d, %d items", status, len(page.Items))
	}
	status, b, _ = e.request("GET", "/api/v1/units?q=thu+duc", tok, nil, "")
	if status != 200 || !strings.Contains(string(b), "Thủ Đức") {
		t.Errorf("accent-insensitive unit search: %d %s", status, b)
	}
	if status, _, _ := e.request("GET", "/api/v1/units?kind=planet", tok, nil, ""); status != 422 {
		t.Errorf("bad kind: %d", status)
	}
}

// TestDatabaseDownAnswers503 cuts PostgreSQL off under a running server:
// requests get a 503 that reveals nothing internal, and the service
// recovers by itself when the database returns.
func TestDatabaseDownAnswers503(t *testing.T) {
	_, dbURL := testenv.NewDB(t)
	u, _ := url.Parse(dbURL)
	proxy := testenv.NewProxy(t, u.Host)
	u.Host = proxy.Addr()
	db, err := database.Open(context.Background(), u.String(), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e := newEnv(t, envOptions{db: db})
	tok := e.login("vanthu.sgd")

	proxy.Down()
	status, b, h := e.request("GET", "/api/v1/documents", tok, nil, "")
	if status != 503 {
		t.Fatalf("database down: status %d, want 503: %s", status, b)
	}
	checkNoInternals(t, b)
	if h.Get("X-Request-ID") == "" || decodeError(t, b).Error.RequestID == "" {
		t.Errorf("503 without a request id")
	}
	if status, _, _ := e.request("GET", "/readyz", "", nil, ""); status != 503 {
		t.Errorf("readyz with the database down: %d", status)
	}

	proxy.Up()
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, b, _ = e.request("GET", "/api/v1/documents", tok, nil, "")
		if status == 200 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if status != 200 {
		t.Fatalf("not recovered after the database returned: %d %s", status, b)
	}
}

// TestStoreDownAnswers503 does the same with the S3 store.
func TestStoreDownAnswers503(t *testing.T) {
	s3 := testenv.RequireS3(t)
	proxy := testenv.NewProxy(t, s3.Endpoint)
	blobs := newS3Store(t, s3, proxy.Addr())
	e := newEnv(t, envOptions{blobs: blobs})
	tok := e.login("vanthu.sgd")
	pdf := fixturePDF(t)
	d := e.create(t, tok, validFields(), "a.pdf", pdf)

	proxy.Down()
	path := fmt.Sprintf("/api/v1/documents/%d/versions/1/download", d.ID)
	status, b, _ := e.request("GET", path, tok, nil, "")
	if status != 503 {
		t.Fatalf("store down, download: %d, want 503: %s", status, b)
	}
	checkNoInternals(t, b)
	body, ct := multipartBody(t, validFields(), "b.pdf", append(append([]byte{}, pdf...), "\n% other bytes\n"...))
	status, b, _ = e.request("POST", "/api/v1/documents", tok, body, ct)
	if status != 503 {
		t.Fatalf("store down, upload: %d, want 503: %s", status, b)
	}
	if docs, _ := e.countRows(); docs != 1 {
		t.Errorf("%d documents after a failed upload, want 1", docs)
	}

	proxy.Up()
	status, got, _ := e.request("GET", path, tok, nil, "")
	if status != 200 || !bytes.Equal(got, pdf) {
		t.Fatalf("not recovered after the store returned: %d", status)
	}
}

func checkNoInternals(t *testing.T, body []byte) {
	t.Helper()
	for _, leak := range []string{"dial", "tcp", "pq:", "sql", "127.0.0.1", "connection", "storage:", "goroutine"} {
		if strings.Contains(strings.ToLower(string(body)), leak) {
			t.Errorf("error body reveals internals (%q): %s", leak, body)
		}
	}
}

// newS3Store opens a fresh bucket on the test S3 server, reached at endpoint
// (the server itself, or a proxy in front of it).
func newS3Store(t testing.TB, s3 testenv.S3, endpoint string) *storage.S3 {
	t.Helper()
	blobs, err := storage.NewS3(context.Background(), storage.S3Options{Endpoint: endpoint, Bucket: randomBucket(),
		AccessKey: s3.AccessKey, SecretKey: s3.SecretKey, Region: s3.Region})
	if err != nil {
		t.Fatal(err)
	}
	return blobs
}

func randomBucket() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "vanban-test-" + hex.EncodeToString(b)
}

func TestS3UploadDownloadAndPresignedLink(t *testing.T) {
	s3 := testenv.RequireS3(t)
	blobs := newS3Store(t, s3, s3.Endpoint)
	e := newEnv(t, envOptions{blobs: blobs})
	tok := e.login("vanthu.sgd")
	pdf := fixturePDF(t)
	d := e.create(t, tok, validFields(), "Kế hoạch.pdf", pdf)
	status, got, _ := e.request("GET", fmt.Sprintf("/api/v1/documents/%d/versions/1/download", d.ID), tok, nil, "")
	if status != 200 || !bytes.Equal(got, pdf) {
		t.Fatalf("download through the API from S3: %d, identical=%v", status, bytes.Equal(got, pdf))
	}
	status, b, _ := e.request("GET", fmt.Sprintf("/api/v1/documents/%d/versions/1/link", d.ID), tok, nil, "")
	var link struct {
		URL       string
		Presigned bool
	}
	json.Unmarshal(b, &link)
	if status != 200 || !link.Presigned {
		t.Fatalf("link: %d %s", status, b)
	}
	resp, err := http.Get(link.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !bytes.Equal(got, pdf) {
		t.Fatalf("presigned GET: %d, identical=%v", resp.StatusCode, bytes.Equal(got, pdf))
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "K%E1%BA%BF%20ho%E1%BA%A1ch.pdf") {
		t.Errorf("presigned Content-Disposition = %q", cd)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, p := range []string{"/healthz", "/readyz"} {
		if status, b, _ := e.request("GET", p, "", nil, ""); status != 200 {
			t.Errorf("%s: %d %s", p, status, b)
		}
	}
	e.request("GET", "/api/v1/documents", "", nil, "")
	status, b, _ := e.request("GET", "/metrics", "", nil, "")
	if status != 200 || !strings.Contains(string(b), `vanban_http_requests_total{method="GET",route="/api/v1/documents",status="401"}`) {
		t.Errorf("metrics: %d, missing the request counter", status)
	}
}

func TestOrphanObjectsAreSwept(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.login("vanthu.sgd")
	pdf := fixturePDF(t)
	d := e.create(t, tok, validFields(), "a.pdf", pdf)
	orphan := append(append([]byte{}, pdf...), "\n% orphan\n"...)
	key, _ := storage.KeyFor(sha256Hex(orphan))
	if err := e.blobs.Put(context.Background(), key, bytes.NewReader(orphan), int64(len(orphan))); err != nil {
		t.Fatal(err)
	}
	n, err := e.docs.SweepOrphans(context.Background(), 0)
	if err != nil || n != 1 {
		t.Fatalf("swept %d, %v; want the one orphan", n, err)
	}
	if _, err := e.blobs.Stat(context.Background(), key); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("orphan still stored: %v", err)
	}
	status, got, _ := e.request("GET", fmt.Sprintf("/api/v1/documents/%d/versions/1/download", d.ID), tok, nil, "")
	if status != 200 || !bytes.Equal(got, pdf) {
		t.Errorf("a referenced object was swept: %d", status)
	}
	// Uploading the swept bytes again stores them again.
	d2 := e.create(t, tok, validFields(), "b.pdf", orphan)
	status, got, _ = e.request("GET", fmt.Sprintf("/api/v1/documents/%d/versions/1/download", d2.ID), tok, nil, "")
	if status != 200 || !bytes.Equal(got, orphan) {
		t.Errorf("re-upload of swept bytes: %d", status)
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
