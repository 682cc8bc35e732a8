package documents_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/signing/signingtest"
)

// oneKey signs for everyone with one key.
type oneKey struct{ k signing.Key }

func (o oneKey) PersonKey(context.Context, string) (signing.Key, func(), error) {
	return o.k, func() {}, nil
}

func (o oneKey) OrgKey(context.Context, string) (signing.Key, func(), error) {
	return o.k, func() {}, nil
}

// The signer's certificate is checked before signing: revoked refuses
// with the time and reason; unknown signs under "warn", recording why in
// the audit entry, and refuses under "refuse"; good signs.
func TestSigningChecksRevocation(t *testing.T) {
	e := newDemoEnv(t)
	ca := signingtest.NewRevocationCA(t)
	revokedAt := time.Date(2026, 11, 30, 8, 15, 0, 0, time.UTC)
	crl := signingtest.ServeCRL(t, ca.CRL(t, map[int64]time.Time{0x77: revokedAt}, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)))
	checker := &signing.RevocationChecker{Timeout: 2 * time.Second}
	enable := func(k signing.Key, policy string) {
		e.docs.EnableSigning(documents.SigningDeps{Keys: oneKey{k}, Roots: ca.Roots, RootCerts: []*x509.Certificate{ca.Cert}, MaxBytes: 64 << 20,
			Revocation: checker, RevocationPolicy: policy})
	}
	clerk, signer := e.who("vanthu.sgd"), e.who("giamdoc.sgd")
	draft := func() documents.Document {
		d, err := e.docs.Create(e.ctx, clerk, documents.Meta{DocType: "KH", Title: "Kế hoạch thử nghiệm", DocDate: "2026-11-20"}, e.spool(testenv.PDF(2000, uint64(time.Now().UnixNano()))))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}

	enable(ca.Issue(t, 0x77, signingtest.PersonName, "", crl.URL), documents.RevocationWarn)
	d := draft()
	_, err := e.docs.SignAsPerson(e.ctx, signer, d.ID, documents.SignRequest{VersionSHA256: d.Versions[0].SHA256})
	var pe *domain.PreconditionError
	if !errors.As(err, &pe) || pe.Code != "certificate_revoked" || !strings.Contains(pe.Message, "đã bị thu hồi lúc 15:15 30/11/2026") ||
		!strings.Contains(pe.Message, "lộ khóa bí mật") || !strings.Contains(pe.Message, signer.FullName) {
		t.Fatalf("revoked signer: %v %+v", err, pe)
	}
	if sigs, _ := e.docs.Signatures(e.ctx, signer, d.ID); len(sigs) != 0 {
		t.Fatalf("a refused signature was recorded: %+v", sigs)
	}

	down := ca.Issue(t, 0x78, signingtest.PersonName, signingtest.ClosedURL(t), "")
	enable(down, documents.RevocationRefuse)
	_, err = e.docs.SignAsPerson(e.ctx, signer, d.ID, documents.SignRequest{VersionSHA256: d.Versions[0].SHA256})
	if !errors.As(err, &pe) || pe.Code != "revocation_unknown" || !strings.Contains(pe.Message, "không kết nối được") {
		t.Fatalf("responder down, policy refuse: %v", err)
	}
	enable(down, documents.RevocationWarn)
	signed, err := e.docs.SignAsPerson(e.ctx, signer, d.ID, documents.SignRequest{VersionSHA256: d.Versions[0].SHA256})
	if err != nil {
		t.Fatalf("responder down, policy warn: %v", err)
	}
	if got := auditRevocation(t, e, signed.ID, "document.sign"); !strings.HasPrefix(got, "unknown: OCSP ") || !strings.Contains(got, "unreachable") {
		t.Errorf("audit of a signature with an unknown status: %q", got)
	}

	// The organisation's key, revoked: the clerk cannot seal.
	enable(ca.Issue(t, 0x77, signingtest.OrgName, "", crl.URL), documents.RevocationWarn)
	_, err = e.docs.AssignNumber(e.ctx, clerk, signed.ID, documents.NumberRequest{VersionSHA256: signed.Versions[0].SHA256})
	if !errors.As(err, &pe) || pe.Code != "certificate_revoked" {
		t.Fatalf("revoked organisation key: %v", err)
	}

	good := ca.Issue(t, 0x79, signingtest.OrgName, "", crl.URL)
	enable(good, documents.RevocationRefuse)
	sealed, err := e.docs.AssignNumber(e.ctx, clerk, signed.ID, documents.NumberRequest{VersionSHA256: signed.Versions[0].SHA256})
	if err != nil {
		t.Fatalf("good organisation key: %v", err)
	}
	if got := auditRevocation(t, e, sealed.ID, "document.seal"); got != "good" {
		t.Errorf("audit of the seal: %q", got)
	}
	// The report stored at signing has each signer's status.
	v, err := e.docs.Verification(e.ctx, clerk, sealed.ID, sealed.Versions[0].No)
	if err != nil {
		t.Fatal(err)
	}
	sigs := v.Report.Signatures
	if len(sigs) != 2 || sigs[0].Revocation != signing.RevocationUnknown || sigs[1].Revocation != signing.RevocationGood ||
		sigs[1].RevocationDetail == nil || sigs[1].RevocationDetail.Source != signing.SourceCRL {
		t.Fatalf("stored report: %+v", sigs)
	}
}

func auditRevocation(t *testing.T, e *demoEnv, id int64, action string) string {
	t.Helper()
	entries, err := audit.ForDocument(e.ctx, e.db, id, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		if en.Action != action {
			continue
		}
		var details map[string]any
		if err := json.Unmarshal([]byte(en.Details), &details); err != nil {
			t.Fatal(err)
		}
		s, _ := details["revocation"].(string)
		return s
	}
	t.Fatalf("no %s entry", action)
	return ""
}
