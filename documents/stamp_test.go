package documents

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadIssueLayout(t *testing.T) {
	printed, err := readIssueLayout(readTestdata(t, "206-KH-SGDDT.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	if !printed.number || printed.numberFilled != "206/KH-SGDĐT" || !printed.date || printed.dateFilled != "22 01" || printed.year != 2021 {
		t.Errorf("printed draft: %+v", printed)
	}
	blank, err := readIssueLayout(readTestdata(t, "206-KH-SGDDT-blank.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	if !blank.number || blank.numberFilled != "" || blank.slash == 0 || !blank.date || blank.dateFilled != "" || blank.year != 0 || blank.place != "Thành phố Hồ Chí Minh" {
		t.Errorf("blank draft: %+v", blank)
	}
	if blank.dayGap[1]-blank.dayGap[0] < 15 || blank.monthGap[1]-blank.monthGap[0] < 15 || blank.slash-blank.afterSo < 15 {
		t.Errorf("gaps: %+v", blank)
	}
}

// A draft with its number or date typed is refused when it is submitted
// for signing, with a message saying to leave them blank.
func TestCheckIssuePlaces(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, domain.VietnamTime)
	err := checkIssuePlaces(readTestdata(t, "206-KH-SGDDT.pdf"), now)
	var pe *domain.PreconditionError
	if !errors.As(err, &pe) || pe.Code != "number_prefilled" || !strings.Contains(pe.Message, "206/KH-SGDĐT") || !strings.Contains(pe.Message, "để trống") || !strings.Contains(pe.Message, "Phụ lục I") {
		t.Errorf("printed number: %v", err)
	}
	if err := checkIssuePlaces(readTestdata(t, "206-KH-SGDDT-blank.pdf"), now); err != nil {
		t.Errorf("blank draft: %v", err)
	}
	// Foreign layouts have no places: nothing to refuse.
	if err := checkIssuePlaces(testPDFWithText(t, "Hello", "World"), now); err != nil {
		t.Errorf("foreign layout: %v", err)
	}
}

func TestIssueMarksGoInTheirPlaces(t *testing.T) {
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, domain.VietnamTime)
	in := readTestdata(t, "206-KH-SGDDT-blank.pdf")
	is, err := issueMarks(in, "01/KH-SGDĐT", at)
	if err != nil || len(is.lines) != 0 {
		t.Fatal(is.lines, err)
	}
	marks := is.marks
	if len(marks) != 4 {
		t.Fatalf("%d marks, want number, day, month, year", len(marks))
	}
	l, _ := readIssueLayout(in)
	no := marks[0]
	if no.Text != "Số: 01/KH-SGDĐT" || no.Rect[2] > l.slash || no.Rect[0] < l.afterSo {
		t.Errorf("number mark %v %q, between %v and %v", no.Rect, no.Text, l.afterSo, l.slash)
	}
	for _, m := range marks[1:] {
		if m.Text != "Thành phố Hồ Chí Minh, ngày 06 tháng 12 năm 2026" || m.Page != 1 {
			t.Errorf("date mark %q", m.Text)
		}
	}
	if d := marks[1].Rect; d[0] < l.dayGap[0] || d[2] > l.dayGap[1] {
		t.Errorf("day %v outside %v", d, l.dayGap)
	}
	foreign := testPDFWithText(t, "Hello")
	if out, lines, notice, err := writeIssueMarks(foreign, "01/KH-SGDĐT", at); err != nil || notice == "" || string(out) != string(foreign) ||
		len(lines) != 2 || lines[0] != "Số: 01/KH-SGDĐT" || lines[1] != "Thành phố Hồ Chí Minh, ngày 06 tháng 12 năm 2026" {
		t.Errorf("foreign layout: lines %q, notice %q, err %v", lines, notice, err)
	}
	// A date already typed (minutes carry the meeting's) stays as it is.
	printed, err := issueMarks(readTestdata(t, "206-KH-SGDDT.pdf"), "01/KH-SGDĐT", at)
	if err != nil || len(printed.marks) != 0 || len(printed.lines) != 1 || printed.lines[0] != "Số: 01/KH-SGDĐT" {
		t.Errorf("printed draft: %+v, %v", printed.lines, err)
	}
}

// The signer is the person the document names.
func TestCheckSigner(t *testing.T) {
	in := readTestdata(t, "206-KH-SGDDT-blank.pdf")
	name, capacity, ok := signerNamed(in)
	if !ok || name != "Lê Hồng Sơn" || capacity != "" {
		t.Errorf("signer %q %q %v", name, capacity, ok)
	}
	if err := checkSigner(in, auth.Principal{FullName: "Lê Hồng Sơn"}); err != nil {
		t.Errorf("the named signer: %v", err)
	}
	if err := checkSigner(in, auth.Principal{FullName: "lê  hồng sơn"}); err != nil {
		t.Errorf("the named signer, other case and spacing: %v", err)
	}
	err := checkSigner(in, auth.Principal{FullName: "Lê Hoài Nam"})
	var pe *domain.PreconditionError
	if !errors.As(err, &pe) || !strings.HasPrefix(pe.Message, "Văn bản ghi người ký là Lê Hồng Sơn; bạn là Lê Hoài Nam") {
		t.Errorf("another signer: %v", err)
	}
	if name, _, _ := signerNamed(readTestdata(t, "206-KH-SGDDT-blank-hoainam.pdf")); name != "Lê Hoài Nam" {
		t.Errorf("changed draft names %q", name)
	}
}

func TestSignerCapacity(t *testing.T) {
	in := testPDF(t, testPage{lines: []textAt{
		{72, 700, "Body text of the plan."},
		{380, 300, "KT. GIAM DOC"},
		{380, 286, "PHO GIAM DOC"},
		{390, 200, "Le Van A"},
	}})
	name, capacity, ok := signerNamed(in)
	if !ok || name != "Le Van A" || capacity != "KT." {
		t.Errorf("signer %q, capacity %q, %v", name, capacity, ok)
	}
}
