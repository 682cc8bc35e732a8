package documents

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"io"
	"strings"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/storage"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// What the minutes of a meeting (biên bản) need from documents: they are
// signed by the meeting's chair and secretary, whoever holds those offices,
// not only by the unit's signers, and they are generated again from the
// meeting's record until someone signs them.

// MeetingOffice is the capacity in which someone signs a meeting's minutes
// without the signer role: an office they hold in that meeting.
type MeetingOffice string

// The offices that sign the minutes.
const (
	AsSecretary MeetingOffice = "secretary"
	AsChair     MeetingOffice = "chair"
)

// inOffice stands, for readLatest, in place of the signer role a meeting
// officer may lack. Only SignAsMeetingOfficer passes it, and checks the
// office before signing: the principal's roles are never changed.
const inOffice = "(meeting office, checked)"

// SignAsMeetingOfficer adds the person signature of a meeting's chair or
// secretary to its minutes, in that capacity. p must hold that office in
// the meeting whose minutes are document id, as its row says now (checked
// here, not taken on trust): anyone else, a signer of the unit included,
// gets domain.ErrForbidden. The signer role is not required. Everything else is
// as SignAsPerson: a document of p's own unit, not sealed, not secret, the
// latest version being the one p saw, p's key and signature image. With
// req.Rect (the space left for the signature between the position line and
// the name, both already printed) the handwritten image alone is fitted
// into it, centred and keeping its proportions.
func (s *Service) SignAsMeetingOfficer(ctx context.Context, p auth.Principal, office MeetingOffice, id int64, req SignRequest) (Document, error) {
	deps, err := s.signingDeps()
	if err != nil {
		return Document{}, err
	}
	d, in, err := s.readLatest(ctx, p, inOffice, id, req.VersionSHA256, deps.MaxBytes)
	if err != nil {
		return d, err
	}
	if err := s.checkOffice(ctx, p, office, id); err != nil {
		return d, err
	}
	img, err := s.image(ctx, "signature", p.UserID, 0)
	if err != nil {
		return d, err
	}
	var (
		page  int
		rect  [4]float64
		app   []byte
		inner signing.Rect
	)
	if req.Rect != nil {
		if err := signing.CheckSignatureImage(img); err != nil {
			return d, err
		}
		if page, rect, err = placement(in, req.Page, req.Rect, 0, 0, bottomRight); err != nil {
			return d, err
		}
		if rect, err = fitImage(img, rect); err != nil {
			return d, err
		}
		app, inner = img, signing.Rect{W: rect[2] - rect[0], H: rect[3] - rect[1]}
	} else if page, rect, app, inner, err = personPlacement(in, req, img, p); err != nil {
		return d, err
	}
	if err := s.stepUp(ctx, p, req.OTP); err != nil {
		return d, err
	}
	return s.signPerson(ctx, deps, p, d, in, req.Reason, "Ký biên bản", page, rect, app, inner, signedAs{})
}

// checkOffice returns domain.ErrForbidden unless p holds office in the
// meeting whose minutes are document id, as the links that package
// meetings added say (documents names none of its tables).
func (s *Service) checkOffice(ctx context.Context, p auth.Principal, office MeetingOffice, id int64) error {
	if office != AsChair && office != AsSecretary {
		return domain.ErrForbidden
	}
	var conds []string
	for _, l := range s.links {
		if l.Office != "" {
			conds = append(conds, l.Office)
		}
	}
	if len(conds) == 0 {
		return domain.ErrForbidden
	}
	q, args, err := sqlx.Named(`SELECT `+strings.Join(conds, ` OR `),
		map[string]any{"doc": id, "user": p.UserID, "office": string(office)})
	if err != nil {
		return fmt.Errorf("documents: unable to check the meeting office: %w", err)
	}
	var holds bool
	if err := s.db.GetContext(ctx, &holds, s.db.Rebind(q), args...); err != nil {
		return fmt.Errorf("documents: unable to check the meeting office: %w", err)
	}
	if !holds {
		return domain.ErrForbidden
	}
	return nil
}

// fitImage is the largest rectangle with the image's proportions centred
// in r.
func fitImage(img []byte, r [4]float64) ([4]float64, error) {
	cfg, err := png.DecodeConfig(bytes.NewReader(img))
	if err != nil || cfg.Width == 0 || cfg.Height == 0 {
		return r, fmt.Errorf("documents: unreadable signature image: %v", err)
	}
	w, h := r[2]-r[0], r[3]-r[1]
	if iw := h * float64(cfg.Width) / float64(cfg.Height); iw <= w {
		x := r[0] + (w-iw)/2
		return [4]float64{x, r[1], x + iw, r[3]}, nil
	}
	ih := w * float64(cfg.Height) / float64(cfg.Width)
	y := r[1] + (h-ih)/2
	return [4]float64{r[0], y, r[2], y + ih}, nil
}

// SetMeetingOfficerSignatureImage keeps a handwritten-signature image for
// someone without the signer role who signs minutes as a meeting's
// secretary or chair; the caller has checked they may.
func (s *Service) SetMeetingOfficerSignatureImage(ctx context.Context, p auth.Principal, png []byte) error {
	return s.putImage(ctx, p, "signature", png)
}

// ReplaceDraft adds up as the next version of a draft of p's unit that
// nobody has signed yet: a document generated again from what it records
// (the minutes of a meeting, drafted again after a change). Once any
// signature is applied the draft is final and this returns a
// *domain.PreconditionError. A file identical to the latest version changes
// nothing.
func (s *Service) ReplaceDraft(ctx context.Context, p auth.Principal, id int64, up *Upload, note string) (Document, error) {
	if !CanCreate(p) {
		return Document{}, domain.ErrForbidden
	}
	if up == nil || up.f == nil {
		return Document{}, &domain.ValidationError{Fields: map[string]string{"file": "cần tệp PDF của văn bản"}}
	}
	if err := up.signable(); err != nil {
		return Document{}, err
	}
	d, err := s.Get(ctx, p, id)
	if err != nil {
		return d, err
	}
	if d.UnitID != p.UnitID {
		return d, domain.ErrForbidden
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return d, fmt.Errorf("documents: unable to begin: %w", err)
	}
	defer tx.Rollback()
	// The document row is locked so that no signature lands between the
	// check and the new version.
	var status string
	if err := tx.GetContext(ctx, &status, `SELECT status FROM documents WHERE id = $1 FOR UPDATE`, id); err != nil {
		return d, fmt.Errorf("documents: unable to lock document: %w", err)
	}
	var signed bool
	if err := tx.GetContext(ctx, &signed, `SELECT EXISTS (SELECT 1 FROM document_signatures WHERE document_id = $1)`, id); err != nil {
		return d, fmt.Errorf("documents: unable to check signatures: %w", err)
	}
	if signed || status != "draft" {
		return d, &domain.PreconditionError{Code: "draft_signed", Message: "Dự thảo đã được ký hoặc đăng ký; không thay được nữa"}
	}
	if d.Versions[0].SHA256 == up.SHA256 {
		return d, nil
	}
	key, err := storage.KeyFor(up.SHA256)
	if err != nil {
		return d, err
	}
	if err := lockObject(ctx, tx, key); err != nil {
		return d, err
	}
	if _, err := up.f.Seek(0, io.SeekStart); err != nil {
		return d, fmt.Errorf("documents: unable to rewind spool file: %w", err)
	}
	if err := s.blobs.Put(ctx, key, up.f, up.Size); err != nil {
		return d, fmt.Errorf("documents: unable to store file: %w", err)
	}
	no := d.Versions[0].No + 1
	_, err = tx.ExecContext(ctx, `
		INSERT INTO document_versions (document_id, version_no, object_key, sha256, size_bytes,
		                               media_type, file_name, note, created_by)
		VALUES ($1, $2, $3, $4, $5, 'application/pdf', $6, $7, $8)`,
		id, no, key, up.SHA256, up.Size, up.FileName, note, p.UserID)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		return d, &ConflictError{Current: "newer"}
	}
	if err != nil {
		return d, fmt.Errorf("documents: unable to insert version: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE documents SET updated_at = now() WHERE id = $1`, id); err != nil {
		return d, fmt.Errorf("documents: unable to update document: %w", err)
	}
	if err := s.enqueueVerify(ctx, tx, id, no); err != nil {
		return d, err
	}
	if err := s.enqueueText(ctx, tx, id, no, false); err != nil {
		return d, err
	}
	if err := uploadAudit(ctx, tx, p, "document.version", id, no, up); err != nil {
		return d, err
	}
	if err := tx.Commit(); err != nil {
		return d, fmt.Errorf("documents: unable to commit: %w", err)
	}
	return s.Get(ctx, p, id)
}
