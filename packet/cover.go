package packet

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-pdf/fpdf"
	"github.com/hcm-edu/vanban/internal/fonts"
)

// Cover page geometry (A4 portrait, Decree 30 margins), in millimetres;
// type sizes in points.
const (
	coverW, coverH = 210.0, 297.0
	leftM, rightM  = 25.0, 15.0
	topM, bottomM  = 20.0, 20.0
	textW          = coverW - leftM - rightM
	cellPad        = 1.5
	rowLineH       = 5.0 // 11 pt with a little leading
	bodyPt         = 11.0
)

// agendaColumns are the agenda table's columns; their widths add up to textW.
var agendaColumns = []struct {
	title string
	width float64
	align string
}{
	{"TT", 10, "C"},
	{"Nội dung", 55, "L"},
	{"Người trình bày", 32, "L"},
	{"Thời gian", 22, "C"},
	{"Tài liệu (trang)", 51, "L"},
}

// originalsNote tells the reader that the packet's signatures are
// pictures and where the signed originals are.
const originalsNote = "Tài liệu họp là bản để đọc: chữ ký trên các tài liệu chỉ là hình ảnh, không kiểm tra được. " +
	"Bản gốc có chữ ký số của từng tài liệu: tải tại trang cuộc họp, nút “Tải về” bên cạnh tài liệu."

// coverDoc is what the cover says of one document: its title and the
// pages it fills in the packet.
type coverDoc struct {
	title       string
	first, last int
}

// renderCover draws the cover: the organisation, "CHƯƠNG TRÌNH HỌP", the
// meeting's title, time, place, chair and secretary, then the agenda
// table. docs[i] are the documents of items[i], with page numbers that
// count the cover's own pages as offset says; the caller draws again if
// the cover turns out longer.
func renderCover(c Cover, items []Item, docs [][]coverDoc) ([]byte, int, error) {
	has, err := coverFaces()
	if err != nil {
		return nil, 0, err
	}
	cl := func(s string) string { return clean(s, func(r rune) bool { return has[r] }) }

	pdf := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", SizeStr: "A4"})
	pdf.SetMargins(leftM, topM, rightM)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetCellMargin(0)
	pdf.AddUTF8FontFromBytes("serif", "", fonts.Regular)
	pdf.AddUTF8FontFromBytes("serif", "B", fonts.Bold)
	pdf.SetTitle("Tài liệu họp: "+cl(c.Title), true)
	pdf.SetSubject(cl(c.Organisation), true)
	pdf.SetCreator("vanban", true)
	pdf.SetLang("vi-VN")
	pdf.AddPage()

	y := topM
	centred := func(s, style string, pt, lh float64) {
		pdf.SetFont("serif", style, pt)
		for _, l := range pdf.SplitText(s, textW) {
			pdf.SetXY(leftM, y)
			pdf.CellFormat(textW, lh, l, "", 0, "C", false, 0, "")
			y += lh
		}
	}
	if org := cl(c.Organisation); org != "" {
		centred(strings.ToUpper(org), "B", 13, 6)
		pdf.SetLineWidth(0.3)
		pdf.Line(coverW/2-20+(leftM-rightM)/2, y+1, coverW/2+20+(leftM-rightM)/2, y+1)
		y += 8
	}
	centred("CHƯƠNG TRÌNH HỌP", "B", 16, 8)
	if t := cl(c.Title); t != "" {
		centred(t, "B", 13, 6.5)
	}
	y += 5

	for _, f := range []struct{ label, value string }{
		{"Thời gian: ", c.When},
		{"Địa điểm: ", c.Place},
		{"Chủ trì: ", c.Chair},
		{"Thư ký: ", c.Secretary},
	} {
		v := cl(f.value)
		if v == "" {
			continue
		}
		pdf.SetFont("serif", "B", 12)
		lw := pdf.GetStringWidth(f.label)
		pdf.SetXY(leftM, y)
		pdf.CellFormat(lw, 6, f.label, "", 0, "L", false, 0, "")
		pdf.SetFont("serif", "", 12)
		for i, l := range pdf.SplitText(v, textW-lw) {
			if i > 0 {
				y += 6
			}
			pdf.SetXY(leftM+lw, y)
			pdf.CellFormat(textW-lw, 6, l, "", 0, "L", false, 0, "")
		}
		y += 6
	}
	if len(items) > 0 {
		// The documents' signatures are only pictures here (see
		// flattenSignatures): say where the signed originals are.
		y += 2
		pdf.SetFont("serif", "", bodyPt)
		for _, l := range pdf.SplitText(originalsNote, textW) {
			pdf.SetXY(leftM, y)
			pdf.CellFormat(textW, rowLineH, l, "", 0, "L", false, 0, "")
			y += rowLineH
		}
	}
	y += 5

	// The agenda, one row an item; a row that does not fit moves to the
	// next page, where the heading is drawn again.
	head := func() {
		pdf.SetFont("serif", "B", bodyPt)
		pdf.SetFillColor(235, 235, 235)
		x := leftM
		for _, col := range agendaColumns {
			pdf.SetXY(x, y)
			pdf.CellFormat(col.width, 8, col.title, "1", 0, "C", true, 0, "")
			x += col.width
		}
		y += 8
	}
	if len(items) == 0 {
		pdf.SetFont("serif", "", 12)
		pdf.SetXY(leftM, y)
		pdf.CellFormat(textW, 6, "Chương trình chưa có nội dung.", "", 0, "L", false, 0, "")
	} else {
		head()
	}
	pdf.SetFont("serif", "", bodyPt)
	for i, it := range items {
		cells := [][]string{
			{strconv.Itoa(i + 1)},
			pdf.SplitText(cl(it.Title), agendaColumns[1].width-2*cellPad),
			pdf.SplitText(cl(it.Presenter), agendaColumns[2].width-2*cellPad),
			pdf.SplitText(cl(it.Slot), agendaColumns[3].width-2*cellPad),
			nil,
		}
		for j, d := range docs[i] {
			s := fmt.Sprintf("%d. %s (tr. %s)", j+1, cl(d.title), pageRange(d.first, d.last))
			cells[4] = append(cells[4], pdf.SplitText(s, agendaColumns[4].width-2*cellPad)...)
		}
		for len(cells[0]) > 0 || len(cells[1]) > 0 || len(cells[2]) > 0 || len(cells[3]) > 0 || len(cells[4]) > 0 {
			n := 1
			for _, l := range cells {
				n = max(n, len(l))
			}
			fit := int((coverH - bottomM - y - 2*cellPad) / rowLineH)
			if fit < min(n, 3) {
				pdf.AddPage()
				y = topM
				head()
				pdf.SetFont("serif", "", bodyPt)
				continue
			}
			// A row longer than a whole page is cut; the rest follows.
			k := min(n, fit)
			h := float64(k)*rowLineH + 2*cellPad
			x := leftM
			for ci, col := range agendaColumns {
				take := min(k, len(cells[ci]))
				for li, l := range cells[ci][:take] {
					pdf.SetXY(x+cellPad, y+cellPad+float64(li)*rowLineH)
					pdf.CellFormat(col.width-2*cellPad, rowLineH, l, "", 0, col.align, false, 0, "")
				}
				cells[ci] = cells[ci][take:]
				pdf.Rect(x, y, col.width, h, "D")
				x += col.width
			}
			y += h
		}
	}
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		return nil, 0, fmt.Errorf("packet: unable to draw the cover: %v", err)
	}
	return b.Bytes(), pdf.PageCount(), nil
}

func pageRange(first, last int) string {
	if first == last {
		return strconv.Itoa(first)
	}
	return strconv.Itoa(first) + "–" + strconv.Itoa(last)
}
