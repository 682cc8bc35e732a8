package server

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// webClient is an HTTP client with cookies that does not follow redirects.
type webClient struct {
	t *testing.T
	c *http.Client
	e *testEnv
}

func newBrowser(t *testing.T, e *testEnv) *webClient {
	jar, _ := cookiejar.New(nil)
	return &webClient{t: t, e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *webClient) do(req *http.Request) (int, string, http.Header) {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

func (b *webClient) get(path string) (int, string, http.Header) {
	req, _ := http.NewRequest("GET", b.e.baseURL+path, nil)
	return b.do(req)
}

func (b *webClient) postForm(path string, form url.Values, origin string) (int, string, http.Header) {
	req, _ := http.NewRequest("POST", b.e.baseURL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	return b.do(req)
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token in page")
	}
	return m[1]
}

func (b *webClient) login(user string) {
	b.t.Helper()
	_, page, _ := b.get("/login")
	status, _, h := b.postForm("/login", url.Values{"_csrf": {csrfOf(b.t, page)}, "username": {user}, "password": {testPassword}, "next": {"/documents"}}, "")
	if status != http.StatusSeeOther || h.Get("Location") != "/documents" {
		b.t.Fatalf("login %s: %d to %q", user, status, h.Get("Location"))
	}
}

func TestWebLoginAndUpload(t *testing.T) {
	e := newEnv(t, envOptions{})
	b := newBrowser(t, e)

	if status, _, h := b.get("/documents"); status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/login") {
		t.Fatalf("anonymous /documents: %d %q", status, h.Get("Location"))
	}
	_, page, _ := b.get("/login")
	status, page, _ := b.postForm("/login", url.Values{"_csrf": {csrfOf(t, page)}, "username": {"vanthu.sgd"}, "password": {"sai-mat-khau"}}, "")
	if status != http.StatusUnauthorized || !strings.Contains(page, "Sai tên đăng nhập hoặc mật khẩu") || !strings.Contains(page, `value="vanthu.sgd"`) {
		t.Fatalf("wrong password: %d, message or typed username missing", status)
	}
	if status, _, _ := b.postForm("/login", url.Values{"_csrf": {"forged"}, "username": {"vanthu.sgd"}, "password": {testPassword}}, ""); status != http.StatusForbidden {
		t.Errorf("login with a forged CSRF token: %d", status)
	}
	b.login("vanthu.sgd")

	status, page, _ = b.get("/documents")
	if status != 200 || !strings.Contains(page, "Chưa có văn bản nào") || !strings.Contains(page, "Nguyễn Thị Thu Hà") {
		t.Fatalf("empty list page: %d", status)
	}
	_, page, _ = b.get("/documents/new")
	csrf := csrfOf(t, page)

	upload := func(first bool, token string, fields map[string]string, content []byte, origin string) (int, string, http.Header) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		if first {
			w.WriteField("_csrf", token)
		}
		for k, v := range fields {
			w.WriteField(k, v)
		}
		fw, _ := w.CreateFormFile("file", "Kế hoạch.pdf")
		fw.Write(content)
		w.Close()
		req, _ := http.NewRequest("POST", e.baseURL+"/documents", &buf)
		req.Header.Set("Content-Type", w.FormDataContentType())
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		return b.do(req)
	}
	pdf := fixturePDF(t)
	if status, _, _ := upload(false, "", validFields(), pdf, ""); status != http.StatusForbidden {
		t.Errorf("upload without CSRF field: %d", status)
	}
	if status, _, _ := upload(true, "wrong", validFields(), pdf, ""); status != http.StatusForbidden {
		t.Errorf("upload with a wrong CSRF token: %d", status)
	}
	if status, _, _ := upload(true, csrf, validFields(), pdf, "http://evil.example"); status != http.StatusForbidden {
		t.Errorf("cross-origin upload: %d", status)
	}
	if docs, _ := e.countRows(); docs != 0 {
		t.Fatalf("%d documents stored by refused uploads", docs)
	}

	bad := validFields()
	bad["doc_date"] = "hôm qua"
	status, page, _ = upload(true, csrf, bad, pdf, "")
	if status != 422 || !strings.Contains(page, "Ngày ban hành") || !strings.Contains(page, "Kế hoạch cải cách hành chính năm 2021") {
		t.Errorf("invalid form: %d; the page must name the field and keep the typed title", status)
	}

	status, _, h := upload(true, csrf, validFields(), pdf, e.baseURL)
	if status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/documents/") {
		t.Fatalf("upload: %d %q", status, h.Get("Location"))
	}
	status, page, _ = b.get(h.Get("Location"))
	if status != 200 || !strings.Contains(page, "Đã tải lên văn bản") || !strings.Contains(page, "chưa đăng ký số") || !strings.Contains(page, "Nguyễn Thị Thu Hà") {
		t.Fatalf("document page: %d", status)
	}

	// The upload page offers a clerk the digitising of a paper original,
	// which keeps its number; a draft with a number is refused.
	_, page, _ = b.get("/documents/new")
	if !strings.Contains(page, `id="kind-paper-copy"`) || !strings.Contains(page, `id="paper-number"`) || strings.Contains(page, `id="number"`) {
		t.Error("the clerk's upload page lacks the paper-copy option, or still asks a draft's number")
	}
	numbered := validFields()
	numbered["number"], numbered["symbol"] = "206", "KH-SGDĐT"
	status, page, _ = upload(true, csrf, numbered, pdf, e.baseURL)
	if status != 422 || !strings.Contains(page, "do hệ thống cấp") {
		t.Errorf("a draft with a typed number: %d", status)
	}
	numbered["kind"] = "paper_copy"
	status, _, h = upload(true, csrf, numbered, pdf, e.baseURL)
	if status != http.StatusSeeOther {
		t.Fatalf("paper copy upload: %d", status)
	}
	status, page, _ = b.get(h.Get("Location"))
	if status != 200 || !strings.Contains(page, "bản gốc giấy") || !strings.Contains(page, "206/KH-SGDĐT") {
		t.Fatalf("paper copy page: %d", status)
	}
	staff := newBrowser(t, e)
	staff.login("chuyenvien.sgd")
	if _, page, _ := staff.get("/documents/new"); strings.Contains(page, `id="kind-paper-copy"`) {
		t.Error("a non-clerk is offered the paper-copy upload")
	}
	_, page, _ = b.get("/documents?q=cai+cach")
	if !strings.Contains(page, "Kế hoạch cải cách hành chính năm 2021") {
		t.Errorf("search without accents in the web list does not find the document")
	}

	// Logging out ends the session.
	if status, _, _ := b.postForm("/logout", url.Values{"_csrf": {csrf}}, ""); status != http.StatusSeeOther {
		t.Fatalf("logout: %d", status)
	}
	if status, _, _ := b.get("/documents"); status != http.StatusSeeOther {
		t.Errorf("after logout /documents answers %d, want a redirect to login", status)
	}
}

func TestWebSchoolSeesNothingOfTheDepartment(t *testing.T) {
	e := newEnv(t, envOptions{})
	d := e.create(t, e.login("vanthu.sgd"), validFields(), "a.pdf", fixturePDF(t))
	b := newBrowser(t, e)
	b.login("vanthu.thcs1")
	status, page, _ := b.get("/documents")
	if status != 200 || !strings.Contains(page, "Chưa có văn bản nào") {
		t.Errorf("school list: %d", status)
	}
	status, page, _ = b.get("/documents/" + strconv.FormatInt(d.ID, 10))
	if status != 404 || strings.Contains(page, "cải cách") {
		t.Errorf("school opens the department's document: %d", status)
	}
}
