package documents

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/storage"
	"github.com/jmoiron/sqlx"
)

// sealAttachmentsTx applies, inside tx, the organisation's signature
// without image to every PDF attachment of d not sealed yet: the number and
// symbol, the organisation and the time, as text at the top right of page 1
// (Decree 30/2020 Appendix I, II.1.d). It runs in the transaction that
// registers d (or marks it a copy), so one that cannot be sealed fails the
// registration and nothing is numbered. Each sealed file is verified at
// once and its report kept beside it.
func (s *Service) sealAttachmentsTx(ctx context.Context, tx *sqlx.Tx, p auth.Principal, deps *SigningDeps, d Document, number int, symbol string) error {
	// Nobody adds or removes one meanwhile (lockEditable takes the same lock).
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM documents WHERE id = $1 FOR UPDATE`, d.ID); err != nil {
		return fmt.Errorf("documents: unable to lock the document: %w", err)
	}
	atts, err := s.attachments(ctx, tx, d.ID)
	if err != nil {
		return err
	}
	var todo []Attachment
	for _, a := range atts {
		if !a.Sealed && a.IsPDF() {
			todo = append(todo, a)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	unit, err := s.unitCode(ctx, d.UnitID)
	if err != nil {
		return err
	}
	key, release, err := deps.Keys.OrgKey(ctx, unit.Code)
	if err != nil {
		return keyError(err)
	}
	defer release()
	ns := formatNumber(number, symbol)
	for _, a := range todo {
		err := s.sealAttachment(ctx, tx, p, deps, key, unit, ns, a)
		if transient(ctx, err) {
			return err
		}
		if err != nil {
			return &domain.PreconditionError{Code: "attachment_seal_failed", Message: fmt.Sprintf(
				"Không ký số của cơ quan được trên tệp kèm theo số %d (“%s”): %s. Văn bản chưa được cấp số; hãy kiểm tra hoặc thay tệp kèm theo rồi đăng ký lại",
				a.Position, a.Title, sealFailure(err))}
		}
	}
	return nil
}

// transient reports whether err may pass if tried again (a time-stamp
// service, the store or the key device away): it keeps its own message.
func transient(ctx context.Context, err error) bool {
	return err != nil && (ctx.Err() != nil || errors.Is(err, signing.ErrTSA) || errors.Is(err, storage.ErrUnavailable) ||
		errors.Is(err, signing.ErrTokenUnavailable))
}

// sealFailure says in a few Vietnamese words why an attachment could not
// be sealed.
func sealFailure(err error) string {
	var pe *domain.PreconditionError
	if errors.As(err, &pe) {
		return pe.Message
	}
	return "tệp không đọc được, hỏng hoặc vượt giới hạn ký số"
}

func (s *Service) sealAttachment(ctx context.Context, tx *sqlx.Tx, p auth.Principal, deps *SigningDeps, key signing.Key, unit unitInfo, numberSymbol string, a Attachment) error {
	if a.Size > deps.MaxBytes {
		return fmt.Errorf("%w: attachment %d has %d bytes, signing takes at most %d", ErrTooLarge, a.ID, a.Size, deps.MaxBytes)
	}
	rc, err := s.OpenAttachment(ctx, a, 0, -1)
	if err != nil {
		return err
	}
	in, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return fmt.Errorf("documents: unable to read attachment %d: %w", a.ID, err)
	}
	if sum := sha256.Sum256(in); hex.EncodeToString(sum[:]) != a.SHA256 {
		return fmt.Errorf("documents: stored bytes of attachment %d do not match their SHA-256", a.ID)
	}
	at := time.Now()
	if deps.Now != nil {
		at = deps.Now()
	}
	mark, w, h, err := signing.AttachmentMark(numberSymbol, unit.Name, at)
	if err != nil {
		return err
	}
	page, rect, app, err := copyMarkPlace(in, mark, w, h)
	if err != nil {
		return err
	}
	out, err := signing.Sign(ctx, in, signing.Options{Key: key, Name: unit.Name,
		Reason: "Văn thư ký số của cơ quan trên tệp kèm theo văn bản " + numberSymbol, Location: domain.Place,
		Appearance: &signing.Appearance{Page: page, Rect: rect, PNG: app}, TSA: deps.TSA, MaxBytes: deps.MaxBytes})
	if err != nil {
		return err
	}
	report, verr := signing.Verify(out, signing.VerifyOptions{Roots: deps.Roots})
	var valid *bool
	var reportJSON []byte
	if verr == nil {
		valid = &report.Valid
		if reportJSON, err = json.Marshal(report); err != nil {
			return err
		}
	}
	sum := sha256.Sum256(out)
	shaHex := hex.EncodeToString(sum[:])
	objKey, err := s.storeBytes(ctx, tx, out, shaHex)
	if err != nil {
		return err
	}
	cert := key.Certificate()
	_, err = tx.ExecContext(ctx, `
		UPDATE document_attachments SET sealed_object_key = $2, sealed_sha256 = $3, sealed_size_bytes = $4,
		       sealed_by = $5, sealed_at = now(), certificate_serial = $6, verify_valid = $7, verify_report = $8
		WHERE id = $1`, a.ID, objKey, shaHex, len(out), p.UserID, cert.SerialNumber.Text(16), valid, nullJSON(reportJSON))
	if err != nil {
		return fmt.Errorf("documents: unable to record the attachment's signature: %w", err)
	}
	return audit.Append(ctx, tx, audit.Event{ActorID: p.UserID, ActorUnitID: p.UnitID, Action: "document.attachment.seal", DocumentID: a.DocumentID,
		Details: map[string]any{"attachment_id": a.ID, "position": a.Position, "sha256": shaHex, "number": numberSymbol,
			"certificate_subject": cert.Subject.String(), "certificate_serial": cert.SerialNumber.Text(16)}})
}

// storeBytes puts b, whose SHA-256 is shaHex, in the store under its key's
// lock and returns the key.
func (s *Service) storeBytes(ctx context.Context, tx *sqlx.Tx, b []byte, shaHex string) (string, error) {
	objKey, err := storage.KeyFor(shaHex)
	if err != nil {
		return "", err
	}
	if err := lockObject(ctx, tx, objKey); err != nil {
		return "", err
	}
	if err := s.blobs.Put(ctx, objKey, bytes.NewReader(b), int64(len(b))); err != nil {
		return "", fmt.Errorf("documents: unable to store the signed attachment: %w", err)
	}
	return objKey, nil
}

func nullJSON(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// sealWithAttachments is addSignedVersion for the organisation's signature
// (Seal on a document that has its number): the attachments are sealed in
// the same transaction.
func (s *Service) sealWithAttachments(ctx context.Context, deps *SigningDeps, p auth.Principal, d Document, out []byte, sig Signature, key signing.Key) (Document, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return d, fmt.Errorf("documents: unable to begin: %w", err)
	}
	defer tx.Rollback()
	if err := s.addSignedVersionTx(ctx, tx, p, d, out, sig, key, "registered", d.Number, d.Symbol); err != nil {
		return d, err
	}
	if err := s.sealAttachmentsTx(ctx, tx, p, deps, d, *d.Number, *d.Symbol); err != nil {
		return d, err
	}
	if err := tx.Commit(); err != nil {
		return d, fmt.Errorf("documents: unable to commit: %w", err)
	}
	return s.Get(ctx, p, d.ID)
}

// previewAttachments adds to a registration's preview the attachments
// that will be sealed with it.
func (s *Service) previewAttachments(ctx context.Context, pv *Preview) error {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM document_attachments
		WHERE document_id = $1 AND sealed_object_key IS NULL AND media_type = 'application/pdf'`, pv.DocumentID)
	if err != nil {
		return fmt.Errorf("documents: unable to count attachments: %w", err)
	}
	if pv.Attachments = n; n > 0 {
		pv.Message += fmt.Sprintf(" %d tệp kèm theo cũng được ký số của cơ quan (không hình ảnh, góc trên bên phải trang 1, ghi số %s).", n, pv.NumberSymbol)
	}
	return nil
}
