package database

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
)

// The record's migration (origin, the register's numbers, what may be
// issued, recall frozen) on a database holding what earlier versions let
// in: a document numbered at upload without registration, a registered
// one, an imported one and a draft. Each keeps working under its name.
func TestRecordMigrationKeepsExistingData(t *testing.T) {
	ctx := context.Background()
	at := -1
	for i, m := range migrations {
		if strings.Contains(m, "ADD COLUMN origin") {
			at = i
		}
	}
	if at < 0 {
		t.Fatal("no migration adds documents.origin")
	}
	// testenv imports this package: its DatabaseURL, by hand.
	adminURL := os.Getenv("VANBAN_TEST_DATABASE_URL")
	if testing.Short() || adminURL == "" {
		t.Skip("needs PostgreSQL (VANBAN_TEST_DATABASE_URL)")
	}
	admin, err := Open(ctx, adminURL, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	rand.Read(b)
	name := "vanban_record_" + hex.EncodeToString(b)
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`) })
	u, _ := url.Parse(adminURL)
	u.Path = "/" + name
	db, err := Open(ctx, u.String(), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, m := range migrations[:at] {
		db.MustExec(m)
	}
	db.MustExec(`CREATE TABLE schema_version (version integer NOT NULL)`)
	db.MustExec(`INSERT INTO schema_version VALUES ($1)`, at)
	db.MustExec(`
		INSERT INTO units (code, name, abbreviation, kind) VALUES ('000.00.24.H29', 'Sở', 'SGDĐT', 'department'), ('000.00.00.G22', 'Bộ', 'BGDĐT', 'external');
		INSERT INTO users (username, full_name, unit_id, roles, password_hash) VALUES ('vanthu', 'Văn thư', 1, '{clerk}', 'x');
		INSERT INTO documents (unit_id, doc_type, number, symbol, title, doc_date, urgency, confidentiality, status, created_by) VALUES
		  (1, 'KH', 206, 'KH-SGDĐT', 'Số gõ khi tải lên', '2021-01-22', 'thuong', 'thuong', 'registered', 1),
		  (1, 'KH', 1, 'KH-SGDĐT', 'Đã đăng ký', '2026-11-20', 'thuong', 'thuong', 'issued', 1),
		  (2, 'CV', 12, 'BGDĐT-GDTrH', 'Văn bản đến', '2026-11-19', 'khan', 'thuong', 'issued', 1),
		  (1, 'KH', NULL, NULL, 'Dự thảo', '2026-11-20', 'thuong', 'thuong', 'draft', 1);
		INSERT INTO registrations (unit_id, year, series, number, document_id, registered_by) VALUES (1, 2026, 'outgoing', 1, 2, 1);
		INSERT INTO document_versions (document_id, version_no, object_key, sha256, size_bytes, media_type, file_name, created_by)
		  VALUES (3, 1, 'k', repeat('a', 64), 1, 'application/pdf', 'a.pdf', 1);
		INSERT INTO dispatches (document_id, sender_unit_id, kind, version_no, urgency, steering, created_by) VALUES (3, 2, 'import', 1, 'khan', 1, 1);`)
	if _, err := Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	var origins []string
	db.Select(&origins, `SELECT origin FROM documents ORDER BY id`)
	if strings.Join(origins, " ") != "paper_copy outgoing received outgoing" {
		t.Fatalf("origins = %v", origins)
	}
	// From now on the rules hold: the draft takes no number outside the
	// register, the legacy numbered upload is not issued without its copy
	// mark, the imported document is relayed.
	if _, err := db.Exec(`UPDATE documents SET number = 2, symbol = 'KH-SGDĐT' WHERE id = 4`); err == nil {
		t.Fatal("a draft numbered outside the register")
	}
	if _, err := db.Exec(`INSERT INTO dispatches (document_id, sender_unit_id, kind, version_no, urgency, steering, created_by) VALUES (1, 1, 'issue', 1, 'thuong', 1, 1)`); err == nil {
		t.Fatal("the legacy numbered upload issued without its copy mark")
	}
	if _, err := db.Exec(`INSERT INTO dispatches (document_id, sender_unit_id, kind, version_no, urgency, steering, created_by) VALUES (3, 1, 'relay', 1, 'khan', 1, 1)`); err != nil {
		t.Fatalf("relaying the imported document: %v", err)
	}
}
