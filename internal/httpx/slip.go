package httpx

import (
	"bytes"
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/registers"
	"github.com/hcm-edu/vanban/routing"
)

// SendSlip sends the processing slip of the delivery in the path's id
// (Decree 30 Appendix IV VII) as an inline PDF: the page and the API
// offer the same file.
func SendSlip(c *fiber.Ctx, rt *routing.Service) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	sl, err := rt.Slip(c.UserContext(), Principal(c), id)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := registers.SlipPDF(&b, sl); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, documents.ContentDisposition("inline", fmt.Sprintf("Phiếu giải quyết văn bản đến %d.pdf", id)))
	return c.Send(b.Bytes())
}
