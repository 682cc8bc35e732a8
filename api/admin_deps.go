package api

import (
	"context"
	"errors"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/admin"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/httpx"
)

// adminService is d.Admin, or one without e-mail when none was given.
func adminService(d httpx.Deps) *admin.Service {
	if d.Admin != nil {
		return d.Admin
	}
	return admin.New(d.DB, d.Auth, nil, d.Config.PublicURL, d.Log)
}

type (
	ctxT       = context.Context
	principalT = auth.Principal
)

// linkError is the problem of a link that cannot be used, in Vietnamese.
func linkError(err error) error {
	switch {
	case errors.Is(err, auth.ErrLinkUsed):
		return httpx.BadRequest(fiber.StatusGone, "link_used", "Liên kết này đã được dùng; mỗi liên kết chỉ dùng được một lần")
	case errors.Is(err, auth.ErrLinkExpired):
		return httpx.BadRequest(fiber.StatusGone, "link_expired", "Liên kết đã hết hạn; hãy yêu cầu liên kết mới")
	case errors.Is(err, auth.ErrLinkInvalid):
		return httpx.BadRequest(fiber.StatusNotFound, "link_invalid", "Liên kết không hợp lệ")
	}
	return err
}
