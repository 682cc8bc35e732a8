package doctemplate

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

var testUnit = Unit{ParentName: "UBND THÀNH PHỐ HỒ CHÍ MINH", Name: "SỞ GIÁO DỤC VÀ ĐÀO TẠO", Abbr: "SGDĐT", Place: "Thành phố Hồ Chí Minh"}

var deputy = Signer{Capacity: "KT.", OnBehalfOf: "GIÁM ĐỐC", Title: "PHÓ GIÁM ĐỐC", Name: "Nguyễn Văn A"}

// parts opens a .docx and returns its parts by name, each checked to be
// well-formed XML.
func openParts(t *testing.T, b []byte) map[string]string {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	out := map[string]string{}
	for _, f := range z.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		d := xml.NewDecoder(bytes.NewReader(data))
		for {
			if _, err := d.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s is not well-formed: %v\n%s", f.Name, err, data)
			}
		}
		out[f.Name] = string(data)
	}
	return out
}

// texts is the text of document.xml's paragraphs, one string each.
func texts(t *testing.T, documentXML string) []string {
	t.Helper()
	var out []string
	var cur strings.Builder
	d := xml.NewDecoder(strings.NewReader(documentXML))
	inT := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			inT = e.Name.Local == "t"
		case xml.EndElement:
			inT = false
			if e.Name.Local == "p" {
				out = append(out, cur.String())
				cur.Reset()
			}
		case xml.CharData:
			if inT {
				cur.Write(e)
			}
		}
	}
	return out
}

func TestTypes(t *testing.T) {
	for _, code := range []string{"CV", "KH", "QĐ", "TB", "TTr", "BC", "GM", "BB"} {
		if !slices.Contains(Types(), code) {
			t.Errorf("no template for %s", code)
		}
	}
	if _, err := DOCX(testUnit, Form{DocType: "NQ"}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("NQ: %v", err)
	}
	if _, err := DOCX(testUnit, Form{DocType: ""}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("no type: %v", err)
	}
	// A code decomposed by the browser is the same code.
	if _, err := DOCX(testUnit, Form{DocType: "Q\u0110"}); err != nil {
		t.Errorf("QĐ: %v", err)
	}
	if Model("KH") != "Mẫu 1.4" || Model("CV") != "Mẫu 1.5" || Model("XX") != "" {
		t.Errorf("models %q %q", Model("KH"), Model("CV"))
	}
}

// Every type gives a package Word opens: the parts it needs, well-formed,
// A4 with Decree 30's margins, Times New Roman, the header of ô 1–4 with
// the number and the date left blank, ô 5, the body, Nơi nhận and the
// signer block.
func TestEveryTypeIsADocument(t *testing.T) {
	for _, code := range Types() {
		t.Run(code, func(t *testing.T) {
			b, err := DOCX(testUnit, Form{DocType: code, Title: "Cải cách hành chính năm 2021", Signer: deputy, Recipients: []string{"Như trên"}})
			if err != nil {
				t.Fatal(err)
			}
			p := openParts(t, b)
			for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "word/document.xml", "word/styles.xml", "word/_rels/document.xml.rels", "docProps/core.xml"} {
				if _, ok := p[name]; !ok {
					t.Errorf("no %s", name)
				}
			}
			for name := range p {
				if name != "[Content_Types].xml" && !strings.HasSuffix(name, ".rels") && !strings.Contains(p["[Content_Types].xml"], `"/`+name+`"`) {
					t.Errorf("%s has no content type", name)
				}
			}
			doc := p["word/document.xml"]
			for _, want := range []string{
				`<w:pgSz w:w="11906" w:h="16838"/>`,                                 // A4
				`<w:pgMar w:top="1134" w:right="851" w:bottom="1134" w:left="1701"`, // 20, 15, 20, 30 mm
			} {
				if !strings.Contains(doc, want) {
					t.Errorf("no %s", want)
				}
			}
			if !strings.Contains(p["word/styles.xml"], `w:ascii="Times New Roman" w:hAnsi="Times New Roman"`) {
				t.Error("the default font is not Times New Roman")
			}
			ps := texts(t, doc)
			symbol := code + "-SGDĐT"
			if code == "CV" {
				symbol = "SGDĐT-VP"
			}
			for _, want := range []string{
				"UBND THÀNH PHỐ HỒ CHÍ MINH", "SỞ GIÁO DỤC VÀ ĐÀO TẠO",
				"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
				"Số:" + numberGap + "/" + symbol,
				"Thành phố Hồ Chí Minh, ngày" + dayGap + "tháng" + dayGap + "năm" + dayGap,
				"Nơi nhận:", "KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Nguyễn Văn A",
			} {
				if !slices.Contains(ps, want) {
					t.Errorf("no paragraph %q in %q", want, ps)
				}
			}
			if code == "CV" {
				if !slices.Contains(ps, "V/v Cải cách hành chính năm 2021") {
					t.Errorf("no V/v in %q", ps)
				}
			} else {
				k, _ := lookup(code)
				i := slices.Index(ps, strings.ToUpper(k.name))
				if i < 0 || ps[i+1] != "Cải cách hành chính năm 2021" {
					t.Errorf("no type name and trích yếu in %q", ps)
				}
			}
			if i := slices.Index(ps, "Nơi nhận:"); i < 0 || ps[i+1] != "- Như trên;" || !slices.Contains(ps[i:], "- Lưu: VT, VP.") && !slices.Contains(ps[i:], "- Lưu: VT, Hồ sơ.") {
				t.Errorf("recipients: %q", ps)
			}
		})
	}
}

// A "Lưu:" line the drafter types replaces the template's own, once and
// last, instead of doubling it; so does a typed "Như trên".
func TestTypedStorageLine(t *testing.T) {
	b, err := DOCX(testUnit, Form{DocType: "KH", Title: "Cải cách hành chính", Signer: deputy, Recipients: []string{"Lưu: VT, VP, Phòng GDTrH.", "UBND các quận"}})
	if err != nil {
		t.Fatal(err)
	}
	ps := texts(t, openParts(t, b)["word/document.xml"])
	i := slices.Index(ps, "Nơi nhận:")
	if i < 0 || ps[i+1] != "- UBND các quận;" || ps[i+2] != "- Lưu: VT, VP, Phòng GDTrH." || slices.Contains(ps, "- Lưu: VT, VP.") {
		t.Errorf("recipients: %q", ps[i:])
	}
	// A công văn's "Như trên" stands for its addressees: typed again, it
	// is written once.
	b, err = DOCX(testUnit, Form{DocType: "CV", Title: "Cải cách hành chính", Signer: deputy,
		Addressees: []string{"Phòng Giáo dục và Đào tạo các quận, huyện"}, Recipients: []string{"Như trên;", "Lưu: VT."}})
	if err != nil {
		t.Fatal(err)
	}
	ps = texts(t, openParts(t, b)["word/document.xml"])
	i = slices.Index(ps, "Nơi nhận:")
	if i < 0 || ps[i+1] != "- Như trên;" || ps[i+2] != "- Lưu: VT." {
		t.Errorf("recipients: %q", ps[i:])
	}
}

// Whatever the drafter types is text in the document, never markup.
func TestEscaping(t *testing.T) {
	hostile := `Quy chế "A & B" <w:p/> 'c' ]]> &amp; x` + "\x00\x1b"
	f := Form{
		DocType: "CV", Title: hostile,
		Addressees: []string{hostile}, Recipients: []string{hostile},
		Body: []string{hostile, "Đoạn hai\ncó xuống dòng"}, Signer: Signer{Title: hostile, Name: hostile},
		Drafting: "<VP>",
	}
	for _, code := range Types() {
		f.DocType = code
		b, err := DOCX(Unit{ParentName: hostile, Name: hostile, Abbr: hostile, Place: hostile}, f)
		if err != nil {
			t.Fatal(err)
		}
		p := openParts(t, b) // well-formed
		doc := p["word/document.xml"]
		if strings.Contains(doc, "<w:p/>") || strings.Contains(doc, "\x00") || strings.Contains(doc, "\x1b") {
			t.Fatalf("%s: markup or control characters went through", code)
		}
		all := strings.Join(texts(t, doc), "\n")
		if !strings.Contains(all, `Quy chế "A & B" <w:p/> 'c' ]]> &amp; x`) {
			t.Errorf("%s: the title is not kept as text: %q", code, all)
		}
		if !strings.Contains(p["docProps/core.xml"], "Quy chế &#34;A &amp; B&#34; &lt;w:p/&gt;") {
			t.Errorf("%s: core.xml title: %s", code, p["docProps/core.xml"])
		}
		if !strings.Contains(all, "Đoạn hai\ncó xuống dòng") {
			t.Errorf("%s: a line break in the body is a new paragraph: %q", code, all)
		}
	}
}

// Without a body, each type carries its model's guide text.
func TestGuideText(t *testing.T) {
	for code, want := range map[string][]string{
		"QĐ": {"GIÁM ĐỐC SỞ GIÁO DỤC VÀ ĐÀO TẠO", "QUYẾT ĐỊNH:", "Điều 1. ", "- Như Điều 3;"},
		"GM": {"Thời gian: ", "Địa điểm: "},
		"BB": {"Thành phần tham dự: ", "THƯ KÝ", "CHỦ TỌA", "- Lưu: VT, Hồ sơ."},
		"KH": {"I. MỤC ĐÍCH, YÊU CẦU", "III. TỔ CHỨC THỰC HIỆN"},
		"CV": {"- Lưu: VT, VP."},
	} {
		b, err := DOCX(testUnit, Form{DocType: code, Signer: deputy})
		if err != nil {
			t.Fatal(err)
		}
		all := strings.Join(texts(t, openParts(t, b)["word/document.xml"]), "\n")
		for _, w := range want {
			if !strings.Contains(all, w) {
				t.Errorf("%s: no %q in\n%s", code, w, all)
			}
		}
	}
}

func TestSignerBlock(t *testing.T) {
	for _, tt := range []struct {
		s    Signer
		want []string
	}{
		{deputy, []string{"KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"}},
		{Signer{Title: "Giám đốc", Name: "Lê Hoài Nam"}, []string{"GIÁM ĐỐC"}},
		{Signer{Capacity: "TL.", OnBehalfOf: "GIÁM ĐỐC", Title: "CHÁNH VĂN PHÒNG", Name: "Trần Thị B"}, []string{"TL. GIÁM ĐỐC", "CHÁNH VĂN PHÒNG"}},
		{Signer{Capacity: "TM.", OnBehalfOf: "ỦY BAN NHÂN DÂN", Title: "CHỦ TỊCH", Name: "Trần Thị B"}, []string{"TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"}},
	} {
		b, err := DOCX(testUnit, Form{DocType: "KH", Signer: tt.s})
		if err != nil {
			t.Fatal(err)
		}
		ps := texts(t, openParts(t, b)["word/document.xml"])
		i := slices.Index(ps, tt.want[0])
		if i < 0 || !slices.Equal(ps[i:i+len(tt.want)], tt.want) {
			t.Errorf("%+v: no %q in %q", tt.s, tt.want, ps)
			continue
		}
		// room for the signature, then the name
		j := i + len(tt.want)
		for ps[j] == "" {
			j++
		}
		if j-i-len(tt.want) < 4 || ps[j] != tt.s.Name {
			t.Errorf("%+v: %d blank lines, then %q", tt.s, j-i-len(tt.want), ps[j])
		}
	}
}

func TestFileName(t *testing.T) {
	for _, tt := range []struct {
		f    Form
		want string
	}{
		{Form{DocType: "KH", Title: "Cải cách hành chính năm 2021"}, "Kế hoạch - Cải cách hành chính năm 2021.docx"},
		{Form{DocType: "QĐ", Title: "Về việc: A/B <c> \"d\" | e? *f*\\g"}, "Quyết định - Về việc A B c d e f g.docx"},
		{Form{DocType: "CV", Title: "  \n "}, "Công văn.docx"},
		{Form{DocType: "TB", Title: "Ke\u0302\u0301 hoa\u0323ch."}, "Thông báo - Kế hoạch.docx"}, // NFC, no trailing dot
		{Form{DocType: "XX", Title: "x"}, "Văn bản - x.docx"},
		{Form{DocType: "KH", Title: "Kế hoạch tổ chức Hội khỏe Phù Đổng"}, "Kế hoạch tổ chức Hội khỏe Phù Đổng.docx"}, // the type once
	} {
		if got := FileName(tt.f); got != tt.want {
			t.Errorf("FileName(%q) = %q, want %q", tt.f.Title, got, tt.want)
		}
	}
	long := FileName(Form{DocType: "KH", Title: strings.Repeat("Kế hoạch dài ", 50)})
	if n := utf8.RuneCountInString(long); n > maxNameRunes+len(".docx") || strings.HasSuffix(long, " .docx") {
		t.Errorf("long title: %d runes, %q", n, long)
	}
	if !utf8.ValidString(long) || len(long) > 255 {
		t.Errorf("long title: %d bytes", len(long))
	}
}
