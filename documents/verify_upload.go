package documents

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/signing"
)

// VerificationFile is a PDF received only to be verified, spooled by
// SpoolVerification and not yet checked: nothing but VerifySpooled may
// read it, and that only in pdfguard workers.
type VerificationFile struct {
	f    *os.File
	size int64
}

// Close removes the spooled file.
func (v *VerificationFile) Close() error {
	if v == nil || v.f == nil {
		return nil
	}
	name := v.f.Name()
	v.f.Close()
	v.f = nil
	return os.Remove(name)
}

// SpoolVerification spools r, a PDF to verify, with Spool's checks of the
// file's name, size and emptiness, but neither hashes it (nothing is
// kept) nor checks it yet: VerifySpooled checks it while it verifies it.
func (s *Service) SpoolVerification(ctx context.Context, r io.Reader, fileName string) (*VerificationFile, error) {
	if _, err := CleanFileName(fileName); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(s.spoolDir, spoolPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("documents: unable to create spool file: %w", err)
	}
	lockSpool(f)
	v := &VerificationFile{f: f}
	// Writes of up to 256 KiB: io.Copy through a bufio.Writer hands the
	// file to os.File.ReadFrom, which writes 32 KiB at a time.
	n, err := io.CopyBuffer(struct{ io.Writer }{f}, io.LimitReader(&ctxReader{ctx, r}, s.maxBytes+1), make([]byte, 256<<10))
	switch {
	case err != nil && ctx.Err() != nil:
		err = ctx.Err()
	case err != nil:
		err = fmt.Errorf("%w: %v", ErrIncomplete, err)
	case n > s.maxBytes:
		err = ErrTooLarge
	case n == 0:
		err = &domain.ValidationError{Fields: map[string]string{"file": "tệp rỗng: hãy chọn tệp PDF của văn bản"}}
	}
	if err != nil {
		v.Close()
		return nil, err
	}
	v.size = n
	return v, nil
}

// VerifySpooled verifies a file SpoolVerification spooled, keeping
// nothing. It runs in one pdfguard worker, whose verification request
// makes the structural checks (Spool's check minus the packet reader's
// parse, which only a kept file needs) before signing.Verify, under the
// same limits: a hostile file gets the refusal it got at upload. Only a
// file with an owner password, which verifyGuarded opens with pdfcpu in
// this process, has Spool's whole check first.
func (s *Service) VerifySpooled(ctx context.Context, v *VerificationFile) (signing.Report, error) {
	head := make([]byte, 1024)
	n, _ := v.f.ReadAt(head, 0)
	if !bytes.Contains(head[:n], []byte("%PDF-")) {
		return signing.Report{}, ErrNotPDF
	}
	deps, err := s.signingDeps()
	if err != nil {
		return signing.Report{}, err
	}
	if v.size > deps.MaxBytes {
		return signing.Report{}, fmt.Errorf("%w: verification takes at most %d bytes", ErrTooLarge, deps.MaxBytes)
	}
	r, err := verifyFile(ctx, deps, v.f.Name())
	if errors.Is(err, ErrEncryptedPDF) || errors.Is(err, signing.ErrEncrypted) {
		if _, err := checkPDFInfo(ctx, v.f); err != nil {
			return signing.Report{}, err
		}
		r, err = verifyGuarded(ctx, deps, v.f.Name())
		return r, verifyError(err)
	}
	if err == nil && deps.Revocation != nil {
		// as verifyGuarded: the checker's cache lives in this process
		signing.CheckRevocation(ctx, &r, deps.Revocation)
	}
	return r, verifyError(err)
}
