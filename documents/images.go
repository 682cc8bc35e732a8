package documents

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/storage"
)

// SetSignatureImage keeps a new handwritten-signature image for p.
func (s *Service) SetSignatureImage(ctx context.Context, p auth.Principal, png []byte) error {
	if !CanSetSignatureImage(p) {
		return domain.ErrForbidden
	}
	return s.putImage(ctx, p, "signature", png)
}

// SetSealImage keeps a new seal image for p's unit; clerks and admins may.
func (s *Service) SetSealImage(ctx context.Context, p auth.Principal, png []byte) error {
	if !CanSetSealImage(p) {
		return domain.ErrForbidden
	}
	return s.putImage(ctx, p, "seal", png)
}

func (s *Service) putImage(ctx context.Context, p auth.Principal, kind string, png []byte) error {
	if err := signing.CheckSignatureImage(png); err != nil {
		return err
	}
	sum := sha256.Sum256(png)
	shaHex := hex.EncodeToString(sum[:])
	key, _ := storage.KeyFor(shaHex)
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("documents: unable to begin: %w", err)
	}
	defer tx.Rollback()
	if err := lockObject(ctx, tx, key); err != nil {
		return err
	}
	if err := s.blobs.Put(ctx, key, bytes.NewReader(png), int64(len(png))); err != nil {
		return fmt.Errorf("documents: unable to store image: %w", err)
	}
	var userID, unitID *int64
	if kind == "signature" {
		userID = &p.UserID
	} else {
		unitID = &p.UnitID
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO signature_images (kind, user_id, unit_id, object_key, sha256, created_by)
		VALUES ($1, $2, $3, $4, $5, $6)`, kind, userID, unitID, key, shaHex, p.UserID); err != nil {
		return fmt.Errorf("documents: unable to record image: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("documents: unable to commit: %w", err)
	}
	return nil
}

// HasImage reports whether a user (kind signature) or a unit (kind seal)
// has an image.
func (s *Service) HasImage(ctx context.Context, kind string, userID, unitID int64) (bool, error) {
	var ok bool
	err := s.db.GetContext(ctx, &ok, `
		SELECT EXISTS (SELECT 1 FROM signature_images WHERE kind = $1 AND (user_id = $2 OR unit_id = $3))`, kind, userID, unitID)
	return ok, err
}

func (s *Service) image(ctx context.Context, kind string, userID, unitID int64) ([]byte, error) {
	var key string
	err := s.db.GetContext(ctx, &key, `
		SELECT object_key FROM signature_images
		WHERE kind = $1 AND (user_id = $2 OR unit_id = $3)
		ORDER BY created_at DESC, id DESC LIMIT 1`, kind, userID, unitID)
	if errors.Is(err, sql.ErrNoRows) {
		if kind == "signature" {
			return nil, &domain.PreconditionError{Code: "no_signature_image", Message: "Bạn chưa tải lên ảnh chữ ký (PNG nền trong suốt); hãy tải lên trước khi ký"}
		}
		return nil, &domain.PreconditionError{Code: "no_seal_image", Message: "Đơn vị chưa có ảnh con dấu (PNG nền trong suốt); văn thư hãy tải lên trước khi ký số của cơ quan"}
	}
	if err != nil {
		return nil, fmt.Errorf("documents: unable to find image: %w", err)
	}
	if b, ok := images.get(key); ok {
		return b, nil
	}
	rc, err := s.blobs.Open(ctx, key, 0, -1)
	if err != nil {
		return nil, fmt.Errorf("documents: unable to open image: %w", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("documents: unable to read image: %w", err)
	}
	images.put(key, b)
	return b, nil
}

// imageCache keeps signature and seal images by object key. The key names
// the image's SHA-256 (storage.KeyFor), so what it names never changes: a
// new image is a new key, found by the query that picks the latest.
type imageCache struct {
	mu    sync.Mutex
	m     map[string][]byte
	bytes int
}

// imageCacheBytes bounds what imageCache holds; a signature image is tens
// of kilobytes.
const imageCacheBytes = 32 << 20

var images = &imageCache{m: map[string][]byte{}}

func (c *imageCache) get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.m[key]
	return b, ok
}

func (c *imageCache) put(key string, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bytes+len(b) > imageCacheBytes {
		clear(c.m)
		c.bytes = 0
	}
	if _, ok := c.m[key]; !ok {
		c.m[key] = b
		c.bytes += len(b)
	}
}
