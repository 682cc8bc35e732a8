package testenv

import (
	"os/exec"
	"strings"
	"testing"
)

// RequireOCR skips the test, or fails it under CI, when poppler's
// pdftotext and pdftoppm or Tesseract with its Vietnamese model are
// missing (scripts/deps.sh installs them).
func RequireOCR(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"pdftotext", "pdftoppm", "tesseract"} {
		if _, err := exec.LookPath(tool); err != nil {
			Missing(t, tool)
		}
	}
	out, _ := exec.Command("tesseract", "--list-langs").CombinedOutput()
	if !strings.Contains(string(out), "\nvie") {
		Missing(t, "tesseract's Vietnamese model (tesseract-ocr-vie)")
	}
}
