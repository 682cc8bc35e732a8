package dashboard

import (
	"fmt"
	"io"

	"github.com/hcm-edu/vanban/routing"
	"github.com/xuri/excelize/v2"
)

// The sheets of the XLSX export.
const (
	SheetTargets = "Chỉ tiêu"
	SheetTrend   = "Theo tháng"
	SheetUnits   = "Đơn vị trực thuộc"
	SheetOverdue = "Hồ sơ quá hạn"
)

// headerRow is the row of the tables' headings; above it, the title, the
// scope and period, and when the figures were computed.
const headerRow = 5

// FileName is the download name of an export of r: "Chỉ số cải cách
// hành chính - Quận 1 - 01-2026 đến 12-2026.xlsx".
func FileName(r Report, ext string) string {
	period := MonthLabel(r.Dashboard.From)
	if r.Dashboard.To != r.Dashboard.From {
		period += " đến " + MonthLabel(r.Dashboard.To)
	}
	name := fmt.Sprintf("Chỉ số cải cách hành chính - %s - %s.%s", r.Dashboard.UnitName, period, ext)
	out := []rune{}
	for _, c := range name {
		switch c {
		case '/', '\\', ':', '*', '?', '"', '<', '>', '|':
			c = '-'
		}
		out = append(out, c)
	}
	return string(out)
}

var figureHeads = []string{
	"Văn bản phát hành", "Có chữ ký số hợp lệ", "Tỷ lệ có chữ ký số", "Hồ sơ đến hạn", "Đúng hạn", "Tỷ lệ đúng hạn",
	"Quá hạn chưa xử lý", "Văn bản đến", "Thời gian tiếp nhận (giờ, trung vị)", "Lượt lãnh đạo × tháng", "Lượt lãnh đạo ký/chỉ đạo",
	"Tỷ lệ lãnh đạo sử dụng", "Cuộc họp đã kết thúc", "Cuộc họp có tài liệu điện tử",
}

// figureCells are f's cells under figureHeads: a share with no data is
// the text NoDataText, never 0 or 1.
func figureCells(f routing.Figures) []any {
	share := func(v float64) any {
		if v < 0 {
			return NoDataText
		}
		return v
	}
	var median any = NoDataText
	if f.MedianHoursToAccept != nil {
		median = *f.MedianHoursToAccept
	}
	return []any{f.Issued, f.IssuedValid, share(f.SignedShare()), f.CasesDue, f.CasesOnTime, share(f.OnTimeShare()),
		f.CasesOverdue, f.Received, median, f.LeaderMonths, f.LeadersActive, share(f.LeaderShare()), f.Meetings, f.MeetingsPaperless}
}

// shareColumns are the 0-based columns of figureCells holding shares.
var shareColumns = []int{2, 5, 11}

// WriteXLSX writes the report as a workbook: the totals against the
// targets, the monthly trend, the units under the scope and the overdue
// cases, one sheet each, with Vietnamese headings.
func WriteXLSX(w io.Writer, r Report) error {
	f := excelize.NewFile()
	defer f.Close()
	x := &book{f: f}
	x.styles()
	d := r.Dashboard

	x.sheet(SheetTargets, r, []string{"Chỉ tiêu", "Kết quả", "Mục tiêu", "Tính trên", "Đánh giá"}, []float64{44, 18, 14, 36, 16})
	for i, t := range r.Targets {
		row := headerRow + 1 + i
		var value, goal any = t.Value, ""
		switch {
		case t.NoData:
		case t.Share || t.Key == SortMedian:
			value = t.Raw
		case t.Key == SortOverdue:
			value = int(t.Raw)
		}
		if t.Goal >= 0 {
			goal = t.Goal
		}
		verdict := ""
		switch {
		case t.NoData:
			verdict = NoDataText
		case t.Met:
			verdict = "Đạt"
		case t.Missed && t.Goal >= 0:
			verdict = "Chưa đạt"
		}
		x.row(SheetTargets, row, []any{t.Label, value, goal, t.Detail, verdict})
		if t.Share {
			x.percent(SheetTargets, "B", row)
		}
		if t.Goal >= 0 {
			x.percent(SheetTargets, "C", row)
		}
	}
	notes := headerRow + len(r.Targets) + 2
	x.cell(SheetTargets, "A", notes, "Cách tính")
	x.check(x.f.SetCellStyle(SheetTargets, cellName("A", notes), cellName("A", notes), x.bold))
	for i, def := range Definitions {
		x.cell(SheetTargets, "A", notes+1+i, def)
	}

	widths := append([]float64{12}, repeat(14, len(figureHeads))...)
	x.sheet(SheetTrend, r, append([]string{"Tháng"}, figureHeads...), widths)
	for i, m := range d.Trend {
		row := headerRow + 1 + i
		x.row(SheetTrend, row, append([]any{MonthLabel(m.Month)}, figureCells(m.Figures)...))
		x.percents(SheetTrend, row, 1)
	}

	heads := append([]string{"Đơn vị", "Số đơn vị trực thuộc"}, figureHeads...)
	heads = append(heads, "Trang không phải in")
	x.sheet(SheetUnits, r, heads, append([]float64{40, 12}, repeat(14, len(figureHeads)+1)...))
	for i, u := range r.Rows {
		row := headerRow + 1 + i
		cells := append([]any{u.UnitName, u.Units}, figureCells(u.Figures)...)
		x.row(SheetUnits, row, append(cells, u.PagesNotPrinted))
		x.percents(SheetUnits, row, 2)
	}
	if len(r.Rows) == 0 {
		x.cell(SheetUnits, "A", headerRow+1, "Không có đơn vị trực thuộc")
	}

	x.sheet(SheetOverdue, r, []string{"Số, ký hiệu", "Trích yếu", "Nơi gửi", "Hạn xử lý", "Số ngày quá hạn"}, []float64{20, 60, 36, 14, 14})
	for i, o := range d.Overdue {
		x.row(SheetOverdue, headerRow+1+i, []any{o.NumberSymbol, o.Title, o.Sender, o.Due.Format("02/01/2006"), o.DaysLate})
	}
	if len(d.Overdue) == 0 {
		x.cell(SheetOverdue, "A", headerRow+1, "Không có hồ sơ quá hạn")
	}

	f.SetActiveSheet(0)
	if x.err != nil {
		return fmt.Errorf("dashboard: unable to write the workbook: %v", x.err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("dashboard: unable to write the workbook: %v", err)
	}
	return nil
}

func repeat(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// book is a workbook being written; the first error stops it.
type book struct {
	f                      *excelize.File
	err                    error
	bold, head, pct, title int
}

func (x *book) check(err error) {
	if x.err == nil {
		x.err = err
	}
}

func (x *book) styles() {
	var err error
	x.bold, err = x.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	x.check(err)
	x.title, err = x.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	x.check(err)
	x.head, err = x.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Color: []string{"EEF2F7"}, Pattern: 1},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "center"},
		Border:    []excelize.Border{{Type: "bottom", Color: "999999", Style: 1}}})
	x.check(err)
	x.pct, err = x.f.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
	x.check(err)
}

// sheet makes the sheet (the first one renames the default) with the
// report's title lines and the heading row.
func (x *book) sheet(name string, r Report, heads []string, widths []float64) {
	if idx, _ := x.f.GetSheetIndex("Sheet1"); idx >= 0 {
		x.check(x.f.SetSheetName("Sheet1", name))
	} else {
		_, err := x.f.NewSheet(name)
		x.check(err)
	}
	x.cell(name, "A", 1, "CHỈ SỐ THỰC HIỆN KẾ HOẠCH CẢI CÁCH HÀNH CHÍNH")
	x.check(x.f.SetCellStyle(name, "A1", "A1", x.title))
	x.cell(name, "A", 2, r.Scope+", "+r.Period)
	x.cell(name, "A", 3, "Số liệu tính lúc "+Refreshed(r.Dashboard.RefreshedAt)+"; xuất lúc "+Refreshed(r.GeneratedAt))
	cells := make([]any, len(heads))
	for i, h := range heads {
		cells[i] = h
	}
	x.row(name, headerRow, cells)
	last, _ := excelize.ColumnNumberToName(len(heads))
	x.check(x.f.SetCellStyle(name, cellName("A", headerRow), cellName(last, headerRow), x.head))
	for i, w := range widths {
		col, _ := excelize.ColumnNumberToName(i + 1)
		x.check(x.f.SetColWidth(name, col, col, w))
	}
	x.check(x.f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: headerRow, TopLeftCell: cellName("A", headerRow+1), ActivePane: "bottomLeft"}))
}

func (x *book) row(sheet string, row int, cells []any) {
	x.check(x.f.SetSheetRow(sheet, cellName("A", row), &cells))
}

func (x *book) cell(sheet, col string, row int, v any) {
	x.check(x.f.SetCellValue(sheet, cellName(col, row), v))
}

func (x *book) percent(sheet, col string, row int) {
	c := cellName(col, row)
	x.check(x.f.SetCellStyle(sheet, c, c, x.pct))
}

// percents formats the share columns of figure cells that start at the
// 0-based column first.
func (x *book) percents(sheet string, row, first int) {
	for _, c := range shareColumns {
		col, _ := excelize.ColumnNumberToName(first + c + 1)
		x.percent(sheet, col, row)
	}
}

func cellName(col string, row int) string { return fmt.Sprintf("%s%d", col, row) }
