package signing

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"time"

	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"
)

// DefaultTSATimeout bounds a timestamp request when TSA.Timeout is zero.
const DefaultTSATimeout = 30 * time.Second

const maxTSAResponse = 1 << 20

// TSA is an RFC 3161 timestamp authority. Signing with a TSA produces
// PAdES B-T.
//
// When signing, pdfsign sends the request itself, with a nonce, and checks
// the answer; it takes a URL and a context but no HTTP client. Sign gives it
// the URL and a context whose deadline is Timeout from the start of the
// signature, which bounds the request (pdfsign's own default is 30 s).
// Client, if set, is used by Timestamp and Check only.
type TSA struct {
	URL     string
	Timeout time.Duration
	Client  *http.Client
}

func (t *TSA) timeout() time.Duration {
	if t.Timeout > 0 {
		return t.Timeout
	}
	return DefaultTSATimeout
}

// Timestamp asks the authority to timestamp the SHA-256 digest of data and
// checks the answer: granted, the same imprint and nonce, and a signing
// certificate with the timeStamping extended key usage.
func (t *TSA) Timestamp(ctx context.Context, data []byte) (*timestamp.Timestamp, error) {
	nonce, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return nil, fmt.Errorf("%w: unable to create a nonce: %v", ErrTSA, err)
	}
	digest := sha256.Sum256(data)
	query, err := (&timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: digest[:], Certificates: true, Nonce: nonce}).Marshal()
	if err != nil {
		return nil, fmt.Errorf("%w: unable to create the request: %v", ErrTSA, err)
	}
	ctx, cancel := context.WithTimeout(ctx, t.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(query))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTSA, err)
	}
	req.Header.Set("Content-Type", "application/timestamp-query")
	client := t.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTSA, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %s answered %s", ErrTSA, t.URL, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTSAResponse+1))
	if err != nil {
		return nil, fmt.Errorf("%w: unable to read the answer: %v", ErrTSA, err)
	}
	if len(body) > maxTSAResponse {
		return nil, fmt.Errorf("%w: the answer is larger than %d bytes", ErrTSA, maxTSAResponse)
	}
	ts, err := timestamp.ParseResponse(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTSA, err)
	}
	switch {
	case ts.HashAlgorithm != crypto.SHA256 || !bytes.Equal(ts.HashedMessage, digest[:]):
		return nil, fmt.Errorf("%w: the token does not timestamp the requested digest", ErrTSA)
	case ts.Nonce == nil || ts.Nonce.Cmp(nonce) != 0:
		return nil, fmt.Errorf("%w: the token does not carry the request's nonce", ErrTSA)
	case len(ts.Certificates) == 0:
		return nil, fmt.Errorf("%w: the token does not include the authority's certificate", ErrTSA)
	}
	p7, err := pkcs7.Parse(ts.RawToken)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTSA, err)
	}
	if c := p7.GetOnlySigner(); c == nil || !hasTimeStampingEKU(c) {
		return nil, fmt.Errorf("%w: the token is not signed by a timestamping certificate", ErrTSA)
	}
	return ts, nil
}

// Check timestamps a probe, to find a misconfigured authority at start-up.
func (t *TSA) Check(ctx context.Context) error {
	_, err := t.Timestamp(ctx, []byte("vanban TSA check"))
	return err
}

func hasTimeStampingEKU(c *x509.Certificate) bool {
	for _, u := range c.ExtKeyUsage {
		if u == x509.ExtKeyUsageTimeStamping {
			return true
		}
	}
	return false
}

// tsaError reports whether err, returned by pdfsign after the signer has
// signed, came from the timestamp request, and wraps it in ErrTSA.
func tsaError(err error, timeout time.Duration) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: no answer within %s: %v", ErrTSA, timeout, err)
	}
	return fmt.Errorf("%w: %v", ErrTSA, err)
}
