package signing

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/fonts"
	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/unicode/norm"
)

// Appearances are drawn here as PNG with a Unicode font because the PDF
// library's own text path writes WinAnsi and breaks Vietnamese.

// AppearanceDPI is the resolution appearance images are rendered at.
const AppearanceDPI = 300

const (
	maxImageBytes  = 2 << 20
	maxImageSide   = 3000
	minTransparent = 0.20  // share of fully transparent pixels a signature or seal must have
	minInk         = 0.001 // share of visible pixels

	// Decree 30: position (upper case) and name, Times New Roman 13-14 pt, upright, bold.
	personTextPt = 13
	// The box the handwritten signature is fitted into.
	signatureBoxWmm, signatureBoxHmm = 50, 20
	// A seal image whose size cannot be read is taken to be this wide.
	defaultSealMM    = 36
	sealTextPt       = 8
	attachmentTextPt = 10
	paddingPt        = 2
)

var (
	serifRegularTTF = fonts.Regular
	serifBoldTTF    = fonts.Bold

	signatureBlue = color.NRGBA{R: 0x0a, G: 0x2a, B: 0xa8, A: 0xff}
	sealRed       = color.NRGBA{R: 0xd0, G: 0x10, B: 0x1c, A: 0xff}
)

type fontSet struct{ regular, bold *opentype.Font }

var loadFonts = sync.OnceValues(func() (fontSet, error) {
	r, err := opentype.Parse(serifRegularTTF)
	if err != nil {
		return fontSet{}, fmt.Errorf("signing: unable to parse the embedded font: %v", err)
	}
	b, err := opentype.Parse(serifBoldTTF)
	if err != nil {
		return fontSet{}, fmt.Errorf("signing: unable to parse the embedded font: %v", err)
	}
	return fontSet{regular: r, bold: b}, nil
})

// Rect is a rectangle in PDF points, X and Y from the lower-left corner.
type Rect struct{ X, Y, W, H float64 }

// OrgAppearance is the organisation's rendered appearance and where it
// goes: OffsetX and OffsetY (points, PDF axes) move its lower-left corner
// from the person appearance's lower-left corner.
type OrgAppearance struct {
	PNG []byte
	// Image is what PNG encodes; IssuedSealImage leaves PNG empty and
	// signing takes Image as it is (Appearance.Image).
	Image            *image.RGBA
	Width, Height    float64
	OffsetX, OffsetY float64
}

// ImageError says why a signature or seal image was refused; Message is
// for the user, in Vietnamese.
type ImageError struct {
	Reason  string
	Message string
}

// Error gives the reason in English.
func (e *ImageError) Error() string { return ErrBadImage.Error() + ": " + e.Reason }

// Unwrap makes errors.Is(err, ErrBadImage) hold.
func (e *ImageError) Unwrap() error { return ErrBadImage }

func badImage(reason, message string) error { return &ImageError{Reason: reason, Message: message} }

// CheckSignatureImage accepts a PNG of at most 2 MiB and 3000x3000 pixels
// with a transparent background: a handwritten signature or a seal.
func CheckSignatureImage(b []byte) error {
	_, err := decodeSignatureImage(b)
	return err
}

func decodeSignatureImage(b []byte) (image.Image, error) {
	const pngMagic = "\x89PNG\r\n\x1a\n"
	switch {
	case len(b) == 0:
		return nil, badImage("the file is empty", "Tệp ảnh rỗng.")
	case len(b) > maxImageBytes:
		return nil, badImage(fmt.Sprintf("the file is %d bytes, more than 2 MiB", len(b)),
			"Ảnh quá lớn: tối đa 2 MB.")
	case bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}):
		return nil, badImage("a JPEG has no transparency: a PNG with a transparent background is needed",
			"Ảnh JPEG không có nền trong suốt: hãy dùng ảnh PNG nền trong suốt.")
	case !bytes.HasPrefix(b, []byte(pngMagic)):
		return nil, badImage("not a PNG file", "Ảnh phải ở định dạng PNG nền trong suốt.")
	}
	// The header first: a small file can claim a huge image.
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, badImage("the PNG is damaged: "+err.Error(), "Tệp PNG bị hỏng, không đọc được.")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxImageSide || cfg.Height > maxImageSide {
		return nil, badImage(fmt.Sprintf("the image is %dx%d pixels, more than %dx%d", cfg.Width, cfg.Height, maxImageSide, maxImageSide),
			fmt.Sprintf("Ảnh quá lớn: tối đa %d × %d điểm ảnh.", maxImageSide, maxImageSide))
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, badImage("the PNG is damaged: "+err.Error(), "Tệp PNG bị hỏng, không đọc được.")
	}
	clear, ink := alphaShares(img)
	switch {
	case clear < minTransparent:
		return nil, badImage(fmt.Sprintf("the background is not transparent (%.0f%% of the pixels are, at least %.0f%% must be)", clear*100, minTransparent*100),
			"Ảnh phải có nền trong suốt: không dùng ảnh chữ ký hoặc con dấu trên nền trắng.")
	case ink < minInk:
		return nil, badImage("the image is blank", "Ảnh trong suốt hoàn toàn, không thấy chữ ký hoặc con dấu.")
	}
	return img, nil
}

// trim cuts the transparent margins off, so the ink is what gets sized,
// centred and overlapped.
func trim(img image.Image) image.Image {
	b := img.Bounds()
	box := image.Rectangle{Min: b.Max, Max: b.Min}
	alpha := func(x, y int) uint32 { _, _, _, a := img.At(x, y).RGBA(); return a }
	if m, ok := img.(*image.NRGBA); ok {
		alpha = func(x, y int) uint32 { return uint32(m.Pix[m.PixOffset(x, y)+3]) * 0x101 }
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if alpha(x, y) >= 0x1000 {
				box.Min.X, box.Min.Y = min(box.Min.X, x), min(box.Min.Y, y)
				box.Max.X, box.Max.Y = max(box.Max.X, x+1), max(box.Max.Y, y+1)
			}
		}
	}
	sub, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	})
	if box.Empty() || !ok {
		return img
	}
	return sub.SubImage(box)
}

// alphaShares returns the shares of fully transparent and of mostly
// opaque pixels.
func alphaShares(img image.Image) (clear, ink float64) {
	r := img.Bounds()
	var nClear, nInk int
	count := func(a uint8) {
		if a < 0x10 {
			nClear++
		} else if a >= 0x80 {
			nInk++
		}
	}
	switch m := img.(type) {
	case *image.NRGBA:
		for y := r.Min.Y; y < r.Max.Y; y++ {
			row := m.Pix[m.PixOffset(r.Min.X, y):m.PixOffset(r.Max.X, y)]
			for i := 3; i < len(row); i += 4 {
				count(row[i])
			}
		}
	case *image.Paletted:
		alpha := make([]uint8, len(m.Palette))
		for i, c := range m.Palette {
			_, _, _, a := c.RGBA()
			alpha[i] = uint8(a >> 8)
		}
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for _, ix := range m.Pix[m.PixOffset(r.Min.X, y):m.PixOffset(r.Max.X, y)] {
				if int(ix) < len(alpha) {
					count(alpha[ix])
				}
			}
		}
	default:
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				_, _, _, a := img.At(x, y).RGBA()
				count(uint8(a >> 8))
			}
		}
	}
	n := float64(r.Dx() * r.Dy())
	return float64(nClear) / n, float64(nInk) / n
}

// PersonAppearance renders the competent person's appearance as Decree 30
// lays it out: the position in upper case, the handwritten signature
// (blue, transparent PNG) centred below it, then the name, in bold on a
// transparent background at AppearanceDPI. A position may hold several
// lines ("KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC"). widthPt and heightPt are its
// natural size in PDF points.
func PersonAppearance(signatureImage []byte, position, name string) (png []byte, widthPt, heightPt float64, err error) {
	l, err := layoutPerson(signatureImage, position, name)
	if err != nil {
		return nil, 0, 0, err
	}
	img := image.NewRGBA(image.Rect(0, 0, l.w, l.h))
	draw.CatmullRom.Scale(img, l.sig, l.sigImg, l.sigImg.Bounds(), draw.Over, nil)
	drawLines(img, l.lines, color.Black)
	out, err := encodePNG(img)
	if err != nil {
		return nil, 0, 0, err
	}
	return out, pxToPt(l.w), pxToPt(l.h), nil
}

// PersonSignatureRect returns where PersonAppearance, given the same
// arguments, puts the handwritten signature: points from the appearance's
// lower-left corner. SealAppearance takes it to place the seal.
func PersonSignatureRect(signatureImage []byte, position, name string) (Rect, error) {
	l, err := layoutPerson(signatureImage, position, name)
	if err != nil {
		return Rect{}, err
	}
	return pxRect(l.sig, l.h), nil
}

type personLayout struct {
	w, h   int
	sig    image.Rectangle
	sigImg image.Image
	lines  []placedLine
}

func layoutPerson(signatureImage []byte, position, name string) (personLayout, error) {
	sigImg, err := decodeSignatureImage(signatureImage)
	if err != nil {
		return personLayout{}, err
	}
	sigImg = trim(sigImg)
	fonts, err := loadFonts()
	if err != nil {
		return personLayout{}, err
	}
	position, name = strings.TrimSpace(norm.NFC.String(position)), strings.TrimSpace(norm.NFC.String(name))
	if position == "" || name == "" {
		return personLayout{}, errors.New("signing: unable to render the appearance: empty position or name")
	}
	var top []textLine
	for _, s := range strings.Split(position, "\n") {
		if s = strings.TrimSpace(s); s != "" {
			top = append(top, textLine{s: strings.ToUpper(s), font: fonts.bold, pt: personTextPt})
		}
	}
	bottom := []textLine{{s: name, font: fonts.bold, pt: personTextPt}}
	topM, err := measureLines(top)
	if err != nil {
		return personLayout{}, err
	}
	bottomM, err := measureLines(bottom)
	if err != nil {
		return personLayout{}, err
	}
	pad := ptToPx(paddingPt)
	boxW, boxH := mmToPx(signatureBoxWmm), mmToPx(signatureBoxHmm)
	w := max(topM.w, bottomM.w, boxW) + 2*pad
	h := pad + topM.h + pad + boxH + pad + bottomM.h + pad

	boxTop := pad + topM.h + pad
	sb := sigImg.Bounds()
	scale := math.Min(float64(boxW)/float64(sb.Dx()), float64(boxH)/float64(sb.Dy()))
	sw, sh := max(1, int(math.Round(float64(sb.Dx())*scale))), max(1, int(math.Round(float64(sb.Dy())*scale)))
	sx, sy := (w-sw)/2, boxTop+(boxH-sh)/2

	lines := placeLines(topM, w, pad, alignCentre)
	lines = append(lines, placeLines(bottomM, w, boxTop+boxH+pad, alignCentre)...)
	return personLayout{w: w, h: h, sig: image.Rect(sx, sy, sx+sw, sy+sh), sigImg: sigImg, lines: lines}, nil
}

// SealAppearance renders the organisation's signature: the red seal at its
// actual size (from the PNG's pHYs resolution when that gives 20-60 mm,
// else 36 mm across) with the organisation's name and the signing time
// beneath it. personSig is where the person's handwritten signature lies
// (PersonSignatureRect); the offsets put the seal over its left third,
// as Decree 30 asks.
func SealAppearance(sealImage []byte, orgName string, at time.Time, personSig Rect) (OrgAppearance, error) {
	return sealAppearance(sealImage, orgName, nil, at, personSig)
}

// sealAppearance is SealAppearance with extra lines between the
// organisation's name and the time.
func sealAppearance(sealImage []byte, orgName string, extra []string, at time.Time, personSig Rect) (OrgAppearance, error) {
	oa, err := drawSeal(sealImage, orgName, extra, at, personSig)
	if err != nil {
		return oa, err
	}
	if oa.PNG, err = encodePNG(oa.Image); err != nil {
		return OrgAppearance{}, err
	}
	return oa, nil
}

// drawSeal draws the seal's appearance into OrgAppearance.Image, without
// a PNG: the seal at its size comes from sealImages, so what is drawn at
// each signature is the copy of it and the text.
func drawSeal(sealImage []byte, orgName string, extra []string, at time.Time, personSig Rect) (OrgAppearance, error) {
	seal, err := scaledSeal(sealImage)
	if err != nil {
		return OrgAppearance{}, err
	}
	fonts, err := loadFonts()
	if err != nil {
		return OrgAppearance{}, err
	}
	orgName = strings.TrimSpace(norm.NFC.String(orgName))
	if orgName == "" {
		return OrgAppearance{}, errors.New("signing: unable to render the appearance: empty organisation name")
	}
	lines := []textLine{{s: orgName, font: fonts.regular, pt: sealTextPt}}
	for _, e := range extra {
		lines = append(lines, textLine{s: strings.TrimSpace(norm.NFC.String(e)), font: fonts.regular, pt: sealTextPt})
	}
	lines = append(lines, textLine{s: domain.FormatSigningTime(at), font: fonts.regular, pt: sealTextPt})
	text, err := measureLines(lines)
	if err != nil {
		return OrgAppearance{}, err
	}
	sw, sh := seal.Bounds().Dx(), seal.Bounds().Dy()
	pad := ptToPx(paddingPt)
	w := max(sw, text.w) + 2*pad
	h := pad + sh + pad + text.h + pad
	sealRect := image.Rect((w-sw)/2, pad, (w-sw)/2+sw, pad+sh)

	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, sealRect, seal, image.Point{}, draw.Src)
	drawLines(img, placeLines(text, w, pad+sh+pad, alignCentre), color.Black)
	// The seal's right edge at one third of the signature, centred on it
	// vertically.
	inApp := pxRect(sealRect, h)
	wantX := personSig.X + personSig.W/3 - inApp.W
	wantY := personSig.Y + personSig.H/2 - inApp.H/2
	return OrgAppearance{
		Image:   img,
		Width:   pxToPt(w),
		Height:  pxToPt(h),
		OffsetX: wantX - inApp.X,
		OffsetY: wantY - inApp.Y,
	}, nil
}

// sealImages keeps each organisation's seal decoded, trimmed and scaled to
// its physical size (keyed by the PNG's SHA-256): a few units' seals, each
// under a megabyte at 300 dpi.
var sealImages = struct {
	sync.Mutex
	m map[[32]byte]*image.RGBA
}{m: map[[32]byte]*image.RGBA{}}

const maxSealImages = 32

// scaledSeal returns the seal image at its size, checked, trimmed and
// scaled on first use.
func scaledSeal(sealImage []byte) (*image.RGBA, error) {
	key := sha256.Sum256(sealImage)
	sealImages.Lock()
	img := sealImages.m[key]
	sealImages.Unlock()
	if img != nil {
		return img, nil
	}
	seal, err := decodeSignatureImage(sealImage)
	if err != nil {
		return nil, err
	}
	seal = trim(seal)
	sb := seal.Bounds()
	sw := mmToPx(sealWidthMM(sealImage, sb.Dx()))
	sh := max(1, int(math.Round(float64(sw)*float64(sb.Dy())/float64(sb.Dx()))))
	img = image.NewRGBA(image.Rect(0, 0, sw, sh))
	draw.CatmullRom.Scale(img, img.Bounds(), seal, sb, draw.Over, nil)
	sealImages.Lock()
	if len(sealImages.m) >= maxSealImages {
		clear(sealImages.m) // rare: more seals than units that register
	}
	sealImages.m[key] = img
	sealImages.Unlock()
	return img, nil
}

// sealWidthMM reads the physical width from the pHYs chunk; many editors
// write 72 dpi by default, so an implausible seal size is ignored.
func sealWidthMM(b []byte, widthPx int) float64 {
	ppm, ok := pngPixelsPerMetre(b)
	if !ok {
		return defaultSealMM
	}
	mm := float64(widthPx) / float64(ppm) * 1000
	if mm < 20 || mm > 60 {
		return defaultSealMM
	}
	return mm
}

func pngPixelsPerMetre(b []byte) (uint32, bool) {
	for p := 8; p+12 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[p:]))
		typ := string(b[p+4 : p+8])
		if n < 0 || p+12+n > len(b) || typ == "IDAT" {
			return 0, false
		}
		if typ == "pHYs" && n == 9 {
			d := b[p+8:]
			x, y, unit := binary.BigEndian.Uint32(d), binary.BigEndian.Uint32(d[4:]), d[8]
			return x, unit == 1 && x == y && x > 0
		}
		p += 12 + n
	}
	return 0, false
}

// AttachmentMark renders the organisation's signature as text for the top
// right of page 1 of an attachment or copy: the number and symbol (or the
// copy type), the organisation and the signing time, Liberation Serif
// (metric-compatible with Times New Roman) 10 pt, upright, black,
// right-aligned.
func AttachmentMark(numberSymbol, orgName string, at time.Time) (png []byte, widthPt, heightPt float64, err error) {
	fonts, err := loadFonts()
	if err != nil {
		return nil, 0, 0, err
	}
	numberSymbol, orgName = strings.TrimSpace(norm.NFC.String(numberSymbol)), strings.TrimSpace(norm.NFC.String(orgName))
	if numberSymbol == "" || orgName == "" {
		return nil, 0, 0, errors.New("signing: unable to render the attachment mark: empty number or organisation")
	}
	m, err := measureLines([]textLine{
		{s: numberSymbol, font: fonts.regular, pt: attachmentTextPt},
		{s: orgName, font: fonts.regular, pt: attachmentTextPt},
		{s: domain.FormatSigningTime(at), font: fonts.regular, pt: attachmentTextPt},
	})
	if err != nil {
		return nil, 0, 0, err
	}
	pad := ptToPx(1)
	w, h := m.w+2*pad, m.h+2*pad
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	drawLines(img, placeLines(m, w-pad, pad, alignRight), color.Black)
	out, err := encodePNG(img)
	if err != nil {
		return nil, 0, 0, err
	}
	return out, pxToPt(w), pxToPt(h), nil
}

// Text.

type textLine struct {
	s    string
	font *opentype.Font
	pt   float64
}

type measuredLine struct {
	textLine
	face       font.Face
	lead, w    int // pixels before the origin; width with the ink
	above, dsc int // pixels above and below the baseline
}

type measuredBlock struct {
	lines []measuredLine
	w, h  int
}

func measureLines(lines []textLine) (measuredBlock, error) {
	var m measuredBlock
	for _, l := range lines {
		face, err := opentype.NewFace(l.font, &opentype.FaceOptions{Size: l.pt, DPI: AppearanceDPI, Hinting: font.HintingNone})
		if err != nil {
			return measuredBlock{}, fmt.Errorf("signing: unable to load the font: %v", err)
		}
		met := face.Metrics()
		bounds, adv := font.BoundString(face, l.s)
		// Stacked Vietnamese diacritics (Ấ, Ở) can rise above the ascent.
		above := max(met.Ascent.Ceil(), (-bounds.Min.Y).Ceil())
		below := max(met.Descent.Ceil(), bounds.Max.Y.Ceil())
		// Ink may overhang the advance at either end.
		lead := max(0, (-bounds.Min.X).Ceil())
		ml := measuredLine{textLine: l, face: face, lead: lead, w: lead + max(adv, bounds.Max.X).Ceil(), above: above, dsc: below}
		m.lines = append(m.lines, ml)
		m.w = max(m.w, ml.w)
		m.h += above + below
	}
	return m, nil
}

type align int

const (
	alignCentre align = iota
	alignRight
)

type placedLine struct {
	measuredLine
	dot fixed.Point26_6
}

// placeLines puts the block's first line at top; x is the width to centre
// in, or the right edge.
func placeLines(m measuredBlock, x, top int, a align) []placedLine {
	var out []placedLine
	y := top
	for _, l := range m.lines {
		var left int
		switch a {
		case alignCentre:
			left = (x - l.w) / 2
		case alignRight:
			left = x - l.w
		}
		out = append(out, placedLine{measuredLine: l, dot: fixed.P(left+l.lead, y+l.above)})
		y += l.above + l.dsc
	}
	return out
}

func drawLines(dst draw.Image, lines []placedLine, c color.Color) {
	for _, l := range lines {
		d := font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: l.face, Dot: l.dot}
		d.DrawString(l.s)
	}
}

// Units.

func ptToPx(pt float64) int { return int(math.Round(pt * AppearanceDPI / 72)) }
func mmToPx(mm float64) int { return int(math.Round(mm * AppearanceDPI / 25.4)) }
func pxToPt(px int) float64 { return float64(px) * 72 / AppearanceDPI }

// pxRect turns an image rectangle into points from the lower-left corner
// of an image h pixels high.
func pxRect(r image.Rectangle, h int) Rect {
	return Rect{X: pxToPt(r.Min.X), Y: pxToPt(h - r.Max.Y), W: pxToPt(r.Dx()), H: pxToPt(r.Dy())}
}

func encodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.DefaultCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("signing: unable to encode PNG: %v", err)
	}
	return withPHYs(buf.Bytes(), AppearanceDPI), nil
}

// withPHYs records the resolution, so a viewer shows the image at its
// real size.
func withPHYs(b []byte, dpi float64) []byte {
	const ihdrEnd = 8 + 4 + 4 + 13 + 4
	ppm := uint32(math.Round(dpi / 0.0254))
	chunk := make([]byte, 4+4+9+4)
	binary.BigEndian.PutUint32(chunk, 9)
	copy(chunk[4:], "pHYs")
	binary.BigEndian.PutUint32(chunk[8:], ppm)
	binary.BigEndian.PutUint32(chunk[12:], ppm)
	chunk[16] = 1 // metre
	binary.BigEndian.PutUint32(chunk[17:], crc32.ChecksumIEEE(chunk[4:17]))
	out := make([]byte, 0, len(b)+len(chunk))
	out = append(out, b[:ihdrEnd]...)
	out = append(out, chunk...)
	return append(out, b[ihdrEnd:]...)
}
