package registers

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
	"github.com/hcm-edu/vanban/internal/fonts"
)

// Slip is the processing slip of one incoming document (phiếu giải quyết
// văn bản đến, Decree 30/2020 Appendix IV section VII): what the leader
// directed, what the heads of the sections gave their people, and what the
// handlers proposed.
type Slip struct {
	Organisation string // the governing body
	Unit         string // the unit that received the document

	Type, NumberSymbol string
	Date               time.Time
	Author, Title      string
	IncomingNumber     int
	ReceivedAt         time.Time

	// 1. The leader's direction.
	Opinion    string
	Leader     string
	DirectedAt *time.Time
	Lead       []SlipTask
	Coordinate []SlipTask
	Inform     []SlipTask
	Due        *time.Time // the delivery's deadline

	// 2. The sections' heads.
	Sections []SlipSection

	// 3. The handlers' proposals.
	Proposals []SlipNote

	GeneratedAt time.Time
}

// SlipTask is a unit or person given a part, with its deadline.
type SlipTask struct {
	Name string
	Due  *time.Time
}

// SlipSection is what a section's head gave the section's people.
type SlipSection struct {
	Section  string
	Head     string
	At       *time.Time
	Opinion  string
	Handlers []SlipTask
}

// SlipNote is a proposal, by whom and when.
type SlipNote struct {
	Author string
	Body   string
	At     time.Time
}

// Portrait A4 geometry of the slip, in millimetres.
const (
	slipW, slipH = 210.0, 297.0
	slipLeft     = 20.0
	slipRight    = 15.0
	slipTop      = 15.0
	slipBottom   = slipH - 15
	slipPt       = 12.0
	slipLineH    = 5.6
)

type slipWriter struct {
	*renderer
	y float64
}

// SlipPDF writes the processing slip as a PDF to print on A4 portrait.
// Parts nobody wrote yet are left as dotted lines to fill in by hand.
func SlipPDF(w io.Writer, s Slip) error {
	cover, err := glyphs()
	if err != nil {
		return err
	}
	pdf := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", SizeStr: "A4"})
	pdf.SetMargins(slipLeft, slipTop, slipRight)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetCellMargin(0)
	pdf.AddUTF8FontFromBytes("serif", "", fonts.Regular)
	pdf.AddUTF8FontFromBytes("serif", "B", fonts.Bold)
	pdf.AddUTF8FontFromBytes("serif", "I", fonts.Italic)
	pdf.SetTitle("Phiếu giải quyết văn bản đến", true)
	pdf.SetSubject(strings.TrimSpace(s.Unit), true)
	pdf.SetCreator("vanban", true)
	pdf.SetLang("vi-VN")
	pdf.SetCatalogSort(true)
	if !s.GeneratedAt.IsZero() {
		pdf.SetCreationDate(s.GeneratedAt)
		pdf.SetModificationDate(s.GeneratedAt)
	}
	pdf.AddPage()
	sw := &slipWriter{renderer: &renderer{pdf: pdf, widths: map[string]*[65536]int32{}, cover: cover}, y: slipTop}
	sw.draw(s)
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("registers: unable to write the slip: %v", err)
	}
	return nil
}

const textW = slipW - slipLeft - slipRight

func (w *slipWriter) draw(s Slip) {
	// The organisation and the unit, as at the head of an official document.
	const blockW = 95.0
	cx := slipLeft + blockW/2
	w.setFont("", 12)
	if o := strings.TrimSpace(s.Organisation); o != "" {
		for _, l := range w.wrap(strings.ToUpper(o), blockW) {
			w.text(l, slipLeft, w.y, slipLineH, 'C', blockW)
			w.y += slipLineH
		}
	}
	w.setFont("B", 12)
	for _, l := range w.wrap(strings.ToUpper(s.Unit), blockW) {
		w.text(l, slipLeft, w.y, slipLineH, 'C', blockW)
		w.y += slipLineH
	}
	w.pdf.SetLineWidth(0.3)
	w.pdf.Line(cx-15, w.y+0.8, cx+15, w.y+0.8)
	w.y += 8

	w.setFont("B", 14)
	w.text("PHIẾU GIẢI QUYẾT VĂN BẢN ĐẾN", slipLeft, w.y, 7, 'C', textW)
	w.y += 8
	w.lines(w.documentLine(s), "I", slipPt, 'C', 0)
	w.pdf.Line(slipW/2-20, w.y+1.5, slipW/2+20, w.y+1.5)
	w.y += 5
	arrival := "Số đến: "
	if s.IncomingNumber > 0 {
		arrival += incomingNumber(s.IncomingNumber)
	} else {
		arrival += "…"
	}
	arrival += "      Ngày đến: " + date(s.ReceivedAt)
	w.lines(arrival, "", slipPt, 'C', 0)
	w.y += 4

	// 1. The leader of the organisation.
	w.heading("1. Ý kiến của lãnh đạo cơ quan, tổ chức")
	if s.Opinion == "" && len(s.Lead)+len(s.Coordinate)+len(s.Inform) == 0 {
		w.dots(3)
	} else {
		if s.Opinion != "" {
			w.lines("Ý kiến chỉ đạo: "+s.Opinion, "", slipPt, 'L', 0)
		}
		if len(s.Lead) > 0 {
			w.lines("- Giao đơn vị, cá nhân chủ trì: "+tasks(s.Lead), "", slipPt, 'L', 4)
		}
		if len(s.Coordinate) > 0 {
			w.lines("- Giao các đơn vị, cá nhân phối hợp giải quyết: "+tasks(s.Coordinate), "", slipPt, 'L', 4)
		}
		if len(s.Inform) > 0 {
			w.lines("- Để biết: "+tasks(s.Inform), "", slipPt, 'L', 4)
		}
		if s.Due != nil {
			w.lines("- Thời hạn giải quyết: "+date(*s.Due), "", slipPt, 'L', 4)
		}
	}
	w.signed("Ngày cho ý kiến phân phối, giải quyết", s.DirectedAt, s.Leader)

	// 2. The heads of the sections.
	w.heading("2. Ý kiến của lãnh đạo đơn vị")
	if len(s.Sections) == 0 {
		w.dots(3)
		w.signed("Ngày, tháng, năm cho ý kiến", nil, "")
	}
	for _, sec := range s.Sections {
		w.lines(sec.Section, "B", slipPt, 'L', 0)
		if sec.Opinion != "" {
			w.lines("Ý kiến: "+sec.Opinion, "", slipPt, 'L', 4)
		}
		if len(sec.Handlers) > 0 {
			w.lines("- Giao cho: "+tasks(sec.Handlers), "", slipPt, 'L', 4)
		}
		w.signed("Ngày cho ý kiến", sec.At, sec.Head)
	}

	// 3. The handlers' proposals.
	w.heading("3. Ý kiến đề xuất của người giải quyết")
	if len(s.Proposals) == 0 {
		w.dots(3)
		w.signed("Ngày, tháng, năm đề xuất ý kiến", nil, "")
	}
	for _, p := range s.Proposals {
		w.lines(p.Body, "", slipPt, 'L', 0)
		at := p.At
		w.signed("Ngày đề xuất", &at, p.Author)
	}
	if !s.GeneratedAt.IsZero() {
		w.y += 4
		t := s.GeneratedAt.In(vietnam)
		w.lines("In lúc "+t.Format("15:04")+" ngày "+t.Format("02/01/2006"), "I", 9, 'L', 0)
	}
}

// documentLine is the line under the title: type; number and symbol;
// date; issuing body; summary.
func (w *slipWriter) documentLine(s Slip) string {
	var b strings.Builder
	b.WriteString(s.Type)
	if s.NumberSymbol != "" {
		b.WriteString(" số " + s.NumberSymbol)
	}
	if !s.Date.IsZero() {
		b.WriteString(" ngày " + date(s.Date))
	}
	if s.Author != "" {
		b.WriteString(" của " + s.Author)
	}
	if s.Title != "" {
		b.WriteString(" về việc " + s.Title)
	}
	return strings.TrimSpace(b.String())
}

func tasks(ts []SlipTask) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.Name
		if t.Due != nil {
			parts[i] += " (hạn " + date(*t.Due) + ")"
		}
	}
	return strings.Join(parts, "; ")
}

// room starts a new page when h more millimetres do not fit.
func (w *slipWriter) room(h float64) {
	if w.y+h > slipBottom {
		w.pdf.AddPage()
		w.y = slipTop
	}
}

func (w *slipWriter) heading(s string) {
	w.y += 3
	w.room(3 * slipLineH)
	w.lines(s, "B", slipPt, 'L', 0)
}

// lines writes s wrapped to the text width less indent.
func (w *slipWriter) lines(s, style string, pt float64, align byte, indent float64) {
	w.setFont(style, pt)
	lh := slipLineH * pt / slipPt
	for _, l := range w.wrap(s, textW-indent) {
		w.room(lh)
		if align == 'C' {
			w.text(l, slipLeft, w.y, lh, 'C', textW)
		} else {
			w.text(l, slipLeft+indent, w.y, lh, 'L', 0)
		}
		w.y += lh
	}
}

// dots draws n dotted lines to write on by hand.
func (w *slipWriter) dots(n int) {
	w.setFont("", slipPt)
	for range n {
		w.room(slipLineH + 1)
		w.y += 1
		w.text(w.clip(strings.Repeat(".", 200), textW), slipLeft, w.y, slipLineH, 'L', 0)
		w.y += slipLineH
	}
}

// signed writes the date of an opinion on the left and who gave it on the
// right; a blank date is left to fill in.
func (w *slipWriter) signed(label string, at *time.Time, name string) {
	w.room(2 * slipLineH)
	w.setFont("I", slipPt)
	when := label + ": "
	if at != nil {
		when += date(*at)
	} else {
		when += "……/……/………"
	}
	w.text(when, slipLeft+4, w.y, slipLineH, 'L', 0)
	if name != "" {
		w.setFont("B", slipPt)
		n := w.clip(name, textW/2)
		w.text(n, slipW-slipRight-w.width(n), w.y, slipLineH, 'L', 0)
	}
	w.y += slipLineH + 1
}
