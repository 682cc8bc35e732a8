package api

import (
	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/httpx"
)

// prepareSignature is the first step of signing with the person's own
// token (SIGNING_MODE helper): the digest their signing helper signs.
func (s *Server) prepareSignature(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	var b struct {
		signBody
		Fingerprint string `json:"fingerprint"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	prep, err := s.docs.PrepareSignature(c.UserContext(), httpx.Principal(c), id, documents.SignRequest{
		VersionSHA256: b.VersionSHA256, Page: b.Page, Rect: b.Rect, Reason: b.Reason}, b.Fingerprint)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(prep)
}

// completeSignature is the second step: the signature value the person's
// device made over the prepared digest.
func (s *Server) completeSignature(c *fiber.Ctx) error {
	var b struct {
		Signature []byte `json:"signature"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if len(b.Signature) == 0 {
		return domain.Invalid("signature", "cần chữ ký (base64) do thiết bị ký tạo trên chuỗi băm đã chuẩn bị")
	}
	d, err := s.docs.CompleteSignature(c.UserContext(), httpx.Principal(c), c.Params("pid"), b.Signature)
	if err != nil {
		return err
	}
	return c.JSON(toJSON(d))
}

// mySigning tells a page how its user signs and where their signing
// helper listens.
func (s *Server) mySigning(c *fiber.Ctx) error {
	mode, err := s.docs.SigningMode(c.UserContext(), httpx.Principal(c).UserID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"mode": mode, "helper_url": s.cfg.SignerHelperURL})
}
