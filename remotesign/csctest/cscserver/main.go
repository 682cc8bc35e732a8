// Command cscserver is a small Cloud Signature Consortium API v2 service
// for tests: service authorisation with client credentials, SCAL2
// authorisations bound to the hashes and confirmed by a TOTP code, keys on
// a PKCS#11 token (SoftHSM). It is not fit for production.
//
// Usage: cscserver config.json (SOFTHSM2_CONF comes from the environment).
// With "listen": "127.0.0.1:0" it picks a port; either way the first line
// it prints on stdout is its URL.
package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/ThalesGroup/crypto11"

	"github.com/hcm-edu/vanban/auth"
)

const (
	oidSHA256    = "2.16.840.1.101.3.4.2.1"
	oidRSA       = "1.2.840.113549.1.1.1"
	oidSHA256RSA = "1.2.840.113549.1.1.11"
	oidECDSA256  = "1.2.840.10045.4.3.2"
	sadLifetime  = 5 * time.Minute
	maxRequest   = 1 << 20
	maxHashes    = 50
	totpPeriod   = 30
)

// Config is the JSON file the server reads.
type Config struct {
	Listen       string `json:"listen"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	Module       string `json:"pkcs11_module"`
	TokenLabel   string `json:"token_label"`
	PIN          string `json:"pin"`
	// TokenTTL is the access tokens' lifetime in seconds (3600 when zero).
	TokenTTL int `json:"token_ttl_seconds"`
	// ExitWithStdin stops the server when its standard input closes, so
	// that it dies with the test process that started it.
	ExitWithStdin bool      `json:"exit_with_stdin"`
	Accounts      []Account `json:"accounts"`
}

// Account is one person at the service with one credential.
type Account struct {
	Account      string `json:"account"`
	CredentialID string `json:"credential_id"`
	Description  string `json:"description"`
	KeyLabel     string `json:"key_label"`
	TOTPSecret   string `json:"totp_secret"` // base32
	// Behaviour: "" answers faithfully; "hang" never answers signHash;
	// "refuse" fails every authorisation with access_denied; "wrong_hash"
	// signs another hash than asked.
	Behaviour string `json:"behaviour"`
	// AcceptAnyOTP (TEST ONLY, for benchmarks that cannot wait 30 s per
	// code) accepts any non-empty OTP for this account.
	AcceptAnyOTP bool `json:"accept_any_otp"`
}

type credential struct {
	Account
	signer   crypto.Signer
	chain    []*x509.Certificate
	lastStep int64 // the last TOTP step accepted: a code is used once
}

type authorisation struct {
	credentialID string
	hashes       []string // sorted, base64 of the decoded bytes
	expires      time.Time
}

type server struct {
	cfg Config

	mu      sync.Mutex
	creds   map[string]*credential // by credential ID
	tokens  map[string]time.Time   // access token → expiry
	sads    map[string]authorisation
	now     func() time.Time
	handler http.Handler
}

func main() {
	log.SetPrefix("cscserver: ")
	log.SetFlags(0)
	if len(os.Args) != 2 {
		log.Fatal("usage: cscserver config.json")
	}
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	var cfg Config
	if err := json.Unmarshal(data, &cfg); err != nil {
		log.Fatalf("unable to read %s: %v", os.Args[1], err)
	}
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		log.Fatal("client_id and client_secret are required")
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = 3600
	}
	p11, err := crypto11.Configure(&crypto11.Config{Path: cfg.Module, TokenLabel: cfg.TokenLabel, Pin: cfg.PIN})
	if err != nil {
		log.Fatalf("unable to open token %q: %v", cfg.TokenLabel, err)
	}
	defer p11.Close()
	s := &server{cfg: cfg, creds: map[string]*credential{}, tokens: map[string]time.Time{}, sads: map[string]authorisation{}, now: time.Now}
	for _, a := range cfg.Accounts {
		c, err := loadCredential(p11, a)
		if err != nil {
			log.Fatal(err)
		}
		if _, dup := s.creds[a.CredentialID]; dup {
			log.Fatalf("credential %q is configured twice", a.CredentialID)
		}
		s.creds[a.CredentialID] = c
	}
	s.routes()

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("http://%s\n", ln.Addr())
	os.Stdout.Sync()

	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.ExitWithStdin {
		go func() {
			io.Copy(io.Discard, os.Stdin)
			stop()
		}()
	}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(shut)
		srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

func loadCredential(p11 *crypto11.Context, a Account) (*credential, error) {
	if a.Account == "" || a.CredentialID == "" {
		return nil, errors.New("an account needs account and credential_id")
	}
	if a.KeyLabel == "" {
		a.KeyLabel = a.CredentialID
	}
	if !a.AcceptAnyOTP {
		if _, err := auth.TOTPCode(a.TOTPSecret, time.Now()); err != nil || a.TOTPSecret == "" {
			return nil, fmt.Errorf("account %q: a base32 totp_secret is required", a.Account)
		}
	}
	signer, err := p11.FindKeyPair(nil, []byte(a.KeyLabel))
	if err != nil || signer == nil {
		return nil, fmt.Errorf("account %q: no key pair labelled %q on the token (%v)", a.Account, a.KeyLabel, err)
	}
	leaf, err := p11.FindCertificate(nil, []byte(a.KeyLabel), nil)
	if err != nil || leaf == nil {
		return nil, fmt.Errorf("account %q: no certificate labelled %q on the token (%v)", a.Account, a.KeyLabel, err)
	}
	chain := []*x509.Certificate{leaf}
	if ca, err := p11.FindCertificate(nil, []byte(a.KeyLabel+"-ca"), nil); err == nil && ca != nil {
		chain = append(chain, ca)
	}
	return &credential{Account: a, signer: signer, chain: chain}, nil
}

func (s *server) routes() {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /csc/v2/info", s.info)
	mux.HandleFunc("POST /csc/v2/auth/login", s.login)
	mux.HandleFunc("POST /csc/v2/auth/revoke", s.bearer(s.revoke))
	mux.HandleFunc("POST /csc/v2/credentials/list", s.bearer(s.list))
	mux.HandleFunc("POST /csc/v2/credentials/info", s.bearer(s.credentialInfo))
	mux.HandleFunc("POST /csc/v2/credentials/authorize", s.bearer(s.authorize))
	mux.HandleFunc("POST /csc/v2/signatures/signHash", s.bearer(s.signHash))
	s.handler = mux
}

// cscErr is a CSC error answer.
type cscErr struct {
	status      int
	code        string
	description string
}

func (e *cscErr) Error() string { return e.code + ": " + e.description }

func badRequest(description string) *cscErr {
	return &cscErr{http.StatusBadRequest, "invalid_request", description}
}

func reply(w http.ResponseWriter, v any, err *cscErr) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if err != nil {
		w.WriteHeader(err.status)
		json.NewEncoder(w).Encode(map[string]string{"error": err.code, "error_description": err.description})
		return
	}
	json.NewEncoder(w).Encode(v)
}

// read decodes a JSON body of at most maxRequest bytes, refusing unknown
// content (a misspelt parameter must not silently weaken a check).
func read(r *http.Request, v any) *cscErr {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxRequest))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return badRequest("Malformed request: " + err.Error())
	}
	return nil
}

func (s *server) info(w http.ResponseWriter, r *http.Request) {
	reply(w, map[string]any{
		"specs":       "2.0.0.2",
		"name":        "vanban test CSC service",
		"logo":        "",
		"region":      "VN",
		"lang":        "en-US",
		"description": "A CSC API v2 service for vanban's tests; not for production.",
		"authType":    []string{"basic"},
		"methods": []string{"auth/login", "auth/revoke", "credentials/list", "credentials/info",
			"credentials/authorize", "signatures/signHash"},
	}, nil)
}

func (s *server) login(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || subtle.ConstantTimeCompare([]byte(id), []byte(s.cfg.ClientID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(secret), []byte(s.cfg.ClientSecret)) != 1 {
		w.Header().Set("WWW-Authenticate", `Basic realm="csc"`)
		reply(w, nil, &cscErr{http.StatusUnauthorized, "invalid_client", "Invalid client credentials"})
		return
	}
	var in struct {
		RememberMe bool `json:"rememberMe"`
	}
	if err := read(r, &in); err != nil {
		reply(w, nil, err)
		return
	}
	token := random()
	s.mu.Lock()
	now := s.now()
	for t, exp := range s.tokens {
		if now.After(exp) {
			delete(s.tokens, t)
		}
	}
	s.tokens[token] = now.Add(time.Duration(s.cfg.TokenTTL) * time.Second)
	s.mu.Unlock()
	reply(w, map[string]any{"access_token": token, "expires_in": s.cfg.TokenTTL}, nil)
}

// bearer admits requests with a live access token.
func (s *server) bearer(next func(http.ResponseWriter, *http.Request, string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		token, ok := bytes.CutPrefix([]byte(h), []byte("Bearer "))
		s.mu.Lock()
		exp, live := s.tokens[string(token)]
		live = ok && live && s.now().Before(exp)
		s.mu.Unlock()
		if !live {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			reply(w, nil, &cscErr{http.StatusUnauthorized, "invalid_token", "The access token is missing, unknown or expired"})
			return
		}
		next(w, r, string(token))
	}
}

func (s *server) revoke(w http.ResponseWriter, r *http.Request, token string) {
	var in struct {
		Token         string `json:"token"`
		TokenTypeHint string `json:"token_type_hint"`
		ClientID      string `json:"clientID"`
	}
	if err := read(r, &in); err != nil {
		reply(w, nil, err)
		return
	}
	if in.Token == "" {
		in.Token = token
	}
	s.mu.Lock()
	delete(s.tokens, in.Token)
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) list(w http.ResponseWriter, r *http.Request, _ string) {
	var in struct {
		UserID         string `json:"userID"`
		CredentialInfo bool   `json:"credentialInfo"`
		Certificates   string `json:"certificates"`
		CertInfo       bool   `json:"certInfo"`
		AuthInfo       bool   `json:"authInfo"`
		OnlyValid      bool   `json:"onlyValid"`
		Lang           string `json:"lang"`
		ClientData     string `json:"clientData"`
	}
	if err := read(r, &in); err != nil {
		reply(w, nil, err)
		return
	}
	// Service authorisation: the token is the client's, so the person is
	// named by userID.
	if in.UserID == "" {
		reply(w, nil, badRequest("Missing (or invalid type) string parameter userID"))
		return
	}
	if e := checkCertificates(in.Certificates); e != nil {
		reply(w, nil, e)
		return
	}
	ids := []string{}
	var infos []map[string]any
	for _, c := range s.sorted() {
		if c.Account.Account != in.UserID {
			continue
		}
		ids = append(ids, c.CredentialID)
		if in.CredentialInfo {
			info := c.info(in.Certificates, in.CertInfo)
			info["credentialID"] = c.CredentialID
			infos = append(infos, info)
		}
	}
	out := map[string]any{"credentialIDs": ids}
	if in.CredentialInfo {
		out["credentialInfos"] = infos
	}
	reply(w, out, nil)
}

func (s *server) sorted() []*credential {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*credential, 0, len(s.creds))
	for _, c := range s.creds {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *credential) int { return cmpString(a.CredentialID, b.CredentialID) })
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func checkCertificates(v string) *cscErr {
	switch v {
	case "", "none", "single", "chain":
		return nil
	}
	return badRequest("Invalid parameter certificates")
}

// info is a credential's description in the shape of credentials/info.
func (c *credential) info(certificates string, certInfo bool) map[string]any {
	if certificates == "" {
		certificates = "single"
	}
	var algo []string
	length := 0
	switch k := c.signer.Public().(type) {
	case *rsa.PublicKey:
		algo, length = []string{oidRSA, oidSHA256RSA}, k.N.BitLen()
	case *ecdsa.PublicKey:
		algo, length = []string{oidECDSA256}, k.Curve.Params().BitSize
	}
	leaf := c.chain[0]
	cert := map[string]any{"status": "valid"}
	if now := time.Now(); now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		cert["status"] = "expired"
	}
	var certs []string
	switch certificates {
	case "single":
		certs = []string{base64.StdEncoding.EncodeToString(leaf.Raw)}
	case "chain":
		for _, x := range c.chain {
			certs = append(certs, base64.StdEncoding.EncodeToString(x.Raw))
		}
	}
	if certs != nil {
		cert["certificates"] = certs
	}
	if certInfo {
		cert["issuerDN"] = leaf.Issuer.String()
		cert["serialNumber"] = leaf.SerialNumber.Text(16)
		cert["subjectDN"] = leaf.Subject.String()
		cert["validFrom"] = leaf.NotBefore.UTC().Format("20060102150405Z")
		cert["validTo"] = leaf.NotAfter.UTC().Format("20060102150405Z")
	}
	return map[string]any{
		"description": c.Description,
		"key":         map[string]any{"status": "enabled", "algo": algo, "len": length},
		"cert":        cert,
		"auth":        map[string]any{"mode": "explicit", "expression": "OTP", "objects": []map[string]any{{"type": "OTP", "id": "OTP", "format": "N", "generator": "totp", "label": "Authenticator code"}}},
		"SCAL":        "2",
		"multisign":   maxHashes,
		"lang":        "en-US",
	}
}

func (s *server) credentialInfo(w http.ResponseWriter, r *http.Request, _ string) {
	var in struct {
		CredentialID string `json:"credentialID"`
		Certificates string `json:"certificates"`
		CertInfo     bool   `json:"certInfo"`
		AuthInfo     bool   `json:"authInfo"`
		Lang         string `json:"lang"`
		ClientData   string `json:"clientData"`
	}
	if err := read(r, &in); err != nil {
		reply(w, nil, err)
		return
	}
	c, e := s.credential(in.CredentialID)
	if e == nil {
		e = checkCertificates(in.Certificates)
	}
	if e != nil {
		reply(w, nil, e)
		return
	}
	reply(w, c.info(in.Certificates, in.CertInfo), nil)
}

func (s *server) credential(id string) (*credential, *cscErr) {
	if id == "" {
		return nil, badRequest("Missing (or invalid type) string parameter credentialID")
	}
	s.mu.Lock()
	c := s.creds[id]
	s.mu.Unlock()
	if c == nil {
		return nil, badRequest("Invalid parameter credentialID")
	}
	return c, nil
}

// hashSet decodes and checks base64 SHA-256 hashes and returns them
// re-encoded and sorted, for comparing as sets.
func hashSet(hashes []string) ([]string, *cscErr) {
	if len(hashes) == 0 {
		return nil, badRequest("Missing (or invalid type) array parameter hashes")
	}
	if len(hashes) > maxHashes {
		return nil, badRequest(fmt.Sprintf("Too many hashes: at most %d", maxHashes))
	}
	out := make([]string, len(hashes))
	for i, h := range hashes {
		b, err := base64.StdEncoding.DecodeString(h)
		if err != nil || len(b) != sha256.Size {
			return nil, badRequest("Invalid Base64 hash string parameter")
		}
		out[i] = base64.StdEncoding.EncodeToString(b)
	}
	slices.Sort(out)
	return out, nil
}

func (s *server) authorize(w http.ResponseWriter, r *http.Request, _ string) {
	var in struct {
		CredentialID     string   `json:"credentialID"`
		NumSignatures    int      `json:"numSignatures"`
		Hashes           []string `json:"hashes"`
		HashAlgorithmOID string   `json:"hashAlgorithmOID"`
		AuthData         []any    `json:"authData"`
		OTP              string   `json:"OTP"`
		PIN              string   `json:"PIN"`
		Description      string   `json:"description"`
		ClientData       string   `json:"clientData"`
	}
	if err := read(r, &in); err != nil {
		reply(w, nil, err)
		return
	}
	c, e := s.credential(in.CredentialID)
	if e != nil {
		reply(w, nil, e)
		return
	}
	if in.NumSignatures < 1 {
		reply(w, nil, badRequest("Missing (or invalid type) integer parameter numSignatures"))
		return
	}
	// SCAL2: the authorisation names the hashes it is for.
	set, e := hashSet(in.Hashes)
	if e != nil {
		reply(w, nil, e)
		return
	}
	if in.NumSignatures != len(in.Hashes) {
		reply(w, nil, badRequest("Invalid parameter numSignatures: it must equal the number of hashes"))
		return
	}
	if in.HashAlgorithmOID != oidSHA256 {
		reply(w, nil, badRequest("Invalid parameter hashAlgorithmOID"))
		return
	}
	if c.Behaviour == "refuse" {
		reply(w, nil, &cscErr{http.StatusBadRequest, "access_denied", "The user refused the authorisation"})
		return
	}
	if in.OTP == "" {
		reply(w, nil, badRequest("Missing (or invalid type) string parameter OTP"))
		return
	}
	if !s.checkOTP(c, in.OTP) {
		reply(w, nil, badRequest("The OTP is invalid"))
		return
	}
	sad := random()
	s.mu.Lock()
	now := s.now()
	for k, a := range s.sads {
		if now.After(a.expires) {
			delete(s.sads, k)
		}
	}
	s.sads[sad] = authorisation{credentialID: c.CredentialID, hashes: set, expires: now.Add(sadLifetime)}
	s.mu.Unlock()
	reply(w, map[string]any{"SAD": sad, "expiresIn": int(sadLifetime / time.Second)}, nil)
}

// checkOTP accepts the TOTP code of the current step or one either side,
// once: a step at or before the last accepted one is refused.
func (s *server) checkOTP(c *credential, otp string) bool {
	if c.AcceptAnyOTP {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	step := now.Unix() / totpPeriod
	for d := int64(-1); d <= 1; d++ {
		at := step + d
		if at <= c.lastStep {
			continue
		}
		code, err := auth.TOTPCode(c.TOTPSecret, time.Unix(at*totpPeriod, 0))
		if err == nil && subtle.ConstantTimeCompare([]byte(code), []byte(otp)) == 1 {
			c.lastStep = at
			return true
		}
	}
	return false
}

func (s *server) signHash(w http.ResponseWriter, r *http.Request, _ string) {
	var in struct {
		CredentialID     string   `json:"credentialID"`
		SAD              string   `json:"SAD"`
		Hashes           []string `json:"hashes"`
		HashAlgorithmOID string   `json:"hashAlgorithmOID"`
		SignAlgo         string   `json:"signAlgo"`
		SignAlgoParams   string   `json:"signAlgoParams"`
		OperationMode    string   `json:"operationMode"`
		ClientData       string   `json:"clientData"`
	}
	if err := read(r, &in); err != nil {
		reply(w, nil, err)
		return
	}
	c, e := s.credential(in.CredentialID)
	if e != nil {
		reply(w, nil, e)
		return
	}
	if in.SAD == "" {
		reply(w, nil, badRequest("Missing (or invalid type) string parameter SAD"))
		return
	}
	set, e := hashSet(in.Hashes)
	if e != nil {
		reply(w, nil, e)
		return
	}
	// The SAD is used up by this request whatever its outcome: a second
	// try, or a try with other hashes, needs a new authorisation.
	s.mu.Lock()
	a, ok := s.sads[in.SAD]
	delete(s.sads, in.SAD)
	now := s.now()
	s.mu.Unlock()
	switch {
	case !ok:
		reply(w, nil, badRequest("Invalid parameter SAD: unknown or already used"))
		return
	case now.After(a.expires):
		reply(w, nil, badRequest("SAD expired"))
		return
	case a.credentialID != c.CredentialID:
		reply(w, nil, badRequest("Invalid parameter SAD: it was issued for another credential"))
		return
	case !slices.Equal(a.hashes, set):
		reply(w, nil, badRequest("Invalid parameter hashes: they are not the hashes the SAD authorises"))
		return
	}
	if in.HashAlgorithmOID != "" && in.HashAlgorithmOID != oidSHA256 {
		reply(w, nil, badRequest("Invalid parameter hashAlgorithmOID"))
		return
	}
	var opts crypto.SignerOpts = crypto.SHA256
	switch c.signer.Public().(type) {
	case *rsa.PublicKey:
		if in.SignAlgo != oidRSA && in.SignAlgo != oidSHA256RSA {
			reply(w, nil, badRequest("Invalid parameter signAlgo"))
			return
		}
	case *ecdsa.PublicKey:
		if in.SignAlgo != oidECDSA256 {
			reply(w, nil, badRequest("Invalid parameter signAlgo"))
			return
		}
	}
	if c.Behaviour == "hang" {
		<-r.Context().Done()
		return
	}
	sigs := make([]string, len(in.Hashes))
	for i, h := range in.Hashes {
		digest, _ := base64.StdEncoding.DecodeString(h)
		if c.Behaviour == "wrong_hash" {
			other := sha256.Sum256(digest)
			digest = other[:]
		}
		sig, err := c.signer.Sign(rand.Reader, digest, opts)
		if err != nil {
			log.Printf("signHash: credential %q: %v", c.CredentialID, err)
			reply(w, nil, &cscErr{http.StatusInternalServerError, "server_error", "The key could not sign"})
			return
		}
		sigs[i] = base64.StdEncoding.EncodeToString(sig)
	}
	reply(w, map[string]any{"signatures": sigs}, nil)
}

func random() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}
