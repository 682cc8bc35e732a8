// Package certs is the registry of each person's signing certificates:
// from the signing helper (a USB token on their PC), a .cer upload, or a
// remote-signing credential. A certificate is registered only when it is
// the person's own (its subject names them), valid, meant for signing and
// issued under a trusted root; one person holds it at a time. Signing
// checks the signer's certificate against this registry, and the holders
// are warned 30 days before their certificate expires.
package certs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"golang.org/x/text/unicode/norm"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/remotesign"
	"github.com/hcm-edu/vanban/signing"
)

// Where a certificate came from.
const (
	SourceHelper = "helper" // the signing helper, from the person's USB token
	SourceUpload = "upload" // a .cer file
	SourceRemote = "remote" // a remote-signing credential
)

// WarnBefore is how long before expiry the holder is warned.
const WarnBefore = 30 * 24 * time.Hour

// maxCertBytes bounds one certificate as sent (PEM or base64 text is
// larger than its DER).
const maxCertBytes = 64 << 10

// Certificate is a registered certificate. DER and Chain are never sent to
// clients.
type Certificate struct {
	ID           int64     `db:"id" json:"id"`
	UserID       int64     `db:"user_id" json:"user_id"`
	Fingerprint  string    `db:"fingerprint" json:"fingerprint"` // lowercase hex SHA-256 of the DER
	Subject      string    `db:"subject" json:"subject"`
	CommonName   string    `db:"common_name" json:"common_name"`
	Issuer       string    `db:"issuer" json:"issuer"`
	Serial       string    `db:"serial" json:"serial"` // uppercase hex
	NotBefore    time.Time `db:"not_before" json:"not_before"`
	NotAfter     time.Time `db:"not_after" json:"not_after"`
	Source       string    `db:"source" json:"source"`
	Account      string    `db:"account" json:"account,omitempty"`
	CredentialID string    `db:"credential_id" json:"credential_id,omitempty"`
	CreatedAt    time.Time `db:"created_at" json:"created_at"`
	DER          []byte    `db:"der" json:"-"`
	Chain        []byte    `db:"chain" json:"-"` // the intermediates, DER one after another
	// Created is set by Register when this call registered it (false: it
	// was registered already).
	Created bool `db:"-" json:"-"`
}

// Leaf parses the certificate.
func (c Certificate) Leaf() (*x509.Certificate, error) {
	leaf, err := x509.ParseCertificate(c.DER)
	if err != nil {
		return nil, fmt.Errorf("certs: unable to parse certificate %d: %v", c.ID, err)
	}
	return leaf, nil
}

// ChainCerts parses the intermediates kept with the certificate.
func (c Certificate) ChainCerts() ([]*x509.Certificate, error) {
	if len(c.Chain) == 0 {
		return nil, nil
	}
	out, err := x509.ParseCertificates(c.Chain)
	if err != nil {
		return nil, fmt.Errorf("certs: unable to parse the chain of certificate %d: %v", c.ID, err)
	}
	return out, nil
}

// Expiring reports whether the certificate expires within WarnBefore of
// now, or has expired.
func (c Certificate) Expiring(now time.Time) bool { return c.NotAfter.Sub(now) < WarnBefore }

// Expired reports whether the certificate has expired at now.
func (c Certificate) Expired(now time.Time) bool { return !now.Before(c.NotAfter) }

// Holding is a held certificate as the administrator sees it.
type Holding struct {
	Certificate
	FullName string `db:"full_name" json:"full_name"`
	Username string `db:"username" json:"username"`
	UnitName string `db:"unit_name" json:"unit_name"`
	DaysLeft int    `db:"-" json:"days_left"` // negative once expired
}

// RegisterRequest is a certificate to register: DER, PEM or base64 text
// of either, with the intermediates the same way.
type RegisterRequest struct {
	Certificate []byte
	Chain       [][]byte
	Source      string // SourceHelper or SourceUpload
	// Set by RegisterRemote only.
	account, credentialID string
}

// Service keeps the registry.
type Service struct {
	db     *sqlx.DB
	roots  func() *x509.CertPool
	notes  *notify.Store
	remote remotesign.Provider
	rev    *signing.RevocationChecker
	now    func() time.Time
}

// New returns the registry. roots returns the trusted roots a certificate
// must chain to; nil from it means the system's.
func New(db *sqlx.DB, roots func() *x509.CertPool) *Service {
	if roots == nil {
		roots = func() *x509.CertPool { return nil }
	}
	return &Service{db: db, roots: roots, notes: notify.NewStore(db, false), now: time.Now}
}

// SetRemote sets the remote-signing service whose credentials
// RegisterRemote registers.
func (s *Service) SetRemote(p remotesign.Provider) { s.remote = p }

// SetRevocation makes registration refuse a certificate its CA has revoked.
func (s *Service) SetRevocation(c *signing.RevocationChecker) { s.rev = c }

// SetNotes sets the store the expiry warnings go to (by default one that
// sends no e-mail).
func (s *Service) SetNotes(n *notify.Store) { s.notes = n }

// SetClock replaces time.Now, for tests.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

const columns = `c.id, c.user_id, c.fingerprint, c.subject, c.common_name, c.issuer, c.serial, c.not_before, c.not_after,
	c.source, c.account, c.credential_id, c.created_at, c.der, c.chain`

// dateVN writes a day the Vietnamese way, in Vietnam time: 06/12/2026.
func dateVN(t time.Time) string { return t.In(domain.VietnamTime).Format("02/01/2006") }

func invalid(msg string) error { return domain.Invalid("certificate", msg) }

// parseCert reads one certificate: DER, PEM, or base64 of either.
func parseCert(b []byte, field string) (*x509.Certificate, error) {
	bad := domain.Invalid(field, "tệp không phải chứng thư số X.509 (tệp .cer dạng DER hoặc PEM)")
	if c, err := x509.ParseCertificate(b); err == nil {
		return c, nil // DER, which TrimSpace could cut
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, domain.Invalid(field, "hãy chọn tệp chứng thư số (.cer)")
	}
	if len(b) > maxCertBytes {
		return nil, domain.Invalid(field, "tệp quá lớn để là một chứng thư số")
	}
	for range 2 {
		if bytes.Contains(b, []byte("-----BEGIN")) {
			for {
				var blk *pem.Block
				blk, b = pem.Decode(b)
				if blk == nil {
					return nil, bad
				}
				if blk.Type == "CERTIFICATE" {
					b = blk.Bytes
					break
				}
			}
		}
		if c, err := x509.ParseCertificate(b); err == nil {
			return c, nil
		}
		text := strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return -1
			}
			return r
		}, string(b))
		dec, err := base64.StdEncoding.DecodeString(text)
		if err != nil {
			return nil, bad
		}
		b = bytes.TrimSpace(dec)
	}
	return nil, bad
}

// normName is a name as compared: NFC, trimmed, spaces collapsed, case
// folded.
func normName(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(norm.NFC.String(s)), " "))
}

// check refuses a certificate that is not the person's, not valid at now,
// not meant for signing, not under the trusted roots, or revoked.
func (s *Service) check(ctx context.Context, p auth.Principal, leaf *x509.Certificate, chain []*x509.Certificate, now time.Time) error {
	switch {
	case now.Before(leaf.NotBefore):
		return invalid(fmt.Sprintf("chứng thư số chưa có hiệu lực: có hiệu lực từ ngày %s đến ngày %s", dateVN(leaf.NotBefore), dateVN(leaf.NotAfter)))
	case !now.Before(leaf.NotAfter):
		return invalid(fmt.Sprintf("chứng thư số đã hết hạn ngày %s (có hiệu lực từ ngày %s); hãy gia hạn hoặc dùng chứng thư số mới", dateVN(leaf.NotAfter), dateVN(leaf.NotBefore)))
	case leaf.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0:
		return invalid("chứng thư số không dùng để ký số (thiếu mục đích sử dụng chữ ký số hay chống chối bỏ)")
	}
	inter := x509.NewCertPool()
	for _, c := range chain {
		inter.AddCert(c)
	}
	chains, err := leaf.Verify(x509.VerifyOptions{Roots: s.roots(), Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil {
		return invalid("chứng thư số không do tổ chức cung cấp dịch vụ chứng thực chữ ký số được tin cậy cấp (không xác minh được đến chứng thư gốc đã cấu hình)")
	}
	if normName(leaf.Subject.CommonName) == "" || normName(leaf.Subject.CommonName) != normName(p.FullName) {
		return invalid(fmt.Sprintf("chứng thư số cấp cho «%s», không phải «%s»: chỉ đăng ký được chứng thư số mang tên của chính bạn",
			strings.TrimSpace(leaf.Subject.CommonName), strings.TrimSpace(p.FullName)))
	}
	if s.rev != nil && len(chains) > 0 && len(chains[0]) > 1 {
		r := s.rev.Check(ctx, leaf, chains[0][1])
		if r.Status == signing.RevocationRevoked {
			return invalid("chứng thư số " + r.StringVI() + "; hãy liên hệ tổ chức cung cấp dịch vụ chứng thực")
		}
	}
	return nil
}

// Register adds a certificate to the person's registry after checking
// it (see the package comment). One already registered by the person is
// returned as it is; one held by somebody else is refused with a
// PreconditionError "certificate_taken" that does not name them.
func (s *Service) Register(ctx context.Context, p auth.Principal, in RegisterRequest) (Certificate, error) {
	if in.Source != SourceHelper && in.Source != SourceUpload && (in.Source != SourceRemote || in.account == "") {
		return Certificate{}, domain.Invalid("source", "nguồn chứng thư số phải là helper (thiết bị ký) hoặc upload (tệp .cer)")
	}
	leaf, err := parseCert(in.Certificate, "certificate")
	if err != nil {
		return Certificate{}, err
	}
	var chain []*x509.Certificate
	var chainDER []byte
	for _, b := range in.Chain {
		c, err := parseCert(b, "chain")
		if err != nil {
			return Certificate{}, err
		}
		if c.Equal(leaf) {
			continue
		}
		chain = append(chain, c)
		chainDER = append(chainDER, c.Raw...)
	}
	if err := s.check(ctx, p, leaf, chain, s.now()); err != nil {
		return Certificate{}, err
	}
	sum := sha256.Sum256(leaf.Raw)
	c := Certificate{UserID: p.UserID, Fingerprint: hex.EncodeToString(sum[:]), Subject: leaf.Subject.String(),
		CommonName: strings.TrimSpace(leaf.Subject.CommonName), Issuer: leaf.Issuer.String(),
		Serial: strings.ToUpper(leaf.SerialNumber.Text(16)), NotBefore: leaf.NotBefore, NotAfter: leaf.NotAfter,
		Source: in.Source, Account: in.account, CredentialID: in.credentialID, DER: leaf.Raw, Chain: chainDER}
	if chainDER == nil {
		c.Chain = []byte{}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Certificate{}, fmt.Errorf("certs: unable to begin: %w", err)
	}
	defer tx.Rollback()
	var held Certificate
	err = tx.GetContext(ctx, &held, `SELECT `+columns+` FROM user_certificates c WHERE c.fingerprint = $1 AND c.removed_at IS NULL`, c.Fingerprint)
	switch {
	case err == nil && held.UserID == p.UserID:
		return held, nil
	case err == nil:
		return Certificate{}, errTaken
	case !errors.Is(err, sql.ErrNoRows):
		return Certificate{}, fmt.Errorf("certs: unable to look up the certificate: %w", err)
	}
	err = tx.QueryRowxContext(ctx, `
		INSERT INTO user_certificates (user_id, fingerprint, subject, common_name, issuer, serial, not_before, not_after, der, chain, source, account, credential_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		RETURNING id, created_at`, c.UserID, c.Fingerprint, c.Subject, c.CommonName, c.Issuer, c.Serial, c.NotBefore, c.NotAfter,
		c.DER, c.Chain, c.Source, c.Account, c.CredentialID).Scan(&c.ID, &c.CreatedAt)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		// Registered at this very moment by another request: theirs or ours.
		tx.Rollback()
		if err := s.db.GetContext(ctx, &held, `SELECT `+columns+` FROM user_certificates c WHERE c.fingerprint = $1 AND c.removed_at IS NULL`, c.Fingerprint); err == nil && held.UserID == p.UserID {
			return held, nil
		}
		return Certificate{}, errTaken
	}
	if err != nil {
		return Certificate{}, fmt.Errorf("certs: unable to register the certificate: %w", err)
	}
	details := map[string]any{"certificate": c.ID, "fingerprint": c.Fingerprint, "serial": c.Serial, "subject": c.Subject,
		"issuer": c.Issuer, "source": c.Source, "not_after": c.NotAfter.UTC().Format(time.RFC3339)}
	if c.Account != "" {
		details["account"], details["credential_id"] = c.Account, c.CredentialID
	}
	if err := audit.Append(ctx, tx, audit.Event{ActorID: p.UserID, ActorUnitID: p.UnitID, Action: "certificate.register", Details: details}); err != nil {
		return Certificate{}, err
	}
	if err := tx.Commit(); err != nil {
		return Certificate{}, fmt.Errorf("certs: unable to commit: %w", err)
	}
	c.Created = true
	return c, nil
}

var errTaken = &domain.PreconditionError{Code: "certificate_taken",
	Message: "Chứng thư số này đã được đăng ký cho một tài khoản khác. Mỗi chứng thư số chỉ thuộc về một người; nếu đây là chứng thư số của bạn, hãy liên hệ quản trị viên"}

// RegisterRemote registers the certificates of the person's credentials
// at the remote-signing service, under the same checks as Register. Those
// that pass are registered (and returned); when none does, the first
// refusal is returned.
func (s *Service) RegisterRemote(ctx context.Context, p auth.Principal, account string) ([]Certificate, error) {
	if s.remote == nil {
		return nil, &domain.PreconditionError{Code: "remote_signing_off", Message: "Hệ thống chưa cấu hình dịch vụ ký số từ xa; hãy liên hệ quản trị viên"}
	}
	account = strings.TrimSpace(account)
	switch {
	case account == "":
		return nil, domain.Invalid("account", "hãy nhập tài khoản ký số từ xa")
	case len(account) > 200:
		return nil, domain.Invalid("account", "tài khoản dài tối đa 200 ký tự")
	}
	creds, err := s.remote.Credentials(ctx, account)
	switch {
	case errors.Is(err, remotesign.ErrUnavailable):
		return nil, &domain.PreconditionError{Code: "remote_unavailable", Message: "Dịch vụ ký số từ xa không phản hồi; hãy thử lại sau"}
	case errors.Is(err, remotesign.ErrNoCredential), err == nil && len(creds) == 0:
		return nil, domain.Invalid("account", "tài khoản này không có chứng thư số nào ở dịch vụ ký số từ xa")
	case err != nil:
		return nil, fmt.Errorf("certs: unable to list the remote credentials: %w", err)
	}
	var out []Certificate
	var first error
	for _, cr := range creds {
		if len(cr.Chain) == 0 {
			continue
		}
		in := RegisterRequest{Certificate: cr.Chain[0].Raw, Source: SourceRemote, account: account, credentialID: cr.ID}
		for _, c := range cr.Chain[1:] {
			in.Chain = append(in.Chain, c.Raw)
		}
		c, err := s.Register(ctx, p, in)
		if err != nil {
			var ve *domain.ValidationError
			var pe *domain.PreconditionError
			if !errors.As(err, &ve) && !errors.As(err, &pe) {
				return nil, err
			}
			if first == nil {
				first = err
			}
			continue
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		if first == nil {
			first = domain.Invalid("account", "tài khoản này không có chứng thư số nào ở dịch vụ ký số từ xa")
		}
		return nil, first
	}
	return out, nil
}

// Mine lists the person's certificates, latest expiry first.
func (s *Service) Mine(ctx context.Context, p auth.Principal) ([]Certificate, error) {
	out := []Certificate{}
	err := s.db.SelectContext(ctx, &out, `SELECT `+columns+` FROM user_certificates c
		WHERE c.user_id = $1 AND c.removed_at IS NULL ORDER BY c.not_after DESC, c.id DESC`, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("certs: unable to list certificates: %w", err)
	}
	return out, nil
}

// Get returns a registered certificate: the person's own, or anybody's
// for an administrator; another's is domain.ErrNotFound.
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (Certificate, error) {
	var c Certificate
	err := s.db.GetContext(ctx, &c, `SELECT `+columns+` FROM user_certificates c WHERE c.id = $1 AND c.removed_at IS NULL`, id)
	if errors.Is(err, sql.ErrNoRows) || err == nil && c.UserID != p.UserID && !p.Has(auth.RoleAdmin) {
		return Certificate{}, domain.ErrNotFound
	}
	if err != nil {
		return Certificate{}, fmt.Errorf("certs: unable to read certificate: %w", err)
	}
	return c, nil
}

// Remove takes a certificate out of the registry: the person's own, or
// anybody's for an administrator. It stays recorded for the signatures
// made with it.
func (s *Service) Remove(ctx context.Context, p auth.Principal, id int64) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("certs: unable to begin: %w", err)
	}
	defer tx.Rollback()
	var c Certificate
	err = tx.GetContext(ctx, &c, `SELECT `+columns+` FROM user_certificates c WHERE c.id = $1 AND c.removed_at IS NULL FOR UPDATE`, id)
	if errors.Is(err, sql.ErrNoRows) || err == nil && c.UserID != p.UserID && !p.Has(auth.RoleAdmin) {
		return domain.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("certs: unable to read certificate: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE user_certificates SET removed_at = now() WHERE id = $1`, id); err != nil {
		return fmt.Errorf("certs: unable to remove certificate: %w", err)
	}
	if err := audit.Append(ctx, tx, audit.Event{ActorID: p.UserID, ActorUnitID: p.UnitID, Action: "certificate.remove",
		Details: map[string]any{"certificate": c.ID, "holder": c.UserID, "fingerprint": c.Fingerprint, "serial": c.Serial, "subject": c.Subject}}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("certs: unable to commit: %w", err)
	}
	return nil
}

// Active returns the user's newest certificate of source ("" for any)
// valid at now and not removed, or domain.ErrNotFound.
func (s *Service) Active(ctx context.Context, userID int64, source string, now time.Time) (Certificate, error) {
	var c Certificate
	err := s.db.GetContext(ctx, &c, `SELECT `+columns+` FROM user_certificates c
		WHERE c.user_id = $1 AND c.removed_at IS NULL AND ($2 = '' OR c.source = $2) AND c.not_before <= $3 AND c.not_after > $3
		ORDER BY c.not_before DESC, c.id DESC LIMIT 1`, userID, source, now)
	if errors.Is(err, sql.ErrNoRows) {
		return Certificate{}, domain.ErrNotFound
	}
	if err != nil {
		return Certificate{}, fmt.Errorf("certs: unable to find the active certificate: %w", err)
	}
	return c, nil
}

// Held lists every held certificate with its holder, soonest expiry first,
// for an administrator (others get domain.ErrForbidden).
func (s *Service) Held(ctx context.Context, p auth.Principal) ([]Holding, error) {
	if !p.Has(auth.RoleAdmin) {
		return nil, domain.ErrForbidden
	}
	out := []Holding{}
	err := s.db.SelectContext(ctx, &out, `SELECT `+strings.ReplaceAll(columns, "c.der, ", "'' AS der, ")+`,
		u.full_name, u.username, n.name AS unit_name
		FROM user_certificates c JOIN users u ON u.id = c.user_id JOIN units n ON n.id = u.unit_id
		WHERE c.removed_at IS NULL ORDER BY c.not_after, c.id`)
	if err != nil {
		return nil, fmt.Errorf("certs: unable to list held certificates: %w", err)
	}
	now := s.now()
	for i := range out {
		out[i].DER, out[i].Chain = nil, nil
		out[i].DaysLeft = daysLeft(out[i].NotAfter, now)
	}
	return out, nil
}

// daysLeft counts whole days from now to notAfter, negative once past.
func daysLeft(notAfter, now time.Time) int {
	d := notAfter.Sub(now)
	if d < 0 {
		return -int((-d + 24*time.Hour - 1) / (24 * time.Hour))
	}
	return int(d / (24 * time.Hour))
}

// JobWarnExpiring is the daily job that runs WarnExpiring.
const JobWarnExpiring = "certificates.warn_expiring"

// Handlers are the job handlers the worker needs for the registry.
func (s *Service) Handlers() map[string]notify.Handler {
	return map[string]notify.Handler{
		JobWarnExpiring: {Run: func(ctx context.Context, _ json.RawMessage) error { _, err := s.WarnExpiring(ctx, s.now()); return err }, Idempotent: true},
	}
}

// WarnJob is the day's expiry warning job: enqueued by every instance, it
// runs once a day (its key is the Vietnam date).
func WarnJob(now time.Time) notify.Job {
	return notify.Job{Kind: JobWarnExpiring, DedupeKey: "certificates.warn:" + now.In(domain.VietnamTime).Format(time.DateOnly)}
}

// WarnExpiring notifies the holder of each held certificate that expires
// within WarnBefore of now (or has expired) and was not warned yet, and
// marks it warned. It returns the number warned.
func (s *Service) WarnExpiring(ctx context.Context, now time.Time) (int, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("certs: unable to begin: %w", err)
	}
	defer tx.Rollback()
	var due []Certificate
	err = tx.SelectContext(ctx, &due, `SELECT `+columns+` FROM user_certificates c
		WHERE c.removed_at IS NULL AND c.warned_at IS NULL AND c.not_after < $1
		ORDER BY c.id FOR UPDATE SKIP LOCKED`, now.Add(WarnBefore))
	if err != nil {
		return 0, fmt.Errorf("certs: unable to find expiring certificates: %w", err)
	}
	if len(due) == 0 {
		return 0, nil
	}
	ns := make([]notify.Notification, len(due))
	ids := make(pq.Int64Array, len(due))
	for i, c := range due {
		verb := "hết hạn"
		if c.Expired(now) {
			verb = "đã hết hạn"
		}
		ns[i] = notify.Notification{UserID: c.UserID, Kind: "certificate.expiring",
			Title: fmt.Sprintf("Chứng thư số %s %s ngày %s; hãy gia hạn", c.CommonName, verb, dateVN(c.NotAfter)),
			Body: fmt.Sprintf("Chứng thư số «%s» (số hiệu %s, do %s cấp) %s ngày %s; hãy gia hạn với tổ chức cung cấp dịch vụ chứng thực rồi đăng ký chứng thư số mới. Hết hạn rồi thì không ký số được.",
				c.CommonName, c.Serial, c.Issuer, verb, dateVN(c.NotAfter)),
			Link: "/settings/certificates", DedupeKey: fmt.Sprintf("certificate.expiring:%d", c.ID)}
		ids[i] = c.ID
	}
	if err := s.notes.Add(ctx, tx, ns); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE user_certificates SET warned_at = now() WHERE id = ANY($1)`, ids); err != nil {
		return 0, fmt.Errorf("certs: unable to mark certificates warned: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("certs: unable to commit: %w", err)
	}
	return len(due), nil
}
