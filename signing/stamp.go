// The number and issue date the system writes onto a document (Decree
// 30/2020 art. 15.3): stamp annotations added in an incremental update
// just before the organisation's signature, which then covers them. Page
// content is never touched, so the competent person's earlier signature
// stays valid (annotations are a change every approval signature permits).

package signing

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/digitorus/pdf"
	"github.com/hcm-edu/vanban/internal/fonts"
	"golang.org/x/image/font/opentype"
	"golang.org/x/text/unicode/norm"
)

// IssueMark is text the system writes onto a page as a stamp annotation:
// the PNG drawn in Rect, Text its words for /Contents (what search and
// verification read).
type IssueMark struct {
	Page int        // 1-based
	Rect [4]float64 // llx, lly, urx, ury in PDF points
	PNG  []byte
	Text string
}

// issueMarkName starts the /NM of every issue mark: how Verify tells
// them from other annotations.
const issueMarkName = "vanban-issue-"

// ChangeIssueMarks is the number and issue date written by the system
// as annotations, covered by a later signature.
const ChangeIssueMarks = "number and issue date written by the system"

var loadItalic = sync.OnceValues(func() (*opentype.Font, error) {
	f, err := opentype.Parse(fonts.Italic)
	if err != nil {
		return nil, fmt.Errorf("signing: unable to parse the embedded font: %v", err)
	}
	return f, nil
})

// RenderedText is one line of text rendered for an issue mark: its size
// in points and the distance from its bottom edge to the baseline.
type RenderedText struct {
	PNG             []byte
	Width, Height   float64
	BaselineFromBot float64
}

// RenderText renders s in Liberation Serif (italic or upright) at pt
// points, black on transparent, at AppearanceDPI.
func RenderText(s string, pt float64, italic bool) (RenderedText, error) {
	s = strings.TrimSpace(norm.NFC.String(s))
	if s == "" {
		return RenderedText{}, errors.New("signing: unable to render text: empty")
	}
	set, err := loadFonts()
	if err != nil {
		return RenderedText{}, err
	}
	f := set.regular
	if italic {
		if f, err = loadItalic(); err != nil {
			return RenderedText{}, err
		}
	}
	m, err := measureLines([]textLine{{s: s, font: f, pt: pt}})
	if err != nil {
		return RenderedText{}, err
	}
	img := image.NewRGBA(image.Rect(0, 0, m.w, m.h))
	drawLines(img, placeLines(m, m.w, 0, alignRight), color.Black)
	out, err := encodePNG(img)
	if err != nil {
		return RenderedText{}, err
	}
	return RenderedText{PNG: out, Width: pxToPt(m.w), Height: pxToPt(m.h), BaselineFromBot: pxToPt(m.lines[0].dsc)}, nil
}

// AddIssueMarks writes marks onto in as printable, locked stamp
// annotations in one incremental update and returns the whole file.
func AddIssueMarks(in []byte, marks []IssueMark) (out []byte, err error) {
	if len(marks) == 0 {
		return nil, errors.New("signing: unable to write the issue marks: none given")
	}
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("%w: %v", ErrBadPDF, p)
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPDF, err)
	}
	tr := r.Trailer()
	if !tr.Key("Encrypt").IsNull() {
		return nil, ErrEncrypted
	}
	w := &incUpdate{in: in, next: uint32(tr.Key("Size").Int64())}
	if w.next == 0 || tr.Key("Root").Kind() != pdf.Dict {
		return nil, fmt.Errorf("%w: no trailer /Size or /Root", ErrBadPDF)
	}
	w.buf.Write(in)
	if !bytes.HasSuffix(in, []byte("\n")) {
		w.buf.WriteByte('\n')
	}
	byPage := map[int][]uint32{}
	var pages []int
	for i, m := range marks {
		if m.Page < 1 || m.Page > r.NumPage() {
			return nil, fmt.Errorf("signing: unable to write the issue marks: page %d of a %d-page document", m.Page, r.NumPage())
		}
		if err := checkAppearance(&Appearance{Page: m.Page, Rect: m.Rect, PNG: m.PNG}); err != nil {
			return nil, err
		}
		page := r.Page(m.Page).V
		id, err := w.mark(i, m, page.GetPtr())
		if err != nil {
			return nil, err
		}
		if byPage[m.Page] == nil {
			pages = append(pages, m.Page)
		}
		byPage[m.Page] = append(byPage[m.Page], id)
	}
	for _, p := range pages {
		if err := w.addAnnots(r.Page(p).V, byPage[p]); err != nil {
			return nil, err
		}
	}
	if err := w.finish(r); err != nil {
		return nil, err
	}
	return w.buf.Bytes(), nil
}

// incUpdate builds an incremental update after in.
type incUpdate struct {
	in      []byte
	buf     bytes.Buffer
	next    uint32
	offsets map[uint32]int64
	gens    map[uint32]uint16
}

func (w *incUpdate) object(id uint32, gen uint16, body []byte) {
	if w.offsets == nil {
		w.offsets, w.gens = map[uint32]int64{}, map[uint32]uint16{}
	}
	w.offsets[id], w.gens[id] = int64(w.buf.Len()), gen
	fmt.Fprintf(&w.buf, "%d %d obj\n", id, gen)
	w.buf.Write(body)
	w.buf.WriteString("\nendobj\n")
}

func (w *incUpdate) add(body []byte) uint32 {
	id := w.next
	w.next++
	w.object(id, 0, body)
	return id
}

func (w *incUpdate) stream(dict string, data []byte) uint32 {
	var b bytes.Buffer
	fmt.Fprintf(&b, "<<%s /Length %d>>\nstream\n", dict, len(data))
	b.Write(data)
	b.WriteString("\nendstream")
	return w.add(b.Bytes())
}

// mark writes the image, its appearance and the annotation of one mark.
func (w *incUpdate) mark(i int, m IssueMark, page pdf.Ptr) (uint32, error) {
	img, err := png.Decode(bytes.NewReader(m.PNG))
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrBadImage, err)
	}
	b := img.Bounds()
	rgb := make([]byte, 0, b.Dx()*b.Dy()*3)
	alpha := make([]byte, 0, b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			rgb = append(rgb, c.R, c.G, c.B)
			alpha = append(alpha, c.A)
		}
	}
	common := fmt.Sprintf(" /Type /XObject /Subtype /Image /Width %d /Height %d /BitsPerComponent 8 /Filter /FlateDecode", b.Dx(), b.Dy())
	smask := w.stream(common+" /ColorSpace /DeviceGray", deflate(alpha))
	im := w.stream(common+fmt.Sprintf(" /ColorSpace /DeviceRGB /SMask %d 0 R", smask), deflate(rgb))
	wd, ht := m.Rect[2]-m.Rect[0], m.Rect[3]-m.Rect[1]
	form := w.stream(fmt.Sprintf(" /Type /XObject /Subtype /Form /BBox [0 0 %s %s] /Resources << /XObject << /Im0 %d 0 R >> >>", num(wd), num(ht), im),
		[]byte(fmt.Sprintf("q %s 0 0 %s 0 0 cm /Im0 Do Q", num(wd), num(ht))))
	// /F 132: print, locked (the annotation cannot be moved or deleted).
	annot := fmt.Sprintf("<< /Type /Annot /Subtype /Stamp /Rect [%s %s %s %s] /F 132 /P %d %d R /NM (%s%d) /Contents %s /AP << /N %d 0 R >> >>",
		num(m.Rect[0]), num(m.Rect[1]), num(m.Rect[2]), num(m.Rect[3]), page.GetID(), page.GetGen(), issueMarkName, i+1, textString(m.Text), form)
	return w.add([]byte(annot)), nil
}

// addAnnots adds ids to page's annotations: the array is rewritten when it
// is an object of its own, else the page with its new /Annots.
func (w *incUpdate) addAnnots(page pdf.Value, ids []uint32) error {
	pid := page.GetPtr()
	annots := page.Key("Annots")
	var b bytes.Buffer
	if ap := annots.GetPtr(); annots.Kind() == pdf.Array && ap.GetID() != 0 && ap.GetID() != pid.GetID() {
		b.WriteString("[")
		for i := 0; i < annots.Len(); i++ {
			if err := writeValue(&b, annots.Index(i), ap.GetID(), 0); err != nil {
				return err
			}
			b.WriteString(" ")
		}
		for _, id := range ids {
			fmt.Fprintf(&b, "%d 0 R ", id)
		}
		b.WriteString("]")
		w.object(ap.GetID(), ap.GetGen(), b.Bytes())
		return nil
	}
	b.WriteString("<<")
	for _, k := range page.Keys() {
		if k == "Annots" {
			continue
		}
		b.WriteString(" " + pdfName(k) + " ")
		if err := writeValue(&b, page.Key(k), pid.GetID(), 0); err != nil {
			return err
		}
	}
	b.WriteString(" /Annots [")
	for i := 0; i < annots.Len(); i++ {
		if err := writeValue(&b, annots.Index(i), pid.GetID(), 0); err != nil {
			return err
		}
		b.WriteString(" ")
	}
	for _, id := range ids {
		fmt.Fprintf(&b, "%d 0 R ", id)
	}
	b.WriteString("] >>")
	w.object(pid.GetID(), pid.GetGen(), b.Bytes())
	return nil
}

// finish writes the cross-reference section, as a table or a stream like
// the one before it, and the trailer.
func (w *incUpdate) finish(r *pdf.Reader) error {
	tr := r.Trailer()
	var t bytes.Buffer
	fmt.Fprintf(&t, " /Prev %d", r.XrefInformation.StartPos)
	for _, k := range []string{"Root", "Info"} {
		if v := tr.Key(k); !v.IsNull() {
			p := v.GetPtr()
			fmt.Fprintf(&t, " /%s %d %d R", k, p.GetID(), p.GetGen())
		}
	}
	if id := tr.Key("ID"); id.Kind() == pdf.Array && id.Len() == 2 {
		fmt.Fprintf(&t, " /ID [<%x> <%x>]", id.Index(0).RawString(), id.Index(1).RawString())
	}
	ids := make([]uint32, 0, len(w.offsets)+1)
	for id := range w.offsets {
		ids = append(ids, id)
	}
	if r.XrefInformation.Type == "stream" {
		xid := w.next
		w.next++
		w.offsets[xid], w.gens[xid] = int64(w.buf.Len()), 0
		ids = append(ids, xid)
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		var data []byte
		var index strings.Builder
		for _, id := range ids {
			fmt.Fprintf(&index, "%d 1 ", id)
			data = append(data, 1)
			data = binary.BigEndian.AppendUint64(data, uint64(w.offsets[id]))
			data = binary.BigEndian.AppendUint16(data, w.gens[id])
		}
		start := w.offsets[xid]
		fmt.Fprintf(&w.buf, "%d 0 obj\n<< /Type /XRef /Size %d /W [1 8 2] /Index [%s]%s /Length %d >>\nstream\n", xid, w.next, index.String(), t.String(), len(data))
		w.buf.Write(data)
		fmt.Fprintf(&w.buf, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", start)
		return nil
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	start := w.buf.Len()
	w.buf.WriteString("xref\n")
	for _, id := range ids {
		fmt.Fprintf(&w.buf, "%d 1\n%010d %05d n\r\n", id, w.offsets[id], w.gens[id])
	}
	fmt.Fprintf(&w.buf, "trailer\n<< /Size %d%s >>\nstartxref\n%d\n%%%%EOF\n", w.next, t.String(), start)
	return nil
}

// writeValue serialises v, found inside object container: values that
// came from another object are written as references to it.
func writeValue(b *bytes.Buffer, v pdf.Value, container uint32, depth int) error {
	if depth > 64 {
		return fmt.Errorf("%w: objects nested too deep", ErrBadPDF)
	}
	if p := v.GetPtr(); p.GetID() != 0 && p.GetID() != container {
		fmt.Fprintf(b, "%d %d R", p.GetID(), p.GetGen())
		return nil
	}
	switch v.Kind() {
	case pdf.Null:
		b.WriteString("null")
	case pdf.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case pdf.Integer:
		b.WriteString(strconv.FormatInt(v.Int64(), 10))
	case pdf.Real:
		b.WriteString(num(v.Float64()))
	case pdf.String:
		b.WriteString("<" + hex.EncodeToString([]byte(v.RawString())) + ">")
	case pdf.Name:
		b.WriteString(pdfName(v.Name()))
	case pdf.Array:
		b.WriteString("[")
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b.WriteString(" ")
			}
			if err := writeValue(b, v.Index(i), container, depth+1); err != nil {
				return err
			}
		}
		b.WriteString("]")
	case pdf.Dict:
		b.WriteString("<<")
		for _, k := range v.Keys() {
			b.WriteString(" " + pdfName(k) + " ")
			if err := writeValue(b, v.Key(k), container, depth+1); err != nil {
				return err
			}
		}
		b.WriteString(" >>")
	default:
		return fmt.Errorf("%w: a stream inside object %d", ErrBadPDF, container)
	}
	return nil
}

func pdfName(s string) string {
	var b strings.Builder
	b.WriteByte('/')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c >= 0x7f || strings.IndexByte("#()<>[]{}/%", c) >= 0 {
			fmt.Fprintf(&b, "#%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// textString writes s as a UTF-16BE hex string with its byte-order mark.
func textString(s string) string {
	var b strings.Builder
	b.WriteString("<FEFF")
	for _, u := range utf16.Encode([]rune(norm.NFC.String(s))) {
		fmt.Fprintf(&b, "%04X", u)
	}
	b.WriteString(">")
	return b.String()
}

func deflate(b []byte) []byte {
	var out bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&out, zlib.BestSpeed)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// issueMarkText returns the text of an issue mark the annotation a is.
func issueMarkText(a pdf.Value) (string, bool) {
	if a.Key("Subtype").Name() != "Stamp" || !strings.HasPrefix(a.Key("NM").Text(), issueMarkName) {
		return "", false
	}
	return a.Key("Contents").Text(), true
}

// issueMarkOf returns the text of the annotation of page that annotKeys
// names key, if it is an issue mark.
func issueMarkOf(page pdf.Value, key string) (string, bool) {
	annots := page.Key("Annots")
	for i := 0; i < annots.Len(); i++ {
		a := annots.Index(i)
		if "#"+strconv.FormatUint(uint64(refID(a, annots)), 10) == key {
			return issueMarkText(a)
		}
	}
	return "", false
}

// issueMarks lists the texts of the issue marks found after signatures.
func issueMarks(rep Report) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range rep.Signatures {
		for _, c := range s.ChangesAfter {
			if c.Kind == ChangeIssueMarks && !seen[c.Detail] {
				seen[c.Detail] = true
				out = append(out, c.Detail)
			}
		}
	}
	// The number (ô 3) before the date (ô 4), as the page reads.
	sort.SliceStable(out, func(i, j int) bool {
		return strings.HasPrefix(out[i], "Số") && !strings.HasPrefix(out[j], "Số")
	})
	return out
}

// SealAppearanceIssued is SealAppearance with lines under the
// organisation's name: the number ("Số: 01/KH-SGDĐT") and the place and
// date of a document with no places for them.
func SealAppearanceIssued(sealImage []byte, orgName string, lines []string, at time.Time, personSig Rect) (OrgAppearance, error) {
	return sealAppearance(sealImage, orgName, lines, at, personSig)
}

// IssuedSealImage is SealAppearanceIssued without the PNG: the appearance
// in OrgAppearance.Image, for Appearance.Image. A registration draws a new
// one each time (the number and the time change), so encoding it to PNG
// and decoding it again for the signature would be work for nothing.
func IssuedSealImage(sealImage []byte, orgName string, lines []string, at time.Time, personSig Rect) (OrgAppearance, error) {
	return drawSeal(sealImage, orgName, lines, at, personSig)
}

// ErrSigned: a page cannot be added to a signed document without changing
// what its signatures cover.
var ErrSigned = errors.New("signing: the document is already signed")

// AddBlankPage appends a blank page the size of the last one, for a
// signature with no free space to go to, in an incremental update. A
// signed document is refused with ErrSigned: adding a page is a change
// no approval signature permits.
func AddBlankPage(in []byte) (out []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("%w: %v", ErrBadPDF, p)
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPDF, err)
	}
	tr := r.Trailer()
	if !tr.Key("Encrypt").IsNull() {
		return nil, ErrEncrypted
	}
	if len(signatureFields(r)) > 0 {
		return nil, ErrSigned
	}
	n := r.NumPage()
	if n < 1 {
		return nil, fmt.Errorf("%w: no pages", ErrBadPDF)
	}
	last := r.Page(n).V
	parent := last.Key("Parent")
	box := [4]float64{0, 0, 595, 842}
	for p := last; !p.IsNull(); p = p.Key("Parent") {
		if mb := p.Key("MediaBox"); mb.Len() == 4 {
			box = [4]float64{mb.Index(0).Float64(), mb.Index(1).Float64(), mb.Index(2).Float64(), mb.Index(3).Float64()}
			break
		}
	}
	w := &incUpdate{in: in, next: uint32(tr.Key("Size").Int64())}
	if w.next == 0 || parent.Kind() != pdf.Dict {
		return nil, fmt.Errorf("%w: no trailer /Size or page tree", ErrBadPDF)
	}
	w.buf.Write(in)
	if !bytes.HasSuffix(in, []byte("\n")) {
		w.buf.WriteByte('\n')
	}
	pp := parent.GetPtr()
	rotate := ""
	if rot := last.Key("Rotate"); rot.Kind() == pdf.Integer {
		rotate = fmt.Sprintf(" /Rotate %d", rot.Int64())
	}
	contents := w.stream("", nil)
	page := w.add([]byte(fmt.Sprintf("<< /Type /Page /Parent %d %d R /MediaBox [%s %s %s %s]%s /Resources << >> /Contents %d 0 R >>",
		pp.GetID(), pp.GetGen(), num(box[0]), num(box[1]), num(box[2]), num(box[3]), rotate, contents)))
	// The parent gets the page; it and every node above count one more.
	for node, child := parent, uint32(0); node.Kind() == pdf.Dict; node = node.Key("Parent") {
		np := node.GetPtr()
		var b bytes.Buffer
		b.WriteString("<<")
		for _, k := range node.Keys() {
			b.WriteString(" " + pdfName(k) + " ")
			switch k {
			case "Count":
				fmt.Fprintf(&b, "%d", node.Key("Count").Int64()+1)
			case "Kids":
				b.WriteString("[")
				kids := node.Key("Kids")
				for i := 0; i < kids.Len(); i++ {
					if err := writeValue(&b, kids.Index(i), np.GetID(), 0); err != nil {
						return nil, err
					}
					b.WriteString(" ")
				}
				if child == 0 {
					fmt.Fprintf(&b, "%d 0 R", page)
				}
				b.WriteString("]")
			default:
				if err := writeValue(&b, node.Key(k), np.GetID(), 0); err != nil {
					return nil, err
				}
			}
		}
		b.WriteString(" >>")
		w.object(np.GetID(), np.GetGen(), b.Bytes())
		child = np.GetID()
	}
	if err := w.finish(r); err != nil {
		return nil, err
	}
	return w.buf.Bytes(), nil
}
