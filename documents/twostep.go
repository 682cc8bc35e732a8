package documents

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/remotesign"
	"github.com/hcm-edu/vanban/signing"
	"github.com/lib/pq"
)

// How a person's signature is made (SIGNING_MODE, or users.signing_mode).
const (
	// ModeServer: a key the server holds (files for development, or the
	// office's HSM); the person confirms with a second factor.
	ModeServer = "server"
	// ModeHelper: the person's own USB token, through the signing helper
	// on their PC (PrepareSignature, then CompleteSignature).
	ModeHelper = "helper"
	// ModeRemote: the person's remote-signing credential; the service's
	// one-time code authorises the signature (Decree 30 art. 32.3: the
	// person keeps their own key).
	ModeRemote = "remote"
)

// PreparedTTL is how long a prepared signature waits for its completion.
const PreparedTTL = 5 * time.Minute

// SetSigningMode sets the mode of people whose account names none, and the
// remote-signing service (nil: none).
func (s *Service) SetSigningMode(mode string, remote remotesign.Provider) {
	s.mode, s.remote = mode, remote
}

// SigningMode is how userID's signatures are made.
func (s *Service) SigningMode(ctx context.Context, userID int64) (string, error) {
	var mode string
	err := s.db.GetContext(ctx, &mode, `SELECT signing_mode FROM users WHERE id = $1`, userID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("documents: unable to read the signing mode: %w", err)
	}
	if mode == "" {
		mode = s.mode
	}
	if mode == "" {
		mode = ModeServer
	}
	return mode, nil
}

var errUseHelper = &domain.PreconditionError{Code: "use_helper",
	Message: "Bạn ký bằng USB token của mình qua chương trình ký vanban-signer: hãy mở chương trình ký trên máy tính rồi bấm «Ký số» trên trang văn bản (ký từng văn bản)"}

var errServerKeysOff = &domain.PreconditionError{Code: "server_keys_off",
	Message: "Hệ thống không ký bằng khóa lưu trên máy chủ: mỗi người ký bằng USB token của mình hoặc tài khoản ký số từ xa. Hãy liên hệ quản trị viên để được cấu hình cách ký"}

// PreparedSignature is what the signer's device needs: the digest to sign
// with the certificate named by Fingerprint, and what to show the person.
type PreparedSignature struct {
	ID          string    `json:"id"`
	DocumentID  int64     `json:"document_id"`
	Digest      []byte    `json:"digest"`
	Fingerprint string    `json:"fingerprint"`
	ExpiresAt   time.Time `json:"expires_at"`
	Title       string    `json:"title"`
	Number      string    `json:"number"`
	Unit        string    `json:"unit"`
	FileSHA256  string    `json:"file_sha256"`
	Signer      string    `json:"signer"`
	Method      string    `json:"method"`

	certID  int64
	account string
	credID  string
}

// preparedRecord is the signature's record kept from the first step to
// the second.
type preparedRecord struct {
	Page         int          `json:"page"`
	Rect         [4]float64   `json:"rect"`
	Inner        signing.Rect `json:"inner"`
	Capacity     string       `json:"capacity"`
	CapacityLine string       `json:"capacity_line"`
	Position     string       `json:"position"`
	AuthorityID  *int64       `json:"authority_id"`
	Revocation   string       `json:"revocation"`
}

// heldCert is a registered certificate (certs) as signing needs it.
type heldCert struct {
	ID           int64  `db:"id"`
	Fingerprint  string `db:"fingerprint"`
	DER          []byte `db:"der"`
	Chain        []byte `db:"chain"`
	Account      string `db:"account"`
	CredentialID string `db:"credential_id"`
}

func (c heldCert) certificates() ([]*x509.Certificate, error) {
	leaf, err := x509.ParseCertificate(c.DER)
	if err != nil {
		return nil, fmt.Errorf("documents: unable to read registered certificate %d: %w", c.ID, err)
	}
	out := []*x509.Certificate{leaf}
	if len(c.Chain) > 0 {
		rest, err := x509.ParseCertificates(c.Chain)
		if err != nil {
			return nil, fmt.Errorf("documents: unable to read the chain of registered certificate %d: %w", c.ID, err)
		}
		out = append(out, rest...)
	}
	return out, nil
}

// heldCertificate is userID's newest valid certificate for method (for the
// helper, one from the helper or an uploaded .cer), or the one named by
// fingerprint.
func (s *Service) heldCertificate(ctx context.Context, userID int64, method, fingerprint string) (heldCert, error) {
	sources := []string{"helper", "upload"}
	if method == ModeRemote {
		sources = []string{"remote"}
	}
	var c heldCert
	err := s.db.GetContext(ctx, &c, `
		SELECT id, fingerprint, der, chain, account, credential_id FROM user_certificates
		WHERE user_id = $1 AND removed_at IS NULL AND source = ANY($2)
		  AND not_before <= now() AND not_after > now()
		  AND ($3 = '' OR fingerprint = lower($3))
		ORDER BY not_after DESC, id DESC LIMIT 1`, userID, pq.Array(sources), strings.TrimSpace(fingerprint))
	if errors.Is(err, sql.ErrNoRows) {
		what := "chứng thư số của USB token"
		if method == ModeRemote {
			what = "tài khoản ký số từ xa"
		}
		return c, &domain.PreconditionError{Code: "no_certificate",
			Message: "Bạn chưa đăng ký " + what + " còn hiệu lực; hãy vào «Chứng thư số của tôi» để đăng ký rồi ký lại"}
	}
	if err != nil {
		return c, fmt.Errorf("documents: unable to find the signer's certificate: %w", err)
	}
	return c, nil
}

// PrepareSignature is the first step of signing with the person's own
// token: the same checks and placement as SignAsPerson, then the file is
// prepared for the certificate the person registered (fingerprint picks
// one, "" the newest), checked at this moment (valid, chaining to the
// trusted roots, not revoked), and the digest returned. The prepared state
// lives in PostgreSQL and the store, so the second step may reach another
// instance; it expires after PreparedTTL.
func (s *Service) PrepareSignature(ctx context.Context, p auth.Principal, id int64, req SignRequest, fingerprint string) (PreparedSignature, error) {
	mode, err := s.SigningMode(ctx, p.UserID)
	if err != nil {
		return PreparedSignature{}, err
	}
	if mode != ModeHelper {
		return PreparedSignature{}, &domain.PreconditionError{Code: "not_helper_mode",
			Message: "Tài khoản của bạn không ký bằng USB token qua chương trình ký; hãy dùng nút «Ký số» thông thường"}
	}
	return s.prepare(ctx, p, id, req, ModeHelper, fingerprint)
}

func (s *Service) prepare(ctx context.Context, p auth.Principal, id int64, req SignRequest, method, fingerprint string) (PreparedSignature, error) {
	plan, err := s.planPerson(ctx, p, id, req)
	if err != nil {
		return PreparedSignature{}, err
	}
	held, err := s.heldCertificate(ctx, p.UserID, method, fingerprint)
	if err != nil {
		return PreparedSignature{}, err
	}
	chain, err := held.certificates()
	if err != nil {
		return PreparedSignature{}, err
	}
	if err := checkHeldCertificate(plan.deps, chain, time.Now()); err != nil {
		return PreparedSignature{}, err
	}
	revocation, err := checkSignerRevocation(ctx, plan.deps, signing.Key{Chain: chain}, p.FullName)
	if err != nil {
		return PreparedSignature{}, err
	}
	reason := strings.TrimSpace(req.Reason)
	if reason == "" {
		reason = plan.defaultReason
	}
	prep, err := signing.Prepare(ctx, plan.in, chain, signing.Options{Name: p.FullName, Reason: reason, Location: p.UnitName,
		Appearance: &signing.Appearance{Page: plan.page, Rect: plan.rect, PNG: plan.app}, TSA: plan.deps.TSA, MaxBytes: plan.deps.MaxBytes})
	if err != nil {
		return PreparedSignature{}, err
	}
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return PreparedSignature{}, fmt.Errorf("documents: unable to name the prepared signature: %w", err)
	}
	prepID := hex.EncodeToString(raw[:])
	key := "prepared/" + prepID
	if err := s.blobs.Put(ctx, key, bytes.NewReader(prep.PDF), int64(len(prep.PDF))); err != nil {
		return PreparedSignature{}, fmt.Errorf("documents: unable to store the prepared signature: %w", err)
	}
	record, err := json.Marshal(preparedRecord{Page: plan.page, Rect: plan.rect, Inner: plan.inner, Capacity: plan.as.Capacity,
		CapacityLine: plan.as.Line, Position: plan.as.Position, AuthorityID: plan.as.AuthorityID, Revocation: revocation})
	if err != nil {
		return PreparedSignature{}, fmt.Errorf("documents: unable to encode the prepared signature: %w", err)
	}
	expires := time.Now().Add(PreparedTTL)
	latest := plan.d.Versions[0]
	_, err = s.db.ExecContext(ctx, `
		INSERT INTO prepared_signatures (id, document_id, version_no, user_id, certificate_id, method, object_key, digest, record, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		prepID, plan.d.ID, latest.No, p.UserID, held.ID, method, key, prep.Digest, record, expires)
	if err != nil {
		s.blobs.Delete(context.WithoutCancel(ctx), key) //nolint:errcheck // PurgePrepared removes it otherwise
		return PreparedSignature{}, fmt.Errorf("documents: unable to record the prepared signature: %w", err)
	}
	out := PreparedSignature{ID: prepID, DocumentID: plan.d.ID, Digest: prep.Digest, Fingerprint: held.Fingerprint,
		ExpiresAt: expires, Title: plan.d.Title, Unit: p.UnitName, FileSHA256: latest.SHA256, Signer: p.FullName, Method: method,
		certID: held.ID, account: held.Account, credID: held.CredentialID}
	if plan.d.Number != nil && plan.d.Symbol != nil {
		out.Number = formatNumber(*plan.d.Number, *plan.d.Symbol)
	}
	return out, nil
}

// checkHeldCertificate checks a registered certificate at signing: within
// its validity and chaining to the trusted roots.
func checkHeldCertificate(deps *SigningDeps, chain []*x509.Certificate, now time.Time) error {
	leaf := chain[0]
	if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		return &domain.PreconditionError{Code: "certificate_expired",
			Message: fmt.Sprintf("Chứng thư số của bạn chỉ có hiệu lực từ %s đến %s; hãy gia hạn rồi đăng ký lại",
				leaf.NotBefore.In(domain.VietnamTime).Format("02/01/2006"), leaf.NotAfter.In(domain.VietnamTime).Format("02/01/2006"))}
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: deps.Roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return &domain.PreconditionError{Code: "certificate_untrusted",
			Message: "Chứng thư số của bạn không do tổ chức chứng thực được hệ thống tin cậy cấp; hãy liên hệ quản trị viên"}
	}
	return nil
}

// CompleteSignature is the second step: value is the signature of the
// prepared digest made by the person's device. It is checked against the
// prepared file and the registered certificate, the result verified, and
// the signed file stored as the document's next version, all or nothing.
// A prepared signature is completed once, by the person who prepared it,
// before it expires; another person's is domain.ErrNotFound.
func (s *Service) CompleteSignature(ctx context.Context, p auth.Principal, preparedID string, value []byte) (Document, error) {
	deps, err := s.signingDeps()
	if err != nil {
		return Document{}, err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Document{}, fmt.Errorf("documents: unable to begin: %w", err)
	}
	defer tx.Rollback()
	var row struct {
		DocumentID    int64        `db:"document_id"`
		VersionNo     int          `db:"version_no"`
		UserID        int64        `db:"user_id"`
		CertificateID int64        `db:"certificate_id"`
		Method        string       `db:"method"`
		ObjectKey     string       `db:"object_key"`
		Digest        []byte       `db:"digest"`
		Record        []byte       `db:"record"`
		ExpiresAt     time.Time    `db:"expires_at"`
		CompletedAt   sql.NullTime `db:"completed_at"`
	}
	err = tx.GetContext(ctx, &row, `
		SELECT document_id, version_no, user_id, certificate_id, method, object_key, digest, record, expires_at, completed_at
		FROM prepared_signatures WHERE id = $1 FOR UPDATE`, strings.ToLower(strings.TrimSpace(preparedID)))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && row.UserID != p.UserID) {
		return Document{}, domain.ErrNotFound
	}
	if err != nil {
		return Document{}, fmt.Errorf("documents: unable to read the prepared signature: %w", err)
	}
	switch {
	case row.CompletedAt.Valid:
		return Document{}, &domain.PreconditionError{Code: "already_completed", Message: "Yêu cầu ký này đã được hoàn tất; văn bản đã có chữ ký"}
	case time.Now().After(row.ExpiresAt):
		return Document{}, &domain.PreconditionError{Code: "prepared_expired",
			Message: fmt.Sprintf("Yêu cầu ký đã hết hạn (sau %d phút); hãy bấm «Ký số» lại", int(PreparedTTL/time.Minute))}
	}
	d, err := s.Get(ctx, p, row.DocumentID)
	if err != nil {
		return Document{}, err
	}
	if d.Versions[0].No != row.VersionNo {
		return d, &ConflictError{Current: d.Versions[0].SHA256}
	}
	sealed, err := s.Sealed(ctx, d.ID)
	if err != nil {
		return d, err
	}
	if err := signatureRule(p, d, auth.RoleSigner, sealed).Err(); err != nil {
		return d, err
	}
	var held heldCert
	err = tx.GetContext(ctx, &held, `SELECT id, fingerprint, der, chain, account, credential_id FROM user_certificates
		WHERE id = $1 AND user_id = $2 AND removed_at IS NULL`, row.CertificateID, p.UserID)
	if errors.Is(err, sql.ErrNoRows) {
		return d, &domain.PreconditionError{Code: "certificate_removed", Message: "Chứng thư số dùng để chuẩn bị chữ ký đã bị gỡ khỏi tài khoản; hãy ký lại"}
	}
	if err != nil {
		return d, fmt.Errorf("documents: unable to read the registered certificate: %w", err)
	}
	chain, err := held.certificates()
	if err != nil {
		return d, err
	}
	prepared, err := s.readPrepared(ctx, row.ObjectKey, deps.MaxBytes)
	if err != nil {
		return d, err
	}
	out, err := signing.Complete(ctx, prepared, row.Digest, value, chain[0], deps.TSA)
	if errors.Is(err, signing.ErrSignatureMismatch) || errors.Is(err, signing.ErrNotPrepared) {
		return d, &domain.PreconditionError{Code: "signature_mismatch",
			Message: "Chữ ký nhận được không khớp với văn bản đã chuẩn bị hoặc với chứng thư số đã đăng ký của bạn; văn bản chưa được ký"}
	}
	if err != nil {
		return d, err
	}
	if err := checkCompleted(ctx, deps, out, chain[0]); err != nil {
		return d, err
	}
	var rec preparedRecord
	if err := json.Unmarshal(row.Record, &rec); err != nil {
		return d, fmt.Errorf("documents: unable to read the prepared signature: %w", err)
	}
	inner := rec.Inner
	sig := Signature{Kind: "person", Page: rec.Page, LLX: rec.Rect[0], LLY: rec.Rect[1], URX: rec.Rect[2], URY: rec.Rect[3],
		ImageX: &inner.X, ImageY: &inner.Y, ImageW: &inner.W, ImageH: &inner.H,
		Capacity: rec.Capacity, CapacityLine: rec.CapacityLine, Position: rec.Position, AuthorityID: rec.AuthorityID,
		Revocation: rec.Revocation, Method: row.Method, CertificateID: &held.ID}
	if err := s.addSignedVersionTx(ctx, tx, p, d, out, sig, signing.Key{Chain: chain}, "signed", nil, nil); err != nil {
		return d, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE prepared_signatures SET completed_at = now() WHERE id = $1`, preparedID); err != nil {
		return d, fmt.Errorf("documents: unable to close the prepared signature: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return d, fmt.Errorf("documents: unable to commit: %w", err)
	}
	s.blobs.Delete(context.WithoutCancel(ctx), row.ObjectKey) //nolint:errcheck // PurgePrepared removes it otherwise
	return s.Get(ctx, p, d.ID)
}

func (s *Service) readPrepared(ctx context.Context, key string, max int64) ([]byte, error) {
	rc, err := s.blobs.Open(ctx, key, 0, -1)
	if err != nil {
		return nil, fmt.Errorf("documents: unable to read the prepared signature: %w", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, max+4<<20))
	if err != nil {
		return nil, fmt.Errorf("documents: unable to read the prepared signature: %w", err)
	}
	return b, nil
}

// checkCompleted verifies the completed file as a reader would: every
// signature intact, the new one covering the whole file, trusted, and
// made with the registered certificate.
func checkCompleted(ctx context.Context, deps *SigningDeps, out []byte, leaf *x509.Certificate) error {
	rep, err := signing.Verify(out, signing.VerifyOptions{Roots: deps.Roots, Context: ctx})
	if err != nil {
		return fmt.Errorf("documents: unable to verify the completed signature: %w", err)
	}
	bad := &domain.PreconditionError{Code: "signature_invalid", Message: "Chữ ký số vừa tạo không kiểm tra được là hợp lệ; văn bản chưa được ký. Hãy thử lại hoặc liên hệ quản trị viên"}
	if len(rep.Signatures) == 0 || rep.SignaturesVerified != rep.SignatureFields {
		return bad
	}
	last := rep.Signatures[len(rep.Signatures)-1]
	if !last.Intact || !last.Trusted || !last.CoversWholeDocument || !strings.EqualFold(last.CertificateSerial, leaf.SerialNumber.Text(16)) {
		return bad
	}
	return nil
}

// signRemote signs items with p's remote-signing credential: each is
// prepared, the service signs every digest after one authorisation
// confirmed by otp, and each is completed. Nothing is signed when the
// service refuses or fails; an item that cannot be prepared is its result.
func (s *Service) signRemote(ctx context.Context, p auth.Principal, items []BatchItem, reason, otp string, page int, rect *[4]float64) ([]BatchResult, error) {
	if s.remote == nil {
		return nil, &domain.PreconditionError{Code: "remote_signing_off", Message: "Hệ thống chưa cấu hình dịch vụ ký số từ xa; hãy liên hệ quản trị viên"}
	}
	if strings.TrimSpace(otp) == "" {
		return nil, domain.Invalid("otp", "hãy nhập mã xác thực (OTP) của dịch vụ ký số từ xa")
	}
	out := make([]BatchResult, len(items))
	var preps []PreparedSignature
	var at []int
	for i, it := range items {
		out[i].ID = it.ID
		prep, err := s.prepare(ctx, p, it.ID, SignRequest{VersionSHA256: strings.TrimSpace(it.VersionSHA256), Reason: reason, Page: page, Rect: rect}, ModeRemote, "")
		if err != nil {
			out[i].Err = err
			continue
		}
		if len(preps) > 0 && preps[0].certID != prep.certID {
			out[i].Err = &domain.PreconditionError{Code: "certificate_changed", Message: "Chứng thư số ký từ xa vừa thay đổi; hãy ký lại văn bản này"}
			continue
		}
		preps, at = append(preps, prep), append(at, i)
	}
	if len(preps) == 0 {
		if len(items) == 1 {
			return nil, out[0].Err
		}
		return out, nil
	}
	digests := make([][]byte, len(preps))
	for i, pr := range preps {
		digests[i] = pr.Digest
	}
	values, err := s.remote.SignHashes(ctx, preps[0].account, preps[0].credID, strings.TrimSpace(otp), digests)
	if err != nil {
		return nil, remoteError(err)
	}
	for j, pr := range preps {
		d, err := s.CompleteSignature(ctx, p, pr.ID, values[j])
		if err != nil {
			out[at[j]].Err = err
			continue
		}
		out[at[j]].Document = &d
	}
	return out, nil
}

func remoteError(err error) error {
	switch {
	case errors.Is(err, remotesign.ErrOTP):
		return domain.Invalid("otp", "mã xác thực (OTP) của dịch vụ ký số từ xa không đúng hoặc đã dùng; hãy nhập mã mới")
	case errors.Is(err, remotesign.ErrUnavailable):
		return &domain.PreconditionError{Code: "remote_unavailable", Message: "Dịch vụ ký số từ xa không phản hồi; chưa văn bản nào được ký. Hãy thử lại sau ít phút"}
	case errors.Is(err, remotesign.ErrNoCredential):
		return &domain.PreconditionError{Code: "remote_no_credential", Message: "Dịch vụ ký số từ xa không còn khóa ký đã đăng ký cho tài khoản của bạn; hãy đăng ký lại trong «Chứng thư số của tôi»"}
	case errors.Is(err, remotesign.ErrBadSignature):
		return &domain.PreconditionError{Code: "remote_bad_signature", Message: "Dịch vụ ký số từ xa trả về chữ ký không khớp với văn bản; chưa văn bản nào được ký. Hãy báo quản trị viên"}
	case errors.Is(err, remotesign.ErrRefused):
		return &domain.PreconditionError{Code: "remote_refused", Message: "Dịch vụ ký số từ xa từ chối ký (yêu cầu không được xác nhận); chưa văn bản nào được ký"}
	}
	return err
}

// PurgePrepared removes prepared signatures that expired more than a day
// ago without completion, and their files.
func (s *Service) PurgePrepared(ctx context.Context, now time.Time) (int, error) {
	var keys []struct {
		ID  string `db:"id"`
		Key string `db:"object_key"`
	}
	err := s.db.SelectContext(ctx, &keys, `SELECT id, object_key FROM prepared_signatures
		WHERE (completed_at IS NULL AND expires_at < $1) OR completed_at < $1 LIMIT 1000`, now.Add(-24*time.Hour))
	if err != nil {
		return 0, fmt.Errorf("documents: unable to list expired prepared signatures: %w", err)
	}
	n := 0
	for _, k := range keys {
		if err := s.blobs.Delete(ctx, k.Key); err != nil {
			return n, fmt.Errorf("documents: unable to remove a prepared file: %w", err)
		}
		if _, err := s.db.ExecContext(ctx, `DELETE FROM prepared_signatures WHERE id = $1`, k.ID); err != nil {
			return n, fmt.Errorf("documents: unable to remove a prepared signature: %w", err)
		}
		n++
	}
	return n, nil
}
