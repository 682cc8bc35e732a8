package doctemplate

import (
	"regexp"
	"strings"
)

// Sizes in half-points and lengths in twips (1 mm = 56.7 twips), as
// WordprocessingML counts them. Decree 30 Appendix I, part I.I and II.
const (
	pt11, pt12, pt13, pt14 = 22, 24, 26, 28

	pageW, pageH        = 11906, 16838 // A4
	marginTop, marginBo = 1134, 1134   // 20 mm
	marginL, marginR    = 1701, 851    // 30 mm, 15 mm
	textW               = pageW - marginL - marginR

	// The header table: ô 2 and ô 3 on the left, ô 1 and ô 4 on the
	// right, wide enough for the motto and a full date on one line.
	headL = 3969 // 70 mm
	headR = textW - headL

	// The Nơi nhận and signer table: the signer's column starts right of
	// the page's middle, where documents.signerBlock looks for it.
	footL = textW / 2
	footR = textW - footL

	// numberGap is the blank before "/KH-SGDĐT": room for a four-digit
	// number at 13 pt, less than the four font sizes after which the
	// stamping code takes the text that follows for ô 4.
	numberGap = "          "
	// dayGap is the blank for a day or a month.
	dayGap = "      "
)

// document is what document.xml is filled from.
type document struct {
	Blocks []block
	Page   struct{ W, H, Top, Right, Bottom, Left int }
}

// block is a paragraph or a table.
type block struct {
	P *para
	T *table
}

type para struct {
	Style    string
	KeepNext bool
	Border   string // "bottom": a rule under the paragraph
	Spacing  *spacing
	Ind      *ind
	Jc       string // left, center, right, both
	MarkSz   int    // the paragraph mark's size: sets an empty line's height
	Runs     []run
}

type spacing struct{ Before, After, Line int }

type ind struct{ Left, Right, FirstLine int }

type run struct {
	Text string
	B, I bool
	Sz   int
}

type table struct {
	Width int
	Cols  []int
	Rows  [][]cell
}

type cell struct {
	W     int
	Paras []para
}

// centred is one centred line of text.
func centred(text string, sz int, b, i bool, before, after int) para {
	return para{Spacing: &spacing{before, after, 240}, Jc: "center", Runs: []run{{Text: text, Sz: sz, B: b, I: i}}}
}

// rule is a short horizontal line, width twips long, centred in a column
// of colW (Appendix I: under ô 2 and ô 5a, 1/3 to 1/2 of the text above).
func rule(width, colW, after int) para {
	side := max((colW-width)/2, 0)
	return para{Border: "bottom", Spacing: &spacing{60, after, 240}, Ind: &ind{Left: side, Right: side}, MarkSz: 4}
}

// textWidth estimates the width of s in twips at sz half-points in Times
// New Roman: near enough to size a rule between 1/3 and 1/2 of it.
func textWidth(s string, sz int, bold bool) int {
	em := 0.0
	for _, r := range s {
		switch {
		case r == ' ':
			em += 0.25
		case r >= '0' && r <= '9':
			em += 0.5
		case strings.ContainsRune(".,:;-/()'", r):
			em += 0.3
		case strings.ToUpper(string(r)) == string(r):
			em += 0.70
		default:
			em += 0.47
		}
	}
	if bold {
		em *= 1.06
	}
	return int(em * float64(sz) * 10) // sz half-points: sz*10 twips per em
}

// mottoRule is the length of the rule under "Độc lập - Tự do - Hạnh
// phúc", as long as the words (Appendix I, II.1.b): 3182 twips in bold
// 13 pt as the converter renders them (Liberation Serif has the metrics of
// Times New Roman), and a little more, or the words would wrap.
const mottoRule = 3260

// layout places the parts of a document of kind k, after the model of
// Appendix III it follows.
func layout(k kind, u Unit, f Form) document {
	var d document
	d.Page.W, d.Page.H = pageW, pageH
	d.Page.Top, d.Page.Bottom, d.Page.Left, d.Page.Right = marginTop, marginBo, marginL, marginR
	add := func(ps ...para) {
		for i := range ps {
			d.Blocks = append(d.Blocks, block{P: &ps[i]})
		}
	}
	title := oneLine(f.Title)
	drafting := strings.ToUpper(oneLine(f.Drafting))
	if drafting == "" {
		drafting = "VP"
	}

	d.Blocks = append(d.Blocks, block{T: header(k, u, title, drafting)})

	if k.code != "CV" { // ô 5a; a công văn has its V/v under the number (ô 5b)
		if title == "" {
			title = "……………………………………"
		}
		add(centred(strings.ToUpper(k.name), pt14, true, false, 360, 0))
		add(centred(title, pt14, true, false, 0, 0))
		add(rule(min(textWidth(title, pt14, true), textW)*2/5, textW, 240))
	}
	if k.code == "QĐ" { // Mẫu 1.2: the issuing authority above the grounds
		add(centred(authority(u, f.Signer), pt14, true, false, 120, 240))
	}
	addressees := cleanList(f.Addressees)
	if len(addressees) > 0 && kindTakesAddressees(k.code) {
		add(kinhGui(addressees)...)
	}

	body := paragraphs(f.Body)
	if len(body) == 0 {
		body = guide(k, u)
	}
	for _, s := range body {
		add(bodyPara(k, s))
	}

	d.Blocks = append(d.Blocks, block{T: footer(k, f, addressees, drafting)})
	add(para{Spacing: &spacing{0, 0, 240}, MarkSz: 2})
	return d
}

// header is ô 1 to ô 4 (and ô 5b for a công văn) in a table of two
// columns without borders, rows aligned so that the number and the date
// share a baseline as in Appendix III's models.
func header(k kind, u Unit, title, drafting string) *table {
	var left []para
	if u.ParentName != "" {
		left = append(left, centred(u.ParentName, pt12, false, false, 0, 0))
	}
	left = append(left, centred(u.Name, pt12, true, false, 0, 0))
	left = append(left, rule(min(textWidth(u.Name, pt12, true), headL)*2/5, headL-114, 0))

	right := []para{
		centred("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", pt12, true, false, 0, 0),
		{Border: "bottom", Spacing: &spacing{0, 0, 240}, Ind: &ind{Left: (headR - 114 - mottoRule) / 2, Right: (headR - 114 - mottoRule) / 2}, Jc: "center",
			Runs: []run{{Text: "Độc lập - Tự do - Hạnh phúc", Sz: pt13, B: true}}},
	}

	symbol := k.code + "-" + u.Abbr
	if k.code == "CV" {
		symbol = u.Abbr + "-" + drafting
	}
	number := []para{centred("Số:"+numberGap+"/"+symbol, pt13, false, false, 240, 0)}
	if k.code == "CV" {
		vv := title
		if vv == "" {
			vv = "……………………"
		}
		if !strings.HasPrefix(vv, "V/v") {
			vv = "V/v " + vv
		}
		number = append(number, centred(vv, pt12, false, false, 120, 0))
	}
	date := []para{centred(u.Place+", ngày"+dayGap+"tháng"+dayGap+"năm"+dayGap, pt13, false, true, 240, 0)}

	return &table{Width: textW, Cols: []int{headL, headR}, Rows: [][]cell{
		{{headL, left}, {headR, right}},
		{{headL, number}, {headR, date}},
	}}
}

// kindTakesAddressees: "Kính gửi" belongs to công văn, tờ trình, báo cáo
// to a superior body (Appendix I, II.9.b) and giấy mời.
func kindTakesAddressees(code string) bool {
	return code == "CV" || code == "TTr" || code == "BC" || code == "GM"
}

// kinhGui is ô 9a: one addressee on the line of "Kính gửi:", several one
// per line under its colon, each ending in ";" and the last in ".".
func kinhGui(names []string) []para {
	const at = 1701 // where "Kính gửi:" starts
	const colon = 1000
	if len(names) == 1 {
		return []para{centred("Kính gửi: "+strings.TrimRight(names[0], ".;")+".", pt14, false, false, 120, 240)}
	}
	out := []para{{Spacing: &spacing{120, 0, 240}, Ind: &ind{Left: at}, Runs: []run{{Text: "Kính gửi:", Sz: pt14}}}}
	for i, n := range names {
		end := ";"
		if i == len(names)-1 {
			end = "."
		}
		p := para{Spacing: &spacing{0, 0, 240}, Ind: &ind{Left: at + colon}, Runs: []run{{Text: "- " + strings.TrimRight(n, ".;") + end, Sz: pt14}}}
		if i == len(names)-1 {
			p.Spacing.After = 240
		}
		out = append(out, p)
	}
	return out
}

// authority is the line of Mẫu 1.2 under the trích yếu of a quyết định:
// the title of the head who decides, or the body when it decides as one.
func authority(u Unit, s Signer) string {
	head := strings.ToUpper(oneLine(s.OnBehalfOf))
	if s.Capacity == "" || head == "" {
		head = strings.ToUpper(oneLine(s.Title))
	}
	switch {
	case strings.TrimSpace(s.Capacity) == "TM.":
		return u.Name
	case head == "":
		return "THẨM QUYỀN BAN HÀNH"
	}
	return head + " " + u.Name
}

var (
	romanHeading = regexp.MustCompile(`^[IVXL]+\.\s`)
	article      = regexp.MustCompile(`^Điều \d+\.`)
	clause       = regexp.MustCompile(`^\d+(\.\d+)*\.\s`)
)

// bodyPara is one paragraph of ô 6 in the NoiDung style (justified, first
// line indented 1 cm, 6 pt after), with the emphasis Appendix I gives to
// headings: "I. MỤC TIÊU" and a titled clause "1. Mục đích" bold, "Điều
// 1." bold, a quyết định's grounds italic and its "QUYẾT ĐỊNH:" centred.
func bodyPara(k kind, s string) para {
	p := para{Style: "NoiDung"}
	r := run{Text: s}
	switch {
	case s == "QUYẾT ĐỊNH:" || s == "QUYẾT NGHỊ:":
		p.Spacing, p.Ind, p.Jc, p.KeepNext = &spacing{120, 120, 276}, &ind{}, "center", true
		r.B = true
	case romanHeading.MatchString(s) || clause.MatchString(s) && len([]rune(s)) < 90 && !strings.ContainsAny(s[len(s)-1:], ".;:,"):
		p.KeepNext = true
		r.B = true
	case article.MatchString(s):
		head := article.FindString(s)
		return para{Style: "NoiDung", Runs: []run{{Text: head, B: true}, {Text: s[len(head):]}}}
	case k.code == "QĐ" && (strings.HasPrefix(s, "Căn cứ") || strings.HasPrefix(s, "Theo đề nghị") || strings.HasPrefix(s, "Xét đề nghị")):
		r.I = true
	}
	p.Runs = []run{r}
	return p
}

// footer is ô 9b (Nơi nhận) on the left and ô 7 (the signer) on the
// right; a biên bản has its secretary on the left and its chair on the
// right, Nơi nhận under them (Mẫu 1.9).
func footer(k kind, f Form, addressees []string, drafting string) *table {
	var recv []para
	recv = append(recv, para{Spacing: &spacing{120, 0, 240}, Runs: []run{{Text: "Nơi nhận:", Sz: pt12, B: true, I: true}}})
	item := func(s string) para {
		return para{Spacing: &spacing{0, 0, 240}, Runs: []run{{Text: s, Sz: pt11}}}
	}
	list := cleanList(f.Recipients)
	asAbove := false // "Như trên" written for the addressees
	switch {
	case len(addressees) > 0 && kindTakesAddressees(k.code):
		recv = append(recv, item("- Như trên;"))
		asAbove = true
	case k.code == "QĐ" && len(list) == 0:
		recv = append(recv, item("- Như Điều 3;"))
	}
	lưu := "- Lưu: VT, " + drafting + "."
	if k.code == "BB" {
		lưu = "- Lưu: VT, Hồ sơ."
	}
	n := 0
	for _, r := range list {
		// A drafter who types the "Lưu:" line gets it once, last.
		if strings.HasPrefix(strings.ToLower(r), "lưu") {
			lưu = "- " + strings.TrimRight(r, ".;") + "."
			continue
		}
		if asAbove && strings.EqualFold(strings.TrimRight(r, ".;"), "như trên") {
			n++ // typed too: written once
			continue
		}
		recv = append(recv, item("- "+strings.TrimRight(r, ".;")+";"))
		n++
	}
	if n == 0 {
		recv = append(recv, item("- ……………;"))
	}
	recv = append(recv, item(lưu))

	signer := signerParas(k, f.Signer)
	if k.code == "BB" {
		// the secretary's name on the chair's baseline
		secretary := []para{centred("THƯ KÝ", pt14, true, false, 120, 0)}
		secretary = append(secretary, blankLines(len(signer)-2)...)
		secretary = append(secretary, centred("Họ và tên", pt14, true, false, 0, 0))
		secretary = append(secretary, para{Spacing: &spacing{240, 0, 240}})
		secretary = append(secretary, recv...)
		return &table{Width: textW, Cols: []int{footL, footR}, Rows: [][]cell{{{footL, secretary}, {footR, signer}}}}
	}
	return &table{Width: textW, Cols: []int{footL, footR}, Rows: [][]cell{{{footL, recv}, {footR, signer}}}}
}

// signerParas is ô 7a–7c: the capacity with the head's title ("KT. GIÁM
// ĐỐC"), the signer's own title, room for the signature, the name, all
// bold and centred; the stamping code finds the block by the gap between
// the title and the name, and reads the capacity from the lines above.
func signerParas(k kind, s Signer) []para {
	var out []para
	line := func(t string) {
		before := 0
		if len(out) == 0 {
			before = 120 // level with "Nơi nhận:"
		}
		out = append(out, centred(t, pt14, true, false, before, 0))
	}
	capacity := strings.ToUpper(oneLine(s.Capacity))
	title := strings.ToUpper(oneLine(s.Title))
	if k.code == "BB" {
		line("CHỦ TỌA")
		if title == "CHỦ TỌA" {
			title = ""
		}
	}
	if capacity != "" {
		line(strings.TrimSpace(capacity + " " + strings.ToUpper(oneLine(s.OnBehalfOf))))
	}
	switch {
	case title != "":
		line(title)
	case k.code != "BB" && capacity == "":
		line("CHỨC VỤ CỦA NGƯỜI KÝ")
	}
	out = append(out, blankLines(5)...)
	name := oneLine(s.Name)
	if name == "" {
		name = "Họ và tên"
	}
	line(name)
	return out
}

// blankLines is the room for a handwritten or digital signature.
func blankLines(n int) []para {
	out := make([]para, n)
	for i := range out {
		out[i] = para{Spacing: &spacing{0, 0, 240}, MarkSz: pt14}
	}
	return out
}

// paragraphs splits the drafter's paragraphs on line breaks and drops
// empty ones.
func paragraphs(in []string) []string {
	var out []string
	for _, s := range in {
		for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
			if l = oneLine(l); l != "" {
				out = append(out, l)
			}
		}
	}
	return out
}

// cleanList is a list of names, one line each, empty ones dropped.
func cleanList(in []string) []string {
	var out []string
	for _, s := range in {
		if s = oneLine(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
