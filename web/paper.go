package web

import (
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/httpx"
)

// textView is the document page's section on the text inside the
// document, and the copy mark of a received paper document.
type textView struct {
	State      documents.TextState
	Label      string
	CanRerun   bool // a clerk of its unit or of a unit that received it
	CanCertify bool // the receiving unit's clerk, before the copy mark
	OCRPages   int
}

// fillText fills the document page's text section.
func (s *Server) fillText(c *fiber.Ctx, d *pageData, doc documents.Document) error {
	p := httpx.Principal(c)
	st, err := s.docs.Text(c.UserContext(), p, doc.ID)
	if err != nil {
		return err
	}
	v := &textView{State: st, Label: st.Label(), CanRerun: s.docs.CanExtractText(c.UserContext(), p, doc),
		OCRPages: s.docs.TextConfig().OCRPages}
	v.CanCertify = doc.Origin == documents.OriginReceivedPaper && doc.SealKind != "copy" && v.CanRerun &&
		doc.UnitID != p.UnitID && s.docs.SigningEnabled()
	d.Txt = v
	return nil
}

// paperPage is the form a clerk fills for a paper document that arrived
// by post, with its scan: "Tiếp nhận văn bản giấy".
func (s *Server) paperPage(c *fiber.Ctx) error {
	if !httpx.Principal(c).Has(auth.RoleClerk) {
		return domain.ErrForbidden
	}
	d := s.page(c, "Tiếp nhận văn bản giấy")
	d.Form["doc_date"] = time.Now().In(domain.VietnamTime).Format(time.DateOnly)
	d.Form["doc_type"] = "CV"
	return s.render(c, fiber.StatusOK, "paper", d)
}

// paperSubmit receives the scan into the clerk's own inbox and opens the
// delivery, where the clerk accepts it (the incoming number). On a
// mistake the form comes back with what was typed.
func (s *Server) paperSubmit(c *fiber.Ctx) error {
	del, fields, err := httpx.ReceivePaper(c, s.docs, s.routing, true)
	if err == nil {
		return c.Redirect(fmt.Sprintf("/inbox/%d?done=paper-received", del.ID), fiber.StatusSeeOther)
	}
	pr, ok := s.formProblem(err)
	if !ok || pr.Status == fiber.StatusForbidden {
		return err
	}
	c.Context().SetConnectionClose()
	d := s.page(c, "Tiếp nhận văn bản giấy")
	d.Error, d.Fields = pr.Message, pr.Fields
	for k, v := range fields {
		d.Form[k] = v
	}
	return s.render(c, pr.Status, "paper", d)
}

// textSubmit has the text of the document read again.
func (s *Server) textSubmit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	_, err = s.docs.ExtractText(c.UserContext(), httpx.Principal(c), id)
	return s.afterAction(c, id, "text", err)
}

// certifyCopySubmit applies the receiving organisation's signature with
// the copy mark to a received paper document's scan.
func (s *Server) certifyCopySubmit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	_, err = s.docs.CertifyPaperCopy(c.UserContext(), httpx.Principal(c), id, documents.SealRequest{
		VersionSHA256: c.FormValue("version_sha256"), Copy: true, OTP: c.FormValue("otp")})
	return s.afterAction(c, id, "sealed", err)
}
