// Package doctemplate writes the first draft of an official document as an
// editable DOCX that follows Decree 30/2020 Appendix I (ô 1–14: fonts,
// sizes, positions) and the model layouts of Appendix III, filled from the
// issuing unit and the drafter's form. The number and the date are left
// blank in their places: the register fills them at issue.
package doctemplate

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hcm-edu/vanban/internal/domain"
	"golang.org/x/text/unicode/norm"
)

// Unit is the issuing body (ô 2).
type Unit struct {
	ParentName string // the body it belongs to: "UBND THÀNH PHỐ HỒ CHÍ MINH"
	Name       string // "SỞ GIÁO DỤC VÀ ĐÀO TẠO"
	Abbr       string // in the symbol: "SGDĐT"
	Place      string // ô 4: "Thành phố Hồ Chí Minh"
}

// Signer is the signer block (ô 7): capacity, title and name.
type Signer struct {
	Capacity   string // "", "TM.", "KT.", "TL.", "TUQ." (Decree 30 art. 13)
	OnBehalfOf string // after the capacity: "GIÁM ĐỐC", "ỦY BAN NHÂN DÂN"; empty when Capacity is ""
	Title      string // "PHÓ GIÁM ĐỐC"; for a head signing directly, the head's title
	Name       string // "Lê Hoài Nam"
}

// Form is what the drafter typed.
type Form struct {
	DocType    string   // documents.Types code: CV, KH, QĐ, TB, TTr, BC, GM, BB
	Title      string   // trích yếu (ô 5)
	Addressees []string // Kính gửi (công văn, tờ trình, giấy mời)
	Recipients []string // Nơi nhận (ô 9a)
	Body       []string // paragraphs; none: the model's guide text
	Signer     Signer

	// Drafting is the drafting office's abbreviation (Appendix I, II.3.b):
	// the second part of a công văn's symbol ("SGDĐT-VP") and the office
	// after "Lưu: VT," in Nơi nhận. "VP" when empty.
	Drafting string
}

// ErrUnsupported: no template for that document type.
var ErrUnsupported = errors.New("doctemplate: no template for this document type")

// kind is one document type with a template and the Appendix III model it
// follows.
type kind struct {
	code, name string
	model      string // "Mẫu 1.4"
}

// kinds are the types with a template, in the order of documents.Types.
var kinds = []kind{
	{"CV", "Công văn", "Mẫu 1.5"},
	{"KH", "Kế hoạch", "Mẫu 1.4"},
	{"QĐ", "Quyết định", "Mẫu 1.2"},
	{"TB", "Thông báo", "Mẫu 1.4"},
	{"HD", "Hướng dẫn", "Mẫu 1.4"},
	{"BC", "Báo cáo", "Mẫu 1.4"},
	{"CTr", "Chương trình", "Mẫu 1.4"},
	{"PA", "Phương án", "Mẫu 1.4"},
	{"BB", "Biên bản", "Mẫu 1.9"},
	{"TTr", "Tờ trình", "Mẫu 1.4"},
	{"GM", "Giấy mời", "Mẫu 1.7"},
}

func lookup(code string) (kind, bool) {
	code = norm.NFC.String(strings.TrimSpace(code))
	for _, k := range kinds {
		if k.code == code {
			return k, true
		}
	}
	return kind{}, false
}

// Types lists the document type codes that have a template.
func Types() []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = k.code
	}
	return out
}

// Model names the Appendix III model a type's template follows ("Mẫu
// 1.4"), or "" when the type has no template.
func Model(docType string) string {
	k, _ := lookup(docType)
	return k.model
}

// DOCX returns the draft as a .docx file.
func DOCX(u Unit, f Form) ([]byte, error) {
	k, ok := lookup(f.DocType)
	if !ok {
		return nil, ErrUnsupported
	}
	return write(layout(k, clean(u), f), oneLine(f.Title), k.name)
}

// maxNameRunes bounds a file name's length before ".docx": names stay
// well under the 255 bytes file systems allow, marks included.
const maxNameRunes = 100

// FileName is the draft's file name: "<type name> - <title>.docx", with
// Vietnamese marks kept.
func FileName(f Form) string {
	name := "Văn bản"
	if k, ok := lookup(f.DocType); ok {
		name = k.name
	}
	title := safeName(f.Title)
	switch {
	case strings.HasPrefix(strings.ToLower(title), strings.ToLower(name)):
		name = title // "Kế hoạch tổ chức …", not "Kế hoạch - Kế hoạch tổ chức …"
	case title != "":
		name += " - " + title
	}
	if utf8.RuneCountInString(name) > maxNameRunes {
		name = strings.TrimRight(string([]rune(name)[:maxNameRunes]), " .-")
	}
	return name + ".docx"
}

// safeName keeps letters, marks, digits and ordinary punctuation; it drops
// what Windows, macOS or a shell would refuse or misread in a file name.
func safeName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case strings.ContainsRune(`/\:*?"<>|`, r):
			return ' '
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), r == utf8.RuneError:
			return -1
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, norm.NFC.String(s))
	return strings.Trim(strings.Join(strings.Fields(s), " "), " .")
}

// clean puts the unit's names in the form Appendix I shows them.
func clean(u Unit) Unit {
	u.ParentName = strings.ToUpper(oneLine(u.ParentName))
	u.Name = strings.ToUpper(oneLine(u.Name))
	u.Abbr = strings.ToUpper(oneLine(u.Abbr))
	u.Place = oneLine(u.Place)
	if u.Place == "" {
		u.Place = domain.Place
	}
	return u
}

// oneLine is s in NFC on one line, spaces collapsed.
func oneLine(s string) string {
	return strings.Join(strings.Fields(norm.NFC.String(s)), " ")
}
