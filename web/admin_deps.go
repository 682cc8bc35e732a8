package web

import (
	"github.com/hcm-edu/vanban/admin"
	"github.com/hcm-edu/vanban/internal/httpx"
)

// adminService is d.Admin, or one without e-mail when none was given.
func adminService(d httpx.Deps) *admin.Service {
	if d.Admin != nil {
		return d.Admin
	}
	return admin.New(d.DB, d.Auth, nil, d.Config.PublicURL, d.Log)
}
