package httpx

import (
	"errors"
	"io"
	"mime/multipart"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/convert"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/drafting"
	"github.com/hcm-edu/vanban/internal/domain"
)

// ReceiveDraftFile takes the upload of a draft or a revision: fields and
// one "file" part, a PDF or a Word or ODT file, read whole (a draft is
// converted from memory) up to maxBytes. A web form (form) sends its CSRF
// token first, and an empty file part when no file was chosen.
func ReceiveDraftFile(c *fiber.Ctx, maxBytes int64, form bool) (map[string]string, drafting.File, error) {
	var f drafting.File
	seen := false
	fields, err := ReadUpload(c, UploadForm{CSRF: form, File: "file", MaxBytes: maxBytes, MaxFields: 32, MaxFieldBytes: 8 << 10},
		func(part *multipart.Part) error {
			if seen {
				return &domain.ValidationError{Fields: map[string]string{"file": "chỉ gửi một tệp mỗi lần"}}
			}
			seen = true
			b, err := io.ReadAll(io.LimitReader(part, maxBytes+1))
			if err != nil {
				return MultipartError(err)
			}
			if int64(len(b)) > maxBytes {
				return documents.ErrTooLarge
			}
			f = drafting.File{Name: part.FileName(), Data: b}
			return nil
		})
	if err == nil && len(f.Data) == 0 {
		err = &domain.ValidationError{Fields: map[string]string{"file": "hãy chọn tệp PDF, Word (.docx, .doc) hoặc ODT của dự thảo"}}
	}
	return fields, f, err
}

// DraftError gives the converter's errors their answer: 503 when it is
// unavailable (the upload kept for a retry, or not), 422 with its reason
// for a file it refuses. Other errors pass unchanged to the mapper.
func DraftError(err error) error {
	var bf *convert.BadFileError
	var pe *drafting.PendingError
	switch {
	case errors.As(err, &pe):
		return BadRequest(fiber.StatusServiceUnavailable, "conversion_pending", drafting.PendingMessage)
	case errors.Is(err, convert.ErrUnavailable):
		return BadRequest(fiber.StatusServiceUnavailable, "converter_unavailable",
			"Máy chuyển đổi tệp Word hiện không hoạt động; hãy thử lại sau hoặc tải lên bản PDF")
	case errors.As(err, &bf):
		return BadRequest(fiber.StatusUnprocessableEntity, "bad_office_file", bf.Reason)
	}
	return err
}

// SplitLines splits a textarea into its non-empty lines.
func SplitLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// SendDraftSource sends the Word or ODT original of a draft's revision
// (path parameters id and version), as the pages and the API both offer it.
func SendDraftSource(c *fiber.Ctx, drafts *drafting.Service) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	no, err := strconv.Atoi(c.Params("version"))
	if err != nil || no <= 0 {
		return fiber.ErrNotFound
	}
	src, b, err := drafts.Source(c.UserContext(), Principal(c), id, no)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, src.MediaType)
	c.Set(fiber.HeaderContentDisposition, documents.ContentDisposition("attachment", src.FileName))
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	return c.Send(b)
}
