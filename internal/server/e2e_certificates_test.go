package server

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hcm-edu/vanban/signing/signingtest"
)

// TestE2EBrowserCertificateFromHelper: in Chromium, the director's
// certificate page asks the signing helper on the PC (here a stand-in
// answering its GET /v1/certificates, for the page's origin only), offers
// what the token holds, and registers the one chosen.
func TestE2EBrowserCertificateFromHelper(t *testing.T) {
	pki := signingtest.NewPKI(t)
	env := newEnv(t, envOptions{certRoots: pki.Roots})
	now := time.Now()
	k := pki.NewKey(t, "Lê Hoài Nam", signingtest.PersonOrg, now.Add(-time.Hour), now.Add(365*24*time.Hour))
	var asked atomic.Int64
	helper := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Origin") != env.baseURL || r.URL.Path != "/v1/certificates" {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		asked.Add(1)
		w.Header().Set("Access-Control-Allow-Origin", env.baseURL)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"certificates": []map[string]any{{
			"fingerprint": "", "subject": k.Chain[0].Subject.String(), "common_name": k.Chain[0].Subject.CommonName,
			"issuer": k.Chain[0].Issuer.String(), "not_before": k.Chain[0].NotBefore, "not_after": k.Chain[0].NotAfter,
			"certificate": base64.StdEncoding.EncodeToString(k.Chain[0].Raw),
			"chain":       []string{base64.StdEncoding.EncodeToString(pki.Intermediate.Raw)}, "token": "SoftHSM",
		}}})
	}))
	defer helper.Close()
	env.cfg.SignerHelperURL = helper.URL

	br := newE2EBrowser(t, env.baseURL, 90*time.Second)
	ctx, must, find, navigate, submit := br.ctx, br.must, br.find, br.navigate, br.submit
	navigate("/login")
	if status := submit("log in", chromedp.SendKeys(chromedp.ID("username"), "giamdoc.sgd"),
		chromedp.SendKeys(chromedp.ID("password"), testPassword), chromedp.Click(chromedp.ID("login-submit"))); status != 200 {
		t.Fatalf("log in: %d", status)
	}
	if status := navigate("/settings/certificates"); status != 200 {
		t.Fatalf("certificates page: %d", status)
	}
	must("ask the helper", chromedp.Do(ctx, chromedp.Click(chromedp.ID("helper-fetch"))))
	br.poll("the helper's certificates", `(() => { const f = document.getElementById("helper-form"); return !!f && !f.hidden; })()`)
	if ok, text := find("#helper-choices"); !ok || text == "" {
		t.Fatalf("no choice offered")
	}
	if status := submit("register", chromedp.Click(chromedp.ID("helper-register"))); status != 200 {
		_, msg := find(".error")
		t.Fatalf("register: %d (%q)", status, msg)
	}
	br.waitText(".flash", "Đã đăng ký chứng thư số «Lê Hoài Nam»")
	var source string
	if err := env.db.Get(&source, `SELECT source FROM user_certificates WHERE removed_at IS NULL`); err != nil || source != "helper" {
		t.Errorf("stored: %q, %v", source, err)
	}
	if asked.Load() != 1 {
		t.Errorf("the helper was asked %d times", asked.Load())
	}
}
