package documents

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/pdfguard"
	"github.com/hcm-edu/vanban/internal/pdfguard/hostile"
)

func TestCleanFileName(t *testing.T) {
	tests := []struct {
		in, want string
		bad      bool
	}{
		{"Kế hoạch 206.pdf", "Kế hoạch 206.pdf", false},
		{"../../etc/passwd", "passwd.pdf", false},
		{`C:\fakepath\Báo cáo.PDF`, "Báo cáo.PDF", false},
		{"Ke\u0302\u0301 hoa\u0323ch.pdf", "Kế hoạch.pdf", false},
		{"", "van-ban.pdf", false},
		{"...", "van-ban.pdf", false},
		{"bao-cao", "bao-cao.pdf", false},
		{"a\x00b.pdf", "", true},
		{"a\nb.pdf", "", true},
		{"a\u202eb.pdf", "a\u202eb.pdf", false}, // a format character, not a control one; shown escaped by browsers
		{"\xff\xfe.pdf", "", true},
		{strings.Repeat("ắ", 300) + ".pdf", strings.Repeat("ắ", 196) + ".pdf", false},
	}
	for _, tt := range tests {
		got, err := CleanFileName(tt.in)
		if (err != nil) != tt.bad {
			t.Errorf("CleanFileName(%q) error = %v, want bad=%v", tt.in, err, tt.bad)
			continue
		}
		if got != tt.want {
			t.Errorf("CleanFileName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestContentDisposition(t *testing.T) {
	tests := []struct{ name, want string }{
		{"Kế hoạch 206.pdf", `attachment; filename="Ke hoach 206.pdf"; filename*=UTF-8''K%E1%BA%BF%20ho%E1%BA%A1ch%20206.pdf`},
		{`a"b\c.pdf`, `attachment; filename="a_b_c.pdf"; filename*=UTF-8''a%22b%5Cc.pdf`},
		{"Đề án; số 1.pdf", `attachment; filename="De an; so 1.pdf"; filename*=UTF-8''%C4%90%E1%BB%81%20%C3%A1n%3B%20s%E1%BB%91%201.pdf`},
		{"中文.pdf", `attachment; filename="van-ban.pdf"; filename*=UTF-8''%E4%B8%AD%E6%96%87.pdf`},
	}
	for _, tt := range tests {
		if got := ContentDisposition("attachment", tt.name); got != tt.want {
			t.Errorf("ContentDisposition(%q) =\n %s\nwant\n %s", tt.name, got, tt.want)
		}
	}
}

func TestSearchQuery(t *testing.T) {
	tests := []struct{ in, want string }{
		{"cải cách hành chính", "cai:* & cach:* & hanh:* & chinh:*"},
		{"CAI CACH", "cai:* & cach:*"},
		{"206/KH-SGDĐT", "206:* & kh:* & sgddt:*"},
		{"Đức' | !(x", "duc:* & x:*"},
		{"   ", ""},
	}
	for _, tt := range tests {
		if got := searchQuery(tt.in); got != tt.want {
			t.Errorf("searchQuery(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMetaValidation(t *testing.T) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, domain.VietnamTime)
	ok := Meta{DocType: "KH", Title: " Kế  hoạch\n năm 2021 ", DocDate: "2021-01-22", Number: "5", Symbol: "KH-SGDĐT"}
	p, err := ok.validate(now)
	if err != nil {
		t.Fatal(err)
	}
	// A number read here never makes a registered document: only the
	// register does (AssignNumber), or it names a paper original.
	if p.Title != "Kế hoạch năm 2021" || *p.number != 5 || p.status != "draft" || p.origin != OriginOutgoing || p.Urgency != "thuong" {
		t.Errorf("parsed = %+v", p)
	}
	tests := []struct {
		name  string
		edit  func(*Meta)
		field string
	}{
		{"future date", func(m *Meta) { m.DocDate = "2030-01-01" }, "doc_date"},
		{"ancient date", func(m *Meta) { m.DocDate = "1900-01-01" }, "doc_date"},
		{"title too long", func(m *Meta) { m.Title = strings.Repeat("a", 1001) }, "title"},
		{"top secret", func(m *Meta) { m.Confidentiality = "tuyet_mat" }, "confidentiality"},
		{"symbol alone", func(m *Meta) { m.Number = "" }, "number"},
		{"letter symbol", func(m *Meta) { m.Symbol = "SGDĐT-VP"; m.DocType = "CV" }, ""},
		{"symbol with spaces", func(m *Meta) { m.Symbol = "KH - SGDĐT" }, "symbol"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ok
			tt.edit(&m)
			_, err := m.validate(now)
			var ve *domain.ValidationError
			if tt.field == "" {
				if err != nil {
					t.Errorf("unexpected error %v", err)
				}
				return
			}
			if !errors.As(err, &ve) || ve.Fields[tt.field] == "" {
				t.Errorf("err = %v, want a message for %s", err, tt.field)
			}
		})
	}
}

// An outgoing draft carries no number: the register gives it. A paper
// original's number is required, and names it as a copy.
func TestOutgoingNumberIsTheRegisters(t *testing.T) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, domain.VietnamTime)
	numbered := Meta{DocType: "KH", Title: "Kế hoạch", DocDate: "2021-01-22", Number: "15", Symbol: "KH-SGDĐT"}
	for name, m := range map[string]Meta{
		"number and symbol": numbered,
		"number alone":      {DocType: "KH", Title: "Kế hoạch", DocDate: "2021-01-22", Number: "15"},
		"symbol alone":      {DocType: "KH", Title: "Kế hoạch", DocDate: "2021-01-22", Symbol: "KH-SGDĐT"},
	} {
		_, err := m.validateOutgoing(now)
		var ve *domain.ValidationError
		if !errors.As(err, &ve) || ve.Fields["number"] != errTypedNumber {
			t.Errorf("%s: err = %v, want the number refused as the register's", name, err)
		}
		if err := CheckMeta(m); err == nil {
			t.Errorf("%s: CheckMeta accepted a typed number", name)
		}
	}
	if _, err := (Meta{DocType: "KH", Title: "Kế hoạch", DocDate: "2021-01-22"}).validateOutgoing(now); err != nil {
		t.Errorf("a draft without number: %v", err)
	}
	p, err := numbered.validatePaperCopy(now)
	if err != nil || p.origin != OriginPaperCopy || p.status != "draft" || *p.number != 15 {
		t.Errorf("paper copy: %+v, %v", p, err)
	}
	var ve *domain.ValidationError
	if _, err := (Meta{DocType: "KH", Title: "Kế hoạch", DocDate: "2021-01-22"}).validatePaperCopy(now); !errors.As(err, &ve) || ve.Fields["number"] == "" {
		t.Errorf("paper copy without number: err = %v", err)
	}
}

func TestCheckPDF(t *testing.T) {
	pdf, err := os.ReadFile("../testdata/206-KH-SGDDT.pdf")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"fixture", pdf, nil},
		{"truncated at half", pdf[:len(pdf)/2], ErrBadPDF},
		{"truncated at 99%", pdf[:len(pdf)*99/100], ErrBadPDF},
		{"last bytes cut", pdf[:len(pdf)-8], ErrBadPDF},
		{"not a PDF", []byte("<html>hello</html>"), ErrNotPDF},
		{"header only", []byte("%PDF-1.4\n"), ErrBadPDF},
		{"garbage after header", append([]byte("%PDF-1.4\n"), make([]byte, 5000)...), ErrBadPDF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pages, err := checkBytes(t, tt.b)
			if tt.want == nil {
				if err != nil || pages != 12 {
					t.Errorf("pages %d, err %v", pages, err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func FuzzCheckPDF(f *testing.F) {
	pdf, _ := os.ReadFile("../testdata/206-KH-SGDDT.pdf")
	f.Add(pdf[:2000])
	f.Add([]byte("%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<</Root 1 0 R>>\nstartxref\n9\n%%EOF"))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkBytes(t, b) // must not panic or hang
	})
}

// checkBytes runs checkPDF on b, spooled to a file as uploads are.
func checkBytes(t *testing.T, b []byte) (int, error) {
	f, err := os.CreateTemp(t.TempDir(), "upload-*")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	return checkPDF(t.Context(), f)
}

// TestCheckPDFRefusesHostileFiles: the attacks of issue 10 (a page tree
// that lists itself, a million declared objects, a /Length beyond the
// file, ...) are bad PDFs that say why, within seconds.
func TestCheckPDFRefusesHostileFiles(t *testing.T) {
	for _, c := range hostile.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			start := time.Now()
			_, err := checkBytes(t, c.Make())
			var ge *pdfguard.Error
			if !errors.Is(err, ErrBadPDF) || !errors.As(err, &ge) || ge.Code != c.Code {
				t.Errorf("err = %v, want ErrBadPDF from a pdfguard refusal %s", err, c.Code)
			}
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("took %v", took)
			}
		})
	}
}
