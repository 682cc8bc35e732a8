package api

import (
	"bytes"
	"errors"
	"mime/multipart"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/httpx"
	"github.com/hcm-edu/vanban/orgimport"
)

// importOrg checks (dry_run=1) or imports the uploaded workbook or CSV
// files; rows with errors answer 422 with the report, nothing written.
func (s *Server) importOrg(c *fiber.Ctx) error {
	p := httpx.Principal(c)
	if err := s.admin.MayImport(c.UserContext(), p); err != nil {
		return err
	}
	var up orgimport.Upload
	if _, err := httpx.ReadUpload(c, httpx.UploadForm{File: "file", MaxBytes: 2 * orgimport.MaxFileBytes},
		func(part *multipart.Part) error { return up.Add(part.FileName(), part) }); err != nil {
		return err
	}
	if len(up.Names) == 0 {
		return httpx.BadRequest(fiber.StatusBadRequest, "file_required", "Gửi tệp XLSX, hoặc hai tệp CSV, trong trường file")
	}
	ctx := c.UserContext()
	if dry := c.Query("dry_run"); dry == "1" || dry == "true" {
		r, err := s.imports.Plan(ctx, &up.Data)
		if err != nil {
			return err
		}
		r.SHA256 = up.SHA256()
		return c.JSON(r)
	}
	r, err := s.imports.Apply(ctx, &up.Data, orgimport.Actor{UserID: p.UserID, UnitID: p.UnitID}, up.SHA256())
	if errors.Is(err, orgimport.ErrRows) {
		return c.Status(fiber.StatusUnprocessableEntity).JSON(r)
	}
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (s *Server) importTemplate(c *fiber.Ctx) error {
	if err := s.admin.MayImport(c.UserContext(), httpx.Principal(c)); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := orgimport.WriteTemplate(&buf); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, orgimport.XLSXType)
	c.Set(fiber.HeaderContentDisposition, documents.ContentDisposition("attachment", orgimport.TemplateFileName))
	return c.Send(buf.Bytes())
}

func (s *Server) exportOrg(c *fiber.Ctx) error {
	if err := s.admin.MayImport(c.UserContext(), httpx.Principal(c)); err != nil {
		return err
	}
	what, format := c.Query("what", orgimport.ExportUnits), c.Query("format", "xlsx")
	var buf bytes.Buffer
	if err := s.imports.Export(c.UserContext(), &buf, what, format); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, orgimport.ContentType(format))
	c.Set(fiber.HeaderContentDisposition, documents.ContentDisposition("attachment", orgimport.ExportFileName(what, format)))
	return c.Send(buf.Bytes())
}
