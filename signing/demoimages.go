// Demo images, for development only: a signature scribble and a round
// seal, drawn so that a fresh installation can sign without real images.

package signing

import (
	"hash/fnv"
	"image"
	"math"
	"math/rand/v2"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
	"golang.org/x/text/unicode/norm"
)

// DemoSignatureImage draws a blue scribble on a transparent background,
// the same for the same name: a stand-in for a scanned signature.
func DemoSignatureImage(name string) []byte {
	h := fnv.New64a()
	h.Write([]byte(name))
	rng := rand.New(rand.NewPCG(h.Sum64(), 0x5157))
	const w, ht = 900, 300
	img := image.NewRGBA(image.Rect(0, 0, w, ht))
	z := vector.NewRasterizer(w, ht)
	const pen = 4.5

	// Loops of a prolate cycloid, slanted, read as joined-up handwriting.
	loops := 5 + rng.IntN(3)
	heights := make([]float64, loops)
	for i := range heights {
		heights[i] = 40 + 120*rng.Float64()
	}
	heights[0] = 190 // a capital
	const x0, base, slant = 90.0, 215.0, 0.35
	step := (w - 260.0) / float64(loops)
	var prevX, prevY float64
	for i := 0; i <= loops*60; i++ {
		t := float64(i) / 60
		k := min(int(t), loops-1)
		y := base - heights[k]*(1-math.Cos(2*math.Pi*t))/2
		x := x0 + step*t - 0.22*step*math.Sin(2*math.Pi*t) + slant*(base-y)
		if i > 0 {
			strokeSegment(z, prevX, prevY, x, y, pen)
		}
		prevX, prevY = x, y
	}
	// A flourish back underneath.
	endX, endY := prevX, prevY
	for i := 1; i <= 160; i++ {
		t := float64(i) / 160
		x := endX + 30*math.Sin(math.Pi*t) - t*t*(endX-120)
		y := endY + 10*t + 40*math.Sin(math.Pi*t*0.9)
		strokeSegment(z, prevX, prevY, x, y, pen*0.8)
		prevX, prevY = x, y
	}
	z.Draw(img, img.Bounds(), image.NewUniform(signatureBlue), image.Point{})
	b, err := encodePNG(img)
	if err != nil {
		panic(err)
	}
	return b
}

// strokeSegment adds discs along a segment: overlaps add up to full
// coverage, so a stroke needs no joins.
func strokeSegment(z *vector.Rasterizer, x0, y0, x1, y1, r float64) {
	n := max(1, int(math.Hypot(x1-x0, y1-y0)/1.5))
	for i := 1; i <= n; i++ {
		t := float64(i) / float64(n)
		addCircle(z, x0+(x1-x0)*t, y0+(y1-y0)*t, r, false)
	}
}

// addCircle adds a circle; reverse winds it the other way, to cut a hole.
func addCircle(z *vector.Rasterizer, cx, cy, r float64, reverse bool) {
	n := max(12, int(r*1.5))
	for i := 0; i <= n; i++ {
		a := 2 * math.Pi * float64(i) / float64(n)
		if reverse {
			a = -a
		}
		x, y := float32(cx+r*math.Cos(a)), float32(cy+r*math.Sin(a))
		if i == 0 {
			z.MoveTo(x, y)
		} else {
			z.LineTo(x, y)
		}
	}
	z.ClosePath()
}

// DemoSealImage draws a red round seal, 36 mm across at 300 dpi, with the
// organisation's name around it and DEMO in the middle: development only.
func DemoSealImage(orgName string) []byte {
	const size = 426 // 36 mm at 300 dpi
	const c = size / 2.0
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	red := image.NewUniform(sealRed)
	ring := func(outer, inner float64) {
		z := vector.NewRasterizer(size, size)
		addCircle(z, c, c, outer, false)
		addCircle(z, c, c, inner, true)
		z.Draw(img, img.Bounds(), red, image.Point{})
	}
	ring(212.5, 203.5)
	ring(151, 147)

	fonts, err := loadFonts()
	if err != nil {
		panic(err)
	}
	var buf sfnt.Buffer
	text := []rune(strings.ToUpper(strings.TrimSpace(norm.NFC.String(orgName))))
	const baseline, maxSpan = 161.0, 2 * math.Pi * 300 / 360
	px := 34.0
	advances := func(px float64) ([]sfnt.GlyphIndex, []float64, float64) {
		var idx []sfnt.GlyphIndex
		var adv []float64
		total := 0.0
		for _, r := range text {
			g, _ := fonts.bold.GlyphIndex(&buf, r)
			a, _ := fonts.bold.GlyphAdvance(&buf, g, fixed.Int26_6(px*64), font.HintingNone)
			// Letters are spaced out a little, as on a seal.
			af := float64(a)/64 + px*0.08
			idx, adv = append(idx, g), append(adv, af)
			total += af
		}
		return idx, adv, total
	}
	idx, adv, total := advances(px)
	if total/baseline > maxSpan {
		px *= maxSpan * baseline / total
		idx, adv, total = advances(px)
	}
	// Glyphs do not overlap: one rasterizer takes them all.
	z := vector.NewRasterizer(size, size)
	angle := -total / baseline / 2 // clockwise from the top, centred on it
	for i, g := range idx {
		mid := angle + adv[i]/2/baseline
		addGlyph(z, fonts.bold, &buf, g, px, func(gx, gy float64) (float64, float64) {
			x, y := gx-adv[i]/2, gy-baseline
			return c + x*math.Cos(mid) - y*math.Sin(mid), c + x*math.Sin(mid) + y*math.Cos(mid)
		})
		angle += adv[i] / baseline
	}
	// A star at the bottom, where the name starts and ends.
	for i := 0; i <= 10; i++ {
		r := 16.0
		if i%2 == 1 {
			r = 6.5
		}
		a := -math.Pi/2 + math.Pi*float64(i)/5
		x, y := float32(c+r*math.Cos(a)), float32(c+177+r*math.Sin(a))
		if i == 0 {
			z.MoveTo(x, y)
		} else {
			z.LineTo(x, y)
		}
	}
	z.ClosePath()

	// DEMO across the middle, so nobody mistakes it for a seal.
	const demoPx = 72.0
	var demoW float64
	var demo []sfnt.GlyphIndex
	for _, r := range "DEMO" {
		g, _ := fonts.bold.GlyphIndex(&buf, r)
		a, _ := fonts.bold.GlyphAdvance(&buf, g, fixed.Int26_6(demoPx*64), font.HintingNone)
		demo = append(demo, g)
		demoW += float64(a) / 64
	}
	x := c - demoW/2
	for _, g := range demo {
		left := x
		addGlyph(z, fonts.bold, &buf, g, demoPx, func(gx, gy float64) (float64, float64) {
			return left + gx, c + demoPx*0.35 + gy
		})
		a, _ := fonts.bold.GlyphAdvance(&buf, g, fixed.Int26_6(demoPx*64), font.HintingNone)
		x += float64(a) / 64
	}
	z.Draw(img, img.Bounds(), red, image.Point{})

	b, err := encodePNG(img)
	if err != nil {
		panic(err)
	}
	return b
}

// addGlyph adds a glyph's outline, each point moved by tr.
func addGlyph(z *vector.Rasterizer, f *opentype.Font, buf *sfnt.Buffer, g sfnt.GlyphIndex, px float64, tr func(x, y float64) (float64, float64)) {
	segs, err := f.LoadGlyph(buf, g, fixed.Int26_6(px*64), nil)
	if err != nil {
		return
	}
	pt := func(p fixed.Point26_6) (float32, float32) {
		x, y := tr(float64(p.X)/64, float64(p.Y)/64)
		return float32(x), float32(y)
	}
	for i, s := range segs {
		switch s.Op {
		case sfnt.SegmentOpMoveTo:
			if i > 0 {
				z.ClosePath()
			}
			z.MoveTo(pt(s.Args[0]))
		case sfnt.SegmentOpLineTo:
			z.LineTo(pt(s.Args[0]))
		case sfnt.SegmentOpQuadTo:
			x1, y1 := pt(s.Args[0])
			x2, y2 := pt(s.Args[1])
			z.QuadTo(x1, y1, x2, y2)
		case sfnt.SegmentOpCubeTo:
			x1, y1 := pt(s.Args[0])
			x2, y2 := pt(s.Args[1])
			x3, y3 := pt(s.Args[2])
			z.CubeTo(x1, y1, x2, y2, x3, y3)
		}
	}
	z.ClosePath()
}
