package server

import (
	"bytes"
	"encoding/json"
	"html"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

const importUnits = "Mã định danh,Tên đơn vị,Tên viết tắt,Loại,Cấp học,Mã đơn vị cấp trên,Email\n" +
	"004.01.24.H29,Trường Tiểu học Lê Ngọc Hân,THLNH,truong,tieu_hoc,000.01.24.H29,lnh@example.edu.vn\n"

const importAccounts = "Tên đăng nhập,Họ và tên,Chức vụ,Email,Mã đơn vị,Tổ/phòng,Vai trò\n" +
	"vanthu.lnh,Trần Thị Mai,Văn thư,mai@example.edu.vn,004.01.24.H29,Văn phòng,văn thư\n"

// importBody is a multipart body with the CSV files, after the fields.
func importBody(t *testing.T, fields [][2]string, files ...string) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, f := range fields {
		w.WriteField(f[0], f[1])
	}
	for i, f := range files {
		fw, _ := w.CreateFormFile("file", []string{"don-vi.csv", "tai-khoan.csv"}[i])
		fw.Write([]byte(f))
	}
	w.Close()
	return &buf, w.FormDataContentType()
}

type importReport struct {
	Units, Accounts struct{ Create, Update, Unchanged, Error int }
	Applied         bool
	Rows            []struct{ Action string }
}

func TestImportThroughTheAPI(t *testing.T) {
	e := newEnv(t, envOptions{})
	admin, clerk := e.login("admin"), e.login("vanthu.sgd")
	for _, path := range []string{"/api/v1/admin/import/template", "/api/v1/admin/export?what=units&format=csv"} {
		if status, _, _ := e.request("GET", path, clerk, nil, ""); status != 404 {
			t.Errorf("clerk GET %s: %d, want 404", path, status)
		}
	}
	body, ct := importBody(t, nil, importUnits)
	if status, _, _ := e.request("POST", "/api/v1/admin/import?dry_run=1", clerk, body, ct); status != 404 {
		t.Errorf("clerk import: %d, want 404", status)
	}

	status, tmpl, h := e.request("GET", "/api/v1/admin/import/template", admin, nil, "")
	if status != 200 || !bytes.HasPrefix(tmpl, []byte("PK")) ||
		!strings.Contains(h.Get("Content-Disposition"), "filename*=UTF-8''M%E1%BA%ABu") {
		t.Errorf("template: %d %q", status, h.Get("Content-Disposition"))
	}

	var units int
	e.db.Get(&units, `SELECT count(*) FROM units`)
	for _, run := range []struct {
		query  string
		create int
	}{{"?dry_run=1", 1}, {"", 1}, {"", 0}} {
		body, ct := importBody(t, nil, importUnits, importAccounts)
		status, out, _ := e.request("POST", "/api/v1/admin/import"+run.query, admin, body, ct)
		var r importReport
		if status != 200 || json.Unmarshal(out, &r) != nil || r.Units.Create != run.create || r.Accounts.Create != run.create {
			t.Fatalf("import%s: %d %s", run.query, status, out)
		}
		var n int
		e.db.Get(&n, `SELECT count(*) FROM units`)
		if want := units + 1 - map[bool]int{true: 1}[run.query != ""]; n != want {
			t.Errorf("import%s: %d units, want %d", run.query, n, want)
		}
	}

	// A bad row: 422 with the report, nothing written.
	bad := strings.Replace(importAccounts, "văn thư\n", "thủ kho\n", 1)
	bad += "moi.nguoi,Người mới,,,004.01.24.H29,,chuyên viên\n"
	body, ct = importBody(t, nil, bad)
	status, out, _ := e.request("POST", "/api/v1/admin/import", admin, body, ct)
	var r importReport
	if status != 422 || json.Unmarshal(out, &r) != nil || r.Accounts.Error != 1 || r.Applied {
		t.Errorf("bad row: %d %s", status, out)
	}
	var n int
	e.db.Get(&n, `SELECT count(*) FROM users WHERE username = 'moi.nguoi'`)
	if n != 0 {
		t.Error("half-imported")
	}
	// A wrong header: refused as a whole, naming the expected columns.
	body, ct = importBody(t, nil, "Mã,Tên\n1,2\n")
	status, out, _ = e.request("POST", "/api/v1/admin/import?dry_run=1", admin, body, ct)
	if status != 422 || !strings.Contains(string(out), "Mã định danh") {
		t.Errorf("wrong header: %d %s", status, out)
	}

	status, csv, h := e.request("GET", "/api/v1/admin/export?what=accounts&format=csv", admin, nil, "")
	if status != 200 || !bytes.HasPrefix(csv, []byte("\ufeffTên đăng nhập")) || !bytes.Contains(csv, []byte("vanthu.lnh")) ||
		!strings.HasPrefix(h.Get("Content-Type"), "text/csv") {
		t.Errorf("export: %d %q", status, csv)
	}
}

func TestImportPage(t *testing.T) {
	e := newEnv(t, envOptions{})
	clerk := newBrowser(t, e)
	clerk.login("vanthu.sgd")
	if status, _, _ := clerk.get("/admin/import"); status != 404 {
		t.Errorf("clerk: %d, want 404", status)
	}
	b := newBrowser(t, e)
	b.login("admin")
	status, page, _ := b.get("/admin/import")
	if status != 200 || !strings.Contains(page, `id="import-form"`) {
		t.Fatalf("page: %d", status)
	}
	csrf := csrfOf(t, page)
	post := func(fields [][2]string, files ...string) (int, string) {
		body, ct := importBody(t, append([][2]string{{"_csrf", csrf}}, fields...), files...)
		req, _ := http.NewRequest("POST", e.baseURL+"/admin/import", body)
		req.Header.Set("Content-Type", ct)
		status, page, _ := b.do(req)
		return status, html.UnescapeString(page)
	}
	status, page = post([][2]string{{"action", "check"}}, importUnits, importAccounts)
	if status != 200 || !strings.Contains(page, "Kết quả kiểm tra") || !strings.Contains(page, `id="import-confirm"`) {
		t.Fatalf("check: %d", status)
	}
	sha := page[strings.Index(page, `name="checked" value="`)+len(`name="checked" value="`):]
	sha = sha[:strings.Index(sha, `"`)]
	// Another file than the one checked: refused.
	status, page = post([][2]string{{"action", "import"}, {"checked", sha}}, importUnits)
	if status != 422 || !strings.Contains(page, "khác tệp đã kiểm tra") {
		t.Errorf("other file: %d", status)
	}
	status, page = post([][2]string{{"action", "import"}, {"checked", sha}}, importUnits, importAccounts)
	if status != 200 || !strings.Contains(page, "Đã nhập dữ liệu") {
		t.Errorf("import: %d", status)
	}
	var n int
	e.db.Get(&n, `SELECT count(*) FROM users WHERE username = 'vanthu.lnh' AND password_hash = '!'`)
	if n != 1 {
		t.Error("the account was not imported")
	}
	// Errors are listed, highlighted.
	status, page = post([][2]string{{"action", "check"}}, strings.Replace(importUnits, "000.01.24.H29", "000.99.24.H29", 1))
	if status != 200 || !strings.Contains(page, `class="overdue"`) || !strings.Contains(page, "không có đơn vị mã 000.99.24.H29") ||
		strings.Contains(page, `id="import-confirm"`) {
		t.Errorf("errors: %d", status)
	}
	if status, _, h := b.get("/admin/export?what=units&format=xlsx"); status != 200 || !strings.Contains(h.Get("Content-Disposition"), "filename*=") {
		t.Errorf("export: %d", status)
	}
}
