package api

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
)

type signBody struct {
	VersionSHA256 string      `json:"version_sha256"`
	Page          int         `json:"page"`
	Rect          *[4]float64 `json:"rect"`
	Reason        string      `json:"reason"`
	Number        json.Number `json:"number"`
	Symbol        string      `json:"symbol"`
	Copy          bool        `json:"copy"`
}

func decodeJSON(c *fiber.Ctx, v any) error {
	if err := json.Unmarshal(c.Body(), v); err != nil {
		return badRequest(400, "bad_json", "Nội dung phải là JSON hợp lệ: "+jsonProblem(err))
	}
	return nil
}

func jsonProblem(err error) string {
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		return fmt.Sprintf("trường %s có kiểu sai", te.Field)
	}
	return "không đọc được"
}

func (s *Server) signDocument(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var b signBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	d, err := s.docs.SignAsPerson(c.UserContext(), principal(c), id, documents.SignRequest{
		VersionSHA256: b.VersionSHA256, Page: b.Page, Rect: b.Rect, Reason: b.Reason})
	if err != nil {
		return err
	}
	return c.JSON(toJSON(d))
}

func (s *Server) sealDocument(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var b signBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	d, err := s.docs.Seal(c.UserContext(), principal(c), id, documents.SealRequest{
		VersionSHA256: b.VersionSHA256, Number: b.Number.String(), Symbol: b.Symbol, Copy: b.Copy})
	if err != nil {
		return err
	}
	return c.JSON(toJSON(d))
}

func (s *Server) getVerification(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	no, err := strconv.Atoi(c.Params("version"))
	if err != nil || no <= 0 {
		return fiber.ErrNotFound
	}
	v, err := s.docs.Verification(c.UserContext(), principal(c), id, no)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (s *Server) listSignatures(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	sigs, err := s.docs.Signatures(c.UserContext(), principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": sigs})
}

// verifyPDF checks any PDF a user received, from the service or elsewhere,
// and keeps nothing.
func (s *Server) verifyPDF(c *fiber.Ctx) error {
	report, err := s.receiveForVerification(c, false)
	if err != nil {
		return err
	}
	return c.JSON(report)
}

func (s *Server) receiveForVerification(c *fiber.Ctx, checkCSRF bool) (any, error) {
	mr, err := s.multipartReader(c)
	if err != nil {
		return nil, err
	}
	var up *documents.Upload
	defer func() { up.Close() }()
	for i := 0; ; i++ {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, multipartError(err)
		}
		if checkCSRF && i == 0 {
			if err := checkCSRFPart(c, part); err != nil {
				return nil, err
			}
			continue
		}
		if part.FormName() == "file" && up == nil {
			if up, err = s.docs.Spool(c.UserContext(), part, part.FileName()); err != nil {
				return nil, err
			}
		}
	}
	if up == nil {
		return nil, &domain.ValidationError{Fields: map[string]string{"file": "cần tệp PDF cần kiểm tra (trường file)"}}
	}
	return s.docs.VerifyUpload(c.UserContext(), up)
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
		return nil, badRequest(fiber.StatusRequestEntityTooLarge, "too_large", "Ảnh chữ ký hoặc con dấu tối đa 2 MiB")
	}
	return b, nil
}

func (s *Server) setMySignatureImage(c *fiber.Ctx) error {
	b, err := readImage(c)
	if err != nil {
		return err
	}
	if err := s.docs.SetSignatureImage(c.UserContext(), principal(c), b); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) setUnitSealImage(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p := principal(c)
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

// canSign and canSeal say which buttons the document page shows.
func canSign(p auth.Principal, d documents.Document) bool {
	return p.Has(auth.RoleSigner) && d.UnitID == p.UnitID && !documents.IsSecret(d.Confidentiality)
}

func canSeal(p auth.Principal, d documents.Document) bool {
	return p.Has(auth.RoleClerk) && d.UnitID == p.UnitID && !documents.IsSecret(d.Confidentiality)
}
