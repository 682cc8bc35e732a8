package documents

import (
	"bytes"
	"image/png"

	"github.com/hcm-edu/vanban/internal/pdfguard"
)

// textLine is a run of text on one baseline, in PDF points.
type textLine struct{ x0, x1, y float64 }

// The signer block itself is found by pdfguard.FindSignerBlock, in a
// worker (guardedSignerBlock).

// signerBlock is pdfguard.FindSignerBlock in this process, for bytes that
// have passed the guard's check already (readLatest): the stamping code
// reads the signer's name from the same lines.
func signerBlock(in []byte) (page int, top, bottom textLine, ok bool) {
	sb := pdfguard.FindSignerBlock(in)
	if !sb.Found {
		return 0, top, bottom, false
	}
	line := func(l pdfguard.TextLine) textLine { return textLine{x0: l.X0, x1: l.X1, y: l.Y} }
	return sb.Page, line(sb.Top), line(sb.Bottom), true
}

// signatureInBlock places the handwritten-signature image, keeping its
// proportions, centred between the position line and the name.
func signatureInBlock(img []byte, top, bottom textLine) ([4]float64, bool) {
	cfg, err := png.DecodeConfig(bytes.NewReader(img))
	if err != nil || cfg.Width == 0 || cfg.Height == 0 {
		return [4]float64{}, false
	}
	const fontGap = 14 // the position line's glyphs rise above its baseline
	h := top.y - bottom.y - fontGap - 6
	w := h * float64(cfg.Width) / float64(cfg.Height)
	if w > 200 {
		w, h = 200, 200*float64(cfg.Height)/float64(cfg.Width)
	}
	cx := (top.x0 + top.x1) / 2
	y := bottom.y + fontGap + (top.y-bottom.y-fontGap-6-h)/2
	return [4]float64{cx - w/2, y, cx + w/2, y + h}, true
}
