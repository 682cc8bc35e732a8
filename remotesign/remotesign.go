// Package remotesign signs digests with a person's key held by a remote
// signing service: the service holds the key in its HSM, the person
// confirms each authorisation (an OTP, or the service's phone app), and
// vanban never sees the key. CSC implements the Cloud Signature
// Consortium API v2; a provider's own API can be added beside it.
package remotesign

import (
	"context"
	"crypto/x509"
	"errors"
)

// Provider signs SHA-256 digests with a remote credential.
type Provider interface {
	// Credentials lists the signing credentials the service holds for the
	// person's account there.
	Credentials(ctx context.Context, account string) ([]Credential, error)
	// SignHashes signs every digest (32 bytes, SHA-256) with the credential
	// after one authorisation bound to exactly these digests, confirmed by
	// otp; it returns the signatures in order (PKCS#1 v1.5 for RSA keys,
	// ASN.1 DER for ECDSA) and checks each against the credential's
	// certificate before returning it.
	SignHashes(ctx context.Context, account, credentialID, otp string, digests [][]byte) ([][]byte, error)
}

// Credential is one key the service holds, with its certificate chain
// (leaf first).
type Credential struct {
	ID          string
	Description string
	Chain       []*x509.Certificate
}

// Errors a provider returns, for the service to explain.
var (
	ErrUnavailable  = errors.New("remotesign: the service is unavailable or did not answer in time")
	ErrOTP          = errors.New("remotesign: the one-time code was refused")
	ErrRefused      = errors.New("remotesign: the service refused the signature")
	ErrBadSignature = errors.New("remotesign: the service returned a signature that does not verify")
	ErrNoCredential = errors.New("remotesign: no such credential for this account")
)
