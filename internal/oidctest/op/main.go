// Command op is the OpenID provider of the tests: zitadel/oidc's
// OpenID-certified provider library with its example in-memory storage
// and login page, users from a JSON file, and faults a test switches on
// (POST /_test/fault) to see that vanban refuses what it should.
//
// Usage: op config.json. It prints its issuer URL on the first line of
// standard output once it listens, and exits when standard input closes.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// Faults a test may switch on.
const (
	faultNone          = ""
	faultBadSignature  = "bad_signature"  // ID token signed by a key not in the JWKS
	faultWrongAudience = "wrong_audience" // ID token for another client
	faultWrongNonce    = "wrong_nonce"    // ID token with another nonce
	faultExpired       = "expired"        // ID token expired an hour ago
	faultUserinfoOnly  = "userinfo_only"  // profile and e-mail only from UserInfo
)

type user struct {
	Subject           string `json:"subject"`
	Email             string `json:"email"`
	EmailVerified     bool   `json:"email_verified"`
	PreferredUsername string `json:"preferred_username"`
	Password          string `json:"password"`
}

type config struct {
	Listen        string   `json:"listen"`
	ClientID      string   `json:"client_id"`
	ClientSecret  string   `json:"client_secret"`
	RedirectGlobs []string `json:"redirect_globs"`
	Users         []user   `json:"users"`
	ExitWithStdin bool     `json:"exit_with_stdin"`
}

// users is the storage's UserStore over the configured users.
type users map[string]*storage.User

func (u users) GetUserByID(id string) *storage.User { return u[id] }
func (u users) GetUserByUsername(name string) *storage.User {
	for _, x := range u {
		if x.Username == name {
			return x
		}
	}
	return nil
}
func (u users) ExampleClientID() string { return storage.ServiceUserID }

// store is the example storage with the client vanban is, whose redirect
// URIs are globs (vanban's test port is not known in advance).
type store struct {
	*storage.Storage
	fault *atomic.Value
	globs []string
}

func (s *store) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return &client{Client: c, fault: s.fault, globs: s.globs}, nil
}

type client struct {
	op.Client
	fault *atomic.Value
	globs []string
}

// IDTokenUserinfoClaimsAssertion puts e-mail and profile in the ID
// token, as Google and Entra ID do, unless the test wants them only from
// UserInfo.
func (c *client) IDTokenUserinfoClaimsAssertion() bool {
	return c.fault.Load().(string) != faultUserinfoOnly
}
func (c *client) RedirectURIGlobs() []string           { return c.globs }
func (c *client) PostLogoutRedirectURIGlobs() []string { return c.globs }

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: op config.json")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "op:", err)
		os.Exit(1)
	}
}

func run(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var cfg config
	if err := json.Unmarshal(b, &cfg); err != nil {
		return fmt.Errorf("unable to read %s: %v", path, err)
	}
	ln, err := net.Listen("tcp", cmpOr(cfg.Listen, "127.0.0.1:0"))
	if err != nil {
		return err
	}
	issuer := "http://" + ln.Addr().String() + "/"
	us := users{}
	for _, x := range cfg.Users {
		us[x.Subject] = &storage.User{ID: x.Subject, Username: x.PreferredUsername, Password: x.Password,
			FirstName: x.PreferredUsername, LastName: "", Email: x.Email, EmailVerified: x.EmailVerified,
			PreferredLanguage: language.Vietnamese}
	}
	storage.RegisterClients(storage.WebClient(cfg.ClientID, cfg.ClientSecret))
	fault := &atomic.Value{}
	fault.Store(faultNone)
	st := &store{Storage: storage.NewStorage(us), fault: fault, globs: cfg.RedirectGlobs}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	router := exampleop.SetupServer(issuer, st, logger, false)

	mux := http.NewServeMux()
	mux.HandleFunc("POST /_test/fault", func(w http.ResponseWriter, r *http.Request) {
		fault.Store(r.FormValue("mode"))
		w.WriteHeader(http.StatusNoContent)
	})
	mux.Handle("/", tamper(router, st, fault, cfg.ClientID))
	if cfg.ExitWithStdin {
		go func() {
			io.Copy(io.Discard, os.Stdin)
			os.Exit(0)
		}()
	}
	fmt.Println(issuer)
	return (&http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
}

// tamper rewrites the ID token of the token endpoint's answer under the
// fault switched on, re-signing it with the provider's key (or, for
// bad_signature, with a key the JWKS does not hold).
func tamper(next http.Handler, st *store, fault *atomic.Value, clientID string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mode := fault.Load().(string)
		if r.URL.Path != "/oauth/token" || mode == faultNone || mode == faultUserinfoOnly {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var body map[string]any
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &body) != nil {
			copyResponse(w, rec, rec.Body.Bytes())
			return
		}
		raw, _ := body["id_token"].(string)
		forged, err := forge(r.Context(), st, raw, mode, clientID)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		body["id_token"] = forged
		out, _ := json.Marshal(body)
		copyResponse(w, rec, out)
	})
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder, body []byte) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(rec.Code)
	w.Write(body)
}

func forge(ctx context.Context, st *store, raw, mode, clientID string) (string, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return "", fmt.Errorf("no ID token to tamper with")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", err
	}
	var claims map[string]any
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&claims); err != nil {
		return "", err
	}
	sk, err := st.SigningKey(ctx)
	if err != nil {
		return "", err
	}
	key := sk.Key()
	switch mode {
	case faultBadSignature:
		if key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			return "", err
		}
	case faultWrongAudience:
		claims["aud"] = []string{"another-client"}
		claims["azp"] = "another-client"
	case faultWrongNonce:
		claims["nonce"] = "not-the-nonce-vanban-sent"
	case faultExpired:
		now := time.Now()
		claims["iat"] = now.Add(-2 * time.Hour).Unix()
		claims["exp"] = now.Add(-time.Hour).Unix()
	default:
		return "", fmt.Errorf("unknown fault %q", mode)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: sk.SignatureAlgorithm(), Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", sk.ID()))
	if err != nil {
		return "", err
	}
	out, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	sig, err := signer.Sign(out)
	if err != nil {
		return "", err
	}
	return sig.CompactSerialize()
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
