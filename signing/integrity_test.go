package signing_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hcm-edu/vanban/signing"
)

// CheckNewestSignature passes a signature just made and refuses one whose
// signed bytes or value were altered, as Verify does.
func TestCheckNewestSignature(t *testing.T) {
	p := testPKI(t)
	out, err := signing.Sign(context.Background(), fixture(t), signing.Options{Key: p.Person, Reason: "Ký ban hành"})
	if err != nil {
		t.Fatal(err)
	}
	ns, err := signing.CheckNewestSignature(out, p.Roots)
	rep := ns.Report
	if err != nil || ns.Older != 0 || !rep.Intact || !rep.Trusted || signing.NewSignatureLevel(rep) != signing.LevelBB {
		t.Fatalf("a new signature: %v %+v", err, rep)
	}
	if !strings.EqualFold(rep.CertificateSerial, p.Person.Certificate().SerialNumber.Text(16)) {
		t.Fatalf("signer %s", rep.CertificateSerial)
	}
	second, err := signing.Sign(context.Background(), out, signing.Options{Key: p.Org, Reason: "Văn thư"})
	if err != nil {
		t.Fatal(err)
	}
	if ns, err := signing.CheckNewestSignature(second, p.Roots); err != nil || ns.Older != 1 || !strings.EqualFold(ns.Report.CertificateSerial, p.Org.Certificate().SerialNumber.Text(16)) {
		t.Fatalf("a second signature: %v %+v", err, ns)
	}
	// A byte of the first page, inside the signed range.
	altered := bytes.Clone(out)
	i := bytes.Index(altered, []byte("/Type /Page"))
	if i < 0 {
		i = 200
	}
	altered[i+1] ^= 0x20
	if _, err := signing.CheckNewestSignature(altered, p.Roots); err == nil {
		t.Fatal("altered signed bytes pass")
	}
	// A byte of the signature value.
	altered = bytes.Clone(out)
	at := bytes.LastIndex(altered, []byte("/Contents <")) + len("/Contents <") + 600
	if altered[at] == '0' {
		altered[at] = '1'
	} else {
		altered[at] = '0'
	}
	if _, err := signing.CheckNewestSignature(altered, p.Roots); err == nil {
		t.Fatal("an altered signature value passes")
	}
	// Bytes appended after the signature: it no longer ends the file.
	if _, err := signing.CheckNewestSignature(append(bytes.Clone(out), "\n% more\n"...), p.Roots); !errors.Is(err, signing.ErrNotIntact) {
		t.Fatalf("appended bytes: %v", err)
	}
	// An unsigned file.
	if _, err := signing.CheckNewestSignature(fixture(t), p.Roots); !errors.Is(err, signing.ErrNotIntact) {
		t.Fatalf("unsigned: %v", err)
	}
}
