package httpx

import (
	"bufio"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/records"
)

// SendFilePackage streams the export package of the file in the path's id
// (a ZIP of its documents, their XML metadata and a manifest) once the
// user may read the file: a file of a thousand documents is never held in
// memory. The page and the API offer the same download.
func SendFilePackage(c *fiber.Ctx, rs *records.Service) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	f, err := rs.File(c.UserContext(), Principal(c), id)
	if err != nil {
		return err
	}
	if rs.Exporter == nil {
		return BadRequest(fiber.StatusServiceUnavailable, "export_unavailable", "Chức năng xuất gói hồ sơ chưa được cấu hình trên máy chủ này")
	}
	ctx, export := c.UserContext(), rs.Exporter
	c.Set(fiber.HeaderContentType, "application/zip")
	c.Set(fiber.HeaderContentDisposition, documents.ContentDisposition("attachment", "Hồ sơ "+f.Code+".zip"))
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		// Past the headers an error can only cut the ZIP short: its
		// manifest, written last, is then missing and an import refuses it.
		export(ctx, w, id)
		w.Flush()
	})
	return nil
}
