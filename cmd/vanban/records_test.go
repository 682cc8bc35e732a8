package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/signing/signingtest"
	"github.com/hcm-edu/vanban/storage"
)

// vanban records export, verify and import: a file of one signed document
// goes out of one vanban and into another with nothing but its administrator.
func TestRecordsCommands(t *testing.T) {
	pki := signingtest.NewPKI(t)
	dir := t.TempDir()
	roots := filepath.Join(dir, "roots.pem")
	os.WriteFile(roots, pki.RootPEM(), 0o600)
	t.Setenv("S3_ENDPOINT", "")
	t.Setenv("LOG_LEVEL", "error")
	t.Setenv("TRUST_ROOTS_FILE", roots)

	db, dbURL := testenv.NewDB(t)
	data := t.TempDir()
	t.Setenv("DATABASE_URL", dbURL)
	t.Setenv("DATA_DIR", data)
	store, err := storage.NewLocal(filepath.Join(data, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := signing.Sign(context.Background(), testenv.PDF(4000, 9), signing.Options{Key: pki.Org, Reason: "Ban hành"})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(pdf)
	hexSum := hex.EncodeToString(sum[:])
	key, _ := storage.KeyFor(hexSum)
	if err := store.Put(context.Background(), key, bytes.NewReader(pdf), int64(len(pdf))); err != nil {
		t.Fatal(err)
	}
	var unit, user, doc, list, file int64
	db.Get(&unit, `INSERT INTO units (code, name, abbreviation, kind) VALUES ('000.00.00.G01', 'Sở Giáo dục và Đào tạo', 'SGDĐT', 'department') RETURNING id`)
	db.Get(&user, `INSERT INTO users (username, full_name, unit_id, roles, password_hash) VALUES ('vanthu', 'Văn thư', $1, '{clerk}', 'x') RETURNING id`, unit)
	if err := db.Get(&doc, `INSERT INTO documents (unit_id, doc_type, title, doc_date, urgency, confidentiality, status, created_by, origin)
		VALUES ($1, 'Công văn', 'Về việc tuyển sinh', '2026-01-02', 'thuong', 'thuong', 'signed', $2, 'received_paper') RETURNING id`, unit, user); err != nil {
		t.Fatal(err)
	}
	db.MustExec(`INSERT INTO document_versions (document_id, version_no, object_key, sha256, size_bytes, media_type, file_name, created_by)
		VALUES ($1, 1, $2, $3, $4, 'application/pdf', 'Tuyển sinh.pdf', $5)`, doc, key, hexSum, len(pdf), user)
	db.Get(&list, `INSERT INTO file_lists (unit_id, year, created_by) VALUES ($1, 2026, $2) RETURNING id`, unit, user)
	db.Get(&file, `INSERT INTO files (unit_id, list_id, code, title, state) VALUES ($1, $2, '05.TS', 'Hồ sơ tuyển sinh', 'closed') RETURNING id`, unit, list)
	db.MustExec(`INSERT INTO file_items (file_id, seq, document_id, added_by) VALUES ($1, 1, $2, $3)`, file, doc, user)

	pkg := filepath.Join(dir, "hoso.zip")
	out, err := capture(t, "records", "export", "--file", "999", "--out", pkg)
	if err == nil {
		t.Fatalf("export of a file that is not there: %q", out)
	}
	out, err = capture(t, "records", "export", "--file", strconv.FormatInt(file, 10), "--out", pkg)
	if err != nil || !strings.Contains(out, "Exported file 05.TS") || !strings.Contains(out, "1 văn bản / documents") {
		t.Fatalf("export: %q, %v", out, err)
	}
	t.Setenv("DATABASE_URL", "")
	out, err = capture(t, "records", "verify", pkg, "--trust", roots)
	if err != nil || !strings.Contains(out, "1, hợp lệ / valid") || !strings.Contains(out, "The package is valid") {
		t.Fatalf("verify: %q, %v", out, err)
	}
	if out, err = capture(t, "records", "verify", pkg); err == nil || !strings.Contains(err.Error(), "do not verify") {
		t.Fatalf("verify without the roots: %q, %v", out, err)
	}

	db2, db2URL := testenv.NewDB(t)
	t.Setenv("DATABASE_URL", db2URL)
	t.Setenv("DATA_DIR", t.TempDir())
	db2.MustExec(`INSERT INTO units (code, name, abbreviation, kind) VALUES ('QT', 'Quản trị', 'QT', 'office')`)
	db2.MustExec(`INSERT INTO users (username, full_name, unit_id, roles, password_hash) VALUES ('admin', 'Quản trị', 1, '{admin}', 'x')`)
	if _, err := capture(t, "records", "import", pkg); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Fatalf("import without --as: %v", err)
	}
	out, err = capture(t, "records", "import", "--as", "admin", pkg)
	if err != nil || !strings.Contains(out, "Imported as file") || !strings.Contains(out, "Về việc tuyển sinh") {
		t.Fatalf("import: %q, %v", out, err)
	}
	t.Log(out)
	var got string
	if err := db2.Get(&got, `SELECT v.sha256 FROM file_items i JOIN document_versions v ON v.document_id = i.document_id`); err != nil || got != hexSum {
		t.Fatalf("imported version %s, %v; want %s", got, err, hexSum)
	}
}
