package documents

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/go-pdf/fpdf"
	"github.com/hcm-edu/vanban/internal/fonts"
)

// textAt is a line of Courier text at x, y (points, 12 pt).
type textAt struct {
	x, y float64
	s    string
}

// testPage is one page of a hand-written test PDF.
type testPage struct {
	w, h   float64 // media box; A4 when zero
	rotate int
	crop   *[4]float64
	lines  []textAt
}

// testPDF writes a PDF by hand, one content stream per page.
func testPDF(t testing.TB, pages ...testPage) []byte {
	t.Helper()
	var b bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	kids := make([]string, len(pages))
	for i := range pages {
		kids[i] = fmt.Sprintf("%d 0 R", 4+2*i)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(pages)))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding /FirstChar 32 /LastChar 126 /Widths [" + strings.Repeat("600 ", 95) + "] >>")
	for i, p := range pages {
		if p.w == 0 {
			p.w, p.h = 595, 842
		}
		extra := ""
		if p.rotate != 0 {
			extra += fmt.Sprintf(" /Rotate %d", p.rotate)
		}
		if p.crop != nil {
			extra += fmt.Sprintf(" /CropBox [%g %g %g %g]", p.crop[0], p.crop[1], p.crop[2], p.crop[3])
		}
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %g %g]%s /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", p.w, p.h, extra, 5+2*i))
		var c strings.Builder
		for _, l := range p.lines {
			fmt.Fprintf(&c, "BT /F1 12 Tf %g %g Td (%s) Tj ET\n", l.x, l.y, l.s)
		}
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", c.Len(), c.String()))
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}

// testPDFWithText is a one-page A4 PDF with a line of text per argument.
func testPDFWithText(t testing.TB, lines ...string) []byte {
	var ls []textAt
	for i, s := range lines {
		ls = append(ls, textAt{72, 760 - 20*float64(i), s})
	}
	return testPDF(t, testPage{lines: ls})
}

// fullPage is a page whose every line, margin to margin, carries text.
func fullPage(w, h float64) []textAt {
	var ls []textAt
	line := strings.Repeat("Lorem ipsum dolor sit amet consectetur ", 8)
	for y := h - 30; y > 20; y -= 14 {
		ls = append(ls, textAt{20, y, line})
	}
	return ls
}

// vietDraft lays out page 1 of a Decree 30 draft with fpdf and the
// embedded Liberation Serif (Type0 fonts, as the service's own drafts):
// ô 3 and ô 4 as given, and the signer block naming signer.
func vietDraft(t testing.TB, numberLine, dateLine, position, signer string) []byte {
	t.Helper()
	pdf := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "pt", Size: fpdf.SizeType{Wd: 595, Ht: 842}})
	pdf.SetAutoPageBreak(false, 0)
	pdf.AddUTF8FontFromBytes("serif", "", fonts.Regular)
	pdf.AddUTF8FontFromBytes("serif", "B", fonts.Bold)
	pdf.AddUTF8FontFromBytes("serif", "I", fonts.Italic)
	pdf.AddPage()
	pdf.SetFont("serif", "B", 13)
	pdf.Text(100, 80, "SỞ GIÁO DỤC VÀ ĐÀO TẠO")
	pdf.Text(330, 80, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
	pdf.SetFont("serif", "", 13)
	pdf.Text(80, 120, numberLine)
	pdf.SetFont("serif", "I", 13)
	pdf.Text(260, 120, dateLine)
	pdf.SetFont("serif", "", 13)
	for y := 200.0; y < 560; y += 18 {
		pdf.Text(80, y, "Nội dung kế hoạch, dòng chữ trên trang.")
	}
	pdf.SetFont("serif", "B", 13)
	pdf.Text(400, 620, position)
	pdf.Text(405, 720, signer)
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
