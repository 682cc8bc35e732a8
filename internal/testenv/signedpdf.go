package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// CheckSignedPDF runs poppler's pdfsig, mupdf's mutool and
// qpdf on a signed file: each signature valid, the last covering the whole
// file, and the file structurally sound.
func CheckSignedPDF(t testing.TB, pdf []byte, signatures int) {
	t.Helper()
	for _, tool := range []string{"pdfsig", "mutool", "qpdf"} {
		if _, err := exec.LookPath(tool); err != nil {
			Missing(t, tool)
		}
	}
	f := filepath.Join(t.TempDir(), "signed.pdf")
	os.WriteFile(f, pdf, 0o600)
	out, _ := exec.Command("pdfsig", f).CombinedOutput()
	if n := strings.Count(string(out), "Signature Validation: Signature is Valid."); n != signatures {
		t.Errorf("pdfsig: %d valid signatures, want %d:\n%s", n, signatures, out)
	}
	sections := strings.Split(string(out), "Signature #")
	if last := sections[len(sections)-1]; !strings.Contains(last, "Total document signed") {
		t.Errorf("pdfsig: the last signature does not cover the whole document:\n%s", out)
	}
	// mutool: every signature's digest holds; the last sees no edits since.
	out, err := exec.Command("mutool", "sign", "-v", f).CombinedOutput()
	sigs := strings.Split(string(out), "Verifying signature")[1:]
	if err != nil || len(sigs) != signatures {
		t.Errorf("mutool sign -v: %v, %d signatures, want %d:\n%s", err, len(sigs), signatures, out)
	}
	for i, s := range sigs {
		low := strings.ToLower(s)
		if strings.Contains(low, "not valid") || strings.Contains(low, "digest error") ||
			!(strings.Contains(low, "signature is valid") || strings.Contains(low, "unchanged since signing")) {
			t.Errorf("mutool: signature %d is not valid:\n%s", i+1, s)
		}
		if i == len(sigs)-1 && !strings.Contains(s, "The document is unchanged since signing.") {
			t.Errorf("mutool: edits after the last signature:\n%s", s)
		}
	}
	if out, err := exec.Command("qpdf", "--check", f).CombinedOutput(); err != nil {
		t.Errorf("qpdf --check: %v\n%s", err, out)
	}
}
