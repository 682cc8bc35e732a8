// Package registers renders the register books of outgoing and incoming
// documents (sổ đăng ký văn bản đi, đến) in the layout of Decree 30/2020
// Appendix IV, as CSV for spreadsheets and as PDF for printing. It only
// renders: the caller reads the rows.
package registers

import (
	"strconv"
	"strings"
	"time"

	"github.com/hcm-edu/vanban/internal/domain"
)

var vietnam = domain.VietnamTime

// Outgoing is one line of the register of outgoing documents.
type Outgoing struct {
	NumberSymbol string // số, ký hiệu: "206/KH-SGDĐT"
	Date         time.Time
	Type, Title  string // tên loại (Kế hoạch) and trích yếu
	Signer       string
	Recipients   string // nơi nhận; may hold many lines
	FileUnit     string // unit or person keeping the file copy
	Copies       int
	SentAt       *time.Time // nil while not sent
	Receipt      string     // ký nhận
	Notes        string

	// AllRecipients is every unit the document went to, for the CSV, which
	// is never shortened (Recipients may be, for print); empty: Recipients
	// is the whole list.
	AllRecipients []string
}

// Incoming is one line of the register of incoming documents.
type Incoming struct {
	ReceivedAt     time.Time
	IncomingNumber int    // số đến, per year; 0 while not given
	Author         string // the body that issued it
	NumberSymbol   string
	Date           time.Time
	Type, Title    string
	Recipient      string     // unit or person it went to
	ForwardedAt    *time.Time // nil while not forwarded
	Receipt        string
	Notes          string

	// RelayedBy is the unit that relayed it to this one, when it did not
	// come straight from its author; the register notes it.
	RelayedBy string
}

// Header is printed at the head of a PDF register.
type Header struct {
	Organisation string // the governing body, e.g. "SỞ GIÁO DỤC VÀ ĐÀO TẠO THÀNH PHỐ HỒ CHÍ MINH"
	Unit         string // the unit keeping the register
	Year         int
	Period       string // printed instead of the year when set, e.g. "Từ ngày 01/01/2026 đến ngày 31/03/2026"
	GeneratedAt  time.Time
}

// column is one column of a register: its Appendix IV heading, its width
// in millimetres on A4 landscape (the widths add up to the 277 mm between
// the margins) and how its text is aligned.
type column struct {
	title string
	width float64
	align byte // 'L' or 'C'
}

var outgoingColumns = []column{
	{"Số, ký hiệu văn bản", 32, 'L'},
	{"Ngày tháng văn bản", 20, 'C'},
	{"Tên loại và trích yếu nội dung văn bản", 56, 'L'},
	{"Người ký", 32, 'L'},
	{"Nơi nhận văn bản", 45, 'L'},
	{"Đơn vị, người nhận bản lưu", 26, 'L'},
	{"Số lượng bản", 13, 'C'},
	{"Ngày chuyển", 20, 'C'},
	{"Ký nhận", 17, 'L'},
	{"Ghi chú", 16, 'L'},
}

var incomingColumns = []column{
	{"Ngày đến", 20, 'C'},
	{"Số đến", 13, 'C'},
	{"Tác giả", 36, 'L'},
	{"Số, ký hiệu", 32, 'L'},
	{"Ngày tháng", 20, 'C'},
	{"Tên loại và trích yếu nội dung", 66, 'L'},
	{"Đơn vị hoặc người nhận", 36, 'L'},
	{"Ngày chuyển", 20, 'C'},
	{"Ký nhận", 17, 'L'},
	{"Ghi chú", 17, 'L'},
}

// csvCells are the cells of the CSV, whose recipients are never shortened.
func (r Outgoing) csvCells() []string {
	c := r.cells()
	if len(r.AllRecipients) > 0 {
		c[4] = strings.Join(r.AllRecipients, "; ")
	}
	return c
}

func (r Outgoing) cells() []string {
	return []string{
		r.NumberSymbol,
		date(r.Date),
		typeAndTitle(r.Type, r.Title),
		r.Signer,
		r.Recipients,
		r.FileUnit,
		strconv.Itoa(r.Copies),
		datePtr(r.SentAt),
		r.Receipt,
		r.Notes,
	}
}

func (r Incoming) cells() []string {
	n := ""
	if r.IncomingNumber > 0 {
		n = incomingNumber(r.IncomingNumber)
	}
	return []string{
		date(r.ReceivedAt),
		n,
		r.Author,
		r.NumberSymbol,
		date(r.Date),
		typeAndTitle(r.Type, r.Title),
		r.Recipient,
		datePtr(r.ForwardedAt),
		r.Receipt,
		r.notes(),
	}
}

func (r Incoming) notes() string {
	if r.RelayedBy == "" {
		return r.Notes
	}
	return strings.TrimSpace("Chuyển tiếp qua " + r.RelayedBy + ". " + r.Notes)
}

// incomingNumber pads numbers below 10 with a zero, as Decree 30 writes
// them (01, 02, ...).
func incomingNumber(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func typeAndTitle(typ, title string) string {
	typ, title = strings.TrimSpace(typ), strings.TrimSpace(title)
	switch {
	case typ == "":
		return title
	case title == "":
		return typ
	}
	return typ + ": " + title
}

// date writes t's date in Vietnam time as dd/mm/yyyy; the zero time is
// left blank.
func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(vietnam).Format("02/01/2006")
}

func datePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return date(*t)
}
