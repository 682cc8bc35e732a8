// Package web is the server-rendered pages and their forms: the route
// table, the handlers, and the templates and static assets embedded in the
// binary. What it shares with the JSON API (the middleware, the error
// mapper, the upload reader) is in internal/httpx.
package web

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/admin"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/certs"
	"github.com/hcm-edu/vanban/config"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/drafting"
	"github.com/hcm-edu/vanban/internal/httpx"
	"github.com/hcm-edu/vanban/meetings"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/org"
	"github.com/hcm-edu/vanban/orgimport"
	"github.com/hcm-edu/vanban/records"
	"github.com/hcm-edu/vanban/routing"
)

//go:embed templates/*.html
var templates embed.FS

//go:embed static
var static embed.FS

// Templates returns the page templates: layout.html and one file per page.
func Templates() fs.FS { return templates }

// Static returns the static assets (CSS), served under /static/.
func Static() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err)
	}
	return sub
}

// Server holds what the pages need; its methods are the handlers of the
// pages and forms.
type Server struct {
	cfg      *config.Config
	auth     *auth.Service
	units    *org.Store
	docs     *documents.Service
	routing  *routing.Service
	notes    *notify.Store
	meetings *meetings.Service
	drafts   *drafting.Service
	certs    *certs.Service
	admin    *admin.Service
	imports  *orgimport.Service
	records  *records.Service
	log      *slog.Logger
	pages    map[string]*template.Template
	oidcOnce sync.Once
	oidc     *auth.OIDC // see openID
}

// New parses the page templates.
func New(d httpx.Deps) (*Server, error) {
	s := &Server{cfg: d.Config, auth: d.Auth, units: d.Units, docs: d.Docs, routing: d.Routing, notes: d.Notes,
		meetings: d.Meetings, drafts: d.Drafts, certs: d.Certs, records: d.Records, log: d.Log}
	s.admin = adminService(d)
	s.imports = orgimport.New(d.DB)
	var err error
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	return s, nil
}

// toProblem is httpx.ToProblem with the upload limit its message quotes.
func (s *Server) toProblem(err error) httpx.Problem {
	return httpx.ToProblem(err, s.cfg.MaxUploadBytes)
}

const loginCSRFCookie = "vanban_login_csrf"

// cookieSecure says whether cookies get the Secure flag: COOKIE_SECURE,
// or when it is auto, over https and on localhost.
func (s *Server) cookieSecure(c *fiber.Ctx) bool {
	switch s.cfg.CookieSecure {
	case "true":
		return true
	case "false":
		return false
	}
	if c.Protocol() == "https" {
		return true
	}
	host := c.Hostname()
	if h, _, ok := strings.Cut(host, ":"); ok && !strings.HasPrefix(host, "[") {
		host = h
	}
	return host == "localhost" || host == "127.0.0.1" || host == "[::1]"
}
