package edxml

import (
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

var (
	// ErrNoSignature: the message carries no XML-DSig signature.
	ErrNoSignature = errors.New("edxml: the message is not signed")
	// ErrBadSignature: the signature does not verify (the message changed
	// after signing, the certificate was swapped, or the signature is
	// malformed or uses an algorithm not accepted).
	ErrBadSignature = errors.New("edxml: the signature does not verify")
	// ErrTooLarge: the message is larger than ParseOptions.MaxBytes.
	ErrTooLarge = errors.New("edxml: the message is too large")
	// ErrUntrustedSigner: the signer's chain does not lead to a trusted root
	// at the given time.
	ErrUntrustedSigner = errors.New("edxml: the signer's certificate is not trusted")
	// ErrBadKey: Build or BuildStatus got a key it cannot sign with.
	ErrBadKey = errors.New("edxml: unusable signing key")
)

// FormatError is a message that breaks the format or a rule of QCVN
// 102:2016. Field is the element path (e.g. "MessageHeader/From/OrganId");
// Message is in Vietnamese, fit to show to the sender.
type FormatError struct {
	Field   string
	Message string
}

func (e *FormatError) Error() string {
	if e.Field == "" {
		return "edxml: " + e.Message
	}
	return "edxml: " + e.Field + ": " + e.Message
}

func formatErr(field, format string, args ...any) *FormatError {
	return &FormatError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// VerifyChain checks that the package's signer chain leads to one of roots
// at time at. The signature itself was checked by Parse.
func (p *Package) VerifyChain(roots *x509.CertPool, at time.Time) error {
	return verifyChain(p.Chain, roots, at)
}

// VerifyChain checks that the status's signer chain leads to one of roots
// at time at.
func (s *Status) VerifyChain(roots *x509.CertPool, at time.Time) error {
	return verifyChain(s.Chain, roots, at)
}

func verifyChain(chain []*x509.Certificate, roots *x509.CertPool, at time.Time) error {
	if len(chain) == 0 {
		return fmt.Errorf("%w: no certificate", ErrUntrustedSigner)
	}
	if roots == nil {
		return fmt.Errorf("%w: no trusted roots given", ErrUntrustedSigner)
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := chain[0].Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   at,
		// Signing certificates from Vietnamese CAs carry assorted extended
		// key usages (email protection, document signing) or none.
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUntrustedSigner, err)
	}
	return nil
}
