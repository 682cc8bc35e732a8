package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hcm-edu/vanban/config"
	"github.com/hcm-edu/vanban/storage"
)

const objectsUsage = `usage:
  vanban objects export DIR   copy every object of the store (S3 or DATA_DIR) into DIR
  vanban objects import DIR   copy every object in DIR into the store

The backup and restore scripts use them (scripts/backup.sh, restore.sh).
DIR has the local store's layout (sha256/ab/abcd...). Export skips objects
already in DIR with the same size; import skips objects already stored.
Both check each object's SHA-256 against its key and report, and do not
copy, one that differs`

func objectsCmd(ctx context.Context, cfg *config.Config, args []string) error {
	if len(args) != 2 || (args[0] != "export" && args[0] != "import") {
		return errors.New(objectsUsage)
	}
	blobs, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	var copied, skipped int
	var bad []string
	if args[0] == "export" {
		copied, skipped, bad, err = exportObjects(ctx, blobs, args[1])
	} else {
		copied, skipped, bad, err = importObjects(ctx, blobs, args[1])
	}
	if err != nil {
		return err
	}
	fmt.Printf("%s: %d objects copied, %d already there, %d refused\n", args[0], copied, skipped, len(bad))
	if len(bad) > 0 {
		return fmt.Errorf("objects: %d object(s) with another SHA-256 than their key: %s", len(bad), strings.Join(bad, ", "))
	}
	return nil
}

// contentKey reports whether key names its content's SHA-256.
func contentKey(key string) (string, bool) {
	sum := key[strings.LastIndexByte(key, '/')+1:]
	k, err := storage.KeyFor(sum)
	return sum, err == nil && k == key
}

// exportObjects copies every object into dir, through a temporary file
// renamed into place once its SHA-256 is checked.
func exportObjects(ctx context.Context, blobs storage.Blobs, dir string) (copied, skipped int, bad []string, err error) {
	err = blobs.List(ctx, "", func(i storage.Info) error {
		dst := filepath.Join(dir, filepath.FromSlash(i.Key))
		if fi, err := os.Stat(dst); err == nil && fi.Size() == i.Size {
			skipped++
			return nil
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
			return err
		}
		rc, err := blobs.Open(ctx, i.Key, 0, -1)
		if err != nil {
			return err
		}
		defer rc.Close()
		f, err := os.CreateTemp(filepath.Dir(dst), ".part-*")
		if err != nil {
			return err
		}
		defer os.Remove(f.Name())
		h := sha256.New()
		_, err = io.Copy(io.MultiWriter(f, h), rc)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("objects: unable to export %s: %w", i.Key, err)
		}
		if sum, ok := contentKey(i.Key); ok && sum != hex.EncodeToString(h.Sum(nil)) {
			bad = append(bad, i.Key)
			return nil
		}
		if err := os.Rename(f.Name(), dst); err != nil {
			return err
		}
		copied++
		return nil
	})
	return copied, skipped, bad, err
}

// importObjects puts every file under dir into the store under its path.
func importObjects(ctx context.Context, blobs storage.Blobs, dir string) (copied, skipped int, bad []string, err error) {
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !d.Type().IsRegular() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if _, err := blobs.Stat(ctx, key); err == nil {
			skipped++
			return nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		if sum, ok := contentKey(key); ok {
			h := sha256.New()
			if _, err := io.Copy(h, f); err != nil {
				return err
			}
			if sum != hex.EncodeToString(h.Sum(nil)) {
				bad = append(bad, key)
				return nil
			}
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				return err
			}
		}
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		if err := blobs.Put(ctx, key, f, fi.Size()); err != nil {
			return err
		}
		copied++
		return nil
	})
	return copied, skipped, bad, err
}
