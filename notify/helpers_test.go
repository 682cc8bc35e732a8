package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/jmoiron/sqlx"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// newDB returns a fresh database with one unit.
func newDB(t *testing.T) *sqlx.DB {
	t.Helper()
	db, _ := testenv.NewDB(t)
	if _, err := db.Exec(`INSERT INTO units (code, name, abbreviation, kind) VALUES ('000.00.00.G01', 'Sở Giáo dục và Đào tạo', 'SGDĐT', 'department')`); err != nil {
		t.Fatal(err)
	}
	return db
}

// addUser adds a user of the one unit and returns its id.
func addUser(t *testing.T, db *sqlx.DB, email string, disabled bool) int64 {
	t.Helper()
	var id int64
	err := db.Get(&id, `
INSERT INTO users (username, full_name, email, unit_id, password_hash, disabled)
VALUES ('u' || $1, 'Nguyễn Thị Minh Khai', $2, (SELECT min(id) FROM units), 'x', $3) RETURNING id`,
		randHex(6), email, disabled)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

type jobRow struct {
	ID          int64     `db:"id"`
	Kind        string    `db:"kind"`
	State       string    `db:"state"`
	Attempts    int       `db:"attempts"`
	MaxAttempts int       `db:"max_attempts"`
	RunAt       time.Time `db:"run_at"`
	LastError   string    `db:"last_error"`
	Payload     string    `db:"payload"`
}

func jobs(t *testing.T, db *sqlx.DB) []jobRow {
	t.Helper()
	var rows []jobRow
	if err := db.Select(&rows, `SELECT id, kind, state, attempts, max_attempts, run_at, last_error, payload::text AS payload FROM jobs ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	return rows
}

func count(t *testing.T, db *sqlx.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Get(&n, query, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

// makeDue moves every queued job's next attempt to now, instead of waiting
// out the back-off.
func makeDue(t *testing.T, db *sqlx.DB) {
	t.Helper()
	if _, err := db.Exec(`UPDATE jobs SET run_at = now() WHERE state = 'queued'`); err != nil {
		t.Fatal(err)
	}
}

func runOnce(t *testing.T, w *Worker) int {
	t.Helper()
	n, err := w.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}
