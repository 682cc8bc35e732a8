package packet

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/signing/signingtest"
)

// A signed document's signatures become pictures in the packet: no reader
// finds a signature to check (which could only fail), and each page still
// looks as signed as the original.
func TestSignedDocument(t *testing.T) {
	need(t, "qpdf", "pdfsig", "mutool", "pdftotext")
	dir := t.TempDir()
	plan, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	pki := signingtest.NewPKI(t)
	ctx := context.Background()
	signed, err := signing.Sign(ctx, plan, signing.Options{Key: pki.Person, Reason: "Ký duyệt",
		Appearance: &signing.Appearance{Page: 12, Rect: [4]float64{330, 420, 510, 500}, PNG: picture(360, 160, color.NRGBA{B: 0xa8, A: 0xff})}})
	if err != nil {
		t.Fatal(err)
	}
	signed, err = signing.Sign(ctx, signed, signing.Options{Key: pki.Org, Reason: "Đóng dấu",
		Appearance: &signing.Appearance{Page: 12, Rect: [4]float64{290, 400, 390, 500}, PNG: picture(200, 200, color.NRGBA{R: 0xd0, A: 0xff})}})
	if err != nil {
		t.Fatal(err)
	}
	testenv.CheckSignedPDF(t, signed, 2)
	// And an invisible signature on the appendix.
	appendix, err := signing.Sign(ctx, testenv.PDF(20000, 1), signing.Options{Key: pki.Org})
	if err != nil {
		t.Fatal(err)
	}

	items := []Item{{Title: "Kế hoạch", Documents: []Document{memDoc("Kế hoạch 206/KH-SGDĐT (đã ký)", signed), memDoc("Phụ lục (đã ký)", appendix)}}}
	var base bytes.Buffer
	b, err := Build(ctx, &base, dir, testCover, items)
	if err != nil {
		t.Fatal(err)
	}
	tail, err := b.Tail("Nguyễn Thị Thu Hà — Sở GD&ĐT")
	if err != nil {
		t.Fatal(err)
	}
	basePath := write(t, dir, "base.pdf", base.Bytes())
	readerPath := write(t, dir, "reader.pdf", append(append([]byte(nil), base.Bytes()...), tail...))
	for _, p := range []string{basePath, readerPath} {
		run(t, "qpdf", "--check", p)
		out, _ := exec.Command("pdfsig", p).CombinedOutput()
		if strings.Contains(string(out), "Signature #") || !strings.Contains(string(out), "does not contain any signatures") {
			t.Errorf("pdfsig finds signatures in the packet:\n%s", out)
		}
		out, _ = exec.Command("mutool", "sign", p).CombinedOutput()
		if strings.Contains(strings.ToLower(string(out)), "signature") && !strings.Contains(string(out), "No signatures") {
			t.Errorf("mutool finds signatures in the packet:\n%s", out)
		}
	}
	if bytes.Contains(base.Bytes(), []byte("/ByteRange")) && bytes.Contains(base.Bytes(), []byte("/FT /Sig")) {
		t.Error("the packet keeps signature fields")
	}

	// The signed page looks the same in the packet as in the original,
	// and differs from the unsigned page: the signatures are drawn.
	origPath := write(t, dir, "signed.pdf", signed)
	unsigned := render(t, fixture, 12)
	original := render(t, origPath, 12)
	packed := render(t, basePath, 1+12)
	if changed, _ := diff(unsigned, original); changed < 0.01 {
		t.Fatalf("the signatures change %.2f%% of the original's page: the test draws nothing", 100*changed)
	}
	if changed, darkest := diff(original, packed); changed > 0.002 || darkest > 40 {
		t.Errorf("the packet's page differs from the signed original's: %.3f%% of the pixels, by up to %d of 255", 100*changed, darkest)
	}
	if ink(packed) < ink(original)*99/100 {
		t.Errorf("the packet's page has %d dark pixels, the original's %d", ink(packed), ink(original))
	}

	// The cover says where the signed originals are.
	cover := strings.Join(strings.Fields(run(t, "pdftotext", "-f", "1", "-l", "1", basePath, "-")), " ")
	if !strings.Contains(cover, "Bản gốc có chữ ký số của từng tài liệu: tải tại trang cuộc họp, nút “Tải về”") {
		t.Errorf("the cover does not say where the signed originals are:\n%s", cover)
	}
	// The watermark still goes on every page of the reader's copy.
	pages := strings.Split(run(t, "pdftotext", readerPath, "-"), "\f")
	for i := range b.Pages {
		if !strings.Contains(pages[i], "Nguyễn Thị Thu Hà") {
			t.Errorf("page %d of the reader's copy has no watermark", i+1)
		}
	}
}

// picture is a PNG of w×h pixels with a band of c across its middle.
func picture(w, h int, c color.NRGBA) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := h / 3; y < 2*h/3; y++ {
		for x := w / 10; x < 9*w/10; x++ {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// ink counts the pixels darker than light grey.
func ink(img image.Image) int {
	n := 0
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if g, _, _, _ := img.At(x, y).RGBA(); g>>8 < 200 {
				n++
			}
		}
	}
	return n
}

// A document with only an owner password opens without one, as in any
// reader: it goes into the packet, decrypted, with its text.
func TestOwnerPasswordOnly(t *testing.T) {
	need(t, "qpdf", "pdftotext")
	dir := t.TempDir()
	owner := filepath.Join(dir, "owner.pdf")
	run(t, "qpdf", "--encrypt", "", "chủ", "256", "--print=none", "--", fixture, owner)
	owner128 := filepath.Join(dir, "owner128.pdf")
	run(t, "qpdf", "--object-streams=generate", "--encrypt", "", "chủ", "128", "--use-aes=y", "--", fixture, owner128)
	var base bytes.Buffer
	b, err := Build(context.Background(), &base, dir, testCover, []Item{{Title: "Mục", Documents: []Document{
		fileDoc("Kế hoạch (hạn chế quyền)", owner), fileDoc("Kế hoạch (AES-128)", owner128)}}})
	if err != nil {
		t.Fatal(err)
	}
	if b.Pages != 1+12+12 {
		t.Fatalf("%d pages", b.Pages)
	}
	p := write(t, dir, "base.pdf", base.Bytes())
	run(t, "qpdf", "--check", p)
	if out := run(t, "qpdf", "--show-encryption", p); !strings.Contains(out, "File is not encrypted") {
		t.Errorf("the packet is encrypted:\n%s", out)
	}
	want := run(t, "pdftotext", "-f", "12", "-l", "12", fixture, "-")
	for _, page := range []string{"13", "25"} {
		if got := run(t, "pdftotext", "-f", page, "-l", page, p, "-"); got != want {
			t.Errorf("page %s of the packet reads\n%s\nwant\n%s", page, got, want)
		}
	}
}
