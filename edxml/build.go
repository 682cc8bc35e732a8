package edxml

import (
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/hcm-edu/vanban/internal/domain"
)

const (
	nsEdXML = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
	nsXLink = "http://www.w3.org/1999/xlink"
	pfx     = "edXML:" // the prefix the axis expects on envelope elements
)

var vietnam = domain.VietnamTime

const (
	dateLayout      = "2006/01/02"
	timestampLayout = "2006/01/02 15:04:05"
)

func formatDate(t time.Time) string      { return t.In(vietnam).Format(dateLayout) }
func formatTimestamp(t time.Time) string { return t.In(vietnam).Format(timestampLayout) }

// Build validates p, writes it as an edXML package and signs it with key.
// Dates are written in Vietnam time (yyyy/MM/dd), timestamps to the second.
// It returns a *FormatError for a package that breaks a rule, and an error
// wrapping ErrBadKey for a key it cannot use (not RSA, or not the leaf's).
func Build(pkg Package, key Signer) ([]byte, error) {
	if err := validatePackage(&pkg); err != nil {
		return nil, err
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	return encodePackage(&pkg, key)
}

// encodePackage writes and signs pkg without validating it.
func encodePackage(pkg *Package, key Signer) ([]byte, error) {
	doc, root, header := newDocument()
	w := &writer{}
	w.messageHeader(header, &pkg.Header)
	w.traceHeaderList(header, &pkg.Trace)

	manifest := header.Parent().CreateElement(pfx + "edXMLBody").CreateElement(pfx + "edXMLManifest")
	manifest.CreateAttr("version", "1.0")
	encoded := root.CreateElement("AttachmentEncoded")
	for _, a := range pkg.Attachments {
		ref := manifest.CreateElement(pfx + "Reference")
		ref.CreateAttr("xmlns:xlink", nsXLink)
		ref.CreateAttr("xlink:href", "cid:"+a.ContentID)
		ref.CreateAttr("xlink:type", "simple")
		w.text(ref, "ContentId", a.ContentID)
		w.text(ref, "ContentType", a.ContentType)
		w.text(ref, "AttachmentName", a.FileName)
		w.optText(ref, "Description", a.Description)

		att := encoded.CreateElement("Attachment")
		w.plainText(att, "ContentType", a.ContentType)
		w.plainText(att, "ContentId", a.ContentID)
		w.plainText(att, "Description", a.Description)
		w.plainText(att, "ContentTransferEncoded", base64.StdEncoding.EncodeToString(a.Data))
		w.plainText(att, "AttachmentName", a.FileName)
	}
	if w.err != nil {
		return nil, w.err
	}
	return finish(doc, root, header, key)
}

// BuildStatus validates s, writes it as an edXML status message and signs
// it with key.
func BuildStatus(s Status, key Signer) ([]byte, error) {
	if err := validateStatus(&s); err != nil {
		return nil, err
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	return encodeStatus(&s, key)
}

// encodeStatus writes and signs s without validating it.
func encodeStatus(s *Status, key Signer) ([]byte, error) {
	doc, root, header := newDocument()
	w := &writer{}
	st := header.CreateElement(pfx + "Status")
	w.organisation(st, "From", s.From)
	w.organisation(st, "To", s.To)
	w.responseFor(st, s.ResponseFor)
	w.staffInfo(st, s.Staff)
	w.text(st, "StatusCode", s.StatusCode)
	w.text(st, "Description", s.Description)
	w.text(st, "Timestamp", formatTimestamp(s.Timestamp))
	if w.err != nil {
		return nil, w.err
	}
	return finish(doc, root, header, key)
}

// newDocument lays out edXML/edXMLEnvelope/edXMLHeader the way the
// Government Office's SDK sample does: a default namespace on the root and
// the edXML prefix declared on the envelope.
func newDocument() (doc *etree.Document, root, header *etree.Element) {
	doc = etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	root = doc.CreateElement("edXML")
	root.CreateAttr("xmlns", nsEdXML)
	env := root.CreateElement(pfx + "edXMLEnvelope")
	env.CreateAttr("xmlns:edXML", nsEdXML)
	header = env.CreateElement(pfx + "edXMLHeader")
	return doc, root, header
}

func finish(doc *etree.Document, root, header *etree.Element, key Signer) ([]byte, error) {
	// Indent before signing: whitespace is content, and the Signature is
	// then added without any around it, so that removing it (the enveloped
	// transform) gives back exactly what was signed.
	doc.Indent(2)
	if err := sign(root, header, key); err != nil {
		return nil, err
	}
	// Escape \r and attribute whitespace so that a reader's line-end and
	// attribute normalisation cannot change what was signed.
	doc.WriteSettings = etree.WriteSettings{CanonicalText: true, CanonicalAttrVal: true, CanonicalEndTags: true}
	return doc.WriteToBytes()
}

// writer writes elements and keeps the first text that XML cannot carry.
type writer struct {
	err *FormatError
}

func (w *writer) check(e *etree.Element, value string) {
	if w.err == nil && !validXMLText(value) {
		w.err = formatErr(fieldPath(e), "có ký tự không hợp lệ trong XML (%s)", fieldPath(e))
	}
}

// text writes an edXML-prefixed element with value.
func (w *writer) text(parent *etree.Element, tag, value string) {
	e := parent.CreateElement(pfx + tag)
	w.check(e, value)
	e.SetText(value)
}

// optText writes the element only when value is not empty.
func (w *writer) optText(parent *etree.Element, tag, value string) {
	if value != "" {
		w.text(parent, tag, value)
	}
}

// plainText writes an unprefixed element (AttachmentEncoded's children).
func (w *writer) plainText(parent *etree.Element, tag, value string) {
	e := parent.CreateElement(tag)
	w.check(e, value)
	e.SetText(value)
}

func (w *writer) organisation(parent *etree.Element, tag string, o Organisation) {
	e := parent.CreateElement(pfx + tag)
	w.text(e, "OrganId", o.OrganID)
	w.optText(e, "OrganizationInCharge", o.OrganizationInCharge)
	w.text(e, "OrganName", o.OrganName)
	w.optText(e, "OrganAdd", o.OrganAdd)
	w.optText(e, "Email", o.Email)
	w.optText(e, "Telephone", o.Telephone)
	w.optText(e, "Fax", o.Fax)
	w.optText(e, "Website", o.Website)
}

func (w *writer) responseFor(parent *etree.Element, r ResponseFor) {
	e := parent.CreateElement(pfx + "ResponseFor")
	w.text(e, "OrganId", r.OrganID)
	w.text(e, "Code", r.Code)
	if !r.PromulgationDate.IsZero() {
		w.text(e, "PromulgationDate", formatDate(r.PromulgationDate))
	}
	w.text(e, "DocumentId", r.DocumentID)
}

func (w *writer) staffInfo(parent *etree.Element, s StaffInfo) {
	e := parent.CreateElement(pfx + "StaffInfo")
	w.text(e, "Department", s.Department)
	w.text(e, "Staff", s.Staff)
	w.text(e, "Mobile", s.Mobile)
	w.text(e, "Email", s.Email)
}

func (w *writer) messageHeader(parent *etree.Element, h *MessageHeader) {
	mh := parent.CreateElement(pfx + "MessageHeader")
	w.organisation(mh, "From", h.From)
	for _, to := range h.To {
		w.organisation(mh, "To", to)
	}
	code := mh.CreateElement(pfx + "Code")
	w.text(code, "CodeNumber", h.Code.Number)
	w.text(code, "CodeNotation", h.Code.Notation)
	pi := mh.CreateElement(pfx + "PromulgationInfo")
	w.text(pi, "Place", h.PromulgationInfo.Place)
	w.text(pi, "PromulgationDate", formatDate(h.PromulgationInfo.Date))
	dt := mh.CreateElement(pfx + "DocumentType")
	w.text(dt, "Type", strconv.Itoa(h.DocumentType.Type))
	w.text(dt, "TypeName", h.DocumentType.TypeName)
	w.text(mh, "Subject", h.Subject)
	w.optText(mh, "Content", h.Content)
	si := mh.CreateElement(pfx + "SignerInfo")
	w.text(si, "Competence", h.SignerInfo.Competence)
	w.text(si, "Position", h.SignerInfo.Position)
	w.text(si, "FullName", h.SignerInfo.FullName)
	if !h.DueDate.IsZero() {
		w.text(mh, "DueDate", formatDate(h.DueDate))
	}
	oi := mh.CreateElement(pfx + "OtherInfo")
	w.text(oi, "Priority", strconv.Itoa(int(h.Priority)))
	for _, r := range h.ResponseFor {
		w.responseFor(mh, r)
	}
	steering := h.SteeringType
	if steering == 0 {
		steering = SteeringNone
	}
	w.text(mh, "SteeringType", strconv.Itoa(int(steering)))
	w.text(mh, "DocumentId", h.DocumentID)
}

func (w *writer) traceHeaderList(parent *etree.Element, t *TraceHeaderList) {
	thl := parent.CreateElement(pfx + "TraceHeaderList")
	for _, tr := range t.Traces {
		th := thl.CreateElement(pfx + "TraceHeader")
		w.text(th, "OrganId", tr.OrganID)
		w.text(th, "Timestamp", formatTimestamp(tr.Timestamp))
	}
	b := thl.CreateElement(pfx + "Bussiness")
	w.text(b, "BussinessDocType", strconv.Itoa(int(t.Business.Type)))
	w.optText(b, "BussinessDocReason", t.Business.Reason)
	if t.Business.Staff != (StaffInfo{}) {
		w.staffInfo(b, t.Business.Staff)
	}
	paper := "0"
	if t.Business.Paper {
		paper = "1"
	}
	w.text(b, "Paper", paper)
}

// fieldPath names e for a FormatError: its tags from below the header (or
// from AttachmentEncoded) down, e.g. "MessageHeader/From/OrganName".
func fieldPath(e *etree.Element) string {
	var parts []string
	for ; e != nil; e = e.Parent() {
		if e.Tag == "edXMLHeader" || e.Tag == "edXMLBody" || e.Tag == "edXML" {
			break
		}
		parts = append(parts, e.Tag)
	}
	slices.Reverse(parts)
	return strings.Join(parts, "/")
}
