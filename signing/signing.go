// Package signing signs official documents as Decree 30/2020 requires
// (PAdES signatures in the PDF, a person's signature then the
// organisation's) and verifies signed PDFs without trusting the signing
// library alone. Everything downstream of key loading depends only on a
// crypto.Signer and its certificate chain; where the key lives (a file in
// development, a PKCS#11 token or HSM in production) is decided in one place.
package signing

import (
	"crypto"
	"crypto/x509"
	"errors"
)

// Key is a private key and the certificate chain that names it, leaf first.
type Key struct {
	Signer crypto.Signer
	Chain  []*x509.Certificate
}

// Certificate returns the leaf certificate.
func (k Key) Certificate() *x509.Certificate {
	if len(k.Chain) == 0 {
		return nil
	}
	return k.Chain[0]
}

var (
	// ErrKeyMismatch: the private key does not belong to the certificate.
	ErrKeyMismatch = errors.New("signing: the private key does not match the certificate")
	// ErrCertificateExpired: the certificate is outside its validity period.
	ErrCertificateExpired = errors.New("signing: the certificate is expired or not yet valid")
	// ErrTokenUnavailable: the PKCS#11 token or HSM cannot be reached
	// (unplugged, wrong PIN, missing key).
	ErrTokenUnavailable = errors.New("signing: the signing token is not available")
	// ErrEncrypted: the PDF is encrypted and cannot be signed.
	ErrEncrypted = errors.New("signing: the PDF is encrypted")
	// ErrBadPDF: the PDF does not parse.
	ErrBadPDF = errors.New("signing: the PDF does not parse")
	// ErrBadImage: a signature or seal image is not an acceptable PNG.
	ErrBadImage = errors.New("signing: the image is not an acceptable PNG")
	// ErrTSA: the timestamp authority failed or did not answer in time.
	ErrTSA = errors.New("signing: the timestamp authority failed")
	// ErrTooLarge: the PDF is larger than the configured limit.
	ErrTooLarge = errors.New("signing: the PDF is too large")
)
