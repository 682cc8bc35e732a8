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

	"github.com/hcm-edu/vanban/admin"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/notify"
)

var linkRE = regexp.MustCompile(`/account/set-password\?token=([A-Za-z0-9_-]{43})`)

func (e *testEnv) jsonRequest(method, path, token string, body any) (int, map[string]any) {
	e.t.Helper()
	b, _ := json.Marshal(body)
	status, raw, _ := e.request(method, path, token, bytes.NewReader(b), "application/json")
	out := map[string]any{}
	json.Unmarshal(raw, &out)
	return status, out
}

func fieldOf(out map[string]any, field string) string {
	e, _ := out["error"].(map[string]any)
	f, _ := e["fields"].(map[string]any)
	s, _ := f[field].(string)
	return s
}

// setPassword opens a link in a fresh browser and sets the password.
func setPassword(t *testing.T, e *testEnv, token, password string) (int, string) {
	t.Helper()
	b := newBrowser(t, e)
	status, page, _ := b.get("/account/set-password?token=" + token)
	if status != http.StatusOK {
		return status, page
	}
	status, page, _ = b.postForm("/account/set-password", url.Values{"_csrf": {csrfOf(t, page)}, "token": {token},
		"password": {password}, "password2": {password}}, "")
	return status, page
}

func (e *testEnv) canLogin(username, password string) bool {
	e.t.Helper()
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	status, _, _ := e.request("POST", "/api/v1/auth/login", "", bytes.NewReader(body), "application/json")
	return status == http.StatusOK
}

func TestAdminInviteByMail(t *testing.T) {
	smtp := testenv.RequireSMTP(t)
	mailer, err := notify.NewMailer(notify.SMTPConfig{Addr: smtp.Addr, From: "Văn bản điện tử <vanban@hcm.edu.vn>", TLS: "none"})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, envOptions{mailer: mailer})
	stamp := time.Now().UnixNano()
	email := fmt.Sprintf("vanthu.%d@thcs-vanlang.edu.vn", stamp)
	username := fmt.Sprintf("vanthu.vl%d", stamp%1000000)

	// The department's admin invites a school clerk from the people page.
	b := newBrowser(t, e)
	b.login("admin")
	status, page, _ := b.get("/admin")
	if status != http.StatusOK || !strings.Contains(page, "toàn bộ các đơn vị của Sở") {
		t.Fatalf("/admin: %d", status)
	}
	_, page, _ = b.get("/admin/people")
	thcs := e.unitID(t, "001.01.24.H29")
	status, page, _ = b.postForm("/admin/people", url.Values{"_csrf": {csrfOf(t, page)}, "username": {username},
		"full_name": {"Lê Thị Vân"}, "position": {"Văn thư"}, "email": {email}, "unit_id": {fmt.Sprint(thcs)},
		"roles": {"clerk"}, "invite": {"1"}}, "")
	if status != http.StatusOK || !strings.Contains(page, "đã được gửi tới "+email) {
		t.Fatalf("create and invite: %d\n%s", status, page)
	}
	if linkRE.MatchString(page) {
		t.Fatal("the page shows a link that was e-mailed")
	}
	mails := smtp.WaitMessages(t, email, 1, 30*time.Second)
	m := linkRE.FindStringSubmatch(mails[0].Text)
	if m == nil || !strings.Contains(mails[0].Text, "http://vanban.test/account/set-password?token=") {
		t.Fatalf("no link in the invitation:\n%s", mails[0].Text)
	}
	if mails[0].Subject != "Mời sử dụng hệ thống văn bản điện tử" {
		t.Errorf("subject %q", mails[0].Subject)
	}
	token := m[1]

	// The link: a page with the account, then the password, then a login.
	anon := newBrowser(t, e)
	status, page, h := anon.get("/account/set-password?token=" + token)
	if status != http.StatusOK || !strings.Contains(page, username) || h.Get("Referrer-Policy") != "origin" {
		t.Fatalf("link page: %d", status)
	}
	status, page, _ = anon.postForm("/account/set-password", url.Values{"_csrf": {csrfOf(t, page)}, "token": {token},
		"password": {"mat-khau-van-thu-1"}, "password2": {"mat-khau-khac-22"}}, "")
	if status != http.StatusUnprocessableEntity || !strings.Contains(page, "không khớp") {
		t.Fatalf("mismatched passwords: %d", status)
	}
	status, page, _ = anon.postForm("/account/set-password", url.Values{"_csrf": {csrfOf(t, page)}, "token": {token},
		"password": {"ngan"}, "password2": {"ngan"}}, "")
	if status != http.StatusUnprocessableEntity || !strings.Contains(page, "ít nhất 10 ký tự") {
		t.Fatalf("short password: %d", status)
	}
	status, page, _ = anon.postForm("/account/set-password", url.Values{"_csrf": {csrfOf(t, page)}, "token": {token},
		"password": {"mat-khau-van-thu-1"}, "password2": {"mat-khau-van-thu-1"}}, "")
	if status != http.StatusOK || !strings.Contains(page, "Đã đặt mật khẩu") {
		t.Fatalf("set password: %d\n%s", status, page)
	}
	if !e.canLogin(username, "mat-khau-van-thu-1") {
		t.Fatal("cannot log in with the password set")
	}
	// Reused: refused, in Vietnamese.
	status, page = setPassword(t, e, token, "mat-khau-khac-123")
	if status != http.StatusGone || !strings.Contains(page, "Liên kết này đã được dùng") {
		t.Fatalf("reused link: %d", status)
	}

	// The admin sends a reset link; it expires unused.
	adminToken := e.login("admin")
	var id int64
	if err := e.db.Get(&id, `SELECT id FROM users WHERE username = $1`, username); err != nil {
		t.Fatal(err)
	}
	status, out := e.jsonRequest("POST", fmt.Sprintf("/api/v1/admin/people/%d/reset", id), adminToken, nil)
	if status != http.StatusOK || out["sent"] != true || out["link"] != nil {
		t.Fatalf("reset by the admin: %d %v", status, out)
	}
	mails = smtp.WaitMessages(t, email, 2, 30*time.Second)
	expired := linkRE.FindStringSubmatch(mails[1].Text)[1]
	if _, err := e.db.Exec(`UPDATE account_links SET expires_at = now() - interval '1 second' WHERE used_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	status, page = setPassword(t, e, expired, "mat-khau-khac-123")
	if status != http.StatusGone || !strings.Contains(page, "Liên kết đã hết hạn") {
		t.Fatalf("expired link: %d", status)
	}

	// Forgotten password: the same answer for the account and for nobody.
	forgot := func(who string) (int, string) {
		fb := newBrowser(t, e)
		_, page, _ := fb.get("/account/forgot")
		status, page, _ := fb.postForm("/account/forgot", url.Values{"_csrf": {csrfOf(t, page)}, "who": {who}}, "")
		return status, page
	}
	s1, p1 := forgot(email)
	s2, p2 := forgot("khong.co.ai@example.com")
	if s1 != http.StatusOK || s2 != http.StatusOK || !strings.Contains(p1, admin.ForgotMessage) || !strings.Contains(p2, admin.ForgotMessage) {
		t.Fatalf("forgot: %d %d", s1, s2)
	}
	mails = smtp.WaitMessages(t, email, 3, 30*time.Second)
	reset := linkRE.FindStringSubmatch(mails[2].Text)[1]
	if !strings.Contains(mails[2].Subject, "Đặt lại mật khẩu") {
		t.Errorf("reset subject %q", mails[2].Subject)
	}
	_, out = e.jsonRequest("POST", "/api/v1/auth/login", "", map[string]string{"username": username, "password": "mat-khau-van-thu-1"})
	session, _ := out["token"].(string) // a session the reset must end
	if session == "" {
		t.Fatalf("login: %v", out)
	}
	status, _ = setPassword(t, e, reset, "mat-khau-moi-hon-2")
	if status != http.StatusOK {
		t.Fatalf("reset: %d", status)
	}
	if e.canLogin(username, "mat-khau-van-thu-1") || !e.canLogin(username, "mat-khau-moi-hon-2") {
		t.Fatal("the reset did not replace the password")
	}
	if status, _ := e.jsonRequest("GET", "/api/v1/me", session, nil); status != http.StatusUnauthorized {
		t.Errorf("session after a reset: %d", status)
	}
}

func TestAdminScopeAndInput(t *testing.T) {
	e := newEnv(t, envOptions{})
	dept := e.login("admin")
	thcs, th := e.unitID(t, "001.01.24.H29"), e.unitID(t, "002.01.24.H29")

	// A school admin, invited without SMTP: the link comes back to the admin.
	status, out := e.jsonRequest("POST", "/api/v1/admin/people", dept, map[string]any{"username": "qt.vanlang",
		"full_name": "Quản trị Văn Lang", "unit_id": thcs, "roles": []string{"admin"}, "invite": true})
	if status != http.StatusCreated {
		t.Fatalf("create school admin: %d %v", status, out)
	}
	inv, _ := out["invitation"].(map[string]any)
	link, _ := inv["link"].(string)
	m := linkRE.FindStringSubmatch(link)
	if m == nil || inv["sent"] != false {
		t.Fatalf("invitation without SMTP: %v", inv)
	}
	status, out = e.jsonRequest("POST", "/api/v1/account/set-password", "", map[string]any{"token": m[1], "password": testPassword})
	if status != http.StatusOK {
		t.Fatalf("set password: %d %v", status, out)
	}
	status, out = e.jsonRequest("POST", "/api/v1/account/set-password", "", map[string]any{"token": m[1], "password": testPassword})
	if status != http.StatusGone {
		t.Fatalf("reused link: %d %v", status, out)
	}
	school := e.login("qt.vanlang")
	if status, _ := e.jsonRequest("GET", fmt.Sprintf("/api/v1/admin/units/%d", thcs), school, nil); status != http.StatusOK {
		t.Fatalf("own school: %d", status)
	}
	for _, path := range []string{fmt.Sprintf("/api/v1/admin/units/%d", th), fmt.Sprintf("/api/v1/admin/units/%d/sections", th),
		fmt.Sprintf("/api/v1/admin/people?unit_id=%d", th)} {
		status, out := e.jsonRequest("GET", path, school, nil)
		if path[len(path)-1] == 's' || strings.Contains(path, "units/") {
			if status != http.StatusNotFound {
				t.Errorf("school admin, %s: %d", path, status)
			}
		} else if items, _ := out["items"].([]any); status != http.StatusOK || len(items) != 0 {
			t.Errorf("school admin, %s: %d %v", path, status, out)
		}
	}
	if status, _ := e.jsonRequest("PUT", fmt.Sprintf("/api/v1/admin/units/%d", th), school, map[string]any{"code": "002.01.24.H29",
		"name": "x", "abbreviation": "X", "kind": "school", "school_level": "tieu_hoc"}); status != http.StatusNotFound {
		t.Errorf("school admin edits another school: %d", status)
	}
	// Non-admins: 404 on the API and the pages.
	clerk := e.login("vanthu.sgd")
	if status, _ := e.jsonRequest("GET", "/api/v1/admin/units", clerk, nil); status != http.StatusNotFound {
		t.Errorf("clerk on the admin API: %d", status)
	}
	b := newBrowser(t, e)
	b.login("vanthu.sgd")
	if status, page, _ := b.get("/admin/people"); status != http.StatusNotFound || strings.Contains(page, `id="nav-admin"`) {
		t.Errorf("clerk on /admin/people: %d", status)
	}
	// Bad input: Vietnamese messages on the fields.
	q1 := e.unitID(t, "000.01.24.H29")
	for _, tc := range []struct {
		body  map[string]any
		field string
		says  string
	}{
		{map[string]any{"code": "12-34", "name": "Trường A", "abbreviation": "A", "kind": "school", "school_level": "thcs", "parent_id": q1}, "code", "mã định danh không đúng dạng"},
		{map[string]any{"code": "008.01.24.H29", "name": "Trường A", "abbreviation": "A", "kind": "school", "school_level": "thcs", "parent_id": 999999}, "parent_id", "không có đơn vị cấp trên này"},
		{map[string]any{"code": "008.01.24.H29", "name": "Trường A", "abbreviation": "A", "kind": "school", "school_level": "thcs", "parent_id": thcs}, "parent_id", "trường học không có đơn vị trực thuộc"},
		{map[string]any{"code": "008.01.24.H29", "name": "Trường A", "abbreviation": "A", "kind": "school", "school_level": "thcs", "parent_id": q1, "email": "a@@b"}, "email", "không hợp lệ"},
		{map[string]any{"code": "001.01.24.H29", "name": "Trường A", "abbreviation": "A", "kind": "school", "school_level": "thcs", "parent_id": q1}, "code", "đã được dùng"},
	} {
		status, out := e.jsonRequest("POST", "/api/v1/admin/units", dept, tc.body)
		if status != http.StatusUnprocessableEntity || !strings.Contains(fieldOf(out, tc.field), tc.says) {
			t.Errorf("%v: %d %v", tc.body, status, out)
		}
	}
	// A cycle: district office 1 under one of its own schools' parent... under itself.
	status, out = e.jsonRequest("PUT", fmt.Sprintf("/api/v1/admin/units/%d", q1), dept, map[string]any{"code": "000.01.24.H29",
		"name": "Phòng GD&ĐT Quận 1", "abbreviation": "PGDĐT-Q1", "kind": "district_office", "parent_id": q1})
	if status != http.StatusUnprocessableEntity || !strings.Contains(fieldOf(out, "parent_id"), "dưới chính nó") {
		t.Errorf("cycle: %d %v", status, out)
	}
	status, out = e.jsonRequest("POST", "/api/v1/admin/people", dept, map[string]any{"username": "vanthu.sgd",
		"full_name": "Trùng tên", "unit_id": thcs, "roles": []string{"clerk"}, "email": "khong-hop-le"})
	if status != http.StatusUnprocessableEntity || !strings.Contains(fieldOf(out, "username"), "đã có người dùng") ||
		!strings.Contains(fieldOf(out, "email"), "không hợp lệ") {
		t.Errorf("duplicate username, bad e-mail: %d %v", status, out)
	}
	// The web form comes back with the message on the field.
	ab := newBrowser(t, e)
	ab.login("admin")
	_, page, _ := ab.get("/admin/units")
	status, page, _ = ab.postForm("/admin/units", url.Values{"_csrf": {csrfOf(t, page)}, "code": {"sai"}, "name": {"Trường B"},
		"abbreviation": {"B"}, "kind": {"school"}, "school_level": {"thcs"}, "parent_id": {fmt.Sprint(q1)}}, "")
	if status != http.StatusUnprocessableEntity || !strings.Contains(page, `id="err-code"`) || !strings.Contains(page, `value="Trường B"`) {
		t.Errorf("web form with a bad code: %d", status)
	}
	// Roles change ends the school admin's sessions.
	var id int64
	e.db.Get(&id, `SELECT id FROM users WHERE username = 'qt.vanlang'`)
	if status, out := e.jsonRequest("PATCH", fmt.Sprintf("/api/v1/admin/people/%d", id), dept, map[string]any{"roles": []string{"staff"}}); status != http.StatusOK {
		t.Fatalf("change roles: %d %v", status, out)
	}
	if status, _ := e.jsonRequest("GET", "/api/v1/me", school, nil); status != http.StatusUnauthorized {
		t.Errorf("session after a change of roles: %d", status)
	}
}

func TestAdminPages(t *testing.T) {
	e := newEnv(t, envOptions{})
	b := newBrowser(t, e)
	b.login("admin")
	thcs := e.unitID(t, "001.01.24.H29")
	ok := func(path, want string) string {
		t.Helper()
		status, page, _ := b.get(path)
		if status != http.StatusOK || !strings.Contains(page, want) {
			t.Fatalf("%s: %d, no %q\n%s", path, status, want, page)
		}
		return page
	}
	ok("/documents", `id="nav-admin"`)
	ok("/admin", "Người dùng")
	ok("/admin/units?q=van+lang", "Trường THCS Văn Lang")
	page := ok(fmt.Sprintf("/admin/units/%d", thcs), "001.01.24.H29")
	// Edit: a new e-mail for the school.
	status, _, h := b.postForm(fmt.Sprintf("/admin/units/%d", thcs), url.Values{"_csrf": {csrfOf(t, page)}, "code": {"001.01.24.H29"},
		"name": {"Trường THCS Văn Lang"}, "abbreviation": {"THCSVL"}, "kind": {"school"}, "school_level": {"thcs"},
		"parent_id": {fmt.Sprint(e.unitID(t, "000.01.24.H29"))}, "email": {"thcsvanlang@hcm.edu.vn"}}, "")
	if status != http.StatusSeeOther {
		t.Fatalf("edit unit: %d", status)
	}
	ok(h.Get("Location"), "thcsvanlang@hcm.edu.vn")
	// Sections: create, head.
	page = ok(fmt.Sprintf("/admin/units/%d/sections", thcs), "Thêm phòng ban, tổ")
	status, _, h = b.postForm(fmt.Sprintf("/admin/units/%d/sections", thcs), url.Values{"_csrf": {csrfOf(t, page)}, "name": {"Tổ Ngữ văn"}, "kind": {"to"}}, "")
	if status != http.StatusSeeOther {
		t.Fatalf("create section: %d", status)
	}
	page = ok(h.Get("Location"), "Tổ Ngữ văn")
	var sec, clerk int64
	e.db.Get(&sec, `SELECT id FROM sections WHERE name = 'Tổ Ngữ văn'`)
	e.db.Get(&clerk, `SELECT id FROM users WHERE username = 'vanthu.thcs1'`)
	status, _, _ = b.postForm(fmt.Sprintf("/admin/sections/%d/head", sec), url.Values{"_csrf": {csrfOf(t, page)}, "head_user_id": {fmt.Sprint(clerk)}}, "")
	if status != http.StatusSeeOther {
		t.Fatalf("set head: %d", status)
	}
	ok(fmt.Sprintf("/admin/units/%d/sections", thcs), "Đặt trưởng")
	// People: search, the person page, a move into the section, leave, reactivate.
	ok(fmt.Sprintf("/admin/people?unit=%d&q=duc", thcs), "Huỳnh Văn Đức")
	page = ok(fmt.Sprintf("/admin/people/%d", clerk), "Huỳnh Văn Đức")
	status, _, _ = b.postForm(fmt.Sprintf("/admin/people/%d", clerk), url.Values{"_csrf": {csrfOf(t, page)}, "full_name": {"Huỳnh Văn Đức"},
		"position": {"Văn thư"}, "email": {""}, "unit_id": {fmt.Sprint(thcs)}, "section_id": {fmt.Sprint(sec)}, "roles": {"clerk", "staff"}}, "")
	if status != http.StatusSeeOther {
		t.Fatalf("edit person: %d", status)
	}
	page = ok(fmt.Sprintf("/admin/people/%d", clerk), "Tổ Ngữ văn")
	status, _, _ = b.postForm(fmt.Sprintf("/admin/people/%d/leave", clerk), url.Values{"_csrf": {csrfOf(t, page)}}, "")
	if status != http.StatusSeeOther {
		t.Fatalf("leave: %d", status)
	}
	page = ok(fmt.Sprintf("/admin/people/%d", clerk), `id="person-left"`)
	if e.canLogin("vanthu.thcs1", testPassword) {
		t.Fatal("a person who left logs in")
	}
	status, _, _ = b.postForm(fmt.Sprintf("/admin/people/%d/reactivate", clerk), url.Values{"_csrf": {csrfOf(t, page)}}, "")
	if status != http.StatusSeeOther || !e.canLogin("vanthu.thcs1", testPassword) {
		t.Fatalf("reactivate: %d", status)
	}
	// Invitation without SMTP: the link is on the page.
	page = ok(fmt.Sprintf("/admin/people/%d", clerk), "Gửi lời mời")
	status, page, _ = b.postForm(fmt.Sprintf("/admin/people/%d/invite", clerk), url.Values{"_csrf": {csrfOf(t, page)}}, "")
	if status != http.StatusOK || !linkRE.MatchString(page) {
		t.Fatalf("invite without SMTP: %d", status)
	}
	// Without the CSRF token, nothing changes.
	if status, _, _ := b.postForm(fmt.Sprintf("/admin/people/%d/leave", clerk), url.Values{}, ""); status != http.StatusForbidden {
		t.Errorf("leave without CSRF: %d", status)
	}
	var n int
	e.db.Get(&n, `SELECT count(*) FROM audit_log WHERE action IN ('unit.update', 'section.create', 'section.head', 'account.roles', 'account.move', 'account.leave', 'account.reactivate', 'account.invite')`)
	if n != 8 {
		t.Errorf("%d audit entries, want 8", n)
	}
}

func TestResetRequestsLimited(t *testing.T) {
	e := newEnv(t, envOptions{})
	statuses := []int{}
	for i := 0; i < 7; i++ {
		b := newBrowser(t, e)
		_, page, _ := b.get("/account/forgot")
		who := "vanthu.sgd"
		if i%2 == 1 {
			who = "khong.ton.tai"
		}
		status, page, _ := b.postForm("/account/forgot", url.Values{"_csrf": {csrfOf(t, page)}, "who": {who}}, "")
		if status == http.StatusOK && !strings.Contains(page, admin.ForgotMessage) {
			t.Fatalf("answer %d differs", i)
		}
		statuses = append(statuses, status)
	}
	for i, s := range statuses {
		want := http.StatusOK
		if i >= 5 {
			want = http.StatusTooManyRequests
		}
		if s != want {
			t.Errorf("request %d: %d, want %d (%v)", i, s, want, statuses)
		}
	}
	// The login page links to it.
	b := newBrowser(t, e)
	if _, page, _ := b.get("/login"); !strings.Contains(page, `href="/account/forgot"`) {
		t.Error("no link from the login page")
	}
}
