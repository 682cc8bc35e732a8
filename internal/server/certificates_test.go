package server

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/signing/signingtest"
)

type certificateJSON struct {
	ID          int64  `json:"id"`
	UserID      int64  `json:"user_id"`
	Fingerprint string `json:"fingerprint"`
	CommonName  string `json:"common_name"`
	Source      string `json:"source"`
	Username    string `json:"username"`
	DaysLeft    int    `json:"days_left"`
}

// certBody is a certificate as the API takes it: base64 DER and chain.
func certBody(k signing.Key, source string) map[string]any {
	var chain []string
	for _, c := range k.Chain[1:] {
		chain = append(chain, base64.StdEncoding.EncodeToString(c.Raw))
	}
	return map[string]any{"certificate": base64.StdEncoding.EncodeToString(k.Chain[0].Raw), "chain": chain, "source": source}
}

func TestCertificatesThroughTheAPI(t *testing.T) {
	pki := signingtest.NewPKI(t)
	e := newEnv(t, envOptions{certRoots: pki.Roots})
	director, deputy, admin := e.login("giamdoc.sgd"), e.login("phogiamdoc.sgd"), e.login("admin")
	now := time.Now()
	k := pki.NewKey(t, "Lê Hoài Nam", signingtest.PersonOrg, now.Add(-time.Hour), now.Add(365*24*time.Hour))

	var c certificateJSON
	body := e.call(t, "POST", "/api/v1/me/certificates", director, certBody(k, "helper"), 201, &c)
	if c.ID == 0 || c.CommonName != "Lê Hoài Nam" || c.Source != "helper" || len(c.Fingerprint) != 64 {
		t.Errorf("registered: %s", body)
	}
	if bytes.Contains(body, []byte(base64.StdEncoding.EncodeToString(k.Chain[0].Raw)[:40])) {
		t.Error("the answer carries the certificate's DER")
	}
	// Again, as PEM: the same certificate, 200.
	pemBody := map[string]any{"certificate": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: k.Chain[0].Raw})),
		"chain": certBody(k, "")["chain"], "source": "upload"}
	var again certificateJSON
	e.call(t, "POST", "/api/v1/me/certificates", director, pemBody, 200, &again)
	if again.ID != c.ID || again.Source != "helper" {
		t.Errorf("again: %+v", again)
	}
	var list struct{ Items []certificateJSON }
	e.call(t, "GET", "/api/v1/me/certificates", director, nil, 200, &list)
	if len(list.Items) != 1 || list.Items[0].ID != c.ID {
		t.Errorf("list: %+v", list)
	}

	// Refusals: another's name (422 on certificate), garbage, a bad
	// source, the director's certificate by the deputy (409 not naming).
	status, b, _ := e.request("POST", "/api/v1/me/certificates", deputy, strings.NewReader(mustJSON(certBody(k, "upload"))), "application/json")
	e.refused(t, "another's certificate", status, b, 422, "certificate")
	if !strings.Contains(string(b), "Nguyễn Văn Hiếu") || !strings.Contains(string(b), "Lê Hoài Nam") {
		t.Errorf("the refusal does not name both: %s", b)
	}
	status, b, _ = e.request("POST", "/api/v1/me/certificates", director, strings.NewReader(`{"certificate":"bm90IGEgY2VydGlmaWNhdGU="}`), "application/json")
	e.refused(t, "garbage", status, b, 422, "certificate")
	status, b, _ = e.request("POST", "/api/v1/me/certificates", director, strings.NewReader(mustJSON(certBody(k, "remote"))), "application/json")
	e.refused(t, "source remote", status, b, 422, "source")
	status, b, _ = e.request("POST", "/api/v1/me/certificates", director, strings.NewReader(`{"certificate":`), "application/json")
	if status != 400 {
		t.Errorf("bad JSON: %d %s", status, b)
	}
	// Same name on two accounts: the second may not hold the first's.
	if _, err := e.db.Exec(`UPDATE users SET full_name = 'Lê Hoài Nam' WHERE username = 'phogiamdoc.sgd'`); err != nil {
		t.Fatal(err)
	}
	status, b, _ = e.request("POST", "/api/v1/me/certificates", deputy, strings.NewReader(mustJSON(certBody(k, "upload"))), "application/json")
	e.refused(t, "taken", status, b, 409, "")
	if decodeError(t, b).Error.Code != "certificate_taken" || strings.Contains(string(b), "giamdoc") {
		t.Errorf("taken: %s", b)
	}
	// No remote-signing service in this setup.
	status, b, _ = e.request("POST", "/api/v1/me/certificates/remote", director, strings.NewReader(`{"account":"lhnam"}`), "application/json")
	e.refused(t, "remote off", status, b, 409, "")
	if decodeError(t, b).Error.Code != "remote_signing_off" {
		t.Errorf("remote off: %s", b)
	}

	// The administrator's list; others are refused.
	var held struct{ Items []certificateJSON }
	e.call(t, "GET", "/api/v1/admin/certificates", admin, nil, 200, &held)
	if len(held.Items) != 1 || held.Items[0].Username != "giamdoc.sgd" || held.Items[0].DaysLeft < 364 {
		t.Errorf("held: %+v", held)
	}
	status, b, _ = e.request("GET", "/api/v1/admin/certificates", director, nil, "")
	e.refused(t, "held, not admin", status, b, 403, "")

	// Removal: another's is not found; one's own, 204, then gone.
	path := fmt.Sprintf("/api/v1/me/certificates/%d", c.ID)
	status, b, _ = e.request("DELETE", path, deputy, nil, "")
	e.refused(t, "another's removal", status, b, 404, "")
	e.call(t, "DELETE", path, director, nil, 204, nil)
	status, b, _ = e.request("DELETE", path, director, nil, "")
	e.refused(t, "removed twice", status, b, 404, "")
	e.call(t, "GET", "/api/v1/me/certificates", director, nil, 200, &list)
	if len(list.Items) != 0 {
		t.Errorf("after removal: %+v", list)
	}
	// Now the deputy (same name) may register it.
	e.call(t, "POST", "/api/v1/me/certificates", deputy, certBody(k, "upload"), 201, nil)
}

func mustJSON(v any) string {
	out, _ := json.Marshal(v)
	return string(out)
}

// postCertificate uploads a .cer through the page's form.
func (b *webClient) postCertificate(csrf, name string, content []byte) (int, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if csrf != "" {
		w.WriteField("_csrf", csrf)
	}
	fw, _ := w.CreateFormFile("certificate", name)
	fw.Write(content)
	w.Close()
	req, _ := http.NewRequest("POST", b.e.baseURL+"/settings/certificates/upload", &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	status, page, _ := b.do(req)
	return status, html.UnescapeString(page)
}

func TestCertificatePages(t *testing.T) {
	pki := signingtest.NewPKI(t)
	e := newEnv(t, envOptions{certRoots: pki.Roots})
	b := newBrowser(t, e)
	b.login("giamdoc.sgd")
	now := time.Now()

	status, page, h := b.get("/settings/certificates")
	if status != 200 || !strings.Contains(page, "Chứng thư số của tôi") || !strings.Contains(page, `href="/settings/certificates"`) ||
		!strings.Contains(page, `src="/static/certificates.js"`) || !strings.Contains(page, `data-helper-url="http://127.0.0.1:8765"`) ||
		!strings.Contains(page, "Bạn chưa đăng ký chứng thư số nào") {
		t.Fatalf("page: %d", status)
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' http://127.0.0.1:8765") || !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("CSP: %q", csp)
	}
	if status, _, _ := b.get("/static/certificates.js"); status != 200 {
		t.Errorf("script: %d", status)
	}
	csrf := csrfOf(t, page)

	// Without the CSRF field: refused before the file is read.
	if status, _ := b.postCertificate("", "lhnam.cer", []byte("x")); status != http.StatusForbidden {
		t.Errorf("upload without CSRF: %d", status)
	}
	// Not a certificate: the page again with the reason.
	status, page = b.postCertificate(csrf, "lhnam.cer", []byte("đây không phải chứng thư số"))
	if status != 422 || !strings.Contains(page, "không phải chứng thư số X.509") || !strings.Contains(page, `id="upload-form"`) {
		t.Errorf("garbage: %d", status)
	}
	// Expired: the dates in Vietnam time.
	old := pki.NewKey(t, "Lê Hoài Nam", signingtest.PersonOrg, now.Add(-400*24*time.Hour), now.Add(-48*time.Hour))
	status, page = b.postCertificate(csrf, "old.cer", old.Chain[0].Raw)
	if day := now.Add(-48 * time.Hour).In(domain.VietnamTime).Format("02/01/2006"); status != 422 || !strings.Contains(page, "đã hết hạn ngày "+day) {
		t.Errorf("expired: %d", status)
	}
	// A .cer as PEM, with no chain: the intermediate is missing, so it
	// does not chain; the helper's form sends it.
	k := pki.NewKey(t, "Lê Hoài Nam", signingtest.PersonOrg, now.Add(-time.Hour), now.Add(20*24*time.Hour))
	status, page = b.postCertificate(csrf, "lhnam.cer", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: k.Chain[0].Raw}))
	if status != 422 || !strings.Contains(page, "tin cậy") {
		t.Errorf("no chain: %d", status)
	}
	status, page, _ = b.postForm("/settings/certificates/helper", url.Values{"_csrf": {csrf},
		"certificate": {base64.StdEncoding.EncodeToString(k.Chain[0].Raw)}, "chain": {base64.StdEncoding.EncodeToString(pki.Intermediate.Raw)}}, "")
	page = html.UnescapeString(page)
	if status != 200 || !strings.Contains(page, "Đã đăng ký chứng thư số «Lê Hoài Nam»") || !strings.Contains(page, "Thiết bị ký (USB token)") ||
		!strings.Contains(page, "Sắp hết hạn") {
		t.Errorf("from the helper: %d", status)
	}
	// An upload of a good one, PEM with its chain in the file: the first
	// certificate is the person's.
	k2 := pki.NewKey(t, "Lê Hoài Nam", signingtest.PersonOrg, now.Add(-time.Hour), now.Add(300*24*time.Hour))
	status, page = b.postCertificate(csrf, "lhnam2.cer", k2.Chain[0].Raw)
	if status != 422 {
		t.Errorf("DER upload without the intermediate: %d", status)
	}
	var id int64
	if err := e.db.Get(&id, `SELECT id FROM user_certificates WHERE removed_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page, fmt.Sprintf(`id="certificate-%d-expiring"`, id)) {
		t.Error("the expiring certificate has no red note")
	}

	// The remote form with no service configured: the reason on the page.
	status, page, _ = b.postForm("/settings/certificates/remote", url.Values{"_csrf": {csrf}, "account": {"lhnam"}}, "")
	if status != 409 || !strings.Contains(html.UnescapeString(page), "chưa cấu hình dịch vụ ký số từ xa") || !strings.Contains(page, `value="lhnam"`) {
		t.Errorf("remote off: %d", status)
	}

	// The administrator's page; others are refused.
	if status, _, _ := b.get("/admin/certificates"); status != http.StatusForbidden {
		t.Errorf("admin page as the director: %d", status)
	}
	a := newBrowser(t, e)
	a.login("admin")
	status, page, _ = a.get("/admin/certificates")
	page = html.UnescapeString(page)
	if status != 200 || !strings.Contains(page, "Chứng thư số của cán bộ") || !strings.Contains(page, "giamdoc.sgd") ||
		!strings.Contains(page, fmt.Sprintf(`<tr id="held-%d" class="late">`, id)) {
		t.Errorf("admin page: %d", status)
	}

	// Removal from the page.
	status, page, _ = b.postForm(fmt.Sprintf("/settings/certificates/%d/remove", id), url.Values{"_csrf": {csrf}}, "")
	if status != 200 || !strings.Contains(html.UnescapeString(page), "Đã gỡ chứng thư số") || !strings.Contains(page, "no-certificates") {
		t.Errorf("remove: %d", status)
	}
	if status, _, _ := b.postForm(fmt.Sprintf("/settings/certificates/%d/remove", id), url.Values{"_csrf": {"forged"}}, ""); status != http.StatusForbidden {
		t.Errorf("remove with a forged CSRF token: %d", status)
	}
}
