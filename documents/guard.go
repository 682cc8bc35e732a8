package documents

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/hcm-edu/vanban/internal/pdfguard"
	"github.com/hcm-edu/vanban/signing"
)

// guardError maps a refusal of the pdfguard worker to the package's errors:
// ErrNotPDF, ErrEncryptedPDF, or ErrBadPDF wrapping the *pdfguard.Error
// when a limit refused the file (so that its code and message reach the
// client). Other errors are the service's and pass unchanged.
func guardError(err error) error {
	var ge *pdfguard.Error
	switch {
	case err == nil || !errors.As(err, &ge):
		return err
	case ge.Code == pdfguard.CodeNotPDF:
		return ErrNotPDF
	case ge.Code == pdfguard.CodeEncrypted:
		return ErrEncryptedPDF
	case ge.Code == pdfguard.CodeBroken:
		return fmt.Errorf("%w: %s", ErrBadPDF, ge.Detail)
	}
	return fmt.Errorf("%w: %w", ErrBadPDF, ge)
}

// verifyFile verifies the PDF at path in a pdfguard worker with deps'
// roots: the verification parses bytes from outside.
func verifyFile(ctx context.Context, deps *SigningDeps, path string) (signing.Report, error) {
	r, err := pdfguard.Default().Verify(ctx, path, deps.RootCerts, deps.Roots == nil)
	return r, guardError(err)
}

// tempFile writes r to a new file in dir (the spool folder, or the
// system's temporary folder when empty) for a worker to read; remove
// deletes it.
func tempFile(dir string, r io.Reader) (path string, remove func(), err error) {
	prefix := spoolPrefix + "*"
	if dir == "" {
		prefix = "vanban-guard-*.pdf"
	}
	f, err := os.CreateTemp(dir, prefix)
	if err != nil {
		return "", nil, fmt.Errorf("documents: unable to create spool file: %w", err)
	}
	if dir != "" {
		lockSpool(f)
	}
	remove = func() {
		f.Close()
		os.Remove(f.Name())
	}
	if _, err := io.Copy(f, r); err != nil {
		remove()
		return "", nil, fmt.Errorf("documents: unable to write spool file: %w", err)
	}
	return f.Name(), remove, nil
}

// checkBytes runs the whole check of pdfguard on in, held in memory, so
// that what parses it in this process afterwards (pdfsign, placement)
// only ever parses a file proven to parse within limits.
func (s *Service) checkBytes(ctx context.Context, in []byte) error {
	path, remove, err := tempFile(s.spoolDir, bytes.NewReader(in))
	if err != nil {
		return err
	}
	defer remove()
	_, err = pdfguard.Default().Check(ctx, path)
	return guardError(err)
}

// guardPassed holds the SHA-256 of files that passed the guard's check in
// this process: uploads as they are spooled, versions as they are checked
// for signing. A version read back for signing with one of those hashes
// is the same bytes (readChecked compares them with the recorded hash),
// and a second round trip to a worker would learn nothing; anything else
// (a version stored by another path, or before this process started) is
// checked. Bounded: a miss costs only the check.
var guardPassed = newHashSet(1 << 16)

// signerBlocks keeps the signer block found in a file, by its SHA-256:
// the placement of a signature asks for the block of the bytes just read.
var signerBlocks = struct {
	sync.Mutex
	m map[[32]byte]signerBlockResult
}{m: map[[32]byte]signerBlockResult{}}

type signerBlockResult struct {
	page        int
	top, bottom textLine
	ok          bool
}

// hashSet is a set of hex SHA-256s that forgets the oldest past max.
type hashSet struct {
	mu    sync.Mutex
	max   int
	m     map[string]struct{}
	order []string
}

func newHashSet(max int) *hashSet { return &hashSet{max: max, m: map[string]struct{}{}} }

func (h *hashSet) has(k string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.m[k]
	return ok
}

func (h *hashSet) add(k string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.m[k]; ok || k == "" {
		return
	}
	if len(h.order) >= h.max {
		delete(h.m, h.order[0])
		h.order = h.order[1:]
	}
	h.m[k] = struct{}{}
	h.order = append(h.order, k)
}

// checkVersion is checkBytes for a version's bytes whose SHA-256 (hex) was
// just compared with the recorded one: skipped when those bytes passed.
func (s *Service) checkVersion(ctx context.Context, in []byte, sha string) error {
	if guardPassed.has(sha) {
		return nil
	}
	if err := s.checkBytes(ctx, in); err != nil {
		return err
	}
	guardPassed.add(sha)
	return nil
}

// guardedSignerBlock is signerBlock run in a pdfguard worker: the search
// interprets the last page's content stream, which the check does not
// read. Any failure means no signer block, and the default placement.
func guardedSignerBlock(in []byte) (page int, top, bottom textLine, ok bool) {
	key := sha256.Sum256(in)
	signerBlocks.Lock()
	r, hit := signerBlocks.m[key]
	signerBlocks.Unlock()
	if hit {
		return r.page, r.top, r.bottom, r.ok
	}
	page, top, bottom, ok = findSignerBlock(in)
	signerBlocks.Lock()
	if len(signerBlocks.m) >= 4096 {
		clear(signerBlocks.m)
	}
	signerBlocks.m[key] = signerBlockResult{page, top, bottom, ok}
	signerBlocks.Unlock()
	return page, top, bottom, ok
}

func findSignerBlock(in []byte) (page int, top, bottom textLine, ok bool) {
	path, remove, err := tempFile("", bytes.NewReader(in))
	if err != nil {
		return 0, top, bottom, false
	}
	defer remove()
	sb, err := pdfguard.Default().SignerBlock(context.Background(), path)
	if err != nil || !sb.Found {
		return 0, top, bottom, false
	}
	line := func(l pdfguard.TextLine) textLine { return textLine{x0: l.X0, x1: l.X1, y: l.Y} }
	return sb.Page, line(sb.Top), line(sb.Bottom), true
}

// AddRoot trusts c too, for verification in this process and in workers.
// Not safe while verifications run: for setting up.
func (s *Service) AddRoot(c *x509.Certificate) {
	if s.sign == nil {
		return
	}
	if s.sign.Roots == nil {
		s.sign.Roots = x509.NewCertPool()
	}
	s.sign.Roots.AddCert(c)
	s.sign.RootCerts = append(s.sign.RootCerts, c)
}
