package certs_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/certs"
	"github.com/hcm-edu/vanban/demo"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/org"
	"github.com/hcm-edu/vanban/remotesign"
	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/signing/signingtest"
)

const director = "Lê Hoài Nam" // giamdoc.sgd in the demo organisation

type fixture struct {
	t     *testing.T
	ctx   context.Context
	db    *sqlx.DB
	users *auth.Service
	pki   *signingtest.PKI
	svc   *certs.Service
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	db, _ := testenv.NewDB(t)
	users := auth.NewService(db, time.Hour)
	if _, err := demo.Seed(ctx, org.NewStore(db), users, "test-password-1", 0); err != nil {
		t.Fatal(err)
	}
	pki := signingtest.NewPKI(t)
	return &fixture{t: t, ctx: ctx, db: db, users: users, pki: pki, svc: certs.New(db, func() *x509.CertPool { return pki.Roots })}
}

func (f *fixture) who(username string) auth.Principal {
	f.t.Helper()
	p, err := f.users.PrincipalByUsername(f.ctx, username)
	if err != nil {
		f.t.Fatalf("%s: %v", username, err)
	}
	return p
}

// key issues a certificate to cn valid from `from` to `to` after now.
func (f *fixture) key(cn string, from, to time.Duration) signing.Key {
	now := time.Now()
	return f.pki.NewKey(f.t, cn, signingtest.PersonOrg, now.Add(from), now.Add(to))
}

func request(k signing.Key, source string) certs.RegisterRequest {
	in := certs.RegisterRequest{Certificate: k.Chain[0].Raw, Source: source}
	for _, c := range k.Chain[1:] {
		in.Chain = append(in.Chain, c.Raw)
	}
	return in
}

// refusedField checks a ValidationError naming field, in Vietnamese, and
// returns its message.
func refusedField(t *testing.T, what string, err error, field string) string {
	t.Helper()
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || ve.Fields[field] == "" {
		t.Fatalf("%s: %v, want a validation error on %s", what, err, field)
	}
	return ve.Fields[field]
}

func TestRegister(t *testing.T) {
	f := newFixture(t)
	p := f.who("giamdoc.sgd")
	k := f.key(director, -time.Hour, 365*24*time.Hour)
	c, err := f.svc.Register(f.ctx, p, request(k, certs.SourceHelper))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Created || c.UserID != p.UserID || c.CommonName != director || c.Source != "helper" || len(c.Fingerprint) != 64 ||
		c.Fingerprint != strings.ToLower(c.Fingerprint) || c.Serial == "" || !c.NotAfter.Equal(k.Chain[0].NotAfter) {
		t.Errorf("registered: %+v", c)
	}
	got, err := f.svc.Get(f.ctx, p, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := got.Leaf()
	if err != nil || !leaf.Equal(k.Chain[0]) {
		t.Errorf("Leaf: %v", err)
	}
	chain, err := got.ChainCerts()
	if err != nil || len(chain) != 1 || !chain[0].Equal(f.pki.Intermediate) {
		t.Errorf("ChainCerts: %d, %v", len(chain), err)
	}
	// The audit entry names the certificate, never carries it.
	var details string
	if err := f.db.Get(&details, `SELECT details FROM audit_log WHERE action = 'certificate.register'`); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(details, c.Fingerprint) || !strings.Contains(details, c.Serial) ||
		strings.Contains(details, base64.StdEncoding.EncodeToString(leaf.Raw)[:40]) {
		t.Errorf("audit details: %s", details)
	}

	// Again: the same row, unchanged, and no second audit entry.
	again, err := f.svc.Register(f.ctx, p, request(k, certs.SourceUpload))
	if err != nil || again.Created || again.ID != c.ID || again.Source != "helper" {
		t.Errorf("second registration: %+v, %v", again, err)
	}
	var n int
	f.db.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'certificate.register'`)
	if n != 1 {
		t.Errorf("%d audit entries", n)
	}
	mine, err := f.svc.Mine(f.ctx, p)
	if err != nil || len(mine) != 1 {
		t.Errorf("Mine: %d, %v", len(mine), err)
	}
}

func TestRegisterFormats(t *testing.T) {
	f := newFixture(t)
	p := f.who("giamdoc.sgd")
	for name, enc := range map[string]func([]byte) []byte{
		"DER": func(b []byte) []byte { return b },
		"PEM": func(b []byte) []byte {
			return append([]byte("Bag Attributes\n"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: b})...)
		},
		"base64": func(b []byte) []byte { return []byte(base64.StdEncoding.EncodeToString(b) + "\r\n") },
		"base64 PEM": func(b []byte) []byte {
			return []byte(base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: b})))
		},
	} {
		k := f.key(director, -time.Hour, 365*24*time.Hour)
		in := certs.RegisterRequest{Certificate: enc(k.Chain[0].Raw), Chain: [][]byte{enc(f.pki.Intermediate.Raw)}, Source: certs.SourceUpload}
		c, err := f.svc.Register(f.ctx, p, in)
		if err != nil || !c.Created {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, b := range map[string][]byte{
		"garbage": []byte("đây không phải chứng thư số"), "empty": nil, "bad PEM": []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
		"a PDF": []byte("%PDF-1.7\n1 0 obj\n"),
	} {
		_, err := f.svc.Register(f.ctx, p, certs.RegisterRequest{Certificate: b, Source: certs.SourceUpload})
		refusedField(t, name, err, "certificate")
	}
	k := f.key(director, -time.Hour, 365*24*time.Hour)
	_, err := f.svc.Register(f.ctx, p, certs.RegisterRequest{Certificate: k.Chain[0].Raw, Chain: [][]byte{[]byte("xx")}, Source: certs.SourceUpload})
	refusedField(t, "a bad chain", err, "chain")
	_, err = f.svc.Register(f.ctx, p, certs.RegisterRequest{Certificate: k.Chain[0].Raw, Source: "remote"})
	refusedField(t, "a remote source without an account", err, "source")
}

func TestRegisterRefuses(t *testing.T) {
	f := newFixture(t)
	p := f.who("giamdoc.sgd")
	other := signingtest.NewPKI(t)
	now := time.Now()
	year := 365 * 24 * time.Hour
	cases := []struct {
		name  string
		key   signing.Key
		chain bool
		want  []string
	}{
		{"wrong name", f.key("Nguyễn Văn Hiếu", -time.Hour, year), true, []string{"«Nguyễn Văn Hiếu»", "«" + director + "»"}},
		{"expired", f.key(director, -2*year, -24*time.Hour), true, []string{"đã hết hạn ngày " + now.Add(-24*time.Hour).In(domain.VietnamTime).Format("02/01/2006")}},
		{"not yet valid", f.key(director, 48*time.Hour, year), true, []string{"chưa có hiệu lực", now.Add(48 * time.Hour).In(domain.VietnamTime).Format("02/01/2006")}},
		{"foreign root", other.NewKey(t, director, signingtest.PersonOrg, now.Add(-time.Hour), now.Add(year)), true, []string{"tin cậy"}},
		{"no intermediate", f.key(director, -time.Hour, year), false, []string{"tin cậy"}},
	}
	for _, tc := range cases {
		in := request(tc.key, certs.SourceUpload)
		if !tc.chain {
			in.Chain = nil
		}
		_, err := f.svc.Register(f.ctx, p, in)
		msg := refusedField(t, tc.name, err, "certificate")
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: %q does not say %q", tc.name, msg, w)
			}
		}
	}
	// The name compares as people write it: case, spaces and composition.
	decomposed := "LÊ  HOA\u0300I NAM " // "HOÀI" with a combining grave accent
	if _, err := f.svc.Register(f.ctx, p, request(f.key(decomposed, -time.Hour, year), certs.SourceUpload)); err != nil {
		t.Errorf("the director's name in capitals, decomposed, with extra spaces: %v", err)
	}
	var n int
	f.db.Get(&n, `SELECT count(*) FROM user_certificates`)
	if n != 1 {
		t.Errorf("%d certificates stored", n)
	}
}

func TestTakenByAnother(t *testing.T) {
	f := newFixture(t)
	// Two accounts of the same name: the second may not hold the first's.
	a, b := f.who("giamdoc.sgd"), f.who("phogiamdoc.sgd")
	b.FullName = a.FullName
	k := f.key(director, -time.Hour, 365*24*time.Hour)
	c, err := f.svc.Register(f.ctx, a, request(k, certs.SourceHelper))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Register(f.ctx, b, request(k, certs.SourceHelper))
	var pe *domain.PreconditionError
	if !errors.As(err, &pe) || pe.Code != "certificate_taken" {
		t.Fatalf("taken: %v", err)
	}
	if strings.Contains(pe.Message, a.FullName) || strings.Contains(pe.Message, a.Username) {
		t.Errorf("the refusal names the holder: %q", pe.Message)
	}
	// b may neither see nor remove a's; once a removes it, b may hold it.
	if _, err := f.svc.Get(f.ctx, b, c.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("another's Get: %v", err)
	}
	if err := f.svc.Remove(f.ctx, b, c.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("another's Remove: %v", err)
	}
	if err := f.svc.Remove(f.ctx, a, c.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Remove(f.ctx, a, c.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("removed twice: %v", err)
	}
	if mine, _ := f.svc.Mine(f.ctx, a); len(mine) != 0 {
		t.Errorf("Mine after remove: %d", len(mine))
	}
	if _, err := f.svc.Active(f.ctx, a.UserID, "", time.Now()); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Active after remove: %v", err)
	}
	nc, err := f.svc.Register(f.ctx, b, request(k, certs.SourceHelper))
	if err != nil || nc.UserID != b.UserID || nc.ID == c.ID {
		t.Errorf("after removal: %+v, %v", nc, err)
	}
	var n int
	f.db.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'certificate.remove'`)
	if n != 1 {
		t.Errorf("%d removal entries", n)
	}
	// An administrator sees and removes anybody's.
	admin := f.who("admin")
	if _, err := f.svc.Get(f.ctx, admin, nc.ID); err != nil {
		t.Errorf("admin Get: %v", err)
	}
	if err := f.svc.Remove(f.ctx, admin, nc.ID); err != nil {
		t.Errorf("admin Remove: %v", err)
	}
}

func TestActive(t *testing.T) {
	f := newFixture(t)
	p := f.who("giamdoc.sgd")
	older := f.key(director, -2*time.Hour, 365*24*time.Hour)
	newer := f.key(director, -time.Hour, 200*24*time.Hour)
	var ids []int64
	for _, k := range []signing.Key{older, newer} {
		c, err := f.svc.Register(f.ctx, p, request(k, certs.SourceHelper))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	now := time.Now()
	if c, err := f.svc.Active(f.ctx, p.UserID, "", now); err != nil || c.ID != ids[1] {
		t.Errorf("Active now: %d, %v; want the newer %d", c.ID, err, ids[1])
	}
	if c, err := f.svc.Active(f.ctx, p.UserID, "helper", now.Add(-90*time.Minute)); err != nil || c.ID != ids[0] {
		t.Errorf("Active before the newer was valid: %d, %v", c.ID, err)
	}
	if c, err := f.svc.Active(f.ctx, p.UserID, "", now.Add(300*24*time.Hour)); err != nil || c.ID != ids[0] {
		t.Errorf("Active after the newer expired: %d, %v", c.ID, err)
	}
	if _, err := f.svc.Active(f.ctx, p.UserID, "remote", now); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Active remote: %v", err)
	}
	if _, err := f.svc.Active(f.ctx, p.UserID, "", now.Add(2*365*24*time.Hour)); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Active when all expired: %v", err)
	}
}

func TestWarnExpiring(t *testing.T) {
	f := newFixture(t)
	p := f.who("giamdoc.sgd")
	soon, err := f.svc.Register(f.ctx, p, request(f.key(director, -time.Hour, 10*24*time.Hour), certs.SourceHelper))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Register(f.ctx, p, request(f.key(director, -time.Hour, 365*24*time.Hour), certs.SourceUpload)); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i, want := range []int{1, 0} {
		n, err := f.svc.WarnExpiring(f.ctx, now)
		if err != nil || n != want {
			t.Errorf("run %d: %d warned, %v; want %d", i+1, n, err, want)
		}
	}
	var notes []struct {
		UserID int64  `db:"user_id"`
		Title  string `db:"title"`
		Link   string `db:"link"`
	}
	if err := f.db.Select(&notes, `SELECT user_id, title, link FROM notifications WHERE kind = 'certificate.expiring'`); err != nil {
		t.Fatal(err)
	}
	day := soon.NotAfter.In(domain.VietnamTime).Format("02/01/2006")
	if len(notes) != 1 || notes[0].UserID != p.UserID || !strings.Contains(notes[0].Title, "hết hạn ngày "+day+"; hãy gia hạn") ||
		notes[0].Link != "/settings/certificates" {
		t.Errorf("notifications: %+v", notes)
	}
	// A year on, the other one is due; the first is not warned again.
	if n, err := f.svc.WarnExpiring(f.ctx, now.Add(340*24*time.Hour)); err != nil || n != 1 {
		t.Errorf("a year on: %d, %v", n, err)
	}
}

func TestHeld(t *testing.T) {
	f := newFixture(t)
	a, b := f.who("giamdoc.sgd"), f.who("phogiamdoc.sgd")
	if _, err := f.svc.Register(f.ctx, a, request(f.key(director, -time.Hour, 365*24*time.Hour), certs.SourceHelper)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Register(f.ctx, b, request(f.key(b.FullName, -time.Hour, 20*24*time.Hour), certs.SourceUpload)); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"giamdoc.sgd", "vanthu.sgd"} {
		if _, err := f.svc.Held(f.ctx, f.who(u)); !errors.Is(err, domain.ErrForbidden) {
			t.Errorf("%s: %v", u, err)
		}
	}
	held, err := f.svc.Held(f.ctx, f.who("admin"))
	if err != nil {
		t.Fatal(err)
	}
	if len(held) != 2 || held[0].Username != "phogiamdoc.sgd" || held[0].FullName != b.FullName || held[0].UnitName != b.UnitName ||
		held[0].DaysLeft != 19 || held[1].Username != "giamdoc.sgd" || held[1].DER != nil || held[1].Source != "helper" {
		t.Errorf("held: %+v", held)
	}
}

// fakeRemote is a remote-signing service holding fixed credentials.
type fakeRemote struct {
	creds map[string][]remotesign.Credential
	err   error
}

func (r *fakeRemote) Credentials(_ context.Context, account string) ([]remotesign.Credential, error) {
	if r.err != nil {
		return nil, r.err
	}
	c, ok := r.creds[account]
	if !ok {
		return nil, remotesign.ErrNoCredential
	}
	return c, nil
}

func (r *fakeRemote) SignHashes(context.Context, string, string, string, [][]byte) ([][]byte, error) {
	return nil, remotesign.ErrRefused
}

func TestRegisterRemote(t *testing.T) {
	f := newFixture(t)
	p := f.who("giamdoc.sgd")
	var pe *domain.PreconditionError
	if _, err := f.svc.RegisterRemote(f.ctx, p, "lhnam"); !errors.As(err, &pe) || pe.Code != "remote_signing_off" {
		t.Fatalf("no provider: %v", err)
	}
	good := f.key(director, -time.Hour, 365*24*time.Hour)
	old := f.key(director, -2*365*24*time.Hour, -time.Hour)
	r := &fakeRemote{creds: map[string][]remotesign.Credential{
		"lhnam":  {{ID: "cred-old", Chain: old.Chain}, {ID: "cred-1", Chain: good.Chain}},
		"hieunv": {{ID: "cred-2", Chain: f.key("Nguyễn Văn Hiếu", -time.Hour, 365*24*time.Hour).Chain}},
	}}
	f.svc.SetRemote(r)
	got, err := f.svc.RegisterRemote(f.ctx, p, " lhnam ")
	if err != nil || len(got) != 1 || got[0].Source != "remote" || got[0].Account != "lhnam" || got[0].CredentialID != "cred-1" {
		t.Fatalf("remote: %+v, %v", got, err)
	}
	if c, err := f.svc.Active(f.ctx, p.UserID, certs.SourceRemote, time.Now()); err != nil || c.CredentialID != "cred-1" {
		t.Errorf("Active remote: %+v, %v", c, err)
	}
	if _, err := f.svc.RegisterRemote(f.ctx, p, "hieunv"); !strings.Contains(refusedField(t, "another's account", err, "certificate"), "Nguyễn Văn Hiếu") {
		t.Errorf("another's account: %v", err)
	}
	refusedField(t, "unknown account", func() error { _, err := f.svc.RegisterRemote(f.ctx, p, "nobody"); return err }(), "account")
	refusedField(t, "empty account", func() error { _, err := f.svc.RegisterRemote(f.ctx, p, "  "); return err }(), "account")
	r.err = remotesign.ErrUnavailable
	if _, err := f.svc.RegisterRemote(f.ctx, p, "lhnam"); !errors.As(err, &pe) || pe.Code != "remote_unavailable" {
		t.Errorf("service down: %v", err)
	}
}

func TestRegisterRefusesRevoked(t *testing.T) {
	f := newFixture(t)
	p := f.who("giamdoc.sgd")
	ca := signingtest.NewRevocationCA(t)
	now := time.Now()
	crl := signingtest.ServeCRL(t, ca.CRL(t, map[int64]time.Time{7: now.Add(-time.Hour)}, now.Add(-time.Minute), now.Add(time.Hour)))
	svc := certs.New(f.db, func() *x509.CertPool { return ca.Roots })
	svc.SetRevocation(&signing.RevocationChecker{Timeout: 5 * time.Second})
	_, err := svc.Register(f.ctx, p, request(ca.Issue(t, 7, director, "", crl.URL), certs.SourceUpload))
	if msg := refusedField(t, "revoked", err, "certificate"); !strings.Contains(msg, "thu hồi") {
		t.Errorf("revoked: %q", msg)
	}
	if _, err := svc.Register(f.ctx, p, request(ca.Issue(t, 8, director, "", crl.URL), certs.SourceUpload)); err != nil {
		t.Errorf("good: %v", err)
	}
	// A CRL that cannot be fetched says nothing: registration goes on.
	if _, err := svc.Register(f.ctx, p, request(ca.Issue(t, 9, director, "", signingtest.ClosedURL(t)), certs.SourceUpload)); err != nil {
		t.Errorf("unknown: %v", err)
	}
}
