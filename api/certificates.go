package api

import (
	"encoding/base64"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hcm-edu/vanban/certs"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/httpx"
)

// The person's certificate registry, and the administrator's list of who
// holds what. A certificate goes out without its DER.

func (s *Server) listMyCertificates(c *fiber.Ctx) error {
	items, err := s.certs.Mine(c.UserContext(), httpx.Principal(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": items})
}

// certText is a certificate as JSON carries it: base64 DER, or PEM text.
func certText(v string) []byte {
	if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v)); err == nil {
		return b
	}
	return []byte(v) // PEM, or something Register refuses by name
}

func (s *Server) registerMyCertificate(c *fiber.Ctx) error {
	var req struct {
		Certificate string   `json:"certificate"`
		Chain       []string `json:"chain"`
		Source      string   `json:"source"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Source == "" {
		req.Source = certs.SourceUpload
	}
	if req.Source != certs.SourceHelper && req.Source != certs.SourceUpload {
		return domain.Invalid("source", "nguồn chứng thư số phải là helper (thiết bị ký) hoặc upload (tệp .cer); chứng thư số ký từ xa đăng ký qua /api/v1/me/certificates/remote")
	}
	in := certs.RegisterRequest{Certificate: certText(req.Certificate), Source: req.Source}
	for _, v := range req.Chain {
		in.Chain = append(in.Chain, certText(v))
	}
	cert, err := s.certs.Register(c.UserContext(), httpx.Principal(c), in)
	if err != nil {
		return err
	}
	if cert.Created {
		c.Status(fiber.StatusCreated)
	}
	return c.JSON(cert)
}

func (s *Server) registerRemoteCertificates(c *fiber.Ctx) error {
	var req struct {
		Account string `json:"account"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	items, err := s.certs.RegisterRemote(c.UserContext(), httpx.Principal(c), req.Account)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"items": items})
}

func (s *Server) removeMyCertificate(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.certs.Remove(c.UserContext(), httpx.Principal(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) listHeldCertificates(c *fiber.Ctx) error {
	items, err := s.certs.Held(c.UserContext(), httpx.Principal(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": items})
}
