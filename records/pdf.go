package records

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/fonts"
	"github.com/hcm-edu/vanban/registers"
)

// The forms of Appendix V as PDF: the file list (II), the hand-over list
// (III), a file's index (IV) and the hand-over record (V). The tables are
// laid out as the registers are (registers.TablePDF).

var listColumns = []registers.Column{
	{Title: "Số và ký hiệu hồ sơ", Width: 35, Align: 'C'}, {Title: "Tên đề mục và tiêu đề hồ sơ", Width: 130, Align: 'L'},
	{Title: "Thời hạn bảo quản", Width: 30, Align: 'C'}, {Title: "Người lập hồ sơ", Width: 45, Align: 'L'},
	{Title: "Ghi chú", Width: 37, Align: 'L'},
}

var indexColumns = []registers.Column{
	{Title: "STT", Width: 12, Align: 'C'}, {Title: "Số, ký hiệu văn bản", Width: 38, Align: 'L'},
	{Title: "Ngày tháng năm văn bản", Width: 24, Align: 'C'}, {Title: "Tên loại và trích yếu nội dung văn bản", Width: 113, Align: 'L'},
	{Title: "Tác giả văn bản", Width: 50, Align: 'L'}, {Title: "Tờ số/ Trang số", Width: 18, Align: 'C'},
	{Title: "Ghi chú", Width: 22, Align: 'L'},
}

var handoverColumns2 = []registers.Column{
	{Title: "Số TT", Width: 12, Align: 'C'}, {Title: "Số, ký hiệu hồ sơ", Width: 35, Align: 'C'},
	{Title: "Tiêu đề hồ sơ", Width: 118, Align: 'L'}, {Title: "Thời gian tài liệu", Width: 40, Align: 'C'},
	{Title: "Thời hạn bảo quản", Width: 27, Align: 'C'}, {Title: "Số tờ/ Số trang", Width: 20, Align: 'C'},
	{Title: "Ghi chú", Width: 25, Align: 'L'},
}

// roman numbers the large headings (Appendix V I.1).
func roman(n int) string {
	vals := []int{1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1}
	syms := []string{"M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV", "I"}
	var b strings.Builder
	for i, v := range vals {
		for n >= v {
			b.WriteString(syms[i])
			n -= v
		}
	}
	return b.String()
}

func (s *Service) header(ctx context.Context, unitID int64, year int, period string) (registers.Header, error) {
	u, err := s.unitHeader(ctx, unitID)
	if err != nil {
		return registers.Header{}, err
	}
	return registers.Header{Organisation: strings.ToUpper(u.Parent), Unit: u.Name, Year: year, Period: period, GeneratedAt: s.now()}, nil
}

// Line is a line of the file list: a heading (File nil; Label numbered
// "I. ..." for a large one, "1. ..." for a small one) or a file.
type Line struct {
	Label string
	Large bool
	File  *File
}

// Outline is the file list in the order of Appendix V II: each large
// heading (I, II, ...) with its files, then its small headings (1, 2, ...)
// each with theirs; files under no heading come last.
func Outline(l FileList) []Line {
	var out []Line
	filesOf := func(h *int64) {
		for i, f := range l.Files {
			if (h == nil && f.HeadingID == nil) || (h != nil && f.HeadingID != nil && *f.HeadingID == *h) {
				out = append(out, Line{File: &l.Files[i]})
			}
		}
	}
	big := 0
	for _, h := range l.Headings {
		if h.ParentID != nil {
			continue
		}
		big++
		out = append(out, Line{Label: roman(big) + ". " + strings.ToUpper(h.Title), Large: true})
		filesOf(&h.ID)
		small := 0
		for _, c := range l.Headings {
			if c.ParentID != nil && *c.ParentID == h.ID {
				small++
				out = append(out, Line{Label: strconv.Itoa(small) + ". " + c.Title})
				filesOf(&c.ID)
			}
		}
	}
	filesOf(nil)
	return out
}

// ListRows are the table rows of the file list's PDF (Outline).
func ListRows(l FileList) [][]string {
	var rows [][]string
	for _, ln := range Outline(l) {
		if f := ln.File; f != nil {
			rows = append(rows, []string{f.Code, f.Title, f.Retention(), f.ResponsibleName, f.Note})
		} else {
			rows = append(rows, []string{"", ln.Label, "", "", ""})
		}
	}
	return rows
}

// ListPDF writes p's unit's file list of year (danh mục hồ sơ).
func (s *Service) ListPDF(ctx context.Context, p auth.Principal, year int, w io.Writer) error {
	l, err := s.List(ctx, p, year)
	if err != nil {
		return err
	}
	perm := 0
	for _, f := range l.Files {
		if f.RetentionYears == nil {
			perm++
		}
	}
	period := fmt.Sprintf("Năm %d — Danh mục hồ sơ này có %d hồ sơ, bao gồm: %d hồ sơ bảo quản vĩnh viễn; %d hồ sơ bảo quản có thời hạn",
		year, len(l.Files), perm, len(l.Files)-perm)
	h, err := s.header(ctx, l.UnitID, year, period)
	if err != nil {
		return err
	}
	return registers.TablePDF(w, "DANH MỤC HỒ SƠ", h, listColumns, ListRows(l))
}

// IndexPDF writes a file's index (mục lục văn bản, tài liệu), from its items.
func (s *Service) IndexPDF(ctx context.Context, p auth.Principal, id int64, w io.Writer) error {
	f, err := s.File(ctx, p, id)
	if err != nil {
		return err
	}
	rows := make([][]string, len(f.Items))
	for i, it := range f.Items {
		rows[i] = []string{strconv.Itoa(it.Seq), it.NumberSymbol, it.DateText(),
			documents.Label(documents.Types, it.DocType) + " " + it.Title, it.Author, "", it.Note}
	}
	h, err := s.header(ctx, f.UnitID, f.Year, fmt.Sprintf("Số, ký hiệu hồ sơ: %s — %s — Năm %d", f.Code, f.Title, f.Year))
	if err != nil {
		return err
	}
	return registers.TablePDF(w, "MỤC LỤC VĂN BẢN, TÀI LIỆU", h, indexColumns, rows)
}

// span is the time of a file's documents: the first and last dates.
func (s *Service) span(ctx context.Context, fileID int64) string {
	var r struct {
		From, To *time.Time
	}
	s.db.QueryRowxContext(ctx, `SELECT min(d.doc_date), max(d.doc_date) FROM file_items i JOIN documents d ON d.id = i.document_id
		WHERE i.file_id = $1`, fileID).Scan(&r.From, &r.To)
	if r.From == nil {
		return ""
	}
	if r.From.Equal(*r.To) {
		return r.From.Format("02/01/2006")
	}
	return r.From.Format("02/01/2006") + " – " + r.To.Format("02/01/2006")
}

func (s *Service) handoverListPDF(ctx context.Context, h Handover, w io.Writer) error {
	rows := make([][]string, len(h.Files))
	year := h.CreatedAt.In(domain.VietnamTime).Year()
	for i, f := range h.Files {
		rows[i] = []string{strconv.Itoa(i + 1), f.Code, f.Title, s.span(ctx, f.ID), f.Retention(), "", f.Note}
	}
	hd, err := s.header(ctx, h.UnitID, year, fmt.Sprintf("Năm %d — Mục lục này gồm: %d hồ sơ (đơn vị bảo quản)", year, len(h.Files)))
	if err != nil {
		return err
	}
	return registers.TablePDF(w, "MỤC LỤC HỒ SƠ, TÀI LIỆU NỘP LƯU", hd, handoverColumns2, rows)
}

// handoverRecordPDF writes the hand-over record of Appendix V V. With
// blank, its number and date are left blank for the register to write
// (the document recorded at preparation); else the date is the hand-over's.
func (s *Service) handoverRecordPDF(ctx context.Context, h Handover, w io.Writer, blank bool) error {
	u, err := s.unitHeader(ctx, h.UnitID)
	if err != nil {
		return err
	}
	var docs, attachments int
	var from, to *time.Time
	for _, f := range h.Files {
		var n, a int
		s.db.GetContext(ctx, &n, `SELECT count(*) FROM file_items WHERE file_id = $1`, f.ID)
		s.db.GetContext(ctx, &a, `SELECT count(*) FROM document_attachments a JOIN file_items i ON i.document_id = a.document_id WHERE i.file_id = $1`, f.ID)
		docs, attachments = docs+n, attachments+a
		var r struct{ From, To *time.Time }
		s.db.QueryRowxContext(ctx, `SELECT min(d.doc_date), max(d.doc_date) FROM file_items i JOIN documents d ON d.id = i.document_id
			WHERE i.file_id = $1`, f.ID).Scan(&r.From, &r.To)
		if r.From != nil && (from == nil || r.From.Before(*from)) {
			from = r.From
		}
		if r.To != nil && (to == nil || r.To.After(*to)) {
			to = r.To
		}
	}
	when := h.CreatedAt
	if h.HandedAt != nil {
		when = *h.HandedAt
	}
	year := when.In(domain.VietnamTime).Year()
	period := ""
	if from != nil {
		period = "từ " + from.Format("02/01/2006") + " đến " + to.Format("02/01/2006")
	}
	receiver := h.ReceiverName
	if receiver == "" {
		receiver = "...................................................."
	}

	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetMargins(25, 20, 20)
	pdf.SetAutoPageBreak(true, 20)
	pdf.AddUTF8FontFromBytes("serif", "", fonts.Regular)
	pdf.AddUTF8FontFromBytes("serif", "B", fonts.Bold)
	pdf.AddUTF8FontFromBytes("serif", "I", fonts.Italic)
	pdf.SetTitle("Biên bản giao nhận hồ sơ, tài liệu", true)
	pdf.SetCreator("vanban", true)
	pdf.SetLang("vi-VN")
	pdf.SetCreationDate(s.now())
	pdf.SetModificationDate(s.now())
	pdf.AddPage()
	// The heading: the body and the unit on the left, the national motto on the right.
	left, right := 70.0, 95.0
	y := pdf.GetY()
	pdf.SetFont("serif", "", 11)
	pdf.MultiCell(left, 5, strings.ToUpper(u.Parent), "", "C", false)
	pdf.SetFont("serif", "B", 11)
	pdf.MultiCell(left, 5, strings.ToUpper(u.Name), "", "C", false)
	pdf.SetFont("serif", "", 12)
	pdf.Ln(2)
	pdf.MultiCell(left, 6, "Số:", "", "C", false)
	yl := pdf.GetY()
	pdf.SetXY(25+left, y)
	pdf.SetFont("serif", "B", 11)
	pdf.MultiCell(right, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "", "C", false)
	pdf.SetX(25 + left)
	pdf.MultiCell(right, 5, "Độc lập - Tự do - Hạnh phúc", "", "C", false)
	pdf.SetX(25 + left)
	pdf.SetFont("serif", "I", 11)
	dateLine := domain.PlaceDate(when)
	if blank {
		dateLine = domain.Place + ", ngày      tháng      năm"
	}
	pdf.Ln(2)
	pdf.SetX(25 + left)
	pdf.MultiCell(right, 6, dateLine, "", "C", false)
	pdf.SetY(max(yl, pdf.GetY()) + 6)
	pdf.SetFont("serif", "B", 14)
	pdf.CellFormat(0, 7, "BIÊN BẢN", "", 1, "C", false, 0, "")
	pdf.SetFont("serif", "B", 12)
	pdf.CellFormat(0, 6, "Giao nhận hồ sơ, tài liệu", "", 1, "C", false, 0, "")
	pdf.Ln(4)
	pdf.SetFont("serif", "", 12)
	para := func(s string) { pdf.MultiCell(0, 6.5, s, "", "J", false) }
	para("Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư;")
	para(fmt.Sprintf("Căn cứ Danh mục hồ sơ năm %d của %s,", year, u.Name))
	para("Chúng tôi gồm:")
	pdf.SetFont("serif", "B", 12)
	para("BÊN GIAO: " + u.Name)
	pdf.SetFont("serif", "", 12)
	para("Ông (bà): " + h.CreatorName)
	para("Chức vụ công tác: Văn thư")
	pdf.SetFont("serif", "B", 12)
	para("BÊN NHẬN: Lưu trữ cơ quan")
	pdf.SetFont("serif", "", 12)
	para("Ông (bà): " + receiver)
	para("Chức vụ công tác: Lưu trữ")
	para("Thống nhất lập biên bản giao nhận tài liệu với những nội dung như sau:")
	para(fmt.Sprintf("1. Tên khối tài liệu giao nộp: Hồ sơ, tài liệu điện tử năm %d của %s.", year, u.Name))
	para("2. Thời gian của hồ sơ, tài liệu: " + period + ".")
	para("3. Số lượng tài liệu:")
	para("a) Đối với hồ sơ, tài liệu giấy: không có.")
	para("b) Đối với hồ sơ, tài liệu điện tử:")
	para(fmt.Sprintf("- Tổng số hồ sơ: %d.", len(h.Files)))
	para(fmt.Sprintf("- Tổng số tệp tin trong hồ sơ: %d (%d văn bản, %d phụ lục).", docs+attachments, docs, attachments))
	para("4. Tình trạng tài liệu giao nộp: đầy đủ, nguyên vẹn; văn bản điện tử có chữ ký số.")
	para("5. Mục lục hồ sơ, tài liệu nộp lưu kèm theo.")
	para("Biên bản này được lập thành hai bản; bên giao giữ một bản, bên nhận giữ một bản./.")
	pdf.Ln(8)
	y = pdf.GetY()
	half := 82.5
	pdf.SetFont("serif", "B", 12)
	pdf.CellFormat(half, 6, "ĐẠI DIỆN BÊN GIAO", "", 0, "C", false, 0, "")
	pdf.CellFormat(half, 6, "ĐẠI DIỆN BÊN NHẬN", "", 1, "C", false, 0, "")
	pdf.SetFont("serif", "I", 11)
	pdf.CellFormat(half, 6, "(Ký và ghi rõ họ và tên)", "", 0, "C", false, 0, "")
	pdf.CellFormat(half, 6, "(Ký và ghi rõ họ và tên)", "", 1, "C", false, 0, "")
	pdf.SetXY(25, y+40)
	pdf.SetFont("serif", "B", 12)
	pdf.CellFormat(half, 6, h.CreatorName, "", 0, "C", false, 0, "")
	if h.ReceiverName != "" {
		pdf.CellFormat(half, 6, h.ReceiverName, "", 1, "C", false, 0, "")
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("records: unable to write the hand-over record: %v", err)
	}
	return nil
}

func (s *Service) handoverPDFs(ctx context.Context, h Handover) (list, record []byte, err error) {
	var a, b bytes.Buffer
	if err := s.handoverListPDF(ctx, h, &a); err != nil {
		return nil, nil, err
	}
	if err := s.handoverRecordPDF(ctx, h, &b, true); err != nil {
		return nil, nil, err
	}
	return a.Bytes(), b.Bytes(), nil
}

// HandoverPDF writes a hand-over's list ("list") or record ("record") as
// it stands: after receipt the record names the archive officer.
func (s *Service) HandoverPDF(ctx context.Context, p auth.Principal, id int64, which string, w io.Writer) error {
	h, err := s.Handover(ctx, p, id)
	if err != nil {
		return err
	}
	if which == "list" {
		return s.handoverListPDF(ctx, h, w)
	}
	return s.handoverRecordPDF(ctx, h, w, false)
}
