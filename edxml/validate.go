package edxml

import (
	"bytes"
	"fmt"
	"regexp"
	"unicode/utf8"
)

// organIDPattern is the mã định danh of Decision 20/2020/QĐ-TTg: at least
// three groups of two or three digits or capitals, then a letter and two
// digits, e.g. 000.00.00.H29 or 000.00.04.G14.
var organIDPattern = regexp.MustCompile(`^([0-9A-Z]{2,3}\.){3,}[A-Z][0-9]{2}$`)

const maxOrganIDLen = 35

func checkOrganID(field, what, id string) *FormatError {
	if id == "" {
		return formatErr(field, "thiếu mã định danh %s (%s)", what, field)
	}
	if len(id) > maxOrganIDLen || !organIDPattern.MatchString(id) {
		return formatErr(field, "mã định danh %s (%s) không đúng định dạng: %q", what, field, id)
	}
	return nil
}

func checkOrganisation(field, what string, o Organisation) *FormatError {
	if err := checkOrganID(field+"/OrganId", what, o.OrganID); err != nil {
		return err
	}
	if o.OrganName == "" {
		return formatErr(field+"/OrganName", "thiếu tên %s (%s/OrganName)", what, field)
	}
	return nil
}

func validatePackage(p *Package) *FormatError {
	h := &p.Header
	if err := checkOrganisation("MessageHeader/From", "cơ quan gửi", h.From); err != nil {
		return err
	}
	if len(h.To) == 0 {
		return formatErr("MessageHeader/To", "thiếu nơi nhận (MessageHeader/To)")
	}
	seen := map[string]bool{}
	for i, to := range h.To {
		f := fmt.Sprintf("MessageHeader/To[%d]", i+1)
		if err := checkOrganisation(f, "nơi nhận", to); err != nil {
			return err
		}
		if seen[to.OrganID] {
			return formatErr(f+"/OrganId", "nơi nhận %s bị lặp", to.OrganID)
		}
		seen[to.OrganID] = true
	}
	if h.Code.Notation == "" {
		return formatErr("MessageHeader/Code/CodeNotation", "thiếu ký hiệu văn bản (Code/CodeNotation)")
	}
	if h.PromulgationInfo.Date.IsZero() {
		return formatErr("MessageHeader/PromulgationInfo/PromulgationDate", "thiếu ngày ban hành (PromulgationInfo/PromulgationDate)")
	}
	if h.DocumentType.Type < 0 {
		return formatErr("MessageHeader/DocumentType/Type", "mã loại văn bản không hợp lệ: %d", h.DocumentType.Type)
	}
	if h.Subject == "" {
		return formatErr("MessageHeader/Subject", "thiếu trích yếu văn bản (Subject)")
	}
	if h.SignerInfo.FullName == "" {
		return formatErr("MessageHeader/SignerInfo/FullName", "thiếu họ tên người ký (SignerInfo/FullName)")
	}
	if h.Priority < PriorityNormal || h.Priority > PriorityFlashOnTimer {
		return formatErr("MessageHeader/OtherInfo/Priority", "độ khẩn không hợp lệ: %d (0–4)", h.Priority)
	}
	if h.SteeringType < 0 || h.SteeringType > SteeringReport {
		return formatErr("MessageHeader/SteeringType", "loại chỉ đạo không hợp lệ: %d (1–3)", h.SteeringType)
	}
	for i, r := range h.ResponseFor {
		f := fmt.Sprintf("MessageHeader/ResponseFor[%d]", i+1)
		if err := checkOrganID(f+"/OrganId", "cơ quan ban hành văn bản được trả lời", r.OrganID); err != nil {
			return err
		}
		if r.Code == "" && r.DocumentID == "" {
			return formatErr(f, "thiếu số, ký hiệu hoặc mã văn bản được trả lời (%s)", f)
		}
	}
	if h.DocumentID == "" {
		return formatErr("MessageHeader/DocumentId", "thiếu mã văn bản của bên gửi (DocumentId)")
	}
	t := &p.Trace
	if t.Business.Type < BusinessNew || t.Business.Type > BusinessReplace {
		return formatErr("TraceHeaderList/Bussiness/BussinessDocType", "loại nghiệp vụ không hợp lệ: %d (0–3)", t.Business.Type)
	}
	for i, tr := range t.Traces {
		f := fmt.Sprintf("TraceHeaderList/TraceHeader[%d]", i+1)
		if err := checkOrganID(f+"/OrganId", "cơ quan trong vết xử lý", tr.OrganID); err != nil {
			return err
		}
		if tr.Timestamp.IsZero() {
			return formatErr(f+"/Timestamp", "thiếu thời điểm trong vết xử lý (%s/Timestamp)", f)
		}
	}
	if len(p.Attachments) == 0 {
		return formatErr("AttachmentEncoded", "gói tin không có tệp đính kèm")
	}
	ids := map[string]bool{}
	pdf := false
	for i, a := range p.Attachments {
		f := fmt.Sprintf("AttachmentEncoded/Attachment[%d]", i+1)
		if a.ContentID == "" {
			return formatErr(f+"/ContentId", "thiếu mã tệp đính kèm (%s/ContentId)", f)
		}
		if ids[a.ContentID] {
			return formatErr(f+"/ContentId", "mã tệp đính kèm bị lặp: %q", a.ContentID)
		}
		ids[a.ContentID] = true
		if a.FileName == "" {
			return formatErr(f+"/AttachmentName", "thiếu tên tệp đính kèm (%s/AttachmentName)", f)
		}
		if len(a.Data) == 0 {
			return formatErr(f+"/ContentTransferEncoded", "tệp đính kèm %q rỗng", a.FileName)
		}
		if bytes.HasPrefix(a.Data, []byte("%PDF-")) {
			pdf = true
		}
	}
	if !pdf {
		return formatErr("AttachmentEncoded", "gói tin phải có ít nhất một tệp PDF (văn bản đã ký số)")
	}
	return nil
}

func validateStatus(s *Status) *FormatError {
	if err := checkOrganisation("Status/From", "cơ quan gửi", s.From); err != nil {
		return err
	}
	if err := checkOrganID("Status/To/OrganId", "cơ quan nhận", s.To.OrganID); err != nil {
		return err
	}
	if err := checkOrganID("Status/ResponseFor/OrganId", "cơ quan ban hành văn bản", s.ResponseFor.OrganID); err != nil {
		return err
	}
	if s.ResponseFor.DocumentID == "" {
		return formatErr("Status/ResponseFor/DocumentId", "thiếu mã văn bản được phản hồi (ResponseFor/DocumentId)")
	}
	if s.StatusCode == "" {
		return formatErr("Status/StatusCode", "thiếu mã trạng thái (StatusCode)")
	}
	if !ValidStatusCode(s.StatusCode) {
		return formatErr("Status/StatusCode", "mã trạng thái không hợp lệ: %q", s.StatusCode)
	}
	if s.Timestamp.IsZero() {
		return formatErr("Status/Timestamp", "thiếu thời điểm cập nhật trạng thái (Timestamp)")
	}
	return nil
}

// validXMLText reports whether s is UTF-8 made only of characters XML 1.0
// allows; anything else would be replaced on output and break the
// signature or the round trip.
func validXMLText(s string) bool {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return false
			}
		}
		switch {
		case r == 0x09 || r == 0x0A || r == 0x0D:
		case r >= 0x20 && r <= 0xD7FF:
		case r >= 0xE000 && r <= 0xFFFD:
		case r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
	}
	return true
}
