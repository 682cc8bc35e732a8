// Package testenv finds the real services integration tests need. A test
// that cannot reach one skips when run by hand and fails under CI (CI set).
// In -short mode (make test-short: unit tests only) a test that needs a
// service skips, configured or not, under CI too.
package testenv

import (
	"os"
	"testing"
)

// S3 describes the S3-compatible server used by integration tests.
type S3 struct {
	Endpoint  string // host:port
	AccessKey string
	SecretKey string
	UseSSL    bool
	Region    string
}

// Missing skips the test, or fails it under CI, because what names a
// service the test needs is not configured. In -short mode it skips.
func Missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("CI") != "" && !testing.Short() {
		t.Fatalf("%s is not configured, and CI requires it (run the tests through `make test`)", what)
	}
	t.Skipf("%s is not configured; `make test` starts it", what)
}

// skipShort skips an integration test in -short mode: unit tests only.
func skipShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a service: skipped in -short mode")
	}
}

// RequireS3 returns the test S3 server from VANBAN_TEST_S3_ENDPOINT,
// VANBAN_TEST_S3_ACCESS_KEY and VANBAN_TEST_S3_SECRET_KEY.
func RequireS3(t testing.TB) S3 {
	t.Helper()
	skipShort(t)
	s := S3{
		Endpoint:  os.Getenv("VANBAN_TEST_S3_ENDPOINT"),
		AccessKey: os.Getenv("VANBAN_TEST_S3_ACCESS_KEY"),
		SecretKey: os.Getenv("VANBAN_TEST_S3_SECRET_KEY"),
		Region:    "us-east-1",
	}
	if s.Endpoint == "" {
		Missing(t, "VANBAN_TEST_S3_ENDPOINT")
	}
	return s
}

// DatabaseURL returns the PostgreSQL URL (a role allowed to create
// databases) from VANBAN_TEST_DATABASE_URL.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	skipShort(t)
	u := os.Getenv("VANBAN_TEST_DATABASE_URL")
	if u == "" {
		Missing(t, "VANBAN_TEST_DATABASE_URL")
	}
	return u
}
