package main

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/signing/signingtest"
)

func TestVerifyCommand(t *testing.T) {
	// no database, no configuration
	t.Setenv("DATABASE_URL", "")
	t.Setenv("S3_ENDPOINT", "")
	pki := signingtest.NewPKI(t)
	in, err := os.ReadFile("../../testdata/206-KH-SGDDT.pdf")
	if err != nil {
		t.Fatal(err)
	}
	tsa := &signing.TSA{URL: signingtest.NewTSA(t)}
	signed, err := signing.Sign(context.Background(), in, signing.Options{Key: pki.Person, Reason: "Phê duyệt", TSA: tsa})
	if err != nil {
		t.Fatal(err)
	}
	signed, err = signing.Sign(context.Background(), signed, signing.Options{Key: pki.Org, Reason: "Ban hành", TSA: tsa})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.pdf", signed)
	tampered := write("tampered.pdf", append(append([]byte{}, signed...), "\n1 0 obj\n<< >>\nendobj\n"...))
	unsigned := write("unsigned.pdf", in)
	roots := write("roots.pem", pki.RootPEM())

	cases := []struct {
		name  string
		args  []string
		ok    bool
		wants []string
	}{
		{"good", []string{"verify", "--trust", roots, good}, true,
			[]string{"Kết luận:", "Hợp lệ", "valid: 2 signature(s)", "Nguyễn Văn Lĩnh", "toàn bộ tài liệu / whole document", "đến chữ ký sau / up to a later signature", "PAdES B-T"}},
		{"flags after the file", []string{"verify", good, "--trust", roots}, true, []string{"Hợp lệ"}},
		{"tampered", []string{"verify", "--trust", roots, tampered}, false,
			[]string{"Không hợp lệ", "bytes after %%EOF", "không phải toàn bộ"}},
		{"untrusted without --trust", []string{"verify", good}, false, []string{"không thuộc tổ chức chứng thực được tin cậy", "does not chain to a trusted root"}},
		{"unsigned", []string{"verify", "--trust", roots, unsigned}, false, []string{"Không có chữ ký", "no signature"}},
		{"missing file", []string{"verify", filepath.Join(dir, "nothing.pdf")}, false, nil},
		{"no file", []string{"verify"}, false, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := capture(t, c.args...)
			if (err == nil) != c.ok {
				t.Fatalf("error %v, want ok=%v\n%s", err, c.ok, out)
			}
			for _, w := range c.wants {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}

	t.Run("json", func(t *testing.T) {
		out, err := capture(t, "verify", "--json", "--trust", roots, good)
		if err != nil {
			t.Fatal(err)
		}
		var rep signing.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if !rep.Valid || len(rep.Signatures) != 2 || rep.Signatures[1].Timestamp == nil || !rep.Signatures[1].Timestamp.CertificateValid {
			t.Errorf("%+v", rep)
		}
		out, err = capture(t, "verify", "--json", "--trust", roots, tampered)
		if err == nil {
			t.Fatal("a tampered file passed")
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Valid || !rep.ModifiedAfterLastSignature {
			t.Errorf("%v %+v", err, rep)
		}
	})
}

// `vanban verify` asks the signer's CRL: a revoked signer's signature is
// invalid and the report says when and why; --offline does not ask.
func TestVerifyCommandRevocation(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	ca := signingtest.NewRevocationCA(t)
	revokedAt := time.Now().Add(-time.Hour)
	crl := signingtest.ServeCRL(t, ca.CRL(t, map[int64]time.Time{0x42: revokedAt}, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)))
	in, err := os.ReadFile("../../testdata/206-KH-SGDDT.pdf")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	roots := filepath.Join(dir, "roots.pem")
	if err := os.WriteFile(roots, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		serial int64
		args   []string
		ok     bool
		want   string
	}{
		{0x42, nil, false, "đã bị thu hồi lúc"},
		{0x43, nil, true, "còn hiệu lực (chưa bị thu hồi) / good [crl]"},
		{0x42, []string{"--offline"}, true, "chưa kiểm tra / unknown"},
	} {
		signed, err := signing.Sign(context.Background(), in, signing.Options{Key: ca.Issue(t, c.serial, signingtest.PersonName, "", crl.URL)})
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, fmt.Sprintf("%x.pdf", c.serial))
		if err := os.WriteFile(file, signed, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := capture(t, append([]string{"verify", "--trust", roots, file}, c.args...)...)
		if (err == nil) != c.ok || !strings.Contains(out, c.want) {
			t.Errorf("serial %x %v: error %v, want ok=%v and %q:\n%s", c.serial, c.args, err, c.ok, c.want, out)
		}
	}
}

// `vanban verify --offline --at` five years later: a B-LTA document stands
// from what it carries, a B-B one does not (its certificate has expired
// and nothing proves when it signed).
func TestVerifyCommandAtLater(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	ca := signingtest.NewRevocationCA(t)
	ocspURL := ca.StartOCSP(t, []signingtest.OCSPEntry{{Serial: 0x51, CN: "ltv"}})
	key := ca.Issue(t, 0x51, signingtest.PersonName, ocspURL, "")
	tsa := &signing.TSA{URL: signingtest.NewTSA(t)}
	in, err := os.ReadFile("../../testdata/206-KH-SGDDT.pdf")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	bb, err := signing.Sign(ctx, in, signing.Options{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	bt, err := signing.Sign(ctx, in, signing.Options{Key: key, TSA: tsa})
	if err != nil {
		t.Fatal(err)
	}
	blt, err := signing.AddValidationData(ctx, bt, signing.ValidationDataOptions{Roots: ca.Roots})
	if err != nil {
		t.Fatal(err)
	}
	blta, err := signing.AddDocumentTimestamp(ctx, blt, tsa)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	roots := filepath.Join(dir, "roots.pem")
	pemRoots := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: signingtest.TSARoot(t).Raw})...)
	if err := os.WriteFile(roots, pemRoots, 0o644); err != nil {
		t.Fatal(err)
	}
	// the test TSA's certificate lives five years: the day before it ends
	later := time.Now().Add(5*365*24*time.Hour - 48*time.Hour).In(time.UTC).Format("2006-01-02")
	for _, c := range []struct {
		name  string
		b     []byte
		ok    bool
		wants []string
	}{
		{"blta.pdf", blta, true, []string{"Hợp lệ", "B-LTA (lưu trữ dài hạn / long-term archival)", "Có trước / Proven at:", "[embedded]"}},
		{"bb.pdf", bb, false, []string{"Không hợp lệ", "Mức PAdES / Level:", "B-B", "expired"}},
	} {
		file := filepath.Join(dir, c.name)
		if err := os.WriteFile(file, c.b, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := capture(t, "verify", "--offline", "--at", later, "--trust", roots, file)
		if (err == nil) != c.ok {
			t.Errorf("%s: error %v, want ok=%v:\n%s", c.name, err, c.ok, out)
		}
		for _, w := range c.wants {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", c.name, w, out)
			}
		}
	}
	if _, err := capture(t, "verify", "--at", "05/12/2031", filepath.Join(dir, "bb.pdf")); err == nil || !strings.Contains(err.Error(), "YYYY-MM-DD") {
		t.Errorf("a bad --at: %v", err)
	}
}
