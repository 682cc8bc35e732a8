package records

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Hand-over of closed files to the unit's archive (art. 31, Appendix VI
// III.5): the clerk prepares it, which makes its list and record as
// documents of the unit; the archive officer receives it, which freezes
// its files in the database and, through the Freezer, in the store.

const handoverColumns = `h.id, h.unit_id, h.state, h.created_by, cu.full_name AS creator_name, h.created_at,
	h.received_by, coalesce(ru.full_name, '') AS receiver_name, h.handed_at, h.list_document_id, h.record_document_id
	FROM handovers h JOIN users cu ON cu.id = h.created_by LEFT JOIN users ru ON ru.id = h.received_by`

// Handover returns a hand-over of p's unit with its files.
func (s *Service) Handover(ctx context.Context, p auth.Principal, id int64) (Handover, error) {
	var h Handover
	err := s.db.GetContext(ctx, &h, `SELECT `+handoverColumns+` WHERE h.id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !mayRead(p, h.UnitID)) {
		return Handover{}, domain.ErrNotFound
	}
	if err != nil {
		return h, fmt.Errorf("records: unable to read the hand-over: %w", err)
	}
	h.Files = []File{}
	if err := s.db.SelectContext(ctx, &h.Files, `SELECT `+fileColumns+` WHERE f.handover_id = $1 ORDER BY f.code, f.id`, id); err != nil {
		return h, fmt.Errorf("records: unable to read the hand-over's files: %w", err)
	}
	return h, nil
}

// Handovers are p's unit's hand-overs, newest first.
func (s *Service) Handovers(ctx context.Context, p auth.Principal) ([]Handover, error) {
	hs := []Handover{}
	err := s.db.SelectContext(ctx, &hs, `SELECT `+handoverColumns+` WHERE h.unit_id = $1 ORDER BY h.id DESC`, p.UnitID)
	if err != nil {
		return nil, fmt.Errorf("records: unable to list hand-overs: %w", err)
	}
	return hs, nil
}

// PrepareHandover gathers closed files of p's unit into a hand-over and
// records its list (mục lục hồ sơ nộp lưu) and record (biên bản giao
// nhận) as documents of the unit: drafts that take the leader's
// signature and the organisation's, as any outgoing document does.
func (s *Service) PrepareHandover(ctx context.Context, p auth.Principal, fileIDs []int64) (Handover, error) {
	if err := mayHandover(p, p.UnitID, "", actPrepare); err != nil {
		return Handover{}, err
	}
	if len(fileIDs) == 0 {
		return Handover{}, domain.Invalid("file_ids", "hãy chọn ít nhất một hồ sơ đã kết thúc để nộp lưu")
	}
	var files []File
	for _, id := range fileIDs {
		f, err := s.file(ctx, s.db, p, id, false)
		if errors.Is(err, domain.ErrNotFound) {
			return Handover{}, domain.Invalid("file_ids", fmt.Sprintf("không tìm thấy hồ sơ mã %d", id))
		}
		if err != nil {
			return Handover{}, err
		}
		if err := may(p, f, actPrepare); err != nil {
			var pe *domain.PreconditionError
			if errors.As(err, &pe) {
				return Handover{}, domain.Invalid("file_ids", "hồ sơ "+f.Code+": "+pe.Message)
			}
			return Handover{}, err
		}
		if f.HandoverID != nil {
			return Handover{}, domain.Invalid("file_ids", "hồ sơ "+f.Code+" đã có trong một biên bản giao nhận khác")
		}
		files = append(files, f)
	}
	h := Handover{UnitID: p.UnitID, State: "prepared", CreatorName: p.FullName, CreatedAt: s.now(), Files: files}
	listPDF, recordPDF, err := s.handoverPDFs(ctx, h)
	if err != nil {
		return Handover{}, err
	}
	today := s.now().In(domain.VietnamTime).Format(time.DateOnly)
	year := s.now().In(domain.VietnamTime).Year()
	listDoc, err := s.createDocument(ctx, p, listPDF, "Mục lục hồ sơ nộp lưu.pdf",
		fmt.Sprintf("Mục lục hồ sơ, tài liệu nộp lưu năm %d", year), today)
	if err != nil {
		return Handover{}, err
	}
	recordDoc, err := s.createDocument(ctx, p, recordPDF, "Biên bản giao nhận hồ sơ.pdf",
		fmt.Sprintf("Giao nhận hồ sơ, tài liệu vào lưu trữ cơ quan năm %d", year), today)
	if err != nil {
		return Handover{}, err
	}
	var id int64
	err = s.tx(ctx, p, "handover.prepare", 0, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &id, `INSERT INTO handovers (unit_id, created_by, list_document_id, record_document_id)
			VALUES ($1, $2, $3, $4) RETURNING id`, p.UnitID, p.UserID, listDoc, recordDoc); err != nil {
			return fmt.Errorf("records: unable to record the hand-over: %w", err)
		}
		res, err := tx.ExecContext(ctx, `UPDATE files SET handover_id = $1 WHERE id = ANY($2) AND unit_id = $3
			AND state = 'closed' AND handover_id IS NULL`, id, pq.Array(fileIDs), p.UnitID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); int(n) != len(files) {
			return &domain.PreconditionError{Code: "file_state", Message: "Một hồ sơ vừa được người khác thay đổi; hãy tải lại trang và chọn lại."}
		}
		return audit.Append(ctx, tx, event(p, "handover.prepare", 0, map[string]any{"handover_id": id, "file_ids": fileIDs,
			"list_document_id": listDoc, "record_document_id": recordDoc}))
	})
	if err != nil {
		return Handover{}, err
	}
	return s.Handover(ctx, p, id)
}

// createDocument records generated bytes as a draft of p's unit (a
// biên bản), returning its id.
func (s *Service) createDocument(ctx context.Context, p auth.Principal, pdf []byte, name, title, date string) (int64, error) {
	up, err := s.docs.Spool(ctx, bytes.NewReader(pdf), name)
	if err != nil {
		return 0, err
	}
	defer up.Close()
	d, err := s.docs.Create(ctx, p, documents.Meta{DocType: "BB", Title: title, DocDate: date,
		Urgency: "thuong", Confidentiality: "thuong"}, up)
	if err != nil {
		return 0, fmt.Errorf("records: unable to record %q: %w", name, err)
	}
	return d.ID, nil
}

// ReceiveHandover is the archive officer's receipt: the hand-over and its
// files are handed over in one transaction, after which the database
// refuses any change to them; then every stored object of their documents
// is frozen until the end of its file's retention (a permanent file's:
// 100 years). With a Freezer that cannot freeze, nothing is received.
func (s *Service) ReceiveHandover(ctx context.Context, p auth.Principal, id int64) (Handover, error) {
	h, err := s.Handover(ctx, p, id)
	if err != nil {
		return h, err
	}
	if err := mayHandover(p, h.UnitID, h.State, actReceive); err != nil {
		return h, err
	}
	if s.Freezer != nil {
		if err := s.Freezer.Check(ctx); err != nil {
			return h, &domain.PreconditionError{Code: "archive_unavailable",
				Message: "Kho lưu trữ không khóa được dữ liệu nên chưa tiếp nhận hồ sơ: " + err.Error()}
		}
	}
	var handedAt time.Time
	err = s.tx(ctx, p, "handover.receive", 0, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &handedAt, `UPDATE handovers SET state = 'handed_over', handed_at = now(), received_by = $2
			WHERE id = $1 AND state = 'prepared' RETURNING handed_at`, id, p.UserID)
		if errors.Is(err, sql.ErrNoRows) {
			return &domain.PreconditionError{Code: "handover_state", Message: "Biên bản giao nhận này đã được tiếp nhận vào lưu trữ."}
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE files SET state = 'handed_over', handover_id = $1
			WHERE handover_id = $1 AND state = 'closed'`, id); err != nil {
			return err
		}
		ids := make([]int64, len(h.Files))
		for i, f := range h.Files {
			ids[i] = f.ID
		}
		return audit.Append(ctx, tx, event(p, "handover.receive", 0, map[string]any{"handover_id": id, "file_ids": ids}))
	})
	if err != nil {
		return h, err
	}
	for _, f := range h.Files {
		// A failure here leaves the file handed over with objects still
		// unlocked: the hourly scan (FreezeHandedOver) locks them later.
		if err := s.freezeFile(ctx, f.ID, 0); err != nil {
			return h, fmt.Errorf("records: handed over, but %w", err)
		}
	}
	return s.Handover(ctx, p, id)
}

// retainUntil is how long a handed-over file's objects are kept
// unchangeable: its retention from the hand-over, 100 years when permanent.
func retainUntil(handedAt time.Time, retentionYears *int) time.Time {
	years := 100
	if retentionYears != nil {
		years = *retentionYears
	}
	return handedAt.AddDate(years, 0, 0)
}

// freezeFile locks the stored objects of a handed-over file's documents
// (only those of documentID when it is not 0) until the end of the file's
// retention. Locks only extend, so freezing again is harmless.
func (s *Service) freezeFile(ctx context.Context, fileID, documentID int64) error {
	if s.Freezer == nil {
		return nil
	}
	var f struct {
		HandedAt       *time.Time `db:"handed_at"`
		RetentionYears *int       `db:"retention_years"`
	}
	err := s.db.GetContext(ctx, &f, `SELECT h.handed_at, f.retention_years FROM files f JOIN handovers h ON h.id = f.handover_id
		WHERE f.id = $1 AND f.state = 'handed_over'`, fileID)
	if errors.Is(err, sql.ErrNoRows) || err == nil && f.HandedAt == nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("records: unable to read file %d: %w", fileID, err)
	}
	keys, err := s.objectKeys(ctx, fileID)
	if err != nil {
		return err
	}
	if documentID != 0 {
		var mine []string
		if err := s.db.SelectContext(ctx, &mine, `SELECT object_key FROM document_versions WHERE document_id = $1
			UNION SELECT object_key FROM document_attachments WHERE document_id = $1`, documentID); err != nil {
			return fmt.Errorf("records: unable to list the objects of document %d: %w", documentID, err)
		}
		keys = slices.DeleteFunc(keys, func(k string) bool { return !slices.Contains(mine, k) })
	}
	if err := s.Freezer.Freeze(ctx, keys, retainUntil(*f.HandedAt, f.RetentionYears)); err != nil {
		return fmt.Errorf("unable to freeze the objects of file %d: %w", fileID, err)
	}
	return nil
}

// FreezeDocument locks the objects of a document in every handed-over
// file that holds it: a version the long-term validation job adds after
// the hand-over (a new document timestamp) is as unchangeable as the rest.
func (s *Service) FreezeDocument(ctx context.Context, documentID int64) error {
	var files []int64
	if err := s.db.SelectContext(ctx, &files, `SELECT i.file_id FROM file_items i JOIN files f ON f.id = i.file_id
		WHERE i.document_id = $1 AND f.state = 'handed_over' ORDER BY 1`, documentID); err != nil {
		return fmt.Errorf("records: unable to find the files of document %d: %w", documentID, err)
	}
	for _, id := range files {
		if err := s.freezeFile(ctx, id, documentID); err != nil {
			return err
		}
	}
	return nil
}

// FreezeHandedOver locks the objects of handed-over files that are not yet
// locked until their file's retention ends: a hand-over whose freezing
// failed after its commit is completed here. One query finds those files,
// so the hourly scan costs one statement when every lock is in place.
func (s *Service) FreezeHandedOver(ctx context.Context) error {
	if s.Freezer == nil {
		return nil
	}
	var files []int64
	err := s.db.SelectContext(ctx, &files, `
		WITH handed AS (
		  SELECT f.id, h.handed_at + make_interval(years => coalesce(f.retention_years, 100)) AS until
		  FROM files f JOIN handovers h ON h.id = f.handover_id
		  WHERE f.state = 'handed_over' AND h.handed_at IS NOT NULL
		), objects AS (
		  SELECT i.file_id, v.object_key AS k FROM file_items i JOIN document_versions v ON v.document_id = i.document_id
		  UNION ALL SELECT i.file_id, a.object_key FROM file_items i JOIN document_attachments a ON a.document_id = i.document_id
		  UNION ALL SELECT i.file_id, a.source_object_key FROM file_items i JOIN document_attachments a ON a.document_id = i.document_id
		            WHERE a.source_object_key IS NOT NULL
		)
		SELECT DISTINCT h.id FROM handed h JOIN objects o ON o.file_id = h.id
		WHERE NOT EXISTS (SELECT 1 FROM locked_objects l WHERE l.object_key = o.k AND l.retain_until >= h.until)
		ORDER BY h.id`)
	if err != nil {
		return fmt.Errorf("records: unable to list handed-over files: %w", err)
	}
	for _, id := range files {
		if err := s.freezeFile(ctx, id, 0); err != nil {
			return err
		}
	}
	return nil
}

// objectKeys are the stored objects of every document of a file: each
// version's and each attachment's.
func (s *Service) objectKeys(ctx context.Context, fileID int64) ([]string, error) {
	keys := []string{}
	err := s.db.SelectContext(ctx, &keys, `
		SELECT v.object_key FROM document_versions v JOIN file_items i ON i.document_id = v.document_id WHERE i.file_id = $1
		UNION SELECT a.object_key FROM document_attachments a JOIN file_items i ON i.document_id = a.document_id WHERE i.file_id = $1
		UNION SELECT a.source_object_key FROM document_attachments a JOIN file_items i ON i.document_id = a.document_id
		      WHERE i.file_id = $1 AND a.source_object_key IS NOT NULL
		ORDER BY 1`, fileID)
	if err != nil {
		return nil, fmt.Errorf("records: unable to list the objects of a file: %w", err)
	}
	return keys, nil
}
