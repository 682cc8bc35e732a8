package api

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/httpx"
)

type signBody struct {
	VersionSHA256 string      `json:"version_sha256"`
	Page          int         `json:"page"`
	Rect          *[4]float64 `json:"rect"`
	Reason        string      `json:"reason"`
	Number        json.Number `json:"number"`
	Symbol        string      `json:"symbol"`
	Copy          bool        `json:"copy"`
	OTP           string      `json:"otp"` // second factor, when the user has enrolled
}

func (s *Server) signDocument(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	var b signBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if dry, err := boolQuery(c, "dry_run"); err != nil || dry {
		if err != nil {
			return err
		}
		pv, err := s.docs.PreviewSign(c.UserContext(), httpx.Principal(c), id, b.VersionSHA256)
		if err != nil {
			return err
		}
		return c.JSON(pv)
	}
	d, err := s.docs.SignAsPerson(c.UserContext(), httpx.Principal(c), id, documents.SignRequest{
		VersionSHA256: b.VersionSHA256, Page: b.Page, Rect: b.Rect, Reason: b.Reason, OTP: b.OTP})
	if err != nil {
		return err
	}
	return c.JSON(toJSON(d))
}

func (s *Server) sealDocument(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	var b signBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	req := documents.SealRequest{VersionSHA256: b.VersionSHA256, Number: b.Number.String(), Symbol: b.Symbol, Copy: b.Copy, OTP: b.OTP}
	if dry, err := boolQuery(c, "dry_run"); err != nil || dry {
		if err != nil {
			return err
		}
		pv, err := s.docs.PreviewSeal(c.UserContext(), httpx.Principal(c), id, req)
		if err != nil {
			return err
		}
		return c.JSON(pv)
	}
	d, err := s.docs.Seal(c.UserContext(), httpx.Principal(c), id, req)
	if err != nil {
		return err
	}
	return c.JSON(toJSON(d))
}

func (s *Server) getVerification(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	no, err := strconv.Atoi(c.Params("version"))
	if err != nil || no <= 0 {
		return fiber.ErrNotFound
	}
	v, err := s.docs.Verification(c.UserContext(), httpx.Principal(c), id, no)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (s *Server) listSignatures(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	sigs, err := s.docs.Signatures(c.UserContext(), httpx.Principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": sigs})
}

// verifyPDF checks any PDF a user received, from the service or elsewhere,
// and keeps nothing.
func (s *Server) verifyPDF(c *fiber.Ctx) error {
	report, err := httpx.ReceiveForVerification(c, s.docs, false)
	if err != nil {
		return err
	}
	return c.JSON(report)
}

// readImage reads a PNG body of at most 2 MiB.
func readImage(c *fiber.Ctx) ([]byte, error) {
	var body io.Reader = c.Context().RequestBodyStream()
	if body == nil {
		return c.Body(), nil
	}
	b, err := io.ReadAll(io.LimitReader(body, 2<<20+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", documents.ErrIncomplete, err)
	}
	if len(b) > 2<<20 {
		return nil, httpx.BadRequest(fiber.StatusRequestEntityTooLarge, "too_large", "Ảnh chữ ký hoặc con dấu tối đa 2 MiB")
	}
	return b, nil
}

func (s *Server) setMySignatureImage(c *fiber.Ctx) error {
	b, err := readImage(c)
	if err != nil {
		return err
	}
	if err := s.docs.SetSignatureImage(c.UserContext(), httpx.Principal(c), b); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) setUnitSealImage(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	p := httpx.Principal(c)
	if id != p.UnitID {
		return fiber.ErrNotFound
	}
	b, err := readImage(c)
	if err != nil {
		return err
	}
	if err := s.docs.SetSealImage(c.UserContext(), p, b); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
