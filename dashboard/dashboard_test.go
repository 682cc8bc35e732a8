package dashboard

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/routing"
	"github.com/xuri/excelize/v2"
)

func sample() routing.Dashboard {
	h := 3.5
	return routing.Dashboard{
		UnitID: 2, UnitName: "Phòng Giáo dục và Đào tạo Quận 1", Kind: "district_office", ParentID: 1, ParentName: "Sở Giáo dục và Đào tạo",
		From: "2026-11", To: "2026-12",
		Totals: routing.Figures{Issued: 10, IssuedValid: 9, CasesDue: 40, CasesOnTime: 39, CasesOverdue: 2, Received: 50,
			MedianHoursToAccept: &h, LeaderMonths: 4, LeadersActive: 4, Meetings: 2, MeetingsPaperless: 1, PagesNotPrinted: 120},
		Trend: []routing.MonthFigures{
			{Month: "2026-11"},
			{Month: "2026-12", Figures: routing.Figures{Issued: 10, IssuedValid: 9, CasesDue: 40, CasesOnTime: 39}},
		},
		Children: []routing.UnitFigures{
			{UnitID: 3, UnitName: "Trường THCS Lê Quý Đôn", Kind: "school", Figures: routing.Figures{CasesDue: 10, CasesOnTime: 10, Received: 3}},
			{UnitID: 4, UnitName: "Trường Tiểu học Kết Đoàn", Kind: "school", Figures: routing.Figures{CasesDue: 10, CasesOnTime: 7, CasesOverdue: 2}},
			{UnitID: 5, UnitName: "Trường Mầm non Hoa Lư", Kind: "school"},
		},
		Overdue: []routing.OverdueCase{{DeliveryID: 7, DocumentID: 8, NumberSymbol: "12/KH-SGDĐT", Title: "Kế hoạch chuyển đổi số năm học",
			Sender: "Sở Giáo dục và Đào tạo", Due: time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC), DaysLate: 6}},
		RefreshedAt: time.Date(2026, 12, 11, 1, 0, 0, 0, time.UTC),
	}
}

func link(id int64) string { return "/dashboard?unit=" + strconv.FormatInt(id, 10) }

func TestDashboardReport(t *testing.T) {
	r := Build(sample(), "", link, time.Now())
	if r.Sort != SortOnTime {
		t.Fatalf("default sort %q", r.Sort)
	}
	// Laggards first, no data last.
	var order []string
	for _, row := range r.Rows {
		order = append(order, row.UnitName)
	}
	if strings.Join(order, "|") != "Trường Tiểu học Kết Đoàn|Trường THCS Lê Quý Đôn|Trường Mầm non Hoa Lư" {
		t.Fatalf("order %v", order)
	}
	if r.Units.Bars[0].Link != "/dashboard?unit=4" || r.Units.Bars[2].Value != NoData {
		t.Fatalf("bars %+v", r.Units.Bars)
	}
	want := map[string]string{SortSigned: "90%", SortOnTime: "97,5%", SortMedian: "3,5 giờ", SortOverdue: "2", SortLeaders: "100%", "meetings": "1/2 cuộc họp"}
	for _, tg := range r.Targets {
		if tg.Value != want[tg.Key] {
			t.Errorf("%s = %q, want %q", tg.Key, tg.Value, want[tg.Key])
		}
	}
	if !r.Targets[1].Missed || !r.Targets[4].Met {
		t.Errorf("targets %+v", r.Targets)
	}
	// Overdue: the most first.
	r = Build(sample(), SortOverdue, link, time.Now())
	if r.Rows[0].UnitName != "Trường Tiểu học Kết Đoàn" || r.Rows[2].Overdue != NoDataText {
		t.Fatalf("by overdue %+v", r.Rows)
	}
	// No activity at all: no data, never 0% or 100%.
	empty := Build(routing.Dashboard{UnitName: "Trường A", Kind: "school", From: "2026-12", To: "2026-12",
		Trend: []routing.MonthFigures{{Month: "2026-12"}}}, "", link, time.Now())
	for _, tg := range empty.Targets {
		if tg.Value != NoDataText || tg.Met || tg.Missed {
			t.Errorf("empty %s: %+v", tg.Key, tg)
		}
	}
	for _, c := range append(empty.Trends, empty.Units) {
		svg := string(c.SVG())
		if !strings.Contains(svg, NoDataText) || strings.Contains(svg, "0%</text><circle") {
			t.Errorf("empty chart %s: %s", c.ID, svg)
		}
	}
}

func TestDashboardSVG(t *testing.T) {
	r := Build(sample(), SortOnTime, link, time.Now())
	for _, c := range append(r.Trends, r.Units) {
		svg := string(c.SVG())
		if err := xml.Unmarshal([]byte(svg), new(any)); err != nil {
			t.Fatalf("%s is not well-formed: %v\n%s", c.ID, err, svg)
		}
		for _, want := range []string{`role="img"`, `viewBox="0 0 `, `width="100%"`, `<title id="` + c.ID + `-title">`, `<desc id="` + c.ID + `-desc">`, "Mục tiêu"} {
			if !strings.Contains(svg, want) {
				t.Errorf("%s lacks %q", c.ID, want)
			}
		}
	}
	bars := string(r.Units.SVG())
	for _, want := range []string{`href="/dashboard?unit=4"`, "Trường Tiểu học Kết Đoàn", "70%", "Mục tiêu 98%", NoDataText} {
		if !strings.Contains(bars, want) {
			t.Errorf("the bars lack %q", want)
		}
	}
	// A name is escaped.
	c := Chart{ID: "x", Title: "<b>", Target: NoData, Bars: []Bar{{Label: `"><script>`, Value: 1}}}
	if s := string(c.SVG()); strings.Contains(s, "<script>") || strings.Contains(s, "<b>") {
		t.Errorf("not escaped: %s", s)
	}
}

func TestDashboardXLSX(t *testing.T) {
	var b bytes.Buffer
	r := Build(sample(), SortOnTime, link, time.Date(2026, 12, 11, 2, 0, 0, 0, time.UTC))
	if err := WriteXLSX(&b, r); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); strings.Join(got, "|") != "Chỉ tiêu|Theo tháng|Đơn vị trực thuộc|Hồ sơ quá hạn" {
		t.Fatalf("sheets %v", got)
	}
	cell := func(sheet, c string) string {
		t.Helper()
		v, err := f.GetCellValue(sheet, c)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	raw := func(sheet, c string) string {
		t.Helper()
		v, err := f.GetCellValue(sheet, c, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for c, want := range map[string]string{
		"A1": "CHỈ SỐ THỰC HIỆN KẾ HOẠCH CẢI CÁCH HÀNH CHÍNH", "A2": "Phòng Giáo dục và Đào tạo Quận 1 và các trường trực thuộc, từ tháng 11/2026 đến tháng 12/2026",
		"A5": "Chỉ tiêu", "B5": "Kết quả", "A6": "Văn bản phát hành có chữ ký số", "E6": "Chưa đạt", "A7": "Hồ sơ xử lý đúng hạn",
		"D7": "39/40 hồ sơ đến hạn", "E10": "Đạt",
	} {
		if got := cell(SheetTargets, c); got != want {
			t.Errorf("%s!%s = %q, want %q", SheetTargets, c, got, want)
		}
	}
	if got := raw(SheetTargets, "B7"); got != "0.975" {
		t.Errorf("on-time share %q", got)
	}
	if got := raw(SheetTargets, "C7"); got != "0.98" {
		t.Errorf("on-time goal %q", got)
	}
	// The trend: a month with nothing is no data, not 0%.
	if got := cell(SheetTrend, "A6"); got != "11/2026" {
		t.Errorf("trend month %q", got)
	}
	if got := cell(SheetTrend, "D6"); got != NoDataText {
		t.Errorf("an empty month's share %q", got)
	}
	if got := raw(SheetTrend, "G7"); got != "0.975" {
		t.Errorf("December's on-time share %q", got)
	}
	if got := cell(SheetUnits, "A6"); got != "Trường Tiểu học Kết Đoàn" {
		t.Errorf("the first unit %q", got)
	}
	if got := cell(SheetUnits, "H8"); got != NoDataText {
		t.Errorf("a quiet school's share %q", got)
	}
	for c, want := range map[string]string{"A6": "12/KH-SGDĐT", "B6": "Kế hoạch chuyển đổi số năm học", "D6": "05/12/2026", "E6": "6"} {
		if got := cell(SheetOverdue, c); got != want {
			t.Errorf("%s!%s = %q, want %q", SheetOverdue, c, got, want)
		}
	}
	if n := FileName(r, "xlsx"); n != "Chỉ số cải cách hành chính - Phòng Giáo dục và Đào tạo Quận 1 - 11-2026 đến 12-2026.xlsx" {
		t.Errorf("file name %q", n)
	}
}

func TestDashboardPDF(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	for _, d := range []routing.Dashboard{sample(), {UnitName: "Trường A", Kind: "school", From: "2026-12", To: "2026-12",
		Trend: []routing.MonthFigures{{Month: "2026-12"}}}} {
		var b bytes.Buffer
		if err := WritePDF(&b, Build(d, "", link, time.Now())); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "r.pdf")
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("pdftotext", "-enc", "UTF-8", p, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(strings.Fields(string(out)), " ")
		want := []string{"CHỈ SỐ THỰC HIỆN KẾ HOẠCH CẢI CÁCH HÀNH CHÍNH", "Kết quả so với mục tiêu", "Hồ sơ xử lý đúng hạn", "Mục tiêu 98%",
			"Diễn biến theo tháng", "Cách tính", "Trang 1/"}
		if d.UnitName == "Trường A" {
			want = append(want, NoDataText, "Không có hồ sơ quá hạn")
		} else {
			want = append(want, "97,5%", "Trường Tiểu học Kết Đoàn", "70%", "Hồ sơ quá hạn chưa xử lý", "12/KH-SGDĐT", "Kế hoạch chuyển đổi số năm học",
				"Phòng Giáo dục và Đào tạo Quận 1 và các trường trực thuộc")
		}
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: the PDF lacks %q:\n%s", d.UnitName, w, text)
			}
		}
		if strings.Contains(text, "{nb}") {
			t.Errorf("the page count was not filled in")
		}
	}
}
