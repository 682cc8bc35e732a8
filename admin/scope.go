// Package admin is the delegated administration of the organisation:
// units, their sections and the people in them, each change audited, and
// the invitation and password-reset links sent by e-mail. Every operation
// goes through one scope rule (Scope): the department's administrators
// manage everything, a district office's its own office and the schools
// under it, any other unit's its own unit only.
package admin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/org"
)

// Sender sends one e-mail (notify.Mailer).
type Sender interface {
	Send(ctx context.Context, msg notify.Message) error
}

// Service manages units, sections and accounts for administrators.
type Service struct {
	db        *sqlx.DB
	auth      *auth.Service
	units     *org.Store
	mail      Sender // nil: SMTP is off, links are shown to the admin
	publicURL string
	log       *slog.Logger
	limiter   *ipLimiter
}

// New returns a Service. mail may be nil (no SMTP): invitation links are
// then returned for the admin to pass on.
func New(db *sqlx.DB, a *auth.Service, mail Sender, publicURL string, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{db: db, auth: a, units: org.NewStore(db), mail: mail, publicURL: strings.TrimRight(publicURL, "/"),
		log: log, limiter: newIPLimiter()}
}

// MailEnabled reports whether links are e-mailed.
func (s *Service) MailEnabled() bool { return s.mail != nil }

// Scope is the part of the organisation an administrator manages.
type Scope struct {
	All      bool   // the department's administrators
	UnitID   int64  // the admin's own unit
	Children bool   // also the units directly under it (a district office's schools)
	Kind     string // the kind of the admin's unit
}

// ScopeOf returns the scope of p, or domain.ErrNotFound when p is no
// administrator (admin pages do not exist for them).
func (s *Service) ScopeOf(ctx context.Context, p auth.Principal) (Scope, error) {
	if !p.Has(auth.RoleAdmin) {
		return Scope{}, domain.ErrNotFound
	}
	u, err := s.units.Get(ctx, p.UnitID)
	if err != nil {
		return Scope{}, err
	}
	return scopeFor(u), nil
}

// scopeFor is the rule itself, from the admin's unit.
func scopeFor(u org.Unit) Scope {
	sc := Scope{UnitID: u.ID, Kind: u.Kind}
	switch u.Kind {
	case org.KindDepartment:
		sc.All = true
	case org.KindDistrictOffice:
		sc.Children = true
	}
	return sc
}

// Covers reports whether the scope includes a unit with that id and parent
// (parent 0: none). It decides for existing units and for units about to
// be created or moved alike.
func (sc Scope) Covers(unitID, parentID int64) bool {
	switch {
	case sc.All:
		return true
	case unitID != 0 && unitID == sc.UnitID:
		return true
	case sc.Children && parentID == sc.UnitID:
		return true
	}
	return false
}

// CoversUnit is Covers for a stored unit.
func (sc Scope) CoversUnit(u org.Unit) bool {
	var parent int64
	if u.ParentID != nil {
		parent = *u.ParentID
	}
	return sc.Covers(u.ID, parent)
}

// manage returns the scope of p and the unit, or domain.ErrNotFound when
// the unit is outside it: the one check every operation on a unit makes.
func (s *Service) manage(ctx context.Context, p auth.Principal, unitID int64) (Scope, Unit, error) {
	sc, err := s.ScopeOf(ctx, p)
	if err != nil {
		return sc, Unit{}, err
	}
	u, err := s.unit(ctx, s.db, unitID)
	if err != nil {
		return sc, u, err
	}
	if !sc.CoversUnit(u.Unit) {
		return sc, u, domain.ErrNotFound
	}
	return sc, u, nil
}

// scopeWhere is the scope as SQL on a units table aliased n, with its
// arguments numbered from next.
func (sc Scope) where(next int) (string, []any) {
	switch {
	case sc.All:
		return "true", nil
	case sc.Children:
		return fmt.Sprintf("(n.id = $%d OR n.parent_id = $%d)", next, next), []any{sc.UnitID}
	}
	return fmt.Sprintf("n.id = $%d", next), []any{sc.UnitID}
}

func validEmail(e string) bool {
	if e == "" {
		return true
	}
	a, err := mail.ParseAddress(e)
	return err == nil && a.Address == e && !strings.ContainsAny(e, " <>")
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) || errors.Is(err, org.ErrNotFound) {
		return domain.ErrNotFound
	}
	return err
}

// MayImport is nil when p may import and export the whole organisation
// (orgimport): an administrator of the department. Others get
// domain.ErrNotFound: the pages do not exist for them.
func (s *Service) MayImport(ctx context.Context, p auth.Principal) error {
	sc, err := s.ScopeOf(ctx, p)
	if err != nil {
		return err
	}
	if !sc.All {
		return domain.ErrNotFound
	}
	return nil
}
