package meetings

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/digitorus/pdf"
	"github.com/go-pdf/fpdf"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/fonts"
	"github.com/jmoiron/sqlx"
	"golang.org/x/text/unicode/norm"
)

// The minutes (biên bản) and the invitation (giấy mời) are documents of
// the organiser unit, generated here as PDF and then handled like any
// other: the invitation goes through the normal flow (the signer signs,
// the clerk registers and issues it to InvitationRecipients); the minutes
// are signed by the secretary and the chair at their blocks (SignMinutes).
//
// Both are documents, so, as every document of a unit, they can be read
// by the organiser unit's people, not only the meeting's. The person who
// drafts them must belong to the organiser unit: a document is created in
// its author's unit, and a secretary from another unit creating one in
// the organiser's would be a person acting for a unit they do not belong
// to. Such a meeting needs its minutes drafted by someone of the
// organiser unit (the chair, or a secretary from that unit).

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
	d.centred(domain.PlaceDate(date), rcx, y+22, "", bodyPt)
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

func loadPerson(ctx context.Context, q sqlx.QueryerContext, id int64) (person, error) {
	var p person
	err := sqlx.GetContext(ctx, q, &p, `
		SELECT u.id, u.full_name, u.position, u.unit_id, n.name AS unit_name
		FROM users u JOIN units n ON n.id = u.unit_id WHERE u.id = $1`, id)
	if err != nil {
		return p, fmt.Errorf("meetings: unable to fetch user: %w", err)
	}
	return p, nil
}

func loadOrg(ctx context.Context, q sqlx.QueryerContext, unitID int64) (orgHeader, error) {
	var o orgHeader
	// The governing body is printed for offices and schools; a district
	// office answers to its district's People's Committee, which the
	// organisation tree does not hold, so it prints none.
	err := sqlx.GetContext(ctx, q, &o, `
		SELECT u.name, u.abbreviation,
		       CASE WHEN u.kind IN ('office', 'school') THEN coalesce(pu.name, '') ELSE '' END AS parent
		FROM units u LEFT JOIN units pu ON pu.id = u.parent_id WHERE u.id = $1`, unitID)
	if err != nil {
		return o, fmt.Errorf("meetings: unable to fetch unit: %w", err)
	}
	return o, nil
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
	d.header(v.org, "GM", v.at)
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

var (
	errNotOrganiserUnit = &domain.PreconditionError{Code: "not_organiser_unit",
		Message: "Văn bản của cuộc họp thuộc đơn vị tổ chức; chỉ người thuộc đơn vị tổ chức soạn hoặc ký được văn bản này"}
	errMinutesSigned = &domain.PreconditionError{Code: "minutes_signed",
		Message: "Biên bản đã được ký nên không soạn lại được"}
	errInvitationSigned = &domain.PreconditionError{Code: "invitation_signed",
		Message: "Giấy mời đã được ký hoặc đăng ký nên không soạn lại được"}
)

// storeDraft creates the meeting's document in column (minutes or
// invitation) or, when there is one already and it is still an unsigned
// draft, adds the new file as its next version. signed is the error for a
// draft that can no longer change.
func (s *Service) storeDraft(ctx context.Context, p auth.Principal, meetingID int64, column string, meta documents.Meta, file []byte, fileName string, signed error) (documents.Document, error) {
	up, err := s.docs.Spool(ctx, bytes.NewReader(file), fileName)
	if err != nil {
		return documents.Document{}, err
	}
	defer up.Close()
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return documents.Document{}, fmt.Errorf("meetings: unable to begin: %w", err)
	}
	defer tx.Rollback()
	// The meeting row stays locked until the document is recorded, so two
	// drafts at once make one document, in two versions.
	var current *int64
	if err := tx.GetContext(ctx, &current, `SELECT `+column+` FROM meetings WHERE id = $1 FOR UPDATE`, meetingID); err != nil {
		return documents.Document{}, fmt.Errorf("meetings: unable to lock meeting: %w", err)
	}
	var d documents.Document
	if current != nil {
		d, err = s.docs.ReplaceDraft(ctx, p, *current, up, "Soạn lại từ hồ sơ cuộc họp")
		var pe *domain.PreconditionError
		if errors.As(err, &pe) && pe.Code == "draft_signed" {
			return d, signed
		}
		if err != nil {
			return d, err
		}
	} else {
		if d, err = s.docs.Create(ctx, p, meta, up); err != nil {
			return d, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE meetings SET `+column+` = $2, updated_at = now() WHERE id = $1`, meetingID, d.ID); err != nil {
			return d, fmt.Errorf("meetings: unable to record the document: %w", err)
		}
	}
	if err := s.publishKind(ctx, tx, meetingID, "meeting"); err != nil {
		return d, err
	}
	return d, s.commit(tx)
}

// DraftMinutes generates the minutes from the meeting's record (the
// attendance, each item with its comments and ballot results) and keeps
// them as a draft document of the organiser unit, or as the next version
// of the draft while nobody has signed it. The secretary or the chair may,
// once the meeting has started, if they belong to the organiser unit.
func (s *Service) DraftMinutes(ctx context.Context, p auth.Principal, meetingID int64) (documents.Document, error) {
	m, err := s.Get(ctx, p, meetingID)
	if err != nil {
		return documents.Document{}, err
	}
	if m.MyRole != RoleSecretary && m.MyRole != RoleChair {
		return documents.Document{}, domain.ErrForbidden
	}
	if m.Status != StatusInProgress && m.Status != StatusEnded {
		return documents.Document{}, &domain.PreconditionError{Code: "meeting_not_started",
			Message: "Chỉ lập biên bản khi cuộc họp đang diễn ra hoặc đã kết thúc"}
	}
	if p.UnitID != m.OrganiserUnitID {
		return documents.Document{}, errNotOrganiserUnit
	}
	md := minutesData{meeting: m, at: s.now()}
	if md.org, err = loadOrg(ctx, s.db, m.OrganiserUnitID); err != nil {
		return documents.Document{}, err
	}
	if md.chair, err = loadPerson(ctx, s.db, m.ChairID); err != nil {
		return documents.Document{}, err
	}
	if md.secretary, err = loadPerson(ctx, s.db, m.SecretaryID); err != nil {
		return documents.Document{}, err
	}
	if md.attendance, err = s.Attendance(ctx, p, meetingID); err != nil {
		return documents.Document{}, err
	}
	if md.comments, err = s.Comments(ctx, p, meetingID); err != nil {
		return documents.Document{}, err
	}
	if md.ballots, err = s.Ballots(ctx, p, meetingID); err != nil {
		return documents.Document{}, err
	}
	file, _, err := minutesPDF(md)
	if err != nil {
		return documents.Document{}, err
	}
	meta := documents.Meta{DocType: "BB", Title: "Biên bản họp: " + m.Title,
		DocDate: m.StartsAt.In(domain.VietnamTime).Format(time.DateOnly), SignerName: md.chair.Name}
	return s.storeDraft(ctx, p, meetingID, "minutes_document_id", meta, file,
		fmt.Sprintf("bien-ban-hop-%d.pdf", meetingID), errMinutesSigned)
}

// SignMinutes applies p's person signature to the minutes at p's block:
// the secretary's on the left, the chair's on the right. versionSHA256 is
// the version p read, as for any signature. Each signs once.
func (s *Service) SignMinutes(ctx context.Context, p auth.Principal, meetingID int64, versionSHA256 string) (documents.Document, error) {
	role, err := s.access(ctx, s.db, p, meetingID)
	if err != nil {
		return documents.Document{}, err
	}
	if role != RoleChair && role != RoleSecretary {
		return documents.Document{}, domain.ErrForbidden
	}
	m, err := s.meetingRow(ctx, s.db, meetingID)
	if err != nil {
		return documents.Document{}, err
	}
	if m.MinutesDocumentID == nil {
		return documents.Document{}, &domain.PreconditionError{Code: "no_minutes",
			Message: "Cuộc họp chưa có biên bản; thư ký cần lập biên bản trước"}
	}
	if p.UnitID != m.OrganiserUnitID {
		return documents.Document{}, errNotOrganiserUnit
	}
	sigs, err := s.docs.Signatures(ctx, p, *m.MinutesDocumentID)
	if err != nil {
		return documents.Document{}, err
	}
	if slices.ContainsFunc(sigs, func(g documents.Signature) bool { return g.SignedBy == p.UserID && g.Kind == "person" }) {
		return documents.Document{}, &domain.PreconditionError{Code: "already_signed", Message: "Bạn đã ký biên bản này"}
	}
	_, file, err := s.latestFile(ctx, p, *m.MinutesDocumentID)
	if err != nil {
		return documents.Document{}, err
	}
	l, ok := findBlocks(file)
	if !ok {
		return documents.Document{}, &domain.PreconditionError{Code: "no_signer_blocks",
			Message: "Không tìm thấy chỗ ký của thư ký và chủ trì trong biên bản; hãy lập lại biên bản"}
	}
	reason := "Ký biên bản họp (thư ký)"
	if role == RoleChair {
		reason = "Ký biên bản họp (chủ trì)"
	}
	rect := l.rect(role)
	d, err := s.docs.SignAsMeetingOfficer(ctx, p, *m.MinutesDocumentID,
		documents.SignRequest{VersionSHA256: versionSHA256, Page: l.Page, Rect: &rect, Reason: reason})
	if err != nil {
		return d, err
	}
	if err := s.publish(ctx, s.db, Event{MeetingID: meetingID, Kind: "meeting", Revision: m.Revision}); err != nil {
		return d, err
	}
	return d, nil
}

// latestFile reads the latest version of a document p may see. Minutes
// are a few pages: read whole.
func (s *Service) latestFile(ctx context.Context, p auth.Principal, id int64) (documents.Version, []byte, error) {
	d, err := s.docs.Get(ctx, p, id)
	if err != nil {
		return documents.Version{}, nil, err
	}
	v := d.Versions[0]
	if v.Size > 64<<20 {
		return v, nil, fmt.Errorf("%w: the minutes are %d bytes", documents.ErrTooLarge, v.Size)
	}
	rc, err := s.docs.Open(ctx, v, 0, -1)
	if err != nil {
		return v, nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return v, nil, fmt.Errorf("meetings: unable to read the minutes: %w", err)
	}
	return v, b, nil
}

// CreateInvitation generates the invitation (giấy mời) as a draft
// document of the organiser unit, for the normal flow: the signer signs,
// the clerk registers it and issues it to InvitationRecipients. Drafting
// again replaces it while it is unsigned. The organiser, the chair or the
// secretary may, if they belong to the organiser unit.
func (s *Service) CreateInvitation(ctx context.Context, p auth.Principal, meetingID int64) (documents.Document, error) {
	m, err := s.Get(ctx, p, meetingID)
	if err != nil {
		return documents.Document{}, err
	}
	if !manages(m.MyRole) {
		return documents.Document{}, domain.ErrForbidden
	}
	if m.Status == StatusEnded || m.Status == StatusCancelled {
		return documents.Document{}, errMeetingClosed
	}
	if p.UnitID != m.OrganiserUnitID {
		return documents.Document{}, errNotOrganiserUnit
	}
	v := invitationData{meeting: m, at: s.now()}
	if v.org, err = loadOrg(ctx, s.db, m.OrganiserUnitID); err != nil {
		return documents.Document{}, err
	}
	if v.chair, err = loadPerson(ctx, s.db, m.ChairID); err != nil {
		return documents.Document{}, err
	}
	if v.chair.UnitID == m.OrganiserUnitID {
		v.signer = &v.chair
	}
	for _, pt := range m.Participants {
		if pt.UnitID != nil {
			v.invited = append(v.invited, "Đại diện lãnh đạo "+pt.Name)
			continue
		}
		who, err := loadPerson(ctx, s.db, *pt.UserID)
		if err != nil {
			return documents.Document{}, err
		}
		line := who.withPosition()
		if who.UnitID != m.OrganiserUnitID {
			line += ", " + who.Unit
		}
		v.invited = append(v.invited, line)
	}
	if len(v.invited) == 0 {
		return documents.Document{}, &domain.PreconditionError{Code: "no_participants",
			Message: "Cuộc họp chưa có thành phần tham dự; hãy thêm người hoặc đơn vị dự họp trước khi lập giấy mời"}
	}
	file, err := invitationPDF(v)
	if err != nil {
		return documents.Document{}, err
	}
	meta := documents.Meta{DocType: "GM", Title: "Giấy mời họp: " + m.Title,
		DocDate: v.at.In(domain.VietnamTime).Format(time.DateOnly)}
	if v.signer != nil {
		meta.SignerName = v.signer.Name
	}
	return s.storeDraft(ctx, p, meetingID, "invitation_document_id", meta, file,
		fmt.Sprintf("giay-moi-hop-%d.pdf", meetingID), errInvitationSigned)
}

// InvitationRecipients returns the units the invitation is issued to: the
// participating units and the units of the people invited (the chair and
// the secretary among them), without the organiser unit itself. The
// meeting's people may ask, and so may the organiser unit's clerks once
// the invitation exists, since they issue it.
func (s *Service) InvitationRecipients(ctx context.Context, p auth.Principal, meetingID int64) ([]int64, error) {
	if _, err := s.access(ctx, s.db, p, meetingID); err != nil {
		if !errors.Is(err, domain.ErrNotFound) || !p.Has(auth.RoleClerk) {
			return nil, err
		}
		var issuer bool
		if err := s.db.GetContext(ctx, &issuer, `
			SELECT EXISTS (SELECT 1 FROM meetings WHERE id = $1 AND organiser_unit_id = $2 AND invitation_document_id IS NOT NULL)`,
			meetingID, p.UnitID); err != nil {
			return nil, fmt.Errorf("meetings: unable to check meeting: %w", err)
		}
		if !issuer {
			return nil, err
		}
	}
	units := []int64{}
	err := s.db.SelectContext(ctx, &units, `
		SELECT DISTINCT x.unit_id FROM (
		  SELECT mp.unit_id FROM meeting_participants mp WHERE mp.meeting_id = $1 AND mp.unit_id IS NOT NULL
		  UNION SELECT u.unit_id FROM meeting_participants mp JOIN users u ON u.id = mp.user_id WHERE mp.meeting_id = $1
		  UNION SELECT u.unit_id FROM meetings m JOIN users u ON u.id IN (m.chair_id, m.secretary_id) WHERE m.id = $1
		) x JOIN meetings m ON m.id = $1
		WHERE x.unit_id <> m.organiser_unit_id
		ORDER BY x.unit_id`, meetingID)
	if err != nil {
		return nil, fmt.Errorf("meetings: unable to list recipients: %w", err)
	}
	return units, nil
}

// SetConclusion links the conclusion notice (thông báo kết luận): a
// document of the organiser unit that p can see and that has been issued
// through routing. The organiser, the chair or the secretary may.
func (s *Service) SetConclusion(ctx context.Context, p auth.Principal, meetingID, documentID int64) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("meetings: unable to begin: %w", err)
	}
	defer tx.Rollback()
	status, role, err := s.lockMeeting(ctx, tx, p, meetingID, true)
	if err != nil {
		return err
	}
	if !manages(role) {
		return domain.ErrForbidden
	}
	if status == StatusCancelled {
		return errMeetingClosed
	}
	d, err := s.docs.Get(ctx, p, documentID)
	if errors.Is(err, domain.ErrNotFound) {
		return &domain.ValidationError{Fields: map[string]string{"document_id": "không tìm thấy văn bản này"}}
	}
	if err != nil {
		return err
	}
	var organiser int64
	if err := tx.GetContext(ctx, &organiser, `SELECT organiser_unit_id FROM meetings WHERE id = $1`, meetingID); err != nil {
		return fmt.Errorf("meetings: unable to read meeting: %w", err)
	}
	if d.UnitID != organiser {
		return &domain.ValidationError{Fields: map[string]string{"document_id": "thông báo kết luận phải là văn bản của đơn vị tổ chức cuộc họp"}}
	}
	if d.Status != "issued" {
		return &domain.PreconditionError{Code: "conclusion_not_issued",
			Message: "Thông báo kết luận cần được ký, đăng ký và ban hành trước khi gắn vào cuộc họp"}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE meetings SET conclusion_document_id = $2, updated_at = now() WHERE id = $1`, meetingID, documentID); err != nil {
		return fmt.Errorf("meetings: unable to record the conclusion: %w", err)
	}
	if err := s.publishKind(ctx, tx, meetingID, "meeting"); err != nil {
		return err
	}
	return s.commit(tx)
}
