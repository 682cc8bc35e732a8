package drafting

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/convert"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/notify"
	"github.com/jmoiron/sqlx"
)

// File is an uploaded file: a PDF, or a Word or LibreOffice document
// (DOCX, DOC, ODT) that is converted to PDF.
type File struct {
	Name string
	Data []byte
}

// officeTypes are the media types of the office files taken, by extension.
var officeTypes = map[string]string{
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".doc":  "application/msword",
	".odt":  "application/vnd.oasis.opendocument.text",
}

// errFileType: neither a PDF nor an office file.
var errFileType = domain.Invalid("file", "chỉ nhận tệp PDF, Word (.docx, .doc) hoặc LibreOffice (.odt)")

// macroEnabled are Word's macro-enabled formats: refused for what they
// are, with the converter's reason, rather than as an unknown type.
var macroEnabled = map[string]bool{".docm": true, ".dotm": true}

// errMacroEnabled says why a .docm is refused and what to do.
var errMacroEnabled = &convert.BadFileError{Code: "macros", Reason: "Tệp có chứa macro nên không được nhận vì lý do an toàn; hãy lưu lại dưới dạng .docx hoặc .odt (không có macro) rồi tải lên lại"}

// office reports whether f is an office file to convert (by its name; the
// converter checks the content), and refuses what is neither that nor a
// PDF.
func office(f File) (bool, error) {
	if len(f.Data) == 0 {
		return false, domain.Invalid("file", "cần tệp của dự thảo (PDF, Word hoặc ODT)")
	}
	if bytes.HasPrefix(f.Data, []byte("%PDF-")) {
		return false, nil
	}
	ext := strings.ToLower(filepath.Ext(f.Name))
	if _, ok := officeTypes[ext]; ok {
		return true, nil
	}
	if ext == ".pdf" {
		return false, documents.ErrNotPDF
	}
	if macroEnabled[ext] {
		return false, errMacroEnabled
	}
	return false, errFileType
}

// prepared is an upload ready to be recorded: its PDF spooled, and the
// office original with its text when it was converted.
type prepared struct {
	up     *documents.Upload
	source *File
	text   string
}

func (pr *prepared) Close() {
	if pr != nil {
		pr.up.Close()
	}
}

// prepare spools f's PDF, converting an office file first. A converter
// that is missing or down gives convert.ErrUnavailable; a file it refuses,
// its *convert.BadFileError; one it had to stop, a validation error.
func (s *Service) prepare(ctx context.Context, f File) (*prepared, error) {
	isOffice, err := office(f)
	if err != nil {
		return nil, err
	}
	pr := &prepared{}
	pdf, name := f.Data, f.Name
	if isOffice {
		if s.conv == nil {
			return nil, convert.ErrUnavailable
		}
		pdf, err = s.conv.ToPDF(ctx, f.Data, f.Name)
		if errors.Is(err, convert.ErrTimeout) {
			return nil, domain.Invalid("file", TimeoutMessage)
		}
		if err != nil {
			return nil, err
		}
		// The text is for showing what changed; without it the PDF's is used.
		// PostgreSQL's text holds neither NUL nor invalid UTF-8, which a
		// binary .doc's text may carry.
		if t, err := s.conv.ToText(ctx, f.Data, f.Name); err == nil {
			pr.text = storableText(t)
		}
		src := f
		pr.source = &src
		name = strings.TrimSuffix(f.Name, filepath.Ext(f.Name)) + ".pdf"
	}
	if pr.up, err = s.docs.Spool(ctx, bytes.NewReader(pdf), name); err != nil {
		return nil, err
	}
	return pr, nil
}

// recordSource keeps the office original of version no of draft id.
func (s *Service) recordSource(ctx context.Context, tx *sqlx.Tx, id int64, no int, pr *prepared) error {
	if pr.source == nil {
		return nil
	}
	key, sum, err := s.docs.PutObjectTx(ctx, tx, pr.source.Data)
	if err != nil {
		return err
	}
	name, err := officeName(pr.source.Name)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO version_sources (document_id, version_no, object_key, sha256, size_bytes, media_type, file_name, text)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		id, no, key, sum, len(pr.source.Data), officeTypes[strings.ToLower(filepath.Ext(pr.source.Name))], name, pr.text)
	if err != nil {
		return fmt.Errorf("drafting: unable to record the original file: %w", err)
	}
	return nil
}

// officeName is documents.CleanFileName for an office file: its own
// extension, not ".pdf", is kept.
func officeName(n string) (string, error) {
	name, err := documents.CleanFileName(n)
	if err != nil {
		return "", err
	}
	if !strings.HasSuffix(strings.ToLower(n), ".pdf") {
		name = strings.TrimSuffix(name, ".pdf")
	}
	return name, nil
}

// JobConvert converts an upload kept while the converter was unavailable
// and makes its draft or revision.
const JobConvert = "drafting.convert"

// convertAttempts: with the worker's back-off (10 s doubling to an hour)
// about half a day of retries.
const convertAttempts = 20

type convertJob struct {
	ID int64 `json:"pending_id"`
}

// pendingMeta is what a kept upload needs to become its draft.
type pendingMeta struct {
	Meta     documents.Meta `json:"meta"`
	Note     string         `json:"note,omitempty"`
	SignerID *int64         `json:"signer_id,omitempty"`
}

// keep stores f for a retry (a new draft when doc is nil, else a revision
// of doc) and queues its conversion; it returns the *PendingError to give
// the user.
func (s *Service) keep(ctx context.Context, p auth.Principal, doc *int64, pm pendingMeta, f File) error {
	name, err := officeName(f.Name)
	if err != nil {
		return err
	}
	meta, err := json.Marshal(pm)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("drafting: unable to begin: %w", err)
	}
	defer tx.Rollback()
	key, sum, err := s.docs.PutObjectTx(ctx, tx, f.Data)
	if err != nil {
		return err
	}
	var id int64
	err = tx.GetContext(ctx, &id, `
		INSERT INTO pending_conversions (user_id, unit_id, document_id, meta, object_key, sha256, size_bytes, file_name)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		p.UserID, p.UnitID, doc, meta, key, sum, len(f.Data), name)
	if err != nil {
		return fmt.Errorf("drafting: unable to keep the upload: %w", err)
	}
	if err := notify.Enqueue(ctx, tx, notify.Job{Kind: JobConvert, Payload: convertJob{ID: id},
		DedupeKey: fmt.Sprintf("%s:%d", JobConvert, id), MaxAttempts: convertAttempts}); err != nil {
		return err
	}
	var docID int64
	if doc != nil {
		docID = *doc
	}
	if err := audit.Append(ctx, tx, audit.Event{ActorID: p.UserID, ActorUnitID: p.UnitID, Action: "draft.conversion_pending",
		DocumentID: docID, Details: map[string]any{"pending_id": id, "file_name": name, "sha256": sum}}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("drafting: unable to commit: %w", err)
	}
	return &PendingError{ID: id}
}

// Pending is an upload waiting for the converter.
type Pending struct {
	ID         int64     `db:"id" json:"id"`
	DocumentID *int64    `db:"document_id" json:"document_id,omitempty"`
	FileName   string    `db:"file_name" json:"file_name"`
	State      string    `db:"state" json:"state"`
	Error      string    `db:"error" json:"error,omitempty"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
}

// PendingOf lists p's uploads waiting for the converter, and those it
// could not convert in the last week.
func (s *Service) PendingOf(ctx context.Context, p auth.Principal) ([]Pending, error) {
	out := []Pending{}
	err := s.db.SelectContext(ctx, &out, `
		SELECT id, document_id, file_name, state, error, created_at FROM pending_conversions
		WHERE user_id = $1 AND (state = 'pending' OR (state = 'failed' AND updated_at > now() - interval '7 days'))
		ORDER BY id DESC LIMIT 50`, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("drafting: unable to list pending uploads: %w", err)
	}
	return out, nil
}

// Handlers are the job handlers the worker needs for drafting.
func (s *Service) Handlers() map[string]notify.Handler {
	// Idempotent: the draft is made in the transaction that marks the
	// upload done, and a done upload is skipped.
	return map[string]notify.Handler{JobConvert: {Run: s.runConvert, Idempotent: true}}
}

func (s *Service) runConvert(ctx context.Context, payload json.RawMessage) error {
	var j convertJob
	if err := json.Unmarshal(payload, &j); err != nil {
		return notify.Permanent(fmt.Errorf("drafting: bad conversion job: %v", err))
	}
	var row struct {
		UserID     int64  `db:"user_id"`
		DocumentID *int64 `db:"document_id"`
		Meta       []byte `db:"meta"`
		ObjectKey  string `db:"object_key"`
		FileName   string `db:"file_name"`
		State      string `db:"state"`
	}
	err := s.db.GetContext(ctx, &row, `SELECT user_id, document_id, meta, object_key, file_name, state FROM pending_conversions WHERE id = $1`, j.ID)
	if err != nil {
		return fmt.Errorf("drafting: unable to read pending upload %d: %w", j.ID, err)
	}
	if row.State != "pending" {
		return nil
	}
	var pm pendingMeta
	if err := json.Unmarshal(row.Meta, &pm); err != nil {
		return notify.Permanent(fmt.Errorf("drafting: bad pending upload %d: %v", j.ID, err))
	}
	data, err := s.docs.ReadObject(ctx, row.ObjectKey)
	if err != nil {
		return err
	}
	p, err := s.principal(ctx, row.UserID)
	if err != nil {
		return err
	}
	f := File{Name: row.FileName, Data: data}
	pr, err := s.prepare(ctx, f)
	if isUnavailable(err) {
		return err // tried again later
	}
	if err != nil {
		return s.failPending(ctx, j.ID, p, row.DocumentID, row.FileName, err)
	}
	defer pr.Close()
	done := func(tx *sqlx.Tx, result int64) error {
		res, err := tx.ExecContext(ctx, `UPDATE pending_conversions SET state = 'done', result_id = $2, updated_at = now()
			WHERE id = $1 AND state = 'pending'`, j.ID, result)
		if err != nil {
			return fmt.Errorf("drafting: unable to mark the upload converted: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errAlreadyDone
		}
		title := "Tệp Word đã được chuyển đổi: " + row.FileName
		return s.notes.Add(ctx, tx, []notify.Notification{{UserID: p.UserID, Kind: "draft.converted", Title: title,
			Body: "Dự thảo đã sẵn sàng để xem và gửi góp ý.", Link: draftLink(result), DocumentID: &result}})
	}
	if row.DocumentID == nil {
		_, err = s.createPrepared(ctx, p, pm.Meta, pr, pm.SignerID, done)
	} else {
		_, err = s.revise(ctx, p, *row.DocumentID, pr, pm.Note, done)
	}
	if errors.Is(err, errAlreadyDone) {
		return nil
	}
	var ve *domain.ValidationError
	var pe *domain.PreconditionError
	if errors.As(err, &ve) || errors.As(err, &pe) || errors.Is(err, domain.ErrForbidden) || errors.Is(err, domain.ErrNotFound) {
		return s.failPending(ctx, j.ID, p, row.DocumentID, row.FileName, err)
	}
	return err
}

var errAlreadyDone = errors.New("drafting: the upload was converted already")

// failPending records that a kept upload cannot become a draft, tells its
// drafter why, and ends the job.
func (s *Service) failPending(ctx context.Context, id int64, p auth.Principal, doc *int64, fileName string, cause error) error {
	msg := UserMessage(cause)
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("drafting: unable to begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE pending_conversions SET state = 'failed', error = $2, updated_at = now()
		WHERE id = $1 AND state = 'pending'`, id, msg); err != nil {
		return fmt.Errorf("drafting: unable to mark the upload failed: %w", err)
	}
	link := "/drafts"
	if doc != nil {
		link = draftLink(*doc)
	}
	if err := s.notes.Add(ctx, tx, []notify.Notification{{UserID: p.UserID, Kind: "draft.conversion_failed",
		Title: "Không chuyển đổi được tệp " + fileName, Body: msg, Link: link, DocumentID: doc}}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("drafting: unable to commit: %w", err)
	}
	return notify.Permanent(cause)
}

// UserMessage says in Vietnamese why an upload was refused.
func UserMessage(err error) string {
	var bf *convert.BadFileError
	var ve *domain.ValidationError
	var pe *domain.PreconditionError
	switch {
	case errors.As(err, &bf):
		return bf.Reason
	case errors.As(err, &pe):
		return pe.Message
	case errors.As(err, &ve):
		var parts []string
		for _, m := range ve.Fields {
			parts = append(parts, m)
		}
		return strings.Join(parts, "; ")
	case isUnavailable(err):
		return PendingMessage
	}
	return "Không xử lý được tệp"
}

// principal reads the account a kept upload acts for.
func (s *Service) principal(ctx context.Context, userID int64) (auth.Principal, error) {
	var p auth.Principal
	err := s.db.GetContext(ctx, &p, `
		SELECT u.id, u.username, u.full_name, u.position, u.unit_id, n.name AS unit_name, u.roles
		FROM users u JOIN units n ON n.id = u.unit_id WHERE u.id = $1`, userID)
	if err != nil {
		return p, fmt.Errorf("drafting: unable to read user %d: %w", userID, err)
	}
	return p, nil
}

func draftLink(id int64) string { return fmt.Sprintf("/drafts/%d", id) }

// storableText keeps of a converter's text what PostgreSQL stores and a page
// shows: valid UTF-8 without NUL or other control characters but line
// breaks and tabs.
func storableText(t string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return -1
	}, strings.ToValidUTF8(t, "\uFFFD"))
}
