package signing_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/signing"
)

// A visible signature drawn from the cache looks as pdfsign's own builder
// draws the same PNG, first (encoded) and second (from the cache) alike,
// and both files pass pdfsig, mutool and qpdf.
func TestSignVisibleRendersAsPdfsign(t *testing.T) {
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		testenv.Missing(t, "pdftoppm")
	}
	k := testPKI(t).Person
	in := benchPDF(64 << 10)
	app := benchAppearance(t)
	lib := *app
	lib.Page = benchPages(len(in))
	want, err := librarySignWith(in, k, &lib)
	if err != nil {
		t.Fatal(err)
	}
	o := signing.Options{Key: k, Name: benchName, Reason: "Phê duyệt", Location: "Thành phố Hồ Chí Minh", Appearance: app}
	once, err := signing.Sign(context.Background(), in, o)
	if err != nil {
		t.Fatal(err)
	}
	twice, err := signing.Sign(context.Background(), once, o)
	if err != nil {
		t.Fatal(err)
	}
	testenv.CheckSignedPDF(t, once, 1)
	testenv.CheckSignedPDF(t, twice, 2)
	wantTwice, err := librarySignWith(want, k, &lib)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string][2][]byte{"once": {want, once}, "twice": {wantTwice, twice}} {
		differ, total, err := testenv.PixelDifference(renderLastPage(t, c[0], lib.Page), renderLastPage(t, c[1], lib.Page))
		if err != nil {
			t.Fatal(err)
		}
		if differ != 0 {
			t.Errorf("%s: %d of %d pixels differ from pdfsign's rendering", name, differ, total)
		}
	}
}

func renderLastPage(t *testing.T, pdf []byte, page int) []byte {
	t.Helper()
	dir := t.TempDir()
	f := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	p := []string{"-f", itoa(page), "-l", itoa(page), "-r", "100", "-png", "-singlefile", f, filepath.Join(dir, "page")}
	if out, err := exec.Command("pdftoppm", p...).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	png, err := os.ReadFile(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	return png
}

func itoa(n int) string {
	s := ""
	for ; n > 0 || s == ""; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}
