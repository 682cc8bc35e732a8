package server

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/auth"
)

// enrolTOTP enrols the demo user's authenticator and returns its secret.
func (e *testEnv) enrolTOTP(t *testing.T, username string) string {
	t.Helper()
	ctx := context.Background()
	a := auth.NewService(e.db, time.Hour)
	p, err := a.PrincipalByUsername(ctx, username)
	if err != nil {
		t.Fatal(err)
	}
	en, err := a.BeginTOTP(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := auth.TOTPCode(en.Secret, time.Now())
	if _, err := a.ConfirmTOTP(ctx, p, c); err != nil {
		t.Fatal(err)
	}
	return en.Secret
}

// freshCode is the code the user's app shows now, as if the step spent
// last had passed (a code is accepted once: the test cannot wait 30 s).
func (e *testEnv) freshCode(t *testing.T, username, secret string) string {
	t.Helper()
	if _, err := e.db.Exec(`UPDATE user_totp SET last_step = 0 WHERE user_id = (SELECT id FROM users WHERE username = $1)`, username); err != nil {
		t.Fatal(err)
	}
	c, _ := auth.TOTPCode(secret, time.Now())
	return c
}

func (e *testEnv) signatureCount(t *testing.T, id int64) int {
	t.Helper()
	var n int
	if err := e.db.Get(&n, `SELECT count(*) FROM document_signatures WHERE document_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *testEnv) unsignedPlan(t *testing.T, clerk string) docJSON {
	t.Helper()
	f := validFields()
	delete(f, "number")
	delete(f, "symbol")
	return e.create(t, clerk, f, "a.pdf", fixturePDF(t))
}

func TestSigningAsksTheSecondFactor(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	clerk, director := e.login("vanthu.sgd"), e.login("giamdoc.sgd")
	secret := e.enrolTOTP(t, "giamdoc.sgd")
	d := e.unsignedPlan(t, clerk)
	sign := fmt.Sprintf("/api/v1/documents/%d/sign", d.ID)
	v1 := d.Versions[0].SHA256

	status, b := e.postJSON(t, sign, director, map[string]any{"version_sha256": v1})
	if status != 403 || decodeError(t, b).Error.Code != "otp_required" || decodeError(t, b).Error.Fields["otp"] == "" {
		t.Fatalf("sign without a code: %d %s", status, b)
	}
	c := e.freshCode(t, "giamdoc.sgd", secret)
	status, b = e.postJSON(t, sign, director, map[string]any{"version_sha256": v1, "otp": c[:5] + string('0'+(c[5]-'0'+1)%10)})
	if status != 403 || decodeError(t, b).Error.Code != "otp_invalid" {
		t.Fatalf("sign with a wrong code: %d %s", status, b)
	}
	if n := e.signatureCount(t, d.ID); n != 0 {
		t.Fatalf("%d signatures after refused codes", n)
	}
	status, b = e.postJSON(t, sign, director, map[string]any{"version_sha256": v1, "otp": c})
	if status != 200 {
		t.Fatalf("sign with the code: %d %s", status, b)
	}
	// The same code again, for another document: refused.
	d2 := e.unsignedPlan(t, clerk)
	status, b = e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/sign", d2.ID), director, map[string]any{"version_sha256": d2.Versions[0].SHA256, "otp": c})
	if status != 403 || decodeError(t, b).Error.Code != "otp_invalid" || e.signatureCount(t, d2.ID) != 0 {
		t.Fatalf("replayed code: %d %s", status, b)
	}

	// A batch takes one code for all its documents.
	d3 := e.unsignedPlan(t, clerk)
	items := []map[string]any{{"id": d2.ID, "version_sha256": d2.Versions[0].SHA256}, {"id": d3.ID, "version_sha256": d3.Versions[0].SHA256}}
	status, b = e.postJSON(t, "/api/v1/documents/sign-batch", director, map[string]any{"items": items})
	if status != 403 || e.signatureCount(t, d3.ID) != 0 {
		t.Fatalf("batch without a code: %d %s", status, b)
	}
	status, b = e.postJSON(t, "/api/v1/documents/sign-batch", director, map[string]any{"items": items, "otp": e.freshCode(t, "giamdoc.sgd", secret)})
	if status != 200 || !strings.Contains(string(b), `"signed":2`) {
		t.Fatalf("batch with one code: %d %s", status, b)
	}

	// The clerk, enrolled, registers (and so seals) after the code.
	clerkSecret := e.enrolTOTP(t, "vanthu.sgd")
	v2, _ := e.latest(t, clerk, d.ID)
	register := fmt.Sprintf("/api/v1/documents/%d/register", d.ID)
	if status, b = e.postJSON(t, register, clerk, map[string]any{"version_sha256": v2}); status != 403 || e.signatureCount(t, d.ID) != 1 {
		t.Fatalf("register without a code: %d %s", status, b)
	}
	status, b = e.postJSON(t, register, clerk, map[string]any{"version_sha256": v2, "otp": e.freshCode(t, "vanthu.sgd", clerkSecret)})
	if status != 200 || e.signatureCount(t, d.ID) != 2 {
		t.Fatalf("register with the code: %d %s", status, b)
	}
	// Sealing with a typed number also asks for it.
	v3, _ := e.latest(t, clerk, d3.ID)
	seal := fmt.Sprintf("/api/v1/documents/%d/seal", d3.ID)
	if status, b = e.postJSON(t, seal, clerk, map[string]any{"version_sha256": v3, "number": 2, "symbol": "KH-SGDĐT"}); status != 403 {
		t.Fatalf("seal without a code: %d %s", status, b)
	}
	status, b = e.postJSON(t, seal, clerk, map[string]any{"version_sha256": v3, "number": 2, "symbol": "KH-SGDĐT", "otp": e.freshCode(t, "vanthu.sgd", clerkSecret)})
	if status != 200 || e.signatureCount(t, d3.ID) != 2 {
		t.Fatalf("seal with the code: %d %s", status, b)
	}
}

func TestWrongCodesAreLimited(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	clerk, director := e.login("vanthu.sgd"), e.login("giamdoc.sgd")
	secret := e.enrolTOTP(t, "giamdoc.sgd")
	d := e.unsignedPlan(t, clerk)
	sign := fmt.Sprintf("/api/v1/documents/%d/sign", d.ID)
	body := map[string]any{"version_sha256": d.Versions[0].SHA256, "otp": "nonsense"}
	for i := range auth.TOTPFailures {
		if status, b := e.postJSON(t, sign, director, body); status != 403 {
			t.Fatalf("wrong code %d: %d %s", i+1, status, b)
		}
	}
	body["otp"] = e.freshCode(t, "giamdoc.sgd", secret)
	status, b := e.postJSON(t, sign, director, body)
	if status != 429 || decodeError(t, b).Error.Code != "too_many_otp_attempts" || e.signatureCount(t, d.ID) != 0 {
		t.Fatalf("past the limit: %d %s", status, b)
	}
	if err := auth.NewService(e.db, time.Hour).Unlock(context.Background(), "giamdoc.sgd"); err != nil {
		t.Fatal(err)
	}
	if status, b := e.postJSON(t, sign, director, body); status != 200 {
		t.Fatalf("after unlock: %d %s", status, b)
	}
}

var otpInput = regexp.MustCompile(`<input name="otp"`)

// A stolen session cookie alone cannot sign: whoever holds an enrolled
// signer's cookie and CSRF token, through the confirm form or the API,
// gets a refusal and no signature is recorded.
func TestStolenSessionCookieCannotSign(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	secret := e.enrolTOTP(t, "giamdoc.sgd")
	d := e.unsignedPlan(t, e.login("vanthu.sgd"))
	path := fmt.Sprintf("/documents/%d", d.ID)

	director := newBrowser(t, e)
	director.login("giamdoc.sgd")
	_, page, _ := director.get(path)
	csrf, sha := csrfOf(t, page), shaInput.FindStringSubmatch(page)[1]
	// The confirmation page asks the owner for the code.
	status, page, _ := director.postForm(path+"/sign/confirm", url.Values{"_csrf": {csrf}, "version_sha256": {sha}}, "")
	if status != 200 || !otpInput.MatchString(page) {
		t.Fatalf("confirm page without the code field: %d", status)
	}

	// The thief: a client of their own holding only the copied cookies.
	base, _ := url.Parse(e.baseURL)
	jar, _ := cookiejar.New(nil)
	jar.SetCookies(base, director.c.Jar.Cookies(base))
	thief := &webClient{t: t, e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	status, page, _ = thief.postForm(path+"/sign", url.Values{"_csrf": {csrf}, "version_sha256": {sha}}, "")
	if status != 403 || !strings.Contains(page, "mã xác thực") {
		t.Errorf("stolen cookie, web form: %d", status)
	}
	status, _, _ = thief.postForm("/documents/sign-batch/confirm", url.Values{"_csrf": {csrf}, "doc": {fmt.Sprintf("%d:%s", d.ID, sha)}}, "")
	if status != 403 {
		t.Errorf("stolen cookie, batch form: %d", status)
	}
	req, _ := http.NewRequest("POST", e.baseURL+fmt.Sprintf("/api/v1/documents/%d/sign", d.ID), strings.NewReader(`{"version_sha256":"`+sha+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", csrf)
	status, body, _ := thief.do(req)
	if status != 403 || !strings.Contains(body, "otp_required") {
		t.Errorf("stolen cookie, API: %d %s", status, body)
	}
	if n := e.signatureCount(t, d.ID); n != 0 {
		t.Fatalf("a stolen cookie recorded %d signatures", n)
	}

	// The owner, with the code from their phone, signs.
	status, _, h := director.postForm(path+"/sign", url.Values{"_csrf": {csrf}, "version_sha256": {sha}, "otp": {e.freshCode(t, "giamdoc.sgd", secret)}}, "")
	if status != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "done=signed") || e.signatureCount(t, d.ID) != 1 {
		t.Fatalf("owner with the code: %d %q", status, h.Get("Location"))
	}
}

var secretText = regexp.MustCompile(`<code id="totp-secret">([A-Z2-7]+)</code>`)

// With REQUIRE_2FA a signer or clerk who has not enrolled is sent to the
// settings page; enrolment there, then the clerk registers after TOTP.
func TestRequire2FA(t *testing.T) {
	e := newEnv(t, envOptions{signing: true, require2FA: true})
	clerk, director := e.login("vanthu.sgd"), e.login("giamdoc.sgd")
	d := e.unsignedPlan(t, clerk)
	status, b := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/sign", d.ID), director, map[string]any{"version_sha256": d.Versions[0].SHA256, "otp": "123456"})
	if status != 403 || decodeError(t, b).Error.Code != "totp_enrolment_required" || !strings.Contains(decodeError(t, b).Error.Message, "/settings") {
		t.Fatalf("un-enrolled signer under REQUIRE_2FA: %d %s", status, b)
	}
	secret := e.enrolTOTP(t, "giamdoc.sgd")
	if status, b := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/sign", d.ID), director, map[string]any{"version_sha256": d.Versions[0].SHA256,
		"otp": e.freshCode(t, "giamdoc.sgd", secret)}); status != 200 {
		t.Fatalf("enrolled signer: %d %s", status, b)
	}

	// The clerk enrols on the settings page.
	w := newBrowser(t, e)
	w.login("vanthu.sgd")
	_, page, _ := w.get("/settings")
	if !strings.Contains(page, `id="totp-begin-form"`) || !strings.Contains(page, "Bắt buộc") {
		t.Fatalf("settings page offers no enrolment")
	}
	status, page, _ = w.postForm("/settings/totp/begin", url.Values{"_csrf": {csrfOf(t, page)}}, "")
	m := secretText.FindStringSubmatch(page)
	if status != 200 || m == nil || !strings.Contains(page, "otpauth://totp/vanban:vanthu.sgd?") {
		t.Fatalf("begin: %d", status)
	}
	if status, png, h := w.get("/settings/totp/qr.png"); status != 200 || h.Get("Content-Type") != "image/png" || !strings.HasPrefix(png, "\x89PNG") {
		t.Errorf("QR code: %d %q", status, h.Get("Content-Type"))
	}
	c, _ := auth.TOTPCode(m[1], time.Now())
	status, page, _ = w.postForm("/settings/totp/confirm", url.Values{"_csrf": {csrfOf(t, page)}, "otp": {c[:5] + string('0'+(c[5]-'0'+1)%10)}}, "")
	if status != 403 || !strings.Contains(page, `id="totp-confirm-form"`) {
		t.Fatalf("wrong first code: %d", status)
	}
	status, page, _ = w.postForm("/settings/totp/confirm", url.Values{"_csrf": {csrfOf(t, page)}, "otp": {c}}, "")
	if status != 200 || strings.Count(page, "<li><code>") != auth.RecoveryCodes || strings.Contains(page, m[1]) {
		t.Fatalf("confirm: %d", status)
	}
	if _, page, _ = w.get("/settings"); strings.Contains(page, "<li><code>") || strings.Contains(page, m[1]) {
		t.Error("recovery codes or the secret shown again")
	}
	if status, _, _ := w.get("/settings/totp/qr.png"); status != 404 {
		t.Errorf("QR code after enrolment: %d", status)
	}

	// Register through the confirm page with the code.
	path := fmt.Sprintf("/documents/%d", d.ID)
	_, page, _ = w.get(path)
	csrf, sha := csrfOf(t, page), shaInput.FindStringSubmatch(page)[1]
	status, page, _ = w.postForm(path+"/register/confirm", url.Values{"_csrf": {csrf}, "version_sha256": {sha}}, "")
	if status != 200 || !otpInput.MatchString(page) {
		t.Fatalf("register confirm page: %d", status)
	}
	status, _, h := w.postForm(path+"/register", url.Values{"_csrf": {csrf}, "version_sha256": {sha}, "otp": {e.freshCode(t, "vanthu.sgd", m[1])}}, "")
	if status != http.StatusSeeOther || e.signatureCount(t, d.ID) != 2 {
		t.Fatalf("register with the code: %d %q", status, h.Get("Location"))
	}
}
