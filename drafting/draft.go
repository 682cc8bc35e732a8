package drafting

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/jmoiron/sqlx"
)

// Draft is a draft document with its workflow, as a participant sees it.
type Draft struct {
	Document     documents.Document `json:"document"`
	State        string             `json:"state"`
	SignerID     *int64             `json:"signer_id,omitempty"`
	SignerName   string             `json:"signer_name,omitempty"`
	DueDate      string             `json:"due_date,omitempty"` // YYYY-MM-DD
	SubmittedAt  *time.Time         `json:"submitted_at,omitempty"`
	ReturnReason string             `json:"return_reason,omitempty"`
	ReturnedAt   *time.Time         `json:"returned_at,omitempty"`
	UpdatedAt    time.Time          `json:"updated_at"`
	Revisions    []Revision         `json:"revisions"`
	Reviews      []Review           `json:"reviews"`
	Comments     []Comment          `json:"comments"`
	Actions      Actions            `json:"actions"`
	// Lead: the viewer is a signer of the draft's unit.
	lead bool
}

// Revision is a version of the draft: its PDF, and the Word or ODT file it
// was converted from, if any.
type Revision struct {
	No          int       `json:"version"`
	SHA256      string    `json:"sha256"`
	FileName    string    `json:"file_name"`
	Size        int64     `json:"size"`
	Note        string    `json:"note,omitempty"`
	CreatorName string    `json:"creator_name"`
	CreatedAt   time.Time `json:"created_at"`
	Source      *Source   `json:"source,omitempty"`
}

// Source is the original office file of a revision.
type Source struct {
	FileName  string `db:"file_name" json:"file_name"`
	MediaType string `db:"media_type" json:"media_type"`
	Size      int64  `db:"size_bytes" json:"size"`
	SHA256    string `db:"sha256" json:"sha256"`
	ObjectKey string `db:"object_key" json:"-"`
	VersionNo int    `db:"version_no" json:"-"`
}

// Review is a review requested of a named person, and its decision.
type Review struct {
	ID              int64      `db:"id" json:"id"`
	ReviewerID      int64      `db:"reviewer_id" json:"reviewer_id"`
	ReviewerName    string     `db:"reviewer_name" json:"reviewer_name"`
	ReviewerTitle   string     `db:"reviewer_title" json:"reviewer_title"`
	RequestedByName string     `db:"requested_by_name" json:"requested_by_name"`
	RequestedAt     time.Time  `db:"requested_at" json:"requested_at"`
	VersionNo       int        `db:"version_no" json:"version"`
	Decision        *string    `db:"decision" json:"decision,omitempty"`
	DecidedAt       *time.Time `db:"decided_at" json:"decided_at,omitempty"`
	Note            string     `db:"note" json:"note,omitempty"`
}

// Initials are the reviewer's initials ("Phạm Thị Minh Thư": "PTMT"),
// the short mark (ký nháy) Vietnamese practice puts beside an approval.
func (r Review) Initials() string {
	var b strings.Builder
	for _, w := range strings.Fields(r.ReviewerName) {
		first, _ := utf8.DecodeRuneInString(w)
		b.WriteRune(unicode.ToUpper(first))
	}
	return b.String()
}

// Comment is a participant's remark on a revision.
type Comment struct {
	ID         int64     `db:"id" json:"id"`
	VersionNo  int       `db:"version_no" json:"version"`
	AuthorID   int64     `db:"author_id" json:"author_id"`
	AuthorName string    `db:"author_name" json:"author_name"`
	Body       string    `db:"body" json:"body"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
}

// draftRow is a drafts row.
type draftRow struct {
	State        string     `db:"state"`
	SignerID     *int64     `db:"signer_id"`
	SignerName   *string    `db:"signer_name"`
	DueDate      *time.Time `db:"due_date"`
	SubmittedAt  *time.Time `db:"submitted_at"`
	ReturnReason string     `db:"return_reason"`
	ReturnedAt   *time.Time `db:"returned_at"`
	UpdatedAt    time.Time  `db:"updated_at"`
}

// isDraft reports whether d is a document this package works on: an
// outgoing document whose workflow has started here, or an unsigned
// outgoing draft uploaded elsewhere (which gets a drafts row at its first
// operation).
func isDraft(d documents.Document) bool {
	return d.Origin == documents.OriginOutgoing
}

// Get returns the draft id as p sees it: domain.ErrNotFound when p may not
// see it (documents decides) or it is not an outgoing document.
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (Draft, error) {
	doc, err := s.docs.Get(ctx, p, id)
	if err != nil {
		return Draft{}, err
	}
	if !isDraft(doc) {
		return Draft{}, domain.ErrNotFound
	}
	return s.load(ctx, s.db, p, doc)
}

// load reads the workflow of doc.
func (s *Service) load(ctx context.Context, q sqlx.QueryerContext, p auth.Principal, doc documents.Document) (Draft, error) {
	d := Draft{Document: doc, State: StateOpen, UpdatedAt: doc.CreatedAt, lead: p.Has(auth.RoleSigner) && p.UnitID == doc.UnitID}
	var r draftRow
	err := sqlx.GetContext(ctx, q, &r, `
		SELECT dr.state, dr.signer_id, u.full_name AS signer_name, dr.due_date, dr.submitted_at,
		       dr.return_reason, dr.returned_at, dr.updated_at
		FROM drafts dr LEFT JOIN users u ON u.id = dr.signer_id WHERE dr.document_id = $1`, doc.ID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return d, fmt.Errorf("drafting: unable to read draft: %w", err)
	default:
		d.State, d.SignerID, d.SubmittedAt, d.ReturnReason, d.ReturnedAt, d.UpdatedAt =
			r.State, r.SignerID, r.SubmittedAt, r.ReturnReason, r.ReturnedAt, r.UpdatedAt
		if r.SignerName != nil {
			d.SignerName = *r.SignerName
		}
		if r.DueDate != nil {
			d.DueDate = r.DueDate.Format(time.DateOnly)
		}
	}
	var sources []Source
	if err := sqlx.SelectContext(ctx, q, &sources, `
		SELECT version_no, file_name, media_type, size_bytes, sha256, object_key
		FROM version_sources WHERE document_id = $1`, doc.ID); err != nil {
		return d, fmt.Errorf("drafting: unable to read sources: %w", err)
	}
	bySource := map[int]*Source{}
	for i := range sources {
		bySource[sources[i].VersionNo] = &sources[i]
	}
	d.Revisions = make([]Revision, 0, len(doc.Versions))
	for _, v := range doc.Versions {
		d.Revisions = append(d.Revisions, Revision{No: v.No, SHA256: v.SHA256, FileName: v.FileName, Size: v.Size,
			Note: v.Note, CreatorName: v.CreatorName, CreatedAt: v.CreatedAt, Source: bySource[v.No]})
	}
	d.Reviews = []Review{}
	if err := sqlx.SelectContext(ctx, q, &d.Reviews, `
		SELECT rv.id, rv.reviewer_id, u.full_name AS reviewer_name, u.position AS reviewer_title,
		       b.full_name AS requested_by_name, rv.requested_at, rv.version_no, rv.decision, rv.decided_at, rv.note
		FROM draft_reviews rv JOIN users u ON u.id = rv.reviewer_id JOIN users b ON b.id = rv.requested_by
		WHERE rv.document_id = $1 ORDER BY rv.id`, doc.ID); err != nil {
		return d, fmt.Errorf("drafting: unable to read reviews: %w", err)
	}
	d.Comments = []Comment{}
	if err := sqlx.SelectContext(ctx, q, &d.Comments, `
		SELECT c.id, c.version_no, c.author_id, u.full_name AS author_name, c.body, c.created_at
		FROM draft_comments c JOIN users u ON u.id = c.author_id
		WHERE c.document_id = $1 ORDER BY c.id`, doc.ID); err != nil {
		return d, fmt.Errorf("drafting: unable to read comments: %w", err)
	}
	d.Actions = ActionsFor(p, d)
	return d, nil
}

// Latest is the newest revision.
func (d Draft) Latest() Revision {
	if len(d.Revisions) == 0 {
		return Revision{}
	}
	return d.Revisions[0]
}

// openReview returns p's undecided review of d, if any.
func (d Draft) openReview(userID int64) *Review {
	for i := range d.Reviews {
		if d.Reviews[i].ReviewerID == userID && d.Reviews[i].Decision == nil {
			return &d.Reviews[i]
		}
	}
	return nil
}

// participant reports whether p takes part in d: its drafter, a reviewer,
// the signer it names, or a leader of its unit.
func (d Draft) participant(p auth.Principal) bool {
	if d.Document.CreatedBy == p.UserID || d.lead || (d.SignerID != nil && *d.SignerID == p.UserID) {
		return true
	}
	for _, r := range d.Reviews {
		if r.ReviewerID == p.UserID {
			return true
		}
	}
	return false
}

// signed reports whether the competent person has signed (the draft is
// closed: no revision, no submission).
func (d Draft) signed() bool { return d.Document.Status != "draft" || d.Document.PersonSigned }

// Source returns the original office file of revision no and its bytes.
func (s *Service) Source(ctx context.Context, p auth.Principal, id int64, no int) (Source, []byte, error) {
	d, err := s.Get(ctx, p, id)
	if err != nil {
		return Source{}, nil, err
	}
	for _, r := range d.Revisions {
		if r.No == no && r.Source != nil {
			b, err := s.docs.ReadObject(ctx, r.Source.ObjectKey)
			return *r.Source, b, err
		}
	}
	return Source{}, nil, domain.ErrNotFound
}
