package signing

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ThalesGroup/crypto11"
	"github.com/hcm-edu/vanban/internal/testenv"
)

const (
	testTokenLabel = "vanban-test"
	testPIN        = "pin-4821-test"
	testSOPIN      = "so-pin-9305-test"
	testKeyLabel   = "giamdoc.sgd"
)

func softHSMModule() string {
	if m := os.Getenv("VANBAN_TEST_PKCS11_MODULE"); m != "" {
		return m
	}
	for _, m := range []string{
		"/usr/lib/softhsm/libsofthsm2.so",
		"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
		"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
		"/usr/local/lib/softhsm/libsofthsm2.so",
	} {
		if _, err := os.Stat(m); err == nil {
			return m
		}
	}
	return ""
}

// newSoftHSM initialises a fresh SoftHSM2 token in a directory of the
// test's own (SOFTHSM2_CONF is set for the test, so tests using it cannot
// run in parallel) and puts on it an RSA-2048 key pair, generated on the
// token, with a certificate from a test CA, both labelled testKeyLabel, and
// the CA certificate labelled testKeyLabel+"-ca". It also stores a key
// "sans-cert" without a certificate and a key "mismatch" whose certificate
// names another key.
func newSoftHSM(t testing.TB) PKCS11Config {
	t.Helper()
	module := softHSMModule()
	util, err := exec.LookPath("softhsm2-util")
	if module == "" || err != nil {
		testenv.Missing(t, "softhsm2 (libsofthsm2.so and softhsm2-util; scripts/deps.sh installs it)")
	}
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	if err := os.WriteFile(conf, []byte("directories.tokendir = "+tokens+"\nobjectstore.backend = file\nlog.level = ERROR\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The module reads SOFTHSM2_CONF when crypto11 initialises it; crypto11
	// finalises it when its last context closes, so each test gets its own.
	t.Setenv("SOFTHSM2_CONF", conf)
	out, err := exec.Command(util, "--init-token", "--free", "--label", testTokenLabel, "--so-pin", testSOPIN, "--pin", testPIN).CombinedOutput()
	if err != nil {
		t.Fatalf("softhsm2-util --init-token: %v\n%s", err, out)
	}

	ctx, err := crypto11.Configure(&crypto11.Config{Path: module, TokenLabel: testTokenLabel, Pin: testPIN})
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	ca := newTestCA(t)
	now := time.Now()
	key, err := ctx.GenerateRSAKeyPairWithLabel([]byte{1}, []byte(testKeyLabel), 2048)
	if err != nil {
		t.Fatal(err)
	}
	cert := ca.issue(t, "Lê Hoài Nam", key.Public(), now.Add(-time.Hour), now.AddDate(1, 0, 0))
	if err := ctx.ImportCertificateWithLabel([]byte{1}, []byte(testKeyLabel), cert); err != nil {
		t.Fatal(err)
	}
	if err := ctx.ImportCertificateWithLabel([]byte{2}, []byte(testKeyLabel+"-ca"), ca.cert); err != nil {
		t.Fatal(err)
	}
	other, err := ctx.GenerateRSAKeyPairWithLabel([]byte{4}, []byte("sans-cert"), 2048)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ctx.GenerateRSAKeyPairWithLabel([]byte{5}, []byte("mismatch"), 2048); err != nil {
		t.Fatal(err)
	}
	wrong := ca.issue(t, "Người khác", other.Public(), now.Add(-time.Hour), now.AddDate(1, 0, 0))
	if err := ctx.ImportCertificateWithLabel([]byte{5}, []byte("mismatch"), wrong); err != nil {
		t.Fatal(err)
	}
	return PKCS11Config{Module: module, TokenLabel: testTokenLabel, PIN: testPIN, KeyLabel: testKeyLabel}
}

func TestLoadPKCS11(t *testing.T) {
	cfg := newSoftHSM(t)
	k, closer, err := LoadPKCS11(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	if cn := k.Certificate().Subject.CommonName; cn != "Lê Hoài Nam" {
		t.Errorf("leaf %q", cn)
	}
	if len(k.Chain) != 2 || k.Chain[1].Subject.CommonName != "Test CA Việt Nam" {
		t.Errorf("chain %d long", len(k.Chain))
	}
	pub := k.Certificate().PublicKey.(*rsa.PublicKey)
	msg := []byte("Quyết định số 125/QĐ-SGDĐT")
	digest := sha256.Sum256(msg)
	tests := []struct {
		name   string
		opts   crypto.SignerOpts
		verify func(sig []byte) error
	}{
		{"PKCS#1 v1.5", crypto.SHA256, func(sig []byte) error { return rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) }},
		{"PSS", &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}, func(sig []byte) error {
			return rsa.VerifyPSS(pub, crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sig, err := k.Signer.Sign(rand.Reader, digest[:], tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.verify(sig); err != nil {
				t.Errorf("signature from the token does not verify: %v", err)
			}
			if err := k.Certificate().CheckSignature(x509.SHA256WithRSA, msg, sig); tc.name == "PKCS#1 v1.5" && err != nil {
				t.Errorf("CheckSignature: %v", err)
			}
		})
	}
}

func TestLoadPKCS11Failures(t *testing.T) {
	cfg := newSoftHSM(t)
	with := func(f func(*PKCS11Config)) PKCS11Config { c := cfg; f(&c); return c }
	tests := []struct {
		name string
		cfg  PKCS11Config
		now  time.Time
		want error  // nil: any error
		says string // in the message
	}{
		{"wrong PIN", with(func(c *PKCS11Config) { c.PIN = "wrong-pin-7391" }), time.Time{}, ErrTokenUnavailable, "wrong PIN"},
		{"empty PIN", with(func(c *PKCS11Config) { c.PIN = "" }), time.Time{}, ErrTokenUnavailable, "no PIN configured"},
		{"missing key label", with(func(c *PKCS11Config) { c.KeyLabel = "khong-co" }), time.Time{}, ErrTokenUnavailable, `no key pair labelled "khong-co"`},
		{"key without certificate", with(func(c *PKCS11Config) { c.KeyLabel = "sans-cert" }), time.Time{}, ErrTokenUnavailable, `no certificate labelled "sans-cert"`},
		{"certificate of another key", with(func(c *PKCS11Config) { c.KeyLabel = "mismatch" }), time.Time{}, ErrKeyMismatch, "Người khác"},
		{"missing token", with(func(c *PKCS11Config) { c.TokenLabel = "rut-ra" }), time.Time{}, ErrTokenUnavailable, "no such token"},
		{"missing module", with(func(c *PKCS11Config) { c.Module = "/nonexistent/libpkcs11.so" }), time.Time{}, ErrTokenUnavailable, "/nonexistent/libpkcs11.so"},
		{"not a module", with(func(c *PKCS11Config) { c.Module = "/etc/hostname" }), time.Time{}, ErrTokenUnavailable, "cannot be loaded"},
		{"expired", cfg, time.Now().AddDate(2, 0, 0), ErrCertificateExpired, "expired on"},
		{"no module configured", with(func(c *PKCS11Config) { c.Module = "" }), time.Time{}, nil, "no PKCS#11 module"},
		{"no key label configured", with(func(c *PKCS11Config) { c.KeyLabel = "" }), time.Time{}, nil, "no key label"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Now
			if !tc.now.IsZero() {
				now = func() time.Time { return tc.now }
			}
			_, closer, err := loadPKCS11(tc.cfg, now)
			if err == nil {
				closer.Close()
				t.Fatal("loaded")
			}
			if closer != nil {
				t.Error("a closer with an error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("%q does not say %q", err, tc.says)
			}
			for _, pin := range []string{testPIN, "wrong-pin-7391", testSOPIN} {
				if strings.Contains(err.Error(), pin) {
					t.Errorf("the PIN is in %q", err)
				}
			}
			t.Log(err)
		})
	}
	// The token still works after all that.
	_, closer, err := LoadPKCS11(cfg)
	if err != nil {
		t.Fatal(err)
	}
	closer.Close()
}

func TestPKCS11ConfigHidesPIN(t *testing.T) {
	cfg := PKCS11Config{Module: "/m.so", TokenLabel: "t", PIN: "123456-secret", KeyLabel: "k"}
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(f, cfg); strings.Contains(s, cfg.PIN) {
			t.Errorf("%s shows the PIN: %s", f, s)
		}
	}
}

// Signatures per second: a key on SoftHSM2 through PKCS#11 against the same
// operation with crypto/rsa in process.
func BenchmarkSoftHSMSignRSA2048(b *testing.B) {
	k, closer, err := LoadPKCS11(newSoftHSM(b))
	if err != nil {
		b.Fatal(err)
	}
	defer closer.Close()
	benchmarkSign(b, k.Signer)
}

func BenchmarkFileKeySignRSA2048(b *testing.B) {
	dir := b.TempDir()
	if err := GenerateDevPKI(dir, devTestOrg, devTestPeople[:1]); err != nil {
		b.Fatal(err)
	}
	k, err := LoadFile(DevPersonPath(dir, devTestPeople[0].Username), "")
	if err != nil {
		b.Fatal(err)
	}
	benchmarkSign(b, k.Signer)
}

func benchmarkSign(b *testing.B, s crypto.Signer) {
	digest := sha256.Sum256([]byte("văn bản"))
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Sign(rand.Reader, digest[:], crypto.SHA256); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sigs/s")
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.Sign(rand.Reader, digest[:], crypto.SHA256); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sigs/s")
	})
}
