package web

import (
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/skip2/go-qrcode"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/httpx"
)

// The settings page's two factors: enrolment of an authenticator app
// (TOTP), its recovery codes, and disabling it. The codes themselves are
// asked on the confirmation pages of signing and sealing (confirm.go).

// totpView is the two-factor part of the settings page.
type totpView struct {
	Enrolled bool
	Required bool            // REQUIRE_2FA applies to the user's roles
	Pending  *auth.Enrolment // begun, not confirmed: the secret to type or scan
	Recovery []string        // shown once, right after enrolment
}

// recoveryLocal carries the new recovery codes to the page that shows them.
const recoveryLocal = "totp_recovery"

// fillTOTP sets the two-factor part of the settings page.
func (s *Server) fillTOTP(c *fiber.Ctx, d *pageData) error {
	p := httpx.Principal(c)
	v := &totpView{Required: s.auth.TOTPRequired() && p.HasAny(auth.RoleSigner, auth.RoleClerk, auth.RoleAdmin)}
	var err error
	if v.Enrolled, err = s.auth.TOTPEnrolled(c.UserContext(), p.UserID); err != nil {
		return err
	}
	if !v.Enrolled {
		e, ok, err := s.auth.PendingTOTP(c.UserContext(), p)
		if err != nil {
			return err
		}
		if ok {
			v.Pending = &e
		}
	}
	v.Recovery, _ = c.Locals(recoveryLocal).([]string)
	d.TOTP = v
	return nil
}

func (s *Server) totpBeginSubmit(c *fiber.Ctx) error {
	if _, err := s.auth.BeginTOTP(c.UserContext(), httpx.Principal(c)); err != nil {
		return s.totpRefused(c, err)
	}
	return s.renderSettings(c, fiber.StatusOK, "Hãy thêm tài khoản vào ứng dụng xác thực rồi nhập mã đầu tiên để hoàn tất.", nil)
}

// totpQR is the QR code of the enrolment begun and not yet confirmed, for
// the app to scan; after the first code it is gone (404).
func (s *Server) totpQR(c *fiber.Ctx) error {
	e, ok, err := s.auth.PendingTOTP(c.UserContext(), httpx.Principal(c))
	if err != nil {
		return err
	}
	if !ok {
		return domain.ErrNotFound
	}
	png, err := qrcode.Encode(e.URI, qrcode.Medium, 256)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, "image/png")
	return c.Send(png)
}

func (s *Server) totpConfirmSubmit(c *fiber.Ctx) error {
	codes, err := s.auth.ConfirmTOTP(c.UserContext(), httpx.Principal(c), c.FormValue("otp"))
	if err != nil {
		return s.totpRefused(c, err)
	}
	c.Locals(recoveryLocal, codes)
	return s.renderSettings(c, fiber.StatusOK, "Đã bật xác thực hai lớp. Từ nay mỗi lần ký số cần nhập mã trên ứng dụng.", nil)
}

func (s *Server) totpDisableSubmit(c *fiber.Ctx) error {
	if err := s.auth.DisableTOTP(c.UserContext(), httpx.Principal(c), c.FormValue("otp")); err != nil {
		return s.totpRefused(c, err)
	}
	return s.renderSettings(c, fiber.StatusOK, "Đã tắt xác thực hai lớp.", nil)
}

// totpRefused shows the settings page again with the reason.
func (s *Server) totpRefused(c *fiber.Ctx, err error) error {
	pr := s.toProblem(err)
	if pr.Status >= 500 {
		return err
	}
	if pr.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(pr.RetryAfter))
	}
	return s.renderSettings(c, pr.Status, "", &pr)
}
