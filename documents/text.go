package documents

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/notify"
	"github.com/jmoiron/sqlx"
)

// JobExtractText is the job that reads the text of a document's latest
// version (its PDF's text layer, OCR for scanned pages) into
// document_texts, for search. It is queued in the transaction that stores
// a new version.
const JobExtractText = "documents.text"

type textJob struct {
	DocumentID int64 `json:"document_id"`
}

// SetTextConfig sets the limits of text extraction and OCR; call it
// before the service runs jobs.
func (s *Service) SetTextConfig(c TextConfig) { s.text = newTextRunner(c) }

// TextConfig returns the limits in force, defaults filled in.
func (s *Service) TextConfig() TextConfig { return s.runner().cfg }

func (s *Service) runner() *textRunner { return s.text }

// TextHandlers are the job handlers of text extraction. The service runs
// them in a worker of their own, as many at once as OCR_WORKERS, so that
// a long OCR never holds up e-mails and the other jobs.
func (s *Service) TextHandlers() map[string]notify.Handler {
	// Idempotent: the text is read again and replaces the stored one.
	return map[string]notify.Handler{JobExtractText: {Run: s.runTextJob, Idempotent: true}}
}

// enqueueText queues, inside tx when q is one, the extraction of the text
// of document id now at version no, and marks its text pending (the old
// text stays searchable until the new one replaces it). With onlyMissing
// it does nothing for a document that has a text already: a signature
// adds a version whose words are the same.
func (s *Service) enqueueText(ctx context.Context, q sqlx.ExtContext, id int64, no int, onlyMissing bool) error {
	conflict := `ON CONFLICT (document_id) DO UPDATE SET version_no = EXCLUDED.version_no, state = 'pending', updated_at = now()`
	if onlyMissing {
		conflict = `ON CONFLICT (document_id) DO NOTHING`
	}
	res, err := q.ExecContext(ctx, `
		INSERT INTO document_texts (document_id, version_no)
		SELECT $1, coalesce(NULLIF($2, 0), (SELECT max(version_no) FROM document_versions WHERE document_id = $1), 0) `+conflict, id, no)
	if err != nil {
		return fmt.Errorf("documents: unable to mark the text pending: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	key := fmt.Sprintf("%s:%d:%d", JobExtractText, id, no)
	if no == 0 { // asked again by hand: a new job each time
		key = ""
	}
	return notify.Enqueue(ctx, q, notify.Job{Kind: JobExtractText, Payload: textJob{DocumentID: id}, DedupeKey: key, MaxAttempts: 3})
}

// TextState is what is known of the text inside a document.
type TextState struct {
	State     string    `db:"state" json:"state"`   // pending, done, failed; "" never asked
	Method    string    `db:"method" json:"method"` // text (the PDF's text layer) or ocr
	Pages     int       `db:"pages" json:"pages"`
	Error     string    `db:"error" json:"note,omitempty"` // why it failed, or what was left out
	VersionNo int       `db:"version_no" json:"version"`
	Chars     int       `db:"chars" json:"chars"` // characters read, page breaks aside
	UpdatedAt time.Time `db:"updated_at" json:"updated_at"`
}

// Label says the state in a few Vietnamese words, as the document page
// shows it.
func (t TextState) Label() string {
	switch {
	case t.State == "":
		return "chưa trích xuất"
	case t.State == "pending":
		return "đang xử lý"
	case t.State == "failed":
		return "lỗi: " + t.Error
	case t.Chars == 0:
		return "không có chữ"
	case t.Method == "ocr":
		return fmt.Sprintf("đã nhận dạng OCR (%d trang)", t.Pages)
	}
	return fmt.Sprintf("đã trích xuất (%d trang)", t.Pages)
}

// Text returns the state of the text of document id, which p may see.
func (s *Service) Text(ctx context.Context, p auth.Principal, id int64) (TextState, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return TextState{}, err
	}
	return s.textState(ctx, id)
}

func (s *Service) textState(ctx context.Context, id int64) (TextState, error) {
	var t TextState
	err := s.db.GetContext(ctx, &t, `SELECT state, method, pages, error, version_no, length(replace(body, chr(12), '')) AS chars, updated_at
		FROM document_texts WHERE document_id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return TextState{}, nil
	}
	if err != nil {
		return t, fmt.Errorf("documents: unable to read the text state: %w", err)
	}
	return t, nil
}

// TextBody returns the text read from document id, which p may see.
func (s *Service) TextBody(ctx context.Context, p auth.Principal, id int64) (string, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return "", err
	}
	var body string
	err := s.db.GetContext(ctx, &body, `SELECT body FROM document_texts WHERE document_id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return body, err
}

// CanExtractText reports whether p may have d's text read again: a clerk
// of d's unit or of a unit that received it.
func (s *Service) CanExtractText(ctx context.Context, p auth.Principal, d Document) bool {
	if !p.Has(auth.RoleClerk) {
		return false
	}
	if d.UnitID == p.UnitID {
		return true
	}
	var ok bool
	s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM deliveries WHERE document_id = $1 AND recipient_unit_id = $2)`, d.ID, p.UnitID) //nolint:errcheck // false on error
	return ok
}

// ExtractText queues the reading of document id's text again, for a
// clerk of its unit or of a unit it was delivered to.
func (s *Service) ExtractText(ctx context.Context, p auth.Principal, id int64) (TextState, error) {
	d, err := s.Get(ctx, p, id)
	if err != nil {
		return TextState{}, err
	}
	if !s.CanExtractText(ctx, p, d) {
		return TextState{}, domain.ErrForbidden
	}
	if err := s.enqueueText(ctx, s.db, id, 0, false); err != nil {
		return TextState{}, err
	}
	return s.textState(ctx, id)
}

// EnqueueTexts queues the extraction of the text of every document without
// one (all: of every document), for installations that had documents
// before extraction existed; it returns how many were queued.
func (s *Service) EnqueueTexts(ctx context.Context, all bool) (int, error) {
	cond := `NOT EXISTS (SELECT 1 FROM document_texts t WHERE t.document_id = d.id)`
	if all {
		cond = `true`
	}
	var ids []int64
	if err := s.db.SelectContext(ctx, &ids, `SELECT id FROM documents d WHERE `+cond+` ORDER BY id`); err != nil {
		return 0, fmt.Errorf("documents: unable to list documents: %w", err)
	}
	for _, id := range ids {
		if err := s.enqueueText(ctx, s.db, id, 0, false); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

func (s *Service) runTextJob(ctx context.Context, payload json.RawMessage) error {
	var j textJob
	if err := json.Unmarshal(payload, &j); err != nil {
		return notify.Permanent(fmt.Errorf("documents: bad text job: %v", err))
	}
	return s.extractNow(ctx, j.DocumentID)
}

// extractNow reads the text of the latest version of document id and
// stores it, done or failed; the document stays usable either way.
func (s *Service) extractNow(ctx context.Context, id int64) error {
	var v Version
	err := s.db.GetContext(ctx, &v, `
		SELECT id, document_id, version_no, object_key, sha256, size_bytes, media_type, file_name, note, created_by, created_at
		FROM document_versions WHERE document_id = $1 ORDER BY version_no DESC LIMIT 1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return notify.Permanent(fmt.Errorf("documents: no version of document %d", id))
	}
	if err != nil {
		return err
	}
	var ex extraction
	if v.MediaType != "application/pdf" {
		ex = extraction{Err: "tệp không phải PDF"}
	} else {
		rc, err := s.Open(ctx, v, 0, -1)
		if err != nil {
			return err
		}
		path, remove, err := tempFile(s.spoolDir, rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("documents: unable to read version: %w", err)
		}
		defer remove()
		dir, err := os.MkdirTemp(s.spoolDir, "ocr-")
		if err != nil {
			return fmt.Errorf("documents: unable to make a folder for OCR: %w", err)
		}
		defer os.RemoveAll(dir)
		ex = s.runner().extract(ctx, dir, path)
		if ctx.Err() != nil {
			return ctx.Err() // the service stops: tried again
		}
	}
	state, note := "done", ex.Note
	if ex.Err != "" {
		state, note = "failed", ex.Err
	}
	_, err = s.db.ExecContext(ctx, `
		INSERT INTO document_texts (document_id, version_no, state, method, pages, body, error, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, now())
		ON CONFLICT (document_id) DO UPDATE SET version_no = EXCLUDED.version_no, state = EXCLUDED.state,
		  method = EXCLUDED.method, pages = EXCLUDED.pages, body = EXCLUDED.body, error = EXCLUDED.error, updated_at = now()`,
		id, v.No, state, ex.Method, ex.Pages, ex.Body, note)
	if err != nil {
		return fmt.Errorf("documents: unable to store the text: %w", err)
	}
	return nil
}
