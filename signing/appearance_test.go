package signing

import (
	"bytes"
	"errors"
	"flag"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/domain"
	"golang.org/x/image/font/sfnt"
)

var update = flag.Bool("update", false, "rewrite the reference images in testdata/")

const (
	testOrg = "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh"
	// Every precomposed Vietnamese letter with a diacritic.
	vietnameseUpper = "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
)

// Drawing the demo images is slow under -race: once per test binary.
var (
	demoSig  = sync.OnceValue(func() []byte { return DemoSignatureImage("Lê Hoài Nam") })
	demoSeal = sync.OnceValue(func() []byte { return DemoSealImage(testOrg) })
)

var testTime = time.Date(2021, 1, 22, 2, 15, 3, 0, time.UTC) // 09:15:03 in Hồ Chí Minh City

func TestEmbeddedFontsHaveVietnamese(t *testing.T) {
	fonts, err := loadFonts()
	if err != nil {
		t.Fatal(err)
	}
	italic, err := loadItalic()
	if err != nil {
		t.Fatal(err)
	}
	letters := vietnameseUpper + strings.ToLower(vietnameseUpper)
	if n := len([]rune(letters)); n != 134 {
		t.Fatalf("%d letters, want 67 upper and 67 lower case", n)
	}
	for _, tc := range []struct {
		name string
		f    *sfnt.Font
	}{{"regular", fonts.regular}, {"bold", fonts.bold}, {"italic", italic}} {
		t.Run(tc.name, func(t *testing.T) {
			var buf sfnt.Buffer
			for _, r := range letters {
				g, err := tc.f.GlyphIndex(&buf, r)
				if err != nil || g == 0 {
					t.Errorf("no glyph for %q (U+%04X): %v", r, r, err)
				}
			}
		})
	}
}

func TestFormatSigningTime(t *testing.T) {
	if got, want := domain.FormatSigningTime(testTime), "2021-01-22T09:15:03+07:00"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestCheckSignatureImage(t *testing.T) {
	opaque := image.NewNRGBA(image.Rect(0, 0, 200, 100))
	draw.Draw(opaque, opaque.Bounds(), image.White, image.Point{}, draw.Src)
	for x := 20; x < 180; x++ {
		opaque.Set(x, 50, color.NRGBA{B: 0xff, A: 0xff})
	}
	blank := image.NewNRGBA(image.Rect(0, 0, 200, 100))
	gray := image.NewGray(image.Rect(0, 0, 50, 50))

	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, opaque, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		b    []byte
		ok   bool
	}{
		{"demo signature", demoSig(), true},
		{"demo seal", demoSeal(), true},
		{"empty", nil, false},
		{"garbage", []byte("this is not an image at all, just text"), false},
		{"jpeg", jpg.Bytes(), false},
		{"opaque PNG on white", encodeTestPNG(t, opaque), false},
		{"PNG without alpha", encodeTestPNG(t, gray), false},
		{"blank PNG", encodeTestPNG(t, blank), false},
		{"10000x10000 header", bombPNG(10000, 10000), false},
		{"3001x1 header", bombPNG(3001, 1), false},
		{"truncated PNG", demoSig()[:200], false},
		{"over 2 MiB", append(demoSig(), make([]byte, 2<<20)...), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckSignatureImage(tc.b)
			if tc.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrBadImage) {
				t.Fatalf("got %v, want ErrBadImage", err)
			}
			var ie *ImageError
			if !errors.As(err, &ie) || ie.Message == "" {
				t.Fatalf("no message for the user in %v", err)
			}
			t.Logf("%v / %s", err, ie.Message)
		})
	}
}

// bombPNG is a valid PNG signature and IHDR claiming a large image.
func bombPNG(w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	var buf bytes.Buffer
	png.Encode(&buf, img) //nolint:errcheck
	b := buf.Bytes()
	// IHDR data starts at 16; the CRC follows its 13 bytes.
	be := func(p []byte, v uint32) { p[0], p[1], p[2], p[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v) }
	be(b[16:], uint32(w))
	be(b[20:], uint32(h))
	be(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func TestAppearancesAreTransparentPNGs(t *testing.T) {
	sig := demoSig()
	person, pw, ph, err := PersonAppearance(sig, "KT. Giám đốc\nPhó Giám đốc", "Nguyễn Thị Ngọc Ánh")
	if err != nil {
		t.Fatal(err)
	}
	rect, err := PersonSignatureRect(sig, "KT. Giám đốc\nPhó Giám đốc", "Nguyễn Thị Ngọc Ánh")
	if err != nil {
		t.Fatal(err)
	}
	seal, err := SealAppearance(demoSeal(), testOrg, testTime, rect)
	if err != nil {
		t.Fatal(err)
	}
	mark, mw, mh, err := AttachmentMark("125/QĐ-SGDĐT", testOrg, testTime)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		b    []byte
		w, h float64
	}{
		{"person", person, pw, ph},
		{"seal", seal.PNG, seal.Width, seal.Height},
		{"attachment", mark, mw, mh},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, err := png.Decode(bytes.NewReader(tc.b))
			if err != nil {
				t.Fatal(err)
			}
			b := img.Bounds()
			if got := float64(b.Dx()) * 72 / tc.w; math.Abs(got-AppearanceDPI) > 0.01 {
				t.Errorf("%.2f dpi, want %d", got, AppearanceDPI)
			}
			if got := float64(b.Dy()) * 72 / tc.h; math.Abs(got-AppearanceDPI) > 0.01 {
				t.Errorf("%.2f dpi, want %d", got, AppearanceDPI)
			}
			if clear, ink := alphaShares(img); clear < 0.3 || ink == 0 {
				t.Errorf("%.0f%% transparent, %.1f%% ink", clear*100, ink*100)
			}
			if ppm, ok := pngPixelsPerMetre(tc.b); !ok || ppm != 11811 {
				t.Errorf("pHYs %d px/m, %v", ppm, ok)
			}
		})
	}
	if !(rect.X > 0 && rect.Y > 0 && rect.X+rect.W < pw && rect.Y+rect.H < ph) {
		t.Errorf("signature rect %+v outside %gx%g", rect, pw, ph)
	}
}

func TestSealCoversLeftThirdOfSignature(t *testing.T) {
	sig := Rect{X: 40, Y: 30, W: 120, H: 50}
	seal, err := SealAppearance(demoSeal(), testOrg, testTime, sig)
	if err != nil {
		t.Fatal(err)
	}
	// The demo seal is 36 mm across: 102 pt.
	img, err := png.Decode(bytes.NewReader(seal.PNG))
	if err != nil {
		t.Fatal(err)
	}
	// Find the red seal's extent in the appearance.
	b := img.Bounds()
	minX, maxX, minY, maxY := b.Max.X, b.Min.X, b.Max.Y, b.Min.Y
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, _, a := img.At(x, y).RGBA()
			if a > 0x8000 && r > 0x8000 && g < 0x4000 {
				minX, maxX, minY, maxY = min(minX, x), max(maxX, x), min(minY, y), max(maxY, y)
			}
		}
	}
	px := func(v int) float64 { return float64(v) * 72 / AppearanceDPI }
	diameter := px(maxX - minX + 1)
	if math.Abs(diameter-36/25.4*72) > 2 {
		t.Errorf("seal %.1f pt across, want 36 mm = 102 pt", diameter)
	}
	right := seal.OffsetX + px(maxX+1)
	centreY := seal.OffsetY + seal.Height - px(minY+maxY+1)/2
	if want := sig.X + sig.W/3; math.Abs(right-want) > 1.5 {
		t.Errorf("seal's right edge at %.1f pt, want %.1f (a third into the signature)", right, want)
	}
	if want := sig.Y + sig.H/2; math.Abs(centreY-want) > 1.5 {
		t.Errorf("seal centred at %.1f pt, want %.1f", centreY, want)
	}
}

func TestSealWidth(t *testing.T) {
	var buf bytes.Buffer
	png.Encode(&buf, image.NewNRGBA(image.Rect(0, 0, 10, 10))) //nolint:errcheck
	plain := buf.Bytes()
	tests := []struct {
		name    string
		b       []byte
		widthPx int
		want    float64
	}{
		{"no pHYs", plain, 425, defaultSealMM},
		{"300 dpi", withPHYs(plain, 300), 425, 425 / (300 / 25.4)},
		{"600 dpi", withPHYs(plain, 600), 945, 945 / (600 / 25.4)},
		{"72 dpi, implausible", withPHYs(plain, 72), 425, defaultSealMM},
		{"1200 dpi, implausible", withPHYs(plain, 1200), 425, defaultSealMM},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sealWidthMM(tc.b, tc.widthPx); math.Abs(got-tc.want) > 0.05 {
				t.Errorf("%.2f mm, want %.2f", got, tc.want)
			}
		})
	}
}

func TestAppearanceErrors(t *testing.T) {
	sig := demoSig()
	if _, _, _, err := PersonAppearance([]byte("nope"), "Giám đốc", "A"); !errors.Is(err, ErrBadImage) {
		t.Errorf("bad image: %v", err)
	}
	if _, _, _, err := PersonAppearance(sig, " ", "A"); err == nil {
		t.Error("empty position accepted")
	}
	if _, err := SealAppearance(encodeTestPNG(t, image.NewGray(image.Rect(0, 0, 9, 9))), testOrg, testTime, Rect{}); !errors.Is(err, ErrBadImage) {
		t.Errorf("opaque seal: %v", err)
	}
	if _, _, _, err := AttachmentMark("", testOrg, testTime); err == nil {
		t.Error("empty number accepted")
	}
}

// Decomposed input (as some keyboards type it) renders like precomposed.
func TestDecomposedInputIsNormalised(t *testing.T) {
	sig := demoSig()
	a, _, _, err := PersonAppearance(sig, "Giám đốc", "Lê Hoài Nam")
	if err != nil {
		t.Fatal(err)
	}
	b, _, _, err := PersonAppearance(sig, "Gia\u0301m đo\u0302\u0301c", "Le\u0302 Hoa\u0300i Nam")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("NFD input rendered differently from NFC")
	}
}

// The reference images were looked at and accepted by a person; go test
// -run TestGolden -update rewrites them, to be looked at again.
func TestGoldenAppearances(t *testing.T) {
	sig := demoSig()
	person, pw, ph, err := PersonAppearance(sig, "Giám đốc", "Lê Hoài Nam")
	if err != nil {
		t.Fatal(err)
	}
	rect, err := PersonSignatureRect(sig, "Giám đốc", "Lê Hoài Nam")
	if err != nil {
		t.Fatal(err)
	}
	seal, err := SealAppearance(demoSeal(), testOrg, testTime, rect)
	if err != nil {
		t.Fatal(err)
	}
	mark, _, _, err := AttachmentMark("125/QĐ-SGDĐT", testOrg, testTime)
	if err != nil {
		t.Fatal(err)
	}
	letters, _, _, err := PersonAppearance(sig, vietnameseUpper[:len(vietnameseUpper)/2]+"\n"+vietnameseUpper[len(vietnameseUpper)/2:],
		strings.ToLower(vietnameseUpper))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		img  image.Image
	}{
		{"person", decodeTestPNG(t, person)},
		{"seal", decodeTestPNG(t, seal.PNG)},
		{"attachment", decodeTestPNG(t, mark)},
		{"letters", decodeTestPNG(t, letters)},
		{"composite", composite(t, person, pw, ph, seal)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join("testdata", "appearance-"+tc.name+".png")
			if *update {
				if err := os.WriteFile(path, encodeTestPNG(t, tc.img), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it, then look at it)", err)
			}
			compareImages(t, decodeTestPNG(t, b), tc.img)
		})
	}
}

// composite shows the two signatures as a viewer would: the person's, then
// the organisation's over it at its offset, on white paper.
func composite(t *testing.T, person []byte, pw, ph float64, seal OrgAppearance) image.Image {
	pt := func(v float64) int { return int(math.Round(v * AppearanceDPI / 72)) }
	p, s := decodeTestPNG(t, person), decodeTestPNG(t, seal.PNG)
	// Canvas in points: the union of both rectangles, PDF axes.
	minX, minY := math.Min(0, seal.OffsetX), math.Min(0, seal.OffsetY)
	maxX, maxY := math.Max(pw, seal.OffsetX+seal.Width), math.Max(ph, seal.OffsetY+seal.Height)
	w, h := pt(maxX-minX), pt(maxY-minY)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	at := func(x, y, height float64) image.Point { return image.Pt(pt(x-minX), pt(maxY-(y+height))) }
	draw.Draw(img, p.Bounds().Add(at(0, 0, ph)), p, image.Point{}, draw.Over)
	draw.Draw(img, s.Bounds().Add(at(seal.OffsetX, seal.OffsetY, seal.Height)), s, image.Point{}, draw.Over)
	return img
}

// compareImages allows tiny rounding differences only: rendering is
// deterministic, but float rounding may differ on another CPU.
func compareImages(t *testing.T, want, got image.Image) {
	t.Helper()
	if want.Bounds() != got.Bounds() {
		t.Fatalf("size %v, reference %v", got.Bounds(), want.Bounds())
	}
	b := want.Bounds()
	w, g := toNRGBA(want), toNRGBA(got)
	var bad int
	for i := 0; i < len(w.Pix); i += 4 {
		p, q := w.Pix[i:i+4], g.Pix[i:i+4]
		if p[3] == 0 && q[3] == 0 {
			continue
		}
		if diff(p[0], q[0]) > 3 || diff(p[1], q[1]) > 3 || diff(p[2], q[2]) > 3 || diff(p[3], q[3]) > 3 {
			bad++
		}
	}
	if limit := b.Dx() * b.Dy() / 2000; bad > limit {
		t.Errorf("%d pixels differ from the reference (at most %d may); if the change is meant, run with -update and look at the images", bad, limit)
	}
}

func toNRGBA(img image.Image) *image.NRGBA {
	if m, ok := img.(*image.NRGBA); ok && m.Rect.Min == (image.Point{}) {
		return m
	}
	m := image.NewNRGBA(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(m, m.Bounds(), img, img.Bounds().Min, draw.Src)
	return m
}

func diff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

func encodeTestPNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decodeTestPNG(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func BenchmarkPersonAppearance(b *testing.B) {
	sig := demoSig()
	for b.Loop() {
		if _, _, _, err := PersonAppearance(sig, "Giám đốc", "Lê Hoài Nam"); err != nil {
			b.Fatal(err)
		}
	}
}
