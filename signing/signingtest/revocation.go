package signingtest

import (
	"bufio"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/signing"
)

// RevocationCA is a root CA whose leaf certificates name an OCSP
// responder (AIA) and a CRL distribution point, with a delegated OCSP
// responder certificate (id-kp-OCSPSigning) for `openssl ocsp`.
type RevocationCA struct {
	Cert      *x509.Certificate
	Key       crypto.Signer
	Roots     *x509.CertPool
	Responder *x509.Certificate
	RespKey   crypto.Signer
}

// NewRevocationCA makes a fresh CA and its OCSP responder certificate.
func NewRevocationCA(t testing.TB) *RevocationCA {
	t.Helper()
	now := time.Now()
	key := newECKey(t)
	ca := createCert(t, &x509.Certificate{
		Subject:               pkix.Name{CommonName: "Vanban Test Revocation CA", Organization: []string{"Vanban tests"}, Country: []string{"VN"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(5 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}, nil, key.Public(), key)
	rkey := newECKey(t)
	resp := createCert(t, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "Vanban Test OCSP Responder", Organization: []string{"Vanban tests"}},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(365 * 24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning},
	}, ca, rkey.Public(), key)
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	roots.AddCert(TSARoot(t))
	return &RevocationCA{Cert: ca, Key: key, Roots: roots, Responder: resp, RespKey: rkey}
}

// Issue issues an RSA-2048 signing certificate with serial, naming
// ocspURL and crlURL when not empty; the chain is leaf then CA.
func (ca *RevocationCA) Issue(t testing.TB, serial int64, cn, ocspURL, crlURL string) signing.Key {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:       big.NewInt(serial),
		Subject:            pkix.Name{CommonName: cn, Organization: []string{PersonOrg}, Country: []string{"VN"}},
		NotBefore:          now.Add(-time.Hour),
		NotAfter:           now.Add(365 * 24 * time.Hour),
		KeyUsage:           x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage:        []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{oidDocumentSigning},
	}
	if ocspURL != "" {
		tmpl.OCSPServer = []string{ocspURL}
	}
	if crlURL != "" {
		tmpl.CRLDistributionPoints = []string{crlURL}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, k.Public(), ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return signing.Key{Signer: k, Chain: []*x509.Certificate{leaf, ca.Cert}}
}

// CRL returns a CRL signed by the CA listing revoked (serial → time,
// reason keyCompromise), valid from thisUpdate to nextUpdate.
func (ca *RevocationCA) CRL(t testing.TB, revoked map[int64]time.Time, thisUpdate, nextUpdate time.Time) []byte {
	t.Helper()
	tmpl := &x509.RevocationList{Number: big.NewInt(thisUpdate.Unix()), ThisUpdate: thisUpdate, NextUpdate: nextUpdate}
	for s, at := range revoked {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: big.NewInt(s), RevocationTime: at, ReasonCode: 1})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, ca.Cert, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// CRLServer serves one CRL over HTTP and counts the requests.
type CRLServer struct {
	URL  string
	Hits atomic.Int64
	mu   sync.Mutex
	der  []byte
}

// ServeCRL starts a CRL server answering der (Set changes it).
func ServeCRL(t testing.TB, der []byte) *CRLServer {
	t.Helper()
	s := &CRLServer{der: der}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Hits.Add(1)
		s.mu.Lock()
		b := s.der
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/pkix-crl")
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL + "/ca.crl"
	return s
}

// Set replaces the CRL served.
func (s *CRLServer) Set(der []byte) {
	s.mu.Lock()
	s.der = der
	s.mu.Unlock()
}

// OCSPEntry is a line of the responder's index: a good certificate, or
// one revoked at Revoked with Reason (an openssl reason name, e.g.
// keyCompromise).
type OCSPEntry struct {
	Serial  int64
	CN      string
	Revoked time.Time
	Reason  string
}

// ClosedURL returns an http URL on 127.0.0.1 where nothing listens.
func ClosedURL(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/ocsp"
}

// Openssl returns the openssl program, skipping the test when it is
// missing, except under CI=true, where it fails.
func Openssl(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("openssl is required (scripts/deps.sh): %v", err)
		}
		t.Skipf("openssl not installed: %v", err)
	}
	return p
}

// StartOCSP runs `openssl ocsp` as a child process answering for the CA
// from an index of entries, signing with the delegated responder
// certificate, nextUpdate a day ahead; it returns the responder's URL.
func (ca *RevocationCA) StartOCSP(t testing.TB, entries []OCSPEntry) string {
	t.Helper()
	bin := Openssl(t)
	dir := t.TempDir()
	var idx strings.Builder
	exp := time.Now().Add(365 * 24 * time.Hour).UTC().Format("060102150405Z")
	for _, e := range entries {
		serial := strings.ToUpper(fmt.Sprintf("%x", e.Serial))
		if len(serial)%2 == 1 {
			serial = "0" + serial
		}
		status, rev := "V", ""
		if !e.Revoked.IsZero() {
			status, rev = "R", e.Revoked.UTC().Format("060102150405Z")
			if e.Reason != "" {
				rev += "," + e.Reason
			}
		}
		fmt.Fprintf(&idx, "%s\t%s\t%s\t%s\tunknown\t/CN=%s\n", status, exp, rev, serial, e.CN)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(ca.RespKey)
	if err != nil {
		t.Fatal(err)
	}
	index := write("index.txt", []byte(idx.String()))
	write("index.txt.attr", []byte("unique_subject = no\n"))
	caPEM := write("ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw}))
	respPEM := write("responder.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Responder.Raw}))
	respKey := write("responder-key.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	for attempt := 0; ; attempt++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		cmd := exec.Command(bin, "ocsp", "-index", index, "-port", fmt.Sprint(port), "-rsigner", respPEM, "-rkey", respKey,
			"-CA", caPEM, "-ndays", "1", "-ignore_err")
		// Ready once it says so: a probe connection would hang it (it
		// serves one connection at a time and waits on an empty one).
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = pw, pw
		if err := cmd.Start(); err != nil {
			t.Fatalf("openssl ocsp: %v", err)
		}
		pw.Close()
		var mu sync.Mutex
		var out strings.Builder
		ready := make(chan struct{})
		exited := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(pr)
			once := sync.Once{}
			for sc.Scan() {
				mu.Lock()
				out.WriteString(sc.Text() + "\n")
				mu.Unlock()
				if strings.Contains(sc.Text(), "waiting for OCSP client connections") {
					once.Do(func() { close(ready) })
				}
			}
			cmd.Wait()
			pr.Close()
			close(exited)
		}()
		output := func() string { mu.Lock(); defer mu.Unlock(); return out.String() }
		select {
		case <-ready:
			t.Cleanup(func() {
				cmd.Process.Kill()
				<-exited
			})
			return fmt.Sprintf("http://127.0.0.1:%d", port)
		case <-exited:
			if attempt >= 3 {
				t.Fatalf("openssl ocsp exited: %s", output())
			}
			continue // the port was taken meanwhile: another one
		case <-time.After(10 * time.Second):
		}
		cmd.Process.Kill()
		<-exited
		if attempt >= 3 {
			t.Fatalf("openssl ocsp did not start: %s", output())
		}
	}
}
