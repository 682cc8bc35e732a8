package documents

import (
	"bytes"
	"image/png"
)

// textLine is a run of text on one baseline, in PDF points.
type textLine struct{ x0, x1, y float64 }

// The signer block itself is found by pdfguard.FindSignerBlock, in a
// worker (guardedSignerBlock).

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
