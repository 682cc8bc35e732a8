package documents

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/doctemplate"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/testenv"
)

// templatePDFs converts the draft of every type with a template to PDF
// with the real LibreOffice, in one run with its own profile; "long" is a
// kế hoạch of several pages, its signer on the last.
func templatePDFs(t *testing.T, signer doctemplate.Signer) map[string][]byte {
	t.Helper()
	if testing.Short() {
		t.Skip("needs LibreOffice: skipped in -short mode")
	}
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		testenv.Missing(t, "soffice (LibreOffice)") // fails under CI
	}
	dir := t.TempDir()
	u := doctemplate.Unit{ParentName: "UBND THÀNH PHỐ HỒ CHÍ MINH", Name: "SỞ GIÁO DỤC VÀ ĐÀO TẠO", Abbr: "SGDĐT", Place: domain.Place}
	args := []string{"-env:UserInstallation=file://" + filepath.Join(dir, "profile"), "--headless", "--norestore", "--convert-to", "pdf", "--outdir", filepath.Join(dir, "out")}
	var long []string
	for i := range 60 {
		long = append(long, fmt.Sprintf("%d. Nội dung thứ %d của kế hoạch, đủ dài để văn bản sang trang sau.", i+1, i+1))
	}
	for _, code := range append(doctemplate.Types(), "long") {
		f := doctemplate.Form{
			DocType:    code,
			Title:      "Thực hiện công tác cải cách hành chính năm 2021",
			Addressees: []string{"Phòng Giáo dục và Đào tạo thành phố Thủ Đức", "Các trường trung học phổ thông"},
			Recipients: []string{"Ủy ban nhân dân Thành phố", "Các Phó Giám đốc Sở"},
			Signer:     signer,
		}
		if code == "long" {
			f.DocType, f.Body = "KH", long
		}
		b, err := doctemplate.DOCX(u, f)
		if err != nil {
			t.Fatalf("%s: %v", code, err)
		}
		name := filepath.Join(dir, "t-"+code+".docx")
		if err := os.WriteFile(name, b, 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, name)
	}
	cmd := exec.Command(soffice, args...)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v %s", err, out)
	}
	pdfs := map[string][]byte{}
	for _, code := range append(doctemplate.Types(), "long") {
		b, err := os.ReadFile(filepath.Join(dir, "out", "t-"+code+".pdf"))
		if err != nil {
			t.Fatalf("%s: not converted: %v", code, err)
		}
		pdfs[code] = b
	}
	return pdfs
}

// Every template, as LibreOffice renders it, leaves ô 3 and ô 4 blank
// where the register finds them and fills them, and names its signer where
// signing reads the name and the capacity.
func TestTemplatesHaveIssuePlacesAndSigner(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, domain.VietnamTime)
	for _, tt := range []struct {
		signer   doctemplate.Signer
		capacity string
	}{
		{doctemplate.Signer{Capacity: "KT.", OnBehalfOf: "GIÁM ĐỐC", Title: "PHÓ GIÁM ĐỐC", Name: "Nguyễn Văn A"}, "KT."},
		{doctemplate.Signer{Title: "GIÁM ĐỐC", Name: "Lê Hoài Nam"}, ""},
	} {
		pdfs := templatePDFs(t, tt.signer)
		for _, code := range append(doctemplate.Types(), "long") {
			t.Run(code+"/"+tt.signer.Name, func(t *testing.T) {
				in := pdfs[code]
				if code == "long" {
					if page, _, _, _ := signerBlock(in); page < 2 {
						t.Fatalf("signer block on page %d, want the last of several", page)
					}
					code = "KH"
				}
				if err := checkIssuePlaces(in, now); err != nil {
					t.Fatalf("checkIssuePlaces: %v", err)
				}
				symbol := code + "-SGDĐT"
				if code == "CV" {
					symbol = "SGDĐT-VP"
				}
				is, err := issueMarks(in, "1234/"+symbol, now)
				if err != nil || len(is.lines) != 0 {
					t.Fatalf("issueMarks: no place for %q, %v", is.lines, err)
				}
				if len(is.marks) != 4 {
					t.Fatalf("%d marks, want number, day, month, year", len(is.marks))
				}
				l, _ := readIssueLayout(in)
				if no := is.marks[0]; no.Text != "Số: 1234/"+symbol || no.Rect[0] < l.afterSo || no.Rect[2] > l.slash {
					t.Errorf("number %q at %v, between %v and %v", no.Text, no.Rect, l.afterSo, l.slash)
				}
				for i, m := range is.marks[1:] {
					if m.Text != "Thành phố Hồ Chí Minh, ngày 06 tháng 12 năm 2026" {
						t.Errorf("date mark %d: %q", i, m.Text)
					}
				}
				if d := is.marks[1].Rect; d[0] < l.dayGap[0] || d[2] > l.dayGap[1] {
					t.Errorf("day %v outside %v", d, l.dayGap)
				}
				if m := is.marks[2].Rect; m[0] < l.monthGap[0] || m[2] > l.monthGap[1] {
					t.Errorf("month %v outside %v", m, l.monthGap)
				}
				name, capacity, ok := signerNamed(in)
				if !ok || name != tt.signer.Name || capacity != tt.capacity {
					t.Errorf("signer %q, capacity %q, %v; want %q, %q", name, capacity, ok, tt.signer.Name, tt.capacity)
				}
				if !strings.Contains(string(in), "%PDF") {
					t.Error("not a PDF")
				}
			})
		}
	}
}
