package config

import (
	"strings"
	"testing"
)

func TestOIDCOptions(t *testing.T) {
	c, err := Load(env(map[string]string{"DATABASE_URL": "postgres://h/db"}))
	if err != nil || c.OIDCEnabled() || c.OIDCMatchClaim != "email" || c.OIDCButton != "Đăng nhập bằng tài khoản của Sở" {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c, err = Load(env(map[string]string{"DATABASE_URL": "postgres://h/db", "PUBLIC_URL": "https://vanban.hcm.edu.vn/",
		"OIDC_ISSUER": "https://id.hcm.edu.vn", "OIDC_CLIENT_ID": "vanban", "OIDC_CLIENT_SECRET": "s"}))
	if err != nil || !c.OIDCEnabled() || c.OIDCRedirectURL != "https://vanban.hcm.edu.vn/auth/oidc/callback" {
		t.Fatalf("redirect from PUBLIC_URL: %q %v", c.OIDCRedirectURL, err)
	}
	_, err = Load(env(map[string]string{"DATABASE_URL": "postgres://h/db", "OIDC_ISSUER": "https://id.hcm.edu.vn"}))
	if err == nil || !strings.Contains(err.Error(), "OIDC_CLIENT_ID") || !strings.Contains(err.Error(), "PUBLIC_URL") {
		t.Fatalf("incomplete: %v", err)
	}
}
