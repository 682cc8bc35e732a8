package api

import (
	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/httpx"
)

func (s *Server) listAuthorities(c *fiber.Ctx) error {
	p := httpx.Principal(c)
	items, err := s.docs.Authorities(c.UserContext(), p)
	if err != nil {
		return err
	}
	can, err := s.docs.CanGrantAuthority(c.UserContext(), p)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": items, "can_grant": can})
}

func (s *Server) grantAuthority(c *fiber.Ctx) error {
	var g documents.AuthorityGrant
	if err := decodeJSON(c, &g); err != nil {
		return err
	}
	a, err := s.docs.GrantAuthority(c.UserContext(), httpx.Principal(c), g)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(a)
}

func (s *Server) revokeAuthority(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	a, err := s.docs.RevokeAuthority(c.UserContext(), httpx.Principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(a)
}

// batchItemJSON is one document's outcome in a batch: the document, or
// the problem that document alone met.
type batchItemJSON struct {
	ID       int64          `json:"id"`
	Status   int            `json:"status"`
	Document *documentJSON  `json:"document,omitempty"`
	Error    *httpx.Problem `json:"error,omitempty"`
}

func (s *Server) signBatch(c *fiber.Ctx) error {
	var b struct {
		Items  []documents.BatchItem `json:"items"`
		Reason string                `json:"reason"`
		OTP    string                `json:"otp"` // one second-factor code for the whole batch
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	res, err := s.docs.SignBatch(c.UserContext(), httpx.Principal(c), b.Items, b.Reason, b.OTP)
	if err != nil {
		return err
	}
	out := make([]batchItemJSON, len(res))
	signed := 0
	for i, r := range res {
		out[i] = batchItemJSON{ID: r.ID, Status: fiber.StatusOK}
		if r.Err != nil {
			pr := httpx.ToProblem(r.Err, s.cfg.MaxUploadBytes)
			pr.RequestID = httpx.RequestID(c)
			out[i].Status, out[i].Error = pr.Status, &pr
			continue
		}
		d := toJSON(*r.Document)
		out[i].Document = &d
		signed++
	}
	return c.JSON(fiber.Map{"signed": signed, "failed": len(res) - signed, "items": out})
}
