package oidctest

import (
	"encoding/json"
	"net/http"
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	RemoveBinary()
	os.Exit(code)
}

// TestStart: the provider answers discovery for its issuer, with PKCE
// S256 and its keys, and takes faults.
func TestStart(t *testing.T) {
	p := Start(t, Options{Users: []User{{Subject: "s1", Email: "a@b.vn", EmailVerified: true, PreferredUsername: "a", Password: "pw"}}})
	resp, err := http.Get(p.Issuer + ".well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d struct {
		Issuer     string   `json:"issuer"`
		JWKS       string   `json:"jwks_uri"`
		Challenges []string `json:"code_challenge_methods_supported"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	if d.Issuer != p.Issuer || d.JWKS == "" || len(d.Challenges) == 0 || d.Challenges[0] != "S256" {
		t.Fatalf("discovery: %+v", d)
	}
	for _, f := range []string{BadSignature, WrongAudience, WrongNonce, Expired, UserinfoOnly, Normal} {
		p.SetFault(t, f)
	}
}
