package packet

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"unicode"

	"github.com/hcm-edu/vanban/internal/fonts"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/unicode/norm"
)

// face is Liberation Serif Regular as the watermark draws it: the glyph of
// each character and the advance of each glyph, in 1/1000 em.
type face struct {
	gid       map[rune]uint16
	adv       []int
	ascent    int
	descent   int // negative, below the baseline
	capHeight int
	bbox      [4]int
	sum       string // identifies the font file: a Base made with another cannot take a Tail
}

// bothFaces holds the characters past ASCII that both Regular and Bold
// have, which is what the cover may print.
type bothFaces map[rune]bool

var regular = sync.OnceValues(func() (*face, error) {
	f, err := sfnt.Parse(fonts.Regular)
	if err != nil {
		return nil, fmt.Errorf("packet: unable to parse the embedded font: %v", err)
	}
	var buf sfnt.Buffer
	const em = fixed.Int26_6(1000 << 6) // so that sizes come out in 1/1000 em
	fc := &face{gid: map[rune]uint16{}, adv: make([]int, f.NumGlyphs())}
	for c := rune(0x20); c <= 0xFFFF; c++ {
		if c >= 0xD800 && c <= 0xDFFF {
			continue
		}
		if g, err := f.GlyphIndex(&buf, c); err == nil && g != 0 {
			fc.gid[c] = uint16(g)
		}
	}
	for g := range fc.adv {
		a, err := f.GlyphAdvance(&buf, sfnt.GlyphIndex(g), em, font.HintingNone)
		if err != nil {
			return nil, fmt.Errorf("packet: unable to measure glyph %d: %v", g, err)
		}
		fc.adv[g] = int(a.Round())
	}
	m, err := f.Metrics(&buf, em, font.HintingNone)
	if err != nil {
		return nil, fmt.Errorf("packet: unable to read the font metrics: %v", err)
	}
	fc.ascent, fc.descent, fc.capHeight = m.Ascent.Round(), -m.Descent.Round(), m.CapHeight.Round()
	b, err := f.Bounds(&buf, em, font.HintingNone)
	if err != nil {
		return nil, fmt.Errorf("packet: unable to read the font bounds: %v", err)
	}
	// sfnt's y axis points down; PDF's points up.
	fc.bbox = [4]int{b.Min.X.Floor(), -b.Max.Y.Ceil(), b.Max.X.Ceil(), -b.Min.Y.Floor()}
	h := sha256.Sum256(fonts.Regular)
	fc.sum = hex.EncodeToString(h[:8])
	return fc, nil
})

var coverFaces = sync.OnceValues(func() (bothFaces, error) {
	r, err := regular()
	if err != nil {
		return nil, err
	}
	b, err := sfnt.Parse(fonts.Bold)
	if err != nil {
		return nil, fmt.Errorf("packet: unable to parse the embedded bold font: %v", err)
	}
	var buf sfnt.Buffer
	set := bothFaces{}
	for c := range r.gid {
		if c < 0x80 {
			continue
		}
		if g, err := b.GlyphIndex(&buf, c); err == nil && g != 0 {
			set[c] = true
		}
	}
	return set, nil
})

// clean makes s printable on one line with a font that has the characters
// of has: valid UTF-8 in NFC (the font has the precomposed Vietnamese
// letters, not every combination of combining marks), white space as
// single spaces, no control characters, and "?" for a missing character.
func clean(s string, has func(rune) bool) string {
	s = strings.ToValidUTF8(s, "?")
	s = norm.NFC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, c := range s {
		switch {
		case unicode.IsSpace(c):
			space = true
			continue
		case unicode.IsControl(c) || unicode.Is(unicode.Cf, c):
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		if c < 0x80 || has(c) {
			b.WriteRune(c)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}

// addWatermarkFont puts the whole of Liberation Serif Regular into the
// packet once, as a Type0 font whose character codes are glyph numbers
// (Identity-H, CIDToGIDMap Identity), with a ToUnicode map so that the
// watermark's text can be searched and copied. Every reader's Tail then
// draws with it by reference, which keeps the tails small. It costs about
// 230 KB in the base.
func addWatermarkFont(ctx *model.Context) (*types.IndirectRef, error) {
	fc, err := regular()
	if err != nil {
		return nil, err
	}
	file, err := ctx.NewStreamDictForBuf(fonts.Regular)
	if err != nil {
		return nil, err
	}
	file.InsertInt("Length1", len(fonts.Regular))
	if err := file.Encode(); err != nil {
		return nil, err
	}
	fileRef, err := ctx.IndRefForNewObject(*file)
	if err != nil {
		return nil, err
	}
	desc := types.Dict{
		"Type":        types.Name("FontDescriptor"),
		"FontName":    types.Name("LiberationSerif"),
		"Flags":       types.Integer(34), // serif, non-symbolic
		"FontBBox":    types.NewIntegerArray(fc.bbox[:]...),
		"ItalicAngle": types.Integer(0),
		"Ascent":      types.Integer(fc.ascent),
		"Descent":     types.Integer(fc.descent),
		"CapHeight":   types.Integer(fc.capHeight),
		"StemV":       types.Integer(80),
		"FontFile2":   *fileRef,
	}
	descRef, err := ctx.IndRefForNewObject(desc)
	if err != nil {
		return nil, err
	}
	widths := make(types.Array, len(fc.adv))
	for i, a := range fc.adv {
		widths[i] = types.Integer(a)
	}
	cid := types.Dict{
		"Type":     types.Name("Font"),
		"Subtype":  types.Name("CIDFontType2"),
		"BaseFont": types.Name("LiberationSerif"),
		"CIDSystemInfo": types.Dict{
			"Registry":   types.StringLiteral("Adobe"),
			"Ordering":   types.StringLiteral("Identity"),
			"Supplement": types.Integer(0),
		},
		"FontDescriptor": *descRef,
		"W":              types.Array{types.Integer(0), widths},
		"CIDToGIDMap":    types.Name("Identity"),
	}
	cidRef, err := ctx.IndRefForNewObject(cid)
	if err != nil {
		return nil, err
	}
	cmap, err := ctx.NewStreamDictForBuf([]byte(toUnicode(fc)))
	if err != nil {
		return nil, err
	}
	if err := cmap.Encode(); err != nil {
		return nil, err
	}
	cmapRef, err := ctx.IndRefForNewObject(*cmap)
	if err != nil {
		return nil, err
	}
	return ctx.IndRefForNewObject(types.Dict{
		"Type":            types.Name("Font"),
		"Subtype":         types.Name("Type0"),
		"BaseFont":        types.Name("LiberationSerif"),
		"Encoding":        types.Name("Identity-H"),
		"DescendantFonts": types.Array{*cidRef},
		"ToUnicode":       *cmapRef,
	})
}

// toUnicode maps each glyph back to the lowest character that uses it.
func toUnicode(fc *face) string {
	back := make([]rune, len(fc.adv))
	for c, g := range fc.gid {
		if back[g] == 0 || c < back[g] {
			back[g] = c
		}
	}
	var lines []string
	for g, c := range back {
		if c != 0 {
			lines = append(lines, fmt.Sprintf("<%04X> <%04X>", g, c))
		}
	}
	var b strings.Builder
	b.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n" +
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n" +
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n" +
		"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	for len(lines) > 0 {
		n := min(100, len(lines)) // at most 100 entries a block
		fmt.Fprintf(&b, "%d beginbfchar\n%s\nendbfchar\n", n, strings.Join(lines[:n], "\n"))
		lines = lines[n:]
	}
	b.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	return b.String()
}
