package main

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/hcm-edu/vanban/database"
	"github.com/hcm-edu/vanban/internal/testenv"
)

// capture runs the command line with stdout redirected and returns what it printed.
func capture(t *testing.T, args ...string) (string, error) {
	t.Helper()
	r, w, _ := os.Pipe()
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() { b, _ := io.ReadAll(r); done <- string(b) }()
	err := run(args)
	w.Close()
	os.Stdout = old
	return <-done, err
}

func TestServeRefusesAnOldSchema(t *testing.T) {
	adminURL := testenv.DatabaseURL(t)
	admin, err := database.Open(context.Background(), adminURL, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := "vanban_cmd_" + strings.ReplaceAll(t.Name(), "/", "_")
	admin.Exec(`DROP DATABASE IF EXISTS ` + strings.ToLower(name) + ` WITH (FORCE)`)
	if _, err := admin.Exec(`CREATE DATABASE ` + strings.ToLower(name)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec(`DROP DATABASE IF EXISTS ` + strings.ToLower(name) + ` WITH (FORCE)`) })
	u, _ := url.Parse(adminURL)
	u.Path = "/" + strings.ToLower(name)
	t.Setenv("DATABASE_URL", u.String())
	t.Setenv("DATA_DIR", t.TempDir())
	t.Setenv("LISTEN_ADDR", "127.0.0.1:0")
	t.Setenv("LOG_LEVEL", "error")

	_, err = capture(t, "serve")
	if err == nil || !strings.Contains(err.Error(), "vanban migrate") {
		t.Fatalf("serve on an empty database: %v; want a message naming `vanban migrate`", err)
	}
	if _, err := capture(t, "seed-demo"); err == nil {
		t.Fatal("seed-demo before migrate succeeded")
	}
	if _, err := capture(t, "migrate"); err != nil {
		t.Fatal(err)
	}

	t.Setenv("DEMO_PASSWORD", "demo-password-42")
	out, err := capture(t, "seed-demo")
	if err != nil {
		t.Fatal(err)
	}
	for _, login := range []string{"admin", "vanthu.sgd", "giamdoc.sgd", "phogiamdoc.sgd", "truongphong.sgd", "chuyenvien.sgd", "vanthu.q1", "truongphong.q1", "vanthu.thpt1", "vanthu.thcs1"} {
		if !strings.Contains(out, login) {
			t.Errorf("seed-demo does not print the login %s", login)
		}
	}
	if strings.Contains(out, "demo-password-42") {
		t.Error("seed-demo prints a password the operator chose")
	}
	db, _ := database.Open(context.Background(), u.String(), 1)
	defer db.Close()
	count := func() (units, users, meetings, participants int) {
		db.Get(&units, `SELECT count(*) FROM units`)
		db.Get(&users, `SELECT count(*) FROM users`)
		db.Get(&meetings, `SELECT count(*) FROM meetings`)
		db.Get(&participants, `SELECT count(*) FROM meeting_participants`)
		return
	}
	u1, us1, m1, p1 := count()
	if _, err := capture(t, "seed-demo"); err != nil {
		t.Fatal(err)
	}
	if u2, us2, m2, p2 := count(); u1 != u2 || us1 != us2 || u1 != 32 || us1 != 14 || m1 != 1 || m2 != 1 || p1 != 2 || p2 != 2 {
		t.Errorf("seed-demo twice: %d/%d units, %d/%d users, %d/%d meetings, %d/%d participants; want 32, 14, 1 and 2 both times",
			u1, u2, us1, us2, m1, m2, p1, p2)
	}

	// Accounts from the command line.
	if _, err := capture(t, "user", "add", "--username", "chuyenvien.q1", "--name", "Ngô Thị Lan", "--unit", "000.01.24.H29", "--roles", "staff"); err != nil {
		t.Fatal(err)
	}
	if _, err := capture(t, "user", "add", "--username", "x", "--name", "", "--unit", "000.01.24.H29", "--roles", "king"); err == nil {
		t.Error("an invalid user was added")
	}
	if _, err := capture(t, "user", "add", "--username", "abc", "--name", "A", "--unit", "999.99.99.Z99", "--roles", "staff"); err == nil || !strings.Contains(err.Error(), "no unit") {
		t.Errorf("unknown unit: %v", err)
	}
	if _, err := capture(t, "user", "disable", "chuyenvien.q1"); err != nil {
		t.Fatal(err)
	}
	out, err = capture(t, "user", "list")
	if err != nil || !strings.Contains(out, "chuyenvien.q1") || !strings.Contains(out, "disabled") {
		t.Errorf("user list: %v\n%s", err, out)
	}
	if out, err := capture(t, "user", "unlock", "chuyenvien.q1"); err != nil || !strings.Contains(out, "unlocked") {
		t.Errorf("user unlock: %v\n%s", err, out)
	}
	if _, err := capture(t, "user", "unlock", "nobody"); err == nil {
		t.Error("unlock of an unknown user succeeds")
	}
	if out, err := capture(t, "user", "signing-mode", "chuyenvien.q1", "helper"); err != nil || !strings.Contains(out, "helper") {
		t.Errorf("user signing-mode: %v\n%s", err, out)
	}
	for _, bad := range [][]string{{"chuyenvien.q1", "usb"}, {"nobody", "remote"}} {
		if _, err := capture(t, "user", "signing-mode", bad[0], bad[1]); err == nil {
			t.Errorf("signing-mode %v accepted", bad)
		}
	}
}

func TestConfigPrintsMasked(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://vanban:topsecretpw@db/vanban")
	t.Setenv("S3_ENDPOINT", "minio:9000")
	t.Setenv("S3_ACCESS_KEY", "access-key-value")
	t.Setenv("S3_SECRET_KEY", "secret-key-value")
	out, err := capture(t, "config")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"topsecretpw", "access-key-value", "secret-key-value"} {
		if strings.Contains(out, s) {
			t.Errorf("config prints %q", s)
		}
	}
	if !bytes.Contains([]byte(out), []byte("S3_ENDPOINT=minio:9000")) {
		t.Errorf("config output:\n%s", out)
	}
}

func TestBadConfigurationIsReported(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	t.Setenv("MAX_UPLOAD_BYTES", "12abc")
	_, err := capture(t, "serve")
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL") || !strings.Contains(err.Error(), "MAX_UPLOAD_BYTES") {
		t.Errorf("err = %v", err)
	}
}
