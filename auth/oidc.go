package auth

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/hcm-edu/vanban/audit"
)

// OIDCConfig is the one OpenID Connect provider people may sign in with.
type OIDCConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	RedirectURL  string
	// MatchClaim is "email" (the verified e-mail against the account's
	// e-mail) or another claim whose value is the vanban username.
	MatchClaim string
}

// OIDCFlowTTL is how long a login started at the provider may take.
const OIDCFlowTTL = 10 * time.Minute

// OIDCError is a refused OpenID login; Message is what the person reads.
type OIDCError struct {
	Code    string
	Message string
}

func (e *OIDCError) Error() string { return "auth: OpenID login refused: " + e.Code }

// The refusals of an OpenID login.
var (
	ErrOIDCState      = &OIDCError{"state", "Phiên đăng nhập qua nhà cung cấp danh tính đã hết hạn hoặc đã được dùng; hãy đăng nhập lại."}
	ErrOIDCDenied     = &OIDCError{"denied", "Nhà cung cấp danh tính không cho phép đăng nhập."}
	ErrOIDCToken      = &OIDCError{"token", "Không xác minh được danh tính do nhà cung cấp gửi về (chữ ký, đối tượng nhận, thời hạn hoặc mã dùng một lần không hợp lệ)."}
	ErrOIDCUnverified = &OIDCError{"unverified", "Địa chỉ thư điện tử của bạn chưa được nhà cung cấp danh tính xác minh nên không thể dùng để đăng nhập."}
	ErrOIDCNoAccount  = &OIDCError{"no_account", "Không có tài khoản nào trên hệ thống ứng với danh tính này; hãy liên hệ quản trị viên của đơn vị."}
	ErrOIDCAmbiguous  = &OIDCError{"ambiguous", "Có nhiều tài khoản ứng với danh tính này; hãy liên hệ quản trị viên để liên kết đúng tài khoản."}
	ErrOIDCDisabled   = &OIDCError{"disabled", "Tài khoản ứng với danh tính này đã bị khóa hoặc đã thôi công tác."}
	ErrOIDCClaim      = &OIDCError{"claim", "Nhà cung cấp danh tính không gửi thông tin cần để nhận ra tài khoản của bạn."}
)

// OIDCFlow is a login under way: the provider's URL the browser goes to,
// and what the browser keeps (in a short-lived HttpOnly cookie) until the
// callback.
type OIDCFlow struct {
	URL      string
	State    string
	Nonce    string
	Verifier string // PKCE
	Expires  time.Time
}

// Cookie encodes the flow for the browser's cookie (not the URL).
func (f OIDCFlow) Cookie() string {
	return f.State + "." + f.Nonce + "." + f.Verifier + "." + strconv.FormatInt(f.Expires.Unix(), 10)
}

// ParseOIDCFlow decodes what Cookie encoded.
func ParseOIDCFlow(v string) (OIDCFlow, bool) {
	parts := strings.Split(v, ".")
	if len(parts) != 4 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return OIDCFlow{}, false
	}
	exp, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil {
		return OIDCFlow{}, false
	}
	return OIDCFlow{State: parts[0], Nonce: parts[1], Verifier: parts[2], Expires: time.Unix(exp, 0)}, true
}

// OIDC signs people in through an OpenID Connect provider and links the
// identities it vouches for to vanban accounts.
type OIDC struct {
	cfg    OIDCConfig
	svc    *Service
	client *http.Client

	mu       sync.Mutex
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	used     map[string]time.Time // states seen, until their flow expires
}

// NewOIDC returns the login through cfg's provider. Discovery happens at
// the first login, so the service starts while the provider is down.
func (s *Service) NewOIDC(cfg OIDCConfig) *OIDC {
	if cfg.MatchClaim == "" {
		cfg.MatchClaim = "email"
	}
	return &OIDC{cfg: cfg, svc: s, client: &http.Client{Timeout: 15 * time.Second}, used: map[string]time.Time{}}
}

func (o *OIDC) ctx(ctx context.Context) context.Context { return oidc.ClientContext(ctx, o.client) }

// discover fetches the provider's metadata once it answers.
func (o *OIDC) discover(ctx context.Context) (*oidc.Provider, *oidc.IDTokenVerifier, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider == nil {
		p, err := oidc.NewProvider(o.ctx(ctx), o.cfg.Issuer)
		if err != nil {
			return nil, nil, fmt.Errorf("auth: unable to discover the OpenID provider: %w", err)
		}
		o.provider = p
		o.verifier = p.Verifier(&oidc.Config{ClientID: o.cfg.ClientID, Now: o.svc.now})
	}
	return o.provider, o.verifier, nil
}

func (o *OIDC) oauth(p *oidc.Provider) *oauth2.Config {
	scopes := []string{oidc.ScopeOpenID, "email", "profile"}
	return &oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, RedirectURL: o.cfg.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: scopes}
}

// Start begins a login: the authorization code flow with PKCE (S256), a
// state and a nonce.
func (o *OIDC) Start(ctx context.Context) (OIDCFlow, error) {
	p, _, err := o.discover(ctx)
	if err != nil {
		return OIDCFlow{}, err
	}
	f := OIDCFlow{State: randomString(24), Nonce: randomString(24), Verifier: oauth2.GenerateVerifier(),
		Expires: o.svc.now().Add(OIDCFlowTTL)}
	f.URL = o.oauth(p).AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier))
	return f, nil
}

// stateMatches checks the callback's state against the browser's flow.
func (o *OIDC) stateMatches(f OIDCFlow, state string) bool {
	now := o.svc.now()
	return state != "" && subtle.ConstantTimeCompare([]byte(state), []byte(f.State)) == 1 &&
		now.Before(f.Expires) && f.Expires.Sub(now) <= OIDCFlowTTL
}

// claimUse takes the state once: a replayed callback is refused even
// within the flow's lifetime (the code is single-use at the provider too,
// which covers several vanban instances). Only states whose code the
// provider honoured are kept, so forged callbacks cannot fill the memory.
func (o *OIDC) claimUse(f OIDCFlow, state string) bool {
	if !o.stateMatches(f, state) {
		return false
	}
	now := o.svc.now()
	o.mu.Lock()
	defer o.mu.Unlock()
	for s, exp := range o.used {
		if now.After(exp) {
			delete(o.used, s)
		}
	}
	if _, seen := o.used[state]; seen {
		return false
	}
	o.used[state] = f.Expires
	return true
}

// Finish completes the login f at the callback: it checks state, trades
// code for tokens, verifies the ID token (signature from the provider's
// JWKS, issuer, audience, expiry, nonce), finds or links the account and
// opens a web session for it.
func (o *OIDC) Finish(ctx context.Context, f OIDCFlow, state, code string) (Session, error) {
	if !o.stateMatches(f, state) {
		return Session{}, ErrOIDCState
	}
	if code == "" {
		return Session{}, ErrOIDCDenied
	}
	p, v, err := o.discover(ctx)
	if err != nil {
		return Session{}, err
	}
	tok, err := o.oauth(p).Exchange(o.ctx(ctx), code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return Session{}, fmt.Errorf("%w: unable to exchange the code: %v", ErrOIDCState, err)
	}
	if !o.claimUse(f, state) {
		return Session{}, ErrOIDCState
	}
	raw, _ := tok.Extra("id_token").(string)
	id, err := o.verify(ctx, v, raw, f.Nonce)
	if err != nil {
		return Session{}, err
	}
	_, has := id.claims[o.cfg.MatchClaim]
	if _, ok := id.claims["email_verified"]; o.cfg.MatchClaim == "email" && !ok {
		has = false
	}
	if !has {
		// Some providers put the profile (or email_verified) only in UserInfo.
		ui, err := p.UserInfo(o.ctx(ctx), oauth2.StaticTokenSource(tok))
		if err != nil {
			return Session{}, fmt.Errorf("auth: unable to fetch the OpenID user info: %w", err)
		}
		var more map[string]any
		if err := ui.Claims(&more); err != nil || ui.Subject != id.Subject {
			return Session{}, ErrOIDCToken
		}
		for k, val := range more {
			if _, ok := id.claims[k]; !ok {
				id.claims[k] = val
			}
		}
	}
	userID, err := o.link(ctx, id)
	if err != nil {
		return Session{}, err
	}
	return o.svc.open(ctx, userID, KindWeb)
}

// identity is what a verified ID token says.
type identity struct {
	Issuer  string
	Subject string
	claims  map[string]any
}

// verify checks raw under v and the flow's nonce.
func (o *OIDC) verify(ctx context.Context, v *oidc.IDTokenVerifier, raw, nonce string) (identity, error) {
	if raw == "" {
		return identity{}, fmt.Errorf("%w: no id_token", ErrOIDCToken)
	}
	t, err := v.Verify(o.ctx(ctx), raw)
	if err != nil {
		return identity{}, fmt.Errorf("%w: %v", ErrOIDCToken, err)
	}
	if subtle.ConstantTimeCompare([]byte(t.Nonce), []byte(nonce)) != 1 {
		return identity{}, fmt.Errorf("%w: nonce mismatch", ErrOIDCToken)
	}
	id := identity{Issuer: t.Issuer, Subject: t.Subject}
	if err := t.Claims(&id.claims); err != nil {
		return identity{}, fmt.Errorf("%w: %v", ErrOIDCToken, err)
	}
	return id, nil
}

// claimString returns a string claim.
func (id identity) claimString(name string) string {
	s, _ := id.claims[name].(string)
	return strings.TrimSpace(s)
}

// emailVerified reads email_verified, a boolean or (at some providers)
// the string "true".
func (id identity) emailVerified() bool {
	switch v := id.claims["email_verified"].(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}

// link returns the account of id: the one already linked to (issuer,
// subject), or else the one active account its claim matches, which is
// then linked.
func (o *OIDC) link(ctx context.Context, id identity) (int64, error) {
	db := o.svc.db
	var linked struct {
		UserID   int64 `db:"user_id"`
		Disabled bool  `db:"disabled"`
		Left     bool  `db:"has_left"`
	}
	err := db.GetContext(ctx, &linked, `
SELECT i.user_id, u.disabled, u.left_at IS NOT NULL AS has_left
FROM user_identities i JOIN users u ON u.id = i.user_id
WHERE i.issuer = $1 AND i.subject = $2`, id.Issuer, id.Subject)
	switch {
	case err == nil:
		if linked.Disabled || linked.Left {
			return 0, ErrOIDCDisabled
		}
		if _, err := db.ExecContext(ctx, `UPDATE user_identities SET last_login = now() WHERE issuer = $1 AND subject = $2`, id.Issuer, id.Subject); err != nil {
			return 0, fmt.Errorf("auth: unable to record the OpenID login: %w", err)
		}
		return linked.UserID, nil
	case !errors.Is(err, sql.ErrNoRows):
		return 0, fmt.Errorf("auth: unable to look up the OpenID identity: %w", err)
	}

	claim := o.cfg.MatchClaim
	value := id.claimString(claim)
	if value == "" {
		return 0, ErrOIDCClaim
	}
	query := `SELECT id, unit_id, disabled OR left_at IS NOT NULL AS inactive FROM users WHERE username = lower($1)`
	if claim == "email" {
		if !id.emailVerified() {
			return 0, ErrOIDCUnverified
		}
		query = `SELECT id, unit_id, disabled OR left_at IS NOT NULL AS inactive FROM users WHERE email <> '' AND lower(email) = lower($1)`
	}
	var found []struct {
		ID       int64 `db:"id"`
		UnitID   int64 `db:"unit_id"`
		Inactive bool  `db:"inactive"`
	}
	if err := db.SelectContext(ctx, &found, query, value); err != nil {
		return 0, fmt.Errorf("auth: unable to match the OpenID identity: %w", err)
	}
	var active []int
	for i, u := range found {
		if !u.Inactive {
			active = append(active, i)
		}
	}
	switch {
	case len(active) > 1:
		return 0, ErrOIDCAmbiguous
	case len(active) == 0 && len(found) > 0:
		return 0, ErrOIDCDisabled
	case len(active) == 0:
		return 0, ErrOIDCNoAccount
	}
	u := found[active[0]]
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("auth: unable to begin: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `
INSERT INTO user_identities (issuer, subject, user_id, email, last_login) VALUES ($1, $2, $3, $4, now())
ON CONFLICT (issuer, subject) DO NOTHING`, id.Issuer, id.Subject, u.ID, id.claimString("email"))
	if err != nil {
		return 0, fmt.Errorf("auth: unable to link the OpenID identity: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		// Linked meanwhile by a concurrent login: take that link.
		return o.link(ctx, id)
	}
	if err := audit.Append(ctx, tx, audit.Event{ActorID: u.ID, ActorUnitID: u.UnitID, Action: "auth.oidc_link",
		Details: map[string]any{"issuer": id.Issuer, "subject": id.Subject, "claim": claim, "value": value}}); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("auth: unable to commit: %w", err)
	}
	return u.ID, nil
}
