package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// RSA key generation is slow under -race: the tests share a few keys.
var testRSAKeys = sync.OnceValue(func() []*rsa.PrivateKey {
	keys := make([]*rsa.PrivateKey, 3)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	return keys
})

type testCA struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func newTestCA(t testing.TB) testCA {
	t.Helper()
	key := testRSAKeys()[0]
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: "Test CA Việt Nam"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return testCA{cert: cert, key: key}
}

func (ca testCA) issue(t testing.TB, cn string, pub crypto.PublicKey, notBefore, notAfter time.Time) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber:       randomSerial(),
		Subject:            pkix.Name{CommonName: cn},
		NotBefore:          notBefore,
		NotAfter:           notAfter,
		KeyUsage:           x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{OIDDocumentSigning},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func pemBlock(typ string, b []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b})
}

func writeTestFile(t *testing.T, name string, parts ...[]byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadFile(t *testing.T) {
	ca := newTestCA(t)
	rsaKey := testRSAKeys()[1]
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	valid := ca.issue(t, "Lê Hoài Nam", rsaKey.Public(), now.Add(-time.Hour), now.AddDate(1, 0, 0))
	validEC := ca.issue(t, "Trần Thị Bích Ngọc", ecKey.Public(), now.Add(-time.Hour), now.AddDate(1, 0, 0))
	other := ca.issue(t, "Người khác", testRSAKeys()[2].Public(), now.Add(-time.Hour), now.AddDate(1, 0, 0))

	pkcs8, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	pkcs1 := x509.MarshalPKCS1PrivateKey(rsaKey)
	sec1, _ := x509.MarshalECPrivateKey(ecKey)
	ecPKCS8, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	leafPEM, caPEM := pemBlock("CERTIFICATE", valid.Raw), pemBlock("CERTIFICATE", ca.cert.Raw)

	const password = "mật-khẩu-p12"
	modern, err := pkcs12.Modern.Encode(rsaKey, valid, []*x509.Certificate{ca.cert}, password)
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := pkcs12.LegacyDES.Encode(ecKey, validEC, nil, password)
	if err != nil {
		t.Fatal(err)
	}
	mismatched, err := pkcs12.Modern.Encode(rsaKey, other, nil, password)
	if err != nil {
		t.Fatal(err)
	}
	encrypted := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-256-CBC,00"}, Bytes: pkcs1})

	tests := []struct {
		name     string
		path     string
		password string
		wantCN   string
		chainLen int
		wantErr  error // nil with wantCN == "" means any error
	}{
		{"PEM PKCS#8 with chain", writeTestFile(t, "k.pem", leafPEM, caPEM, pemBlock("PRIVATE KEY", pkcs8)), "", "Lê Hoài Nam", 2, nil},
		{"PEM CA first", writeTestFile(t, "k.pem", caPEM, pemBlock("PRIVATE KEY", pkcs8), leafPEM), "", "Lê Hoài Nam", 2, nil},
		{"PEM PKCS#1", writeTestFile(t, "k.pem", leafPEM, pemBlock("RSA PRIVATE KEY", pkcs1)), "", "Lê Hoài Nam", 1, nil},
		{"PEM EC SEC1", writeTestFile(t, "k.pem", pemBlock("CERTIFICATE", validEC.Raw), pemBlock("EC PRIVATE KEY", sec1)), "", "Trần Thị Bích Ngọc", 1, nil},
		{"PEM EC PKCS#8", writeTestFile(t, "k.pem", pemBlock("CERTIFICATE", validEC.Raw), pemBlock("PRIVATE KEY", ecPKCS8)), "", "Trần Thị Bích Ngọc", 1, nil},
		{"PKCS#12 AES", writeTestFile(t, "k.p12", modern), password, "Lê Hoài Nam", 2, nil},
		{"PKCS#12 3DES EC", writeTestFile(t, "k.pfx", legacy), password, "Trần Thị Bích Ngọc", 1, nil},
		{"PKCS#12 wrong password", writeTestFile(t, "k.p12", modern), "sai", "", 0, nil},
		{"PKCS#12 key mismatch", writeTestFile(t, "k.p12", mismatched), password, "", 0, ErrKeyMismatch},
		{"PEM key mismatch", writeTestFile(t, "k.pem", pemBlock("CERTIFICATE", other.Raw), pemBlock("PRIVATE KEY", pkcs8)), "", "", 0, ErrKeyMismatch},
		{"PEM encrypted key", writeTestFile(t, "k.pem", leafPEM, encrypted), "", "", 0, nil},
		{"PEM no key", writeTestFile(t, "k.pem", leafPEM), "", "", 0, nil},
		{"PEM no certificate", writeTestFile(t, "k.pem", pemBlock("PRIVATE KEY", pkcs8)), "", "", 0, nil},
		{"PEM two keys", writeTestFile(t, "k.pem", leafPEM, pemBlock("PRIVATE KEY", pkcs8), pemBlock("RSA PRIVATE KEY", pkcs1)), "", "", 0, nil},
		{"garbage", writeTestFile(t, "k.p12", []byte("not a key file")), "", "", 0, nil},
		{"missing file", filepath.Join(t.TempDir(), "none.pem"), "", "", 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := LoadFile(tc.path, tc.password)
			if tc.wantCN == "" {
				if err == nil || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) {
					t.Fatalf("got %v, want %v", err, tc.wantErr)
				}
				if tc.password != "" && strings.Contains(err.Error(), tc.password) {
					t.Errorf("the password is in the error: %v", err)
				}
				t.Log(err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cn := k.Certificate().Subject.CommonName; cn != tc.wantCN {
				t.Errorf("leaf %q, want %q", cn, tc.wantCN)
			}
			if len(k.Chain) != tc.chainLen {
				t.Errorf("chain of %d, want %d", len(k.Chain), tc.chainLen)
			}
			digest := sha256.Sum256([]byte("văn bản"))
			sig, err := k.Signer.Sign(rand.Reader, digest[:], crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			if err := k.Certificate().CheckSignature(sigAlgFor(k.Certificate()), []byte("văn bản"), sig); err != nil {
				t.Errorf("signature does not verify: %v", err)
			}
		})
	}
}

func sigAlgFor(c *x509.Certificate) x509.SignatureAlgorithm {
	if c.PublicKeyAlgorithm == x509.ECDSA {
		return x509.ECDSAWithSHA256
	}
	return x509.SHA256WithRSA
}

func TestLoadPEM(t *testing.T) {
	ca := newTestCA(t)
	key := testRSAKeys()[1]
	cert := ca.issue(t, "Lê Hoài Nam", key.Public(), time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	certPath := writeTestFile(t, "cert.pem", pemBlock("CERTIFICATE", cert.Raw), pemBlock("CERTIFICATE", ca.cert.Raw))
	keyPath := writeTestFile(t, "key.pem", pemBlock("PRIVATE KEY", pkcs8))
	k, err := LoadPEM(certPath, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(k.Chain) != 2 || !k.Chain[1].Equal(ca.cert) {
		t.Errorf("chain %v", k.Chain)
	}
	if _, err := LoadPEM(keyPath, keyPath); err == nil {
		t.Error("a key file as certificate accepted")
	}
	if _, err := LoadPEM(certPath, certPath); err == nil {
		t.Error("a certificate file as key accepted")
	}
}

func TestValidityPeriod(t *testing.T) {
	ca := newTestCA(t)
	key := testRSAKeys()[1]
	from := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	until := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	cert := ca.issue(t, "Lê Hoài Nam", key.Public(), from, until)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	path := writeTestFile(t, "k.pem", pemBlock("CERTIFICATE", cert.Raw), pemBlock("PRIVATE KEY", pkcs8))

	tests := []struct {
		name string
		now  time.Time
		want []string // in the message; nil: valid
	}{
		{"not yet valid", from.Add(-time.Second), []string{"not valid until 2025-03-01 07:00:00 +07:00", "2027-03-01 07:00:00 +07:00"}},
		{"first second", from, nil},
		{"valid", from.AddDate(1, 0, 0), nil},
		{"last second", until, nil},
		{"expired", until.Add(time.Second), []string{"expired on 2027-03-01 07:00:00 +07:00", "2025-03-01"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadFile(path, "", func() time.Time { return tc.now })
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrCertificateExpired) {
				t.Fatalf("got %v, want ErrCertificateExpired", err)
			}
			for _, s := range tc.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("%q does not say %q", err, s)
				}
			}
		})
	}
}

// A damaged key must not end up in a log through its error message.
func TestErrorsDoNotShowKeyMaterial(t *testing.T) {
	ca := newTestCA(t)
	key := testRSAKeys()[1]
	cert := ca.issue(t, "Lê Hoài Nam", key.Public(), time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	pkcs1 := x509.MarshalPKCS1PrivateKey(key)
	for _, tc := range []struct {
		name, typ string
		der       []byte
	}{
		{"PKCS#8 truncated", "PRIVATE KEY", pkcs8[:len(pkcs8)/2]},
		{"PKCS#8 flipped", "PRIVATE KEY", flip(pkcs8, 40)},
		{"PKCS#1 truncated", "RSA PRIVATE KEY", pkcs1[:len(pkcs1)-10]},
		{"EC garbage", "EC PRIVATE KEY", pkcs1[:200]},
		{"unknown type", "OPENSSH PRIVATE KEY", pkcs1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			block := pemBlock(tc.typ, tc.der)
			path := writeTestFile(t, "k.pem", pemBlock("CERTIFICATE", cert.Raw), block)
			_, err := LoadFile(path, "")
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			for _, line := range strings.Split(string(block), "\n") {
				if len(line) >= 16 && !strings.HasPrefix(line, "-----") && strings.Contains(msg, line[:16]) {
					t.Fatalf("key material in %q", msg)
				}
			}
			if strings.Contains(msg, key.D.String()[:12]) || strings.Contains(msg, string(tc.der[10:20])) {
				t.Fatalf("key material in %q", msg)
			}
			t.Log(msg)
		})
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0xff
	return c
}
