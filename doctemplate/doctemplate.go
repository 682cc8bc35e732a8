// Package doctemplate writes the first draft of an official document as an
// editable DOCX that follows Decree 30/2020 Appendix I (ô 1–14: fonts,
// sizes, positions) and the model layouts of Appendix III, filled from the
// issuing unit and the drafter's form. The number and the date are left
// blank in their places: the register fills them at issue.
package doctemplate

import "errors"

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
}

// ErrUnsupported: no template for that document type.
var ErrUnsupported = errors.New("doctemplate: no template for this document type")

// Types lists the document type codes that have a template.
func Types() []string { return nil }

// DOCX returns the draft as a .docx file.
func DOCX(u Unit, f Form) ([]byte, error) { return nil, ErrUnsupported }

// FileName is the draft's file name: "<type name> - <title>.docx", with
// Vietnamese marks kept.
func FileName(f Form) string { return "" }
