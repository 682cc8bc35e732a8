package routing

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/org"
	"golang.org/x/text/unicode/norm"
)

// PaperArrival is a paper document that arrived by post, as its scan's
// metadata is typed by the receiving unit's clerk (Decree 30/2020 art.
// 22.3.b): the issuing body as printed, and the document's type, number
// and symbol, date, summary, urgency, and deadline if it sets one.
type PaperArrival struct {
	From string // the issuing body's name
	documents.Meta
	Due string // YYYY-MM-DD, or empty
}

// ReceivePaper records the scan up of a paper document p's unit received
// as a document of origin received_paper, delivered into the unit's own
// inbox (a dispatch of kind import, as an edXML package): its clerk
// accepts it (the incoming number) and it is handled as any incoming
// document. Its text is read by OCR in the background.
func (s *Service) ReceivePaper(ctx context.Context, p auth.Principal, a PaperArrival, up *documents.Upload) (Delivery, error) {
	if !p.Has(auth.RoleClerk) {
		return Delivery{}, domain.ErrForbidden
	}
	bad := map[string]string{}
	from := strings.Join(strings.Fields(norm.NFC.String(a.From)), " ")
	switch n := utf8.RuneCountInString(from); {
	case n == 0:
		bad["from"] = "cần tên cơ quan, tổ chức ban hành (như in trên văn bản)"
	case n > 300:
		bad["from"] = "tên cơ quan ban hành dài tối đa 300 ký tự"
	}
	var due *time.Time
	if strings.TrimSpace(a.Due) != "" {
		d, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(a.Due), domain.VietnamTime)
		if err != nil {
			bad["due_date"] = "hạn xử lý không hợp lệ; dùng dạng YYYY-MM-DD"
		} else {
			due = &d
		}
	}
	if len(bad) > 0 {
		return Delivery{}, &domain.ValidationError{Fields: bad}
	}
	sender, err := s.paperSender(ctx, from)
	if err != nil {
		return Delivery{}, err
	}
	if sender.ID == p.UnitID {
		return Delivery{}, &domain.ValidationError{Fields: map[string]string{"from": "văn bản của chính đơn vị bạn không tiếp nhận như văn bản đến"}}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Delivery{}, err
	}
	defer tx.Rollback()
	docID, err := s.docs.ReceivePaperTx(ctx, tx, p, sender.ID, a.Meta, up)
	if err != nil {
		return Delivery{}, err
	}
	urgency := a.Urgency
	if urgency == "" {
		urgency = "thuong"
	}
	var dispatchID int64
	err = tx.GetContext(ctx, &dispatchID, `
		INSERT INTO dispatches (document_id, sender_unit_id, kind, version_no, urgency, steering, due_date, note, created_by)
		VALUES ($1, $2, 'import', 1, $3, $4, $5, 'văn bản giấy', $6) RETURNING id`,
		docID, sender.ID, urgency, SteeringNone, due, p.UserID)
	if err != nil {
		return Delivery{}, fmt.Errorf("routing: unable to record the paper arrival: %w", err)
	}
	var deliveryID int64
	err = tx.GetContext(ctx, &deliveryID, `
		INSERT INTO deliveries (dispatch_id, document_id, sender_unit_id, recipient_unit_id, urgency, due_date)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, dispatchID, docID, sender.ID, p.UnitID, urgency, due)
	if err != nil {
		return Delivery{}, fmt.Errorf("routing: unable to deliver the paper arrival: %w", err)
	}
	err = audit.Append(ctx, tx, audit.Event{ActorID: p.UserID, ActorUnitID: p.UnitID, Action: "document.receive_paper",
		DocumentID: docID, DeliveryID: deliveryID, Details: map[string]any{"from": from, "file_name": up.FileName, "sha256": up.SHA256}})
	if err != nil {
		return Delivery{}, err
	}
	if err := tx.Commit(); err != nil {
		return Delivery{}, err
	}
	return s.delivery(ctx, p, deliveryID)
}

// paperSender finds the unit named from (an external one first), or
// records it as an external unit: a body known only by its printed name
// gets a code of its own, made from the name, in the identifier format.
func (s *Service) paperSender(ctx context.Context, from string) (org.Unit, error) {
	var id int64
	err := s.db.GetContext(ctx, &id, `SELECT id FROM units WHERE lower(name) = lower($1) ORDER BY kind = 'external' DESC, id LIMIT 1`, from)
	units := org.NewStore(s.db)
	if err == nil {
		return units.Get(ctx, id)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return org.Unit{}, fmt.Errorf("routing: unable to find the issuing body: %w", err)
	}
	h := fmt.Sprintf("%X", sha256.Sum256([]byte(strings.ToLower(from))))
	code := fmt.Sprintf("GY.%s.%s.%s.P%02d", h[0:3], h[3:6], h[6:9], int(h[9])%100)
	u, err := units.Create(ctx, org.Unit{Code: code, Name: from, Abbreviation: abbreviation(from), Kind: org.KindExternal})
	if err != nil {
		// Another clerk recorded it meanwhile.
		if again, gerr := units.GetByCode(ctx, code); gerr == nil {
			return again, nil
		}
	}
	return u, err
}

// abbreviation is the initials of a body's name, "NGOAI" when it has none.
func abbreviation(name string) string {
	var b strings.Builder
	for _, w := range strings.Fields(name) {
		r, _ := utf8.DecodeRuneInString(w)
		if r != utf8.RuneError && (r >= 'A' && r <= 'Z' || r >= 0x80 && strings.ToUpper(string(r)) == string(r)) {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "NGOAI"
	}
	return b.String()
}
