package remotesign_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/remotesign"
	"github.com/hcm-edu/vanban/remotesign/csctest"
	"github.com/hcm-edu/vanban/signing/signingtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	csctest.RemoveBinary()
	os.Exit(code)
}

func account(pki *signingtest.PKI, t testing.TB, name, behaviour string) csctest.Account {
	return csctest.Account{
		Name:         name,
		CredentialID: "cred-" + name,
		Description:  "Chứng thư số của " + name,
		Behaviour:    behaviour,
		Issue: func(pub crypto.PublicKey) []*x509.Certificate {
			return pki.Issue(t, "Người ký "+name, pub)
		},
	}
}

func digests(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		d := sha256.Sum256(fmt.Appendf(nil, "document %d %d", i, time.Now().UnixNano()))
		out[i] = d[:]
	}
	return out
}

func verify(t *testing.T, chain []*x509.Certificate, ds, sigs [][]byte) {
	t.Helper()
	if len(sigs) != len(ds) {
		t.Fatalf("%d signatures for %d digests", len(sigs), len(ds))
	}
	for i := range ds {
		if err := rsa.VerifyPKCS1v15(chain[0].PublicKey.(*rsa.PublicKey), crypto.SHA256, ds[i], sigs[i]); err != nil {
			t.Errorf("signature %d: %v", i, err)
		}
	}
}

func TestCSC(t *testing.T) {
	pki := signingtest.NewPKI(t)
	svc := csctest.Start(t, csctest.Options{Accounts: []csctest.Account{
		account(pki, t, "giamdoc", csctest.Normal),
		account(pki, t, "raw", csctest.Normal),
		account(pki, t, "raw2", csctest.Normal),
		account(pki, t, "raw3", csctest.Normal),
		account(pki, t, "hang", csctest.Hang),
		account(pki, t, "refuse", csctest.Refuse),
		account(pki, t, "wrong", csctest.WrongHash),
	}})
	const timeout = 2 * time.Second
	csc, err := remotesign.NewCSC(remotesign.CSCConfig{URL: svc.URL, ClientID: svc.ClientID, ClientSecret: svc.ClientSecret, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	t.Run("list", func(t *testing.T) {
		creds, err := csc.Credentials(ctx, "giamdoc")
		if err != nil {
			t.Fatal(err)
		}
		if len(creds) != 1 || creds[0].ID != "cred-giamdoc" || creds[0].Description != "Chứng thư số của giamdoc" {
			t.Fatalf("credentials: %+v", creds)
		}
		want := svc.Chains["cred-giamdoc"]
		if len(creds[0].Chain) != 2 || !creds[0].Chain[0].Equal(want[0]) || !creds[0].Chain[1].Equal(pki.Intermediate) {
			t.Fatalf("chain: %d certificates, want the leaf and the intermediate", len(creds[0].Chain))
		}
		if creds, err := csc.Credentials(ctx, "nobody"); err != nil || len(creds) != 0 {
			t.Fatalf("unknown account: %v, %v", creds, err)
		}
	})

	t.Run("wrong OTP", func(t *testing.T) {
		otp := svc.WrongOTP("giamdoc")
		sigs, err := csc.SignHashes(ctx, "giamdoc", "cred-giamdoc", otp, digests(1))
		if !errors.Is(err, remotesign.ErrOTP) || sigs != nil {
			t.Fatalf("got %d signatures, %v; want ErrOTP", len(sigs), err)
		}
		if strings.Contains(err.Error(), otp) {
			t.Errorf("the error shows the OTP: %v", err)
		}
	})

	t.Run("sign one", func(t *testing.T) {
		ds := digests(1)
		sigs, err := csc.SignHashes(ctx, "giamdoc", "cred-giamdoc", svc.OTP("giamdoc"), ds)
		if err != nil {
			t.Fatal(err)
		}
		verify(t, svc.Chains["cred-giamdoc"], ds, sigs)
	})

	t.Run("batch of 20, one authorisation", func(t *testing.T) {
		ds := digests(20)
		sigs, err := csc.SignHashes(ctx, "giamdoc", "cred-giamdoc", svc.OTP("giamdoc"), ds)
		if err != nil {
			t.Fatal(err)
		}
		verify(t, svc.Chains["cred-giamdoc"], ds, sigs)
	})

	t.Run("no such credential", func(t *testing.T) {
		for _, c := range []struct{ account, cred string }{{"giamdoc", "cred-nothing"}, {"giamdoc", "cred-raw"}, {"nobody", "cred-giamdoc"}} {
			_, err := csc.SignHashes(ctx, c.account, c.cred, "123456", digests(1))
			if !errors.Is(err, remotesign.ErrNoCredential) {
				t.Errorf("%s with %s: %v, want ErrNoCredential", c.account, c.cred, err)
			}
		}
	})

	t.Run("SAD bound to the hashes and used once", func(t *testing.T) {
		c := rawClient{t: t, url: svc.URL}
		c.login(svc.ClientID, svc.ClientSecret)
		d1, d2 := digests(1)[0], digests(1)[0]
		h1, h2 := base64.StdEncoding.EncodeToString(d1), base64.StdEncoding.EncodeToString(d2)
		sign := func(cred, sad string, hashes ...string) (int, map[string]any) {
			return c.post("signatures/signHash", map[string]any{"credentialID": cred, "SAD": sad, "hashes": hashes,
				"hashAlgorithmOID": "2.16.840.1.101.3.4.2.1", "signAlgo": "1.2.840.113549.1.1.1"})
		}
		authorize := func(cred, otp string, n int, hashes ...string) (int, map[string]any) {
			return c.post("credentials/authorize", map[string]any{"credentialID": cred, "numSignatures": n, "hashes": hashes,
				"hashAlgorithmOID": "2.16.840.1.101.3.4.2.1", "OTP": otp})
		}
		// numSignatures must match the hashes.
		if status, out := authorize("cred-raw", "000000", 3, h1, h2); status != 400 || out["error"] != "invalid_request" {
			t.Fatalf("numSignatures 3 for 2 hashes: %d %v", status, out)
		}
		status, out := authorize("cred-raw", svc.OTP("raw"), 2, h1, h2)
		if status != 200 {
			t.Fatalf("authorize: %d %v", status, out)
		}
		sad := out["SAD"].(string)
		if status, out := sign("cred-raw", sad, h1, base64.StdEncoding.EncodeToString(digests(1)[0])); status != 400 {
			t.Fatalf("signHash for another hash: %d %v", status, out)
		}
		// The failed try used the SAD up: not even the authorised hashes now.
		if status, out := sign("cred-raw", sad, h1, h2); status != 400 || !strings.Contains(out["error_description"].(string), "SAD") {
			t.Fatalf("signHash after a failed try: %d %v", status, out)
		}

		status, out = authorize("cred-raw", svc.OTP("raw"), 2, h1, h2)
		if status != 200 {
			t.Fatalf("authorize: %d %v", status, out)
		}
		sad = out["SAD"].(string)
		if status, out := sign("cred-raw", sad, h1); status != 400 {
			t.Fatalf("signHash for a subset: %d %v", status, out)
		}

		// Set equality: the order of the hashes does not matter.
		status, out = authorize("cred-raw2", svc.OTP("raw2"), 2, h2, h1)
		if status != 200 {
			t.Fatalf("authorize: %d %v", status, out)
		}
		sad = out["SAD"].(string)
		if status, out := sign("cred-raw", sad, h1, h2); status != 400 {
			t.Fatalf("SAD of another credential: %d %v", status, out)
		}
		status, out = authorize("cred-raw2", svc.OTP("raw2"), 2, h2, h1)
		if status != 200 {
			t.Fatalf("authorize: %d %v", status, out)
		}
		sad = out["SAD"].(string)
		if status, out := sign("cred-raw2", sad, h1, h2); status != 200 || len(out["signatures"].([]any)) != 2 {
			t.Fatalf("signHash: %d %v", status, out)
		}
		if status, out := sign("cred-raw2", sad, h1, h2); status != 400 {
			t.Fatalf("SAD replayed: %d %v", status, out)
		}
	})

	t.Run("credentials/info", func(t *testing.T) {
		c := rawClient{t: t, url: svc.URL}
		c.login(svc.ClientID, svc.ClientSecret)
		status, out := c.post("credentials/info", map[string]any{"credentialID": "cred-raw", "certificates": "chain", "certInfo": true})
		if status != 200 || out["SCAL"] != "2" || len(out["cert"].(map[string]any)["certificates"].([]any)) != 2 {
			t.Fatalf("info: %d %v", status, out)
		}
		if status, out := c.post("credentials/info", map[string]any{"credentialID": "cred-none"}); status != 400 || out["error"] != "invalid_request" {
			t.Fatalf("info of an unknown credential: %d %v", status, out)
		}
		c.token = "forged"
		if status, _ := c.post("credentials/info", map[string]any{"credentialID": "cred-raw"}); status != 401 {
			t.Fatalf("info with a forged token: %d", status)
		}
	})

	t.Run("a used OTP is refused", func(t *testing.T) {
		c := rawClient{t: t, url: svc.URL}
		c.login(svc.ClientID, svc.ClientSecret)
		otp := svc.OTP("raw3")
		body := map[string]any{"credentialID": "cred-raw3", "numSignatures": 1, "hashes": []string{base64.StdEncoding.EncodeToString(digests(1)[0])},
			"hashAlgorithmOID": "2.16.840.1.101.3.4.2.1", "OTP": otp}
		if status, out := c.post("credentials/authorize", body); status != 200 {
			t.Fatalf("authorize: %d %v", status, out)
		}
		if status, out := c.post("credentials/authorize", body); status != 400 || !strings.Contains(out["error_description"].(string), "OTP") {
			t.Fatalf("authorize with the same OTP again: %d %v", status, out)
		}
	})

	t.Run("hang", func(t *testing.T) {
		start := time.Now()
		sigs, err := csc.SignHashes(ctx, "hang", "cred-hang", svc.OTP("hang"), digests(1))
		elapsed := time.Since(start)
		if !errors.Is(err, remotesign.ErrUnavailable) || sigs != nil {
			t.Fatalf("got %d signatures, %v; want ErrUnavailable", len(sigs), err)
		}
		t.Log(err)
		if elapsed < timeout || elapsed > timeout+5*time.Second {
			t.Errorf("gave up after %v, want about %v", elapsed, timeout)
		}
	})

	t.Run("hang, context", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := csc.SignHashes(ctx, "hang", "cred-hang", svc.OTP("hang"), digests(1))
		if !errors.Is(err, remotesign.ErrUnavailable) || time.Since(start) > timeout {
			t.Fatalf("after %v: %v; want ErrUnavailable when the context ends", time.Since(start), err)
		}
	})

	t.Run("refuse", func(t *testing.T) {
		sigs, err := csc.SignHashes(ctx, "refuse", "cred-refuse", svc.OTP("refuse"), digests(2))
		if !errors.Is(err, remotesign.ErrRefused) || sigs != nil {
			t.Fatalf("got %d signatures, %v; want ErrRefused", len(sigs), err)
		}
		t.Log(err)
	})

	t.Run("wrong hash", func(t *testing.T) {
		sigs, err := csc.SignHashes(ctx, "wrong", "cred-wrong", svc.OTP("wrong"), digests(3))
		if !errors.Is(err, remotesign.ErrBadSignature) || sigs != nil {
			t.Fatalf("got %d signatures, %v; want ErrBadSignature", len(sigs), err)
		}
		t.Log(err)
	})

	t.Run("wrong client secret", func(t *testing.T) {
		bad, err := remotesign.NewCSC(remotesign.CSCConfig{URL: svc.URL, ClientID: svc.ClientID, ClientSecret: "not-the-secret"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = bad.Credentials(ctx, "giamdoc")
		if !errors.Is(err, remotesign.ErrRefused) || strings.Contains(err.Error(), "not-the-secret") {
			t.Fatalf("%v; want ErrRefused without the secret", err)
		}
	})
}

// TestCSCRenewsTheToken: a token the service forgets (here: revoked) is
// replaced by a new login, once.
func TestCSCRenewsTheToken(t *testing.T) {
	pki := signingtest.NewPKI(t)
	svc := csctest.Start(t, csctest.Options{Accounts: []csctest.Account{account(pki, t, "giamdoc", csctest.Normal)}})
	var logins atomic.Int32
	proxy := countingProxy(t, svc.URL, &logins)
	csc, err := remotesign.NewCSC(remotesign.CSCConfig{URL: proxy, ClientID: svc.ClientID, ClientSecret: svc.ClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 3 {
		if _, err := csc.Credentials(ctx, "giamdoc"); err != nil {
			t.Fatal(err)
		}
	}
	if n := logins.Load(); n != 1 {
		t.Fatalf("%d logins for 3 calls, want the token kept", n)
	}
	revokeAll.Store(true)
	if _, err := csc.Credentials(ctx, "giamdoc"); err != nil {
		t.Fatal(err)
	}
	if n := logins.Load(); n != 2 {
		t.Fatalf("%d logins, want one more after the 401", n)
	}
}

var revokeAll atomic.Bool

// countingProxy forwards to target, counting logins; once revokeAll is
// set it revokes the next bearer token it sees at the service first.
func countingProxy(t *testing.T, target string, logins *atomic.Int32) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/auth/login") {
			logins.Add(1)
		}
		if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") && revokeAll.CompareAndSwap(true, false) {
			req, _ := http.NewRequest("POST", target+"/csc/v2/auth/revoke", strings.NewReader(`{}`))
			req.Header.Set("Authorization", a)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, target+r.URL.Path, r.Body)
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// TestCSCBadInput: digests SignHashes must refuse before any request.
func TestCSCBadInput(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	csc, err := remotesign.NewCSC(remotesign.CSCConfig{URL: "http://" + ln.Addr().String(), ClientID: "id", ClientSecret: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	fifty := digests(51)
	for name, ds := range map[string][][]byte{
		"none":    nil,
		"empty":   {},
		"31":      {make([]byte, 31)},
		"33":      {digests(1)[0], make([]byte, 33)},
		"51":      fifty,
		"nil one": {nil},
	} {
		sigs, err := csc.SignHashes(context.Background(), "giamdoc", "cred", "123456", ds)
		if err == nil || sigs != nil || errors.Is(err, remotesign.ErrUnavailable) {
			t.Errorf("%s: %d signatures, %v; want a refusal", name, len(sigs), err)
		}
	}
	if _, err := csc.SignHashes(context.Background(), "giamdoc", "cred", "", digests(1)); !errors.Is(err, remotesign.ErrOTP) {
		t.Errorf("no OTP: %v, want ErrOTP", err)
	}
	time.Sleep(50 * time.Millisecond)
	if n := conns.Load(); n != 0 {
		t.Fatalf("%d connections for refused input", n)
	}
	for _, cfg := range []remotesign.CSCConfig{
		{URL: "ftp://x", ClientID: "a", ClientSecret: "b"},
		{URL: "http://", ClientID: "a", ClientSecret: "b"},
		{URL: "http://x", ClientID: "a"},
	} {
		if _, err := remotesign.NewCSC(cfg); err == nil {
			t.Errorf("NewCSC(%+v) accepted", cfg)
		}
	}
}

// TestCSCUnreachable: nothing listening is ErrUnavailable.
func TestCSCUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	csc, err := remotesign.NewCSC(remotesign.CSCConfig{URL: "http://" + addr, ClientID: "id", ClientSecret: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := csc.SignHashes(context.Background(), "giamdoc", "cred", "123456", digests(1)); !errors.Is(err, remotesign.ErrUnavailable) || strings.Contains(err.Error(), "secret") {
		t.Fatalf("%v; want ErrUnavailable", err)
	}
}

type rawClient struct {
	t     *testing.T
	url   string
	token string
}

func (c *rawClient) login(id, secret string) {
	req, _ := http.NewRequest("POST", c.url+"/csc/v2/auth/login", strings.NewReader(`{}`))
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.AccessToken == "" {
		c.t.Fatalf("login: %d %v", resp.StatusCode, err)
	}
	c.token = out.AccessToken
}

func (c *rawClient) post(path string, in any) (int, map[string]any) {
	body, _ := json.Marshal(in)
	req, _ := http.NewRequest("POST", c.url+"/csc/v2/"+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// BenchmarkCSC compares a batch of 20 digests signed after one
// authorisation with 20 single authorisations; both ops are 20 signatures.
// The bench account takes any OTP (csctest.Account.AcceptAnyOTP).
func BenchmarkCSC(b *testing.B) {
	pki := signingtest.NewPKI(b)
	a := account(pki, b, "bench", csctest.Normal)
	a.AcceptAnyOTP = true
	svc := csctest.Start(b, csctest.Options{Accounts: []csctest.Account{a}})
	csc, err := remotesign.NewCSC(remotesign.CSCConfig{URL: svc.URL, ClientID: svc.ClientID, ClientSecret: svc.ClientSecret})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	ds := make([][]byte, 20)
	for i := range ds {
		ds[i] = make([]byte, 32)
		rand.Read(ds[i])
	}
	b.Run("batch-20-one-authorization", func(b *testing.B) {
		for b.Loop() {
			if _, err := csc.SignHashes(ctx, "bench", "cred-bench", "000000", ds); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("20-single-authorizations", func(b *testing.B) {
		for b.Loop() {
			for _, d := range ds {
				if _, err := csc.SignHashes(ctx, "bench", "cred-bench", "000000", [][]byte{d}); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
