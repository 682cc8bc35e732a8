// Package localsigner is the signing helper a signer runs on their own PC:
// an HTTP server on 127.0.0.1 that answers only the configured vanban
// origins, shows the person what they are about to sign, asks for the PIN of
// their USB token and signs a SHA-256 digest with the key on the token
// through PKCS#11. The private key never leaves the token and the PIN goes
// only to the helper.
package localsigner

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults of Config.
const (
	DefaultTTL        = 5 * time.Minute
	DefaultMaxPending = 4
)

// keepDone is how long a finished or expired request stays for the page to
// read its outcome.
const keepDone = 10 * time.Minute

// Config configures a Server.
type Config struct {
	Module     string        // path of the CA's PKCS#11 driver
	Origins    []string      // the vanban origins answered, scheme://host[:port]
	Token      string        // only the token with this label; "" for every token
	Version    string        // reported by /v1/status
	Logger     *slog.Logger  // nil: slog.Default()
	TTL        time.Duration // how long a request waits for confirmation; 0: DefaultTTL
	MaxPending int           // requests waiting at once; 0: DefaultMaxPending
	Now        func() time.Time
}

// Server is the helper's HTTP server.
type Server struct {
	cfg     Config
	origins map[string]bool
	mod     *module
	log     *slog.Logger
	srv     *http.Server

	mu       sync.Mutex
	requests map[string]*request
	base     string          // http://127.0.0.1:port
	hosts    map[string]bool // Host headers accepted
}

// New checks cfg and returns a Server; the module is loaded once to fail
// early on a wrong path.
func New(cfg Config) (*Server, error) {
	if cfg.Module == "" {
		return nil, errors.New("localsigner: the PKCS#11 module path is required")
	}
	origins, err := ParseOrigins(cfg.Origins)
	if err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = DefaultMaxPending
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	s := &Server{cfg: cfg, origins: map[string]bool{}, mod: &module{path: cfg.Module, token: cfg.Token}, log: cfg.Logger, requests: map[string]*request{}}
	for _, o := range origins {
		s.origins[o] = true
	}
	if _, err := s.mod.Tokens(); err != nil {
		return nil, err
	}
	return s, nil
}

// ParseOrigins checks that each origin is exactly scheme://host[:port]
// (http or https) and returns them lowercased; a single string may hold
// several, comma-separated.
func ParseOrigins(in []string) ([]string, error) {
	var out []string
	for _, item := range in {
		for _, o := range strings.Split(item, ",") {
			o = strings.TrimSpace(o)
			if o == "" {
				continue
			}
			u, err := url.Parse(o)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
				(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
				return nil, fmt.Errorf("localsigner: origin %q is not scheme://host[:port]", o)
			}
			out = append(out, strings.ToLower(u.Scheme+"://"+u.Host))
		}
	}
	if len(out) == 0 {
		return nil, errors.New("localsigner: at least one origin (the vanban address) is required")
	}
	return out, nil
}

// Listen listens on addr, which must be a loopback address: the helper is
// never reachable from the network.
func Listen(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("localsigner: unable to parse listen address %q: %v", addr, err)
	}
	if host == "localhost" {
		addr = "127.0.0.1" + addr[len(host):]
	} else if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("localsigner: refusing to listen on %q: only a loopback address (127.0.0.1) is allowed", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("localsigner: unable to listen on %s: %v", addr, err)
	}
	return l, nil
}

// Serve answers on l (from Listen) until Shutdown.
func (s *Server) Serve(l net.Listener) error {
	tcp, ok := l.Addr().(*net.TCPAddr)
	if !ok || !tcp.IP.IsLoopback() {
		return fmt.Errorf("localsigner: refusing to serve on %s: not a loopback address", l.Addr())
	}
	port := strconv.Itoa(tcp.Port)
	s.mu.Lock()
	s.base = "http://" + net.JoinHostPort(tcp.IP.String(), port)
	s.hosts = map[string]bool{net.JoinHostPort(tcp.IP.String(), port): true, "localhost:" + port: true}
	s.srv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute, // a token may be slow to sign
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	srv := s.srv
	s.mu.Unlock()
	err := srv.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// URL is the helper's base address, known once Serve has started.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.base
}

// Shutdown stops the server gracefully.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Shutdown(ctx)
}

// Handler is the helper's route table behind the Host and Origin checks.
func (s *Server) Handler() http.Handler {
	api := http.NewServeMux()
	api.HandleFunc("GET /v1/status", s.status)
	api.HandleFunc("GET /v1/certificates", s.certificates)
	api.HandleFunc("POST /v1/sign", s.createSign)
	api.HandleFunc("GET /v1/sign/{id}", s.signState)

	pages := http.NewServeMux()
	pages.HandleFunc("GET /confirm/{id}", s.confirmPage)
	pages.HandleFunc("POST /confirm/{id}", s.confirm)

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A page of another site could resolve its own name to 127.0.0.1
		// (DNS rebinding) and read the answers as same-origin: its requests
		// carry its own name in Host.
		s.mu.Lock()
		hostOK := s.hosts[strings.ToLower(r.Host)]
		s.mu.Unlock()
		if !hostOK {
			s.log.Warn("localsigner: request refused: foreign Host", "host", r.Host, "path", r.URL.Path)
			http.Error(w, "forbidden host", http.StatusForbidden)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if strings.HasPrefix(r.URL.Path, "/v1/") {
			origin := r.Header.Get("Origin")
			if !s.origins[origin] {
				s.log.Warn("localsigner: request refused: origin not allowed", "origin", origin, "method", r.Method, "path", r.URL.Path)
				http.Error(w, "forbidden origin", http.StatusForbidden)
				return
			}
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			if r.Method == http.MethodOptions {
				h.Set("Access-Control-Allow-Methods", "GET, POST")
				h.Set("Access-Control-Allow-Headers", "Content-Type")
				h.Set("Access-Control-Allow-Private-Network", "true")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
			api.ServeHTTP(w, r)
			return
		}
		pages.ServeHTTP(w, r)
	})
}

type errorBody struct {
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, errorBody{Message: message})
}

const msgTokenTrouble = "Không đọc được thiết bị ký. Hãy kiểm tra thiết bị đã được cắm và trình điều khiển của tổ chức cấp chứng thư số."

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	tokens, err := s.mod.Tokens()
	if err != nil {
		s.log.Error("localsigner: unable to list tokens", "error", err)
		writeError(w, http.StatusServiceUnavailable, msgTokenTrouble)
		return
	}
	type token struct {
		Label string `json:"label"`
	}
	body := struct {
		Version string  `json:"version"`
		Module  string  `json:"module"`
		Tokens  []token `json:"tokens"`
	}{Version: s.cfg.Version, Module: filepath.Base(s.cfg.Module), Tokens: []token{}}
	for _, t := range tokens {
		body.Tokens = append(body.Tokens, token{Label: t.Label})
	}
	writeJSON(w, http.StatusOK, body)
}

// CertificateJSON is a certificate as /v1/certificates lists it.
type CertificateJSON struct {
	Fingerprint string   `json:"fingerprint"`
	Subject     string   `json:"subject"`
	CommonName  string   `json:"common_name"`
	Issuer      string   `json:"issuer"`
	NotBefore   string   `json:"not_before"`
	NotAfter    string   `json:"not_after"`
	Certificate string   `json:"certificate"`
	Chain       []string `json:"chain"`
	Token       string   `json:"token"`
}

func certificateJSON(c Certificate) CertificateJSON {
	return CertificateJSON{
		Fingerprint: c.Fingerprint,
		Subject:     c.Cert.Subject.String(),
		CommonName:  c.Cert.Subject.CommonName,
		Issuer:      c.Cert.Issuer.String(),
		NotBefore:   c.Cert.NotBefore.UTC().Format(time.RFC3339),
		NotAfter:    c.Cert.NotAfter.UTC().Format(time.RFC3339),
		Certificate: base64.StdEncoding.EncodeToString(c.Cert.Raw),
		Chain:       chainJSON(c),
		Token:       c.Token,
	}
}

func chainJSON(c Certificate) []string {
	out := []string{}
	for _, x := range c.Chain {
		out = append(out, base64.StdEncoding.EncodeToString(x.Raw))
	}
	return out
}

func (s *Server) certificates(w http.ResponseWriter, r *http.Request) {
	certs, err := s.mod.Certificates()
	if err != nil {
		s.log.Error("localsigner: unable to list certificates", "error", err)
		writeError(w, http.StatusServiceUnavailable, msgTokenTrouble)
		return
	}
	body := struct {
		Certificates []CertificateJSON `json:"certificates"`
	}{Certificates: []CertificateJSON{}}
	for _, c := range certs {
		body.Certificates = append(body.Certificates, certificateJSON(c))
	}
	writeJSON(w, http.StatusOK, body)
}

// Document is what the page says is being signed, shown to the person.
type Document struct {
	Title      string `json:"title"`
	Number     string `json:"number"`
	Unit       string `json:"unit"`
	FileSHA256 string `json:"file_sha256"`
	Signer     string `json:"signer"`
}

// Request states.
const (
	StatePending = "pending"
	StateSigned  = "signed"
	StateRefused = "refused"
	StateExpired = "expired"
	StateFailed  = "failed"
)

type request struct {
	id, secret string
	origin     string
	digest     []byte
	doc        Document
	cert       Certificate
	created    time.Time
	state      string
	busy       bool // the token is signing it now
	signature  []byte
	message    string
}

const maxField = 1000

func (s *Server) createSign(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Digest      string   `json:"digest"`
		Hash        string   `json:"hash"`
		Fingerprint string   `json:"fingerprint"`
		Document    Document `json:"document"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "Yêu cầu ký không đúng định dạng JSON.")
		return
	}
	if !strings.EqualFold(in.Hash, "SHA-256") {
		writeError(w, http.StatusBadRequest, "Thuật toán băm không được hỗ trợ: chỉ hỗ trợ SHA-256.")
		return
	}
	digest, err := base64.StdEncoding.DecodeString(in.Digest)
	if err != nil || len(digest) != 32 {
		writeError(w, http.StatusBadRequest, "Giá trị băm (digest) phải là 32 byte SHA-256 mã hóa base64.")
		return
	}
	d := in.Document
	for _, f := range []string{d.Title, d.Number, d.Unit, d.FileSHA256, d.Signer} {
		if len(f) > maxField {
			writeError(w, http.StatusBadRequest, "Thông tin văn bản quá dài.")
			return
		}
	}
	fp := strings.ToLower(strings.TrimSpace(in.Fingerprint))
	cert, found, err := s.mod.Find(fp)
	if err != nil {
		s.log.Error("localsigner: unable to list certificates", "error", err)
		writeError(w, http.StatusServiceUnavailable, msgTokenTrouble)
		return
	}
	if !found {
		writeError(w, http.StatusUnprocessableEntity, "Không tìm thấy chứng thư số này trên thiết bị ký")
		return
	}

	now := s.cfg.Now()
	s.mu.Lock()
	s.prune(now)
	pending := 0
	for _, q := range s.requests {
		if q.state == StatePending {
			pending++
		}
	}
	if pending >= s.cfg.MaxPending {
		s.mu.Unlock()
		writeError(w, http.StatusTooManyRequests, "Đang có quá nhiều yêu cầu ký chờ xác nhận. Hãy xác nhận hoặc từ chối các yêu cầu trước, hoặc chờ chúng hết hạn.")
		return
	}
	q := &request{
		id: newID(), secret: newSecret(),
		origin: r.Header.Get("Origin"), digest: digest, doc: d, cert: cert,
		created: now, state: StatePending,
	}
	s.requests[q.id] = q
	base := s.base
	s.mu.Unlock()

	s.log.Info("localsigner: signing requested", "id", q.id, "origin", q.origin, "certificate", cert.Fingerprint, "title", d.Title, "number", d.Number)
	writeJSON(w, http.StatusCreated, struct {
		ID         string `json:"id"`
		ConfirmURL string `json:"confirm_url"`
	}{q.id, base + "/confirm/" + q.id + "?t=" + q.secret})
}

// prune expires pending requests past their TTL and forgets old ones; s.mu
// is held.
func (s *Server) prune(now time.Time) {
	for id, q := range s.requests {
		if q.state == StatePending && !q.busy && now.Sub(q.created) > s.cfg.TTL {
			q.state, q.message = StateExpired, msgExpired
			s.log.Info("localsigner: signing request expired", "id", q.id)
		}
		if q.state != StatePending && now.Sub(q.created) > s.cfg.TTL+keepDone {
			delete(s.requests, id)
		}
	}
}

const (
	msgExpired = "Yêu cầu ký đã hết hạn. Hãy ký lại từ trang văn bản."
	msgRefused = "Người ký đã từ chối ký."
)

// SignState is the answer of GET /v1/sign/{id}.
type SignState struct {
	State       string   `json:"state"`
	Signature   string   `json:"signature,omitempty"`
	Certificate string   `json:"certificate,omitempty"`
	Chain       []string `json:"chain"` // [] until signed
	Message     string   `json:"message,omitempty"`
}

func (s *Server) signState(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.prune(s.cfg.Now())
	q := s.requests[r.PathValue("id")]
	var out SignState
	if q != nil {
		out = SignState{State: q.state, Message: q.message, Chain: []string{}}
		if q.state == StateSigned {
			out.Signature = base64.StdEncoding.EncodeToString(q.signature)
			out.Certificate = base64.StdEncoding.EncodeToString(q.cert.Cert.Raw)
			out.Chain = chainJSON(q.cert)
		}
	}
	s.mu.Unlock()
	if q == nil {
		writeError(w, http.StatusNotFound, "Không tìm thấy yêu cầu ký.")
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// newID names a request in URLs the page sees.
func newID() string { return hex.EncodeToString(randomBytes(16)) }

// newSecret is the token of a confirmation page's URL: only the popup the
// page opened knows it.
func newSecret() string { return base64.RawURLEncoding.EncodeToString(randomBytes(32)) }

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return b
}
