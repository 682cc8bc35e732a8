package signing

import (
	"bytes"
	"crypto/x509"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

var (
	devTestOrg    = DevOrg{Code: "000.00.24.H29", Name: "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh"}
	devTestPeople = []DevPerson{
		{Username: "giamdoc.sgd", FullName: "Lê Hoài Nam", Title: "Giám đốc"},
		{Username: "phogiamdoc.sgd", FullName: "Nguyễn Thị Ngọc Ánh", Title: "Phó Giám đốc", Unit: "Văn phòng Sở"},
	}
)

func TestGenerateDevPKI(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	if err := GenerateDevPKI(dir, devTestOrg, devTestPeople); err != nil {
		t.Fatal(err)
	}
	roots, err := LoadDevRoots(dir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, cn, title string
	}{
		{DevOrgPath(dir, devTestOrg.Code), devTestOrg.Name, ""},
		{DevPersonPath(dir, "giamdoc.sgd"), "Lê Hoài Nam", "Giám đốc"},
		{DevPersonPath(dir, "phogiamdoc.sgd"), "Nguyễn Thị Ngọc Ánh", "Phó Giám đốc"},
	}
	for _, tc := range tests {
		t.Run(tc.cn, func(t *testing.T) {
			st, err := os.Stat(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("mode %v, want 0600", st.Mode().Perm())
			}
			k, err := LoadFile(tc.path, "")
			if err != nil {
				t.Fatal(err)
			}
			leaf := k.Certificate()
			if leaf.Subject.CommonName != tc.cn || !slices.Equal(leaf.Subject.Organization, []string{devTestOrg.Name}) {
				t.Errorf("subject %v", leaf.Subject)
			}
			if !slices.Contains(leaf.Subject.OrganizationalUnit, DevOU) {
				t.Errorf("subject %v does not say it is a development certificate", leaf.Subject)
			}
			var title string
			for _, n := range leaf.Subject.Names {
				if n.Type.Equal(oidTitle) {
					title, _ = n.Value.(string)
				}
			}
			if title != tc.title {
				t.Errorf("title %q, want %q", title, tc.title)
			}
			if leaf.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment {
				t.Errorf("key usage %b", leaf.KeyUsage)
			}
			if len(leaf.UnknownExtKeyUsage) != 2 || !leaf.UnknownExtKeyUsage[0].Equal(OIDDocumentSigningMicrosoft) || !leaf.UnknownExtKeyUsage[1].Equal(OIDDocumentSigning) {
				t.Errorf("extended key usage %v", leaf.UnknownExtKeyUsage)
			}
			if leaf.SignatureAlgorithm != x509.SHA256WithRSA || leaf.PublicKey.(interface{ Size() int }).Size() < 256 {
				t.Errorf("%v with a %d-byte key", leaf.SignatureAlgorithm, leaf.PublicKey.(interface{ Size() int }).Size())
			}
			inter := x509.NewCertPool()
			for _, c := range k.Chain[1:] {
				inter.AddCert(c)
			}
			// crypto/x509 cannot ask for an unknown EKU by itself: the
			// usages were checked above, Any lets the chain through.
			if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
				t.Errorf("chain does not verify: %v", err)
			}
		})
	}
	root, err := os.ReadFile(DevRootPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	k, err := parsePEM(root, mustRead(t, devRootKeyPath(dir)))
	if err != nil {
		t.Fatal(err)
	}
	if s := k.Certificate().Subject; s.CommonName != "vanban DEVELOPMENT root — NOT FOR PRODUCTION" || !slices.Equal(s.Organization, []string{"vanban development"}) {
		t.Errorf("root subject %v", s)
	}
	if st, _ := os.Stat(devRootKeyPath(dir)); st.Mode().Perm() != 0o600 {
		t.Errorf("root key mode %v", st.Mode().Perm())
	}
}

func TestGenerateDevPKIKeepsFiles(t *testing.T) {
	dir := t.TempDir()
	if err := GenerateDevPKI(dir, devTestOrg, devTestPeople[:1]); err != nil {
		t.Fatal(err)
	}
	before := readTree(t, dir)
	more := append(slices.Clone(devTestPeople[:1]), DevPerson{Username: "vanthu.sgd", FullName: "Phạm Thị Thu Hà", Title: "Văn thư"})
	if err := GenerateDevPKI(dir, devTestOrg, more); err != nil {
		t.Fatal(err)
	}
	after := readTree(t, dir)
	for name, b := range before {
		if !bytes.Equal(after[name], b) {
			t.Errorf("%s changed", name)
		}
	}
	if len(after) != len(before)+1 {
		t.Errorf("%d files, want %d", len(after), len(before)+1)
	}
	if _, err := LoadFile(DevPersonPath(dir, "vanthu.sgd"), ""); err != nil {
		t.Errorf("the added person: %v", err)
	}

	// A lost root makes a new one, and the old certificates are reissued.
	if err := os.Remove(DevRootPath(dir)); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(devRootKeyPath(dir)); err != nil {
		t.Fatal(err)
	}
	if err := GenerateDevPKI(dir, devTestOrg, more); err != nil {
		t.Fatal(err)
	}
	roots, err := LoadDevRoots(dir)
	if err != nil {
		t.Fatal(err)
	}
	k, err := LoadFile(DevPersonPath(dir, "giamdoc.sgd"), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Certificate().Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Errorf("after a new root: %v", err)
	}
}

func TestGenerateDevPKIRefusesBadNames(t *testing.T) {
	for _, tc := range []struct {
		name   string
		org    DevOrg
		people []DevPerson
	}{
		{"path in username", devTestOrg, []DevPerson{{Username: "../etc/passwd", FullName: "X"}}},
		{"dot username", devTestOrg, []DevPerson{{Username: ".hidden", FullName: "X"}}},
		{"empty name", devTestOrg, []DevPerson{{Username: "x"}}},
		{"slash in code", DevOrg{Code: "a/b", Name: "X"}, nil},
		{"empty org", DevOrg{Code: "abc"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := GenerateDevPKI(t.TempDir(), tc.org, tc.people); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		out[path] = mustRead(t, path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
