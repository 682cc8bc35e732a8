package edxml

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/signing/signingtest"
)

// TestXMLSec1 has xmlsec1, an independent XML-DSig implementation, verify
// what Build and BuildStatus produce, trusting only the test root: the
// signature, the digest over the whole document and the chain in KeyInfo.
// It must also refuse a tampered copy, so that the pass means something.
func TestXMLSec1(t *testing.T) {
	if _, err := exec.LookPath("xmlsec1"); err != nil {
		testenv.Missing(t, "xmlsec1 (Debian package xmlsec1)")
	}
	pki := signingtest.NewPKI(t)
	dir := t.TempDir()
	roots := filepath.Join(dir, "roots.pem")
	if err := os.WriteFile(roots, pki.RootPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	pkg, err := Build(samplePackage(t), key(pki))
	if err != nil {
		t.Fatal(err)
	}
	st, err := BuildStatus(sampleStatus(), key(pki))
	if err != nil {
		t.Fatal(err)
	}
	verify := func(name string, data []byte) error {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, data, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("xmlsec1", "--verify", "--trusted-pem", roots, f).CombinedOutput()
		if err != nil {
			t.Logf("xmlsec1 %s: %s", name, out)
		}
		return err
	}
	if err := verify("package.edxml", pkg); err != nil {
		t.Errorf("xmlsec1 refused the package: %v", err)
	}
	if err := verify("status.edxml", st); err != nil {
		t.Errorf("xmlsec1 refused the status: %v", err)
	}
	bad := bytes.Replace(pkg, []byte("Hội khỏe"), []byte("Hội khoẻ"), 1)
	if err := verify("tampered.edxml", bad); err == nil {
		t.Error("xmlsec1 accepted a tampered package")
	}
	i := bytes.Index(pkg, []byte("<ContentTransferEncoded>")) + len("<ContentTransferEncoded>") + 5000
	bad = bytes.Clone(pkg)
	if bad[i] == 'A' {
		bad[i] = 'B'
	} else {
		bad[i] = 'A'
	}
	if err := verify("tampered-attachment.edxml", bad); err == nil {
		t.Error("xmlsec1 accepted a package whose attachment changed")
	}
	other := signingtest.NewPKI(t)
	if err := os.WriteFile(roots, other.RootPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := verify("package.edxml", pkg); err == nil {
		t.Error("xmlsec1 accepted a package from an untrusted root")
	}
}
