package documents_test

import (
	"context"
	"crypto/x509"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/signing/signingtest"
)

// ltvEnv signs with a key whose CA answers by `openssl ocsp` and a CRL over
// HTTP, and the test TSA.
type ltvEnv struct {
	*demoEnv
	ca     *signingtest.RevocationCA
	deps   documents.SigningDeps
	worker *notify.Worker
	mu     sync.Mutex
	hooked []string
}

func newLTVEnv(t *testing.T) *ltvEnv {
	e := &ltvEnv{demoEnv: newDemoEnv(t), ca: signingtest.NewRevocationCA(t)}
	ocspURL := e.ca.StartOCSP(t, []signingtest.OCSPEntry{{Serial: 0x301, CN: "ltv"}})
	crl := signingtest.ServeCRL(t, e.ca.CRL(t, nil, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)))
	e.deps = documents.SigningDeps{Keys: oneKey{e.ca.Issue(t, 0x301, signingtest.PersonName, ocspURL, crl.URL)},
		Roots: e.ca.Roots, RootCerts: []*x509.Certificate{e.ca.Cert, signingtest.TSARoot(t)}, MaxBytes: 64 << 20,
		TSA:        &signing.TSA{URL: signingtest.NewTSA(t), Timeout: 5 * time.Second},
		Revocation: &signing.RevocationChecker{Timeout: 2 * time.Second, Client: &http.Client{}, UnknownTTL: -1}}
	e.docs.EnableSigning(e.deps)
	e.docs.SetLTVConfig(documents.LTVConfig{Delay: -1})
	e.docs.OnArchivalVersion = func(_ context.Context, id int64, key string) {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.hooked = append(e.hooked, key)
	}
	e.worker = notify.NewWorker(e.db, "ltv", e.docs.LTVHandlers(), notify.WorkerOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return e
}

// run runs the due LTV jobs, making any retried one due at once.
func (e *ltvEnv) run(t *testing.T) {
	t.Helper()
	if _, err := e.db.Exec(`UPDATE jobs SET run_at = now() WHERE state = 'queued' AND kind LIKE 'documents.ltv%'`); err != nil {
		t.Fatal(err)
	}
	for {
		n, err := e.worker.RunOnce(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func (e *ltvEnv) signed(t *testing.T) documents.Document {
	t.Helper()
	clerk, signer := e.who("vanthu.sgd"), e.who("giamdoc.sgd")
	d, err := e.docs.Create(e.ctx, clerk, documents.Meta{DocType: "KH", Title: "Kế hoạch lưu trữ", DocDate: "2026-11-20"}, e.spool(testenv.PDF(3000, uint64(time.Now().UnixNano()))))
	if err != nil {
		t.Fatal(err)
	}
	d, err = e.docs.SignAsPerson(e.ctx, signer, d.ID, documents.SignRequest{VersionSHA256: d.Versions[0].SHA256})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (e *ltvEnv) level(t *testing.T, id int64) (documents.Document, documents.LTVState) {
	t.Helper()
	d, err := e.docs.Get(e.ctx, e.who("vanthu.sgd"), id)
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.docs.LTV(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return d, st
}

// After a signature the document is B-T; the job makes a new version
// B-LT; filing makes it B-LTA; the scan timestamps it again before the
// authority's certificate ends. Each is a new version whose report and
// signers read as the signed one's.
func TestLTVJobs(t *testing.T) {
	e := newLTVEnv(t)
	d := e.signed(t)
	if d.PAdESLevel != signing.LevelBT || d.Versions[0].No != 2 {
		t.Fatalf("after signing: level %q, version %d", d.PAdESLevel, d.Versions[0].No)
	}
	e.run(t)
	d, st := e.level(t, d.ID)
	if d.PAdESLevel != signing.LevelBLT || d.Versions[0].No != 3 || st.LastError != "" || !strings.Contains(d.Versions[0].Note, "B-LT") {
		t.Fatalf("after the job: level %q, version %d %q, state %+v", d.PAdESLevel, d.Versions[0].No, d.Versions[0].Note, st)
	}
	v, err := e.docs.Verification(e.ctx, e.who("vanthu.sgd"), d.ID, 3)
	if err != nil || !v.Report.Valid || v.Report.Level != signing.LevelBLT || len(v.Signers) != 1 {
		t.Fatalf("verification of the B-LT version: %v %+v", err, v)
	}
	if err := e.docs.EnqueueArchival(e.ctx, e.db, d.ID); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	d, st = e.level(t, d.ID)
	if d.PAdESLevel != signing.LevelBLTA || d.Versions[0].No != 4 || !st.Archival || st.TSANotAfter == nil || len(e.hooked) != 1 {
		t.Fatalf("archival: level %q, version %d, state %+v, hooked %v", d.PAdESLevel, d.Versions[0].No, st, e.hooked)
	}
	if e.hooked[0] != d.Versions[0].ObjectKey {
		t.Errorf("hook got %q, the version is %q", e.hooked[0], d.Versions[0].ObjectKey)
	}
	// nothing to do yet: the TSA's certificate ends in five years
	if err := e.docs.ScanRetimestamp(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	if d, _ := e.level(t, d.ID); d.Versions[0].No != 4 {
		t.Fatalf("re-timestamped too early: version %d", d.Versions[0].No)
	}
	e.docs.SetLTVConfig(documents.LTVConfig{Delay: -1, RetimestampMargin: 6 * 365 * 24 * time.Hour})
	if _, err := e.db.Exec(`UPDATE document_ltv SET timestamped_at = now() - interval '2 days'`); err != nil {
		t.Fatal(err)
	}
	if err := e.docs.ScanRetimestamp(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	d, st = e.level(t, d.ID)
	if d.PAdESLevel != signing.LevelBLTA || d.Versions[0].No != 5 || len(e.hooked) != 2 || time.Since(*st.TimestampedAt) > time.Minute {
		t.Fatalf("re-timestamped: level %q, version %d, state %+v", d.PAdESLevel, d.Versions[0].No, st)
	}
	v, err = e.docs.Verification(e.ctx, e.who("vanthu.sgd"), d.ID, 5)
	if err != nil || !v.Report.Valid || len(v.Report.Signatures) != 3 || len(v.Signers) != 1 {
		t.Fatalf("verification of the re-timestamped version: %v %+v", err, v.Report)
	}
	// the day after, it is not done again
	if err := e.docs.ScanRetimestamp(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	if d, _ := e.level(t, d.ID); d.Versions[0].No != 5 {
		t.Fatalf("re-timestamped twice in a day: version %d", d.Versions[0].No)
	}
}

// A responder or TSA that does not answer fails the job, which is tried
// again later; the document stays B-T and says why.
func TestLTVServicesDown(t *testing.T) {
	e := newLTVEnv(t)
	down := e.deps
	down.Keys = oneKey{e.ca.Issue(t, 0x302, signingtest.PersonName, signingtest.ClosedURL(t), signingtest.ClosedURL(t))}
	e.docs.EnableSigning(down)
	d := e.signed(t)
	e.run(t)
	d, st := e.level(t, d.ID)
	if d.PAdESLevel != signing.LevelBT || d.Versions[0].No != 2 || !strings.Contains(st.LastError, "OCSP or CRL") {
		t.Fatalf("responders down: level %q, version %d, state %+v", d.PAdESLevel, d.Versions[0].No, st)
	}
	var state string
	var attempts int
	if err := e.db.QueryRow(`SELECT state, attempts FROM jobs WHERE kind = $1`, documents.JobLTV).Scan(&state, &attempts); err != nil || state != "queued" || attempts != 1 {
		t.Fatalf("the job is not queued for a retry: %s after %d attempt(s), %v", state, attempts, err)
	}

	// the TSA down when the document is filed
	e.docs.EnableSigning(e.deps)
	d2 := e.signed(t)
	noTSA := e.deps
	noTSA.TSA = &signing.TSA{URL: signingtest.ClosedURL(t), Timeout: time.Second}
	e.docs.EnableSigning(noTSA)
	if err := e.docs.EnqueueArchival(e.ctx, e.db, d2.ID); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	d2, st = e.level(t, d2.ID)
	if d2.PAdESLevel != signing.LevelBT || d2.Versions[0].No != 2 || !strings.Contains(st.LastError, "timestamp authority") || !st.Archival {
		t.Fatalf("TSA down: level %q, version %d, state %+v", d2.PAdESLevel, d2.Versions[0].No, st)
	}
	// back up: the retry makes it B-LTA
	e.docs.EnableSigning(e.deps)
	e.run(t)
	if d2, st = e.level(t, d2.ID); d2.PAdESLevel != signing.LevelBLTA || st.LastError != "" {
		t.Fatalf("TSA back: level %q, state %+v", d2.PAdESLevel, st)
	}
}

// A document signed without a TSA (B-B) is made B-LTA when filed: a first
// document timestamp proves the signature's time, a second one covers the
// validation data of the first.
func TestLTVArchivalOfBB(t *testing.T) {
	e := newLTVEnv(t)
	noTSA := e.deps
	noTSA.TSA = nil
	e.docs.EnableSigning(noTSA)
	d := e.signed(t)
	if d.PAdESLevel != signing.LevelBB {
		t.Fatalf("signed without a TSA: level %q", d.PAdESLevel)
	}
	e.docs.EnableSigning(e.deps)
	if err := e.docs.EnqueueArchival(e.ctx, e.db, d.ID); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	d, st := e.level(t, d.ID)
	if d.PAdESLevel != signing.LevelBLTA || d.Versions[0].No != 3 || st.LastError != "" {
		t.Fatalf("filed: level %q, version %d, state %+v", d.PAdESLevel, d.Versions[0].No, st)
	}
	v, err := e.docs.Verification(e.ctx, e.who("vanthu.sgd"), d.ID, 3)
	if err != nil || !v.Report.Valid || len(v.Report.Signatures) != 3 {
		t.Fatalf("verification: %v %+v", err, v.Report)
	}
}
