package server

import (
	"bytes"
	"cmp"
	"context"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/admin"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/certs"
	"github.com/hcm-edu/vanban/config"
	"github.com/hcm-edu/vanban/convert"
	"github.com/hcm-edu/vanban/demo"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/drafting"
	"github.com/hcm-edu/vanban/internal/httpx"
	"github.com/hcm-edu/vanban/internal/oidctest"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/meetings"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/org"
	"github.com/hcm-edu/vanban/remotesign"
	"github.com/hcm-edu/vanban/routing"
	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/storage"
	"github.com/jmoiron/sqlx"
)

const testPassword = "test-password-1"

// testEnv is a running server on a real PostgreSQL database of its own,
// with the demo organisation seeded.
type testEnv struct {
	t       testing.TB
	db      *sqlx.DB
	blobs   storage.Blobs
	cfg     *config.Config
	docs    *documents.Service
	routing *routing.Service
	drafts  *drafting.Service
	log     *slog.Logger
	baseURL string
	spool   string
}

type envOptions struct {
	blobs          storage.Blobs // default: a local store in a temp dir
	maxUploadBytes int64         // default: 32 MiB
	db             *sqlx.DB      // default: a fresh database
	signing        bool          // development keys and demo images, as make run has
	now            func() time.Time
	converter      drafting.Converter  // Word files; nil: kept for a retry
	require2FA     bool                // REQUIRE_2FA
	remote         remotesign.Provider // the remote-signing service (CSC_URL)
	helperURL      string              // SIGNER_HELPER_URL
	certRoots      *x509.CertPool      // roots of registered certificates; nil: the server's
	oidc           *oidctest.Provider  // OIDC_ISSUER and its client; nil: password login only
	oidcClaim      string              // OIDC_MATCH_CLAIM (default email)
	mailer         admin.Sender        // e-mails invitation and reset links (links to http://vanban.test)
}

func newEnv(t testing.TB, o envOptions) *testEnv {
	t.Helper()
	ctx := context.Background()
	db := o.db
	if db == nil {
		db, _ = testenv.NewDB(t)
	}
	if _, err := demo.Seed(ctx, org.NewStore(db), auth.NewService(db, time.Hour), testPassword, 0); err != nil {
		t.Fatal(err)
	}
	blobs := o.blobs
	localStore := blobs == nil
	if localStore {
		l, err := storage.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		blobs = l
	}
	max := o.maxUploadBytes
	if max == 0 {
		max = 32 << 20
	}
	cfg := &config.Config{MaxUploadBytes: max, PresignExpiry: time.Minute, SessionTTL: time.Hour,
		CookieSecure: "auto", LogLevel: "info", LogFormat: "text", SigningMode: documents.ModeServer,
		SignerHelperURL: cmp.Or(o.helperURL, "http://127.0.0.1:8765"),
		// The local store's read-only files stand in for Object Lock, as
		// an operator accepts them with ARCHIVE_ACCEPT_LOCAL_WORM.
		ArchiveAcceptLocalWORM: localStore}
	spool := t.TempDir()
	docs, err := documents.NewService(db, blobs, spool, max)
	if err != nil {
		t.Fatal(err)
	}
	docs.BatchAccess(nil) // reads written behind, as cmd/vanban runs it
	t.Cleanup(func() { docs.Close() })
	if o.signing {
		keys := t.TempDir()
		if err := demo.SeedSigning(ctx, keys, auth.NewService(db, time.Hour), docs); err != nil {
			t.Fatal(err)
		}
		roots, err := signing.LoadDevRoots(keys)
		if err != nil {
			t.Fatal(err)
		}
		rootCerts, err := signing.LoadDevRootCerts(keys)
		if err != nil {
			t.Fatal(err)
		}
		docs.EnableSigning(documents.SigningDeps{Keys: signing.DirKeys{Dir: keys}, Roots: roots, RootCerts: rootCerts, MaxBytes: 64 << 20, Now: o.now})
		cfg.KeysDir = keys
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	notes := notify.NewStore(db, false)
	docs.SetNotes(notes)
	rt := routing.New(db, docs, notes)
	if o.converter != nil {
		docs.SetConverter(o.converter)
	}
	drafts := drafting.New(db, docs, notes, o.converter)
	authSvc := auth.NewService(db, time.Hour)
	authSvc.RequireTOTP(o.require2FA)
	cfg.Require2FA = o.require2FA
	if o.oidc != nil {
		cfg.OIDCIssuer, cfg.OIDCClientID, cfg.OIDCClientSecret = o.oidc.Issuer, o.oidc.ClientID, o.oidc.ClientSecret
		cfg.OIDCMatchClaim = cmp.Or(o.oidcClaim, "email")
	}
	docs.SetSecondFactor(authSvc) // as cmd/vanban serve wires it
	docs.SetSigningMode(cfg.SigningMode, o.remote)
	// Registered certificates chain to the server's roots, as serve wires it.
	registry := certs.New(db, func() *x509.CertPool {
		if o.certRoots != nil {
			return o.certRoots
		}
		return docs.Roots()
	})
	if o.remote != nil {
		registry.SetRemote(o.remote)
	}
	srv, err := New(httpx.Deps{Config: cfg, DB: db, Blobs: blobs, Auth: authSvc,
		Units: org.NewStore(db), Docs: docs, Routing: rt, Notes: notes, Drafts: drafts, Certs: registry,
		Meetings: meetings.New(db, docs, blobs, meetings.NewHub(db, "", log)), Log: log,
		Admin: admin.New(db, authSvc, o.mailer, "http://vanban.test", log)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.oidc != nil {
		cfg.OIDCRedirectURL = "http://" + ln.Addr().String() + "/auth/oidc/callback"
	}
	go srv.App().Listener(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return &testEnv{t: t, db: db, blobs: blobs, cfg: cfg, docs: docs, routing: rt, drafts: drafts, log: log,
		baseURL: "http://" + ln.Addr().String(), spool: spool}
}

// login returns a bearer token for a demo user.
func (e *testEnv) login(username string) string {
	e.t.Helper()
	body, _ := json.Marshal(map[string]string{"username": username, "password": testPassword})
	resp, err := http.Post(e.baseURL+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Token string }
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&out) != nil || out.Token == "" {
		e.t.Fatalf("login %s: status %d", username, resp.StatusCode)
	}
	return out.Token
}

// request sends an API request with the token and returns status and body.
func (e *testEnv) request(method, path, token string, body io.Reader, contentType string) (int, []byte, http.Header) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.baseURL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}

// multipartBody builds an upload form: fields first, then the file.
func multipartBody(t testing.TB, fields map[string]string, fileName string, content []byte) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	if content != nil {
		fw, err := w.CreateFormFile("file", fileName)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(content)
	}
	w.Close()
	return &buf, w.FormDataContentType()
}

// validFields are metadata of an outgoing draft that pass validation:
// no number, which only the register gives.
func validFields() map[string]string {
	return map[string]string{
		"doc_type": "KH", "title": "Kế hoạch cải cách hành chính năm 2021", "doc_date": "2021-01-22",
		"urgency": "thuong", "confidentiality": "thuong",
	}
}

// issuable uploads a draft of the department with fields (validFields when
// nil) as vanthu.sgd, signs it as giamdoc.sgd and registers it as
// vanthu.sgd: the document as the register leaves it, ready to issue.
func (e *testEnv) issuable(t *testing.T, fields map[string]string) docJSON {
	t.Helper()
	if fields == nil {
		fields = validFields()
	}
	return e.signAndRegisterFields(t, e.login("vanthu.sgd"), e.login("giamdoc.sgd"), fields)
}

func fixturePDF(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("../../testdata/206-KH-SGDDT-blank-hoainam.pdf") // number and date blank, signed by the demo director
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// countRows returns the number of documents and versions.
func (e *testEnv) countRows() (docs, versions int) {
	e.t.Helper()
	if err := e.db.Get(&docs, `SELECT count(*) FROM documents`); err != nil {
		e.t.Fatal(err)
	}
	if err := e.db.Get(&versions, `SELECT count(*) FROM document_versions`); err != nil {
		e.t.Fatal(err)
	}
	return
}

// countObjects returns the number of objects in the store.
func (e *testEnv) countObjects() int {
	e.t.Helper()
	n := 0
	if err := e.blobs.List(context.Background(), "", func(storage.Info) error { n++; return nil }); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// realPool is the LibreOffice pool the tests that convert share: one per
// test binary, started by the first that needs it (about 3 s), closed by
// TestMain.
var realPool struct {
	once sync.Once
	c    *convert.Converter
	err  error
}

// realConverter is the shared LibreOffice pool. Without LibreOffice or
// python3-uno the test skips, and fails under CI, which has them.
func realConverter(t testing.TB) *convert.Converter {
	t.Helper()
	if testing.Short() {
		t.Skip("the LibreOffice pool is for integration tests")
	}
	if _, err := exec.LookPath("soffice"); err != nil {
		testenv.Missing(t, "LibreOffice (soffice)")
	}
	if exec.Command("/usr/bin/python3", "-c", "import uno").Run() != nil && exec.Command("python3", "-c", "import uno").Run() != nil {
		testenv.Missing(t, "python3-uno")
	}
	realPool.once.Do(func() { realPool.c, realPool.err = convert.New(convert.Config{}) })
	if realPool.err != nil {
		t.Fatalf("the LibreOffice pool: %v", realPool.err)
	}
	return realPool.c
}

// closeRealConverter stops the shared pool if a test started it.
func closeRealConverter() {
	if realPool.c != nil {
		realPool.c.Close()
	}
}
