package api

import (
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/httpx"
)

// receivePaper takes the scan of a paper document that arrived by post
// into the clerk's own inbox.
func (s *Server) receivePaper(c *fiber.Ctx) error {
	d, _, err := httpx.ReceivePaper(c, s.docs, s.routing, false)
	if err != nil {
		return err
	}
	c.Location(fmt.Sprintf("/api/v1/inbox/%d", d.ID))
	return c.Status(fiber.StatusCreated).JSON(d)
}

// documentText is the state of a document's text, with the text itself
// when asked (?body=1).
type documentText struct {
	documents.TextState
	Label string  `json:"label"`
	Body  *string `json:"body,omitempty"`
}

func (s *Server) getDocumentText(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	p := httpx.Principal(c)
	st, err := s.docs.Text(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	out := documentText{TextState: st, Label: st.Label()}
	if withBody, err := boolQuery(c, "body"); err != nil {
		return err
	} else if withBody {
		body, err := s.docs.TextBody(c.UserContext(), p, id)
		if err != nil {
			return err
		}
		out.Body = &body
	}
	return c.JSON(out)
}

func (s *Server) extractDocumentText(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	st, err := s.docs.ExtractText(c.UserContext(), httpx.Principal(c), id)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(documentText{TextState: st, Label: st.Label()})
}

// certifyPaperCopy: the receiving unit's clerk signs the scan of a
// received paper document with the copy mark.
func (s *Server) certifyPaperCopy(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	var b signBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	d, err := s.docs.CertifyPaperCopy(c.UserContext(), httpx.Principal(c), id, documents.SealRequest{VersionSHA256: b.VersionSHA256, Copy: true, OTP: b.OTP})
	if err != nil {
		return err
	}
	return c.JSON(toJSON(d))
}
