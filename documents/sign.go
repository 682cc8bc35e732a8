package documents

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"io"
	"strings"
	"time"

	"github.com/hcm-edu/vanban/audit"
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
	// RootCerts are Roots' certificates, which a pdfguard worker trusts
	// (a pool cannot be listed); with Roots nil, the system's roots.
	RootCerts []*x509.Certificate
	// Revocation checks the signer's certificate at signing and each
	// signer's in verification; nil: not checked ("unknown").
	Revocation *signing.RevocationChecker
	// RevocationPolicy is RevocationWarn (also when empty) or
	// RevocationRefuse: what signing does when the status is unknown.
	RevocationPolicy string
	// PersonKeysOff refuses personal signatures with keys the server holds
	// (PRODUCTION): people sign with their own token or remote credential.
	PersonKeysOff bool
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
		return nil, errSigningDisabled
	}
	return s.sign, nil
}

// SignRequest asks for the competent person's signature on the latest version.
type SignRequest struct {
	VersionSHA256 string      // the version the signer saw
	Page          int         // 1-based; 0: the last page
	Rect          *[4]float64 // llx, lly, urx, ury; nil: the signer block at the bottom right
	Reason        string
	OTP           string // the second factor (auth.Service.StepUp), when the signer has enrolled
	stepped       bool   // the batch checked OTP once for all its items
}

// SealRequest asks for the organisation's signature, applied by the clerk.
type SealRequest struct {
	VersionSHA256 string
	Number        string // for a document without one: only the next of the register (AssignNumber)
	Symbol        string
	// Copy marks an attachment or an electronic copy: the organisation's
	// signature without image, as text at the top right of page 1.
	Copy bool
	OTP  string // the clerk's second factor (auth.Service.StepUp)
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
	// Capacity is the signing authority the person signed in (CapacityHead
	// and so on), CapacityLine as printed ("KT. GIÁM ĐỐC"; for the head,
	// their title), Position the signer's own title ("PHÓ GIÁM ĐỐC").
	Capacity     string `db:"capacity" json:"capacity"`
	CapacityLine string `db:"capacity_line" json:"capacity_line"`
	Position     string `db:"position" json:"position"`
	AuthorityID  *int64 `db:"authority_id" json:"authority_id,omitempty"`
	// Method is how the signature was made: ModeServer (a key the server
	// holds), ModeHelper (the person's token, through the signing helper)
	// or ModeRemote (the person's remote-signing credential).
	Method        string `db:"method" json:"method"`
	CertificateID *int64 `db:"certificate_id" json:"-"`
	// SignedAs is how the signature reads: "KT. GIÁM ĐỐC — PHÓ GIÁM ĐỐC Nguyễn Văn A".
	SignedAs string `db:"-" json:"signed_as"`
	// Notice is for the clerk: the number and date went into the seal's
	// text (issueNoticeSealMark).
	Notice string `db:"-" json:"-"`
	// Revocation is the signing certificate's status checked before
	// signing, for the audit entry (checkSignerRevocation).
	Revocation string `db:"-" json:"-"`
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
		       g.image_x, g.image_y, g.image_w, g.image_h, g.capacity, g.capacity_line, g.position, g.authority_id, g.method, g.certificate_id
		FROM document_signatures g JOIN users u ON u.id = g.signed_by
		WHERE g.document_id = $1 ORDER BY g.version_no, g.id`, id)
	if err != nil {
		return nil, fmt.Errorf("documents: unable to fetch signatures: %w", err)
	}
	for i := range out {
		out[i].SignedAs = out[i].signedAs()
	}
	return out, nil
}

// latestForSigning loads the document, checks that p may apply the
// signature role applies (signatureRule, the rule Actions shows) and that p
// saw its latest version, and reads that version's bytes. A document p may
// not see is domain.ErrNotFound, whatever the role.
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
	// Get read the latest non-person signature's kind: Sealed's answer.
	sealed := d.SealKind != ""
	if err := signatureRule(p, d, role, sealed).Err(); err != nil {
		return d, nil, err
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
	in, err := s.readChecked(ctx, latest)
	if err != nil {
		return d, nil, err
	}
	if encryptedPDF(in) {
		// Stored before uploads for signing refused them (see signable).
		return d, nil, &domain.PreconditionError{Code: "restricted_pdf", Message: restrictedMessage}
	}
	return d, in, s.checkVersion(ctx, in, latest.SHA256)
}

// readChecked reads version v whole, in one sized read into a buffer of
// its recorded size, hashing while it reads: bytes that do not match the
// recorded SHA-256 (or size) are an integrity error, never signed.
func (s *Service) readChecked(ctx context.Context, v Version) ([]byte, error) {
	rc, err := s.Open(ctx, v, 0, -1)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	mismatch := fmt.Errorf("documents: stored bytes of document %d version %d do not match their SHA-256", v.DocumentID, v.No)
	if v.Size < 0 {
		return nil, mismatch
	}
	// Room for the signature after the file: signing writes the signed
	// file on into this buffer (signing.SignOwned) instead of a copy.
	buf := make([]byte, v.Size, v.Size+signing.SignHeadroom)
	h := sha256.New()
	n, err := io.ReadFull(io.TeeReader(rc, h), buf)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) && v.Size > 0:
		return nil, mismatch // shorter than recorded
	case err != nil:
		return nil, fmt.Errorf("documents: unable to read version %d: %w", v.No, err)
	}
	if m, _ := rc.Read(make([]byte, 1)); m > 0 {
		return nil, mismatch // longer than recorded
	}
	var sum [sha256.Size]byte
	if hex.EncodeToString(h.Sum(sum[:0])) != v.SHA256 {
		return nil, mismatch
	}
	return buf[:n], nil
}

// SignAsPerson adds the competent person's signature: their handwritten
// signature image with position and name, at the signer block. The key is
// the server's (SIGNING_MODE server), or the person's remote-signing
// credential with req.OTP as that service's one-time code; a person who
// signs with their own token through the helper uses PrepareSignature.
func (s *Service) SignAsPerson(ctx context.Context, p auth.Principal, id int64, req SignRequest) (Document, error) {
	mode, err := s.SigningMode(ctx, p.UserID)
	if err != nil {
		return Document{}, err
	}
	switch mode {
	case ModeHelper:
		return Document{}, errUseHelper
	case ModeRemote:
		docs, err := s.signRemote(ctx, p, []BatchItem{{ID: id, VersionSHA256: req.VersionSHA256}}, req.Reason, req.OTP, req.Page, req.Rect)
		if err != nil {
			return Document{}, err
		}
		if docs[0].Err != nil {
			return Document{}, docs[0].Err
		}
		return *docs[0].Document, nil
	}
	plan, err := s.planPerson(ctx, p, id, req)
	if err != nil {
		return plan.d, err
	}
	if !req.stepped {
		if err := s.stepUp(ctx, p, req.OTP); err != nil {
			return plan.d, err
		}
	}
	return s.signPerson(ctx, plan.deps, p, plan.d, plan.in, req.Reason, plan.defaultReason, plan.page, plan.rect, plan.app, plan.inner, plan.as)
}

// personPlan is a person signature worked out before any key is used:
// the document and its bytes, where the signature goes, what it looks
// like, and the capacity it is signed in.
type personPlan struct {
	deps          *SigningDeps
	d             Document
	in            []byte
	page          int
	rect          [4]float64
	app           []byte
	inner         signing.Rect
	as            signedAs
	defaultReason string
}

// planPerson checks that p may sign document id now (the version seen,
// the places and date left for the clerk, the signer named, the capacity)
// and places the signature.
func (s *Service) planPerson(ctx context.Context, p auth.Principal, id int64, req SignRequest) (personPlan, error) {
	deps, d, in, err := s.latestForSigning(ctx, p, auth.RoleSigner, id, req.VersionSHA256)
	plan := personPlan{deps: deps, d: d, defaultReason: "Ký ban hành văn bản"}
	if err != nil {
		return plan, err
	}
	if err := checkIssuePlaces(in, time.Now()); err != nil {
		return plan, err
	}
	if err := checkSigner(in, p); err != nil {
		return plan, err
	}
	as, err := s.checkAuthority(ctx, p, d, in, time.Now())
	if err != nil {
		return plan, err
	}
	img, err := s.image(ctx, "signature", p.UserID, 0)
	if err != nil {
		return plan, err
	}
	// An appearance drawn here, without the draft's block, names the
	// capacity above the title (Appendix I ô 7a, 7b).
	shown := p
	if as.Capacity != CapacityHead {
		shown.Position = strings.TrimSpace(as.Line + "\n" + p.Position)
	}
	page, rect, app, inner, err := personPlacement(in, req, img, shown)
	if errors.Is(err, errNoFreeSpace) && req.Rect == nil && req.Page == 0 {
		// No room on the last page: the signature goes on a page of its
		// own, added before anyone signs (after, it would change what the
		// signatures cover).
		if more, addErr := signing.AddBlankPage(in); addErr == nil {
			in = more
			page, rect, app, inner, err = personPlacement(in, req, img, shown)
		}
	}
	if err != nil {
		return plan, err
	}
	plan.in, plan.page, plan.rect, plan.app, plan.inner, plan.as = in, page, rect, app, inner, as
	return plan, nil
}

// signPerson applies p's person signature with its appearance app at rect
// on page, inner being where the handwritten image lies within it, and
// stores the result as the next version, recording the capacity as.
func (s *Service) signPerson(ctx context.Context, deps *SigningDeps, p auth.Principal, d Document, in []byte, reason, defaultReason string,
	page int, rect [4]float64, app []byte, inner signing.Rect, as signedAs) (Document, error) {
	if deps.PersonKeysOff {
		return d, errServerKeysOff
	}
	key, release, err := deps.Keys.PersonKey(ctx, p.Username)
	if err != nil {
		return d, keyError(err)
	}
	defer release()
	revocation, err := checkSignerRevocation(ctx, deps, key, p.FullName)
	if err != nil {
		return d, err
	}
	if reason = strings.TrimSpace(reason); reason == "" {
		reason = defaultReason
	}
	out, err := signing.SignOwned(ctx, in, signing.Options{Key: key, Name: p.FullName, Reason: reason,
		Location: p.UnitName, Appearance: &signing.Appearance{Page: page, Rect: rect, PNG: app},
		TSA: deps.TSA, MaxBytes: deps.MaxBytes})
	if err != nil {
		return d, err
	}
	sig := Signature{Kind: "person", Page: page, LLX: rect[0], LLY: rect[1], URX: rect[2], URY: rect[3],
		ImageX: &inner.X, ImageY: &inner.Y, ImageW: &inner.W, ImageH: &inner.H,
		Capacity: as.Capacity, CapacityLine: as.Line, Position: as.Position, AuthorityID: as.AuthorityID}
	sig.Revocation = revocation
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
	if d.Number == nil {
		// Only the register numbers an outgoing document: a number typed
		// here must be the next of the series (numbering.go).
		return s.registerTyped(ctx, p, deps, d, in, req)
	}
	if err := s.stepUp(ctx, p, req.OTP); err != nil {
		return d, err
	}
	out, sig, key, release, err := s.sealBytes(ctx, deps, d, in, *d.Number, *d.Symbol, req.Copy)
	if err != nil {
		return d, err
	}
	defer release()
	if _, err := s.sealWithAttachments(ctx, deps, p, d, out, sig, key); err != nil {
		return d, err
	}
	return s.issued(ctx, p, d.ID, sig)
}

// sealBytes applies the organisation's signature to in, the bytes of d's
// latest version, naming the number and symbol; the caller releases the
// key once the signed bytes are stored.
func (s *Service) sealBytes(ctx context.Context, deps *SigningDeps, d Document, in []byte, number int, symbol string, copyMark bool) ([]byte, Signature, signing.Key, func(), error) {
	prep, err := s.prepareSeal(ctx, deps, d, copyMark)
	if err != nil {
		return nil, Signature{}, signing.Key{}, func() {}, err
	}
	return s.sealPrepared(ctx, deps, prep, in, number, symbol)
}

// sealPrep is what the organisation's signature needs that does not depend
// on the number: a registration gathers it before it takes the number,
// which holds the register's counter until it commits.
type sealPrep struct {
	unit       unitInfo
	copyMark   bool
	person     *Signature // the person's signature the seal goes over
	seal       []byte     // the seal image
	key        signing.Key
	release    func()
	revocation string
}

// prepareSeal finds the unit, the person's signature and the seal image,
// and the organisation's key, checked for revocation. The caller calls
// sealPrepared, or prep.release.
func (s *Service) prepareSeal(ctx context.Context, deps *SigningDeps, d Document, copyMark bool) (sealPrep, error) {
	prep := sealPrep{copyMark: copyMark, release: func() {}}
	unit, err := s.unitCode(ctx, d.UnitID)
	if err != nil {
		return prep, err
	}
	prep.unit = unit
	if !copyMark {
		sigs, err := s.signatures(ctx, d.ID)
		if err != nil {
			return prep, err
		}
		for i := range sigs {
			if sigs[i].Kind == "person" {
				prep.person = &sigs[i]
			}
		}
		if prep.person == nil || prep.person.ImageX == nil {
			return prep, &domain.PreconditionError{Code: "no_person_signature", Message: "Văn bản cần chữ ký số của người có thẩm quyền trước khi văn thư ký số của cơ quan"}
		}
		if prep.seal, err = s.image(ctx, "seal", 0, d.UnitID); err != nil {
			return prep, err
		}
	}
	key, release, err := deps.Keys.OrgKey(ctx, unit.Code)
	if err != nil {
		return prep, keyError(err)
	}
	revocation, err := checkSignerRevocation(ctx, deps, key, unit.Name)
	if err != nil {
		release()
		return prep, err
	}
	prep.key, prep.release, prep.revocation = key, release, revocation
	return prep, nil
}

// sealPrepared applies the organisation's signature prepared in prep to
// in, naming the number and symbol. It releases the key on error; the
// caller releases it (the func returned) once the signed bytes are stored.
func (s *Service) sealPrepared(ctx context.Context, deps *SigningDeps, prep sealPrep, in []byte, number int, symbol string) ([]byte, Signature, signing.Key, func(), error) {
	none := func() {}
	fail := func(err error) ([]byte, Signature, signing.Key, func(), error) {
		prep.release()
		return nil, Signature{}, signing.Key{}, none, err
	}
	unit := prep.unit
	at := time.Now()
	if deps.Now != nil {
		at = deps.Now()
	}
	var app []byte
	var drawn *image.RGBA
	var page int
	var rect [4]float64
	var issueNotice string
	kind := "organisation"
	if prep.copyMark {
		kind = "copy"
		mark, w, h, err := signing.AttachmentMark(formatNumber(number, symbol), unit.Name, at)
		if err != nil {
			return fail(err)
		}
		if page, rect, app, err = copyMarkPlace(in, mark, w, h); err != nil {
			return fail(err)
		}
	} else {
		person := prep.person
		// The number and issue date go in their places on page 1, in the
		// update the organisation's signature covers; without places, in
		// the seal's text.
		numbered, lines, notice, err := writeIssueMarks(in, formatNumber(number, symbol), at)
		if err != nil {
			return fail(err)
		}
		in = numbered
		personSig := signing.Rect{X: *person.ImageX, Y: *person.ImageY, W: *person.ImageW, H: *person.ImageH}
		oa, err := signing.IssuedSealImage(prep.seal, unit.Name, lines, at, personSig)
		if err != nil {
			return fail(err)
		}
		issueNotice = notice
		drawn, page = oa.Image, person.Page
		// Over the signature's left third, but never off the page.
		x, y := max(person.LLX+oa.OffsetX, 0), max(person.LLY+oa.OffsetY, 0)
		rect = [4]float64{x, y, x + oa.Width, y + oa.Height}
	}
	out, err := signing.SignOwned(ctx, in, signing.Options{Key: prep.key, Name: unit.Name,
		Reason: "Văn thư ký số của cơ quan, " + formatNumber(number, symbol), Location: domain.Place,
		Appearance: &signing.Appearance{Page: page, Rect: rect, PNG: app, Image: drawn}, TSA: deps.TSA, MaxBytes: deps.MaxBytes})
	if err != nil {
		return fail(err)
	}
	sig := Signature{Kind: kind, Page: page, LLX: rect[0], LLY: rect[1], URX: rect[2], URY: rect[3], Notice: issueNotice}
	sig.Revocation = prep.revocation
	return out, sig, prep.key, prep.release, nil
}

func formatNumber(n int, symbol string) string { return fmt.Sprintf("%02d/%s", n, symbol) }

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
	// The new signature's integrity before anything is kept; the whole
	// report (every signature, every update, revocation) is a job queued
	// below, and Verification computes it on demand until the job has run.
	ns, err := signing.CheckNewestSignature(out, s.sign.Roots)
	if err != nil {
		return fmt.Errorf("documents: the new signature does not verify, nothing was kept: %w", err)
	}
	if c := key.Certificate(); c != nil && !strings.EqualFold(ns.Report.CertificateSerial, c.SerialNumber.Text(16)) {
		return fmt.Errorf("documents: the new signature is not by the certificate %s, nothing was kept", c.SerialNumber.Text(16))
	}
	level, err := s.levelWith(ctx, tx, d, ns)
	if err != nil {
		return err
	}
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
	// A signature adds no words: the text is read only if it never was.
	if err := s.enqueueText(ctx, tx, d.ID, no, true); err != nil {
		return err
	}
	cert := key.Certificate()
	_, err = tx.ExecContext(ctx, `
		INSERT INTO document_signatures (document_id, version_no, kind, signed_by, unit_id, page,
		       llx, lly, urx, ury, image_x, image_y, image_w, image_h,
		       certificate_subject, certificate_serial, signed_at, capacity, capacity_line, position, authority_id,
		       method, certificate_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, now(), $17, $18, $19, $20, $21, $22)`,
		d.ID, no, sig.Kind, p.UserID, p.UnitID, sig.Page, sig.LLX, sig.LLY, sig.URX, sig.URY,
		sig.ImageX, sig.ImageY, sig.ImageW, sig.ImageH, cert.Subject.String(), cert.SerialNumber.Text(16),
		sig.Capacity, sig.CapacityLine, sig.Position, sig.AuthorityID, cmp.Or(sig.Method, ModeServer), sig.CertificateID)
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
	if err := s.enqueueVerify(ctx, tx, d.ID, no); err != nil {
		return err
	}
	if err := s.afterSignedVersion(ctx, tx, d.ID, no, signing.Report{Level: level}, nil); err != nil {
		return err
	}
	if err := s.afterSignature(ctx, tx, p, d, sig.Kind, status); err != nil {
		return err
	}
	action := "document.seal" // the organisation's signature, or its copy mark
	details := map[string]any{"version": no, "kind": sig.Kind, "sha256": shaHex,
		"certificate_subject": cert.Subject.String(), "certificate_serial": cert.SerialNumber.Text(16)}
	if sig.Revocation != "" {
		details["revocation"] = sig.Revocation
	}
	details["method"] = cmp.Or(sig.Method, ModeServer)
	if sig.Kind == "person" {
		action = "document.sign"
		if sig.AuthorityID != nil {
			details["capacity"], details["authority"] = sig.CapacityLine, *sig.AuthorityID
		}
	}
	return audit.Append(ctx, tx, audit.Event{ActorID: p.UserID, ActorUnitID: p.UnitID, Action: action, DocumentID: d.ID,
		Details: details})
}

// levelWith is the PAdES level of the document once the new signature ns
// is added to d's latest version: the lowest of the new signature's and
// the level recorded for that version, when there are older signatures.
// "" (not shown) when the older ones' level is not known yet: the
// verification job records the level from the whole report.
func (s *Service) levelWith(ctx context.Context, tx *sqlx.Tx, d Document, ns signing.NewSignature) (string, error) {
	level := signing.NewSignatureLevel(ns.Report)
	if ns.Older == 0 || level == "" {
		return level, nil
	}
	var before string
	err := tx.GetContext(ctx, &before, `SELECT level FROM document_ltv WHERE document_id = $1 AND version_no = $2`, d.ID, d.Versions[0].No)
	if errors.Is(err, sql.ErrNoRows) || before == "" {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("documents: unable to read the PAdES level: %w", err)
	}
	if levelRank(before) < levelRank(level) {
		return before, nil
	}
	return level, nil
}
