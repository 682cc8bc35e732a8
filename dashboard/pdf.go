package dashboard

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/go-pdf/fpdf"
	"github.com/hcm-edu/vanban/internal/fonts"
	"golang.org/x/text/unicode/norm"
)

// PDF geometry, in millimetres (A4 portrait); type sizes in points.
const (
	pdfW, pdfH = 210.0, 297.0
	pdfMargin  = 15.0
	pdfBottom  = pdfH - 18
	pdfBody    = 10.0
	pdfSmall   = 8.5
	pdfRowH    = 5.0
	contentW   = pdfW - 2*pdfMargin
)

// WritePDF writes the report to send upward, on A4: the title, the
// figures against the targets, the monthly trend charts with their
// numbers, the chart and table of the units under the scope, the overdue
// cases and the definitions; "Trang x/y" at the foot of each page.
func WritePDF(w io.Writer, r Report) error {
	pdf := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", SizeStr: "A4"})
	pdf.SetMargins(pdfMargin, pdfMargin, pdfMargin)
	pdf.SetAutoPageBreak(false, 0)
	pdf.AddUTF8FontFromBytes("serif", "", fonts.Regular)
	pdf.AddUTF8FontFromBytes("serif", "B", fonts.Bold)
	pdf.AddUTF8FontFromBytes("serif", "I", fonts.Italic)
	title := "Chỉ số thực hiện Kế hoạch cải cách hành chính"
	pdf.SetTitle(title+" - "+r.Dashboard.UnitName, true)
	pdf.SetSubject(r.Scope+", "+r.Period, true)
	pdf.SetCreator("vanban", true)
	pdf.SetLang("vi-VN")
	if !r.GeneratedAt.IsZero() {
		pdf.SetCreationDate(r.GeneratedAt)
		pdf.SetModificationDate(r.GeneratedAt)
	}
	pdf.AliasNbPages("{nb}")
	p := &pdfReport{pdf: pdf}
	pdf.SetFooterFunc(func() {
		p.font("I", pdfSmall)
		pdf.SetTextColor(90, 100, 110)
		pdf.SetXY(pdfMargin, pdfH-12)
		pdf.CellFormat(contentW-30, 4, p.clip(title+" · "+r.Dashboard.UnitName+" · "+r.Period, contentW-30), "", 0, "L", false, 0, "")
		pdf.CellFormat(30, 4, fmt.Sprintf("Trang %d/{nb}", pdf.PageNo()), "", 0, "R", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	pdf.AddPage()
	p.y = pdfMargin

	p.font("B", 15)
	p.line(strings.ToUpper(title), 8, "C")
	p.font("B", 12)
	p.line(r.Scope, 6, "C")
	p.font("", 11)
	p.line(r.Period, 6, "C")
	p.font("I", pdfSmall+0.5)
	p.line("Số liệu tính lúc "+Refreshed(r.Dashboard.RefreshedAt)+" (giờ Việt Nam); lập lúc "+Refreshed(r.GeneratedAt), 5, "C")
	if r.Dashboard.Pending > 0 {
		p.line(fmt.Sprintf("Đang cập nhật: %d đơn vị-tháng chưa được tính lại.", r.Dashboard.Pending), 5, "C")
	}
	p.y += 3

	p.heading("1. Kết quả so với mục tiêu")
	rows := make([][]string, len(r.Targets))
	for i, t := range r.Targets {
		rows[i] = []string{t.Label, t.Value, t.GoalText, t.Detail}
	}
	p.table([]string{"Chỉ tiêu", "Kết quả", "Mục tiêu", "Tính trên"}, []float64{62, 32, 28, 58}, rows)

	p.heading("2. Diễn biến theo tháng")
	for _, c := range r.Trends {
		p.need(72)
		p.font("B", pdfBody)
		p.line(c.Title, 5, "L")
		p.lineChart(c, pdfMargin, p.y, contentW, 58)
		p.y += 62
	}
	trend := make([][]string, len(r.Dashboard.Trend))
	for i, m := range r.Dashboard.Trend {
		overdue := fmt.Sprint(m.CasesOverdue)
		if !m.HasData() {
			overdue = NoDataText
		}
		trend[i] = []string{MonthLabel(m.Month), Percent(m.SignedShare()), Percent(m.OnTimeShare()), overdue,
			Hours(m.MedianHoursToAccept), Percent(m.LeaderShare())}
	}
	p.table([]string{"Tháng", "Có chữ ký số", "Đúng hạn", "Quá hạn", "Tiếp nhận (trung vị)", "Lãnh đạo sử dụng"},
		[]float64{22, 30, 30, 22, 40, 36}, trend)

	if len(r.Rows) > 0 {
		p.heading("3. Các đơn vị trực thuộc: " + lowerFirst(r.SortLabel))
		p.barChart(r.Units)
		units := make([][]string, len(r.Rows))
		for i, u := range r.Rows {
			units[i] = []string{u.UnitName, u.Signed, u.OnTime, u.Overdue, u.Median, u.Leaders}
		}
		p.table([]string{"Đơn vị", "Có chữ ký số", "Đúng hạn", "Quá hạn", "Tiếp nhận", "Lãnh đạo"}, []float64{62, 24, 24, 20, 26, 24}, units)
	}

	if r.Dashboard.Kind != "department" {
		p.heading("4. Hồ sơ quá hạn chưa xử lý")
		if len(r.Dashboard.Overdue) == 0 {
			p.font("I", pdfBody)
			p.line("Không có hồ sơ quá hạn.", 6, "L")
		} else {
			over := make([][]string, len(r.Dashboard.Overdue))
			for i, o := range r.Dashboard.Overdue {
				over[i] = []string{o.NumberSymbol, o.Title, o.Sender, o.Due.Format("02/01/2006"), fmt.Sprint(o.DaysLate)}
			}
			p.table([]string{"Số, ký hiệu", "Trích yếu", "Nơi gửi", "Hạn xử lý", "Ngày quá hạn"}, []float64{28, 66, 38, 22, 26}, over)
		}
	}

	p.heading("Cách tính")
	p.font("", pdfSmall+0.5)
	for _, d := range Definitions {
		for _, l := range pdf.SplitText(p.clean(d), contentW) {
			p.need(4.2)
			p.line(l, 4.2, "L")
		}
		p.y += 1
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("dashboard: unable to write the PDF: %v", err)
	}
	return nil
}

// pdfReport is the PDF being laid out from the top down; y is where the
// next thing goes.
type pdfReport struct {
	pdf *fpdf.Fpdf
	y   float64
}

func (p *pdfReport) font(style string, pt float64) { p.pdf.SetFont("serif", style, pt) }

// clean makes s printable: NFC (the font has the precomposed Vietnamese
// letters) and no control characters.
func (p *pdfReport) clean(s string) string {
	s = norm.NFC.String(strings.ToValidUTF8(s, "?"))
	return strings.Map(func(c rune) rune {
		switch {
		case c == '\t' || c == '\n' || c == '\r':
			return ' '
		case c < ' ' || c == 0x7f || c > 0xFFFF:
			return -1
		}
		return c
	}, s)
}

// clip shortens s with an ellipsis to fit w.
func (p *pdfReport) clip(s string, w float64) string {
	s = p.clean(s)
	if p.pdf.GetStringWidth(s) <= w {
		return s
	}
	rs := []rune(s)
	for len(rs) > 0 && p.pdf.GetStringWidth(string(rs)+"…") > w {
		rs = rs[:len(rs)-1]
	}
	return string(rs) + "…"
}

// need starts a new page when h does not fit on this one.
func (p *pdfReport) need(h float64) bool {
	if p.y+h <= pdfBottom {
		return false
	}
	p.pdf.AddPage()
	p.y = pdfMargin
	return true
}

func (p *pdfReport) line(s string, h float64, align string) {
	p.pdf.SetXY(pdfMargin, p.y)
	p.pdf.CellFormat(contentW, h, p.clip(s, contentW), "", 0, align, false, 0, "")
	p.y += h
}

func (p *pdfReport) heading(s string) {
	p.need(20)
	p.y += 3
	p.font("B", 12)
	p.line(s, 7, "L")
	p.y += 1
}

// table draws a table with wrapped cells; its heading is repeated on
// each new page.
func (p *pdfReport) table(heads []string, widths []float64, rows [][]string) {
	pdf := p.pdf
	head := func() {
		p.font("B", pdfSmall+0.5)
		pdf.SetFillColor(235, 239, 244)
		x := pdfMargin
		for i, h := range heads {
			pdf.SetXY(x, p.y)
			pdf.CellFormat(widths[i], pdfRowH+1, p.clip(h, widths[i]-2), "1", 0, "C", true, 0, "")
			x += widths[i]
		}
		p.y += pdfRowH + 1
	}
	p.need(2 * (pdfRowH + 1))
	head()
	p.font("", pdfSmall+0.5)
	lh := 4.2
	for _, row := range rows {
		lines := make([][]string, len(row))
		n := 1
		for i, c := range row {
			lines[i] = pdf.SplitText(p.clean(c), widths[i]-2)
			n = max(n, len(lines[i]))
		}
		h := float64(n)*lh + 1.6
		if p.need(h) {
			head()
			p.font("", pdfSmall+0.5)
		}
		x := pdfMargin
		for i, ls := range lines {
			pdf.Rect(x, p.y, widths[i], h, "D")
			align := "L"
			if i > 0 && len(ls) <= 1 {
				align = "C"
			}
			for k, l := range ls {
				pdf.SetXY(x+1, p.y+0.8+float64(k)*lh)
				pdf.CellFormat(widths[i]-2, lh, l, "", 0, align, false, 0, "")
			}
			x += widths[i]
		}
		p.y += h
	}
	p.y += 3
}

func (p *pdfReport) dashed(x1, y1, x2, y2 float64) {
	p.pdf.SetDrawColor(179, 38, 30)
	p.pdf.SetLineWidth(0.5)
	p.pdf.SetDashPattern([]float64{2, 1}, 0)
	p.pdf.Line(x1, y1, x2, y2)
	p.pdf.SetDashPattern(nil, 0)
	p.pdf.SetDrawColor(0, 0, 0)
	p.pdf.SetLineWidth(0.2)
}

// lineChart draws c's series in the box (x, y, w, h), like Chart.SVG.
func (p *pdfReport) lineChart(c Chart, x, y, w, h float64) {
	pdf := p.pdf
	x0, x1, y0, y1 := x+14, x+w-2, y+2, y+h-8
	top := c.Top()
	n := len(c.Months)
	xOf := func(i int) float64 {
		if n <= 1 {
			return (x0 + x1) / 2
		}
		return x0 + (x1-x0)*float64(i)/float64(n-1)
	}
	yOf := func(v float64) float64 { return y1 - (y1-y0)*math.Min(v, top)/top }
	p.font("", 7.5)
	pdf.SetDrawColor(221, 227, 234)
	pdf.SetLineWidth(0.2)
	for _, v := range []float64{0, top / 2, top} {
		pdf.Line(x0, yOf(v), x1, yOf(v))
		pdf.SetXY(x, yOf(v)-2)
		pdf.CellFormat(13, 4, c.Value(v), "", 0, "R", false, 0, "")
	}
	pdf.SetDrawColor(0, 0, 0)
	step := max(1, (n+11)/12)
	for i, m := range c.Months {
		if i%step == 0 || i == n-1 {
			pdf.SetXY(xOf(i)-8, y1+1)
			pdf.CellFormat(16, 4, tick(m, i == 0), "", 0, "C", false, 0, "")
		}
	}
	if c.Target >= 0 {
		p.dashed(x0, yOf(c.Target), x1, yOf(c.Target))
		pdf.SetTextColor(179, 38, 30)
		pdf.SetXY(x1-40, yOf(c.Target)-4.5)
		pdf.CellFormat(40, 4, c.TargetLabel, "", 0, "R", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	}
	empty := true
	pdf.SetDrawColor(11, 79, 138)
	pdf.SetFillColor(11, 79, 138)
	pdf.SetLineWidth(0.7)
	for _, s := range c.Series {
		for i, v := range s.Values {
			if v < 0 || i >= n {
				continue
			}
			empty = false
			if i > 0 && s.Values[i-1] >= 0 {
				pdf.Line(xOf(i-1), yOf(s.Values[i-1]), xOf(i), yOf(v))
			}
			pdf.Circle(xOf(i), yOf(v), 0.9, "F")
		}
	}
	pdf.SetDrawColor(0, 0, 0)
	pdf.SetLineWidth(0.2)
	if empty {
		p.font("I", pdfBody)
		pdf.SetTextColor(90, 100, 110)
		pdf.SetXY(x0, (y0+y1)/2-3)
		pdf.CellFormat(x1-x0, 6, NoDataText, "", 0, "C", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	}
}

// barChart draws c's bars, as many rows a page as fit, with the target
// line over each page's part.
func (p *pdfReport) barChart(c Chart) {
	pdf := p.pdf
	const rowH, labelW, valueW = 5.5, 58.0, 34.0
	x0 := pdfMargin + labelW
	bw := contentW - labelW - valueW
	top := c.Top()
	xOf := func(v float64) float64 { return x0 + bw*math.Min(v, top)/top }
	i := 0
	for i < len(c.Bars) {
		p.need(rowH*3 + 10)
		start := p.y
		for ; i < len(c.Bars) && p.y+rowH <= pdfBottom-10; i++ {
			b := c.Bars[i]
			p.font("", pdfSmall)
			pdf.SetXY(pdfMargin, p.y)
			pdf.CellFormat(labelW-2, rowH, p.clip(ShortName(b.Label), labelW-2), "", 0, "R", false, 0, "")
			if b.Value >= 0 {
				if c.Target >= 0 && c.below(b.Value) {
					pdf.SetFillColor(179, 38, 30)
				} else {
					pdf.SetFillColor(11, 79, 138)
				}
				wd := math.Max(xOf(b.Value)-x0, 0.4)
				pdf.Rect(x0, p.y+1, wd, rowH-2, "F")
				pdf.SetXY(x0+wd+1, p.y)
				pdf.CellFormat(valueW, rowH, c.Value(b.Value), "", 0, "L", false, 0, "")
			} else {
				p.font("I", pdfSmall)
				pdf.SetTextColor(90, 100, 110)
				pdf.SetXY(x0+1, p.y)
				pdf.CellFormat(bw, rowH, NoDataText, "", 0, "L", false, 0, "")
				pdf.SetTextColor(0, 0, 0)
			}
			p.y += rowH
		}
		pdf.SetDrawColor(150, 150, 150)
		pdf.Line(x0, start, x0, p.y)
		pdf.SetDrawColor(0, 0, 0)
		p.font("", 7.5)
		for _, v := range []float64{0, top / 2, top} {
			pdf.SetXY(xOf(v)-10, p.y)
			pdf.CellFormat(20, 4, c.Value(v), "", 0, "C", false, 0, "")
		}
		if c.Target >= 0 {
			p.dashed(xOf(c.Target), start, xOf(c.Target), p.y)
			pdf.SetTextColor(179, 38, 30)
			pdf.SetXY(xOf(c.Target)-20, p.y+4)
			pdf.CellFormat(40, 4, c.TargetLabel, "", 0, "C", false, 0, "")
			pdf.SetTextColor(0, 0, 0)
		}
		p.y += 10
	}
}

func lowerFirst(s string) string {
	rs := []rune(s)
	if len(rs) > 0 {
		rs[0] = []rune(strings.ToLower(string(rs[0])))[0]
	}
	return string(rs)
}
