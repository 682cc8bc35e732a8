package signing_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/digitorus/pdf"
	"github.com/digitorus/pdfsign"
	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/signing/signingtest"
)

var (
	lastStartxref = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`)
	trailerSize   = regexp.MustCompile(`/Size\s+(\d+)`)
	trailerRoot   = regexp.MustCompile(`/Root\s+(\d+\s+\d+\s+R)`)
)

func lastMatch(t testing.TB, re *regexp.Regexp, b []byte) string {
	t.Helper()
	m := re.FindAllSubmatch(b, -1)
	if len(m) == 0 {
		t.Fatalf("no %v in the file", re)
	}
	return string(m[len(m)-1][1])
}

// appendUpdate writes an incremental update by hand: the objects (number
// to body), the objects freed, a cross-reference section and a trailer
// whose /Prev is the previous section.
func appendUpdate(t testing.TB, in []byte, objs map[int]string, free []int) []byte {
	t.Helper()
	prev := lastMatch(t, lastStartxref, in)
	size, _ := strconv.Atoi(lastMatch(t, trailerSize, in))
	root := lastMatch(t, trailerRoot, in)
	var b bytes.Buffer
	b.Write(in)
	if !bytes.HasSuffix(in, []byte("\n")) {
		b.WriteString("\n")
	}
	ids := make([]int, 0, len(objs))
	for id := range objs {
		ids = append(ids, id)
		size = max(size, id+1)
	}
	sort.Ints(ids)
	offsets := map[int]int{}
	for _, id := range ids {
		offsets[id] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", id, objs[id])
	}
	xref := b.Len()
	b.WriteString("xref\n")
	for _, id := range ids {
		fmt.Fprintf(&b, "%d 1\n%010d 00000 n \n", id, offsets[id])
	}
	for _, id := range free {
		fmt.Fprintf(&b, "%d 1\n0000000000 00001 f \n", id)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root %s /Prev %s >>\nstartxref\n%d\n%%%%EOF\n", size, root, prev, xref)
	return b.Bytes()
}

// firstPage returns the number of page 1's object and the text of its
// newest definition.
func firstPage(t testing.TB, in []byte) (int, string) {
	t.Helper()
	r, err := pdf.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		t.Fatal(err)
	}
	node := r.Trailer().Key("Root").Key("Pages")
	for node.Key("Type").Name() == "Pages" {
		node = node.Key("Kids").Index(0)
	}
	id := int(node.GetPtr().GetID())
	defs := regexp.MustCompile(fmt.Sprintf(`(?s)(?:^|[^0-9])%d 0 obj(.*?)endobj`, id)).FindAllSubmatch(in, -1)
	if len(defs) == 0 {
		t.Fatalf("no definition of page object %d", id)
	}
	return id, strings.TrimSpace(string(defs[len(defs)-1][1]))
}

func nextObject(t testing.TB, in []byte) int {
	n, _ := strconv.Atoi(lastMatch(t, trailerSize, in))
	return n
}

// amountDue replaces page 1 with "AMOUNT DUE: 999,999,999 VND" in an
// incremental update: a new content stream, a new font and a new version of
// the page object.
func amountDue(t testing.TB, in []byte) []byte {
	t.Helper()
	id, page := firstPage(t, in)
	parent := regexp.MustCompile(`/Parent\s*(\d+\s+\d+\s+R)`).FindStringSubmatch(page)[1]
	box := regexp.MustCompile(`/MediaBox\s*(\[[^\]]*\])`).FindStringSubmatch(page)[1]
	n := nextObject(t, in)
	content := "BT /F9 28 Tf 72 700 Td (AMOUNT DUE: 999,999,999 VND) Tj ET"
	return appendUpdate(t, in, map[int]string{
		n:     fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content)+1, content),
		n + 1: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>",
		id:    fmt.Sprintf("<< /Type /Page /Parent %s /MediaBox %s /Resources << /Font << /F9 %d 0 R >> >> /Contents %d 0 R >>", parent, box, n+1, n),
	}, nil)
}

// addNote adds a sticky note to page 1 in an incremental update.
func addNote(t testing.TB, in []byte) []byte {
	t.Helper()
	id, page := firstPage(t, in)
	if strings.Contains(page, "/Annots") {
		t.Fatal("page 1 already has annotations")
	}
	n := nextObject(t, in)
	page = strings.TrimSuffix(page, ">>") + fmt.Sprintf("/Annots [%d 0 R] >>", n)
	return appendUpdate(t, in, map[int]string{
		n:  "<< /Type /Annot /Subtype /Text /Rect [72 700 92 720] /Contents (Amount changed to 999,999,999 VND) /Open true >>",
		id: page,
	}, nil)
}

// freeContent deletes page 1's content stream in an incremental update
// that only frees the object: the page is not rewritten.
func freeContent(t testing.TB, in []byte) []byte {
	t.Helper()
	_, page := firstPage(t, in)
	c, _ := strconv.Atoi(regexp.MustCompile(`/Contents\s*(\d+)\s+\d+\s+R`).FindStringSubmatch(page)[1])
	return appendUpdate(t, in, map[int]string{}, []int{c})
}

// overwriteBlob replaces the hexadecimal signature value of the signature
// with the given ByteRange.
func overwriteBlob(in []byte, br []int64, fill func(n int) []byte) []byte {
	out := bytes.Clone(in)
	copy(out[br[1]+1:br[2]-1], fill(int(br[2]-br[1]-2)))
	return out
}

func zeros(n int) []byte { return bytes.Repeat([]byte("0"), n) }

func garbage(n int) []byte {
	b := make([]byte, n/2)
	rand.Read(b)
	return []byte(fmt.Sprintf("%x", b))[:n]
}

func flip(in []byte, at int) []byte {
	out := bytes.Clone(in)
	if out[at] >= '0' && out[at] <= '9' {
		out[at] ^= 0x01
	} else {
		out[at] ^= 0x20
	}
	return out
}

// cutByteRange makes a signature's ByteRange end 100 bytes early, in the
// middle of its revision, keeping the file's layout.
func cutByteRange(t testing.TB, in []byte, br []int64) []byte {
	t.Helper()
	old := []byte(fmt.Sprintf("%d %d %d %d]", br[0], br[1], br[2], br[3]))
	cut := []byte(fmt.Sprintf("%d %d %d %d]", br[0], br[1], br[2], br[3]-100))
	if len(cut) != len(old) || !bytes.Contains(in, old) {
		t.Fatalf("cannot rewrite %s", old)
	}
	return bytes.Replace(in, old, cut, 1)
}

// alterDigit changes the last digit of the first number after marker,
// found at or after from.
func alterDigit(t testing.TB, in []byte, from int64, marker string) []byte {
	t.Helper()
	i := bytes.Index(in[from:], []byte(marker))
	if i < 0 {
		t.Fatalf("no %q after %d", marker, from)
	}
	at := int(from) + i + len(marker) + 3
	return flip(in, at)
}

func hasChange(cs []signing.Change, kind string) bool {
	for _, c := range cs {
		if c.Kind == kind {
			return true
		}
	}
	return false
}

// libraryValid reports what pdfsign alone says of the file.
func libraryValid(t testing.TB, in []byte) (bool, int) {
	doc, err := pdfsign.Open(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		return false, 0
	}
	vb := doc.Verify().TrustedRoots(testPKI(t).Roots).ValidateTimestampCertificates(true)
	return vb.Valid(), vb.Count()
}

func TestVerifyTampered(t *testing.T) {
	tsa := &signing.TSA{URL: signingtest.NewTSA(t)}
	_, signed := signTwice(t, fixture(t), tsa)
	base := mustVerify(t, signed)
	requireValid(t, base, 2, "PAdES B-T")
	br1, br2 := base.Signatures[0].ByteRange, base.Signatures[1].ByteRange

	cases := []struct {
		name     string
		tamper   func() []byte
		appended string // the classification of what follows the last signature
		intact   [2]bool
		verified int
		tools    bool // pdfsig and mutool can read the result
	}{
		{"junk appended", func() []byte { return append(bytes.Clone(signed), garbage(600)...) }, signing.ChangeTrailingBytes, [2]bool{true, true}, 2, true},
		{"one newline appended", func() []byte { return append(bytes.Clone(signed), '\n') }, signing.ChangeTrailingBytes, [2]bool{true, true}, 2, true},
		{"page 1 replaced: AMOUNT DUE", func() []byte { return amountDue(t, signed) }, signing.ChangePageContent, [2]bool{true, true}, 2, true},
		{"annotation added", func() []byte { return addNote(t, signed) }, signing.ChangeAnnotations, [2]bool{true, true}, 2, true},
		{"page 1 content freed", func() []byte { return freeContent(t, signed) }, signing.ChangePageContent, [2]bool{true, true}, 2, true},
		{"last signature zeroed", func() []byte { return overwriteBlob(signed, br2, zeros) }, "", [2]bool{true, false}, 1, false},
		{"last signature garbage", func() []byte { return overwriteBlob(signed, br2, garbage) }, "", [2]bool{true, false}, 1, false},
		// the second signature covers the first one's value
		{"first signature zeroed", func() []byte { return overwriteBlob(signed, br1, zeros) }, "", [2]bool{false, false}, 1, false},
		{"byte flipped in page 1", func() []byte { return flip(signed, 300) }, "", [2]bool{false, false}, 2, false},
		{"first signature's ByteRange cut short", func() []byte { return cutByteRange(t, signed, br1) }, "", [2]bool{false, false}, 2, false},
		{"signing time altered in the second signature's dictionary", func() []byte { return alterDigit(t, signed, br2[2], "/M (D:2") }, "", [2]bool{true, false}, 2, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bad := c.tamper()
			rep := mustVerify(t, bad)
			if rep.Valid || !strings.HasPrefix(rep.VerdictEN, "invalid: ") || !strings.HasPrefix(rep.VerdictVI, "Không hợp lệ: ") {
				t.Fatalf("tampered file reported valid: %s / %s", rep.VerdictEN, rep.VerdictVI)
			}
			if rep.SignatureFields != 2 || rep.SignaturesVerified != c.verified {
				t.Errorf("%d fields, %d verified; want 2, %d", rep.SignatureFields, rep.SignaturesVerified, c.verified)
			}
			for i, want := range c.intact {
				if rep.Signatures[i].Intact != want {
					t.Errorf("signature %d intact = %v, want %v (%v)", i+1, rep.Signatures[i].Intact, want, rep.Signatures[i].Problems)
				}
			}
			if c.appended != "" {
				if !rep.ModifiedAfterLastSignature || !hasChange(rep.Appended, c.appended) {
					t.Errorf("appended %+v, want %q", rep.Appended, c.appended)
				}
				for _, s := range rep.Signatures {
					if s.CoversWholeDocument || s.Coverage != signing.CoverageNotTheWhole || !hasChange(s.ChangesAfter, c.appended) {
						t.Errorf("signature %q: coverage %q, changes after %+v", s.Field, s.Coverage, s.ChangesAfter)
					}
				}
				if c.appended != signing.ChangeTrailingBytes && hasChange(rep.Appended, signing.ChangeTrailingBytes) {
					t.Errorf("an incremental update reported as trailing bytes: %+v", rep.Appended)
				}
			}
			lib, n := libraryValid(t, bad)
			t.Logf("pdfsign alone: valid=%v with %d signatures; ours: %s; appended %+v", lib, n, rep.VerdictEN, rep.Appended)
			if c.tools && c.appended != "" {
				path := writeTemp(t, "tampered.pdf", bad)
				checkPdfsig(t, path, 2, false)
				if c.appended != signing.ChangeTrailingBytes {
					checkMutool(t, path, 2, false)
				}
			}
		})
	}
}

// Intermediate updates are classified too: a change slipped in between the
// person's and the organisation's signatures is reported on the first
// signature even though the second covers it.
func TestVerifyChangeBetweenSignatures(t *testing.T) {
	p := testPKI(t)
	first, err := signing.Sign(context.Background(), fixture(t), signing.Options{Key: p.Person})
	if err != nil {
		t.Fatal(err)
	}
	second, err := signing.Sign(context.Background(), amountDue(t, first), signing.Options{Key: p.Org})
	if err != nil {
		t.Fatal(err)
	}
	rep := mustVerify(t, second)
	if rep.Valid || rep.ModifiedAfterLastSignature {
		t.Fatalf("valid=%v modified=%v: %s", rep.Valid, rep.ModifiedAfterLastSignature, rep.VerdictEN)
	}
	s := rep.Signatures[0]
	if !s.Intact || s.CoversWholeDocument || !hasChange(s.ChangesAfter, signing.ChangePageContent) || !hasChange(s.ChangesAfter, signing.ChangeLaterSignature) {
		t.Errorf("first signature: %+v", s)
	}
	if !rep.Signatures[1].CoversWholeDocument || rep.Signatures[1].Coverage != signing.CoverageWhole {
		t.Errorf("second signature: %+v", rep.Signatures[1])
	}
}

func TestVerifyTrust(t *testing.T) {
	p := testPKI(t)
	other := signingtest.NewPKI(t)
	tsaURL := signingtest.NewTSA(t)
	byOther, err := signing.Sign(context.Background(), fixture(t), signing.Options{Key: other.Person})
	if err != nil {
		t.Fatal(err)
	}
	bb, err := signing.Sign(context.Background(), fixture(t), signing.Options{Key: p.Person})
	if err != nil {
		t.Fatal(err)
	}
	bt, err := signing.Sign(context.Background(), fixture(t), signing.Options{Key: p.Person, TSA: &signing.TSA{URL: tsaURL}})
	if err != nil {
		t.Fatal(err)
	}
	later := func() time.Time { return time.Now().Add(3 * 365 * 24 * time.Hour) }
	cases := []struct {
		name    string
		in      []byte
		opts    signing.VerifyOptions
		trusted bool
	}{
		{"another PKI's certificate", byOther, signing.VerifyOptions{Roots: p.Roots}, false},
		{"another PKI's certificate with its roots", byOther, signing.VerifyOptions{Roots: other.Roots}, true},
		{"system roots only", bb, signing.VerifyOptions{}, false},
		{"B-B after the certificate expired", bb, signing.VerifyOptions{Roots: p.Roots, Now: later}, false},
		{"B-T after the certificate expired", bt, signing.VerifyOptions{Roots: p.Roots, Now: later}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, err := signing.Verify(c.in, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			s := rep.Signatures[0]
			if s.Trusted != c.trusted || rep.Valid != c.trusted || !s.Intact {
				t.Fatalf("trusted=%v valid=%v intact=%v, want trusted and valid %v: %s %v", s.Trusted, rep.Valid, s.Intact, c.trusted, rep.VerdictEN, s.Problems)
			}
		})
	}
}

func TestVerifyNoSignature(t *testing.T) {
	for name, in := range map[string][]byte{"fixture": fixture(t), "hand-written": minimalPDF("1.4", 0, "x"), "object streams": objStreamPDF("x")} {
		t.Run(name, func(t *testing.T) {
			rep := mustVerify(t, in)
			if rep.Valid || rep.SignatureFields != 0 || !strings.HasPrefix(rep.VerdictEN, "no signature") || rep.VerdictVI == "" {
				t.Fatalf("%+v", rep)
			}
		})
	}
}

func TestVerifyErrors(t *testing.T) {
	needTool(t, "qpdf")
	enc, err := exec.Command("qpdf", "--encrypt", "user", "owner", "256", "--", "../testdata/206-KH-SGDDT.pdf", "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		in   []byte
		want error
	}{
		{"encrypted", enc, signing.ErrEncrypted},
		{"not a PDF", []byte("%PDF-1.7\nnothing else"), signing.ErrBadPDF},
		{"empty", nil, signing.ErrBadPDF},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := signing.Verify(c.in, signing.VerifyOptions{}); !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %v", err, c.want)
			}
		})
	}
}

func TestReportJSON(t *testing.T) {
	_, signed := signTwice(t, fixture(t), &signing.TSA{URL: signingtest.NewTSA(t)})
	b, err := json.Marshal(mustVerify(t, signed))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	for _, k := range []string{"valid", "modified_after_last_signature", "appended", "signature_fields", "verdict_vi", "verdict_en", "signatures"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no %q in %s", k, b)
		}
	}
	sig := m["signatures"].([]any)[1].(map[string]any)
	for _, k := range []string{"intact", "trusted", "covers_whole_document", "coverage", "format", "signer", "organisation",
		"certificate_serial", "issuer", "signed_at", "timestamp", "revocation", "changes_after"} {
		if _, ok := sig[k]; !ok {
			t.Errorf("no %q in a signature: %v", k, sig)
		}
	}
	if ts := sig["timestamp"].(map[string]any); ts["certificate_valid"] != true {
		t.Errorf("timestamp %v", ts)
	}
}

// A document timestamp (ETSI.RFC3161) added by another tool after the
// signatures is a signature of its own: verified, trusted through the TSA
// root, and it covers the whole file.
func TestVerifyDocumentTimestamp(t *testing.T) {
	tsaURL := signingtest.NewTSA(t)
	_, signed := signTwice(t, fixture(t), nil)
	doc, err := pdfsign.Open(bytes.NewReader(signed), int64(len(signed)))
	if err != nil {
		t.Fatal(err)
	}
	doc.Timestamp(tsaURL)
	var out bytes.Buffer
	if _, err := doc.Write(&out); err != nil {
		t.Fatal(err)
	}
	rep := mustVerify(t, out.Bytes())
	if !rep.Valid || len(rep.Signatures) != 3 {
		t.Fatalf("%s: %+v", rep.VerdictEN, rep.Signatures)
	}
	dts := rep.Signatures[2]
	if dts.Format != "document timestamp (ETSI.RFC3161)" || !dts.Intact || !dts.Trusted || dts.Coverage != signing.CoverageWhole {
		t.Errorf("%+v", dts)
	}
	if rep.Signatures[1].Coverage != signing.CoverageUpToLater {
		t.Errorf("%+v", rep.Signatures[1])
	}
}

// Verify never panics and always answers, whatever the bytes.
func FuzzVerify(f *testing.F) {
	_, signed := signTwice(f, fixture(f), nil)
	f.Add(signed)
	f.Add(addNote(f, signed))
	f.Add(minimalPDF("1.4", 0, "x"))
	f.Add(objStreamPDF("x"))
	roots := testPKI(f).Roots
	f.Fuzz(func(t *testing.T, in []byte) {
		rep, err := signing.Verify(in, signing.VerifyOptions{Roots: roots})
		if err == nil && rep.Valid && !bytes.Equal(in, signed) && rep.SignatureFields == 0 {
			t.Fatal("valid without a signature")
		}
	})
}

// Constructs on which the PDF parser (digitorus/pdf v0.2.0) loops forever
// or takes the process down (out of memory, stack overflow) are refused
// before it sees them: both Sign and Verify fail fast with ErrBadPDF.
func TestParserHazards(t *testing.T) {
	one := func() []byte { return minimalPDF("1.7", 0, "x") }
	// the edits keep every object at its offset
	cases := map[string]struct {
		in  []byte
		msg string
	}{
		"array open at endobj":           {bytes.Replace(one(), []byte("/MediaBox [0 0 595 842]"), []byte("/MediaBox [0 0 595 842 "), 1), "array left open"},
		"hex string open in obj stream":  {objStreamPDFTail("<656e", "x"), "hexadecimal string left open"},
		"array open in obj stream":       {objStreamPDFTail("[1 2 endobj", "x"), "array left open"},
		"hex string open at end of file": {append(fixture(t), "\n99 0 obj\n<< /A 1 >> <41"...), "hexadecimal string left open"},
		"array open in the trailer":      {bytes.Replace(fixture(t), []byte("trailer\n<</Size 62"), []byte("trailer\n<</S[ endobj <62"), 1), "array left open"},
		"object stream inside itself":    {objStreamPDFWith(objStmOptions{inItself: true}, "x"), "inside an object stream"},
		"object stream extends itself":   {objStreamPDFWith(objStmOptions{extra: " /Extends 6 0 R"}, "x"), "cycle"},
		"object stream /N":               {objStreamPDFWith(objStmOptions{n: 2000000000}, "x"), "/N"},
		"predictor /Columns":             {objStreamPDFWith(objStmOptions{xrefExtra: " /DecodeParms << /Predictor 12 /Columns 100000000000 >>"}, "x"), "/Columns"},
		"cross-reference /W":             {objStreamPDFWith(objStmOptions{xrefExtra: " /W [1 4 2000000000000]"}, "x"), "/W"},
		"cross-reference /Size":          {bytes.Replace(objStreamPDF("x"), []byte("/Type /XRef /Size 8"), []byte("/Type /XRef /Size 2000000008"), 1), "/Size"},
		"cross-reference /Index":         {bytes.Replace(objStreamPDF("x"), []byte("/Type /XRef /Size 8 /W"), []byte("/Type /XRef /Size 8 /Index [900000000 8] /W"), 1), "/Index"},
		"cross-reference subsection":     {bytes.Replace(one(), []byte("xref\n0 "), []byte("xref\n900000000 "), 1), "subsection"},
		"page tree cycle":                {bytes.Replace(one(), []byte("/Kids [4 0 R]"), []byte("/Kids [2 0 R]"), 1), "page tree"},
		"page /Count":                    {bytes.Replace(one(), []byte("/Kids [4 0 R] /Count 1 >>"), []byte("/Kids[4 0 R]/Count 9999>>"), 1), "claims 9999 pages"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			done := make(chan error, 2)
			go func() {
				_, err := signing.Verify(c.in, signing.VerifyOptions{})
				done <- err
			}()
			go func() {
				_, err := signing.Sign(context.Background(), c.in, signing.Options{Key: testPKI(t).Person})
				done <- err
			}()
			for range 2 {
				select {
				case err := <-done:
					if !errors.Is(err, signing.ErrBadPDF) || !strings.Contains(err.Error(), c.msg) {
						t.Errorf("error %v, want ErrBadPDF about %q", err, c.msg)
					}
				case <-time.After(20 * time.Second):
					t.Fatal("the parser hangs")
				}
			}
		})
	}
}

// objectText returns the newest definition of object id.
func objectText(t testing.TB, in []byte, id int) string {
	t.Helper()
	defs := regexp.MustCompile(fmt.Sprintf(`(?s)(?:^|[^0-9])%d 0 obj(.*?)endobj`, id)).FindAllSubmatch(in, -1)
	if len(defs) == 0 {
		t.Fatalf("no object %d", id)
	}
	return strings.TrimSpace(string(defs[len(defs)-1][1]))
}

// addDSS appends what B-LT does: a document security store with the
// signer's certificates, and the catalog pointing to it.
func addDSS(t testing.TB, in []byte, extra map[int]string) []byte {
	t.Helper()
	root, _ := strconv.Atoi(strings.Fields(lastMatch(t, trailerRoot, in))[0])
	catalog := objectText(t, in, root)
	n := nextObject(t, in)
	cert := testPKI(t).Intermediate.Raw
	objs := map[int]string{
		n:     fmt.Sprintf("<< /Type /DSS /Certs [%d 0 R] >>", n+1),
		n + 1: fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(cert)+1, cert),
		root:  strings.TrimSuffix(catalog, ">>") + fmt.Sprintf(" /DSS %d 0 R >>", n),
	}
	for id, o := range extra {
		objs[id] = o
	}
	return appendUpdate(t, in, objs, nil)
}

func TestVerifyValidationData(t *testing.T) {
	_, signed := signTwice(t, fixture(t), &signing.TSA{URL: signingtest.NewTSA(t)})
	withDSS := addDSS(t, signed, nil)
	rep := mustVerify(t, withDSS)
	if !rep.Valid || rep.ModifiedAfterLastSignature || !hasChange(rep.Appended, signing.ChangeValidationData) || len(rep.Appended) != 1 {
		t.Fatalf("%s: %+v", rep.VerdictEN, rep.Appended)
	}
	if c := rep.Signatures[1].Coverage; c != signing.CoverageUpToDSS {
		t.Errorf("coverage %q", c)
	}

	// validation data does not hide a change made with it
	id, page := firstPage(t, signed)
	tampered := addDSS(t, signed, map[int]string{id: strings.Replace(page, "/MediaBox", "/Rotate 180 /MediaBox", 1)})
	rep = mustVerify(t, tampered)
	if rep.Valid || !rep.ModifiedAfterLastSignature || !hasChange(rep.Appended, signing.ChangePageContent) {
		t.Fatalf("%s: %+v", rep.VerdictEN, rep.Appended)
	}
}
