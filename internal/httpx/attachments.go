package httpx

import (
	"mime/multipart"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
)

// ReceiveAttachment takes the upload of an attachment of document id: a
// "title" field and one "file" part (PDF, or Word/LibreOffice to convert),
// spooled and checked before anything is stored. Who may attach is checked
// before the file is read. A web form (form) sends its CSRF token first.
// The fields come back for the form to show again.
func ReceiveAttachment(c *fiber.Ctx, docs *documents.Service, id int64, form bool) (a documents.Attachment, fields map[string]string, err error) {
	ctx, p := c.UserContext(), Principal(c)
	d, err := docs.Get(ctx, p, id)
	if err != nil {
		return a, fields, err
	}
	if err := documents.AttachmentRule(p, d).Err(); err != nil {
		return a, fields, err
	}
	var up *documents.AttachmentUpload
	defer func() { up.Close() }()
	fields, err = ReadUpload(c, UploadForm{CSRF: form, File: "file", MaxBytes: docs.MaxBytes(), MaxFields: 4, MaxFieldBytes: 4 << 10},
		func(part *multipart.Part) (err error) {
			if form && part.FileName() == "" {
				return nil // no file chosen
			}
			if up != nil {
				return &domain.ValidationError{Fields: map[string]string{"file": "mỗi lần chỉ gửi một tệp"}}
			}
			up, err = docs.SpoolAttachment(ctx, part, part.FileName())
			return err
		})
	if err != nil {
		return a, fields, err
	}
	if err := documents.CheckAttachmentTitle(fields["title"]); err != nil {
		return a, fields, err
	}
	if up == nil {
		return a, fields, &domain.ValidationError{Fields: map[string]string{"file": "cần tệp PDF hoặc Word của phụ lục (trường file)"}}
	}
	a, err = docs.AddAttachment(ctx, p, id, fields["title"], up)
	return a, fields, err
}
