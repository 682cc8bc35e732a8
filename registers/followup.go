package registers

import (
	"io"
	"time"
)

// FollowUp is one line of the register that follows the handling of
// incoming documents (sổ theo dõi giải quyết văn bản đến, Decree 30/2020
// Appendix IV section VIII).
type FollowUp struct {
	IncomingNumber int
	Type           string // tên loại: Kế hoạch
	NumberSymbol   string
	Date           time.Time
	Author         string // the body that issued it
	Title          string
	Recipient      string     // the unit or person that handles it, and those who help
	Due            *time.Time // thời hạn giải quyết; nil: none
	Progress       string     // tiến độ giải quyết
	Response       string     // số, ký hiệu of the answering document
	Notes          string
}

var followUpColumns = []column{
	{"Số đến", 14, 'C'},
	{"Tên loại, số, ký hiệu, ngày tháng và tên cơ quan ban hành văn bản", 80, 'L'},
	{"Đơn vị hoặc người nhận", 52, 'L'},
	{"Thời hạn giải quyết", 22, 'C'},
	{"Tiến độ giải quyết", 46, 'L'},
	{"Số, ký hiệu văn bản trả lời", 35, 'L'},
	{"Ghi chú", 28, 'L'},
}

func (r FollowUp) cells() []string {
	n := ""
	if r.IncomingNumber > 0 {
		n = incomingNumber(r.IncomingNumber)
	}
	doc := r.Type
	if r.NumberSymbol != "" {
		doc += " số " + r.NumberSymbol
	}
	if !r.Date.IsZero() {
		doc += " ngày " + date(r.Date)
	}
	if r.Author != "" {
		doc += " của " + r.Author
	}
	if r.Title != "" {
		doc += ": " + r.Title
	}
	return []string{n, doc, r.Recipient, datePtr(r.Due), r.Progress, r.Response, r.Notes}
}

// WriteFollowUpCSV writes the follow-up register as CSV, like
// WriteIncomingCSV.
func WriteFollowUpCSV(w io.Writer, rows []FollowUp) error {
	return writeCSV(w, followUpColumns, len(rows), func(i int) []string { return rows[i].cells() })
}

// FollowUpPDF writes the follow-up register, like IncomingPDF, under the
// title "SỔ THEO DÕI GIẢI QUYẾT VĂN BẢN ĐẾN".
func FollowUpPDF(w io.Writer, h Header, rows []FollowUp) error {
	cells := make([][]string, len(rows))
	for i, r := range rows {
		cells[i] = r.cells()
	}
	return writePDF(w, "SỔ THEO DÕI GIẢI QUYẾT VĂN BẢN ĐẾN", h, followUpColumns, cells)
}
