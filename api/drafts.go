package api

import (
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/drafting"
	"github.com/hcm-edu/vanban/internal/httpx"
)

// The drafts API: a draft's revisions, reviews, comments and submission
// for signature, and the work queues (package drafting).

// createDraft takes a multipart upload (doc_type, title, optional
// doc_date, urgency, confidentiality, and a PDF, DOCX, DOC or ODT file).
func (s *Server) createDraft(c *fiber.Ctx) error {
	p := httpx.Principal(c)
	if !documents.CanCreate(p) {
		return fiber.ErrForbidden
	}
	fields, f, err := httpx.ReceiveDraftFile(c, s.docs.MaxBytes(), false)
	if err != nil {
		return err
	}
	d, err := s.drafts.Create(c.UserContext(), p, documents.Meta{DocType: fields["doc_type"], Title: fields["title"],
		DocDate: fields["doc_date"], Urgency: fields["urgency"], Confidentiality: fields["confidentiality"]}, f)
	if err != nil {
		return httpx.DraftError(err)
	}
	c.Location(fmt.Sprintf("/api/v1/drafts/%d", d.Document.ID))
	return c.Status(fiber.StatusCreated).JSON(d)
}

func (s *Server) createDraftFromTemplate(c *fiber.Ctx) error {
	var b drafting.TemplateForm
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	d, err := s.drafts.CreateFromTemplate(c.UserContext(), httpx.Principal(c), b)
	if err != nil {
		return httpx.DraftError(err)
	}
	c.Location(fmt.Sprintf("/api/v1/drafts/%d", d.Document.ID))
	return c.Status(fiber.StatusCreated).JSON(d)
}

// listDrafts lists the caller's drafts and the uploads waiting for the
// converter.
func (s *Server) listDrafts(c *fiber.Ctx) error {
	p := httpx.Principal(c)
	items, err := s.drafts.Queue(c.UserContext(), p, drafting.QueueMine)
	if err != nil {
		return err
	}
	pending, err := s.drafts.PendingOf(c.UserContext(), p)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": items, "pending": pending})
}

func (s *Server) getDraft(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.drafts.Get(c.UserContext(), httpx.Principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (s *Server) addRevision(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	fields, f, err := httpx.ReceiveDraftFile(c, s.docs.MaxBytes(), false)
	if err != nil {
		return err
	}
	d, err := s.drafts.AddRevision(c.UserContext(), httpx.Principal(c), id, f, fields["note"])
	if err != nil {
		return httpx.DraftError(err)
	}
	return c.Status(fiber.StatusCreated).JSON(d)
}

// downloadDraftSource sends the Word or ODT original of a revision.
func (s *Server) downloadDraftSource(c *fiber.Ctx) error { return httpx.SendDraftSource(c, s.drafts) }

// draftOp runs one of the JSON operations on a draft and answers the draft.
func (s *Server) draftOp(c *fiber.Ctx, body any, op func(id int64) (drafting.Draft, error)) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := decodeJSON(c, body); err != nil {
		return err
	}
	d, err := op(id)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (s *Server) addDraftComment(c *fiber.Ctx) error {
	var b struct {
		Version int    `json:"version"`
		Body    string `json:"body"`
	}
	return s.draftOp(c, &b, func(id int64) (drafting.Draft, error) {
		return s.drafts.Comment(c.UserContext(), httpx.Principal(c), id, b.Version, b.Body)
	})
}

func (s *Server) requestReview(c *fiber.Ctx) error {
	var b struct {
		Reviewers []int64 `json:"reviewer_ids"`
		Note      string  `json:"note"`
	}
	return s.draftOp(c, &b, func(id int64) (drafting.Draft, error) {
		return s.drafts.RequestReview(c.UserContext(), httpx.Principal(c), id, b.Reviewers, b.Note)
	})
}

func (s *Server) decideReview(c *fiber.Ctx) error {
	var b struct {
		Decision string `json:"decision"`
		Note     string `json:"note"`
	}
	return s.draftOp(c, &b, func(id int64) (drafting.Draft, error) {
		return s.drafts.Decide(c.UserContext(), httpx.Principal(c), id, b.Decision, b.Note)
	})
}

func (s *Server) submitDraft(c *fiber.Ctx) error {
	var b struct {
		SignerID int64  `json:"signer_id"`
		DueDate  string `json:"due_date"`
	}
	return s.draftOp(c, &b, func(id int64) (drafting.Draft, error) {
		return s.drafts.Submit(c.UserContext(), httpx.Principal(c), id, b.SignerID, b.DueDate)
	})
}

func (s *Server) returnDraft(c *fiber.Ctx) error {
	var b struct {
		Reason string `json:"reason"`
	}
	return s.draftOp(c, &b, func(id int64) (drafting.Draft, error) {
		return s.drafts.Return(c.UserContext(), httpx.Principal(c), id, b.Reason)
	})
}

func (s *Server) withdrawDraft(c *fiber.Ctx) error {
	var b struct {
		Reason string `json:"reason"`
	}
	return s.draftOp(c, &b, func(id int64) (drafting.Draft, error) {
		return s.drafts.Withdraw(c.UserContext(), httpx.Principal(c), id, b.Reason)
	})
}

func (s *Server) draftDiff(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	from, to := c.QueryInt("from"), c.QueryInt("to")
	d, err := s.drafts.Diff(c.UserContext(), httpx.Principal(c), id, from, to)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (s *Server) listQueue(c *fiber.Ctx) error {
	items, err := s.drafts.Queue(c.UserContext(), httpx.Principal(c), c.Params("queue"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": items})
}

func (s *Server) queueCounts(c *fiber.Ctx) error {
	n, err := s.drafts.Counts(c.UserContext(), httpx.Principal(c))
	if err != nil {
		return err
	}
	return c.JSON(n)
}
