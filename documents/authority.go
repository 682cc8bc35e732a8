package documents

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/digitorus/pdf"
	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/lib/pq"
	"golang.org/x/text/unicode/norm"
)

// Signing authority (Decree 30/2020 art. 13, Appendix I ô 7b): a person
// signs a document of their unit only in a capacity they hold for its type
// on the day they sign, and the capacity is the one the document's signer
// block prints.

// The capacities, as stored; Appendix I writes them "KT.", "TL." and so on
// before the title of the one signed for.
const (
	CapacityHead       = ""    // the head, in their own title
	CapacityActing     = "Q"   // Q.: a deputy given the head's powers
	CapacityCollective = "TM"  // TM.: for the collective leadership (art. 13.2)
	CapacityDeputy     = "KT"  // KT.: a deputy signing for the head (art. 13.1)
	CapacityByOrder    = "TL"  // TL.: the head of a section, by order (art. 13.4)
	CapacityDelegated  = "TUQ" // TUQ.: by written, time-limited delegation (art. 13.3)
)

// Capacities are the capacities with their Vietnamese labels.
var Capacities = []Choice{
	{CapacityHead, "Người đứng đầu, ký với chức vụ của mình"},
	{CapacityActing, "Q. — Quyền (cấp phó được giao quyền cấp trưởng)"},
	{CapacityCollective, "TM. — Thay mặt tập thể lãnh đạo"},
	{CapacityDeputy, "KT. — Ký thay người đứng đầu"},
	{CapacityByOrder, "TL. — Ký thừa lệnh"},
	{CapacityDelegated, "TUQ. — Ký thừa ủy quyền"},
}

// CapacityPrefix is how a capacity is printed before the title: "KT.".
func CapacityPrefix(capacity string) string {
	if capacity == "" {
		return ""
	}
	return capacity + "."
}

// Authority is a capacity a person holds to sign for their unit.
type Authority struct {
	ID            int64          `db:"id" json:"id"`
	UnitID        int64          `db:"unit_id" json:"unit_id"`
	UserID        int64          `db:"user_id" json:"user_id"`
	UserName      string         `db:"user_name" json:"user_name"`
	UserPosition  string         `db:"user_position" json:"user_position"`
	Capacity      string         `db:"capacity" json:"capacity"`
	OnBehalfOf    string         `db:"on_behalf_of" json:"on_behalf_of"`
	DocTypes      pq.StringArray `db:"doc_types" json:"doc_types"`
	ValidFrom     string         `db:"valid_from" json:"valid_from"` // YYYY-MM-DD, Vietnam date
	ValidTo       *string        `db:"valid_to" json:"valid_to,omitempty"`
	GrantedBy     int64          `db:"granted_by" json:"granted_by"`
	GrantedByName string         `db:"granted_by_name" json:"granted_by_name"`
	Basis         string         `db:"basis" json:"basis"`
	CreatedAt     time.Time      `db:"created_at" json:"created_at"`
	RevokedAt     *time.Time     `db:"revoked_at" json:"revoked_at,omitempty"`
	RevokedBy     *int64         `db:"revoked_by" json:"revoked_by,omitempty"`
	// Line is the capacity line as the signer block prints it: "KT. GIÁM ĐỐC".
	Line string `db:"-" json:"line"`
}

// line is the capacity line of a: "KT. GIÁM ĐỐC", or for the head the title.
func (a Authority) line() string {
	if a.Capacity == "" {
		return a.OnBehalfOf
	}
	return CapacityPrefix(a.Capacity) + " " + a.OnBehalfOf
}

// ActiveOn reports whether a lets its holder sign a document of docType on
// day (YYYY-MM-DD, Vietnam date).
func (a Authority) ActiveOn(docType, day string) bool {
	return a.RevokedAt == nil && a.ValidFrom <= day && (a.ValidTo == nil || day <= *a.ValidTo) &&
		(len(a.DocTypes) == 0 || slices.Contains(a.DocTypes, docType))
}

// AuthorityGrant is what the grant form and the API send.
type AuthorityGrant struct {
	UserID     int64    `json:"user_id"`
	Capacity   string   `json:"capacity"`
	OnBehalfOf string   `json:"on_behalf_of"`
	DocTypes   []string `json:"doc_types"`
	ValidFrom  string   `json:"valid_from"` // YYYY-MM-DD; empty: today
	ValidTo    string   `json:"valid_to"`   // YYYY-MM-DD; empty: open-ended
	Basis      string   `json:"basis"`
}

const authorityColumns = `
	a.id, a.unit_id, a.user_id, u.full_name AS user_name, u.position AS user_position, a.capacity,
	a.on_behalf_of, a.doc_types, to_char(a.valid_from, 'YYYY-MM-DD') AS valid_from,
	to_char(a.valid_to, 'YYYY-MM-DD') AS valid_to, a.granted_by, g.full_name AS granted_by_name,
	a.basis, a.created_at, a.revoked_at, a.revoked_by
	FROM signing_authorities a JOIN users u ON u.id = a.user_id JOIN users g ON g.id = a.granted_by`

func (s *Service) selectAuthorities(ctx context.Context, where string, args ...any) ([]Authority, error) {
	out := []Authority{}
	if err := s.db.SelectContext(ctx, &out, `SELECT `+authorityColumns+` WHERE `+where+` ORDER BY a.id`, args...); err != nil {
		return nil, fmt.Errorf("documents: unable to read signing authorities: %w", err)
	}
	for i := range out {
		out[i].Line = out[i].line()
	}
	return out, nil
}

// Authorities lists the signing authorities of p's unit, the revoked ones
// too, oldest first: who may sign what is known to the whole unit.
func (s *Service) Authorities(ctx context.Context, p auth.Principal) ([]Authority, error) {
	return s.selectAuthorities(ctx, `a.unit_id = $1`, p.UnitID)
}

// HeldAuthorities lists the authorities userID holds in their unit that
// are in force for docType (any type when empty) on day: what the drafter's
// form offers as the signer's capacity.
func (s *Service) HeldAuthorities(ctx context.Context, userID int64, docType string, day time.Time) ([]Authority, error) {
	all, err := s.selectAuthorities(ctx, `a.user_id = $1 AND a.unit_id = u.unit_id AND a.revoked_at IS NULL`, userID)
	if err != nil {
		return nil, err
	}
	d := vnDay(day)
	out := all[:0]
	for _, a := range all {
		if a.ActiveOn(docType, d) || (docType == "" && a.ActiveOn(firstType(a), d)) {
			out = append(out, a)
		}
	}
	return out, nil
}

func firstType(a Authority) string {
	if len(a.DocTypes) > 0 {
		return a.DocTypes[0]
	}
	return ""
}

func vnDay(t time.Time) string { return t.In(domain.VietnamTime).Format(time.DateOnly) }

// CanGrantAuthority reports whether p may grant and revoke the signing
// authorities of p's unit: its administrators, and its head (a holder of
// the head's capacity in force today). Only administrators record a head
// or an acting head, who are appointed, not delegated.
func (s *Service) CanGrantAuthority(ctx context.Context, p auth.Principal) (bool, error) {
	if p.Has(auth.RoleAdmin) {
		return true, nil
	}
	return s.isHead(ctx, p)
}

func (s *Service) isHead(ctx context.Context, p auth.Principal) (bool, error) {
	held, err := s.HeldAuthorities(ctx, p.UserID, "", time.Now())
	if err != nil {
		return false, err
	}
	for _, a := range held {
		if a.Capacity == CapacityHead && a.UnitID == p.UnitID {
			return true, nil
		}
	}
	return false, nil
}

// GrantAuthority records that a person of p's unit may sign in a capacity,
// for some document types, from one date to another (Decree 30 art. 13).
func (s *Service) GrantAuthority(ctx context.Context, p auth.Principal, g AuthorityGrant) (Authority, error) {
	ok, err := s.CanGrantAuthority(ctx, p)
	if err != nil {
		return Authority{}, err
	}
	if !ok {
		return Authority{}, domain.ErrForbidden
	}
	if (g.Capacity == CapacityHead || g.Capacity == CapacityActing) && !p.Has(auth.RoleAdmin) {
		return Authority{}, domain.Invalid("capacity", "người đứng đầu và quyền người đứng đầu do quản trị viên ghi nhận theo quyết định bổ nhiệm, giao quyền; người đứng đầu giao TM., KT., TL., TUQ.")
	}
	return s.grant(ctx, p.UserID, p.UnitID, g, true)
}

// SeedAuthority records g for a person of their own unit without asking
// who may grant it, unless the same capacity is already held: the demo's
// and tests' set-up, and the operator's first head of a unit. Like the
// accounts seeded beside it, it writes no audit entry.
func (s *Service) SeedAuthority(ctx context.Context, grantedBy int64, g AuthorityGrant) error {
	var unit int64
	if err := s.db.GetContext(ctx, &unit, `SELECT unit_id FROM users WHERE id = $1`, g.UserID); err != nil {
		return fmt.Errorf("documents: unable to find the holder: %w", err)
	}
	var held bool
	err := s.db.GetContext(ctx, &held, `SELECT EXISTS (SELECT 1 FROM signing_authorities WHERE user_id = $1 AND unit_id = $2
		AND capacity = $3 AND on_behalf_of = $4 AND revoked_at IS NULL)`, g.UserID, unit, g.Capacity, normTitle(g.OnBehalfOf))
	if err != nil || held {
		return err
	}
	_, err = s.grant(ctx, grantedBy, unit, g, false)
	return err
}

func (s *Service) grant(ctx context.Context, grantedBy, unitID int64, g AuthorityGrant, audited bool) (Authority, error) {
	bad := map[string]string{}
	var holder struct {
		UnitID int64          `db:"unit_id"`
		Roles  pq.StringArray `db:"roles"`
	}
	err := s.db.GetContext(ctx, &holder, `SELECT unit_id, roles FROM users WHERE id = $1 AND NOT disabled`, g.UserID)
	switch {
	case errors.Is(err, sql.ErrNoRows) || g.UserID == 0:
		bad["user_id"] = "không có người dùng này"
	case err != nil:
		return Authority{}, fmt.Errorf("documents: unable to find the holder: %w", err)
	case holder.UnitID != unitID:
		bad["user_id"] = "người được giao phải thuộc đơn vị của bạn"
	case !slices.Contains(holder.Roles, auth.RoleSigner):
		bad["user_id"] = "người được giao chưa có vai trò người ký; quản trị viên cấp vai trò này trước"
	}
	if !validIn(g.Capacity, Capacities) {
		bad["capacity"] = "thẩm quyền phải là một trong: người đứng đầu, Q., TM., KT., TL., TUQ."
	}
	g.OnBehalfOf = normTitle(g.OnBehalfOf)
	switch {
	case g.OnBehalfOf == "" && g.Capacity == CapacityHead:
		bad["on_behalf_of"] = "cần chức vụ người đứng đầu như in ở phần chữ ký, ví dụ GIÁM ĐỐC"
	case g.OnBehalfOf == "":
		bad["on_behalf_of"] = "cần chức vụ hoặc tập thể được ký thay, ví dụ GIÁM ĐỐC (sau KT.) hoặc ỦY BAN NHÂN DÂN (sau TM.)"
	case len(g.OnBehalfOf) > 200:
		bad["on_behalf_of"] = "tối đa 200 ký tự"
	}
	types := []string{}
	for _, t := range g.DocTypes {
		if t = strings.TrimSpace(t); t == "" || slices.Contains(types, t) {
			continue
		}
		if !validIn(t, Types) {
			bad["doc_types"] = fmt.Sprintf("không có loại văn bản %q", t)
		}
		types = append(types, t)
	}
	from, to := strings.TrimSpace(g.ValidFrom), strings.TrimSpace(g.ValidTo)
	if from == "" {
		from = vnDay(time.Now())
	}
	if _, err := time.Parse(time.DateOnly, from); err != nil {
		bad["valid_from"] = "ngày bắt đầu theo dạng YYYY-MM-DD"
	}
	var toArg *string
	if to != "" {
		if _, err := time.Parse(time.DateOnly, to); err != nil {
			bad["valid_to"] = "ngày kết thúc theo dạng YYYY-MM-DD"
		} else if to < from {
			bad["valid_to"] = "ngày kết thúc không được trước ngày bắt đầu"
		}
		toArg = &to
	}
	g.Basis = strings.TrimSpace(g.Basis)
	switch g.Capacity {
	case CapacityDelegated:
		// Art. 13.3: in writing, limited in time and content.
		if g.Basis == "" {
			bad["basis"] = "ký thừa ủy quyền phải có văn bản ủy quyền (số, ký hiệu, ngày) — Nghị định 30, Điều 13.3"
		}
		if to == "" {
			bad["valid_to"] = "ủy quyền phải giới hạn thời gian: cần ngày kết thúc (Nghị định 30, Điều 13.3)"
		}
	case CapacityDeputy, CapacityByOrder:
		if g.Basis == "" {
			bad["basis"] = "cần văn bản giao ký thay hoặc ký thừa lệnh (quyết định phân công, quy chế làm việc: số, ký hiệu, ngày) — Nghị định 30, Điều 13.1 và 13.4"
		}
	}
	if len(g.Basis) > 500 {
		bad["basis"] = "tối đa 500 ký tự"
	}
	if len(bad) > 0 {
		return Authority{}, &domain.ValidationError{Fields: bad}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Authority{}, fmt.Errorf("documents: unable to begin: %w", err)
	}
	defer tx.Rollback()
	var id int64
	err = tx.GetContext(ctx, &id, `
		INSERT INTO signing_authorities (unit_id, user_id, capacity, on_behalf_of, doc_types, valid_from, valid_to, granted_by, basis)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		unitID, g.UserID, g.Capacity, g.OnBehalfOf, pq.StringArray(types), from, toArg, grantedBy, g.Basis)
	if err != nil {
		return Authority{}, fmt.Errorf("documents: unable to grant the authority: %w", err)
	}
	if audited {
		if err := audit.Append(ctx, tx, audit.Event{ActorID: grantedBy, ActorUnitID: unitID, Action: "authority.grant",
			Details: map[string]any{"authority": id, "holder": g.UserID, "capacity": g.Capacity, "on_behalf_of": g.OnBehalfOf,
				"doc_types": types, "valid_from": from, "valid_to": to, "basis": g.Basis}}); err != nil {
			return Authority{}, err
		}
	}
	if err := tx.Commit(); err != nil {
		return Authority{}, fmt.Errorf("documents: unable to commit: %w", err)
	}
	return s.authority(ctx, id)
}

func (s *Service) authority(ctx context.Context, id int64) (Authority, error) {
	as, err := s.selectAuthorities(ctx, `a.id = $1`, id)
	if err != nil {
		return Authority{}, err
	}
	if len(as) == 0 {
		return Authority{}, domain.ErrNotFound
	}
	return as[0], nil
}

// RevokeAuthority ends an authority of p's unit now; the record stays, and
// signatures given under it keep naming it.
func (s *Service) RevokeAuthority(ctx context.Context, p auth.Principal, id int64) (Authority, error) {
	a, err := s.authority(ctx, id)
	if err != nil || a.UnitID != p.UnitID {
		return Authority{}, domain.ErrNotFound
	}
	ok, err := s.CanGrantAuthority(ctx, p)
	if err != nil {
		return a, err
	}
	if !ok || ((a.Capacity == CapacityHead || a.Capacity == CapacityActing) && !p.Has(auth.RoleAdmin)) {
		return a, domain.ErrForbidden
	}
	if a.RevokedAt != nil {
		return a, &domain.PreconditionError{Code: "already_revoked", Message: "Thẩm quyền này đã bị thu hồi trước đó"}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return a, fmt.Errorf("documents: unable to begin: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE signing_authorities SET revoked_at = now(), revoked_by = $2 WHERE id = $1 AND revoked_at IS NULL`, id, p.UserID)
	if err != nil {
		return a, fmt.Errorf("documents: unable to revoke the authority: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return a, &domain.PreconditionError{Code: "already_revoked", Message: "Thẩm quyền này đã bị thu hồi trước đó"}
	}
	if err := audit.Append(ctx, tx, audit.Event{ActorID: p.UserID, ActorUnitID: p.UnitID, Action: "authority.revoke",
		Details: map[string]any{"authority": id, "holder": a.UserID, "capacity": a.Capacity, "on_behalf_of": a.OnBehalfOf}}); err != nil {
		return a, err
	}
	if err := tx.Commit(); err != nil {
		return a, fmt.Errorf("documents: unable to commit: %w", err)
	}
	return s.authority(ctx, id)
}

// signedAs is the capacity a person's signature is given in, as recorded
// with it.
type signedAs struct {
	Capacity    string
	Line        string // "KT. GIÁM ĐỐC"; for the head, their title
	Position    string // the signer's own title under it: "PHÓ GIÁM ĐỐC"
	AuthorityID *int64
}

// blockCapacity is what a signer block prints above the signature.
type blockCapacity struct {
	capacity   string // "", "Q", "TM", "KT", "TL", "TUQ"
	onBehalfOf string // after the capacity; for the head, the title
	position   string // the signer's own title, the line above the signature
}

// readBlockCapacity reads the capacity from the lines of in's signer block
// when its name is name: the last line that starts with a capacity ("TM.
// ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH" signs for the chair), else the position
// line as the head's title. ok is false when the block is not found or
// names someone else.
func readBlockCapacity(in []byte, name string) (bc blockCapacity, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	named, _, readable := signerNamed(in)
	if !readable || !sameName(named, name) {
		return bc, false
	}
	lines := blockLines(in)
	if len(lines) == 0 {
		return bc, false
	}
	bc.position = lines[len(lines)-1]
	bc.onBehalfOf = bc.position
	for i, l := range lines {
		if c, rest, found := cutCapacity(l); found {
			bc.capacity, bc.onBehalfOf = c, rest
			bc.position = strings.Join(lines[i+1:], " ")
		}
	}
	return bc, true
}

// cutCapacity splits "KT. GIÁM ĐỐC" into "KT" and "GIÁM ĐỐC".
func cutCapacity(line string) (capacity, rest string, ok bool) {
	u := strings.ToUpper(strings.TrimSpace(line))
	for _, c := range []string{"TUQ", "TM", "KT", "TL", "Q"} {
		if r, found := strings.CutPrefix(u, c+"."); found {
			return c, strings.TrimSpace(r), true
		}
	}
	return "", "", false
}

// blockLines are the lines of the signer block above the signature, the
// position line last, as signerNamed reads them.
func blockLines(in []byte) []string {
	page, top, _, found := signerBlock(in)
	if !found {
		return nil
	}
	r, err := pdf.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		return nil
	}
	lines, box, _ := pageLines(r, page)
	mid := (box[0] + box[2]) / 2
	text := func(ws []word) string {
		var parts []string
		for _, w := range ws {
			if w.x0 >= mid-20 {
				parts = append(parts, w.s)
			}
		}
		return strings.Join(parts, " ")
	}
	var above []string
	for i, ws := range lines {
		if math.Round(ws[0].y*2) != math.Round(top.y*2) {
			continue
		}
		for j := i; j >= 0 && j > i-3; j-- {
			if j < i && lines[j][0].y-lines[j+1][0].y > 2*lines[j][0].size {
				break
			}
			if t := strings.TrimSpace(text(lines[j])); t != "" {
				above = append([]string{t}, above...)
			}
		}
		break
	}
	return above
}

// normTitle is a title as stored: upper case, NFC, single spaces.
func normTitle(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(norm.NFC.String(s)), " "))
}

// sameTitle compares two titles without marks, case or extra spaces.
func sameTitle(a, b string) bool {
	f := func(s string) string {
		return strings.ToUpper(strings.Join(strings.Fields(stripMarks(norm.NFC.String(s))), " "))
	}
	return f(a) == f(b)
}

// checkAuthority finds the authority under which p signs d, whose bytes
// are in, today: the one the signer block's capacity names, or, when the
// block cannot be read, any p holds for d's type (the head's first). It
// refuses, naming what is missing, when there is none.
func (s *Service) checkAuthority(ctx context.Context, p auth.Principal, d Document, in []byte, now time.Time) (signedAs, error) {
	all, err := s.selectAuthorities(ctx, `a.user_id = $1 AND a.unit_id = $2`, p.UserID, d.UnitID)
	if err != nil {
		return signedAs{}, err
	}
	day := vnDay(now)
	typeName := Label(Types, d.DocType)
	dayVN := now.In(domain.VietnamTime).Format("02/01/2006")
	where := " Người đứng đầu đơn vị hoặc quản trị viên giao thẩm quyền ký ở trang «Thẩm quyền ký» (Nghị định 30, Điều 13)."
	bc, read := readBlockCapacity(in, p.FullName)
	if !read {
		var best *Authority
		for i := range all {
			if all[i].ActiveOn(d.DocType, day) && (best == nil || (all[i].Capacity == CapacityHead && best.Capacity != CapacityHead)) {
				best = &all[i]
			}
		}
		if best == nil {
			return signedAs{}, &domain.PreconditionError{Code: "no_signing_authority", Message: fmt.Sprintf(
				"Bạn chưa được giao thẩm quyền ký văn bản loại «%s» vào ngày %s.%s", typeName, dayVN, where)}
		}
		pos := p.Position
		if best.Capacity == CapacityHead {
			pos = best.OnBehalfOf
		}
		return signedAs{Capacity: best.Capacity, Line: best.line(), Position: strings.ToUpper(pos), AuthorityID: &best.ID}, nil
	}
	want := strings.TrimSpace(CapacityPrefix(bc.capacity) + " " + bc.onBehalfOf)
	var near []Authority
	for _, a := range all {
		if a.Capacity != bc.capacity || !sameTitle(a.OnBehalfOf, bc.onBehalfOf) {
			continue
		}
		if a.ActiveOn(d.DocType, day) {
			pos := bc.position
			if pos == "" {
				pos = strings.ToUpper(p.Position)
			}
			return signedAs{Capacity: a.Capacity, Line: a.line(), Position: pos, AuthorityID: &a.ID}, nil
		}
		near = append(near, a)
	}
	what := fmt.Sprintf("Văn bản ghi thẩm quyền ký «%s»", want)
	if bc.capacity == CapacityHead {
		what = fmt.Sprintf("Văn bản ghi người ký với chức vụ «%s» (người đứng đầu ký, không ghi KT., TL., TUQ.)", want)
	}
	why := "bạn chưa được giao thẩm quyền này"
	if len(near) > 0 {
		a := near[len(near)-1]
		switch {
		case a.RevokedAt != nil:
			why = "thẩm quyền này của bạn đã bị thu hồi ngày " + a.RevokedAt.In(domain.VietnamTime).Format("02/01/2006")
		case a.ValidFrom > day:
			why = "thẩm quyền này của bạn chỉ có hiệu lực từ ngày " + dmy(a.ValidFrom)
		case a.ValidTo != nil && *a.ValidTo < day:
			why = "thẩm quyền này của bạn đã hết hạn ngày " + dmy(*a.ValidTo)
		default:
			why = fmt.Sprintf("thẩm quyền này của bạn không gồm loại văn bản «%s»", typeName)
		}
	}
	return signedAs{}, &domain.PreconditionError{Code: "no_signing_authority", Message: fmt.Sprintf(
		"%s, nhưng %s (ngày %s, loại «%s»). Nếu văn bản ghi sai thẩm quyền, hãy sửa dự thảo (tải lên phiên bản mới).%s",
		what, why, dayVN, typeName, where)}
}

// dmy writes YYYY-MM-DD as dd/mm/yyyy.
func dmy(day string) string {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return day
	}
	return t.Format("02/01/2006")
}

// signedAs is how a person's signature reads: "KT. GIÁM ĐỐC — PHÓ GIÁM
// ĐỐC Nguyễn Văn A", the head's "GIÁM ĐỐC Lê Hoài Nam", or the name alone
// for signatures recorded before capacities were.
func (g Signature) signedAs() string {
	switch {
	case g.Kind != "person":
		return g.SignerName
	case g.Capacity != CapacityHead && g.CapacityLine != "":
		return strings.TrimSpace(g.CapacityLine + " — " + g.Position + " " + g.SignerName)
	case g.Position != "":
		return g.Position + " " + g.SignerName
	}
	return g.SignerName
}
