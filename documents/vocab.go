package documents

import (
	"fmt"
	"unicode"

	"strings"

	"golang.org/x/text/unicode/norm"
)

// Choice is a code with its Vietnamese label.
type Choice struct {
	Code  string `json:"code"`
	Label string `json:"label"`
}

// Types are the kinds of official document (Decree 30/2020, Appendix III).
// The code is the abbreviation used in the symbol; CV (công văn) has none.
var Types = []Choice{
	{"CV", "Công văn"}, {"KH", "Kế hoạch"}, {"QĐ", "Quyết định"}, {"TB", "Thông báo"},
	{"HD", "Hướng dẫn"}, {"BC", "Báo cáo"}, {"CT", "Chỉ thị"}, {"NQ", "Nghị quyết"},
	{"QC", "Quy chế"}, {"CTr", "Chương trình"}, {"PA", "Phương án"}, {"BB", "Biên bản"},
	{"TTr", "Tờ trình"}, {"GM", "Giấy mời"}, {"GGT", "Giấy giới thiệu"},
}

// Urgencies are the levels of độ khẩn.
var Urgencies = []Choice{
	{"thuong", "Thường"}, {"khan", "Khẩn"}, {"thuong_khan", "Thượng khẩn"}, {"hoa_toc", "Hỏa tốc"},
}

// Confidentialities are the levels of độ mật (Law 29/2018/QH14 art. 8).
var Confidentialities = []Choice{
	{"thuong", "Thường"}, {"mat", "Mật"}, {"toi_mat", "Tối mật"}, {"tuyet_mat", "Tuyệt mật"},
}

// Statuses are the states of a document.
var Statuses = []Choice{
	{"draft", "Dự thảo"}, {"registered", "Đã đăng ký"}, {"signed", "Đã ký"},
	{"issued", "Đã ban hành"}, {"recalled", "Đã thu hồi"},
}

// IsSecret reports whether a confidentiality level is secret: such documents
// never travel through this system.
func IsSecret(confidentiality string) bool {
	return confidentiality == "mat" || confidentiality == "toi_mat" || confidentiality == "tuyet_mat"
}

// TypeName returns the Vietnamese name of a document type code.
func TypeName(code string) (string, bool) { return label(Types, code) }

// Label returns the Vietnamese label of code in choices, or code itself.
func Label(choices []Choice, code string) string {
	if l, ok := label(choices, code); ok {
		return l
	}
	return code
}

func label(choices []Choice, code string) (string, bool) {
	for _, c := range choices {
		if c.Code == code {
			return c.Label, true
		}
	}
	return "", false
}

func validIn(code string, choices []Choice) bool {
	_, ok := label(choices, code)
	return ok
}

// ContentDisposition builds the header value for a file name that may hold
// Vietnamese: an ASCII fallback and the exact name in RFC 5987 form
// (RFC 6266), so browsers save "Kế hoạch.pdf" and not mojibake.
func ContentDisposition(kind, fileName string) string {
	ascii := strings.Map(func(r rune) rune {
		switch {
		case r == '"' || r == '\\':
			return '_'
		case r < 0x20 || r == 0x7f:
			return -1
		case r < 0x80:
			return r
		}
		return -1
	}, stripMarks(fileName))
	if strings.TrimSuffix(ascii, ".pdf") == "" {
		ascii = "van-ban.pdf"
	}
	return fmt.Sprintf(`%s; filename="%s"; filename*=UTF-8''%s`, kind, ascii, encode5987(fileName))
}

// stripMarks removes diacritics and keeps case: "Kế hoạch" → "Ke hoach".
func stripMarks(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'đ':
			b.WriteRune('d')
		case r == 'Đ':
			b.WriteRune('D')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// encode5987 percent-encodes every byte that is not an RFC 5987 attr-char.
func encode5987(s string) string {
	const attrChar = "!#$&+-.^_`|~"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(attrChar, c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
