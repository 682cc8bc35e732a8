package documents

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
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
// particular) in the way kind says. It is a row of the append-only
// document_access table, not an audit-log entry: reads are frequent and
// the audit log orders its appends under one lock. The row is written at
// once, or behind when BatchAccess was called. Call it once per read a
// person asked for (a page, a download from its first byte, a link),
// never per row of a list.
func (s *Service) RecordAccess(ctx context.Context, p auth.Principal, id int64, no int, kind, requestID string) error {
	return s.recordAccess(ctx, accessRow{at: time.Now(), user: p.UserID, unit: p.UnitID, doc: id, version: int64(no),
		kind: kind, request: requestID})
}

// accessHistoryPage is how many reads a page of the history shows.
const accessHistoryPage = 50

// AccessPage is one page of a document's access history, newest first.
type AccessPage struct {
	Items []Access `json:"items"`
	Page  int      `json:"page"` // from 1
	More  bool     `json:"more"` // a next page exists
}

// CanSeeHistory reports whether p may read the access history of d, which
// p sees: its creator, and the clerks, head and administrators of its
// unit.
func (s *Service) CanSeeHistory(ctx context.Context, p auth.Principal, d Document) (bool, error) {
	if d.UnitID != p.UnitID {
		return false, nil
	}
	if d.CreatedBy == p.UserID || p.HasAny(auth.RoleClerk, auth.RoleAdmin) {
		return true, nil
	}
	return s.isHead(ctx, p)
}

// AccessHistory returns the first page of who read a document, newest
// first (see AccessHistoryPage).
func (s *Service) AccessHistory(ctx context.Context, p auth.Principal, id int64) ([]Access, error) {
	pg, err := s.AccessHistoryPage(ctx, p, id, 1)
	return pg.Items, err
}

// AccessHistoryPage returns page (from 1) of who read a document, newest
// first, 50 to a page: to those CanSeeHistory allows; to anyone else it
// does not exist (domain.ErrNotFound), as the section is not shown.
func (s *Service) AccessHistoryPage(ctx context.Context, p auth.Principal, id int64, page int) (AccessPage, error) {
	d, err := s.Get(ctx, p, id)
	if err != nil {
		return AccessPage{}, err
	}
	ok, err := s.CanSeeHistory(ctx, p, d)
	if err != nil {
		return AccessPage{}, err
	}
	if !ok {
		return AccessPage{}, domain.ErrNotFound
	}
	if page < 1 {
		page = 1
	}
	if err := s.FlushAccess(ctx); err != nil {
		return AccessPage{}, err
	}
	out := AccessPage{Items: []Access{}, Page: page}
	err = s.db.SelectContext(ctx, &out.Items, `
		SELECT a.id, a.at, a.user_id, u.full_name AS user_name, a.unit_id, n.name AS unit_name,
		       a.document_id, a.version_no, a.attachment_id, a.kind, a.request_id
		FROM document_access a JOIN users u ON u.id = a.user_id JOIN units n ON n.id = a.unit_id
		WHERE a.document_id = $1 ORDER BY a.at DESC, a.id DESC LIMIT $2 OFFSET $3`,
		id, accessHistoryPage+1, (page-1)*accessHistoryPage)
	if err != nil {
		return AccessPage{}, fmt.Errorf("documents: unable to read the access history: %w", err)
	}
	if len(out.Items) > accessHistoryPage {
		out.Items, out.More = out.Items[:accessHistoryPage], true
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

// ReadableVersion returns version no of document id as Version does, with
// the same answer when p may not see the document (domain.ErrNotFound),
// in one statement that reads only the version's row: a download needs
// neither the document's columns nor its other versions.
func (s *Service) ReadableVersion(ctx context.Context, p auth.Principal, id int64, no int) (Version, error) {
	args0 := seeArgs(p)
	args0["id"], args0["no"] = id, no
	q, args, err := sqlx.Named(`
		SELECT v.id, v.document_id, v.version_no, v.object_key, v.sha256, v.size_bytes, v.media_type,
		       v.file_name, v.note, v.created_by, vu.full_name AS creator_name, v.created_at
		FROM document_versions v JOIN users vu ON vu.id = v.created_by
		WHERE v.document_id = :id AND v.version_no = :no
		  AND EXISTS (SELECT 1 `+documentFrom+` WHERE d.id = :id AND `+s.visible()+`)`, args0)
	if err != nil {
		return Version{}, err
	}
	var v Version
	err = s.getPrepared(ctx, &v, s.db.Rebind(q), args...)
	if errors.Is(err, sql.ErrNoRows) {
		return Version{}, domain.ErrNotFound
	}
	if err != nil {
		return Version{}, fmt.Errorf("documents: unable to fetch version %d of document %d: %w", no, id, err)
	}
	return v, nil
}

// getPrepared runs q, prepared once per service, into dest: one round trip
// and no planning per execution, where lib/pq otherwise parses and plans
// each query in a round trip of its own. The hot read paths use it; their
// queries are built from the links registered at start, so there are few.
// A statement a migration made stale (PostgreSQL's "cached plan must not
// change result type", 0A000) is prepared again, once.
func (s *Service) getPrepared(ctx context.Context, dest any, q string, args ...any) error {
	for attempt := 0; ; attempt++ {
		st, err := s.prepared(ctx, q)
		if err != nil {
			return err
		}
		err = st.GetContext(ctx, dest, args...)
		var pqErr *pq.Error
		if attempt == 0 && errors.As(err, &pqErr) && pqErr.Code == "0A000" {
			// Not closed: a request may be running it; its connections
			// drop the server's copy when they close.
			s.stmts.Delete(q)
			continue
		}
		return err
	}
}

// prepared returns q prepared on the service's database.
func (s *Service) prepared(ctx context.Context, q string) (*sqlx.Stmt, error) {
	if st, ok := s.stmts.Load(q); ok {
		return st.(*sqlx.Stmt), nil
	}
	st, err := s.db.PreparexContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if old, loaded := s.stmts.LoadOrStore(q, st); loaded {
		st.Close()
		return old.(*sqlx.Stmt), nil
	}
	return st, nil
}
