package signingtest

import (
	"crypto"
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/ThalesGroup/crypto11"
	"github.com/hcm-edu/vanban/internal/testenv"
)

// Token is a SoftHSM2 token initialised for one test, standing for a
// person's USB token or a remote-signing service's HSM. Conf is the
// SOFTHSM2_CONF a process opening it needs.
type Token struct {
	Module, Conf, Label, PIN, SOPIN string
	ids                             atomic.Uint32
}

// SoftHSMModule returns the path of libsofthsm2.so, or "" when it is not
// installed (VANBAN_TEST_PKCS11_MODULE overrides).
func SoftHSMModule() string {
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

// NewToken initialises a fresh token labelled label in a directory of the
// test's own. It does not set SOFTHSM2_CONF in this process: pass
// t.Setenv("SOFTHSM2_CONF", tok.Conf) before opening it here, or give
// Conf to the process that opens it.
func NewToken(t testing.TB, label, pin string) *Token {
	t.Helper()
	module := SoftHSMModule()
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
	tok := &Token{Module: module, Conf: conf, Label: label, PIN: pin, SOPIN: "so-" + pin}
	cmd := exec.Command(util, "--init-token", "--free", "--label", label, "--so-pin", tok.SOPIN, "--pin", pin)
	cmd.Env = append(os.Environ(), "SOFTHSM2_CONF="+conf)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("softhsm2-util --init-token: %v\n%s", err, out)
	}
	return tok
}

// AddKey generates an RSA-2048 key pair on the token labelled keyLabel,
// asks issue for its certificate chain (leaf first) and stores the chain
// on the token: the leaf under keyLabel, the rest under keyLabel+"-ca".
// It opens the token with Conf for the duration of the call (SOFTHSM2_CONF
// is set for the test, so such tests cannot run in parallel).
func (tok *Token) AddKey(t testing.TB, keyLabel string, issue func(pub crypto.PublicKey) []*x509.Certificate) []*x509.Certificate {
	t.Helper()
	t.Setenv("SOFTHSM2_CONF", tok.Conf)
	ctx, err := crypto11.Configure(&crypto11.Config{Path: tok.Module, TokenLabel: tok.Label, Pin: tok.PIN})
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	id := []byte{byte(tok.ids.Add(1))}
	key, err := ctx.GenerateRSAKeyPairWithLabel(id, []byte(keyLabel), 2048)
	if err != nil {
		t.Fatal(err)
	}
	chain := issue(key.Public())
	if len(chain) == 0 {
		t.Fatal("signingtest: issue returned no certificate")
	}
	if err := ctx.ImportCertificateWithLabel(id, []byte(keyLabel), chain[0]); err != nil {
		t.Fatal(err)
	}
	for i, c := range chain[1:] {
		caID := append([]byte{0xca, byte(i)}, id...)
		if err := ctx.ImportCertificateWithLabel(caID, []byte(keyLabel+"-ca"), c); err != nil {
			t.Fatal(err)
		}
	}
	return chain
}
