// Package oidctest runs the tests' OpenID provider (command op, built on
// zitadel/oidc's certified provider library) as a separate process for
// one test.
package oidctest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/hcm-edu/vanban/internal/testenv"
)

const providerPackage = "github.com/hcm-edu/vanban/internal/oidctest/op"

// Faults the provider can be switched to (SetFault).
const (
	Normal        = ""
	BadSignature  = "bad_signature"  // ID tokens signed by a key not in the JWKS
	WrongAudience = "wrong_audience" // ID tokens for another client
	WrongNonce    = "wrong_nonce"    // ID tokens with another nonce than asked
	Expired       = "expired"        // ID tokens that expired an hour ago
	UserinfoOnly  = "userinfo_only"  // e-mail and profile only from UserInfo
)

// User is one person at the provider; they log in on its page with
// PreferredUsername and Password.
type User struct {
	Subject           string `json:"subject"`
	Email             string `json:"email"`
	EmailVerified     bool   `json:"email_verified"`
	PreferredUsername string `json:"preferred_username"`
	Password          string `json:"password"`
}

// Options configure Start.
type Options struct {
	Users []User
	// RedirectGlobs are the callbacks the client may use (path.Match
	// patterns); default any http://127.0.0.1:*/auth/oidc/callback.
	RedirectGlobs []string
}

// Provider is a running test OpenID provider.
type Provider struct {
	Issuer       string // with its trailing slash, as discovery gives it
	ClientID     string
	ClientSecret string
}

// Start writes the users to the provider's JSON file, starts it as a
// child process on 127.0.0.1 and returns once it listens; the process is
// killed when the test ends.
func Start(t testing.TB, o Options) *Provider {
	t.Helper()
	p := &Provider{ClientID: "vanban-test", ClientSecret: randomText(16)}
	globs := o.RedirectGlobs
	if len(globs) == 0 {
		globs = []string{"http://127.0.0.1:*/auth/oidc/callback"}
	}
	cfg, err := json.Marshal(map[string]any{
		"listen":          "127.0.0.1:0",
		"client_id":       p.ClientID,
		"client_secret":   p.ClientSecret,
		"redirect_globs":  globs,
		"users":           o.Users,
		"exit_with_stdin": true,
	})
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(t.TempDir(), "op.json")
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	p.Issuer = testenv.Start(t, program.Binary(t), testenv.Run{Name: "the test OpenID provider", Args: []string{cfgPath}, Prefix: "http://"})
	return p
}

// SetFault makes the provider misbehave as mode says from now on; Normal
// ends it.
func (p *Provider) SetFault(t testing.TB, mode string) {
	t.Helper()
	resp, err := http.PostForm(p.Issuer+"_test/fault", url.Values{"mode": {mode}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("oidctest: fault %q: status %d", mode, resp.StatusCode)
	}
}

var program = &testenv.Program{Package: providerPackage}

// RemoveBinary deletes the built provider; call it from TestMain after
// m.Run (the binary outlives single tests, so no test's cleanup can).
func RemoveBinary() { program.Remove() }

func randomText(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return fmt.Sprintf("%x", b)
}
