package localsigner

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"

	"github.com/miekg/pkcs11"
)

func TestLoginErrors(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want error
	}{
		{fmt.Errorf("failed to log into long term session: %w", pkcs11.Error(pkcs11.CKR_PIN_INCORRECT)), ErrWrongPIN},
		{pkcs11.Error(pkcs11.CKR_PIN_LEN_RANGE), ErrWrongPIN},
		{pkcs11.Error(pkcs11.CKR_PIN_LOCKED), ErrPINLocked},
		{pkcs11.Error(pkcs11.CKR_PIN_EXPIRED), ErrPINExpired},
		{pkcs11.Error(pkcs11.CKR_TOKEN_NOT_PRESENT), ErrTokenAbsent},
		{errors.New("could not find PKCS#11 token"), ErrTokenAbsent},
	} {
		if got := loginError(tc.err); !errors.Is(got, tc.want) {
			t.Errorf("loginError(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	if got := loginError(pkcs11.Error(pkcs11.CKR_GENERAL_ERROR)); errors.Is(got, ErrWrongPIN) || errors.Is(got, ErrPINLocked) {
		t.Errorf("a general error read as a PIN error: %v", got)
	}
}

func TestVerifyECDSA(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	d := sha256.Sum256([]byte("văn bản"))
	sig, err := k.Sign(rand.Reader, d[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(k.Public(), d[:], sig); err != nil {
		t.Error(err)
	}
	d[0] ^= 1
	if err := verify(k.Public(), d[:], sig); !errors.Is(err, ErrBadSignature) {
		t.Errorf("a signature over another digest: %v", err)
	}
}
