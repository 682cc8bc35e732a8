package documents_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/pdfguard"
	"github.com/hcm-edu/vanban/internal/pdfguard/hostile"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/signing"
)

// TestVerifySpooledAnswersAsVerifyUpload: the verification path of the
// API and of the web form (SpoolVerification, VerifySpooled) answers every
// kind of file as Spool then VerifyUpload do: signed, tampered, unsigned,
// not a PDF, empty, owner password only (signed or not), user password,
// and the whole hostile corpus.
func TestVerifySpooledAnswersAsVerifyUpload(t *testing.T) {
	e := newDemoEnv(t)
	key, release, err := e.docs.OrgKey(e.ctx, "000.00.24.H29")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	fixture, err := os.ReadFile("../testdata/206-KH-SGDDT.pdf")
	if err != nil {
		t.Fatal(err)
	}
	signed, err := signing.Sign(e.ctx, fixture, signing.Options{Key: key, Reason: "Ban hành"})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"signed":      signed,
		"tampered":    append(bytes.Clone(signed), "\n1 0 obj\n(999.999.999 VND)\nendobj\n"...),
		"unsigned":    fixture,
		"generated":   testenv.PDF(5000, 3),
		"not a PDF":   []byte("<html>not a PDF</html>"),
		"empty":       nil,
		"owner only":  qpdfEncrypt(t, ""),
		"owner aes":   qpdfEncrypt(t, "", "--use-aes=y"),
		"user":        qpdfEncrypt(t, "mật khẩu"),
		"truncated":   signed[:len(signed)/2],
		"signed only": nil,
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "signed.pdf"), signed, 0o600)
	if out, err := exec.Command("qpdf", "--encrypt", "", "chủ", "256", "--", filepath.Join(dir, "signed.pdf"), filepath.Join(dir, "enc.pdf")).CombinedOutput(); err != nil {
		t.Fatal(err, string(out))
	}
	files["signed only"], _ = os.ReadFile(filepath.Join(dir, "enc.pdf"))
	for _, c := range hostile.Cases() {
		files["hostile "+c.Name] = c.Make()
	}
	answer := func(rep signing.Report, err error) string {
		var ge *pdfguard.Error
		if errors.As(err, &ge) {
			// its detail may name another object of a cycle from one run to the next
			return "refused: " + ge.Code + ": " + ge.Message
		}
		if err != nil {
			return "error: " + err.Error()
		}
		return fmt.Sprintf("valid %v, %d fields, %d verified, %d signatures: %s / %s", rep.Valid, rep.SignatureFields, rep.SignaturesVerified, len(rep.Signatures), rep.VerdictEN, rep.VerdictVI)
	}
	kinds := func(err error) string {
		var pe *domain.PreconditionError
		var ve *domain.ValidationError
		var ge *pdfguard.Error
		return fmt.Sprint(errors.Is(err, documents.ErrBadPDF), errors.Is(err, documents.ErrNotPDF), errors.Is(err, documents.ErrEncryptedPDF),
			errors.Is(err, documents.ErrTooLarge), errors.As(err, &pe), errors.As(err, &ve), errors.As(err, &ge))
	}
	for name, b := range files {
		t.Run(name, func(t *testing.T) {
			var want string
			up, wantErr := e.docs.Spool(e.ctx, bytes.NewReader(b), "Kế hoạch.pdf")
			if wantErr != nil {
				want = answer(signing.Report{}, wantErr)
			} else {
				var rep signing.Report
				rep, wantErr = e.docs.VerifyUpload(e.ctx, up)
				want = answer(rep, wantErr)
				up.Close()
			}
			var got string
			v, gotErr := e.docs.SpoolVerification(e.ctx, bytes.NewReader(b), "Kế hoạch.pdf")
			if gotErr != nil {
				got = answer(signing.Report{}, gotErr)
			} else {
				var rep signing.Report
				rep, gotErr = e.docs.VerifySpooled(e.ctx, v)
				got = answer(rep, gotErr)
				v.Close()
			}
			if got != want || kinds(gotErr) != kinds(wantErr) {
				t.Errorf("got  %s (%s)\nwant %s (%s)", got, kinds(gotErr), want, kinds(wantErr))
			}
		})
	}
}
