package signing_test

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/signing/signingtest"
	"golang.org/x/crypto/ocsp"
)

// countingTransport counts the requests a checker sends.
type countingTransport struct{ n atomic.Int64 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

const (
	serialGood       = 0x1001
	serialRevoked    = 0x1002
	serialCRLGood    = 0x1003
	serialCRLRevoked = 0x1004
	serialStale      = 0x1005
	serialTampered   = 0x1006
)

// revocationWorld is a CA with `openssl ocsp` answering for it and a
// CRL over HTTP.
type revocationWorld struct {
	ca       *signingtest.RevocationCA
	ocspURL  string
	crl      *signingtest.CRLServer
	revoked  time.Time
	checker  *signing.RevocationChecker
	requests *countingTransport
}

func newRevocationWorld(t *testing.T) *revocationWorld {
	t.Helper()
	ca := signingtest.NewRevocationCA(t)
	revoked := time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Second)
	w := &revocationWorld{ca: ca, revoked: revoked, requests: &countingTransport{}}
	w.ocspURL = ca.StartOCSP(t, []signingtest.OCSPEntry{
		{Serial: serialGood, CN: "good"},
		{Serial: serialRevoked, CN: "revoked", Revoked: revoked, Reason: "keyCompromise"},
	})
	w.crl = signingtest.ServeCRL(t, ca.CRL(t, map[int64]time.Time{serialCRLRevoked: revoked}, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)))
	w.checker = &signing.RevocationChecker{Timeout: 2 * time.Second, Client: &http.Client{Transport: w.requests}}
	return w
}

func (w *revocationWorld) check(t *testing.T, k signing.Key) signing.RevocationResult {
	t.Helper()
	return w.checker.Check(context.Background(), k.Chain[0], k.Chain[1])
}

func TestRevocationOCSP(t *testing.T) {
	w := newRevocationWorld(t)
	good := w.ca.Issue(t, serialGood, "Người ký còn hiệu lực", w.ocspURL, "")
	r := w.check(t, good)
	if r.Status != signing.RevocationGood || r.Source != signing.SourceOCSP || r.NextUpdate == nil {
		t.Fatalf("good certificate: %+v", r)
	}
	revoked := w.ca.Issue(t, serialRevoked, "Người ký bị thu hồi", w.ocspURL, "")
	r = w.check(t, revoked)
	if r.Status != signing.RevocationRevoked || r.Source != signing.SourceOCSP || r.RevokedAt == nil ||
		!r.RevokedAt.Equal(w.revoked) || r.ReasonCode != ocsp.KeyCompromise || r.Reason != "keyCompromise" {
		t.Fatalf("revoked certificate: %+v", r)
	}
	if !strings.Contains(r.StringVI(), "lộ khóa bí mật") {
		t.Errorf("Vietnamese: %s", r.StringVI())
	}
}

func TestRevocationCRLFallback(t *testing.T) {
	w := newRevocationWorld(t)
	down := signingtest.ClosedURL(t)
	good := w.ca.Issue(t, serialCRLGood, "good", down, w.crl.URL)
	if r := w.check(t, good); r.Status != signing.RevocationGood || r.Source != signing.SourceCRL {
		t.Fatalf("responder down, CRL good: %+v", r)
	}
	revoked := w.ca.Issue(t, serialCRLRevoked, "revoked", down, w.crl.URL)
	r := w.check(t, revoked)
	if r.Status != signing.RevocationRevoked || r.Source != signing.SourceCRL || !r.RevokedAt.Equal(w.revoked) || r.ReasonCode != 1 {
		t.Fatalf("responder down, CRL revoked: %+v", r)
	}
	// Nothing reachable: unknown, saying so.
	lost := w.ca.Issue(t, serialCRLGood+0x100, "lost", down, signingtest.ClosedURL(t))
	r = w.check(t, lost)
	if r.Status != signing.RevocationUnknown || !strings.Contains(r.WhyEN, "unreachable") || !strings.Contains(r.WhyVI, "không kết nối được") {
		t.Fatalf("everything down: %+v", r)
	}
}

func TestRevocationStaleCRL(t *testing.T) {
	w := newRevocationWorld(t)
	w.crl.Set(w.ca.CRL(t, nil, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour)))
	k := w.ca.Issue(t, serialStale, "stale", "", w.crl.URL)
	r := w.check(t, k)
	if r.Status != signing.RevocationUnknown || !strings.Contains(r.WhyEN, "stale") || !strings.Contains(r.WhyVI, "CRL hết hạn") {
		t.Fatalf("stale CRL: %+v", r)
	}
	// A CRL signed by another CA is not believed either.
	other := signingtest.NewRevocationCA(t)
	w.crl.Set(other.CRL(t, nil, time.Now().Add(-time.Hour), time.Now().Add(time.Hour)))
	// (another CA of the same name: only the signature tells them apart)
	k2 := w.ca.Issue(t, serialStale+0x100, "other", "", w.crl.URL)
	if r := w.check(t, k2); r.Status != signing.RevocationUnknown || !strings.Contains(r.WhyEN, "bad CRL signature") {
		t.Fatalf("another CA's CRL: %+v", r)
	}
}

func TestRevocationTamperedOCSP(t *testing.T) {
	w := newRevocationWorld(t)
	// A responder that signs with its own key, under a certificate the
	// CA never issued.
	other := signingtest.NewRevocationCA(t)
	fake := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, err := ocsp.ParseRequest(body)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		now := time.Now()
		resp, err := ocsp.CreateResponse(w.ca.Cert, other.Responder, ocsp.Response{Status: ocsp.Good, SerialNumber: req.SerialNumber,
			ThisUpdate: now, NextUpdate: now.Add(time.Hour), Certificate: other.Responder}, other.RespKey)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusInternalServerError)
			return
		}
		rw.Write(resp)
	}))
	defer fake.Close()
	k := w.ca.Issue(t, serialTampered, "tampered", fake.URL, "")
	r := w.check(t, k)
	if r.Status != signing.RevocationUnknown || !strings.Contains(r.WhyEN, "bad response") || !strings.Contains(r.WhyVI, "phản hồi không hợp lệ") {
		t.Fatalf("tampered OCSP: %+v", r)
	}
}

func TestRevocationTimeoutAndURLs(t *testing.T) {
	ca := signingtest.NewRevocationCA(t)
	c := &signing.RevocationChecker{Timeout: 200 * time.Millisecond}
	hanging := ca.Issue(t, 0x2001, "hanging", signingtest.HangingTSA(t), "")
	start := time.Now()
	r := c.Check(context.Background(), hanging.Chain[0], hanging.Chain[1])
	if r.Status != signing.RevocationUnknown || time.Since(start) > 3*time.Second {
		t.Fatalf("hanging responder: %+v after %s", r, time.Since(start))
	}
	// Only http(s) is fetched: an ldap:// or file:// point counts as none.
	odd := ca.Issue(t, 0x2002, "odd", "file:///etc/passwd", "ldap://ldap.example/cn=CRL")
	if r := c.Check(context.Background(), odd.Chain[0], odd.Chain[1]); r.Status != signing.RevocationUnknown || !strings.Contains(r.WhyEN, "names no OCSP") {
		t.Fatalf("no http URL: %+v", r)
	}
	if r := c.Check(context.Background(), odd.Chain[0], nil); r.Status != signing.RevocationUnknown {
		t.Fatalf("no issuer: %+v", r)
	}
}

func TestRevocationCache(t *testing.T) {
	w := newRevocationWorld(t)
	k := w.ca.Issue(t, serialGood, "good", w.ocspURL, "")
	w.check(t, k)
	n := w.requests.n.Load()
	if n != 1 {
		t.Fatalf("first check: %d requests", n)
	}
	if r := w.check(t, k); r.Status != signing.RevocationGood || w.requests.n.Load() != n {
		t.Fatalf("second check: %+v, %d requests", r, w.requests.n.Load())
	}
	// A CRL answer too; an unknown one is asked again.
	down := signingtest.ClosedURL(t)
	c := w.ca.Issue(t, serialCRLGood, "crl", "", w.crl.URL)
	w.check(t, c)
	w.check(t, c)
	if hits := w.crl.Hits.Load(); hits != 1 {
		t.Errorf("CRL fetched %d times", hits)
	}
	// An unknown answer is kept a minute: one timeout per signing.
	u := w.ca.Issue(t, 0x3001, "unknown", down, "")
	w.check(t, u)
	before := w.requests.n.Load()
	if r := w.check(t, u); r.Status != signing.RevocationUnknown || w.requests.n.Load() != before {
		t.Errorf("an unknown answer was not kept: %+v", r)
	}
	w.checker.Now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	w.check(t, u)
	if w.requests.n.Load() == before {
		t.Errorf("an unknown answer was kept past UnknownTTL")
	}
	// Past nextUpdate (a day), the responder is asked again.
	w.checker.Now = func() time.Time { return time.Now().Add(25 * time.Hour) }
	before = w.requests.n.Load()
	w.check(t, k)
	if w.requests.n.Load() == before {
		t.Errorf("an answer past its nextUpdate was used")
	}
}

func TestRevocationCacheBounded(t *testing.T) {
	ca := signingtest.NewRevocationCA(t)
	srv := signingtest.ServeCRL(t, ca.CRL(t, nil, time.Now().Add(-time.Hour), time.Now().Add(time.Hour)))
	c := &signing.RevocationChecker{MaxEntries: 2}
	var keys []*x509.Certificate
	for i := range 3 {
		keys = append(keys, issueQuick(t, ca, int64(0x4000+i), srv.URL))
	}
	for _, k := range keys {
		c.Check(context.Background(), k, ca.Cert)
	}
	for _, k := range keys {
		c.Check(context.Background(), k, ca.Cert)
	}
	// 3 first checks, then at most 2 of 3 cached: at least 4 fetches.
	if hits := srv.Hits.Load(); hits < 4 {
		t.Errorf("a cache of 2 served 3 certificates: %d fetches", hits)
	}
}

// issueQuick issues a leaf with an EC key (fast), naming crlURL.
func issueQuick(t *testing.T, ca *signingtest.RevocationCA, serial int64, crlURL string) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "q"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), CRLDistributionPoints: []string{crlURL}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, ca.Responder.PublicKey, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestVerifyRevocation: a signature by a revoked signer is not valid; by
// a good one it is, and says "good"; without a checker, "unknown".
func TestVerifyRevocation(t *testing.T) {
	w := newRevocationWorld(t)
	ctx := context.Background()
	sign := func(k signing.Key, tsa *signing.TSA) []byte {
		out, err := signing.Sign(ctx, fixture(t), signing.Options{Key: k, Reason: "Ký ban hành", TSA: tsa})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	good := sign(w.ca.Issue(t, serialGood, "Người ký tốt", w.ocspURL, ""), nil)
	rep, err := signing.Verify(good, signing.VerifyOptions{Roots: w.ca.Roots, Revocation: w.checker})
	if err != nil {
		t.Fatal(err)
	}
	if s := rep.Signatures[0]; !rep.Valid || s.Revocation != signing.RevocationGood || s.RevocationDetail == nil || s.RevocationDetail.Source != signing.SourceOCSP {
		t.Fatalf("good signer: valid %v, %s, %+v", rep.Valid, rep.VerdictEN, s.RevocationDetail)
	}
	rep, err = signing.Verify(good, signing.VerifyOptions{Roots: w.ca.Roots})
	if err != nil || rep.Signatures[0].Revocation != signing.RevocationUnknown || rep.Signatures[0].RevocationDetail != nil || !rep.Valid {
		t.Fatalf("no checker: %v %+v", err, rep.Signatures[0])
	}

	revokedKey := w.ca.Issue(t, serialRevoked, "Người ký bị thu hồi", w.ocspURL, "")
	bad := sign(revokedKey, nil)
	rep, err = signing.Verify(bad, signing.VerifyOptions{Roots: w.ca.Roots, Revocation: w.checker})
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Signatures[0]
	if rep.Valid || s.Revocation != signing.RevocationRevoked || !strings.Contains(rep.VerdictEN, "revoked at") ||
		!strings.Contains(rep.VerdictVI, "đã bị thu hồi lúc") || !strings.Contains(rep.VerdictEN, "keyCompromise") {
		t.Fatalf("revoked signer: valid %v, %s / %s", rep.Valid, rep.VerdictEN, rep.VerdictVI)
	}

	// A trusted timestamp later than the revocation does not save it.
	stamped := sign(revokedKey, &signing.TSA{URL: signingtest.NewTSA(t)})
	rep, _ = signing.Verify(stamped, signing.VerifyOptions{Roots: w.ca.Roots, Revocation: w.checker})
	if rep.Valid {
		t.Fatalf("timestamp after the revocation: valid: %s", rep.VerdictEN)
	}
	// One before the revocation does: the revocation lies in the future.
	later := w.ca.Issue(t, 0x5001, "Thu hồi sau", "", w.crl.URL)
	w.crl.Set(w.ca.CRL(t, map[int64]time.Time{0x5001: time.Now().Add(time.Hour)}, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)))
	rep, _ = signing.Verify(sign(later, &signing.TSA{URL: signingtest.NewTSA(t)}), signing.VerifyOptions{Roots: w.ca.Roots, Revocation: w.checker})
	if s := rep.Signatures[0]; !rep.Valid || s.Revocation != signing.RevocationRevoked {
		t.Fatalf("timestamp before the revocation: valid %v, %s, %s", rep.Valid, s.Revocation, rep.VerdictEN)
	}

	// CheckRevocation on a report made elsewhere (a pdfguard worker).
	rep, _ = signing.Verify(bad, signing.VerifyOptions{Roots: w.ca.Roots})
	signing.CheckRevocation(ctx, &rep, w.checker)
	if rep.Valid || rep.Signatures[0].Revocation != signing.RevocationRevoked {
		t.Fatalf("CheckRevocation: %s", rep.VerdictEN)
	}
}
