package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/edxml"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/pdfguard/hostile"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/storage"
)

// pdfEndpoint is one way a PDF from outside reaches the service. stage
// prepares what the file needs (the packet's endpoint stores it, as a file
// stored before uploads were checked) and returns a maker of requests, so
// that concurrent copies each get their own body.
type pdfEndpoint struct {
	name  string
	stage func(t testing.TB, name string, pdf []byte) func() *http.Request
}

// hostileClient bounds every request: a hostile file must never hold one
// (10 s, longer under the race detector: raceSlowdown).
var hostileClient = &http.Client{Timeout: raceSlowdown * 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}}

// pdfEndpoints are every endpoint of e that parses a PDF from outside: the
// JSON API's upload, verification, agenda file and edXML import, the web
// forms' upload and verification, and the meeting packet of both.
func pdfEndpoints(t testing.TB, e *testEnv) []pdfEndpoint {
	ctx := context.Background()
	clerk := e.login("vanthu.sgd")
	school := e.login("vanthu.thpt1")
	userID := func(username string) int64 {
		var id int64
		if err := e.db.Get(&id, `SELECT id FROM users WHERE username = $1`, username); err != nil {
			t.Fatal(err)
		}
		return id
	}
	chair, secretary := userID("giamdoc.sgd"), userID("chuyenvien.sgd")
	// A meeting with one item, for a file of name.
	meeting := func(name string) (meetingID, itemID int64) {
		start := time.Now().Add(2 * time.Hour).Truncate(time.Minute)
		var m struct {
			ID int64 `json:"id"`
		}
		status, b := e.postJSON(t, "/api/v1/meetings", clerk, map[string]any{"title": "Họp " + name,
			"starts_at": start, "ends_at": start.Add(time.Hour), "place": "Phòng họp số 1", "chair_id": chair, "secretary_id": secretary})
		if status != 201 || json.Unmarshal(b, &m) != nil {
			t.Fatalf("meeting: %d %s", status, b)
		}
		var it struct {
			ID int64 `json:"id"`
		}
		status, b = e.postJSON(t, fmt.Sprintf("/api/v1/meetings/%d/items", m.ID), clerk, map[string]any{"title": "Tài liệu " + name})
		if status != 201 || json.Unmarshal(b, &it) != nil {
			t.Fatalf("item: %d %s", status, b)
		}
		return m.ID, it.ID
	}
	bearer := func(method, path, token string, body []byte, ct string) *http.Request {
		req, _ := http.NewRequest(method, e.baseURL+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		return req
	}
	form := func(csrf string, fields map[string]string, pdf []byte) ([]byte, string) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		if csrf != "" {
			w.WriteField("_csrf", csrf)
		}
		for k, v := range fields {
			w.WriteField(k, v)
		}
		fw, _ := w.CreateFormFile("file", "tai-lieu.pdf")
		fw.Write(pdf)
		w.Close()
		return buf.Bytes(), w.FormDataContentType()
	}
	// The web forms: a browser's session cookie and CSRF token.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: hostileClient.Timeout, CheckRedirect: hostileClient.CheckRedirect}
	webLogin(t, e, browser)
	cookies := jar.Cookies(mustURL(t, e.baseURL))
	webToken := func(path string) string {
		req, _ := http.NewRequest("GET", e.baseURL+path, nil)
		resp, err := browser.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := csrfRE.FindSubmatch(page)
		if m == nil {
			t.Fatalf("no CSRF token in %s", path)
		}
		return string(m[1])
	}
	web := func(path string, body []byte, ct string) *http.Request {
		req, _ := http.NewRequest("POST", e.baseURL+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		return req
	}
	uploadToken, verifyToken := webToken("/documents/new"), webToken("/verify")
	// edXML: a package the department sends to a school, signed with the
	// department's key, its attachment the file.
	deptKey, release, err := e.docs.OrgKey(ctx, "000.00.24.H29")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	edxmlPackage := func(name string, pdf []byte) []byte {
		h := edxml.MessageHeader{
			From: edxml.Organisation{OrganID: "000.00.24.H29", OrganName: "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh"},
			To:   []edxml.Organisation{{OrganID: "001.00.24.H29", OrganName: "Trường THPT Bùi Thị Xuân"}},
			Code: edxml.Code{Number: "07", Notation: "KH-SGDĐT"},
			PromulgationInfo: edxml.PromulgationInfo{Place: domain.Place,
				Date: time.Date(2021, 1, 22, 0, 0, 0, 0, domain.VietnamTime)},
			DocumentType: edxml.DocumentType{Type: 1, TypeName: "Kế hoạch"},
			Subject:      "Kế hoạch " + name,
			SignerInfo:   edxml.SignerInfo{Position: "Giám đốc", FullName: "Lê Hoài Nam"},
			DocumentID:   "000.00.24.H29/hostile-" + name,
		}
		out, err := edxml.Build(edxml.Package{Header: h,
			Trace: edxml.TraceHeaderList{Business: edxml.Business{Type: edxml.BusinessNew, Staff: edxml.StaffInfo{Staff: "Nguyễn Thị Thu Hà"}},
				Traces: []edxml.TraceHeader{{OrganID: "000.00.24.H29", Timestamp: time.Now()}}},
			Attachments: []edxml.Attachment{{ContentID: "attachment-1", ContentType: "application/pdf",
				FileName: "tai-lieu.pdf", Description: name, Data: pdf}}}, edxml.Signer(deptKey))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	// A file stored before uploads were checked: straight into the store
	// and meeting_files, on the agenda of a meeting of its own.
	storedFile := func(name string, pdf []byte) int64 {
		meetingID, itemID := meeting(name)
		sum := sha256.Sum256(pdf)
		sha := hex.EncodeToString(sum[:])
		key, err := storage.KeyFor(sha)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.blobs.Put(ctx, key, bytes.NewReader(pdf), int64(len(pdf))); err != nil {
			t.Fatal(err)
		}
		var fileID int64
		if err := e.db.Get(&fileID, `INSERT INTO meeting_files (meeting_id, object_key, sha256, size_bytes, file_name, uploaded_by)
			VALUES ($1, $2, $3, $4, 'cu.pdf', $5) RETURNING id`, meetingID, key, sha, len(pdf), userID("vanthu.sgd")); err != nil {
			t.Fatal(err)
		}
		e.db.MustExec(`INSERT INTO agenda_documents (item_id, position, title, draft, file_id, attached_by, attached_unit_id)
			VALUES ($1, 1, 'Tệp cũ', false, $2, $3, (SELECT unit_id FROM users WHERE id = $3))`, itemID, fileID, userID("vanthu.sgd"))
		return meetingID
	}
	return []pdfEndpoint{
		{"api-upload", func(t testing.TB, name string, pdf []byte) func() *http.Request {
			body, ct := form("", validFields(), pdf)
			return func() *http.Request { return bearer("POST", "/api/v1/documents", clerk, body, ct) }
		}},
		{"api-verify", func(t testing.TB, name string, pdf []byte) func() *http.Request {
			body, ct := form("", nil, pdf)
			return func() *http.Request { return bearer("POST", "/api/v1/verify", clerk, body, ct) }
		}},
		{"api-agenda-file", func(t testing.TB, name string, pdf []byte) func() *http.Request {
			meetingID, itemID := meeting(name)
			body, ct := form("", map[string]string{"title": "Dự thảo " + name, "draft": "true"}, pdf)
			path := fmt.Sprintf("/api/v1/meetings/%d/items/%d/files", meetingID, itemID)
			return func() *http.Request { return bearer("POST", path, clerk, body, ct) }
		}},
		{"api-edxml-import", func(t testing.TB, name string, pdf []byte) func() *http.Request {
			pkg := edxmlPackage(name, pdf)
			return func() *http.Request { return bearer("POST", "/api/v1/edxml/packages", school, pkg, "application/xml") }
		}},
		{"web-upload", func(t testing.TB, name string, pdf []byte) func() *http.Request {
			body, ct := form(uploadToken, validFields(), pdf)
			return func() *http.Request { return web("/documents", body, ct) }
		}},
		{"web-verify", func(t testing.TB, name string, pdf []byte) func() *http.Request {
			body, ct := form(verifyToken, nil, pdf)
			return func() *http.Request { return web("/verify", body, ct) }
		}},
		{"api-packet", func(t testing.TB, name string, pdf []byte) func() *http.Request {
			path := fmt.Sprintf("/api/v1/meetings/%d/packet", storedFile(name, pdf))
			return func() *http.Request { return bearer("GET", path, clerk, nil, "") }
		}},
		{"web-packet", func(t testing.TB, name string, pdf []byte) func() *http.Request {
			path := fmt.Sprintf("/meetings/%d/packet", storedFile(name, pdf))
			return func() *http.Request {
				req := web(path, nil, "")
				req.Method = "GET"
				return req
			}
		}},
	}
}

func mustURL(t testing.TB, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// webLogin logs c in as the department's clerk.
func webLogin(t testing.TB, e *testEnv, c *http.Client) {
	get := func(path string) string {
		resp, err := c.Get(e.baseURL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		page, _ := io.ReadAll(resp.Body)
		return string(page)
	}
	m := csrfRE.FindStringSubmatch(get("/login"))
	if m == nil {
		t.Fatal("no CSRF token on the login page")
	}
	resp, err := c.PostForm(e.baseURL+"/login", url.Values{"_csrf": {m[1]}, "username": {"vanthu.sgd"}, "password": {testPassword}, "next": {"/documents"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("web login: %d", resp.StatusCode)
	}
}

// stored is what the service keeps: rows that name files and the store's
// objects, and the spool folder's files.
type stored struct{ documents, versions, meetingFiles, agendaDocs, deliveries, objects, spool int }

func (e *testEnv) stored(t testing.TB) stored {
	var s stored
	for _, c := range []struct {
		n *int
		q string
	}{
		{&s.documents, `SELECT count(*) FROM documents`},
		{&s.versions, `SELECT count(*) FROM document_versions`},
		{&s.meetingFiles, `SELECT count(*) FROM meeting_files`},
		{&s.agendaDocs, `SELECT count(*) FROM agenda_documents`},
		{&s.deliveries, `SELECT count(*) FROM dispatches`},
	} {
		if err := e.db.Get(c.n, c.q); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.blobs.List(context.Background(), "", func(storage.Info) error { s.objects++; return nil }); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(e.spool)
	if err != nil {
		t.Fatal(err)
	}
	s.spool = len(entries)
	return s
}

// TestHostileCorpusAtEveryPDFEndpoint sends every file of the hostile
// corpus to every endpoint that takes a PDF: each answers a 4xx within the
// client's 10 s (more under -race), and nothing is kept. Before pdfguard, the self-kid page
// tree held its request (and a core) for ever on upload, verification and
// agenda files; the million declared objects took gigabytes; the packet of
// a bad stored file took minutes.
func TestHostileCorpusAtEveryPDFEndpoint(t *testing.T) {
	e := newEnv(t, envOptions{signing: true, maxUploadBytes: 64 << 20})
	endpoints := pdfEndpoints(t, e)
	for _, c := range hostile.Cases() {
		pdf := c.Make()
		for _, ep := range endpoints {
			t.Run(c.Name+"/"+ep.name, func(t *testing.T) {
				next := ep.stage(t, c.Name+"-"+ep.name, pdf)
				before := e.stored(t)
				start := time.Now()
				resp, err := hostileClient.Do(next())
				if err != nil {
					t.Fatalf("no answer: %v", err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				t.Logf("%d in %v: %.160s", resp.StatusCode, time.Since(start).Round(time.Millisecond), body)
				if resp.StatusCode < 400 || resp.StatusCode >= 500 {
					t.Errorf("status %d after %v, want a 4xx: %.300s", resp.StatusCode, time.Since(start), body)
				}
				if strings.HasPrefix(ep.name, "api-") && resp.StatusCode >= 400 {
					checkNoInternals(t, body)
				}
				if after := e.stored(t); after != before {
					t.Errorf("stored %+v, before %+v", after, before)
				}
			})
		}
	}
}

// TestSigningAStoredHostileVersion: a version stored before uploads were
// checked is checked by pdfguard before pdfsign reads it, so signing it is
// a quick 422 and stores nothing. Before, pdfsign parsed it in the
// service's process (the self-looping page tree: for ever).
func TestSigningAStoredHostileVersion(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	clerk, director := e.login("vanthu.sgd"), e.login("giamdoc.sgd")
	f := validFields()
	delete(f, "number")
	delete(f, "symbol")
	for i, c := range hostile.Cases() {
		if i%3 != 0 && !testing.Verbose() {
			continue // a third of the corpus keeps the test short; -v runs it all
		}
		t.Run(c.Name, func(t *testing.T) {
			d := e.create(t, clerk, f, "Kế hoạch.pdf", testenv.PDF(3000, uint64(100+i)))
			b := c.Make()
			sum := sha256.Sum256(b)
			sha := hex.EncodeToString(sum[:])
			key, err := storage.KeyFor(sha)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.blobs.Put(context.Background(), key, bytes.NewReader(b), int64(len(b))); err != nil {
				t.Fatal(err)
			}
			e.db.MustExec(`INSERT INTO document_versions (document_id, version_no, object_key, sha256, size_bytes, media_type, file_name, note, created_by)
				VALUES ($1, 2, $2, $3, $4, 'application/pdf', 'cu.pdf', '', (SELECT id FROM users WHERE username = 'vanthu.sgd'))`, d.ID, key, sha, len(b))
			before := e.stored(t)
			body, _ := json.Marshal(map[string]any{"version_sha256": sha})
			req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/documents/%d/sign", e.baseURL, d.ID), bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+director)
			req.Header.Set("Content-Type", "application/json")
			start := time.Now()
			resp, err := hostileClient.Do(req)
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			out, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			t.Logf("%d in %v: %.200s", resp.StatusCode, time.Since(start).Round(time.Millisecond), out)
			if resp.StatusCode != 422 && resp.StatusCode != 415 {
				t.Errorf("sign: %d after %v: %.300s", resp.StatusCode, time.Since(start), out)
			}
			if after := e.stored(t); after != before {
				t.Errorf("stored %+v, before %+v", after, before)
			}
		})
	}
}
