package web

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/httpx"
)

// oidcCookie keeps a login's state, nonce and PKCE verifier between the
// redirect to the provider and its callback; only its path sees it.
const oidcCookie = "vanban_oidc"

// openID returns the OpenID login, nil when OIDC_ISSUER is not set. It is
// made at first use, once the configuration is complete.
func (s *Server) openID() *auth.OIDC {
	if !s.cfg.OIDCEnabled() {
		return nil
	}
	s.oidcOnce.Do(func() {
		s.oidc = s.auth.NewOIDC(auth.OIDCConfig{Issuer: s.cfg.OIDCIssuer, ClientID: s.cfg.OIDCClientID,
			ClientSecret: s.cfg.OIDCClientSecret, RedirectURL: s.cfg.OIDCRedirectURL, MatchClaim: s.cfg.OIDCMatchClaim})
	})
	return s.oidc
}

// oidcButton is the login page's button label, empty without OIDC.
func (s *Server) oidcButton() string {
	if !s.cfg.OIDCEnabled() {
		return ""
	}
	if s.cfg.OIDCButton == "" {
		return "Đăng nhập bằng tài khoản của Sở"
	}
	return s.cfg.OIDCButton
}

// setSessionCookie hands the browser the session a login opened.
func (s *Server) setSessionCookie(c *fiber.Ctx, sess auth.Session) {
	c.Cookie(&fiber.Cookie{Name: httpx.SessionCookie, Value: sess.Token, Path: "/", HTTPOnly: true,
		Secure: s.cookieSecure(c), SameSite: fiber.CookieSameSiteLaxMode, Expires: sess.ExpiresAt})
}

func (s *Server) oidcStart(c *fiber.Ctx) error {
	o := s.openID()
	if o == nil {
		return fiber.ErrNotFound
	}
	f, err := o.Start(c.UserContext())
	if err != nil {
		s.log.Warn("OpenID login unavailable", "request_id", httpx.RequestID(c), "error", err)
		return s.oidcRefused(c, fiber.StatusServiceUnavailable, "Không kết nối được với nhà cung cấp danh tính; hãy thử lại sau hoặc đăng nhập bằng mật khẩu.")
	}
	// Lax: the provider's redirect back is a top-level GET from its site.
	c.Cookie(&fiber.Cookie{Name: oidcCookie, Value: f.Cookie(), Path: "/auth/oidc", HTTPOnly: true,
		Secure: s.cookieSecure(c), SameSite: fiber.CookieSameSiteLaxMode, MaxAge: int(auth.OIDCFlowTTL.Seconds())})
	return c.Redirect(f.URL, fiber.StatusSeeOther)
}

func (s *Server) oidcCallback(c *fiber.Ctx) error {
	o := s.openID()
	if o == nil {
		return fiber.ErrNotFound
	}
	raw := c.Cookies(oidcCookie)
	// The flow is good for one callback, whatever its outcome.
	c.Cookie(&fiber.Cookie{Name: oidcCookie, Value: "", Path: "/auth/oidc", HTTPOnly: true,
		Secure: s.cookieSecure(c), Expires: time.Unix(0, 0), MaxAge: -1})
	f, ok := auth.ParseOIDCFlow(raw)
	if !ok {
		return s.oidcRefused(c, fiber.StatusForbidden, auth.ErrOIDCState.Message)
	}
	code := c.Query("code")
	if c.Query("error") != "" {
		code = "" // the provider refused: Finish says so after spending the state
	}
	sess, err := o.Finish(c.UserContext(), f, c.Query("state"), code)
	if err != nil {
		var refused *auth.OIDCError
		if errors.As(err, &refused) {
			s.log.Warn("OpenID login refused", "request_id", httpx.RequestID(c), "ip", c.IP(), "error", err)
			return s.oidcRefused(c, fiber.StatusForbidden, refused.Message)
		}
		s.log.Error("OpenID login failed", "request_id", httpx.RequestID(c), "error", err)
		return s.oidcRefused(c, fiber.StatusBadGateway, "Không hoàn tất được đăng nhập qua nhà cung cấp danh tính; hãy thử lại sau hoặc đăng nhập bằng mật khẩu.")
	}
	s.setSessionCookie(c, sess)
	return c.Redirect(s.landing(c, sess.Principal), fiber.StatusSeeOther)
}

// oidcRefused shows the login page with why, so that password login
// remains at hand.
func (s *Server) oidcRefused(c *fiber.Ctx, status int, msg string) error {
	d := s.page(c, "Đăng nhập")
	d.User = nil
	d.CSRF = s.loginCSRF(c)
	d.OIDCButton = s.oidcButton()
	d.Error = msg
	return s.render(c, status, "login", d)
}
