package routing

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/edxml"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/org"
)

// Interoperability with other agencies' systems through edXML packages
// (QCVN 102:2016): a document issued to an external unit is exported as a
// signed package; a package addressed to a unit here is imported into its
// inbox; each side's status changes travel back as signed status messages.

var priorities = map[string]edxml.Priority{
	"thuong": edxml.PriorityNormal, "khan": edxml.PriorityUrgent,
	"thuong_khan": edxml.PriorityVeryUrgent, "hoa_toc": edxml.PriorityFlash,
}

func urgencyOf(p edxml.Priority) string {
	for u, q := range priorities {
		if q == p {
			return u
		}
	}
	return "hoa_toc" // 4, hỏa tốc hẹn giờ
}

// typeNumber is a document type's number in packages: its place in
// documents.Types, from 1; the name travels with it.
func typeNumber(code string) int {
	for i, t := range documents.Types {
		if t.Code == code {
			return i + 1
		}
	}
	return 1
}

func typeCode(t edxml.DocumentType) string {
	for _, c := range documents.Types {
		if strings.EqualFold(c.Label, strings.TrimSpace(t.TypeName)) {
			return c.Code
		}
	}
	if t.Type >= 1 && t.Type <= len(documents.Types) {
		return documents.Types[t.Type-1].Code
	}
	return "CV"
}

// ExportPackage builds the signed edXML package of a document p's unit
// issued, for one of the units it went to (by identifier code).
func (s *Service) ExportPackage(ctx context.Context, p auth.Principal, documentID int64, toCode string) ([]byte, string, error) {
	d, err := s.docs.Get(ctx, p, documentID)
	if err != nil {
		return nil, "", err
	}
	// Only what may be issued is exported: signed by the competent person,
	// then by the organisation (Decree 30/2020 art. 32.2.d).
	if err := documents.IssueRule(p, d).Err(); err != nil {
		return nil, "", err
	}
	var x struct {
		Steering    int        `db:"steering"`
		Due         *time.Time `db:"due_date"`
		Version     int        `db:"version_no"`
		Replaces    *int64     `db:"replaces"`
		ToName      string     `db:"to_name"`
		ResponseFor *int64     `db:"response_for"`
	}
	err = s.db.GetContext(ctx, &x, `
		SELECT x.steering, x.due_date, x.version_no, x.replaces, x.response_for, ru.name AS to_name
		FROM deliveries dl JOIN dispatches x ON x.id = dl.dispatch_id JOIN units ru ON ru.id = dl.recipient_unit_id
		WHERE dl.document_id = $1 AND dl.sender_unit_id = $2 AND ru.code = $3`, d.ID, p.UnitID, toCode)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", &domain.ValidationError{Fields: map[string]string{"to": "văn bản chưa được phát hành tới đơn vị có mã định danh này"}}
	}
	if err != nil {
		return nil, "", fmt.Errorf("routing: unable to read the dispatch: %w", err)
	}
	from, err := s.units(ctx, p.UnitID)
	if err != nil {
		return nil, "", err
	}
	var signer struct {
		Name       string `db:"full_name"`
		Position   string `db:"position"`
		Competence string `db:"capacity_line"`
	}
	// The capacity and title as the signature recorded them (Decree 30
	// art. 13: "KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"); older ones have the account's.
	s.db.GetContext(ctx, &signer, `
		SELECT u.full_name, coalesce(nullif(g.position, ''), u.position) AS position, g.capacity_line
		FROM document_signatures g JOIN users u ON u.id = g.signed_by
		WHERE g.document_id = $1 AND g.kind = 'person' ORDER BY g.id LIMIT 1`, d.ID) //nolint:errcheck // an unsigned document has none
	if signer.Name == "" {
		signer.Name = d.SignerName
	}
	var version documents.Version
	for _, v := range d.Versions {
		if v.No == x.Version {
			version = v
		}
	}
	rc, err := s.docs.Open(ctx, version, 0, -1)
	if err != nil {
		return nil, "", err
	}
	pdf, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return nil, "", fmt.Errorf("routing: unable to read the document: %w", err)
	}
	number, notation := "", ""
	if d.Number != nil {
		number, notation = fmt.Sprintf("%02d", *d.Number), *d.Symbol
	}
	h := edxml.MessageHeader{
		From: edxml.Organisation{OrganID: from.Code, OrganName: from.Name},
		To:   []edxml.Organisation{{OrganID: toCode, OrganName: x.ToName}},
		Code: edxml.Code{Number: number, Notation: notation},
		PromulgationInfo: edxml.PromulgationInfo{Place: domain.Place,
			Date: time.Date(d.DocDate.Year(), d.DocDate.Month(), d.DocDate.Day(), 0, 0, 0, 0, domain.VietnamTime)},
		DocumentType: edxml.DocumentType{Type: typeNumber(d.DocType), TypeName: documents.Label(documents.Types, d.DocType)},
		Subject:      d.Title,
		SignerInfo:   edxml.SignerInfo{Competence: signer.Competence, Position: signer.Position, FullName: signer.Name},
		Priority:     priorities[d.Urgency],
		SteeringType: edxml.SteeringType(x.Steering),
		DocumentID:   from.Code + "/" + strconv.FormatInt(d.ID, 10),
	}
	if x.Due != nil {
		h.DueDate = time.Date(x.Due.Year(), x.Due.Month(), x.Due.Day(), 0, 0, 0, 0, domain.VietnamTime)
	}
	if x.ResponseFor != nil {
		if r, err := s.docs.Get(ctx, p, *x.ResponseFor); err == nil && r.NumberSymbol != nil {
			owner, _ := s.units(ctx, r.UnitID)
			h.ResponseFor = []edxml.ResponseFor{{OrganID: owner.Code, Code: *r.NumberSymbol, PromulgationDate: r.DocDate}}
		}
	}
	business := edxml.BusinessNew
	if x.Replaces != nil {
		business = edxml.BusinessReplace
	}
	pkg := edxml.Package{Header: h,
		Trace: edxml.TraceHeaderList{Business: edxml.Business{Type: business, Staff: edxml.StaffInfo{Staff: p.FullName}},
			Traces: []edxml.TraceHeader{{OrganID: from.Code, Timestamp: s.now()}}},
		Attachments: []edxml.Attachment{{ContentID: "attachment-1", ContentType: "application/pdf",
			FileName: version.FileName, Description: d.Title, Data: pdf}}}
	more, err := s.packageAttachments(ctx, p, d)
	if err != nil {
		return nil, "", err
	}
	pkg.Attachments = append(pkg.Attachments, more...)
	key, release, err := s.docs.OrgKey(ctx, from.Code)
	if err != nil {
		return nil, "", err
	}
	defer release()
	out, err := edxml.Build(pkg, edxml.Signer(key))
	if err != nil {
		return nil, "", fmt.Errorf("routing: unable to build the package: %w", err)
	}
	name := fmt.Sprintf("%s_%s.edxml", strings.ReplaceAll(notation, "/", "-"), toCode)
	if number != "" {
		name = number + "-" + name
	}
	return out, name, nil
}

type unitRow struct {
	ID   int64  `db:"id"`
	Code string `db:"code"`
	Name string `db:"name"`
	Kind string `db:"kind"`
}

func (s *Service) units(ctx context.Context, id int64) (unitRow, error) {
	var u unitRow
	if err := s.db.GetContext(ctx, &u, `SELECT id, code, name, kind FROM units WHERE id = $1`, id); err != nil {
		return u, fmt.Errorf("routing: unable to read unit: %w", err)
	}
	return u, nil
}

// ImportError is a package or status message that cannot be taken in;
// Message says why, in Vietnamese.
type ImportError struct {
	Code    string
	Message string
}

func (e *ImportError) Error() string { return "routing: import refused: " + e.Code }

func importError(err error) error {
	var fe *edxml.FormatError
	switch {
	case errors.As(err, &fe):
		return &ImportError{"edxml_format", "Gói tin edXML không hợp lệ: " + fe.Message + " (" + fe.Field + ")"}
	case errors.Is(err, edxml.ErrNoSignature):
		return &ImportError{"edxml_unsigned", "Gói tin edXML không có chữ ký số; không tiếp nhận"}
	case errors.Is(err, edxml.ErrBadSignature):
		return &ImportError{"edxml_bad_signature", "Chữ ký số của gói tin edXML không hợp lệ: gói tin đã bị thay đổi sau khi ký hoặc chữ ký hỏng"}
	case errors.Is(err, edxml.ErrUntrustedSigner):
		return &ImportError{"edxml_untrusted", "Chứng thư số ký gói tin edXML không thuộc tổ chức chứng thực được tin cậy hoặc đã hết hạn"}
	case errors.Is(err, edxml.ErrTooLarge):
		return &ImportError{"edxml_too_large", "Gói tin edXML quá lớn"}
	}
	return err
}

// importSlots bounds the edXML packages parsed at once by this instance.
var importSlots = make(chan struct{}, 2)

// ImportPackage takes an edXML package addressed to p's unit into its
// inbox: the sender becomes a unit (external when unknown), the document
// and its signed PDF are stored, and a delivery arrives (01). The same
// package imported twice is refused.
func (s *Service) ImportPackage(ctx context.Context, p auth.Principal, data []byte) (Delivery, error) {
	if !p.Has(auth.RoleClerk) {
		return Delivery{}, domain.ErrForbidden
	}
	// A package is parsed and its XML signature checked in this process,
	// holding a few times its size: a few at a time per instance, so a burst
	// of large packages queues instead of exhausting memory.
	select {
	case importSlots <- struct{}{}:
		defer func() { <-importSlots }()
	case <-ctx.Done():
		return Delivery{}, ctx.Err()
	}
	pkg, err := edxml.Parse(data, edxml.ParseOptions{MaxBytes: s.docs.MaxBytes() * 2})
	if err != nil {
		return Delivery{}, importError(err)
	}
	if err := pkg.VerifyChain(s.docs.Roots(), s.now()); err != nil {
		return Delivery{}, importError(err)
	}
	me, err := s.units(ctx, p.UnitID)
	if err != nil {
		return Delivery{}, err
	}
	addressed := false
	for _, to := range pkg.Header.To {
		addressed = addressed || to.OrganID == me.Code
	}
	if !addressed {
		return Delivery{}, &ImportError{"edxml_not_addressed", "Gói tin không gửi cho đơn vị của bạn (mã định danh " + me.Code + ")"}
	}
	pdf, rest := mainFile(pkg.Attachments)
	if pdf == nil {
		return Delivery{}, &ImportError{"edxml_no_pdf", "Gói tin không có tệp PDF văn bản"}
	}
	sender, err := s.senderUnit(ctx, pkg.Header.From, pkg.Header.Code.Notation)
	if err != nil {
		return Delivery{}, err
	}
	if sender.ID == p.UnitID {
		return Delivery{}, &ImportError{"edxml_own", "Gói tin do chính đơn vị của bạn gửi"}
	}
	up, err := s.docs.Spool(ctx, bytes.NewReader(pdf.Data), pdf.FileName)
	if err != nil {
		return Delivery{}, err
	}
	defer up.Close()
	h := pkg.Header
	m := documents.Meta{DocType: typeCode(h.DocumentType), Title: h.Subject, DocDate: h.PromulgationInfo.Date.In(domain.VietnamTime).Format(time.DateOnly),
		Urgency: urgencyOf(h.Priority), Confidentiality: "thuong", SignerName: h.SignerInfo.FullName}
	if n, err := strconv.Atoi(strings.TrimLeft(h.Code.Number, "0")); err == nil && n > 0 && h.Code.Notation != "" {
		m.Number, m.Symbol = strconv.Itoa(n), h.Code.Notation
	}
	var due *time.Time
	if !h.DueDate.IsZero() {
		t := h.DueDate.In(domain.VietnamTime)
		due = &t
	}
	steering := int(h.SteeringType)
	if steering < 1 || steering > 3 {
		steering = SteeringNone
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Delivery{}, err
	}
	defer tx.Rollback()
	docID, err := s.docs.ImportTx(ctx, tx, p, sender.ID, m, up)
	if err != nil {
		var ve *domain.ValidationError
		if errors.As(err, &ve) {
			return Delivery{}, &ImportError{"edxml_format", "Thông tin văn bản trong gói tin không hợp lệ: " + ve.Error()}
		}
		return Delivery{}, err
	}
	// The package's document id is the dispatch's key: a second import of
	// the same package finds it.
	var dispatchID int64
	err = tx.GetContext(ctx, &dispatchID, `
		INSERT INTO dispatches (document_id, sender_unit_id, kind, version_no, urgency, steering, due_date,
		                        idempotency_key, created_by)
		VALUES ($1, $2, 'import', 1, $3, $4, $5, $6, $7)
		ON CONFLICT (sender_unit_id, idempotency_key) DO NOTHING RETURNING id`,
		docID, sender.ID, m.Urgency, steering, due, h.DocumentID, p.UserID)
	if errors.Is(err, sql.ErrNoRows) {
		return Delivery{}, &ImportError{"edxml_duplicate", "Gói tin này đã được tiếp nhận trước đó"}
	}
	if err != nil {
		return Delivery{}, fmt.Errorf("routing: unable to record the import: %w", err)
	}
	// Every file of the package stays with the document (the first
	// signed PDF is its main file).
	if err := s.docs.ReceiveAttachmentsTx(ctx, tx, p, docID, rest); err != nil {
		var ve *domain.ValidationError
		if errors.As(err, &ve) {
			return Delivery{}, &ImportError{"edxml_attachments", "Tệp kèm theo trong gói tin không nhận được: " + ve.Error()}
		}
		return Delivery{}, err
	}
	var deliveryID int64
	err = tx.GetContext(ctx, &deliveryID, `
		INSERT INTO deliveries (dispatch_id, document_id, sender_unit_id, recipient_unit_id, urgency, due_date)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, dispatchID, docID, sender.ID, p.UnitID, m.Urgency, due)
	if err != nil {
		return Delivery{}, fmt.Errorf("routing: unable to deliver the import: %w", err)
	}
	err = audit.Append(ctx, tx, audit.Event{ActorID: p.UserID, ActorUnitID: p.UnitID, Action: "document.import",
		DocumentID: docID, DeliveryID: deliveryID, Details: map[string]any{"from": h.From.OrganID, "package_document_id": h.DocumentID,
			"signer": pkg.Chain[0].Subject.String()}})
	if err != nil {
		return Delivery{}, err
	}
	if err := tx.Commit(); err != nil {
		return Delivery{}, err
	}
	s.docs.VerifyNow(ctx, docID, 1)
	return s.delivery(ctx, p, deliveryID)
}

// senderUnit finds the unit with the package's sender code, or records it
// as an external unit.
func (s *Service) senderUnit(ctx context.Context, from edxml.Organisation, notation string) (org.Unit, error) {
	units := org.NewStore(s.db)
	u, err := units.GetByCode(ctx, from.OrganID)
	if err == nil {
		return u, nil
	}
	if !errors.Is(err, org.ErrNotFound) {
		return u, err
	}
	abbr := "NGOAI"
	if _, after, ok := strings.Cut(notation, "-"); ok && after != "" {
		abbr = after
	}
	return units.Create(ctx, org.Unit{Code: from.OrganID, Name: from.OrganName, Abbreviation: abbr, Kind: org.KindExternal})
}

// ExportStatus builds the signed status message of a delivery to p's unit,
// for the system that sent the document: its state now (or the answer to
// a recall).
func (s *Service) ExportStatus(ctx context.Context, p auth.Principal, deliveryID int64) ([]byte, error) {
	dl, err := s.delivery(ctx, p, deliveryID)
	if err != nil {
		return nil, err
	}
	if !p.Has(auth.RoleClerk) {
		return nil, domain.ErrForbidden
	}
	var ref struct {
		Key    *string `db:"idempotency_key"`
		Code   string  `db:"code"`
		Name   string  `db:"name"`
		Number *string `db:"number_symbol"`
		Date   time.Time
	}
	err = s.db.GetContext(ctx, &ref, `
		SELECT x.idempotency_key, su.code, su.name, d.number_symbol, d.doc_date AS "date"
		FROM dispatches x JOIN units su ON su.id = x.sender_unit_id JOIN documents d ON d.id = x.document_id
		WHERE x.id = $1`, dl.DispatchID)
	if err != nil {
		return nil, fmt.Errorf("routing: unable to read the dispatch: %w", err)
	}
	docRef := ref.Code + "/" + strconv.FormatInt(dl.DocumentID, 10)
	if ref.Key != nil && *ref.Key != "" {
		docRef = *ref.Key // the sender's own id, from its package
	}
	me, err := s.units(ctx, p.UnitID)
	if err != nil {
		return nil, err
	}
	code := dl.Status
	if dl.Recall != nil && *dl.Recall != RecallRequested {
		code = *dl.Recall
	}
	// A refusal carries its reason; any other state, its name.
	desc := StatusLabels[code]
	if code == Refused || code == RecallRefused {
		desc = dl.Reason
	}
	st := edxml.Status{From: edxml.Organisation{OrganID: me.Code, OrganName: me.Name},
		To:          edxml.Organisation{OrganID: ref.Code, OrganName: ref.Name},
		ResponseFor: edxml.ResponseFor{OrganID: ref.Code, Code: deref(ref.Number), PromulgationDate: ref.Date, DocumentID: docRef},
		StatusCode:  code, Description: desc, Timestamp: dl.StatusAt, Staff: edxml.StaffInfo{Staff: p.FullName, Department: me.Name}}
	key, release, err := s.docs.OrgKey(ctx, me.Code)
	if err != nil {
		return nil, err
	}
	defer release()
	out, err := edxml.BuildStatus(st, edxml.Signer(key))
	if err != nil {
		return nil, fmt.Errorf("routing: unable to build the status: %w", err)
	}
	return out, nil
}

// ImportStatus applies a status message from a recipient's system to the
// delivery of p's unit's document to that recipient.
func (s *Service) ImportStatus(ctx context.Context, p auth.Principal, data []byte) (Delivery, error) {
	if !p.Has(auth.RoleClerk) {
		return Delivery{}, domain.ErrForbidden
	}
	st, err := edxml.ParseStatus(data, edxml.ParseOptions{MaxBytes: 1 << 20})
	if err != nil {
		return Delivery{}, importError(err)
	}
	if err := st.VerifyChain(s.docs.Roots(), s.now()); err != nil {
		return Delivery{}, importError(err)
	}
	me, err := s.units(ctx, p.UnitID)
	if err != nil {
		return Delivery{}, err
	}
	code, idText, _ := strings.Cut(st.ResponseFor.DocumentID, "/")
	docID, err := strconv.ParseInt(idText, 10, 64)
	if st.ResponseFor.OrganID != me.Code || code != me.Code || err != nil {
		return Delivery{}, &ImportError{"edxml_not_ours", "Thông báo trạng thái không nói về văn bản do đơn vị của bạn gửi"}
	}
	var dl struct {
		ID     int64   `db:"id"`
		Status string  `db:"status"`
		Recall *string `db:"recall"`
	}
	err = s.db.GetContext(ctx, &dl, `
		SELECT dl.id, dl.status, dl.recall FROM deliveries dl JOIN units ru ON ru.id = dl.recipient_unit_id
		WHERE dl.document_id = $1 AND dl.sender_unit_id = $2 AND ru.code = $3`, docID, p.UnitID, st.From.OrganID)
	if errors.Is(err, sql.ErrNoRows) {
		return Delivery{}, &ImportError{"edxml_no_delivery", "Không có văn bản nào đã gửi tới đơn vị " + st.From.OrganID + " khớp với thông báo trạng thái"}
	}
	if err != nil {
		return Delivery{}, err
	}
	var set string
	args := []any{dl.ID, st.Description}
	switch code := st.StatusCode; {
	case code == Refused:
		set = `status = ` + lit(Refused) + `, reason = $2`
	case code == RecallAccepted:
		set = `recall = ` + lit(RecallAccepted) + `, removed = true`
	case code == RecallRefused:
		set = `recall = ` + lit(RecallRefused) + `, reason = $2`
	case isHandling(code):
		set = `status = $3, reason = ''`
		args = append(args, code)
	default:
		return Delivery{}, &ImportError{"edxml_format", "Mã trạng thái " + st.StatusCode + " không áp dụng cho thông báo từ nơi nhận"}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Delivery{}, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET status_at = now(), `+set+` WHERE id = $1 AND $2::text IS NOT NULL`, args...); err != nil {
		return Delivery{}, fmt.Errorf("routing: unable to apply the status: %w", err)
	}
	err = audit.Append(ctx, tx, audit.Event{ActorID: p.UserID, ActorUnitID: p.UnitID, Action: "delivery.edxml_status",
		DocumentID: docID, DeliveryID: dl.ID, Reason: st.Description,
		Details: map[string]any{"status": st.StatusCode, "from": st.From.OrganID, "staff": st.Staff.Staff, "at": st.Timestamp}})
	if err != nil {
		return Delivery{}, err
	}
	if err := tx.Commit(); err != nil {
		return Delivery{}, err
	}
	b, err := s.Deliveries(ctx, p, docID, BoardFilter{Limit: 5000})
	if err != nil {
		return Delivery{}, err
	}
	for _, d := range b.Items {
		if d.ID == dl.ID {
			return d, nil
		}
	}
	return Delivery{}, domain.ErrNotFound
}
