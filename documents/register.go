package documents

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/jmoiron/sqlx"
)

// RegisterRequest asks the clerk's unit to give a document its number.
type RegisterRequest struct {
	VersionSHA256 string // the version the clerk saw (not needed for secret documents)
	// DraftingUnit is the abbreviation of the drafting office, needed for a
	// letter (công văn), whose symbol is <organisation>-<drafting unit>,
	// as in SGDĐT-VP.
	DraftingUnit string
	Copies       int    // paper copies made, for the register (default 1)
	FileUnit     string // unit or person keeping the file copy
	Notes        string
}

// Series of numbers: ordinary documents and secret ones are numbered apart
// (Decree 30/2020 art. 15); incoming documents have their own per unit.
const (
	SeriesOutgoing = "outgoing"
	SeriesSecret   = "secret"
	SeriesIncoming = "incoming"
)

var abbrRE = regexp.MustCompile(`^[\p{L}\p{N}&.]{1,20}$`)

// Register gives the document the next number of its unit's series for
// the year and applies the organisation's signature naming that number.
// The number is taken under a lock on the series and only kept if
// everything commits: concurrent registrations never share a number and a
// failed one leaves no gap. (Secret documents never enter as files; see
// RegisterSecret.)
func (s *Service) Register(ctx context.Context, p auth.Principal, id int64, req RegisterRequest) (Document, error) {
	d, err := s.Get(ctx, p, id)
	if err != nil {
		return d, err
	}
	if err := registerRule(p, d).Err(); err != nil {
		return d, err
	}
	if req.Copies < 0 || req.Copies > 1000 {
		return d, &domain.ValidationError{Fields: map[string]string{"copies": "số bản phải từ 0 đến 1000"}}
	}
	unit, err := s.unitCode(ctx, d.UnitID)
	if err != nil {
		return d, err
	}
	symbol, err := symbolFor(d.DocType, unit.Abbreviation, req.DraftingUnit)
	if err != nil {
		return d, err
	}
	deps, d, in, err := s.latestForSigning(ctx, p, auth.RoleClerk, id, req.VersionSHA256)
	if err != nil {
		return d, err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return d, fmt.Errorf("documents: unable to begin: %w", err)
	}
	defer tx.Rollback()
	today := time.Now().In(domain.VietnamTime)
	number, err := NextNumber(ctx, tx, d.UnitID, today.Year(), SeriesOutgoing)
	if err != nil {
		return d, err
	}
	// The document's date is the day it is registered and signed.
	if _, err := tx.ExecContext(ctx, `UPDATE documents SET doc_date = $2 WHERE id = $1`, d.ID, today.Format(time.DateOnly)); err != nil {
		return d, fmt.Errorf("documents: unable to date the document: %w", err)
	}
	out, sig, key, release, err := s.sealBytes(ctx, deps, d, in, number, symbol, false)
	if err != nil {
		return d, err
	}
	defer release()
	if err := s.addSignedVersionTx(ctx, tx, p, d, out, sig, key, "registered", &number, &symbol); err != nil {
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

// RegisterSecret gives a secret document (Mật, Tối mật, Tuyệt mật) its
// number from the unit's secret series and records it for the register.
// Its file never enters the system: the record holds the metadata only,
// and nothing can be signed, issued or relayed from it.
func (s *Service) RegisterSecret(ctx context.Context, p auth.Principal, m Meta, req RegisterRequest) (Document, error) {
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
	if !abbrRE.MatchString(du) {
		return "", &domain.ValidationError{Fields: map[string]string{"drafting_unit": "công văn cần chữ viết tắt của đơn vị soạn thảo (ví dụ VP), không dấu cách"}}
	}
	return orgAbbr + "-" + du, nil
}

func (s *Service) recordRegistration(ctx context.Context, tx *sqlx.Tx, p auth.Principal, docID, unitID int64, year int, series string, number int, symbol string, req RegisterRequest) error {
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
