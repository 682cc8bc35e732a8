package documents

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/signing"
	"github.com/jmoiron/sqlx"
)

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func storeReport(ctx context.Context, db execer, id int64, no int, r signing.Report) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `
		INSERT INTO verification_reports (document_id, version_no, valid, report)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (document_id, version_no) DO UPDATE SET valid = EXCLUDED.valid, report = EXCLUDED.report, verified_at = now()`,
		id, no, r.Valid, b)
	if err != nil {
		return fmt.Errorf("documents: unable to store verification report: %w", err)
	}
	return nil
}

// Verification is a version's verification report.
type Verification struct {
	Report     signing.Report `json:"report"`
	VerifiedAt time.Time      `json:"verified_at"`
	// Signers are the signatures the service applied up to this version,
	// with the capacity each was given in, which the PDF does not say.
	Signers []Signature `json:"signers"`
}

// Verification returns the report of a version p may see, computing and
// keeping it on first request.
func (s *Service) Verification(ctx context.Context, p auth.Principal, id int64, no int) (Verification, error) {
	v, err := s.Version(ctx, p, id, no)
	if err != nil {
		return Verification{}, err
	}
	var row struct {
		Report     []byte    `db:"report"`
		VerifiedAt time.Time `db:"verified_at"`
	}
	err = s.db.GetContext(ctx, &row, `SELECT report, verified_at FROM verification_reports WHERE document_id = $1 AND version_no = $2`, id, no)
	if err == nil {
		var out Verification
		out.VerifiedAt = row.VerifiedAt
		if err := json.Unmarshal(row.Report, &out.Report); err != nil {
			return out, fmt.Errorf("documents: unable to read stored report: %w", err)
		}
		return s.withSigners(ctx, out, id, no)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Verification{}, fmt.Errorf("documents: unable to fetch report: %w", err)
	}
	out, err := s.verifyVersion(ctx, v)
	if err != nil {
		return out, err
	}
	return s.withSigners(ctx, out, id, no)
}

func (s *Service) withSigners(ctx context.Context, v Verification, id int64, no int) (Verification, error) {
	sigs, err := s.signatures(ctx, id)
	if err != nil {
		return v, err
	}
	v.Signers = []Signature{}
	for _, g := range sigs {
		if g.VersionNo <= no {
			v.Signers = append(v.Signers, g)
		}
	}
	return v, nil
}

func (s *Service) verifyVersion(ctx context.Context, v Version) (Verification, error) {
	deps, err := s.signingDeps()
	if err != nil {
		return Verification{}, err
	}
	if v.Size > deps.MaxBytes {
		return Verification{}, fmt.Errorf("%w: %d bytes, verification takes at most %d", ErrTooLarge, v.Size, deps.MaxBytes)
	}
	rc, err := s.Open(ctx, v, 0, -1)
	if err != nil {
		return Verification{}, err
	}
	path, remove, err := tempFile(s.spoolDir, rc)
	rc.Close()
	if err != nil {
		return Verification{}, fmt.Errorf("documents: unable to read version: %w", err)
	}
	defer remove()
	r, err := verifyGuarded(ctx, deps, path)
	if err != nil {
		return Verification{}, err
	}
	if err := storeReport(ctx, s.db, v.DocumentID, v.No, r); err != nil {
		return Verification{}, err
	}
	// The level recorded when the version was signed is the new
	// signature's (addSignedVersionTx); the report has the document's.
	if _, err := s.db.ExecContext(ctx, `UPDATE document_ltv SET level = $3, updated_at = now()
		WHERE document_id = $1 AND version_no = $2 AND level <> $3`, v.DocumentID, v.No, r.Level); err != nil {
		return Verification{}, fmt.Errorf("documents: unable to record the PAdES level: %w", err)
	}
	return Verification{Report: r, VerifiedAt: time.Now()}, nil
}

// VerifyUpload verifies a PDF received from anywhere, keeping nothing.
func (s *Service) VerifyUpload(ctx context.Context, up *Upload) (signing.Report, error) {
	deps, err := s.signingDeps()
	if err != nil {
		return signing.Report{}, err
	}
	if up.Size > deps.MaxBytes {
		return signing.Report{}, fmt.Errorf("%w: verification takes at most %d bytes", ErrTooLarge, deps.MaxBytes)
	}
	r, err := verifyGuarded(ctx, deps, up.f.Name())
	return r, verifyError(err)
}

func verifyError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, signing.ErrEncrypted):
		return ErrEncryptedPDF
	case errors.Is(err, signing.ErrBadPDF):
		return fmt.Errorf("%w: %v", ErrBadPDF, err)
	}
	return err
}

// JobVerifyVersion is the job that computes and keeps the verification
// report of a stored version. It is queued in the transaction that stores
// the version, so whichever instance is free runs it, and a restart does
// not lose it; Verification computes the report on demand meanwhile.
const JobVerifyVersion = "documents.verify_version"

type verifyJob struct {
	DocumentID int64 `json:"document_id"`
	Version    int   `json:"version"`
}

// Handlers are the job handlers the worker needs for documents.
func (s *Service) Handlers() map[string]notify.Handler {
	// Idempotent: the report is computed again and replaces the stored one.
	return map[string]notify.Handler{JobVerifyVersion: {Run: s.runVerifyJob, Idempotent: true}}
}

// enqueueVerify queues, inside tx when q is one, the verification of
// version no of document id.
func (s *Service) enqueueVerify(ctx context.Context, q sqlx.ExtContext, id int64, no int) error {
	if s.sign == nil {
		return nil
	}
	return notify.Enqueue(ctx, q, notify.Job{Kind: JobVerifyVersion, Payload: verifyJob{DocumentID: id, Version: no},
		DedupeKey: fmt.Sprintf("%s:%d:%d", JobVerifyVersion, id, no)})
}

func (s *Service) runVerifyJob(ctx context.Context, payload json.RawMessage) error {
	var j verifyJob
	if err := json.Unmarshal(payload, &j); err != nil {
		return notify.Permanent(fmt.Errorf("documents: bad verification job: %v", err))
	}
	if s.sign == nil {
		return nil
	}
	v, err := s.versionRow(ctx, j.DocumentID, j.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return notify.Permanent(fmt.Errorf("documents: no version %d of document %d", j.Version, j.DocumentID))
	}
	if err != nil {
		return err
	}
	if v.Size > s.sign.MaxBytes {
		return nil // Verification says why when asked
	}
	_, err = s.verifyVersion(ctx, v)
	if errors.Is(err, ErrBadPDF) || errors.Is(err, ErrEncryptedPDF) || errors.As(err, new(*domain.PreconditionError)) {
		return notify.Permanent(err)
	}
	return err
}

// versionRow reads a version, whoever may see it.
func (s *Service) versionRow(ctx context.Context, id int64, no int) (Version, error) {
	var v Version
	err := s.db.GetContext(ctx, &v, `
		SELECT id, document_id, version_no, object_key, sha256, size_bytes, media_type, file_name, note, created_by, created_at
		FROM document_versions WHERE document_id = $1 AND version_no = $2`, id, no)
	return v, err
}
