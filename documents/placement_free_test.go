package documents

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/signing/signingtest"
)

// The person's appearance never covers text: it honours /Rotate and the
// crop box, finds free space, and without any goes on an added page.
func TestPlacementNeverCoversText(t *testing.T) {
	a, err := appearances.person(signing.DemoSignatureImage("Lê Hoài Nam"), "Giám đốc", "Lê Hoài Nam")
	if err != nil {
		t.Fatal(err)
	}
	text := func(w, h float64) []textAt {
		var ls []textAt
		for y := h - 60; y > h/2; y -= 16 {
			ls = append(ls, textAt{60, y, "Noi dung van ban, dong chu tren nua trang."})
		}
		return ls
	}
	crop := [4]float64{40, 60, 555, 800}
	cases := []struct {
		name string
		page testPage
	}{
		{"portrait", testPage{lines: text(595, 842)}},
		{"rotated 90", testPage{rotate: 90, lines: text(595, 842)}},
		{"rotated 270", testPage{rotate: 270, lines: text(595, 842)}},
		{"landscape", testPage{w: 842, h: 595, lines: text(842, 595)}},
		{"crop box (foreign layout)", testPage{crop: &crop, lines: append(text(595, 842), textAt{60, 90, "Footer inside the crop box, bottom left"}, textAt{380, 75, "right"})}},
		{"full page", testPage{lines: fullPage(595, 842)}},
	}
	pki := signingtest.NewPKI(t)
	dir := os.Getenv("VANBAN_PLACEMENT_RENDER_DIR") // to look at the results
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			in := testPDF(t, testPage{lines: []textAt{{72, 760, "Page one"}}}, tt.page)
			page, rect, img, _, err := placeAppearance(in, SignRequest{}, a)
			if tt.name == "full page" {
				if !errors.Is(err, errNoFreeSpace) {
					t.Fatalf("full page: %v", err)
				}
				more, err := signing.AddBlankPage(in)
				if err != nil {
					t.Fatal(err)
				}
				in = more
				if page, rect, img, _, err = placeAppearance(in, SignRequest{}, a); err != nil || page != 3 {
					t.Fatalf("on the added page: page %d, %v", page, err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if coversText(in, page, rect) {
				t.Errorf("rect %v covers text", rect)
			}
			mb := [4]float64{0, 0, 595, 842}
			if tt.page.w != 0 {
				mb = [4]float64{0, 0, tt.page.w, tt.page.h}
			}
			if tt.page.crop != nil {
				mb = *tt.page.crop
			}
			if rect[0] < mb[0] || rect[1] < mb[1] || rect[2] > mb[2] || rect[3] > mb[3] {
				t.Errorf("rect %v outside the visible page %v", rect, mb)
			}
			if (tt.page.rotate == 90 || tt.page.rotate == 270) != (rect[3]-rect[1] > rect[2]-rect[0]) {
				t.Errorf("rect %v not turned for /Rotate %d", rect, tt.page.rotate)
			}
			out, err := signing.Sign(context.Background(), in, signing.Options{Key: pki.Person, Appearance: &signing.Appearance{Page: page, Rect: rect, PNG: img}})
			if err != nil {
				t.Fatal(err)
			}
			// A place chosen over text is refused.
			over := [4]float64{60, 700, 60 + a.w, 700 + a.h}
			if tt.page.w == 0 && tt.page.rotate == 0 && tt.page.crop == nil {
				if _, _, _, _, err := placeAppearance(in, SignRequest{Page: 2, Rect: &over}, a); err == nil {
					t.Error("a place over text was accepted")
				}
			}
			if dir != "" {
				f := filepath.Join(dir, tt.name+".pdf")
				os.WriteFile(f, out, 0o644)
				exec.Command("pdftoppm", "-f", "2", "-r", "40", "-png", f, filepath.Join(dir, tt.name)).Run()
			}
		})
	}
}

func TestAddBlankPageRefusesSignedDocuments(t *testing.T) {
	pki := signingtest.NewPKI(t)
	out, err := signing.Sign(context.Background(), testPDFWithText(t, "x"), signing.Options{Key: pki.Person})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := signing.AddBlankPage(out); !errors.Is(err, signing.ErrSigned) {
		t.Errorf("signed: %v", err)
	}
}

func TestTurnedAndEmptyPages(t *testing.T) {
	block := []textAt{{380, 300, "GIAM DOC"}, {390, 200, "Le Van A"}}
	if _, _, _, ok := signerBlock(testPDF(t, testPage{lines: block})); !ok {
		t.Error("no signer block on the upright page")
	}
	if _, _, _, ok := signerBlock(testPDF(t, testPage{rotate: 90, lines: block})); ok {
		t.Error("a signer block read on a page shown turned")
	}
	a, err := appearances.person(signing.DemoSignatureImage("Le Van A"), "Giám đốc", "Le Van A")
	if err != nil {
		t.Fatal(err)
	}
	// A page of no size has no room, and an added page of its size none either.
	in := testPDF(t, testPage{w: 0.001, h: 0.001})
	if _, _, _, _, err := placeAppearance(in, SignRequest{}, a); !errors.Is(err, errNoFreeSpace) {
		t.Errorf("0-size page: %v", err)
	}
}

func TestCopyMarkCoversNoText(t *testing.T) {
	mark, w, h, err := signing.AttachmentMark("01/KH-SGDĐT", "Sở Giáo dục và Đào tạo", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]testPage{
		"text to the top":  {lines: append(fullPage(595, 842)[:6], textAt{20, 200, "end"})},
		"rotated 90":       {rotate: 90, lines: []textAt{{500, 800, "Header text at the top right of the user space"}}},
		"empty page":       {},
		"landscape header": {w: 842, h: 595, lines: []textAt{{500, 560, "Header at the top right corner"}}},
	} {
		in := testPDF(t, p)
		page, rect, _, err := copyMarkPlace(in, mark, w, h)
		if err != nil || page != 1 {
			t.Fatalf("%s: page %d, %v", name, page, err)
		}
		if coversText(in, 1, rect) {
			t.Errorf("%s: the copy mark %v covers text", name, rect)
		}
	}
}
