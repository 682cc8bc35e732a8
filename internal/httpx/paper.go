package httpx

import (
	"errors"
	"mime/multipart"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/routing"
)

// ReceivePaper takes the upload of a scanned paper document that arrived
// by post: its metadata fields (from, doc_type, number, symbol, doc_date,
// title, urgency, signer_name, due_date) and one PDF or several JPEG/PNG
// images in "file" parts. It is delivered into the clerk's own inbox. A
// web form (form) sends its CSRF token first. The fields come back for the
// form to show again.
func ReceivePaper(c *fiber.Ctx, docs *documents.Service, rt *routing.Service, form bool) (routing.Delivery, map[string]string, error) {
	p := Principal(c)
	if !p.Has(auth.RoleClerk) {
		return routing.Delivery{}, nil, domain.ErrForbidden
	}
	ctx := c.UserContext()
	scan := docs.NewScan()
	defer scan.Close()
	fields, err := ReadUpload(c, UploadForm{CSRF: form, File: "file", MaxBytes: docs.MaxBytes(), MaxFields: 32, MaxFieldBytes: 8 << 10},
		func(part *multipart.Part) error { return scan.Add(ctx, part, part.FileName()) })
	if errors.Is(err, documents.ErrNotScan) {
		return routing.Delivery{}, fields, BadRequest(fiber.StatusBadRequest, "not_scan", "Tệp quét phải là PDF hoặc ảnh JPEG, PNG: nội dung tệp này không phải")
	}
	if err != nil {
		return routing.Delivery{}, fields, err
	}
	a := routing.PaperArrival{From: fields["from"], Due: fields["due_date"], Meta: documents.Meta{
		DocType: fields["doc_type"], Title: fields["title"], DocDate: fields["doc_date"], Urgency: fields["urgency"],
		Number: fields["number"], Symbol: fields["symbol"], SignerName: fields["signer_name"]}}
	if err := documents.CheckReceivedPaperMeta(a.Meta); err != nil {
		return routing.Delivery{}, fields, err
	}
	up, err := scan.Finish(ctx)
	if err != nil {
		return routing.Delivery{}, fields, err
	}
	defer up.Close()
	d, err := rt.ReceivePaper(ctx, p, a, up)
	return d, fields, err
}
