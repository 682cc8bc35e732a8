package documents

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/convert"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/storage"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"golang.org/x/text/unicode/norm"
)

// Attachments (phụ lục, tài liệu kèm theo) are files beside a document's
// main file, in order (Decree 30/2020 Appendix I, II.1.d). An appendix in
// the main file is signed with it; one in a file of its own gets, when the
// clerk registers the document, the organisation's signature without image:
// the number and symbol and the time, as text at the top right of page 1.
// They hang off the document, so whoever sees the document sees them,
// wherever it went (issue, relay, edXML, meetings).

// MaxAttachments bounds the attachments added to one document.
const MaxAttachments = 20

// Converter turns a Word or LibreOffice file into PDF (convert.Converter).
type Converter interface {
	ToPDF(ctx context.Context, in []byte, fileName string) ([]byte, error)
}

// SetConverter gives s the converter Word attachments go through; without
// one they are refused with convert.ErrUnavailable (503).
func (s *Service) SetConverter(c Converter) { s.attach.converter = c }

// attachDeps is the Service's state for attachments, kept apart so the
// Service struct changes by one field.
type attachDeps struct {
	converter Converter
}

// Attachment is a file attached to a document.
type Attachment struct {
	ID         int64  `db:"id" json:"id"`
	DocumentID int64  `db:"document_id" json:"document_id"`
	Position   int    `db:"position" json:"position"`
	Title      string `db:"title" json:"title"`
	// FileName, MediaType, SHA256 and Size are of the file served: the
	// sealed one once the organisation's signature is on it.
	FileName  string `db:"file_name" json:"file_name"`
	MediaType string `db:"media_type" json:"media_type"`
	SHA256    string `db:"sha256" json:"sha256"`
	Size      int64  `db:"size_bytes" json:"size"`
	ObjectKey string `db:"object_key" json:"-"`
	// OriginalFileName is the Word or LibreOffice file it was converted
	// from; OpenOriginal reads it.
	OriginalFileName *string    `db:"source_file_name" json:"original_file_name,omitempty"`
	OriginalSHA256   string     `db:"source_sha256" json:"original_sha256,omitempty"`
	OriginalSize     int64      `db:"source_size_bytes" json:"original_size,omitempty"`
	Sealed           bool       `db:"sealed" json:"sealed"`
	SealedAt         *time.Time `db:"sealed_at" json:"sealed_at,omitempty"`
	// Valid is the verification verdict of the sealed file; VerdictVI says it.
	Valid       *bool     `db:"verify_valid" json:"valid,omitempty"`
	VerdictVI   string    `db:"verdict_vi" json:"verdict_vi,omitempty"`
	AddedBy     int64     `db:"added_by" json:"added_by"`
	AddedByName string    `db:"added_by_name" json:"added_by_name"`
	AddedAt     time.Time `db:"added_at" json:"added_at"`
}

// IsPDF reports whether the attachment is a PDF (not a file kept as it
// arrived in an edXML package), which a browser may show inline.
func (a Attachment) IsPDF() bool { return a.MediaType == "application/pdf" }

// Verified reports whether the sealed file's verification found it valid.
func (a Attachment) Verified() bool { return a.Valid != nil && *a.Valid }

const attachmentSelect = `
	SELECT a.id, a.document_id, a.position, a.title,
	       CASE WHEN a.sealed_object_key IS NULL THEN a.file_name
	            ELSE regexp_replace(a.file_name, '(\.pdf)?$', '.signed.pdf', 'i') END AS file_name,
	       a.media_type, coalesce(a.sealed_sha256, a.sha256) AS sha256,
	       coalesce(a.sealed_size_bytes, a.size_bytes) AS size_bytes,
	       coalesce(a.sealed_object_key, a.object_key) AS object_key,
	       a.source_file_name, coalesce(a.source_sha256, '') AS source_sha256, coalesce(a.source_size_bytes, 0) AS source_size_bytes,
	       a.sealed_object_key IS NOT NULL AS sealed, a.sealed_at,
	       a.verify_valid, coalesce(a.verify_report->>'verdict_vi', '') AS verdict_vi,
	       a.added_by, u.full_name AS added_by_name, a.added_at
	FROM document_attachments a JOIN users u ON u.id = a.added_by`

// attachmentObjects lists the stored objects attachments name, for
// objectRefs.
const attachmentObjects = `SELECT object_key FROM document_attachments
	UNION SELECT sealed_object_key FROM document_attachments WHERE sealed_object_key IS NOT NULL
	UNION SELECT source_object_key FROM document_attachments WHERE source_object_key IS NOT NULL`

var (
	errAttachmentsFrozen  = &domain.PreconditionError{Code: "attachments_frozen", Message: "Văn bản đã được ký hoặc đăng ký (hoặc không còn là dự thảo): phụ lục, tài liệu kèm theo không thêm, bớt hay đổi thứ tự được nữa. Nếu cần sửa, hãy ban hành văn bản thay thế hoặc đính chính"}
	errTooManyAttachments = &domain.ValidationError{Fields: map[string]string{"file": fmt.Sprintf("mỗi văn bản có tối đa %d tệp kèm theo", MaxAttachments)}}
)

// AttachmentRule says whether p may add, remove or move the attachments of
// d, a document p sees: a draft's drafter, a paper copy's creator or a
// clerk of its unit, while nobody has signed it (the person's signature is given in view of the
// whole; the organisation's seals each attachment).
func AttachmentRule(p auth.Principal, d Document) Permission {
	switch {
	case d.UnitID != p.UnitID:
		return forbidden("Chỉ đơn vị ban hành văn bản mới thêm, bớt phụ lục được")
	case d.Status == "recalled":
		return precondition(ErrRecalled)
	case d.Status != "draft" || d.PersonSigned || d.SealKind != "":
		return precondition(errAttachmentsFrozen)
	case d.Origin == OriginOutgoing && d.CreatedBy != p.UserID:
		// As with its revisions: the drafter (a clerk sees a draft only
		// once it is signed, and then its attachments are frozen).
		return forbidden("Chỉ người soạn dự thảo mới thêm, bớt phụ lục của dự thảo được")
	case d.CreatedBy != p.UserID && !p.Has(auth.RoleClerk):
		return forbidden("Chỉ người số hóa bản gốc giấy hoặc văn thư của đơn vị mới thêm, bớt phụ lục được")
	}
	return allowed
}

// Attachments lists the attachments of a document p may see, in order.
func (s *Service) Attachments(ctx context.Context, p auth.Principal, id int64) ([]Attachment, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return nil, err
	}
	return s.attachments(ctx, s.db, id)
}

func (s *Service) attachments(ctx context.Context, q sqlx.QueryerContext, id int64) ([]Attachment, error) {
	out := []Attachment{}
	if err := sqlx.SelectContext(ctx, q, &out, attachmentSelect+` WHERE a.document_id = $1 ORDER BY a.position`, id); err != nil {
		return nil, fmt.Errorf("documents: unable to list attachments: %w", err)
	}
	return out, nil
}

// AttachmentsOf lists the attachments of the documents ids, in order, by
// document, whoever asks: for packages that have checked access already
// (meetings, whose sharing rule is their own).
func (s *Service) AttachmentsOf(ctx context.Context, ids []int64) (map[int64][]Attachment, error) {
	out := map[int64][]Attachment{}
	if len(ids) == 0 {
		return out, nil
	}
	var all []Attachment
	if err := s.db.SelectContext(ctx, &all, attachmentSelect+` WHERE a.document_id = ANY($1) ORDER BY a.document_id, a.position`, pq.Array(ids)); err != nil {
		return nil, fmt.Errorf("documents: unable to list attachments: %w", err)
	}
	for _, a := range all {
		out[a.DocumentID] = append(out[a.DocumentID], a)
	}
	return out, nil
}

// Attachment returns one attachment of a document p may see.
func (s *Service) Attachment(ctx context.Context, p auth.Principal, id, attachmentID int64) (Attachment, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return Attachment{}, err
	}
	var a Attachment
	err := s.db.GetContext(ctx, &a, attachmentSelect+` WHERE a.document_id = $1 AND a.id = $2`, id, attachmentID)
	if errors.Is(err, sql.ErrNoRows) {
		return a, domain.ErrNotFound
	}
	if err != nil {
		return a, fmt.Errorf("documents: unable to fetch attachment: %w", err)
	}
	return a, nil
}

// OpenAttachment reads length bytes from offset of an attachment's file
// (length < 0: to the end).
func (s *Service) OpenAttachment(ctx context.Context, a Attachment, offset, length int64) (io.ReadCloser, error) {
	rc, err := s.blobs.Open(ctx, a.ObjectKey, offset, length)
	if err != nil {
		return nil, fmt.Errorf("documents: unable to open attachment %d of document %d: %w", a.ID, a.DocumentID, err)
	}
	return rc, nil
}

// Original returns the Word or LibreOffice file attachment a was
// converted from, as an attachment of its own (name, type, size, bytes),
// or domain.ErrNotFound when it was not converted.
func (s *Service) Original(ctx context.Context, a Attachment) (Attachment, error) {
	if a.OriginalFileName == nil {
		return Attachment{}, domain.ErrNotFound
	}
	var key string
	if err := s.db.GetContext(ctx, &key, `SELECT source_object_key FROM document_attachments WHERE id = $1`, a.ID); err != nil {
		return Attachment{}, fmt.Errorf("documents: unable to fetch the original: %w", err)
	}
	o := a
	o.FileName, o.SHA256, o.Size, o.ObjectKey, o.Sealed, o.Valid, o.VerdictVI = *a.OriginalFileName, a.OriginalSHA256, a.OriginalSize, key, false, nil, ""
	o.MediaType = keptTypes[strings.ToLower(path.Ext(o.FileName))]
	if o.MediaType == "" {
		o.MediaType = "application/octet-stream"
	}
	return o, nil
}

// RecordAttachmentDownload notes in the document's access history that p
// read attachment a, shown in the browser (inline) or downloaded, from
// its first byte.
func (s *Service) RecordAttachmentDownload(ctx context.Context, p auth.Principal, a Attachment, offset int64, inline bool, requestID string) error {
	if offset > 0 {
		return nil
	}
	kind := AccessDownload
	if inline {
		kind = AccessView
	}
	return s.recordAccess(ctx, accessRow{at: time.Now(), user: p.UserID, unit: p.UnitID, doc: a.DocumentID,
		attachment: a.ID, kind: kind, request: requestID})
}

// AttachmentUpload is an attachment's file received and spooled: a PDF,
// checked as Spool checks a document's, or a Word or LibreOffice file to
// convert (kept beside its PDF).
type AttachmentUpload struct {
	pdf    *Upload
	office *Upload // the original, not a PDF; nil for a PDF
}

// FileName is the name the client gave the file.
func (u *AttachmentUpload) FileName() string {
	if u.office != nil {
		return u.office.FileName
	}
	return u.pdf.FileName
}

// Close removes the spooled files.
func (u *AttachmentUpload) Close() error {
	if u == nil {
		return nil
	}
	return errors.Join(u.pdf.Close(), u.office.Close())
}

// officeKinds are the extensions of files the converter takes, with the
// magic their content starts with (a ZIP for DOCX and ODT, OLE2 for DOC).
var officeKinds = map[string][]byte{
	".docx": []byte("PK\x03\x04"), ".odt": []byte("PK\x03\x04"),
	".doc": {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1},
}

// SpoolAttachment reads an attachment's file from r, as Spool does: a PDF
// is checked whole; a Word or LibreOffice file (.docx, .doc, .odt) is kept
// for conversion when added; anything else is refused. On error nothing is
// kept.
func (s *Service) SpoolAttachment(ctx context.Context, r io.Reader, fileName string) (*AttachmentUpload, error) {
	br := bufio.NewReaderSize(r, 4096)
	head, _ := br.Peek(1024)
	ext := strings.ToLower(path.Ext(strings.ReplaceAll(fileName, `\`, "/")))
	if magic, ok := officeKinds[ext]; ok && !bytes.Contains(head, []byte("%PDF-")) {
		if !bytes.HasPrefix(head, magic) {
			return nil, &domain.ValidationError{Fields: map[string]string{"file": "tệp có đuôi " + ext + " nhưng nội dung không phải tệp Word/LibreOffice; hãy lưu lại tệp rồi tải lên"}}
		}
		up, err := s.spoolRaw(ctx, br, fileName)
		if err != nil {
			return nil, err
		}
		return &AttachmentUpload{office: up}, nil
	}
	up, err := s.Spool(ctx, br, fileName)
	if errors.Is(err, ErrNotPDF) {
		return nil, &domain.ValidationError{Fields: map[string]string{"file": "chỉ nhận tệp PDF, hoặc Word/LibreOffice (.docx, .doc, .odt) để chuyển sang PDF"}}
	}
	if err != nil {
		return nil, err
	}
	return &AttachmentUpload{pdf: up}, nil
}

// spoolRaw spools r as Spool does, without reading it as a PDF: the file
// keeps its name and extension.
func (s *Service) spoolRaw(ctx context.Context, r io.Reader, fileName string) (*Upload, error) {
	name, err := cleanAnyName(fileName)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(s.spoolDir, spoolPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("documents: unable to create spool file: %w", err)
	}
	lockSpool(f)
	up := &Upload{FileName: name, f: f}
	h := sha256.New()
	w := bufio.NewWriterSize(f, 256<<10)
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(&ctxReader{ctx, r}, s.maxBytes+1))
	if err == nil {
		err = w.Flush()
	}
	switch {
	case err != nil && ctx.Err() != nil:
		err = ctx.Err()
	case err != nil:
		err = fmt.Errorf("%w: %v", ErrIncomplete, err)
	case n > s.maxBytes:
		err = ErrTooLarge
	case n == 0:
		err = &domain.ValidationError{Fields: map[string]string{"file": "tệp rỗng"}}
	}
	if err != nil {
		up.Close()
		return nil, err
	}
	up.Size, up.SHA256 = n, hex.EncodeToString(h.Sum(nil))
	return up, nil
}

// cleanAnyName is CleanFileName for a file that need not be a PDF: its
// own extension is kept.
func cleanAnyName(name string) (string, error) {
	clean, err := CleanFileName(name)
	if err != nil {
		return "", err
	}
	if !strings.HasSuffix(strings.ToLower(strings.TrimSpace(name)), ".pdf") {
		clean = strings.TrimSuffix(clean, ".pdf") // CleanFileName added it
	}
	if clean == "van-ban" || strings.Trim(clean, ".") == "" {
		clean = "tep-kem-theo"
	}
	return clean, nil
}

// cleanTitle checks an attachment's title.
func cleanTitle(title string) (string, error) {
	t := strings.Join(strings.Fields(norm.NFC.String(title)), " ")
	switch n := utf8.RuneCountInString(t); {
	case n == 0:
		return "", &domain.ValidationError{Fields: map[string]string{"title": "cần tên phụ lục, tài liệu kèm theo (ví dụ: Phụ lục I. Danh sách trường)"}}
	case n > 500:
		return "", &domain.ValidationError{Fields: map[string]string{"title": "tên phụ lục dài tối đa 500 ký tự"}}
	}
	return t, nil
}

// CheckAttachmentTitle validates a title alone, so a form can be refused
// before its file is read.
func CheckAttachmentTitle(title string) error {
	_, err := cleanTitle(title)
	return err
}

// editable loads the document p may see and checks that p may change its
// attachments (AttachmentRule).
func (s *Service) editable(ctx context.Context, p auth.Principal, id int64) (Document, error) {
	d, err := s.Get(ctx, p, id)
	if err != nil {
		return d, err
	}
	return d, AttachmentRule(p, d).Err()
}

// lockEditable locks the document's row in tx and checks again, under the
// lock, that no signature landed and it is still a draft.
func lockEditable(ctx context.Context, tx *sqlx.Tx, id int64) error {
	var row struct {
		Status string `db:"status"`
		Signed bool   `db:"signed"`
	}
	err := tx.GetContext(ctx, &row, `
		SELECT status, EXISTS (SELECT 1 FROM document_signatures g WHERE g.document_id = d.id) AS signed
		FROM documents d WHERE d.id = $1 FOR UPDATE`, id)
	if err != nil {
		return fmt.Errorf("documents: unable to lock the document: %w", err)
	}
	if row.Status == "recalled" {
		return ErrRecalled
	}
	if row.Status != "draft" || row.Signed {
		return errAttachmentsFrozen
	}
	return nil
}

// AddAttachment adds up as the last attachment of document id, titled
// title. A Word or LibreOffice file is converted to PDF first (its original
// is kept). The row is committed only after the bytes are stored.
func (s *Service) AddAttachment(ctx context.Context, p auth.Principal, id int64, title string, up *AttachmentUpload) (Attachment, error) {
	d, err := s.editable(ctx, p, id)
	if err != nil {
		return Attachment{}, err
	}
	title, err = cleanTitle(title)
	if err != nil {
		return Attachment{}, err
	}
	if up == nil || up.pdf == nil && up.office == nil {
		return Attachment{}, &domain.ValidationError{Fields: map[string]string{"file": "cần tệp PDF hoặc Word của phụ lục"}}
	}
	existing, err := s.attachments(ctx, s.db, d.ID)
	if err != nil {
		return Attachment{}, err
	}
	if len(existing) >= MaxAttachments {
		return Attachment{}, errTooManyAttachments
	}
	if up.office != nil && up.pdf == nil {
		if err := s.convertAttachment(ctx, up); err != nil {
			return Attachment{}, err
		}
	}
	pdf := up.pdf
	// It will carry the organisation's signature: an incremental update,
	// which a file with an owner password would not keep intact.
	if err := pdf.signable(); err != nil {
		return Attachment{}, err
	}
	if s.sign != nil && pdf.Size > s.sign.MaxBytes {
		return Attachment{}, fmt.Errorf("%w: %d bytes, signing takes at most %d", ErrTooLarge, pdf.Size, s.sign.MaxBytes)
	}
	for _, a := range existing {
		if a.SHA256 == pdf.SHA256 {
			return Attachment{}, &domain.ValidationError{Fields: map[string]string{"file": "tệp này đã được đính kèm (" + a.Title + ")"}}
		}
	}
	if len(d.Versions) > 0 && d.Versions[0].SHA256 == pdf.SHA256 {
		return Attachment{}, &domain.ValidationError{Fields: map[string]string{"file": "tệp này chính là tệp văn bản; phụ lục là tệp khác"}}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Attachment{}, fmt.Errorf("documents: unable to begin: %w", err)
	}
	defer tx.Rollback()
	if err := lockEditable(ctx, tx, d.ID); err != nil {
		return Attachment{}, err
	}
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM document_attachments WHERE document_id = $1`, d.ID); err != nil {
		return Attachment{}, fmt.Errorf("documents: unable to count attachments: %w", err)
	}
	if n >= MaxAttachments {
		return Attachment{}, errTooManyAttachments
	}
	aid, err := s.insertAttachmentTx(ctx, tx, d.ID, p.UserID, title, pdf, "application/pdf", up.office)
	if err != nil {
		return Attachment{}, err
	}
	details := map[string]any{"attachment_id": aid, "title": title, "file_name": pdf.FileName, "sha256": pdf.SHA256, "size": pdf.Size}
	if up.office != nil {
		details["original_file_name"], details["original_sha256"] = up.office.FileName, up.office.SHA256
	}
	if err := audit.Append(ctx, tx, audit.Event{ActorID: p.UserID, ActorUnitID: p.UnitID, Action: "document.attachment.add",
		DocumentID: d.ID, Details: details}); err != nil {
		return Attachment{}, err
	}
	if err := tx.Commit(); err != nil {
		return Attachment{}, fmt.Errorf("documents: unable to commit: %w", err)
	}
	return s.Attachment(ctx, p, d.ID, aid)
}

// convertAttachment converts up's Word original to PDF and spools the PDF,
// checked as any upload is.
func (s *Service) convertAttachment(ctx context.Context, up *AttachmentUpload) error {
	if s.attach.converter == nil {
		return convert.ErrUnavailable
	}
	in, err := io.ReadAll(up.office.Content())
	if err != nil {
		return fmt.Errorf("documents: unable to read the spooled file: %w", err)
	}
	out, err := s.attach.converter.ToPDF(ctx, in, up.office.FileName)
	var bad *convert.BadFileError
	if errors.As(err, &bad) {
		return &domain.ValidationError{Fields: map[string]string{"file": bad.Reason}}
	}
	if err != nil {
		return err
	}
	name := strings.TrimSuffix(up.office.FileName, path.Ext(up.office.FileName)) + ".pdf"
	pdf, err := s.Spool(ctx, bytes.NewReader(out), name)
	if err != nil {
		return err
	}
	up.pdf = pdf
	return nil
}

// insertAttachmentTx stores the spooled file (and the original it was
// converted from) and inserts the attachment last, inside tx.
func (s *Service) insertAttachmentTx(ctx context.Context, tx *sqlx.Tx, docID, by int64, title string, up *Upload, mediaType string, original *Upload) (int64, error) {
	key, err := s.storeSpooled(ctx, tx, up)
	if err != nil {
		return 0, err
	}
	var srcKey, srcSHA, srcName *string
	var srcSize *int64
	if original != nil {
		k, err := s.storeSpooled(ctx, tx, original)
		if err != nil {
			return 0, err
		}
		srcKey, srcSHA, srcName, srcSize = &k, &original.SHA256, &original.FileName, &original.Size
	}
	var id int64
	err = tx.GetContext(ctx, &id, `
		INSERT INTO document_attachments (document_id, position, title, object_key, sha256, size_bytes, media_type, file_name,
		                                  source_object_key, source_sha256, source_size_bytes, source_file_name, added_by)
		VALUES ($1, (SELECT coalesce(max(position), 0) + 1 FROM document_attachments WHERE document_id = $1),
		        $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		RETURNING id`, docID, title, key, up.SHA256, up.Size, mediaType, up.FileName, srcKey, srcSHA, srcSize, srcName, by)
	if err != nil {
		return 0, fmt.Errorf("documents: unable to insert attachment: %w", err)
	}
	return id, nil
}

// storeSpooled puts a spooled file in the store under its key's lock (see
// insertTx) and returns the key.
func (s *Service) storeSpooled(ctx context.Context, tx *sqlx.Tx, up *Upload) (string, error) {
	key, err := storage.KeyFor(up.SHA256)
	if err != nil {
		return "", err
	}
	if err := lockObject(ctx, tx, key); err != nil {
		return "", err
	}
	if _, err := up.f.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("documents: unable to rewind spool file: %w", err)
	}
	if err := s.blobs.Put(ctx, key, up.f, up.Size); err != nil {
		return "", fmt.Errorf("documents: unable to store file: %w", err)
	}
	return key, nil
}

// RemoveAttachment removes an attachment of a draft; the ones after it
// move up. Its bytes go with the orphan sweep unless something else names
// them.
func (s *Service) RemoveAttachment(ctx context.Context, p auth.Principal, id, attachmentID int64) error {
	d, err := s.editable(ctx, p, id)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("documents: unable to begin: %w", err)
	}
	defer tx.Rollback()
	if err := lockEditable(ctx, tx, d.ID); err != nil {
		return err
	}
	var gone struct {
		Position int    `db:"position"`
		Title    string `db:"title"`
		SHA256   string `db:"sha256"`
	}
	err = tx.GetContext(ctx, &gone, `DELETE FROM document_attachments WHERE document_id = $1 AND id = $2 RETURNING position, title, sha256`, d.ID, attachmentID)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("documents: unable to remove attachment: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE document_attachments SET position = position - 1 WHERE document_id = $1 AND position > $2`, d.ID, gone.Position); err != nil {
		return fmt.Errorf("documents: unable to renumber attachments: %w", err)
	}
	if err := audit.Append(ctx, tx, audit.Event{ActorID: p.UserID, ActorUnitID: p.UnitID, Action: "document.attachment.remove",
		DocumentID: d.ID, Details: map[string]any{"attachment_id": attachmentID, "title": gone.Title, "sha256": gone.SHA256}}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("documents: unable to commit: %w", err)
	}
	return nil
}

// MoveAttachment puts an attachment of a draft at position (from 1; past
// the end means last); the others keep their order.
func (s *Service) MoveAttachment(ctx context.Context, p auth.Principal, id, attachmentID int64, position int) ([]Attachment, error) {
	d, err := s.editable(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if position < 1 {
		return nil, &domain.ValidationError{Fields: map[string]string{"position": "vị trí tính từ 1"}}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("documents: unable to begin: %w", err)
	}
	defer tx.Rollback()
	if err := lockEditable(ctx, tx, d.ID); err != nil {
		return nil, err
	}
	var ids []int64
	if err := tx.SelectContext(ctx, &ids, `SELECT id FROM document_attachments WHERE document_id = $1 ORDER BY position`, d.ID); err != nil {
		return nil, fmt.Errorf("documents: unable to list attachments: %w", err)
	}
	from := -1
	for i, a := range ids {
		if a == attachmentID {
			from = i
		}
	}
	if from < 0 {
		return nil, domain.ErrNotFound
	}
	to := min(position, len(ids)) - 1
	if to != from {
		moved := append(ids[:from:from], ids[from+1:]...)
		moved = append(moved[:to], append([]int64{attachmentID}, moved[to:]...)...)
		for i, a := range moved {
			if _, err := tx.ExecContext(ctx, `UPDATE document_attachments SET position = $2 WHERE id = $1 AND position <> $2`, a, i+1); err != nil {
				return nil, fmt.Errorf("documents: unable to move attachment: %w", err)
			}
		}
		if err := audit.Append(ctx, tx, audit.Event{ActorID: p.UserID, ActorUnitID: p.UnitID, Action: "document.attachment.move",
			DocumentID: d.ID, Details: map[string]any{"attachment_id": attachmentID, "from": from + 1, "to": to + 1}}); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("documents: unable to commit: %w", err)
	}
	return s.attachments(ctx, s.db, d.ID)
}
