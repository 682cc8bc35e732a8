package documents

import (
	"bytes"
	"image/png"
	"sort"

	"github.com/digitorus/pdf"
)

// textLine is a run of text on one baseline, in PDF points.
type textLine struct{ x0, x1, y float64 }

// signerBlock finds the signer block on the last page of a drafted
// document: in the right half of the page, the last two lines of text with a
// gap between them wide enough for a signature, as Decree 30 lays out the
// position line above and the signer's name below. It reads only glyph
// positions, so it works whatever the fonts' encodings.
func signerBlock(in []byte) (page int, top, bottom textLine, ok bool) {
	defer func() {
		if recover() != nil { // the content parser panics on some streams
			ok = false
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		return 0, top, bottom, false
	}
	page = r.NumPage()
	p := r.Page(page)
	if rot := inherited(p.V, "Rotate").Int64(); rot%360 != 0 {
		return 0, top, bottom, false // shown turned: its lines are not these
	}
	box := mediaBox(p.V)
	mid := (box[0] + box[2]) / 2
	// Glyphs by baseline, then split into runs where they are far apart:
	// the recipients list on the left may share a baseline with the block.
	byY := map[float64][]pdf.Text{}
	for _, t := range p.Content().Text {
		byY[t.Y] = append(byY[t.Y], t)
	}
	var lines []textLine
	for y, ts := range byY {
		sort.Slice(ts, func(i, j int) bool { return ts[i].X < ts[j].X })
		run := textLine{x0: ts[0].X, x1: ts[0].X + ts[0].W, y: y}
		for _, t := range ts[1:] {
			if t.X-run.x1 > 20 {
				if run.x0 >= mid {
					lines = append(lines, run)
				}
				run = textLine{x0: t.X, y: y}
			}
			run.x1 = t.X + t.W
		}
		if run.x0 >= mid {
			lines = append(lines, run)
		}
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i].y < lines[j].y })
	for i := 0; i+1 < len(lines); i++ {
		gap := lines[i+1].y - lines[i].y
		if gap >= 45 && gap <= 200 {
			return page, lines[i+1], lines[i], true
		}
	}
	return 0, top, bottom, false
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
