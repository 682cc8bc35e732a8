// Package oidctest runs the tests' OpenID provider (command op, built on
// zitadel/oidc's certified provider library) as a separate process for
// one test.
package oidctest

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
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
	cmd := exec.Command(binary(t), cfgPath)
	stdin, err := cmd.StdinPipe() // closed when this process dies: the provider follows
	if err != nil {
		t.Fatal(err)
	}
	stdout, stdoutW := io.Pipe()
	cmd.Stdout = stdoutW
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("oidctest: unable to start the provider: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		stdoutW.Close()
		close(exited)
	}()
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		<-exited
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("oidctest: the provider's stderr:\n%s", stderr.String())
		}
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		for sc.Scan() { // keep the pipe drained
		}
	}()
	select {
	case line, ok := <-lines:
		if !ok || !strings.HasPrefix(line, "http://") {
			<-exited
			t.Fatalf("oidctest: the provider did not start (first line %q):\n%s", line, stderr.String())
		}
		p.Issuer = line
	case <-time.After(60 * time.Second):
		t.Fatalf("oidctest: the provider printed no URL in 60 s:\n%s", stderr.String())
	}
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

var build struct {
	once sync.Once
	dir  string
	path string
	out  []byte
	err  error
}

// binary builds the provider once per test process with the go command
// in PATH.
func binary(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "oidc-op-")
		if build.err != nil {
			return
		}
		build.path = filepath.Join(build.dir, "op")
		cmd := exec.Command("go", "build", "-o", build.path, providerPackage)
		build.out, build.err = cmd.CombinedOutput()
	})
	if build.err != nil {
		t.Fatalf("oidctest: unable to build %s: %v\n%s", providerPackage, build.err, build.out)
	}
	return build.path
}

// RemoveBinary deletes the built provider; call it from TestMain after
// m.Run (the binary outlives single tests, so no test's cleanup can).
func RemoveBinary() {
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
}

func randomText(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return fmt.Sprintf("%x", b)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func (b *lockedBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Len()
}
