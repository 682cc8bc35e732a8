// Package api is the HTTP layer: the route table, the JSON API, the web
// pages, authentication middleware and the error mapper. It is the only
// package that imports Fiber.
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"html/template"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/config"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/meetings"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/org"
	"github.com/hcm-edu/vanban/routing"
	"github.com/hcm-edu/vanban/storage"
	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
)

// Deps are what the HTTP layer needs.
type Deps struct {
	Config   *config.Config
	DB       *sqlx.DB
	Blobs    storage.Blobs
	Auth     *auth.Service
	Units    *org.Store
	Docs     *documents.Service
	Routing  *routing.Service
	Notes    *notify.Store
	Meetings *meetings.Service
	Log      *slog.Logger
	Registry *prometheus.Registry
}

// Server holds the Fiber app and its dependencies.
type Server struct {
	app      *fiber.App
	cfg      *config.Config
	db       *sqlx.DB
	blobs    storage.Blobs
	auth     *auth.Service
	units    *org.Store
	docs     *documents.Service
	routing  *routing.Service
	notes    *notify.Store
	meetings *meetings.Service
	shutdown chan struct{}
	closing  sync.Once
	log      *slog.Logger
	pages    map[string]*template.Template
	metrics  *httpMetrics
	spec     []byte
}

// smallBodyLimit caps bodies of every request but uploads; larger bodies
// are streamed by fasthttp and refused by limitBody.
const smallBodyLimit = 1 << 20

// New builds the server and its route table.
func New(d Deps) (*Server, error) {
	s := &Server{cfg: d.Config, db: d.DB, blobs: d.Blobs, auth: d.Auth, units: d.Units, docs: d.Docs,
		routing: d.Routing, notes: d.Notes, meetings: d.Meetings, shutdown: make(chan struct{}), log: d.Log}
	var err error
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	if s.spec, err = openAPIJSON(); err != nil {
		return nil, err
	}
	s.metrics = newHTTPMetrics(d.Registry)
	cfg := fiber.Config{
		AppName:                      "vanban",
		ErrorHandler:                 s.handleError,
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		BodyLimit:                    smallBodyLimit,
		Immutable:                    true,
		ReadTimeout:                  10 * time.Minute,
		WriteTimeout:                 10 * time.Minute,
		IdleTimeout:                  2 * time.Minute,
		DisableStartupMessage:        true,
	}
	if d.Config.TrustProxy {
		cfg.ProxyHeader = fiber.HeaderXForwardedFor
	}
	s.app = fiber.New(cfg)
	s.routes()
	return s, nil
}

// App returns the Fiber app (for Listen, Test and Shutdown).
func (s *Server) App() *fiber.App { return s.app }

// Shutdown stops accepting requests and waits for those under way.
// Shutdown ends the live event streams, then waits for the requests under
// way to finish.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Do(func() { close(s.shutdown) })
	return s.app.ShutdownWithContext(ctx)
}

const (
	localsRequestID = "request_id"
	localsPrincipal = "principal"
	localsCSRF      = "csrf"
	localsKind      = "session_kind"
	localsUpload    = "upload"
	sessionCookie   = "vanban_session"
	loginCSRFCookie = "vanban_login_csrf"
)

var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// begin gives every request an id, logs it and counts it.
func (s *Server) begin(c *fiber.Ctx) error {
	start := time.Now()
	id := c.Get("X-Request-ID")
	if !requestIDRE.MatchString(id) {
		b := make([]byte, 8)
		rand.Read(b)
		id = hex.EncodeToString(b)
	}
	c.Locals(localsRequestID, id)
	c.Set("X-Request-ID", id)
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "same-origin")
	err := c.Next()
	if err != nil {
		if herr := s.app.ErrorHandler(c, err); herr != nil {
			c.Status(fiber.StatusInternalServerError)
		}
	}
	status := c.Response().StatusCode()
	route := c.Route().Path
	s.metrics.observe(c.Method(), route, status, time.Since(start))
	if strings.HasPrefix(route, "/static") || route == "/healthz" || route == "/metrics" {
		return nil
	}
	attrs := []any{"request_id", id, "method", c.Method(), "path", c.Path(), "route", route,
		"status", status, "duration_ms", time.Since(start).Milliseconds(), "remote_ip", c.IP()}
	if p, ok := c.Locals(localsPrincipal).(auth.Principal); ok {
		attrs = append(attrs, "user", p.Username)
	}
	s.log.Info("request", attrs...)
	return nil
}

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(localsRequestID).(string)
	return id
}

// limitBody refuses large bodies on every route that does not stream an
// upload, before anything reads them into memory.
func limitBody(c *fiber.Ctx) error {
	if n := c.Request().Header.ContentLength(); n > smallBodyLimit || n == -1 {
		c.Context().SetConnectionClose()
		return badRequest(fiber.StatusRequestEntityTooLarge, "too_large", "Nội dung yêu cầu quá lớn (tối đa 1 MiB ngoài tải tệp)")
	}
	return c.Next()
}

// identify reads the bearer token or the session cookie. It never fails:
// requireUser decides what an anonymous request may do.
func (s *Server) identify(c *fiber.Ctx) error {
	token := ""
	kind := ""
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		scheme, t, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return badRequest(401, "unauthenticated", "Chỉ hỗ trợ Authorization: Bearer <token>")
		}
		token, kind = strings.TrimSpace(t), "bearer"
	} else if ck := c.Cookies(sessionCookie); ck != "" {
		token, kind = ck, "cookie"
	}
	if token == "" {
		return c.Next()
	}
	p, csrf, sessKind, err := s.auth.Authenticate(c.UserContext(), token)
	switch {
	case err == nil:
		c.Locals(localsPrincipal, p)
		c.Locals(localsKind, kind)
		if kind == "cookie" && sessKind == auth.KindWeb {
			c.Locals(localsCSRF, csrf)
		}
	case err == auth.ErrUnauthenticated:
		if kind == "bearer" {
			return err
		}
		c.ClearCookie(sessionCookie)
	default:
		return err
	}
	return c.Next()
}

// requireUser answers 401 (API) or redirects to the login page (web) when
// nobody is logged in, and checks CSRF on unsafe cookie-authenticated
// requests other than uploads (which check it in their first form field).
func (s *Server) requireUser(c *fiber.Ctx) error {
	p, ok := c.Locals(localsPrincipal).(auth.Principal)
	if !ok {
		if wantsHTML(c) && c.Method() == fiber.MethodGet {
			return c.Redirect("/login?next="+urlQueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
		}
		return auth.ErrUnauthenticated
	}
	_ = p
	if c.Locals(localsKind) == "cookie" && !safeMethod(c.Method()) {
		if !sameOrigin(c) {
			return errCSRF
		}
		if c.Locals(localsUpload) == nil {
			want, _ := c.Locals(localsCSRF).(string)
			got := c.Get("X-CSRF-Token")
			if got == "" {
				got = c.FormValue("_csrf")
			}
			if !auth.TokensEqual(want, got) {
				return errCSRF
			}
		}
	}
	return c.Next()
}

func principal(c *fiber.Ctx) auth.Principal {
	p, _ := c.Locals(localsPrincipal).(auth.Principal)
	return p
}

func safeMethod(m string) bool {
	return m == fiber.MethodGet || m == fiber.MethodHead || m == fiber.MethodOptions
}

// sameOrigin rejects cross-site form posts from browsers that say where
// they come from; the CSRF token covers those that do not.
func sameOrigin(c *fiber.Ctx) bool {
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" || origin == "null" {
		return origin == ""
	}
	_, host, _ := strings.Cut(origin, "://")
	return host == string(c.Request().Host())
}

// wantsHTML tells web page requests from API calls.
func wantsHTML(c *fiber.Ctx) bool {
	return !strings.HasPrefix(c.Path(), "/api/")
}

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

func pathID(c *fiber.Ctx, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, fiber.ErrNotFound
	}
	return id, nil
}
