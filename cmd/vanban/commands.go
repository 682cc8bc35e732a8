package main

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/hcm-edu/vanban/admin"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/certs"
	"github.com/hcm-edu/vanban/config"
	"github.com/hcm-edu/vanban/convert"
	"github.com/hcm-edu/vanban/database"
	"github.com/hcm-edu/vanban/demo"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/drafting"
	"github.com/hcm-edu/vanban/internal/httpx"
	"github.com/hcm-edu/vanban/internal/server"
	"github.com/hcm-edu/vanban/meetings"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/org"
	"github.com/hcm-edu/vanban/records"
	"github.com/hcm-edu/vanban/remotesign"
	"github.com/hcm-edu/vanban/routing"
	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/storage"
	"github.com/hcm-edu/vanban/worm"
	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

func run(args []string) error {
	if len(args) == 0 {
		args = []string{"help"}
	}
	cmd, rest := args[0], args[1:]
	if cmd == "help" || cmd == "-h" || cmd == "--help" {
		fmt.Print(usage)
		config.Usage(os.Stdout)
		return nil
	}
	switch cmd {
	case "verify": // needs no database and no configuration
		return verifyCmd(rest)
	case "records": // verify needs no configuration; export and import read it
		return recordsCmd(rest)
	}
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch cmd {
	case "config":
		cfg.Print(os.Stdout)
		return nil
	case "migrate":
		db, err := database.Open(ctx, cfg.DatabaseURL, 2)
		if err != nil {
			return err
		}
		defer db.Close()
		return migrate(ctx, db, log)
	case "serve":
		return serve(ctx, cfg, log, rest)
	case "seed-demo":
		return seedDemo(ctx, cfg, rest)
	case "user":
		return userCmd(ctx, cfg, rest)
	case "audit":
		return auditCmd(ctx, cfg, rest)
	case "holiday":
		return holidayCmd(ctx, cfg, rest)
	case "text":
		return textCmd(ctx, cfg, rest)
	case "check":
		return checkCmd(ctx, cfg, rest)
	case "objects":
		return objectsCmd(ctx, cfg, rest)
	}
	return fmt.Errorf("unknown command %q; see `vanban help`", cmd)
}

func newLogger(cfg *config.Config) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

func migrate(ctx context.Context, db *sqlx.DB, log *slog.Logger) error {
	applied, err := database.Migrate(ctx, db)
	if err != nil {
		return err
	}
	log.Info("database schema up to date", "version", database.Latest(), "applied", len(applied))
	return nil
}

// openAll connects to PostgreSQL (checking the schema) and the store.
func openAll(ctx context.Context, cfg *config.Config) (*sqlx.DB, storage.Blobs, error) {
	db, err := database.Open(ctx, cfg.DatabaseURL, cfg.DatabaseMaxConns)
	if err != nil {
		return nil, nil, err
	}
	if err := database.CheckSchema(ctx, db); err != nil {
		db.Close()
		return nil, nil, err
	}
	blobs, err := openStore(ctx, cfg)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, blobs, nil
}

func openStore(ctx context.Context, cfg *config.Config) (storage.Blobs, error) {
	if cfg.UseS3() {
		return storage.NewS3(ctx, storage.S3Options{
			Endpoint: cfg.S3Endpoint, Bucket: cfg.S3Bucket, AccessKey: cfg.S3AccessKey,
			SecretKey: cfg.S3SecretKey, Region: cfg.S3Region, UseSSL: cfg.S3UseSSL, ObjectLock: cfg.S3ObjectLock,
		})
	}
	return storage.NewLocal(filepath.Join(cfg.DataDir, "objects"))
}

func serve(ctx context.Context, cfg *config.Config, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	doMigrate := fs.Bool("migrate", false, "apply pending migrations before serving")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *doMigrate {
		db, err := database.Open(ctx, cfg.DatabaseURL, 2)
		if err != nil {
			return err
		}
		err = migrate(ctx, db, log)
		db.Close()
		if err != nil {
			return err
		}
	}
	db, blobs, err := openAll(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	authSvc := auth.NewService(db, cfg.SessionTTL)
	spool := filepath.Join(cfg.DataDir, "spool")
	docs, err := documents.NewService(db, blobs, spool, cfg.MaxUploadBytes)
	if err != nil {
		return err
	}
	sd, err := signingDeps(cfg, log)
	if err != nil {
		return err
	}
	docs.EnableSigning(sd)
	remote, err := remoteSigner(cfg)
	if err != nil {
		return err
	}
	docs.SetSigningMode(cfg.SigningMode, remote)
	authSvc.RequireTOTP(cfg.Require2FA)
	docs.SetSecondFactor(authSvc)
	notes := notify.NewStore(db, cfg.EmailEnabled())
	authSvc.NotifyAttacks(notes)
	docs.SetNotes(notes)
	docs.BatchAccess(log) // reads written behind: issue 14's figure
	defer docs.Close()    // after srv.Shutdown: the reads still buffered
	docs.SetTextConfig(textConfig(cfg))
	docs.SetLTVConfig(documents.LTVConfig{RetimestampMargin: cfg.RetimestampMargin})
	rt := routing.New(db, docs, notes)
	// The converter of Word files. Without it (CONVERT_SOFFICE=off, or
	// LibreOffice missing) Word uploads get 503 and are kept for a retry.
	var conv drafting.Converter
	if pool := startConverter(cfg, log); pool != nil {
		defer pool.Close()
		conv = pool
		docs.SetConverter(pool)
	}
	drafts := drafting.New(db, docs, notes, conv)
	handlers := rt.Handlers()
	maps.Copy(handlers, docs.Handlers())
	maps.Copy(handlers, docs.LTVHandlers())
	maps.Copy(handlers, drafts.Handlers())
	registry := certs.New(db, func() *x509.CertPool { return sd.Roots })
	registry.SetRevocation(sd.Revocation)
	registry.SetNotes(notes)
	if remote != nil {
		registry.SetRemote(remote)
	}
	maps.Copy(handlers, registry.Handlers())
	// WORM of archived objects (records' Freezer) and their scheduled check.
	archive := worm.New(db, blobs, notes, cfg.ArchiveAcceptLocalWORM)
	archive.Interval = cfg.ArchiveVerifyInterval
	if err := archive.Register(reg); err != nil {
		return err
	}
	maps.Copy(handlers, archive.Handlers())
	if err := archive.Check(ctx); err != nil {
		log.Warn("the archive will not receive files until the store locks objects", "reason", err)
	}
	recs := server.Records(db, blobs, docs, notes, cfg.ArchiveAcceptLocalWORM, archive, log)
	maps.Copy(handlers, recs.Handlers())
	var linkMailer admin.Sender // invitation and reset links; nil: shown to the admin
	if cfg.EmailEnabled() {
		mailer, err := notify.NewMailer(notify.SMTPConfig{Addr: cfg.SMTPAddr, From: cfg.SMTPFrom,
			Username: cfg.SMTPUsername, Password: cfg.SMTPPassword, TLS: cfg.SMTPTLS})
		if err != nil {
			return err
		}
		handlers[notify.KindEmail] = notify.EmailHandler(db, mailer, cfg.PublicURL)
		linkMailer = mailer
	}
	host, _ := os.Hostname()
	worker := notify.NewWorker(db, fmt.Sprintf("%s-%d", host, os.Getpid()), handlers,
		notify.WorkerOptions{ListenURL: cfg.DatabaseURL, Logger: log})
	// Text extraction and OCR in a worker of their own: a long OCR never
	// holds up e-mails, and OCR_WORKERS bounds the Tesseract processes.
	textWorker := notify.NewWorker(db, fmt.Sprintf("%s-%d-text", host, os.Getpid()), docs.TextHandlers(),
		notify.WorkerOptions{ListenURL: cfg.DatabaseURL, Logger: log, Concurrency: cfg.OCRWorkers, Lease: (cfg.TextTimeout + time.Minute) * 4 / 3})
	hub := meetings.NewHub(db, cfg.DatabaseURL, log)
	ms := meetings.New(db, docs, blobs, hub)
	ms.SpoolDir = spool
	ms.PresignExpiry = min(cfg.PresignExpiry, time.Minute)
	srv, err := server.New(httpx.Deps{Config: cfg, DB: db, Blobs: blobs, Auth: authSvc, Units: org.NewStore(db),
		Docs: docs, Routing: rt, Notes: notes, Meetings: ms, Drafts: drafts, Certs: registry, Log: log, Registry: reg, Records: recs,
		Admin: admin.New(db, authSvc, linkMailer, cfg.PublicURL, log)})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("unable to listen on %s: %v", cfg.ListenAddr, err)
	}
	go housekeeping(ctx, log, db, authSvc, docs, spool)
	go refreshIndicators(ctx, log, db)
	go hub.Run(ctx)
	workerDone := make(chan struct{})
	go func() { worker.Run(ctx); close(workerDone) }()
	defer func() { <-workerDone }()
	textDone := make(chan struct{})
	go func() { textWorker.Run(ctx); close(textDone) }()
	defer func() { <-textDone }()
	errc := make(chan error, 1)
	go func() { errc <- srv.App().Listener(ln) }()
	store := "local disk " + filepath.Join(cfg.DataDir, "objects")
	if cfg.UseS3() {
		store = "S3 " + cfg.S3Endpoint + "/" + cfg.S3Bucket
	}
	log.Info("vanban listening", "addr", ln.Addr().String(), "public_url", cfg.PublicURL, "store", store)
	if cfg.OIDCEnabled() {
		log.Info("OpenID Connect login offered", "issuer", cfg.OIDCIssuer, "match_claim", cfg.OIDCMatchClaim, "redirect_url", cfg.OIDCRedirectURL)
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests under way")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// signingDeps decides where keys live (a PKCS#11 token when configured,
// else key files) and which roots verification trusts.
// remoteSigner is the remote-signing service (CSC API v2), or nil when
// CSC_URL is not set.
func remoteSigner(cfg *config.Config) (remotesign.Provider, error) {
	if cfg.CSCURL == "" {
		return nil, nil
	}
	csc, err := remotesign.NewCSC(remotesign.CSCConfig{URL: cfg.CSCURL, ClientID: cfg.CSCClientID, ClientSecret: cfg.CSCSecret, Timeout: cfg.CSCTimeout})
	if err != nil {
		return nil, fmt.Errorf("CSC_URL: %w", err)
	}
	return csc, nil
}

func signingDeps(cfg *config.Config, log *slog.Logger) (documents.SigningDeps, error) {
	d := documents.SigningDeps{MaxBytes: cfg.MaxSignBytes, Keys: signing.DirKeys{Dir: cfg.KeysDir}, PersonKeysOff: cfg.Production}
	if cfg.PKCS11Module != "" {
		d.Keys = signing.TokenKeys{Config: signing.PKCS11Config{Module: cfg.PKCS11Module, TokenLabel: cfg.PKCS11Token, PIN: cfg.PKCS11PIN}}
	}
	if cfg.TSAURL != "" {
		d.TSA = &signing.TSA{URL: cfg.TSAURL, Timeout: cfg.TSATimeout}
	}
	if cfg.RevocationCheck {
		// One checker, so one cache, for the whole process.
		d.Revocation = &signing.RevocationChecker{Timeout: cfg.RevocationTimeout}
		d.RevocationPolicy = cfg.RevocationPolicy
	}
	roots := x509.NewCertPool()
	switch {
	case cfg.TrustRootsFile != "":
		b, err := os.ReadFile(cfg.TrustRootsFile)
		if err != nil {
			return d, fmt.Errorf("TRUST_ROOTS_FILE: %v", err)
		}
		if !roots.AppendCertsFromPEM(b) {
			return d, fmt.Errorf("TRUST_ROOTS_FILE %s holds no PEM certificate", cfg.TrustRootsFile)
		}
		d.RootCerts, _ = signing.ParseCertsPEM(b)
	default:
		if _, err := os.Stat(signing.DevRootPath(cfg.KeysDir)); err == nil {
			dev, err := signing.LoadDevRoots(cfg.KeysDir)
			if err != nil {
				return d, err
			}
			roots = dev
			if d.RootCerts, err = signing.LoadDevRootCerts(cfg.KeysDir); err != nil {
				return d, err
			}
			log.Warn("verification trusts the DEVELOPMENT root only; set TRUST_ROOTS_FILE in production", "root", signing.DevRootPath(cfg.KeysDir))
		} else {
			log.Warn("no trust roots configured: every signature will be reported untrusted; set TRUST_ROOTS_FILE")
		}
	}
	d.Roots = roots
	return d, nil
}

// housekeeping sweeps expired sessions, abandoned spool files and stored
// objects that no document names.
func housekeeping(ctx context.Context, log *slog.Logger, db *sqlx.DB, a *auth.Service, docs *documents.Service, spool string) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		// One deadline scan per hour, whichever instance enqueues it first.
		hour := time.Now().UTC().Format("2006-01-02T15")
		if err := notify.Enqueue(ctx, db, notify.Job{Kind: routing.JobDeadlines, DedupeKey: "deadlines:" + hour}); err != nil && ctx.Err() == nil {
			log.Warn("housekeeping: deadline scan", "error", err)
		}
		if err := notify.Enqueue(ctx, db, notify.Job{Kind: records.JobDue, DedupeKey: "files-due:" + hour}); err != nil && ctx.Err() == nil {
			log.Warn("housekeeping: files due at the archive", "error", err)
		}
		if err := notify.Enqueue(ctx, db, documents.RetimestampScanJob(time.Now())); err != nil && ctx.Err() == nil {
			log.Warn("housekeeping: re-timestamping scan", "error", err)
		}
		if err := notify.Enqueue(ctx, db, certs.WarnJob(time.Now())); err != nil && ctx.Err() == nil {
			log.Warn("housekeeping: certificate expiry warnings", "error", err)
		}
		if err := notify.Enqueue(ctx, db, worm.VerifyJob(time.Now())); err != nil && ctx.Err() == nil {
			log.Warn("housekeeping: check of archived objects", "error", err)
		}
		if err := a.SweepExpired(ctx); err != nil && ctx.Err() == nil {
			log.Warn("housekeeping: sessions", "error", err)
		}
		if n, err := docs.SweepOrphans(ctx, 24*time.Hour); err != nil && ctx.Err() == nil {
			log.Warn("housekeeping: orphan objects", "error", err)
		} else if n > 0 {
			log.Info("housekeeping: deleted orphan objects", "count", n)
		}
		if n, err := docs.PurgePrepared(ctx, time.Now()); err != nil && ctx.Err() == nil {
			log.Warn("housekeeping: prepared signatures", "error", err)
		} else if n > 0 {
			log.Info("housekeeping: removed expired prepared signatures", "count", n)
		}
		entries, _ := os.ReadDir(spool)
		for _, e := range entries {
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > 24*time.Hour {
				os.Remove(filepath.Join(spool, e.Name()))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// refreshIndicators enqueues the dashboard's refresh job once a minute.
func refreshIndicators(ctx context.Context, log *slog.Logger, db *sqlx.DB) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		if err := notify.Enqueue(ctx, db, routing.IndicatorsJob(time.Now())); err != nil && ctx.Err() == nil {
			log.Warn("housekeeping: dashboard indicators", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func seedDemo(ctx context.Context, cfg *config.Config, args []string) error {
	fs := flag.NewFlagSet("seed-demo", flag.ContinueOnError)
	schools := fs.Int("schools", 0, "also create N synthetic schools, each with 5 accounts, for load tests (through the import)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := database.Open(ctx, cfg.DatabaseURL, 4)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := database.CheckSchema(ctx, db); err != nil {
		return err
	}
	password, generated := cfg.DemoPassword, false
	if password == "" {
		password, generated = randomPassword(), true
	}
	if msg := auth.CheckPassword(password); msg != "" {
		return fmt.Errorf("DEMO_PASSWORD: %s", msg)
	}
	users := auth.NewService(db, cfg.SessionTTL)
	res, err := demo.SeedImport(ctx, db, users, password, *schools)
	if err != nil {
		return err
	}
	blobs, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	docs, err := documents.NewService(db, blobs, filepath.Join(cfg.DataDir, "spool"), cfg.MaxUploadBytes)
	if err != nil {
		return err
	}
	if err := demo.SeedSigning(ctx, cfg.KeysDir, users, docs); err != nil {
		return err
	}
	if err := seedMeeting(ctx, db, users, org.NewStore(db), meetings.New(db, docs, blobs, nil)); err != nil {
		return err
	}
	// Documents the demo already had (a seed run again) get their text
	// for search; the service reads it in the background.
	if _, err := docs.EnqueueTexts(ctx, false); err != nil {
		return err
	}
	fmt.Printf("Demo organisation ready: %d units, %d schools.\n", res.Units, res.Schools)
	fmt.Printf("DEVELOPMENT certificates (not for production) and demo signature and seal images: %s\n", cfg.KeysDir)
	url := cfg.PublicURL
	if url == "" {
		url = "http://" + cfg.ListenAddr
	}
	fmt.Printf("\n  Open %s and log in as one of:\n\n", url)
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	for _, u := range res.Users {
		fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\n", u.Username, u.Role, u.FullName, u.Unit)
	}
	tw.Flush()
	if generated {
		fmt.Printf("\n  Password (generated; set DEMO_PASSWORD to choose one): %s\n", password)
	} else {
		fmt.Println("\n  Password: the value of DEMO_PASSWORD")
	}
	fmt.Println("  Accounts that already existed keep the password they had.")
	return nil
}

func randomPassword() string {
	b := make([]byte, 12)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func userCmd(ctx context.Context, cfg *config.Config, args []string) error {
	const help = `usage:
  vanban user add --username U --name "Họ tên" --unit CODE --roles clerk[,signer,...] [--position P] [--email E]
                  (the password is read from standard input, or generated and printed)
  vanban user disable USERNAME | enable USERNAME
  vanban user unlock USERNAME      (clear the login limits and wrong TOTP codes of the account)
  vanban user signing-mode USERNAME server|helper|remote|default
                                   (how the person signs; default follows SIGNING_MODE)
  vanban user passwd USERNAME      (new password from standard input, or generated and printed)
  vanban user list`
	if len(args) == 0 {
		return errors.New(help)
	}
	db, err := database.Open(ctx, cfg.DatabaseURL, 2)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := database.CheckSchema(ctx, db); err != nil {
		return err
	}
	a := auth.NewService(db, cfg.SessionTTL)
	switch args[0] {
	case "add":
		fs := flag.NewFlagSet("user add", flag.ContinueOnError)
		username := fs.String("username", "", "login name")
		name := fs.String("name", "", "full name")
		unit := fs.String("unit", "", "identifier code of the unit, e.g. 000.00.24.H29")
		roles := fs.String("roles", "", "comma-separated: admin, clerk, signer, staff")
		position := fs.String("position", "", "position (chức vụ)")
		email := fs.String("email", "", "official e-mail")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		u, err := org.NewStore(db).GetByCode(ctx, *unit)
		if errors.Is(err, org.ErrNotFound) {
			return fmt.Errorf("no unit with code %q (see GET /api/v1/units)", *unit)
		}
		if err != nil {
			return err
		}
		pw, generated, err := readPassword()
		if err != nil {
			return err
		}
		nu := auth.NewUser{Username: strings.ToLower(*username), FullName: *name, Position: *position, Email: *email,
			UnitID: u.ID, Roles: splitRoles(*roles), Password: pw}
		if bad := auth.CheckNewUser(nu); len(bad) > 0 {
			var msgs []string
			for k, v := range bad {
				msgs = append(msgs, k+": "+v)
			}
			return errors.New(strings.Join(msgs, "; "))
		}
		if _, err := a.CreateUser(ctx, nu); err != nil {
			return err
		}
		fmt.Printf("created user %s in %s\n", nu.Username, u.Name)
		if generated {
			fmt.Printf("password: %s\n", pw)
		}
		return nil
	case "signing-mode":
		if len(args) != 3 {
			return errors.New(help)
		}
		mode := args[2]
		switch mode {
		case "default":
			mode = ""
		case documents.ModeServer, documents.ModeHelper, documents.ModeRemote:
		default:
			return fmt.Errorf("signing mode %q: use server, helper, remote or default", args[2])
		}
		res, err := db.ExecContext(ctx, `UPDATE users SET signing_mode = $2 WHERE username = $1`, args[1], mode)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("no user %q", args[1])
		}
		fmt.Printf("user %s signs in mode %s\n", args[1], args[2])
		return nil
	case "unlock":
		if len(args) != 2 {
			return errors.New(help)
		}
		if err := a.Unlock(ctx, args[1]); err != nil {
			return err
		}
		fmt.Printf("user %s unlocked\n", args[1])
		return nil
	case "disable", "enable":
		if len(args) != 2 {
			return errors.New(help)
		}
		if err := a.SetDisabled(ctx, args[1], args[0] == "disable"); err != nil {
			return err
		}
		fmt.Printf("user %s %sd\n", args[1], args[0])
		return nil
	case "passwd":
		if len(args) != 2 {
			return errors.New(help)
		}
		pw, generated, err := readPassword()
		if err != nil {
			return err
		}
		if err := a.SetPassword(ctx, args[1], pw); err != nil {
			return err
		}
		fmt.Printf("password of %s changed; their sessions are closed\n", args[1])
		if generated {
			fmt.Printf("password: %s\n", pw)
		}
		return nil
	case "list":
		rows, err := a.ListUsers(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USERNAME\tNAME\tUNIT\tROLES\tSTATE")
		for _, r := range rows {
			state := "active"
			if r.Disabled {
				state = "disabled"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Username, r.FullName, r.UnitName, strings.Join(r.Roles, ","), state)
		}
		return tw.Flush()
	}
	return errors.New(help)
}

func splitRoles(s string) []string {
	var out []string
	for _, r := range strings.Split(s, ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}

// readPassword reads a password from standard input when it is not a
// terminal, or generates one.
func readPassword() (string, bool, error) {
	if st, err := os.Stdin.Stat(); err == nil && st.Mode()&os.ModeCharDevice == 0 {
		b, err := io.ReadAll(io.LimitReader(os.Stdin, 1024))
		if err != nil {
			return "", false, err
		}
		if pw := strings.TrimRight(string(b), "\r\n"); pw != "" {
			return pw, false, nil
		}
	}
	return randomPassword(), true, nil
}

// startConverter starts the LibreOffice pool, or returns nil (and says
// why) when it is turned off or cannot start.
func startConverter(cfg *config.Config, log *slog.Logger) *convert.Converter {
	if cfg.ConvertSoffice == "off" {
		log.Info("Word conversion turned off (CONVERT_SOFFICE=off): Word uploads are kept for a retry")
		return nil
	}
	pool, err := convert.New(convert.Config{Soffice: cfg.ConvertSoffice, Workers: cfg.ConvertWorkers,
		Timeout: cfg.ConvertTimeout, MemoryLimit: cfg.ConvertMemory})
	if err != nil {
		log.Warn("Word conversion unavailable: Word uploads are kept for a retry; install libreoffice-writer-nogui and python3-uno (scripts/deps.sh)", "error", err)
		return nil
	}
	log.Info("Word conversion ready", "workers", cfg.ConvertWorkers)
	return pool
}
