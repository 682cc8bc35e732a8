package documents

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/digitorus/pdf"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/signing"
	"golang.org/x/text/unicode/norm"
)

// Decree 30, Appendix I: ô 3 "Số:" 13 pt upright; ô 4, place and date,
// 13-14 pt italic.
const (
	numberPt = 13
	datePt   = 13
)

// issueNoticeSealMark tells the clerk where the number and date went when
// the draft has no places for them.
const issueNoticeSealMark = "Văn bản không có vị trí \"Số:\" hoặc \"ngày ... tháng ... năm ...\" theo Phụ lục I Nghị định 30/2020 (hoặc không đủ chỗ trống), nên số, ký hiệu hoặc ngày ban hành được ghi trong phần chữ của chữ ký số cơ quan, dưới tên cơ quan."

// word is a run of glyphs on one baseline without a space, in points.
type word struct {
	s          string
	x0, x1, y  float64
	size       float64
	normalised string // NFC, lower case
}

// pageLines returns the words of page n by baseline, top line first.
func pageLines(r *pdf.Reader, n int) (lines [][]word, box [4]float64, rotate int) {
	p := r.Page(n)
	box = mediaBox(p.V)
	if cb := inherited(p.V, "CropBox"); cb.Len() == 4 {
		box = [4]float64{cb.Index(0).Float64(), cb.Index(1).Float64(), cb.Index(2).Float64(), cb.Index(3).Float64()}
	}
	rotate = ((int(inherited(p.V, "Rotate").Int64()) % 360) + 360) % 360
	byY := map[float64][]pdf.Text{}
	for _, t := range pageGlyphs(p) {
		y := math.Round(t.Y*2) / 2
		byY[y] = append(byY[y], t)
	}
	ys := make([]float64, 0, len(byY))
	for y := range byY {
		ys = append(ys, y)
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(ys)))
	for _, y := range ys {
		ts := byY[y]
		sort.SliceStable(ts, func(i, j int) bool { return ts[i].X < ts[j].X })
		var ws []word
		var cur *word
		for _, t := range ts {
			space := strings.TrimSpace(t.S) == ""
			if cur != nil && (space || t.X-cur.x1 > 0.15*t.FontSize) {
				ws = append(ws, *cur)
				cur = nil
			}
			if space {
				continue
			}
			if cur == nil {
				cur = &word{x0: t.X, y: t.Y, size: t.FontSize}
			}
			cur.s += t.S
			cur.x1 = t.X + t.W
		}
		if cur != nil {
			ws = append(ws, *cur)
		}
		for i := range ws {
			ws[i].s = norm.NFC.String(ws[i].s)
			ws[i].normalised = strings.ToLower(ws[i].s)
		}
		if len(ws) > 0 {
			lines = append(lines, ws)
		}
	}
	return lines, box, rotate
}

func inherited(page pdf.Value, key string) pdf.Value {
	for p := page; !p.IsNull(); p = p.Key("Parent") {
		if v := p.Key(key); !v.IsNull() {
			return v
		}
	}
	return pdf.Value{}
}

// issueLayout is where page 1 of a draft has ô 3 (the number) and ô 4
// (the place and date).
type issueLayout struct {
	number, date bool // found

	// ô 3
	numberFilled string  // what is typed where the number goes
	afterSo      float64 // right edge of "Số:"
	slash        float64 // left edge of the typed "/symbol"; 0 if none
	symbol       string  // the typed symbol after the slash ("SGDĐT-VP"); "" if none
	numberLimit  float64 // left edge of the next text on the baseline; 0 if none
	numberY      float64

	// ô 4
	dateFilled   string
	place        string
	dayGap       [2]float64
	monthGap     [2]float64
	yearAt       float64 // where a missing year goes
	year         int     // the year typed, 0 if none
	dateY        float64
	right        float64 // the page's right edge
	dateWordSize float64
}

// readIssueLayout finds ô 3 and ô 4 in the upper part of page 1.
func readIssueLayout(in []byte) (l issueLayout, err error) {
	defer func() {
		if p := recover(); p != nil { // the content parser panics on some streams
			l, err = issueLayout{}, nil
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		return l, fmt.Errorf("%w: %v", ErrBadPDF, err)
	}
	lines, box, rotate := pageLines(r, 1)
	if rotate != 0 {
		return l, nil // a rotated first page is not a Decree 30 layout
	}
	l.right = box[2]
	top := box[1] + (box[3]-box[1])*0.55
	for _, ws := range lines {
		if ws[0].y < top {
			break
		}
		if !l.number {
			l.readNumber(ws)
		}
		if !l.date {
			l.readDate(ws)
		}
	}
	return l, nil
}

func (l *issueLayout) readNumber(ws []word) {
	for i, w := range ws {
		rest, ok := strings.CutPrefix(w.normalised, "số")
		if !ok {
			continue
		}
		x1 := w.x1
		var typed []word
		switch {
		case rest == ":":
			typed = ws[i+1:]
		case rest == "" && i+1 < len(ws) && strings.HasPrefix(ws[i+1].normalised, ":"):
			x1 = ws[i+1].x1
			if tail := strings.TrimPrefix(ws[i+1].s, ":"); tail != "" {
				typed = append([]word{{s: tail, x0: ws[i+1].x1, x1: ws[i+1].x1}}, ws[i+2:]...)
			} else {
				typed = ws[i+2:]
			}
		case strings.HasPrefix(rest, ":"):
			// "Số:206/KH-SGDĐT" without a space
			typed = append([]word{{s: strings.TrimPrefix(w.s[len("Số"):], ":"), x0: w.x1, x1: w.x1}}, ws[i+1:]...)
		default:
			continue
		}
		l.number, l.afterSo, l.numberY = true, x1, w.y
		// Only what follows within the run: ô 4 may share the baseline.
		for j, prev := 0, x1; j < len(typed); j++ {
			if typed[j].x0-prev > 4*w.size {
				l.numberLimit = typed[j].x0 - 3
				typed = typed[:j]
				break
			}
			prev = typed[j].x1
		}
		if len(typed) == 0 {
			return
		}
		if before, after, found := strings.Cut(typed[0].s, "/"); found && before == "" {
			l.slash, l.symbol = typed[0].x0, after
			return
		}
		l.numberFilled = typed[0].s
		return
	}
}

func (l *issueLayout) readDate(ws []word) {
	at := func(s string, from int) int {
		for i := from; i < len(ws); i++ {
			if strings.TrimRight(ws[i].normalised, ",") == s {
				return i
			}
		}
		return -1
	}
	d := at("ngày", 0)
	if d < 0 {
		return
	}
	m := at("tháng", d+1)
	if m < 0 {
		return
	}
	y := at("năm", m+1)
	if y < 0 {
		return
	}
	// The place is the run of words before "ngày": ô 3 may share the
	// baseline, far to the left.
	var place []string
	for i := d - 1; i >= 0 && ws[i+1].x0-ws[i].x1 < 2*ws[i].size; i-- {
		place = append([]string{ws[i].s}, place...)
	}
	l.date, l.dateY, l.dateWordSize = true, ws[d].y, ws[d].size
	l.place = strings.TrimRight(strings.Join(place, " "), ", ")
	var filled []string
	for _, w := range ws[d+1 : m] {
		filled = append(filled, w.s)
	}
	for _, w := range ws[m+1 : y] {
		filled = append(filled, w.s)
	}
	l.dateFilled = strings.Join(filled, " ")
	l.dayGap = [2]float64{ws[d].x1, ws[m].x0}
	l.monthGap = [2]float64{ws[m].x1, ws[y].x0}
	l.yearAt = ws[y].x1 + 0.25*ws[y].size
	if y+1 < len(ws) {
		year, err := strconv.Atoi(strings.TrimRight(ws[y+1].s, "."))
		if err != nil || year < 1000 || year > 9999 {
			l.dateFilled = strings.TrimSpace(l.dateFilled + " " + ws[y+1].s)
			return
		}
		l.year = year
	}
}

// checkIssuePlaces refuses a draft whose number or date is already
// filled: the system writes them when the clerk registers (Decree 30
// art. 15.3, Appendix I).
func checkIssuePlaces(in []byte, now time.Time) error {
	l, err := readIssueLayout(in)
	if err != nil {
		return err
	}
	const leaveBlank = " Theo Nghị định 30/2020 (Điều 15, Phụ lục I), số và ngày ban hành văn bản điện tử do hệ thống ghi khi văn thư đăng ký, cấp số: hãy để trống số (\"Số:    /KH-SGDĐT\") và ngày tháng (\"ngày    tháng    năm\") trong dự thảo rồi tải lên lại."
	switch {
	case l.number && l.numberFilled != "":
		return &domain.PreconditionError{Code: "number_prefilled", Message: "Dự thảo đã ghi sẵn số văn bản (\"Số: " + l.numberFilled + "\")." + leaveBlank}
	case l.date && l.dateFilled != "":
		return &domain.PreconditionError{Code: "date_prefilled", Message: "Dự thảo đã ghi sẵn ngày ban hành (\"ngày " + l.dateFilled + "\")." + leaveBlank}
	case l.date && l.year != 0 && l.year != now.In(domain.VietnamTime).Year():
		return &domain.PreconditionError{Code: "date_prefilled", Message: fmt.Sprintf("Dự thảo ghi sẵn năm %d, không phải năm ban hành.", l.year) + leaveBlank}
	}
	return nil
}

// issued is what the system writes for a registration: marks in their
// places on page 1, and the lines that found no place (no ô 3 or ô 4, or
// not room enough), which go into the seal's text.
type issued struct {
	marks []signing.IssueMark
	lines []string
}

// issueMarks writes numberSymbol in ô 3 and the date of at in ô 4 of
// page 1 where the draft left them blank. A date already typed (minutes
// carry the meeting's) stays as it is.
func issueMarks(in []byte, numberSymbol string, at time.Time) (issued, error) {
	var out issued
	l, err := readIssueLayout(in)
	if err != nil {
		return out, err
	}
	at = at.In(domain.VietnamTime)
	place := l.place
	if place == "" {
		place = domain.Place
	}
	dateText := place + ", " + domain.DateWords(at)
	type piece struct {
		s        string
		pt       float64
		italic   bool
		x0, x1   float64
		baseline float64
		align    int // -1: against x1; 0: centred; 1: from x0
	}
	// place renders the pieces of one field; all fit, or none is written.
	field := func(contents string, pieces ...piece) (bool, error) {
		var marks []signing.IssueMark
		for _, p := range pieces {
			t, err := signing.RenderText(p.s, p.pt, p.italic)
			if err != nil {
				return false, err
			}
			var left float64
			switch p.align {
			case -1:
				left = p.x1 - t.Width
			case 0:
				left = (p.x0 + p.x1 - t.Width) / 2
			default:
				left = p.x0
			}
			if left < p.x0 || left+t.Width > p.x1 {
				return false, nil
			}
			y := p.baseline - t.BaselineFromBot
			marks = append(marks, signing.IssueMark{Page: 1, Rect: [4]float64{left, y, left + t.Width, y + t.Height}, PNG: t.PNG, Text: contents})
		}
		out.marks = append(out.marks, marks...)
		return true, nil
	}
	numberPlaced := false
	if l.number && l.numberFilled == "" {
		number, _, _ := strings.Cut(numberSymbol, "/")
		p := piece{number, numberPt, false, l.afterSo + 1, l.slash - 0.3, l.numberY, -1}
		if l.slash == 0 {
			limit := l.right - 20
			if l.numberLimit != 0 {
				limit = min(limit, l.numberLimit)
			}
			p = piece{numberSymbol, numberPt, false, l.afterSo + 3, limit, l.numberY, 1}
		}
		if numberPlaced, err = field("Số: "+numberSymbol, p); err != nil {
			return out, err
		}
	}
	if !numberPlaced {
		out.lines = append(out.lines, "Số: "+numberSymbol)
	}
	if l.date && l.dateFilled != "" {
		return out, nil // the document's own date
	}
	datePlaced := false
	if l.date && (l.year == 0 || l.year == at.Year()) {
		pieces := []piece{
			{fmt.Sprintf("%02d", at.Day()), datePt, true, l.dayGap[0] + 1, l.dayGap[1] - 1, l.dateY, 0},
			{fmt.Sprintf("%02d", int(at.Month())), datePt, true, l.monthGap[0] + 1, l.monthGap[1] - 1, l.dateY, 0},
		}
		if l.year == 0 {
			pieces = append(pieces, piece{strconv.Itoa(at.Year()), datePt, true, l.yearAt, l.right - 10, l.dateY, 1})
		}
		if datePlaced, err = field(dateText, pieces...); err != nil {
			return out, err
		}
	}
	if !datePlaced {
		out.lines = append(out.lines, domain.PlaceDate(at))
	}
	return out, nil
}

// signerNamed reads the signer block of the draft: the name under the
// signature and the capacity (KT., TL., TUQ., TM.) above it, if any.
func signerNamed(in []byte) (name, capacity string, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	page, top, bottom, found := signerBlock(in)
	if !found {
		return "", "", false
	}
	r, err := pdf.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		return "", "", false
	}
	lines, box, _ := pageLines(r, page)
	mid := (box[0] + box[2]) / 2
	text := func(ws []word) string {
		var parts []string
		for _, w := range ws {
			if w.x0 >= mid-20 {
				parts = append(parts, w.s)
			}
		}
		return strings.Join(parts, " ")
	}
	var above []string
	for i, ws := range lines {
		y := math.Round(ws[0].y*2) / 2
		if y == math.Round(bottom.y*2)/2 {
			name = text(ws)
		}
		if y == math.Round(top.y*2)/2 {
			// the position line and the lines just above it
			for j := i; j >= 0 && j > i-3; j-- {
				if j < i && lines[j][0].y-lines[j+1][0].y > 2*lines[j][0].size {
					break
				}
				above = append([]string{text(lines[j])}, above...)
			}
		}
	}
	for _, s := range above {
		for _, c := range []string{"KT.", "TL.", "TUQ.", "TM."} {
			if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(s)), c) {
				capacity = c
			}
		}
	}
	// A name that does not decode to letters cannot be compared.
	name = strings.TrimSpace(name)
	readable := strings.IndexFunc(name, unicode.IsLetter) >= 0 && strings.IndexFunc(name, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsMark(r) && r != ' ' && r != '.' && r != '-'
	}) < 0
	return name, capacity, readable
}

// checkSigner refuses p when the draft names someone else as its signer.
func checkSigner(in []byte, p auth.Principal) error {
	name, _, ok := signerNamed(in)
	if !ok || sameName(name, p.FullName) {
		return nil
	}
	return &domain.PreconditionError{Code: "signer_not_named", Message: fmt.Sprintf(
		"Văn bản ghi người ký là %s; bạn là %s. Chỉ người có tên ở phần chữ ký của văn bản mới ký được; nếu người ký thay đổi, hãy sửa dự thảo (tải lên phiên bản mới ghi đúng người ký) trước khi ký.",
		name, p.FullName)}
}

func sameName(a, b string) bool {
	f := func(s string) string { return strings.Join(strings.Fields(norm.NFC.String(s)), " ") }
	return strings.EqualFold(f(a), f(b))
}

// writeIssueMarks writes numberSymbol and the date of at in their places
// on page 1 of in; what found no place is returned for the seal's text,
// with the notice for the clerk.
func writeIssueMarks(in []byte, numberSymbol string, at time.Time) (out []byte, sealLines []string, notice string, err error) {
	is, err := issueMarks(in, numberSymbol, at)
	if err != nil {
		return nil, nil, "", err
	}
	if len(is.lines) > 0 {
		notice = issueNoticeSealMark
	}
	if len(is.marks) == 0 {
		return in, is.lines, notice, nil
	}
	if out, err = signing.AddIssueMarks(in, is.marks); err != nil {
		return nil, nil, "", err
	}
	return out, is.lines, notice, nil
}

// issued returns the document after its organisation's signature, with
// the notice for the clerk.
func (s *Service) issued(ctx context.Context, p auth.Principal, id int64, sig Signature) (Document, error) {
	d, err := s.Get(ctx, p, id)
	if err == nil {
		d.IssueNotice = sig.Notice
	}
	return d, err
}
