package remotesign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// TestCheckSignatures covers both key types: the test service's keys are
// RSA only.
func TestCheckSignatures(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	d1, d2 := sha256.Sum256([]byte("a")), sha256.Sum256([]byte("b"))
	digests := [][]byte{d1[:], d2[:]}
	for _, signer := range []crypto.Signer{ec, rk} {
		var b64 []string
		for _, d := range digests {
			sig, err := signer.Sign(rand.Reader, d, crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			b64 = append(b64, base64.StdEncoding.EncodeToString(sig))
		}
		pub := signer.Public()
		if sigs, err := checkSignatures(pub, digests, b64); err != nil || len(sigs) != 2 {
			t.Errorf("%T: %v", pub, err)
		}
		for name, bad := range map[string][]string{
			"swapped":    {b64[1], b64[0]},
			"one":        b64[:1],
			"three":      {b64[0], b64[1], b64[1]},
			"not base64": {b64[0], "%%%"},
		} {
			if sigs, err := checkSignatures(pub, digests, bad); !errors.Is(err, ErrBadSignature) || sigs != nil {
				t.Errorf("%T, %s: %v", pub, name, err)
			}
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, c := range []struct {
		status int
		body   string
		want   error
	}{
		{400, `{"error":"invalid_otp","error_description":"bad"}`, ErrOTP},
		{400, `{"error":"invalid_request","error_description":"The OTP is invalid"}`, ErrOTP},
		{400, `{"error":"invalid_request","error_description":"Invalid parameter credentialID"}`, ErrNoCredential},
		{400, `{"error":"access_denied","error_description":"no"}`, ErrRefused},
		{403, `not json`, ErrRefused},
		{500, `{"error":"server_error"}`, ErrUnavailable},
		{503, ``, ErrUnavailable},
		{302, ``, ErrUnavailable},
	} {
		if err := decode(c.status, []byte(c.body), nil, nil); !errors.Is(err, c.want) {
			t.Errorf("%d %s: %v, want %v", c.status, c.body, err, c.want)
		}
	}
	err := decode(400, []byte(`{"error":"invalid_request","error_description":"OTP 123456 is wrong for SAD abc"}`), nil, []string{"123456", "abc"})
	if strings.Contains(err.Error(), "123456") || strings.Contains(err.Error(), "abc") {
		t.Errorf("secrets in %v", err)
	}
	if err := decode(200, []byte(`{`), &struct{}{}, nil); !errors.Is(err, ErrUnavailable) {
		t.Errorf("bad JSON: %v", err)
	}
}
