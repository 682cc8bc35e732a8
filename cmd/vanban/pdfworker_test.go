package main

import (
	"errors"
	"os"
	"testing"

	"github.com/hcm-edu/vanban/internal/pdfguard"
)

// TestPDFWorker: this binary, like vanban itself, serves as the pdfguard
// worker, so uploads are checked in a child process.
func TestPDFWorker(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	g := pdfguard.New(pdfguard.Options{Workers: 1, Executable: exe})
	defer g.Close()
	info, err := g.Check(t.Context(), "../../testdata/206-KH-SGDDT.pdf")
	if err != nil || info.Pages != 12 {
		t.Fatalf("pages %d, err %v", info.Pages, err)
	}
	bad := t.TempDir() + "/loop.pdf"
	os.WriteFile(bad, []byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 3 0 R >>\nendobj\n3 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\ntrailer\n<< /Root 1 0 R /Size 4 >>\n"), 0o600)
	var ge *pdfguard.Error
	if _, err := g.Check(t.Context(), bad); !errors.As(err, &ge) {
		t.Fatalf("a self-listing page tree: %v, want a refusal", err)
	}
}
