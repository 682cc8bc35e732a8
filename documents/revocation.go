package documents

import (
	"context"
	"crypto/x509"
	"fmt"

	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/signing"
)

// What signing does when the signer's certificate's revocation status
// cannot be learnt (responder down, no URL, stale CRL).
const (
	// RevocationWarn signs and records the unknown status, with why, in
	// the audit log.
	RevocationWarn = "warn"
	// RevocationRefuse refuses the signature.
	RevocationRefuse = "refuse"
)

// checkSignerRevocation asks whether key's certificate, which is about to
// sign for who, is revoked: revoked refuses, naming when and why; unknown
// refuses under RevocationRefuse. It returns what the audit entry records:
// "good", "unknown: why", or "" when no checker is configured.
func checkSignerRevocation(ctx context.Context, deps *SigningDeps, key signing.Key, who string) (string, error) {
	if deps.Revocation == nil {
		return "", nil
	}
	cert := key.Certificate()
	var issuer *x509.Certificate
	if len(key.Chain) > 1 {
		issuer = key.Chain[1]
	} else if cert != nil {
		// A token may hold the leaf alone: its issuer among the roots.
		for _, r := range deps.RootCerts {
			if cert.CheckSignatureFrom(r) == nil {
				issuer = r
				break
			}
		}
	}
	r := deps.Revocation.Check(ctx, cert, issuer)
	switch r.Status {
	case signing.RevocationGood:
		return r.String(), nil
	case signing.RevocationRevoked:
		return "", &domain.PreconditionError{Code: "certificate_revoked",
			Message: fmt.Sprintf("Chứng thư số của %s %s; không ký được. Hãy liên hệ tổ chức chứng thực để được cấp chứng thư số mới", who, r.StringVI())}
	}
	if deps.RevocationPolicy == RevocationRefuse {
		return "", &domain.PreconditionError{Code: "revocation_unknown",
			Message: fmt.Sprintf("Chưa kiểm tra được chứng thư số của %s có bị thu hồi hay không (%s); theo quy định của hệ thống, không ký khi chưa kiểm tra được. Hãy thử lại sau", who, r.WhyVI)}
	}
	return r.String(), nil
}
