package edxml

import (
	"crypto"
	"crypto/x509"
	"slices"
	"time"
)

// Signer is a private key and the certificate chain that names it, leaf
// first. It has the shape of signing.Key, so edxml.Signer(key) converts one.
type Signer struct {
	Signer crypto.Signer
	Chain  []*x509.Certificate
}

// Organisation is a sender or receiver. OrganID is the mã định danh of
// Decision 20/2020/QĐ-TTg; the other fields besides OrganName are optional.
type Organisation struct {
	OrganID              string
	OrganName            string
	OrganizationInCharge string // cơ quan chủ quản
	OrganAdd             string
	Email                string
	Telephone            string
	Fax                  string
	Website              string
}

// Code is the number and notation (số, ký hiệu), e.g. 207 / KH-SGDĐT.
type Code struct {
	Number   string
	Notation string
}

// PromulgationInfo is where and when the document was issued.
type PromulgationInfo struct {
	Place string
	Date  time.Time
}

// DocumentType is the kind of document: a code and its name (Kế hoạch, Công văn…).
type DocumentType struct {
	Type     int
	TypeName string
}

// SignerInfo names who signed the paper: Competence is the authority under
// which they signed (e.g. "KT. GIÁM ĐỐC"), Position their title.
type SignerInfo struct {
	Competence string
	Position   string
	FullName   string
}

// Priority is the urgency (độ khẩn).
type Priority int

// Priorities.
const (
	PriorityNormal       Priority = 0 // thường
	PriorityUrgent       Priority = 1 // khẩn
	PriorityVeryUrgent   Priority = 2 // thượng khẩn
	PriorityFlash        Priority = 3 // hỏa tốc
	PriorityFlashOnTimer Priority = 4 // hỏa tốc hẹn giờ
)

// SteeringType says whether the document directs or reports on a directive.
type SteeringType int

// Steering types. A zero SteeringType is written as SteeringNone.
const (
	SteeringNone      SteeringType = 1
	SteeringDirective SteeringType = 2
	SteeringReport    SteeringType = 3
)

// ResponseFor identifies an earlier document this one answers.
type ResponseFor struct {
	OrganID          string
	Code             string // number/notation as one string, e.g. "207/KH-SGDĐT"
	PromulgationDate time.Time
	DocumentID       string
}

// MessageHeader is the document's metadata.
type MessageHeader struct {
	From             Organisation
	To               []Organisation
	Code             Code
	PromulgationInfo PromulgationInfo
	DocumentType     DocumentType
	Subject          string // trích yếu
	Content          string // optional
	SignerInfo       SignerInfo
	DueDate          time.Time // zero: none
	Priority         Priority
	ResponseFor      []ResponseFor
	SteeringType     SteeringType
	// DocumentID is the document's unique id in the sender's system; status
	// messages refer to it.
	DocumentID string
}

// BusinessType says what a package does to the document.
type BusinessType int

// Business types.
const (
	BusinessNew     BusinessType = 0
	BusinessRecall  BusinessType = 1
	BusinessUpdate  BusinessType = 2
	BusinessReplace BusinessType = 3
)

// StaffInfo is the person who handled the message.
type StaffInfo struct {
	Staff      string // full name
	Department string
	Email      string
	Mobile     string
}

// Business is the TraceHeaderList's Bussiness element.
type Business struct {
	Type   BusinessType
	Reason string // why a recall, update or replacement
	Paper  bool   // a paper copy is also sent
	Staff  StaffInfo
}

// TraceHeader is one hop: which organisation handled the package, and when.
type TraceHeader struct {
	OrganID   string
	Timestamp time.Time
}

// TraceHeaderList is the package's business type and its trace.
type TraceHeaderList struct {
	Business Business
	Traces   []TraceHeader
}

// Attachment is one file; Data is the decoded content.
type Attachment struct {
	ContentID   string
	ContentType string
	FileName    string
	Description string
	Data        []byte
}

// Package is an edXML package.
type Package struct {
	Header      MessageHeader
	Trace       TraceHeaderList
	Attachments []Attachment
	// Chain is the signer's certificate chain as found in KeyInfo, leaf
	// first. Parse sets it; Build ignores it.
	Chain []*x509.Certificate
}

// Status codes a receiver reports back (QCVN 102:2016). They are also the
// states of a delivery in package routing: a new code is added here, in
// StatusCodes, and given a label there.
const (
	StatusArrived         = "01" // đã đến
	StatusRefused         = "02" // từ chối (also: refuse a recall)
	StatusAccepted        = "03" // tiếp nhận, vào sổ (also: accept a recall)
	StatusAssigned        = "04" // lãnh đạo phân công
	StatusInProgress      = "05" // đang xử lý
	StatusDone            = "06" // hoàn thành
	StatusRecallRequested = "13" // đề nghị thu hồi
	StatusRecallAccepted  = "15" // đồng ý thu hồi/cập nhật
	StatusRecallRefused   = "16" // từ chối thu hồi/cập nhật
)

// StatusCodes lists the status codes above, in order.
var StatusCodes = []string{StatusArrived, StatusRefused, StatusAccepted, StatusAssigned, StatusInProgress,
	StatusDone, StatusRecallRequested, StatusRecallAccepted, StatusRecallRefused}

// ValidStatusCode reports whether code is one of StatusCodes.
func ValidStatusCode(code string) bool { return slices.Contains(StatusCodes, code) }

// Status is a receiver's report on a document it got.
type Status struct {
	From        Organisation
	To          Organisation
	ResponseFor ResponseFor
	StatusCode  string
	Description string
	Timestamp   time.Time
	Staff       StaffInfo
	// Chain is the signer's certificate chain; ParseStatus sets it.
	Chain []*x509.Certificate
}
