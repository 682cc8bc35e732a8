package httpx

import (
	"io"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/meetings"
)

// SendFile streams a PDF of known size, as an attachment or inline.
func SendFile(c *fiber.Ctx, rc io.ReadCloser, size int64, name, disposition string) error {
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, documents.ContentDisposition(disposition, name))
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	if c.Method() == fiber.MethodHead {
		rc.Close()
		c.Response().Header.SetContentLength(int(size))
		return nil
	}
	c.Response().SetBodyStream(rc, int(size))
	return nil
}

// SendPacket sends the caller's copy of the packet of the meeting in the
// path's :id. The API and the meeting page serve the same file.
func SendPacket(c *fiber.Ctx, ms *meetings.Service) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	rc, size, name, err := ms.Packet(c.UserContext(), Principal(c), id)
	if err != nil {
		return err
	}
	return SendFile(c, rc, size, name, "attachment")
}

// SendMeetingDocument sends an agenda document's original bytes (the
// path's :id and :doc).
func SendMeetingDocument(c *fiber.Ctx, ms *meetings.Service, disposition string) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	doc, err := PathID(c, "doc")
	if err != nil {
		return err
	}
	rc, size, name, err := ms.OpenDocument(c.UserContext(), Principal(c), id, doc)
	if err != nil {
		return err
	}
	return SendFile(c, rc, size, name, disposition)
}
