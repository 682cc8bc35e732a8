package signing_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/hcm-edu/vanban/signing"
)

func issueMarks(t testing.TB) []signing.IssueMark {
	t.Helper()
	no, err := signing.RenderText("01", 13, false)
	if err != nil {
		t.Fatal(err)
	}
	day, err := signing.RenderText("06", 13, true)
	if err != nil {
		t.Fatal(err)
	}
	return []signing.IssueMark{
		{Page: 1, Rect: [4]float64{150, 700, 150 + no.Width, 700 + no.Height}, PNG: no.PNG, Text: "Số: 01/KH-SGDĐT"},
		{Page: 1, Rect: [4]float64{430, 700, 430 + day.Width, 700 + day.Height}, PNG: day.PNG, Text: "Thành phố Hồ Chí Minh, ngày 06 tháng 12 năm 2026"},
	}
}

// The number and date written between the person's signature and the
// organisation's leave both valid everywhere, and Verify names them.
func TestIssueMarksBetweenSignatures(t *testing.T) {
	blank, err := os.ReadFile("../testdata/206-KH-SGDDT-blank.pdf")
	if err != nil {
		t.Fatal(err)
	}
	inputs := []struct {
		name string
		in   []byte
	}{
		{"206-KH blank draft (xref table)", blank},
		{"object streams (xref stream)", objStreamPDF("Page one", "Page two")},
	}
	p := testPKI(t)
	for _, tt := range inputs {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			first, err := signing.Sign(ctx, tt.in, signing.Options{Key: p.Person, Reason: "Phê duyệt",
				Appearance: &signing.Appearance{Rect: [4]float64{330, 120, 510, 200}, PNG: testPNG(360, 160, blue)}})
			if err != nil {
				t.Fatal(err)
			}
			marked, err := signing.AddIssueMarks(first, issueMarks(t))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(marked), string(first)) {
				t.Fatal("the marks are not an incremental update")
			}
			// Alone, the marks are a change no signature covers.
			rep := mustVerify(t, marked)
			if rep.Valid || !rep.ModifiedAfterLastSignature || len(rep.IssueMarks) != 0 {
				t.Errorf("uncovered marks: valid %v, modified %v, marks %v", rep.Valid, rep.ModifiedAfterLastSignature, rep.IssueMarks)
			}
			second, err := signing.Sign(ctx, marked, signing.Options{Key: p.Org, Reason: "Văn thư ký số của cơ quan, 01/KH-SGDĐT",
				Appearance: &signing.Appearance{Rect: [4]float64{290, 110, 390, 210}, PNG: testPNG(200, 200, red)}})
			if err != nil {
				t.Fatal(err)
			}
			rep = mustVerify(t, second)
			if !rep.Valid || rep.ModifiedAfterLastSignature || !rep.Signatures[0].CoversWholeDocument {
				t.Fatalf("not valid: %s\n%+v", rep.VerdictEN, rep.Signatures[0].ChangesAfter)
			}
			kinds := map[string]int{}
			for _, c := range rep.Signatures[0].ChangesAfter {
				kinds[c.Kind]++
				if c.Kind == signing.ChangeIssueMarks && c.KindVI != "số và ngày ban hành do hệ thống ghi" {
					t.Errorf("kind_vi %q", c.KindVI)
				}
			}
			if len(kinds) != 2 || kinds[signing.ChangeLaterSignature] != 1 || kinds[signing.ChangeIssueMarks] != 2 {
				t.Errorf("changes after the person's signature: %+v", rep.Signatures[0].ChangesAfter)
			}
			if len(rep.IssueMarks) != 2 || rep.IssueMarks[0] != "Số: 01/KH-SGDĐT" && rep.IssueMarks[1] != "Số: 01/KH-SGDĐT" {
				t.Errorf("issue marks %q", rep.IssueMarks)
			}
			if !strings.Contains(rep.VerdictVI, "số và ngày ban hành do hệ thống ghi: ") || !strings.Contains(rep.VerdictVI, "ngày 06 tháng 12 năm 2026") {
				t.Errorf("verdict %q", rep.VerdictVI)
			}
			checkTools(t, writeTemp(t, "issued.pdf", second), 2)
		})
	}
}

func TestAddIssueMarksBadInput(t *testing.T) {
	in := minimalPDF("1.7", 0, "one")
	m := issueMarks(t)[0]
	for name, marks := range map[string][]signing.IssueMark{
		"none":      nil,
		"page 0":    {{Page: 0, Rect: m.Rect, PNG: m.PNG, Text: m.Text}},
		"page 2":    {{Page: 2, Rect: m.Rect, PNG: m.PNG, Text: m.Text}},
		"bad rect":  {{Page: 1, Rect: [4]float64{10, 10, 5, 5}, PNG: m.PNG, Text: m.Text}},
		"not a PNG": {{Page: 1, Rect: m.Rect, PNG: []byte("GIF89a"), Text: m.Text}},
	} {
		if out, err := signing.AddIssueMarks(in, marks); err == nil || out != nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := signing.AddIssueMarks([]byte("%PDF-1.7\ngarbage"), []signing.IssueMark{m}); err == nil {
		t.Error("garbage: no error")
	}
}

// A page for the signature, added to an unsigned draft, keeps the file
// sound for every reader, with classic and stream cross-references.
func TestAddBlankPage(t *testing.T) {
	blank, err := os.ReadFile("../testdata/206-KH-SGDDT-blank.pdf")
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string][]byte{"206-KH": blank, "object streams": objStreamPDF("one", "two")} {
		t.Run(name, func(t *testing.T) {
			out, err := signing.AddBlankPage(in)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(out), string(in)) {
				t.Fatal("not an incremental update")
			}
			signed, err := signing.Sign(context.Background(), out, signing.Options{Key: testPKI(t).Person,
				Appearance: &signing.Appearance{Rect: [4]float64{330, 120, 510, 200}, PNG: testPNG(360, 160, blue)}})
			if err != nil {
				t.Fatal(err)
			}
			path := writeTemp(t, "added.pdf", signed)
			checkTools(t, path, 1)
			needTool(t, "qpdf")
			n, err := exec.Command("qpdf", "--show-npages", path).Output()
			before, _ := exec.Command("qpdf", "--show-npages", writeTemp(t, "in.pdf", in)).Output()
			if err != nil || strings.TrimSpace(string(n)) == strings.TrimSpace(string(before)) {
				t.Errorf("pages %s after, %s before: %v", n, before, err)
			}
		})
	}
}
