package documents

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/digitorus/pdf"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/storage"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// What package drafting needs from documents: a draft and its revisions
// recorded inside drafting's own transaction (so its rows and the
// document's commit together), stored originals, the text of a PDF for
// showing what changed, and a call when a signature is recorded.

// SignHook runs inside the transaction that records a signature on d
// (kind "person", "organisation" or "copy"; status the document's status
// the signature sets: "signed", "registered", ...), after the signature is
// recorded: a failure undoes the signature.
type SignHook func(ctx context.Context, tx *sqlx.Tx, p auth.Principal, d Document, kind, status string) error

// OnSignature adds h to the hooks run at each signature. Call it while
// wiring up, before s serves.
func (s *Service) OnSignature(h SignHook) { s.onSign = append(s.onSign, h) }

func (s *Service) afterSignature(ctx context.Context, tx *sqlx.Tx, p auth.Principal, d Document, kind, status string) error {
	for _, h := range s.onSign {
		if err := h(ctx, tx, p, d, kind, status); err != nil {
			return err
		}
	}
	return nil
}

// CreateTx is Create inside the caller's transaction: it stores the
// spooled file and records the outgoing draft and its first version, and
// returns the new document's id. The caller commits.
func (s *Service) CreateTx(ctx context.Context, tx *sqlx.Tx, p auth.Principal, m Meta, up *Upload) (int64, error) {
	if !CanCreate(p) {
		return 0, domain.ErrForbidden
	}
	pm, err := m.validateOutgoing(time.Now())
	if err != nil {
		return 0, err
	}
	if up == nil || up.f == nil {
		return 0, &domain.ValidationError{Fields: map[string]string{"file": "cần tệp của dự thảo"}}
	}
	if err := up.signable(); err != nil {
		return 0, err
	}
	id, err := s.insertTx(ctx, tx, p.UnitID, p.UserID, pm, up)
	if err != nil {
		return 0, err
	}
	if err := s.enqueueVerify(ctx, tx, id, 1); err != nil {
		return 0, err
	}
	return id, uploadAudit(ctx, tx, p, "document.create", id, 1, up)
}

// ErrDraftClosed: a draft already signed (or registered) takes no new
// version.
var ErrDraftClosed = &domain.PreconditionError{Code: "draft_signed", Message: "Dự thảo đã được ký hoặc đăng ký; không thêm bản sửa được nữa"}

// AddVersionTx adds up as the next version of the unsigned draft id of
// p's unit, inside the caller's transaction (ReplaceDraft's work without
// its checks of who p is: the caller decides). It locks the document row,
// so no signature lands between the check and the new version, and
// returns the new version's number. A signed draft gives ErrDraftClosed.
func (s *Service) AddVersionTx(ctx context.Context, tx *sqlx.Tx, p auth.Principal, id int64, up *Upload, note string) (int, error) {
	if up == nil || up.f == nil {
		return 0, &domain.ValidationError{Fields: map[string]string{"file": "cần tệp của bản sửa"}}
	}
	if err := up.signable(); err != nil {
		return 0, err
	}
	var row struct {
		Status string `db:"status"`
		UnitID int64  `db:"unit_id"`
	}
	if err := tx.GetContext(ctx, &row, `SELECT status, unit_id FROM documents WHERE id = $1 FOR UPDATE`, id); err != nil {
		return 0, fmt.Errorf("documents: unable to lock document: %w", err)
	}
	if row.UnitID != p.UnitID {
		return 0, domain.ErrForbidden
	}
	var signed bool
	if err := tx.GetContext(ctx, &signed, `SELECT EXISTS (SELECT 1 FROM document_signatures WHERE document_id = $1)`, id); err != nil {
		return 0, fmt.Errorf("documents: unable to check signatures: %w", err)
	}
	if signed || row.Status != "draft" {
		return 0, ErrDraftClosed
	}
	var no int
	if err := tx.GetContext(ctx, &no, `SELECT coalesce(max(version_no), 0) + 1 FROM document_versions WHERE document_id = $1`, id); err != nil {
		return 0, fmt.Errorf("documents: unable to read versions: %w", err)
	}
	key, err := storage.KeyFor(up.SHA256)
	if err != nil {
		return 0, err
	}
	if err := lockObject(ctx, tx, key); err != nil {
		return 0, err
	}
	if _, err := up.f.Seek(0, io.SeekStart); err != nil {
		return 0, fmt.Errorf("documents: unable to rewind spool file: %w", err)
	}
	if err := s.blobs.Put(ctx, key, up.f, up.Size); err != nil {
		return 0, fmt.Errorf("documents: unable to store file: %w", err)
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO document_versions (document_id, version_no, object_key, sha256, size_bytes,
		                               media_type, file_name, note, created_by)
		VALUES ($1, $2, $3, $4, $5, 'application/pdf', $6, $7, $8)`,
		id, no, key, up.SHA256, up.Size, up.FileName, note, p.UserID)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		return 0, &ConflictError{Current: "newer"}
	}
	if err != nil {
		return 0, fmt.Errorf("documents: unable to insert version: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE documents SET updated_at = now() WHERE id = $1`, id); err != nil {
		return 0, fmt.Errorf("documents: unable to update document: %w", err)
	}
	if err := s.enqueueVerify(ctx, tx, id, no); err != nil {
		return 0, err
	}
	if err := s.enqueueText(ctx, tx, id, no, false); err != nil {
		return 0, err
	}
	return no, uploadAudit(ctx, tx, p, "document.version", id, no, up)
}

// PutObjectTx stores data (a file kept beside a document, such as a
// revision's Word original) under its content key, inside tx so that the
// orphan sweep cannot take it before the row naming it commits (the row
// must be listed by a Link's Objects). It returns the key and the SHA-256.
func (s *Service) PutObjectTx(ctx context.Context, tx *sqlx.Tx, data []byte) (key, sum string, err error) {
	h := sha256.Sum256(data)
	sum = hex.EncodeToString(h[:])
	if key, err = storage.KeyFor(sum); err != nil {
		return "", "", err
	}
	if err := lockObject(ctx, tx, key); err != nil {
		return "", "", err
	}
	if err := s.blobs.Put(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil {
		return "", "", fmt.Errorf("documents: unable to store file: %w", err)
	}
	return key, sum, nil
}

// ReadObject returns the bytes stored under key.
func (s *Service) ReadObject(ctx context.Context, key string) ([]byte, error) {
	rc, err := s.blobs.Open(ctx, key, 0, -1)
	if err != nil {
		return nil, fmt.Errorf("documents: unable to open %s: %w", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("documents: unable to read %s: %w", key, err)
	}
	return b, nil
}

// ReadVersion returns the bytes of version v.
func (s *Service) ReadVersion(ctx context.Context, v Version) ([]byte, error) {
	return s.ReadObject(ctx, v.ObjectKey)
}

// plainTextPages is how many pages PlainText reads: a draft's text, not a
// whole annex.
const plainTextPages = 60

// PlainText returns the text of a PDF, a line per baseline, pages in
// order, for showing what changed between two revisions of a draft. It
// reads at most the first 60 pages; a stream the reader cannot parse ends
// the text there.
func PlainText(in []byte) (text string, err error) {
	var b strings.Builder
	defer func() {
		if p := recover(); p != nil { // the content parser panics on some streams
			text, err = b.String(), nil
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadPDF, err)
	}
	for n := 1; n <= r.NumPage() && n <= plainTextPages; n++ {
		lines, _, _ := pageLines(r, n)
		for _, l := range lines {
			ws := make([]string, len(l))
			for i, w := range l {
				ws[i] = w.s
			}
			b.WriteString(strings.Join(ws, " "))
			b.WriteByte('\n')
		}
	}
	return b.String(), nil
}
