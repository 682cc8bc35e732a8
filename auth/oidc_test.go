package auth_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/org"
)

const testIssuer = "https://id.example.vn/"

func signToken(t *testing.T, key *rsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(claims)
	jws, err := s.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestOIDCVerify: an ID token counts only when signed by a key of the
// provider's set, issued by it, to vanban, unexpired and with the nonce
// of this login.
func TestOIDCVerify(t *testing.T) {
	ctx := context.Background()
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	v := oidc.NewVerifier(testIssuer, &oidc.StaticKeySet{PublicKeys: []crypto.PublicKey{&key.PublicKey}}, &oidc.Config{ClientID: "vanban"})
	o := auth.NewService(nil, time.Hour).NewOIDC(auth.OIDCConfig{Issuer: testIssuer, ClientID: "vanban"})
	now := time.Now()
	good := func() map[string]any {
		return map[string]any{"iss": testIssuer, "sub": "s1", "aud": "vanban", "exp": now.Add(time.Minute).Unix(),
			"iat": now.Unix(), "nonce": "n-1", "email": "a@sgd.vn", "email_verified": true}
	}
	claims, err := o.VerifyForTest(ctx, v, signToken(t, key, good()), "n-1")
	if err != nil || claims["email"] != "a@sgd.vn" {
		t.Fatalf("good token: %v %v", claims, err)
	}
	bad := map[string]func(map[string]any) (*rsa.PrivateKey, string){
		"foreign key": func(map[string]any) (*rsa.PrivateKey, string) { return other, "n-1" },
		"other issuer": func(c map[string]any) (*rsa.PrivateKey, string) {
			c["iss"] = "https://evil.example/"
			return key, "n-1"
		},
		"other audience": func(c map[string]any) (*rsa.PrivateKey, string) { c["aud"] = "another-client"; return key, "n-1" },
		"expired": func(c map[string]any) (*rsa.PrivateKey, string) {
			c["exp"] = now.Add(-time.Minute).Unix()
			return key, "n-1"
		},
		"other nonce": func(map[string]any) (*rsa.PrivateKey, string) { return key, "n-2" },
		"no nonce":    func(c map[string]any) (*rsa.PrivateKey, string) { delete(c, "nonce"); return key, "n-1" },
	}
	for name, spoil := range bad {
		c := good()
		k, nonce := spoil(c)
		if _, err := o.VerifyForTest(ctx, v, signToken(t, k, c), nonce); !errors.Is(err, auth.ErrOIDCToken) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := o.VerifyForTest(ctx, v, "", "n-1"); !errors.Is(err, auth.ErrOIDCToken) {
		t.Errorf("no token: %v", err)
	}
}

// TestOIDCState: a flow's state is good once, for its own flow, before
// it expires; the cookie round-trips.
func TestOIDCState(t *testing.T) {
	o := auth.NewService(nil, time.Hour).NewOIDC(auth.OIDCConfig{Issuer: testIssuer, ClientID: "vanban"})
	f := auth.OIDCFlow{State: "st-1", Nonce: "n-1", Verifier: "v-1", Expires: time.Now().Add(time.Minute).Truncate(time.Second)}
	back, ok := auth.ParseOIDCFlow(f.Cookie())
	if !ok || back != f {
		t.Fatalf("cookie round trip: %+v %v", back, ok)
	}
	for _, v := range []string{"", "a.b.c", "a.b.c.x", "..v.1"} {
		if _, ok := auth.ParseOIDCFlow(v); ok {
			t.Errorf("%q parsed", v)
		}
	}
	if o.ClaimUseForTest(f, "st-2") || o.ClaimUseForTest(f, "") {
		t.Error("another state accepted")
	}
	if !o.ClaimUseForTest(f, "st-1") {
		t.Fatal("the state refused")
	}
	if o.ClaimUseForTest(f, "st-1") {
		t.Error("the state accepted twice")
	}
	old := auth.OIDCFlow{State: "st-3", Expires: time.Now().Add(-time.Second)}
	if o.ClaimUseForTest(old, "st-3") {
		t.Error("an expired flow accepted")
	}
	far := auth.OIDCFlow{State: "st-4", Expires: time.Now().Add(time.Hour)}
	if o.ClaimUseForTest(far, "st-4") {
		t.Error("a flow longer than OIDCFlowTTL accepted")
	}
}

// TestOIDCLink: the linking rules.
func TestOIDCLink(t *testing.T) {
	ctx := context.Background()
	db, _ := testenv.NewDB(t)
	unit, err := org.NewStore(db).Create(ctx, org.Unit{Code: "000.00.24.H29", Name: "Sở Giáo dục và Đào tạo", Abbreviation: "SGDĐT", Kind: org.KindDepartment})
	if err != nil {
		t.Fatal(err)
	}
	s := auth.NewService(db, time.Hour)
	add := func(username, email string) int64 {
		id, err := s.CreateUser(ctx, auth.NewUser{Username: username, FullName: "Người " + username, Email: email,
			UnitID: unit.ID, Roles: []string{auth.RoleStaff}, Password: "mot-mat-khau-dai"})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	an := add("an.nv", "An.NV@sgd.vn")
	add("binh.tt", "chung@sgd.vn")
	add("cuong.lv", "chung@sgd.vn")
	add("dung.pt", "dung@sgd.vn")
	if err := s.SetDisabled(ctx, "dung.pt", true); err != nil {
		t.Fatal(err)
	}
	giang := add("giang.th", "giang@sgd.vn")
	db.MustExec(`UPDATE users SET left_at = now() WHERE username = 'giang.th'`)
	add("hoa.old", "hoa@sgd.vn")
	db.MustExec(`UPDATE users SET disabled = true WHERE username = 'hoa.old'`)
	hoa := add("hoa.new", "hoa@sgd.vn")

	o := s.NewOIDC(auth.OIDCConfig{Issuer: testIssuer, ClientID: "vanban"})
	email := func(e string, verified any) map[string]any {
		return map[string]any{"email": e, "email_verified": verified}
	}
	cases := []struct {
		name    string
		subject string
		claims  map[string]any
		want    int64
		err     error
	}{
		{"verified e-mail, any case", "s-an", email("an.nv@SGD.vn", true), an, nil},
		{"verified as a string", "s-an2", email("an.nv@sgd.vn", "true"), an, nil},
		{"unverified", "s-x", email("an.nv@sgd.vn", false), 0, auth.ErrOIDCUnverified},
		{"no email_verified", "s-x", map[string]any{"email": "an.nv@sgd.vn"}, 0, auth.ErrOIDCUnverified},
		{"no e-mail", "s-x", map[string]any{"email_verified": true}, 0, auth.ErrOIDCClaim},
		{"unknown", "s-x", email("ai@sgd.vn", true), 0, auth.ErrOIDCNoAccount},
		{"two accounts", "s-x", email("chung@sgd.vn", true), 0, auth.ErrOIDCAmbiguous},
		{"disabled", "s-x", email("dung@sgd.vn", true), 0, auth.ErrOIDCDisabled},
		{"left", "s-x", email("giang@sgd.vn", true), 0, auth.ErrOIDCDisabled},
		{"one active among disabled", "s-hoa", email("hoa@sgd.vn", true), hoa, nil},
		{"already linked, e-mail changed", "s-an", email("moi@gmail.com", false), an, nil},
	}
	for _, c := range cases {
		got, err := o.LinkForTest(ctx, testIssuer, c.subject, c.claims)
		if got != c.want || !errors.Is(err, c.err) {
			t.Errorf("%s: %d %v, want %d %v", c.name, got, err, c.want, c.err)
		}
	}
	var links, audits int
	db.Get(&links, `SELECT count(*) FROM user_identities`)
	db.Get(&audits, `SELECT count(*) FROM audit_log WHERE action = 'auth.oidc_link'`)
	if links != 3 || audits != 3 {
		t.Errorf("%d links, %d audit entries; want 3 and 3", links, audits)
	}
	// A linked identity whose account is disabled or left is refused.
	db.MustExec(`INSERT INTO user_identities (issuer, subject, user_id) VALUES ($1, 's-giang', $2)`, testIssuer, giang)
	if _, err := o.LinkForTest(ctx, testIssuer, "s-giang", email("giang@sgd.vn", true)); !errors.Is(err, auth.ErrOIDCDisabled) {
		t.Errorf("linked, left: %v", err)
	}
	if err := s.SetDisabled(ctx, "an.nv", true); err != nil {
		t.Fatal(err)
	}
	if _, err := o.LinkForTest(ctx, testIssuer, "s-an", email("an.nv@sgd.vn", true)); !errors.Is(err, auth.ErrOIDCDisabled) {
		t.Errorf("linked, disabled: %v", err)
	}
	// Another issuer's identity with the same subject is another person.
	if _, err := o.LinkForTest(ctx, "https://other.example/", "s-an", email("ai@sgd.vn", true)); !errors.Is(err, auth.ErrOIDCNoAccount) {
		t.Errorf("other issuer: %v", err)
	}

	// Matching by a configured claim: the username.
	byName := s.NewOIDC(auth.OIDCConfig{Issuer: testIssuer, ClientID: "vanban", MatchClaim: "preferred_username"})
	if got, err := byName.LinkForTest(ctx, testIssuer, "s-hoa-name", map[string]any{"preferred_username": "Hoa.New"}); got != hoa || err != nil {
		t.Errorf("by username: %d %v", got, err)
	}
	if _, err := byName.LinkForTest(ctx, testIssuer, "s-y", map[string]any{"preferred_username": "dung.pt"}); !errors.Is(err, auth.ErrOIDCDisabled) {
		t.Errorf("by username, disabled: %v", err)
	}
	if _, err := byName.LinkForTest(ctx, testIssuer, "s-y", map[string]any{"email": "hoa@sgd.vn", "email_verified": true}); !errors.Is(err, auth.ErrOIDCClaim) {
		t.Errorf("by username, no claim: %v", err)
	}
}
