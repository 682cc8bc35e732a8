package documents

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/jmoiron/sqlx"
)

func TestReadable(t *testing.T) {
	page3, err := os.ReadFile("../testdata/206-KH-SGDDT.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		text string
		want bool
	}{
		{"Vietnamese", string(page3[:2000]), true},
		{"empty", "", false},
		{"a few words", "Trang 2", false},
		{"TCVN3 read as Latin-1", strings.Repeat("Céng hoµ x· héi chñ nghÜa ViÖt Nam §éc lËp - Tù do - H¹nh phóc ", 5), false},
		{"replacement characters", strings.Repeat("K\uFFFDho\uFFFDch \uFFFD\uFFFD\uFFFDn\uFFFD ", 20), false},
		{"private use glyphs", strings.Repeat("\uE001\uE002\uE003 \uE004\uE005 abc ", 30), false},
		{"English", strings.Repeat("The quick brown fox jumps over the lazy dog. ", 3), true},
	} {
		if got := readable(c.text); got != c.want {
			t.Errorf("%s: readable = %v, want %v", c.name, got, c.want)
		}
	}
}

// textEnv is verifyEnv with the text limits c.
func textEnv(t *testing.T, c TextConfig) (*Service, *sqlx.DB, auth.Principal) {
	t.Helper()
	testenv.RequireOCR(t)
	s, db, p := verifyEnv(t)
	s.SetTextConfig(c)
	return s, db, p
}

func (s *Service) createPDF(t *testing.T, p auth.Principal, pdf []byte, name string) Document {
	t.Helper()
	ctx := context.Background()
	up, err := s.Spool(ctx, bytes.NewReader(pdf), name)
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	d, err := s.Create(ctx, p, Meta{DocType: "KH", Title: "Kế hoạch cải cách hành chính", DocDate: "2026-09-05"}, up)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

type textRow struct {
	State   string `db:"state"`
	Method  string `db:"method"`
	Pages   int    `db:"pages"`
	Body    string `db:"body"`
	Error   string `db:"error"`
	Matches bool   `db:"matches"`
}

// runText runs the queued text job of d as a worker would, and returns
// the row, with whether the unaccented words query match its search.
func runText(t *testing.T, s *Service, db *sqlx.DB, d Document, query string) textRow {
	t.Helper()
	var payload []byte
	if err := db.Get(&payload, `SELECT payload FROM jobs WHERE kind = $1 AND payload->>'document_id' = $2 ORDER BY id DESC LIMIT 1`, JobExtractText, d.ID); err != nil {
		t.Fatalf("no text job queued with the document: %v", err)
	}
	var r textRow
	if err := db.Get(&r, `SELECT state FROM document_texts WHERE document_id = $1`, d.ID); err != nil || r.State != "pending" {
		t.Fatalf("text state before the job = %q, %v; want pending", r.State, err)
	}
	if err := s.TextHandlers()[JobExtractText].Run(context.Background(), payload); err != nil {
		t.Fatal(err)
	}
	err := db.Get(&r, `SELECT state, method, pages, body, error, search @@ to_tsquery('simple', $2) AS matches
		FROM document_texts WHERE document_id = $1`, d.ID, strings.Join(strings.Fields(query), " <-> "))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The text of a digital PDF comes from its text layer, page 3 included,
// and is found without accents.
func TestExtractDigitalPDF(t *testing.T) {
	s, db, p := textEnv(t, TextConfig{})
	pdf, err := os.ReadFile("../testdata/206-KH-SGDDT.pdf")
	if err != nil {
		t.Fatal(err)
	}
	d := s.createPDF(t, p, pdf, "206-KH-SGDDT.pdf")
	r := runText(t, s, db, d, "long ghep cac giai phap the che")
	if r.State != "done" || r.Method != "text" || r.Pages != 12 || r.Error != "" {
		t.Fatalf("text = %s %s %d pages %q; want done by text layer, 12 pages", r.State, r.Method, r.Pages, r.Error)
	}
	if !strings.Contains(strings.Join(strings.Fields(r.Body), " "), "lồng ghép các giải pháp thể chế") || !r.Matches {
		t.Fatalf("page 3's phrase not in the text (matches %v): %.300q", r.Matches, r.Body)
	}
	st, err := s.Text(context.Background(), p, d.ID)
	if err != nil || st.Label() != "đã trích xuất (12 trang)" {
		t.Fatalf("state %+v %q, %v", st, st.Label(), err)
	}
}

// A scan has no text layer: it is read by OCR in Vietnamese.
func TestExtractScanOCR(t *testing.T) {
	s, db, p := textEnv(t, TextConfig{})
	pdf, err := os.ReadFile("../testdata/scanned-letter.pdf")
	if err != nil {
		t.Fatal(err)
	}
	d := s.createPDF(t, p, pdf, "thu-moi.pdf")
	r := runText(t, s, db, d, "khuyen hoc")
	if r.State != "done" || r.Method != "ocr" || r.Pages != 1 {
		t.Fatalf("text = %s %s %d pages %q; want done by OCR, 1 page", r.State, r.Method, r.Pages, r.Error)
	}
	if !strings.Contains(r.Body, "Khuyến học") || !r.Matches {
		t.Fatalf("the letter's words not read (matches %v): %q", r.Matches, r.Body)
	}
	st, _ := s.Text(context.Background(), p, d.ID)
	if st.Label() != "đã nhận dạng OCR (1 trang)" {
		t.Fatalf("label %q", st.Label())
	}
}

func blankScan(t *testing.T, pages int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 827, 1169))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	img.Set(400, 600, color.Black) // a speck of dust
	var readers []io.Reader
	for range pages {
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		readers = append(readers, &b)
	}
	pdf, err := ImagesToPDF(readers)
	if err != nil {
		t.Fatal(err)
	}
	return pdf
}

// Blank pages give no text and a note, not a failure; OCR reads at most
// OCRPages pages and says so.
func TestExtractBlankScanBounded(t *testing.T) {
	s, db, p := textEnv(t, TextConfig{OCRPages: 2})
	d := s.createPDF(t, p, blankScan(t, 3), "trang-trang.pdf")
	r := runText(t, s, db, d, "khong")
	if r.State != "done" || r.Method != "ocr" || r.Pages != 3 || strings.TrimSpace(strings.ReplaceAll(r.Body, "\f", "")) != "" {
		t.Fatalf("text = %s %s %d pages %q; want done, no text", r.State, r.Method, r.Pages, r.Body)
	}
	if !strings.Contains(r.Error, "không tìm thấy chữ") || !strings.Contains(r.Error, "2 trang đầu trong 3") {
		t.Fatalf("note %q; want no text found and the page limit", r.Error)
	}
	st, _ := s.Text(context.Background(), p, d.ID)
	if st.Label() != "không có chữ" {
		t.Fatalf("label %q", st.Label())
	}
}

// An OCR that hangs is killed at the page timeout; the text is failed with
// the reason, and the document stays usable.
func TestExtractOCRHangs(t *testing.T) {
	hang := filepath.Join(t.TempDir(), "tesseract")
	if err := os.WriteFile(hang, []byte("#!/bin/sh\nsleep 60\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	s, db, p := textEnv(t, TextConfig{Tesseract: hang, PageTimeout: time.Second})
	d := s.createPDF(t, p, blankScan(t, 1), "treo.pdf")
	start := time.Now()
	r := runText(t, s, db, d, "khong")
	if took := time.Since(start); took > 20*time.Second {
		t.Fatalf("the hanging OCR took %v", took)
	}
	if r.State != "failed" || !strings.Contains(r.Error, "trang 1 quá 1s") {
		t.Fatalf("text = %s %q; want failed at page 1's timeout", r.State, r.Error)
	}
	if _, err := s.Get(context.Background(), p, d.ID); err != nil {
		t.Fatal(err)
	}
	st, _ := s.Text(context.Background(), p, d.ID)
	if !strings.HasPrefix(st.Label(), "lỗi: nhận dạng OCR trang 1 quá 1s") {
		t.Fatalf("label %q", st.Label())
	}
}

// A garbage text layer (a broken font encoding) is read by OCR instead.
func TestExtractGarbageLayer(t *testing.T) {
	s, db, p := textEnv(t, TextConfig{})
	pdf := testPDFWithText(t, "Céng hoµ x· héi chñ nghÜa ViÖt Nam", "§éc lËp - Tù do - H¹nh phóc", "Céng hoµ x· héi chñ nghÜa ViÖt Nam")
	d := s.createPDF(t, p, pdf, "tcvn3.pdf")
	r := runText(t, s, db, d, "khong")
	if r.State != "done" || r.Method != "ocr" {
		t.Fatalf("text = %s %s %q; want OCR instead of the garbage layer", r.State, r.Method, r.Error)
	}
	if strings.Contains(r.Body, "hoµ") {
		t.Fatalf("the garbage layer was kept: %q", r.Body)
	}
}

// A new document queues its text; a clerk may ask for it again; a
// signature alone does not.
func TestTextQueued(t *testing.T) {
	s, db, p := verifyEnv(t)
	d := s.createForTest(t, p, 7)
	count := func() int {
		var n int
		if err := db.Get(&n, `SELECT count(*) FROM jobs WHERE kind = $1`, JobExtractText); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if count() != 1 {
		t.Fatalf("%d text jobs; want 1", count())
	}
	ctx := context.Background()
	if err := s.enqueueText(ctx, db, d.ID, 2, true); err != nil || count() != 1 {
		t.Fatalf("a signature's version queued text again: %v, %d jobs", err, count())
	}
	st, err := s.ExtractText(ctx, p, d.ID)
	if err != nil || st.State != "pending" || st.VersionNo != 1 || count() != 2 {
		t.Fatalf("ExtractText = %+v, %v, %d jobs", st, err, count())
	}
	staff := p
	staff.Roles = []string{auth.RoleStaff}
	if _, err := s.ExtractText(ctx, staff, d.ID); err == nil {
		t.Fatal("staff asked for the text again")
	}
	n, err := s.EnqueueTexts(ctx, false)
	if err != nil || n != 0 {
		t.Fatalf("EnqueueTexts(missing) = %d, %v; want 0", n, err)
	}
	if n, err := s.EnqueueTexts(ctx, true); err != nil || n != 1 {
		t.Fatalf("EnqueueTexts(all) = %d, %v; want 1", n, err)
	}
}
