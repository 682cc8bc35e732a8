package documents

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
)

// Preview is what sign, seal or register would do now, without doing it:
// the confirmation a page shows and the answer to ?dry_run=1. It is a pure
// read: it takes no lock and changes nothing, so what it names may differ
// from what the action then does if someone acts in between (another
// clerk takes the next number, say); the action itself checks again.
type Preview struct {
	Action        string `json:"action"` // "sign", "seal" or "register"
	DocumentID    int64  `json:"document_id"`
	Title         string `json:"title"`
	Version       int    `json:"version"` // the version that would be signed
	VersionSHA256 string `json:"version_sha256"`
	// As is whose signature: the person (name and position) or the organisation.
	As string `json:"as"`
	// NumberSymbol is the number the document would carry, e.g. "01/KH-SGDĐT".
	NumberSymbol string `json:"number_symbol,omitempty"`
	Date         string `json:"date,omitempty"` // the issue date, YYYY-MM-DD, when registering
	CopyMark     bool   `json:"copy_mark,omitempty"`
	Attachments  int    `json:"attachments,omitempty"` // attachments sealed with it (registration)
	// Message names the consequence in one Vietnamese sentence.
	Message string `json:"message"`
}

// PreviewSign is what SignAsPerson would do for p on document id: the same
// checks, nothing signed.
func (s *Service) PreviewSign(ctx context.Context, p auth.Principal, id int64, sawSHA string) (Preview, error) {
	d, err := s.previewable(ctx, p, auth.RoleSigner, id, sawSHA)
	if err != nil {
		return Preview{}, err
	}
	v := d.Versions[0]
	as := p.FullName
	if p.Position != "" {
		as += " (" + p.Position + ")"
	}
	return Preview{Action: "sign", DocumentID: d.ID, Title: d.Title, Version: v.No, VersionSHA256: v.SHA256, As: as,
		Message: fmt.Sprintf("Ký số với tư cách %s vào phiên bản %d của văn bản «%s». Sau khi ký, văn bản chuyển văn thư cấp số; không sửa được nữa.",
			as, v.No, d.Title)}, nil
}

// PreviewSeal is what Seal would do: the organisation's signature naming
// the document's number, or, for a document without one, the register's
// next number, which a typed number must equal.
func (s *Service) PreviewSeal(ctx context.Context, p auth.Principal, id int64, req SealRequest) (Preview, error) {
	d, err := s.previewable(ctx, p, auth.RoleClerk, id, req.VersionSHA256)
	if err != nil {
		return Preview{}, err
	}
	if d.Number == nil {
		want, symbol, err := typedNumber(d, req)
		if err != nil {
			return Preview{}, err
		}
		pv, err := s.previewRegister(ctx, p, d, NumberRequest{DraftingUnit: draftingUnitOf(d, symbol)}, req.Copy)
		if err != nil {
			return Preview{}, err
		}
		if pv.NumberSymbol != formatNumber(want, symbol) {
			return Preview{}, &domain.ValidationError{Fields: map[string]string{"number": fmt.Sprintf(
				"số tiếp theo của sổ văn bản đi là %s; số văn bản được cấp liên tiếp, không bỏ qua, không dùng lại (Nghị định 30, Điều 15.1). Hãy dùng Đăng ký, cấp số", pv.NumberSymbol)}}
		}
		pv.Action = "seal"
		return pv, nil
	}
	if !req.Copy && !d.PersonSigned {
		return Preview{}, ErrNotSigned
	}
	unit, err := s.unitCode(ctx, d.UnitID)
	if err != nil {
		return Preview{}, err
	}
	v := d.Versions[0]
	what := "chữ ký số của cơ quan"
	if req.Copy {
		what = "chữ ký số của cơ quan dạng bản sao"
	}
	return Preview{Action: "seal", DocumentID: d.ID, Title: d.Title, Version: v.No, VersionSHA256: v.SHA256, As: unit.Name,
		NumberSymbol: *d.NumberSymbol, CopyMark: req.Copy,
		Message: fmt.Sprintf("Áp %s (%s) vào phiên bản %d của văn bản số %s «%s». Sau đó không ký thêm được.",
			what, unit.Name, v.No, *d.NumberSymbol, d.Title)}, nil
}

// PreviewRegister is what AssignNumber would do: which number and symbol
// the register would give now, the issue date, and whose signature.
func (s *Service) PreviewRegister(ctx context.Context, p auth.Principal, id int64, req NumberRequest) (Preview, error) {
	d, err := s.Get(ctx, p, id)
	if err != nil {
		return Preview{}, err
	}
	if err := registerPermission(p, d, d.SealKind != "", false).Err(); err != nil {
		return Preview{}, err
	}
	if err := s.previewVersion(d, req.VersionSHA256); err != nil {
		return Preview{}, err
	}
	return s.previewRegister(ctx, p, d, req, false)
}

func (s *Service) previewRegister(ctx context.Context, p auth.Principal, d Document, req NumberRequest, copyMark bool) (Preview, error) {
	if _, err := s.signingDeps(); err != nil {
		return Preview{}, err
	}
	if err := registerPermission(p, d, d.SealKind != "", copyMark).Err(); err != nil {
		return Preview{}, err
	}
	symbol, err := s.registerSymbol(ctx, d, req)
	if err != nil {
		return Preview{}, err
	}
	unit, err := s.unitCode(ctx, d.UnitID)
	if err != nil {
		return Preview{}, err
	}
	today := time.Now().In(domain.VietnamTime)
	var next int
	// A plain read: the counter's row is not locked, so a registration
	// under way is neither waited for nor held up.
	err = s.db.GetContext(ctx, &next, `
		SELECT coalesce((SELECT last_number FROM number_counters WHERE unit_id = $1 AND year = $2 AND series = $3), 0) + 1`,
		d.UnitID, today.Year(), SeriesOutgoing)
	if err != nil {
		return Preview{}, fmt.Errorf("documents: unable to read the series: %w", err)
	}
	v := d.Versions[0]
	ns := formatNumber(next, symbol)
	pv := Preview{Action: "register", DocumentID: d.ID, Title: d.Title, Version: v.No, VersionSHA256: v.SHA256, As: unit.Name,
		NumberSymbol: ns, Date: today.Format(time.DateOnly), CopyMark: copyMark,
		Message: fmt.Sprintf("Cấp số %s, ngày %s, vào sổ văn bản đi năm %d và áp chữ ký số của cơ quan (%s) vào phiên bản %d của văn bản «%s». Số đã cấp không thu lại được.",
			ns, today.Format("02/01/2006"), today.Year(), unit.Name, v.No, d.Title)}
	return pv, s.previewAttachments(ctx, &pv)
}

// previewable loads d and applies the checks the signature role's action
// applies before it reads the file.
func (s *Service) previewable(ctx context.Context, p auth.Principal, role string, id int64, sawSHA string) (Document, error) {
	if _, err := s.signingDeps(); err != nil {
		return Document{}, err
	}
	d, err := s.Get(ctx, p, id)
	if err != nil {
		return d, err
	}
	if err := signatureRule(p, d, role, d.SealKind != "").Err(); err != nil {
		return d, err
	}
	return d, s.previewVersion(d, sawSHA)
}

// previewVersion checks that sawSHA names d's latest version, as the
// actions do.
func (s *Service) previewVersion(d Document, sawSHA string) error {
	if len(d.Versions) == 0 {
		return &domain.PreconditionError{Code: "no_file", Message: "Văn bản không có tệp để ký"}
	}
	latest := d.Versions[0]
	if strings.TrimSpace(sawSHA) == "" {
		return &domain.ValidationError{Fields: map[string]string{"version_sha256": "cần SHA-256 của phiên bản bạn đã xem (để không ký nhầm phiên bản khác)"}}
	}
	if !strings.EqualFold(strings.TrimSpace(sawSHA), latest.SHA256) {
		return &ConflictError{Current: latest.SHA256}
	}
	if s.sign != nil && latest.Size > s.sign.MaxBytes {
		return fmt.Errorf("%w: %d bytes, signing takes at most %d", ErrTooLarge, latest.Size, s.sign.MaxBytes)
	}
	return nil
}

// draftingUnitOf is the drafting unit a letter's symbol names (SGDĐT-VP: VP).
func draftingUnitOf(d Document, symbol string) string {
	if d.DocType != "CV" {
		return ""
	}
	_, du, _ := strings.Cut(symbol, "-")
	return du
}
