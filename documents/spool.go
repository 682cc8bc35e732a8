package documents

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hcm-edu/vanban/storage"
)

// spoolPrefix starts the name of every spool file (os.CreateTemp replaces
// the "*" of spoolPrefix+"*" with digits).
const spoolPrefix = "upload-"

// unlockedSpoolAge is how old a spool file must be before it is removed
// when the file system cannot say whether a process holds it (no flock).
const unlockedSpoolAge = 24 * time.Hour

// keylessUploadAge is how long an unfinished upload whose key the store
// cannot tell (so whose lock cannot be tried) is left alone.
const keylessUploadAge = time.Hour

// isSpoolName reports whether name is one of our spool files.
func isSpoolName(name string) bool {
	digits, ok := strings.CutPrefix(name, spoolPrefix)
	if !ok || digits == "" {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// sweepSpool removes the spool files in dir that no running process holds:
// those of uploads cut short by a crash. Spool holds an flock on its file
// for as long as the upload is open, and the kernel drops it when the
// process dies, however it dies. No age is needed: a file removed in the
// instant between its creation and its lock is still read and written
// through its descriptor, and no one opens a spool file by name. Only
// regular files named as Spool names them are touched.
func sweepSpool(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("documents: unable to sweep the spool folder: %w", err)
	}
	removed := 0
	var errs []error
	for _, e := range entries {
		if !e.Type().IsRegular() || !isSpoolName(e.Name()) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		held, err := spoolHeld(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			// No answer from flock: fall back on age alone.
			fi, serr := e.Info()
			if serr != nil || time.Since(fi.ModTime()) < unlockedSpoolAge {
				continue
			}
		} else if held {
			continue
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("documents: unable to sweep the spool folder: %w", err)
	}
	return removed, nil
}

// SweepDebris removes what processes killed mid-upload left behind: spool
// files no process holds (sweepSpool) and unfinished uploads into the store
// that no one is finishing (sweepIncomplete). It returns how many of each
// it removed. NewService sweeps the spool at start and SweepOrphans, run at
// start and then periodically, calls SweepDebris.
func (s *Service) SweepDebris(ctx context.Context) (files, uploads int, err error) {
	files, ferr := sweepSpool(s.spoolDir)
	uploads, uerr := s.sweepIncomplete(ctx)
	return files, uploads, errors.Join(ferr, uerr)
}

// sweepIncomplete aborts the uploads into the store that a killed process
// left unfinished. Every Put runs under the advisory lock of its key
// (lockObject), which PostgreSQL drops when the process's connection dies:
// an unfinished upload whose key lock is free has no one left to finish
// it, whatever its age and whichever instance started it. Uploads whose
// key the store cannot tell are aborted once keylessUploadAge old.
func (s *Service) sweepIncomplete(ctx context.Context) (int, error) {
	sw, ok := s.blobs.(storage.Sweeper)
	if !ok {
		return 0, nil
	}
	var us []storage.Incomplete
	if err := sw.Incomplete(ctx, func(u storage.Incomplete) error { us = append(us, u); return nil }); err != nil {
		return 0, fmt.Errorf("documents: unable to list unfinished uploads: %w", err)
	}
	aborted := 0
	for _, u := range us {
		if u.Key == "" {
			if time.Since(u.Started) < keylessUploadAge {
				continue
			}
			if err := sw.Abort(ctx, u); err != nil {
				return aborted, fmt.Errorf("documents: unable to abort an unfinished upload: %w", err)
			}
			aborted++
			continue
		}
		done, err := s.abortUnlocked(ctx, sw, u)
		if err != nil {
			return aborted, err
		}
		if done {
			aborted++
		}
	}
	return aborted, nil
}

// abortUnlocked aborts u if no one holds its key's lock, holding it
// meanwhile so that no Put of the key starts during the abort.
func (s *Service) abortUnlocked(ctx context.Context, sw storage.Sweeper, u storage.Incomplete) (bool, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("documents: unable to begin: %w", err)
	}
	defer tx.Rollback()
	var free bool
	if err := tx.GetContext(ctx, &free, `SELECT pg_try_advisory_xact_lock(72150, hashtext($1))`, u.Key); err != nil {
		return false, fmt.Errorf("documents: unable to lock object: %w", err)
	}
	if !free {
		return false, nil // being uploaded now
	}
	if err := sw.Abort(ctx, u); err != nil {
		return false, fmt.Errorf("documents: unable to abort the unfinished upload of %s: %w", u.Key, err)
	}
	return true, tx.Commit()
}
