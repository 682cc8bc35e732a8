package doctemplate

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hcm-edu/vanban/internal/testenv"
	"golang.org/x/text/unicode/norm"
)

var updateRender = flag.Bool("update-render", false, "rewrite testdata/kh-page1.png from this run")

// convert turns each .docx into a PDF with the real LibreOffice, in one
// run with its own profile directory, and returns the PDFs' paths by
// code.
func convert(t *testing.T, docs map[string][]byte) (string, map[string]string) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs LibreOffice: skipped in -short mode")
	}
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		testenv.Missing(t, "soffice (LibreOffice)") // fails under CI
	}
	for _, tool := range []string{"pdftotext", "pdfinfo", "pdftoppm"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(t, tool+" (poppler-utils)")
		}
	}
	dir := t.TempDir()
	args := []string{"-env:UserInstallation=file://" + filepath.Join(dir, "profile"), "--headless", "--norestore", "--convert-to", "pdf", "--outdir", filepath.Join(dir, "out")}
	for code, b := range docs {
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
	pdfs := map[string]string{}
	for code := range docs {
		p := filepath.Join(dir, "out", "t-"+code+".pdf")
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s: not converted: %v", code, err)
		}
		pdfs[code] = p
	}
	return dir, pdfs
}

func command(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return string(out)
}

// What LibreOffice makes of every template: one A4 page with the texts of
// the layout, Vietnamese marks intact.
func TestTemplatesConvert(t *testing.T) {
	docs := map[string][]byte{}
	var err error
	for _, code := range Types() {
		b, err := DOCX(testUnit, Form{
			DocType:    code,
			Title:      "Cải cách hành chính năm 2021 & <tự đánh giá>",
			Addressees: []string{"Phòng Giáo dục và Đào tạo thành phố Thủ Đức"},
			Recipients: []string{"Ủy ban nhân dân Thành phố", "Các Phó Giám đốc Sở"},
			Signer:     deputy,
		})
		if err != nil {
			t.Fatal(err)
		}
		docs[code] = b
	}
	var long []string
	for range 60 {
		long = append(long, "Nội dung của kế hoạch, đủ dài để văn bản sang trang sau.")
	}
	if docs["long"], err = DOCX(testUnit, Form{DocType: "KH", Title: "Dài", Body: long, Signer: deputy}); err != nil {
		t.Fatal(err)
	}
	_, pdfs := convert(t, docs)
	// Pages are numbered from 2, at the top, centred (Appendix I, I.7).
	if info := command(t, "pdfinfo", pdfs["long"]); strings.Contains(info, "Pages:           1\n") {
		t.Errorf("the long plan has one page")
	}
	first := strings.Fields(command(t, "pdftotext", "-f", "1", "-l", "1", pdfs["long"], "-"))
	second := strings.Fields(command(t, "pdftotext", "-f", "2", "-l", "2", pdfs["long"], "-"))
	if len(first) == 0 || first[0] != "UBND" || len(second) == 0 || second[0] != "2" {
		t.Errorf("page numbers: page 1 starts %q, page 2 %q", first[:min(len(first), 3)], second[:min(len(second), 3)])
	}
	for _, code := range Types() {
		t.Run(code, func(t *testing.T) {
			info := command(t, "pdfinfo", pdfs[code])
			if !strings.Contains(info, "Page size:       595.3") || !strings.Contains(info, "(A4)") || !strings.Contains(info, "Pages:           1\n") {
				t.Errorf("not one A4 page:\n%s", info)
			}
			text := strings.Join(strings.Fields(norm.NFC.String(command(t, "pdftotext", "-layout", "-enc", "UTF-8", pdfs[code], "-"))), " ")
			k, _ := lookup(code)
			want := []string{
				"UBND THÀNH PHỐ HỒ CHÍ MINH", "SỞ GIÁO DỤC VÀ ĐÀO TẠO",
				"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
				"Thành phố Hồ Chí Minh, ngày tháng năm",
				"Cải cách hành chính năm 2021 & <tự đánh giá>",
				"Nơi nhận:", "- Ủy ban nhân dân Thành phố;", "- Các Phó Giám đốc Sở;",
				"KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Nguyễn Văn A",
			}
			if code == "CV" {
				want = append(want, "Số: /SGDĐT-VP", "V/v Cải cách", "Kính gửi: Phòng Giáo dục và Đào tạo thành phố Thủ Đức.", "- Như trên;")
			} else {
				want = append(want, "Số: /"+code+"-SGDĐT", strings.ToUpper(k.name))
			}
			for _, w := range want {
				if !strings.Contains(text, w) {
					t.Errorf("no %q in\n%s", w, text)
				}
			}
		})
	}
}

// Page 1 of the kế hoạch template looks as reviewed against Appendix III's
// Mẫu 1.4 (testdata/kh-page1.png, 60 dpi): a broken header, a lost font
// or a moved block fails.
func TestKHRendersAsReviewed(t *testing.T) {
	b, err := DOCX(testUnit, Form{
		DocType:    "KH",
		Title:      "Thực hiện công tác cải cách hành chính trong lĩnh vực giáo dục và đào tạo năm 2021",
		Recipients: []string{"Ủy ban nhân dân Thành phố", "Sở Nội vụ", "Các Phó Giám đốc Sở", "Trưởng các phòng ban Sở"},
		Signer:     deputy,
	})
	if err != nil {
		t.Fatal(err)
	}
	dir, pdfs := convert(t, map[string][]byte{"KH": b})
	command(t, "pdftoppm", "-f", "1", "-l", "1", "-r", "60", "-png", "-singlefile", pdfs["KH"], filepath.Join(dir, "page"))
	got, err := os.ReadFile(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	ref := filepath.Join("testdata", "kh-page1.png")
	if *updateRender {
		if err := os.WriteFile(ref, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s: review it before committing", ref)
		return
	}
	want, err := os.ReadFile(ref)
	if err != nil {
		t.Fatalf("no reference image (run with -update-render and review it): %v", err)
	}
	differ, total, err := testenv.PixelDifference(got, want)
	if err != nil {
		t.Fatal(err)
	}
	if differ > total/200 {
		os.WriteFile(filepath.Join(os.TempDir(), "kh-page1-got.png"), got, 0o644)
		t.Errorf("page 1 differs from the reviewed rendering in %d of %d pixels (see %s)", differ, total, filepath.Join(os.TempDir(), "kh-page1-got.png"))
	}
}
