package documents

import (
	"bytes"
	"context"
	"errors"
	"os"

	"github.com/digitorus/pdf"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/pdfguard"
	"github.com/hcm-edu/vanban/signing"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
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
	if err != nil {
		return pdfguard.Info{}, guardError(err)
	}
	return info, nil
}

// restrictedMessage refuses, for a document that will be signed, a file
// with only an owner password: it opens, but a signature (an incremental
// update) cannot be added to an encrypted file and leave it intact.
const restrictedMessage = "Tệp có mật khẩu chủ sở hữu (hạn chế quyền): xem được nhưng không ký số được mà vẫn giữ nguyên tệp; " +
	"hãy lưu lại bản không mã hóa (không đặt mật khẩu, không hạn chế quyền) rồi tải lên"

// encryptedPDF reports whether in, a stored file, is encrypted: it opens
// without a password, or the signing reader wants one (AES-256 as PDF 2.0
// has it, which that reader cannot decrypt; a file that needs a user
// password never passed the upload's check).
func encryptedPDF(in []byte) (enc bool) {
	defer func() {
		if recover() != nil {
			enc = false
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(in), int64(len(in)))
	if errors.Is(err, pdf.ErrInvalidPassword) {
		return true
	}
	return err == nil && !r.Trailer().Key("Encrypt").IsNull()
}

// signable refuses an upload that a signature could not keep intact.
func (u *Upload) signable() error {
	if u != nil && u.Restricted {
		return &domain.ValidationError{Fields: map[string]string{"file": restrictedMessage}}
	}
	return nil
}

// verifyGuarded verifies the PDF at path in a pdfguard worker. The
// signature readers refuse a file with only an owner password (they would
// decrypt the signature values, which are not encrypted, and cannot open
// AES-256 as PDF 2.0 has it): pdfcpu opens it instead, here (the file has
// passed the guard's check), and one without a signature is reported as
// having none; the signatures of one with them cannot be checked here,
// which is said.
func verifyGuarded(ctx context.Context, deps *SigningDeps, path string) (signing.Report, error) {
	r, err := verifyFile(ctx, deps, path)
	if err == nil && deps.Revocation != nil {
		// Here, not in the worker: the checker's cache lives in this process.
		signing.CheckRevocation(ctx, &r, deps.Revocation)
	}
	if !errors.Is(err, ErrEncryptedPDF) && !errors.Is(err, signing.ErrEncrypted) {
		return r, err
	}
	in, rerr := os.ReadFile(path)
	if rerr != nil {
		return r, err
	}
	signed, ok := ownerOnlySigned(in)
	if !ok {
		return r, err
	}
	if signed {
		return r, &domain.PreconditionError{Code: "restricted_signed", Message: "Tệp có mật khẩu chủ sở hữu (hạn chế quyền) và mang chữ ký số: " +
			"hệ thống chưa kiểm tra được chữ ký trong tệp mã hóa; hãy đề nghị nơi gửi cung cấp bản ký không mã hóa"}
	}
	return signing.Report{
		VerdictEN:  "no signature: the document carries no digital signature (it has an owner password: permissions restricted)",
		VerdictVI:  "Không có chữ ký: tài liệu không mang chữ ký số nào (tệp có mật khẩu chủ sở hữu, hạn chế quyền)",
		Appended:   []signing.Change{},
		Signatures: []signing.SignatureReport{},
	}, nil
}

// ownerOnlySigned opens in with pdfcpu and the empty user password: ok
// when it opens that way (an owner password only), signed when an object
// of it has a /ByteRange (a signature or a document timestamp).
func ownerOnlySigned(in []byte) (signed, ok bool) {
	defer func() {
		if recover() != nil {
			signed, ok = false, false
		}
	}()
	conf := &model.Configuration{Reader15: true, ValidationMode: model.ValidationRelaxed, Eol: types.EolLF,
		Cmd: model.VALIDATE, Unit: types.POINTS, Offline: true, Limits: model.DefaultResourceLimits()}
	pc, err := pdfcpu.ReadWithContext(context.Background(), bytes.NewReader(in), conf)
	if err != nil || pc.E == nil {
		return false, false
	}
	for _, e := range pc.XRefTable.Table {
		if e == nil || e.Free {
			continue
		}
		if d, isDict := e.Object.(types.Dict); isDict {
			if _, has := d.Find("ByteRange"); has {
				return true, true
			}
		}
	}
	return false, true
}
