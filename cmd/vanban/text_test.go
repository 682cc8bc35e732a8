package main

import (
	"strings"
	"testing"

	"github.com/hcm-edu/vanban/internal/testenv"
)

// vanban text reindex queues the documents without text, or all of them.
func TestTextReindex(t *testing.T) {
	db, dbURL := testenv.NewDB(t)
	t.Setenv("DATABASE_URL", dbURL)
	t.Setenv("DATA_DIR", t.TempDir())
	t.Setenv("LOG_LEVEL", "error")
	var unit, user, doc int64
	db.Get(&unit, `INSERT INTO units (code, name, abbreviation, kind) VALUES ('000.00.00.G01', 'Sở Giáo dục và Đào tạo', 'SGDĐT', 'department') RETURNING id`)
	db.Get(&user, `INSERT INTO users (username, full_name, unit_id, roles, password_hash) VALUES ('vanthu', 'Văn thư', $1, '{clerk}', 'x') RETURNING id`, unit)
	if err := db.Get(&doc, `INSERT INTO documents (unit_id, doc_type, title, doc_date, urgency, confidentiality, status, created_by) VALUES ($1, 'KH', 'Kế hoạch', '2026-01-02', 'thuong', 'thuong', 'draft', $2) RETURNING id`, unit, user); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO document_versions (document_id, version_no, object_key, sha256, size_bytes, media_type, file_name, created_by)
		VALUES ($1, 1, 'k', repeat('a', 64), 10, 'application/pdf', 'a.pdf', $2)`, doc, user); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"text", "reindex"}, "of 1 documents"},
		{[]string{"text", "reindex", "--missing"}, "of 0 documents"},
		{[]string{"text", "reindex", "--all"}, "of 1 documents"},
	} {
		out, err := capture(t, c.args...)
		if err != nil || !strings.Contains(out, c.want) {
			t.Fatalf("%v: %q, %v; want %q", c.args, out, err, c.want)
		}
	}
	var jobs int
	if err := db.Get(&jobs, `SELECT count(*) FROM jobs WHERE kind = 'documents.text'`); err != nil || jobs != 2 {
		t.Fatalf("%d text jobs, %v; want 2", jobs, err)
	}
	if _, err := capture(t, "text", "reindex", "--some"); err == nil || !strings.Contains(err.Error(), "usage: vanban text reindex") {
		t.Fatalf("bad flag: %v", err)
	}
}
