package registers

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/testenv"
)

var header = Header{
	Organisation: "Ủy ban nhân dân Thành phố Hồ Chí Minh",
	Unit:         "Sở Giáo dục và Đào tạo",
	Year:         2026,
	GeneratedAt:  time.Date(2026, 3, 10, 2, 5, 0, 0, time.UTC),
}

var districts = []string{
	"Quận 1", "Quận 3", "Quận 4", "Quận 5", "Quận 6", "Quận 7", "Quận 8", "Quận 10", "Quận 11",
	"Quận 12", "Quận Bình Tân", "Quận Bình Thạnh", "Quận Gò Vấp", "Quận Phú Nhuận", "Quận Tân Bình",
	"Quận Tân Phú", "thành phố Thủ Đức", "huyện Bình Chánh", "huyện Cần Giờ", "huyện Củ Chi",
	"huyện Hóc Môn", "huyện Nhà Bè",
}

func sampleOutgoing(n int) []Outgoing {
	types := []string{"Kế hoạch", "Công văn", "Quyết định", "Thông báo", "Hướng dẫn"}
	rows := make([]Outgoing, n)
	for i := range rows {
		var rec []string
		for j := range 1 + i%7 {
			rec = append(rec, "Phòng Giáo dục và Đào tạo "+districts[(i+j)%len(districts)])
		}
		rows[i] = Outgoing{
			NumberSymbol: fmt.Sprintf("%02d/KH-SGDĐT", i+1),
			Date:         time.Date(2026, 1, 2, 3, 0, 0, 0, vietnam).AddDate(0, 0, i/40),
			Type:         types[i%len(types)],
			Title:        "Triển khai nhiệm vụ năm học 2025-2026 đối với giáo dục mầm non, tiểu học và trung học cơ sở",
			Signer:       "Nguyễn Văn Hiếu",
			Recipients:   strings.Join(rec, ";\n"),
			FileUnit:     "Văn phòng Sở",
			Copies:       1 + i%3,
			SentAt:       ptr(time.Date(2026, 1, 2, 9, 0, 0, 0, vietnam).AddDate(0, 0, i/40)),
			Notes:        "",
		}
	}
	return rows
}

func needTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		testenv.Missing(t, name)
	}
}

// inspect writes the PDF out, checks it with qpdf and returns its page
// count and its text as pdftotext -layout lays it out.
func inspect(t *testing.T, pdf []byte) (pages int, text string) {
	t.Helper()
	for _, tool := range []string{"qpdf", "pdfinfo", "pdftotext"} {
		needTool(t, tool)
	}
	f := filepath.Join(t.TempDir(), "register.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("qpdf", "--check", f).CombinedOutput(); err != nil {
		t.Fatalf("qpdf --check: %v\n%s", err, out)
	}
	out, err := exec.Command("pdfinfo", f).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfinfo: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)$`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("pdfinfo gave no page count:\n%s", out)
	}
	pages, _ = strconv.Atoi(string(m[1]))
	if !bytes.Contains(out, []byte("842 x 595")) && !bytes.Contains(out, []byte("841.89 x 595.28")) {
		t.Errorf("not A4 landscape:\n%s", out)
	}
	txt, err := exec.Command("pdftotext", "-layout", f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return pages, string(txt)
}

func TestOutgoingPDF(t *testing.T) {
	rows := sampleOutgoing(3)
	rows[0].Title = "Nguyễn Thị Thu Hà"
	rows[1].Type, rows[1].Title = "", "Phòng Giáo dục và Đào tạo Quận 1"
	rows[2].Notes = "Tuyệt đối"
	var b bytes.Buffer
	if err := OutgoingPDF(&b, header, rows); err != nil {
		t.Fatal(err)
	}
	pages, text := inspect(t, b.Bytes())
	if pages != 1 {
		t.Errorf("3 rows on %d pages, want 1", pages)
	}
	for _, want := range []string{
		"SỔ ĐĂNG KÝ VĂN BẢN ĐI", "Năm 2026", "SỞ GIÁO DỤC VÀ ĐÀO TẠO", "ỦY BAN NHÂN DÂN THÀNH PHỐ HỒ CHÍ MINH",
		"Trang 1/1", "Nguyễn Thị Thu Hà", "Phòng Giáo dục và Đào tạo Quận 1", "Nguyễn Văn Hiếu",
		"01/KH-SGDĐT", "02/01/2026", "Người ký", "Ký nhận", "(10)", "Tuyệt đối", "in lúc 09:05 ngày 10/03/2026",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF text lacks %q:\n%s", want, text)
		}
	}
}

func TestIncomingPDF(t *testing.T) {
	rows := []Incoming{{
		ReceivedAt:     time.Date(2026, 2, 23, 1, 0, 0, 0, time.UTC),
		IncomingNumber: 7,
		Author:         "Bộ Giáo dục và Đào tạo",
		NumberSymbol:   "1234/BGDĐT-GDTrH",
		Date:           time.Date(2026, 2, 12, 0, 0, 0, 0, vietnam),
		Type:           "Công văn",
		Title:          "V/v hướng dẫn thực hiện nhiệm vụ giáo dục trung học",
		Recipient:      "Phòng Giáo dục Trung học",
		ForwardedAt:    ptr(time.Date(2026, 2, 23, 10, 0, 0, 0, vietnam)),
		Notes:          "Ngày 23 tháng 02",
	}}
	var b bytes.Buffer
	if err := IncomingPDF(&b, header, rows); err != nil {
		t.Fatal(err)
	}
	pages, text := inspect(t, b.Bytes())
	if pages != 1 {
		t.Errorf("%d pages, want 1", pages)
	}
	for _, want := range []string{
		"SỔ ĐĂNG KÝ VĂN BẢN ĐẾN", "Trang 1/1", "Bộ Giáo dục và Đào tạo", "1234/BGDĐT-GDTrH",
		"23/02/2026", "12/02/2026", "07", "Tác giả", "Số đến", "Đơn vị hoặc",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF text lacks %q:\n%s", want, text)
		}
	}
}

func TestPDFEmpty(t *testing.T) {
	for name, render := range map[string]func(io.Writer) error{
		"outgoing": func(w io.Writer) error { return OutgoingPDF(w, header, nil) },
		"incoming": func(w io.Writer) error { return IncomingPDF(w, Header{}, nil) },
	} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := render(&b); err != nil {
				t.Fatal(err)
			}
			pages, text := inspect(t, b.Bytes())
			if pages != 1 {
				t.Errorf("an empty register has %d pages, want 1", pages)
			}
			for _, want := range []string{emptyRegister, "Trang 1/1"} {
				if !strings.Contains(text, want) {
					t.Errorf("the PDF text lacks %q:\n%s", want, text)
				}
			}
		})
	}
}

func TestPDFPages(t *testing.T) {
	var counts []int
	for _, n := range []int{10, 100, 400} {
		var b bytes.Buffer
		if err := OutgoingPDF(&b, header, sampleOutgoing(n)); err != nil {
			t.Fatal(err)
		}
		pages, text := inspect(t, b.Bytes())
		counts = append(counts, pages)
		last := fmt.Sprintf("Trang %d/%d", pages, pages)
		if !strings.Contains(text, last) {
			t.Errorf("%d rows: no %q", n, last)
		}
		// The heading is repeated on every page; the title only on the first.
		if got := strings.Count(text, "Người ký"); got != pages {
			t.Errorf("%d rows: the heading is on %d of %d pages", n, got, pages)
		}
		if got := strings.Count(text, "SỔ ĐĂNG KÝ VĂN BẢN ĐI"); got != 1+pages {
			t.Errorf("%d rows: the title appears %d times, want once plus one footer per page", n, got)
		}
		if got := strings.Count(text, "/KH-SGDĐT"); got != n {
			t.Errorf("%d rows: %d numbers in the text", n, got)
		}
	}
	if !(counts[0] < counts[1] && counts[1] < counts[2]) {
		t.Errorf("page counts %v do not grow with the rows", counts)
	}
}

// A row taller than a page is the one thing cut between pages; all its
// text is kept.
func TestPDFHugeRow(t *testing.T) {
	var rec []string
	for i := range 150 {
		rec = append(rec, fmt.Sprintf("Trường THPT T%03d", i+1))
	}
	rows := sampleOutgoing(2)
	rows[1].Recipients = strings.Join(rec, "; ")
	var b bytes.Buffer
	if err := OutgoingPDF(&b, header, rows); err != nil {
		t.Fatal(err)
	}
	pages, text := inspect(t, b.Bytes())
	if pages < 2 {
		t.Errorf("%d pages, want the long row to go on", pages)
	}
	for i := range 150 {
		if s := fmt.Sprintf("T%03d", i+1); !strings.Contains(text, s) {
			t.Errorf("recipient %q lost", s)
		}
	}
}

func TestPaginateKeepsRowsWhole(t *testing.T) {
	r := newTestRenderer(t)
	rows := sampleOutgoing(500)
	cells := make([][]string, len(rows))
	for i, row := range rows {
		cells[i] = row.cells()
	}
	pages := r.paginate(outgoingColumns, cells, 60, 30)
	n := 0
	for p, pg := range pages {
		y := 30.0
		if p == 0 {
			y = 60
		}
		if len(pg.pieces) == 0 {
			t.Errorf("page %d is empty", p+1)
		}
		for _, pc := range pg.pieces {
			y += pc.h
		}
		if y > tableBottom+1e-9 {
			t.Errorf("page %d runs to %.1f mm, past %.1f", p+1, y, tableBottom)
		}
		n += len(pg.pieces)
	}
	if n != len(rows) {
		t.Errorf("%d pieces for %d rows: a row was cut", n, len(rows))
	}
}

func TestWrap(t *testing.T) {
	r := newTestRenderer(t)
	r.setFont("", 10)
	tests := []struct {
		in    string
		width float64
		want  []string
	}{
		{"", 40, nil},
		{"Văn phòng Sở", 40, []string{"Văn phòng Sở"}},
		{"Phòng Giáo dục và Đào tạo thành phố Thủ Đức", 45, []string{"Phòng Giáo dục và Đào tạo", "thành phố Thủ Đức"}},
		{"a\r\nb\n\n", 40, []string{"a", "b"}},
		{"1234/BGDĐT-GDTrH", 20, []string{"1234/", "BGDĐT-", "GDTrH"}},
		{"1234/BGDĐT-GDTrH", 28, []string{"1234/BGDĐT-", "GDTrH"}},
		{"\tTab\u0007", 40, []string{"Tab"}},
		{"😀 Hà", 40, []string{"? Hà"}},
	}
	for _, tt := range tests {
		got := r.wrap(tt.in, tt.width)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("wrap(%q, %v) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
	}
	// A word wider than the cell is cut, and nothing is lost.
	long := strings.Repeat("Đ", 60)
	lines := r.wrap(long, 20)
	if len(lines) < 3 || strings.Join(lines, "") != long {
		t.Errorf("a long word wrapped as %q", lines)
	}
	for _, l := range lines {
		if w := r.width(l); w > 20 {
			t.Errorf("line %q is %.1f mm wide", l, w)
		}
	}
}

func TestColumnsFillThePage(t *testing.T) {
	for name, cols := range map[string][]column{"outgoing": outgoingColumns, "incoming": incomingColumns} {
		sum := 0.0
		for _, c := range cols {
			sum += c.width
		}
		if len(cols) != 10 || sum != pageW-2*margin {
			t.Errorf("%s: %d columns %.1f mm wide, want 10 filling %.1f mm", name, len(cols), sum, pageW-2*margin)
		}
	}
}

func newTestRenderer(t testing.TB) *renderer {
	t.Helper()
	cover, err := glyphs()
	if err != nil {
		t.Fatal(err)
	}
	pdf := newDocument("test", Header{})
	return &renderer{pdf: pdf, widths: map[string]*[65536]int32{}, cover: cover}
}

// Ten thousand rows, about two years of a busy department, should take a
// second or two.
func BenchmarkOutgoingPDF10000(b *testing.B) {
	rows := sampleOutgoing(10000)
	for b.Loop() {
		if err := OutgoingPDF(io.Discard, header, rows); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOutgoingCSV10000(b *testing.B) {
	rows := sampleOutgoing(10000)
	for b.Loop() {
		if err := WriteOutgoingCSV(io.Discard, rows); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSample writes a register to look at: VANBAN_REGISTER_SAMPLE=/tmp/x.pdf.
func TestSample(t *testing.T) {
	out := os.Getenv("VANBAN_REGISTER_SAMPLE")
	if out == "" {
		t.Skip("VANBAN_REGISTER_SAMPLE is not set")
	}
	var b bytes.Buffer
	if err := OutgoingPDF(&b, header, sampleOutgoing(60)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
