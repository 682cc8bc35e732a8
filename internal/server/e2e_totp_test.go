package server

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestE2EBrowserClerkSealsAfterTOTP: in Chromium, the clerk who has enrolled
// an authenticator registers a signed document (the register's number and
// the organisation's seal) only with the code typed on the confirmation
// page; a wrong code leaves the document as it was.
func TestE2EBrowserClerkSealsAfterTOTP(t *testing.T) {
	env := newEnv(t, envOptions{signing: true})
	clerkToken := env.login("vanthu.sgd")
	d := env.unsignedPlan(t, clerkToken)
	if status, b := env.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/sign", d.ID), env.login("giamdoc.sgd"),
		map[string]any{"version_sha256": d.Versions[0].SHA256}); status != 200 { // the director has not enrolled
		t.Fatalf("sign: %d %s", status, b)
	}
	secret := env.enrolTOTP(t, "vanthu.sgd")
	docPath := fmt.Sprintf("/documents/%d", d.ID)

	br := newE2EBrowser(t, env.baseURL, 90*time.Second)
	ctx, must, location, find, navigate, submit := br.ctx, br.must, br.location, br.find, br.navigate, br.submit
	navigate("/login")
	if status := submit("log in", chromedp.SendKeys(chromedp.ID("username"), "vanthu.sgd"),
		chromedp.SendKeys(chromedp.ID("password"), testPassword), chromedp.Click(chromedp.ID("login-submit"))); status != 200 {
		t.Fatalf("log in: %d at %s", status, location())
	}
	confirmWith := func(code string) int64 {
		t.Helper()
		if status := navigate(docPath); status != 200 {
			t.Fatalf("open %s: %d", docPath, status)
		}
		if status := submit("click #register-button", chromedp.Click(chromedp.ID("register-button"))); status != 200 {
			_, msg := find(".error")
			t.Fatalf("register: %d at %s (%q)", status, location(), msg)
		}
		if ok, _ := find("#otp"); !ok {
			t.Fatal("the confirmation page asks no code")
		}
		must("type the code", chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("otp"), code)))
		return submit("confirm", chromedp.Click(chromedp.ID("confirm-button")))
	}
	c := env.freshCode(t, "vanthu.sgd", secret)
	if status := confirmWith(c[:5] + string('0'+(c[5]-'0'+1)%10)); status != 403 {
		t.Errorf("wrong code: status %d", status)
	}
	if _, msg := find(".error"); !strings.Contains(msg, "Mã xác thực không đúng") {
		t.Errorf("wrong code says %q", msg)
	}
	if n := env.signatureCount(t, d.ID); n != 1 {
		t.Fatalf("%d signatures after a wrong code", n)
	}
	if status := confirmWith(c); status != 200 {
		_, msg := find(".error")
		t.Fatalf("right code: status %d (%q)", status, msg)
	}
	if err := br.pollJS(`(() => { const e = document.querySelector("#verdict"); return !!e && e.innerText.includes("Hợp lệ"); })()`, 30*time.Second); err != nil {
		_, msg := find(".error")
		t.Fatalf("no valid verdict after sealing: %v (%q)", err, msg)
	}
	if n := env.signatureCount(t, d.ID); n != 2 {
		t.Errorf("%d signatures after sealing, want 2", n)
	}
}
