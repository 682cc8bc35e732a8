package web

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/httpx"
	"github.com/hcm-edu/vanban/routing"
)

// The confirmation step of the irreversible actions (sign, seal, register,
// issue, relay): the form's button posts here first; the page names what
// the action will do, from the domain's preview, and carries the same
// fields on to the action. Without JavaScript, and nothing changes until
// the user confirms.

// confirmView is a confirmation page.
type confirmView struct {
	Heading string
	Message string
	Notes   []string
	Allowed bool // false: the preview says there is nothing to do
	Action  string
	Button  string
	Back    string
	Fields  []confirmField
	OTP     bool // asks for the second factor (the form field otp)
	// OTPLabel names the code asked when it is not the user's own TOTP
	// (a remote-signing service's); it is then always asked.
	OTPLabel string
	// Helper, when set, signs with the person's USB token through the
	// signing helper (app.js) instead of posting the form.
	Helper *helperSign
}

// helperSign is what the page's script needs to sign through the helper.
type helperSign struct {
	Prepare string // the API path preparing the signature
	Version string // the version the signer saw
	URL     string // where the helper listens (SIGNER_HELPER_URL)
}

type confirmField struct{ Name, Value string }

// postedFields are the fields of the form being confirmed, but its CSRF
// token, which the confirmation page renews, and a second-factor code,
// which the page asks afresh.
func postedFields(c *fiber.Ctx) []confirmField {
	var out []confirmField
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		if string(k) != "_csrf" && string(k) != "otp" {
			out = append(out, confirmField{string(k), string(v)})
		}
	})
	return out
}

func (s *Server) renderConfirm(c *fiber.Ctx, cv *confirmView) error {
	d := s.page(c, cv.Heading)
	if cv.OTP && cv.OTPLabel == "" {
		// Asked of an enrolled user (or one REQUIRE_2FA sends to enrol,
		// whom the action then refuses with the way to /settings).
		need, err := s.auth.NeedsOTP(c.UserContext(), httpx.Principal(c))
		if err != nil {
			return err
		}
		cv.OTP = need
	}
	d.R.Confirm = cv
	return s.render(c, fiber.StatusOK, "confirm", d)
}

func (s *Server) signConfirm(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	pv, err := s.docs.PreviewSign(c.UserContext(), httpx.Principal(c), id, c.FormValue("version_sha256"))
	if err != nil {
		return s.afterAction(c, id, "", err)
	}
	cv := documentConfirm(c, id, "Xác nhận ký số", "sign", "Ký số", pv)
	mode, err := s.docs.SigningMode(c.UserContext(), httpx.Principal(c).UserID)
	if err != nil {
		return err
	}
	switch mode {
	case documents.ModeHelper:
		cv.OTP = false
		cv.Helper = &helperSign{Prepare: fmt.Sprintf("/api/v1/documents/%d/signatures/prepare", id),
			Version: c.FormValue("version_sha256"), URL: strings.TrimRight(s.helperURL(), "/")}
	case documents.ModeRemote:
		cv.OTPLabel = "Mã xác thực (OTP) của dịch vụ ký số từ xa — hoặc xác nhận yêu cầu trên ứng dụng của dịch vụ rồi nhập mã hiện ra"
		cv.Button = "Ký số từ xa"
	}
	return s.renderConfirm(c, cv)
}

func (s *Server) sealConfirm(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	pv, err := s.docs.PreviewSeal(c.UserContext(), httpx.Principal(c), id, documents.SealRequest{VersionSHA256: c.FormValue("version_sha256"),
		Number: c.FormValue("number"), Symbol: c.FormValue("symbol"), Copy: c.FormValue("copy") == "1"})
	if err != nil {
		return s.afterAction(c, id, "", err)
	}
	return s.renderConfirm(c, documentConfirm(c, id, "Xác nhận ký số của cơ quan", "seal", "Ký số của cơ quan", pv))
}

func (s *Server) registerConfirm(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	req, err := numberRequestFrom(c)
	if err == nil {
		var pv documents.Preview
		pv, err = s.docs.PreviewRegister(c.UserContext(), httpx.Principal(c), id, req)
		if err == nil {
			return s.renderConfirm(c, documentConfirm(c, id, "Xác nhận đăng ký, cấp số", "register", "Đăng ký, cấp số "+pv.NumberSymbol, pv))
		}
	}
	return s.documentFormError(c, id, "register", err)
}

func documentConfirm(c *fiber.Ctx, id int64, heading, action, button string, pv documents.Preview) *confirmView {
	return &confirmView{Heading: heading, Message: pv.Message, Allowed: true, Button: button, OTP: true,
		Action: fmt.Sprintf("/documents/%d/%s", id, action), Back: fmt.Sprintf("/documents/%d", id), Fields: postedFields(c)}
}

func (s *Server) issueConfirm(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	req, err := issueRequestFrom(c)
	if err == nil {
		var pv routing.DispatchPreview
		pv, err = s.routing.PreviewIssue(c.UserContext(), httpx.Principal(c), id, req)
		if err == nil {
			return s.renderConfirm(c, dispatchConfirm(c, "Xác nhận phát hành", fmt.Sprintf("/documents/%d", id), "/issue", "Phát hành", pv))
		}
	}
	return s.documentFormError(c, id, "issue", err)
}

func (s *Server) relayConfirm(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	req, err := issueRequestFrom(c)
	if err == nil {
		var pv routing.DispatchPreview
		pv, err = s.routing.PreviewRelay(c.UserContext(), httpx.Principal(c), id, req)
		if err == nil {
			return s.renderConfirm(c, dispatchConfirm(c, "Xác nhận chuyển tiếp", fmt.Sprintf("/inbox/%d", id), "/relay", "Chuyển tiếp", pv))
		}
	}
	return s.deliveryFormError(c, id, "relay", err)
}

func dispatchConfirm(c *fiber.Ctx, heading, base, action, button string, pv routing.DispatchPreview) *confirmView {
	cv := &confirmView{Heading: heading, Message: pv.Message, Allowed: pv.Allowed,
		Button: fmt.Sprintf("%s đến %d đơn vị", button, pv.Units), Action: base + action, Back: base, Fields: postedFields(c)}
	for _, r := range pv.Refused {
		cv.Notes = append(cv.Notes, r.Name+": "+r.Reason)
	}
	return cv
}

// numberRequestFrom reads the register form.
func numberRequestFrom(c *fiber.Ctx) (documents.NumberRequest, error) {
	copies := 0
	if v := strings.TrimSpace(c.FormValue("copies")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return documents.NumberRequest{}, &domain.ValidationError{Fields: map[string]string{"copies": "số bản phải là số nguyên"}}
		}
		copies = n
	}
	return documents.NumberRequest{VersionSHA256: c.FormValue("version_sha256"), DraftingUnit: c.FormValue("drafting_unit"),
		Copies: copies, FileUnit: c.FormValue("file_unit"), Notes: c.FormValue("notes"), OTP: c.FormValue("otp")}, nil
}
