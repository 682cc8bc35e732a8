package documents_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/remotesign"
	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/signing/signingtest"
)

// register records cert (leaf first) as held by username, as the registry
// (package certs) does.
func (e *demoEnv) register(username, source, account, credID string, chain []*x509.Certificate) int64 {
	e.t.Helper()
	leaf := chain[0]
	sum := sha256.Sum256(leaf.Raw)
	var rest []byte
	for _, c := range chain[1:] {
		rest = append(rest, c.Raw...)
	}
	var id int64
	err := e.db.GetContext(e.ctx, &id, `
		INSERT INTO user_certificates (user_id, fingerprint, subject, common_name, issuer, serial, not_before, not_after,
		                               der, chain, source, account, credential_id)
		SELECT id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 FROM users WHERE username = $1 RETURNING id`,
		username, hex.EncodeToString(sum[:]), leaf.Subject.String(), leaf.Subject.CommonName, leaf.Issuer.String(),
		leaf.SerialNumber.Text(16), leaf.NotBefore, leaf.NotAfter, leaf.Raw, rest, source, account, credID)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *demoEnv) setMode(username, mode string) {
	e.t.Helper()
	if _, err := e.db.ExecContext(e.ctx, `UPDATE users SET signing_mode = $2 WHERE username = $1`, username, mode); err != nil {
		e.t.Fatal(err)
	}
}

func twoStepEnv(t *testing.T) (*demoEnv, *signingtest.PKI) {
	e := newDemoEnv(t)
	pki := signingtest.NewPKI(t)
	e.docs.EnableSigning(documents.SigningDeps{Keys: oneKey{pki.Org}, Roots: pki.Roots, RootCerts: []*x509.Certificate{pki.Root, signingtest.TSARoot(t)}, MaxBytes: 64 << 20})
	return e, pki
}

// A leader who holds their own key signs in two steps: the server
// prepares, the device signs the digest, the server completes. Every
// wrong completion is refused with nothing recorded.
func TestTwoStepSigning(t *testing.T) {
	e, pki := twoStepEnv(t)
	clerk, signer, other := e.who("vanthu.sgd"), e.who("giamdoc.sgd"), e.who("phogiamdoc.sgd")
	upload := func(seed uint64) documents.Document {
		d, err := e.docs.Create(e.ctx, clerk, documents.Meta{DocType: "KH", Title: "Kế hoạch ký bằng USB token", DocDate: "2026-11-20"}, e.spool(testenv.PDF(2000, seed)))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	d := upload(uint64(time.Now().UnixNano()))
	req := documents.SignRequest{VersionSHA256: d.Versions[0].SHA256}

	e.setMode("giamdoc.sgd", documents.ModeHelper)
	_, err := e.docs.SignAsPerson(e.ctx, signer, d.ID, req)
	wantPrecondition(t, "a helper-mode signer signing with a server key", err, "use_helper")
	_, err = e.docs.PrepareSignature(e.ctx, signer, d.ID, req, "")
	wantPrecondition(t, "no registered certificate", err, "no_certificate")

	// An expired certificate is not offered; one from a foreign CA is refused.
	token := pki.NewKey(t, signingtest.PersonName, signingtest.PersonOrg, time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0))
	expired := pki.NewKey(t, signingtest.PersonName, signingtest.PersonOrg, time.Now().AddDate(-2, 0, 0), time.Now().AddDate(-1, 0, 0))
	e.register("giamdoc.sgd", "helper", "", "", expired.Chain)
	_, err = e.docs.PrepareSignature(e.ctx, signer, d.ID, req, "")
	wantPrecondition(t, "only an expired certificate", err, "no_certificate")
	foreign := signingtest.NewPKI(t).Person
	e.register("giamdoc.sgd", "upload", "", "", foreign.Chain)
	_, err = e.docs.PrepareSignature(e.ctx, signer, d.ID, req, "")
	wantPrecondition(t, "a certificate from an untrusted CA", err, "certificate_untrusted")
	if _, err := e.db.ExecContext(e.ctx, `UPDATE user_certificates SET removed_at = now()`); err != nil {
		t.Fatal(err)
	}
	certID := e.register("giamdoc.sgd", "helper", "", "", token.Chain)
	fp := sha256.Sum256(token.Certificate().Raw)

	prep, err := e.docs.PrepareSignature(e.ctx, signer, d.ID, req, hex.EncodeToString(fp[:]))
	if err != nil {
		t.Fatal(err)
	}
	if len(prep.Digest) != 32 || prep.Fingerprint != hex.EncodeToString(fp[:]) || prep.FileSHA256 != d.Versions[0].SHA256 || prep.Signer != signer.FullName {
		t.Fatalf("prepared: %+v", prep)
	}
	if sigs, _ := e.docs.Signatures(e.ctx, signer, d.ID); len(sigs) != 0 {
		t.Fatal("preparing recorded a signature")
	}
	value, err := token.Signer.Sign(rand.Reader, prep.Digest, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	byForeign, _ := foreign.Signer.Sign(rand.Reader, prep.Digest, crypto.SHA256)

	_, err = e.docs.CompleteSignature(e.ctx, other, prep.ID, value)
	if !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("another person completes: %v", err)
	}
	_, err = e.docs.CompleteSignature(e.ctx, signer, prep.ID, byForeign)
	wantPrecondition(t, "completed by another certificate's key", err, "signature_mismatch")
	_, err = e.docs.CompleteSignature(e.ctx, signer, "khong-ton-tai", value)
	if !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("an unknown prepared signature: %v", err)
	}
	if sigs, _ := e.docs.Signatures(e.ctx, signer, d.ID); len(sigs) != 0 {
		t.Fatal("a refused completion recorded a signature")
	}

	signed, err := e.docs.CompleteSignature(e.ctx, signer, prep.ID, value)
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := e.docs.Signatures(e.ctx, signer, d.ID)
	if err != nil || len(sigs) != 1 || sigs[0].Method != documents.ModeHelper || sigs[0].CertificateID == nil || *sigs[0].CertificateID != certID ||
		sigs[0].Serial != token.Certificate().SerialNumber.Text(16) {
		t.Fatalf("signatures after completion: %+v %v", sigs, err)
	}
	v, err := e.docs.Verification(e.ctx, signer, signed.ID, signed.Versions[0].No)
	if err != nil || !v.Report.Valid || len(v.Report.Signatures) != 1 || v.Report.Signatures[0].Signer != signingtest.PersonName {
		t.Fatalf("the stored report: %+v %v", v.Report, err)
	}
	if !strings.Contains(strings.Join(e.actions(d.ID), " "), "document.sign") {
		t.Errorf("audit: %v", e.actions(d.ID))
	}
	_, err = e.docs.CompleteSignature(e.ctx, signer, prep.ID, value)
	wantPrecondition(t, "the same completion replayed", err, "already_completed")

	// A completion after expiry, and one for a document changed since.
	d2 := upload(uint64(time.Now().UnixNano()) + 1)
	prep2, err := e.docs.PrepareSignature(e.ctx, signer, d2.ID, documents.SignRequest{VersionSHA256: d2.Versions[0].SHA256}, "")
	if err != nil {
		t.Fatal(err)
	}
	value2, _ := token.Signer.Sign(rand.Reader, prep2.Digest, crypto.SHA256)
	if _, err := e.db.ExecContext(e.ctx, `UPDATE prepared_signatures SET expires_at = now() - interval '1 second' WHERE id = $1`, prep2.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.docs.CompleteSignature(e.ctx, signer, prep2.ID, value2)
	wantPrecondition(t, "an expired preparation", err, "prepared_expired")
	// A signature meant for one document does not complete another.
	prep3, err := e.docs.PrepareSignature(e.ctx, signer, d2.ID, documents.SignRequest{VersionSHA256: d2.Versions[0].SHA256}, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.docs.CompleteSignature(e.ctx, signer, prep3.ID, value)
	wantPrecondition(t, "a completion replayed for another document", err, "signature_mismatch")
	// A prepared file altered in the store before completion: the
	// completed file does not verify, and nothing is recorded.
	prep4, err := e.docs.PrepareSignature(e.ctx, signer, d2.ID, documents.SignRequest{VersionSHA256: d2.Versions[0].SHA256}, "")
	if err != nil {
		t.Fatal(err)
	}
	key := "prepared/" + prep4.ID
	rc, err := e.blobs.Open(e.ctx, key, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := io.ReadAll(rc)
	rc.Close()
	// A digit of the new signature's rectangle, which the signature covers.
	i := bytes.LastIndex(stored, []byte("/Rect ["))
	if i < 0 || stored[i+7] < '0' || stored[i+7] > '8' {
		t.Fatalf("no rectangle to alter in the prepared file")
	}
	stored[i+7]++
	if err := e.blobs.Delete(e.ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := e.blobs.Put(e.ctx, key, bytes.NewReader(stored), int64(len(stored))); err != nil {
		t.Fatal(err)
	}
	value4, _ := token.Signer.Sign(rand.Reader, prep4.Digest, crypto.SHA256)
	_, err = e.docs.CompleteSignature(e.ctx, signer, prep4.ID, value4)
	wantPrecondition(t, "a prepared file altered in the store", err, "signature_invalid")
	if sigs, _ := e.docs.Signatures(e.ctx, signer, d2.ID); len(sigs) != 0 {
		t.Fatal("a completion of an altered file recorded a signature")
	}
	e.setMode("phogiamdoc.sgd", documents.ModeServer)
	if _, err := e.docs.SignAsPerson(e.ctx, other, d2.ID, documents.SignRequest{VersionSHA256: d2.Versions[0].SHA256}); err != nil {
		t.Fatal(err)
	}
	value3, _ := token.Signer.Sign(rand.Reader, prep3.Digest, crypto.SHA256)
	_, err = e.docs.CompleteSignature(e.ctx, signer, prep3.ID, value3)
	var conflict *documents.ConflictError
	if !errors.As(err, &conflict) {
		t.Fatalf("completing over a newer version: %v", err)
	}
	if sigs, _ := e.docs.Signatures(e.ctx, signer, d2.ID); len(sigs) != 1 {
		t.Fatalf("d2 has %d signatures, want the deputy's only", len(sigs))
	}
	if n, err := e.docs.PurgePrepared(e.ctx, time.Now().Add(48*time.Hour)); err != nil || n < 3 {
		t.Fatalf("purge: %d %v", n, err)
	}
}

// fakeRemote is a remote-signing service in process, for the service's
// logic; remotesign's tests and the server's run the real protocol.
type fakeRemote struct {
	key   signing.Key
	calls atomic.Int32
	err   error
	wrong bool
}

func (f *fakeRemote) Credentials(context.Context, string) ([]remotesign.Credential, error) {
	return []remotesign.Credential{{ID: "cred-1", Chain: f.key.Chain}}, nil
}

func (f *fakeRemote) SignHashes(_ context.Context, account, credID, otp string, digests [][]byte) ([][]byte, error) {
	f.calls.Add(1)
	if f.err != nil {
		return nil, f.err
	}
	if account != "giamdoc" || credID != "cred-1" || otp != "123456" {
		return nil, remotesign.ErrOTP
	}
	out := make([][]byte, len(digests))
	for i, d := range digests {
		if f.wrong {
			d = bytes.Repeat([]byte{1}, 32)
		}
		v, err := f.key.Signer.Sign(rand.Reader, d, crypto.SHA256)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// A remote-signing leader signs one document, or a batch with one
// authorisation; a refused or failing service signs nothing.
func TestRemoteSigning(t *testing.T) {
	e, pki := twoStepEnv(t)
	clerk, signer := e.who("vanthu.sgd"), e.who("giamdoc.sgd")
	key := pki.NewKey(t, signingtest.PersonName, signingtest.PersonOrg, time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0))
	remote := &fakeRemote{key: key}
	e.docs.SetSigningMode(documents.ModeServer, remote)
	e.setMode("giamdoc.sgd", documents.ModeRemote)
	e.register("giamdoc.sgd", "remote", "giamdoc", "cred-1", key.Chain)
	var items []documents.BatchItem
	for i := range 4 {
		d, err := e.docs.Create(e.ctx, clerk, documents.Meta{DocType: "KH", Title: "Kế hoạch ký từ xa", DocDate: "2026-11-20"}, e.spool(testenv.PDF(2000, uint64(time.Now().UnixNano())+uint64(i))))
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, documents.BatchItem{ID: d.ID, VersionSHA256: d.Versions[0].SHA256})
	}
	one := documents.SignRequest{VersionSHA256: items[0].VersionSHA256}

	one.OTP = ""
	_, err := e.docs.SignAsPerson(e.ctx, signer, items[0].ID, one)
	if fieldOf(t, err) != "otp" {
		t.Fatalf("no OTP: %v", err)
	}
	one.OTP = "000000"
	_, err = e.docs.SignAsPerson(e.ctx, signer, items[0].ID, one)
	if fieldOf(t, err) != "otp" {
		t.Fatalf("a wrong OTP: %v", err)
	}
	for _, c := range []struct {
		err  error
		code string
	}{{remotesign.ErrUnavailable, "remote_unavailable"}, {remotesign.ErrRefused, "remote_refused"}} {
		remote.err = c.err
		_, err = e.docs.SignBatch(e.ctx, signer, items[1:], "", "123456")
		wantPrecondition(t, c.code, err, c.code)
	}
	remote.err, remote.wrong = nil, true
	one.OTP = "123456"
	_, err = e.docs.SignAsPerson(e.ctx, signer, items[0].ID, one)
	wantPrecondition(t, "a signature over other hashes", err, "signature_mismatch")
	remote.wrong = false
	for _, it := range items {
		if sigs, _ := e.docs.Signatures(e.ctx, signer, it.ID); len(sigs) != 0 {
			t.Fatalf("document %d signed by a failed attempt", it.ID)
		}
	}

	if _, err := e.docs.SignAsPerson(e.ctx, signer, items[0].ID, one); err != nil {
		t.Fatal(err)
	}
	before := remote.calls.Load()
	res, err := e.docs.SignBatch(e.ctx, signer, items[1:], "", "123456")
	if err != nil {
		t.Fatal(err)
	}
	if got := remote.calls.Load() - before; got != 1 {
		t.Errorf("a batch of 3 asked the service %d times, want one authorisation", got)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("document %d: %v", r.ID, r.Err)
		}
		sigs, _ := e.docs.Signatures(e.ctx, signer, r.ID)
		if len(sigs) != 1 || sigs[0].Method != documents.ModeRemote {
			t.Fatalf("document %d: %+v", r.ID, sigs)
		}
	}
}
