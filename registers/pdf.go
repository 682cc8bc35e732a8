package registers

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/go-pdf/fpdf"
	"github.com/hcm-edu/vanban/internal/fonts"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/text/unicode/norm"
)

// OutgoingPDF writes the register of outgoing documents as a PDF to print
// on A4 landscape: the unit and the title "SỔ ĐĂNG KÝ VĂN BẢN ĐI" on the
// first page, then the table of Appendix IV, its heading repeated on every
// page, and "Trang x/y" at the foot of each page.
func OutgoingPDF(w io.Writer, h Header, rows []Outgoing) error {
	cells := make([][]string, len(rows))
	for i, r := range rows {
		cells[i] = r.cells()
	}
	return writePDF(w, "SỔ ĐĂNG KÝ VĂN BẢN ĐI", h, outgoingColumns, cells)
}

// IncomingPDF writes the register of incoming documents, like OutgoingPDF,
// under the title "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN".
func IncomingPDF(w io.Writer, h Header, rows []Incoming) error {
	cells := make([][]string, len(rows))
	for i, r := range rows {
		cells[i] = r.cells()
	}
	return writePDF(w, "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN", h, incomingColumns, cells)
}

// emptyRegister is printed in place of rows when there are none.
const emptyRegister = "Chưa có văn bản nào"

// Page geometry, in millimetres; type sizes in points.
const (
	pageW, pageH = 297.0, 210.0
	margin       = 10.0
	footerY      = pageH - 8 // baseline of the page footer
	tableBottom  = pageH - 13
	cellPadX     = 1.2
	cellPadY     = 1.0
	bodyPt       = 9.0
	lineH        = 4.0 // 9 pt with a little leading
	headPt       = 9.0
	headLineH    = 3.8
	numberRowH   = 5.0
	footerPt     = 8.0
	ptToMM       = 25.4 / 72
)

// piece is what of a row goes on one page: the lines of each cell. A row
// taller than a whole page is cut into pieces; any other row moves whole
// to the next page when it does not fit.
type piece struct {
	lines [][]string
	h     float64
}

type page struct {
	pieces []piece
}

type renderer struct {
	pdf    *fpdf.Fpdf
	widths map[string]*[65536]int32 // per font style, in 1/1000 em; -1 not yet measured
	style  string
	sizePt float64
	cover  map[rune]bool
}

func writePDF(w io.Writer, title string, h Header, cols []column, rows [][]string) error {
	cover, err := glyphs()
	if err != nil {
		return err
	}
	pdf := newDocument(title, h)
	r := &renderer{pdf: pdf, widths: map[string]*[65536]int32{}, cover: cover}

	head := make([][]string, len(cols))
	r.setFont("B", headPt)
	headH := 0.0
	for i, c := range cols {
		head[i] = r.wrap(c.title, c.width-2*cellPadX)
		headH = max(headH, float64(len(head[i]))*headLineH+2*cellPadY)
	}
	headH += numberRowH

	firstTop := r.titleHeight(h) // measured, not drawn
	pages := r.paginate(cols, rows, firstTop+headH, margin+headH)

	for n, pg := range pages {
		pdf.AddPage()
		y := margin
		if n == 0 {
			y = r.drawTitle(title, h)
		}
		y = r.drawHead(cols, head, y, headH)
		top := y - headH
		if len(rows) == 0 {
			y = r.drawEmpty(y)
		}
		for _, p := range pg.pieces {
			r.drawPiece(cols, p, y)
			y += p.h
		}
		r.drawGrid(cols, top, y, headH, len(rows) == 0)
		r.drawFooter(title, h, n+1, len(pages))
		if pdf.Err() {
			break
		}
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("registers: unable to write the PDF: %v", err)
	}
	return nil
}

// newDocument starts an A4 landscape document with the fonts; pages are
// broken by paginate, not by fpdf.
func newDocument(title string, h Header) *fpdf.Fpdf {
	pdf := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "L", UnitStr: "mm", SizeStr: "A4"})
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetCellMargin(0)
	pdf.AddUTF8FontFromBytes("serif", "", fonts.Regular)
	pdf.AddUTF8FontFromBytes("serif", "B", fonts.Bold)
	pdf.SetTitle(title, true)
	pdf.SetSubject(strings.TrimSpace(h.Unit), true)
	pdf.SetCreator("vanban", true)
	pdf.SetLang("vi-VN")
	pdf.SetCatalogSort(true)
	if !h.GeneratedAt.IsZero() {
		pdf.SetCreationDate(h.GeneratedAt)
		pdf.SetModificationDate(h.GeneratedAt)
	}
	return pdf
}

// paginate lays the rows out on pages whose tables start at firstTop on
// the first page and at top on the others.
func (r *renderer) paginate(cols []column, rows [][]string, firstTop, top float64) []page {
	r.setFont("", bodyPt)
	pages := []page{{}}
	y := firstTop
	if len(rows) == 0 {
		return pages
	}
	for _, cells := range rows {
		lines := make([][]string, len(cols))
		n := 1
		for i, c := range cols {
			lines[i] = r.wrap(cells[i], c.width-2*cellPadX)
			n = max(n, len(lines[i]))
		}
		h := float64(n)*lineH + 2*cellPadY
		if y+h > tableBottom && len(pages[len(pages)-1].pieces) > 0 {
			pages = append(pages, page{})
			y = top
		}
		// A row taller than what is left of an empty page is cut at a
		// line; it cannot be helped.
		for y+h > tableBottom && n > 1 {
			fit := max(1, int((tableBottom-y-2*cellPadY)/lineH))
			head, rest := make([][]string, len(cols)), make([][]string, len(cols))
			for i, l := range lines {
				k := min(fit, len(l))
				head[i], rest[i] = l[:k], l[k:]
			}
			ph := float64(fit)*lineH + 2*cellPadY
			pages[len(pages)-1].pieces = append(pages[len(pages)-1].pieces, piece{head, ph})
			pages = append(pages, page{})
			y = top
			lines, n = rest, n-fit
			h = float64(n)*lineH + 2*cellPadY
		}
		pages[len(pages)-1].pieces = append(pages[len(pages)-1].pieces, piece{lines, h})
		y += h
	}
	return pages
}

// The block at the head of the first page: the organisation and the unit
// on the left, as on an official document, then the title and the year.
const (
	orgBlockW = 120.0
	orgPt     = 12.0
	orgLineH  = 5.2
	titlePt   = 16.0
	yearPt    = 13.0
)

func (r *renderer) orgLines(h Header) (org, unit []string) {
	r.setFont("", orgPt)
	if s := strings.TrimSpace(h.Organisation); s != "" {
		org = r.wrap(strings.ToUpper(s), orgBlockW)
	}
	r.setFont("B", orgPt)
	if s := strings.TrimSpace(h.Unit); s != "" {
		unit = r.wrap(strings.ToUpper(s), orgBlockW)
	}
	return org, unit
}

func (r *renderer) titleHeight(h Header) float64 {
	org, unit := r.orgLines(h)
	return margin + float64(len(org)+len(unit))*orgLineH + 4 + 9 + 7 + 5
}

func (r *renderer) drawTitle(title string, h Header) float64 {
	org, unit := r.orgLines(h)
	cx := margin + orgBlockW/2
	y := margin
	r.setFont("", orgPt)
	for _, l := range org {
		r.text(l, cx, y, orgLineH, 'C', 0)
		y += orgLineH
	}
	r.setFont("B", orgPt)
	for _, l := range unit {
		r.text(l, cx, y, orgLineH, 'C', 0)
		y += orgLineH
	}
	if len(org)+len(unit) > 0 {
		r.pdf.SetLineWidth(0.3)
		r.pdf.Line(cx-15, y+0.8, cx+15, y+0.8)
	}
	y += 4
	r.setFont("B", titlePt)
	r.text(title, margin, y, 9, 'C', pageW-2*margin)
	y += 9
	switch {
	case h.Period != "":
		r.setFont("", yearPt)
		r.text(r.clip(h.Period, pageW-2*margin), margin, y, 7, 'C', pageW-2*margin)
	case h.Year > 0:
		r.setFont("", yearPt)
		r.text("Năm "+strconv.Itoa(h.Year), margin, y, 7, 'C', pageW-2*margin)
	}
	return y + 7 + 5
}

func (r *renderer) drawHead(cols []column, head [][]string, y, headH float64) float64 {
	r.pdf.SetFillColor(235, 235, 235)
	r.pdf.Rect(margin, y, pageW-2*margin, headH-numberRowH, "F")
	r.setFont("B", headPt)
	x := margin
	for i, c := range cols {
		// Headings are centred both ways in their cells.
		textH := float64(len(head[i])) * headLineH
		ly := y + (headH-numberRowH-textH)/2
		for _, l := range head[i] {
			r.text(l, x, ly, headLineH, 'C', c.width)
			ly += headLineH
		}
		x += c.width
	}
	r.setFont("", headPt)
	x = margin
	ny := y + headH - numberRowH
	for i, c := range cols {
		r.text("("+strconv.Itoa(i+1)+")", x, ny, numberRowH, 'C', c.width)
		x += c.width
	}
	return y + headH
}

func (r *renderer) drawPiece(cols []column, p piece, y float64) {
	r.setFont("", bodyPt)
	x := margin
	for i, c := range cols {
		ly := y + cellPadY
		for _, l := range p.lines[i] {
			if c.align == 'C' {
				r.text(l, x, ly, lineH, 'C', c.width)
			} else {
				r.text(l, x+cellPadX, ly, lineH, 'L', 0)
			}
			ly += lineH
		}
		x += c.width
	}
	r.pdf.SetLineWidth(0.15)
	r.pdf.Line(margin, y+p.h, pageW-margin, y+p.h)
}

func (r *renderer) drawEmpty(y float64) float64 {
	const h = 12
	r.setFont("", bodyPt+1)
	r.text(emptyRegister, margin, y, h, 'C', pageW-2*margin)
	r.pdf.SetLineWidth(0.15)
	r.pdf.Line(margin, y+h, pageW-margin, y+h)
	return y + h
}

// drawGrid draws the frame and the column rules from the top of the
// heading to bottom; the row rules are drawn with the rows.
func (r *renderer) drawGrid(cols []column, top, bottom, headH float64, empty bool) {
	pdf := r.pdf
	pdf.SetLineWidth(0.15)
	pdf.Line(margin, top+headH-numberRowH, pageW-margin, top+headH-numberRowH)
	pdf.Line(margin, top+headH, pageW-margin, top+headH)
	x := margin
	for i, c := range cols {
		if i > 0 {
			end := bottom
			if empty {
				end = top + headH
			}
			pdf.Line(x, top, x, end)
		}
		x += c.width
	}
	pdf.SetLineWidth(0.3)
	pdf.Rect(margin, top, pageW-2*margin, bottom-top, "D")
}

func (r *renderer) drawFooter(title string, h Header, n, total int) {
	r.setFont("", footerPt)
	parts := []string{title}
	if s := strings.TrimSpace(h.Unit); s != "" {
		parts = append(parts, s)
	}
	switch {
	case h.Period != "":
		parts = append(parts, h.Period)
	case h.Year > 0:
		parts = append(parts, "năm "+strconv.Itoa(h.Year))
	}
	if !h.GeneratedAt.IsZero() {
		t := h.GeneratedAt.In(vietnam)
		parts = append(parts, "in lúc "+t.Format("15:04")+" ngày "+t.Format("02/01/2006"))
	}
	left := strings.Join(parts, " · ")
	right := "Trang " + strconv.Itoa(n) + "/" + strconv.Itoa(total)
	rw := r.width(right)
	left = r.clip(left, pageW-2*margin-rw-10)
	r.text(left, margin, footerY-3, 4, 'L', 0)
	r.setFont("", footerPt+1)
	r.text(right, pageW-margin-r.width(right), footerY-3, 4, 'L', 0)
}

// text writes one line, already clean, in the box of height lh whose top
// is y: from x, or centred in the width w from x.
func (r *renderer) text(s string, x, y, lh float64, align byte, w float64) {
	if s == "" {
		return
	}
	if align == 'C' {
		x += (w - r.width(s)) / 2
	}
	// The baseline fpdf's CellFormat would use.
	r.pdf.Text(x, y+lh/2+0.3*r.sizePt*ptToMM, s)
}

func (r *renderer) setFont(style string, pt float64) {
	if r.style == style && r.sizePt == pt {
		return
	}
	r.pdf.SetFont("serif", style, pt)
	r.style, r.sizePt = style, pt
}

// width measures s, already clean, in mm in the current font.
func (r *renderer) width(s string) float64 {
	u := 0
	for _, c := range s {
		u += r.runeWidth(c)
	}
	return float64(u) * r.sizePt * ptToMM / 1000
}

func (r *renderer) runeWidth(c rune) int {
	tab := r.widths[r.style]
	if tab == nil {
		tab = new([65536]int32)
		for i := range tab {
			tab[i] = -1
		}
		r.widths[r.style] = tab
	}
	if c < 0 || c > 0xFFFF {
		c = '?'
	}
	if tab[c] < 0 {
		tab[c] = int32(r.pdf.GetStringSymbolWidth(string(c)))
	}
	return int(tab[c])
}

// clip shortens s, with an ellipsis, to fit w.
func (r *renderer) clip(s string, w float64) string {
	s = r.clean(s)
	if r.width(s) <= w {
		return s
	}
	rs := []rune(s)
	for len(rs) > 0 && r.width(string(rs)+"…") > w {
		rs = rs[:len(rs)-1]
	}
	return string(rs) + "…"
}

// wrap cleans s and breaks it into lines no wider than w (mm) in the
// current font: at spaces, after a hyphen or a slash, at the line breaks
// of s, and inside a word only when the word alone is too wide.
func (r *renderer) wrap(s string, w float64) []string {
	s = r.clean(s)
	if s == "" {
		return nil
	}
	limit := int(w * 1000 / (r.sizePt * ptToMM))
	var out []string
	for para := range strings.SplitSeq(s, "\n") {
		out = r.wrapPara([]rune(para), limit, out)
	}
	// Blank lines at the end of a cell only make the row taller.
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

func (r *renderer) wrapPara(rs []rune, limit int, out []string) []string {
	if len(strings.TrimSpace(string(rs))) == 0 {
		return append(out, "")
	}
	i := 0
	for i < len(rs) {
		for i < len(rs) && rs[i] == ' ' {
			i++
		}
		if i == len(rs) {
			break
		}
		w, j := 0, i
		end, next := -1, -1 // the last place the line may end, and where the next then starts
		for ; j < len(rs); j++ {
			cw := r.runeWidth(rs[j])
			if w+cw > limit && j > i {
				if rs[j] == ' ' {
					end, next = j, j+1
				}
				break
			}
			w += cw
			switch rs[j] {
			case ' ':
				end, next = j, j+1
			case '-', '/':
				end, next = j+1, j+1
			}
		}
		if j == len(rs) {
			out = append(out, strings.TrimRight(string(rs[i:]), " "))
			break
		}
		if end > i {
			out = append(out, strings.TrimRight(string(rs[i:end]), " "))
			i = next
		} else {
			out = append(out, string(rs[i:j]))
			i = j
		}
	}
	return out
}

// clean makes s printable with the embedded font: valid UTF-8 in NFC (the
// font has the precomposed Vietnamese letters, not all the combinations
// of combining marks), one kind of line break, tabs as spaces, no other
// control characters, and "?" for a character the font lacks.
func (r *renderer) clean(s string) string {
	s = strings.ToValidUTF8(s, "?")
	if !norm.NFC.IsNormalString(s) {
		s = norm.NFC.String(s)
	}
	ok := true
	for _, c := range s {
		if c < ' ' || c == '\u007f' || !r.covered(c) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	b.Grow(len(s))
	for _, c := range s {
		switch {
		case c == '\n':
			b.WriteRune('\n')
		case c == '\r' || c == '\t':
			b.WriteRune(' ')
		case unicode.IsControl(c) || c == '\u007f':
		case !r.covered(c):
			b.WriteRune('?')
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// covered tells whether the font has a glyph for c (fpdf handles only the
// Basic Multilingual Plane).
func (r *renderer) covered(c rune) bool {
	if c < 0x80 {
		return c >= ' '
	}
	return r.cover[c]
}

// glyphs is the set of characters past ASCII that both embedded fonts
// have; read-only once made.
var glyphs = sync.OnceValues(func() (map[rune]bool, error) {
	var faces []*sfnt.Font
	for _, b := range [][]byte{fonts.Regular, fonts.Bold} {
		f, err := sfnt.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("registers: unable to parse the embedded font: %v", err)
		}
		faces = append(faces, f)
	}
	set := map[rune]bool{}
	var buf sfnt.Buffer
next:
	for c := rune(0x80); c <= 0xFFFF; c++ {
		if c >= 0xD800 && c <= 0xDFFF {
			continue
		}
		for _, f := range faces {
			if g, err := f.GlyphIndex(&buf, c); err != nil || g == 0 {
				continue next
			}
		}
		set[c] = true
	}
	return set, nil
})
