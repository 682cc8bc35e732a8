package packet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hcm-edu/vanban/internal/pdfguard/hostile"
	"github.com/hcm-edu/vanban/internal/testenv"
)

const fixture = "../testdata/206-KH-SGDDT.pdf"

var testCover = Cover{
	Organisation: "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh",
	Title:        "Họp giao ban tháng 11/2026",
	When:         "8 giờ 00, thứ Năm, ngày 26/11/2026",
	Place:        "Phòng họp A, 66-68 Lê Thánh Tôn, phường Sài Gòn",
	Chair:        "Ông Nguyễn Văn Hiếu, Giám đốc Sở",
	Secretary:    "Bà Trần Thị Mai, Văn phòng Sở",
}

func memDoc(title string, b []byte) Document {
	return Document{Title: title, Open: func(context.Context) (io.ReadCloser, int64, error) {
		return io.NopCloser(bytes.NewReader(b)), int64(len(b)), nil
	}}
}

func fileDoc(title, path string) Document {
	return Document{Title: title, Open: func(context.Context) (io.ReadCloser, int64, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, 0, err
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, 0, err
		}
		return f, fi.Size(), nil
	}}
}

// testPage is one page of a PDF that makePDF writes.
type testPage struct {
	w, h   float64
	rotate int
	crop   []float64 // a CropBox, if any
	link   bool      // carries a Link annotation
	image  int       // bytes of random grey pixels to draw, if any
}

// makePDF writes a PDF with the given pages, each with a line of text,
// and, where asked, an image, a crop box, a turn and a link.
func makePDF(pages []testPage, seed uint64) []byte {
	var b bytes.Buffer
	offsets := map[int]int{}
	obj := func(n int, s string) {
		offsets[n] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, s)
	}
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	var kids []string
	n := 4
	rng := mrand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), 7})
	for i, p := range pages {
		page, content := n, n+1
		n += 2
		kids = append(kids, fmt.Sprintf("%d 0 R", page))
		res := "/Font << /F1 3 0 R >>"
		text := fmt.Sprintf("BT /F1 18 Tf 60 %g Td (Test page %d) Tj ET\n", p.h-80, i+1)
		if p.image > 0 {
			side := 16
			for side*side < p.image {
				side += 16
			}
			img := n
			n++
			px := make([]byte, side*side)
			rng.Read(px)
			offsets[img] = b.Len()
			fmt.Fprintf(&b, "%d 0 obj\n<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Length %d >>\nstream\n", img, side, side, len(px))
			b.Write(px)
			b.WriteString("\nendstream\nendobj\n")
			res += fmt.Sprintf(" /XObject << /Im0 %d 0 R >>", img)
			text += fmt.Sprintf("q %g 0 0 %g 60 100 cm /Im0 Do Q\n", p.w/3, p.w/3)
		}
		extra := ""
		if p.rotate != 0 {
			extra += fmt.Sprintf(" /Rotate %d", p.rotate)
		}
		if p.crop != nil {
			extra += fmt.Sprintf(" /CropBox [%g %g %g %g]", p.crop[0], p.crop[1], p.crop[2], p.crop[3])
		}
		if p.link {
			annot := n
			n++
			obj(annot, fmt.Sprintf("<< /Type /Annot /Subtype /Link /Rect [50 50 200 80] /Border [0 0 1] /A << /S /URI /URI (https://example.org/) >> /P %d 0 R >>", page))
			extra += fmt.Sprintf(" /Annots [%d 0 R]", annot)
		}
		obj(page, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %g %g] /Resources << %s >> /Contents %d 0 R%s >>", p.w, p.h, res, content, extra))
		obj(content, fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", len(text), text))
	}
	obj(2, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(pages)))
	obj(3, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", n)
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "%010d 00000 n \n", offsets[i])
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", n, xref)
	return b.Bytes()
}

func need(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(t, tool)
		}
	}
}

func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func write(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

type outline struct {
	Title string    `json:"title"`
	Page  int       `json:"destpageposfrom1"`
	Kids  []outline `json:"kids"`
}

func TestPacket(t *testing.T) {
	need(t, "qpdf", "pdfinfo", "pdftotext", "mutool")
	dir := t.TempDir()
	plan, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	// The plan again, with object streams and a cross-reference stream.
	objstm := filepath.Join(dir, "objstm.pdf")
	run(t, "qpdf", "--object-streams=generate", fixture, objstm)
	odd := makePDF([]testPage{
		{w: 842, h: 595, link: true},                                     // landscape
		{w: 595, h: 842, rotate: 90},                                     // turned
		{w: 595, h: 842, rotate: 180, link: true},                        // upside down
		{w: 612, h: 792, rotate: 270, crop: []float64{36, 36, 576, 756}}, // turned, cropped
	}, 3)
	items := []Item{
		{Title: "Triển khai kế hoạch cải cách hành chính năm 2021", Presenter: "Phòng Tổ chức cán bộ", Slot: "8:00 – 8:45",
			Documents: []Document{memDoc("Kế hoạch 206/KH-SGDĐT", plan), memDoc("Phụ lục: số liệu", testenv.PDF(20000, 1))}},
		{Title: "Ý kiến của các đơn vị", Presenter: "Các phòng", Slot: "8:45 – 9:30"},
		{Title: "Dự thảo quy chế làm việc", Presenter: "Văn phòng Sở", Slot: "9:30 – 10:00",
			Documents: []Document{memDoc("Dự thảo quy chế (trang ngang, xoay)", odd), fileDoc("Kế hoạch 206 (bản nén)", objstm)}},
	}
	wantPages := 1 + 12 + 1 + 4 + 12

	var base bytes.Buffer
	b, err := Build(context.Background(), &base, dir, testCover, items)
	if err != nil {
		t.Fatal(err)
	}
	if b.Pages != wantPages || b.Size != int64(base.Len()) || len(b.PageObjects) != wantPages || b.Cover != 1 {
		t.Fatalf("Base: %d pages (want %d), size %d of %d, %d page objects, cover %d", b.Pages, wantPages, b.Size, base.Len(), len(b.PageObjects), b.Cover)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 { // only objstm.pdf: Build cleans up
		t.Errorf("Build left files behind: %v", ents)
	}
	basePath := write(t, dir, "base.pdf", base.Bytes())

	// A classic cross-reference table, which a tail can extend.
	if bytes.Contains(base.Bytes(), []byte("/XRef")) || bytes.Contains(base.Bytes(), []byte("/ObjStm")) {
		t.Error("the base has a cross-reference or object stream")
	}
	if !bytes.Contains(base.Bytes(), []byte(fmt.Sprintf("startxref\n%d\n%%%%EOF", b.XRef))) || !bytes.HasPrefix(base.Bytes()[b.XRef:], []byte("xref\n")) {
		t.Errorf("startxref %d does not point at an xref table", b.XRef)
	}

	// The Base survives JSON, as the caller stores it.
	js, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	var stored Base
	if err := json.Unmarshal(js, &stored); err != nil {
		t.Fatal(err)
	}
	const hà = "Nguyễn Thị Thu Hà — Sở GD&ĐT — Họp giao ban 26/11/2026"
	const lâm = "Lê Văn Lâm — Phòng Giáo dục Tiểu học — Họp giao ban 26/11/2026"
	tailHà, err := stored.Tail(hà)
	if err != nil {
		t.Fatal(err)
	}
	tailLâm, err := b.Tail(lâm)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := b.Tail(hà)
	if !bytes.Equal(again, tailHà) {
		t.Error("the same reader got two different tails")
	}
	if bytes.Equal(tailHà, tailLâm) {
		t.Error("two readers got the same tail")
	}
	if perPage := len(tailHà) / wantPages; perPage > 2048 {
		t.Errorf("the tail is %d bytes, %d a page", len(tailHà), perPage)
	}
	t.Logf("base %d bytes, %d pages; tail %d bytes (%d a page); Base as JSON %d bytes",
		b.Size, b.Pages, len(tailHà), len(tailHà)/wantPages, len(js))

	copyHà := append(append([]byte(nil), base.Bytes()...), tailHà...)
	if !bytes.HasPrefix(copyHà, base.Bytes()) {
		t.Fatal("the reader's copy does not start with the base")
	}
	readerPath := write(t, dir, "reader.pdf", copyHà)
	write(t, dir, "reader2.pdf", append(append([]byte(nil), base.Bytes()...), tailLâm...))

	// qpdf: exit 0 means no errors and no warnings.
	for _, p := range []string{basePath, readerPath, filepath.Join(dir, "reader2.pdf")} {
		run(t, "qpdf", "--check", p)
	}
	for _, p := range []string{basePath, readerPath} {
		info := run(t, "pdfinfo", p)
		if !strings.Contains(info, fmt.Sprintf("\nPages:           %d\n", wantPages)) {
			t.Errorf("pdfinfo %s:\n%s", filepath.Base(p), info)
		}
		if !strings.Contains(info, "Title:           Tài liệu họp: Họp giao ban tháng 11/2026") {
			t.Errorf("pdfinfo %s: no title\n%s", filepath.Base(p), info)
		}
	}

	// The bookmarks, read by qpdf and by mutool.
	var q struct {
		Outlines []outline `json:"outlines"`
	}
	if err := json.Unmarshal([]byte(run(t, "qpdf", "--json", "--json-key=outlines", readerPath)), &q); err != nil {
		t.Fatal(err)
	}
	want := []outline{
		{Title: "Chương trình họp", Page: 1},
		{Title: "1. Triển khai kế hoạch cải cách hành chính năm 2021", Page: 2, Kids: []outline{
			{Title: "Kế hoạch 206/KH-SGDĐT", Page: 2}, {Title: "Phụ lục: số liệu", Page: 14}}},
		{Title: "2. Ý kiến của các đơn vị", Page: 1},
		{Title: "3. Dự thảo quy chế làm việc", Page: 15, Kids: []outline{
			{Title: "Dự thảo quy chế (trang ngang, xoay)", Page: 15}, {Title: "Kế hoạch 206 (bản nén)", Page: 19}}},
	}
	if got, w := flatten(q.Outlines, ""), flatten(want, ""); got != w {
		t.Errorf("outline:\n%s\nwant:\n%s", got, w)
	}
	mu := run(t, "mutool", "show", readerPath, "outline")
	for _, s := range []string{`"Kế hoạch 206/KH-SGDĐT"	#page=2`, `"3. Dự thảo quy chế làm việc"	#page=15`, `"Kế hoạch 206 (bản nén)"	#page=19`} {
		if !strings.Contains(mu, s) {
			t.Errorf("mutool outline lacks %s:\n%s", s, mu)
		}
	}

	// The cover lists the agenda with the documents' pages.
	cover := run(t, "pdftotext", "-layout", "-f", "1", "-l", "1", basePath, "-")
	for _, s := range []string{"CHƯƠNG TRÌNH HỌP", "Họp giao ban tháng 11/2026", "Thời gian: 8 giờ 00", "Chủ trì: Ông Nguyễn Văn Hiếu",
		"Thư ký: Bà Trần Thị Mai", "Người trình bày", "(tr. 2–13)", "(tr. 14)", "(tr. 15–18)", "19–30)"} {
		if !strings.Contains(cover, s) {
			t.Errorf("the cover lacks %q:\n%s", s, cover)
		}
	}

	// The watermark is on every page of the reader's copy, and on no page
	// of the base.
	pages := strings.Split(run(t, "pdftotext", readerPath, "-"), "\f")
	for i := range wantPages {
		if !strings.Contains(pages[i], hà) {
			t.Errorf("page %d of the reader's copy has no watermark:\n%s", i+1, pages[i])
		}
	}
	if strings.Contains(run(t, "pdftotext", basePath, "-"), "Nguyễn Thị Thu Hà") {
		t.Error("the base carries a watermark")
	}

	// Drawn: the watermark changes a few pixels, lightly, on the plan's
	// first page and on the turned ones.
	for _, page := range []int{1, 2, 15, 16, 18} {
		plain := render(t, basePath, page)
		marked := render(t, readerPath, page)
		changed, darkest := diff(plain, marked)
		if changed < 0.002 || changed > 0.2 {
			t.Errorf("page %d: the watermark changes %.2f%% of the pixels", page, 100*changed)
		}
		if darkest > 140 {
			t.Errorf("page %d: the watermark darkens a pixel by %d of 255: not light", page, darkest)
		}
		t.Logf("page %d: %.2f%% of the pixels change, by at most %d of 255", page, 100*changed, darkest)
	}
}

func flatten(o []outline, indent string) string {
	var b strings.Builder
	for _, x := range o {
		fmt.Fprintf(&b, "%s%s → %d\n", indent, x.Title, x.Page)
		b.WriteString(flatten(x.Kids, indent+"  "))
	}
	return b.String()
}

func render(t *testing.T, pdf string, page int) image.Image {
	t.Helper()
	out := filepath.Join(t.TempDir(), "p.png")
	run(t, "mutool", "draw", "-q", "-r", "50", "-c", "gray", "-o", out, pdf, strconv.Itoa(page))
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// diff returns the share of pixels that differ and the largest darkening.
func diff(a, b image.Image) (float64, int) {
	r := a.Bounds()
	changed, darkest := 0, 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ga, _, _, _ := a.At(x, y).RGBA()
			gb, _, _, _ := b.At(x, y).RGBA()
			if ga != gb {
				changed++
				darkest = max(darkest, (int(ga)-int(gb))>>8)
			}
		}
	}
	return float64(changed) / float64(r.Dx()*r.Dy()), darkest
}

func TestEmptyAgenda(t *testing.T) {
	need(t, "qpdf", "pdfinfo")
	dir := t.TempDir()
	var base bytes.Buffer
	b, err := Build(context.Background(), &base, dir, testCover, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.Pages != 1 || b.Cover != 1 {
		t.Fatalf("%d pages, want the cover alone", b.Pages)
	}
	tail, err := b.Tail("Khách mời")
	if err != nil {
		t.Fatal(err)
	}
	p := write(t, dir, "reader.pdf", append(base.Bytes(), tail...))
	run(t, "qpdf", "--check", p)
	if info := run(t, "pdfinfo", p); !strings.Contains(info, "\nPages:           1\n") {
		t.Errorf("pdfinfo:\n%s", info)
	}
}

// A long agenda takes more than one cover page; the documents' page
// numbers and bookmarks follow.
func TestLongAgenda(t *testing.T) {
	need(t, "qpdf")
	doc := testenv.PDF(1000, 9)
	var items []Item
	for i := range 30 {
		items = append(items, Item{
			Title:     fmt.Sprintf("Nội dung thứ %d: báo cáo tình hình thực hiện nhiệm vụ năm học và phương hướng", i+1),
			Presenter: "Trưởng phòng Giáo dục Trung học", Slot: "10 phút",
			Documents: []Document{memDoc(fmt.Sprintf("Báo cáo số %d", i+1), doc)},
		})
	}
	var base bytes.Buffer
	b, err := Build(context.Background(), &base, t.TempDir(), testCover, items)
	if err != nil {
		t.Fatal(err)
	}
	if b.Cover < 2 || b.Pages != b.Cover+30 {
		t.Fatalf("cover %d pages, %d in all", b.Cover, b.Pages)
	}
	var q struct {
		Outlines []outline `json:"outlines"`
	}
	p := write(t, t.TempDir(), "base.pdf", base.Bytes())
	if err := json.Unmarshal([]byte(run(t, "qpdf", "--json", "--json-key=outlines", p)), &q); err != nil {
		t.Fatal(err)
	}
	if last := q.Outlines[30]; last.Page != b.Pages || last.Kids[0].Page != b.Pages {
		t.Errorf("the last item points at page %d, want %d", last.Page, b.Pages)
	}
	if s := run(t, "pdftotext", "-f", "1", "-l", strconv.Itoa(b.Cover), p, "-"); !strings.Contains(s, fmt.Sprintf("(tr. %d)", b.Pages)) {
		t.Errorf("the cover does not give the last document's page %d", b.Pages)
	}
}

func TestBadDocuments(t *testing.T) {
	need(t, "qpdf")
	dir := t.TempDir()
	plan, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	// Encrypted with a password (one with only an owner password goes in:
	// TestOwnerPasswordOnly).
	locked := filepath.Join(dir, "locked.pdf")
	run(t, "qpdf", "--encrypt", "mật khẩu", "chủ", "256", "--", fixture, locked)
	garbage := make([]byte, 5000)
	mrand.NewChaCha8([32]byte{1}).Read(garbage)
	failing := errors.New("the store is down")

	for _, tc := range []struct {
		name string
		doc  Document
		want error
	}{
		{"not a PDF", memDoc("Tờ trình (ảnh chụp)", garbage), ErrNotPDF},
		{"a text file", memDoc("Ghi chú", []byte("Không phải PDF\n")), ErrNotPDF},
		{"cut short", memDoc("Báo cáo bị cắt", plan[:len(plan)/3]), ErrNotPDF},
		{"encrypted, password", fileDoc("Báo cáo có mật khẩu", locked), ErrEncrypted},
		{"page tree lists itself", memDoc("Báo cáo lặp trang", hostileCase(t, "self-kid-page-tree")), ErrNotPDF},
		{"a million objects declared", memDoc("Báo cáo một triệu đối tượng", hostileCase(t, "objects-1m-xref-table")), ErrNotPDF},
		{"length beyond the file", memDoc("Báo cáo độ dài sai", hostileCase(t, "huge-length")), ErrNotPDF},
		{"store fails", Document{Title: "Báo cáo không tải được", Open: func(context.Context) (io.ReadCloser, int64, error) {
			return nil, 0, failing
		}}, failing},
		{"fewer bytes than said", Document{Title: "Báo cáo thiếu", Open: func(context.Context) (io.ReadCloser, int64, error) {
			return io.NopCloser(bytes.NewReader(plan[:1000])), int64(len(plan)), nil
		}}, ErrShort},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items := []Item{
				{Title: "Mục một", Documents: []Document{memDoc("Kế hoạch", plan)}},
				{Title: "Mục hai", Documents: []Document{memDoc("Phụ lục", testenv.PDF(1000, 2)), tc.doc}},
			}
			var w bytes.Buffer
			tmp := t.TempDir()
			_, err := Build(context.Background(), &w, tmp, testCover, items)
			var de *DocumentError
			if !errors.As(err, &de) || de.Title != tc.doc.Title || de.Item != 2 || !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want a DocumentError for %q in item 2 that is %v", err, tc.doc.Title, tc.want)
			}
			if !strings.Contains(err.Error(), tc.doc.Title) {
				t.Errorf("the message does not name the document: %v", err)
			}
			if w.Len() != 0 {
				t.Errorf("%d bytes written for a failed packet", w.Len())
			}
			if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
				t.Errorf("temporary files left: %v", ents)
			}
		})
	}
}

// hostileCase is a file of pdfguard's hostile corpus, which pdfcpu alone
// would take minutes and gigabytes over, or loop on.
func hostileCase(t *testing.T, name string) []byte {
	for _, c := range hostile.Cases() {
		if c.Name == name {
			return c.Make()
		}
	}
	t.Fatalf("no hostile case %s", name)
	return nil
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Build(ctx, io.Discard, t.TempDir(), testCover, []Item{{Title: "Mục", Documents: []Document{memDoc("A", testenv.PDF(1000, 1))}}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestTailText(t *testing.T) {
	var base bytes.Buffer
	b, err := Build(context.Background(), &base, t.TempDir(), testCover, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"", "  \t\n "} {
		if _, err := b.Tail(s); !errors.Is(err, ErrNoText) {
			t.Errorf("Tail(%q) = %v", s, err)
		}
	}
	other := b
	other.FontSum = "0000"
	if _, err := other.Tail("Nguyễn Văn A"); !errors.Is(err, ErrFont) {
		t.Errorf("Tail with another font's Base = %v", err)
	}
	// Decomposed marks are composed; a character the font lacks becomes
	// "?"; a very long text is cut.
	long := strings.Repeat("Nguyễn Văn A ", 100)
	if tail, err := b.Tail(long); err != nil || len(tail) > 8192 {
		t.Errorf("a long text: %d bytes, %v", len(tail), err)
	}
	need(t, "pdftotext")
	tail, err := b.Tail("Nguye\u0302\u0303n 张 Hà")
	if err != nil {
		t.Fatal(err)
	}
	p := write(t, t.TempDir(), "r.pdf", append(base.Bytes(), tail...))
	if s := run(t, "pdftotext", p, "-"); !strings.Contains(s, "Nguyễn ? Hà") {
		t.Errorf("pdftotext:\n%s", s)
	}
}
