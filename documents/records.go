package documents

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/hcm-edu/vanban/signing"
	"github.com/jmoiron/sqlx"
)

// SignatureRecord is vanban's record of how a signature found in a file
// was made (Signature.Method), when and by whom.
type SignatureRecord struct {
	Found    bool      `json:"found"`
	Method   string    `json:"method,omitempty"`
	Signer   string    `json:"signer,omitempty"`
	SignedAt time.Time `json:"signed_at,omitzero"`
}

// MethodText names a signing method in Vietnamese and English.
func MethodText(method string) string {
	switch method {
	case ModeHelper:
		return "USB token của người ký, qua chương trình ký vanban-signer / the signer's own USB token, through vanban-signer"
	case ModeRemote:
		return "ký số từ xa, người ký xác nhận bằng OTP / remote signing, confirmed by the signer's OTP"
	case ModeServer:
		return "khóa do máy chủ giữ (HSM của cơ quan hoặc khóa thử nghiệm) / a key held by the server (the office HSM, or a development key)"
	}
	return method
}

// RecordsFor looks up, for each signature of the file in (as Verify
// reported them), the record vanban kept when it was applied. A signature
// covers the file as it was when signed, so the SHA-256 of the bytes up
// to the end of its ByteRange names the stored version it made.
func RecordsFor(ctx context.Context, db *sqlx.DB, in []byte, sigs []signing.SignatureReport) ([]SignatureRecord, error) {
	out := make([]SignatureRecord, len(sigs))
	for i, s := range sigs {
		if len(s.ByteRange) != 4 || s.CertificateSerial == "" {
			continue
		}
		end := s.ByteRange[2] + s.ByteRange[3]
		if end <= 0 || end > int64(len(in)) {
			continue
		}
		sum := sha256.Sum256(in[:end])
		var r struct {
			Method   string    `db:"method"`
			Signer   string    `db:"full_name"`
			SignedAt time.Time `db:"signed_at"`
		}
		err := db.GetContext(ctx, &r, `
			SELECT g.method, u.full_name, g.signed_at
			FROM document_signatures g
			JOIN document_versions v ON v.document_id = g.document_id AND v.version_no = g.version_no
			JOIN users u ON u.id = g.signed_by
			WHERE v.sha256 = $1 AND lower(g.certificate_serial) = lower($2)
			LIMIT 1`, hex.EncodeToString(sum[:]), s.CertificateSerial)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("documents: unable to look up signature records: %w", err)
		}
		out[i] = SignatureRecord{Found: true, Method: r.Method, Signer: r.Signer, SignedAt: r.SignedAt}
	}
	return out, nil
}
