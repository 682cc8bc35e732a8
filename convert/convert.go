// Package convert turns Word and LibreOffice files (DOCX, DOC, ODT) into
// PDF with a small pool of headless LibreOffice workers: bounded in time,
// memory and number, without network, macros or external links.
package convert

import (
	"context"
	"errors"
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
	cfg Config
}

// New starts the pool. It returns ErrUnavailable when LibreOffice cannot be
// found or started.
func New(cfg Config) (*Converter, error) {
	return nil, ErrUnavailable
}

// Kind tells whether fileName (by extension) and head (the file's first
// bytes) name a file the converter takes: "docx", "doc" or "odt".
func Kind(fileName string, head []byte) (string, bool) {
	return "", false
}

// ToPDF converts in (named fileName, whose extension gives its kind) to PDF.
func (c *Converter) ToPDF(ctx context.Context, in []byte, fileName string) ([]byte, error) {
	return nil, ErrUnavailable
}

// ToText returns the plain text of in (an office file), one paragraph a
// line, for showing what changed between revisions.
func (c *Converter) ToText(ctx context.Context, in []byte, fileName string) (string, error) {
	return "", ErrUnavailable
}

// Close stops the workers.
func (c *Converter) Close() error { return nil }
