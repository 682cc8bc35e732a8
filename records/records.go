// Package records keeps a unit's files (hồ sơ, Decree 30/2020 art. 28–31,
// Appendix V, Appendix VI III.4–5): the file list of the year with its
// headings, the files opened from it and the documents filed in them,
// their closing, and their hand-over to the unit's archive, after which
// the database itself freezes them. Who may do what is rules.go.
package records

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/notify"
	"github.com/jmoiron/sqlx"
)

// States of a file.
const (
	Planned    = "planned"
	Open       = "open"
	Closed     = "closed"
	HandedOver = "handed_over"
	Destroyed  = "destroyed"
)

// StateLabels name the states of files and hand-overs in Vietnamese.
var StateLabels = map[string]string{
	Planned: "Dự kiến", Open: "Đang lập", Closed: "Đã kết thúc", HandedOver: "Đã nộp lưu", Destroyed: "Đã hủy",
	"prepared": "Đã chuẩn bị",
}

// Freezer makes stored objects unchangeable until a date (S3 Object Lock,
// or the local store's read-only fallback). Check says, before a
// hand-over, whether it can; its error's text is shown.
type Freezer interface {
	Check(ctx context.Context) error
	Freeze(ctx context.Context, keys []string, until time.Time) error
}

// Archiver queues a document for its archival signature (PAdES B-LTA)
// inside the transaction that closes a file holding it.
type Archiver interface {
	EnqueueArchival(ctx context.Context, q sqlx.ExtContext, documentID int64) error
}

// Exporter writes the export package of a file (PDFs, XML metadata, manifest).
type Exporter func(ctx context.Context, w io.Writer, fileID int64) error

// ErrNoExporter is returned by Export when no Exporter is wired.
var ErrNoExporter = errors.New("records: no exporter")

// Service is the records of every unit.
type Service struct {
	db    *sqlx.DB
	docs  *documents.Service
	notes *notify.Store
	now   func() time.Time

	// Freezer, Archiver and Exporter are optional: nil skips freezing and
	// archival signatures, and Export answers ErrNoExporter.
	Freezer  Freezer
	Archiver Archiver
	Exporter Exporter
}

// New returns the service.
func New(db *sqlx.DB, docs *documents.Service, notes *notify.Store) *Service {
	return &Service{db: db, docs: docs, notes: notes, now: time.Now}
}

// SetClock replaces the clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// FileList is a unit's file list of a year (danh mục hồ sơ).
type FileList struct {
	ID        int64     `db:"id" json:"id"`
	UnitID    int64     `db:"unit_id" json:"unit_id"`
	Year      int       `db:"year" json:"year"`
	CreatedBy int64     `db:"created_by" json:"created_by"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	Headings  []Heading `db:"-" json:"headings"`
	Files     []File    `db:"-" json:"files"`
}

// Heading is a heading of a list, by section or by field.
type Heading struct {
	ID        int64  `db:"id" json:"id"`
	ListID    int64  `db:"list_id" json:"list_id"`
	ParentID  *int64 `db:"parent_id" json:"parent_id,omitempty"`
	Position  int    `db:"position" json:"position"`
	Code      string `db:"code" json:"code"`
	Title     string `db:"title" json:"title"`
	SectionID *int64 `db:"section_id" json:"section_id,omitempty"`
}

// File is a file (hồ sơ). RetentionYears nil means permanent.
type File struct {
	ID              int64      `db:"id" json:"id"`
	UnitID          int64      `db:"unit_id" json:"unit_id"`
	ListID          int64      `db:"list_id" json:"list_id"`
	Year            int        `db:"year" json:"year"`
	HeadingID       *int64     `db:"heading_id" json:"heading_id,omitempty"`
	Position        int        `db:"position" json:"position"`
	Code            string     `db:"code" json:"code"`
	Title           string     `db:"title" json:"title"`
	RetentionYears  *int       `db:"retention_years" json:"retention_years"`
	ResponsibleID   *int64     `db:"responsible_id" json:"responsible_id,omitempty"`
	ResponsibleName string     `db:"responsible_name" json:"responsible_name"`
	Note            string     `db:"note" json:"note"`
	State           string     `db:"state" json:"state"`
	OpenedAt        *time.Time `db:"opened_at" json:"opened_at,omitempty"`
	ClosedAt        *time.Time `db:"closed_at" json:"closed_at,omitempty"`
	DueOn           *time.Time `db:"due_on" json:"due_on,omitempty"`
	HandoverID      *int64     `db:"handover_id" json:"handover_id,omitempty"`
	ItemCount       int        `db:"item_count" json:"item_count"`
	Items           []Item     `db:"-" json:"items,omitempty"`
}

// DueText is the date the file is due at the archive, YYYY-MM-DD.
func (f File) DueText() string {
	if f.DueOn == nil {
		return ""
	}
	return f.DueOn.Format(time.DateOnly)
}

// Retention is the retention in Vietnamese: "Vĩnh viễn" or "N năm".
func (f File) Retention() string { return retentionText(f.RetentionYears) }

func retentionText(y *int) string {
	if y == nil {
		return "Vĩnh viễn"
	}
	return fmt.Sprintf("%d năm", *y)
}

// StateLabel is the file's state in Vietnamese.
func (f File) StateLabel() string { return StateLabels[f.State] }

// Frozen reports whether the file was handed over (or destroyed): nothing in it changes.
func (f File) Frozen() bool { return f.State == HandedOver || f.State == Destroyed }

// Item is a document filed in a file, numbered in filing order.
type Item struct {
	Seq          int       `db:"seq" json:"seq"`
	DocumentID   int64     `db:"document_id" json:"document_id"`
	NumberSymbol string    `db:"number_symbol" json:"number_symbol"`
	DocDate      time.Time `db:"doc_date" json:"doc_date"`
	DocType      string    `db:"doc_type" json:"doc_type"`
	Title        string    `db:"title" json:"title"`
	Author       string    `db:"author" json:"author"` // the unit that issued it
	Pages        int       `db:"-" json:"-"`
	AddedBy      int64     `db:"added_by" json:"added_by"`
	AddedAt      time.Time `db:"added_at" json:"added_at"`
	Note         string    `db:"note" json:"note"`
}

// DateText is the document's date, DD/MM/YYYY.
func (i Item) DateText() string { return i.DocDate.Format("02/01/2006") }

// Handover is a hand-over of closed files to the unit's archive.
type Handover struct {
	ID               int64      `db:"id" json:"id"`
	UnitID           int64      `db:"unit_id" json:"unit_id"`
	State            string     `db:"state" json:"state"`
	CreatedBy        int64      `db:"created_by" json:"created_by"`
	CreatorName      string     `db:"creator_name" json:"creator_name"`
	CreatedAt        time.Time  `db:"created_at" json:"created_at"`
	ReceivedBy       *int64     `db:"received_by" json:"received_by,omitempty"`
	ReceiverName     string     `db:"receiver_name" json:"receiver_name,omitempty"`
	HandedAt         *time.Time `db:"handed_at" json:"handed_at,omitempty"`
	ListDocumentID   *int64     `db:"list_document_id" json:"list_document_id,omitempty"`
	RecordDocumentID *int64     `db:"record_document_id" json:"record_document_id,omitempty"`
	Files            []File     `db:"-" json:"files"`
}

// StateLabel is the hand-over's state in Vietnamese.
func (h Handover) StateLabel() string { return StateLabels[h.State] }

const fileColumns = `f.id, f.unit_id, f.list_id, l.year, f.heading_id, f.position, f.code, f.title,
	f.retention_years, f.responsible_id, coalesce(ru.full_name, '') AS responsible_name, f.note, f.state,
	f.opened_at, f.closed_at, f.due_on, f.handover_id,
	(SELECT count(*) FROM file_items i WHERE i.file_id = f.id) AS item_count
	FROM files f JOIN file_lists l ON l.id = f.list_id LEFT JOIN users ru ON ru.id = f.responsible_id`

// List returns p's unit's file list of year with its headings and files,
// or domain.ErrNotFound when the unit has none for that year.
func (s *Service) List(ctx context.Context, p auth.Principal, year int) (FileList, error) {
	var l FileList
	err := s.db.GetContext(ctx, &l, `SELECT id, unit_id, year, created_by, created_at FROM file_lists
		WHERE unit_id = $1 AND year = $2`, p.UnitID, year)
	if errors.Is(err, sql.ErrNoRows) {
		return l, domain.ErrNotFound
	}
	if err != nil {
		return l, fmt.Errorf("records: unable to read the file list: %w", err)
	}
	return l, s.fill(ctx, &l)
}

func (s *Service) fill(ctx context.Context, l *FileList) error {
	l.Headings, l.Files = []Heading{}, []File{}
	if err := s.db.SelectContext(ctx, &l.Headings, `SELECT id, list_id, parent_id, position, code, title, section_id
		FROM file_headings WHERE list_id = $1 ORDER BY position, id`, l.ID); err != nil {
		return fmt.Errorf("records: unable to read the headings: %w", err)
	}
	if err := s.db.SelectContext(ctx, &l.Files, `SELECT `+fileColumns+` WHERE f.list_id = $1
		ORDER BY f.position, f.code, f.id`, l.ID); err != nil {
		return fmt.Errorf("records: unable to read the files: %w", err)
	}
	return nil
}

// Years are the years p's unit has a file list for, newest first.
func (s *Service) Years(ctx context.Context, p auth.Principal) ([]int, error) {
	ys := []int{}
	err := s.db.SelectContext(ctx, &ys, `SELECT year FROM file_lists WHERE unit_id = $1 ORDER BY year DESC`, p.UnitID)
	if err != nil {
		return nil, fmt.Errorf("records: unable to list years: %w", err)
	}
	return ys, nil
}

// file reads a file without its items; another unit's is ErrNotFound.
func (s *Service) file(ctx context.Context, q sqlx.QueryerContext, p auth.Principal, id int64, lock bool) (File, error) {
	var f File
	query := `SELECT ` + fileColumns + ` WHERE f.id = $1`
	if lock {
		query += ` FOR UPDATE OF f`
	}
	err := sqlx.GetContext(ctx, q, &f, query, id)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !mayRead(p, f.UnitID)) {
		return File{}, domain.ErrNotFound
	}
	if err != nil {
		return f, fmt.Errorf("records: unable to read the file: %w", err)
	}
	return f, nil
}

// File returns a file of p's unit with its items in order.
func (s *Service) File(ctx context.Context, p auth.Principal, id int64) (File, error) {
	f, err := s.file(ctx, s.db, p, id, false)
	if err != nil {
		return f, err
	}
	f.Items, err = s.items(ctx, id)
	return f, err
}

func (s *Service) items(ctx context.Context, fileID int64) ([]Item, error) {
	items := []Item{}
	err := s.db.SelectContext(ctx, &items, `
		SELECT i.seq, i.document_id, coalesce(d.number_symbol, '') AS number_symbol, d.doc_date, d.doc_type,
		       d.title, n.name AS author, i.added_by, i.added_at, i.note
		FROM file_items i JOIN documents d ON d.id = i.document_id JOIN units n ON n.id = d.unit_id
		WHERE i.file_id = $1 ORDER BY i.seq`, fileID)
	if err != nil {
		return nil, fmt.Errorf("records: unable to read the items: %w", err)
	}
	return items, nil
}

// OpenFiles are the open files p may add documents to: for the
// document page's "Lưu vào hồ sơ".
func (s *Service) OpenFiles(ctx context.Context, p auth.Principal) ([]File, error) {
	var fs []File
	err := s.db.SelectContext(ctx, &fs, `SELECT `+fileColumns+` WHERE f.unit_id = $1 AND f.state = 'open'
		ORDER BY l.year DESC, f.position, f.code`, p.UnitID)
	if err != nil {
		return nil, fmt.Errorf("records: unable to list open files: %w", err)
	}
	out := []File{}
	for _, f := range fs {
		if may(p, f, actFile) == nil {
			out = append(out, f)
		}
	}
	return out, nil
}

// FilesOf are the files of p's unit that hold document id.
func (s *Service) FilesOf(ctx context.Context, p auth.Principal, documentID int64) ([]File, error) {
	fs := []File{}
	err := s.db.SelectContext(ctx, &fs, `SELECT `+fileColumns+` WHERE f.unit_id = $1
		AND EXISTS (SELECT 1 FROM file_items i WHERE i.file_id = f.id AND i.document_id = $2) ORDER BY l.year DESC, f.code`,
		p.UnitID, documentID)
	if err != nil {
		return nil, fmt.Errorf("records: unable to list the files of a document: %w", err)
	}
	return fs, nil
}

// ClosedFiles are the closed files of p's unit not yet in a hand-over.
func (s *Service) ClosedFiles(ctx context.Context, p auth.Principal) ([]File, error) {
	fs := []File{}
	err := s.db.SelectContext(ctx, &fs, `SELECT `+fileColumns+` WHERE f.unit_id = $1 AND f.state = 'closed'
		AND f.handover_id IS NULL ORDER BY f.due_on, f.code`, p.UnitID)
	if err != nil {
		return nil, fmt.Errorf("records: unable to list closed files: %w", err)
	}
	return fs, nil
}

// Export writes the export package of a file p may read.
func (s *Service) Export(ctx context.Context, p auth.Principal, id int64, w io.Writer) error {
	if _, err := s.file(ctx, s.db, p, id, false); err != nil {
		return err
	}
	if s.Exporter == nil {
		return ErrNoExporter
	}
	return s.Exporter(ctx, w, id)
}

// unitHeader is the names a PDF's heading needs: the governing body and the unit.
type unitHeader struct {
	Name   string `db:"name"`
	Parent string `db:"parent"`
}

func (s *Service) unitHeader(ctx context.Context, unitID int64) (unitHeader, error) {
	var h unitHeader
	err := s.db.GetContext(ctx, &h, `SELECT u.name, coalesce(pu.name, '') AS parent
		FROM units u LEFT JOIN units pu ON pu.id = u.parent_id WHERE u.id = $1`, unitID)
	if err != nil {
		return h, fmt.Errorf("records: unable to read the unit: %w", err)
	}
	return h, nil
}

// FindDocument is the id of the document p sees that text names: its
// id, or its number and symbol ("206/KH-SGDĐT"); the file page's field.
func (s *Service) FindDocument(ctx context.Context, p auth.Principal, text string) (int64, error) {
	text = strings.TrimSpace(text)
	if id, err := strconv.ParseInt(text, 10, 64); err == nil && id > 0 {
		return id, nil
	}
	if text == "" {
		return 0, domain.Invalid("document", "hãy nhập mã hoặc số, ký hiệu của văn bản")
	}
	page, err := s.docs.List(ctx, p, documents.Filter{Query: text, Limit: 50})
	if err != nil {
		return 0, err
	}
	var found []int64
	for _, d := range page.Items {
		if d.NumberSymbol != nil && strings.EqualFold(*d.NumberSymbol, text) {
			found = append(found, d.ID)
		}
	}
	if len(found) == 0 && len(page.Items) == 1 {
		found = append(found, page.Items[0].ID)
	}
	switch len(found) {
	case 0:
		return 0, domain.Invalid("document", fmt.Sprintf("không tìm thấy văn bản «%s» trong số văn bản bạn được xem", text))
	case 1:
		return found[0], nil
	}
	return 0, domain.Invalid("document", fmt.Sprintf("có %d văn bản số «%s»; hãy nhập mã văn bản", len(found), text))
}
