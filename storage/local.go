package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

const (
	tmpDirName = ".tmp"
	copyBufLen = 256 << 10
)

// Local keeps objects as files under a directory, written atomically.
type Local struct {
	dir string
	tmp string
}

var _ Blobs = (*Local)(nil)

// NewLocal returns a store rooted at dir, creating it if missing.
func NewLocal(dir string) (*Local, error) {
	if dir == "" {
		return nil, errors.New("storage: unable to use local store: no directory given")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("storage: unable to use local store %s: %w", dir, err)
	}
	l := &Local{dir: abs, tmp: filepath.Join(abs, tmpDirName)}
	if err := os.MkdirAll(l.tmp, 0o750); err != nil {
		return nil, fmt.Errorf("storage: unable to create local store: %w", err)
	}
	return l, nil
}

func (l *Local) path(key string) string {
	return filepath.Join(l.dir, filepath.FromSlash(key))
}

// Put writes to a temporary file, syncs it and renames it into place, so a
// reader sees the whole object or nothing.
func (l *Local) Put(ctx context.Context, key string, r io.Reader, size int64) (err error) {
	if err := checkKey(key); err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("storage: unable to store %s: negative size %d", key, size)
	}
	final := l.path(key)
	if fi, err := os.Lstat(final); err == nil {
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("storage: unable to store %s: %s is not a regular file", key, final)
		}
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("storage: unable to store %s: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("storage: unable to store %s: %w", key, err)
	}

	f, err := os.CreateTemp(l.tmp, tempPattern(key))
	if err != nil {
		return fmt.Errorf("storage: unable to store %s: %w", key, err)
	}
	tmpName := f.Name()
	defer func() {
		if f != nil {
			f.Close()
		}
		if err != nil {
			os.Remove(tmpName)
		}
	}()

	buf := make([]byte, copyBufLen)
	er := newExactReader(ctx, r, size)
	// writerOnly hides (*os.File).ReadFrom so the fixed buffer is used.
	if _, err := io.CopyBuffer(writerOnly{f}, er, buf); err != nil {
		return fmt.Errorf("storage: unable to store %s: %w", key, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("storage: unable to store %s: %w", key, err)
	}
	cerr := f.Close()
	f = nil
	if cerr != nil {
		return fmt.Errorf("storage: unable to store %s: %w", key, cerr)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("storage: unable to store %s: %w", key, err)
	}
	parent := filepath.Dir(final)
	if err := os.MkdirAll(parent, 0o750); err != nil {
		return fmt.Errorf("storage: unable to store %s: %w", key, err)
	}
	if err := os.Rename(tmpName, final); err != nil {
		return fmt.Errorf("storage: unable to store %s: %w", key, err)
	}
	if err := syncDir(parent); err != nil {
		// The object is in place; only its durability is in doubt.
		return fmt.Errorf("storage: unable to sync directory of %s: %w", key, err)
	}
	return nil
}

type writerOnly struct{ io.Writer }

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Open reads length bytes from offset; length < 0 means to the end.
func (l *Local) Open(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, fmt.Errorf("storage: unable to open %s: negative offset %d", key, offset)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("storage: unable to open %s: %w", key, err)
	}
	f, err := os.Open(l.path(key))
	if err != nil {
		return nil, fmt.Errorf("storage: unable to open %s: %w", key, fixNotExist(err))
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("storage: unable to open %s: %w", key, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("storage: unable to open %s: %w", key, ErrNotExist)
	}
	n := max(fi.Size()-offset, 0)
	if length >= 0 && length < n {
		n = length
	}
	return &sectionFile{SectionReader: io.NewSectionReader(f, offset, n), f: f}, nil
}

// fixNotExist reports a path through a file (ENOTDIR) as missing.
func fixNotExist(err error) error {
	if errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%w (%v)", ErrNotExist, err)
	}
	return err
}

type sectionFile struct {
	*io.SectionReader
	f *os.File
}

func (s *sectionFile) Close() error { return s.f.Close() }

// Stat describes the object, or returns ErrNotExist.
func (l *Local) Stat(ctx context.Context, key string) (Info, error) {
	if err := checkKey(key); err != nil {
		return Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return Info{}, fmt.Errorf("storage: unable to stat %s: %w", key, err)
	}
	fi, err := os.Stat(l.path(key))
	if err != nil {
		return Info{}, fmt.Errorf("storage: unable to stat %s: %w", key, fixNotExist(err))
	}
	if !fi.Mode().IsRegular() {
		return Info{}, fmt.Errorf("storage: unable to stat %s: %w", key, ErrNotExist)
	}
	return Info{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Delete removes the object; a missing object is not an error.
func (l *Local) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("storage: unable to delete %s: %w", key, err)
	}
	p := l.path(key)
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("storage: unable to delete %s: %w", key, err)
	}
	if !fi.Mode().IsRegular() {
		return nil
	}
	if lockedFile(fi) {
		return fmt.Errorf("%w: unable to delete %s", ErrLocked, key)
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("storage: unable to delete %s: %w", key, err)
	}
	return nil
}

// List calls fn for every object whose key starts with prefix.
func (l *Local) List(ctx context.Context, prefix string, fn func(Info) error) error {
	if err := checkPrefix(prefix); err != nil {
		return err
	}
	// Walk only the deepest directory the prefix names.
	root := l.dir
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		root = l.path(prefix[:i])
	}
	var fnErr error
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(l.dir, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if d.IsDir() {
			if p == root {
				return nil
			}
			if key == tmpDirName || !couldHold(key+"/", prefix) {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !strings.HasPrefix(key, prefix) || checkKey(key) != nil {
			return nil
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted while listing
		}
		if err != nil {
			return err
		}
		fnErr = fn(Info{Key: key, Size: fi.Size(), ModTime: fi.ModTime()})
		return fnErr
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("storage: unable to list %q: %w", prefix, err)
	}
	return nil
}

// couldHold reports whether keys under dir (ending in "/") can start with prefix.
func couldHold(dir, prefix string) bool {
	return strings.HasPrefix(dir, prefix) || strings.HasPrefix(prefix, dir)
}

// Ping checks that the directory exists and is writable.
func (l *Local) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("storage: unable to ping local store: %w", err)
	}
	f, err := os.CreateTemp(l.tmp, "ping-*")
	if err != nil {
		return fmt.Errorf("%w: unable to write to %s: %w", ErrUnavailable, l.dir, err)
	}
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("%w: unable to write to %s: %w", ErrUnavailable, l.dir, err)
	}
	return nil
}

// SweepTemp removes temporary files older than olderThan, left behind by a
// crash during Put.
func (l *Local) SweepTemp(olderThan time.Duration) error {
	entries, err := os.ReadDir(l.tmp)
	if err != nil {
		return fmt.Errorf("storage: unable to sweep %s: %w", l.tmp, err)
	}
	cutoff := time.Now().Add(-olderThan)
	var errs []error
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		if fi.IsDir() || !fi.ModTime().Before(cutoff) {
			continue
		}
		if err := os.Remove(filepath.Join(l.tmp, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("storage: unable to sweep %s: %w", l.tmp, err)
	}
	return nil
}
