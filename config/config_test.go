package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(map[string]string{"DATABASE_URL": "postgres://u:p@h/db"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.ListenAddr != "127.0.0.1:8080" || c.MaxUploadBytes != 256<<20 || c.UseS3() || c.S3Bucket != "vanban" {
		t.Errorf("defaults: %+v", c)
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	_, err := Load(env(map[string]string{
		"LISTEN_ADDR": "8080", "MAX_UPLOAD_BYTES": "lots", "S3_ENDPOINT": "http://minio:9000",
		"S3_USE_SSL": "maybe", "LOG_LEVEL": "loud", "SESSION_TTL": "forever",
	}))
	if err == nil {
		t.Fatal("no error")
	}
	for _, name := range []string{"DATABASE_URL", "LISTEN_ADDR", "MAX_UPLOAD_BYTES", "S3_ENDPOINT", "S3_USE_SSL", "LOG_LEVEL", "SESSION_TTL"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}

func TestS3NeedsCredentials(t *testing.T) {
	_, err := Load(env(map[string]string{"DATABASE_URL": "postgres://h/db", "S3_ENDPOINT": "minio:9000"}))
	if err == nil || !strings.Contains(err.Error(), "S3_ACCESS_KEY") {
		t.Errorf("err = %v", err)
	}
}

func TestSecretsFromFiles(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "secret")
	os.WriteFile(f, []byte("s3cr3t-value\n"), 0o600)
	c, err := Load(env(map[string]string{"DATABASE_URL": "postgres://h/db", "S3_ENDPOINT": "minio:9000",
		"S3_ACCESS_KEY": "key", "S3_SECRET_KEY_FILE": f}))
	if err != nil {
		t.Fatal(err)
	}
	if c.S3SecretKey != "s3cr3t-value" {
		t.Errorf("secret = %q", c.S3SecretKey)
	}
	_, err = Load(env(map[string]string{"DATABASE_URL": "postgres://h/db", "S3_SECRET_KEY": "a", "S3_SECRET_KEY_FILE": f}))
	if err == nil || !strings.Contains(err.Error(), "both set") {
		t.Errorf("both set: %v", err)
	}
	_, err = Load(env(map[string]string{"DATABASE_URL_FILE": filepath.Join(dir, "missing")}))
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL_FILE") {
		t.Errorf("missing file: %v", err)
	}
}

func TestPrintMasksSecrets(t *testing.T) {
	c, err := Load(env(map[string]string{"DATABASE_URL": "postgres://vanban:hunter2pass@db:5432/vanban",
		"S3_ENDPOINT": "minio:9000", "S3_ACCESS_KEY": "AKIAEXAMPLE", "S3_SECRET_KEY": "wJalrXUtnFEMI", "DEMO_PASSWORD": "demo-secret-9"}))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	c.Print(&b)
	out := b.String()
	for _, secret := range []string{"hunter2pass", "AKIAEXAMPLE", "wJalrXUtnFEMI", "demo-secret-9"} {
		if strings.Contains(out, secret) {
			t.Errorf("Print shows secret %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "S3_ENDPOINT=minio:9000") || !strings.Contains(out, "postgres://vanban:xxxxx@db:5432/vanban") {
		t.Errorf("Print hides what is not secret:\n%s", out)
	}
}

// Production refuses what only development may use: file keys, personal
// keys held by the server, signing without a second factor.
func TestProductionRefusesServerKeys(t *testing.T) {
	_, err := Load(env(map[string]string{"DATABASE_URL": "postgres://h/db", "PRODUCTION": "true"}))
	for _, want := range []string{"PKCS11_MODULE", "SIGNING_MODE=helper or remote", "REQUIRE_2FA=true"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("production with the defaults: %v, want it to name %s", err, want)
		}
	}
	c, err := Load(env(map[string]string{"DATABASE_URL": "postgres://h/db", "PRODUCTION": "true", "PKCS11_MODULE": "/usr/lib/hsm.so",
		"PKCS11_TOKEN_LABEL": "vanthu", "SIGNING_MODE": "helper", "REQUIRE_2FA": "true"}))
	if err != nil || c.SigningMode != "helper" || c.SignerHelperURL != "http://127.0.0.1:8765" {
		t.Fatalf("a production setup: %+v %v", c, err)
	}
	if _, err := Load(env(map[string]string{"DATABASE_URL": "postgres://h/db", "SIGNING_MODE": "remote"})); err == nil || !strings.Contains(err.Error(), "CSC_URL") {
		t.Errorf("remote without a service: %v", err)
	}
}
