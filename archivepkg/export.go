package archivepkg

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/storage"
	"github.com/jmoiron/sqlx"
	"golang.org/x/text/unicode/norm"
)

type fileRow struct {
	ID             int64          `db:"id"`
	Code           string         `db:"code"`
	Title          string         `db:"title"`
	RetentionYears sql.NullInt64  `db:"retention_years"`
	Note           string         `db:"note"`
	State          string         `db:"state"`
	OpenedAt       sql.NullTime   `db:"opened_at"`
	ClosedAt       sql.NullTime   `db:"closed_at"`
	DueOn          sql.NullTime   `db:"due_on"`
	Year           int            `db:"year"`
	UnitID         int64          `db:"unit_id"`
	UnitCode       string         `db:"unit_code"`
	UnitName       string         `db:"unit_name"`
	UnitAbbr       string         `db:"unit_abbreviation"`
	UnitKind       string         `db:"unit_kind"`
	Responsible    string         `db:"responsible"`
	HeadingCode    sql.NullString `db:"heading_code"`
	HeadingTitle   sql.NullString `db:"heading_title"`
	HandedAt       sql.NullTime   `db:"handed_at"`
}

type itemRow struct {
	Seq             int            `db:"seq"`
	AddedAt         time.Time      `db:"added_at"`
	Note            string         `db:"note"`
	DocumentID      int64          `db:"document_id"`
	Origin          string         `db:"origin"`
	DocType         string         `db:"doc_type"`
	Number          sql.NullInt64  `db:"number"`
	Symbol          sql.NullString `db:"symbol"`
	Title           string         `db:"title"`
	DocDate         time.Time      `db:"doc_date"`
	Urgency         string         `db:"urgency"`
	Confidentiality string         `db:"confidentiality"`
	Status          string         `db:"status"`
	SignerName      string         `db:"signer_name"`
	SignerPosition  string         `db:"signer_position"`
	UnitCode        string         `db:"unit_code"`
	UnitName        string         `db:"unit_name"`
	UnitAbbr        string         `db:"unit_abbreviation"`
	UnitKind        string         `db:"unit_kind"`
	VersionNo       int            `db:"version_no"`
	ObjectKey       string         `db:"object_key"`
	SHA256          string         `db:"sha256"`
	Size            int64          `db:"size_bytes"`
	MediaType       string         `db:"media_type"`
	FileName        string         `db:"file_name"`
	VersionAt       time.Time      `db:"version_at"`
	Pages           int            `db:"pages"`
	IncomingNumber  sql.NullInt64  `db:"incoming_number"`
	ArrivedAt       sql.NullTime   `db:"arrived_at"`
}

type attachmentRow struct {
	DocumentID int64          `db:"document_id"`
	Position   int            `db:"position"`
	Title      string         `db:"title"`
	ObjectKey  string         `db:"object_key"`
	SHA256     string         `db:"sha256"`
	Size       int64          `db:"size_bytes"`
	MediaType  string         `db:"media_type"`
	FileName   string         `db:"file_name"`
	SealedKey  sql.NullString `db:"sealed_object_key"`
	SealedSHA  sql.NullString `db:"sealed_sha256"`
	SealedSize sql.NullInt64  `db:"sealed_size_bytes"`
}

// Export writes file fileID as a package to w: hoso.xml, the schema, for
// each item in order vanban/NNNN/ with its metadata.xml, the latest
// version's file and the attachments, and manifest.xml last. Objects are
// streamed from the store into the ZIP, never held whole; a stored object
// whose bytes do not match its recorded SHA-256 fails the export.
func Export(ctx context.Context, db *sqlx.DB, store storage.Blobs, fileID int64, w io.Writer) error {
	var f fileRow
	err := db.GetContext(ctx, &f, `
		SELECT f.id, f.code, f.title, f.retention_years, f.note, f.state, f.opened_at, f.closed_at, f.due_on,
		       l.year, u.id AS unit_id, u.code AS unit_code, u.name AS unit_name, u.abbreviation AS unit_abbreviation,
		       u.kind AS unit_kind, coalesce(r.full_name, '') AS responsible,
		       h.code AS heading_code, h.title AS heading_title, ho.handed_at
		FROM files f
		JOIN file_lists l ON l.id = f.list_id
		JOIN units u ON u.id = f.unit_id
		LEFT JOIN users r ON r.id = f.responsible_id
		LEFT JOIN file_headings h ON h.id = f.heading_id
		LEFT JOIN handovers ho ON ho.id = f.handover_id
		WHERE f.id = $1`, fileID)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("archivepkg: file %d: %w", fileID, domain.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("archivepkg: unable to read file %d: %v", fileID, err)
	}
	var items []itemRow
	err = db.SelectContext(ctx, &items, `
		SELECT i.seq, i.added_at, i.note, d.id AS document_id, d.origin, d.doc_type, d.number, d.symbol, d.title,
		       d.doc_date, d.urgency, d.confidentiality, d.status, d.signer_name,
		       coalesce((SELECT s.position FROM document_signatures s WHERE s.document_id = d.id AND s.kind = 'person'
		                 ORDER BY s.id DESC LIMIT 1), '') AS signer_position,
		       u.code AS unit_code, u.name AS unit_name, u.abbreviation AS unit_abbreviation, u.kind AS unit_kind,
		       v.version_no, v.object_key, v.sha256, v.size_bytes, v.media_type, v.file_name, v.created_at AS version_at,
		       coalesce(t.pages, 0) AS pages, dl.incoming_number, coalesce(dl.accepted_at, dl.arrived_at) AS arrived_at
		FROM file_items i
		JOIN documents d ON d.id = i.document_id
		JOIN units u ON u.id = d.unit_id
		JOIN LATERAL (SELECT * FROM document_versions WHERE document_id = d.id ORDER BY version_no DESC LIMIT 1) v ON true
		LEFT JOIN document_texts t ON t.document_id = d.id AND t.version_no = v.version_no AND t.state = 'done'
		LEFT JOIN deliveries dl ON dl.document_id = d.id AND dl.recipient_unit_id = $2
		WHERE i.file_id = $1
		ORDER BY i.seq`, fileID, f.UnitID)
	if err != nil {
		return fmt.Errorf("archivepkg: unable to read the items of file %d: %v", fileID, err)
	}
	var atts []attachmentRow
	err = db.SelectContext(ctx, &atts, `
		SELECT a.document_id, a.position, a.title, a.object_key, a.sha256, a.size_bytes, a.media_type, a.file_name,
		       a.sealed_object_key, a.sealed_sha256, a.sealed_size_bytes
		FROM document_attachments a
		WHERE a.document_id IN (SELECT document_id FROM file_items WHERE file_id = $1)
		ORDER BY a.document_id, a.position`, fileID)
	if err != nil {
		return fmt.Errorf("archivepkg: unable to read the attachments of file %d: %v", fileID, err)
	}
	byDoc := map[int64][]attachmentRow{}
	for _, a := range atts {
		byDoc[a.DocumentID] = append(byDoc[a.DocumentID], a)
	}

	code := FileCode{OrganID: f.UnitCode, FileCatalog: f.Year, FileNotation: f.Code}
	hoso := fileXML(f, items, code)
	x := &exporter{ctx: ctx, store: store, zw: zip.NewWriter(w), buf: make([]byte, 256<<10)}
	if err := x.writeXML(FileEntry, hoso); err != nil {
		return err
	}
	if err := x.writeBytes(SchemaEntry, Schema, zip.Deflate); err != nil {
		return err
	}
	for i, it := range items {
		dir := hoso.Items[i].Path
		doc := documentXML(it, code, dir)
		for _, a := range byDoc[it.DocumentID] {
			adir := fmt.Sprintf("%sdinh-kem-%02d/", dir, a.Position)
			att := Attachment{
				StoredFile: StoredFile{Path: adir + entryName(a.FileName), FileName: a.FileName, MediaType: a.MediaType, SHA256: a.SHA256, Size: a.Size},
				Position:   a.Position, Title: a.Title,
			}
			if a.SealedKey.Valid {
				att.Sealed = &StoredFile{Path: adir + "da-ky/" + entryName(a.FileName), FileName: a.FileName,
					MediaType: "application/pdf", SHA256: a.SealedSHA.String, Size: a.SealedSize.Int64}
			}
			doc.Attachments = append(doc.Attachments, att)
		}
		if err := x.writeXML(dir+metadataName, doc); err != nil {
			return err
		}
		if err := x.writeObject(doc.File.StoredFile, it.ObjectKey); err != nil {
			return err
		}
		for j, a := range byDoc[it.DocumentID] {
			if err := x.writeObject(doc.Attachments[j].StoredFile, a.ObjectKey); err != nil {
				return err
			}
			if s := doc.Attachments[j].Sealed; s != nil {
				if err := x.writeObject(*s, a.SealedKey.String); err != nil {
					return err
				}
			}
		}
	}
	if err := x.writeXML(ManifestEntry, Manifest{Version: FormatVersion, Entries: x.manifest}); err != nil {
		return err
	}
	if err := x.zw.Close(); err != nil {
		return fmt.Errorf("archivepkg: unable to finish the package: %v", err)
	}
	return nil
}

// ExporterFor binds Export to db and store, in the shape the records
// domain calls (its Exporter): func(ctx, w, fileID) error.
func ExporterFor(db *sqlx.DB, store storage.Blobs) func(ctx context.Context, w io.Writer, fileID int64) error {
	return func(ctx context.Context, w io.Writer, fileID int64) error {
		return Export(ctx, db, store, fileID, w)
	}
}

func fileXML(f fileRow, items []itemRow, code FileCode) File {
	h := File{
		Version: FormatVersion, FileCode: code,
		Organ:       Organ{OrganID: f.UnitCode, OrganName: f.UnitName, OrganAbbreviation: f.UnitAbbr, OrganKind: f.UnitKind},
		Title:       f.Title,
		Maintenance: "Vĩnh viễn",
		Rights:      "Thường",
		Creator:     f.Responsible,
		Language:    language,
		DocTotal:    len(items),
		Description: f.Note,
		State:       f.State,
		ExportedAt:  stamp(time.Now()),
	}
	if f.RetentionYears.Valid {
		n := int(f.RetentionYears.Int64)
		h.RetentionYears = &n
		h.Maintenance = strconv.Itoa(n) + " năm"
	}
	if f.HeadingTitle.Valid {
		h.Heading = &Heading{Code: f.HeadingCode.String, Title: f.HeadingTitle.String}
	}
	if f.OpenedAt.Valid {
		h.OpenedAt = stamp(f.OpenedAt.Time)
	}
	if f.ClosedAt.Valid {
		h.ClosedAt = stamp(f.ClosedAt.Time)
	}
	if f.DueOn.Valid {
		h.DueOn = day(f.DueOn.Time)
	}
	if f.HandedAt.Valid {
		h.HandedOverAt = stamp(f.HandedAt.Time)
	}
	pages, allPages := 0, true
	var first, last time.Time
	for i, it := range items {
		if it.Confidentiality != "thuong" {
			h.Rights = "Hạn chế"
		}
		pages += it.Pages
		allPages = allPages && it.Pages > 0
		if i == 0 || it.DocDate.Before(first) {
			first = it.DocDate
		}
		if i == 0 || it.DocDate.After(last) {
			last = it.DocDate
		}
		h.Items = append(h.Items, Item{DocOrdinal: it.Seq, Path: fmt.Sprintf("vanban/%04d/", it.Seq), AddedAt: stamp(it.AddedAt), Note: it.Note})
	}
	if len(items) > 0 {
		h.StartDate, h.EndDate = day(first), day(last)
		if allPages {
			h.PageTotal = &pages
		}
	}
	return h
}

func documentXML(it itemRow, code FileCode, dir string) Document {
	d := Document{
		Version: FormatVersion, FileCode: code, DocOrdinal: it.Seq, Origin: it.Origin,
		TypeName: it.DocType, IssuedDate: day(it.DocDate),
		Organ:   Organ{OrganID: it.UnitCode, OrganName: it.UnitName, OrganAbbreviation: it.UnitAbbr, OrganKind: it.UnitKind},
		Subject: it.Title, Language: language, PageAmount: it.Pages, Description: it.Note,
		SignerInfo: Signer{Position: it.SignerPosition, FullName: it.SignerName},
		Priority:   priorities[it.Urgency], Urgency: it.Urgency, Confidentiality: it.Confidentiality, Status: it.Status,
		File: VersionFile{
			StoredFile: StoredFile{Path: dir + entryName(it.FileName), FileName: it.FileName, MediaType: it.MediaType, SHA256: it.SHA256, Size: it.Size},
			VersionNo:  it.VersionNo, CreatedAt: stamp(it.VersionAt),
		},
	}
	if it.Number.Valid {
		d.CodeNumber = strconv.FormatInt(it.Number.Int64, 10)
		d.CodeNotation = it.Symbol.String
	}
	if it.IncomingNumber.Valid {
		d.ArrivalNumber = int(it.IncomingNumber.Int64)
		if it.ArrivedAt.Valid {
			d.ArrivalDate = day(it.ArrivedAt.Time)
		}
	}
	return d
}

func stamp(t time.Time) string { return t.In(domain.VietnamTime).Format(time.RFC3339) }

// day formats a date column (read as midnight UTC) or a time's day in Vietnam.
func day(t time.Time) string {
	if t.Location() == time.UTC && t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		return t.Format(time.DateOnly)
	}
	return t.In(domain.VietnamTime).Format(time.DateOnly)
}

// entryName is a stored file name as an entry name: NFC, one path
// element, no control characters; metadata.xml is kept for the metadata.
func entryName(name string) string {
	name = norm.NFC.String(name)
	name = strings.Map(func(r rune) rune {
		switch {
		case r == '/' || r == '\\' || r == ':':
			return '_'
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "" || strings.Trim(name, ".") == "" {
		return "van-ban.pdf"
	}
	if len(name) > 200 {
		name = strings.ToValidUTF8(name[len(name)-200:], "")
	}
	if name == metadataName {
		return "_" + name
	}
	return name
}

type exporter struct {
	ctx      context.Context
	store    storage.Blobs
	zw       *zip.Writer
	buf      []byte
	manifest []Entry
}

func (x *exporter) create(name string, method uint16) (io.Writer, error) {
	w, err := x.zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: time.Now()})
	if err != nil {
		return nil, fmt.Errorf("archivepkg: unable to add %s: %v", name, err)
	}
	return w, nil
}

func (x *exporter) writeXML(name string, v any) error {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("archivepkg: unable to write %s: %v", name, err)
	}
	b.WriteByte('\n')
	if name == ManifestEntry {
		w, err := x.create(name, zip.Deflate)
		if err != nil {
			return err
		}
		_, err = w.Write(b.Bytes())
		return err
	}
	return x.writeBytes(name, b.Bytes(), zip.Deflate)
}

func (x *exporter) writeBytes(name string, data []byte, method uint16) error {
	w, err := x.create(name, method)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("archivepkg: unable to write %s: %v", name, err)
	}
	sum := sha256.Sum256(data)
	x.manifest = append(x.manifest, Entry{Path: name, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))})
	return nil
}

// writeObject streams a stored object into the package, checking that its
// bytes are the ones recorded.
func (x *exporter) writeObject(f StoredFile, key string) error {
	rc, err := x.store.Open(x.ctx, key, 0, -1)
	if err != nil {
		return fmt.Errorf("archivepkg: unable to open %s for %s: %v", key, f.Path, err)
	}
	defer rc.Close()
	// PDFs are compressed already: stored, they cost no CPU.
	w, err := x.create(f.Path, zip.Store)
	if err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(w, h), ctxReader{x.ctx, rc}, x.buf)
	if err != nil {
		return fmt.Errorf("archivepkg: unable to copy %s into %s: %v", key, f.Path, err)
	}
	if got := sumOf(h); n != f.Size || got != f.SHA256 {
		return fmt.Errorf("archivepkg: stored object %s (%s) has %d bytes of SHA-256 %s, recorded %d bytes of %s",
			key, f.Path, n, got, f.Size, f.SHA256)
	}
	x.manifest = append(x.manifest, Entry{Path: f.Path, SHA256: f.SHA256, Size: f.Size})
	return nil
}

func sumOf(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

// ctxReader stops a long copy when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
