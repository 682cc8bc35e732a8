package meetings

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/digitorus/pdf"
	"github.com/go-pdf/fpdf"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/fonts"
	"golang.org/x/text/unicode/norm"
)

// The PDF writer of the minutes and the invitation: the layout of Decree 30,
// and the signer blocks of the minutes, found again in the file when each signs.

// Page geometry of the generated documents, in PDF points (A4 portrait,
// the margins of Decree 30: 30 mm left, 15 mm right, 20 mm top and bottom).
const (
	pageW, pageH = 595.28, 841.89
	marginL      = 85.0
	marginR      = 42.5
	marginT      = 56.7
	marginB      = 56.7
	textW        = pageW - marginL - marginR
	bodyPt       = 13.0
	bodyLineH    = 18.0
	smallPt      = 11.0
	smallLineH   = 14.0
	headerSplitX = marginL + 180 // the organisation's column | the national header's
	// The signer blocks: the position line, then the name blockSpan lower,
	// the signature between them.
	blockGap  = 30.0 // from the end of the text to the position line's baseline
	blockSpan = 120.0
)

// The minutes end with two signer blocks side by side, the secretary's on
// the left and the chair's on the right, right below the text; they move
// to a new page together with the last paragraph when they do not fit.
// Where they were drawn is read back from the file when each signs
// (findBlocks): the file is the one record that cannot disagree with it.
var (
	secretaryBlockX = marginL + textW/4   // centre of the left block
	chairBlockX     = marginL + textW*3/4 // centre of the right block
)

// signatureRect is the room left for a handwritten signature between the
// position line (baseline posY, from the top of the page) and the name of
// the block centred on cx, as [llx, lly, urx, ury] in PDF points (origin
// at the bottom left of the page).
func signatureRect(cx, posY float64) [4]float64 {
	top := posY + 8                 // below the position line's descenders
	bottom := posY + blockSpan - 14 // above the name's capitals
	return [4]float64{cx - 100, pageH - bottom, cx + 100, pageH - top}
}

// blockLayout is where a document's signer blocks are: the page and the
// position lines' baseline from the top.
type blockLayout struct {
	Page int
	PosY float64
}

// rect is the signature room of the secretary's (RoleSecretary) or the
// chair's (RoleChair) block.
func (l blockLayout) rect(role string) [4]float64 {
	if role == RoleChair {
		return signatureRect(chairBlockX, l.PosY)
	}
	return signatureRect(secretaryBlockX, l.PosY)
}

// findBlocks finds the signer blocks of minutes drafted by minutesPDF in
// their bytes (signed or not: signatures are annotations, and leave the
// page's text alone). On the last page, the lowest baseline with text in
// both halves is the names'; the position lines must be blockSpan above.
func findBlocks(in []byte) (l blockLayout, ok bool) {
	defer func() {
		if recover() != nil { // the content parser panics on some streams
			ok = false
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		return l, false
	}
	l.Page = r.NumPage()
	left, right := map[float64]bool{}, map[float64]bool{}
	for _, t := range r.Page(l.Page).Content().Text {
		y := math.Round(t.Y*10) / 10
		if t.X+t.W/2 < pageW/2 {
			left[y] = true
		} else {
			right[y] = true
		}
	}
	both := func(y float64) bool {
		for _, dy := range []float64{-0.1, 0, 0.1} {
			if k := math.Round((y+dy)*10) / 10; left[k] && right[k] {
				return true
			}
		}
		return false
	}
	names := math.Inf(1)
	for y := range left {
		if right[y] && y < names {
			names = y
		}
	}
	if math.IsInf(names, 1) || !both(names+blockSpan) {
		return l, false
	}
	l.PosY = pageH - names - blockSpan
	return l, true
}

// docWriter lays out an official document with fpdf.
type docWriter struct {
	pdf *fpdf.Fpdf
}

func newDocWriter(title, subject string, at time.Time) *docWriter {
	pdf := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "pt", Size: fpdf.SizeType{Wd: pageW, Ht: pageH}})
	pdf.SetMargins(marginL, marginT, marginR)
	pdf.SetAutoPageBreak(true, marginB)
	pdf.SetCellMargin(0)
	pdf.AddUTF8FontFromBytes("serif", "", fonts.Regular)
	pdf.AddUTF8FontFromBytes("serif", "B", fonts.Bold)
	pdf.SetTitle(pdfText(title), true)
	pdf.SetSubject(pdfText(subject), true)
	pdf.SetCreator("vanban", true)
	pdf.SetLang("vi-VN")
	pdf.SetCatalogSort(true) // the same record makes the same bytes
	pdf.SetCreationDate(at)
	pdf.SetModificationDate(at)
	// Decree 30: pages are numbered from the second, at the top centre.
	pdf.SetHeaderFuncMode(func() {
		if n := pdf.PageNo(); n > 1 {
			pdf.SetFont("serif", "", smallPt)
			s := strconv.Itoa(n)
			pdf.Text((pageW+marginL-marginR-pdf.GetStringWidth(s))/2, marginT-20, s)
		}
	}, true)
	pdf.AddPage()
	return &docWriter{pdf: pdf}
}

// pdfText makes s printable with the embedded fonts: NFC (the fonts have
// the precomposed Vietnamese letters), no control characters but line
// breaks, and "?" past the Basic Multilingual Plane, which fpdf refuses.
func pdfText(s string) string {
	s = norm.NFC.String(strings.ToValidUTF8(s, "?"))
	var b strings.Builder
	for _, c := range s {
		switch {
		case c == '\n':
			b.WriteRune(c)
		case c == '\t':
			b.WriteRune(' ')
		case unicode.IsControl(c):
		case c > 0xFFFF:
			b.WriteRune('?')
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// clip shortens s to n runes, with an ellipsis.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// block writes s wrapped in the width w from x, at the current height.
func (d *docWriter) block(s string, x, w float64, style string, pt, lh float64, align string) {
	d.pdf.SetFont("serif", style, pt)
	d.pdf.SetX(x)
	d.pdf.MultiCell(w, lh, pdfText(s), "", align, false)
}

// para writes a paragraph of the body.
func (d *docWriter) para(s string) { d.block(s, marginL, textW, "", bodyPt, bodyLineH, "L") }

// bullet writes an indented line of a list.
func (d *docWriter) bullet(s string) {
	d.block("- "+s, marginL+14, textW-14, "", bodyPt, bodyLineH, "L")
}

func (d *docWriter) bold(s string) { d.block(s, marginL, textW, "B", bodyPt, bodyLineH, "L") }

func (d *docWriter) gap(h float64) { d.pdf.SetY(d.pdf.GetY() + h) }

// centred writes s centred on cx with its baseline at y.
func (d *docWriter) centred(s string, cx, y float64, style string, pt float64) float64 {
	d.pdf.SetFont("serif", style, pt)
	s = pdfText(s)
	w := d.pdf.GetStringWidth(s)
	d.pdf.Text(cx-w/2, y, s)
	return w
}

// orgHeader is the organiser unit as its documents name it.
type orgHeader struct {
	Name         string `db:"name"`
	Abbreviation string `db:"abbreviation"`
	Parent       string `db:"parent"`
}

// header writes the two columns at the top of page 1: the organisation
// (its governing body when printed, then its name, and the number and
// symbol left blank for the clerk) and the national header with the place
// and date. It leaves the cursor below them.
func (d *docWriter) header(org orgHeader, docType string, date time.Time) {
	pdf := d.pdf
	leftW := headerSplitX - marginL + 20
	pdf.SetY(marginT)
	if org.Parent != "" {
		d.block(strings.ToUpper(org.Parent), marginL-10, leftW, "", 12, 15, "C")
	}
	d.block(strings.ToUpper(org.Name), marginL-10, leftW, "B", 12, 15, "C")
	y := pdf.GetY() + 5
	cx := marginL - 10 + leftW/2
	pdf.SetLineWidth(0.6)
	pdf.Line(cx-30, y, cx+30, y)
	d.centred("Số:        /"+docType+"-"+org.Abbreviation, cx, y+22, "", bodyPt)
	leftBottom := y + 30

	rx := headerSplitX + 10
	rw := pageW - marginR - rx
	rcx := rx + rw/2
	d.centred("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", rcx, marginT+11, "B", 12)
	w := d.centred("Độc lập - Tự do - Hạnh phúc", rcx, marginT+28, "B", bodyPt)
	pdf.Line(rcx-w/2, marginT+32, rcx+w/2, marginT+32)
	placeDate := domain.PlaceDate(date)
	if date.IsZero() { // the system writes it when the clerk registers (Decree 30 art. 15.3)
		placeDate = domain.Place + ", ngày        tháng        năm        "
	}
	d.centred(placeDate, rcx, y+22, "", bodyPt)
	pdf.SetY(max(leftBottom, marginT+52) + 16)
}

var weekdays = [...]string{"Chủ nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"}

// clockDate is "08 giờ 30 phút, Thứ Năm, ngày 26/11/2026", in Vietnam time.
func clockDate(t time.Time) string {
	t = t.In(domain.VietnamTime)
	return fmt.Sprintf("%02d giờ %02d phút, %s, ngày %s", t.Hour(), t.Minute(), weekdays[t.Weekday()], t.Format("02/01/2006"))
}

// title writes the document's kind and its subject, centred.
func (d *docWriter) title(kind, subject string) {
	d.block(kind, marginL, textW, "B", 14, 20, "C")
	d.block(subject, marginL+20, textW-40, "B", bodyPt, bodyLineH, "C")
	d.gap(12)
}

// closing writes the last paragraph and, below it, the signer blocks:
// left and right are each a heading or position line and a name, with
// room for the signature between them. The paragraph goes to a new page
// with the blocks when they do not fit, so that the page signed is never
// one of signatures alone. leftNote, when set, replaces the left block
// with a smaller note (the recipients of a letter).
func (d *docWriter) closing(last string, left, right, leftNote []string) blockLayout {
	pdf := d.pdf
	pdf.SetFont("serif", "", bodyPt)
	need := float64(len(pdf.SplitText(pdfText(last), textW)))*bodyLineH + blockGap + blockSpan + 8
	if pdf.GetY()+need > pageH-marginB {
		pdf.AddPage()
	}
	d.para(last)
	l := blockLayout{Page: pdf.PageNo(), PosY: pdf.GetY() + blockGap}
	draw := func(lines []string, cx float64) {
		if len(lines) == 2 {
			d.centred(lines[0], cx, l.PosY, "B", bodyPt)
			d.centred(lines[1], cx, l.PosY+blockSpan, "B", bodyPt)
		}
	}
	draw(left, secretaryBlockX)
	draw(right, chairBlockX)
	for i, line := range leftNote {
		style, pt := "", smallPt
		if i == 0 {
			style, pt = "B", 12
		}
		pdf.SetFont("serif", style, pt)
		pdf.Text(marginL, l.PosY+float64(i)*smallLineH, pdfText(line))
	}
	return l
}

func (d *docWriter) bytes() ([]byte, error) {
	var b bytes.Buffer
	if err := d.pdf.Output(&b); err != nil {
		return nil, fmt.Errorf("meetings: unable to write the PDF: %v", err)
	}
	return b.Bytes(), nil
}

// person is someone named in a document.
type person struct {
	ID       int64  `db:"id"`
	Name     string `db:"full_name"`
	Position string `db:"position"`
	UnitID   int64  `db:"unit_id"`
	Unit     string `db:"unit_name"`
}

func (p person) withPosition() string {
	if p.Position == "" {
		return p.Name
	}
	return p.Name + ", " + p.Position
}

// minutesData is what the minutes record.
type minutesData struct {
	org              orgHeader
	meeting          Meeting
	chair, secretary person
	attendance       Attendance
	comments         []Comment
	ballots          []Ballot
	at               time.Time // when drafted
}

// minutesPDF writes the minutes and says where their signer blocks are.
func minutesPDF(md minutesData) ([]byte, blockLayout, error) {
	m := md.meeting
	d := newDocWriter("Biên bản họp: "+m.Title, md.org.Name, md.at)
	d.header(md.org, "BB", m.StartsAt)
	d.title("BIÊN BẢN HỌP", m.Title)

	d.bold("I. THỜI GIAN, ĐỊA ĐIỂM, THÀNH PHẦN")
	d.para("Thời gian: bắt đầu lúc " + clockDate(m.StartsAt) + ".")
	if m.Place != "" {
		d.para("Địa điểm: " + m.Place + ".")
	}
	if m.OnlineURL != "" {
		d.para("Họp trực tuyến: " + m.OnlineURL)
	}
	d.para("Chủ trì: " + md.chair.withPosition() + ".")
	d.para("Thư ký: " + md.secretary.withPosition() + ".")
	att := md.attendance
	d.para(fmt.Sprintf("Có mặt: %d người.", len(att.Present)))
	for _, a := range att.Present {
		s := a.Name
		if a.UnitName != "" {
			s += " (" + a.UnitName + ")"
		}
		if a.Late {
			s += " - đến muộn"
		}
		d.bullet(s + ";")
	}
	if len(att.Absent) == 0 {
		d.para("Vắng mặt: không.")
	} else {
		d.para(fmt.Sprintf("Vắng mặt: %d.", len(att.Absent)))
		for _, a := range att.Absent {
			s := a.Name
			if a.UserID == 0 {
				s = "Đại diện " + a.Name
			} else if a.UnitName != "" {
				s += " (" + a.UnitName + ")"
			}
			d.bullet(s + ";")
		}
	}
	if att.Late > 0 {
		d.para(fmt.Sprintf("Đến muộn: %d người.", att.Late))
	}
	d.gap(6)

	d.bold("II. NỘI DUNG CUỘC HỌP")
	present := len(att.Present)
	for i, it := range m.Items {
		d.bold(fmt.Sprintf("%d. %s", i+1, it.Title))
		if it.Presenter != "" {
			d.para("Trình bày: " + it.Presenter + ".")
		}
		if len(it.Documents) > 0 {
			titles := make([]string, len(it.Documents))
			for j, doc := range it.Documents {
				titles[j] = doc.Title
			}
			d.para("Tài liệu: " + strings.Join(titles, "; ") + ".")
		}
		d.itemRecord(md, &it.ID, present)
	}
	var loose bool
	for _, c := range md.comments {
		loose = loose || c.ItemID == nil
	}
	for _, b := range md.ballots {
		loose = loose || b.ItemID == nil
	}
	if loose {
		d.bold(fmt.Sprintf("%d. Các nội dung khác", len(m.Items)+1))
		d.itemRecord(md, nil, present)
	}
	if len(m.Items) == 0 && !loose {
		d.para("Cuộc họp không có nội dung nào được ghi nhận.")
	}
	d.gap(6)
	l := d.closing("Biên bản được lập lúc "+clockDate(md.at)+".",
		[]string{"THƯ KÝ", md.secretary.Name}, []string{"CHỦ TRÌ", md.chair.Name}, nil)
	b, err := d.bytes()
	return b, l, err
}

// itemRecord writes an item's comments and ballots (item nil: those on
// no item).
func (d *docWriter) itemRecord(md minutesData, item *int64, present int) {
	same := func(id *int64) bool {
		return (id == nil) == (item == nil) && (id == nil || *id == *item)
	}
	var said []Comment
	for _, c := range md.comments {
		if same(c.ItemID) {
			said = append(said, c)
		}
	}
	if len(said) == 0 {
		d.para("Ý kiến: không có ý kiến bằng văn bản trên hệ thống.")
	} else {
		d.para(fmt.Sprintf("Ý kiến (%d):", len(said)))
		for _, c := range said {
			d.bullet(c.Name + ": " + clip(strings.Join(strings.Fields(c.Body), " "), 400))
		}
	}
	for _, b := range md.ballots {
		if !same(b.ItemID) {
			continue
		}
		kind := "công khai"
		if b.Secret {
			kind = "kín"
		}
		d.para("Biểu quyết " + kind + ": " + b.Question)
		if b.State != BallotClosed {
			d.bullet("chưa kết thúc biểu quyết khi lập biên bản.")
			continue
		}
		parts := make([]string, len(b.Options))
		for j, o := range b.Options {
			parts[j] = fmt.Sprintf("%s: %d", o, b.Totals[o])
		}
		d.bullet(fmt.Sprintf("Kết quả: %s (%d người biểu quyết/%d người có mặt).", strings.Join(parts, "; "), b.Voted, present))
		d.block("Mã kiểm tra kết quả (SHA-256): "+b.HeadHash, marginL+14, textW-14, "", 9, 12, "L")
	}
}

// invitationData is what an invitation says.
type invitationData struct {
	org     orgHeader
	meeting Meeting
	chair   person
	signer  *person // the signer block's person: the chair when of the organiser unit
	invited []string
	at      time.Time
}

func invitationPDF(v invitationData) ([]byte, error) {
	m := v.meeting
	d := newDocWriter("Giấy mời họp: "+m.Title, v.org.Name, v.at)
	d.header(v.org, "GM", time.Time{})
	d.title("GIẤY MỜI", m.Title)
	d.para(v.org.Name + " trân trọng kính mời:")
	for _, who := range v.invited {
		d.bullet(who + ";")
	}
	d.para("Tham dự cuộc họp: " + m.Title + ".")
	d.para("Chủ trì: " + v.chair.withPosition() + ".")
	d.para("Thời gian: " + clockDate(m.StartsAt) + " (dự kiến kết thúc lúc " +
		m.EndsAt.In(domain.VietnamTime).Format("15:04") + ").")
	if m.Place != "" {
		d.para("Địa điểm: " + m.Place + ".")
	}
	if m.OnlineURL != "" {
		d.para("Họp trực tuyến: " + m.OnlineURL)
	}
	if len(m.Items) > 0 {
		d.para("Chương trình:")
		for i, it := range m.Items {
			s := fmt.Sprintf("%d. %s", i+1, it.Title)
			var notes []string
			if it.Presenter != "" {
				notes = append(notes, "trình bày: "+it.Presenter)
			}
			if it.StartsAt != nil {
				slot := it.StartsAt.In(domain.VietnamTime).Format("15:04")
				if it.EndsAt != nil {
					slot += " - " + it.EndsAt.In(domain.VietnamTime).Format("15:04")
				}
				notes = append(notes, slot)
			}
			if len(notes) > 0 {
				s += " (" + strings.Join(notes, "; ") + ")"
			}
			d.block(s, marginL+14, textW-14, "", bodyPt, bodyLineH, "L")
		}
	}
	d.para("Tài liệu cuộc họp được đăng trên hệ thống quản lý văn bản; đại biểu đăng nhập để đọc tài liệu trước cuộc họp và điểm danh khi đến họp.")
	// The signer's block, on the right, is where documents' signer-block
	// detection puts the signature when the signer signs.
	var right []string
	if v.signer != nil {
		right = []string{strings.ToUpper(v.signer.Position), v.signer.Name}
		if v.signer.Position == "" {
			right[0] = "NGƯỜI KÝ"
		}
	}
	d.closing("Rất mong đại biểu tham dự đúng thời gian./.", nil, right, []string{"Nơi nhận:", "- Như trên;", "- Lưu: VT."})
	return d.bytes()
}
