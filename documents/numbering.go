package documents

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/jmoiron/sqlx"
	"golang.org/x/text/unicode/norm"
)

// NumberRequest asks the clerk's unit to give a document its number and
// enter it in the register book.
type NumberRequest struct {
	VersionSHA256 string // the version the clerk saw (not needed for secret documents)
	// DraftingUnit is the abbreviation of the drafting office, needed for a
	// letter (công văn), whose symbol is <organisation>-<drafting unit>,
	// as in SGDĐT-VP.
	DraftingUnit string
	Copies       int    // paper copies made, for the register (default 1)
	FileUnit     string // unit or person keeping the file copy
	Notes        string
	OTP          string // the clerk's second factor (auth.Service.StepUp)
}

// Series of numbers: ordinary documents and secret ones are numbered apart
// (Decree 30/2020 art. 15); incoming documents have their own per unit.
const (
	SeriesOutgoing = "outgoing"
	SeriesSecret   = "secret"
	SeriesIncoming = "incoming"
)

// compiled on first use: the Unicode classes cost 0.3 ms at every start
var abbrRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\p{L}\p{N}&.]{1,20}$`) })

// AssignNumber gives the document the next number of its unit's series for
// the year and applies the organisation's signature naming that number.
// The number is taken under a lock on the series and only kept if
// everything commits: concurrent registrations never share a number and a
// failed one leaves no gap (Decree 30/2020 art. 15.1, 15.3). The document's
// row is locked first, so that of two clerks registering it at once the
// second is told it has its number. (Secret documents never enter as
// files; see AssignSecretNumber.)
func (s *Service) AssignNumber(ctx context.Context, p auth.Principal, id int64, req NumberRequest) (Document, error) {
	d, err := s.Get(ctx, p, id)
	if err != nil {
		return d, err
	}
	if err := registerPermission(p, d, d.SealKind != "", false).Err(); err != nil {
		return d, err
	}
	symbol, err := s.registerSymbol(ctx, d, req)
	if err != nil {
		return d, err
	}
	deps, d, in, err := s.latestForSigning(ctx, p, auth.RoleClerk, id, req.VersionSHA256)
	if err != nil {
		return d, s.raced(ctx, p, id, err)
	}
	if err := s.stepUp(ctx, p, req.OTP); err != nil {
		return d, err
	}
	d, err = s.register(ctx, p, deps, d, in, symbol, 0, req, false)
	return d, s.raced(ctx, p, id, err)
}

// raced replaces the error of a registration that lost a race with
// another clerk's registration of the same document (a newer version, the
// organisation's signature already there) by the message that says so.
func (s *Service) raced(ctx context.Context, p auth.Principal, id int64, err error) error {
	var ce *ConflictError
	if err == nil || !(errors.As(err, &ce) || errors.Is(err, errSealed)) {
		return err
	}
	d, gerr := s.Get(ctx, p, id)
	if gerr != nil || d.NumberSymbol == nil {
		return err
	}
	return errJustNumbered(*d.NumberSymbol)
}

// registerSymbol checks the request and returns the symbol the document
// will carry.
func (s *Service) registerSymbol(ctx context.Context, d Document, req NumberRequest) (string, error) {
	if req.Copies < 0 || req.Copies > 1000 {
		return "", &domain.ValidationError{Fields: map[string]string{"copies": "số bản phải từ 0 đến 1000"}}
	}
	unit, err := s.unitCode(ctx, d.UnitID)
	if err != nil {
		return "", err
	}
	du := req.DraftingUnit
	if d.DocType == "CV" && strings.TrimSpace(du) == "" {
		du = s.printedDraftingUnit(ctx, d, unit.Abbreviation)
	}
	return symbolFor(d.DocType, unit.Abbreviation, du)
}

// printedDraftingUnit is the drafting unit a công văn's latest version
// already prints after its blank number ("Số:      /SGDĐT-VP", as the
// templates write it), or "" when it prints none the clerk need not type.
func (s *Service) printedDraftingUnit(ctx context.Context, d Document, orgAbbr string) string {
	if len(d.Versions) == 0 || d.Versions[0].Size > s.maxBytes {
		return ""
	}
	in, err := s.ReadVersion(ctx, d.Versions[0])
	if err != nil {
		return ""
	}
	l, err := readIssueLayout(in)
	if err != nil {
		return ""
	}
	du, ok := strings.CutPrefix(norm.NFC.String(l.symbol), norm.NFC.String(orgAbbr)+"-")
	if !ok || !abbrRE().MatchString(du) {
		return ""
	}
	return du
}

// registerTyped numbers d, whose latest version in is already read and
// checked for p, with the number the clerk typed when sealing: accepted
// only when it is the next of the series, and then the same as taking the
// next (numbers are never skipped nor reused, art. 15.1).
func (s *Service) registerTyped(ctx context.Context, p auth.Principal, deps *SigningDeps, d Document, in []byte, req SealRequest) (Document, error) {
	if err := registerPermission(p, d, d.SealKind != "", req.Copy).Err(); err != nil {
		return d, err
	}
	want, symbol, err := typedNumber(d, req)
	if err != nil {
		return d, err
	}
	nr := NumberRequest{DraftingUnit: draftingUnitOf(d, symbol)}
	own, err := s.registerSymbol(ctx, d, nr)
	if err != nil || own != symbol {
		return d, &domain.ValidationError{Fields: map[string]string{"symbol": "ký hiệu của văn bản đi do hệ thống ghép theo loại văn bản và cơ quan (" + symbolHint(d.DocType, own) + "); hãy dùng Đăng ký, cấp số"}}
	}
	if err := s.stepUp(ctx, p, req.OTP); err != nil {
		return d, err
	}
	return s.register(ctx, p, deps, d, in, symbol, want, nr, req.Copy)
}

func symbolHint(docType, own string) string {
	if own != "" {
		return own
	}
	if docType == "CV" {
		return "<cơ quan>-<đơn vị soạn thảo>"
	}
	return docType + "-<cơ quan>"
}

// typedNumber reads the number and symbol a clerk typed when sealing.
func typedNumber(d Document, req SealRequest) (int, string, error) {
	m := Meta{DocType: d.DocType, Title: d.Title, DocDate: d.Date(), Number: req.Number, Symbol: req.Symbol}
	pm, err := m.validate(time.Now())
	if err != nil {
		return 0, "", err
	}
	if pm.number == nil {
		return 0, "", &domain.ValidationError{Fields: map[string]string{"number": "văn bản chưa có số: hãy dùng Đăng ký, cấp số để hệ thống cấp số tiếp theo của sổ"}}
	}
	return *pm.number, *pm.symbol, nil
}

// register takes the next number of d's unit for the year (want, when not
// 0, must be that number), dates d, applies the organisation's signature
// naming the number and records the registration, in one transaction.
func (s *Service) register(ctx context.Context, p auth.Principal, deps *SigningDeps, d Document, in []byte, symbol string, want int, req NumberRequest, copyMark bool) (Document, error) {
	// All the seal needs but the number, before NextNumber locks the counter.
	prep, err := s.prepareSeal(ctx, deps, d, copyMark)
	if err != nil {
		return d, err
	}
	prepared := true
	defer func() {
		if prepared {
			prep.release()
		}
	}()
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return d, fmt.Errorf("documents: unable to begin: %w", err)
	}
	defer tx.Rollback()
	if err := lockUnnumbered(ctx, tx, d.ID); err != nil {
		return d, err
	}
	today := time.Now().In(domain.VietnamTime)
	// The document's date is the day it is registered and signed (its row
	// is locked already; the counter is locked from NextNumber on).
	if _, err := tx.ExecContext(ctx, `UPDATE documents SET doc_date = $2 WHERE id = $1`, d.ID, today.Format(time.DateOnly)); err != nil {
		return d, fmt.Errorf("documents: unable to date the document: %w", err)
	}
	number, err := NextNumber(ctx, tx, d.UnitID, today.Year(), SeriesOutgoing)
	if err != nil {
		return d, err
	}
	if want != 0 && want != number {
		// Rolling back leaves the series as it was.
		return d, &domain.ValidationError{Fields: map[string]string{"number": fmt.Sprintf(
			"số tiếp theo của sổ văn bản đi năm %d là %s; số văn bản được cấp liên tiếp, không bỏ qua, không dùng lại (Nghị định 30, Điều 15.1). Hãy dùng Đăng ký, cấp số",
			today.Year(), formatNumber(number, symbol))}}
	}
	out, sig, key, release, err := s.sealPrepared(ctx, deps, prep, in, number, symbol)
	prepared = false // sealPrepared released it, or returned release
	if err != nil {
		return d, err
	}
	defer release()
	if err := s.addSignedVersionTx(ctx, tx, p, d, out, sig, key, "registered", &number, &symbol); err != nil {
		return d, err
	}
	if err := s.sealAttachmentsTx(ctx, tx, p, deps, d, number, symbol); err != nil {
		return d, err
	}
	if err := s.recordRegistration(ctx, tx, p, d.ID, d.UnitID, today.Year(), SeriesOutgoing, number, symbol, req); err != nil {
		return d, err
	}
	if err := tx.Commit(); err != nil {
		return d, fmt.Errorf("documents: unable to commit: %w", err)
	}
	return s.issued(ctx, p, d.ID, sig)
}

// lockUnnumbered locks the document's row until tx ends and refuses it if
// it has its number by now (another clerk registered it meanwhile) or was
// recalled.
func lockUnnumbered(ctx context.Context, tx *sqlx.Tx, id int64) error {
	var row struct {
		NumberSymbol *string `db:"number_symbol"`
		Status       string  `db:"status"`
	}
	if err := tx.GetContext(ctx, &row, `SELECT number_symbol, status FROM documents WHERE id = $1 FOR UPDATE`, id); err != nil {
		return fmt.Errorf("documents: unable to lock the document: %w", err)
	}
	if row.Status == "recalled" {
		return ErrRecalled
	}
	if row.NumberSymbol != nil {
		return errJustNumbered(*row.NumberSymbol)
	}
	return nil
}

func errJustNumbered(ns string) error {
	return &domain.PreconditionError{Code: "already_numbered", Message: "Văn bản vừa được cấp số " + ns +
		" (có thể văn thư khác đã đăng ký cùng lúc); không cấp số lại được. Hãy tải lại trang"}
}

// AssignSecretNumber gives a secret document (Mật, Tối mật, Tuyệt mật) its
// number from the unit's secret series and records it for the register.
// Its file never enters the system: the record holds the metadata only,
// and nothing can be signed, issued or relayed from it.
func (s *Service) AssignSecretNumber(ctx context.Context, p auth.Principal, m Meta, req NumberRequest) (Document, error) {
	if !p.Has(auth.RoleClerk) {
		return Document{}, domain.ErrForbidden
	}
	level := strings.TrimSpace(m.Confidentiality)
	bad := map[string]string{}
	if !IsSecret(level) {
		bad["confidentiality"] = "sổ văn bản mật chỉ dành cho văn bản Mật, Tối mật, Tuyệt mật (mat, toi_mat, tuyet_mat)"
	}
	if m.Number != "" || m.Symbol != "" {
		bad["number"] = "số do hệ thống cấp theo sổ văn bản mật; để trống"
	}
	today := time.Now().In(domain.VietnamTime)
	if strings.TrimSpace(m.DocDate) == "" {
		m.DocDate = today.Format(time.DateOnly)
	}
	m.Confidentiality = "thuong" // the check for secret levels is the point of this path
	pm, err := m.validate(today)
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		for k, v := range ve.Fields {
			bad[k] = v
		}
	}
	if req.Copies < 0 || req.Copies > 1000 {
		bad["copies"] = "số bản phải từ 0 đến 1000"
	}
	unit, err := s.unitCode(ctx, p.UnitID)
	if err != nil {
		return Document{}, err
	}
	symbol, err := symbolFor(pm.DocType, unit.Abbreviation, req.DraftingUnit)
	if errors.As(err, &ve) {
		for k, v := range ve.Fields {
			bad[k] = v
		}
	}
	if len(bad) > 0 {
		return Document{}, &domain.ValidationError{Fields: bad}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Document{}, fmt.Errorf("documents: unable to begin: %w", err)
	}
	defer tx.Rollback()
	number, err := NextNumber(ctx, tx, p.UnitID, today.Year(), SeriesSecret)
	if err != nil {
		return Document{}, err
	}
	var id int64
	err = tx.GetContext(ctx, &id, `
		INSERT INTO documents (unit_id, doc_type, number, symbol, title, doc_date, urgency,
		                       confidentiality, status, signer_name, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'registered', $9, $10)
		RETURNING id`,
		p.UnitID, pm.DocType, number, symbol, pm.Title, pm.date.Format(time.DateOnly), pm.Urgency, level, pm.SignerName, p.UserID)
	if err != nil {
		return Document{}, fmt.Errorf("documents: unable to record the secret document: %w", err)
	}
	if err := s.recordRegistration(ctx, tx, p, id, p.UnitID, today.Year(), SeriesSecret, number, symbol, req); err != nil {
		return Document{}, err
	}
	if err := tx.Commit(); err != nil {
		return Document{}, fmt.Errorf("documents: unable to commit: %w", err)
	}
	return s.Get(ctx, p, id)
}

// symbolFor is the symbol of a document of docType from an organisation:
// <type>-<organisation>, or for a letter <organisation>-<drafting unit>.
func symbolFor(docType, orgAbbr, draftingUnit string) (string, error) {
	if docType != "CV" {
		return docType + "-" + orgAbbr, nil
	}
	du := strings.TrimSpace(draftingUnit)
	if !abbrRE().MatchString(du) {
		return "", &domain.ValidationError{Fields: map[string]string{"drafting_unit": "công văn cần chữ viết tắt của đơn vị soạn thảo (ví dụ VP), không dấu cách"}}
	}
	return orgAbbr + "-" + du, nil
}

func (s *Service) recordRegistration(ctx context.Context, tx *sqlx.Tx, p auth.Principal, docID, unitID int64, year int, series string, number int, symbol string, req NumberRequest) error {
	if req.Copies == 0 {
		req.Copies = 1
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO registrations (unit_id, year, series, number, document_id, copies, file_unit, notes, registered_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		unitID, year, series, number, docID, req.Copies, strings.TrimSpace(req.FileUnit), strings.TrimSpace(req.Notes), p.UserID)
	if err != nil {
		return fmt.Errorf("documents: unable to record the registration: %w", err)
	}
	return audit.Append(ctx, tx, audit.Event{ActorID: p.UserID, ActorUnitID: p.UnitID, Action: "document.register",
		DocumentID: docID, Details: map[string]any{"number": formatNumber(number, symbol), "series": series, "year": year}})
}

// NextNumber takes the next number of a unit's series for the year inside
// tx, locking the series until tx ends.
func NextNumber(ctx context.Context, tx *sqlx.Tx, unitID int64, year int, series string) (int, error) {
	var n int
	err := tx.GetContext(ctx, &n, `
		INSERT INTO number_counters AS c (unit_id, year, series, last_number) VALUES ($1, $2, $3, 1)
		ON CONFLICT (unit_id, year, series) DO UPDATE SET last_number = c.last_number + 1
		RETURNING last_number`, unitID, year, series)
	if err != nil {
		return 0, fmt.Errorf("documents: unable to take a number: %w", err)
	}
	return n, nil
}
