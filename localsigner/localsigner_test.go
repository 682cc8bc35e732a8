package localsigner_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThalesGroup/crypto11"
	"github.com/chromedp/chromedp"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/localsigner"
	"github.com/hcm-edu/vanban/localsigner/signertest"
	"github.com/hcm-edu/vanban/signing/signingtest"
)

const (
	origin   = "https://vanban.sgd.hcm.edu.vn"
	pin      = "731902"
	wrongPIN = "999111"
	tokLabel = "Token Lĩnh"
)

func TestMain(m *testing.M) {
	code := m.Run()
	signertest.RemoveBinary()
	os.Exit(code)
}

// testCA is a root and an issuing CA for the certificates put on tokens.
type testCA struct {
	root, inter *x509.Certificate
	interKey    crypto.Signer
}

func newCA(t testing.TB) *testCA {
	t.Helper()
	rootKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	interKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	root := createCert(t, &x509.Certificate{
		Subject:   pkix.Name{CommonName: "Vanban Helper Test Root", Country: []string{"VN"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}, nil, rootKey.Public(), rootKey)
	inter := createCert(t, &x509.Certificate{
		Subject:   pkix.Name{CommonName: "Vanban Helper Test Issuing CA", Country: []string{"VN"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}, root, interKey.Public(), rootKey)
	return &testCA{root: root, inter: inter, interKey: interKey}
}

// issue returns a token's AddKey callback: a leaf for cn, then the
// issuing CA and the root, all stored on the token.
func (ca *testCA) issue(t testing.TB, cn string) func(crypto.PublicKey) []*x509.Certificate {
	return func(pub crypto.PublicKey) []*x509.Certificate {
		now := time.Now()
		leaf := createCert(t, &x509.Certificate{
			Subject:   pkix.Name{CommonName: cn, Organization: []string{signingtest.PersonOrg}, Country: []string{"VN"}},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		}, ca.inter, pub, ca.interKey)
		return []*x509.Certificate{leaf, ca.inter, ca.root}
	}
}

func createCert(t testing.TB, tmpl, parent *x509.Certificate, pub crypto.PublicKey, key crypto.Signer) *x509.Certificate {
	t.Helper()
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl.SerialNumber = serial
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// syncBuffer captures the helper's log.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// helper is a running in-process helper and the token behind it.
type helper struct {
	base  string
	chain []*x509.Certificate
	tok   *signingtest.Token
	log   *syncBuffer
	clock *clock
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newToken makes a SoftHSM token with one signing key and its chain.
func newToken(t testing.TB) (*signingtest.Token, []*x509.Certificate) {
	t.Helper()
	tok := signingtest.NewToken(t, tokLabel, pin)
	chain := tok.AddKey(t, "ky-so", newCA(t).issue(t, signingtest.PersonName))
	return tok, chain
}

func startHelper(t testing.TB) *helper {
	t.Helper()
	tok, chain := newToken(t)
	return startHelperWith(t, tok, chain)
}

// startHelperWith serves tok; the helper answers origin, another origin and
// the extra ones.
func startHelperWith(t testing.TB, tok *signingtest.Token, chain []*x509.Certificate, extraOrigins ...string) *helper {
	t.Helper()
	h := &helper{chain: chain, tok: tok, log: &syncBuffer{}, clock: &clock{t: time.Now()}}
	s, err := localsigner.New(localsigner.Config{
		Module:  tok.Module,
		Origins: append([]string{origin + ", https://other.example:8443"}, extraOrigins...),
		Version: "test",
		Logger:  slog.New(slog.NewTextHandler(h.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:     h.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	l, err := localsigner.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	h.base = "http://" + l.Addr().String()
	return h
}

var client = &http.Client{
	Timeout:       time.Minute,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("%v in %s", err, r.body)
	}
}

func do(t testing.TB, method, u, origin string, body io.Reader, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			req.Host = header[i+1]
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

func signBody(digest []byte, fingerprint string) io.Reader {
	b, _ := json.Marshal(map[string]any{
		"digest": base64.StdEncoding.EncodeToString(digest), "hash": "SHA-256", "fingerprint": fingerprint,
		"document": map[string]string{
			"title": "Kế hoạch tổ chức Hội khỏe Phù Đổng năm học 2026–2027", "number": "123/KH-SGDĐT",
			"unit": "Phòng Giáo dục Thể chất", "file_sha256": strings.Repeat("ab", 32), "signer": signingtest.PersonName,
		},
	})
	return bytes.NewReader(b)
}

type created struct {
	ID         string `json:"id"`
	ConfirmURL string `json:"confirm_url"`
}

// request asks for a signature as the page does; it returns the request
// and the secret of its confirmation page.
func (h *helper) request(t testing.TB, digest []byte) (created, string) {
	t.Helper()
	r := do(t, "POST", h.base+"/v1/sign", origin, signBody(digest, fingerprint(h.chain[0])), "Content-Type", "application/json")
	if r.status != http.StatusCreated {
		t.Fatalf("POST /v1/sign: %d %s", r.status, r.body)
	}
	var c created
	r.json(t, &c)
	u, err := url.Parse(c.ConfirmURL)
	if err != nil {
		t.Fatal(err)
	}
	if want := h.base + "/confirm/" + c.ID; u.Scheme+"://"+u.Host+u.Path != want {
		t.Fatalf("confirm_url %s, want %s?t=...", c.ConfirmURL, want)
	}
	return c, u.Query().Get("t")
}

// confirm posts the confirmation form as the popup does.
func (h *helper) confirm(t testing.TB, id, secret, action, pin string) response {
	t.Helper()
	form := url.Values{"t": {secret}, "action": {action}, "pin": {pin}}
	return do(t, "POST", h.base+"/confirm/"+id, h.base, strings.NewReader(form.Encode()), "Content-Type", "application/x-www-form-urlencoded")
}

func (h *helper) state(t testing.TB, id string) localsigner.SignState {
	t.Helper()
	r := do(t, "GET", h.base+"/v1/sign/"+id, origin, nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET /v1/sign/%s: %d %s", id, r.status, r.body)
	}
	if got := r.header.Get("Access-Control-Allow-Origin"); got != origin {
		t.Fatalf("Access-Control-Allow-Origin %q", got)
	}
	var s localsigner.SignState
	r.json(t, &s)
	return s
}

func fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

func digestOf(s string) []byte {
	d := sha256.Sum256([]byte(s))
	return d[:]
}

func b64(c *x509.Certificate) string { return base64.StdEncoding.EncodeToString(c.Raw) }

func mustContain(t testing.TB, body []byte, want ...string) {
	t.Helper()
	for _, w := range want {
		if !bytes.Contains(body, []byte(w)) {
			t.Errorf("page lacks %q:\n%s", w, body)
		}
	}
}

func TestListAndSign(t *testing.T) {
	h := startHelper(t)

	r := do(t, "GET", h.base+"/v1/status", origin, nil)
	if r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != origin || r.header.Get("Vary") != "Origin" {
		t.Fatalf("status: %d %v %s", r.status, r.header, r.body)
	}
	var st struct {
		Version, Module string
		Tokens          []struct{ Label string }
	}
	r.json(t, &st)
	if st.Version != "test" || st.Module != "libsofthsm2.so" || len(st.Tokens) != 1 || st.Tokens[0].Label != tokLabel {
		t.Errorf("status %+v", st)
	}

	pre := do(t, "OPTIONS", h.base+"/v1/sign", origin, nil, "Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "content-type", "Access-Control-Request-Private-Network", "true")
	if pre.status != http.StatusNoContent || pre.header.Get("Access-Control-Allow-Origin") != origin ||
		pre.header.Get("Access-Control-Allow-Methods") != "GET, POST" || pre.header.Get("Access-Control-Allow-Headers") != "Content-Type" ||
		pre.header.Get("Access-Control-Allow-Private-Network") != "true" {
		t.Errorf("preflight: %d %v", pre.status, pre.header)
	}

	r = do(t, "GET", h.base+"/v1/certificates", origin, nil)
	var list struct {
		Certificates []localsigner.CertificateJSON `json:"certificates"`
	}
	r.json(t, &list)
	if len(list.Certificates) != 1 {
		t.Fatalf("certificates: %s", r.body)
	}
	c := list.Certificates[0]
	leaf := h.chain[0]
	if c.Fingerprint != fingerprint(leaf) || c.CommonName != signingtest.PersonName || c.Token != tokLabel ||
		c.Certificate != b64(leaf) || c.Subject != leaf.Subject.String() || c.Issuer != leaf.Issuer.String() ||
		c.NotBefore != leaf.NotBefore.UTC().Format(time.RFC3339) || c.NotAfter != leaf.NotAfter.UTC().Format(time.RFC3339) {
		t.Errorf("certificate %+v", c)
	}
	if len(c.Chain) != 2 || c.Chain[0] != b64(h.chain[1]) || c.Chain[1] != b64(h.chain[2]) {
		t.Errorf("chain %v, want the issuing CA then the root", c.Chain)
	}

	digest := digestOf("văn bản 1")
	req, secret := h.request(t, digest)
	if s := h.state(t, req.ID); s.State != localsigner.StatePending || s.Signature != "" || s.Chain == nil {
		t.Errorf("before confirmation: %+v", s)
	}

	page := do(t, "GET", req.ConfirmURL, "", nil)
	if page.status != 200 {
		t.Fatalf("confirm page: %d %s", page.status, page.body)
	}
	mustContain(t, page.body, `lang="vi"`, origin, "Kế hoạch tổ chức Hội khỏe Phù Đổng", "123/KH-SGDĐT", "Phòng Giáo dục Thể chất",
		signingtest.PersonName, "Vanban Helper Test Issuing CA", hex.EncodeToString(digest),
		`id="pin" name="pin" type="password"`, `id="sign">Ký số</button>`, `id="refuse" formnovalidate>Từ chối</button>`)
	if bytes.Contains(page.body, []byte("cert-warning")) {
		t.Error("a warning about a valid certificate")
	}
	if page.header.Get("X-Frame-Options") != "DENY" || !strings.Contains(page.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
		!strings.Contains(page.header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("confirm page headers %v", page.header)
	}

	r = h.confirm(t, req.ID, secret, "sign", wrongPIN)
	mustContain(t, r.body, "Mã PIN không đúng", `id="pin"`)
	// SoftHSM, like a USB token, raises CKF_USER_PIN_COUNT_LOW after a
	// failed login; the page passes the token's counter on.
	mustContain(t, r.body, "Thiết bị báo đã nhập sai nhiều lần.")
	if s := h.state(t, req.ID); s.State != localsigner.StatePending {
		t.Errorf("after a wrong PIN: %+v", s)
	}
	r = h.confirm(t, req.ID, secret, "sign", pin)
	mustContain(t, r.body, "Đã ký xong. Bạn có thể đóng cửa sổ này.", "window.close()")
	if bytes.Contains(r.body, []byte(`id="pin"`)) {
		t.Error("the result page still asks for the PIN")
	}

	s := h.state(t, req.ID)
	if s.State != localsigner.StateSigned || s.Certificate != b64(leaf) || len(s.Chain) != 2 {
		t.Fatalf("after confirmation: %+v", s)
	}
	sig, err := base64.StdEncoding.DecodeString(s.Signature)
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPKCS1v15(leaf.PublicKey.(*rsa.PublicKey), crypto.SHA256, digest, sig); err != nil {
		t.Errorf("the signature does not verify: %v", err)
	}

	// A second confirmation signs nothing more.
	r = h.confirm(t, req.ID, secret, "sign", pin)
	mustContain(t, r.body, "Đã ký xong.")

	logs := h.log.String()
	for _, p := range []string{pin, wrongPIN} {
		if strings.Contains(logs, p) {
			t.Errorf("the log holds a PIN:\n%s", logs)
		}
	}
	if !strings.Contains(logs, "signed") {
		t.Errorf("the log does not record the signature:\n%s", logs)
	}
}

func TestOriginAndHostChecks(t *testing.T) {
	h := startHelper(t)
	port := h.base[strings.LastIndex(h.base, ":")+1:]
	fp := fingerprint(h.chain[0])
	for _, tc := range []struct {
		name, method, path, origin string
		body                       io.Reader
		header                     []string
	}{
		{"status from another site", "GET", "/v1/status", "https://evil.example", nil, nil},
		{"status without origin", "GET", "/v1/status", "", nil, nil},
		{"origin with a path", "GET", "/v1/certificates", origin + "/", nil, nil},
		{"http instead of https", "GET", "/v1/certificates", "http://vanban.sgd.hcm.edu.vn", nil, nil},
		{"sign from another site", "POST", "/v1/sign", "https://evil.example", signBody(digestOf("x"), fp), nil},
		{"preflight from another site", "OPTIONS", "/v1/sign", "https://evil.example", nil, []string{"Access-Control-Request-Method", "POST"}},
		{"rebound host name", "GET", "/v1/certificates", origin, nil, []string{"Host", "evil.example:" + port}},
		{"host without port", "GET", "/v1/certificates", origin, nil, []string{"Host", "127.0.0.1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, tc.method, h.base+tc.path, tc.origin, tc.body, tc.header...)
			if r.status != http.StatusForbidden {
				t.Errorf("%d %s", r.status, r.body)
			}
			if v := r.header.Get("Access-Control-Allow-Origin"); v != "" {
				t.Errorf("Access-Control-Allow-Origin %q on a refusal", v)
			}
		})
	}
	// The second configured origin is answered; localhost:port is the helper too.
	if r := do(t, "GET", h.base+"/v1/status", "https://other.example:8443", nil, "Host", "localhost:"+port); r.status != 200 ||
		r.header.Get("Access-Control-Allow-Origin") != "https://other.example:8443" {
		t.Errorf("second origin: %d %v", r.status, r.header)
	}

	// Nothing was asked of the token by the refused sign request.
	req, secret := h.request(t, digestOf("y"))
	if req.ID == "" {
		t.Fatal("no request")
	}
	form := url.Values{"t": {secret}, "action": {"sign"}, "pin": {pin}}
	r := do(t, "POST", h.base+"/confirm/"+req.ID, "https://evil.example", strings.NewReader(form.Encode()), "Content-Type", "application/x-www-form-urlencoded")
	if r.status != http.StatusForbidden {
		t.Errorf("confirmation posted by another site: %d", r.status)
	}
	if s := h.state(t, req.ID); s.State != localsigner.StatePending {
		t.Errorf("after a foreign confirmation: %+v", s)
	}
}

func TestRefuse(t *testing.T) {
	h := startHelper(t)
	req, secret := h.request(t, digestOf("refused"))
	r := h.confirm(t, req.ID, secret, "refuse", "")
	mustContain(t, r.body, "Đã từ chối ký.")
	s := h.state(t, req.ID)
	if s.State != localsigner.StateRefused || s.Signature != "" || s.Message == "" {
		t.Errorf("%+v", s)
	}
	// Signing after refusing is too late.
	r = h.confirm(t, req.ID, secret, "sign", pin)
	mustContain(t, r.body, "Đã từ chối ký.")
	if s := h.state(t, req.ID); s.State != localsigner.StateRefused {
		t.Errorf("%+v", s)
	}
}

func TestExpiredRequest(t *testing.T) {
	h := startHelper(t)
	req, secret := h.request(t, digestOf("late"))
	h.clock.Advance(localsigner.DefaultTTL + time.Second)
	s := h.state(t, req.ID)
	if s.State != localsigner.StateExpired || s.Message == "" {
		t.Errorf("%+v", s)
	}
	page := do(t, "GET", req.ConfirmURL, "", nil)
	mustContain(t, page.body, "Yêu cầu ký đã hết hạn")
	r := h.confirm(t, req.ID, secret, "sign", pin)
	mustContain(t, r.body, "Yêu cầu ký đã hết hạn")
	if s := h.state(t, req.ID); s.State != localsigner.StateExpired || s.Signature != "" {
		t.Errorf("%+v", s)
	}

	// A certificate past its validity is named on the page before the PIN.
	h.clock.Advance(25 * time.Hour)
	req, _ = h.request(t, digestOf("expired certificate"))
	mustContain(t, do(t, "GET", req.ConfirmURL, "", nil).body, `id="cert-warning">Chứng thư số này đã hết hiệu lực.`)
}

func TestBadRequests(t *testing.T) {
	h := startHelper(t)
	fp := fingerprint(h.chain[0])
	body := func(digest, hash, fp string) io.Reader {
		b, _ := json.Marshal(map[string]any{"digest": digest, "hash": hash, "fingerprint": fp, "document": map[string]string{"title": "x"}})
		return bytes.NewReader(b)
	}
	good := base64.StdEncoding.EncodeToString(digestOf("x"))
	for _, tc := range []struct {
		name   string
		body   io.Reader
		status int
		msg    string
	}{
		{"digest of 31 bytes", body(base64.StdEncoding.EncodeToString(make([]byte, 31)), "SHA-256", fp), 400, "32 byte"},
		{"digest not base64", body("không phải base64", "SHA-256", fp), 400, "32 byte"},
		{"SHA-1", body(good, "SHA-1", fp), 400, "chỉ hỗ trợ SHA-256"},
		{"unknown fingerprint", body(good, "SHA-256", strings.Repeat("0", 64)), 422, "Không tìm thấy chứng thư số này trên thiết bị ký"},
		{"not JSON", strings.NewReader("digest=x"), 400, "JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, "POST", h.base+"/v1/sign", origin, tc.body, "Content-Type", "application/json")
			var e struct{ Message string }
			r.json(t, &e)
			if r.status != tc.status || !strings.Contains(e.Message, tc.msg) {
				t.Errorf("%d %s", r.status, r.body)
			}
			if r.header.Get("Access-Control-Allow-Origin") != origin {
				t.Error("the page cannot read the message without CORS headers")
			}
		})
	}
	if r := do(t, "GET", h.base+"/v1/sign/0123", origin, nil); r.status != 404 {
		t.Errorf("unknown request: %d", r.status)
	}
}

func TestConfirmNeedsItsToken(t *testing.T) {
	h := startHelper(t)
	req, secret := h.request(t, digestOf("token"))
	for _, u := range []string{
		h.base + "/confirm/" + req.ID,
		h.base + "/confirm/" + req.ID + "?t=" + secret[:len(secret)-1] + "A",
		h.base + "/confirm/0123?t=" + secret,
	} {
		r := do(t, "GET", u, "", nil)
		if r.status != http.StatusNotFound || bytes.Contains(r.body, []byte(hex.EncodeToString(digestOf("token")))) {
			t.Errorf("%s: %d", u, r.status)
		}
	}
	r := h.confirm(t, req.ID, "wrong", "sign", pin)
	if r.status != http.StatusNotFound {
		t.Errorf("POST with a wrong token: %d", r.status)
	}
	if s := h.state(t, req.ID); s.State != localsigner.StatePending {
		t.Errorf("%+v", s)
	}
}

func TestTooManyPending(t *testing.T) {
	h := startHelper(t)
	for i := 0; i < localsigner.DefaultMaxPending; i++ {
		h.request(t, digestOf("n"))
	}
	r := do(t, "POST", h.base+"/v1/sign", origin, signBody(digestOf("n"), fingerprint(h.chain[0])))
	if r.status != http.StatusTooManyRequests {
		t.Errorf("%d %s", r.status, r.body)
	}
	// Expired requests free their place.
	h.clock.Advance(localsigner.DefaultTTL + time.Second)
	h.request(t, digestOf("n"))
}

func TestListenOnlyOnLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:8765", "vanban.example:8765"} {
		if l, err := localsigner.Listen(addr); err == nil {
			l.Close()
			t.Errorf("Listen(%q) accepted", addr)
		}
	}
	l, err := localsigner.Listen("localhost:0")
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
}

func TestParseOrigins(t *testing.T) {
	got, err := localsigner.ParseOrigins([]string{"https://Vanban.Example, http://127.0.0.1:8080"})
	if err != nil || len(got) != 2 || got[0] != "https://vanban.example" || got[1] != "http://127.0.0.1:8080" {
		t.Errorf("%v %v", got, err)
	}
	for _, bad := range []string{"", "vanban.example", "https://vanban.example/app", "ftp://vanban.example", "https://vanban.example?x=1"} {
		if _, err := localsigner.ParseOrigins([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestSignWithECKey signs with an ECDSA P-256 key on the token: an ASN.1
// signature.
func TestSignWithECKey(t *testing.T) {
	tok := signingtest.NewToken(t, tokLabel, pin)
	t.Setenv("SOFTHSM2_CONF", tok.Conf)
	ctx, err := crypto11.Configure(&crypto11.Config{Path: tok.Module, TokenLabel: tok.Label, Pin: tok.PIN})
	if err != nil {
		t.Fatal(err)
	}
	key, err := ctx.GenerateECDSAKeyPairWithLabel([]byte{7}, []byte("ec"), elliptic.P256())
	if err != nil {
		t.Fatal(err)
	}
	ca := newCA(t)
	chain := ca.issue(t, "Trần Thị Ĩnh")(key.Public())
	if err := ctx.ImportCertificateWithLabel([]byte{7}, []byte("ec"), chain[0]); err != nil {
		t.Fatal(err)
	}
	if err := ctx.ImportCertificateWithLabel([]byte{0xca, 7}, []byte("ec-ca"), chain[1]); err != nil {
		t.Fatal(err)
	}
	ctx.Close()

	h := startHelperWith(t, tok, chain[:2])
	digest := digestOf("ec")
	req, secret := h.request(t, digest)
	mustContain(t, h.confirm(t, req.ID, secret, "sign", pin).body, "Đã ký xong.")
	s := h.state(t, req.ID)
	sig, _ := base64.StdEncoding.DecodeString(s.Signature)
	if !ecdsa.VerifyASN1(chain[0].PublicKey.(*ecdsa.PublicKey), digest, sig) || len(s.Chain) != 1 || s.Chain[0] != b64(chain[1]) {
		t.Errorf("%+v", s)
	}
}

// TestProcess drives the built program as the page does.
func TestProcess(t *testing.T) {
	tok, chain := newToken(t)
	base := signertest.Start(t, signertest.Options{Module: tok.Module, Conf: tok.Conf, Origin: origin, Token: tokLabel})
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("base %q", base)
	}
	h := &helper{base: base, chain: chain, tok: tok}
	r := do(t, "GET", base+"/v1/certificates", origin, nil)
	if r.status != 200 || !bytes.Contains(r.body, []byte(fingerprint(chain[0]))) {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := do(t, "GET", base+"/v1/status", "https://evil.example", nil); r.status != http.StatusForbidden {
		t.Errorf("foreign origin: %d", r.status)
	}
	digest := digestOf("process")
	req, secret := h.request(t, digest)
	h.confirm(t, req.ID, secret, "sign", wrongPIN)
	mustContain(t, h.confirm(t, req.ID, secret, "sign", pin).body, "Đã ký xong.")
	s := h.state(t, req.ID)
	sig, _ := base64.StdEncoding.DecodeString(s.Signature)
	if err := rsa.VerifyPKCS1v15(chain[0].PublicKey.(*rsa.PublicKey), crypto.SHA256, digest, sig); err != nil {
		t.Errorf("%+v: %v", s, err)
	}
}

// BenchmarkHelperSign is the helper's own time per signature with SoftHSM:
// the request, the confirmation with the PIN and the poll, over HTTP.
func BenchmarkHelperSign(b *testing.B) {
	h := startHelper(b)
	digest := digestOf("bench")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req, secret := h.request(b, digest)
		if r := h.confirm(b, req.ID, secret, "sign", pin); !bytes.Contains(r.body, []byte("Đã ký xong")) {
			b.Fatalf("%s", r.body)
		}
		if s := h.state(b, req.ID); s.State != localsigner.StateSigned {
			b.Fatalf("%+v", s)
		}
	}
}

// TestConfirmInChromium drives the helper from a real browser: a page of
// the configured origin lists the certificates and asks for a signature
// (CORS, with a preflight for the JSON POST), the confirmation page takes a
// wrong PIN then the right one, and a page of another origin is refused.
func TestConfirmInChromium(t *testing.T) {
	blank := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><html lang="vi"><title>vanban</title><body>vanban</body></html>`)
	})
	site := httptest.NewServer(blank)
	defer site.Close()
	other := httptest.NewServer(blank)
	defer other.Close()

	tok, chain := newToken(t)
	h := startHelperWith(t, tok, chain, site.URL)
	ctx := testenv.Browser(t, 2*time.Minute)
	run := func(step string, a chromedp.Action[chromedp.Void]) {
		t.Helper()
		if _, err := chromedp.Run(ctx, a); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	eval := func(js string) any {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[any](js, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	// submit posts the confirmation form and reads the answering page's message.
	submit := func(pin string) string {
		t.Helper()
		resp, err := chromedp.RunResponse(ctx, chromedp.SendKeys(chromedp.ID("pin"), pin), chromedp.Click(chromedp.ID("sign")))
		if err != nil || resp.Status != 200 {
			t.Fatalf("confirm: %v %v", resp, err)
		}
		msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("message")))
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}

	digest := digestOf("chromium")
	run("open the vanban page", chromedp.Navigate(site.URL))
	confirmURL, _ := eval(fmt.Sprintf(`(async () => {
		const list = await (await fetch(%[1]q + "/v1/certificates")).json();
		const c = list.certificates[0];
		const r = await fetch(%[1]q + "/v1/sign", {method: "POST", headers: {"Content-Type": "application/json"},
			body: JSON.stringify({digest: %[2]q, hash: "SHA-256", fingerprint: c.fingerprint,
				document: {title: "Công văn thử", number: "1/SGDĐT", unit: "Văn phòng"}})});
		return (await r.json()).confirm_url;
	})()`, h.base, base64.StdEncoding.EncodeToString(digest))).(string)
	if !strings.HasPrefix(confirmURL, h.base+"/confirm/") {
		t.Fatalf("confirm_url %q", confirmURL)
	}
	id := strings.TrimPrefix(strings.SplitN(confirmURL, "?", 2)[0], h.base+"/confirm/")

	run("open the confirmation page", chromedp.Navigate(confirmURL))
	// The page's style carries the CSP nonce: the browser applied it.
	if bg := eval(`getComputedStyle(document.getElementById("sign")).backgroundColor`); bg != "rgb(11, 79, 156)" {
		t.Errorf("the Ký số button's background is %v: the style was blocked", bg)
	}
	msg := submit(wrongPIN)
	done := submit(pin)
	if !strings.Contains(msg, "Mã PIN không đúng") || done != "Đã ký xong. Bạn có thể đóng cửa sổ này." {
		t.Errorf("messages %q, %q", msg, done)
	}

	run("back to the vanban page", chromedp.Navigate(site.URL))
	if state := eval(fmt.Sprintf(`fetch(%q).then(r => r.json()).then(s => s.state)`, h.base+"/v1/sign/"+id)); state != localsigner.StateSigned {
		t.Errorf("state %v", state)
	}

	run("open a page of another origin", chromedp.Navigate(other.URL))
	if refused := eval(fmt.Sprintf(`fetch(%q).then(() => false, () => true)`, h.base+"/v1/certificates")); refused != true {
		t.Error("a page of another origin read the certificates")
	}
}
