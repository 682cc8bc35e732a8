package server

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hcm-edu/vanban/internal/oidctest"
)

const opPassword = "mat-khau-o-nha-cung-cap"

// oidcUsers are the people at the test provider; oidcEnv gives the
// vanban accounts the e-mails they match.
var oidcUsers = []oidctest.User{
	{Subject: "sub-giamdoc", Email: "giamdoc@sgd.hcm.edu.vn", EmailVerified: true, PreferredUsername: "giamdoc.sgd", Password: opPassword},
	{Subject: "sub-unverified", Email: "chuyenvien@sgd.hcm.edu.vn", EmailVerified: false, PreferredUsername: "chuyenvien.sgd", Password: opPassword},
	{Subject: "sub-unknown", Email: "nguoi.la@example.vn", EmailVerified: true, PreferredUsername: "nguoi.la", Password: opPassword},
	{Subject: "sub-disabled", Email: "vanthu.q1@q1.hcm.edu.vn", EmailVerified: true, PreferredUsername: "vanthu.q1", Password: opPassword},
	{Subject: "sub-twice", Email: "truongphong@hcm.edu.vn", EmailVerified: true, PreferredUsername: "truongphong", Password: opPassword},
	{Subject: "sub-linked", Email: "khac@example.vn", EmailVerified: false, PreferredUsername: "vanthu.sgd", Password: opPassword},
}

// oidcEnv is a server whose login page offers the test provider; the
// demo accounts get the e-mails the provider's people have, one account
// is disabled, two share an e-mail, and vanthu.sgd is already linked.
func oidcEnv(t testing.TB, claim string) (*testEnv, *oidctest.Provider) {
	t.Helper()
	p := oidctest.Start(t, oidctest.Options{Users: oidcUsers})
	env := newEnv(t, envOptions{oidc: p, oidcClaim: claim})
	for _, q := range []string{
		`UPDATE users SET email = 'giamdoc@sgd.hcm.edu.vn' WHERE username = 'giamdoc.sgd'`,
		`UPDATE users SET email = 'chuyenvien@sgd.hcm.edu.vn' WHERE username = 'chuyenvien.sgd'`,
		`UPDATE users SET email = 'vanthu.q1@q1.hcm.edu.vn', disabled = true WHERE username = 'vanthu.q1'`,
		`UPDATE users SET email = 'truongphong@hcm.edu.vn' WHERE username IN ('truongphong.sgd', 'truongphong.q1')`,
	} {
		env.db.MustExec(q)
	}
	env.db.MustExec(`INSERT INTO user_identities (issuer, subject, user_id) SELECT $1, 'sub-linked', id FROM users WHERE username = 'vanthu.sgd'`, p.Issuer)
	return env, p
}

// oidcResult is where a login through the provider ended.
type oidcResult struct {
	status   int
	body     string
	final    *url.URL
	callback *url.URL // vanban's callback as the provider sent it
	flow     string   // the flow cookie vanban had set
}

var opRequestRE = regexp.MustCompile(`name="id" value="([^"]+)"`)

// oidcLogin logs in through the provider with a plain HTTP client that
// keeps cookies and follows redirects: vanban's start, the provider's
// login form, the callback.
func oidcLogin(t testing.TB, env *testEnv, username string) oidcResult {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	var r oidcResult
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Path == "/auth/oidc/callback" {
			r.callback = req.URL
		}
		return nil
	}}
	resp, err := c.Get(env.baseURL + "/auth/oidc/start")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := opRequestRE.FindSubmatch(page)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("no login form at the provider: %d at %s\n%s", resp.StatusCode, resp.Request.URL, page)
	}
	base, _ := url.Parse(env.baseURL + "/auth/oidc/")
	for _, ck := range jar.Cookies(base) {
		if ck.Name == "vanban_oidc" {
			r.flow = ck.Value
		}
	}
	login := resp.Request.URL.ResolveReference(&url.URL{Path: "/login/username"})
	resp, err = c.PostForm(login.String(), url.Values{"id": {string(m[1])}, "username": {username}, "password": {opPassword}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	r.status, r.body, r.final = resp.StatusCode, string(body), resp.Request.URL
	return r
}

func (e *testEnv) sessionCount(t testing.TB) int {
	t.Helper()
	var n int
	if err := e.db.Get(&n, `SELECT count(*) FROM sessions WHERE kind = 'web'`); err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *testEnv) userSessions(t testing.TB, username string) int {
	t.Helper()
	var n int
	if err := e.db.Get(&n, `SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = $1 AND s.kind = 'web'`, username); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOIDCLogin: a person logs in with the provider's account; the first
// login links the identity by the verified e-mail (audited), the next
// one finds the link; a replayed callback opens nothing.
func TestOIDCLogin(t *testing.T) {
	env, p := oidcEnv(t, "")
	page := func() string {
		resp, err := http.Get(env.baseURL + "/login")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}()
	if !strings.Contains(page, `href="/auth/oidc/start"`) || !strings.Contains(page, "Đăng nhập bằng tài khoản của Sở") {
		t.Fatalf("the login page has no OpenID button:\n%s", page)
	}

	r := oidcLogin(t, env, "giamdoc.sgd")
	if r.status != 200 || r.final.Path == "/login" || !strings.HasPrefix(r.final.String(), env.baseURL) {
		t.Fatalf("login ended at %d %s:\n%s", r.status, r.final, r.body)
	}
	if n := env.userSessions(t, "giamdoc.sgd"); n != 1 {
		t.Fatalf("%d sessions for giamdoc.sgd", n)
	}
	var linked []string
	env.db.Select(&linked, `SELECT u.username FROM user_identities i JOIN users u ON u.id = i.user_id WHERE i.issuer = $1 AND i.subject = 'sub-giamdoc'`, p.Issuer)
	if !slices.Equal(linked, []string{"giamdoc.sgd"}) {
		t.Fatalf("identity linked to %v", linked)
	}
	var audits int
	env.db.Get(&audits, `SELECT count(*) FROM audit_log a JOIN users u ON u.id = a.actor_id WHERE a.action = 'auth.oidc_link' AND u.username = 'giamdoc.sgd'`)
	if audits != 1 {
		t.Errorf("%d auth.oidc_link entries", audits)
	}

	// The replayed callback, with the flow cookie it came with.
	before := env.sessionCount(t)
	req, _ := http.NewRequest("GET", r.callback.String(), nil)
	req.AddCookie(&http.Cookie{Name: "vanban_oidc", Value: r.flow})
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(body), "đã hết hạn hoặc đã được dùng") {
		t.Errorf("replayed callback: %d\n%s", resp.StatusCode, body)
	}
	if n := env.sessionCount(t); n != before {
		t.Errorf("a replayed callback opened a session")
	}

	// Second login: the link, no second audit entry.
	if r := oidcLogin(t, env, "giamdoc.sgd"); r.status != 200 || r.final.Path == "/login" {
		t.Fatalf("second login ended at %d %s", r.status, r.final)
	}
	env.db.Get(&audits, `SELECT count(*) FROM audit_log WHERE action = 'auth.oidc_link'`)
	if audits != 1 {
		t.Errorf("%d auth.oidc_link entries after the second login", audits)
	}
	// An identity already linked logs into its account whatever its e-mail.
	if r := oidcLogin(t, env, "vanthu.sgd"); r.status != 200 || r.final.Path == "/login" || env.userSessions(t, "vanthu.sgd") != 1 {
		t.Fatalf("linked identity: %d %s", r.status, r.final)
	}
	// The e-mail claim only from UserInfo (some providers): still found.
	p.SetFault(t, oidctest.UserinfoOnly)
	env.db.MustExec(`DELETE FROM user_identities WHERE subject = 'sub-giamdoc'`)
	if r := oidcLogin(t, env, "giamdoc.sgd"); r.status != 200 || r.final.Path == "/login" || env.userSessions(t, "giamdoc.sgd") != 3 {
		t.Fatalf("claims from UserInfo: %d %s\n%s", r.status, r.final, r.body)
	}
}

// TestOIDCRefused: every bad answer of the provider, and every identity
// that matches no single active account, ends on the login page with a
// reason and no session.
func TestOIDCRefused(t *testing.T) {
	env, p := oidcEnv(t, "")
	cases := []struct {
		name, fault, user, want string
	}{
		{"bad signature", oidctest.BadSignature, "giamdoc.sgd", "Không xác minh được danh tính"},
		{"wrong audience", oidctest.WrongAudience, "giamdoc.sgd", "Không xác minh được danh tính"},
		{"wrong nonce", oidctest.WrongNonce, "giamdoc.sgd", "Không xác minh được danh tính"},
		{"expired", oidctest.Expired, "giamdoc.sgd", "Không xác minh được danh tính"},
		{"unverified e-mail", "", "chuyenvien.sgd", "chưa được nhà cung cấp danh tính xác minh"},
		{"unknown e-mail", "", "nguoi.la", "Không có tài khoản nào"},
		{"disabled account", "", "vanthu.q1", "đã bị khóa"},
		{"two accounts", "", "truongphong", "Có nhiều tài khoản"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p.SetFault(t, c.fault)
			defer p.SetFault(t, oidctest.Normal)
			before := env.sessionCount(t)
			r := oidcLogin(t, env, c.user)
			if r.status != 403 || r.final.Path != "/auth/oidc/callback" || !strings.Contains(r.body, c.want) {
				t.Fatalf("ended at %d %s, want 403 saying %q:\n%s", r.status, r.final, c.want, r.body)
			}
			if !strings.Contains(r.body, `id="login-form"`) {
				t.Errorf("the refusal does not offer password login")
			}
			if n := env.sessionCount(t); n != before {
				t.Errorf("%d sessions opened", n-before)
			}
		})
	}
	var n int
	env.db.Get(&n, `SELECT count(*) FROM user_identities WHERE subject <> 'sub-linked'`)
	if n != 0 {
		t.Errorf("%d identities linked by refused logins", n)
	}
	// A callback that is not the answer to this browser's flow.
	r := oidcLogin(t, env, "giamdoc.sgd")
	q := r.callback.Query()
	q.Set("state", "forged")
	resp, err := http.Get(env.baseURL + "/auth/oidc/callback?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("callback without its flow: %d", resp.StatusCode)
	}
}

// TestOIDCMatchUsername: with OIDC_MATCH_CLAIM=preferred_username the
// claim names the vanban account, no e-mail needed.
func TestOIDCMatchUsername(t *testing.T) {
	env, _ := oidcEnv(t, "preferred_username")
	if r := oidcLogin(t, env, "chuyenvien.sgd"); r.status != 200 || r.final.Path == "/login" || env.userSessions(t, "chuyenvien.sgd") != 1 {
		t.Fatalf("login by username: %d %s\n%s", r.status, r.final, r.body)
	}
	if r := oidcLogin(t, env, "nguoi.la"); r.status != 403 {
		t.Fatalf("unknown username: %d", r.status)
	}
}

// TestE2EBrowserOIDCLogin: in Chromium, the login page's button leads to
// the provider's page; its form brings the person back logged in.
func TestE2EBrowserOIDCLogin(t *testing.T) {
	env, _ := oidcEnv(t, "")
	br := newE2EBrowser(t, env.baseURL, 90*time.Second)
	if status := br.navigate("/login"); status != 200 {
		t.Fatalf("login page: %d", status)
	}
	if ok, label := br.find("#oidc-login"); !ok || !strings.Contains(label, "Đăng nhập bằng tài khoản của Sở") {
		t.Fatalf("button %v %q", ok, label)
	}
	if status := br.submit("click the OpenID button", chromedp.Click(chromedp.ID("oidc-login"))); status != 200 {
		t.Fatalf("provider's page: %d at %s", status, br.location())
	}
	if loc := br.location(); strings.HasPrefix(loc.String(), env.baseURL) {
		t.Fatalf("still at vanban: %s", loc)
	}
	if status := br.submit("log in at the provider", chromedp.SendKeys(chromedp.ID("username"), "giamdoc.sgd"),
		chromedp.SendKeys(chromedp.ID("password"), opPassword), chromedp.Click(`button[type="submit"]`)); status != 200 {
		t.Fatalf("after the provider: %d at %s", status, br.location())
	}
	if loc := br.location(); !strings.HasPrefix(loc.String(), env.baseURL) || loc.Path == "/login" || loc.Path == "/auth/oidc/callback" {
		_, msg := br.find(".error")
		t.Fatalf("ended at %s (%q)", loc, msg)
	}
	if ok, _ := br.find(`form[action="/logout"]`); !ok {
		t.Errorf("the page has no logout: not logged in")
	}
	if n := env.userSessions(t, "giamdoc.sgd"); n != 1 {
		t.Errorf("%d sessions", n)
	}
}

// BenchmarkOIDCLogin measures a whole OpenID login over loopback: start,
// the provider's login form, the code exchange, verification and the
// session; it reports the median.
func BenchmarkOIDCLogin(b *testing.B) {
	env, _ := oidcEnv(b, "")
	oidcLogin(b, env, "giamdoc.sgd") // links, discovers, warms up
	var took []time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		r := oidcLogin(b, env, "giamdoc.sgd")
		took = append(took, time.Since(start))
		if r.status != 200 || r.final.Path == "/login" {
			b.Fatalf("login ended at %d %s", r.status, r.final)
		}
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms-median/login")
}

// TestOIDCOff: without OIDC_ISSUER the login page has no button and the
// routes are not there.
func TestOIDCOff(t *testing.T) {
	env := newEnv(t, envOptions{})
	b := newBrowser(t, env)
	if status, page, _ := b.get("/login"); status != 200 || strings.Contains(page, "oidc") {
		t.Fatalf("login page: %d\n%s", status, page)
	}
	for _, path := range []string{"/auth/oidc/start", "/auth/oidc/callback?state=x&code=y"} {
		if status, _, _ := b.get(path); status != 404 {
			t.Errorf("%s: %d", path, status)
		}
	}
}
