package remotesign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// CSC API v2 identifiers used here.
const (
	oidSHA256    = "2.16.840.1.101.3.4.2.1"
	oidRSA       = "1.2.840.113549.1.1.1"
	oidECDSA256  = "1.2.840.10045.4.3.2"
	maxDigests   = 50
	maxResponse  = 1 << 20
	cscTimeout   = 30 * time.Second
	tokenMargin  = 30 * time.Second
	maxErrorText = 200
)

// CSCConfig is how to reach a CSC v2 service: its base URL (the API lives
// under {URL}/csc/v2/), the client credentials vanban logs in with, and
// how long one request may take (30 s when zero).
type CSCConfig struct {
	URL          string
	ClientID     string
	ClientSecret string
	Timeout      time.Duration
}

// CSC is a Provider speaking the Cloud Signature Consortium API v2 with
// service authorisation (HTTP Basic client credentials at auth/login),
// SCAL2 authorisations (credentials/authorize bound to the hashes, with the
// person's OTP) and signatures/signHash.
type CSC struct {
	base   string // {URL}/csc/v2/
	name   string // the service as errors name it, without credentials
	id     string
	secret string
	client *http.Client

	mu      sync.Mutex
	token   string
	expires time.Time
}

// NewCSC checks cfg and returns a provider for the service; it makes no
// request until the first call.
func NewCSC(cfg CSCConfig) (*CSC, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("remotesign: unable to use CSC service URL %q: not an http(s) URL", cfg.URL)
	}
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("remotesign: unable to use CSC service: client id and secret are required")
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = cscTimeout
	}
	u.User = nil
	u.RawQuery, u.Fragment = "", ""
	name := "CSC service " + u.String()
	u.Path = strings.TrimSuffix(u.Path, "/") + "/csc/v2/"
	return &CSC{
		base:   u.String(),
		name:   name,
		id:     cfg.ClientID,
		secret: cfg.ClientSecret,
		client: &http.Client{
			Timeout: timeout,
			// A CSC API answers, it never redirects; following a redirect
			// would resend the bearer token elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

// String names the service in errors.
func (c *CSC) String() string { return c.name }

type cscCredentialInfo struct {
	CredentialID string `json:"credentialID"`
	Description  string `json:"description"`
	Key          struct {
		Status string   `json:"status"`
		Algo   []string `json:"algo"`
		Len    int      `json:"len"`
	} `json:"key"`
	Cert struct {
		Status       string   `json:"status"`
		Certificates []string `json:"certificates"`
	} `json:"cert"`
	SCAL      string `json:"SCAL"`
	Multisign int    `json:"multisign"`
}

// Credentials lists the account's usable credentials: those whose key is
// enabled and whose certificate the service reports valid, with a chain
// that parses.
func (c *CSC) Credentials(ctx context.Context, account string) ([]Credential, error) {
	infos, err := c.list(ctx, account)
	if err != nil {
		return nil, err
	}
	var creds []Credential
	for _, info := range infos {
		if cred, ok := usable(info); ok {
			creds = append(creds, cred)
		}
	}
	return creds, nil
}

func (c *CSC) list(ctx context.Context, account string) ([]cscCredentialInfo, error) {
	var out struct {
		CredentialIDs   []string            `json:"credentialIDs"`
		CredentialInfos []cscCredentialInfo `json:"credentialInfos"`
	}
	err := c.call(ctx, "credentials/list", map[string]any{
		"userID":         account,
		"credentialInfo": true,
		"certificates":   "chain",
		"certInfo":       true,
	}, &out, "")
	if err != nil {
		return nil, fmt.Errorf("remotesign: unable to list the credentials at %s: %w", c.name, err)
	}
	return out.CredentialInfos, nil
}

func usable(info cscCredentialInfo) (Credential, bool) {
	if info.CredentialID == "" || info.Key.Status != "enabled" || info.Cert.Status != "valid" || len(info.Cert.Certificates) == 0 {
		return Credential{}, false
	}
	chain := make([]*x509.Certificate, 0, len(info.Cert.Certificates))
	for _, b64 := range info.Cert.Certificates {
		der, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return Credential{}, false
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return Credential{}, false
		}
		chain = append(chain, cert)
	}
	return Credential{ID: info.CredentialID, Description: info.Description, Chain: chain}, true
}

// SignHashes signs digests with one SCAL2 authorisation. The credential's
// certificate is taken from credentials/list for the account rather than
// credentials/info: with service authorisation the access token is not the
// person's, so listing is what ties the credential to this account (another
// person's credential ID is refused with ErrNoCredential before any OTP is
// sent), and it costs the same one request.
func (c *CSC) SignHashes(ctx context.Context, account, credentialID, otp string, digests [][]byte) ([][]byte, error) {
	if len(digests) == 0 || len(digests) > maxDigests {
		return nil, fmt.Errorf("remotesign: unable to sign: %d digests given, 1 to %d allowed", len(digests), maxDigests)
	}
	for i, d := range digests {
		if len(d) != sha256Size {
			return nil, fmt.Errorf("remotesign: unable to sign: digest %d has %d bytes, a SHA-256 digest has %d", i+1, len(d), sha256Size)
		}
	}
	if otp == "" {
		return nil, fmt.Errorf("remotesign: unable to sign: %w (none given)", ErrOTP)
	}
	infos, err := c.list(ctx, account)
	if err != nil {
		return nil, err
	}
	var cred Credential
	found := false
	for _, info := range infos {
		if info.CredentialID == credentialID {
			cred, found = usable(info)
			if !found {
				return nil, fmt.Errorf("remotesign: unable to sign with credential %q at %s: %w (its key is disabled or its certificate is not valid)", credentialID, c.name, ErrRefused)
			}
		}
	}
	if !found {
		return nil, fmt.Errorf("remotesign: unable to sign with credential %q at %s: %w", credentialID, c.name, ErrNoCredential)
	}
	pub := cred.Chain[0].PublicKey
	var signAlgo string
	switch pub.(type) {
	case *rsa.PublicKey:
		signAlgo = oidRSA
	case *ecdsa.PublicKey:
		signAlgo = oidECDSA256
	default:
		return nil, fmt.Errorf("remotesign: unable to sign with credential %q at %s: %w (unsupported key type %T)", credentialID, c.name, ErrRefused, pub)
	}

	hashes := make([]string, len(digests))
	for i, d := range digests {
		hashes[i] = base64.StdEncoding.EncodeToString(d)
	}
	var auth struct {
		SAD string `json:"SAD"`
	}
	err = c.call(ctx, "credentials/authorize", map[string]any{
		"credentialID":     credentialID,
		"numSignatures":    len(digests),
		"hashes":           hashes,
		"hashAlgorithmOID": oidSHA256,
		"OTP":              otp,
	}, &auth, otp)
	if err != nil {
		return nil, fmt.Errorf("remotesign: unable to authorise credential %q at %s: %w", credentialID, c.name, err)
	}
	if auth.SAD == "" {
		return nil, fmt.Errorf("remotesign: unable to authorise credential %q at %s: %w (no SAD in the answer)", credentialID, c.name, ErrUnavailable)
	}
	var signed struct {
		Signatures []string `json:"signatures"`
	}
	err = c.call(ctx, "signatures/signHash", map[string]any{
		"credentialID":     credentialID,
		"SAD":              auth.SAD,
		"hashes":           hashes,
		"hashAlgorithmOID": oidSHA256,
		"signAlgo":         signAlgo,
	}, &signed, otp, auth.SAD)
	if err != nil {
		return nil, fmt.Errorf("remotesign: unable to sign with credential %q at %s: %w", credentialID, c.name, err)
	}
	sigs, err := checkSignatures(pub, digests, signed.Signatures)
	if err != nil {
		return nil, fmt.Errorf("remotesign: unable to sign with credential %q at %s: %w", credentialID, c.name, err)
	}
	return sigs, nil
}

const sha256Size = 32

// checkSignatures decodes the service's signatures and verifies each
// against its digest: a service returning a signature over other hashes
// (or with another key) must not reach a document.
func checkSignatures(pub crypto.PublicKey, digests [][]byte, b64 []string) ([][]byte, error) {
	if len(b64) != len(digests) {
		return nil, fmt.Errorf("%w (%d signatures for %d digests)", ErrBadSignature, len(b64), len(digests))
	}
	sigs := make([][]byte, len(b64))
	for i, s := range b64 {
		sig, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("%w (signature %d is not base64)", ErrBadSignature, i+1)
		}
		var ok bool
		switch k := pub.(type) {
		case *rsa.PublicKey:
			ok = rsa.VerifyPKCS1v15(k, crypto.SHA256, digests[i], sig) == nil
		case *ecdsa.PublicKey:
			ok = ecdsa.VerifyASN1(k, digests[i], sig)
		}
		if !ok {
			return nil, fmt.Errorf("%w (signature %d does not verify against its digest and the certificate)", ErrBadSignature, i+1)
		}
		sigs[i] = sig
	}
	return sigs, nil
}

// cscError is a CSC error body.
type cscError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// call posts in to path with the access token and decodes the answer into
// out; it logs in first when needed and once more on a 401. secrets are
// scrubbed from any text the service sends back.
func (c *CSC) call(ctx context.Context, path string, in, out any, secrets ...string) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		token, err := c.accessToken(ctx, attempt > 0)
		if err != nil {
			return err
		}
		status, resp, err := c.post(ctx, path, body, "Bearer "+token)
		if err != nil {
			return err
		}
		if status == http.StatusUnauthorized && attempt == 0 {
			continue
		}
		return decode(status, resp, out, secrets)
	}
}

// accessToken returns the cached token, or logs in when there is none, it
// is about to expire, or fresh is set (the service refused the cached one).
func (c *CSC) accessToken(ctx context.Context, fresh bool) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !fresh && c.token != "" && time.Now().Before(c.expires) {
		return c.token, nil
	}
	c.token = ""
	status, resp, err := c.post(ctx, "auth/login", []byte(`{"rememberMe":false}`),
		"Basic "+base64.StdEncoding.EncodeToString([]byte(c.id+":"+c.secret)))
	if err != nil {
		return "", fmt.Errorf("unable to log in: %w", err)
	}
	var out struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := decode(status, resp, &out, []string{c.secret}); err != nil {
		return "", fmt.Errorf("unable to log in: %w", err)
	}
	if out.AccessToken == "" {
		return "", fmt.Errorf("unable to log in: %w (no access token in the answer)", ErrUnavailable)
	}
	ttl := time.Duration(out.ExpiresIn) * time.Second
	if ttl <= 0 {
		ttl = time.Hour // CSC's default lifetime when expires_in is absent
	}
	// Renew shortly before expiry, so a token never dies mid-request.
	c.token, c.expires = out.AccessToken, time.Now().Add(ttl-min(tokenMargin, ttl/2))
	return c.token, nil
}

// post sends one request and reads at most maxResponse bytes of the answer.
func (c *CSC) post(ctx context.Context, path string, body []byte, authorization string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", authorization)
	resp, err := c.client.Do(req)
	if err != nil {
		// The url.Error names the URL only; the body and headers stay out.
		return 0, nil, fmt.Errorf("%w (%v)", ErrUnavailable, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return 0, nil, fmt.Errorf("%w (reading the answer: %v)", ErrUnavailable, err)
	}
	if len(data) > maxResponse {
		return 0, nil, fmt.Errorf("%w (the answer exceeds %d bytes)", ErrUnavailable, maxResponse)
	}
	return resp.StatusCode, data, nil
}

// decode maps a CSC answer to out or to one of the package's errors.
func decode(status int, data []byte, out any, secrets []string) error {
	if status == http.StatusOK {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%w (the answer is not the expected JSON: %v)", ErrUnavailable, err)
		}
		return nil
	}
	var e cscError
	_ = json.Unmarshal(data, &e)
	text := scrub(e.Error, secrets)
	if d := scrub(e.Description, secrets); d != "" {
		text += ": " + d
	}
	if text == "" {
		text = "no error body"
	}
	var kind error
	switch {
	case status >= 500:
		kind = ErrUnavailable
	case e.Error == "invalid_otp",
		e.Error == "invalid_request" && strings.Contains(strings.ToUpper(e.Description), "OTP"):
		kind = ErrOTP
	case e.Error == "invalid_request" && strings.Contains(strings.ToLower(e.Description), "credential"):
		kind = ErrNoCredential
	case status >= 400:
		kind = ErrRefused
	default:
		kind = ErrUnavailable // 1xx, 3xx: not a CSC answer
	}
	return fmt.Errorf("%w (HTTP %d, %s)", kind, status, text)
}

// scrub removes secrets from text the service sends back (a careless
// service may echo the OTP or the SAD) and keeps it short.
func scrub(s string, secrets []string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "<redacted>")
		}
	}
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); len(r) > maxErrorText {
		s = string(r[:maxErrorText]) + "…"
	}
	return s
}
