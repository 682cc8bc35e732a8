package httpx

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/convert"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/pdfguard"
	"github.com/hcm-edu/vanban/meetings"
	"github.com/hcm-edu/vanban/org"
	"github.com/hcm-edu/vanban/routing"
	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/storage"
	"github.com/lib/pq"
)

// Problem is what a client is told about a failed request.
type Problem struct {
	Status     int               `json:"-"`
	Code       string            `json:"code"`
	Message    string            `json:"message"`
	Fields     map[string]string `json:"fields,omitempty"`
	RequestID  string            `json:"request_id,omitempty"`
	Current    string            `json:"current_version_sha256,omitempty"`
	State      string            `json:"current_state,omitempty"`
	RetryAfter int               `json:"-"` // seconds, for a Retry-After header
}

// errBadRequest is a client error whose message is safe to show as is.
type errBadRequest struct {
	status  int
	code    string
	message string
}

func (e *errBadRequest) Error() string { return e.message }

// BadRequest is a client error with its status, code and a message that
// says what to fix.
func BadRequest(status int, code, message string) error {
	return &errBadRequest{status: status, code: code, message: message}
}

var errCSRF = BadRequest(fiber.StatusForbidden, "csrf", "Phiên biểu mẫu đã hết hạn hoặc không hợp lệ; hãy tải lại trang và thử lại")

var errAPICSRF = BadRequest(fiber.StatusForbidden, "csrf",
	"Gọi API bằng cookie phiên thì phải gửi kèm tiêu đề X-CSRF-Token (mã chống giả mạo của phiên, có trong thẻ meta csrf-token của trang); hoặc dùng Authorization: Bearer <token>")

// ToProblem maps an error to a status and a message that says what to fix;
// maxUpload is the upload limit its message quotes. Anything unexpected
// becomes a 500 that reveals nothing internal.
func ToProblem(err error, maxUpload int64) Problem {
	var ve *domain.ValidationError
	var br *errBadRequest
	var rl *auth.RateLimitedError
	var sf *auth.SecondFactorError
	var fe *fiber.Error
	var ce *documents.ConflictError
	var pe *domain.PreconditionError
	var ie *signing.ImageError
	var se *routing.StateError
	var ide *routing.IdempotencyError
	var ime *routing.ImportError
	var pke *meetings.PacketError
	var ge *pdfguard.Error
	switch {
	case errors.As(err, &pke):
		return Problem{Status: 422, Code: "packet_document", Message: pke.Message}
	case errors.As(err, &ime):
		status := 422
		if ime.Code == "edxml_duplicate" {
			status = 409
		}
		return Problem{Status: status, Code: ime.Code, Message: ime.Message}
	case errors.As(err, &ge) && ge.Limit():
		// A file refused by the guard: its message says what is wrong. A
		// stream or cross-reference that does not hold together is damage,
		// as a truncated file is, and keeps the bad_pdf code clients know.
		code := ge.Code
		if code == pdfguard.CodeStream || code == pdfguard.CodeXRef {
			code = "bad_pdf"
		}
		return Problem{Status: 422, Code: code, Message: ge.Message}
	case errors.As(err, &se):
		return Problem{Status: 409, Code: "illegal_transition", State: se.Current, Message: se.Message}
	case errors.As(err, &ide):
		return Problem{Status: 422, Code: "idempotency_key_reused",
			Message: "Idempotency-Key này đã dùng cho một yêu cầu khác; hãy dùng khóa mới cho yêu cầu mới"}
	case errors.As(err, &ve):
		return Problem{Status: 422, Code: "validation_failed", Message: "Thông tin chưa hợp lệ; hãy sửa các trường được nêu", Fields: ve.Fields}
	case errors.As(err, &br):
		return Problem{Status: br.status, Code: br.code, Message: br.message}
	case errors.As(err, &ce):
		return Problem{Status: 409, Code: "version_conflict", Current: ce.Current,
			Message: "Văn bản đã có phiên bản mới hơn phiên bản bạn đã xem; hãy tải lại trang, xem phiên bản mới rồi ký"}
	case errors.As(err, &pe):
		return Problem{Status: 409, Code: pe.Code, Message: pe.Message}
	case errors.As(err, &ie):
		return Problem{Status: 422, Code: "bad_image", Message: ie.Message, Fields: map[string]string{"image": ie.Message}}
	case errors.Is(err, signing.ErrBadImage):
		return Problem{Status: 422, Code: "bad_image", Message: "Ảnh phải là PNG nền trong suốt, tối đa 2 MiB và 3000×3000 điểm ảnh"}
	case errors.Is(err, signing.ErrEncrypted):
		return Problem{Status: 422, Code: "encrypted_pdf", Message: "Tệp PDF đang được đặt mật khẩu; hãy gỡ mật khẩu rồi thử lại"}
	case errors.Is(err, signing.ErrBadPDF):
		return Problem{Status: 422, Code: "bad_pdf", Message: "Tệp PDF bị hỏng hoặc không đọc được nên không ký được"}
	case errors.Is(err, signing.ErrTSA):
		return Problem{Status: 503, Code: "tsa_unavailable", Message: "Máy chủ cấp dấu thời gian không phản hồi; chưa ký, hãy thử lại sau"}
	case errors.Is(err, signing.ErrCertificateExpired):
		return Problem{Status: 409, Code: "certificate_expired", Message: "Chứng thư số đã hết hạn hoặc chưa có hiệu lực; hãy gia hạn chứng thư số"}
	case errors.Is(err, domain.ErrNotFound), errors.Is(err, org.ErrNotFound):
		return Problem{Status: 404, Code: "not_found", Message: "Không tìm thấy"}
	case errors.Is(err, domain.ErrForbidden):
		return Problem{Status: 403, Code: "forbidden", Message: "Vai trò của bạn không được phép thực hiện thao tác này"}
	case errors.Is(err, documents.ErrTooLarge):
		return Problem{Status: 413, Code: "too_large", Message: fmt.Sprintf("Tệp vượt quá giới hạn %s", HumanBytes(maxUpload))}
	case errors.Is(err, documents.ErrNotPDF):
		return Problem{Status: 415, Code: "not_pdf", Message: "Chỉ nhận tệp PDF: nội dung tệp này không phải PDF"}
	case errors.Is(err, documents.ErrEncryptedPDF):
		return Problem{Status: 422, Code: "encrypted_pdf", Message: "Tệp PDF có mật khẩu mở tệp nên hệ thống không đọc được; hãy lưu lại bản không đặt mật khẩu rồi tải lên lại"}
	case errors.Is(err, documents.ErrBadPDF):
		return Problem{Status: 422, Code: "bad_pdf", Message: "Tệp PDF bị hỏng hoặc không đầy đủ (có thể tải lên bị ngắt); hãy xuất lại tệp PDF và thử lại"}
	case errors.Is(err, convert.ErrUnavailable):
		return Problem{Status: 503, Code: "converter_unavailable", RetryAfter: 30,
			Message: "Chưa chuyển được tệp Word sang PDF: bộ chuyển đổi tạm thời không hoạt động. Hãy thử lại sau, hoặc tự lưu tệp dưới dạng PDF rồi tải lên"}
	case errors.Is(err, documents.ErrIncomplete):
		return Problem{Status: 400, Code: "incomplete_upload", Message: "Tải lên bị ngắt giữa chừng; hãy thử lại"}
	case errors.Is(err, auth.ErrBadCredentials):
		return Problem{Status: 401, Code: "bad_credentials", Message: "Sai tên đăng nhập hoặc mật khẩu"}
	case errors.Is(err, auth.ErrUnauthenticated):
		return Problem{Status: 401, Code: "unauthenticated", Message: "Cần đăng nhập"}
	case errors.As(err, &sf):
		if sf.RetryAfter > 0 {
			return Problem{Status: 429, Code: sf.Code, RetryAfter: int(sf.RetryAfter.Seconds()) + 1, Message: sf.Message}
		}
		pr := Problem{Status: 403, Code: sf.Code, Message: sf.Message}
		if sf.Code != auth.ErrEnrolmentRequired.Code {
			pr.Fields = map[string]string{"otp": sf.Message}
		}
		return pr
	case errors.As(err, &rl):
		secs := int(rl.RetryAfter.Seconds()) + 1
		return Problem{Status: 429, Code: "too_many_attempts", RetryAfter: secs,
			Message: fmt.Sprintf("Đăng nhập sai quá nhiều lần; hãy thử lại sau %d phút", (secs+59)/60)}
	case errors.As(err, &fe):
		// Fiber's and fasthttp's own refusals: their messages are English
		// and may quote the request, so each gets one of ours.
		switch fe.Code {
		case fiber.StatusNotFound:
			return Problem{Status: 404, Code: "not_found", Message: "Không tìm thấy"}
		case fiber.StatusMethodNotAllowed:
			return Problem{Status: 405, Code: "method_not_allowed", Message: "Địa chỉ này không nhận phương thức HTTP đã dùng; hãy xem tài liệu API (/api/v1/openapi.json)"}
		case fiber.StatusRequestTimeout:
			return Problem{Status: 408, Code: "request_timeout", Message: "Yêu cầu gửi đến quá chậm nên đã bị ngắt; hãy thử lại"}
		case fiber.StatusRequestEntityTooLarge:
			return Problem{Status: 413, Code: "too_large", Message: "Nội dung yêu cầu quá lớn"}
		case fiber.StatusRequestHeaderFieldsTooLarge:
			return Problem{Status: 431, Code: "headers_too_large",
				Message: "Phần tiêu đề (header) của yêu cầu quá lớn, thường do có quá nhiều cookie; hãy xóa cookie của trang này rồi thử lại"}
		}
		if fe.Code < 500 {
			return Problem{Status: fe.Code, Code: "bad_request", Message: "Yêu cầu HTTP không hợp lệ; hãy kiểm tra địa chỉ, các tiêu đề và nội dung gửi đi"}
		}
	case isUnavailable(err):
		return Problem{Status: 503, Code: "unavailable", Message: "Hệ thống tạm thời không kết nối được cơ sở dữ liệu hoặc kho lưu trữ; vui lòng thử lại sau ít phút"}
	}
	return Problem{Status: 500, Code: "internal", Message: "Lỗi hệ thống; hãy báo quản trị viên kèm mã yêu cầu"}
}

// isUnavailable reports whether err means PostgreSQL or the store could not
// be reached, as opposed to a bug.
func isUnavailable(err error) bool {
	var netErr net.Error
	var opErr *net.OpError
	var pqErr *pq.Error
	switch {
	case errors.Is(err, storage.ErrUnavailable),
		errors.Is(err, driver.ErrBadConn),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &opErr),
		errors.As(err, &netErr):
		return true
	case errors.As(err, &pqErr):
		// Class 08: connection exception; 57P: operator intervention
		// (shutdown, cannot connect now); 53: insufficient resources.
		c := string(pqErr.Code)
		return len(c) == 5 && (c[:2] == "08" || c[:3] == "57P" || c[:2] == "53")
	}
	return false
}

// handleError is Fiber's ErrorHandler: every handler returns its error here.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	p := ToProblem(err, s.cfg.MaxUploadBytes)
	if p.RequestID = RequestID(c); p.RequestID == "" { // refused before begin ran
		p.RequestID = newRequestID()
		c.Set("X-Request-ID", p.RequestID)
	}
	if p.Status >= 500 {
		s.log.Error("request failed", "request_id", p.RequestID, "method", c.Method(), "path", c.Path(),
			"status", p.Status, "error", err)
	} else if errors.Is(err, context.Canceled) {
		s.log.Info("request cancelled", "request_id", p.RequestID, "path", c.Path())
	}
	if p.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(p.RetryAfter))
	}
	if IsUpload(c) {
		DrainUpload(c)
	}
	if wantsHTML(c) {
		return s.errorPage(c, p)
	}
	return c.Status(p.Status).JSON(fiber.Map{"error": p})
}

// HumanBytes writes a size the way people read it: "32.0 MiB".
func HumanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// DrainUpload reads and discards what is left of a refused upload, for a
// bounded time, before the connection is closed. Closing a socket with
// unread data makes the kernel reset it, and the client (browsers
// included) would then see "connection reset" instead of the 4xx message
// (the "lingering close" of nginx and Apache).
func DrainUpload(c *fiber.Ctx) {
	c.Context().SetConnectionClose()
	body := c.Context().RequestBodyStream()
	if body == nil {
		return
	}
	if conn := c.Context().Conn(); conn != nil {
		conn.SetReadDeadline(time.Now().Add(drainTime))
		defer conn.SetReadDeadline(time.Time{})
	}
	io.CopyN(io.Discard, body, drainBytes)
}

const (
	drainTime  = 10 * time.Second
	drainBytes = 4 << 30
)
