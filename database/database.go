// Package database opens PostgreSQL and keeps its schema: an append-only
// list of migrations, each applied in one transaction.
package database

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // PostgreSQL driver
)

// ErrOldSchema is returned by CheckSchema when migrations are pending.
var ErrOldSchema = errors.New("database: schema is older than this binary")

// Open connects to PostgreSQL and checks that it answers.
func Open(ctx context.Context, url string, maxConns int) (*sqlx.DB, error) {
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		return nil, fmt.Errorf("database: unable to open: %v", err)
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("database: unable to reach PostgreSQL: %v", err)
	}
	return db, nil
}

// Version returns the schema version recorded in the database (0 if none).
func Version(ctx context.Context, db *sqlx.DB) (int, error) {
	var exists bool
	if err := db.GetContext(ctx, &exists, `SELECT to_regclass('schema_version') IS NOT NULL`); err != nil {
		return 0, fmt.Errorf("database: unable to read schema version: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var v int
	err := db.GetContext(ctx, &v, `SELECT version FROM schema_version`)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("database: unable to read schema version: %w", err)
	}
	return v, nil
}

// Latest is the schema version this binary expects.
func Latest() int { return len(migrations) }

// CheckSchema returns ErrOldSchema unless every migration has been applied.
func CheckSchema(ctx context.Context, db *sqlx.DB) error {
	v, err := Version(ctx, db)
	if err != nil {
		return err
	}
	switch {
	case v < Latest():
		return fmt.Errorf("%w: database is at version %d, this binary needs %d; run `vanban migrate` (or `vanban serve --migrate`)", ErrOldSchema, v, Latest())
	case v > Latest():
		return fmt.Errorf("database: schema version %d is newer than this binary (%d); upgrade the binary", v, Latest())
	}
	return nil
}

// migrationLock is the advisory lock key that serialises migrations when
// several instances start at once.
const migrationLock = 7215001

// Migrate applies every pending migration, each in its own transaction, and
// returns the versions applied.
func Migrate(ctx context.Context, db *sqlx.DB) ([]int, error) {
	conn, err := db.Connx(ctx)
	if err != nil {
		return nil, fmt.Errorf("database: unable to connect: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return nil, fmt.Errorf("database: unable to take migration lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock) //nolint:errcheck

	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)`); err != nil {
		return nil, fmt.Errorf("database: unable to create schema_version: %w", err)
	}
	var applied []int
	for {
		var v int
		err := conn.GetContext(ctx, &v, `SELECT version FROM schema_version`)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return applied, fmt.Errorf("database: unable to read schema version: %w", err)
		}
		if v >= len(migrations) {
			return applied, nil
		}
		tx, err := conn.BeginTxx(ctx, nil)
		if err != nil {
			return applied, fmt.Errorf("database: unable to begin migration %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			tx.Rollback()
			return applied, fmt.Errorf("database: migration %d failed: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM schema_version`); err != nil {
			tx.Rollback()
			return applied, fmt.Errorf("database: unable to record migration %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES ($1)`, v+1); err != nil {
			tx.Rollback()
			return applied, fmt.Errorf("database: unable to record migration %d: %w", v+1, err)
		}
		if err := tx.Commit(); err != nil {
			return applied, fmt.Errorf("database: unable to commit migration %d: %w", v+1, err)
		}
		applied = append(applied, v+1)
	}
}

// Fingerprint identifies the migration list (tests key template databases by it).
func Fingerprint() string {
	h := sha256.New()
	for _, m := range migrations {
		h.Write([]byte(m))
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}
