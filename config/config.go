// Package config reads the service's configuration from environment
// variables, declared in one table with defaults, validation and secrecy.
package config

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is the effective configuration.
type Config struct {
	DatabaseURL      string
	DatabaseMaxConns int
	ListenAddr       string
	PublicURL        string
	DataDir          string
	S3Endpoint       string
	S3Bucket         string
	S3AccessKey      string
	S3SecretKey      string
	S3UseSSL         bool
	S3Region         string
	S3ObjectLock     bool
	MaxUploadBytes   int64
	PresignExpiry    time.Duration
	SessionTTL       time.Duration
	CookieSecure     string // auto, true or false
	TrustProxy       bool
	LogLevel         string
	LogFormat        string
	MetricsToken     string
	DemoPassword     string
	KeysDir          string
	PKCS11Module     string
	PKCS11Token      string
	PKCS11PIN        string
	TrustRootsFile   string
	TSAURL           string
	TSATimeout       time.Duration
	MaxSignBytes     int64
	SMTPAddr         string
	SMTPFrom         string
	SMTPUsername     string
	SMTPPassword     string
	SMTPTLS          string // none, starttls or tls
	ConvertSoffice   string // LibreOffice's soffice; "off" disables Word conversion
	ConvertWorkers   int
	ConvertTimeout   time.Duration
	ConvertMemory    int64
	Require2FA       bool // signers, clerks and admins must enrol TOTP to sign

	// WORM for archived objects: accept the local store's read-only files
	// in place of S3 Object Lock, and how often locked objects are re-read.
	ArchiveAcceptLocalWORM bool
	ArchiveVerifyInterval  time.Duration

	// The text inside documents: pages of a document read by OCR at most,
	// extraction jobs at once per instance, the longest OCR of one page and
	// the longest extraction of one document.
	OCRPages       int
	OCRWorkers     int
	OCRPageTimeout time.Duration
	TextTimeout    time.Duration

	// RevocationCheck, RevocationPolicy (warn or refuse) and
	// RevocationTimeout: the OCSP/CRL check of signing certificates.
	RevocationCheck   bool
	RevocationPolicy  string
	RevocationTimeout time.Duration

	// RetimestampMargin: an archived (B-LTA) document gets a new document
	// timestamp when its last one's authority certificate ends within it.
	RetimestampMargin time.Duration

	// SigningMode is how people sign unless their account says otherwise:
	// server (keys the server holds: development), helper (their own USB
	// token through vanban-signer) or remote (a CSC remote-signing
	// service at CSCURL). Production refuses file keys and server-held
	// personal keys.
	SigningMode     string
	Production      bool
	SignerHelperURL string
	CSCURL          string
	CSCClientID     string
	CSCSecret       string
	CSCTimeout      time.Duration

	// OpenID Connect login (one provider): enabled when OIDCIssuer is set.
	OIDCIssuer       string
	OIDCClientID     string
	OIDCClientSecret string
	OIDCRedirectURL  string // default PUBLIC_URL + /auth/oidc/callback
	OIDCMatchClaim   string // email, or the claim holding the vanban username
	OIDCButton       string
}

// OIDCEnabled reports whether people may sign in through OpenID Connect.
func (c *Config) OIDCEnabled() bool { return c.OIDCIssuer != "" }

// UseS3 reports whether documents go to S3 rather than the local disk.
func (c *Config) UseS3() bool { return c.S3Endpoint != "" }

// EmailEnabled reports whether notifications are also sent by e-mail.
func (c *Config) EmailEnabled() bool { return c.SMTPAddr != "" }

type option struct {
	name    string
	def     string
	secret  bool
	help    string
	set     func(c *Config, v string) error
	current func(c *Config) string
}

func str(p func(*Config) *string) (func(*Config, string) error, func(*Config) string) {
	return func(c *Config, v string) error { *p(c) = v; return nil },
		func(c *Config) string { return *p(c) }
}

var options = []option{
	dbURLOption(),
	intOption("DATABASE_MAX_CONNS", "20", "largest number of open PostgreSQL connections", 1, 1000,
		func(c *Config) *int { return &c.DatabaseMaxConns }),
	{name: "LISTEN_ADDR", def: "127.0.0.1:8080", help: "address the HTTP server listens on",
		set: func(c *Config, v string) error {
			if _, _, err := net.SplitHostPort(v); err != nil {
				return fmt.Errorf("must be host:port, such as 127.0.0.1:8080 or :8080")
			}
			c.ListenAddr = v
			return nil
		}, current: func(c *Config) string { return c.ListenAddr }},
	{name: "PUBLIC_URL", def: "", help: "URL users reach the service at (printed, used in links)",
		set: func(c *Config, v string) error {
			if v != "" {
				u, err := url.Parse(v)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					return fmt.Errorf("must be an http or https URL, such as https://vanban.example.vn")
				}
			}
			c.PublicURL = strings.TrimRight(v, "/")
			return nil
		}, current: func(c *Config) string { return c.PublicURL }},
	strOption("DATA_DIR", "./var/data", false, "folder of the local document store (when S3_ENDPOINT is unset)",
		func(c *Config) *string { return &c.DataDir }),
	{name: "S3_ENDPOINT", def: "", help: "host:port of an S3-compatible store; setting it selects S3",
		set: func(c *Config, v string) error {
			if strings.Contains(v, "://") {
				return fmt.Errorf("give host:port without a scheme, and S3_USE_SSL=true for https")
			}
			c.S3Endpoint = v
			return nil
		}, current: func(c *Config) string { return c.S3Endpoint }},
	strOption("S3_BUCKET", "vanban", false, "bucket for documents (created at start if missing)",
		func(c *Config) *string { return &c.S3Bucket }),
	strOption("S3_ACCESS_KEY", "", true, "S3 access key", func(c *Config) *string { return &c.S3AccessKey }),
	strOption("S3_SECRET_KEY", "", true, "S3 secret key", func(c *Config) *string { return &c.S3SecretKey }),
	boolOption("S3_USE_SSL", "false", "use https to reach S3", func(c *Config) *bool { return &c.S3UseSSL }),
	strOption("S3_REGION", "us-east-1", false, "S3 region", func(c *Config) *string { return &c.S3Region }),
	boolOption("S3_OBJECT_LOCK", "false", "create a missing bucket with Object Lock, which archived documents need (WORM); S3 allows it only at creation",
		func(c *Config) *bool { return &c.S3ObjectLock }),
	boolOption("ARCHIVE_ACCEPT_LOCAL_WORM", "false", "let the archive freeze files on a store without Object Lock (the local store's read-only files)",
		func(c *Config) *bool { return &c.ArchiveAcceptLocalWORM }),
	durationOption("ARCHIVE_VERIFY_INTERVAL", "24h", "how often every archived (locked) object is re-read and its SHA-256 checked", time.Minute, 365*24*time.Hour,
		func(c *Config) *time.Duration { return &c.ArchiveVerifyInterval }),
	{name: "MAX_UPLOAD_BYTES", def: "268435456", help: "largest document accepted, in bytes (256 MiB)",
		set: func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1024 {
				return fmt.Errorf("must be a number of bytes of at least 1024")
			}
			c.MaxUploadBytes = n
			return nil
		}, current: func(c *Config) string { return strconv.FormatInt(c.MaxUploadBytes, 10) }},
	durationOption("PRESIGN_EXPIRY", "5m", "lifetime of presigned download URLs", time.Second, 7*24*time.Hour,
		func(c *Config) *time.Duration { return &c.PresignExpiry }),
	durationOption("SESSION_TTL", "12h", "lifetime of a login session or API token", time.Minute, 30*24*time.Hour,
		func(c *Config) *time.Duration { return &c.SessionTTL }),
	{name: "COOKIE_SECURE", def: "auto", help: "Secure flag on cookies: auto (https or localhost), true or false",
		set: func(c *Config, v string) error {
			switch v {
			case "auto", "true", "false":
				c.CookieSecure = v
				return nil
			}
			return fmt.Errorf("must be auto, true or false")
		}, current: func(c *Config) string { return c.CookieSecure }},
	boolOption("REQUIRE_2FA", "false", "signers, clerks and admins must enrol an authenticator app (TOTP) before signing or sealing; set true in production",
		func(c *Config) *bool { return &c.Require2FA }),
	boolOption("TRUST_PROXY", "false", "trust X-Forwarded-For/Proto from a reverse proxy", func(c *Config) *bool { return &c.TrustProxy }),
	enumOption("LOG_LEVEL", "info", []string{"debug", "info", "warn", "error"}, "log level", func(c *Config) *string { return &c.LogLevel }),
	enumOption("LOG_FORMAT", "text", []string{"text", "json"}, "log format", func(c *Config) *string { return &c.LogFormat }),
	strOption("METRICS_TOKEN", "", true, "if set, GET /metrics requires this bearer token", func(c *Config) *string { return &c.MetricsToken }),
	strOption("DEMO_PASSWORD", "", true, "password of the demo users made by seed-demo (generated when unset)", func(c *Config) *string { return &c.DemoPassword }),
	strOption("SIGNING_KEYS_DIR", "", false, "folder of file keys: people/<username>.pem, orgs/<unit code>.pem (default DATA_DIR/keys; development)",
		func(c *Config) *string { return &c.KeysDir }),
	strOption("PKCS11_MODULE", "", false, "PKCS#11 module of the token or HSM holding the keys (labels: username, unit code); setting it selects PKCS#11",
		func(c *Config) *string { return &c.PKCS11Module }),
	strOption("PKCS11_TOKEN_LABEL", "", false, "label of the PKCS#11 token", func(c *Config) *string { return &c.PKCS11Token }),
	strOption("PKCS11_PIN", "", true, "PIN of the PKCS#11 token", func(c *Config) *string { return &c.PKCS11PIN }),
	strOption("TRUST_ROOTS_FILE", "", false, "PEM file of trusted root certificates for verification (default: the development root in SIGNING_KEYS_DIR)",
		func(c *Config) *string { return &c.TrustRootsFile }),
	{name: "TSA_URL", def: "", help: "RFC 3161 timestamp authority; set it for PAdES B-T signatures",
		set: func(c *Config, v string) error {
			if v != "" {
				u, err := url.Parse(v)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					return fmt.Errorf("must be an http or https URL")
				}
			}
			c.TSAURL = v
			return nil
		}, current: func(c *Config) string { return c.TSAURL }},
	{name: "SIGNER_HELPER_URL", def: "http://127.0.0.1:8765", help: "the signing helper on each user's PC, as their browser reaches it",
		set: func(c *Config, v string) error {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(v, " ;,'\"") {
				return fmt.Errorf("must be an http or https URL, such as http://127.0.0.1:8765")
			}
			c.SignerHelperURL = strings.TrimRight(v, "/")
			return nil
		}, current: func(c *Config) string { return c.SignerHelperURL }},
	durationOption("TSA_TIMEOUT", "10s", "longest wait for the timestamp authority", time.Second, 5*time.Minute,
		func(c *Config) *time.Duration { return &c.TSATimeout }),
	boolOption("REVOCATION_CHECK", "true", "check signing certificates against their OCSP responder or CRL, at signing and in verification",
		func(c *Config) *bool { return &c.RevocationCheck }),
	enumOption("REVOCATION_POLICY", "warn", []string{"warn", "refuse"}, "at signing, when a certificate's revocation status cannot be learnt: sign and record a warning, or refuse",
		func(c *Config) *string { return &c.RevocationPolicy }),
	enumOption("SIGNING_MODE", "server", []string{"server", "helper", "remote"}, "how people sign: server (keys on the server: development only), helper (their own USB token through vanban-signer) or remote (a CSC remote-signing service)",
		func(c *Config) *string { return &c.SigningMode }),
	boolOption("PRODUCTION", "false", "production: refuse file keys (SIGNING_KEYS_DIR) and personal keys held by the server; require REQUIRE_2FA",
		func(c *Config) *bool { return &c.Production }),
	strOption("CSC_URL", "", false, "remote-signing service (Cloud Signature Consortium API v2), e.g. https://rs.ca.example/csc/v2 without the path; enables remote signing",
		func(c *Config) *string { return &c.CSCURL }),
	strOption("CSC_CLIENT_ID", "", false, "vanban's client id at the remote-signing service", func(c *Config) *string { return &c.CSCClientID }),
	strOption("CSC_CLIENT_SECRET", "", true, "vanban's client secret at the remote-signing service", func(c *Config) *string { return &c.CSCSecret }),
	durationOption("CSC_TIMEOUT", "60s", "longest wait for the remote-signing service (the person confirms in its app meanwhile)", time.Second, 10*time.Minute,
		func(c *Config) *time.Duration { return &c.CSCTimeout }),
	durationOption("REVOCATION_TIMEOUT", "5s", "longest wait for each OCSP or CRL request", 100*time.Millisecond, time.Minute,
		func(c *Config) *time.Duration { return &c.RevocationTimeout }),
	durationOption("RETIMESTAMP_MARGIN", "4320h", "an archived (PAdES B-LTA) document is timestamped again when its last timestamp's authority certificate ends within this (4320h: 180 days)", 24*time.Hour, 5*365*24*time.Hour,
		func(c *Config) *time.Duration { return &c.RetimestampMargin }),
	strOption("CONVERT_SOFFICE", "", false, "LibreOffice's soffice, which converts Word and ODT drafts to PDF (default: found on PATH; \"off\": Word uploads are refused with 503)",
		func(c *Config) *string { return &c.ConvertSoffice }),
	intOption("CONVERT_WORKERS", "2", "LibreOffice converter processes", 1, 32,
		func(c *Config) *int { return &c.ConvertWorkers }),
	durationOption("CONVERT_TIMEOUT", "60s", "longest conversion of one file; a longer one is killed", time.Second, 10*time.Minute,
		func(c *Config) *time.Duration { return &c.ConvertTimeout }),
	intOption("OCR_PAGES", "50", "pages of a scanned document read by OCR at most (the document's text state says so)", 1, 10000,
		func(c *Config) *int { return &c.OCRPages }),
	intOption("OCR_WORKERS", "1", "text extraction and OCR jobs at once per instance (one Tesseract process each)", 1, 16,
		func(c *Config) *int { return &c.OCRWorkers }),
	durationOption("OCR_PAGE_TIMEOUT", "60s", "longest OCR of one page; a longer one is killed and the text marked failed", time.Second, 10*time.Minute,
		func(c *Config) *time.Duration { return &c.OCRPageTimeout }),
	durationOption("TEXT_TIMEOUT", "3m", "longest text extraction of one document, OCR included", 10*time.Second, time.Hour,
		func(c *Config) *time.Duration { return &c.TextTimeout }),
	{name: "CONVERT_MEMORY_BYTES", def: "2147483648", help: "address-space limit of each converter process, in bytes (2 GiB)",
		set: func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 256<<20 {
				return fmt.Errorf("must be a number of bytes of at least 268435456 (256 MiB)")
			}
			c.ConvertMemory = n
			return nil
		}, current: func(c *Config) string { return strconv.FormatInt(c.ConvertMemory, 10) }},
	{name: "MAX_SIGN_BYTES", def: "67108864", help: "largest PDF signed or verified, in bytes (64 MiB; signing holds the file in memory)",
		set: func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1024 {
				return fmt.Errorf("must be a number of bytes of at least 1024")
			}
			c.MaxSignBytes = n
			return nil
		}, current: func(c *Config) string { return strconv.FormatInt(c.MaxSignBytes, 10) }},
	{name: "SMTP_ADDR", def: "", help: "host:port of the SMTP server for e-mail notifications; empty: no e-mail (notifications only in the UI)",
		set: func(c *Config, v string) error {
			if v != "" {
				if strings.Contains(v, "://") {
					return fmt.Errorf("give host:port without a scheme, such as smtp.example.vn:587, and SMTP_TLS for encryption")
				}
				host, port, err := net.SplitHostPort(v)
				if err != nil || host == "" || port == "" {
					return fmt.Errorf("must be host:port, such as smtp.example.vn:587")
				}
			}
			c.SMTPAddr = v
			return nil
		}, current: func(c *Config) string { return c.SMTPAddr }},
	{name: "SMTP_FROM", def: "", help: "sender of e-mail notifications, such as \"Sở GD&ĐT <vanban@hcm.edu.vn>\" (required with SMTP_ADDR)",
		set: func(c *Config, v string) error {
			if v != "" {
				if _, err := mail.ParseAddress(v); err != nil {
					return fmt.Errorf("must be an e-mail address, such as vanban@hcm.edu.vn or \"Văn bản <vanban@hcm.edu.vn>\"")
				}
			}
			c.SMTPFrom = v
			return nil
		}, current: func(c *Config) string { return c.SMTPFrom }},
	strOption("SMTP_USERNAME", "", false, "SMTP login (AUTH PLAIN); empty: no login", func(c *Config) *string { return &c.SMTPUsername }),
	strOption("SMTP_PASSWORD", "", true, "SMTP password", func(c *Config) *string { return &c.SMTPPassword }),
	{name: "SMTP_TLS", def: "", help: "encryption to the SMTP server: none, starttls or tls (default starttls, or none when SMTP_ADDR is a loopback address)",
		set: func(c *Config, v string) error {
			switch v {
			case "", "none", "starttls", "tls":
				c.SMTPTLS = v
				return nil
			}
			return fmt.Errorf("must be none, starttls or tls")
		}, current: func(c *Config) string { return c.SMTPTLS }},
	strOption("OIDC_ISSUER", "", false, "OpenID Connect provider's issuer URL (discovery at /.well-known/openid-configuration); empty: password login only",
		func(c *Config) *string { return &c.OIDCIssuer }),
	strOption("OIDC_CLIENT_ID", "", false, "vanban's client id at the OpenID provider", func(c *Config) *string { return &c.OIDCClientID }),
	strOption("OIDC_CLIENT_SECRET", "", true, "vanban's client secret at the OpenID provider", func(c *Config) *string { return &c.OIDCClientSecret }),
	strOption("OIDC_REDIRECT_URL", "", false, "callback registered at the provider (default PUBLIC_URL + /auth/oidc/callback)",
		func(c *Config) *string { return &c.OIDCRedirectURL }),
	strOption("OIDC_MATCH_CLAIM", "email", false, "claim matched to an account: email (verified e-mail against the account's e-mail) or another claim (such as preferred_username) against the username",
		func(c *Config) *string { return &c.OIDCMatchClaim }),
	strOption("OIDC_BUTTON", "Đăng nhập bằng tài khoản của Sở", false, "label of the login page's OpenID button", func(c *Config) *string { return &c.OIDCButton }),
}

func dbURLOption() option {
	return option{name: "DATABASE_URL", def: "", secret: true, help: "PostgreSQL URL, such as postgres://user:pass@host:5432/vanban?sslmode=disable",
		set: func(c *Config, v string) error {
			if v == "" {
				return fmt.Errorf("is required (make run sets it for the private cluster)")
			}
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
				return fmt.Errorf("must be a postgres:// URL")
			}
			c.DatabaseURL = v
			return nil
		}, current: func(c *Config) string { return c.DatabaseURL }}
}

func strOption(name, def string, secret bool, help string, p func(*Config) *string) option {
	set, cur := str(p)
	return option{name: name, def: def, secret: secret, help: help, set: set, current: cur}
}

func enumOption(name, def string, allowed []string, help string, p func(*Config) *string) option {
	return option{name: name, def: def, help: help + " (" + strings.Join(allowed, ", ") + ")",
		set: func(c *Config, v string) error {
			for _, a := range allowed {
				if v == a {
					*p(c) = v
					return nil
				}
			}
			return fmt.Errorf("must be one of %s", strings.Join(allowed, ", "))
		}, current: func(c *Config) string { return *p(c) }}
}

func boolOption(name, def, help string, p func(*Config) *bool) option {
	return option{name: name, def: def, help: help,
		set: func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("must be true or false")
			}
			*p(c) = b
			return nil
		}, current: func(c *Config) string { return strconv.FormatBool(*p(c)) }}
}

func intOption(name, def, help string, lo, hi int, p func(*Config) *int) option {
	return option{name: name, def: def, help: help,
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < lo || n > hi {
				return fmt.Errorf("must be a whole number from %d to %d", lo, hi)
			}
			*p(c) = n
			return nil
		}, current: func(c *Config) string { return strconv.Itoa(*p(c)) }}
}

func durationOption(name, def, help string, lo, hi time.Duration, p func(*Config) *time.Duration) option {
	return option{name: name, def: def, help: help,
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < lo || d > hi {
				return fmt.Errorf("must be a duration from %s to %s, such as 5m or 12h", lo, hi)
			}
			*p(c) = d
			return nil
		}, current: func(c *Config) string { return p(c).String() }}
}

// Load reads every option from getenv (os.Getenv in production). A secret
// option NAME may instead be read from the file named by NAME_FILE. All
// problems are reported together.
func Load(getenv func(string) string) (*Config, error) {
	c := &Config{}
	var errs []error
	for _, o := range options {
		v, err := lookup(getenv, o)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if v == "" {
			v = o.def
		}
		if err := o.set(c, v); err != nil {
			errs = append(errs, fmt.Errorf("%s %v", o.name, err))
		}
	}
	if c.UseS3() && (c.S3AccessKey == "" || c.S3SecretKey == "") {
		errs = append(errs, errors.New("S3_ACCESS_KEY and S3_SECRET_KEY are required when S3_ENDPOINT is set"))
	}
	if c.PKCS11Module != "" && c.PKCS11Token == "" {
		errs = append(errs, errors.New("PKCS11_TOKEN_LABEL is required when PKCS11_MODULE is set"))
	}
	if c.SigningMode == "remote" && c.CSCURL == "" {
		errs = append(errs, errors.New("SIGNING_MODE=remote needs CSC_URL (and CSC_CLIENT_ID, CSC_CLIENT_SECRET)"))
	}
	if c.Production {
		// Decree 30 art. 32.3: each person keeps their own key.
		if c.PKCS11Module == "" {
			errs = append(errs, errors.New("PRODUCTION=true refuses file keys: set PKCS11_MODULE to the office HSM holding the organisation keys"))
		}
		if c.SigningMode == "server" {
			errs = append(errs, errors.New("PRODUCTION=true refuses personal keys held by the server: set SIGNING_MODE=helper or remote"))
		}
		if !c.Require2FA {
			errs = append(errs, errors.New("PRODUCTION=true needs REQUIRE_2FA=true (the clerk seals after a second factor)"))
		}
	}
	if c.EmailEnabled() {
		if c.SMTPFrom == "" {
			errs = append(errs, errors.New("SMTP_FROM is required when SMTP_ADDR is set"))
		}
		if c.PublicURL == "" {
			errs = append(errs, errors.New("PUBLIC_URL is required when SMTP_ADDR is set: e-mails link to the service"))
		}
		if c.SMTPTLS == "" {
			c.SMTPTLS = "starttls"
			if isLoopback(c.SMTPAddr) {
				c.SMTPTLS = "none"
			}
		}
		if (c.SMTPUsername == "") != (c.SMTPPassword == "") {
			errs = append(errs, errors.New("SMTP_USERNAME and SMTP_PASSWORD go together; set both or neither"))
		}
		// The password would cross the network in clear.
		if c.SMTPUsername != "" && c.SMTPTLS == "none" && !isLoopback(c.SMTPAddr) {
			errs = append(errs, errors.New("SMTP_USERNAME needs SMTP_TLS=starttls or tls unless SMTP_ADDR is a loopback address"))
		}
	}
	if c.OIDCEnabled() {
		if c.OIDCClientID == "" {
			errs = append(errs, errors.New("OIDC_CLIENT_ID is required when OIDC_ISSUER is set"))
		}
		if c.OIDCRedirectURL == "" {
			if c.PublicURL == "" {
				errs = append(errs, errors.New("OIDC_ISSUER needs PUBLIC_URL or OIDC_REDIRECT_URL: the provider sends people back there"))
			}
			c.OIDCRedirectURL = c.PublicURL + "/auth/oidc/callback"
		}
	}
	if c.KeysDir == "" {
		c.KeysDir = filepath.Join(c.DataDir, "keys")
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return c, nil
}

// isLoopback reports whether the host of addr (host:port) is this machine.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func lookup(getenv func(string) string, o option) (string, error) {
	v := getenv(o.name)
	if !o.secret {
		return v, nil
	}
	file := getenv(o.name + "_FILE")
	if file == "" {
		return v, nil
	}
	if v != "" {
		return "", fmt.Errorf("%s and %s_FILE are both set; set only one", o.name, o.name)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s_FILE: unable to read %s: %v", o.name, file, err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// Print writes the effective configuration with secrets masked.
func (c *Config) Print(w io.Writer) {
	for _, o := range options {
		v := o.current(c)
		switch {
		case o.name == "DATABASE_URL":
			v = maskURL(v)
		case o.secret && v != "":
			v = "********"
		}
		fmt.Fprintf(w, "%s=%s\n", o.name, v)
	}
}

// Usage writes one line per option: name, default and meaning.
func Usage(w io.Writer) {
	for _, o := range options {
		secret := ""
		if o.secret {
			secret = " (secret; or " + o.name + "_FILE)"
		}
		fmt.Fprintf(w, "  %-20s default %q: %s%s\n", o.name, o.def, o.help, secret)
	}
}

func maskURL(v string) string {
	u, err := url.Parse(v)
	if err != nil {
		return "********"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}
