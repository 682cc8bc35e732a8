package documents

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/storage"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Long-term validation (PAdES B-LT, B-LTA). Each augmentation is a new
// version, since versions are immutable: the latest version, which every
// download, verification and later signature reads, is then the augmented
// file. It is recorded as made by whoever made the version it augments
// (document_versions.created_by names a user), with a note saying the
// system added validation data; the signature rows keep the version they
// were made in, and a version's signers are those up to it, so the
// augmented version shows the same signers.

// Jobs of long-term validation.
const (
	// JobLTV augments a document's latest version: to B-LT after a
	// signature, to B-LTA when archival, with a new document timestamp when
	// the last one's authority certificate is expiring. A TSA or an OCSP
	// responder that does not answer fails the job, which is tried again
	// later; the document stays as it was (B-T) meanwhile.
	JobLTV = "documents.ltv"
	// JobRetimestampScan finds the archival documents whose last document
	// timestamp's authority certificate ends within the margin.
	JobRetimestampScan = "documents.ltv_scan"
)

// Defaults of LTVConfig.
const (
	DefaultRetimestampMargin = 180 * 24 * time.Hour
	DefaultLTVDelay          = 10 * time.Minute
)

// LTVConfig tunes long-term validation.
type LTVConfig struct {
	// RetimestampMargin: a B-LTA document is timestamped again when its
	// last timestamp's authority certificate ends within it
	// (RETIMESTAMP_MARGIN); 0 means DefaultRetimestampMargin.
	RetimestampMargin time.Duration
	// Delay between a signature and its augmentation to B-LT, so that the
	// signatures that follow (the person's, then the organisation's) are
	// not raced by a new version; 0 means DefaultLTVDelay, negative none.
	Delay time.Duration
}

type ltvJob struct {
	DocumentID  int64 `json:"document_id"`
	Version     int   `json:"version,omitempty"` // the signed version; 0: the latest
	Archival    bool  `json:"archival,omitempty"`
	Retimestamp bool  `json:"retimestamp,omitempty"`
}

// SetLTVConfig sets the margin and delay of long-term validation.
func (s *Service) SetLTVConfig(c LTVConfig) { s.ltvCfg = c }

func (s *Service) retimestampMargin() time.Duration {
	if s.ltvCfg.RetimestampMargin > 0 {
		return s.ltvCfg.RetimestampMargin
	}
	return DefaultRetimestampMargin
}

// LTVHandlers are the job handlers of long-term validation.
func (s *Service) LTVHandlers() map[string]notify.Handler {
	// Idempotent: each run reads the latest version and does only what it
	// still lacks.
	return map[string]notify.Handler{
		JobLTV:             {Run: s.runLTVJob, Idempotent: true},
		JobRetimestampScan: {Run: func(ctx context.Context, _ json.RawMessage) error { return s.ScanRetimestamp(ctx) }, Idempotent: true},
	}
}

// RetimestampScanJob is the daily scan, for the housekeeping loop.
func RetimestampScanJob(now time.Time) notify.Job {
	return notify.Job{Kind: JobRetimestampScan, DedupeKey: "ltv_scan:" + now.UTC().Format(time.DateOnly)}
}

// afterSignedVersion records the level of a newly signed version and,
// with a TSA, queues its augmentation to B-LT (B-LTA when the document is
// archival), inside the signing transaction.
func (s *Service) afterSignedVersion(ctx context.Context, tx *sqlx.Tx, id int64, no int, rep signing.Report, verr error) error {
	level := ""
	if verr == nil {
		level = rep.Level
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO document_ltv (document_id, version_no, level) VALUES ($1, $2, $3)
		ON CONFLICT (document_id) DO UPDATE SET version_no = EXCLUDED.version_no, level = EXCLUDED.level,
		       timestamped_at = NULL, tsa_not_after = NULL, last_error = '', updated_at = now()`, id, no, level)
	if err != nil {
		return fmt.Errorf("documents: unable to record the PAdES level: %w", err)
	}
	if s.sign == nil || s.sign.TSA == nil {
		return nil // B-B: nothing proves the time; B-LT needs B-T first
	}
	delay := s.ltvCfg.Delay
	if delay == 0 {
		delay = DefaultLTVDelay
	}
	j := notify.Job{Kind: JobLTV, Payload: ltvJob{DocumentID: id, Version: no},
		DedupeKey: fmt.Sprintf("%s:%d:%d", JobLTV, id, no), MaxAttempts: 20}
	if delay > 0 {
		j.RunAt = time.Now().Add(delay)
	}
	return notify.Enqueue(ctx, tx, j)
}

// EnqueueArchival queues the augmentation of the document's latest
// version to B-LTA (a document timestamp over B-LT) and marks it archival,
// so that it is timestamped again before its timestamps' certificates
// expire. The records helper calls it, in its transaction, when a file is
// closed.
func (s *Service) EnqueueArchival(ctx context.Context, q sqlx.ExtContext, documentID int64) error {
	_, err := q.ExecContext(ctx, `
		INSERT INTO document_ltv (document_id, version_no, archival)
		SELECT $1, coalesce(max(version_no), 0), true FROM document_versions WHERE document_id = $1
		ON CONFLICT (document_id) DO UPDATE SET archival = true, updated_at = now()`, documentID)
	if err != nil {
		return fmt.Errorf("documents: unable to mark the document archival: %w", err)
	}
	return notify.Enqueue(ctx, q, notify.Job{Kind: JobLTV, Payload: ltvJob{DocumentID: documentID, Archival: true},
		DedupeKey: fmt.Sprintf("%s:archival:%d:%d", JobLTV, documentID, time.Now().UnixNano()), MaxAttempts: 20})
}

// ScanRetimestamp queues a new document timestamp for every archival B-LTA
// document whose last timestamp's authority certificate ends within the
// margin (and which was not timestamped in the last day: a TSA whose own
// certificate is that close to its end is timestamped again daily, not in
// a loop).
func (s *Service) ScanRetimestamp(ctx context.Context) error {
	var rows []struct {
		ID int64 `db:"document_id"`
		No int   `db:"version_no"`
	}
	err := s.db.SelectContext(ctx, &rows, `
		SELECT document_id, version_no FROM document_ltv
		WHERE archival AND level = 'B-LTA' AND tsa_not_after < now() + make_interval(secs => $1)
		  AND (timestamped_at IS NULL OR timestamped_at < now() - interval '1 day')
		ORDER BY tsa_not_after LIMIT 10000`, s.retimestampMargin().Seconds())
	if err != nil {
		return fmt.Errorf("documents: unable to find documents to timestamp again: %w", err)
	}
	jobs := make([]notify.Job, len(rows))
	for i, r := range rows {
		jobs[i] = notify.Job{Kind: JobLTV, Payload: ltvJob{DocumentID: r.ID, Archival: true, Retimestamp: true},
			DedupeKey: fmt.Sprintf("%s:retimestamp:%d:%d", JobLTV, r.ID, r.No), MaxAttempts: 20}
	}
	return notify.Enqueue(ctx, s.db, jobs...)
}

// LTVState is what is known of a document's long-term validation.
type LTVState struct {
	VersionNo     int        `db:"version_no" json:"version"`
	Level         string     `db:"level" json:"level"`
	Archival      bool       `db:"archival" json:"archival"`
	TimestampedAt *time.Time `db:"timestamped_at" json:"timestamped_at,omitempty"`
	TSANotAfter   *time.Time `db:"tsa_not_after" json:"tsa_not_after,omitempty"`
	LastError     string     `db:"last_error" json:"last_error,omitempty"`
	UpdatedAt     time.Time  `db:"updated_at" json:"updated_at"`
}

// LTV returns the document's long-term validation state, whoever may see
// it; sql.ErrNoRows when it was never signed through the service.
func (s *Service) LTV(ctx context.Context, documentID int64) (LTVState, error) {
	var st LTVState
	err := s.db.GetContext(ctx, &st, `
		SELECT version_no, level, archival, timestamped_at, tsa_not_after, last_error, updated_at
		FROM document_ltv WHERE document_id = $1`, documentID)
	return st, err
}

func levelRank(l string) int {
	switch l {
	case signing.LevelBT:
		return 2
	case signing.LevelBLT:
		return 3
	case signing.LevelBLTA:
		return 4
	case signing.LevelBB:
		return 1
	}
	return 0
}

func (s *Service) runLTVJob(ctx context.Context, payload json.RawMessage) error {
	var j ltvJob
	if err := json.Unmarshal(payload, &j); err != nil {
		return notify.Permanent(fmt.Errorf("documents: bad LTV job: %v", err))
	}
	if s.sign == nil || s.sign.TSA == nil {
		return nil
	}
	err := s.augment(ctx, j)
	if err != nil && !errors.Is(err, errRaced) {
		// kept for the document page; the job is tried again
		s.db.ExecContext(ctx, `UPDATE document_ltv SET last_error = $2, updated_at = now() WHERE document_id = $1`, //nolint:errcheck // best effort
			j.DocumentID, err.Error())
	}
	return err
}

// errRaced: another job or a signature added a version meanwhile; the job
// is tried again on the new latest version.
var errRaced = errors.New("documents: a version was added meanwhile")

// augment does job j on the document's latest version.
func (s *Service) augment(ctx context.Context, j ltvJob) error {
	var latest Version
	err := s.db.GetContext(ctx, &latest, `
		SELECT id, document_id, version_no, object_key, sha256, size_bytes, media_type, file_name, note, created_by, created_at
		FROM document_versions WHERE document_id = $1 ORDER BY version_no DESC LIMIT 1`, j.DocumentID)
	if errors.Is(err, sql.ErrNoRows) {
		return notify.Permanent(fmt.Errorf("documents: no version of document %d", j.DocumentID))
	}
	if err != nil {
		return fmt.Errorf("documents: unable to read the latest version: %w", err)
	}
	if j.Version > 0 && latest.No < j.Version {
		return notify.Permanent(fmt.Errorf("documents: version %d of document %d is gone", j.Version, j.DocumentID))
	}
	if latest.Size > s.sign.MaxBytes {
		return notify.Permanent(fmt.Errorf("%w: %d bytes, signing takes at most %d", ErrTooLarge, latest.Size, s.sign.MaxBytes))
	}
	rc, err := s.Open(ctx, latest, 0, -1)
	if err != nil {
		return err
	}
	in, err := io.ReadAll(io.LimitReader(rc, s.sign.MaxBytes+1))
	rc.Close()
	if err != nil {
		return fmt.Errorf("documents: unable to read version %d: %w", latest.No, err)
	}
	vo := signing.VerifyOptions{Roots: s.sign.Roots, Context: ctx}
	rep, err := signing.Verify(in, vo)
	if err != nil {
		return notify.Permanent(fmt.Errorf("documents: unable to verify version %d: %w", latest.No, err))
	}
	if !j.Archival {
		// a document filed meanwhile is kept at B-LTA
		s.db.GetContext(ctx, &j.Archival, `SELECT archival FROM document_ltv WHERE document_id = $1`, j.DocumentID) //nolint:errcheck // none: not archival
	}
	target := signing.LevelBLT
	if j.Archival {
		target = signing.LevelBLTA
	}
	if rep.Level == "" {
		return s.recordLevel(ctx, j.DocumentID, latest.No, in, "") // not signed: nothing to keep verifiable
	}
	if !rep.Valid {
		return notify.Permanent(fmt.Errorf("documents: document %d version %d does not verify: %s", j.DocumentID, latest.No, rep.VerdictEN))
	}
	retimestamp := false
	if j.Retimestamp {
		_, cert, ok := signing.LastDocumentTimestamp(in)
		retimestamp = ok && cert.NotAfter.Before(time.Now().Add(s.retimestampMargin()))
	}
	if levelRank(rep.Level) >= levelRank(target) && !retimestamp {
		return s.recordLevel(ctx, j.DocumentID, latest.No, in, rep.Level)
	}
	checker := s.sign.Revocation
	if checker == nil {
		checker = &signing.RevocationChecker{}
	}
	// A B-B signature (made without a TSA, or received) is proven by a
	// first document timestamp, B-LTA needing a second one.
	out, after := in, rep
	for round := 0; round < 2 && (round == 0 || levelRank(after.Level) < levelRank(target)); round++ {
		if out, err = signing.AddValidationData(ctx, out, signing.ValidationDataOptions{Roots: s.sign.Roots, Revocation: checker}); err != nil {
			return err
		}
		if target == signing.LevelBLTA || levelRank(after.Level) < levelRank(signing.LevelBT) {
			if out, err = signing.AddDocumentTimestamp(ctx, out, s.sign.TSA); err != nil {
				return err
			}
		}
		if after, err = signing.Verify(out, vo); err != nil {
			break
		}
	}
	if err != nil || !after.Valid || levelRank(after.Level) < levelRank(target) {
		return notify.Permanent(fmt.Errorf("documents: the augmented version of document %d is %q and valid=%v: %s %v", j.DocumentID, after.Level, after.Valid, after.VerdictEN, err))
	}
	key, err := s.storeLTVVersion(ctx, latest, out, after, retimestamp)
	if err != nil {
		return err
	}
	if j.Archival && s.OnArchivalVersion != nil {
		s.OnArchivalVersion(ctx, j.DocumentID, key)
	}
	return nil
}

// recordLevel notes the level of a version that needs nothing more.
func (s *Service) recordLevel(ctx context.Context, id int64, no int, in []byte, level string) error {
	var at, notAfter *time.Time
	if t, cert, ok := signing.LastDocumentTimestamp(in); ok {
		at, notAfter = &t, &cert.NotAfter
	}
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO document_ltv (document_id, version_no, level, timestamped_at, tsa_not_after) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (document_id) DO UPDATE SET version_no = EXCLUDED.version_no, level = EXCLUDED.level,
		       timestamped_at = EXCLUDED.timestamped_at, tsa_not_after = EXCLUDED.tsa_not_after, last_error = '', updated_at = now()`,
		id, no, level, at, notAfter)
	if err != nil {
		return fmt.Errorf("documents: unable to record the PAdES level: %w", err)
	}
	return nil
}

// storeLTVVersion stores the augmented file as the next version, with its
// verification report, level and audit entry, and returns its object key.
func (s *Service) storeLTVVersion(ctx context.Context, latest Version, out []byte, rep signing.Report, retimestamp bool) (string, error) {
	sum := sha256.Sum256(out)
	shaHex := hex.EncodeToString(sum[:])
	objKey, err := storage.KeyFor(shaHex)
	if err != nil {
		return "", err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("documents: unable to begin: %w", err)
	}
	defer tx.Rollback()
	if err := lockObject(ctx, tx, objKey); err != nil {
		return "", err
	}
	if err := s.blobs.Put(ctx, objKey, bytes.NewReader(out), int64(len(out))); err != nil {
		return "", fmt.Errorf("documents: unable to store the augmented file: %w", err)
	}
	no := latest.No + 1
	note := "Hệ thống bổ sung dữ liệu xác thực dài hạn (PAdES " + rep.Level + ")"
	if retimestamp {
		note = "Hệ thống đóng dấu thời gian lưu trữ mới (PAdES B-LTA)"
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO document_versions (document_id, version_no, object_key, sha256, size_bytes,
		                               media_type, file_name, note, created_by)
		VALUES ($1, $2, $3, $4, $5, 'application/pdf', $6, $7, $8)`,
		latest.DocumentID, no, objKey, shaHex, len(out), latest.FileName, note, latest.CreatedBy)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		return "", fmt.Errorf("%w (document %d): %v", errRaced, latest.DocumentID, err)
	}
	if err != nil {
		return "", fmt.Errorf("documents: unable to insert version: %w", err)
	}
	if err := storeReport(ctx, tx, latest.DocumentID, no, rep); err != nil {
		return "", err
	}
	var at, notAfter *time.Time
	if t, cert, ok := signing.LastDocumentTimestamp(out); ok {
		at, notAfter = &t, &cert.NotAfter
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO document_ltv (document_id, version_no, level, timestamped_at, tsa_not_after) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (document_id) DO UPDATE SET version_no = EXCLUDED.version_no, level = EXCLUDED.level,
		       timestamped_at = EXCLUDED.timestamped_at, tsa_not_after = EXCLUDED.tsa_not_after, last_error = '', updated_at = now()`,
		latest.DocumentID, no, rep.Level, at, notAfter)
	if err != nil {
		return "", fmt.Errorf("documents: unable to record the PAdES level: %w", err)
	}
	if err := s.enqueueText(ctx, tx, latest.DocumentID, no, true); err != nil {
		return "", err
	}
	details := map[string]any{"version": no, "sha256": shaHex, "level": rep.Level, "from_version": latest.No}
	if retimestamp {
		details["retimestamp"] = true
	}
	if err := audit.Append(ctx, tx, audit.Event{Action: "document.ltv", DocumentID: latest.DocumentID, Details: details}); err != nil {
		return "", err
	}
	if err := tx.Commit(); err != nil {
		return "", fmt.Errorf("documents: unable to commit: %w", err)
	}
	return objKey, nil
}
