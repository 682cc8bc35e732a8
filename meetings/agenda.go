package meetings

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/storage"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The agenda: its items in order and the documents and files of each.

// AddItem appends an item to the agenda.
func (s *Service) AddItem(ctx context.Context, p auth.Principal, meetingID int64, in ItemInput) (Item, error) {
	it := Item{Title: oneLine(in.Title), Presenter: oneLine(in.Presenter), StartsAt: in.StartsAt, EndsAt: in.EndsAt, Documents: []AgendaDoc{}}
	bad := map[string]string{}
	switch n := utf8.RuneCountInString(it.Title); {
	case n == 0:
		bad["title"] = "cần nội dung của mục chương trình"
	case n > 500:
		bad["title"] = "nội dung mục chương trình dài tối đa 500 ký tự"
	}
	if utf8.RuneCountInString(it.Presenter) > 200 {
		bad["presenter"] = "tên người trình bày dài tối đa 200 ký tự"
	}
	if it.StartsAt != nil && it.EndsAt != nil && !it.EndsAt.After(*it.StartsAt) {
		bad["ends_at"] = "thời gian kết thúc của mục phải sau thời gian bắt đầu"
	}
	if len(bad) > 0 {
		return Item{}, &domain.ValidationError{Fields: bad}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Item{}, fmt.Errorf("meetings: unable to begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := s.lockToChange(ctx, tx, p, viaMeeting, meetingID, 0, actManageAgenda); err != nil {
		return Item{}, err
	}
	err = tx.GetContext(ctx, &it, `
		INSERT INTO agenda_items (meeting_id, position, title, presenter, starts_at, ends_at)
		VALUES ($1, (SELECT COALESCE(max(position), 0) + 1 FROM agenda_items WHERE meeting_id = $1), $2, $3, $4, $5)
		RETURNING id, position, title, presenter, starts_at, ends_at`,
		meetingID, it.Title, it.Presenter, it.StartsAt, it.EndsAt)
	if err != nil {
		return Item{}, fmt.Errorf("meetings: unable to add agenda item: %w", err)
	}
	if err := s.agendaChanged(ctx, tx, meetingID); err != nil {
		return Item{}, err
	}
	return it, s.commit(tx)
}

// agendaChanged bumps the revision and tells every open screen.
func (s *Service) agendaChanged(ctx context.Context, tx *sqlx.Tx, meetingID int64) error {
	rev, err := bumpRevision(ctx, tx, meetingID)
	if err != nil {
		return err
	}
	return s.publish(ctx, tx, Event{MeetingID: meetingID, Kind: EventAgenda, Revision: rev})
}

// ReorderAgenda puts the agenda in the order of itemIDs, which must hold
// each of the meeting's items exactly once.
func (s *Service) ReorderAgenda(ctx context.Context, p auth.Principal, meetingID int64, itemIDs []int64) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("meetings: unable to begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := s.lockToChange(ctx, tx, p, viaMeeting, meetingID, 0, actManageAgenda); err != nil {
		return err
	}
	var current []int64
	if err := tx.SelectContext(ctx, &current, `SELECT id FROM agenda_items WHERE meeting_id = $1 ORDER BY id`, meetingID); err != nil {
		return fmt.Errorf("meetings: unable to list agenda: %w", err)
	}
	given := slices.Clone(itemIDs)
	slices.Sort(given)
	if !slices.Equal(given, current) {
		return &domain.ValidationError{Fields: map[string]string{
			"items": "thứ tự mới phải gồm đúng tất cả các mục của chương trình, mỗi mục một lần; hãy tải lại trang và thử lại"}}
	}
	// The (meeting, position) constraint is checked at commit, so the
	// positions may pass through duplicates on the way.
	_, err = tx.ExecContext(ctx, `
		UPDATE agenda_items i SET position = x.pos
		FROM unnest($2::bigint[]) WITH ORDINALITY AS x(id, pos)
		WHERE i.id = x.id AND i.meeting_id = $1 AND i.position <> x.pos`, meetingID, pq.Array(itemIDs))
	if err != nil {
		return fmt.Errorf("meetings: unable to reorder agenda: %w", err)
	}
	if err := s.agendaChanged(ctx, tx, meetingID); err != nil {
		return err
	}
	return s.commit(tx)
}

var (
	errSecretDocument = &domain.PreconditionError{Code: "secret",
		Message: "Văn bản mật (Mật, Tối mật, Tuyệt mật) không được đưa vào tài liệu cuộc họp điện tử; hãy chuyển theo quy định về văn bản mật"}
	errNotShared = &domain.PreconditionError{Code: "not_shared",
		Message: "Văn bản này là văn bản đến của đơn vị, chưa được gửi tới mọi đơn vị dự họp; chỉ đưa vào tài liệu họp văn bản của chính đơn vị, hoặc văn bản mà mọi đơn vị dự họp đều đã nhận (hãy chuyển văn bản cho các đơn vị dự họp trước)"}
)

// AttachDocument adds a version of a document p can see (0: its latest)
// to an agenda item of meeting meetingID, by the sharing rule (see the
// package's doc). Secret documents are refused; an item of another meeting
// is not found.
func (s *Service) AttachDocument(ctx context.Context, p auth.Principal, meetingID, itemID, documentID int64, versionNo int) (AgendaDoc, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return AgendaDoc{}, fmt.Errorf("meetings: unable to begin: %w", err)
	}
	defer tx.Rollback()
	st, err := s.lockToChange(ctx, tx, p, viaItem, itemID, meetingID, actManageAgenda)
	if err != nil {
		return AgendaDoc{}, err
	}
	id, err := s.attachDocument(ctx, tx, p, itemID, documentID, versionNo, 0)
	if err != nil {
		return AgendaDoc{}, err
	}
	return s.finishAttach(ctx, tx, st.MeetingID, id)
}

// attachDocument inserts the agenda document at position (0: last).
func (s *Service) attachDocument(ctx context.Context, tx *sqlx.Tx, p auth.Principal, itemID, documentID int64, versionNo, position int) (int64, error) {
	d, err := s.docs.Get(ctx, p, documentID)
	if err != nil {
		return 0, err
	}
	if documents.IsSecret(d.Confidentiality) {
		return 0, errSecretDocument
	}
	var v *documents.Version
	for i := range d.Versions {
		if versionNo == 0 && i == 0 || d.Versions[i].No == versionNo {
			v = &d.Versions[i]
			break
		}
	}
	if v == nil {
		return 0, &domain.ValidationError{Fields: map[string]string{"version": "văn bản không có phiên bản này"}}
	}
	title := d.Title
	if d.NumberSymbol != nil {
		title = *d.NumberSymbol + " — " + d.Title
	}
	var dup bool
	err = tx.GetContext(ctx, &dup, `SELECT EXISTS (SELECT 1 FROM agenda_documents WHERE item_id = $1 AND document_id = $2 AND version_no = $3)`,
		itemID, d.ID, v.No)
	if err != nil {
		return 0, fmt.Errorf("meetings: unable to check agenda documents: %w", err)
	}
	if dup {
		return 0, &domain.PreconditionError{Code: "already_attached", Message: "Văn bản này đã có trong mục chương trình"}
	}
	var id int64
	err = tx.GetContext(ctx, &id, `
		INSERT INTO agenda_documents (item_id, position, title, draft, document_id, version_no, attached_by, attached_unit_id)
		VALUES ($1, `+positionOr+`, $2, $3, $4, $5, $7, $8)
		RETURNING id`, itemID, title, d.Status == "draft", d.ID, v.No, position, p.UserID, p.UnitID)
	if err != nil {
		return 0, fmt.Errorf("meetings: unable to attach document: %w", err)
	}
	return id, nil
}

// positionOr is $6 when it is not 0, else the item's next position ($1).
const positionOr = `CASE WHEN $6::int > 0 THEN $6::int ELSE (SELECT COALESCE(max(position), 0) + 1 FROM agenda_documents WHERE item_id = $1) END`

// finishAttach refuses a document the meeting may not share, and marks the
// change.
func (s *Service) finishAttach(ctx context.Context, tx *sqlx.Tx, meetingID, agendaDocID int64) (AgendaDoc, error) {
	var ad AgendaDoc
	if err := tx.GetContext(ctx, &ad, s.agendaDocSelect()+` WHERE ad.id = $1`, agendaDocID); err != nil {
		return AgendaDoc{}, fmt.Errorf("meetings: unable to read agenda document: %w", err)
	}
	if ad.Withheld {
		return AgendaDoc{}, errNotShared
	}
	if err := s.agendaChanged(ctx, tx, meetingID); err != nil {
		return AgendaDoc{}, err
	}
	return ad, s.commit(tx)
}

// AttachFile stores a PDF spooled by documents.Service.Spool (which has
// checked it, so a file that fails the check never gets this far) as a
// file of the meeting and adds it to an agenda item of meeting meetingID,
// titled title (default: the file's name). A file, draft or not, is never
// a document: it is listed and searched nowhere outside the meeting.
func (s *Service) AttachFile(ctx context.Context, p auth.Principal, meetingID, itemID int64, up *documents.Upload, title string, draft bool) (AgendaDoc, error) {
	title, key, err := checkFile(up, title)
	if err != nil {
		return AgendaDoc{}, err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return AgendaDoc{}, fmt.Errorf("meetings: unable to begin: %w", err)
	}
	defer tx.Rollback()
	st, err := s.lockToChange(ctx, tx, p, viaItem, itemID, meetingID, actManageAgenda)
	if err != nil {
		return AgendaDoc{}, err
	}
	id, err := s.attachFile(ctx, tx, p, st.MeetingID, itemID, up, key, title, draft, 0)
	if err != nil {
		return AgendaDoc{}, err
	}
	return s.finishAttach(ctx, tx, st.MeetingID, id)
}

// checkFile checks an uploaded file and its title, and names its object.
func checkFile(up *documents.Upload, title string) (string, string, error) {
	if up == nil || up.Size <= 0 || up.Pages <= 0 { // Pages: counted by the check
		return "", "", &domain.ValidationError{Fields: map[string]string{"file": "cần tệp PDF"}}
	}
	title = oneLine(title)
	if title == "" {
		title = oneLine(strings.TrimSuffix(strings.TrimSuffix(up.FileName, ".pdf"), ".PDF"))
	}
	if title == "" {
		title = "Tài liệu"
	}
	if utf8.RuneCountInString(title) > 500 {
		return "", "", &domain.ValidationError{Fields: map[string]string{"title": "tên tài liệu dài tối đa 500 ký tự"}}
	}
	key, err := storage.KeyFor(up.SHA256)
	return title, key, err
}

// attachFile stores the file and inserts it at position (0: last).
func (s *Service) attachFile(ctx context.Context, tx *sqlx.Tx, p auth.Principal, meetingID, itemID int64, up *documents.Upload, key, title string, draft bool, position int) (int64, error) {
	// The same lock as documents takes around storing an object and
	// committing the row naming it: documents.SweepOrphans takes it too,
	// and counts meeting_files rows as naming their objects.
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(72150, hashtext($1))`, key); err != nil {
		return 0, fmt.Errorf("meetings: unable to lock object: %w", err)
	}
	if err := s.blobs.Put(ctx, key, up.Content(), up.Size); err != nil {
		return 0, fmt.Errorf("meetings: unable to store file: %w", err)
	}
	var fileID int64
	err := tx.GetContext(ctx, &fileID, `
		INSERT INTO meeting_files (meeting_id, object_key, sha256, size_bytes, file_name, uploaded_by)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, meetingID, key, up.SHA256, up.Size, up.FileName, p.UserID)
	if err != nil {
		return 0, fmt.Errorf("meetings: unable to record file: %w", err)
	}
	var id int64
	err = tx.GetContext(ctx, &id, `
		INSERT INTO agenda_documents (item_id, position, title, draft, file_id, attached_by, attached_unit_id)
		VALUES ($1, `+positionOr+`, $2, $3, $4, $5, $7)
		RETURNING id`, itemID, title, draft, fileID, p.UserID, position, p.UnitID)
	if err != nil {
		return 0, fmt.Errorf("meetings: unable to attach file: %w", err)
	}
	return id, nil
}

// Replacement is what ReplaceAgendaDocument puts in place of an agenda
// document: a version of a document (DocumentID, VersionNo 0 for its
// latest) or a file spooled by documents.Service.Spool (Upload, with Title
// and Draft as for AttachFile).
type Replacement struct {
	DocumentID int64
	VersionNo  int
	Upload     *documents.Upload
	Title      string
	Draft      bool
}

// RemoveAgendaDocument takes a document or a file off the agenda; a file
// goes with it (its bytes are swept once no row names them). Comments on
// it stay on its item. Managers may, while the meeting is open.
func (s *Service) RemoveAgendaDocument(ctx context.Context, p auth.Principal, meetingID, agendaDocID int64) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("meetings: unable to begin: %w", err)
	}
	defer tx.Rollback()
	if meetingID <= 0 {
		return domain.ErrNotFound
	}
	if _, err := s.lockToChange(ctx, tx, p, viaDoc, agendaDocID, meetingID, actManageAgenda); err != nil {
		return err
	}
	if _, err := removeAgendaDocument(ctx, tx, agendaDocID); err != nil {
		return err
	}
	if err := s.agendaChanged(ctx, tx, meetingID); err != nil {
		return err
	}
	return s.commit(tx)
}

type removed struct {
	ItemID   int64  `db:"item_id"`
	Position int    `db:"position"`
	FileID   *int64 `db:"file_id"`
}

func removeAgendaDocument(ctx context.Context, tx *sqlx.Tx, agendaDocID int64) (removed, error) {
	var r removed
	err := tx.GetContext(ctx, &r, `DELETE FROM agenda_documents WHERE id = $1 RETURNING item_id, position, file_id`, agendaDocID)
	if errors.Is(err, sql.ErrNoRows) {
		return r, domain.ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("meetings: unable to remove agenda document: %w", err)
	}
	if r.FileID != nil {
		if _, err := tx.ExecContext(ctx, `DELETE FROM meeting_files WHERE id = $1`, *r.FileID); err != nil {
			return r, fmt.Errorf("meetings: unable to remove file: %w", err)
		}
	}
	return r, nil
}

// ReplaceAgendaDocument puts r in the place of one of the agenda's
// documents (a new version of a draft, say), in one change: the old one
// goes as by RemoveAgendaDocument, the new one comes as by AttachDocument
// or AttachFile, at the same place on the same item.
func (s *Service) ReplaceAgendaDocument(ctx context.Context, p auth.Principal, meetingID, agendaDocID int64, r Replacement) (AgendaDoc, error) {
	var title, key string
	if (r.DocumentID > 0) == (r.Upload != nil) {
		return AgendaDoc{}, &domain.ValidationError{Fields: map[string]string{"file": "chọn đúng một văn bản hoặc một tệp PDF để thay thế"}}
	}
	if r.Upload != nil {
		var err error
		if title, key, err = checkFile(r.Upload, r.Title); err != nil {
			return AgendaDoc{}, err
		}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return AgendaDoc{}, fmt.Errorf("meetings: unable to begin: %w", err)
	}
	defer tx.Rollback()
	if meetingID <= 0 {
		return AgendaDoc{}, domain.ErrNotFound
	}
	if _, err := s.lockToChange(ctx, tx, p, viaDoc, agendaDocID, meetingID, actManageAgenda); err != nil {
		return AgendaDoc{}, err
	}
	old, err := removeAgendaDocument(ctx, tx, agendaDocID)
	if err != nil {
		return AgendaDoc{}, err
	}
	var id int64
	if r.Upload != nil {
		id, err = s.attachFile(ctx, tx, p, meetingID, old.ItemID, r.Upload, key, title, r.Draft, old.Position)
	} else {
		id, err = s.attachDocument(ctx, tx, p, old.ItemID, r.DocumentID, r.VersionNo, old.Position)
	}
	if err != nil {
		return AgendaDoc{}, err
	}
	return s.finishAttach(ctx, tx, meetingID, id)
}

// sharedOnly leaves out of items the documents the meeting no longer
// shares, for what is written for all its people (the minutes).
func sharedOnly(items []Item) []Item {
	out := make([]Item, len(items))
	for i, it := range items {
		out[i] = it
		out[i].Documents = slices.DeleteFunc(slices.Clone(it.Documents), func(d AgendaDoc) bool { return d.Withheld })
	}
	return out
}

// agendaDoc returns an agenda document of the meeting p may read: one
// statement decides, so a missing id and one of another meeting cost the
// same. A document the meeting no longer shares is not found.
func (s *Service) agendaDoc(ctx context.Context, p auth.Principal, meetingID, agendaDocID int64) (AgendaDoc, error) {
	if meetingID <= 0 {
		return AgendaDoc{}, domain.ErrNotFound
	}
	if _, err := s.stand(ctx, s.db, p, viaDoc, agendaDocID, meetingID); err != nil {
		return AgendaDoc{}, err
	}
	var ad AgendaDoc
	err := s.db.GetContext(ctx, &ad, s.agendaDocSelect()+` WHERE ad.id = $1`, agendaDocID)
	if errors.Is(err, sql.ErrNoRows) || err == nil && ad.Withheld {
		return AgendaDoc{}, domain.ErrNotFound
	}
	if err != nil {
		return ad, fmt.Errorf("meetings: unable to fetch agenda document: %w", err)
	}
	return ad, nil
}

// OpenDocument reads one of the meeting's documents, byte for byte as
// stored (signatures intact), with its size and file name.
func (s *Service) OpenDocument(ctx context.Context, p auth.Principal, meetingID, agendaDocID int64) (io.ReadCloser, int64, string, error) {
	ad, err := s.agendaDoc(ctx, p, meetingID, agendaDocID)
	if err != nil {
		return nil, 0, "", err
	}
	rc, err := s.blobs.Open(ctx, ad.ObjectKey, 0, -1)
	if err != nil {
		return nil, 0, "", fmt.Errorf("meetings: unable to open %s: %w", ad.ObjectKey, err)
	}
	return rc, ad.Size, ad.FileName, nil
}

// PresignDocument returns a link, valid for s.PresignExpiry, that
// downloads one of the meeting's documents straight from the store, or
// documents.ErrNoPresign when the store offers none (use OpenDocument).
func (s *Service) PresignDocument(ctx context.Context, p auth.Principal, meetingID, agendaDocID int64) (string, error) {
	ad, err := s.agendaDoc(ctx, p, meetingID, agendaDocID)
	if err != nil {
		return "", err
	}
	ps, ok := s.blobs.(storage.Presigner)
	if !ok {
		return "", documents.ErrNoPresign
	}
	u, err := ps.PresignGet(ctx, ad.ObjectKey, s.PresignExpiry, documents.ContentDisposition("attachment", ad.FileName), "application/pdf")
	if err != nil {
		return "", fmt.Errorf("meetings: unable to presign: %w", err)
	}
	return u, nil
}
