package edxml

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/hcm-edu/vanban/signing/signingtest"
)

const subjectVI = "Kế hoạch tổ chức Hội khỏe Phù Đổng cấp thành phố năm học 2025–2026 (Trường Tiểu học Ĩnh)"

func testPDF(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/206-KH-SGDDT.pdf")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func vnDate(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, vietnam) }

func samplePackage(t testing.TB) Package {
	return Package{
		Header: MessageHeader{
			From: Organisation{
				OrganID:              "000.00.12.H29",
				OrganName:            "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh",
				OrganizationInCharge: "Ủy ban nhân dân Thành phố Hồ Chí Minh",
				OrganAdd:             "66-68 Lê Thánh Tôn, phường Bến Nghé, Quận 1",
				Email:                "sgddt@tphcm.gov.vn",
				Telephone:            "028 3829 1875",
			},
			To: []Organisation{
				{OrganID: "000.01.12.H29", OrganName: "Phòng Giáo dục và Đào tạo Quận 1"},
				{OrganID: "000.04.12.H29", OrganName: "Trường Tiểu học Ĩnh, Quận Bình Thạnh"},
			},
			Code:             Code{Number: "206", Notation: "KH-SGDĐT"},
			PromulgationInfo: PromulgationInfo{Place: "Thành phố Hồ Chí Minh", Date: vnDate(2026, 3, 5)},
			DocumentType:     DocumentType{Type: 5, TypeName: "Kế hoạch"},
			Subject:          subjectVI,
			Content:          "Đề nghị các đơn vị triển khai; hạn báo cáo trước ngày 20/3.\r\nTrân trọng & cảm ơn <quý đơn vị>.",
			SignerInfo:       SignerInfo{Competence: "KT. GIÁM ĐỐC", Position: "PHÓ GIÁM ĐỐC", FullName: "Nguyễn Văn Lĩnh"},
			DueDate:          vnDate(2026, 3, 20),
			Priority:         PriorityUrgent,
			ResponseFor: []ResponseFor{{
				OrganID: "000.00.00.H29", Code: "1234/UBND-VX", PromulgationDate: vnDate(2026, 2, 27), DocumentID: "000.00.00.H29,2026/02/27,1234/UBND-VX",
			}},
			SteeringType: SteeringDirective,
			DocumentID:   "000.00.12.H29,2026/03/05,206/KH-SGDĐT",
		},
		Trace: TraceHeaderList{
			Business: Business{Type: BusinessNew, Staff: StaffInfo{Staff: "Trần Thị Ánh", Department: "Văn phòng Sở", Email: "anh.tt@tphcm.gov.vn", Mobile: "0903000000"}},
			Traces:   []TraceHeader{{OrganID: "000.00.12.H29", Timestamp: time.Date(2026, 3, 5, 9, 30, 15, 0, vietnam)}},
		},
		Attachments: []Attachment{
			{ContentID: "a1b2c3d4-0001", ContentType: "application/pdf", FileName: "206-KH-SGDĐT.pdf", Description: "Văn bản đã ký số", Data: testPDF(t)},
			{ContentID: "a1b2c3d4-0002", ContentType: "text/plain", FileName: "phụ lục.txt", Data: []byte("Phụ lục: danh sách trường\n")},
		},
	}
}

func sampleStatus() Status {
	return Status{
		From:        Organisation{OrganID: "000.04.12.H29", OrganName: "Trường Tiểu học Ĩnh, Quận Bình Thạnh"},
		To:          Organisation{OrganID: "000.00.12.H29", OrganName: "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh"},
		ResponseFor: ResponseFor{OrganID: "000.00.12.H29", Code: "206/KH-SGDĐT", PromulgationDate: vnDate(2026, 3, 5), DocumentID: "000.00.12.H29,2026/03/05,206/KH-SGDĐT"},
		StatusCode:  StatusAccepted,
		Description: "Đã tiếp nhận, vào sổ văn bản đến số 57",
		Timestamp:   time.Date(2026, 3, 5, 14, 2, 0, 0, vietnam),
		Staff:       StaffInfo{Staff: "Lê Thị Ĩnh", Department: "Văn thư", Email: "vanthu@th-inh.edu.vn", Mobile: "0909000111"},
	}
}

func key(p *signingtest.PKI) Signer { return Signer(p.Org) }

func TestPackageRoundTrip(t *testing.T) {
	pki := signingtest.NewPKI(t)
	in := samplePackage(t)
	out, err := Build(in, key(pki))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">`,
		`<edXML:edXMLEnvelope xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">`,
		`<edXML:OrganId>000.00.12.H29</edXML:OrganId>`,
		`<edXML:Subject>` + subjectVI + `</edXML:Subject>`,
		`<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">`,
		`<Reference URI="">`,
		dsig.RSASHA256SignatureMethod,
		string(dsig.CanonicalXML10ExclusiveAlgorithmId),
		`<edXML:PromulgationDate>2026/03/05</edXML:PromulgationDate>`,
		`<edXML:Timestamp>2026/03/05 09:30:15</edXML:Timestamp>`,
		`xlink:href="cid:a1b2c3d4-0001"`,
		`<AttachmentEncoded>`,
	} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("output lacks %s", want)
		}
	}

	got, err := Parse(out, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	eqPackage(t, got, &in)
	if len(got.Chain) != 2 || !got.Chain[0].Equal(pki.Org.Chain[0]) {
		t.Fatalf("chain: got %d certificates", len(got.Chain))
	}
	if err := got.VerifyChain(pki.Roots, time.Now()); err != nil {
		t.Fatalf("VerifyChain: %v", err)
	}
	if err := got.VerifyChain(x509.NewCertPool(), time.Now()); !errors.Is(err, ErrUntrustedSigner) {
		t.Fatalf("VerifyChain with no roots: %v", err)
	}
	if err := got.VerifyChain(pki.Roots, time.Now().AddDate(3, 0, 0)); !errors.Is(err, ErrUntrustedSigner) {
		t.Fatalf("VerifyChain after expiry: %v", err)
	}
}

func eqPackage(t *testing.T, got, want *Package) {
	t.Helper()
	g, w := got.Header, want.Header
	if g.From != w.From {
		t.Errorf("From: got %+v, want %+v", g.From, w.From)
	}
	if len(g.To) != len(w.To) {
		t.Fatalf("To: got %d", len(g.To))
	}
	for i := range w.To {
		if g.To[i] != w.To[i] {
			t.Errorf("To[%d]: got %+v", i, g.To[i])
		}
	}
	if g.Code != w.Code || g.PromulgationInfo.Place != w.PromulgationInfo.Place || !g.PromulgationInfo.Date.Equal(w.PromulgationInfo.Date) {
		t.Errorf("code or promulgation: got %+v %+v", g.Code, g.PromulgationInfo)
	}
	if g.DocumentType != w.DocumentType || g.SignerInfo != w.SignerInfo {
		t.Errorf("type or signer: got %+v %+v", g.DocumentType, g.SignerInfo)
	}
	if g.Subject != w.Subject {
		t.Errorf("Subject: got %q", g.Subject)
	}
	if g.Content != w.Content {
		t.Errorf("Content: got %q, want %q", g.Content, w.Content)
	}
	if !g.DueDate.Equal(w.DueDate) || g.Priority != w.Priority || g.SteeringType != w.SteeringType || g.DocumentID != w.DocumentID {
		t.Errorf("due/priority/steering/id: got %v %d %d %q", g.DueDate, g.Priority, g.SteeringType, g.DocumentID)
	}
	if len(g.ResponseFor) != len(w.ResponseFor) {
		t.Fatalf("ResponseFor: got %d", len(g.ResponseFor))
	}
	for i := range w.ResponseFor {
		gr, wr := g.ResponseFor[i], w.ResponseFor[i]
		if gr.OrganID != wr.OrganID || gr.Code != wr.Code || gr.DocumentID != wr.DocumentID || !gr.PromulgationDate.Equal(wr.PromulgationDate) {
			t.Errorf("ResponseFor[%d]: got %+v", i, gr)
		}
	}
	gt, wt := got.Trace, want.Trace
	if gt.Business != wt.Business || len(gt.Traces) != len(wt.Traces) {
		t.Fatalf("Trace: got %+v", gt)
	}
	for i := range wt.Traces {
		if gt.Traces[i].OrganID != wt.Traces[i].OrganID || !gt.Traces[i].Timestamp.Equal(wt.Traces[i].Timestamp) {
			t.Errorf("Traces[%d]: got %+v", i, gt.Traces[i])
		}
	}
	if len(got.Attachments) != len(want.Attachments) {
		t.Fatalf("Attachments: got %d", len(got.Attachments))
	}
	for i, wa := range want.Attachments {
		ga := got.Attachments[i]
		if ga.ContentID != wa.ContentID || ga.ContentType != wa.ContentType || ga.FileName != wa.FileName || ga.Description != wa.Description || !bytes.Equal(ga.Data, wa.Data) {
			t.Errorf("Attachments[%d]: got %q %q %q %q, %d bytes", i, ga.ContentID, ga.ContentType, ga.FileName, ga.Description, len(ga.Data))
		}
	}
}

func TestStatusRoundTrip(t *testing.T) {
	pki := signingtest.NewPKI(t)
	for _, code := range []string{"01", "02", "03", "04", "05", "06", "13", "15", "16"} {
		in := sampleStatus()
		in.StatusCode = code
		out, err := BuildStatus(in, key(pki))
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseStatus(out, ParseOptions{})
		if err != nil {
			t.Fatalf("%s: %v", code, err)
		}
		if got.From != in.From || got.To != in.To || got.StatusCode != code || got.Description != in.Description || got.Staff != in.Staff || !got.Timestamp.Equal(in.Timestamp) {
			t.Errorf("%s: got %+v", code, got)
		}
		if r := got.ResponseFor; r.OrganID != in.ResponseFor.OrganID || r.Code != in.ResponseFor.Code || r.DocumentID != in.ResponseFor.DocumentID || !r.PromulgationDate.Equal(in.ResponseFor.PromulgationDate) {
			t.Errorf("%s: ResponseFor %+v", code, r)
		}
		if err := got.VerifyChain(pki.Roots, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	// A status is not a package, nor the reverse.
	st, _ := BuildStatus(sampleStatus(), key(pki))
	var fe *FormatError
	if _, err := Parse(st, ParseOptions{}); !errors.As(err, &fe) {
		t.Errorf("Parse(status): %v", err)
	}
}

func TestStatusRejectsUnknownCode(t *testing.T) {
	pki := signingtest.NewPKI(t)
	var fe *FormatError
	for _, code := range []string{"", "07", "1", "99", "3 "} {
		s := sampleStatus()
		s.StatusCode = code
		if _, err := BuildStatus(s, key(pki)); !errors.As(err, &fe) || fe.Field != "Status/StatusCode" {
			t.Errorf("BuildStatus(%q): %v", code, err)
		}
	}
	ok, err := BuildStatus(sampleStatus(), key(pki))
	if err != nil {
		t.Fatal(err)
	}
	bad := resign(t, ok, key(pki), func(s string) string {
		return strings.Replace(s, "<edXML:StatusCode>03<", "<edXML:StatusCode>07<", 1)
	})
	if _, err := ParseStatus(bad, ParseOptions{}); !errors.As(err, &fe) || fe.Field != "Status/StatusCode" {
		t.Errorf("ParseStatus(07): %v", err)
	}
}

// resign removes the signature from data, applies edit to the XML and signs
// the result again, for messages Build would refuse to make.
func resign(t testing.TB, data []byte, k Signer, edit func(string) string) []byte {
	t.Helper()
	unsigned := stripSignature(t, data)
	doc := etree.NewDocument()
	if err := doc.ReadFromString(edit(string(unsigned))); err != nil {
		t.Fatal(err)
	}
	header := doc.FindElement("/edXML/edXMLEnvelope/edXMLHeader")
	if err := sign(doc.Root(), header, k); err != nil {
		t.Fatal(err)
	}
	doc.WriteSettings = etree.WriteSettings{CanonicalText: true, CanonicalAttrVal: true, CanonicalEndTags: true}
	out, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var signatureRE = regexp.MustCompile(`(?s)<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">.*</Signature>`)

func stripSignature(t testing.TB, data []byte) []byte {
	t.Helper()
	out := signatureRE.ReplaceAll(data, nil)
	if bytes.Equal(out, data) {
		t.Fatal("no signature to strip")
	}
	return out
}

func TestTamper(t *testing.T) {
	pki := signingtest.NewPKI(t)
	good, err := Build(samplePackage(t), key(pki))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(good, ParseOptions{}); err != nil {
		t.Fatal(err)
	}
	otherCert := base64.StdEncoding.EncodeToString(pki.Person.Chain[0].Raw)
	orgCert := base64.StdEncoding.EncodeToString(pki.Org.Chain[0].Raw)

	cases := []struct {
		name string
		edit func([]byte) []byte
		want error
	}{
		{"subject", func(b []byte) []byte {
			return bytes.Replace(b, []byte("Hội khỏe Phù Đổng"), []byte("Hội khoẻ Phù Đổng"), 1)
		}, ErrBadSignature},
		{"recipient", func(b []byte) []byte {
			return bytes.Replace(b, []byte("000.01.12.H29"), []byte("000.02.12.H29"), 1)
		}, ErrBadSignature},
		{"attachment byte", func(b []byte) []byte {
			i := bytes.Index(b, []byte("<ContentTransferEncoded>")) + len("<ContentTransferEncoded>") + 5000
			c := bytes.Clone(b)
			if c[i] == 'A' {
				c[i] = 'B'
			} else {
				c[i] = 'A'
			}
			return c
		}, ErrBadSignature},
		{"attachment name", func(b []byte) []byte {
			return bytes.Replace(b, []byte("<AttachmentName>phụ lục.txt<"), []byte("<AttachmentName>phu luc.txt<"), 1)
		}, ErrBadSignature},
		{"swapped certificate", func(b []byte) []byte {
			return bytes.Replace(b, []byte(orgCert), []byte(otherCert), 1)
		}, ErrBadSignature},
		{"signature value", func(b []byte) []byte {
			re := regexp.MustCompile(`<SignatureValue>([A-Za-z0-9+/])`)
			return re.ReplaceAllFunc(b, func(m []byte) []byte {
				m = bytes.Clone(m)
				if m[len(m)-1] == 'A' {
					m[len(m)-1] = 'B'
				} else {
					m[len(m)-1] = 'A'
				}
				return m
			})
		}, ErrBadSignature},
		{"attachment appended", func(b []byte) []byte {
			extra := "<Attachment><ContentType>application/pdf</ContentType><ContentId>x</ContentId><ContentTransferEncoded>JVBERi0xLjQK</ContentTransferEncoded><AttachmentName>x.pdf</AttachmentName></Attachment></AttachmentEncoded>"
			return bytes.Replace(b, []byte("</AttachmentEncoded>"), []byte(extra), 1)
		}, ErrBadSignature},
		{"unsigned", func(b []byte) []byte { return stripSignature(t, b) }, ErrNoSignature},
		{"second signature", func(b []byte) []byte {
			sig := signatureRE.Find(b)
			return bytes.Replace(b, []byte("</edXML:TraceHeaderList>"), append([]byte("</edXML:TraceHeaderList>"), sig...), 1)
		}, ErrBadSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bad := c.edit(good)
			if bytes.Equal(bad, good) {
				t.Fatal("edit changed nothing")
			}
			_, err := Parse(bad, ParseOptions{})
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}

	// Whitespace between attributes and an extra XML comment are not content.
	t.Run("comment", func(t *testing.T) {
		c := bytes.Replace(good, []byte("<edXML:Subject>"), []byte("<!-- x --><edXML:Subject>"), 1)
		if _, err := Parse(c, ParseOptions{}); err != nil {
			t.Fatal(err)
		}
		// A comment inside the subject is dropped, not a way to truncate it.
		c = bytes.Replace(good, []byte("Hội khỏe"), []byte("Hội<!-- x --> khỏe"), 1)
		got, err := Parse(c, ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Header.Subject != subjectVI {
			t.Fatalf("subject read as %q", got.Header.Subject)
		}
	})

	t.Run("status", func(t *testing.T) {
		st, err := BuildStatus(sampleStatus(), key(pki))
		if err != nil {
			t.Fatal(err)
		}
		bad := bytes.Replace(st, []byte(">03<"), []byte(">06<"), 1)
		if _, err := ParseStatus(bad, ParseOptions{}); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("got %v", err)
		}
		if _, err := ParseStatus(stripSignature(t, st), ParseOptions{}); !errors.Is(err, ErrNoSignature) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestSHA1Refused(t *testing.T) {
	pki := signingtest.NewPKI(t)
	good, err := Build(samplePackage(t), key(pki))
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(stripSignature(t, good)); err != nil {
		t.Fatal(err)
	}
	ctx, err := dsig.NewSigningContext(pki.Org.Signer, [][]byte{pki.Org.Chain[0].Raw})
	if err != nil {
		t.Fatal(err)
	}
	ctx.Hash = crypto.SHA1
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	sig, err := ctx.ConstructSignature(doc.Root().Copy(), true)
	if err != nil {
		t.Fatal(err)
	}
	doc.FindElement("/edXML/edXMLEnvelope/edXMLHeader").AddChild(sig)
	out, _ := doc.WriteToBytes()
	if _, err := Parse(out, ParseOptions{}); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("got %v", err)
	}
}

func TestBuildRejectsKeys(t *testing.T) {
	pki := signingtest.NewPKI(t)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for name, k := range map[string]Signer{
		"no key":      {Chain: pki.Org.Chain},
		"no chain":    {Signer: pki.Org.Signer},
		"mismatch":    {Signer: pki.Person.Signer, Chain: pki.Org.Chain},
		"not RSA":     {Signer: ec, Chain: pki.Org.Chain},
		"nil in path": {Signer: pki.Org.Signer, Chain: []*x509.Certificate{pki.Org.Chain[0], nil}},
	} {
		if _, err := Build(samplePackage(t), k); !errors.Is(err, ErrBadKey) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestBuildRejects(t *testing.T) {
	pki := signingtest.NewPKI(t)
	cases := []struct {
		name  string
		edit  func(*Package)
		field string
	}{
		{"no sender id", func(p *Package) { p.Header.From.OrganID = "" }, "MessageHeader/From/OrganId"},
		{"bad sender id", func(p *Package) { p.Header.From.OrganID = "H29" }, "MessageHeader/From/OrganId"},
		{"lower-case id", func(p *Package) { p.Header.From.OrganID = "000.00.12.h29" }, "MessageHeader/From/OrganId"},
		{"id too long", func(p *Package) { p.Header.From.OrganID = strings.Repeat("000.", 9) + "H29" }, "MessageHeader/From/OrganId"},
		{"no sender name", func(p *Package) { p.Header.From.OrganName = "" }, "MessageHeader/From/OrganName"},
		{"no recipient", func(p *Package) { p.Header.To = nil }, "MessageHeader/To"},
		{"bad recipient", func(p *Package) { p.Header.To[1].OrganID = "000.04.12" }, "MessageHeader/To[2]/OrganId"},
		{"duplicate recipient", func(p *Package) { p.Header.To[1].OrganID = p.Header.To[0].OrganID }, "MessageHeader/To[2]/OrganId"},
		{"no notation", func(p *Package) { p.Header.Code.Notation = "" }, "MessageHeader/Code/CodeNotation"},
		{"no date", func(p *Package) { p.Header.PromulgationInfo.Date = time.Time{} }, "MessageHeader/PromulgationInfo/PromulgationDate"},
		{"no subject", func(p *Package) { p.Header.Subject = "" }, "MessageHeader/Subject"},
		{"no signer", func(p *Package) { p.Header.SignerInfo.FullName = "" }, "MessageHeader/SignerInfo/FullName"},
		{"priority 5", func(p *Package) { p.Header.Priority = 5 }, "MessageHeader/OtherInfo/Priority"},
		{"priority -1", func(p *Package) { p.Header.Priority = -1 }, "MessageHeader/OtherInfo/Priority"},
		{"steering 4", func(p *Package) { p.Header.SteeringType = 4 }, "MessageHeader/SteeringType"},
		{"business 4", func(p *Package) { p.Trace.Business.Type = 4 }, "TraceHeaderList/Bussiness/BussinessDocType"},
		{"bad trace id", func(p *Package) { p.Trace.Traces[0].OrganID = "x" }, "TraceHeaderList/TraceHeader[1]/OrganId"},
		{"bad response id", func(p *Package) { p.Header.ResponseFor[0].OrganID = "" }, "MessageHeader/ResponseFor[1]/OrganId"},
		{"no document id", func(p *Package) { p.Header.DocumentID = "" }, "MessageHeader/DocumentId"},
		{"no attachment", func(p *Package) { p.Attachments = nil }, "AttachmentEncoded"},
		{"empty attachment", func(p *Package) { p.Attachments[1].Data = nil }, "AttachmentEncoded/Attachment[2]/ContentTransferEncoded"},
		{"no PDF", func(p *Package) { p.Attachments = p.Attachments[1:] }, "AttachmentEncoded"},
		{"duplicate content id", func(p *Package) { p.Attachments[1].ContentID = p.Attachments[0].ContentID }, "AttachmentEncoded/Attachment[2]/ContentId"},
		{"no file name", func(p *Package) { p.Attachments[0].FileName = "" }, "AttachmentEncoded/Attachment[1]/AttachmentName"},
		{"control character", func(p *Package) { p.Header.Subject = "Kế hoạch\x00" }, "MessageHeader/Subject"},
		{"invalid UTF-8", func(p *Package) { p.Header.SignerInfo.Position = "PH\xffÓ" }, "MessageHeader/SignerInfo/Position"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := samplePackage(t)
			c.edit(&p)
			_, err := Build(p, key(pki))
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want a FormatError", err)
			}
			if fe.Field != c.field {
				t.Errorf("field %q, want %q (%s)", fe.Field, c.field, fe.Message)
			}
			if fe.Message == "" || !strings.Contains(fe.Error(), c.field) {
				t.Errorf("message: %q", fe.Error())
			}
		})
	}
	p := samplePackage(t)
	p.Header.From.OrganID = ""
	_, err := Build(p, key(pki))
	if want := "thiếu mã định danh cơ quan gửi (MessageHeader/From/OrganId)"; err == nil || err.(*FormatError).Message != want {
		t.Errorf("message %v, want %q", err, want)
	}
}

// TestParseMalformed covers what only a foreign sender could produce:
// well-signed messages that break the rules, and input that is not edXML.
func TestParseMalformed(t *testing.T) {
	pki := signingtest.NewPKI(t)
	good, err := Build(samplePackage(t), key(pki))
	if err != nil {
		t.Fatal(err)
	}
	re := func(edit func(string) string) []byte {
		return resign(t, good, key(pki), func(s string) string {
			out := edit(s)
			if out == s {
				t.Fatal("edit changed nothing")
			}
			return out
		})
	}
	replace := func(old, new string) []byte {
		return re(func(s string) string {
			if !strings.Contains(s, old) {
				t.Fatalf("%q not in the package", old)
			}
			return strings.Replace(s, old, new, 1)
		})
	}
	cases := []struct {
		name  string
		data  []byte
		field string // FormatError field; "-" for a sentinel error
		want  error
	}{
		{"not XML", []byte("%PDF-1.7 not xml"), "", nil},
		{"truncated", good[:len(good)/2], "", nil},
		{"empty", nil, "", nil},
		{"doctype", []byte(`<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY x "y">]><edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">&x;</edXML>`), "DOCTYPE", nil},
		{"doctype without entities", bytes.Replace(good, []byte("<edXML xmlns"), []byte("<!DOCTYPE edXML><edXML xmlns"), 1), "DOCTYPE", nil},
		{"latin-1", []byte(`<?xml version="1.0" encoding="ISO-8859-1"?><edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"/>`), "", nil},
		{"wrong root", []byte(`<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"/>`), "edXML", nil},
		{"wrong namespace", []byte(`<edXML xmlns="http://www.e-doc.vn/Schema/"/>`), "edXML", nil},
		{"too deep", []byte(strings.Repeat("<a>", 200) + strings.Repeat("</a>", 200)), "", nil},
		{"bad sender id", replace("<edXML:OrganId>000.00.12.H29</edXML:OrganId>", "<edXML:OrganId>SGD-HCM</edXML:OrganId>"), "MessageHeader/From/OrganId", nil},
		{"no sender id", replace("<edXML:OrganId>000.00.12.H29</edXML:OrganId>", ""), "MessageHeader/From/OrganId", nil},
		{"no recipient", re(func(s string) string {
			return regexp.MustCompile(`(?s)<edXML:To>.*?</edXML:To>`).ReplaceAllString(s, "")
		}), "MessageHeader/To", nil},
		{"bad date", replace("2026/03/05</edXML:PromulgationDate>", "05-03-2026</edXML:PromulgationDate>"), "MessageHeader/PromulgationInfo/PromulgationDate", nil},
		{"bad due date", replace("2026/03/20", "ngày 20"), "MessageHeader/DueDate", nil},
		{"bad timestamp", replace("2026/03/05 09:30:15", "2026/13/05 09:30:15"), "TraceHeaderList/TraceHeader/Timestamp", nil},
		{"priority 9", replace("<edXML:Priority>1<", "<edXML:Priority>9<"), "MessageHeader/OtherInfo/Priority", nil},
		{"priority text", replace("<edXML:Priority>1<", "<edXML:Priority>khẩn<"), "MessageHeader/OtherInfo/Priority", nil},
		{"steering 7", replace("<edXML:SteeringType>2<", "<edXML:SteeringType>7<"), "MessageHeader/SteeringType", nil},
		{"business 5", replace("<edXML:BussinessDocType>0<", "<edXML:BussinessDocType>5<"), "TraceHeaderList/Bussiness/BussinessDocType", nil},
		{"bad base64", replace("<ContentTransferEncoded>JVBER", "<ContentTransferEncoded>*VBER"), "AttachmentEncoded/Attachment[1]/ContentTransferEncoded", nil},
		{"empty attachment", re(func(s string) string {
			return regexp.MustCompile(`(?s)(<ContentType>text/plain</ContentType>.*?<ContentTransferEncoded>)[^<]*<`).ReplaceAllString(s, "$1<")
		}), "AttachmentEncoded/Attachment[2]/ContentTransferEncoded", nil},
		{"no PDF", re(func(s string) string {
			return regexp.MustCompile(`<ContentTransferEncoded>JVBER[^<]*<`).ReplaceAllString(s, "<ContentTransferEncoded>UEsDBA==<")
		}), "AttachmentEncoded", nil},
		{"no attachments", re(func(s string) string {
			return regexp.MustCompile(`(?s)<AttachmentEncoded>.*</AttachmentEncoded>`).ReplaceAllString(s, "")
		}), "AttachmentEncoded", nil},
		{"manifest lists a missing file", re(func(s string) string {
			return regexp.MustCompile(`(?s)<Attachment>\s*<ContentType>text/plain.*?</Attachment>`).ReplaceAllString(s, "")
		}), "edXMLManifest/Reference", nil},
		{"no message header", re(func(s string) string {
			return regexp.MustCompile(`(?s)<edXML:MessageHeader>.*</edXML:MessageHeader>`).ReplaceAllString(s, "")
		}), "MessageHeader", nil},
		{"too large", good, "-", ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := ParseOptions{}
			if c.want == ErrTooLarge {
				opts.MaxBytes = int64(len(good) - 1)
			}
			_, err := Parse(c.data, opts)
			if c.want != nil {
				if !errors.Is(err, c.want) {
					t.Fatalf("got %v, want %v", err, c.want)
				}
				return
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want a FormatError", err)
			}
			if fe.Field != c.field {
				t.Errorf("field %q, want %q (%s)", fe.Field, c.field, fe.Message)
			}
			if fe.Message == "" {
				t.Error("no message")
			}
		})
	}
}

// TestParseLenient reads what other implementations write: a prefixed root,
// SteeringType 0, "cid:" content ids, other date forms and wrapped base64.
func TestParseLenient(t *testing.T) {
	pki := signingtest.NewPKI(t)
	good, err := Build(samplePackage(t), key(pki))
	if err != nil {
		t.Fatal(err)
	}
	data := resign(t, good, key(pki), func(s string) string {
		s = strings.Replace(s, `<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">`, `<edXML:edXML xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">`, 1)
		s = strings.Replace(s, `</edXML>`, `</edXML:edXML>`, 1)
		s = strings.Replace(s, "<edXML:SteeringType>2<", "<edXML:SteeringType>0<", 1)
		s = strings.Replace(s, "<ContentId>a1b2c3d4-0001<", "<ContentId>cid:a1b2c3d4-0001<", 1)
		s = strings.Replace(s, "2026/03/20", "20/03/2026", 1)
		s = regexp.MustCompile(`<ContentTransferEncoded>JVBER[^<]*<`).ReplaceAllStringFunc(s, func(m string) string {
			var b strings.Builder
			for i, r := range m {
				b.WriteRune(r)
				if i > 30 && i%76 == 0 {
					b.WriteString("\r\n")
				}
			}
			return b.String()
		})
		return s
	})
	got, err := Parse(data, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Header.SteeringType != SteeringNone || got.Attachments[0].ContentID != "a1b2c3d4-0001" ||
		!got.Header.DueDate.Equal(vnDate(2026, 3, 20)) || !bytes.Equal(got.Attachments[0].Data, testPDF(t)) {
		t.Fatalf("got %+v", got.Header)
	}
}
