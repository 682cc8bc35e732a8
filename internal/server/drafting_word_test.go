package server

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/testenv"
)

// The Word side of the drafting story, with the real LibreOffice pool
// (realConverter): templates, Word revisions, signature and registration
// on the converted PDF, Word attachments, and hostile Word files.

// pdfText is the text of a PDF as pdftotext reads it.
func pdfText(t testing.TB, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		testenv.Missing(t, "pdftotext")
	}
	f := filepath.Join(t.TempDir(), "in.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// oneLine joins a text's whitespace, so that a phrase pdftotext broke
// across lines is still found.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// download GETs path as token and wants 200.
func (e *testEnv) download(t *testing.T, token, path string) ([]byte, string) {
	t.Helper()
	status, b, h := e.request("GET", path, token, nil, "")
	if status != 200 {
		t.Fatalf("GET %s: %d %s", path, status, b)
	}
	return b, h.Get("Content-Type")
}

// latestPDF is the latest version's PDF of document id.
func (e *testEnv) latestPDF(t *testing.T, token string, id int64) []byte {
	t.Helper()
	_, no := e.latest(t, token, id)
	b, _ := e.download(t, token, fmt.Sprintf("/api/v1/documents/%d/versions/%d/download", id, no))
	return b
}

// zipEntries reads every entry of a zip.
func zipEntries(t testing.TB, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(rc); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		rc.Close()
		out[f.Name] = buf.Bytes()
	}
	return out
}

// rezip writes a zip of in, with the entries of set replacing or added.
func rezip(t testing.TB, in []byte, set map[string][]byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	done := map[string]bool{}
	for _, f := range zr.File {
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

// fromTemplate makes a draft from the template as token and wants 201.
func (e *testEnv) fromTemplate(t *testing.T, token string, form map[string]any) draftJSON {
	t.Helper()
	status, out := e.postJSON(t, "/api/v1/drafts/from-template", token, form)
	wantStatus(t, "draft from the template", status, 201, out)
	return decodeDraft(t, out)
}

// signRegister submits draft d to signer, signs it as signer and registers
// it as the clerk (with the drafting unit's abbreviation a công văn's
// symbol needs); it returns the registered document.
func (e *testEnv) signRegister(t *testing.T, d draftJSON, drafter, signer, clerk, draftingUnit string) docJSON {
	t.Helper()
	path := fmt.Sprintf("/api/v1/drafts/%d", d.Document.ID)
	due := time.Now().In(domain.VietnamTime).AddDate(0, 0, 3).Format(time.DateOnly)
	status, out := e.postJSON(t, path+"/submit", e.login(drafter), map[string]any{"signer_id": e.userID(t, signer), "due_date": due})
	wantStatus(t, "submit", status, 200, out)
	d = decodeDraft(t, out)
	status, out = e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/sign", d.Document.ID), e.login(signer), map[string]any{"version_sha256": d.Revisions[0].SHA256})
	wantStatus(t, "sign as "+signer, status, 200, out)
	tok := e.login(clerk)
	sha, _ := e.latest(t, tok, d.Document.ID)
	status, out = e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/register", d.Document.ID), tok, map[string]any{"version_sha256": sha, "drafting_unit": draftingUnit})
	wantStatus(t, "register", status, 200, out)
	var reg docJSON
	if err := json.Unmarshal(out, &reg); err != nil {
		t.Fatal(err)
	}
	return reg
}

// TestDraftFromTemplateWithLibreOffice: a plan from the KH template,
// converted by LibreOffice; the drafter edits the Word file and uploads it
// as revision 2, whose diff shows the new sentence; the director signs the
// converted PDF and the clerk registers it: the number and the date land
// in the template's blank places and both signatures verify.
func TestDraftFromTemplateWithLibreOffice(t *testing.T) {
	e := newEnv(t, envOptions{signing: true, converter: realConverter(t)})
	drafter := e.login("chuyenvien.sgd")
	const title = "Kế hoạch tổ chức Hội khỏe Phù Đổng ngành Giáo dục năm 2027"
	start := time.Now()
	d := e.fromTemplate(t, drafter, map[string]any{"doc_type": "KH", "title": title,
		"recipients": []string{"Như trên;", "Lưu: VT, VP."}, "signer_id": e.userID(t, "giamdoc.sgd")})
	t.Logf("from the template: %v", time.Since(start))
	if d.State != "open" || len(d.Revisions) != 1 {
		t.Fatalf("draft: %+v", d)
	}
	id := d.Document.ID
	text := oneLine(pdfText(t, e.latestPDF(t, drafter, id)))
	for _, want := range []string{"KẾ HOẠCH", title, "SỞ GIÁO DỤC VÀ ĐÀO TẠO", "GIÁM ĐỐC", "Lê Hoài Nam", "Nơi nhận"} {
		if !strings.Contains(text, want) {
			t.Errorf("the template's PDF lacks %q:\n%s", want, text)
		}
	}
	src, ct := e.download(t, drafter, fmt.Sprintf("/api/v1/drafts/%d/revisions/1/source", id))
	if !strings.Contains(ct, "wordprocessingml") {
		t.Errorf("source type %q", ct)
	}
	entries := zipEntries(t, src)
	body := string(entries["word/document.xml"])
	const guide = "Mục đích"
	if !strings.Contains(body, guide) {
		t.Fatalf("the template's DOCX lacks the guide text %q", guide)
	}
	const sentence = "Tạo sân chơi lành mạnh, rèn luyện thể chất cho học sinh toàn Thành phố"
	revised := rezip(t, src, map[string][]byte{"word/document.xml": []byte(strings.Replace(body, guide, sentence, 1))})

	body2, ct2 := multipartBody(t, map[string]string{"note": "Viết mục đích"}, "Kế hoạch Hội khỏe (sửa).docx", revised)
	status, out, _ := e.request("POST", fmt.Sprintf("/api/v1/drafts/%d/revisions", id), drafter, body2, ct2)
	wantStatus(t, "Word revision", status, 201, out)
	d = decodeDraft(t, out)
	if len(d.Revisions) != 2 || d.Revisions[0].Version != 2 {
		t.Fatalf("revisions: %+v", d.Revisions)
	}
	status, out, _ = e.request("GET", fmt.Sprintf("/api/v1/drafts/%d/diff", id), drafter, nil, "")
	wantStatus(t, "diff", status, 200, out)
	var diff struct {
		Lines []struct{ Op, Text string }
		Added int
	}
	if err := json.Unmarshal(out, &diff); err != nil {
		t.Fatal(err)
	}
	added := false
	for _, l := range diff.Lines {
		added = added || (l.Op == "+" && strings.Contains(l.Text, sentence))
		if l.Op == "+" && !strings.Contains(l.Text, sentence) {
			t.Errorf("added beyond the sentence: %q", l.Text)
		}
	}
	if !added {
		t.Errorf("the diff does not show the new sentence as added: %s", out)
	}
	if !strings.Contains(oneLine(pdfText(t, e.latestPDF(t, drafter, id))), sentence) {
		t.Error("revision 2's PDF lacks the new sentence")
	}

	reg := e.signRegister(t, d, "chuyenvien.sgd", "giamdoc.sgd", "vanthu.sgd", "")
	if !strings.Contains(reg.NumberSymbol, "/KH-SGDĐT") {
		t.Fatalf("registered as %q", reg.NumberSymbol)
	}
	// The number and the date are written by the system as marks over
	// the blanks the template left (annotations, not page text): the
	// verification lists them, and nothing went into the seal's text.
	clerk := e.login("vanthu.sgd")
	if reg.IssueNotice != "" {
		t.Errorf("the number or date found no place in the template: %s", reg.IssueNotice)
	}
	_, no := e.latest(t, clerk, id)
	status, out, _ = e.request("GET", fmt.Sprintf("/api/v1/documents/%d/versions/%d/verification", id, no), clerk, nil, "")
	var ver struct {
		Report struct {
			Valid      bool     `json:"valid"`
			IssueMarks []string `json:"issue_marks"`
		} `json:"report"`
	}
	if status != 200 || json.Unmarshal(out, &ver) != nil || !ver.Report.Valid {
		t.Fatalf("verification: %d %s", status, out)
	}
	date := time.Now().In(domain.VietnamTime)
	marks := strings.Join(ver.Report.IssueMarks, "\n")
	for _, want := range []string{"Số: " + reg.NumberSymbol, fmt.Sprintf("ngày %02d tháng %02d năm %d", date.Day(), date.Month(), date.Year())} {
		if !strings.Contains(marks, want) {
			t.Errorf("the registered PDF's marks lack %q: %s", want, out)
		}
	}
	final := e.latestPDF(t, clerk, id)
	if text := oneLine(pdfText(t, final)); !strings.Contains(text, sentence) || !strings.Contains(text, "Số: /KH-SGDĐT") {
		t.Errorf("the registered PDF's text: %s", text)
	}
	testenv.CheckSignedPDF(t, final, 2)
	keepForReview(t, "template-kh-registered", final)
}

// keepForReview writes a PDF and its first page as PNG into
// $VANBAN_SCREENSHOTS, when set, for a look at what LibreOffice made.
func keepForReview(t *testing.T, name string, pdf []byte) {
	t.Helper()
	dir := os.Getenv("VANBAN_SCREENSHOTS")
	if dir == "" {
		return
	}
	p := filepath.Join(dir, name+".pdf")
	if err := os.MkdirAll(dir, 0o755); err != nil || os.WriteFile(p, pdf, 0o644) != nil {
		t.Fatalf("keep %s: %v", p, err)
	}
	if out, err := exec.Command("pdftoppm", "-f", "1", "-l", "1", "-r", "80", "-png", "-singlefile", p, strings.TrimSuffix(p, ".pdf")).CombinedOutput(); err != nil {
		t.Logf("pdftoppm: %v %s", err, out)
	}
	t.Logf("kept for review: %s", p)
}

// TestDeputyWordDraftWithWordAttachment: a công văn from the template for
// the deputy director "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC", with a Word
// appendix in a file of its own. The capacity is read from the converted
// PDF's signer block, stored with the signature and written in the edXML
// export; the appendix is converted and sealed at registration.
func TestDeputyWordDraftWithWordAttachment(t *testing.T) {
	e := newEnv(t, envOptions{signing: true, converter: realConverter(t)})
	drafter := e.login("chuyenvien.sgd")
	d := e.fromTemplate(t, drafter, map[string]any{"doc_type": "CV", "title": "Triển khai kế hoạch cải cách hành chính năm 2027",
		"addressees": []string{"Phòng Giáo dục và Đào tạo các quận, huyện"}, "recipients": []string{"Như trên;"},
		"signer_id": e.userID(t, "phogiamdoc.sgd"), "capacity": "KT.", "on_behalf_of": "Giám đốc"})
	id := d.Document.ID
	text := oneLine(pdfText(t, e.latestPDF(t, drafter, id)))
	for _, want := range []string{"V/v Triển khai kế hoạch cải cách hành chính năm 2027", "Kính gửi", "KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Nguyễn Văn Hiếu"} {
		if !strings.Contains(text, want) {
			t.Errorf("the công văn's PDF lacks %q:\n%s", want, text)
		}
	}
	docx, err := os.ReadFile("../../testdata/206-KH-SGDDT.docx")
	if err != nil {
		t.Fatal(err)
	}
	status, out := e.addAttachment(t, drafter, id, "Phụ lục. Kế hoạch 206/KH-SGDĐT", "Phụ lục kế hoạch.docx", docx)
	var att attachmentJSON
	if status != 201 || json.Unmarshal(out, &att) != nil || att.FileName != "Phụ lục kế hoạch.pdf" || att.OriginalFileName == nil {
		t.Fatalf("Word attachment: %d %s", status, out)
	}
	pdf, _ := e.download(t, drafter, fmt.Sprintf("/api/v1/documents/%d/attachments/%d/download", id, att.ID))
	if !strings.Contains(oneLine(pdfText(t, pdf)), "Thực hiện công tác cải cách hành chính") {
		t.Error("the converted attachment lacks the Word file's text")
	}
	if orig, _ := e.download(t, drafter, fmt.Sprintf("/api/v1/documents/%d/attachments/%d/download?original=1", id, att.ID)); !bytes.Equal(orig, docx) {
		t.Error("the attachment's Word original differs")
	}

	reg := e.signRegister(t, d, "chuyenvien.sgd", "phogiamdoc.sgd", "vanthu.sgd", "") // the template printed /SGDĐT-VP: the clerk types nothing
	clerk := e.login("vanthu.sgd")
	if !strings.HasSuffix(reg.NumberSymbol, "/SGDĐT-VP") || reg.IssueNotice != "" {
		t.Errorf("registered as %q (%s)", reg.NumberSymbol, reg.IssueNotice)
	}
	status, out, _ = e.request("GET", fmt.Sprintf("/api/v1/documents/%d/signatures", id), clerk, nil, "")
	if status != 200 || !strings.Contains(string(out), `"capacity":"KT"`) || !strings.Contains(string(out), `"signed_as":"KT. GIÁM ĐỐC — PHÓ GIÁM ĐỐC Nguyễn Văn Hiếu"`) {
		t.Fatalf("signatures: %d %s", status, out)
	}
	final := e.latestPDF(t, clerk, id)
	testenv.CheckSignedPDF(t, final, 2)
	keepForReview(t, "template-cv-kt-registered", final)
	_, atts := e.attachments(t, clerk, id)
	if len(atts) != 1 || !atts[0].Sealed || atts[0].Valid == nil || !*atts[0].Valid {
		t.Fatalf("the attachment after registration: %+v", atts)
	}
	sealed, _ := e.download(t, clerk, fmt.Sprintf("/api/v1/documents/%d/attachments/%d/download", id, att.ID))
	testenv.CheckSignedPDF(t, sealed, 1)

	if status, b := e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/issue", id), clerk,
		map[string]any{"recipients": map[string]any{"units": []int64{e.unitID(t, "000.01.24.H29")}}}); status != 201 {
		t.Fatalf("issue: %d %s", status, b)
	}
	x, _ := e.download(t, clerk, fmt.Sprintf("/api/v1/documents/%d/edxml?to=000.01.24.H29", id))
	for _, w := range []string{`Competence>KT. GIÁM ĐỐC<`, `Position>PHÓ GIÁM ĐỐC<`, `FullName>Nguyễn Văn Hiếu<`} {
		if !bytes.Contains(x, []byte(w)) {
			t.Errorf("the export lacks %s", w)
		}
	}
}

// minimalDOCX is a DOCX of body's paragraphs and the extra parts (as
// convert's own helper builds it).
func minimalDOCX(body string, extra map[string]string) []byte {
	parts := map[string]string{
		"[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/></Types>`,
		"_rels/.rels": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`,
		"word/document.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"><w:body>` + body + `</w:body></w:document>`,
	}
	for k, v := range extra {
		parts[k] = v
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "word/document.xml"} {
		w, _ := zw.Create(name)
		w.Write([]byte(parts[name]))
		delete(parts, name)
	}
	for name, v := range parts {
		w, _ := zw.Create(name)
		w.Write([]byte(v))
	}
	zw.Close()
	return buf.Bytes()
}

// remoteDOCX links an image, an attached template, a subdocument and
// INCLUDEPICTURE / INCLUDETEXT fields to url (convert_test's file).
func remoteDOCX(url string) []byte {
	body := `<w:p><w:r><w:t>Công văn có ảnh từ xa:</w:t></w:r><w:r><w:drawing><wp:inline><wp:extent cx="952500" cy="952500"/><wp:docPr id="1" name="Ảnh"/><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic><pic:nvPicPr><pic:cNvPr id="1" name="x.png"/><pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip r:link="rImg"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill><pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="952500" cy="952500"/></a:xfrm><a:prstGeom prst="rect"/></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>` +
		`<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> INCLUDEPICTURE "` + url + `field.png" \\d </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>ảnh cũ</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>` +
		`<w:p><w:fldSimple w:instr=" INCLUDETEXT &quot;` + url + `text.docx&quot; "><w:r><w:t>văn bản cũ</w:t></w:r></w:fldSimple></w:p>` +
		`<w:p><w:subDoc r:id="rSub"/></w:p>`
	return minimalDOCX(body, map[string]string{
		"word/_rels/document.xml.rels": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rImg" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="` + url + `image.png" TargetMode="External"/>` +
			`<Relationship Id="rSub" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/subDocument" Target="` + url + `sub.docx" TargetMode="External"/>` +
			`<Relationship Id="rSet" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/>` +
			`</Relationships>`,
		"word/settings.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:attachedTemplate r:id="rTpl"/><w:linkStyles/></w:settings>`,
		"word/_rels/settings.xml.rels": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rTpl" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" Target="` + url + `template.dotx" TargetMode="External"/></Relationships>`,
	})
}

// zipBombDOCX is a DOCX whose body unpacks to 300 MiB of zeros.
func zipBombDOCX() []byte {
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels"} {
		w, _ := zw.Create(name)
		w.Write([]byte("<x/>"))
	}
	w, _ := zw.Create("word/document.xml")
	zeros := make([]byte, 1<<20)
	for range 300 {
		w.Write(zeros)
	}
	zw.Close()
	return out.Bytes()
}

// TestHostileWordThroughHTTP: hostile Word files sent to the API, with the
// real pool. Remote links are never fetched (a local server counts the
// connections); macros, a zip bomb and a corrupt file are refused with
// their reason and nothing is stored; a revision of a submitted draft is
// refused.
func TestHostileWordThroughHTTP(t *testing.T) {
	e := newEnv(t, envOptions{signing: true, converter: realConverter(t)})
	drafter := e.login("chuyenvien.sgd")
	fields := map[string]string{"doc_type": "CV", "title": "Công văn về việc tổ chức hội thi giáo viên dạy giỏi"}

	// A listener that counts every connection, answering 404.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var conns atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			c.Write([]byte("HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n"))
			c.Close()
		}
	}()
	body, ct := multipartBody(t, fields, "Công văn ảnh từ xa.docx", remoteDOCX("http://"+l.Addr().String()+"/"))
	status, out, _ := e.request("POST", "/api/v1/drafts", drafter, body, ct)
	wantStatus(t, "DOCX with remote links", status, 201, out)
	remote := decodeDraft(t, out)
	if !strings.Contains(pdfText(t, e.latestPDF(t, drafter, remote.Document.ID)), "Công văn có ảnh từ xa") {
		t.Error("the linked DOCX's PDF lacks its text")
	}
	time.Sleep(200 * time.Millisecond) // a late fetch would show
	if n := conns.Load(); n != 0 {
		t.Errorf("%d connections to the linked server", n)
	}

	docx, err := os.ReadFile("../../testdata/206-KH-SGDDT.docx")
	if err != nil {
		t.Fatal(err)
	}
	types := string(zipEntries(t, docx)["[Content_Types].xml"])
	macroTypes := []byte(strings.Replace(types, "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
		"application/vnd.ms-word.document.macroEnabled.main+xml", 1))
	macros := rezip(t, docx, map[string][]byte{"word/vbaProject.bin": []byte("VBA"), "[Content_Types].xml": macroTypes})
	docs0, versions0 := e.countRows()
	objects0 := e.countObjects()
	for _, tc := range []struct {
		name   string
		in     []byte
		reason string
	}{
		{"Kế hoạch có macro.docm", macros, "macro"},
		{"Kế hoạch có macro.docx", macros, "macro"},
		{"Kế hoạch nén.docx", zipBombDOCX(), "giải nén"},
		{"Kế hoạch hỏng.docx", docx[:len(docx)/2], "hỏng"},
	} {
		body, ct := multipartBody(t, fields, tc.name, tc.in)
		status, out, _ := e.request("POST", "/api/v1/drafts", drafter, body, ct)
		if status != 422 || !strings.Contains(string(out), "bad_office_file") || !strings.Contains(string(out), tc.reason) {
			t.Errorf("%s: %d %s", tc.name, status, out)
		}
	}
	if docs, versions := e.countRows(); docs != docs0 || versions != versions0 {
		t.Errorf("refused files stored %d documents, %d versions", docs-docs0, versions-versions0)
	}
	if n := e.countObjects(); n != objects0 {
		t.Errorf("refused files stored %d objects", n-objects0)
	}
	// Nor kept for a retry: only an unavailable converter keeps a file.
	var kept int
	if err := e.db.Get(&kept, `SELECT count(*) FROM pending_conversions`); err != nil || kept != 0 {
		t.Errorf("refused files kept for conversion: %d %v", kept, err)
	}

	// A revision of a submitted draft: 409.
	due := time.Now().In(domain.VietnamTime).AddDate(0, 0, 3).Format(time.DateOnly)
	status, out = e.postJSON(t, fmt.Sprintf("/api/v1/drafts/%d/submit", remote.Document.ID), drafter, map[string]any{"signer_id": e.userID(t, "giamdoc.sgd"), "due_date": due})
	wantStatus(t, "submit", status, 200, out)
	body, ct = multipartBody(t, nil, "Công văn (sửa).docx", docx)
	status, out, _ = e.request("POST", fmt.Sprintf("/api/v1/drafts/%d/revisions", remote.Document.ID), drafter, body, ct)
	wantStatus(t, "revision of a submitted draft", status, 409, out)
}
