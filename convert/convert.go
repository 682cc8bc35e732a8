// Package convert turns Word and LibreOffice files (DOCX, DOC, ODT) into
// PDF with a small pool of headless LibreOffice workers: bounded in time,
// memory and number, without network, macros or external links.
package convert

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

var (
	// ErrUnavailable: no converter runs (LibreOffice missing or dead). The
	// HTTP layer answers 503; the caller keeps the upload for a retry.
	ErrUnavailable = errors.New("convert: the converter is not available")
	// ErrTimeout: the conversion took longer than the limit and was killed.
	ErrTimeout = errors.New("convert: the conversion took too long")
)

// BadFileError is a file refused before or during conversion: corrupt,
// encrypted, macro-enabled, a zip bomb. Reason says in Vietnamese what to
// fix.
type BadFileError struct {
	Code   string // corrupt, encrypted, macros, too_large, unsupported
	Reason string
}

func (e *BadFileError) Error() string { return "convert: " + e.Code + ": " + e.Reason }

// Config is the pool's configuration.
type Config struct {
	Soffice     string        // the soffice binary; "" finds it on PATH
	Workers     int           // converter processes; 0 means 2
	Timeout     time.Duration // per conversion; 0 means 60 s
	MemoryLimit int64         // bytes of address space per worker; 0 means 2 GiB
	WorkDir     string        // profiles and scratch files; "" means a temporary folder
}

// Converter is a pool of LibreOffice workers. It is safe for concurrent use.
type Converter struct {
	cfg     Config
	python  string
	bridge  string // the bridge script, written into the work folder
	tempDir bool   // WorkDir was made by New and goes with Close

	idle      chan *worker // workers free to take a conversion
	workers   []*worker
	closing   chan struct{}
	closeOnce sync.Once
	restarts  sync.WaitGroup
}

// startTimeout bounds a worker's start, first profile creation included.
const startTimeout = 90 * time.Second

// New starts the pool. It returns ErrUnavailable when LibreOffice cannot be
// found or started.
func New(cfg Config) (*Converter, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.MemoryLimit <= 0 {
		cfg.MemoryLimit = 2 << 30
	}
	if cfg.Soffice == "" {
		cfg.Soffice = "soffice"
	}
	soffice, err := exec.LookPath(cfg.Soffice)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	cfg.Soffice = soffice
	python, err := findPython()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	c := &Converter{cfg: cfg, python: python, closing: make(chan struct{}), idle: make(chan *worker, cfg.Workers)}
	if c.cfg.WorkDir == "" {
		d, err := os.MkdirTemp("", "vanban-convert-")
		if err != nil {
			return nil, fmt.Errorf("convert: unable to make a work folder: %v", err)
		}
		c.cfg.WorkDir, c.tempDir = d, true
	} else if err := os.MkdirAll(c.cfg.WorkDir, 0o700); err != nil {
		return nil, fmt.Errorf("convert: unable to make the work folder: %v", err)
	}
	c.bridge = c.cfg.WorkDir + "/bridge.py"
	if err := os.WriteFile(c.bridge, bridgeScript, 0o600); err != nil {
		c.removeWorkDir()
		return nil, fmt.Errorf("convert: unable to write the bridge: %v", err)
	}

	// Start the workers side by side: each makes its profile on first start.
	errs := make([]error, cfg.Workers)
	var wg sync.WaitGroup
	for i := range cfg.Workers {
		w := &worker{c: c, id: i}
		c.workers = append(c.workers, w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = w.start()
		}()
	}
	wg.Wait()
	started := 0
	var firstErr error
	for i, w := range c.workers {
		if errs[i] == nil {
			started++
		} else if firstErr == nil {
			firstErr = errs[i]
		}
		c.idle <- w // a worker that failed to start is retried when taken
	}
	if started == 0 {
		c.Close()
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, firstErr)
	}
	return c, nil
}

// findPython finds the system Python that has the uno module of
// python3-uno (a Python of its own on PATH, like pyenv's, lacks it).
func findPython() (string, error) {
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(p)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import uno").Run() == nil {
			return path, nil
		}
	}
	return "", errors.New("no python3 with the uno module (Debian package python3-uno)")
}

// Kind tells whether fileName (by extension) and head (the file's first
// bytes) name a file the converter takes: "docx", "doc" or "odt". A .docx
// may also be an OLE2 container: Word's encrypted DOCX, which ToPDF refuses
// with the code "encrypted".
func Kind(fileName string, head []byte) (string, bool) {
	kind := extension(fileName)
	switch {
	case kind == "docx" && (isZip(head) || isOLE2(head)),
		kind == "odt" && isZip(head),
		kind == "doc" && isOLE2(head):
		return kind, true
	}
	return "", false
}

// ToPDF converts in (named fileName, whose extension gives its kind) to PDF.
//
// It returns a *BadFileError for a file refused before or during
// conversion, ErrTimeout when the conversion was killed at the time limit,
// ErrUnavailable when no worker can be started, and ctx's error when ctx
// ends first.
func (c *Converter) ToPDF(ctx context.Context, in []byte, fileName string) ([]byte, error) {
	return c.convert(ctx, in, fileName, "writer_pdf_Export", "", ".pdf")
}

// ToText returns the plain text of in (an office file), one paragraph a
// line, for showing what changed between revisions. Its errors are those
// of ToPDF.
func (c *Converter) ToText(ctx context.Context, in []byte, fileName string) (string, error) {
	b, err := c.convert(ctx, in, fileName, "Text (encoded)", "UTF8,LF", ".txt")
	if err != nil {
		return "", err
	}
	s := strings.TrimPrefix(string(b), "\ufeff")
	return strings.ReplaceAll(s, "\r\n", "\n"), nil
}

func (c *Converter) convert(ctx context.Context, in []byte, fileName, filter, options, ext string) ([]byte, error) {
	kind, clean, err := check(in, fileName)
	if err != nil {
		return nil, err
	}
	var w *worker
	select {
	case w = <-c.idle:
	case <-c.closing:
		return nil, ErrUnavailable
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case <-c.closing:
		c.idle <- w
		return nil, ErrUnavailable
	default:
	}
	out, err, keep := w.convert(ctx, clean, kind, filter, options, ext)
	if keep {
		c.idle <- w
	}
	return out, err
}

// Close stops the workers, after the conversions under way (each bounded
// by the timeout). ToPDF and ToText then return ErrUnavailable.
func (c *Converter) Close() error {
	c.closeOnce.Do(func() {
		close(c.closing)
		for range c.workers { // each comes back from its conversion or restart
			w := <-c.idle
			w.stop()
		}
		c.restarts.Wait()
		c.removeWorkDir()
	})
	return nil
}

func (c *Converter) removeWorkDir() {
	if c.tempDir {
		os.RemoveAll(c.cfg.WorkDir)
	}
}
