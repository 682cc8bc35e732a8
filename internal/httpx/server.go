// Package httpx is what the JSON API (package api) and the pages and forms
// (package web) share: the dependencies, the Fiber app with the middleware
// every request goes through, the error mapper, the one reader of
// multipart uploads and small request and response helpers. With api and
// web it is the only code that imports Fiber.
package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/hcm-edu/vanban/admin"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/certs"
	"github.com/hcm-edu/vanban/config"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/drafting"
	"github.com/hcm-edu/vanban/meetings"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/org"
	"github.com/hcm-edu/vanban/records"
	"github.com/hcm-edu/vanban/routing"
	"github.com/hcm-edu/vanban/storage"
	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"
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
	Drafts   *drafting.Service
	Certs    *certs.Service
	Admin    *admin.Service   // nil: one without e-mail, made from DB, Auth and Config
	Records  *records.Service // nil: one without Freezer, Archiver or Exporter, made from DB, Docs and Notes
	Log      *slog.Logger
	Registry *prometheus.Registry
}

// Route is one endpoint of a route table. Every API route carries the
// operationId it has in the OpenAPI document; a test checks the two agree.
type Route struct {
	Method, Path, OperationID string
	Auth                      bool // requires a logged-in user
	Upload                    bool // streams a file body
	Handler                   fiber.Handler
}

// Server holds the Fiber app, the middleware and the error handler; the
// route tables of api and web are mounted on it.
type Server struct {
	app       *fiber.App
	cfg       *config.Config
	db        *sqlx.DB
	blobs     storage.Blobs
	auth      *auth.Service
	shutdown  chan struct{}
	closing   sync.Once
	log       *slog.Logger
	metrics   *httpMetrics
	errorPage func(*fiber.Ctx, Problem) error
}

// SmallBodyLimit caps bodies of every request but uploads; larger bodies
// are streamed by fasthttp and refused by limitBody.
const SmallBodyLimit = 1 << 20

// NewServer builds the Fiber app with the middleware and the operations
// endpoints (/healthz, /readyz, /metrics). errorPage shows an error to a
// browser; API calls get JSON.
func NewServer(d Deps, errorPage func(*fiber.Ctx, Problem) error) *Server {
	s := &Server{cfg: d.Config, db: d.DB, blobs: d.Blobs, auth: d.Auth, shutdown: make(chan struct{}), log: d.Log,
		errorPage: errorPage}
	s.metrics = newHTTPMetrics(d.Registry)
	cfg := fiber.Config{
		AppName:                      "vanban",
		ErrorHandler:                 s.handleError,
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		BodyLimit:                    SmallBodyLimit,
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
	// fasthttp refuses some requests before any handler runs: headers too
	// large (431), malformed (400), too slow (408). Fiber's error handler,
	// which ends in handleError, then has no path to tell an API call from
	// a page: take it from the request line fasthttp quotes in its error.
	srv := s.app.Server()
	fiberErrors := srv.ErrorHandler
	srv.ErrorHandler = func(ctx *fasthttp.RequestCtx, err error) {
		if target := requestTarget(err); target != "" {
			ctx.Request.SetRequestURI(target)
		}
		fiberErrors(ctx, err)
	}
	s.app.Use(recover.New())
	s.app.Use(s.begin)
	s.app.Use(s.identify)
	s.Mount(s.operations())
	return s
}

// App returns the Fiber app (for Listen, Test and Shutdown).
func (s *Server) App() *fiber.App { return s.app }

// Done is closed when the server shuts down: live event streams end then.
func (s *Server) Done() <-chan struct{} { return s.shutdown }

// Shutdown ends the live event streams, then waits for the requests under
// way to finish.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Do(func() { close(s.shutdown) })
	return s.app.ShutdownWithContext(ctx)
}

// Mount adds a route table: each route gets the body limit (or, for an
// upload, the upload mark), when it needs a login requireUser, then the
// check of the text it receives (checkInput). A GET route answers HEAD too.
func (s *Server) Mount(routes []Route) {
	for _, r := range routes {
		h := []fiber.Handler{}
		if r.Upload {
			h = append(h, markUpload)
		} else {
			h = append(h, limitBody)
		}
		if r.Auth {
			h = append(h, s.requireUser)
		}
		h = append(h, checkInput, r.Handler)
		s.app.Add(r.Method, r.Path, h...)
		if r.Method == http.MethodGet {
			s.app.Add(http.MethodHead, r.Path, h...)
		}
	}
}

// markUpload marks an upload route. A refused upload whose handler answers
// with a page of its own (the form again) has its unread rest drained too:
// left in the connection, it would be read as the next request.
func markUpload(c *fiber.Ctx) error {
	c.Locals(localsUpload, true)
	err := c.Next()
	if err == nil && c.Response().StatusCode() >= 400 {
		DrainUpload(c)
	}
	return err
}

const (
	localsRequestID = "request_id"
	localsPrincipal = "principal"
	localsCSRF      = "csrf"
	localsKind      = "session_kind"
	localsUpload    = "upload"
)

// SessionCookie holds the web session's token.
const SessionCookie = "vanban_session"

// HeaderCSRF carries the session's CSRF token on a cookie-authenticated
// call that changes something; the pages put it in <meta name="csrf-token">.
const HeaderCSRF = "X-CSRF-Token"

var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// begin gives every request an id, logs it and counts it.
func (s *Server) begin(c *fiber.Ctx) error {
	start := time.Now()
	id := c.Get("X-Request-ID")
	if !requestIDRE.MatchString(id) {
		id = newRequestID()
	}
	c.Locals(localsRequestID, id)
	c.Set("X-Request-ID", id)
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "same-origin")
	if s.overHTTPS(c) {
		c.Set("Strict-Transport-Security", hsts)
	}
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

func newRequestID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// hsts tells browsers to use https only for a year. Not for subdomains:
// other services of the Department may live there, on http.
const hsts = "max-age=31536000"

// overHTTPS reports whether users reach the service over https: on a TLS
// connection, when PUBLIC_URL says https, or behind a trusted proxy that
// says so in X-Forwarded-Proto.
func (s *Server) overHTTPS(c *fiber.Ctx) bool {
	return c.Context().IsTLS() || strings.HasPrefix(strings.ToLower(s.cfg.PublicURL), "https://") ||
		s.cfg.TrustProxy && strings.EqualFold(strings.TrimSpace(c.Get(fiber.HeaderXForwardedProto)), "https")
}

// requestTarget finds the request's target in an error of fasthttp's
// request reader, which quotes the start of what it read:
// ... contents: "GET /api/v1/me HTTP/1.1\r\nHost: ...".
func requestTarget(err error) string {
	_, quoted, ok := strings.Cut(err.Error(), "contents: \"")
	if !ok {
		return ""
	}
	line, _, _ := strings.Cut(quoted, `\r\n`)
	line, _, _ = strings.Cut(line, `\n`)
	line, _, _ = strings.Cut(line, `"`)
	f := strings.Fields(line)
	if len(f) < 2 || !strings.HasPrefix(f[1], "/") {
		return ""
	}
	return f[1]
}

// RequestID returns the id begin gave the request.
func RequestID(c *fiber.Ctx) string {
	id, _ := c.Locals(localsRequestID).(string)
	return id
}

// limitBody refuses large bodies on every route that does not stream an
// upload, before anything reads them into memory.
func limitBody(c *fiber.Ctx) error {
	if n := c.Request().Header.ContentLength(); n > SmallBodyLimit || n == -1 {
		c.Context().SetConnectionClose()
		return BadRequest(fiber.StatusRequestEntityTooLarge, "too_large", "Nội dung yêu cầu quá lớn (tối đa 1 MiB ngoài tải tệp)")
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
			return BadRequest(401, "unauthenticated", "Chỉ hỗ trợ Authorization: Bearer <token>")
		}
		token, kind = strings.TrimSpace(t), "bearer"
	} else if ck := c.Cookies(SessionCookie); ck != "" {
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
		c.ClearCookie(SessionCookie)
	default:
		return err
	}
	return c.Next()
}

// requireUser answers 401 (API) or redirects to the login page (web) when
// nobody is logged in, and checks CSRF on unsafe cookie-authenticated
// requests. A web upload checks it in its first form field; the JSON API,
// uploads included, takes a session cookie only with the session's token
// in X-CSRF-Token, so that no state changes on the strength of the cookie
// alone (bearer tokens need none: a browser never sends them by itself).
func (s *Server) requireUser(c *fiber.Ctx) error {
	p, ok := c.Locals(localsPrincipal).(auth.Principal)
	if !ok {
		if wantsHTML(c) && c.Method() == fiber.MethodGet {
			return c.Redirect("/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
		}
		return auth.ErrUnauthenticated
	}
	_ = p
	if c.Locals(localsKind) == "cookie" && !safeMethod(c.Method()) {
		if !wantsHTML(c) {
			want, _ := c.Locals(localsCSRF).(string)
			if !SameOrigin(c) || !auth.TokensEqual(want, c.Get(HeaderCSRF)) {
				return errAPICSRF
			}
			return c.Next()
		}
		if !SameOrigin(c) {
			return errCSRF
		}
		if c.Locals(localsUpload) == nil {
			want, _ := c.Locals(localsCSRF).(string)
			got := c.Get(HeaderCSRF)
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

// Principal returns who is logged in (the zero Principal for nobody; a
// route that needs a login never sees that).
func Principal(c *fiber.Ctx) auth.Principal {
	p, _ := c.Locals(localsPrincipal).(auth.Principal)
	return p
}

// LoggedIn returns who is logged in, if anybody is.
func LoggedIn(c *fiber.Ctx) (auth.Principal, bool) {
	p, ok := c.Locals(localsPrincipal).(auth.Principal)
	return p, ok
}

// CSRFToken returns the web session's CSRF token, which forms send back.
func CSRFToken(c *fiber.Ctx) string {
	t, _ := c.Locals(localsCSRF).(string)
	return t
}

// IsUpload reports whether the route streams an upload (its form fields
// are not parsed).
func IsUpload(c *fiber.Ctx) bool { return c.Locals(localsUpload) != nil }

func safeMethod(m string) bool {
	return m == fiber.MethodGet || m == fiber.MethodHead || m == fiber.MethodOptions
}

// SameOrigin rejects cross-site form posts from browsers that say where
// they come from; the CSRF token covers those that do not.
func SameOrigin(c *fiber.Ctx) bool {
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
