package signing_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/signing/signingtest"
	"golang.org/x/text/unicode/norm"
)

// Every precomposed letter of Vietnamese, upper and lower case.
const (
	vietUpper = "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
	vietLower = "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
)

var (
	pkiOnce   sync.Once
	sharedPKI *signingtest.PKI
)

// testPKI returns a PKI shared by the tests of this run: RSA keys take a
// while to generate.
func testPKI(t testing.TB) *signingtest.PKI {
	t.Helper()
	pkiOnce.Do(func() { sharedPKI = signingtest.NewPKI(t) })
	if sharedPKI == nil {
		t.Fatal("no test PKI")
	}
	return sharedPKI
}

func fixture(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/206-KH-SGDDT.pdf")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// minimalPDF writes a PDF by hand: one page per text, Helvetica, a
// classic cross-reference table. padding adds a comment of that many bytes
// to the first page's content stream.
func minimalPDF(version string, padding int, texts ...string) []byte {
	var b bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	fmt.Fprintf(&b, "%%PDF-%s\n%%\xe2\xe3\xcf\xd3\n", version)
	n := len(texts)
	kids := make([]string, n)
	for i := range texts {
		kids[i] = fmt.Sprintf("%d 0 R", 4+2*i)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	for i, text := range texts {
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", 5+2*i))
		content := fmt.Sprintf("BT /F1 18 Tf 72 760 Td (%s) Tj ET\n", text)
		if i == 0 && padding > 0 {
			line := "% " + strings.Repeat("x", 76) + "\n"
			content += strings.Repeat(line, padding/len(line)+1)
		}
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", len(content), content))
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}

// objStreamPDF writes a PDF 1.7 by hand whose dictionaries live in a
// compressed object stream and whose cross-reference table is a stream, as
// producers other than LibreOffice write them.
func objStreamPDF(texts ...string) []byte { return objStreamPDFWith(objStmOptions{}, texts...) }

// objStreamPDFTail is objStreamPDF with tail appended to the object
// stream's data.
func objStreamPDFTail(tail string, texts ...string) []byte {
	return objStreamPDFWith(objStmOptions{tail: tail}, texts...)
}

// objStmOptions break objStreamPDF in the ways that hang or crash the
// parser.
type objStmOptions struct {
	tail      string // appended to the object stream's data
	n         int    // overrides the object stream's /N
	extra     string // added to the object stream's dictionary
	inItself  bool   // the object stream listed as compressed in itself
	xrefExtra string // added to the cross-reference stream's dictionary
}

func objStreamPDFWith(o objStmOptions, texts ...string) []byte {
	tail := o.tail
	n := len(texts)
	// 1 catalog, 2 pages, 3 font, then page i: 4+2i, content 5+2i;
	// object stream and cross-reference stream last.
	objStm, xrefObj := 4+2*n, 5+2*n
	kids := make([]string, n)
	inStream := map[int]string{
		1: "<< /Type /Catalog /Pages 2 0 R >>",
		3: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
	}
	for i := range texts {
		kids[i] = fmt.Sprintf("%d 0 R", 4+2*i)
		inStream[4+2*i] = fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", 5+2*i)
	}
	inStream[2] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n)

	var b bytes.Buffer
	offsets := map[int]int{}
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	for i, text := range texts {
		id := 5 + 2*i
		content := fmt.Sprintf("BT /F1 18 Tf 72 760 Td (%s) Tj ET\n", text)
		offsets[id] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n<< /Length %d >>\nstream\n%sendstream\nendobj\n", id, len(content), content)
	}
	var header, body bytes.Buffer
	index := map[int]int{}
	k := 0
	for id := 1; id < objStm; id++ {
		obj, ok := inStream[id]
		if !ok {
			continue
		}
		index[id] = k
		k++
		fmt.Fprintf(&header, "%d %d ", id, body.Len())
		body.WriteString(obj + "\n")
	}
	body.WriteString(tail)
	packed := flate(append(header.Bytes(), body.Bytes()...))
	offsets[objStm] = b.Len()
	if o.n != 0 {
		k = o.n
	}
	fmt.Fprintf(&b, "%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d%s >>\nstream\n", objStm, k, header.Len(), len(packed), o.extra)
	b.Write(packed)
	b.WriteString("\nendstream\nendobj\n")

	offsets[xrefObj] = b.Len()
	var rows []byte
	for id := 0; id <= xrefObj; id++ {
		switch {
		case id == 0:
			rows = append(rows, 0, 0, 0, 0, 0, 0xff, 0xff)
		case inStream[id] != "", id == objStm && o.inItself:
			rows = append(rows, 2, 0, 0, byte(objStm>>8), byte(objStm), 0, byte(index[id]))
		default:
			o := offsets[id]
			rows = append(rows, 1, byte(o>>24), byte(o>>16), byte(o>>8), byte(o), 0, 0)
		}
	}
	packed = flate(rows)
	fmt.Fprintf(&b, "%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Filter /FlateDecode /Length %d%s >>\nstream\n", xrefObj, xrefObj+1, len(packed), o.xrefExtra)
	b.Write(packed)
	fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", offsets[xrefObj])
	return b.Bytes()
}

func flate(b []byte) []byte {
	var out bytes.Buffer
	w := zlib.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

// qpdfObjectStreams rewrites the fixture with qpdf, another producer, into
// object streams and a cross-reference stream.
func qpdfObjectStreams(t testing.TB) []byte {
	t.Helper()
	needTool(t, "qpdf")
	out, err := exec.Command("qpdf", "--object-streams=generate", "../testdata/206-KH-SGDDT.pdf", "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func testPNG(w, h int, c color.NRGBA) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := h / 3; y < 2*h/3; y++ {
		for x := w / 10; x < 9*w/10; x++ {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

var (
	blue = color.NRGBA{R: 0x0a, G: 0x2a, B: 0xa8, A: 0xff}
	red  = color.NRGBA{R: 0xd0, G: 0x10, B: 0x1c, A: 0xff}
)

// signTwice signs in as the person (visible, on the last page), then as the
// organisation (its seal overlapping the signature's left third).
func signTwice(t testing.TB, in []byte, tsa *signing.TSA) (first, second []byte) {
	t.Helper()
	p := testPKI(t)
	first, err := signing.Sign(context.Background(), in, signing.Options{
		Key: p.Person, Reason: "Phê duyệt", Location: "Thành phố Hồ Chí Minh", TSA: tsa,
		Appearance: &signing.Appearance{Rect: [4]float64{330, 120, 510, 200}, PNG: testPNG(360, 160, blue)},
	})
	if err != nil {
		t.Fatalf("first signature: %v", err)
	}
	second, err = signing.Sign(context.Background(), first, signing.Options{
		Key: p.Org, Reason: "Ban hành văn bản", Location: "Thành phố Hồ Chí Minh", Contact: "vanthu@hcm.edu.vn", TSA: tsa,
		Appearance: &signing.Appearance{Rect: [4]float64{290, 110, 390, 210}, PNG: testPNG(200, 200, red)},
	})
	if err != nil {
		t.Fatalf("second signature: %v", err)
	}
	return first, second
}

func writeTemp(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// nssDB returns an NSS database in which pdfsig trusts the test roots, or
// "" when certutil (libnss3-tools) is not installed.
func nssDB(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("certutil"); err != nil {
		return ""
	}
	dir := t.TempDir()
	run := func(args ...string) {
		if out, err := exec.Command("certutil", append(args, "-d", "sql:"+dir)...).CombinedOutput(); err != nil {
			t.Fatalf("certutil %v: %v\n%s", args, err, out)
		}
	}
	run("-N", "--empty-password")
	for i, c := range [][]byte{testPKI(t).Root.Raw, signingtest.TSARoot(t).Raw} {
		f := filepath.Join(dir, fmt.Sprintf("root%d.der", i))
		if err := os.WriteFile(f, c, 0o644); err != nil {
			t.Fatal(err)
		}
		run("-A", "-n", fmt.Sprintf("vanban-test-%d", i), "-t", "CT,C,C", "-i", f)
	}
	return dir
}

func needTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		testenv.Missing(t, name)
	}
}

// checkTools runs the independent verifiers on a signed file with n
// signatures, all valid, the last covering the whole file.
//
// pdfsig is given an NSS database trusting the test roots when certutil is
// installed, and must then say "Certificate is Trusted."; without it, it can
// only say the issuer is unknown, and the signature value alone is checked.
// mutool has no trust configuration: its "Certificate error" lines are
// ignored and only its digest verdicts are checked.
func checkTools(t *testing.T, path string, n int) {
	t.Helper()
	checkPdfsig(t, path, n, true)
	checkMutool(t, path, n, true)
	checkQpdf(t, path)
}

var pdfsigBlock = regexp.MustCompile(`(?m)^Signature #(\d+):`)

func checkPdfsig(t *testing.T, path string, n int, lastCoversAll bool) string {
	t.Helper()
	needTool(t, "pdfsig")
	args := []string{path}
	db := nssDB(t)
	if db != "" {
		args = []string{"-nssdir", "sql:" + db, path}
	}
	out, err := exec.Command("pdfsig", args...).CombinedOutput()
	text := string(out)
	if err != nil {
		t.Fatalf("pdfsig %s: %v\n%s", path, err, text)
	}
	blocks := pdfsigBlock.Split(text, -1)[1:]
	if len(blocks) != n {
		t.Fatalf("pdfsig sees %d signatures, want %d:\n%s", len(blocks), n, text)
	}
	for i, b := range blocks {
		if !strings.Contains(b, "Signature Validation: Signature is Valid.") {
			t.Errorf("pdfsig: signature %d is not valid:\n%s", i+1, b)
		}
		if db != "" && !strings.Contains(b, "Certificate Validation: Certificate is Trusted.") {
			t.Errorf("pdfsig: signature %d is not trusted with the test roots:\n%s", i+1, b)
		}
		last := i == n-1
		switch {
		case last && lastCoversAll && !strings.Contains(b, "- Total document signed"):
			t.Errorf("pdfsig: the last signature does not cover the whole document:\n%s", b)
		case (!last || !lastCoversAll) && !strings.Contains(b, "- Not total document signed"):
			t.Errorf("pdfsig: signature %d should not cover the whole document:\n%s", i+1, b)
		}
	}
	return text
}

var mutoolBlock = regexp.MustCompile(`(?m)^Verifying signature \d+:`)

func checkMutool(t *testing.T, path string, n int, lastUnchanged bool) string {
	t.Helper()
	needTool(t, "mutool")
	out, err := exec.Command("mutool", "sign", "-v", path).CombinedOutput()
	text := string(out)
	if err != nil {
		t.Fatalf("mutool sign -v %s: %v\n%s", path, err, text)
	}
	blocks := mutoolBlock.Split(text, -1)[1:]
	if len(blocks) != n {
		t.Fatalf("mutool sees %d signatures, want %d:\n%s", len(blocks), n, text)
	}
	for i, b := range blocks {
		if strings.Contains(b, "Digest error") || strings.Contains(b, "invalidated") {
			t.Errorf("mutool: digest error on signature %d:\n%s", i+1, b)
		}
		if i == n-1 && lastUnchanged && !strings.Contains(b, "The document is unchanged since signing.") {
			t.Errorf("mutool: the last signature is not over an unchanged document:\n%s", b)
		}
		if (i < n-1 || !lastUnchanged) && !strings.Contains(b, "The signature is valid but there have been edits since signing.") {
			t.Errorf("mutool: signature %d should be valid with later edits:\n%s", i+1, b)
		}
	}
	return text
}

func checkQpdf(t *testing.T, path string) {
	t.Helper()
	needTool(t, "qpdf")
	out, err := exec.Command("qpdf", "--check", path).CombinedOutput()
	if err != nil {
		t.Errorf("qpdf --check %s: %v\n%s", path, err, out)
	}
}

func mustVerify(t testing.TB, in []byte) signing.Report {
	t.Helper()
	rep, err := signing.Verify(in, signing.VerifyOptions{Roots: testPKI(t).Roots})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return rep
}

// requireValid checks a file signed n times by Sign: valid, every
// signature intact and trusted, the last covering the whole file and the
// earlier ones up to a later signature.
func requireValid(t *testing.T, rep signing.Report, n int, format string) {
	t.Helper()
	if !rep.Valid || rep.SignatureFields != n || rep.SignaturesVerified != n || rep.ModifiedAfterLastSignature || len(rep.Appended) != 0 {
		t.Fatalf("report not valid for %d signatures: %+v", n, rep)
	}
	if !strings.HasPrefix(rep.VerdictEN, "valid") || !strings.HasPrefix(rep.VerdictVI, "Hợp lệ") {
		t.Errorf("verdict %q / %q", rep.VerdictEN, rep.VerdictVI)
	}
	for i, s := range rep.Signatures {
		if !s.Intact || !s.Trusted || !s.LibraryValid || !s.CoversWholeDocument || s.Format != format || len(s.Problems) > 0 {
			t.Errorf("signature %d: %+v", i+1, s)
		}
		wantCoverage := signing.CoverageUpToLater
		if i == n-1 {
			wantCoverage = signing.CoverageWhole
		}
		if s.Coverage != wantCoverage {
			t.Errorf("signature %d covers %q, want %q", i+1, s.Coverage, wantCoverage)
		}
		if format == "PAdES B-T" && (s.Timestamp == nil || !s.Timestamp.Intact || !s.Timestamp.CertificateValid) {
			t.Errorf("signature %d: timestamp %+v", i+1, s.Timestamp)
		}
		for _, c := range s.ChangesAfter {
			if c.Kind != signing.ChangeLaterSignature {
				t.Errorf("signature %d followed by %+v", i+1, c)
			}
		}
	}
}

func TestSignTwice(t *testing.T) {
	tsaURL := signingtest.NewTSA(t)
	inputs := []struct {
		name string
		pdf  func(testing.TB) []byte
	}{
		{"LibreOffice fixture", fixture},
		{"hand-written object streams", func(testing.TB) []byte { return objStreamPDF("Ke hoach so 206", "Trang 2") }},
		{"qpdf object streams", qpdfObjectStreams},
		{"hand-written PDF 1.7", func(testing.TB) []byte { return minimalPDF("1.7", 0, "Page one", "Page two") }},
	}
	for _, in := range inputs {
		for _, level := range []string{"PAdES B-B", "PAdES B-T"} {
			t.Run(in.name+"/"+level, func(t *testing.T) {
				var tsa *signing.TSA
				if level == "PAdES B-T" {
					tsa = &signing.TSA{URL: tsaURL, Timeout: 10 * time.Second}
				}
				first, second := signTwice(t, in.pdf(t), tsa)
				requireValid(t, mustVerify(t, first), 1, level)
				rep := mustVerify(t, second)
				requireValid(t, rep, 2, level)
				if rep.Signatures[0].Signer != signingtest.PersonName || rep.Signatures[1].Signer != signingtest.OrgName ||
					rep.Signatures[1].Organisation != signingtest.OrgOrg || rep.Signatures[1].Contact != "vanthu@hcm.edu.vn" {
					t.Errorf("signers: %+v", rep.Signatures)
				}
				if rep.Signatures[0].ChangesAfter[0].Kind != signing.ChangeLaterSignature {
					t.Errorf("changes after the first: %+v", rep.Signatures[0].ChangesAfter)
				}
				checkTools(t, writeTemp(t, "signed.pdf", second), 2)
			})
		}
	}
}

func TestSignVietnameseTexts(t *testing.T) {
	p := testPKI(t)
	all := vietUpper + " " + vietLower
	type testCase struct {
		name string
		opts signing.Options
	}
	var cases []testCase
	// Upper case alone holds Ĩ, an unbalanced "(" in UTF-16; lower case ĩ,
	// an unbalanced ")".
	for _, letters := range []struct{ name, s string }{{"upper", vietUpper}, {"lower", vietLower}, {"both", all}} {
		cases = append(cases,
			testCase{"Name/" + letters.name, signing.Options{Name: letters.s}},
			testCase{"Reason/" + letters.name, signing.Options{Reason: letters.s}},
			testCase{"Location/" + letters.name, signing.Options{Location: letters.s}},
			testCase{"Contact/" + letters.name, signing.Options{Contact: letters.s}})
	}
	cases = append(cases, []testCase{
		{"all fields", signing.Options{Name: vietLower, Reason: vietUpper, Location: all, Contact: "Lĩnh (văn thư) Ĩ"}},
		{"decomposed input", signing.Options{Name: norm.NFD.String(all), Reason: norm.NFD.String("Phê duyệt Ĩĩ")}},
		{"name defaults to the CN", signing.Options{Reason: "Ký số"}},
		{"unbalanced parenthesis", signing.Options{Reason: "Lĩnh) (Hồ \\ Chí", Location: "a) b ( c \\ d"}},
	}...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := c.opts
			o.Key = p.Person
			out, err := signing.Sign(context.Background(), fixture(t), o)
			if err != nil {
				t.Fatal(err)
			}
			rep := mustVerify(t, out)
			requireValid(t, rep, 1, "PAdES B-B")
			s := rep.Signatures[0]
			want := map[string]string{"Name": o.Name, "Reason": o.Reason, "Location": o.Location, "Contact": o.Contact}
			if want["Name"] == "" {
				want["Name"] = signingtest.PersonName
			}
			if c.name == "unbalanced parenthesis" {
				want["Reason"] = "Lĩnh） （Hồ ＼ Chí"
			}
			got := map[string]string{"Name": s.Name, "Reason": s.Reason, "Location": s.Location, "Contact": s.Contact}
			for k, w := range want {
				if got[k] != norm.NFC.String(w) {
					t.Errorf("%s reads back as %q, want %q", k, got[k], norm.NFC.String(w))
				}
			}
			checkTools(t, writeTemp(t, "signed.pdf", out), 1)
		})
	}
}

func TestSignRefusesUnwritableText(t *testing.T) {
	p := testPKI(t)
	// U+5C0F's UTF-16 holds a backslash byte and has no decomposition.
	out, err := signing.Sign(context.Background(), fixture(t), signing.Options{Key: p.Person, Reason: "Trường 小"})
	if err == nil || out != nil {
		t.Fatalf("Sign = %d bytes, %v; want an error and no output", len(out), err)
	}
}

// PDFs of version 1.4 or less signed twice: one /Version in each catalog.
func TestSignOldVersionTwice(t *testing.T) {
	inputs := map[string][]byte{
		"hand-written 1.3": minimalPDF("1.3", 0, "Old document"),
		"hand-written 1.4": minimalPDF("1.4", 0, "Old document", "Page 2"),
	}
	if _, err := exec.LookPath("qpdf"); err == nil {
		out, err := exec.Command("qpdf", "--force-version=1.4", "../testdata/206-KH-SGDDT.pdf", "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		inputs["fixture forced to 1.4 by qpdf"] = out
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			_, second := signTwice(t, in, nil)
			requireValid(t, mustVerify(t, second), 2, "PAdES B-B")
			catalog := regexp.MustCompile(`(?s)/Type /Catalog.*?endobj`)
			for _, c := range catalog.FindAll(second, -1) {
				if n := bytes.Count(c, []byte("/Version")); n > 1 {
					t.Errorf("a catalog has /Version %d times:\n%s", n, c)
				}
			}
			checkTools(t, writeTemp(t, "signed.pdf", second), 2)
		})
	}
}

func TestSignCertification(t *testing.T) {
	p := testPKI(t)
	ctx := context.Background()
	for _, perm := range []int{signing.NoChanges, signing.AllowFormFillingAndSigning, signing.AllowFormFillingAndAnnotations} {
		t.Run(fmt.Sprintf("P=%d", perm), func(t *testing.T) {
			cert, err := signing.Sign(ctx, fixture(t), signing.Options{Key: p.Org, Kind: signing.Certification, Permission: perm, Reason: "Chứng nhận"})
			if err != nil {
				t.Fatal(err)
			}
			if !regexp.MustCompile(fmt.Sprintf(`/TransformMethod /DocMDP\s+/TransformParams <<\s+/Type /TransformParams\s+/P %d\s`, perm)).Match(cert) {
				i := bytes.Index(cert, []byte("/TransformMethod"))
				t.Errorf("the DocMDP permission is not the one asked for:\n%s", cert[i:i+120])
			}
			rep := mustVerify(t, cert)
			requireValid(t, rep, 1, "PAdES B-B")
			if want := fmt.Sprintf("certification (DocMDP P=%d)", perm); rep.Signatures[0].Kind != want {
				t.Errorf("kind %q, want %q", rep.Signatures[0].Kind, want)
			}
			checkTools(t, writeTemp(t, "certified.pdf", cert), 1)
			out, err := signing.Sign(ctx, cert, signing.Options{Key: p.Person, Reason: "Phê duyệt"})
			if perm == signing.NoChanges {
				if err == nil || out != nil {
					t.Fatalf("signing a P=1 document: %d bytes, %v", len(out), err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			requireValid(t, mustVerify(t, out), 2, "PAdES B-B")
			checkTools(t, writeTemp(t, "signed.pdf", out), 2)
		})
	}
}

// unpluggedToken fails as a PKCS#11 token does when it is removed.
type unpluggedToken struct{ crypto.Signer }

func (unpluggedToken) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, fmt.Errorf("%w: CKR_DEVICE_REMOVED", signing.ErrTokenUnavailable)
}

// The appearance is the caller's PNG and nothing else: pdfsign's text
// appearance draws Vietnamese as mojibake.
func TestSignAppearanceIsTheImageOnly(t *testing.T) {
	in := fixture(t)
	out, err := signing.Sign(context.Background(), in, signing.Options{
		Key: testPKI(t).Person, Name: "Nguyễn Văn Lĩnh", Reason: "Phê duyệt", Location: "Sở Giáo dục",
		Appearance: &signing.Appearance{Page: 1, Rect: [4]float64{330, 120, 510, 200}, PNG: testPNG(360, 160, blue)},
	})
	if err != nil {
		t.Fatal(err)
	}
	update := out[len(in):]
	for _, text := range []string{"BT\n", " Tf\n", " Tj\n", "/BaseFont"} {
		if bytes.Contains(update, []byte(text)) {
			t.Errorf("the signature's update draws text (%q)", text)
		}
	}
	for _, want := range []string{"/Subtype /Image", "/Im1 Do", "/Rect [330.000000 120.000000 510.000000 200.000000]", "/SMask"} {
		if !bytes.Contains(update, []byte(want)) {
			t.Errorf("the update lacks %q", want)
		}
	}
}

// Every error returns no bytes.
func TestSignErrors(t *testing.T) {
	p := testPKI(t)
	good := fixture(t)
	signed, err := signing.Sign(context.Background(), good, signing.Options{Key: p.Person})
	if err != nil {
		t.Fatal(err)
	}
	encrypted := func(args ...string) func(*testing.T) []byte {
		return func(t *testing.T) []byte {
			needTool(t, "qpdf")
			out, err := exec.Command("qpdf", append(append([]string{"--encrypt"}, args...), "--", "../testdata/206-KH-SGDDT.pdf", "-")...).Output()
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
	}
	now := time.Now()
	expired := p.NewKey(t, "Lê Thị Hết Hạn", "Sở Giáo dục", now.Add(-2*365*24*time.Hour), now.Add(-24*time.Hour))
	future := p.NewKey(t, "Trần Văn Chưa Tới", "Sở Giáo dục", now.Add(24*time.Hour), now.Add(365*24*time.Hour))
	mismatch := signing.Key{Signer: p.Org.Signer, Chain: p.Person.Chain}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name string
		in   func(*testing.T) []byte
		ctx  context.Context
		opts signing.Options
		want error
	}{
		{"AES-256 with a user password", encrypted("user", "owner", "256"), nil, signing.Options{}, signing.ErrEncrypted},
		{"AES-256 without a user password", encrypted("", "owner", "256"), nil, signing.Options{}, signing.ErrEncrypted},
		{"AES-128", encrypted("user", "owner", "128", "--use-aes=y"), nil, signing.Options{}, signing.ErrEncrypted},
		{"not a PDF", func(*testing.T) []byte { return []byte("hello, world") }, nil, signing.Options{}, signing.ErrBadPDF},
		{"truncated", func(*testing.T) []byte { return good[:len(good)/2] }, nil, signing.Options{}, signing.ErrBadPDF},
		{"empty", func(*testing.T) []byte { return nil }, nil, signing.Options{}, signing.ErrBadPDF},
		{"too large", nil, nil, signing.Options{MaxBytes: int64(len(good) - 1)}, signing.ErrTooLarge},
		{"expired certificate", nil, nil, signing.Options{Key: expired}, signing.ErrCertificateExpired},
		{"certificate not yet valid", nil, nil, signing.Options{Key: future}, signing.ErrCertificateExpired},
		{"key of another certificate", nil, nil, signing.Options{Key: mismatch}, signing.ErrKeyMismatch},
		{"not a PNG", nil, nil, signing.Options{Appearance: &signing.Appearance{Rect: [4]float64{0, 0, 10, 10}, PNG: []byte("GIF89a")}}, signing.ErrBadImage},
		{"broken PNG", nil, nil, signing.Options{Appearance: &signing.Appearance{Rect: [4]float64{0, 0, 10, 10}, PNG: testPNG(10, 10, blue)[:40]}}, signing.ErrBadImage},
		{"cancelled", nil, cancelled, signing.Options{}, context.Canceled},
		{"page out of range", nil, nil, signing.Options{Appearance: &signing.Appearance{Page: 99, Rect: [4]float64{0, 0, 10, 10}, PNG: testPNG(10, 10, blue)}}, nil},
		{"empty rectangle", nil, nil, signing.Options{Appearance: &signing.Appearance{Rect: [4]float64{10, 10, 10, 20}, PNG: testPNG(10, 10, blue)}}, nil},
		{"approval with a permission", nil, nil, signing.Options{Permission: 2}, nil},
		{"certification without a permission", nil, nil, signing.Options{Kind: signing.Certification}, nil},
		{"visible certification", nil, nil, signing.Options{Kind: signing.Certification, Permission: 2, Appearance: &signing.Appearance{Rect: [4]float64{0, 0, 10, 10}, PNG: testPNG(10, 10, blue)}}, nil},
		{"certifying a signed document", func(*testing.T) []byte { return signed }, nil, signing.Options{Kind: signing.Certification, Permission: 2}, nil},
		{"TSA without URL", nil, nil, signing.Options{TSA: &signing.TSA{}}, nil},
		{"token unplugged", nil, nil, signing.Options{Key: signing.Key{Signer: unpluggedToken{p.Person.Signer}, Chain: p.Person.Chain}}, signing.ErrTokenUnavailable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := good
			if c.in != nil {
				in = c.in(t)
			}
			ctx := c.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			o := c.opts
			if o.Key.Signer == nil {
				o.Key = p.Person
			}
			out, err := signing.Sign(ctx, in, o)
			if err == nil || out != nil {
				t.Fatalf("Sign = %d bytes, %v; want an error and no bytes", len(out), err)
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %v", err, c.want)
			}
			if !strings.HasPrefix(err.Error(), "signing: ") {
				t.Errorf("error %q does not start with the package name", err)
			}
			if c.name == "AES-256 with a user password" {
				t.Logf("message: %v", err)
			}
		})
	}
}
