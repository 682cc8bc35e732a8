package documents

import (
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/digitorus/pdf"
)

// The PDF library decodes a simple font by its /Encoding and reads no
// /ToUnicode stream, which is what gives Vietnamese letters in
// LibreOffice's subset fonts (code 0x14 is "ố"); pageGlyphs reads them.

var (
	cmapChar  = regexp.MustCompile(`(?s)beginbfchar(.*?)endbfchar`)
	cmapRange = regexp.MustCompile(`(?s)beginbfrange(.*?)endbfrange`)
	cmapHex   = regexp.MustCompile(`<([0-9A-Fa-f]*)>|\[[^\]]*\]`)
)

func parseToUnicode(data []byte) map[int]string {
	m := map[int]string{}
	utf := func(h string) string {
		b, err := hex.DecodeString(h)
		if err != nil || len(b)%2 != 0 {
			return ""
		}
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		}
		return string(utf16.Decode(u))
	}
	code := func(h string) (int, bool) {
		n, err := strconv.ParseUint(h, 16, 16)
		return int(n), err == nil
	}
	for _, sec := range cmapChar.FindAllSubmatch(data, -1) {
		toks := cmapHex.FindAllStringSubmatch(string(sec[1]), -1)
		for i := 0; i+1 < len(toks); i += 2 {
			if c, ok := code(toks[i][1]); ok {
				m[c] = utf(toks[i+1][1])
			}
		}
	}
	for _, sec := range cmapRange.FindAllSubmatch(data, -1) {
		toks := cmapHex.FindAllStringSubmatch(string(sec[1]), -1)
		for i := 0; i+2 < len(toks); i += 3 {
			lo, ok1 := code(toks[i][1])
			hi, ok2 := code(toks[i+1][1])
			if !ok1 || !ok2 || hi < lo || strings.HasPrefix(toks[i+2][0], "[") {
				continue
			}
			dst := []rune(utf(toks[i+2][1]))
			if len(dst) != 1 {
				continue
			}
			for c := lo; c <= hi && c-lo < 1<<16; c++ {
				m[c] = string(dst[0] + rune(c-lo))
			}
		}
	}
	return m
}

// affine is a PDF matrix [a b c d e f].
type affine [6]float64

var identity = affine{1, 0, 0, 1, 0, 0}

// mul returns m then n (m × n in PDF's row-vector convention).
func (m affine) mul(n affine) affine {
	return affine{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

// pageGlyphs returns the glyphs of a page's content stream with their
// positions, each decoded through its font's ToUnicode map when it has
// one: the library's own Content decodes such fonts by PDFDocEncoding.
// Simple (one-byte) fonts only; others decode as the library does.
func pageGlyphs(p pdf.Page) (out []pdf.Text) {
	defer func() {
		if recover() != nil { // malformed content: what was read so far
			return
		}
	}()
	type state struct {
		ctm, tm, tlm                affine
		font                        pdf.Font
		name                        string
		maps                        map[int]string
		cid                         bool // two-byte codes (Type0, Identity-H)
		widths                      map[int]float64
		dw                          float64
		enc                         pdf.TextEncoding
		size, tc, tw, th, tl, trise float64
	}
	g := state{ctm: identity, th: 1}
	var stack []state
	fonts := p.Resources().Key("Font")
	show := func(s string) {
		if g.enc == nil {
			return
		}
		step := 1
		if g.cid {
			step = 2
		}
		for i := 0; i+step <= len(s); i += step {
			c := int(s[i])
			if g.cid {
				c = c<<8 | int(s[i+1])
			}
			var txt string
			switch {
			case g.maps != nil:
				txt = g.maps[c]
			case g.cid:
				txt = "\ufffd"
			default:
				txt = g.enc.Decode(string([]byte{byte(c)}))
			}
			trm := affine{g.size * g.th, 0, 0, g.size, 0, g.trise}.mul(g.tm).mul(g.ctm)
			w0 := g.font.Width(c)
			if g.cid {
				w0 = g.dw
				if w, ok := g.widths[c]; ok {
					w0 = w
				}
			}
			if txt != " " && txt != "" {
				out = append(out, pdf.Text{Font: g.name, FontSize: trm[0], X: trm[4], Y: trm[5], W: w0 / 1000 * trm[0], S: txt})
			}
			tx := w0/1000*g.size + g.tc
			if c == ' ' {
				tx += g.tw
			}
			g.tm = affine{1, 0, 0, 1, tx * g.th, 0}.mul(g.tm)
		}
	}
	pdf.Interpret(p.V.Key("Contents"), func(stk *pdf.Stack, op string) {
		n := stk.Len()
		args := make([]pdf.Value, n)
		for i := n - 1; i >= 0; i-- {
			args[i] = stk.Pop()
		}
		num := func(i int) float64 {
			if i < len(args) {
				return args[i].Float64()
			}
			return 0
		}
		six := func() affine { return affine{num(0), num(1), num(2), num(3), num(4), num(5)} }
		switch op {
		case "cm":
			g.ctm = six().mul(g.ctm)
		case "q":
			stack = append(stack, g)
		case "Q":
			if len(stack) > 0 {
				g, stack = stack[len(stack)-1], stack[:len(stack)-1]
			}
		case "BT":
			g.tm, g.tlm = identity, identity
		case "T*":
			g.tlm = affine{1, 0, 0, 1, 0, -g.tl}.mul(g.tlm)
			g.tm = g.tlm
		case "Tc":
			g.tc = num(0)
		case "Tw":
			g.tw = num(0)
		case "Tz":
			g.th = num(0) / 100
		case "TL":
			g.tl = num(0)
		case "Ts":
			g.trise = num(0)
		case "TD", "Td":
			if op == "TD" {
				g.tl = -num(1)
			}
			g.tlm = affine{1, 0, 0, 1, num(0), num(1)}.mul(g.tlm)
			g.tm = g.tlm
		case "Tm":
			g.tm = six()
			g.tlm = g.tm
		case "Tf":
			if len(args) == 2 {
				fv := fonts.Key(args[0].Name())
				g.font = pdf.Font{V: fv}
				g.name = fv.Key("BaseFont").Name()
				if i := strings.Index(g.name, "+"); i >= 0 {
					g.name = g.name[i+1:]
				}
				g.maps = nil
				g.cid = fv.Key("Subtype").Name() == "Type0"
				if g.cid {
					g.widths, g.dw = cidWidths(fv.Key("DescendantFonts").Index(0))
				}
				if tu := fv.Key("ToUnicode"); tu.Kind() == pdf.Stream {
					if m := parseToUnicode(tu.Data()); len(m) > 0 {
						g.maps = m
					}
				}
				g.enc = g.font.Encoder()
				g.size = num(1)
			}
		case "\"", "'", "Tj":
			if op == "\"" && len(args) == 3 {
				g.tw, g.tc = num(0), num(1)
				args = args[2:]
			}
			if op != "Tj" {
				g.tlm = affine{1, 0, 0, 1, 0, -g.tl}.mul(g.tlm)
				g.tm = g.tlm
			}
			if len(args) == 1 {
				show(args[0].RawString())
			}
		case "TJ":
			if len(args) == 1 {
				v := args[0]
				for i := 0; i < v.Len(); i++ {
					if x := v.Index(i); x.Kind() == pdf.String {
						show(x.RawString())
					} else {
						g.tm = affine{1, 0, 0, 1, -x.Float64() / 1000 * g.size * g.th, 0}.mul(g.tm)
					}
				}
			}
		}
	})
	return out
}

// cidWidths reads a CID font's /W array and /DW.
func cidWidths(f pdf.Value) (map[int]float64, float64) {
	dw := 1000.0
	if v := f.Key("DW"); v.Kind() == pdf.Integer || v.Kind() == pdf.Real {
		dw = v.Float64()
	}
	out := map[int]float64{}
	w := f.Key("W")
	for i := 0; i+1 < w.Len() && len(out) < 1<<16; {
		first := int(w.Index(i).Int64())
		if next := w.Index(i + 1); next.Kind() == pdf.Array {
			for j := 0; j < next.Len(); j++ {
				out[first+j] = next.Index(j).Float64()
			}
			i += 2
			continue
		}
		if i+2 >= w.Len() {
			break
		}
		last, width := int(w.Index(i+1).Int64()), w.Index(i+2).Float64()
		for c := first; c <= last && c-first < 1<<16; c++ {
			out[c] = width
		}
		i += 3
	}
	return out, dw
}
