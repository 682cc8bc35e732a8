package signing_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/signing"
)

// TestDevCertificatesTrustedByNSS: with the development root imported, an
// NSS-based validator (poppler's pdfsig) calls the development signers'
// certificates trusted, as it does a Vietnamese CA's signing certificate:
// it needs digitalSignature and nonRepudiation with emailProtection.
func TestDevCertificatesTrustedByNSS(t *testing.T) {
	needTool(t, "pdfsig")
	needTool(t, "certutil")
	dir := filepath.Join(t.TempDir(), "keys")
	org := signing.DevOrg{Code: "000.00.24.H29", Name: "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh"}
	people := []signing.DevPerson{{Username: "giamdoc.sgd", FullName: "Lê Hoài Nam", Title: "Giám đốc"}}
	if err := signing.GenerateDevPKI(dir, org, people); err != nil {
		t.Fatal(err)
	}
	person, err := signing.LoadFile(signing.DevPersonPath(dir, "giamdoc.sgd"), "")
	if err != nil {
		t.Fatal(err)
	}
	seal, err := signing.LoadFile(signing.DevOrgPath(dir, org.Code), "")
	if err != nil {
		t.Fatal(err)
	}
	signed := fixture(t)
	for _, k := range []signing.Key{person, seal} {
		if signed, err = signing.Sign(context.Background(), signed, signing.Options{Key: k, Reason: "Phê duyệt", Location: domain.Place}); err != nil {
			t.Fatal(err)
		}
	}
	db := t.TempDir()
	certutil := func(args ...string) {
		if out, err := exec.Command("certutil", append(args, "-d", "sql:"+db)...).CombinedOutput(); err != nil {
			t.Fatalf("certutil %v: %v\n%s", args, err, out)
		}
	}
	certutil("-N", "--empty-password")
	certutil("-A", "-n", "vanban-dev-root", "-t", "CT,C,C", "-a", "-i", signing.DevRootPath(dir))
	path := writeTemp(t, "signed.pdf", signed)
	out, err := exec.Command("pdfsig", "-nssdir", "sql:"+db, path).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfsig: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "Certificate Validation: Certificate is Trusted."); n != 2 {
		t.Fatalf("pdfsig trusts %d of the 2 development signatures with the development root:\n%s", n, out)
	}
}
