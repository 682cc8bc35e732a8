package edxml

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// DefaultMaxBytes is the size limit when ParseOptions.MaxBytes is zero.
const DefaultMaxBytes = 64 << 20

// maxDepth bounds the element tree; edXML is about eight levels deep.
const maxDepth = 64

// ParseOptions configure Parse and ParseStatus.
type ParseOptions struct {
	// MaxBytes is the largest message accepted; zero means DefaultMaxBytes.
	MaxBytes int64
}

// Parse reads an edXML package, verifies its XML-DSig signature and checks
// it against the rules Build enforces. Errors are ErrTooLarge,
// ErrNoSignature, ErrBadSignature (each possibly wrapped with a detail) or a
// *FormatError. Only what the signature covers is read. The signer's chain
// is returned in Package.Chain; whether to trust it is for
// Package.VerifyChain.
func Parse(data []byte, opts ParseOptions) (*Package, error) {
	signed, chain, err := readSigned(data, opts)
	if err != nil {
		return nil, err
	}
	r := &reader{}
	pkg := r.pkg(signed)
	if r.err != nil {
		return nil, r.err
	}
	if err := validatePackage(pkg); err != nil {
		return nil, err
	}
	pkg.Chain = chain
	return pkg, nil
}

// ParseStatus reads an edXML status message the way Parse reads a package.
func ParseStatus(data []byte, opts ParseOptions) (*Status, error) {
	signed, chain, err := readSigned(data, opts)
	if err != nil {
		return nil, err
	}
	r := &reader{}
	s := r.status(signed)
	if r.err != nil {
		return nil, r.err
	}
	if err := validateStatus(s); err != nil {
		return nil, err
	}
	s.Chain = chain
	return s, nil
}

func readSigned(data []byte, opts ParseOptions) (*etree.Element, []*x509.Certificate, error) {
	limit := opts.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	if int64(len(data)) > limit {
		return nil, nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), limit)
	}
	// A DTD can declare entities; edXML has no use for one.
	if prologHasDoctype(data) {
		return nil, nil, formatErr("DOCTYPE", "không chấp nhận khai báo DOCTYPE trong thông điệp edXML")
	}
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{CharsetReader: utf8Only, MaxDepth: maxDepth}
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, nil, formatErr("", "nội dung không phải XML hợp lệ (%v)", err)
	}
	if hasDirective(doc.Child) {
		return nil, nil, formatErr("DOCTYPE", "không chấp nhận khai báo DOCTYPE trong thông điệp edXML")
	}
	if n := len(doc.ChildElements()); n != 1 {
		return nil, nil, formatErr("", "thông điệp phải có đúng một phần tử gốc (có %d)", n)
	}
	root := doc.Root()
	if root.Tag != "edXML" || root.NamespaceURI() != nsEdXML {
		return nil, nil, formatErr("edXML", "phần tử gốc phải là edXML thuộc không gian tên %s", nsEdXML)
	}
	return verify(root)
}

func utf8Only(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "utf-8", "utf8":
		return input, nil
	}
	return nil, fmt.Errorf("encoding %q not supported, UTF-8 required", charset)
}

// prologHasDoctype reads the tokens before the root element, unexpanded,
// and reports whether one is a directive (<!DOCTYPE …>).
func prologHasDoctype(data []byte) bool {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = utf8Only
	for {
		tok, err := d.RawToken()
		if err != nil {
			return false // the full parse reports it
		}
		switch tok.(type) {
		case xml.Directive:
			return true
		case xml.StartElement:
			return false
		}
	}
}

func hasDirective(tokens []etree.Token) bool {
	for _, t := range tokens {
		switch t := t.(type) {
		case *etree.Directive:
			return true
		case *etree.Element:
			if hasDirective(t.Child) {
				return true
			}
		}
	}
	return false
}

// reader reads elements and keeps the first value that does not parse.
// Its lookups accept a nil element, so that a missing element reads as
// empty and validation names it.
type reader struct {
	err *FormatError
}

func (r *reader) fail(field, format string, args ...any) {
	if r.err == nil {
		r.err = formatErr(field, format, args...)
	}
}

func children(e *etree.Element, tag string) []*etree.Element {
	if e == nil {
		return nil
	}
	var out []*etree.Element
	for _, c := range e.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == nsEdXML {
			out = append(out, c)
		}
	}
	return out
}

func child(e *etree.Element, tag string) *etree.Element {
	if c := children(e, tag); len(c) > 0 {
		return c[0]
	}
	return nil
}

// text is the element's text as written; trimmed is for ids, codes and dates.
func text(e *etree.Element, tag string) string {
	if c := child(e, tag); c != nil {
		return c.Text()
	}
	return ""
}

func trimmed(e *etree.Element, tag string) string { return strings.TrimSpace(text(e, tag)) }

func (r *reader) int(e *etree.Element, tag string) int {
	s := trimmed(e, tag)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		r.fail(fieldPath(child(e, tag)), "giá trị %s phải là số nguyên: %q", tag, s)
	}
	return n
}

var (
	dateLayouts      = []string{dateLayout, "2006-01-02", "02/01/2006"}
	timestampLayouts = []string{timestampLayout, "2006-01-02 15:04:05", "02/01/2006 15:04:05", "2006-01-02T15:04:05", time.RFC3339}
)

func (r *reader) time(e *etree.Element, tag string, layouts []string, human string) time.Time {
	s := trimmed(e, tag)
	if s == "" {
		return time.Time{}
	}
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l, s, vietnam); err == nil {
			return t
		}
	}
	r.fail(fieldPath(child(e, tag)), "%s không đúng định dạng %s: %q", tag, human, s)
	return time.Time{}
}

func (r *reader) date(e *etree.Element, tag string) time.Time {
	return r.time(e, tag, dateLayouts, "yyyy/MM/dd")
}

func (r *reader) timestamp(e *etree.Element, tag string) time.Time {
	return r.time(e, tag, timestampLayouts, "yyyy/MM/dd HH:mm:ss")
}

func organisation(e *etree.Element) Organisation {
	return Organisation{
		OrganID:              trimmed(e, "OrganId"),
		OrganName:            text(e, "OrganName"),
		OrganizationInCharge: text(e, "OrganizationInCharge"),
		OrganAdd:             text(e, "OrganAdd"),
		Email:                trimmed(e, "Email"),
		Telephone:            trimmed(e, "Telephone"),
		Fax:                  trimmed(e, "Fax"),
		Website:              trimmed(e, "Website"),
	}
}

func (r *reader) responseFor(e *etree.Element) ResponseFor {
	return ResponseFor{
		OrganID:          trimmed(e, "OrganId"),
		Code:             trimmed(e, "Code"),
		PromulgationDate: r.date(e, "PromulgationDate"),
		DocumentID:       trimmed(e, "DocumentId"),
	}
}

func staffInfo(e *etree.Element) StaffInfo {
	return StaffInfo{
		Staff:      text(e, "Staff"),
		Department: text(e, "Department"),
		Email:      trimmed(e, "Email"),
		Mobile:     trimmed(e, "Mobile"),
	}
}

func (r *reader) header(root *etree.Element, want string) *etree.Element {
	h := child(child(root, "edXMLEnvelope"), "edXMLHeader")
	if h == nil {
		r.fail("edXMLEnvelope/edXMLHeader", "thiếu phần tử edXMLEnvelope/edXMLHeader")
		return nil
	}
	e := child(h, want)
	if e == nil {
		r.fail(want, "thiếu phần tử %s", want)
	}
	return e
}

func (r *reader) pkg(root *etree.Element) *Package {
	mh := r.header(root, "MessageHeader")
	if mh == nil {
		return nil
	}
	pkg := &Package{}
	h := &pkg.Header
	h.From = organisation(child(mh, "From"))
	for _, to := range children(mh, "To") {
		h.To = append(h.To, organisation(to))
	}
	code := child(mh, "Code")
	h.Code = Code{Number: trimmed(code, "CodeNumber"), Notation: trimmed(code, "CodeNotation")}
	pi := child(mh, "PromulgationInfo")
	h.PromulgationInfo = PromulgationInfo{Place: text(pi, "Place"), Date: r.date(pi, "PromulgationDate")}
	dt := child(mh, "DocumentType")
	h.DocumentType = DocumentType{Type: r.int(dt, "Type"), TypeName: text(dt, "TypeName")}
	h.Subject = text(mh, "Subject")
	h.Content = text(mh, "Content")
	si := child(mh, "SignerInfo")
	h.SignerInfo = SignerInfo{Competence: text(si, "Competence"), Position: text(si, "Position"), FullName: text(si, "FullName")}
	h.DueDate = r.date(mh, "DueDate")
	h.Priority = Priority(r.int(child(mh, "OtherInfo"), "Priority"))
	for _, rf := range children(mh, "ResponseFor") {
		h.ResponseFor = append(h.ResponseFor, r.responseFor(rf))
	}
	h.SteeringType = SteeringType(r.int(mh, "SteeringType"))
	if h.SteeringType == 0 {
		h.SteeringType = SteeringNone // senders that write 0 for "none"
	}
	h.DocumentID = trimmed(mh, "DocumentId")

	thl := child(child(child(root, "edXMLEnvelope"), "edXMLHeader"), "TraceHeaderList")
	for _, th := range children(thl, "TraceHeader") {
		pkg.Trace.Traces = append(pkg.Trace.Traces, TraceHeader{OrganID: trimmed(th, "OrganId"), Timestamp: r.timestamp(th, "Timestamp")})
	}
	if b := child(thl, "Bussiness"); b != nil {
		pkg.Trace.Business = Business{
			Type:   BusinessType(r.int(b, "BussinessDocType")),
			Reason: text(b, "BussinessDocReason"),
			Paper:  trimmed(b, "Paper") == "1" || strings.EqualFold(trimmed(b, "Paper"), "true"),
			Staff:  staffInfo(child(b, "StaffInfo")),
		}
	}
	pkg.Attachments = r.attachments(root)
	return pkg
}

// attachments reads AttachmentEncoded, whose elements some senders write in
// no namespace, and checks that the manifest lists nothing missing.
func (r *reader) attachments(root *etree.Element) []Attachment {
	var enc *etree.Element
	for _, c := range root.ChildElements() {
		if c.Tag == "AttachmentEncoded" && anyEdXMLNS(c) {
			enc = c
			break
		}
	}
	if enc == nil {
		return nil
	}
	var out []Attachment
	for i, a := range looseChildren(enc, "Attachment") {
		field := fmt.Sprintf("AttachmentEncoded/Attachment[%d]", i+1)
		raw := stripSpace(looseText(a, "ContentTransferEncoded"))
		data, err := base64.StdEncoding.DecodeString(raw)
		if err != nil {
			r.fail(field+"/ContentTransferEncoded", "nội dung tệp đính kèm không phải base64 hợp lệ (%s)", field)
		}
		out = append(out, Attachment{
			ContentID:   contentID(looseText(a, "ContentId")),
			ContentType: strings.TrimSpace(looseText(a, "ContentType")),
			FileName:    looseText(a, "AttachmentName"),
			Description: looseText(a, "Description"),
			Data:        data,
		})
	}
	manifest := child(child(child(root, "edXMLEnvelope"), "edXMLBody"), "edXMLManifest")
	for _, ref := range children(manifest, "Reference") {
		id := contentID(text(ref, "ContentId"))
		if id == "" {
			for _, a := range ref.Attr {
				if a.Key == "href" {
					id = contentID(a.Value)
				}
			}
		}
		found := false
		for _, a := range out {
			found = found || a.ContentID == id
		}
		if !found {
			r.fail("edXMLManifest/Reference", "danh mục tệp đính kèm có tệp %q nhưng gói tin không chứa tệp này", id)
		}
	}
	return out
}

func anyEdXMLNS(e *etree.Element) bool {
	ns := e.NamespaceURI()
	return ns == nsEdXML || ns == ""
}

func looseChildren(e *etree.Element, tag string) []*etree.Element {
	var out []*etree.Element
	for _, c := range e.ChildElements() {
		if c.Tag == tag && anyEdXMLNS(c) {
			out = append(out, c)
		}
	}
	return out
}

func looseText(e *etree.Element, tag string) string {
	if c := looseChildren(e, tag); len(c) > 0 {
		return c[0].Text()
	}
	return ""
}

// contentID strips the "cid:" scheme and angle brackets some senders add.
func contentID(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 4 && strings.EqualFold(s[:4], "cid:") {
		s = s[4:]
	}
	return strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
}

func (r *reader) status(root *etree.Element) *Status {
	st := r.header(root, "Status")
	if st == nil {
		return nil
	}
	return &Status{
		From:        organisation(child(st, "From")),
		To:          organisation(child(st, "To")),
		ResponseFor: r.responseFor(child(st, "ResponseFor")),
		StatusCode:  trimmed(st, "StatusCode"),
		Description: text(st, "Description"),
		Timestamp:   r.timestamp(st, "Timestamp"),
		Staff:       staffInfo(child(st, "StaffInfo")),
	}
}
