package documents

import (
	"context"
	"fmt"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
)

// Kinds of access to a document that its access history keeps.
const (
	AccessView     = "view"     // its page, or its file shown in the browser
	AccessDownload = "download" // its file downloaded
	AccessLink     = "link"     // a short-lived download link handed out
)

// Access is one read of a document, as AccessHistory returns it.
type Access struct {
	ID         int64     `db:"id" json:"id"`
	At         time.Time `db:"at" json:"at"`
	UserID     int64     `db:"user_id" json:"user_id"`
	UserName   string    `db:"user_name" json:"user_name"`
	UnitID     int64     `db:"unit_id" json:"unit_id"`
	UnitName   string    `db:"unit_name" json:"unit_name"`
	DocumentID int64     `db:"document_id" json:"document_id"`
	VersionNo  *int      `db:"version_no" json:"version_no,omitempty"`
	Kind       string    `db:"kind" json:"kind"`
	RequestID  string    `db:"request_id" json:"request_id,omitempty"`

	// AttachmentID is the attachment read, when not the document's file.
	AttachmentID *int64 `db:"attachment_id" json:"attachment_id,omitempty"`
}

// RecordAccess notes that p read document id (version no, 0 for none in
// particular) in the way kind says. It is one INSERT into the append-only
// document_access table, not an audit-log entry: reads are frequent and
// the audit log orders its appends under one lock. Call it once per read
// a person asked for (a page, a download from its first byte, a link),
// never per row of a list.
func (s *Service) RecordAccess(ctx context.Context, p auth.Principal, id int64, no int, kind, requestID string) error {
	var version *int
	if no > 0 {
		version = &no
	}
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO document_access (user_id, unit_id, document_id, version_no, kind, request_id)
		VALUES ($1, $2, $3, $4, $5, $6)`, p.UserID, p.UnitID, id, version, kind, requestID)
	if err != nil {
		return fmt.Errorf("documents: unable to record the access: %w", err)
	}
	return nil
}

// AccessHistory returns who read a document, newest first: for the clerks
// and administrators of the document's unit only.
func (s *Service) AccessHistory(ctx context.Context, p auth.Principal, id int64) ([]Access, error) {
	d, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if d.UnitID != p.UnitID || !p.HasAny(auth.RoleClerk, auth.RoleAdmin) {
		return nil, domain.ErrForbidden
	}
	out := []Access{}
	err = s.db.SelectContext(ctx, &out, `
		SELECT a.id, a.at, a.user_id, u.full_name AS user_name, a.unit_id, n.name AS unit_name,
		       a.document_id, a.version_no, a.attachment_id, a.kind, a.request_id
		FROM document_access a JOIN users u ON u.id = a.user_id JOIN units n ON n.id = a.unit_id
		WHERE a.document_id = $1 ORDER BY a.id DESC`, id)
	if err != nil {
		return nil, fmt.Errorf("documents: unable to read the access history: %w", err)
	}
	return out, nil
}

// RecordView notes that p opened the page of document d (its latest
// version).
func (s *Service) RecordView(ctx context.Context, p auth.Principal, d Document, requestID string) error {
	no := 0
	if len(d.Versions) > 0 {
		no = d.Versions[0].No
	}
	return s.RecordAccess(ctx, p, d.ID, no, AccessView, requestID)
}

// RecordDownload notes that p read version v's file, shown in the browser
// (inline) or downloaded. Only a read from the first byte counts: a viewer
// fetching the rest in ranges is the same read.
func (s *Service) RecordDownload(ctx context.Context, p auth.Principal, v Version, offset int64, inline bool, requestID string) error {
	if offset > 0 {
		return nil
	}
	kind := AccessDownload
	if inline {
		kind = AccessView
	}
	return s.RecordAccess(ctx, p, v.DocumentID, v.No, kind, requestID)
}
