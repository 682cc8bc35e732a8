package config

import (
	"strings"
	"testing"
)

func TestSMTPDisabledByDefault(t *testing.T) {
	c, err := Load(env(map[string]string{"DATABASE_URL": "postgres://h/db"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.EmailEnabled() || c.SMTPTLS != "" {
		t.Errorf("e-mail enabled = %v, tls = %q", c.EmailEnabled(), c.SMTPTLS)
	}
}

func TestSMTPTLSDefault(t *testing.T) {
	for _, tc := range []struct{ addr, tls, want string }{
		{"smtp.hcm.edu.vn:587", "", "starttls"},
		{"127.0.0.1:1025", "", "none"},
		{"localhost:25", "", "none"},
		{"[::1]:25", "", "none"},
		{"smtp.hcm.edu.vn:465", "tls", "tls"},
		{"127.0.0.1:1025", "starttls", "starttls"},
	} {
		t.Run(tc.addr+"/"+tc.tls, func(t *testing.T) {
			c, err := Load(env(map[string]string{"DATABASE_URL": "postgres://h/db",
				"PUBLIC_URL": "https://vanban.hcm.edu.vn", "SMTP_ADDR": tc.addr, "SMTP_TLS": tc.tls, "SMTP_FROM": "Sở GD&ĐT <vanban@hcm.edu.vn>"}))
			if err != nil {
				t.Fatal(err)
			}
			if !c.EmailEnabled() || c.SMTPTLS != tc.want {
				t.Errorf("tls = %q, want %q", c.SMTPTLS, tc.want)
			}
		})
	}
}

func TestSMTPBadValues(t *testing.T) {
	base := map[string]string{"DATABASE_URL": "postgres://h/db", "PUBLIC_URL": "https://vanban.hcm.edu.vn", "SMTP_ADDR": "smtp.hcm.edu.vn:587", "SMTP_FROM": "vanban@hcm.edu.vn"}
	for _, tc := range []struct {
		name string
		set  map[string]string
		want string
	}{
		{"scheme", map[string]string{"SMTP_ADDR": "smtp://smtp.hcm.edu.vn:587"}, "SMTP_ADDR"},
		{"no port", map[string]string{"SMTP_ADDR": "smtp.hcm.edu.vn"}, "SMTP_ADDR"},
		{"no host", map[string]string{"SMTP_ADDR": ":587"}, "SMTP_ADDR"},
		{"tls word", map[string]string{"SMTP_TLS": "ssl"}, "SMTP_TLS"},
		{"from missing", map[string]string{"SMTP_FROM": ""}, "SMTP_FROM is required"},
		{"no public URL", map[string]string{"PUBLIC_URL": ""}, "PUBLIC_URL is required"},
		{"from not an address", map[string]string{"SMTP_FROM": "vanban"}, "SMTP_FROM"},
		{"username without password", map[string]string{"SMTP_USERNAME": "vanban"}, "SMTP_PASSWORD"},
		{"password without username", map[string]string{"SMTP_PASSWORD": "x"}, "SMTP_USERNAME"},
		{"password in clear", map[string]string{"SMTP_USERNAME": "vanban", "SMTP_PASSWORD": "x", "SMTP_TLS": "none"}, "SMTP_TLS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := map[string]string{}
			for k, v := range base {
				m[k] = v
			}
			for k, v := range tc.set {
				m[k] = v
			}
			_, err := Load(env(m))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one naming %s", err, tc.want)
			}
		})
	}
}

func TestSMTPPasswordMasked(t *testing.T) {
	c, err := Load(env(map[string]string{"DATABASE_URL": "postgres://h/db", "PUBLIC_URL": "https://vanban.hcm.edu.vn", "SMTP_ADDR": "smtp.hcm.edu.vn:587",
		"SMTP_FROM": "vanban@hcm.edu.vn", "SMTP_USERNAME": "vanban", "SMTP_PASSWORD": "mail-secret-7"}))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	c.Print(&b)
	if out := b.String(); strings.Contains(out, "mail-secret-7") || !strings.Contains(out, "SMTP_TLS=starttls") {
		t.Errorf("Print:\n%s", out)
	}
}
