package drafting

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/jmoiron/sqlx"
)

// Work queues: what waits for a person.
const (
	QueueReview   = "review"   // Chờ tôi xử lý: reviews asked of me, undecided
	QueueSign     = "sign"     // Chờ tôi ký: drafts submitted to me, unsigned, oldest due first
	QueueRegister = "register" // Chờ cấp số: the unit's documents signed by the person, not numbered (clerks)
	QueueReturned = "returned" // Bị trả lại: my drafts sent back
	QueueMine     = "mine"     // Dự thảo của tôi
)

// Queues lists the queue names, in menu order.
var Queues = []string{QueueReview, QueueSign, QueueRegister, QueueReturned, QueueMine}

// QueueTitle is a queue's Vietnamese name.
func QueueTitle(q string) string {
	return map[string]string{QueueReview: "Chờ tôi xử lý", QueueSign: "Chờ tôi ký", QueueRegister: "Chờ cấp số",
		QueueReturned: "Bị trả lại", QueueMine: "Dự thảo của tôi"}[q]
}

// Item is a row of a queue.
type Item struct {
	DocumentID   int64      `db:"id" json:"document_id"`
	DocType      string     `db:"doc_type" json:"doc_type"`
	Title        string     `db:"title" json:"title"`
	Status       string     `db:"status" json:"status"`
	State        string     `db:"state" json:"state"`
	CreatorName  string     `db:"creator_name" json:"creator_name"`
	SignerName   string     `db:"signer_name" json:"signer_name,omitempty"`
	DueDate      *time.Time `db:"due_date" json:"-"`
	Due          string     `db:"-" json:"due_date,omitempty"`
	Overdue      bool       `db:"-" json:"overdue,omitempty"`
	SubmittedAt  *time.Time `db:"submitted_at" json:"submitted_at,omitempty"`
	ReturnReason string     `db:"return_reason" json:"return_reason,omitempty"`
	UpdatedAt    time.Time  `db:"updated_at" json:"updated_at"`
	VersionNo    int        `db:"version_no" json:"version"`
	VersionSHA   string     `db:"version_sha256" json:"version_sha256"`
}

const itemColumns = `
	d.id, d.doc_type, d.title, d.status, coalesce(dr.state, 'open') AS state, u.full_name AS creator_name,
	coalesce(su.full_name, '') AS signer_name, dr.due_date, dr.submitted_at, coalesce(dr.return_reason, '') AS return_reason,
	coalesce(dr.updated_at, d.updated_at) AS updated_at, v.version_no, v.sha256 AS version_sha256
	FROM documents d
	JOIN users u ON u.id = d.created_by
	LEFT JOIN drafts dr ON dr.document_id = d.id
	LEFT JOIN users su ON su.id = dr.signer_id
	JOIN LATERAL (SELECT version_no, sha256 FROM document_versions lv WHERE lv.document_id = d.id ORDER BY version_no DESC LIMIT 1) v ON true`

const personSigned = `EXISTS (SELECT 1 FROM document_signatures g WHERE g.document_id = d.id AND g.kind = 'person')`

// queueWhere is each queue's condition and order; :user, :unit, :clerk.
var queueWhere = map[string]string{
	QueueReview: `d.status = 'draft' AND coalesce(dr.state, 'open') <> 'withdrawn' AND EXISTS (
		SELECT 1 FROM draft_reviews rv WHERE rv.document_id = d.id AND rv.reviewer_id = :user AND rv.decision IS NULL)
		ORDER BY d.id`,
	QueueSign: `dr.state = 'submitted' AND dr.signer_id = :user AND d.status = 'draft' AND NOT ` + personSigned + `
		ORDER BY dr.due_date, dr.submitted_at, d.id`,
	QueueRegister: `:clerk AND d.unit_id = :unit AND d.origin = 'outgoing' AND d.number IS NULL
		AND d.status NOT IN ('recalled', 'issued') AND ` + personSigned + `
		ORDER BY d.updated_at, d.id`,
	QueueReturned: `dr.state = 'returned' AND d.created_by = :user AND d.status = 'draft'
		ORDER BY dr.returned_at DESC, d.id DESC`,
	QueueMine: `d.created_by = :user AND d.unit_id = :unit AND d.origin = 'outgoing'
		AND (d.status = 'draft' OR dr.document_id IS NOT NULL)
		ORDER BY coalesce(dr.updated_at, d.updated_at) DESC, d.id DESC`,
}

// Queue lists the first 200 items of queue q for p.
func (s *Service) Queue(ctx context.Context, p auth.Principal, q string) ([]Item, error) {
	where, ok := queueWhere[q]
	if !ok {
		return nil, domain.ErrNotFound
	}
	if q == QueueRegister {
		// A restricted document the clerk may not see is not listed.
		where = s.docs.RestrictionSQL() + ` AND ` + where
	}
	query, args, err := sqlx.Named(`SELECT `+itemColumns+` WHERE `+where+` LIMIT 200`,
		map[string]any{"user": p.UserID, "unit": p.UnitID, "clerk": p.Has(auth.RoleClerk)})
	if err != nil {
		return nil, err
	}
	items := []Item{}
	if err := s.db.SelectContext(ctx, &items, s.db.Rebind(query), args...); err != nil {
		return nil, fmt.Errorf("drafting: unable to list queue %s: %w", q, err)
	}
	today := s.today()
	for i := range items {
		if items[i].DueDate != nil {
			items[i].Due = items[i].DueDate.Format(time.DateOnly)
			items[i].Overdue = items[i].Due < today && items[i].State == StateSubmitted
		}
	}
	return items, nil
}

// Counts are the sizes of p's queues.
type Counts struct {
	Review   int `db:"review" json:"review"`
	Sign     int `db:"sign" json:"sign"`
	Register int `db:"register" json:"register"`
	Returned int `db:"returned" json:"returned"`
}

// Total is the number of items waiting for the person.
func (c Counts) Total() int { return c.Review + c.Sign + c.Register + c.Returned }

// Counts returns the sizes of p's queues in one query (for the menu on
// every page).
func (s *Service) Counts(ctx context.Context, p auth.Principal) (Counts, error) {
	var c Counts
	err := s.db.GetContext(ctx, &c, `
		SELECT
		  (SELECT count(*) FROM draft_reviews rv JOIN documents d ON d.id = rv.document_id
		     LEFT JOIN drafts dr ON dr.document_id = d.id
		   WHERE rv.reviewer_id = $1 AND rv.decision IS NULL AND d.status = 'draft' AND coalesce(dr.state, 'open') <> 'withdrawn') AS review,
		  (SELECT count(*) FROM drafts dr JOIN documents d ON d.id = dr.document_id
		   WHERE dr.state = 'submitted' AND dr.signer_id = $1 AND d.status = 'draft' AND NOT `+personSigned+`) AS sign,
		  (SELECT count(*) FROM documents d
		   WHERE $3 AND d.unit_id = $2 AND d.origin = 'outgoing' AND d.number IS NULL
		     AND d.status NOT IN ('recalled', 'issued') AND `+personSigned+`
		     AND `+strings.ReplaceAll(s.docs.RestrictionSQL(), ":user", "$1")+`) AS register,
		  (SELECT count(*) FROM drafts dr JOIN documents d ON d.id = dr.document_id
		   WHERE dr.state = 'returned' AND d.created_by = $1 AND d.status = 'draft') AS returned`,
		p.UserID, p.UnitID, p.Has(auth.RoleClerk))
	if err != nil {
		return c, fmt.Errorf("drafting: unable to count queues: %w", err)
	}
	return c, nil
}

// Landing is where p starts after logging in: where p's work is. A
// leader with something to sign, at "Chờ tôi ký"; a clerk of a district
// office or a school, at the inbox (what arrives is their work); a clerk
// of the department, at "Chờ cấp số" when something waits, else the
// documents; staff, at their drafts; anyone else, the documents.
func (s *Service) Landing(ctx context.Context, p auth.Principal) (string, error) {
	c, err := s.Counts(ctx, p)
	if err != nil {
		return "/documents", err
	}
	switch {
	case p.Has(auth.RoleSigner) && c.Sign > 0:
		return "/queues/sign", nil
	case p.Has(auth.RoleClerk):
		var kind string
		if err := s.db.GetContext(ctx, &kind, `SELECT kind FROM units WHERE id = $1`, p.UnitID); err != nil {
			return "/documents", fmt.Errorf("drafting: unable to read the unit: %w", err)
		}
		if kind == "district_office" || kind == "school" {
			return "/inbox", nil
		}
		if c.Register > 0 {
			return "/queues/register", nil
		}
		return "/documents", nil
	case p.Has(auth.RoleStaff):
		return "/drafts", nil
	}
	return "/documents", nil
}
