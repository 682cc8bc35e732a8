package packet

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The watermark's look: a large line across each page's diagonal, very
// light, and a small line at the foot of the page, light enough not to
// get in the way but legible on a printout or a photograph.
const (
	diagonalGrey    = 0.35 // fill colour, 0 black .. 1 white
	diagonalOpacity = 0.12
	diagonalMax     = 54.0 // pt
	diagonalMin     = 10.0
	footGrey        = 0.35
	footOpacity     = 0.55
	footPt          = 7.0
	footBaseline    = 12.0 // pt above the bottom edge as the page is shown
	maxRunes        = 200
	// annotFlags: Print (the watermark prints), ReadOnly and Locked (a
	// viewer does not let the reader move or delete it).
	annotFlags = 4 | 64 | 128
)

// ErrNoText is an empty watermark.
var ErrNoText = errors.New("packet: the watermark text is empty")

// Tail returns, for one reader, the incremental update that puts the
// watermark text, e.g. "Nguyễn Thị Thu Hà — Sở GD&ĐT — Họp giao ban
// 26/11/2026", on every page of the base packet b describes. The reader's
// copy is the base packet's bytes followed by the tail.
//
// The update adds to each page a Watermark annotation, printable and
// locked, whose appearance is a Form XObject (one for each page size and
// rotation) that draws the text in the Liberation Serif font embedded in
// the base; the pages are written again with the annotation added to
// their /Annots. The tail has its own cross-reference section whose /Prev
// is the base's.
func (b Base) Tail(text string) ([]byte, error) {
	fc, err := regular()
	if err != nil {
		return nil, err
	}
	if b.FontSum != fc.sum {
		return nil, ErrFont
	}
	if b.Size <= 0 || b.Objects <= 0 || b.Root == "" || b.Font == "" || len(b.PageObjects) == 0 {
		return nil, errors.New("packet: the base packet's description is incomplete")
	}
	text = clean(text, func(r rune) bool { _, ok := fc.gid[r]; return ok })
	if r := []rune(text); len(r) > maxRunes {
		text = string(r[:maxRunes-1]) + "…"
	}
	if strings.TrimSpace(text) == "" {
		return nil, ErrNoText
	}
	var hex strings.Builder
	width := 0 // 1/1000 em
	hex.WriteByte('<')
	for _, c := range text {
		g := fc.gid[c]
		if g == 0 {
			g = fc.gid['?']
		}
		fmt.Fprintf(&hex, "%04X", g)
		width += fc.adv[g]
	}
	hex.WriteByte('>')
	glyphs := hex.String()

	t := tailWriter{base: b.Size, buf: make([]byte, 0, 4096+400*len(b.PageObjects))}
	t.buf = append(t.buf, '\n')
	next := b.Objects
	alloc := func() int { next++; return next - 1 }

	// One appearance for each page size and turn.
	type look struct {
		box    [4]float64
		rotate int
	}
	type form struct {
		obj  int
		rect string
	}
	forms := map[look]form{}
	for _, p := range b.PageObjects {
		k := look{p.Box, p.Rotate}
		if _, ok := forms[k]; ok {
			continue
		}
		f := form{alloc(), rect(p.Box)}
		forms[k] = f
		content := appearance(p.Box, p.Rotate, glyphs, float64(width), fc)
		t.object(f.obj, 0, fmt.Sprintf("<</Type/XObject/Subtype/Form/BBox[%s]"+
			"/Resources<</Font<</F0 %s>>/ExtGState<</G0<</Type/ExtGState/CA %s/ca %s>>/G1<</Type/ExtGState/CA %s/ca %s>>>>>>"+
			"/Length %d>>\nstream\n%s\nendstream",
			f.rect, b.Font, num(diagonalOpacity), num(diagonalOpacity), num(footOpacity), num(footOpacity),
			len(content), content))
	}
	// The annotations, and the pages again with them.
	for _, p := range b.PageObjects {
		if !strings.HasSuffix(p.Dict, ">>") {
			return nil, fmt.Errorf("packet: page object %d: not a dictionary", p.Object)
		}
		f := forms[look{p.Box, p.Rotate}]
		n := alloc()
		t.begin(n, 0)
		t.buf = append(t.buf, "<</Type/Annot/Subtype/Watermark/Rect["...)
		t.buf = append(t.buf, f.rect...)
		t.buf = append(t.buf, "]/F "...)
		t.buf = strconv.AppendInt(t.buf, annotFlags, 10)
		t.buf = append(t.buf, "/P "...)
		t.buf = ref(t.buf, p.Object, p.Generation)
		t.buf = append(t.buf, "/AP<</N "...)
		t.buf = ref(t.buf, f.obj, 0)
		t.buf = append(t.buf, ">>>>"...)
		t.end()

		t.begin(p.Object, p.Generation)
		t.buf = append(t.buf, p.Dict[:len(p.Dict)-2]...)
		t.buf = append(t.buf, "/Annots["...)
		if p.Annots != "" {
			t.buf = append(t.buf, p.Annots...)
			t.buf = append(t.buf, ' ')
		}
		t.buf = ref(t.buf, n, 0)
		t.buf = append(t.buf, "]>>"...)
		t.end()
	}

	// The cross-reference section: the new and the changed objects only.
	xref := t.base + int64(len(t.buf))
	t.buf = append(t.buf, "xref\n"...)
	slices.SortFunc(t.entries, func(a, b entry) int { return a.obj - b.obj })
	for i := 0; i < len(t.entries); {
		j := i + 1
		for j < len(t.entries) && t.entries[j].obj == t.entries[j-1].obj+1 {
			j++
		}
		t.buf = strconv.AppendInt(t.buf, int64(t.entries[i].obj), 10)
		t.buf = append(t.buf, ' ')
		t.buf = strconv.AppendInt(t.buf, int64(j-i), 10)
		t.buf = append(t.buf, '\n')
		for _, e := range t.entries[i:j] {
			t.buf = padded(t.buf, e.offset, 10)
			t.buf = append(t.buf, ' ')
			t.buf = padded(t.buf, int64(e.gen), 5)
			t.buf = append(t.buf, " n \n"...)
		}
		i = j
	}
	sum := sha256.Sum256([]byte(text))
	trailer := fmt.Sprintf("trailer\n<</Size %d/Root %s", next, b.Root)
	if b.Info != "" {
		trailer += "/Info " + b.Info
	}
	if b.ID != "" {
		// The first part names the packet, the second this copy.
		trailer += fmt.Sprintf("/ID[%s<%x>]", b.ID, sum[:16])
	}
	trailer += fmt.Sprintf("/Prev %d>>\nstartxref\n%d\n%%%%EOF\n", b.XRef, xref)
	return append(t.buf, trailer...), nil
}

// ref appends an indirect reference.
func ref(b []byte, obj, gen int) []byte {
	b = strconv.AppendInt(b, int64(obj), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(gen), 10)
	return append(b, " R"...)
}

// padded appends n with leading zeros to width digits.
func padded(b []byte, n int64, width int) []byte {
	var d [20]byte
	s := strconv.AppendInt(d[:0], n, 10)
	for range width - len(s) {
		b = append(b, '0')
	}
	return append(b, s...)
}

type entry struct {
	obj, gen int
	offset   int64
}

type tailWriter struct {
	base    int64 // the base's size: offsets in the tail count from the base's start
	buf     []byte
	entries []entry
}

func (t *tailWriter) begin(n, gen int) {
	t.entries = append(t.entries, entry{n, gen, t.base + int64(len(t.buf))})
	t.buf = strconv.AppendInt(t.buf, int64(n), 10)
	t.buf = append(t.buf, ' ')
	t.buf = strconv.AppendInt(t.buf, int64(gen), 10)
	t.buf = append(t.buf, " obj\n"...)
}

func (t *tailWriter) end() { t.buf = append(t.buf, "\nendobj\n"...) }

func (t *tailWriter) object(n, gen int, body string) {
	t.begin(n, gen)
	t.buf = append(t.buf, body...)
	t.end()
}

// appearance draws the watermark in the box of a page shown turned by
// rotate degrees: the text across the diagonal, and at the foot, both the
// right way up as the page is shown.
func appearance(box [4]float64, rotate int, glyphs string, width float64, fc *face) string {
	x0, y0, x1, y1 := box[0], box[1], box[2], box[3]
	w, h := x1-x0, y1-y0
	// From the page as shown (origin at its bottom left) to user space.
	var m [6]float64
	switch rotate {
	case 90:
		m = [6]float64{0, 1, -1, 0, x1, y0}
		w, h = h, w
	case 180:
		m = [6]float64{-1, 0, 0, -1, x1, y1}
	case 270:
		m = [6]float64{0, -1, 1, 0, x0, y1}
		w, h = h, w
	default:
		m = [6]float64{1, 0, 0, 1, x0, y0}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "q %s cm\n", nums(m[:]...))

	diag := math.Hypot(w, h)
	size := math.Max(diagonalMin, math.Min(diagonalMax, 0.7*diag*1000/width))
	cos, sin := w/diag, h/diag
	half := width * size / 2000
	capH := float64(fc.capHeight) * size / 1000
	px := w/2 - half*cos + capH/2*sin
	py := h/2 - half*sin - capH/2*cos
	fmt.Fprintf(&b, "/G0 gs %s g BT /F0 %s Tf %s Tm %s Tj ET\n",
		num(diagonalGrey), num(size), nums(cos, sin, -sin, cos, px, py), glyphs)

	foot := math.Min(footPt, (w-40)*1000/width)
	if foot >= 3 {
		fw := width * foot / 1000
		fmt.Fprintf(&b, "/G1 gs %s g BT /F0 %s Tf %s Tm %s Tj ET\n",
			num(footGrey), num(foot), nums(1, 0, 0, 1, (w-fw)/2, footBaseline), glyphs)
	}
	b.WriteString("Q")
	return b.String()
}

func rect(b [4]float64) string { return nums(b[:]...) }

func nums(v ...float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = num(x)
	}
	return strings.Join(s, " ")
}

// num writes a number as PDF wants it: no exponent, at most 4 decimals.
func num(x float64) string {
	if math.Abs(x) < 5e-5 {
		return "0"
	}
	return strings.TrimRight(strings.TrimRight(strconv.FormatFloat(x, 'f', 4, 64), "0"), ".")
}
