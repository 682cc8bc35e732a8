package convert

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/hcm-edu/vanban/internal/testenv"
)

var updateRender = flag.Bool("update-render", false, "rewrite the reference image of the fixture's first page (review it before committing)")

const fixture = "../testdata/206-KH-SGDDT"

func needSoffice(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("soffice"); err != nil {
		testenv.Missing(t, "LibreOffice (soffice)")
	}
	if _, err := findPython(); err != nil {
		testenv.Missing(t, "python3-uno")
	}
}

// newConverter starts a pool of its own for a test that breaks it.
func newConverter(t testing.TB, cfg Config) *Converter {
	t.Helper()
	needSoffice(t)
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

var shared struct {
	once sync.Once
	c    *Converter
	err  error
}

// sharedConverter is one pool for the tests that only convert.
func sharedConverter(t testing.TB) *Converter {
	t.Helper()
	needSoffice(t)
	shared.once.Do(func() { shared.c, shared.err = New(Config{}) })
	if shared.err != nil {
		t.Fatalf("New: %v", shared.err)
	}
	return shared.c
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if shared.c != nil {
		shared.c.Close()
	}
	os.Exit(code)
}

func read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// words splits text for comparison: whitespace normalised, hyphens
// dropped (pdftotext joins a word hyphenated at a line's end).
func words(s string) []string {
	return strings.Fields(strings.ReplaceAll(s, "-", " "))
}

// commonWords is the length of the longest common subsequence of a and b.
func commonWords(a, b []string) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			switch {
			case a[i] == b[j]:
				cur[j+1] = prev[j] + 1
			case prev[j+1] >= cur[j]:
				cur[j+1] = prev[j+1]
			default:
				cur[j+1] = cur[j]
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// The fixture's PDF holds the fixture's text and its first page looks like
// the reviewed rendering.
func TestFixtureToPDF(t *testing.T) {
	c := sharedConverter(t)
	pdf, err := c.ToPDF(context.Background(), read(t, fixture+".docx"), "206-KH-SGDDT.docx")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", pdf[:min(len(pdf), 20)])
	}
	dir := t.TempDir()
	pdfPath := filepath.Join(dir, "out.pdf")
	os.WriteFile(pdfPath, pdf, 0o600)

	if _, err := exec.LookPath("pdftotext"); err != nil {
		testenv.Missing(t, "pdftotext")
	}
	text, err := exec.Command("pdftotext", "-enc", "UTF-8", pdfPath, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	// Tolerance: every word of the reference text in order but for 0.5 %
	// of them (pdftotext's line breaks), and at most 2 % more words in the
	// PDF (the letterhead, which the reference text leaves out).
	got, want := words(string(text)), words(string(read(t, fixture+".txt")))
	common := commonWords(got, want)
	t.Logf("words: %d in the PDF, %d in the reference, %d in common", len(got), len(want), common)
	if missing := len(want) - common; missing*200 > len(want) {
		t.Errorf("%d of the reference's %d words are missing from the PDF", missing, len(want))
	}
	if extra := len(got) - common; extra*50 > len(want) {
		t.Errorf("the PDF has %d words beyond the reference's %d", extra, len(want))
	}
	for _, s := range []string{"KẾ HOẠCH", "Thực hiện công tác cải cách hành chính", "Số: 206/KH"} {
		if !strings.Contains(string(text), s) {
			t.Errorf("the PDF's text lacks %q", s)
		}
	}
	fonts, _ := exec.Command("pdffonts", pdfPath).Output()
	// Liberation Serif alone: a glyph it lacked (Vietnamese in its version
	// 1) would come from a fallback font such as DejaVu.
	if !strings.Contains(string(fonts), "LiberationSerif") || strings.Contains(string(fonts), "DejaVu") {
		t.Errorf("the PDF is not set in Liberation Serif (Times New Roman's metrics) alone (install fonts-liberation2):\n%s", fonts)
	}

	if _, err := exec.LookPath("pdftoppm"); err != nil {
		testenv.Missing(t, "pdftoppm")
	}
	if out, err := exec.Command("pdftoppm", "-f", "1", "-l", "1", "-r", "60", "-png", "-singlefile", pdfPath, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	page := read(t, filepath.Join(dir, "page.png"))
	ref := "../testdata/convert-206-KH-SGDDT-page1.png"
	if *updateRender {
		if err := os.WriteFile(ref, page, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s: review it before committing", ref)
		return
	}
	differ, total, err := testenv.PixelDifference(page, read(t, ref))
	if err != nil {
		t.Fatal(err)
	}
	if differ > total/200 {
		t.Errorf("page 1 differs from the reviewed rendering in %d of %d pixels (see %s)", differ, total, filepath.Join(dir, "page.png"))
	}
}

func TestToText(t *testing.T) {
	c := sharedConverter(t)
	text, err := c.ToText(context.Background(), read(t, fixture+".docx"), "206-KH-SGDDT.docx")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(text, "\n")
	if lines[0] != "ỦY BAN NHÂN DÂN" || !strings.Contains(text, "\nKẾ HOẠCH\n") || strings.Contains(text, "\r") {
		t.Errorf("text: %q", text[:min(len(text), 300)])
	}
	for _, f := range []struct{ name, want string }{
		{"../testdata/convert-word97.doc", "Văn bản Word 97 của Sở Giáo dục và Đào tạo"},
		{"../testdata/convert-writer.odt", "Văn bản OpenDocument của Sở Giáo dục và Đào tạo"},
	} {
		text, err := c.ToText(context.Background(), read(t, f.name), filepath.Base(f.name))
		if err != nil || strings.TrimSpace(text) != f.want {
			t.Errorf("%s: %q %v", f.name, text, err)
		}
		pdf, err := c.ToPDF(context.Background(), read(t, f.name), filepath.Base(f.name))
		if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			t.Errorf("%s: PDF %v", f.name, err)
		}
	}
}

func TestKind(t *testing.T) {
	zipHead, ole2 := []byte("PK\x03\x04rest"), []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest")
	for _, tc := range []struct {
		name string
		head []byte
		kind string
	}{
		{"a.docx", zipHead, "docx"},
		{"A.DOCX", zipHead, "docx"},
		{"a.docx", ole2, "docx"}, // Word's encrypted DOCX: ToPDF says so
		{"a.odt", zipHead, "odt"},
		{"a.doc", ole2, "doc"},
		{"a.doc", zipHead, ""},
		{"a.odt", ole2, ""},
		{"a.docx", []byte("%PDF-1.7"), ""},
		{"a.pdf", zipHead, ""},
		{"a.docm", zipHead, ""},
		{"docx", zipHead, ""},
		{"a.docx", nil, ""},
	} {
		kind, ok := Kind(tc.name, tc.head)
		if kind != tc.kind || ok != (tc.kind != "") {
			t.Errorf("Kind(%q, %q) = %q, %v; want %q", tc.name, tc.head, kind, ok, tc.kind)
		}
	}
}

// withEntries rewrites the fixture's zip, replacing or adding entries.
func withEntries(t testing.TB, in []byte, set map[string][]byte, drop ...string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	done := map[string]bool{}
outer:
	for _, f := range zr.File {
		for _, d := range drop {
			if f.Name == d {
				continue outer
			}
		}
		w, _ := zw.Create(f.Name)
		if b, ok := set[f.Name]; ok {
			w.Write(b)
			done[f.Name] = true
			continue
		}
		rc, _ := f.Open()
		var buf bytes.Buffer
		buf.ReadFrom(rc)
		rc.Close()
		w.Write(buf.Bytes())
	}
	for name, b := range set {
		if !done[name] {
			w, _ := zw.Create(name)
			w.Write(b)
		}
	}
	zw.Close()
	return out.Bytes()
}

// encryptedDOCX is the shape of a DOCX that Word saved with a password: an
// OLE2 container of the streams EncryptionInfo and EncryptedPackage.
func encryptedDOCX() []byte {
	le := binary.LittleEndian
	const sect = 512
	b := make([]byte, sect*19) // header, FAT, directory, 2 × 8 sectors of data
	copy(b, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")
	le.PutUint16(b[0x18:], 0x3E)
	le.PutUint16(b[0x1A:], 3)
	le.PutUint16(b[0x1C:], 0xFFFE)
	le.PutUint16(b[0x1E:], 9)
	le.PutUint16(b[0x20:], 6)
	le.PutUint32(b[0x2C:], 1)          // FAT sectors
	le.PutUint32(b[0x30:], 1)          // first directory sector
	le.PutUint32(b[0x38:], 4096)       // mini stream cutoff
	le.PutUint32(b[0x3C:], 0xFFFFFFFE) // no mini FAT
	le.PutUint32(b[0x44:], 0xFFFFFFFE) // no DIFAT sectors
	for i := 0; i < 109; i++ {
		le.PutUint32(b[0x4C+4*i:], 0xFFFFFFFF)
	}
	le.PutUint32(b[0x4C:], 0) // the FAT is sector 0
	fat := b[sect : 2*sect]
	for i := 0; i < sect/4; i++ {
		le.PutUint32(fat[4*i:], 0xFFFFFFFF)
	}
	le.PutUint32(fat[0:], 0xFFFFFFFD)
	le.PutUint32(fat[4:], 0xFFFFFFFE)
	for s := 2; s < 18; s++ {
		next := uint32(s + 1)
		if s == 9 || s == 17 {
			next = 0xFFFFFFFE
		}
		le.PutUint32(fat[4*s:], next)
	}
	dir := b[2*sect : 3*sect]
	entry := func(i int, name string, typ byte, child, right, start, size uint32) {
		e := dir[128*i : 128*(i+1)]
		u := utf16.Encode([]rune(name))
		for j, c := range u {
			le.PutUint16(e[2*j:], c)
		}
		le.PutUint16(e[64:], uint16(2*len(u)+2))
		e[66], e[67] = typ, 1
		le.PutUint32(e[68:], 0xFFFFFFFF)
		le.PutUint32(e[72:], right)
		le.PutUint32(e[76:], child)
		le.PutUint32(e[116:], start)
		le.PutUint32(e[120:], size)
	}
	entry(0, "Root Entry", 5, 1, 0xFFFFFFFF, 0xFFFFFFFE, 0)
	entry(1, "EncryptionInfo", 2, 0xFFFFFFFF, 2, 2, 4096)
	entry(2, "EncryptedPackage", 2, 0xFFFFFFFF, 0xFFFFFFFF, 10, 4096)
	for i := 3*sect + 0; i < len(b); i++ {
		b[i] = byte(i * 7)
	}
	return b
}

// zipBomb is a DOCX whose body unpacks to far more than any document.
func zipBomb(t testing.TB, lie bool) []byte {
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels"} {
		w, _ := zw.Create(name)
		w.Write([]byte("<x/>"))
	}
	w, _ := zw.Create("word/document.xml")
	zeros := make([]byte, 1<<20)
	for i := 0; i < 300; i++ {
		w.Write(zeros)
	}
	zw.Close()
	b := out.Bytes()
	if lie { // declare a small size in the central directory: the unpacking still counts
		i := bytes.LastIndex(b, []byte("PK\x01\x02"))
		for ; i >= 0; i = bytes.LastIndex(b[:i], []byte("PK\x01\x02")) {
			if bytes.HasPrefix(b[i+46:], []byte("word/document.xml")) {
				binary.LittleEndian.PutUint32(b[i+24:], 1000)
				break
			}
		}
	}
	return b
}

func TestBadFiles(t *testing.T) {
	c := sharedConverter(t)
	docx := read(t, fixture+".docx")
	macroTypes := bytes.Replace(zipEntry(t, docx, "[Content_Types].xml"),
		[]byte("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
		[]byte("application/vnd.ms-word.document.macroEnabled.main+xml"), 1)
	many := map[string][]byte{}
	for i := 0; i < maxEntries+1; i++ {
		many[fmt.Sprintf("word/media/x%d.xml", i)] = nil
	}
	odt := read(t, "../testdata/convert-writer.odt")
	for _, tc := range []struct {
		name string
		in   []byte
		code string
	}{
		{"not a zip.docx", []byte("PK\x03\x04 this is no zip at all"), "corrupt"},
		{"truncated.docx", docx[:len(docx)/2], "corrupt"},
		{"no body.docx", withEntries(t, docx, nil, "word/document.xml"), "corrupt"},
		{"garbage body.docx", withEntries(t, docx, map[string][]byte{"word/document.xml": []byte("<w:document><w:body><w:p>")}), "corrupt"},
		{"bad ole2.doc", append([]byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"), make([]byte, 600)...), "corrupt"},
		{"encrypted.docx", encryptedDOCX(), "encrypted"},
		{"encrypted.odt", read(t, "../testdata/convert-encrypted.odt"), "encrypted"},
		{"encrypted.doc", read(t, "../testdata/convert-encrypted.doc"), "encrypted"}, // the FIB says so
		{"macros.docx", withEntries(t, docx, map[string][]byte{"word/vbaProject.bin": []byte("VBA"), "[Content_Types].xml": macroTypes}), "macros"},
		{"macro types.docx", withEntries(t, docx, map[string][]byte{"[Content_Types].xml": macroTypes}), "macros"},
		{"basic.odt", withEntries(t, odt, map[string][]byte{"Basic/Standard/Module1.xml": []byte("<script:module/>")}), "macros"},
		{"events.odt", withEntries(t, odt, map[string][]byte{"content.xml": []byte(`<office:document-content><office:event-listeners><script:event-listener script:language="ooo:script" script:event-name="dom:load" xlink:href="vnd.sun.star.script:Standard.Module1.Main?language=Basic&amp;location=application"/></office:event-listeners></office:document-content>`)}), "macros"},
		{"bomb.docx", zipBomb(t, false), "too_large"},
		{"lying bomb.docx", zipBomb(t, true), "corrupt"}, // unpacks past its declared size
		{"many entries.docx", withEntries(t, docx, many), "too_large"},
		{"a pdf.docx", []byte("%PDF-1.7\n"), "unsupported"},
		{"a.pdf", []byte("%PDF-1.7\n"), "unsupported"},
		{"a spreadsheet.odt", withEntries(t, odt, map[string][]byte{"mimetype": []byte("application/vnd.oasis.opendocument.spreadsheet")}), "unsupported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.ToPDF(context.Background(), tc.in, tc.name)
			var bad *BadFileError
			if !errors.As(err, &bad) || bad.Code != tc.code {
				t.Fatalf("got %v, want a BadFileError %s", err, tc.code)
			}
			if bad.Reason == "" || !strings.Contains(bad.Reason, "; hãy ") {
				t.Errorf("reason %q says not what to do", bad.Reason)
			}
		})
	}
	// The pool still converts after all that.
	if _, err := c.ToPDF(context.Background(), docx, "a.docx"); err != nil {
		t.Fatal(err)
	}
}

func zipEntry(t testing.TB, in []byte, name string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			rc, _ := f.Open()
			defer rc.Close()
			var buf bytes.Buffer
			buf.ReadFrom(rc)
			return buf.Bytes()
		}
	}
	t.Fatalf("no %s", name)
	return nil
}

// remoteDOCX links an image, an attached template, an OLE object, a
// subdocument and an INCLUDEPICTURE field to url, and keeps a hyperlink.
func remoteDOCX(url string) []byte {
	body := `<w:p><w:r><w:t>Ảnh từ xa:</w:t></w:r><w:r><w:drawing><wp:inline><wp:extent cx="952500" cy="952500"/><wp:docPr id="1" name="Ảnh"/><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic><pic:nvPicPr><pic:cNvPr id="1" name="x.png"/><pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip r:link="rImg"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill><pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="952500" cy="952500"/></a:xfrm><a:prstGeom prst="rect"/></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>` +
		`<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> INCLUDEPICTURE "` + url + `field.png" \d </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>ảnh cũ</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>` +
		`<w:p><w:fldSimple w:instr=" INCLUDETEXT &quot;` + url + `text.docx&quot; "><w:r><w:t>văn bản cũ</w:t></w:r></w:fldSimple></w:p>` +
		`<w:p><w:hyperlink r:id="rLink"><w:r><w:t>Liên kết</w:t></w:r></w:hyperlink></w:p>` +
		`<w:p><w:subDoc r:id="rSub"/></w:p>`
	return minimalDOCX(body, map[string]string{
		"word/_rels/document.xml.rels": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rImg" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="` + url + `image.png" TargetMode="External"/>` +
			`<Relationship Id="rLink" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="` + url + `link" TargetMode="External"/>` +
			`<Relationship Id="rSub" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/subDocument" Target="` + url + `sub.docx" TargetMode="External"/>` +
			`<Relationship Id="rSet" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/>` +
			`</Relationships>`,
		"word/settings.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:attachedTemplate r:id="rTpl"/><w:linkStyles/></w:settings>`,
		"word/_rels/settings.xml.rels": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rTpl" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" Target="` + url + `template.dotx" TargetMode="External"/></Relationships>`,
	})
}

// connCounter is a TCP server on the loopback that counts connections.
type connCounter struct {
	l net.Listener
	n atomic.Int32
}

func newConnCounter(t *testing.T) *connCounter {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cc := &connCounter{l: l}
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			cc.n.Add(1)
			conn.Write([]byte("HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n"))
			conn.Close()
		}
	}()
	t.Cleanup(func() { l.Close() })
	return cc
}

func (cc *connCounter) url() string { return "http://" + cc.l.Addr().String() + "/" }

// Links to outside are never fetched: not with the network namespace, and
// not without it either (the input's cleaning alone keeps them away).
func TestRemoteLinksNeverFetched(t *testing.T) {
	needSoffice(t)
	for _, isolated := range []bool{true, false} {
		t.Run(fmt.Sprintf("isolated=%v", isolated), func(t *testing.T) {
			isolate = isolated
			defer func() { isolate = true }()
			c := newConverter(t, Config{Workers: 1})
			cc := newConnCounter(t)
			in := remoteDOCX(cc.url())
			pdf, err := c.ToPDF(context.Background(), in, "remote.docx")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.ToText(context.Background(), in, "remote.docx"); err != nil {
				t.Fatal(err)
			}
			time.Sleep(200 * time.Millisecond) // a late fetch would show
			if n := cc.n.Load(); n != 0 {
				t.Errorf("%d connections to the test server", n)
			}
			if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
				t.Errorf("not a PDF")
			}
		})
	}
}

// The control: LibreOffice run by hand on the uncleaned file, with a fresh
// default profile and the network, does connect. Without it the test above
// could not fail.
func TestRemoteLinksControl(t *testing.T) {
	needSoffice(t)
	cc := newConnCounter(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "remote.docx"), remoteDOCX(cc.url()), 0o600)
	cmd := exec.Command("soffice", "-env:UserInstallation=file://"+dir+"/profile", "--headless", "--convert-to", "pdf", "--outdir", dir, filepath.Join(dir, "remote.docx"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	done := make(chan error, 1)
	go func() { out, err := cmd.CombinedOutput(); done <- fmt.Errorf("%v %s", err, out) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		t.Fatal(<-done)
	}
	if cc.n.Load() == 0 {
		t.Errorf("LibreOffice did not fetch the uncleaned file's links: the test server sees nothing")
	}
}

// The cleaning drops the links that load something and keeps hyperlinks.
func TestCleanRels(t *testing.T) {
	_, clean, err := check(remoteDOCX("http://127.0.0.1:9/"), "remote.docx")
	if err != nil {
		t.Fatal(err)
	}
	rels := string(zipEntry(t, clean, "word/_rels/document.xml.rels"))
	if strings.Contains(rels, "image.png") || strings.Contains(rels, "sub.docx") || !strings.Contains(rels, `Target="http://127.0.0.1:9/link"`) || !strings.Contains(rels, "settings.xml") {
		t.Errorf("document rels: %s", rels)
	}
	if rels := string(zipEntry(t, clean, "word/_rels/settings.xml.rels")); strings.Contains(rels, "template.dotx") {
		t.Errorf("settings rels: %s", rels)
	}
	doc := string(zipEntry(t, clean, "word/document.xml"))
	if strings.Contains(doc, "INCLUDEPICTURE") || strings.Contains(doc, "INCLUDETEXT") {
		t.Errorf("document: %s", doc)
	}
	odt := cleanODFLinks([]byte(`<draw:image xlink:href="http://x/a.png" xlink:type="simple"/><draw:image xlink:href="Pictures/a.png"/><text:a xlink:href="https://x/">x</text:a><text:section-source xlink:href="../../etc/passwd"/><draw:image xlink:href='/etc/passwd'/>`))
	if want := `<draw:image xlink:href="" xlink:type="simple"/><draw:image xlink:href="Pictures/a.png"/><text:a xlink:href="https://x/">x</text:a><text:section-source xlink:href=""/><draw:image xlink:href=""/>`; string(odt) != want {
		t.Errorf("ODF links:\n%s\nwant\n%s", odt, want)
	}
}

func TestTimeoutKillsAndRestarts(t *testing.T) {
	c := newConverter(t, Config{Workers: 1})
	docx := read(t, fixture+".docx")
	old := c.workers[0].cmd.Process.Pid
	c.cfg.Timeout = time.Millisecond
	if _, err := c.ToPDF(context.Background(), docx, "a.docx"); !errors.Is(err, ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
	if err := syscall.Kill(old, 0); err == nil {
		t.Errorf("the hung worker %d still runs", old)
	}
	c.cfg.Timeout = time.Minute
	if _, err := c.ToPDF(context.Background(), docx, "a.docx"); err != nil {
		t.Fatalf("after the timeout: %v", err)
	}
	if c.workers[0].cmd.Process.Pid == old {
		t.Errorf("the worker was not restarted")
	}
}

// soffice finds the pid of a worker's soffice.bin.
func soffice(t *testing.T, w *worker) int {
	for _, pid := range w.pids() {
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if strings.TrimSpace(string(comm)) == "soffice.bin" {
			return pid
		}
	}
	t.Fatalf("no soffice.bin among %v", w.pids())
	return 0
}

func TestDeadWorkerRestarts(t *testing.T) {
	c := newConverter(t, Config{Workers: 1})
	docx := read(t, fixture+".docx")
	w := c.workers[0]

	// LibreOffice dies while idle: the bridge notices on the next request.
	syscall.Kill(soffice(t, w), syscall.SIGKILL)
	time.Sleep(100 * time.Millisecond)
	if _, err := c.ToPDF(context.Background(), docx, "a.docx"); err != nil {
		t.Fatalf("after killing soffice.bin: %v", err)
	}

	// The bridge dies: the pool sees it and starts a new one.
	old := w.cmd.Process.Pid
	syscall.Kill(old, syscall.SIGKILL)
	time.Sleep(100 * time.Millisecond)
	if _, err := c.ToPDF(context.Background(), docx, "a.docx"); err != nil {
		t.Fatalf("after killing the bridge: %v", err)
	}
	if w.cmd.Process.Pid == old {
		t.Errorf("the bridge was not restarted")
	}
}

func TestUnavailable(t *testing.T) {
	needSoffice(t)
	if _, err := New(Config{Soffice: "/nonexistent/soffice"}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("missing soffice: %v", err)
	}
	if _, err := New(Config{Soffice: "/bin/false", WorkDir: t.TempDir()}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("soffice that does not start: %v", err)
	}

	// A pool whose LibreOffice goes away answers ErrUnavailable, and comes
	// back when LibreOffice does.
	dir := t.TempDir()
	link := filepath.Join(dir, "soffice")
	real, _ := exec.LookPath("soffice")
	os.Symlink(real, link)
	c := newConverter(t, Config{Workers: 1, Soffice: link})
	os.Remove(link)
	c.workers[0].stop()
	docx := read(t, fixture+".docx")
	if _, err := c.ToPDF(context.Background(), docx, "a.docx"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("dead pool: %v", err)
	}
	os.Symlink(real, link)
	if _, err := c.ToPDF(context.Background(), docx, "a.docx"); err != nil {
		t.Errorf("pool back: %v", err)
	}

	c.Close()
	if _, err := c.ToPDF(context.Background(), docx, "a.docx"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("closed pool: %v", err)
	}
}

// Each worker runs in its own network namespace, under the memory limit.
func TestWorkerLimits(t *testing.T) {
	c := newConverter(t, Config{Workers: 1, MemoryLimit: 3 << 30})
	w := c.workers[0]
	pid := soffice(t, w)
	limits := string(read(t, fmt.Sprintf("/proc/%d/limits", pid)))
	if !strings.Contains(limits, fmt.Sprintf("Max address space         %d", int64(3<<30))) {
		t.Errorf("limits of soffice.bin:\n%s", limits)
	}
	t.Logf("isolation: %s", isolationNames[w.mode])
	if w.mode != isolateNone {
		mine, _ := os.Readlink("/proc/self/ns/net")
		its, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid))
		if mine == its {
			t.Errorf("soffice.bin shares the network namespace %s", its)
		}
	} else if os.Getuid() == 0 {
		t.Errorf("as root the worker should get a network namespace")
	}
	if rss := w.rss(); rss < 10<<20 {
		t.Errorf("RSS %d", rss)
	}
}

func TestContextWhileWaiting(t *testing.T) {
	c := newConverter(t, Config{Workers: 1})
	w := <-c.idle // the only worker is busy
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.ToPDF(ctx, read(t, fixture+".docx"), "a.docx")
	c.idle <- w
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v", err)
	}
}

func TestConcurrent(t *testing.T) {
	c := sharedConverter(t)
	docx := read(t, fixture+".docx")
	odt := read(t, "../testdata/convert-writer.odt")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if i%2 == 0 {
				_, err = c.ToPDF(context.Background(), docx, "a.docx")
			} else {
				var text string
				text, err = c.ToText(context.Background(), odt, "a.odt")
				if err == nil && !strings.Contains(text, "OpenDocument") {
					err = fmt.Errorf("text %q", text)
				}
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
