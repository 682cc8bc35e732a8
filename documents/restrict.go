package documents

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/notify"
)

// Grantee is a person or a section named in a document's restriction.
type Grantee struct {
	ID      int64  `db:"id" json:"id"`
	Name    string `db:"name" json:"name"`
	Section string `db:"section" json:"section,omitempty"` // a person's section
}

// Restriction says who sees a document inside its unit (Decree 30
// Appendix VI III.3.b: access rights per document).
type Restriction struct {
	DocumentID int64     `json:"document_id"`
	Restricted bool      `json:"restricted"`
	Users      []Grantee `json:"users"`
	Sections   []Grantee `json:"sections"`
	// CanChange: the reader may change it (its creator, the unit's clerk
	// or head).
	CanChange bool `json:"can_change"`
}

// RestrictionChange is the whole new restriction of a document: the named
// people and sections replace the old ones. Restricted false lifts it and
// forgets the names.
type RestrictionChange struct {
	Restricted bool    `json:"restricted"`
	Users      []int64 `json:"users"`
	Sections   []int64 `json:"sections"`
}

// SetNotes gives s the notification store that tells a document's owner
// when someone else changes its restriction. Without it notifications are
// stored in the service only, never e-mailed.
func (s *Service) SetNotes(n *notify.Store) { s.notes = n }

func (s *Service) notesStore() *notify.Store {
	if s.notes != nil {
		return s.notes
	}
	return notify.NewStore(s.db, false)
}

// canRestrict reports whether p may change the restriction of d: its
// creator, and the clerks and head of its unit.
func (s *Service) canRestrict(ctx context.Context, p auth.Principal, d Document) (bool, error) {
	if d.UnitID != p.UnitID {
		return false, nil
	}
	if d.CreatedBy == p.UserID || p.Has(auth.RoleClerk) {
		return true, nil
	}
	return s.isHead(ctx, p)
}

// Restriction returns who sees document id inside its unit, to those who
// see the document. Another unit's reader learns only whether it is
// restricted, not the names.
func (s *Service) Restriction(ctx context.Context, p auth.Principal, id int64) (Restriction, error) {
	d, err := s.Get(ctx, p, id)
	if err != nil {
		return Restriction{}, err
	}
	r := Restriction{DocumentID: id, Restricted: d.Restricted, Users: []Grantee{}, Sections: []Grantee{}}
	if d.UnitID != p.UnitID {
		return r, nil
	}
	if r.CanChange, err = s.canRestrict(ctx, p, d); err != nil {
		return r, err
	}
	if err := s.grantees(ctx, s.db, id, &r); err != nil {
		return r, err
	}
	return r, nil
}

func (s *Service) grantees(ctx context.Context, q sqlx.QueryerContext, id int64, r *Restriction) error {
	err := sqlx.SelectContext(ctx, q, &r.Users, `
		SELECT u.id, u.full_name AS name, coalesce(sc.name, '') AS section
		FROM document_grants g JOIN users u ON u.id = g.user_id LEFT JOIN sections sc ON sc.id = u.section_id
		WHERE g.document_id = $1 ORDER BY u.full_name, u.id`, id)
	if err == nil {
		err = sqlx.SelectContext(ctx, q, &r.Sections, `
			SELECT sc.id, sc.name, '' AS section FROM document_grants g JOIN sections sc ON sc.id = g.section_id
			WHERE g.document_id = $1 ORDER BY sc.name, sc.id`, id)
	}
	if err != nil {
		return fmt.Errorf("documents: unable to read the restriction: %w", err)
	}
	return nil
}

// SetRestriction replaces the restriction of document id (see
// RestrictionChange). Only its creator and its unit's clerks and head may;
// the people and sections named must be of the document's unit. Those no
// longer named lose sight of it at once, since visible reads the grants.
// The change is audited and, when p is not its creator, its creator
// notified.
func (s *Service) SetRestriction(ctx context.Context, p auth.Principal, id int64, ch RestrictionChange) (Restriction, error) {
	d, err := s.Get(ctx, p, id)
	if err != nil {
		return Restriction{}, err
	}
	ok, err := s.canRestrict(ctx, p, d)
	if err != nil {
		return Restriction{}, err
	}
	if !ok {
		return Restriction{}, domain.ErrForbidden
	}
	users, sections := dedupe(ch.Users), dedupe(ch.Sections)
	if !ch.Restricted {
		users, sections = nil, nil
	}
	if err := s.checkGrantees(ctx, d.UnitID, users, sections); err != nil {
		return Restriction{}, err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Restriction{}, err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM documents WHERE id = $1 FOR UPDATE`, id); err != nil {
		return Restriction{}, fmt.Errorf("documents: unable to lock the document: %w", err)
	}
	var before Restriction
	if err := tx.GetContext(ctx, &before.Restricted, `SELECT restricted FROM documents WHERE id = $1`, id); err != nil {
		return Restriction{}, fmt.Errorf("documents: unable to read the document: %w", err)
	}
	if err := s.grantees(ctx, tx, id, &before); err != nil {
		return Restriction{}, err
	}
	oldUsers, oldSections := grantIDs(before.Users), grantIDs(before.Sections)
	addUsers, delUsers := diff(users, oldUsers), diff(oldUsers, users)
	addSections, delSections := diff(sections, oldSections), diff(oldSections, sections)
	if before.Restricted == ch.Restricted && len(addUsers)+len(delUsers)+len(addSections)+len(delSections) == 0 {
		return s.Restriction(ctx, p, id)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE documents SET restricted = $2 WHERE id = $1`, id, ch.Restricted); err != nil {
		return Restriction{}, fmt.Errorf("documents: unable to restrict the document: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM document_grants WHERE document_id = $1
		AND (user_id = ANY($2) OR section_id = ANY($3))`, id, pq.Int64Array(delUsers), pq.Int64Array(delSections)); err != nil {
		return Restriction{}, fmt.Errorf("documents: unable to remove grants: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO document_grants (document_id, user_id, granted_by) SELECT $1, unnest($2::bigint[]), $3`,
		id, pq.Int64Array(addUsers), p.UserID); err != nil {
		return Restriction{}, fmt.Errorf("documents: unable to grant access: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO document_grants (document_id, section_id, granted_by) SELECT $1, unnest($2::bigint[]), $3`,
		id, pq.Int64Array(addSections), p.UserID); err != nil {
		return Restriction{}, fmt.Errorf("documents: unable to grant access: %w", err)
	}
	action := "document.restrict"
	switch {
	case !ch.Restricted:
		action = "document.unrestrict"
	case before.Restricted:
		action = "document.restriction_change"
	}
	if d.CreatedBy != p.UserID {
		link := fmt.Sprintf("/documents/%d", id)
		title := "Quyền xem văn bản đã thay đổi: " + d.Title
		body := p.FullName + " đã thay đổi danh sách người được xem văn bản."
		if !ch.Restricted {
			body = p.FullName + " đã bỏ hạn chế: mọi người trong đơn vị được xem văn bản."
		}
		docID := id
		if err := s.notesStore().Add(ctx, tx, []notify.Notification{{UserID: d.CreatedBy, Kind: "document.access_changed",
			Title: title, Body: body, Link: link, DocumentID: &docID}}); err != nil {
			return Restriction{}, err
		}
	}
	if err := audit.Append(ctx, tx, audit.Event{ActorID: p.UserID, ActorUnitID: p.UnitID, Action: action, DocumentID: id,
		Details: map[string]any{"restricted": ch.Restricted, "users_added": addUsers, "users_removed": delUsers,
			"sections_added": addSections, "sections_removed": delSections}}); err != nil {
		return Restriction{}, err
	}
	if err := tx.Commit(); err != nil {
		return Restriction{}, fmt.Errorf("documents: unable to commit the restriction: %w", err)
	}
	return s.Restriction(ctx, p, id)
}

// checkGrantees refuses people and sections that are not of unit (or have
// left it, or are closed).
func (s *Service) checkGrantees(ctx context.Context, unit int64, users, sections []int64) error {
	bad := map[string]string{}
	var n int
	if len(users) > 0 {
		if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM users WHERE id = ANY($1) AND unit_id = $2 AND left_at IS NULL`,
			pq.Int64Array(users), unit); err != nil {
			return fmt.Errorf("documents: unable to check the people named: %w", err)
		}
		if n != len(users) {
			bad["users"] = "có người không thuộc đơn vị của văn bản hoặc không tồn tại"
		}
	}
	if len(sections) > 0 {
		if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM sections WHERE id = ANY($1) AND unit_id = $2 AND closed_at IS NULL`,
			pq.Int64Array(sections), unit); err != nil {
			return fmt.Errorf("documents: unable to check the sections named: %w", err)
		}
		if n != len(sections) {
			bad["sections"] = "có phòng ban không thuộc đơn vị của văn bản hoặc không tồn tại"
		}
	}
	if len(bad) > 0 {
		return &domain.ValidationError{Fields: bad}
	}
	return nil
}

// Colleagues lists the people and open sections of p's unit, for the form
// that names who sees a restricted document.
func (s *Service) Colleagues(ctx context.Context, p auth.Principal) (people, sections []Grantee, err error) {
	people, sections = []Grantee{}, []Grantee{}
	err = s.db.SelectContext(ctx, &people, `
		SELECT u.id, u.full_name AS name, coalesce(sc.name, '') AS section
		FROM users u LEFT JOIN sections sc ON sc.id = u.section_id
		WHERE u.unit_id = $1 AND u.left_at IS NULL AND NOT u.disabled ORDER BY u.full_name, u.id`, p.UnitID)
	if err == nil {
		err = s.db.SelectContext(ctx, &sections, `
			SELECT id, name, '' AS section FROM sections WHERE unit_id = $1 AND closed_at IS NULL ORDER BY name, id`, p.UnitID)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("documents: unable to list the unit's people: %w", err)
	}
	return people, sections, nil
}

// RestrictionText is the line the document page shows: who sees it.
func (r Restriction) RestrictionText() string {
	var names []string
	for _, u := range r.Users {
		names = append(names, u.Name)
	}
	for _, sc := range r.Sections {
		names = append(names, sc.Name)
	}
	return strings.Join(names, ", ")
}

func grantIDs(gs []Grantee) []int64 {
	out := make([]int64, len(gs))
	for i, g := range gs {
		out[i] = g.ID
	}
	return out
}

func dedupe(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// diff is what a has and b has not.
func diff(a, b []int64) []int64 {
	out := []int64{}
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}
