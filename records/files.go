package records

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The changes to lists and files. Each runs in one transaction that ends
// with its audit entry; a change the database refuses because the file is
// frozen (SQLSTATE 23514 from the triggers of migration 18) comes back as
// errFrozen, and the refused attempt is audited as well.

// tx runs fn in a transaction, mapping the freeze triggers' refusal.
func (s *Service) tx(ctx context.Context, p auth.Principal, action string, fileID int64, fn func(*sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("records: unable to begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		if isFrozen(err) || errors.Is(err, errFrozen) {
			tx.Rollback()
			s.refused(ctx, p, action, fileID)
			return errFrozen
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		if isFrozen(err) {
			s.refused(ctx, p, action, fileID)
			return errFrozen
		}
		return fmt.Errorf("records: unable to commit: %w", err)
	}
	return nil
}

func isFrozen(err error) bool {
	var pe *pq.Error
	return errors.As(err, &pe) && pe.Code == "23514" && strings.Contains(pe.Message, "frozen")
}

// refused audits an attempt to change a frozen file (III.5.d): who tried what.
func (s *Service) refused(ctx context.Context, p auth.Principal, action string, fileID int64) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return
	}
	defer tx.Rollback()
	if audit.Append(ctx, tx, audit.Event{ActorID: p.UserID, ActorUnitID: p.UnitID, Action: "file.refused",
		Reason: "hồ sơ đã nộp lưu", Details: map[string]any{"file_id": fileID, "attempt": action}}) == nil {
		tx.Commit()
	}
}

func event(p auth.Principal, action string, docID int64, details map[string]any) audit.Event {
	return audit.Event{ActorID: p.UserID, ActorUnitID: p.UnitID, Action: action, DocumentID: docID, Details: details}
}

// CreateList starts p's unit's file list of year.
func (s *Service) CreateList(ctx context.Context, p auth.Principal, year int) (FileList, error) {
	if err := may(p, File{UnitID: p.UnitID}, actPlan); err != nil {
		return FileList{}, err
	}
	if year < 2000 || year > 2200 {
		return FileList{}, domain.Invalid("year", "năm không hợp lệ")
	}
	var id int64
	err := s.tx(ctx, p, "file_list.create", 0, func(tx *sqlx.Tx) error {
		var err error
		if id, err = s.insertList(ctx, tx, p, year); err != nil {
			return err
		}
		return audit.Append(ctx, tx, event(p, "file_list.create", 0, map[string]any{"list_id": id, "year": year}))
	})
	if err != nil {
		return FileList{}, err
	}
	return s.List(ctx, p, year)
}

func (s *Service) insertList(ctx context.Context, tx *sqlx.Tx, p auth.Principal, year int) (int64, error) {
	var id int64
	err := tx.GetContext(ctx, &id, `INSERT INTO file_lists (unit_id, year, created_by) VALUES ($1, $2, $3)
		ON CONFLICT (unit_id, year) DO NOTHING RETURNING id`, p.UnitID, year, p.UserID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, domain.Invalid("year", fmt.Sprintf("đơn vị đã có danh mục hồ sơ năm %d", year))
	}
	if err != nil {
		return 0, fmt.Errorf("records: unable to create the list: %w", err)
	}
	return id, nil
}

// CopyList starts the list of year as a copy of the unit's list of the
// year before: the same headings and files, every file planned again, to
// adjust (Appendix V: the list is made each year).
func (s *Service) CopyList(ctx context.Context, p auth.Principal, year int) (FileList, error) {
	if err := may(p, File{UnitID: p.UnitID}, actPlan); err != nil {
		return FileList{}, err
	}
	prev, err := s.List(ctx, p, year-1)
	if errors.Is(err, domain.ErrNotFound) {
		return FileList{}, domain.Invalid("year", fmt.Sprintf("đơn vị chưa có danh mục hồ sơ năm %d để sao chép", year-1))
	}
	if err != nil {
		return FileList{}, err
	}
	err = s.tx(ctx, p, "file_list.copy", 0, func(tx *sqlx.Tx) error {
		id, err := s.insertList(ctx, tx, p, year)
		if err != nil {
			return err
		}
		// Parents come before their children in position order only by
		// chance: map every heading first, then set the parents.
		ids := map[int64]int64{}
		for _, h := range prev.Headings {
			var nid int64
			if err := tx.GetContext(ctx, &nid, `INSERT INTO file_headings (list_id, position, code, title, section_id)
				SELECT $1, position, code, title, section_id FROM file_headings WHERE id = $2 RETURNING id`, id, h.ID); err != nil {
				return fmt.Errorf("records: unable to copy a heading: %w", err)
			}
			ids[h.ID] = nid
		}
		for _, h := range prev.Headings {
			if h.ParentID != nil {
				if _, err := tx.ExecContext(ctx, `UPDATE file_headings SET parent_id = $1 WHERE id = $2`, ids[*h.ParentID], ids[h.ID]); err != nil {
					return fmt.Errorf("records: unable to copy a heading: %w", err)
				}
			}
		}
		for _, f := range prev.Files {
			var hid *int64
			if f.HeadingID != nil {
				v := ids[*f.HeadingID]
				hid = &v
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO files (unit_id, list_id, heading_id, position, code, title,
				retention_years, responsible_id, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
				p.UnitID, id, hid, f.Position, f.Code, f.Title, f.RetentionYears, f.ResponsibleID, f.Note); err != nil {
				return fmt.Errorf("records: unable to copy a file: %w", err)
			}
		}
		return audit.Append(ctx, tx, event(p, "file_list.copy", 0, map[string]any{"list_id": id, "year": year,
			"from_list_id": prev.ID, "headings": len(prev.Headings), "files": len(prev.Files)}))
	})
	if err != nil {
		return FileList{}, err
	}
	return s.List(ctx, p, year)
}

// listOf reads a list of p's unit; another unit's is ErrNotFound.
func (s *Service) listOf(ctx context.Context, p auth.Principal, id int64) (FileList, error) {
	var l FileList
	err := s.db.GetContext(ctx, &l, `SELECT id, unit_id, year, created_by, created_at FROM file_lists WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !mayRead(p, l.UnitID)) {
		return FileList{}, domain.ErrNotFound
	}
	if err != nil {
		return l, fmt.Errorf("records: unable to read the list: %w", err)
	}
	return l, nil
}

// HeadingInput is a new heading.
type HeadingInput struct {
	ParentID  *int64 `json:"parent_id"`
	SectionID *int64 `json:"section_id"` // a heading by organisation: the section; its name is the default title
	Code      string `json:"code"`
	Title     string `json:"title"`
	Position  int    `json:"position"`
}

// AddHeading adds a heading to a list of p's unit.
func (s *Service) AddHeading(ctx context.Context, p auth.Principal, listID int64, in HeadingInput) (Heading, error) {
	l, err := s.listOf(ctx, p, listID)
	if err != nil {
		return Heading{}, err
	}
	if err := may(p, File{UnitID: l.UnitID}, actPlan); err != nil {
		return Heading{}, err
	}
	in.Code, in.Title = strings.TrimSpace(in.Code), strings.TrimSpace(in.Title)
	bad := map[string]string{}
	if in.SectionID != nil {
		var name string
		err := s.db.GetContext(ctx, &name, `SELECT name FROM sections WHERE id = $1 AND unit_id = $2 AND closed_at IS NULL`, *in.SectionID, l.UnitID)
		if errors.Is(err, sql.ErrNoRows) {
			bad["section_id"] = "phòng, tổ không thuộc đơn vị"
		} else if err != nil {
			return Heading{}, fmt.Errorf("records: unable to read the section: %w", err)
		} else if in.Title == "" {
			in.Title = name
		}
	}
	if in.Title == "" || len([]rune(in.Title)) > 500 {
		bad["title"] = "cần tên đề mục (tối đa 500 ký tự)"
	}
	if len([]rune(in.Code)) > 20 {
		bad["code"] = "ký hiệu đề mục tối đa 20 ký tự"
	}
	if in.ParentID != nil && !s.headingIn(ctx, *in.ParentID, listID) {
		bad["parent_id"] = "đề mục lớn không thuộc danh mục này"
	}
	if len(bad) > 0 {
		return Heading{}, &domain.ValidationError{Fields: bad}
	}
	var h Heading
	err = s.tx(ctx, p, "file_heading.create", 0, func(tx *sqlx.Tx) error {
		if in.Position == 0 {
			if err := tx.GetContext(ctx, &in.Position, `SELECT coalesce(max(position), 0) + 1 FROM file_headings WHERE list_id = $1`, listID); err != nil {
				return err
			}
		}
		if err := tx.GetContext(ctx, &h, `INSERT INTO file_headings (list_id, parent_id, position, code, title, section_id)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, list_id, parent_id, position, code, title, section_id`,
			listID, in.ParentID, in.Position, in.Code, in.Title, in.SectionID); err != nil {
			return fmt.Errorf("records: unable to add the heading: %w", err)
		}
		return audit.Append(ctx, tx, event(p, "file_heading.create", 0, map[string]any{"list_id": listID, "heading_id": h.ID, "title": h.Title}))
	})
	return h, err
}

func (s *Service) headingIn(ctx context.Context, headingID, listID int64) bool {
	var ok bool
	s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM file_headings WHERE id = $1 AND list_id = $2)`, headingID, listID)
	return ok
}

// FileInput is a new file of a list. RetentionYears nil (or
// Permanent) is permanent.
type FileInput struct {
	HeadingID      *int64 `json:"heading_id"`
	Code           string `json:"code"`
	Title          string `json:"title"`
	RetentionYears *int   `json:"retention_years"`
	ResponsibleID  *int64 `json:"responsible_id"`
	Note           string `json:"note"`
}

// AddFile plans a file in a list of p's unit.
func (s *Service) AddFile(ctx context.Context, p auth.Principal, listID int64, in FileInput) (File, error) {
	l, err := s.listOf(ctx, p, listID)
	if err != nil {
		return File{}, err
	}
	if err := may(p, File{UnitID: l.UnitID}, actPlan); err != nil {
		return File{}, err
	}
	if err := s.checkFile(ctx, &in, l, 0); err != nil {
		return File{}, err
	}
	var id int64
	err = s.tx(ctx, p, "file.create", 0, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &id, `INSERT INTO files (unit_id, list_id, heading_id, position, code, title,
			retention_years, responsible_id, note)
			VALUES ($1, $2, $3, (SELECT coalesce(max(position), 0) + 1 FROM files WHERE list_id = $2), $4, $5, $6, $7, $8)
			RETURNING id`, l.UnitID, listID, in.HeadingID, in.Code, in.Title, in.RetentionYears, in.ResponsibleID, in.Note); err != nil {
			return fmt.Errorf("records: unable to add the file: %w", err)
		}
		return audit.Append(ctx, tx, event(p, "file.create", 0, map[string]any{"file_id": id, "list_id": listID,
			"code": in.Code, "title": in.Title, "retention": retentionText(in.RetentionYears)}))
	})
	if err != nil {
		return File{}, err
	}
	return s.File(ctx, p, id)
}

// checkFile trims in and checks it for list l; self is the file being
// changed (0 for a new one), whose own code is no clash.
func (s *Service) checkFile(ctx context.Context, in *FileInput, l FileList, self int64) error {
	in.Code, in.Title, in.Note = strings.TrimSpace(in.Code), strings.TrimSpace(in.Title), strings.TrimSpace(in.Note)
	bad := map[string]string{}
	if in.Code == "" || len([]rune(in.Code)) > 50 {
		bad["code"] = "cần số, ký hiệu hồ sơ (tối đa 50 ký tự), ví dụ 01.TCCB"
	}
	if in.Title == "" || len([]rune(in.Title)) > 1000 {
		bad["title"] = "cần tiêu đề hồ sơ (tối đa 1000 ký tự)"
	}
	if in.RetentionYears != nil && (*in.RetentionYears < 1 || *in.RetentionYears > 100) {
		bad["retention_years"] = "thời hạn bảo quản là vĩnh viễn hoặc từ 1 đến 100 năm"
	}
	if in.HeadingID != nil && !s.headingIn(ctx, *in.HeadingID, l.ID) {
		bad["heading_id"] = "đề mục không thuộc danh mục này"
	}
	if in.ResponsibleID != nil {
		var ok bool
		s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND unit_id = $2 AND NOT disabled)`, *in.ResponsibleID, l.UnitID)
		if !ok {
			bad["responsible_id"] = "người lập hồ sơ phải là người của đơn vị"
		}
	}
	if len(bad) == 0 {
		var taken bool
		s.db.GetContext(ctx, &taken, `SELECT EXISTS (SELECT 1 FROM files WHERE list_id = $1 AND code = $2 AND id <> $3)`, l.ID, in.Code, self)
		if taken {
			bad["code"] = fmt.Sprintf("danh mục đã có hồ sơ số, ký hiệu %s", in.Code)
		}
	}
	if len(bad) > 0 {
		return &domain.ValidationError{Fields: bad}
	}
	return nil
}

// UpdateFile changes a planned or open file's entry in the list: the
// adjustments after copying last year's list.
func (s *Service) UpdateFile(ctx context.Context, p auth.Principal, id int64, in FileInput) (File, error) {
	f, err := s.file(ctx, s.db, p, id, false)
	if err != nil {
		return File{}, err
	}
	if err := may(p, f, actEdit); err != nil {
		if errors.Is(err, errFrozen) {
			s.refused(ctx, p, "file.update", id)
		}
		return File{}, err
	}
	l, err := s.listOf(ctx, p, f.ListID)
	if err != nil {
		return File{}, err
	}
	if err := s.checkFile(ctx, &in, l, id); err != nil {
		return File{}, err
	}
	err = s.change(ctx, p, id, actEdit, "file.update", func(tx *sqlx.Tx, f File) error {
		if _, err := tx.ExecContext(ctx, `UPDATE files SET heading_id = $2, code = $3, title = $4, retention_years = $5,
			responsible_id = $6, note = $7 WHERE id = $1`, id, in.HeadingID, in.Code, in.Title, in.RetentionYears, in.ResponsibleID, in.Note); err != nil {
			return err
		}
		return audit.Append(ctx, tx, event(p, "file.update", 0, map[string]any{"file_id": id, "code": in.Code, "title": in.Title,
			"retention": retentionText(in.RetentionYears), "was": map[string]any{"code": f.Code, "title": f.Title, "retention": f.Retention()}}))
	})
	if err != nil {
		return File{}, err
	}
	return s.File(ctx, p, id)
}

// DeleteFile takes a planned file, never opened, out of the list.
func (s *Service) DeleteFile(ctx context.Context, p auth.Principal, id int64) error {
	return s.change(ctx, p, id, actDelete, "file.delete", func(tx *sqlx.Tx, f File) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM files WHERE id = $1`, id); err != nil {
			return err
		}
		return audit.Append(ctx, tx, event(p, "file.delete", 0, map[string]any{"file_id": id, "code": f.Code, "title": f.Title}))
	})
}

// change locks file id, checks act a on it and runs fn, all in one
// transaction that fn ends with its audit entries.
func (s *Service) change(ctx context.Context, p auth.Principal, id int64, a act, action string, fn func(*sqlx.Tx, File) error) error {
	f, err := s.file(ctx, s.db, p, id, false)
	if err != nil {
		return err
	}
	if err := may(p, f, a); err != nil {
		if errors.Is(err, errFrozen) {
			s.refused(ctx, p, action, id)
		}
		return err
	}
	return s.tx(ctx, p, action, id, func(tx *sqlx.Tx) error {
		f, err := s.file(ctx, tx, p, id, true)
		if err != nil {
			return err
		}
		if err := may(p, f, a); err != nil {
			return err
		}
		return fn(tx, f)
	})
}

// OpenFile opens a planned file: documents may be filed in it.
func (s *Service) OpenFile(ctx context.Context, p auth.Principal, id int64) (File, error) {
	err := s.change(ctx, p, id, actOpen, "file.open", func(tx *sqlx.Tx, f File) error {
		if _, err := tx.ExecContext(ctx, `UPDATE files SET state = 'open', opened_at = now(), opened_by = $2 WHERE id = $1`, id, p.UserID); err != nil {
			return err
		}
		return audit.Append(ctx, tx, event(p, "file.open", 0, map[string]any{"file_id": id, "code": f.Code}))
	})
	if err != nil {
		return File{}, err
	}
	return s.File(ctx, p, id)
}

// AddItem files a document p sees in an open file, as its next item. A
// recalled, secret or draft document is refused; so is one already in it.
func (s *Service) AddItem(ctx context.Context, p auth.Principal, fileID, documentID int64, note string) (Item, error) {
	d, err := s.docs.Get(ctx, p, documentID)
	if errors.Is(err, domain.ErrNotFound) {
		// The file first: another unit's file stays not found.
		if _, ferr := s.file(ctx, s.db, p, fileID, false); ferr != nil {
			return Item{}, ferr
		}
		return Item{}, domain.Invalid("document_id", fmt.Sprintf("không tìm thấy văn bản mã %d trong số văn bản bạn được xem", documentID))
	}
	if err != nil {
		return Item{}, err
	}
	if _, err := s.file(ctx, s.db, p, fileID, false); err != nil {
		return Item{}, err
	}
	switch {
	case d.Status == "recalled":
		return Item{}, domain.Invalid("document_id", "văn bản đã bị thu hồi, không đưa vào hồ sơ được")
	case documents.IsSecret(d.Confidentiality) || d.Confidentiality != "thuong":
		return Item{}, domain.Invalid("document_id", "văn bản mật không được lập hồ sơ trên hệ thống này")
	case d.Status == "draft":
		return Item{}, domain.Invalid("document_id", "văn bản còn là dự thảo, chưa ký ban hành; chỉ lập hồ sơ văn bản đã hoàn thành")
	}
	var it Item
	err = s.change(ctx, p, fileID, actFile, "file.item_add", func(tx *sqlx.Tx, f File) error {
		var in bool
		if err := tx.GetContext(ctx, &in, `SELECT EXISTS (SELECT 1 FROM file_items WHERE file_id = $1 AND document_id = $2)`, fileID, documentID); err != nil {
			return err
		}
		if in {
			return domain.Invalid("document_id", "văn bản đã có trong hồ sơ này")
		}
		if err := tx.GetContext(ctx, &it.Seq, `INSERT INTO file_items (file_id, seq, document_id, added_by, note)
			VALUES ($1, (SELECT coalesce(max(seq), 0) + 1 FROM file_items WHERE file_id = $1), $2, $3, $4) RETURNING seq`,
			fileID, documentID, p.UserID, strings.TrimSpace(note)); err != nil {
			return err
		}
		return audit.Append(ctx, tx, event(p, "file.item_add", documentID, map[string]any{"file_id": fileID, "seq": it.Seq, "code": f.Code}))
	})
	if err != nil {
		return Item{}, err
	}
	f, err := s.File(ctx, p, fileID)
	if err != nil {
		return Item{}, err
	}
	for _, i := range f.Items {
		if i.Seq == it.Seq {
			return i, nil
		}
	}
	return it, nil
}

// RemoveItem takes item seq out of an open file; the items after it move
// up one, so the numbering has no gap.
func (s *Service) RemoveItem(ctx context.Context, p auth.Principal, fileID int64, seq int) error {
	return s.change(ctx, p, fileID, actFile, "file.item_remove", func(tx *sqlx.Tx, f File) error {
		var docID int64
		err := tx.GetContext(ctx, &docID, `DELETE FROM file_items WHERE file_id = $1 AND seq = $2 RETURNING document_id`, fileID, seq)
		if errors.Is(err, sql.ErrNoRows) {
			return domain.ErrNotFound
		}
		if err != nil {
			return err
		}
		// Two steps: the primary key is checked row by row.
		if _, err := tx.ExecContext(ctx, `UPDATE file_items SET seq = seq + 1000000 WHERE file_id = $1 AND seq > $2`, fileID, seq); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE file_items SET seq = seq - 1000001 WHERE file_id = $1 AND seq > 1000000`, fileID); err != nil {
			return err
		}
		return audit.Append(ctx, tx, event(p, "file.item_remove", docID, map[string]any{"file_id": fileID, "seq": seq, "code": f.Code}))
	})
}

// CloseFile closes an open file: its work is done. It is due at the
// archive within a year (art. 31: due_on is the closing date plus one
// year), and each of its documents is queued for its archival signature.
func (s *Service) CloseFile(ctx context.Context, p auth.Principal, id int64) (File, error) {
	today := s.now().In(domain.VietnamTime)
	due := time.Date(today.Year()+1, today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	err := s.change(ctx, p, id, actClose, "file.close", func(tx *sqlx.Tx, f File) error {
		var docs []int64
		if err := tx.SelectContext(ctx, &docs, `SELECT document_id FROM file_items WHERE file_id = $1 ORDER BY seq`, id); err != nil {
			return err
		}
		if len(docs) == 0 {
			return &domain.PreconditionError{Code: "file_empty", Message: "Hồ sơ chưa có văn bản nào; hãy thêm văn bản trước khi kết thúc hồ sơ."}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE files SET state = 'closed', closed_at = $2, closed_by = $3, due_on = $4
			WHERE id = $1`, id, s.now(), p.UserID, due.Format(time.DateOnly)); err != nil {
			return err
		}
		if s.Archiver != nil {
			for _, d := range docs {
				if err := s.Archiver.EnqueueArchival(ctx, tx, d); err != nil {
					return err
				}
			}
		}
		return audit.Append(ctx, tx, event(p, "file.close", 0, map[string]any{"file_id": id, "code": f.Code,
			"items": len(docs), "due_on": due.Format(time.DateOnly)}))
	})
	if err != nil {
		return File{}, err
	}
	return s.File(ctx, p, id)
}

// ParseRetention reads a retention typed in a form: "vĩnh viễn",
// "permanent" or empty is permanent (nil), else a number of years.
func ParseRetention(v string) (*int, error) {
	v = strings.ToLower(strings.TrimSpace(v))
	v = strings.TrimSuffix(strings.TrimSuffix(v, "năm"), "nam")
	v = strings.TrimSpace(v)
	switch v {
	case "", "vĩnh viễn", "vinh vien", "permanent", "vv":
		return nil, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 100 {
		return nil, domain.Invalid("retention_years", "thời hạn bảo quản là vĩnh viễn hoặc từ 1 đến 100 năm")
	}
	return &n, nil
}

// Section is a section of a unit, for a heading by organisation.
type Section struct {
	ID   int64  `db:"id" json:"id"`
	Name string `db:"name" json:"name"`
}

// Sections are the open sections of p's unit.
func (s *Service) Sections(ctx context.Context, p auth.Principal) ([]Section, error) {
	ss := []Section{}
	err := s.db.SelectContext(ctx, &ss, `SELECT id, name FROM sections WHERE unit_id = $1 AND closed_at IS NULL ORDER BY name, id`, p.UnitID)
	if err != nil {
		return nil, fmt.Errorf("records: unable to list sections: %w", err)
	}
	return ss, nil
}
