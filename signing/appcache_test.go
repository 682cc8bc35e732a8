package signing_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

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

// A registration's seal is drawn each time (its number and time change)
// and signed as an image, without a PNG round trip: it must sign exactly
// as the PNG of the same appearance does, also when the seal comes from
// the cache.
func TestIssuedSealImageSignsAsItsPNG(t *testing.T) {
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		testenv.Missing(t, "pdftoppm")
	}
	k := testPKI(t).Person
	in := benchPDF(64 << 10)
	page := benchPages(len(in))
	seal := signing.DemoSealImage("Sở Giáo dục và Đào tạo")
	at := time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)
	lines := []string{"Số: 01/KH-SGDĐT"}
	sig := signing.Rect{X: 40, Y: 30, W: 120, H: 50}
	withPNG, err := signing.SealAppearanceIssued(seal, "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh", lines, at, sig)
	if err != nil {
		t.Fatal(err)
	}
	for round := range 2 { // the second draws the seal from the cache
		drawn, err := signing.IssuedSealImage(seal, "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh", lines, at, sig)
		if err != nil {
			t.Fatal(err)
		}
		if drawn.PNG != nil || drawn.Width != withPNG.Width || drawn.Height != withPNG.Height ||
			drawn.OffsetX != withPNG.OffsetX || drawn.OffsetY != withPNG.OffsetY {
			t.Fatalf("round %d: geometry %+v, want that of %+v", round, drawn, withPNG)
		}
		rect := [4]float64{100, 100, 100 + drawn.Width, 100 + drawn.Height}
		o := signing.Options{Key: k, Name: benchName, Appearance: &signing.Appearance{Page: page, Rect: rect, PNG: withPNG.PNG}}
		want, err := signing.Sign(context.Background(), in, o)
		if err != nil {
			t.Fatal(err)
		}
		o.Appearance = &signing.Appearance{Page: page, Rect: rect, Image: drawn.Image}
		got, err := signing.Sign(context.Background(), in, o)
		if err != nil {
			t.Fatal(err)
		}
		testenv.CheckSignedPDF(t, got, 1)
		differ, total, err := testenv.PixelDifference(renderLastPage(t, want, page), renderLastPage(t, got, page))
		if err != nil {
			t.Fatal(err)
		}
		if differ != 0 {
			t.Errorf("round %d: %d of %d pixels differ from the PNG's signature", round, differ, total)
		}
	}
}
