package database_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"sync"
	"testing"

	"github.com/hcm-edu/vanban/database"
	"github.com/hcm-edu/vanban/internal/testenv"
)

func TestMigrateFromEmpty(t *testing.T) {
	ctx := context.Background()
	adminURL := testenv.DatabaseURL(t)
	admin, err := database.Open(ctx, adminURL, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	rand.Read(b)
	name := "vanban_empty_" + hex.EncodeToString(b)
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`) })
	u, _ := url.Parse(adminURL)
	u.Path = "/" + name
	db, err := database.Open(ctx, u.String(), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	if err := database.CheckSchema(ctx, db); !errors.Is(err, database.ErrOldSchema) {
		t.Fatalf("empty database: CheckSchema = %v, want ErrOldSchema", err)
	}
	// Several instances starting with --migrate at once apply each migration once.
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); _, errs[i] = database.Migrate(ctx, db) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent migrate: %v", err)
		}
	}
	if err := database.CheckSchema(ctx, db); err != nil {
		t.Fatalf("after migrate: %v", err)
	}
	if v, _ := database.Version(ctx, db); v != database.Latest() {
		t.Errorf("version %d, want %d", v, database.Latest())
	}
	applied, err := database.Migrate(ctx, db)
	if err != nil || len(applied) != 0 {
		t.Errorf("second migrate applied %v, %v", applied, err)
	}
	if _, err := db.Exec(`CREATE TABLE newer (x int); UPDATE schema_version SET version = version + 1`); err != nil {
		t.Fatal(err)
	}
	if err := database.CheckSchema(ctx, db); err == nil || errors.Is(err, database.ErrOldSchema) {
		t.Errorf("a newer schema must be refused with its own message, got %v", err)
	}
}
