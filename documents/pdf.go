package documents

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/digitorus/pdf"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/pdfguard"
)

// checkPDF reports whether the spooled file f is a whole PDF that parses:
// the header, the trailer and cross-reference table, and every page of the
// page tree, read both by the reader that signs and by the one that builds
// meeting packets. The parse runs in a pdfguard worker, under limits on
// time and memory, after structural checks that refuse hostile files
// (page-tree cycles, decompression bombs, absurd declared sizes).
func checkPDF(ctx context.Context, f *os.File) (pages int, err error) {
	info, err := checkPDFInfo(ctx, f)
	return info.Pages, err
}

// checkPDFInfo is checkPDF, also telling a file with only an owner
// password (Info.Restricted), which opens without one.
func checkPDFInfo(ctx context.Context, f *os.File) (pdfguard.Info, error) {
	head := make([]byte, 1024)
	n, _ := f.ReadAt(head, 0)
	if !bytes.Contains(head[:n], []byte("%PDF-")) {
		return pdfguard.Info{}, ErrNotPDF
	}
	info, err := pdfguard.Default().Check(ctx, f.Name())
	var ge *pdfguard.Error
	switch {
	case err == nil:
		return info, nil
	case !errors.As(err, &ge):
		return pdfguard.Info{}, err
	case ge.Code == pdfguard.CodeNotPDF:
		return pdfguard.Info{}, ErrNotPDF
	case ge.Code == pdfguard.CodeEncrypted:
		return pdfguard.Info{}, ErrEncryptedPDF
	case ge.Code == pdfguard.CodeBroken:
		return pdfguard.Info{}, fmt.Errorf("%w: %s", ErrBadPDF, ge.Detail)
	}
	// A limit: still a bad PDF, and the *pdfguard.Error says which.
	return pdfguard.Info{}, fmt.Errorf("%w: %w", ErrBadPDF, ge)
}

// restrictedMessage refuses, for a document that will be signed, a file
// with only an owner password: it opens, but a signature (an incremental
// update) cannot be added to an encrypted file and leave it intact.
const restrictedMessage = "Tệp có mật khẩu chủ sở hữu (hạn chế quyền): xem được nhưng không ký số được mà vẫn giữ nguyên tệp; " +
	"hãy lưu lại bản không mã hóa (không đặt mật khẩu, không hạn chế quyền) rồi tải lên"

// encryptedPDF reports whether in is an encrypted PDF that opens without
// a password (one that does not open never passed the upload's check).
func encryptedPDF(in []byte) (enc bool) {
	defer func() {
		if recover() != nil {
			enc = false
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(in), int64(len(in)))
	return err == nil && !r.Trailer().Key("Encrypt").IsNull()
}

// signable refuses an upload that a signature could not keep intact.
func (u *Upload) signable() error {
	if u != nil && u.Restricted {
		return &domain.ValidationError{Fields: map[string]string{"file": restrictedMessage}}
	}
	return nil
}
