package archivepkg

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/storage"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// jobExtractText is documents.JobExtractText: the imported documents'
// text is read for search like any other's (kept here to spare this
// package the documents service).
const jobExtractText = "documents.text"

const importNote = "Nhập từ gói hồ sơ"

// Import checks the package whole (every entry against the manifest, the
// XML, every signature) and only then, in one transaction, creates what
// the target vanban lacks: the units by their codes, the year's file list,
// the documents with their versions and attachments (same bytes, same
// SHA-256), and the file with its items in the same order and state. A
// document of the same unit already stored with the same bytes is filed
// as it is, not copied. Objects are stored before the commit: they are
// content-addressed, and those of a failed import are orphans the sweep
// removes.
func Import(ctx context.Context, db *sqlx.DB, store storage.Blobs, r io.ReaderAt, size int64, o Options) (Result, error) {
	p, err := check(ctx, r, size, o)
	if err != nil {
		return Result{}, err
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return Result{}, fmt.Errorf("archivepkg: unable to begin: %v", err)
	}
	defer tx.Rollback()
	im := &importer{ctx: ctx, tx: tx, store: store, p: p, units: map[string]int64{}}
	if err := im.run(o.As); err != nil {
		return Result{}, err
	}
	if err := tx.Commit(); err != nil {
		return Result{}, fmt.Errorf("archivepkg: unable to commit the import: %v", err)
	}
	return p.result, nil
}

type importer struct {
	ctx    context.Context
	tx     *sqlx.Tx
	store  storage.Blobs
	p      *pkg
	units  map[string]int64
	userID int64
	unitID int64 // the importing user's
	events []audit.Event
}

func (im *importer) run(username string) error {
	ctx, tx, f := im.ctx, im.tx, im.p.file
	var u struct {
		ID     int64          `db:"id"`
		UnitID int64          `db:"unit_id"`
		Roles  pq.StringArray `db:"roles"`
	}
	err := tx.GetContext(ctx, &u, `SELECT id, unit_id, roles FROM users WHERE username = $1 AND NOT disabled`, username)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("archivepkg: no active user %q: %w", username, domain.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("archivepkg: unable to read user %q: %v", username, err)
	}
	if !slices.Contains(u.Roles, "admin") {
		return fmt.Errorf("archivepkg: %s is not an administrator: %w", username, domain.ErrForbidden)
	}
	im.userID, im.unitID = u.ID, u.UnitID

	unitID, err := im.unit(f.Organ)
	if err != nil {
		return err
	}
	var listID int64
	err = tx.GetContext(ctx, &listID, `
		INSERT INTO file_lists (unit_id, year, created_by) VALUES ($1, $2, $3)
		ON CONFLICT (unit_id, year) DO UPDATE SET year = EXCLUDED.year
		RETURNING id`, unitID, f.FileCode.FileCatalog, im.userID)
	if err != nil {
		return fmt.Errorf("archivepkg: unable to find or create the file list of %d: %v", f.FileCode.FileCatalog, err)
	}
	var exists bool
	if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM files WHERE list_id = $1 AND code = $2)`, listID, f.FileCode.FileNotation); err != nil {
		return fmt.Errorf("archivepkg: unable to look for the file: %v", err)
	}
	if exists {
		return fmt.Errorf("archivepkg: file %s is already in the list of %d of unit %s (hồ sơ đã có trong danh mục)",
			f.FileCode.FileNotation, f.FileCode.FileCatalog, f.FileCode.OrganID)
	}
	var headingID *int64
	if f.Heading != nil {
		var id int64
		err := tx.GetContext(ctx, &id, `SELECT id FROM file_headings WHERE list_id = $1 AND code = $2 AND title = $3 ORDER BY id LIMIT 1`,
			listID, f.Heading.Code, f.Heading.Title)
		if errors.Is(err, sql.ErrNoRows) {
			err = tx.GetContext(ctx, &id, `
				INSERT INTO file_headings (list_id, position, code, title)
				VALUES ($1, (SELECT coalesce(max(position), 0) + 1 FROM file_headings WHERE list_id = $1), $2, $3) RETURNING id`,
				listID, f.Heading.Code, f.Heading.Title)
		}
		if err != nil {
			return fmt.Errorf("archivepkg: unable to find or create the heading: %v", err)
		}
		headingID = &id
	}
	// Items go into a file that is not frozen yet; the state comes last.
	state := f.State
	if state == "handed_over" || state == "destroyed" {
		state = "closed"
	}
	opened, _ := parseStamp(f.OpenedAt)
	closed, _ := parseStamp(f.ClosedAt)
	due, _ := parseDay(f.DueOn)
	var fileID int64
	err = tx.GetContext(ctx, &fileID, `
		INSERT INTO files (unit_id, list_id, heading_id, position, code, title, retention_years, note, state,
		                   opened_at, opened_by, closed_at, closed_by, due_on)
		VALUES ($1, $2, $3, (SELECT coalesce(max(position), 0) + 1 FROM files WHERE list_id = $2), $4, $5, $6, $7, $8,
		        $9, CASE WHEN $9::timestamptz IS NULL THEN NULL ELSE $11::bigint END,
		        $10, CASE WHEN $10::timestamptz IS NULL THEN NULL ELSE $11::bigint END, $12)
		RETURNING id`,
		unitID, listID, headingID, f.FileCode.FileNotation, f.Title, f.RetentionYears, f.Description, state,
		nullTime(opened), nullTime(closed), im.userID, nullTime(due))
	if err != nil {
		return fmt.Errorf("archivepkg: unable to create the file: %v", err)
	}
	for i, d := range im.p.docs {
		if err := im.document(fileID, unitID, i, d); err != nil {
			return fmt.Errorf("archivepkg: %s: %w", f.Items[i].Path, err)
		}
	}
	switch f.State {
	case "handed_over":
		handed, _ := parseStamp(f.HandedOverAt)
		if handed.IsZero() {
			handed = time.Now()
		}
		_, err = tx.ExecContext(ctx, `
			WITH h AS (
				INSERT INTO handovers (unit_id, state, created_by, received_by, handed_at)
				VALUES ($2, 'handed_over', $3, $3, $4) RETURNING id)
			UPDATE files SET state = 'handed_over', handover_id = (SELECT id FROM h) WHERE id = $1`,
			fileID, unitID, im.userID, handed)
	case "destroyed":
		_, err = tx.ExecContext(ctx, `UPDATE files SET state = 'destroyed', destroyed_at = now(), destroy_basis = $2 WHERE id = $1`,
			fileID, importNote)
	}
	if err != nil {
		return fmt.Errorf("archivepkg: unable to set the file's state: %v", err)
	}
	im.p.result.FileID = fileID
	im.events = append(im.events, audit.Event{ActorID: im.userID, ActorUnitID: im.unitID, Action: "file.import",
		Details: map[string]any{"file_id": fileID, "code": f.FileCode.FileNotation, "year": f.FileCode.FileCatalog,
			"unit": f.FileCode.OrganID, "documents": len(im.p.docs), "manifest_sha256": im.p.manifest[FileEntry].SHA256}})
	if err := audit.Append(ctx, tx, im.events...); err != nil {
		return fmt.Errorf("archivepkg: unable to audit the import: %v", err)
	}
	return nil
}

// unit finds a unit by its code, or creates it as the package describes it.
func (im *importer) unit(o Organ) (int64, error) {
	if id, ok := im.units[o.OrganID]; ok {
		return id, nil
	}
	abbr := o.OrganAbbreviation
	if abbr == "" {
		abbr = o.OrganID
	}
	var id int64
	err := im.tx.GetContext(im.ctx, &id, `
		INSERT INTO units (code, name, abbreviation, kind) VALUES ($1, $2, $3, $4)
		ON CONFLICT (code) DO UPDATE SET code = EXCLUDED.code
		RETURNING id`, o.OrganID, o.OrganName, abbr, o.OrganKind)
	if err != nil {
		return 0, fmt.Errorf("archivepkg: unable to find or create unit %s: %v", o.OrganID, err)
	}
	im.units[o.OrganID] = id
	return id, nil
}

func (im *importer) document(fileID, fileUnitID int64, i int, d Document) error {
	ctx, tx := im.ctx, im.tx
	it := im.p.file.Items[i]
	res := &im.p.result.Documents[i]
	unitID, err := im.unit(d.Organ)
	if err != nil {
		return err
	}
	var docID int64
	err = tx.GetContext(ctx, &docID, `
		SELECT d.id FROM documents d
		WHERE d.unit_id = $1 AND (SELECT v.sha256 FROM document_versions v WHERE v.document_id = d.id
		                          ORDER BY v.version_no DESC LIMIT 1) = $2
		ORDER BY d.id LIMIT 1`, unitID, d.File.SHA256)
	switch {
	case err == nil:
		res.DocumentID, res.Reused = docID, true
	case errors.Is(err, sql.ErrNoRows):
		if docID, err = im.createDocument(fileUnitID, unitID, i, d); err != nil {
			return err
		}
		res.DocumentID = docID
	default:
		return fmt.Errorf("unable to look for the document: %v", err)
	}
	added, _ := parseStamp(it.AddedAt)
	_, err = tx.ExecContext(ctx, `
		INSERT INTO file_items (file_id, seq, document_id, added_by, added_at, note) VALUES ($1, $2, $3, $4, $5, $6)`,
		fileID, it.DocOrdinal, docID, im.userID, added, it.Note)
	if err != nil {
		return fmt.Errorf("unable to file the document: %v", err)
	}
	return nil
}

func (im *importer) createDocument(fileUnitID, unitID int64, i int, d Document) (int64, error) {
	ctx, tx := im.ctx, im.tx
	var number *int
	var symbol *string
	if d.CodeNumber != "" {
		n, _ := strconv.Atoi(d.CodeNumber)
		number, symbol = &n, &d.CodeNotation
	}
	// A recalled document takes no version: it is recalled once complete.
	status := d.Status
	if status == "recalled" {
		status = "issued"
	}
	var id int64
	err := tx.GetContext(ctx, &id, `
		INSERT INTO documents (unit_id, doc_type, number, symbol, title, doc_date, urgency, confidentiality, status,
		                       signer_name, created_by, origin)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		unitID, d.TypeName, number, symbol, d.Subject, d.IssuedDate, d.Urgency, d.Confidentiality, status,
		d.SignerInfo.FullName, im.userID, d.Origin)
	if err != nil {
		return 0, fmt.Errorf("unable to create the document: %v", err)
	}
	issued, _ := parseDay(d.IssuedDate)
	if number != nil && d.Origin == "outgoing" {
		// The number comes from the unit's register: it is registered here
		// too, and the register's counter goes past it.
		series := "outgoing"
		if d.Confidentiality != "thuong" {
			series = "secret"
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO registrations (unit_id, year, series, number, document_id, notes, registered_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, unitID, issued.Year(), series, *number, id, importNote, im.userID)
		if err != nil {
			return 0, fmt.Errorf("unable to register number %d (already taken?): %v", *number, err)
		}
		if err := bumpCounter(ctx, tx, unitID, issued.Year(), series, *number); err != nil {
			return 0, err
		}
	}
	if err := im.put(d.File.StoredFile); err != nil {
		return 0, err
	}
	created, _ := parseStamp(d.File.CreatedAt)
	_, err = tx.ExecContext(ctx, `
		INSERT INTO document_versions (document_id, version_no, object_key, sha256, size_bytes, media_type, file_name, note, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		id, d.File.VersionNo, mustKey(d.File.SHA256), d.File.SHA256, d.File.Size, d.File.MediaType, d.File.FileName, importNote, im.userID, created)
	if err != nil {
		return 0, fmt.Errorf("unable to store the version: %v", err)
	}
	if rep := im.p.reports[i]; rep.SignatureFields > 0 {
		b, _ := json.Marshal(rep)
		if _, err := tx.ExecContext(ctx, `INSERT INTO verification_reports (document_id, version_no, valid, report) VALUES ($1, $2, $3, $4)`,
			id, d.File.VersionNo, rep.Valid, b); err != nil {
			return 0, fmt.Errorf("unable to keep the verification report: %v", err)
		}
	}
	for j, a := range d.Attachments {
		if err := im.put(a.StoredFile); err != nil {
			return 0, err
		}
		var sealedKey, sealedSHA *string
		var sealedSize *int64
		var sealedBy *int64
		var sealedAt *time.Time
		var valid *bool
		var report []byte
		if s := a.Sealed; s != nil {
			if err := im.put(*s); err != nil {
				return 0, err
			}
			k, now := mustKey(s.SHA256), time.Now()
			sealedKey, sealedSHA, sealedSize, sealedBy, sealedAt = &k, &s.SHA256, &s.Size, &im.userID, &now
			if r := im.p.att[i][j]; r != nil {
				valid = &r.Valid
				report, _ = json.Marshal(r)
			}
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO document_attachments (document_id, position, title, object_key, sha256, size_bytes, media_type, file_name,
			                                  sealed_object_key, sealed_sha256, sealed_size_bytes, sealed_by, sealed_at,
			                                  verify_valid, verify_report, added_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
			id, a.Position, a.Title, mustKey(a.SHA256), a.SHA256, a.Size, a.MediaType, a.FileName,
			sealedKey, sealedSHA, sealedSize, sealedBy, sealedAt, valid, nullJSON(report), im.userID)
		if err != nil {
			return 0, fmt.Errorf("unable to store attachment %d: %v", a.Position, err)
		}
	}
	if d.ArrivalNumber > 0 && d.Confidentiality == "thuong" && unitID != fileUnitID {
		// Where the file's unit received it, under which incoming number.
		arrived, _ := parseDay(d.ArrivalDate)
		if arrived.IsZero() {
			arrived = issued
		}
		_, err := tx.ExecContext(ctx, `
			WITH dp AS (
				INSERT INTO dispatches (document_id, sender_unit_id, kind, version_no, urgency, steering, note, created_by)
				VALUES ($1, $2, 'import', $3, $4, 1, $5, $6) RETURNING id)
			INSERT INTO deliveries (dispatch_id, document_id, sender_unit_id, recipient_unit_id, urgency, status,
			                        arrived_at, status_at, status_by, incoming_year, incoming_number, accepted_at)
			SELECT dp.id, $1, $2, $7, $4, '03', $8, $8, $6, $9, $10, $8 FROM dp`,
			id, unitID, d.File.VersionNo, d.Urgency, importNote, im.userID, fileUnitID, arrived, arrived.Year(), d.ArrivalNumber)
		if err != nil {
			return 0, fmt.Errorf("unable to record incoming number %d (already taken?): %v", d.ArrivalNumber, err)
		}
		if err := bumpCounter(ctx, tx, fileUnitID, arrived.Year(), "incoming", d.ArrivalNumber); err != nil {
			return 0, err
		}
	}
	if d.Status == "recalled" {
		if _, err := tx.ExecContext(ctx, `UPDATE documents SET status = 'recalled' WHERE id = $1`, id); err != nil {
			return 0, fmt.Errorf("unable to mark the document recalled: %v", err)
		}
	}
	// The text for search, read by the running services' job.
	if _, err := tx.ExecContext(ctx, `INSERT INTO document_texts (document_id, version_no) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		id, d.File.VersionNo); err != nil {
		return 0, fmt.Errorf("unable to queue the text: %v", err)
	}
	err = notify.Enqueue(ctx, tx, notify.Job{Kind: jobExtractText, Payload: map[string]int64{"document_id": id},
		DedupeKey: fmt.Sprintf("%s:%d:%d", jobExtractText, id, d.File.VersionNo), MaxAttempts: 3})
	if err != nil {
		return 0, err
	}
	im.events = append(im.events, audit.Event{ActorID: im.userID, ActorUnitID: im.unitID, Action: "document.import", DocumentID: id,
		Details: map[string]any{"version_no": d.File.VersionNo, "sha256": d.File.SHA256, "signatures_valid": im.p.reports[i].Valid}})
	return id, nil
}

// put stores an entry under its content key, reading it again from the
// package and checking its bytes once more on the way. The object is
// locked as documents.lockObject does (same lock) so that the orphan sweep
// cannot take an object already there before the row naming it commits.
func (im *importer) put(sf StoredFile) error {
	key := mustKey(sf.SHA256)
	if _, err := im.tx.ExecContext(im.ctx, `SELECT pg_advisory_xact_lock(72150, hashtext($1))`, key); err != nil {
		return fmt.Errorf("unable to lock object: %v", err)
	}
	f := im.p.entries[sf.Path]
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("entry %q: %v", sf.Path, err)
	}
	defer rc.Close()
	h := sha256.New()
	if err := im.store.Put(im.ctx, key, io.TeeReader(rc, h), sf.Size); err != nil {
		return fmt.Errorf("unable to store %q: %v", sf.Path, err)
	}
	// Put reads nothing when the object exists (its key is its hash):
	// what it left is hashed too, so that h covers the whole entry.
	if _, err := io.Copy(h, rc); err != nil {
		return fmt.Errorf("entry %q: %v", sf.Path, err)
	}
	if sumOf(h) != sf.SHA256 {
		return fmt.Errorf("entry %q changed while it was imported", sf.Path)
	}
	return nil
}

func bumpCounter(ctx context.Context, tx *sqlx.Tx, unitID int64, year int, series string, n int) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO number_counters (unit_id, year, series, last_number) VALUES ($1, $2, $3, $4)
		ON CONFLICT (unit_id, year, series) DO UPDATE SET last_number = greatest(number_counters.last_number, EXCLUDED.last_number)`,
		unitID, year, series, n)
	if err != nil {
		return fmt.Errorf("unable to advance the %s register: %v", series, err)
	}
	return nil
}

func mustKey(sum string) string {
	k, _ := storage.KeyFor(sum) // checked: sha256Hex
	return k
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func nullJSON(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}
