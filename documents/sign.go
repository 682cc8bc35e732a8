package documents

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/digitorus/pdf"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/storage"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// ConflictError is returned when a request names a version that is no
// longer the latest: the user signs the version they saw, or nothing.
type ConflictError struct{ Current string }

func (e *ConflictError) Error() string {
	return "documents: the document has a newer version (" + e.Current + ")"
}

// errSealed: the organisation's signature closes a document; nothing is
// signed after it.
var errSealed = &domain.PreconditionError{Code: "already_sealed", Message: "Văn bản đã có chữ ký số của cơ quan; không ký thêm được. Nếu cần sửa, hãy ban hành văn bản thay thế hoặc đính chính"}

// Sealed reports whether the organisation's signature (or a copy mark)
// has been applied to the document.
func (s *Service) Sealed(ctx context.Context, id int64) (bool, error) {
	var sealed bool
	err := s.db.GetContext(ctx, &sealed, `SELECT EXISTS (SELECT 1 FROM document_signatures WHERE document_id = $1 AND kind <> 'person')`, id)
	if err != nil {
		return false, fmt.Errorf("documents: unable to check signatures: %w", err)
	}
	return sealed, nil
}

// SigningDeps are what signing and verification need.
type SigningDeps struct {
	Keys     signing.Keys
	Roots    *x509.CertPool
	TSA      *signing.TSA // nil: PAdES B-B
	MaxBytes int64
	// Now is the clock the seal's printed time comes from (time.Now when nil).
	Now func() time.Time
}

// EnableSigning turns on signing and verification.
func (s *Service) EnableSigning(d SigningDeps) { s.sign = &d }

// OrgKey returns the organisation key of the unit with code, for signing
// what the unit sends (edXML packages and status messages); the caller
// calls release when done.
func (s *Service) OrgKey(ctx context.Context, unitCode string) (signing.Key, func(), error) {
	deps, err := s.signingDeps()
	if err != nil {
		return signing.Key{}, func() {}, err
	}
	k, release, err := deps.Keys.OrgKey(ctx, unitCode)
	if err != nil {
		return k, func() {}, keyError(err)
	}
	return k, release, nil
}

// Roots are the trust anchors verification uses (nil when signing is off).
func (s *Service) Roots() *x509.CertPool {
	if s.sign == nil {
		return nil
	}
	return s.sign.Roots
}

// SigningEnabled reports whether signing and verification are configured.
func (s *Service) SigningEnabled() bool { return s.sign != nil }

func (s *Service) signingDeps() (*SigningDeps, error) {
	if s.sign == nil {
		return nil, &domain.PreconditionError{Code: "signing_disabled", Message: "Chức năng ký số chưa được cấu hình trên máy chủ này"}
	}
	return s.sign, nil
}

// SignRequest asks for the competent person's signature on the latest version.
type SignRequest struct {
	VersionSHA256 string      // the version the signer saw
	Page          int         // 1-based; 0: the last page
	Rect          *[4]float64 // llx, lly, urx, ury; nil: the signer block at the bottom right
	Reason        string
}

// SealRequest asks for the organisation's signature, applied by the clerk.
type SealRequest struct {
	VersionSHA256 string
	Number        string // needed when the document has no number yet
	Symbol        string
	// Copy marks an attachment or an electronic copy: the organisation's
	// signature without image, as text at the top right of page 1.
	Copy bool
}

// Signature is a signature applied through the service.
type Signature struct {
	ID         int64     `db:"id" json:"-"`
	VersionNo  int       `db:"version_no" json:"version"`
	Kind       string    `db:"kind" json:"kind"`
	SignedBy   int64     `db:"signed_by" json:"signed_by"`
	SignerName string    `db:"signer_name" json:"signer_name"`
	Page       int       `db:"page" json:"page"`
	Subject    string    `db:"certificate_subject" json:"certificate_subject"`
	Serial     string    `db:"certificate_serial" json:"certificate_serial"`
	SignedAt   time.Time `db:"signed_at" json:"signed_at"`
	LLX        float64   `db:"llx" json:"-"`
	LLY        float64   `db:"lly" json:"-"`
	URX        float64   `db:"urx" json:"-"`
	URY        float64   `db:"ury" json:"-"`
	ImageX     *float64  `db:"image_x" json:"-"`
	ImageY     *float64  `db:"image_y" json:"-"`
	ImageW     *float64  `db:"image_w" json:"-"`
	ImageH     *float64  `db:"image_h" json:"-"`
}

// Signatures lists the signatures applied to a document, oldest first.
func (s *Service) Signatures(ctx context.Context, p auth.Principal, id int64) ([]Signature, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return nil, err
	}
	return s.signatures(ctx, id)
}

func (s *Service) signatures(ctx context.Context, id int64) ([]Signature, error) {
	out := []Signature{}
	err := s.db.SelectContext(ctx, &out, `
		SELECT g.id, g.version_no, g.kind, g.signed_by, u.full_name AS signer_name, g.page,
		       g.certificate_subject, g.certificate_serial, g.signed_at, g.llx, g.lly, g.urx, g.ury,
		       g.image_x, g.image_y, g.image_w, g.image_h
		FROM document_signatures g JOIN users u ON u.id = g.signed_by
		WHERE g.document_id = $1 ORDER BY g.version_no, g.id`, id)
	if err != nil {
		return nil, fmt.Errorf("documents: unable to fetch signatures: %w", err)
	}
	return out, nil
}

// latestForSigning loads the document, checks that it is the unit's own,
// that p holds role, that it is not sealed yet and that p saw its latest
// version, and reads that version's bytes. A document p may not see is domain.ErrNotFound, whatever the role.
func (s *Service) latestForSigning(ctx context.Context, p auth.Principal, role string, id int64, sawSHA string) (*SigningDeps, Document, []byte, error) {
	deps, err := s.signingDeps()
	if err != nil {
		return nil, Document{}, nil, err
	}
	d, in, err := s.readLatest(ctx, p, role, id, sawSHA, deps.MaxBytes)
	return deps, d, in, err
}

func (s *Service) readLatest(ctx context.Context, p auth.Principal, role string, id int64, sawSHA string, max int64) (Document, []byte, error) {
	d, err := s.Get(ctx, p, id)
	if err != nil {
		return d, nil, err
	}
	if d.UnitID != p.UnitID || !p.Has(role) {
		return d, nil, domain.ErrForbidden
	}
	if sealed, err := s.Sealed(ctx, d.ID); err != nil {
		return d, nil, err
	} else if sealed {
		return d, nil, errSealed
	}
	if IsSecret(d.Confidentiality) {
		return d, nil, &domain.PreconditionError{Code: "secret", Message: "Văn bản mật không được ký số hay gửi qua hệ thống này"}
	}
	latest := d.Versions[0]
	if strings.TrimSpace(sawSHA) == "" {
		return d, nil, &domain.ValidationError{Fields: map[string]string{"version_sha256": "cần SHA-256 của phiên bản bạn đã xem (để không ký nhầm phiên bản khác)"}}
	}
	if !strings.EqualFold(strings.TrimSpace(sawSHA), latest.SHA256) {
		return d, nil, &ConflictError{Current: latest.SHA256}
	}
	if latest.Size > max {
		return d, nil, fmt.Errorf("%w: %d bytes, signing takes at most %d", ErrTooLarge, latest.Size, max)
	}
	rc, err := s.Open(ctx, latest, 0, -1)
	if err != nil {
		return d, nil, err
	}
	defer rc.Close()
	in, err := io.ReadAll(rc)
	if err != nil {
		return d, nil, fmt.Errorf("documents: unable to read version %d: %w", latest.No, err)
	}
	if sum := sha256.Sum256(in); hex.EncodeToString(sum[:]) != latest.SHA256 {
		return d, nil, fmt.Errorf("documents: stored bytes of document %d version %d do not match their SHA-256", id, latest.No)
	}
	return d, in, nil
}

// SignAsPerson adds the competent person's signature: their handwritten
// signature image with position and name, at the signer block.
func (s *Service) SignAsPerson(ctx context.Context, p auth.Principal, id int64, req SignRequest) (Document, error) {
	deps, d, in, err := s.latestForSigning(ctx, p, auth.RoleSigner, id, req.VersionSHA256)
	if err != nil {
		return d, err
	}
	img, err := s.image(ctx, "signature", p.UserID, 0)
	if err != nil {
		return d, err
	}
	page, rect, app, inner, err := personPlacement(in, req, img, p)
	if err != nil {
		return d, err
	}
	return s.signPerson(ctx, deps, p, d, in, req.Reason, "Ký ban hành văn bản", page, rect, app, inner)
}

// signPerson applies p's person signature with its appearance app at rect
// on page, inner being where the handwritten image lies within it, and
// stores the result as the next version.
func (s *Service) signPerson(ctx context.Context, deps *SigningDeps, p auth.Principal, d Document, in []byte, reason, defaultReason string,
	page int, rect [4]float64, app []byte, inner signing.Rect) (Document, error) {
	key, release, err := deps.Keys.PersonKey(ctx, p.Username)
	if err != nil {
		return d, keyError(err)
	}
	defer release()
	if reason = strings.TrimSpace(reason); reason == "" {
		reason = defaultReason
	}
	out, err := signing.Sign(ctx, in, signing.Options{Key: key, Name: p.FullName, Reason: reason,
		Location: p.UnitName, Appearance: &signing.Appearance{Page: page, Rect: rect, PNG: app},
		TSA: deps.TSA, MaxBytes: deps.MaxBytes})
	if err != nil {
		return d, err
	}
	sig := Signature{Kind: "person", Page: page, LLX: rect[0], LLY: rect[1], URX: rect[2], URY: rect[3],
		ImageX: &inner.X, ImageY: &inner.Y, ImageW: &inner.W, ImageH: &inner.H}
	return s.addSignedVersion(ctx, p, d, out, sig, key, "signed", nil, nil)
}

// Seal adds the organisation's signature, applied by the clerk who
// registers the number: the red seal over the left third of the person's
// signature, with the organisation's name and the time; or, for a copy or
// an attachment, the text mark at the top right of page 1.
func (s *Service) Seal(ctx context.Context, p auth.Principal, id int64, req SealRequest) (Document, error) {
	deps, d, in, err := s.latestForSigning(ctx, p, auth.RoleClerk, id, req.VersionSHA256)
	if err != nil {
		return d, err
	}
	number, symbol, err := numberFor(d, req)
	if err != nil {
		return d, err
	}
	out, sig, key, release, err := s.sealBytes(ctx, deps, d, in, number, symbol, req.Copy)
	if err != nil {
		return d, err
	}
	defer release()
	if d.Number != nil {
		return s.addSignedVersion(ctx, p, d, out, sig, key, "registered", &number, &symbol)
	}
	// A number typed by the clerk (continuing a paper register, say) goes
	// into the register like any other: it must be free, and the series
	// carries on after it.
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return d, fmt.Errorf("documents: unable to begin: %w", err)
	}
	defer tx.Rollback()
	year := d.DocDate.Year()
	// Moving the series on first locks it, as AssignNumber does, until commit.
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO number_counters AS c (unit_id, year, series, last_number) VALUES ($1, $2, 'outgoing', $3)
		ON CONFLICT (unit_id, year, series) DO UPDATE SET last_number = greatest(c.last_number, excluded.last_number)`,
		d.UnitID, year, number); err != nil {
		return d, fmt.Errorf("documents: unable to move the series on: %w", err)
	}
	var taken bool
	if err := tx.GetContext(ctx, &taken, `SELECT EXISTS (SELECT 1 FROM registrations WHERE unit_id = $1 AND year = $2 AND series = 'outgoing' AND number = $3)`,
		d.UnitID, year, number); err != nil {
		return d, fmt.Errorf("documents: unable to check the number: %w", err)
	}
	if taken {
		return d, &domain.ValidationError{Fields: map[string]string{"number": fmt.Sprintf("số %d của năm %d đã cấp cho văn bản khác; dùng Đăng ký, cấp số để lấy số tiếp theo", number, year)}}
	}
	if err := s.addSignedVersionTx(ctx, tx, p, d, out, sig, key, "registered", &number, &symbol); err != nil {
		return d, err
	}
	if err := s.recordRegistration(ctx, tx, p, d.ID, d.UnitID, year, SeriesOutgoing, number, symbol, NumberRequest{}); err != nil {
		return d, err
	}
	if err := tx.Commit(); err != nil {
		return d, fmt.Errorf("documents: unable to commit: %w", err)
	}
	return s.Get(ctx, p, d.ID)
}

// sealBytes applies the organisation's signature to in, the bytes of d's
// latest version, naming the number and symbol; the caller releases the
// key once the signed bytes are stored.
func (s *Service) sealBytes(ctx context.Context, deps *SigningDeps, d Document, in []byte, number int, symbol string, copyMark bool) ([]byte, Signature, signing.Key, func(), error) {
	none := func() {}
	unit, err := s.unitCode(ctx, d.UnitID)
	if err != nil {
		return nil, Signature{}, signing.Key{}, none, err
	}
	at := time.Now()
	if deps.Now != nil {
		at = deps.Now()
	}
	var app []byte
	var page int
	var rect [4]float64
	kind := "organisation"
	if copyMark {
		kind = "copy"
		mark, w, h, err := signing.AttachmentMark(formatNumber(number, symbol), unit.Name, at)
		if err != nil {
			return nil, Signature{}, signing.Key{}, none, err
		}
		app = mark
		if page, rect, err = placement(in, 1, nil, w, h, topRight); err != nil {
			return nil, Signature{}, signing.Key{}, none, err
		}
	} else {
		sigs, err := s.signatures(ctx, d.ID)
		if err != nil {
			return nil, Signature{}, signing.Key{}, none, err
		}
		var person *Signature
		for i := range sigs {
			if sigs[i].Kind == "person" {
				person = &sigs[i]
			}
		}
		if person == nil || person.ImageX == nil {
			return nil, Signature{}, signing.Key{}, none, &domain.PreconditionError{Code: "no_person_signature", Message: "Văn bản cần chữ ký số của người có thẩm quyền trước khi văn thư ký số của cơ quan"}
		}
		seal, err := s.image(ctx, "seal", 0, d.UnitID)
		if err != nil {
			return nil, Signature{}, signing.Key{}, none, err
		}
		oa, err := signing.SealAppearance(seal, unit.Name, at, signing.Rect{X: *person.ImageX, Y: *person.ImageY, W: *person.ImageW, H: *person.ImageH})
		if err != nil {
			return nil, Signature{}, signing.Key{}, none, err
		}
		app, page = oa.PNG, person.Page
		x, y := person.LLX+oa.OffsetX, person.LLY+oa.OffsetY
		rect = [4]float64{x, y, x + oa.Width, y + oa.Height}
	}
	key, release, err := deps.Keys.OrgKey(ctx, unit.Code)
	if err != nil {
		return nil, Signature{}, signing.Key{}, none, keyError(err)
	}
	out, err := signing.Sign(ctx, in, signing.Options{Key: key, Name: unit.Name,
		Reason: "Văn thư ký số của cơ quan, " + formatNumber(number, symbol), Location: domain.Place,
		Appearance: &signing.Appearance{Page: page, Rect: rect, PNG: app}, TSA: deps.TSA, MaxBytes: deps.MaxBytes})
	if err != nil {
		release()
		return nil, Signature{}, signing.Key{}, none, err
	}
	sig := Signature{Kind: kind, Page: page, LLX: rect[0], LLY: rect[1], URX: rect[2], URY: rect[3]}
	return out, sig, key, release, nil
}

// personPlacement decides where the person's signature goes and what it
// shows. Where the document already has its signer block (the position
// line and the name, typed in the draft), the handwritten signature alone
// goes between them; otherwise, or when the caller gives a place, the
// appearance carries the position and the name too.
func personPlacement(in []byte, req SignRequest, img []byte, p auth.Principal) (int, [4]float64, []byte, signing.Rect, error) {
	if err := signing.CheckSignatureImage(img); err != nil {
		return 0, [4]float64{}, nil, signing.Rect{}, err
	}
	if req.Rect == nil && req.Page == 0 {
		if page, top, bottom, ok := signerBlock(in); ok {
			if rect, ok := signatureInBlock(img, top, bottom); ok {
				return page, rect, img, signing.Rect{W: rect[2] - rect[0], H: rect[3] - rect[1]}, nil
			}
		}
	}
	position := p.Position
	if position == "" {
		position = "Người ký"
	}
	a, err := appearances.person(img, position, p.FullName)
	if err != nil {
		return 0, [4]float64{}, nil, signing.Rect{}, err
	}
	page, rect, err := placement(in, req.Page, req.Rect, a.w, a.h, bottomRight)
	return page, rect, a.png, a.inner, err
}

// appearanceCache keeps rendered person appearances: rendering one at
// print resolution costs tens of milliseconds, and a signer's image,
// position and name rarely change.
type appearanceCache struct {
	mu sync.Mutex
	m  map[[32]byte]personAppearance
}

type personAppearance struct {
	png   []byte
	w, h  float64
	inner signing.Rect
}

var appearances = &appearanceCache{m: map[[32]byte]personAppearance{}}

func (c *appearanceCache) person(img []byte, position, name string) (personAppearance, error) {
	h := sha256.New()
	for _, part := range [][]byte{img, []byte(position), []byte(name)} {
		fmt.Fprintf(h, "%d:", len(part))
		h.Write(part)
	}
	var key [32]byte
	h.Sum(key[:0])
	c.mu.Lock()
	a, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return a, nil
	}
	png, w, hh, err := signing.PersonAppearance(img, position, name)
	if err != nil {
		return a, err
	}
	inner, err := signing.PersonSignatureRect(img, position, name)
	if err != nil {
		return a, err
	}
	a = personAppearance{png: png, w: w, h: hh, inner: inner}
	c.mu.Lock()
	if len(c.m) >= 256 {
		clear(c.m)
	}
	c.m[key] = a
	c.mu.Unlock()
	return a, nil
}

func formatNumber(n int, symbol string) string { return fmt.Sprintf("%02d/%s", n, symbol) }

// numberFor returns the document's number and symbol, or those of the
// request when the document has none yet.
func numberFor(d Document, req SealRequest) (int, string, error) {
	if d.Number != nil && d.Symbol != nil {
		return *d.Number, *d.Symbol, nil
	}
	m := Meta{DocType: d.DocType, Title: d.Title, DocDate: d.Date(), Number: req.Number, Symbol: req.Symbol}
	pm, err := m.validate(time.Now())
	if err != nil {
		return 0, "", err
	}
	if pm.number == nil {
		return 0, "", &domain.ValidationError{Fields: map[string]string{"number": "cần số và ký hiệu văn bản để văn thư ký số của cơ quan"}}
	}
	return *pm.number, *pm.symbol, nil
}

type unitInfo struct {
	Code         string `db:"code"`
	Name         string `db:"name"`
	Abbreviation string `db:"abbreviation"`
}

func (s *Service) unitCode(ctx context.Context, id int64) (unitInfo, error) {
	var u unitInfo
	if err := s.db.GetContext(ctx, &u, `SELECT code, name, abbreviation FROM units WHERE id = $1`, id); err != nil {
		return u, fmt.Errorf("documents: unable to fetch unit: %w", err)
	}
	return u, nil
}

func keyError(err error) error {
	switch {
	case errors.Is(err, signing.ErrNoKey):
		return &domain.PreconditionError{Code: "no_key", Message: "Chưa có chứng thư số và khóa ký cho người ký hoặc cơ quan này; hãy liên hệ quản trị viên"}
	case errors.Is(err, signing.ErrTokenUnavailable):
		return &domain.PreconditionError{Code: "token_unavailable", Message: "Không kết nối được thiết bị ký số (USB token/HSM); kiểm tra thiết bị rồi thử lại"}
	case errors.Is(err, signing.ErrCertificateExpired):
		return &domain.PreconditionError{Code: "certificate_expired", Message: "Chứng thư số đã hết hạn hoặc chưa có hiệu lực; hãy gia hạn chứng thư số"}
	case errors.Is(err, signing.ErrKeyMismatch):
		return &domain.PreconditionError{Code: "key_mismatch", Message: "Khóa ký không khớp với chứng thư số đã cấu hình; hãy liên hệ quản trị viên"}
	}
	return err
}

// Corners a default appearance goes to.
const (
	bottomRight = iota
	topRight
)

// placement returns the page and rectangle of an appearance w x h points:
// the caller's, or a default corner of the page (the last page, or page 1).
func placement(in []byte, page int, rect *[4]float64, w, h float64, corner int) (int, [4]float64, error) {
	r, err := pdf.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		return 0, [4]float64{}, fmt.Errorf("%w: %v", ErrBadPDF, err)
	}
	n := r.NumPage()
	if page == 0 {
		page = n
	}
	if page < 1 || page > n {
		return 0, [4]float64{}, &domain.ValidationError{Fields: map[string]string{"page": fmt.Sprintf("trang phải từ 1 đến %d", n)}}
	}
	box := mediaBox(r.Page(page).V)
	if rect != nil {
		q := *rect
		if q[2] <= q[0] || q[3] <= q[1] || q[0] < box[0] || q[1] < box[1] || q[2] > box[2] || q[3] > box[3] {
			return 0, q, &domain.ValidationError{Fields: map[string]string{"rect": "vùng chữ ký phải nằm trong trang, dạng [llx, lly, urx, ury] (điểm)"}}
		}
		return page, q, nil
	}
	const margin = 56 // about 2 cm
	switch corner {
	case topRight:
		return page, [4]float64{box[2] - 28 - w, box[3] - 20 - h, box[2] - 28, box[3] - 20}, nil
	default:
		x := box[2] - margin - w
		y := box[1] + 1.5*margin
		return page, [4]float64{x, y, x + w, y + h}, nil
	}
}

func mediaBox(page pdf.Value) [4]float64 {
	for p := page; !p.IsNull(); p = p.Key("Parent") {
		if mb := p.Key("MediaBox"); mb.Len() == 4 {
			return [4]float64{mb.Index(0).Float64(), mb.Index(1).Float64(), mb.Index(2).Float64(), mb.Index(3).Float64()}
		}
	}
	return [4]float64{0, 0, 595, 842} // A4
}

// addSignedVersion stores the signed bytes as the next version with its
// signature record and verification report, in one transaction.
func (s *Service) addSignedVersion(ctx context.Context, p auth.Principal, d Document, out []byte, sig Signature, key signing.Key, status string, number *int, symbol *string) (Document, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return d, fmt.Errorf("documents: unable to begin: %w", err)
	}
	defer tx.Rollback()
	if err := s.addSignedVersionTx(ctx, tx, p, d, out, sig, key, status, number, symbol); err != nil {
		return d, err
	}
	if err := tx.Commit(); err != nil {
		return d, fmt.Errorf("documents: unable to commit: %w", err)
	}
	return s.Get(ctx, p, d.ID)
}

// addSignedVersionTx is addSignedVersion inside the caller's transaction.
func (s *Service) addSignedVersionTx(ctx context.Context, tx *sqlx.Tx, p auth.Principal, d Document, out []byte, sig Signature, key signing.Key, status string, number *int, symbol *string) error {
	sum := sha256.Sum256(out)
	shaHex := hex.EncodeToString(sum[:])
	objKey, err := storage.KeyFor(shaHex)
	if err != nil {
		return err
	}
	report, verr := signing.Verify(out, signing.VerifyOptions{Roots: s.sign.Roots})
	if err := lockObject(ctx, tx, objKey); err != nil {
		return err
	}
	if err := s.blobs.Put(ctx, objKey, bytes.NewReader(out), int64(len(out))); err != nil {
		return fmt.Errorf("documents: unable to store the signed file: %w", err)
	}
	latest := d.Versions[0]
	no := latest.No + 1
	name := strings.TrimSuffix(latest.FileName, ".pdf")
	name = strings.TrimSuffix(strings.TrimSuffix(name, ".signed"), ".sealed")
	note := "Ký số: " + p.FullName
	if sig.Kind != "person" {
		note = "Ký số của cơ quan: " + p.UnitName
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO document_versions (document_id, version_no, object_key, sha256, size_bytes,
		                               media_type, file_name, note, created_by)
		VALUES ($1, $2, $3, $4, $5, 'application/pdf', $6, $7, $8)`,
		d.ID, no, objKey, shaHex, len(out), name+".pdf", note, p.UserID)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		// Someone else added a version since this one was read.
		return &ConflictError{Current: "newer"}
	}
	if err != nil {
		return fmt.Errorf("documents: unable to insert version: %w", err)
	}
	cert := key.Certificate()
	_, err = tx.ExecContext(ctx, `
		INSERT INTO document_signatures (document_id, version_no, kind, signed_by, unit_id, page,
		       llx, lly, urx, ury, image_x, image_y, image_w, image_h,
		       certificate_subject, certificate_serial, signed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, now())`,
		d.ID, no, sig.Kind, p.UserID, p.UnitID, sig.Page, sig.LLX, sig.LLY, sig.URX, sig.URY,
		sig.ImageX, sig.ImageY, sig.ImageW, sig.ImageH, cert.Subject.String(), cert.SerialNumber.Text(16))
	if err != nil {
		return fmt.Errorf("documents: unable to record signature: %w", err)
	}
	_, err = tx.ExecContext(ctx, `
		UPDATE documents SET status = CASE WHEN $2 = 'signed' AND status <> 'draft' THEN status ELSE $2 END,
		       number = coalesce(number, $3), symbol = coalesce(symbol, $4),
		       signer_name = CASE WHEN $5 THEN $6 ELSE signer_name END, updated_at = now()
		WHERE id = $1`, d.ID, status, number, symbol, sig.Kind == "person", p.FullName)
	if err != nil {
		return fmt.Errorf("documents: unable to update document: %w", err)
	}
	if verr == nil {
		if err := storeReport(ctx, tx, d.ID, no, report); err != nil {
			return err
		}
	}
	return nil
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func storeReport(ctx context.Context, db execer, id int64, no int, r signing.Report) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `
		INSERT INTO verification_reports (document_id, version_no, valid, report)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (document_id, version_no) DO UPDATE SET valid = EXCLUDED.valid, report = EXCLUDED.report, verified_at = now()`,
		id, no, r.Valid, b)
	if err != nil {
		return fmt.Errorf("documents: unable to store verification report: %w", err)
	}
	return nil
}

// Verification is a version's verification report.
type Verification struct {
	Report     signing.Report `json:"report"`
	VerifiedAt time.Time      `json:"verified_at"`
}

// Verification returns the report of a version p may see, computing and
// keeping it on first request.
func (s *Service) Verification(ctx context.Context, p auth.Principal, id int64, no int) (Verification, error) {
	v, err := s.Version(ctx, p, id, no)
	if err != nil {
		return Verification{}, err
	}
	var row struct {
		Report     []byte    `db:"report"`
		VerifiedAt time.Time `db:"verified_at"`
	}
	err = s.db.GetContext(ctx, &row, `SELECT report, verified_at FROM verification_reports WHERE document_id = $1 AND version_no = $2`, id, no)
	if err == nil {
		var out Verification
		out.VerifiedAt = row.VerifiedAt
		if err := json.Unmarshal(row.Report, &out.Report); err != nil {
			return out, fmt.Errorf("documents: unable to read stored report: %w", err)
		}
		return out, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Verification{}, fmt.Errorf("documents: unable to fetch report: %w", err)
	}
	return s.verifyVersion(ctx, v)
}

func (s *Service) verifyVersion(ctx context.Context, v Version) (Verification, error) {
	deps, err := s.signingDeps()
	if err != nil {
		return Verification{}, err
	}
	if v.Size > deps.MaxBytes {
		return Verification{}, fmt.Errorf("%w: %d bytes, verification takes at most %d", ErrTooLarge, v.Size, deps.MaxBytes)
	}
	rc, err := s.Open(ctx, v, 0, -1)
	if err != nil {
		return Verification{}, err
	}
	in, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return Verification{}, fmt.Errorf("documents: unable to read version: %w", err)
	}
	r, err := signing.Verify(in, signing.VerifyOptions{Roots: deps.Roots})
	if err != nil {
		return Verification{}, verifyError(err)
	}
	if err := storeReport(ctx, s.db, v.DocumentID, v.No, r); err != nil {
		return Verification{}, err
	}
	return Verification{Report: r, VerifiedAt: time.Now()}, nil
}

// VerifyUpload verifies a PDF received from anywhere, keeping nothing.
func (s *Service) VerifyUpload(ctx context.Context, up *Upload) (signing.Report, error) {
	deps, err := s.signingDeps()
	if err != nil {
		return signing.Report{}, err
	}
	if up.Size > deps.MaxBytes {
		return signing.Report{}, fmt.Errorf("%w: verification takes at most %d bytes", ErrTooLarge, deps.MaxBytes)
	}
	in := make([]byte, up.Size)
	if _, err := up.f.ReadAt(in, 0); err != nil {
		return signing.Report{}, fmt.Errorf("documents: unable to read upload: %w", err)
	}
	r, err := signing.Verify(in, signing.VerifyOptions{Roots: deps.Roots})
	return r, verifyError(err)
}

func verifyError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, signing.ErrEncrypted):
		return ErrEncryptedPDF
	case errors.Is(err, signing.ErrBadPDF):
		return fmt.Errorf("%w: %v", ErrBadPDF, err)
	}
	return err
}

// verifyInBackground computes the report of a new version after the
// response has gone: the upload does not wait for it, and Verification
// computes it on demand if this never finished.
func (s *Service) verifyInBackground(id int64, no int) {
	if s.sign == nil {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		var v Version
		err := s.db.GetContext(ctx, &v, `
			SELECT id, document_id, version_no, object_key, sha256, size_bytes, media_type, file_name, note, created_by, created_at
			FROM document_versions WHERE document_id = $1 AND version_no = $2`, id, no)
		if err == nil && v.Size <= s.sign.MaxBytes {
			s.verifyVersion(ctx, v) //nolint:errcheck // recomputed on demand
		}
	}()
}

// Images.

// SetSignatureImage keeps a new handwritten-signature image for p.
func (s *Service) SetSignatureImage(ctx context.Context, p auth.Principal, png []byte) error {
	if !p.Has(auth.RoleSigner) {
		return domain.ErrForbidden
	}
	return s.putImage(ctx, p, "signature", png)
}

// SetSealImage keeps a new seal image for p's unit; clerks and admins may.
func (s *Service) SetSealImage(ctx context.Context, p auth.Principal, png []byte) error {
	if !p.HasAny(auth.RoleClerk, auth.RoleAdmin) {
		return domain.ErrForbidden
	}
	return s.putImage(ctx, p, "seal", png)
}

func (s *Service) putImage(ctx context.Context, p auth.Principal, kind string, png []byte) error {
	if err := signing.CheckSignatureImage(png); err != nil {
		return err
	}
	sum := sha256.Sum256(png)
	shaHex := hex.EncodeToString(sum[:])
	key, _ := storage.KeyFor(shaHex)
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("documents: unable to begin: %w", err)
	}
	defer tx.Rollback()
	if err := lockObject(ctx, tx, key); err != nil {
		return err
	}
	if err := s.blobs.Put(ctx, key, bytes.NewReader(png), int64(len(png))); err != nil {
		return fmt.Errorf("documents: unable to store image: %w", err)
	}
	var userID, unitID *int64
	if kind == "signature" {
		userID = &p.UserID
	} else {
		unitID = &p.UnitID
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO signature_images (kind, user_id, unit_id, object_key, sha256, created_by)
		VALUES ($1, $2, $3, $4, $5, $6)`, kind, userID, unitID, key, shaHex, p.UserID); err != nil {
		return fmt.Errorf("documents: unable to record image: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("documents: unable to commit: %w", err)
	}
	return nil
}

// HasImage reports whether a user (kind signature) or a unit (kind seal)
// has an image.
func (s *Service) HasImage(ctx context.Context, kind string, userID, unitID int64) (bool, error) {
	var ok bool
	err := s.db.GetContext(ctx, &ok, `
		SELECT EXISTS (SELECT 1 FROM signature_images WHERE kind = $1 AND (user_id = $2 OR unit_id = $3))`, kind, userID, unitID)
	return ok, err
}

func (s *Service) image(ctx context.Context, kind string, userID, unitID int64) ([]byte, error) {
	var key string
	err := s.db.GetContext(ctx, &key, `
		SELECT object_key FROM signature_images
		WHERE kind = $1 AND (user_id = $2 OR unit_id = $3)
		ORDER BY created_at DESC, id DESC LIMIT 1`, kind, userID, unitID)
	if errors.Is(err, sql.ErrNoRows) {
		if kind == "signature" {
			return nil, &domain.PreconditionError{Code: "no_signature_image", Message: "Bạn chưa tải lên ảnh chữ ký (PNG nền trong suốt); hãy tải lên trước khi ký"}
		}
		return nil, &domain.PreconditionError{Code: "no_seal_image", Message: "Đơn vị chưa có ảnh con dấu (PNG nền trong suốt); văn thư hãy tải lên trước khi ký số của cơ quan"}
	}
	if err != nil {
		return nil, fmt.Errorf("documents: unable to find image: %w", err)
	}
	rc, err := s.blobs.Open(ctx, key, 0, -1)
	if err != nil {
		return nil, fmt.Errorf("documents: unable to open image: %w", err)
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, 4<<20))
}
