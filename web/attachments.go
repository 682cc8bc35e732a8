package web

import (
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/httpx"
)

// attachmentView is the attachments section of the document and delivery
// pages.
type attachmentView struct {
	DocID   int64
	Items   []documents.Attachment
	CanEdit bool // the drafter or a clerk, on an unsigned draft
}

var attachmentFlashes = map[string]string{
	"attached":           "Đã thêm tệp kèm theo.",
	"attachment_removed": "Đã gỡ tệp kèm theo.",
	"attachment_moved":   "Đã đổi thứ tự tệp kèm theo.",
}

// fillAttachments adds the attachments of doc, a document the user sees,
// and what the user may do with them.
func (s *Server) fillAttachments(c *fiber.Ctx, d *pageData, doc documents.Document) error {
	p := httpx.Principal(c)
	items, err := s.docs.Attachments(c.UserContext(), p, doc.ID)
	if err != nil {
		return err
	}
	d.Att = &attachmentView{DocID: doc.ID, Items: items, CanEdit: len(doc.Versions) > 0 && documents.AttachmentRule(p, doc).Allowed}
	if f, ok := attachmentFlashes[c.Query("done")]; ok {
		d.Flash = f
	}
	return nil
}

func (s *Server) addAttachmentSubmit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	_, fields, err := httpx.ReceiveAttachment(c, s.docs, id, true)
	if err == nil {
		return c.Redirect(fmt.Sprintf("/documents/%d?done=attached#attachments", id), fiber.StatusSeeOther)
	}
	pr := s.toProblem(err)
	if pr.Status >= 500 || pr.Status == 404 || pr.Status == 401 {
		return err
	}
	// The body may not have been read to its end; the form's fields are
	// not read again (a multipart body streams once).
	c.Context().SetConnectionClose()
	p := httpx.Principal(c)
	doc, err := s.docs.Get(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	d := s.page(c, doc.Title)
	d.Doc = &doc
	d.Error, d.Fields = pr.Message, pr.Fields
	d.Form["title"] = fields["title"]
	if err := s.fillSigning(c, d, doc); err != nil {
		return err
	}
	if err := s.fillRouting(c, d, doc); err != nil {
		return err
	}
	if err := s.fillAttachments(c, d, doc); err != nil {
		return err
	}
	return s.render(c, pr.Status, "document", d)
}

func (s *Server) removeAttachmentSubmit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	aid, err := httpx.PathID(c, "attachment")
	if err != nil {
		return err
	}
	return s.afterAction(c, id, "attachment_removed", s.docs.RemoveAttachment(c.UserContext(), httpx.Principal(c), id, aid))
}

func (s *Server) moveAttachmentSubmit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	aid, err := httpx.PathID(c, "attachment")
	if err != nil {
		return err
	}
	a, err := s.docs.Attachment(c.UserContext(), httpx.Principal(c), id, aid)
	if err != nil {
		return err
	}
	to := a.Position + 1
	switch c.FormValue("direction") {
	case "up":
		to = a.Position - 1
	case "down":
	default:
		return httpx.BadRequest(400, "bad_direction", fmt.Sprintf("Hướng chuyển không hợp lệ: %q (up hoặc down)", c.FormValue("direction")))
	}
	if to < 1 {
		return c.Redirect(fmt.Sprintf("/documents/%d", id), fiber.StatusSeeOther)
	}
	_, err = s.docs.MoveAttachment(c.UserContext(), httpx.Principal(c), id, aid, to)
	return s.afterAction(c, id, "attachment_moved", err)
}
