package server

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/localsigner/signertest"
	"github.com/hcm-edu/vanban/remotesign"
	"github.com/hcm-edu/vanban/remotesign/csctest"
	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/signing/signingtest"
)

// TestE2EBrowserSignerHoldsKey is issue 13's story in Chromium, with the
// real parts: giamdoc.sgd registers the certificate on their USB token (a
// SoftHSM token) from the signing helper vanban-signer, running as its own
// process, and signs a document through it, typing the PIN in the
// helper's window; then, as a second case, signs another through the test
// CSC service with its OTP. The clerk seals the first after TOTP. pdfsig,
// mutool and qpdf find the signatures valid, and vanban's records say how
// each was made, beside its revocation status.
func TestE2EBrowserSignerHoldsKey(t *testing.T) {
	late := &lateRemote{}
	env := newEnv(t, envOptions{signing: true, remote: late})
	name := env.fullName(t, "giamdoc.sgd")
	const pin = "4826-1739"
	tok := signingtest.NewToken(t, "Token Giam doc", pin)
	tok.AddKey(t, "giamdoc", env.devIssuer(t, name))
	helper := signertest.Start(t, signertest.Options{Module: tok.Module, Conf: tok.Conf, Origin: env.baseURL, Token: tok.Label})
	env.cfg.SignerHelperURL = helper
	svc := csctest.Start(t, csctest.Options{Accounts: []csctest.Account{
		{Name: "giamdoc", CredentialID: "cred-giamdoc", Description: "Ký số từ xa", Issue: env.devIssuer(t, name)},
	}})
	csc, err := remotesign.NewCSC(remotesign.CSCConfig{URL: svc.URL, ClientID: svc.ClientID, ClientSecret: svc.ClientSecret, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	late.Provider = csc
	setMode := func(mode string) {
		if _, err := env.db.Exec(`UPDATE users SET signing_mode = $1 WHERE username = 'giamdoc.sgd'`, mode); err != nil {
			t.Fatal(err)
		}
	}
	setMode(documents.ModeHelper)
	clerkToken := env.login("vanthu.sgd")
	first := env.unsignedPlan(t, clerkToken)

	br := newE2EBrowser(t, env.baseURL, 3*time.Minute)
	ctx, must, find, navigate, submit, location := br.ctx, br.must, br.find, br.navigate, br.submit, br.location
	login := func(username string) {
		t.Helper()
		navigate("/login")
		if status := submit("log in "+username, chromedp.SendKeys(chromedp.ID("username"), username),
			chromedp.SendKeys(chromedp.ID("password"), testPassword), chromedp.Click(chromedp.ID("login-submit"))); status != 200 {
			t.Fatalf("log in %s: %d", username, status)
		}
	}
	login("giamdoc.sgd")

	// The certificate on the token, registered from the helper.
	navigate("/settings/certificates")
	must("ask the helper", chromedp.Do(ctx, chromedp.Click(chromedp.ID("helper-fetch"))))
	br.poll("the token's certificates", `(() => { const f = document.getElementById("helper-form"); return !!f && !f.hidden; })()`)
	if status := submit("register the token's certificate", chromedp.Click(chromedp.ID("helper-register"))); status != 200 {
		_, msg := find(".error")
		t.Fatalf("register: %d (%q)", status, msg)
	}
	br.waitText(".flash", name)

	// Ký số: the helper's window asks the PIN.
	openConfirm := func(id int64) {
		t.Helper()
		if status := navigate(fmt.Sprintf("/documents/%d", id)); status != 200 {
			t.Fatalf("open document %d: %d", id, status)
		}
		if status := submit("Ký số", chromedp.Click(chromedp.ID("sign-button"))); status != 200 {
			_, msg := find(".error")
			t.Fatalf("sign: %d at %s (%q)", status, location(), msg)
		}
	}
	openConfirm(first.ID)
	if ok, _ := find("#otp"); ok {
		t.Fatal("a token signer is asked a code on the page")
	}
	popup := chromedp.WaitNewTarget(ctx, func(i *target.Info) bool { return i.Type == "page" })
	must("Ký số bằng USB token", chromedp.Do(ctx, chromedp.Click(chromedp.ID("helper-sign-button"))))
	var popID target.ID
	select {
	case popID = <-popup:
	case <-time.After(30 * time.Second):
		t.Fatal("the helper's window did not open")
	}
	popCtx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(popID))
	defer cancel()
	// The window opens blank and then goes to the helper's page: a poll
	// running across that navigation starts again in the new document.
	pop := &e2eBrowser{t: t, ctx: popCtx, base: helper}
	if err := pop.pollJS(`!!document.getElementById("pin") && location.href.startsWith(`+fmt.Sprintf("%q", helper)+`)`, 30*time.Second); err != nil {
		t.Fatalf("the helper's confirmation page: %v", err)
	}
	shown, err := chromedp.Run(popCtx, chromedp.Evaluate[string](`document.getElementById("title").innerText + " | " + document.getElementById("cert-cn").innerText + " | " + document.getElementById("origin").innerText`))
	must("read the helper's page", err)
	if !strings.Contains(shown, first.Title) || !strings.Contains(shown, name) || !strings.Contains(shown, env.baseURL) {
		t.Errorf("the helper shows %q", shown)
	}
	err = chromedp.Do(popCtx, chromedp.SendKeys(chromedp.ID("pin"), pin), chromedp.Click(chromedp.ID("sign")))
	must("type the PIN and sign", err)
	br.poll("the signed document", `location.search.includes("done=signed")`)
	if n := env.signatureCount(t, first.ID); n != 1 {
		t.Fatalf("%d signatures after signing through the helper", n)
	}
	br.waitText("#signed-as", "bằng USB token của người ký")

	// The clerk seals it after TOTP.
	secret := env.enrolTOTP(t, "vanthu.sgd")
	login("vanthu.sgd")
	navigate(fmt.Sprintf("/documents/%d", first.ID))
	if status := submit("Đăng ký, cấp số", chromedp.Click(chromedp.ID("register-button"))); status != 200 {
		_, msg := find(".error")
		t.Fatalf("register: %d (%q)", status, msg)
	}
	must("type the clerk's code", chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("otp"), env.freshCode(t, "vanthu.sgd", secret))))
	if status := submit("confirm", chromedp.Click(chromedp.ID("confirm-button"))); status != 200 {
		_, msg := find(".error")
		t.Fatalf("seal: %d (%q)", status, msg)
	}
	if n := env.signatureCount(t, first.ID); n != 2 {
		t.Fatalf("%d signatures after sealing, want 2", n)
	}

	// The second case: remote signing with the service's OTP.
	setMode(documents.ModeRemote)
	second := env.unsignedPlan(t, clerkToken)
	login("giamdoc.sgd")
	navigate("/settings/certificates")
	must("name the remote account", chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("remote-account"), "giamdoc")))
	if status := submit("register the remote account", chromedp.Click(chromedp.ID("remote-button"))); status != 200 {
		_, msg := find(".error")
		t.Fatalf("register the remote account: %d (%q)", status, msg)
	}
	openConfirm(second.ID)
	if ok, label := find("label"); !ok || !strings.Contains(label, "dịch vụ ký số từ xa") {
		t.Errorf("the confirmation asks %q, not the remote service's OTP", label)
	}
	must("type the service's OTP", chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("otp"), svc.OTP("giamdoc"))))
	if status := submit("Ký số từ xa", chromedp.Click(chromedp.ID("confirm-button"))); status != 200 || !strings.Contains(location().RawQuery, "done=signed") {
		_, msg := find(".error")
		t.Fatalf("remote signing: %d at %s (%q)", status, location(), msg)
	}

	// Independent verifiers, and how each signature was made.
	director := env.login("giamdoc.sgd")
	for _, c := range []struct {
		id      int64
		n       int
		methods []string
	}{{first.ID, 2, []string{"helper", "server"}}, {second.ID, 1, []string{"remote"}}} {
		_, no := env.latest(t, director, c.id)
		status, pdf, _ := env.request("GET", fmt.Sprintf("/api/v1/documents/%d/versions/%d/download", c.id, no), director, nil, "")
		if status != 200 {
			t.Fatalf("download %d: %d", c.id, status)
		}
		testenv.CheckSignedPDF(t, pdf, c.n)
		rep, err := signing.Verify(pdf, signing.VerifyOptions{Roots: env.docs.Roots()})
		if err != nil || !rep.Valid {
			t.Fatalf("document %d: %+v %v", c.id, rep, err)
		}
		records, err := documents.RecordsFor(context.Background(), env.db, pdf, rep.Signatures)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range c.methods {
			if !records[i].Found || records[i].Method != want || rep.Signatures[i].Revocation == "" {
				t.Errorf("document %d signature %d: record %+v, revocation %q; want %s", c.id, i+1, records[i], rep.Signatures[i].Revocation, want)
			}
		}
	}
}
