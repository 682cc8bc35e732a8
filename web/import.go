package web

import (
	"bytes"
	"errors"
	"mime/multipart"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/httpx"
	"github.com/hcm-edu/vanban/orgimport"
)

// importView is the import page: the dry run's or the import's report.
type importView struct {
	Report  *orgimport.Report
	Rows    []orgimport.RowResult // the rows worth showing: changes and errors
	More    int                   // rows not shown
	SHA256  string                // of the checked file(s), which the confirmation must resend
	Checked bool                  // a dry run without errors: the import may go ahead
}

// maxImportRows is the most rows the page lists.
const maxImportRows = 1000

func (s *Server) importer(c *fiber.Ctx) (*orgimport.Service, error) {
	if err := s.admin.MayImport(c.UserContext(), httpx.Principal(c)); err != nil {
		return nil, err
	}
	return s.imports, nil
}

func (s *Server) importPage(c *fiber.Ctx) error {
	if _, err := s.importer(c); err != nil {
		return err
	}
	return s.renderImport(c, fiber.StatusOK, &importView{}, "", "")
}

func (s *Server) renderImport(c *fiber.Ctx, status int, v *importView, flash, msg string) error {
	d := s.page(c, "Nhập, xuất đơn vị và tài khoản")
	d.Wide = true
	d.Flash, d.Error = flash, msg
	if v.Report != nil {
		for _, r := range v.Report.Rows {
			if r.Action == orgimport.ActionUnchanged {
				continue
			}
			if len(v.Rows) == maxImportRows {
				v.More++
				continue
			}
			v.Rows = append(v.Rows, r)
		}
	}
	d.I = v
	return s.render(c, status, "import", d)
}

// importSubmit checks (action=check) or imports (action=import) the
// uploaded workbook or CSV files. Nothing is kept on the server between
// the two: the confirmation sends the same file again, and its SHA-256
// must be the one checked, so what is imported is what was seen.
func (s *Server) importSubmit(c *fiber.Ctx) error {
	svc, err := s.importer(c)
	if err != nil {
		return err
	}
	var up orgimport.Upload
	fields, err := httpx.ReadUpload(c, httpx.UploadForm{CSRF: true, File: "file", MaxBytes: 2 * orgimport.MaxFileBytes, MaxFields: 4, MaxFieldBytes: 256},
		func(part *multipart.Part) error { return up.Add(part.FileName(), part) })
	var ve *domain.ValidationError
	if errors.As(err, &ve) && ve.Fields["file"] != "" {
		return s.renderImport(c, fiber.StatusUnprocessableEntity, &importView{}, "", ve.Fields["file"])
	}
	if err != nil {
		return err
	}
	if len(up.Names) == 0 {
		return s.renderImport(c, fiber.StatusUnprocessableEntity, &importView{}, "", "Hãy chọn tệp XLSX hoặc CSV.")
	}
	sha := up.SHA256()
	ctx := c.UserContext()
	if fields["action"] != "import" {
		r, err := svc.Plan(ctx, &up.Data)
		if err != nil {
			return err
		}
		v := &importView{Report: r, SHA256: sha, Checked: r.Errors() == 0}
		if r.Errors() > 0 {
			return s.renderImport(c, fiber.StatusOK, v, "", "Có dòng lỗi: hãy sửa trong tệp rồi kiểm tra lại. Chưa có gì được ghi.")
		}
		return s.renderImport(c, fiber.StatusOK, v, "Kiểm tra xong, không có lỗi. Chưa có gì được ghi: chọn lại đúng tệp này và bấm \"Nhập dữ liệu\".", "")
	}
	if want := fields["checked"]; want != "" && want != sha {
		return s.renderImport(c, fiber.StatusUnprocessableEntity, &importView{}, "",
			"Tệp gửi lên khác tệp đã kiểm tra: hãy kiểm tra lại tệp này trước khi nhập.")
	}
	p := httpx.Principal(c)
	r, err := svc.Apply(ctx, &up.Data, orgimport.Actor{UserID: p.UserID, UnitID: p.UnitID}, sha)
	if errors.Is(err, orgimport.ErrRows) {
		return s.renderImport(c, fiber.StatusUnprocessableEntity, &importView{Report: r}, "", "Có dòng lỗi: không dòng nào được ghi.")
	}
	if err != nil {
		return err
	}
	return s.renderImport(c, fiber.StatusOK, &importView{Report: r}, "Đã nhập dữ liệu.", "")
}

func (s *Server) importTemplate(c *fiber.Ctx) error {
	if _, err := s.importer(c); err != nil {
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

func (s *Server) exportDownload(c *fiber.Ctx) error {
	svc, err := s.importer(c)
	if err != nil {
		return err
	}
	what, format := c.Query("what", orgimport.ExportUnits), c.Query("format", "xlsx")
	var buf bytes.Buffer
	if err := svc.Export(c.UserContext(), &buf, what, format); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, orgimport.ContentType(format))
	c.Set(fiber.HeaderContentDisposition, documents.ContentDisposition("attachment", orgimport.ExportFileName(what, format)))
	return c.Send(buf.Bytes())
}
