package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/api"
	"github.com/hcm-edu/vanban/internal/httpx"
	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/web"
)

// apiTable and webTable return the two route tables, so that a test that
// walks them covers a route added later without being told.
func apiTable(t *testing.T, e *testEnv) []httpx.Route {
	t.Helper()
	a, err := api.New(httpx.Deps{Config: e.cfg}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a.Routes()
}

func webTable(t *testing.T, e *testEnv) []httpx.Route {
	t.Helper()
	w, err := web.New(httpx.Deps{Config: e.cfg})
	if err != nil {
		t.Fatal(err)
	}
	return w.Routes()
}

// fillPath puts values in a route's parameters: vals[name], or "1".
func fillPath(path string, vals map[string]string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if name, ok := strings.CutPrefix(p, ":"); ok {
			v := vals[name]
			if v == "" {
				v = "1"
			}
			parts[i] = v
		}
	}
	return strings.Join(parts, "/")
}

// fingerprint digests the rows of every table, to show that refused
// requests changed nothing.
func (e *testEnv) fingerprint(t *testing.T) map[string]string {
	t.Helper()
	var tables []string
	if err := e.db.Select(&tables, `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, name := range tables {
		var sum string
		q := fmt.Sprintf(`SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM %q t`, name)
		if err := e.db.Get(&sum, q); err != nil {
			t.Fatal(err)
		}
		out[name] = sum
	}
	return out
}

func sameFingerprint(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	for name, sum := range before {
		if after[name] != sum {
			t.Errorf("%s: table %s changed", what, name)
		}
	}
}

var metaCSRF = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

// pageCSRF returns the session's CSRF token as the pages publish it.
func (b *webClient) pageCSRF() string {
	b.t.Helper()
	_, page, _ := b.get("/documents")
	m := metaCSRF.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatal("no csrf-token meta in the page")
	}
	return m[1]
}

// apiCall sends a JSON API request with the session cookie, the CSRF
// header when csrf is not empty and an Origin when origin is not empty.
func (b *webClient) apiCall(method, path, csrf, origin string, body io.Reader, contentType string) (int, []byte) {
	b.t.Helper()
	req, _ := http.NewRequest(method, b.e.baseURL+path, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	status, out, _ := b.do(req)
	return status, []byte(out)
}

// routeBody is a plausible body for a route: a PNG for an image, a PDF
// upload for other uploads, an empty JSON object otherwise.
func routeBody(t *testing.T, r httpx.Route) (io.Reader, string) {
	switch {
	case r.Upload && strings.Contains(r.Path, "image"):
		return bytes.NewReader(signing.DemoSignatureImage("Lê Hoài Nam")), "image/png"
	case r.Upload:
		return multipartBody(t, validFields(), "a.pdf", fixturePDF(t))
	}
	return strings.NewReader("{}"), "application/json"
}

// TestAPICookieNeedsCSRF: with the session cookie alone, no call of the
// JSON API changes anything; with the session's token in X-CSRF-Token it
// works, and bearer tokens need none.
func TestAPICookieNeedsCSRF(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	director := newBrowser(t, e)
	director.login("giamdoc.sgd")
	token := director.pageCSRF()

	if status, b := director.apiCall("GET", "/api/v1/me", "", "", nil, ""); status != 200 {
		t.Fatalf("GET with the cookie alone: %d %s", status, b)
	}
	before, objects := e.fingerprint(t), e.countObjects()
	n := 0
	for _, r := range apiTable(t, e) {
		if r.Method == "GET" || !r.Auth {
			continue
		}
		n++
		path := fillPath(r.Path, nil)
		for _, v := range []struct{ what, csrf, origin string }{
			{"no token", "", ""},
			{"a wrong token", "forged-" + token, ""},
			{"another site", token, "http://evil.example"},
		} {
			body, ct := routeBody(t, r)
			status, b := director.apiCall(r.Method, path, v.csrf, v.origin, body, ct)
			if status != 403 {
				t.Errorf("%s %s with the cookie and %s: %d %s", r.Method, r.Path, v.what, status, b)
				continue
			}
			if ae := decodeError(t, b); ae.Error.Code != "csrf" || !strings.Contains(ae.Error.Message, "X-CSRF-Token") || !vietnamese(ae.Error.Message) {
				t.Errorf("%s %s with %s: %s", r.Method, r.Path, v.what, b)
			}
		}
	}
	if n < 35 {
		t.Errorf("only %d state-changing routes in the API table", n)
	}
	sameFingerprint(t, "calls refused for CSRF", before, e.fingerprint(t))
	if got := e.countObjects(); got != objects {
		t.Errorf("calls refused for CSRF stored %d objects", got-objects)
	}

	// With the token, the check lets every route through to its handler.
	for _, r := range apiTable(t, e) {
		if r.Method == "GET" || !r.Auth || r.OperationID == "logout" {
			continue
		}
		body, ct := routeBody(t, r)
		status, b := director.apiCall(r.Method, fillPath(r.Path, nil), token, "", body, ct)
		if status == 403 && decodeError(t, b).Error.Code == "csrf" {
			t.Errorf("%s %s with the token: %s", r.Method, r.Path, b)
		}
	}

	// The calls of the issue, with the token: they work.
	img := signing.DemoSignatureImage("Lê Hoài Nam")
	if status, b := director.apiCall("PUT", "/api/v1/me/signature-image", token, "", bytes.NewReader(img), "image/png"); status != 204 {
		t.Errorf("signature image with the token: %d %s", status, b)
	}
	var images int
	e.db.Get(&images, `SELECT count(*) FROM signature_images WHERE user_id = $1`, e.meetingUser(t, "giamdoc.sgd"))
	other := signing.DemoSignatureImage("Kẻ Giả Mạo")
	if status, _ := director.apiCall("PUT", "/api/v1/me/signature-image", "", "", bytes.NewReader(other), "image/png"); status != 403 {
		t.Errorf("signature image with the cookie alone: %d", status)
	}
	var after int
	e.db.Get(&after, `SELECT count(*) FROM signature_images WHERE user_id = $1`, e.meetingUser(t, "giamdoc.sgd"))
	if after != images {
		t.Errorf("the signature image was replaced with the cookie alone")
	}
	if status, b, _ := e.request("PUT", "/api/v1/me/signature-image", e.login("giamdoc.sgd"), bytes.NewReader(img), "image/png"); status != 204 {
		t.Errorf("signature image with a bearer token: %d %s", status, b)
	}

	clerk := newBrowser(t, e)
	clerk.login("vanthu.sgd")
	ctoken := clerk.pageCSRF()
	body, ct := multipartBody(t, validFields(), "Kế hoạch.pdf", fixturePDF(t))
	if status, b := clerk.apiCall("POST", "/api/v1/documents", ctoken, e.baseURL, body, ct); status != 201 {
		t.Errorf("document upload with the token: %d %s", status, b)
	}
	body, ct = multipartBody(t, nil, "a.pdf", fixturePDF(t))
	if status, b := clerk.apiCall("POST", "/api/v1/verify", ctoken, "", body, ct); status != 200 {
		t.Errorf("verify with the token: %d %s", status, b)
	}
	organiser := e.login("vanthu.sgd")
	start := time.Now().Add(2 * time.Hour).Truncate(time.Minute)
	var m meetingJSON
	e.call(t, "POST", "/api/v1/meetings", organiser, map[string]any{"title": "Họp giao ban", "starts_at": start,
		"ends_at": start.Add(time.Hour), "place": "Phòng họp 1", "chair_id": e.meetingUser(t, "giamdoc.sgd"), "secretary_id": e.meetingUser(t, "chuyenvien.sgd")}, 201, &m)
	var item struct{ ID int64 }
	e.call(t, "POST", fmt.Sprintf("/api/v1/meetings/%d/items", m.ID), organiser, map[string]any{"title": "Khai mạc"}, 201, &item)
	files := fmt.Sprintf("/api/v1/meetings/%d/items/%d/files", m.ID, item.ID)
	body, ct = multipartBody(t, map[string]string{"title": "Dự thảo"}, "a.pdf", fixturePDF(t))
	if status, b := clerk.apiCall("POST", files, "", "", body, ct); status != 403 {
		t.Errorf("agenda upload with the cookie alone: %d %s", status, b)
	}
	body, ct = multipartBody(t, map[string]string{"title": "Dự thảo"}, "a.pdf", fixturePDF(t))
	if status, b := clerk.apiCall("POST", files, ctoken, "", body, ct); status != 201 {
		t.Errorf("agenda upload with the token: %d %s", status, b)
	}
	if status, b := clerk.apiCall("POST", "/api/v1/auth/logout", ctoken, "", nil, ""); status != 204 {
		t.Errorf("logout with the token: %d %s", status, b)
	}
}

// badValues are the texts no field may take.
var badValues = map[string]string{
	"NUL":           "a\x00b",
	"a control":     "a\x1bb",
	"invalid UTF-8": "a\xffb",
	"an override":   "abc\u202egpj.exe",
	"an isolate":    "\u2067abc\u2069",
	"zero width":    "\u200b\u200c\ufeff",
}

// textFields are the names of the fields the routes read.
var textFields = []string{"title", "username", "body", "reason", "note", "q", "state", "choice", "question", "place",
	"doc_type", "number", "symbol", "section", "presenter", "version_sha256", "kind", "status", "name"}

// TestBadTextNeverFails drives every route of both tables with bad text in
// the query, in the path and in the body (JSON, form or multipart): each is
// refused with a 4xx, never a 5xx, and the query and path ones with a 422
// that names the field before any handler runs.
func TestBadTextNeverFails(t *testing.T) {
	e := newEnv(t, envOptions{})
	bearer := e.login("vanthu.sgd")
	b := newBrowser(t, e)
	b.login("vanthu.sgd")
	csrf := b.pageCSRF()

	send := func(r httpx.Route, path string, body io.Reader, ctype string) (int, string) {
		req, _ := http.NewRequest(r.Method, e.baseURL+path, body)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if strings.HasPrefix(r.Path, "/api/") {
			req.Header.Set("Authorization", "Bearer "+bearer)
		} else {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		status, out, _ := b.do(req)
		return status, out
	}
	body := func(r httpx.Route, bad string) (io.Reader, string) {
		switch {
		case r.Method == "GET":
			return nil, ""
		case r.Upload:
			var buf bytes.Buffer
			w := multipart.NewWriter(&buf)
			if !strings.HasPrefix(r.Path, "/api/") {
				w.WriteField("_csrf", csrf)
			}
			for _, k := range textFields {
				w.WriteField(k, bad)
			}
			fw, _ := w.CreateFormFile("file", "tệp "+bad+".pdf")
			fw.Write(fixturePDF(t))
			w.Close()
			return &buf, w.FormDataContentType()
		case strings.HasPrefix(r.Path, "/api/"):
			m := map[string]any{}
			for _, k := range textFields {
				m[k] = bad
			}
			m["items"] = []any{map[string]any{"note": bad}}
			raw, _ := json.Marshal(m)
			// json.Marshal writes invalid UTF-8 as U+FFFD: put the bytes back.
			raw = bytes.ReplaceAll(raw, []byte("\ufffd"), []byte("\xff"))
			return bytes.NewReader(raw), "application/json"
		}
		form := url.Values{"_csrf": {csrf}}
		for _, k := range textFields {
			form.Set(k, bad)
		}
		return strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"
	}
	routes := append(apiTable(t, e), webTable(t, e)...)
	for _, r := range routes {
		if r.Path == "/login" || r.Path == "/logout" {
			continue // below, with a browser of their own
		}
		for what, bad := range badValues {
			clean, _ := body(r, "x")
			if r.Method == "GET" {
				clean = nil
			}
			_, ctype := body(r, "x")
			// In the query.
			status, out := send(r, fillPath(r.Path, nil)+"?title="+url.QueryEscape(bad), clean, ctype)
			if status != 422 || !strings.Contains(out, "title") {
				t.Errorf("%s %s, %s in the query: %d %.300s", r.Method, r.Path, what, status, out)
			}
			// In the path.
			if strings.Contains(r.Path, "/:") {
				clean, ctype = body(r, "x")
				status, out = send(r, fillPath(r.Path, map[string]string{"id": url.PathEscape(bad), "kind": url.PathEscape(bad)}), clean, ctype)
				if status >= 500 || status < 400 {
					t.Errorf("%s %s, %s in the path: %d %.300s", r.Method, r.Path, what, status, out)
				}
			}
			// In the body.
			if r.Method != "GET" {
				bd, ct := body(r, bad)
				status, out = send(r, fillPath(r.Path, nil), bd, ct)
				if status >= 500 || status < 400 || !r.Upload && status != 422 {
					t.Errorf("%s %s, %s in the body: %d %.300s", r.Method, r.Path, what, status, out)
				}
			}
		}
	}

	// The cases, one by one.
	status, out := e.postJSON(t, "/api/v1/auth/login", "", map[string]string{"username": "a\x00b", "password": "x"})
	e.refused(t, "login with NUL in the user name", status, out, 422, "username")
	status, out = e.postJSON(t, "/api/v1/auth/login", "", map[string]string{"username": "vanthu.sgd", "password": "sai \u202e\u200b"})
	if status != 401 {
		t.Errorf("a password with an override is the password's business: %d %s", status, out)
	}
	status, out = e.postJSON(t, "/api/v1/auth/login", "", map[string]string{"username": "vanthu.sgd", "password": "a\x00"})
	e.refused(t, "a password with NUL", status, out, 422, "password")
	start := time.Now().Add(2 * time.Hour).Truncate(time.Minute)
	meeting := map[string]any{"title": "\u200b\u200d", "starts_at": start, "ends_at": start.Add(time.Hour), "place": "Phòng họp 1",
		"chair_id": e.meetingUser(t, "giamdoc.sgd"), "secretary_id": e.meetingUser(t, "chuyenvien.sgd")}
	status, out = e.postJSON(t, "/api/v1/meetings", bearer, meeting)
	e.refused(t, "a meeting titled with zero width characters", status, out, 422, "title")
	fields := validFields()
	fields["title"] = "Kế hoạch \u202efdp.exe"
	upload, ct := multipartBody(t, fields, "a.pdf", fixturePDF(t))
	status, out, _ = e.request("POST", "/api/v1/documents", bearer, upload, ct)
	e.refused(t, "a document titled with an override", status, out, 422, "title")
	if docs, _ := e.countRows(); docs != 0 {
		t.Errorf("%d documents stored from refused uploads", docs)
	}

	// The pages: the form comes back on its page, with what was typed and
	// the message for the field.
	status, page, _ := b.postForm("/meetings", url.Values{"_csrf": {csrf}, "title": {"Họp \u202eabc"}, "place": {"Phòng họp số 7"}}, "")
	if status != 422 || !strings.Contains(page, "ký tự điều khiển hướng chữ") || !strings.Contains(page, "Phòng họp số 7") {
		t.Errorf("the new meeting form with an override: %d %s", status, page)
	}
	var m meetingJSON
	meeting["title"] = "Họp giao ban"
	e.call(t, "POST", "/api/v1/meetings", bearer, meeting, 201, &m)
	status, page, _ = b.postForm(fmt.Sprintf("/meetings/%d/items", m.ID), url.Values{"_csrf": {csrf}, "title": {"\u200b"}, "presenter": {"Văn phòng Sở"}}, "")
	if status != 422 || !strings.Contains(page, "chỉ gồm ký tự vô hình") || !strings.Contains(page, "Họp giao ban") || !strings.Contains(page, "Văn phòng Sở") {
		t.Errorf("an agenda item titled with a zero width space: %d %s", status, page)
	}
	anon := newBrowser(t, e)
	_, page, _ = anon.get("/login")
	status, page, _ = anon.postForm("/login", url.Values{"_csrf": {csrfOf(t, page)}, "username": {"a\x00b"}, "password": {testPassword}}, "")
	if status != 422 || !strings.Contains(page, "Tên đăng nhập") || !strings.Contains(page, `name="password"`) {
		t.Errorf("the login form with NUL in the user name: %d %s", status, page)
	}
}

// TestAPIErrorsAreJSON: the assembled server answers JSON on /api/v1/*
// for what Fiber and fasthttp refuse before any handler, HTML elsewhere.
func TestAPIErrorsAreJSON(t *testing.T) {
	e := newEnv(t, envOptions{})
	big := strings.Repeat("c", 16<<10)
	for _, tt := range []struct {
		method, path string
		header       map[string]string
		status       int
		code         string
	}{
		{"GET", "/api/v1/me", map[string]string{"Cookie": "a=" + big}, 431, "headers_too_large"},
		{"GET", "/documents", map[string]string{"Cookie": "a=" + big}, 431, ""},
		{"GET", "/api/v1/no/such/path", nil, 404, "not_found"},
		{"DELETE", "/api/v1/documents", nil, 405, "method_not_allowed"},
		{"GET", "/no/such/page", nil, 404, ""},
	} {
		req, _ := http.NewRequest(tt.method, e.baseURL+tt.path, nil)
		for k, v := range tt.header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		ct := resp.Header.Get("Content-Type")
		switch {
		case resp.StatusCode != tt.status:
			t.Errorf("%s %s: %d %.200s", tt.method, tt.path, resp.StatusCode, b)
		case tt.code == "" && !strings.HasPrefix(ct, "text/html"):
			t.Errorf("%s %s: %s, want a page", tt.method, tt.path, ct)
		case tt.code != "":
			ae := decodeError(t, b)
			if !strings.HasPrefix(ct, "application/json") || ae.Error.Code != tt.code || !vietnamese(ae.Error.Message) ||
				resp.Header.Get("X-Request-ID") == "" {
				t.Errorf("%s %s: %s %s", tt.method, tt.path, ct, b)
			}
		}
	}
}

// TestNestedMeetingIDs: a path names a meeting and one of its children
// (item, agenda document, participant, request to speak, ballot); a child
// of another meeting, even one the caller may act on, is not found through
// it, on every nested route of the API and of the pages.
func TestNestedMeetingIDs(t *testing.T) {
	e := newEnv(t, envOptions{})
	organiser, chair := e.login("vanthu.sgd"), e.login("giamdoc.sgd")
	start := time.Now().Add(10 * time.Minute).Truncate(time.Minute) // within the window in which a meeting may start
	input := map[string]any{"title": "Họp giao ban", "starts_at": start, "ends_at": start.Add(time.Hour), "place": "Phòng họp 1",
		"chair_id": e.meetingUser(t, "giamdoc.sgd"), "secretary_id": e.meetingUser(t, "chuyenvien.sgd")}
	var a, b meetingJSON
	e.call(t, "POST", "/api/v1/meetings", organiser, input, 201, &a)
	e.call(t, "POST", "/api/v1/meetings", organiser, input, 201, &b)
	A, B := fmt.Sprintf("/api/v1/meetings/%d", a.ID), fmt.Sprintf("/api/v1/meetings/%d", b.ID)
	var aItem, bItem struct{ ID int64 }
	e.call(t, "POST", A+"/items", organiser, map[string]any{"title": "Mục của A"}, 201, &aItem)
	e.call(t, "POST", B+"/items", organiser, map[string]any{"title": "Mục của B"}, 201, &bItem)
	doc := e.create(t, organiser, validFields(), "a.pdf", fixturePDF(t))
	var bDoc struct{ ID int64 }
	e.call(t, "POST", fmt.Sprintf("%s/items/%d/documents", B, bItem.ID), organiser, map[string]any{"document_id": doc.ID}, 201, &bDoc)
	var part struct{ ID int64 }
	e.call(t, "POST", B+"/participants", organiser, map[string]any{"user_id": e.meetingUser(t, "truongphong.q1")}, 201, &part)
	bPart := part.ID
	e.call(t, "PATCH", B, chair, map[string]any{"status": "in_progress"}, 200, nil)
	e.call(t, "POST", B+"/check-in", chair, nil, 200, nil)
	var bReq, bBallot struct{ ID int64 }
	e.call(t, "POST", B+"/speakers", chair, nil, 201, &bReq)
	e.call(t, "POST", B+"/ballots", chair, map[string]any{"question": "Thông qua?"}, 201, &bBallot)

	org, ch := newBrowser(t, e), newBrowser(t, e)
	org.login("vanthu.sgd")
	ch.login("giamdoc.sgd")
	ocsrf, ccsrf := org.pageCSRF(), ch.pageCSRF()

	before, objects := e.fingerprint(t), e.countObjects()
	notFound := func(what string, status int, body string) {
		t.Helper()
		if status != 404 {
			t.Errorf("%s through meeting A: %d %.300s", what, status, body)
		}
	}
	// The JSON API.
	status, out := e.postJSON(t, fmt.Sprintf("%s/items/%d/documents", A, bItem.ID), organiser, map[string]any{"document_id": doc.ID})
	notFound("attach a document to B's item", status, string(out))
	upload, ct := multipartBody(t, map[string]string{"title": "Phụ lục"}, "a.pdf", fixturePDF(t))
	status, out, _ = e.request("POST", fmt.Sprintf("%s/items/%d/files", A, bItem.ID), organiser, upload, ct)
	notFound("upload a file to B's item", status, string(out))
	status, out, _ = e.request("DELETE", fmt.Sprintf("%s/participants/%d", A, bPart), organiser, nil, "")
	notFound("remove B's participant", status, string(out))
	for _, suffix := range []string{"download", "link"} {
		status, out, _ = e.request("GET", fmt.Sprintf("%s/documents/%d/%s", A, bDoc.ID, suffix), organiser, nil, "")
		notFound("B's agenda document: "+suffix, status, string(out))
	}

	// The pages.
	page := fmt.Sprintf("/meetings/%d", a.ID)
	for _, f := range []struct {
		what, path string
		b          *webClient
		form       url.Values
	}{
		{"move B's item", fmt.Sprintf("%s/items/%d/move", page, bItem.ID), org, url.Values{"_csrf": {ocsrf}, "dir": {"down"}}},
		{"attach to B's item", fmt.Sprintf("%s/items/%d/documents", page, bItem.ID), org, url.Values{"_csrf": {ocsrf}, "document_id": {fmt.Sprint(doc.ID)}}},
		{"remove B's participant", fmt.Sprintf("%s/participants/%d/remove", page, bPart), org, url.Values{"_csrf": {ocsrf}}},
		{"give the floor to B's request", fmt.Sprintf("%s/speakers/%d", page, bReq.ID), ch, url.Values{"_csrf": {ccsrf}, "state": {"speaking"}}},
		{"withdraw B's request", fmt.Sprintf("%s/speakers/%d", page, bReq.ID), ch, url.Values{"_csrf": {ccsrf}, "state": {"withdrawn"}}},
		{"vote on B's ballot", fmt.Sprintf("%s/ballots/%d/vote", page, bBallot.ID), ch, url.Values{"_csrf": {ccsrf}, "choice": {"Đồng ý"}}},
		{"close B's ballot", fmt.Sprintf("%s/ballots/%d/close", page, bBallot.ID), ch, url.Values{"_csrf": {ccsrf}}},
	} {
		status, body, _ := f.b.postForm(f.path, f.form, "")
		notFound(f.what+" (page)", status, body)
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("_csrf", ocsrf)
	w.WriteField("title", "Phụ lục")
	fw, _ := w.CreateFormFile("file", "a.pdf")
	fw.Write(fixturePDF(t))
	w.Close()
	req, _ := http.NewRequest("POST", e.baseURL+fmt.Sprintf("%s/items/%d/files", page, bItem.ID), &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	status, body, _ := org.do(req)
	notFound("upload to B's item (page)", status, body)
	status, body, _ = org.get(fmt.Sprintf("%s/documents/%d", page, bDoc.ID))
	notFound("B's agenda document (page)", status, body)

	sameFingerprint(t, "requests through the wrong meeting", before, e.fingerprint(t))
	if got := e.countObjects(); got != objects {
		t.Errorf("requests through the wrong meeting stored %d objects", got-objects)
	}

	// Through their own meeting, the same requests work.
	doc2 := e.create(t, organiser, validFields(), "b.pdf", fixturePDF(t))
	e.call(t, "POST", fmt.Sprintf("%s/items/%d/documents", B, bItem.ID), organiser, map[string]any{"document_id": doc2.ID}, 201, nil)
	if status, body, _ := ch.postForm(fmt.Sprintf("/meetings/%d/ballots/%d/close", b.ID, bBallot.ID), url.Values{"_csrf": {ccsrf}}, ""); status != http.StatusSeeOther {
		t.Errorf("close the ballot through its meeting: %d %.300s", status, body)
	}
	if status, body, _ := ch.postForm(fmt.Sprintf("/meetings/%d/speakers/%d", b.ID, bReq.ID), url.Values{"_csrf": {ccsrf}, "state": {"speaking"}}, ""); status != http.StatusSeeOther {
		t.Errorf("give the floor through its meeting: %d %.300s", status, body)
	}
}
