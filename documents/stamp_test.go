package documents

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/signing"
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

// Drafts as the service lays them out (Type0 fonts): each way of filling
// ô 3 or ô 4 is refused at signing; blank ones get their marks.
func TestIssuePlacesInVietnameseDrafts(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, domain.VietnamTime)
	const blankDate = "Thành phố Hồ Chí Minh, ngày        tháng        năm"
	cases := []struct {
		name, number, date string
		code               string // "" when accepted
		marks              int
	}{
		{"blank", "Số:        /KH-SGDĐT", blankDate, "", 4},
		{"blank, year typed", "Số:        /KH-SGDĐT", blankDate + " 2026", "", 3},
		{"blank, no symbol", "Số:", blankDate, "", 4},
		{"number typed", "Số: 15/KH-SGDĐT", blankDate, "number_prefilled", 0},
		{"number dotted", "Số: ....../KH-SGDĐT", blankDate, "number_prefilled", 0},
		{"date typed", "Số:        /KH-SGDĐT", "Thành phố Hồ Chí Minh, ngày 05 tháng 12 năm 2026", "date_prefilled", 0},
		{"day typed", "Số:        /KH-SGDĐT", "Thành phố Hồ Chí Minh, ngày 05 tháng        năm", "date_prefilled", 0},
		{"another year", "Số:        /KH-SGDĐT", blankDate + " 2025", "date_prefilled", 0},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			in := vietDraft(t, tt.number, tt.date, "GIÁM ĐỐC", "Lê Hồng Sơn")
			err := checkIssuePlaces(in, now)
			var pe *domain.PreconditionError
			if tt.code == "" && err != nil || tt.code != "" && (!errors.As(err, &pe) || pe.Code != tt.code || !strings.Contains(pe.Message, "để trống")) {
				t.Fatalf("checkIssuePlaces: %v, want %q", err, tt.code)
			}
			if tt.code != "" {
				return
			}
			is, err := issueMarks(in, "01/KH-SGDĐT", now)
			if err != nil || len(is.marks) != tt.marks || len(is.lines) != 0 {
				t.Fatalf("%d marks, lines %q, %v", len(is.marks), is.lines, err)
			}
			if !coversNothing(t, in, is.marks) {
				t.Error("a mark covers text")
			}
			if name, _, ok := signerNamed(in); !ok || name != "Lê Hồng Sơn" {
				t.Errorf("signer %q", name)
			}
		})
	}
	// Gaps too narrow for the date: the date goes into the seal's text.
	in := vietDraft(t, "Số:        /KH-SGDĐT", "Thành phố Hồ Chí Minh, ngày tháng năm", "GIÁM ĐỐC", "Lê Hồng Sơn")
	is, err := issueMarks(in, "01/KH-SGDĐT", now)
	if err != nil || len(is.marks) != 1 || len(is.lines) != 1 || is.lines[0] != "Thành phố Hồ Chí Minh, ngày 06 tháng 12 năm 2026" {
		t.Errorf("narrow date: %d marks, lines %q, %v", len(is.marks), is.lines, err)
	}
	// A capacity line above the position.
	if _, capacity, _ := signerNamed(vietDraft(t, "Số:", blankDate, "KT. GIÁM ĐỐC", "Lê Hồng Sơn")); capacity != "KT." {
		t.Errorf("capacity %q", capacity)
	}
}

// coversNothing reports whether no mark lies over a glyph of page 1.
func coversNothing(t *testing.T, in []byte, marks []signing.IssueMark) bool {
	t.Helper()
	for _, m := range marks {
		if coversText(in, 1, m.Rect) {
			return false
		}
	}
	return true
}
