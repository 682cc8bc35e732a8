// Package documents keeps official documents: a record per document and its
// immutable versions, whose bytes live in the blob store. Every operation
// takes the acting user and shows only what that user's unit may see.
package documents

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/remotesign"
	"github.com/hcm-edu/vanban/storage"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"golang.org/x/text/unicode/norm"
)

var (
	// ErrTooLarge is returned when a file is over the configured limit.
	ErrTooLarge = errors.New("documents: file too large")
	// ErrNotPDF is returned when the bytes are not a PDF at all.
	ErrNotPDF = errors.New("documents: not a PDF file")
	// ErrBadPDF is returned for a PDF that is truncated or does not parse.
	ErrBadPDF = errors.New("documents: damaged or truncated PDF")
	// ErrEncryptedPDF is returned for a password-protected PDF.
	ErrEncryptedPDF = errors.New("documents: encrypted PDF")
	// ErrIncomplete is returned when the upload stopped before its end.
	ErrIncomplete = errors.New("documents: upload incomplete")
	// ErrNoPresign is returned when the store cannot hand out URLs.
	ErrNoPresign = errors.New("documents: the store does not offer presigned URLs")
)

// Document is an official document record.
type Document struct {
	ID              int64     `db:"id" json:"id"`
	UnitID          int64     `db:"unit_id" json:"unit_id"`
	UnitName        string    `db:"unit_name" json:"unit_name"`
	DocType         string    `db:"doc_type" json:"doc_type"`
	Number          *int      `db:"number" json:"number,omitempty"`
	Symbol          *string   `db:"symbol" json:"symbol,omitempty"`
	NumberSymbol    *string   `db:"number_symbol" json:"number_symbol,omitempty"`
	Title           string    `db:"title" json:"title"`
	DocDate         time.Time `db:"doc_date" json:"-"`
	Urgency         string    `db:"urgency" json:"urgency"`
	Confidentiality string    `db:"confidentiality" json:"confidentiality"`
	Status          string    `db:"status" json:"status"`
	SignerName      string    `db:"signer_name" json:"signer_name"`
	CreatedBy       int64     `db:"created_by" json:"created_by"`
	CreatorName     string    `db:"creator_name" json:"creator_name"`
	CreatedAt       time.Time `db:"created_at" json:"created_at"`
	Restricted      bool      `db:"restricted" json:"restricted"` // seen inside its unit only by those named (see Restriction)
	Versions        []Version `db:"-" json:"versions,omitempty"`

	// Origin says where the number comes from: OriginOutgoing, OriginReceived
	// or OriginPaperCopy.
	Origin string `db:"origin" json:"origin"`
	// PersonSigned: the competent person's signature is on it; SealKind is
	// the organisation's signature applied ("organisation", "copy" for a
	// copy mark, "" none).
	PersonSigned bool   `db:"person_signed" json:"person_signed"`
	SealKind     string `db:"seal_kind" json:"seal_kind,omitempty"`
	IssueNotice  string `db:"-" json:"issue_notice,omitempty"` // where the number and date went, when not in their places (Seal, Register)
	// SubmittedTo is the user a draft was submitted to for signature
	// (Link.SubmittedTo), who alone signs it; SubmittedToName their name.
	SubmittedTo     *int64 `db:"submitted_to" json:"submitted_to,omitempty"`
	SubmittedToName string `db:"submitted_to_name" json:"submitted_to_name,omitempty"`
	// SignHold says why the competent person may not sign it now
	// (Link.SignHold); empty when nothing holds it.
	SignHold string `db:"sign_hold" json:"-"`
	// PAdESLevel is the PAdES level of the latest signed version (B-B,
	// B-T, B-LT, B-LTA; see LTVHandlers), "" when never signed here.
	PAdESLevel string `db:"pades_level" json:"pades_level,omitempty"`
}

// Origins of a document's number (Decree 30/2020): the unit's register
// (art. 15, 16), the body that sent it, or the paper original it was
// digitised from as a copy (art. 25.1.c).
const (
	OriginOutgoing  = "outgoing"
	OriginReceived  = "received"
	OriginPaperCopy = "paper_copy"
)

// Date returns the document's date as YYYY-MM-DD.
func (d Document) Date() string { return d.DocDate.Format(time.DateOnly) }

// Version is an immutable version of a document's file.
type Version struct {
	ID          int64     `db:"id" json:"-"`
	DocumentID  int64     `db:"document_id" json:"document_id"`
	No          int       `db:"version_no" json:"version"`
	ObjectKey   string    `db:"object_key" json:"-"`
	SHA256      string    `db:"sha256" json:"sha256"`
	Size        int64     `db:"size_bytes" json:"size"`
	MediaType   string    `db:"media_type" json:"media_type"`
	FileName    string    `db:"file_name" json:"file_name"`
	Note        string    `db:"note" json:"note"`
	CreatedBy   int64     `db:"created_by" json:"created_by"`
	CreatorName string    `db:"creator_name" json:"creator_name"`
	CreatedAt   time.Time `db:"created_at" json:"created_at"`
}

// Service stores and finds documents.
type Service struct {
	db       *sqlx.DB
	blobs    storage.Blobs
	spoolDir string
	maxBytes int64
	sign     *SigningDeps
	links    []Link // what other packages' rows add; see AddLink
	attach   attachDeps
	onSign   []SignHook
	factor   SecondFactor        // nil: no second factor asked (SetSecondFactor)
	mode     string              // SIGNING_MODE: ModeServer when empty (SetSigningMode)
	remote   remotesign.Provider // nil: no remote signing (SetSigningMode)

	notes *notify.Store             // nil: notifications not e-mailed (SetNotes)
	log   atomic.Pointer[accessLog] // nil: reads written at once (BatchAccess)
	text  *textRunner               // text extraction and OCR (SetTextConfig)

	ltvCfg LTVConfig // long-term validation (SetLTVConfig)
	stmts  sync.Map  // query → *sqlx.Stmt, the hot reads' prepared statements (getPrepared)
	// OnArchivalVersion, when set, is called after an archival document's
	// new B-LTA version is stored (EnqueueArchival, ScanRetimestamp), with
	// its object key.
	OnArchivalVersion func(ctx context.Context, documentID int64, objectKey string)
}

// NewService returns a Service. Uploads are spooled in spoolDir (to hash
// and check them before they reach the store) and limited to maxBytes.
// The spool files of uploads a crash cut short are removed at once.
func NewService(db *sqlx.DB, blobs storage.Blobs, spoolDir string, maxBytes int64) (*Service, error) {
	if err := os.MkdirAll(spoolDir, 0o700); err != nil {
		return nil, fmt.Errorf("documents: unable to create spool folder: %w", err)
	}
	sweepSpool(spoolDir) //nolint:errcheck // what is left is tried again by SweepOrphans
	return &Service{db: db, blobs: blobs, spoolDir: spoolDir, maxBytes: maxBytes, text: newTextRunner(TextConfig{})}, nil
}

// MaxBytes is the largest file accepted.
func (s *Service) MaxBytes() int64 { return s.maxBytes }

// Meta is the metadata of a new document as typed by a user.
type Meta struct {
	DocType         string
	Title           string
	DocDate         string // YYYY-MM-DD
	Urgency         string
	Confidentiality string
	Number          string // with Symbol: a paper original's or a received document's; an outgoing one's is the register's
	Symbol          string
	SignerName      string
}

type parsedMeta struct {
	Meta
	date   time.Time
	number *int
	symbol *string
	status string
	origin string
}

// compiled on first use: the Unicode classes cost 0.2 ms at every start
var symbolRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\p{L}\p{N}&.]+(-[\p{L}\p{N}&.]+)+$`) })

// Validate checks m and returns a *domain.ValidationError naming each bad field.
func (m Meta) validate(now time.Time) (parsedMeta, error) {
	p := parsedMeta{Meta: m, status: "draft", origin: OriginOutgoing}
	bad := map[string]string{}
	p.DocType = strings.TrimSpace(m.DocType)
	if _, ok := TypeName(p.DocType); !ok {
		bad["doc_type"] = "loại văn bản không hợp lệ; chọn một loại trong danh sách (KH, CV, QĐ, ...)"
	}
	p.Title = strings.Join(strings.Fields(norm.NFC.String(m.Title)), " ")
	switch n := utf8.RuneCountInString(p.Title); {
	case n == 0:
		bad["title"] = "cần trích yếu (tóm tắt nội dung văn bản)"
	case n > 1000:
		bad["title"] = "trích yếu dài tối đa 1000 ký tự"
	}
	d, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(m.DocDate), domain.VietnamTime)
	switch {
	case strings.TrimSpace(m.DocDate) == "":
		bad["doc_date"] = "cần ngày ban hành (YYYY-MM-DD)"
	case err != nil:
		bad["doc_date"] = "ngày không hợp lệ; dùng dạng YYYY-MM-DD, ví dụ 2021-01-22"
	case d.Year() < 1945 || d.After(now.AddDate(1, 0, 0)):
		bad["doc_date"] = "ngày nằm ngoài khoảng cho phép"
	}
	p.date = d
	if p.Urgency = orDefault(m.Urgency, "thuong"); !validIn(p.Urgency, Urgencies) {
		bad["urgency"] = "độ khẩn không hợp lệ (thuong, khan, thuong_khan, hoa_toc)"
	}
	if p.Confidentiality = orDefault(m.Confidentiality, "thuong"); !validIn(p.Confidentiality, Confidentialities) {
		bad["confidentiality"] = "độ mật không hợp lệ (thuong, mat, toi_mat, tuyet_mat)"
	} else if IsSecret(p.Confidentiality) {
		bad["confidentiality"] = "văn bản mật (Mật, Tối mật, Tuyệt mật) không được lưu hay gửi qua hệ thống điện tử này; hãy xử lý theo quy trình văn bản giấy"
	}
	num, sym := strings.TrimSpace(m.Number), strings.TrimSpace(norm.NFC.String(m.Symbol))
	switch {
	case num == "" && sym == "":
	case num == "":
		bad["number"] = "cần số văn bản khi đã có ký hiệu"
	case sym == "":
		bad["symbol"] = "cần ký hiệu (ví dụ KH-SGDĐT) khi đã có số"
	default:
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 || n > 999999 {
			bad["number"] = "số văn bản phải là số nguyên dương, ví dụ 206"
		} else {
			p.number = &n
		}
		if !symbolRE().MatchString(sym) || utf8.RuneCountInString(sym) > 60 {
			bad["symbol"] = "ký hiệu không hợp lệ; dạng <loại>-<cơ quan>, ví dụ KH-SGDĐT hoặc SGDĐT-VP"
		} else {
			p.symbol = &sym
		}
	}
	p.SignerName = strings.TrimSpace(norm.NFC.String(m.SignerName))
	if utf8.RuneCountInString(p.SignerName) > 200 {
		bad["signer_name"] = "tên người ký dài tối đa 200 ký tự"
	}
	if len(bad) > 0 {
		return p, &domain.ValidationError{Fields: bad}
	}
	return p, nil
}

// errTypedNumber: an outgoing document's number is the register's.
const errTypedNumber = "số, ký hiệu văn bản đi do hệ thống cấp khi văn thư đăng ký, cấp số (Nghị định 30, Điều 15); hãy để trống. Bản gốc giấy đã có số thì dùng chức năng số hóa bản gốc giấy (bản sao, Điều 25)"

// validateOutgoing is validate for a new outgoing draft: no number.
func (m Meta) validateOutgoing(now time.Time) (parsedMeta, error) {
	pm, err := m.validate(now)
	if strings.TrimSpace(m.Number) == "" && strings.TrimSpace(m.Symbol) == "" {
		return pm, err
	}
	bad := map[string]string{}
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		maps.Copy(bad, ve.Fields)
	}
	delete(bad, "symbol")
	bad["number"] = errTypedNumber
	return pm, &domain.ValidationError{Fields: bad}
}

// validatePaperCopy is validate for a digitised paper original: its
// number, symbol and date are those printed on the paper.
func (m Meta) validatePaperCopy(now time.Time) (parsedMeta, error) {
	pm, err := m.validate(now)
	if err != nil {
		return pm, err
	}
	if pm.number == nil {
		return pm, &domain.ValidationError{Fields: map[string]string{"number": "bản gốc giấy cần số và ký hiệu in trên văn bản (ví dụ 206 và KH-SGDĐT)"}}
	}
	pm.origin = OriginPaperCopy
	return pm, nil
}

// CheckMeta validates the metadata of a new outgoing draft alone, so a
// form can be refused before its file is read.
func CheckMeta(m Meta) error {
	_, err := m.validateOutgoing(time.Now())
	return err
}

// CheckPaperCopyMeta is CheckMeta for CreatePaperCopy.
func CheckPaperCopyMeta(m Meta) error {
	_, err := m.validatePaperCopy(time.Now())
	return err
}

func orDefault(v, def string) string {
	if v = strings.TrimSpace(v); v == "" {
		return def
	}
	return v
}

// Create stores the spooled file of an outgoing draft and records the
// document and its first version. The row is committed only after the
// bytes are stored. The draft has no number: the register gives it
// (AssignNumber), after the competent person's signature.
func (s *Service) Create(ctx context.Context, p auth.Principal, m Meta, up *Upload) (Document, error) {
	if !CanCreate(p) {
		return Document{}, domain.ErrForbidden
	}
	pm, err := m.validateOutgoing(time.Now())
	if err != nil {
		return Document{}, err
	}
	return s.create(ctx, p, pm, up)
}

// CreatePaperCopy records the digitised copy of a paper original the unit
// issued on paper, with the number, symbol and date printed on it (Decree
// 30/2020 art. 18.6 and 25.1.c). It stays out of the outgoing register (the
// paper register has it) and goes out only with the clerk's copy mark
// (Seal with Copy). Only clerks make copies (art. 32.2.c).
func (s *Service) CreatePaperCopy(ctx context.Context, p auth.Principal, m Meta, up *Upload) (Document, error) {
	if !p.Has(auth.RoleClerk) {
		return Document{}, domain.ErrForbidden
	}
	pm, err := m.validatePaperCopy(time.Now())
	if err != nil {
		return Document{}, err
	}
	var taken bool
	err = s.db.GetContext(ctx, &taken, `
		SELECT EXISTS (SELECT 1 FROM documents WHERE unit_id = $1 AND number = $2 AND symbol = $3
		               AND extract(year FROM doc_date) = $4 AND origin <> 'received')
		    OR EXISTS (SELECT 1 FROM registrations WHERE unit_id = $1 AND year = $4 AND series = 'outgoing' AND number = $2)`,
		p.UnitID, *pm.number, *pm.symbol, pm.date.Year())
	if err != nil {
		return Document{}, fmt.Errorf("documents: unable to check the number: %w", err)
	}
	if taken {
		return Document{}, &domain.ValidationError{Fields: map[string]string{"number": fmt.Sprintf(
			"số %s năm %d đã có trên hệ thống (số văn bản là duy nhất trong năm, thống nhất giữa văn bản giấy và điện tử, Nghị định 30, Điều 15.1); không số hóa lại được", formatNumber(*pm.number, *pm.symbol), pm.date.Year())}}
	}
	return s.create(ctx, p, pm, up)
}

func (s *Service) create(ctx context.Context, p auth.Principal, pm parsedMeta, up *Upload) (Document, error) {
	if up == nil || up.f == nil {
		return Document{}, &domain.ValidationError{Fields: map[string]string{"file": "cần tệp PDF của văn bản"}}
	}
	// A draft is signed by the competent person, a paper copy by the
	// clerk's copy mark: refused now rather than at the signature.
	if err := up.signable(); err != nil {
		return Document{}, err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Document{}, fmt.Errorf("documents: unable to begin: %w", err)
	}
	defer tx.Rollback()
	id, err := s.insertTx(ctx, tx, p.UnitID, p.UserID, pm, up)
	if err != nil {
		return Document{}, err
	}
	if err := s.enqueueVerify(ctx, tx, id, 1); err != nil {
		return Document{}, err
	}
	if err := uploadAudit(ctx, tx, p, "document.create", id, 1, up); err != nil {
		return Document{}, err
	}
	if err := tx.Commit(); err != nil {
		return Document{}, fmt.Errorf("documents: unable to commit: %w", err)
	}
	return s.Get(ctx, p, id)
}

// ImportTx records, inside tx, a document issued by another organisation
// (owner, usually an external unit) as it arrived in a package: its
// metadata and its signed file as version 1, status issued. The caller
// checks who may import and delivers it.
func (s *Service) ImportTx(ctx context.Context, tx *sqlx.Tx, p auth.Principal, owner int64, m Meta, up *Upload) (int64, error) {
	pm, err := m.validate(time.Now())
	if err != nil {
		return 0, err
	}
	if up == nil || up.f == nil {
		return 0, &domain.ValidationError{Fields: map[string]string{"file": "gói tin thiếu tệp PDF của văn bản"}}
	}
	pm.status, pm.origin = "issued", OriginReceived
	return s.insertTx(ctx, tx, owner, p.UserID, pm, up)
}

// VerifyNow computes and keeps the verification report of a version now,
// so that whoever opens the document next sees the verdict at once.
func (s *Service) VerifyNow(ctx context.Context, id int64, no int) {
	if s.sign == nil {
		return
	}
	v, err := s.versionRow(ctx, id, no)
	if err == nil && v.Size <= s.sign.MaxBytes {
		s.verifyVersion(ctx, v) //nolint:errcheck // recomputed on demand
	}
}

// insertTx stores the spooled file and inserts the document and its first
// version inside tx.
func (s *Service) insertTx(ctx context.Context, tx *sqlx.Tx, owner, createdBy int64, pm parsedMeta, up *Upload) (_ int64, err error) {
	key, err := storage.KeyFor(up.SHA256)
	if err != nil {
		return 0, err
	}
	// The bytes are stored under the key's lock, which SweepOrphans also
	// takes: an identical orphan cannot be swept between Put (which skips a
	// key already stored) and the commit of the row that names it.
	if err := lockObject(ctx, tx, key); err != nil {
		return 0, err
	}
	// The bytes go to the store while the rows are inserted: the caller
	// commits only once both are done (putSpooled).
	stored := s.putSpooled(ctx, key, up)
	defer func() {
		if perr := stored.wait(); perr != nil && err == nil {
			err = perr
		}
	}()
	var id int64
	err = tx.GetContext(ctx, &id, `
		INSERT INTO documents (unit_id, doc_type, number, symbol, title, doc_date, urgency,
		                       confidentiality, status, signer_name, created_by, origin)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		RETURNING id`,
		owner, pm.DocType, pm.number, pm.symbol, pm.Title, pm.date.Format(time.DateOnly), pm.Urgency,
		pm.Confidentiality, pm.status, pm.SignerName, createdBy, pm.origin)
	if err != nil {
		return 0, fmt.Errorf("documents: unable to insert document: %w", err)
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO document_versions (document_id, version_no, object_key, sha256, size_bytes,
		                               media_type, file_name, created_by)
		VALUES ($1, 1, $2, $3, $4, 'application/pdf', $5, $6)`,
		id, key, up.SHA256, up.Size, up.FileName, createdBy)
	if err != nil {
		return 0, fmt.Errorf("documents: unable to insert version: %w", err)
	}
	return id, s.enqueueText(ctx, tx, id, 1, false)
}

// uploadAudit appends to the audit log, inside tx, that p uploaded the
// file of version no of document id (action document.create or
// document.version).
func uploadAudit(ctx context.Context, tx *sqlx.Tx, p auth.Principal, action string, id int64, no int, up *Upload) error {
	return audit.Append(ctx, tx, audit.Event{ActorID: p.UserID, ActorUnitID: p.UnitID, Action: action, DocumentID: id,
		Details: map[string]any{"version": no, "file_name": up.FileName, "sha256": up.SHA256, "size": up.Size}})
}

// lockObject serialises, per object key, committing a row that names the
// object with sweeping it as an orphan.
func lockObject(ctx context.Context, tx *sqlx.Tx, key string) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(72150, hashtext($1))`, key); err != nil {
		return fmt.Errorf("documents: unable to lock object: %w", err)
	}
	return nil
}

// SweepOrphans deletes stored objects older than minAge that no row names
// (see objectRefs, and AddLink for other packages' rows): the bytes of uploads whose row could not be committed
// (the database went away between the two). It returns how many it deleted.
// It first clears what crashes leave behind (SweepDebris).
func (s *Service) SweepOrphans(ctx context.Context, minAge time.Duration) (int, error) {
	_, _, derr := s.SweepDebris(ctx)
	n, err := s.sweepObjects(ctx, minAge)
	return n, errors.Join(derr, err)
}

func (s *Service) sweepObjects(ctx context.Context, minAge time.Duration) (int, error) {
	var old []string
	err := s.blobs.List(ctx, "sha256/", func(i storage.Info) error {
		if time.Since(i.ModTime) >= minAge {
			old = append(old, i.Key)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("documents: unable to list objects: %w", err)
	}
	deleted := 0
	for len(old) > 0 {
		batch := old[:min(len(old), 1000)]
		old = old[len(batch):]
		var used []string
		if err := s.db.SelectContext(ctx, &used, `SELECT object_key FROM (`+s.objectRefs()+`) r WHERE object_key = ANY($1)`, pq.Array(batch)); err != nil {
			return deleted, fmt.Errorf("documents: unable to check objects: %w", err)
		}
		for _, key := range batch {
			if slices.Contains(used, key) {
				continue
			}
			gone, err := s.sweepOne(ctx, key)
			if err != nil {
				return deleted, err
			}
			if gone {
				deleted++
			}
		}
	}
	return deleted, nil
}

func (s *Service) sweepOne(ctx context.Context, key string) (bool, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("documents: unable to begin: %w", err)
	}
	defer tx.Rollback()
	if err := lockObject(ctx, tx, key); err != nil {
		return false, err
	}
	var used bool
	if err := tx.GetContext(ctx, &used, `SELECT EXISTS (SELECT 1 FROM (`+s.objectRefs()+`) r WHERE object_key = $1)`, key); err != nil {
		return false, fmt.Errorf("documents: unable to check object: %w", err)
	}
	if used {
		return false, nil
	}
	if err := s.blobs.Delete(ctx, key); err != nil {
		return false, fmt.Errorf("documents: unable to delete orphan %s: %w", key, err)
	}
	return true, tx.Commit()
}

// owned narrows lists to the unit's own documents; what reaches the unit
// is listed by its inbox.
const owned = `d.unit_id = :unit`

const documentColumns = `
	d.id, d.unit_id, n.name AS unit_name, d.doc_type, d.number, d.symbol, d.number_symbol,
	d.title, d.doc_date, d.urgency, d.confidentiality, d.status, d.origin, d.signer_name,
	d.created_by, u.full_name AS creator_name, d.created_at, d.restricted,
	EXISTS (SELECT 1 FROM document_signatures g WHERE g.document_id = d.id AND g.kind = 'person') AS person_signed,
	coalesce((SELECT g.kind FROM document_signatures g WHERE g.document_id = d.id AND g.kind <> 'person'
	          ORDER BY g.id DESC LIMIT 1), '') AS seal_kind`

// columns are documentColumns and what the links add.
func (s *Service) columns() string {
	to := s.submittedTo()
	return documentColumns + `,
	` + to + ` AS submitted_to,
	coalesce((SELECT st.full_name FROM users st WHERE st.id = ` + to + `), '') AS submitted_to_name,
	coalesce(` + s.signHold() + `, '') AS sign_hold,
	coalesce((SELECT l.level FROM document_ltv l WHERE l.document_id = d.id), '') AS pades_level`
}

const documentFrom = `
	FROM documents d JOIN units n ON n.id = d.unit_id JOIN users u ON u.id = d.created_by`

// Get returns a document and its versions, newest first.
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (Document, error) {
	var d Document
	args0 := seeArgs(p)
	args0["id"] = id
	q, args, err := sqlx.Named(`SELECT `+s.columns()+documentFrom+` WHERE d.id = :id AND `+s.visible(), args0)
	if err != nil {
		return d, err
	}
	err = s.getPrepared(ctx, &d, s.db.Rebind(q), args...)
	if errors.Is(err, sql.ErrNoRows) {
		return d, domain.ErrNotFound
	}
	if err != nil {
		return d, fmt.Errorf("documents: unable to fetch document: %w", err)
	}
	err = s.db.SelectContext(ctx, &d.Versions, `
		SELECT v.id, v.document_id, v.version_no, v.object_key, v.sha256, v.size_bytes, v.media_type,
		       v.file_name, v.note, v.created_by, u.full_name AS creator_name, v.created_at
		FROM document_versions v JOIN users u ON u.id = v.created_by
		WHERE v.document_id = $1 ORDER BY v.version_no DESC`, id)
	if err != nil {
		return d, fmt.Errorf("documents: unable to fetch versions: %w", err)
	}
	return d, nil
}

// Filter narrows List. Zero values mean no condition.
type Filter struct {
	UnitID   int64
	DocType  string
	Status   string
	From, To string // YYYY-MM-DD, inclusive, on the document's date
	Query    string // words of the trích yếu or the number and symbol, accents optional
	Cursor   string // from the previous page's NextCursor
	Limit    int
}

// Page is one page of a listing, newest first.
type Page struct {
	Items      []Document `json:"items"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// Problems returns a message per malformed filter field.
func (f Filter) Problems() map[string]string {
	bad := map[string]string{}
	if _, ok := TypeName(f.DocType); f.DocType != "" && !ok {
		bad["type"] = "loại văn bản không hợp lệ"
	}
	if f.Status != "" && !validIn(f.Status, Statuses) {
		bad["status"] = "trạng thái không hợp lệ"
	}
	for name, v := range map[string]string{"from": f.From, "to": f.To} {
		if _, err := time.Parse(time.DateOnly, v); v != "" && err != nil {
			bad[name] = "ngày không hợp lệ; dùng dạng YYYY-MM-DD"
		}
	}
	if _, _, err := DecodeCursor(f.Cursor); f.Cursor != "" && err != nil {
		bad["cursor"] = "con trỏ trang không hợp lệ; hãy tải lại danh sách từ đầu"
	}
	if f.Limit < 0 || f.Limit > 200 {
		bad["limit"] = "limit phải từ 1 đến 200"
	}
	return bad
}

// List returns the documents p may see that match f.
func (s *Service) List(ctx context.Context, p auth.Principal, f Filter) (Page, error) {
	if bad := f.Problems(); len(bad) > 0 {
		return Page{}, &domain.ValidationError{Fields: bad}
	}
	args := seeArgs(p)
	where := []string{owned, s.ownSeen()}
	if f.UnitID != 0 {
		args["filter_unit"] = f.UnitID
		where = append(where, "d.unit_id = :filter_unit")
	}
	if f.DocType != "" {
		args["doc_type"] = f.DocType
		where = append(where, "d.doc_type = :doc_type")
	}
	if f.Status != "" {
		args["status"] = f.Status
		where = append(where, "d.status = :status")
	}
	if f.From != "" {
		args["from"] = f.From
		where = append(where, "d.doc_date >= CAST(:from AS date)")
	}
	if f.To != "" {
		args["to"] = f.To
		where = append(where, "d.doc_date <= CAST(:to AS date)")
	}
	if tsq := searchQuery(f.Query); tsq != "" {
		args["q"] = tsq
		where = append(where, "d.search @@ to_tsquery('simple', :q)")
	}
	if f.Cursor != "" {
		at, id, _ := DecodeCursor(f.Cursor)
		args["c_at"], args["c_id"] = at, id
		where = append(where, "(d.created_at, d.id) < (:c_at, :c_id)")
	}
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	args["limit"] = limit + 1
	q, qargs, err := sqlx.Named(`SELECT `+s.columns()+documentFrom+
		` WHERE `+strings.Join(where, " AND ")+
		` ORDER BY d.created_at DESC, d.id DESC LIMIT :limit`, args)
	if err != nil {
		return Page{}, err
	}
	page := Page{Items: []Document{}}
	if err := s.db.SelectContext(ctx, &page.Items, s.db.Rebind(q), qargs...); err != nil {
		return Page{}, fmt.Errorf("documents: unable to list documents: %w", err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.NextCursor = EncodeCursor(last.CreatedAt, last.ID)
	}
	return page, nil
}

// searchQuery turns what a user typed into a prefix tsquery over unaccented
// words: "cai cach hanh ch" matches "cải cách hành chính".
func searchQuery(q string) string {
	words := strings.FieldsFunc(Fold(q), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
	if len(words) > 16 {
		words = words[:16]
	}
	for i, w := range words {
		words[i] = w + ":*"
	}
	return strings.Join(words, " & ")
}

// Fold removes Vietnamese diacritics and lowers case, as unaccent does.
func Fold(s string) string { return strings.ToLower(stripMarks(s)) }

// EncodeCursor is the keyset cursor of a list ordered by a time and an id,
// newest first: where the next page starts.
func EncodeCursor(at time.Time, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + strconv.FormatInt(id, 10)))
}

// DecodeCursor reads a cursor EncodeCursor made.
func DecodeCursor(c string) (time.Time, int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, 0, err
	}
	at, idStr, ok := strings.Cut(string(b), "|")
	if !ok {
		return time.Time{}, 0, errors.New("bad cursor")
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return time.Time{}, 0, err
	}
	id, err := strconv.ParseInt(idStr, 10, 64)
	return t, id, err
}

// Version returns version no of a document p may see.
func (s *Service) Version(ctx context.Context, p auth.Principal, id int64, no int) (Version, error) {
	d, err := s.Get(ctx, p, id)
	if err != nil {
		return Version{}, err
	}
	for _, v := range d.Versions {
		if v.No == no {
			return v, nil
		}
	}
	return Version{}, domain.ErrNotFound
}

// Open reads length bytes from offset of a version (length < 0: to the end).
func (s *Service) Open(ctx context.Context, v Version, offset, length int64) (io.ReadCloser, error) {
	rc, err := s.blobs.Open(ctx, v.ObjectKey, offset, length)
	if err != nil {
		return nil, fmt.Errorf("documents: unable to open version %d of document %d: %w", v.No, v.DocumentID, err)
	}
	return rc, nil
}

// PresignURL returns a short-lived URL that downloads v straight from the
// store, or ErrNoPresign.
func (s *Service) PresignURL(ctx context.Context, v Version, expiry time.Duration) (string, error) {
	ps, ok := s.blobs.(storage.Presigner)
	if !ok {
		return "", ErrNoPresign
	}
	u, err := ps.PresignGet(ctx, v.ObjectKey, expiry, ContentDisposition("attachment", v.FileName), v.MediaType)
	if err != nil {
		return "", fmt.Errorf("documents: unable to presign: %w", err)
	}
	return u, nil
}
