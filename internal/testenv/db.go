package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"testing"

	"github.com/hcm-edu/vanban/database"
	"github.com/jmoiron/sqlx"
)

// NewDB returns a fresh, migrated database of its own for the test, copied
// from a template database that is migrated once, and drops it afterwards.
func NewDB(t testing.TB) (*sqlx.DB, string) {
	t.Helper()
	ctx := context.Background()
	adminURL := DatabaseURL(t)
	admin, err := database.Open(ctx, adminURL, 2)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	defer admin.Close()

	tmpl := "vanban_tmpl_" + database.Fingerprint()
	conn, err := admin.Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7215002)`); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(ctx, `SELECT pg_advisory_unlock(7215002)`) //nolint:errcheck

	var exists bool
	if err := conn.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, tmpl); err != nil {
		t.Fatal(err)
	}
	if !exists {
		if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+tmpl); err != nil {
			t.Fatalf("testenv: create template: %v", err)
		}
		tdb, err := database.Open(ctx, withDB(t, adminURL, tmpl), 2)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := database.Migrate(ctx, tdb); err != nil {
			tdb.Close()
			conn.ExecContext(ctx, `DROP DATABASE `+tmpl) //nolint:errcheck
			t.Fatalf("testenv: migrate template: %v", err)
		}
		tdb.Close()
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "vanban_test_" + hex.EncodeToString(b)
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, tmpl)); err != nil {
		t.Fatalf("testenv: create test database: %v", err)
	}
	dbURL := withDB(t, adminURL, name)
	db, err := database.Open(ctx, dbURL, 10)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		a, err := database.Open(context.Background(), adminURL, 1)
		if err != nil {
			return
		}
		defer a.Close()
		a.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`) //nolint:errcheck
	})
	return db, dbURL
}

func withDB(t testing.TB, raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("testenv: bad database URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}
