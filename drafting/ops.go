package drafting

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/notify"
	"github.com/jmoiron/sqlx"
	"golang.org/x/text/unicode/norm"
)

// today is the date in Vietnam.
func (s *Service) today() string { return s.now().In(domain.VietnamTime).Format(time.DateOnly) }

// Create makes a new draft of p's unit from f (a PDF, or a Word or ODT file
// converted to PDF, the original kept beside it). m is the document's
// metadata; its date defaults to today. When the converter is unavailable
// the file is kept and a *PendingError returned: a job makes the draft
// later and notifies p.
func (s *Service) Create(ctx context.Context, p auth.Principal, m documents.Meta, f File) (Draft, error) {
	if !documents.CanCreate(p) {
		return Draft{}, domain.ErrForbidden
	}
	if strings.TrimSpace(m.DocDate) == "" {
		m.DocDate = s.today()
	}
	if err := documents.CheckMeta(m); err != nil {
		return Draft{}, err
	}
	return s.createFile(ctx, p, m, f, nil)
}

func (s *Service) createFile(ctx context.Context, p auth.Principal, m documents.Meta, f File, signer *int64) (Draft, error) {
	pr, err := s.prepare(ctx, f)
	if isUnavailable(err) {
		return Draft{}, s.keep(ctx, p, nil, pendingMeta{Meta: m, SignerID: signer}, f)
	}
	if err != nil {
		return Draft{}, err
	}
	defer pr.Close()
	id, err := s.createPrepared(ctx, p, m, pr, signer, nil)
	if err != nil {
		return Draft{}, err
	}
	return s.Get(ctx, p, id)
}

// createPrepared records the draft in one transaction; then, if set, runs
// in it too.
func (s *Service) createPrepared(ctx context.Context, p auth.Principal, m documents.Meta, pr *prepared, signer *int64, then func(*sqlx.Tx, int64) error) (int64, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("drafting: unable to begin: %w", err)
	}
	defer tx.Rollback()
	id, err := s.docs.CreateTx(ctx, tx, p, m, pr.up)
	if err != nil {
		return 0, err
	}
	if err := s.recordSource(ctx, tx, id, 1, pr); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO drafts (document_id, signer_id) VALUES ($1, $2)`, id, signer); err != nil {
		return 0, fmt.Errorf("drafting: unable to record the draft: %w", err)
	}
	if then != nil {
		if err := then(tx, id); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("drafting: unable to commit: %w", err)
	}
	return id, nil
}

// change runs fn on draft id inside a transaction, after checking, on the
// draft as read under its row's lock, the permission rule picks. The
// draft gets its drafts row at its first change (a draft uploaded through
// documents has none).
func (s *Service) change(ctx context.Context, p auth.Principal, id int64, rule func(Actions) Permission, fn func(*sqlx.Tx, Draft) error) (Draft, error) {
	d, err := s.Get(ctx, p, id) // 404 for whoever may not see it
	if err != nil {
		return d, err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return d, fmt.Errorf("drafting: unable to begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO drafts (document_id) VALUES ($1) ON CONFLICT DO NOTHING`, id); err != nil {
		return d, fmt.Errorf("drafting: unable to record the draft: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM drafts WHERE document_id = $1 FOR UPDATE`, id); err != nil {
		return d, fmt.Errorf("drafting: unable to lock the draft: %w", err)
	}
	if d, err = s.load(ctx, tx, p, d.Document); err != nil {
		return d, err
	}
	if err := rule(d.Actions).Err(); err != nil {
		return d, err
	}
	if err := fn(tx, d); err != nil {
		return d, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE drafts SET updated_at = now() WHERE document_id = $1`, id); err != nil {
		return d, fmt.Errorf("drafting: unable to update the draft: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return d, fmt.Errorf("drafting: unable to commit: %w", err)
	}
	return s.Get(ctx, p, id)
}

func record(ctx context.Context, tx *sqlx.Tx, p auth.Principal, action string, id int64, reason string, details map[string]any) error {
	return audit.Append(ctx, tx, audit.Event{ActorID: p.UserID, ActorUnitID: p.UnitID, Action: action,
		DocumentID: id, Reason: reason, Details: details})
}

func (s *Service) notifyOne(ctx context.Context, tx *sqlx.Tx, to int64, kind, title, body string, doc int64) error {
	return s.notes.Add(ctx, tx, []notify.Notification{{UserID: to, Kind: kind, Title: title, Body: body,
		Link: draftLink(doc), DocumentID: &doc}})
}

// AddRevision adds f (a PDF, or a Word or ODT file converted to PDF) as
// the next revision of draft id: its drafter only, while it is open or
// returned (a draft submitted, signed or withdrawn gives a 409). A
// returned draft is open again.
func (s *Service) AddRevision(ctx context.Context, p auth.Principal, id int64, f File, note string) (Draft, error) {
	d, err := s.Get(ctx, p, id)
	if err != nil {
		return d, err
	}
	if err := d.Actions.Revise.Err(); err != nil {
		return d, err
	}
	note, err = cleanText("note", note, 1000, false)
	if err != nil {
		return d, err
	}
	pr, err := s.prepare(ctx, f)
	if isUnavailable(err) {
		return d, s.keep(ctx, p, &id, pendingMeta{Note: note}, f)
	}
	if err != nil {
		return d, err
	}
	defer pr.Close()
	return s.revise(ctx, p, id, pr, note, nil)
}

func (s *Service) revise(ctx context.Context, p auth.Principal, id int64, pr *prepared, note string, then func(*sqlx.Tx, int64) error) (Draft, error) {
	return s.change(ctx, p, id, func(a Actions) Permission { return a.Revise }, func(tx *sqlx.Tx, d Draft) error {
		no, err := s.docs.AddVersionTx(ctx, tx, p, id, pr.up, note)
		if err != nil {
			return err
		}
		if err := s.recordSource(ctx, tx, id, no, pr); err != nil {
			return err
		}
		// A returned draft, revised, is being drafted again: it leaves
		// "Bị trả lại" (the reason stays in its history).
		if _, err := tx.ExecContext(ctx, `UPDATE drafts SET state = 'open', updated_at = now()
			WHERE document_id = $1 AND state = 'returned'`, id); err != nil {
			return fmt.Errorf("drafting: unable to reopen the draft: %w", err)
		}
		if err := record(ctx, tx, p, "draft.revise", id, "", map[string]any{"version": no, "original": pr.source != nil}); err != nil {
			return err
		}
		if then != nil {
			return then(tx, id)
		}
		return nil
	})
}

// cleanText trims and normalises a text a user typed; required refuses an
// empty one.
func cleanText(field, v string, max int, required bool) (string, error) {
	v = strings.TrimSpace(norm.NFC.String(v))
	switch {
	case required && v == "":
		return v, domain.Invalid(field, "không được để trống")
	case utf8.RuneCountInString(v) > max:
		return v, domain.Invalid(field, fmt.Sprintf("dài tối đa %d ký tự", max))
	case strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\r' && r != '\t' }):
		return v, domain.Invalid(field, "chứa ký tự không cho phép")
	}
	return v, nil
}

// Comment adds a participant's comment on revision version (0: the
// latest) of draft id.
func (s *Service) Comment(ctx context.Context, p auth.Principal, id int64, version int, body string) (Draft, error) {
	body, err := cleanText("body", body, 4000, true)
	if err != nil {
		return Draft{}, err
	}
	return s.change(ctx, p, id, func(a Actions) Permission { return a.Comment }, func(tx *sqlx.Tx, d Draft) error {
		if version == 0 {
			version = d.Latest().No
		}
		found := false
		for _, r := range d.Revisions {
			found = found || r.No == version
		}
		if !found {
			return domain.Invalid("version", "không có bản sửa này")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO draft_comments (document_id, version_no, author_id, body) VALUES ($1, $2, $3, $4)`,
			id, version, p.UserID, body); err != nil {
			return fmt.Errorf("drafting: unable to add the comment: %w", err)
		}
		var to []notify.Notification
		for _, u := range d.others(p.UserID) {
			doc := id
			to = append(to, notify.Notification{UserID: u, Kind: "draft.comment", Title: p.FullName + " bình luận dự thảo: " + d.Document.Title,
				Body: excerpt(body, 300), Link: draftLink(id), DocumentID: &doc})
		}
		return s.notes.Add(ctx, tx, to)
	})
}

// others are the draft's drafter, reviewers and named signer but userID.
func (d Draft) others(userID int64) []int64 {
	seen := map[int64]bool{userID: true}
	var out []int64
	add := func(u int64) {
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	add(d.Document.CreatedBy)
	for _, r := range d.Reviews {
		add(r.ReviewerID)
	}
	if d.SignerID != nil {
		add(*d.SignerID)
	}
	return out
}

func excerpt(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// unitUser is an account of the acting unit named in a request.
type unitUser struct {
	ID       int64  `db:"id"`
	FullName string `db:"full_name"`
	UnitID   int64  `db:"unit_id"`
	Signer   bool   `db:"signer"`
	Disabled bool   `db:"disabled"`
}

func (s *Service) user(ctx context.Context, q sqlx.QueryerContext, id int64) (unitUser, bool, error) {
	var u unitUser
	err := sqlx.GetContext(ctx, q, &u, `SELECT id, full_name, unit_id, 'signer' = ANY(roles) AS signer, disabled FROM users WHERE id = $1`, id)
	if err != nil {
		if strings.Contains(err.Error(), "no rows") {
			return u, false, nil
		}
		return u, false, fmt.Errorf("drafting: unable to read user: %w", err)
	}
	return u, true, nil
}

// RequestReview asks the named people of the drafter's unit to review the
// latest revision of draft id (approve it or ask for changes). Someone
// already asked and not yet decided is not asked twice.
func (s *Service) RequestReview(ctx context.Context, p auth.Principal, id int64, reviewers []int64, note string) (Draft, error) {
	note, err := cleanText("note", note, 4000, false)
	if err != nil {
		return Draft{}, err
	}
	if len(reviewers) == 0 {
		return Draft{}, domain.Invalid("reviewer_id", "hãy chọn ít nhất một người góp ý, duyệt")
	}
	if len(reviewers) > 20 {
		return Draft{}, domain.Invalid("reviewer_id", "mỗi lần chọn tối đa 20 người")
	}
	return s.change(ctx, p, id, func(a Actions) Permission { return a.RequestReview }, func(tx *sqlx.Tx, d Draft) error {
		var ns []notify.Notification
		for _, rid := range reviewers {
			u, ok, err := s.user(ctx, tx, rid)
			if err != nil {
				return err
			}
			switch {
			case !ok || u.UnitID != d.Document.UnitID || u.Disabled:
				return domain.Invalid("reviewer_id", "người góp ý, duyệt phải là người đang làm việc trong đơn vị soạn thảo")
			case u.ID == p.UserID:
				return domain.Invalid("reviewer_id", "không tự gửi góp ý cho chính mình")
			}
			res, err := tx.ExecContext(ctx, `
				INSERT INTO draft_reviews (document_id, reviewer_id, requested_by, version_no, note)
				VALUES ($1, $2, $3, $4, $5) ON CONFLICT (document_id, reviewer_id) WHERE decision IS NULL DO NOTHING`,
				id, u.ID, p.UserID, d.Latest().No, note)
			if err != nil {
				return fmt.Errorf("drafting: unable to request the review: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			if err := record(ctx, tx, p, "draft.review_request", id, "", map[string]any{"reviewer_id": u.ID, "version": d.Latest().No}); err != nil {
				return err
			}
			doc := id
			ns = append(ns, notify.Notification{UserID: u.ID, Kind: "draft.review_requested",
				Title: "Đề nghị góp ý, duyệt dự thảo: " + d.Document.Title, Body: strings.TrimSpace(p.FullName + " đề nghị. " + note),
				Link: draftLink(id), DocumentID: &doc})
		}
		return s.notes.Add(ctx, tx, ns)
	})
}

// Decide records p's decision on the review asked of them: Approved or
// ChangesRequested (which needs a note saying what to change).
func (s *Service) Decide(ctx context.Context, p auth.Principal, id int64, decision, note string) (Draft, error) {
	note, err := cleanText("note", note, 4000, false)
	if err != nil {
		return Draft{}, err
	}
	switch {
	case decision != Approved && decision != ChangesRequested:
		return Draft{}, domain.Invalid("decision", "chọn duyệt (approved) hoặc đề nghị sửa (changes_requested)")
	case decision == ChangesRequested && note == "":
		return Draft{}, domain.Invalid("note", "hãy ghi nội dung cần sửa")
	}
	return s.change(ctx, p, id, func(a Actions) Permission { return a.Decide }, func(tx *sqlx.Tx, d Draft) error {
		r := d.openReview(p.UserID)
		if _, err := tx.ExecContext(ctx, `UPDATE draft_reviews SET decision = $2, decided_at = now(), note = $3, version_no = $4 WHERE id = $1`,
			r.ID, decision, note, d.Latest().No); err != nil {
			return fmt.Errorf("drafting: unable to record the decision: %w", err)
		}
		if err := record(ctx, tx, p, "draft.review_"+decision, id, note, map[string]any{"version": d.Latest().No}); err != nil {
			return err
		}
		title := p.FullName + " đã duyệt dự thảo: " + d.Document.Title
		if decision == ChangesRequested {
			title = p.FullName + " đề nghị sửa dự thảo: " + d.Document.Title
		}
		if d.Document.CreatedBy == p.UserID {
			return nil
		}
		return s.notifyOne(ctx, tx, d.Document.CreatedBy, "draft."+decision, title, note, id)
	})
}

// Submit submits draft id for signature to signerID, a signer of the
// draft's unit, to be signed by due (YYYY-MM-DD, not before today).
func (s *Service) Submit(ctx context.Context, p auth.Principal, id int64, signerID int64, due string) (Draft, error) {
	due = strings.TrimSpace(due)
	dueDate, err := time.ParseInLocation(time.DateOnly, due, domain.VietnamTime)
	switch {
	case due == "":
		return Draft{}, domain.Invalid("due_date", "cần hạn ký (YYYY-MM-DD)")
	case err != nil:
		return Draft{}, domain.Invalid("due_date", "ngày không hợp lệ; dùng dạng YYYY-MM-DD")
	case due < s.today():
		return Draft{}, domain.Invalid("due_date", "hạn ký không được trước hôm nay")
	case dueDate.After(s.now().AddDate(1, 0, 0)):
		return Draft{}, domain.Invalid("due_date", "hạn ký quá xa")
	}
	return s.change(ctx, p, id, func(a Actions) Permission { return a.Submit }, func(tx *sqlx.Tx, d Draft) error {
		u, ok, err := s.user(ctx, tx, signerID)
		if err != nil {
			return err
		}
		if !ok || u.UnitID != d.Document.UnitID || !u.Signer || u.Disabled {
			return domain.Invalid("signer_id", "người ký phải là lãnh đạo có thẩm quyền ký (vai trò người ký) của đơn vị soạn thảo")
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE drafts SET state = 'submitted', signer_id = $2, due_date = $3, submitted_at = now(), submitted_by = $4,
			       return_reason = '', returned_at = NULL
			WHERE document_id = $1`, id, u.ID, due, p.UserID); err != nil {
			return fmt.Errorf("drafting: unable to submit: %w", err)
		}
		if err := record(ctx, tx, p, "draft.submit", id, "", map[string]any{"signer_id": u.ID, "due_date": due, "version": d.Latest().No}); err != nil {
			return err
		}
		return s.notifyOne(ctx, tx, u.ID, "draft.submitted", "Dự thảo chờ ký: "+d.Document.Title,
			fmt.Sprintf("%s trình ký, hạn %s.", p.FullName, dueDate.Format("02/01/2006")), id)
	})
}

// Return sends a submitted draft back to its drafter with a reason: the
// signer it was submitted to only.
func (s *Service) Return(ctx context.Context, p auth.Principal, id int64, reason string) (Draft, error) {
	reason, err := cleanText("reason", reason, 4000, true)
	if err != nil {
		return Draft{}, domain.Invalid("reason", "cần lý do trả lại (nội dung cần sửa)")
	}
	return s.change(ctx, p, id, func(a Actions) Permission { return a.Return }, func(tx *sqlx.Tx, d Draft) error {
		if _, err := tx.ExecContext(ctx, `UPDATE drafts SET state = 'returned', return_reason = $2, returned_at = now() WHERE document_id = $1`,
			id, reason); err != nil {
			return fmt.Errorf("drafting: unable to return: %w", err)
		}
		if err := record(ctx, tx, p, "draft.return", id, reason, map[string]any{"version": d.Latest().No}); err != nil {
			return err
		}
		return s.notifyOne(ctx, tx, d.Document.CreatedBy, "draft.returned", "Dự thảo bị trả lại: "+d.Document.Title,
			p.FullName+": "+reason, id)
	})
}

// Withdraw gives up draft id: its drafter, before it is signed. A
// withdrawn draft takes no more revisions, reviews or submissions.
func (s *Service) Withdraw(ctx context.Context, p auth.Principal, id int64, reason string) (Draft, error) {
	reason, err := cleanText("reason", reason, 4000, false)
	if err != nil {
		return Draft{}, err
	}
	return s.change(ctx, p, id, func(a Actions) Permission { return a.Withdraw }, func(tx *sqlx.Tx, d Draft) error {
		if _, err := tx.ExecContext(ctx, `UPDATE drafts SET state = 'withdrawn' WHERE document_id = $1`, id); err != nil {
			return fmt.Errorf("drafting: unable to withdraw: %w", err)
		}
		if err := record(ctx, tx, p, "draft.withdraw", id, reason, nil); err != nil {
			return err
		}
		if d.State == StateSubmitted && d.SignerID != nil {
			return s.notifyOne(ctx, tx, *d.SignerID, "draft.withdrawn", "Dự thảo đã được rút lại: "+d.Document.Title, reason, id)
		}
		return nil
	})
}

// signed is documents' signature hook: a draft's signature by the
// competent person tells its drafter, and the unit's clerks that it waits
// for its number; its registration tells its drafter.
func (s *Service) signed(ctx context.Context, tx *sqlx.Tx, p auth.Principal, d documents.Document, kind, status string) error {
	var isDraft bool
	if err := tx.GetContext(ctx, &isDraft, `SELECT EXISTS (SELECT 1 FROM drafts WHERE document_id = $1)`, d.ID); err != nil {
		return fmt.Errorf("drafting: unable to check the draft: %w", err)
	}
	if !isDraft {
		return nil
	}
	id := d.ID
	link := fmt.Sprintf("/documents/%d", id)
	var ns []notify.Notification
	switch {
	case kind == "person":
		if d.CreatedBy != p.UserID {
			ns = append(ns, notify.Notification{UserID: d.CreatedBy, Kind: "draft.signed", Title: "Dự thảo đã được ký: " + d.Title,
				Body: p.FullName + " đã ký; văn thư sẽ cấp số và phát hành.", Link: link, DocumentID: &id})
		}
		var clerks []int64
		if err := tx.SelectContext(ctx, &clerks, `SELECT id FROM users WHERE unit_id = $1 AND 'clerk' = ANY(roles) AND NOT disabled AND id <> $2`,
			d.UnitID, p.UserID); err != nil {
			return fmt.Errorf("drafting: unable to list clerks: %w", err)
		}
		for _, c := range clerks {
			ns = append(ns, notify.Notification{UserID: c, Kind: "document.awaiting_number", Title: "Chờ cấp số: " + d.Title,
				Body: p.FullName + " đã ký văn bản; hãy đăng ký, cấp số và ký số của cơ quan.", Link: link, DocumentID: &id})
		}
	case status == "registered" && d.CreatedBy != p.UserID:
		ns = append(ns, notify.Notification{UserID: d.CreatedBy, Kind: "draft.registered", Title: "Văn bản đã được cấp số: " + d.Title,
			Body: "Văn thư " + p.FullName + " đã đăng ký, cấp số.", Link: link, DocumentID: &id})
	}
	return s.notes.Add(ctx, tx, ns)
}
