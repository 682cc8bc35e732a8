package routing

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/notify"
	"github.com/jmoiron/sqlx"
)

// The delivery life-cycle: accept, refuse, assign, progress, recall and
// the answer to a recall, each a move its rule (rules.go) allows.

// move takes the act on a delivery of p's unit, in a state its rule
// allows, with set (SQL assignments using $3...) and args, and records the
// event. It returns StateError when the delivery is elsewhere in its
// life-cycle.
type move struct {
	action  string
	act     act
	set     string
	args    []any
	reason  string
	details map[string]any
	notes   func(Delivery) []notify.Notification
	message string // Vietnamese, for an illegal move
}

// before, if given, runs in the transaction once the state is checked; the
// values it returns follow m.args in the statement.
func (s *Service) apply(ctx context.Context, p auth.Principal, id int64, m move, before func(*sqlx.Tx, Delivery) ([]any, error)) (Delivery, error) {
	cur, err := s.delivery(ctx, p, id)
	if err != nil {
		return cur, err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return cur, fmt.Errorf("routing: unable to begin: %w", err)
	}
	defer tx.Rollback()
	// Lock the row and re-read its state: the check and the change are one.
	var st struct {
		Status string  `db:"status"`
		Recall *string `db:"recall"`
	}
	if err := tx.GetContext(ctx, &st, `SELECT status, recall FROM deliveries WHERE id = $1 FOR UPDATE`, id); err != nil {
		return cur, fmt.Errorf("routing: unable to lock delivery: %w", err)
	}
	cur.Status, cur.Recall = st.Status, st.Recall
	if r := rules[m.act]; !r.legal(cur) {
		if r.onRecall {
			return cur, &StateError{Current: cur.state(), Message: m.message}
		}
		msg := m.message
		if recallInForce(cur.Recall) {
			msg = "Văn bản đã bị thu hồi hoặc đang được đề nghị thu hồi; không thực hiện được thao tác này"
		}
		return cur, &StateError{Current: cur.state(), Message: msg + " (trạng thái hiện tại: " + cur.StatusLabel() + ")"}
	}
	args := append([]any{id, p.UserID}, m.args...)
	if before != nil {
		more, err := before(tx, cur)
		if err != nil {
			return cur, err
		}
		args = append(args, more...)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET status_at = now(), status_by = $2, `+m.set+` WHERE id = $1`, args...); err != nil {
		return cur, fmt.Errorf("routing: unable to update delivery: %w", err)
	}
	if m.notes != nil {
		if err := s.notes.Add(ctx, tx, m.notes(cur)); err != nil {
			return cur, err
		}
	}
	err = audit.Append(ctx, tx, audit.Event{ActorID: p.UserID, ActorUnitID: p.UnitID, Action: "delivery." + m.action,
		DocumentID: cur.DocumentID, DeliveryID: id, Reason: m.reason, Details: m.details})
	if err != nil {
		return cur, err
	}
	if err := tx.Commit(); err != nil {
		return cur, fmt.Errorf("routing: unable to commit: %w", err)
	}
	return s.delivery(ctx, p, id)
}

// Accept registers an arrived document in p's unit: it gets the unit's
// next incoming number for the year.
func (s *Service) Accept(ctx context.Context, p auth.Principal, id int64) (Delivery, error) {
	if err := s.mustMay(ctx, p, id, actAccept); err != nil {
		return Delivery{}, err
	}
	year := s.now().In(domain.VietnamTime).Year()
	m := move{action: "accept", act: actAccept, message: "Chỉ tiếp nhận được văn bản vừa đến",
		set: `status = ` + lit(Accepted) + `, accepted_at = now(), incoming_year = $3, incoming_number = $4`}
	return s.apply(ctx, p, id, m, func(tx *sqlx.Tx, d Delivery) ([]any, error) {
		// The incoming number is taken only once the move is legal, in the
		// same transaction: no gaps.
		n, err := documents.NextNumber(ctx, tx, p.UnitID, year, documents.SeriesIncoming)
		if err != nil {
			return nil, err
		}
		return []any{year, n}, recordAccept(ctx, tx, id, p.UserID)
	})
}

// Refuse returns an arrived document to its sender with a reason (wrong
// recipient, invalid signature).
func (s *Service) Refuse(ctx context.Context, p auth.Principal, id int64, reason string) (Delivery, error) {
	if err := s.mustMay(ctx, p, id, actRefuse); err != nil {
		return Delivery{}, err
	}
	reason = strings.TrimSpace(reason)
	if len([]rune(reason)) < 3 || len(reason) > 2000 {
		return Delivery{}, &domain.ValidationError{Fields: map[string]string{"reason": "cần nêu lý do từ chối (3 đến 2000 ký tự)"}}
	}
	m := move{action: "refuse", act: actRefuse, message: "Chỉ từ chối được văn bản vừa đến, chưa tiếp nhận",
		set: `status = ` + lit(Refused) + `, reason = $3`, args: []any{reason}, reason: reason,
		notes: func(d Delivery) []notify.Notification {
			return s.toSender(ctx, d, "refused", "Văn bản bị từ chối: "+docLabel(d),
				d.RecipientName+" từ chối nhận văn bản. Lý do: "+reason)
		}}
	return s.apply(ctx, p, id, m, nil)
}

// AssignRequest routes an accepted document inside the unit.
type AssignRequest struct {
	AssigneeID   int64
	Section      string
	Coordinators string
	Opinion      string
	Due          string // YYYY-MM-DD; default: the sender's due date
}

// Assign gives an accepted document to a person of the unit, with a
// deadline and coordinators as free text: the older form of Direct (a
// direction with a lead person), kept for the API's assignDelivery.
func (s *Service) Assign(ctx context.Context, p auth.Principal, id int64, req AssignRequest) (Delivery, error) {
	fields := map[string]string{}
	for k, v := range map[string]string{"section": req.Section, "coordinators": req.Coordinators, "opinion": req.Opinion} {
		if len(v) > 2000 {
			fields[k] = "tối đa 2000 ký tự"
		}
	}
	if len(fields) > 0 {
		return Delivery{}, &domain.ValidationError{Fields: fields}
	}
	d, err := s.Direct(ctx, p, id, DirectRequest{Opinion: req.Opinion, Lead: Target{UserID: req.AssigneeID}, Due: req.Due,
		section: req.Section, coordinators: req.Coordinators, action: "assign"})
	// The older operation's field name.
	if ve := (*domain.ValidationError)(nil); errors.As(err, &ve) && ve.Fields["lead"] != "" {
		delete(ve.Fields, "lead")
		ve.Fields["assignee_id"] = "người được giao phải là người dùng đang hoạt động của đơn vị"
	}
	return d, err
}

// StatusRequest reports progress: "05" in progress or "06" done, with an
// optional answering document of the unit's own.
type StatusRequest struct {
	Status     string
	Note       string
	ResponseID int64
}

// UpdateStatus moves an assigned document to in progress or done. The
// assignee, a leader or the clerk of the unit may do it.
func (s *Service) UpdateStatus(ctx context.Context, p auth.Principal, id int64, req StatusRequest) (Delivery, error) {
	cur, err := s.delivery(ctx, p, id)
	if err != nil {
		return cur, err
	}
	// Progress and done have the same people: the assignee, a leader or a clerk.
	if !rules[actProgress].permits(p, cur) {
		return cur, domain.ErrForbidden
	}
	note := strings.TrimSpace(req.Note)
	fields := map[string]string{}
	var a act
	set := ``
	switch req.Status {
	case InProgress:
		a, set = actProgress, `status = `+lit(InProgress)
	case Done:
		a, set = actDone, `status = `+lit(Done)+`, done_at = now(), response_document_id = nullif($3, 0)::bigint`
	default:
		fields["status"] = "trạng thái mới phải là 05 (đang xử lý) hoặc 06 (hoàn thành)"
	}
	if req.ResponseID != 0 {
		r, err := s.docs.Get(ctx, p, req.ResponseID)
		if err != nil || r.UnitID != p.UnitID {
			fields["response_id"] = "văn bản trả lời phải là văn bản của đơn vị bạn"
		}
		if req.Status != Done {
			fields["response_id"] = "văn bản trả lời chỉ gắn khi hoàn thành"
		}
	}
	if len(note) > 2000 {
		fields["note"] = "tối đa 2000 ký tự"
	}
	if len(fields) > 0 {
		return cur, &domain.ValidationError{Fields: fields}
	}
	m := move{action: "status." + req.Status, act: a, set: set, reason: note,
		message: "Chỉ chuyển sang đang xử lý khi đã phân công, và hoàn thành khi đã phân công hoặc đang xử lý",
		details: map[string]any{"status": req.Status}}
	var resp *int64
	if req.ResponseID != 0 {
		resp = &req.ResponseID
	}
	// The lead task follows (handling.go).
	keep := func(tx *sqlx.Tx, d Delivery) ([]any, error) {
		return nil, s.legacyStatus(ctx, tx, p, d, req.Status, note, resp)
	}
	if req.Status == Done {
		m.args = []any{req.ResponseID}
		m.details["response_document"] = req.ResponseID
		m.notes = func(d Delivery) []notify.Notification {
			return s.toSender(ctx, d, "done", "Đã xử lý xong: "+docLabel(d), d.RecipientName+" báo đã hoàn thành xử lý văn bản.")
		}
	}
	return s.apply(ctx, p, id, m, keep)
}

// Recall asks every unit the document went to (13) to remove it. Only the
// sender's clerk may; the reason is required.
func (s *Service) Recall(ctx context.Context, p auth.Principal, documentID int64, reason string) (int, error) {
	d, err := s.docs.Get(ctx, p, documentID)
	if err != nil {
		return 0, err
	}
	if d.UnitID != p.UnitID || !p.Has(auth.RoleClerk) {
		return 0, domain.ErrForbidden
	}
	reason = strings.TrimSpace(reason)
	if len([]rune(reason)) < 3 || len(reason) > 2000 {
		return 0, &domain.ValidationError{Fields: map[string]string{"reason": "cần nêu lý do thu hồi (3 đến 2000 ký tự)"}}
	}
	if d.Status == "recalled" {
		return 0, &domain.PreconditionError{Code: "already_recalled", Message: "Văn bản đã được thu hồi"}
	}
	if d.Status != "issued" {
		return 0, &domain.PreconditionError{Code: "not_issued", Message: "Văn bản chưa được phát hành nên không cần thu hồi"}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var ids []int64
	// Relayed copies are recalled too: the document itself is withdrawn.
	err = tx.SelectContext(ctx, &ids, `
		UPDATE deliveries SET recall = `+lit(RecallRequested)+`, reason = $2, status_at = now(), status_by = $3
		WHERE document_id = $1 AND status <> `+lit(Refused)+` AND `+noRecallSQL("recall")+`
		RETURNING id`, documentID, reason, p.UserID)
	if err != nil {
		return 0, fmt.Errorf("routing: unable to recall: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE documents SET status = 'recalled', updated_at = now() WHERE id = $1`, documentID); err != nil {
		return 0, err
	}
	if err := notify.Enqueue(ctx, tx, notify.Job{Kind: JobNotifyRecall, Payload: map[string]any{"document_id": documentID, "reason": reason}}); err != nil {
		return 0, err
	}
	err = audit.Append(ctx, tx, audit.Event{ActorID: p.UserID, ActorUnitID: p.UnitID, Action: "document.recall",
		DocumentID: documentID, Reason: reason, Details: map[string]any{"deliveries": ids}})
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return len(ids), nil
}

// AnswerRecall accepts (15: the document leaves the inbox, a trace stays)
// or refuses (16, with a reason) a recall.
func (s *Service) AnswerRecall(ctx context.Context, p auth.Principal, id int64, accept bool, reason string) (Delivery, error) {
	if err := s.mustMay(ctx, p, id, actAnswerRecall); err != nil {
		return Delivery{}, err
	}
	reason = strings.TrimSpace(reason)
	if !accept && (len([]rune(reason)) < 3 || len(reason) > 2000) {
		return Delivery{}, &domain.ValidationError{Fields: map[string]string{"reason": "cần nêu lý do từ chối thu hồi (3 đến 2000 ký tự)"}}
	}
	cur, err := s.delivery(ctx, p, id)
	if err != nil {
		return cur, err
	}
	const noRecall = "Văn bản này không có đề nghị thu hồi đang chờ trả lời"
	if !rules[actAnswerRecall].legal(cur) {
		return cur, &StateError{Current: cur.state(), Message: noRecall}
	}
	code, set, word := RecallAccepted, `recall = `+lit(RecallAccepted)+`, removed = true`, "đồng ý"
	if !accept {
		code, set, word = RecallRefused, `recall = `+lit(RecallRefused)+`, reason = $3`, "từ chối"
	}
	m := move{action: "recall." + code, act: actAnswerRecall, message: noRecall,
		set: set, reason: reason, details: map[string]any{"recall": code},
		notes: func(d Delivery) []notify.Notification {
			return s.toSender(ctx, d, "recall_answer", "Trả lời thu hồi: "+docLabel(d), d.RecipientName+" "+word+" thu hồi văn bản. "+reason)
		}}
	if !accept {
		m.args = []any{reason}
	}
	return s.apply(ctx, p, id, m, nil)
}

// mustMay checks that the delivery is p's unit's and that p is among those
// who may take the act; whether its state allows it is checked later.
func (s *Service) mustMay(ctx context.Context, p auth.Principal, id int64, a act) error {
	d, err := s.delivery(ctx, p, id)
	if err != nil {
		return err
	}
	if !rules[a].permits(p, d) {
		return domain.ErrForbidden
	}
	return nil
}
