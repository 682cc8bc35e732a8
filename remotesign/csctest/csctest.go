// Package csctest runs the test CSC v2 service (command cscserver) as a
// separate process for one test, with its keys on a fresh SoftHSM token.
package csctest

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/signing/signingtest"
)

const (
	serverPackage = "github.com/hcm-edu/vanban/remotesign/csctest/cscserver"
	totpPeriod    = 30
)

// Behaviours of an account at the service.
const (
	Normal    = ""           // answers faithfully
	Hang      = "hang"       // never answers signatures/signHash
	Refuse    = "refuse"     // every credentials/authorize fails with access_denied
	WrongHash = "wrong_hash" // signs another hash than the one asked
)

// Account is one person at the service, with one credential whose key is
// generated on the token and whose chain (leaf first) Issue returns.
type Account struct {
	Name         string // the CSC userID
	CredentialID string
	Description  string
	Behaviour    string
	// AcceptAnyOTP is for benchmarks only: the service then accepts any
	// non-empty OTP for this account, so that signing need not wait for
	// the next 30 s TOTP step. Never use it in a test of OTP handling.
	AcceptAnyOTP bool
	Issue        func(pub crypto.PublicKey) []*x509.Certificate
}

// Options configure Start.
type Options struct {
	Accounts []Account
	// TokenTTL is the lifetime of the service's access tokens (1 h when
	// zero); whole seconds.
	TokenTTL time.Duration
}

// Service is a running test CSC service.
type Service struct {
	URL          string
	ClientID     string
	ClientSecret string
	// Chains holds each credential's chain, by credential ID.
	Chains map[string][]*x509.Certificate

	mu       sync.Mutex
	secrets  map[string]string // by account
	lastStep map[string]int64  // the last TOTP step handed out, by account
}

// Start generates the accounts' keys on a new SoftHSM token, starts the
// service as a child process and returns once it listens; the process is
// killed when the test ends. AddKey sets SOFTHSM2_CONF for the test, so a
// test that starts a service cannot run in parallel.
func Start(t testing.TB, o Options) *Service {
	t.Helper()
	tok := signingtest.NewToken(t, "csc-service", "csc-pin-"+randomText(4))
	s := &Service{
		ClientID:     "vanban-test",
		ClientSecret: randomText(20),
		Chains:       map[string][]*x509.Certificate{},
		secrets:      map[string]string{},
		lastStep:     map[string]int64{},
	}
	type account struct {
		Account      string `json:"account"`
		CredentialID string `json:"credential_id"`
		Description  string `json:"description"`
		KeyLabel     string `json:"key_label"`
		TOTPSecret   string `json:"totp_secret"`
		Behaviour    string `json:"behaviour"`
		AcceptAnyOTP bool   `json:"accept_any_otp"`
	}
	var accounts []account
	for _, a := range o.Accounts {
		if a.Issue == nil || a.Name == "" || a.CredentialID == "" {
			t.Fatalf("csctest: account %q needs a name, a credential ID and Issue", a.Name)
		}
		if _, dup := s.secrets[a.Name]; dup {
			t.Fatalf("csctest: account %q given twice (one credential per account)", a.Name)
		}
		s.Chains[a.CredentialID] = tok.AddKey(t, a.CredentialID, a.Issue)
		secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(randomBytes(20))
		s.secrets[a.Name] = secret
		accounts = append(accounts, account{a.Name, a.CredentialID, a.Description, a.CredentialID, secret, a.Behaviour, a.AcceptAnyOTP})
	}
	cfg, err := json.Marshal(map[string]any{
		"listen":            "127.0.0.1:0",
		"client_id":         s.ClientID,
		"client_secret":     s.ClientSecret,
		"pkcs11_module":     tok.Module,
		"token_label":       tok.Label,
		"pin":               tok.PIN,
		"token_ttl_seconds": int(o.TokenTTL / time.Second),
		"exit_with_stdin":   true,
		"accounts":          accounts,
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "csc.json")
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}

	s.URL = testenv.Start(t, program.Binary(t), testenv.Run{Name: "the test CSC service", Args: []string{cfgPath},
		Env: []string{"SOFTHSM2_CONF=" + tok.Conf}, Prefix: "http://"})
	return s
}

// OTP returns a TOTP code for the account that the service has not yet
// accepted. The service takes the code of the current 30 s step or of one
// step either side, each once and in increasing order, so OTP hands out
// the steps in order: the previous one (when more than 5 s of the current
// step remain, so it cannot lapse before use), the current one, the next
// one; up to three calls in a row return at once, a further one waits for
// the next step. Use the codes in the order they were handed out: a code
// skipped is lost, not an error.
func (s *Service) OTP(account string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	secret, ok := s.secrets[account]
	if !ok {
		panic("csctest: no account " + account)
	}
	now := time.Now()
	step := now.Unix() / totpPeriod
	first := step
	if time.Unix((step+1)*totpPeriod, 0).Sub(now) > 5*time.Second {
		first = step - 1
	}
	step = max(first, s.lastStep[account]+1)
	// A step may be at most one ahead of the clock; wait until it is.
	if wait := time.Until(time.Unix((step-1)*totpPeriod, 0)); wait > 0 {
		time.Sleep(wait)
	}
	s.lastStep[account] = step
	code, err := auth.TOTPCode(secret, time.Unix(step*totpPeriod, 0))
	if err != nil {
		panic(err)
	}
	return code
}

// WrongOTP returns a six-digit code that is not one the service would
// accept for the account now.
func (s *Service) WrongOTP(account string) string {
	s.mu.Lock()
	secret := s.secrets[account]
	s.mu.Unlock()
	now := time.Now().Unix() / totpPeriod
	for n := 0; ; n++ {
		code := fmt.Sprintf("%06d", (123456+n*7919)%1000000)
		taken := false
		for d := int64(-2); d <= 2; d++ {
			if c, _ := auth.TOTPCode(secret, time.Unix((now+d)*totpPeriod, 0)); c == code {
				taken = true
			}
		}
		if !taken {
			return code
		}
	}
}

var program = &testenv.Program{Package: serverPackage}

// RemoveBinary deletes the built service; call it from TestMain after
// m.Run (the binary outlives single tests, so no test's cleanup can).
func RemoveBinary() { program.Remove() }

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func randomText(n int) string {
	return fmt.Sprintf("%x", randomBytes(n))
}
