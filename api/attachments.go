package api

import (
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/httpx"
)

func (s *Server) listAttachments(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	atts, err := s.docs.Attachments(c.UserContext(), httpx.Principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": atts})
}

func (s *Server) addAttachment(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	a, _, err := httpx.ReceiveAttachment(c, s.docs, id, false)
	if err != nil {
		return err
	}
	c.Location(fmt.Sprintf("/api/v1/documents/%d/attachments/%d/download", id, a.ID))
	return c.Status(fiber.StatusCreated).JSON(a)
}

func (s *Server) removeAttachment(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	aid, err := httpx.PathID(c, "attachment")
	if err != nil {
		return err
	}
	if err := s.docs.RemoveAttachment(c.UserContext(), httpx.Principal(c), id, aid); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) moveAttachment(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	aid, err := httpx.PathID(c, "attachment")
	if err != nil {
		return err
	}
	var b struct {
		Position int `json:"position"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	atts, err := s.docs.MoveAttachment(c.UserContext(), httpx.Principal(c), id, aid, b.Position)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": atts})
}

// downloadAttachment streams an attachment (or, with original=1, the Word
// file it was converted from) as downloadVersion streams a version. Only a
// PDF is shown inline: any other file is always saved (with nosniff), never
// rendered by the browser.
func (s *Server) downloadAttachment(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	aid, err := httpx.PathID(c, "attachment")
	if err != nil {
		return err
	}
	p := httpx.Principal(c)
	a, err := s.docs.Attachment(c.UserContext(), p, id, aid)
	if err != nil {
		return err
	}
	if c.Query("original") == "1" {
		if a, err = s.docs.Original(c.UserContext(), a); err != nil {
			return err
		}
	}
	etag := `"` + a.SHA256 + `"`
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderAcceptRanges, "bytes")
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	disposition, mediaType := "attachment", a.MediaType
	if a.IsPDF() && c.Query("inline") == "1" {
		disposition = "inline"
	}
	c.Set(fiber.HeaderContentDisposition, documents.ContentDisposition(disposition, a.FileName))
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" && etagMatch(inm, etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	offset, length := int64(0), a.Size
	status := fiber.StatusOK
	if rh := c.Get(fiber.HeaderRange); rh != "" && (c.Get(fiber.HeaderIfRange) == "" || c.Get(fiber.HeaderIfRange) == etag) {
		off, n, ok, err := parseRange(rh, a.Size)
		if err != nil {
			c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes */%d", a.Size))
			return httpx.BadRequest(fiber.StatusRequestedRangeNotSatisfiable, "bad_range", "Khoảng byte yêu cầu nằm ngoài tệp")
		}
		if ok {
			offset, length, status = off, n, fiber.StatusPartialContent
			c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes %d-%d/%d", off, off+n-1, a.Size))
		}
	}
	c.Set(fiber.HeaderContentType, mediaType)
	c.Status(status)
	if c.Method() == fiber.MethodHead {
		c.Response().Header.SetContentLength(int(length))
		c.Response().SkipBody = true
		return nil
	}
	if err := s.docs.RecordAttachmentDownload(c.UserContext(), p, a, offset, disposition == "inline", httpx.RequestID(c)); err != nil {
		return err
	}
	rc, err := s.docs.OpenAttachment(c.UserContext(), a, offset, length)
	if err != nil {
		return err
	}
	c.Context().SetBodyStream(rc, int(length))
	return nil
}
