package httpx

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/meetings"
	"github.com/hcm-edu/vanban/signing"
)

// UploadForm says what ReadUpload accepts.
type UploadForm struct {
	CSRF          bool   // a web form: its first part must be its _csrf field
	File          string // the name of the file part
	MaxBytes      int64  // the largest file
	MaxFields     int    // fields kept besides the file; with 0 they are skipped unread
	MaxFieldBytes int    // the longest field value
}

// maxFormOverhead is what a multipart body may hold beyond the file: the
// metadata fields and the part headers.
const maxFormOverhead = 64 << 10

// ReadUpload streams a multipart/form-data upload: every upload route, of
// the API and of the web forms, reads its body here. Each part named f.File
// goes to file as it arrives, to be spooled or read; the other fields are
// returned, also with an error, so that a form comes back with what was
// typed. A web form sends its CSRF token first, so a forged cross-site
// upload is refused before its file is read. Field values and the file's
// name must pass CheckText.
func ReadUpload(c *fiber.Ctx, f UploadForm, file func(*multipart.Part) error) (map[string]string, error) {
	fields := map[string]string{}
	mt, params, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || mt != fiber.MIMEMultipartForm || params["boundary"] == "" {
		return fields, BadRequest(fiber.StatusUnsupportedMediaType, "multipart_required",
			"Gửi biểu mẫu multipart/form-data gồm các trường thông tin và trường file chứa tệp PDF")
	}
	if n := int64(c.Request().Header.ContentLength()); n > f.MaxBytes+maxFormOverhead {
		return fields, documents.ErrTooLarge
	}
	var body io.Reader = c.Context().RequestBodyStream()
	if body == nil {
		body = strings.NewReader(string(c.Body()))
	}
	// The multipart reader reads 4 KiB at a time: buffer the stream.
	mr := multipart.NewReader(bufio.NewReaderSize(body, 256<<10), params["boundary"])
	for i := 0; ; i++ {
		part, err := mr.NextPart()
		if err == io.EOF {
			return fields, nil
		}
		if err != nil {
			return fields, MultipartError(err)
		}
		name := part.FormName()
		switch {
		case f.CSRF && i == 0:
			if err := checkCSRFPart(c, part); err != nil {
				return fields, err
			}
		case name == f.File:
			if msg := CheckText(part.FileName()); msg != "" {
				return fields, &domain.ValidationError{Fields: map[string]string{name: "tên tệp " + msg}}
			}
			if err := file(part); err != nil {
				return fields, err
			}
		case f.MaxFields == 0: // NextPart skips what is not read
		case len(fields) >= f.MaxFields:
			return fields, BadRequest(400, "too_many_fields", "Biểu mẫu có quá nhiều trường")
		default:
			v, err := io.ReadAll(io.LimitReader(part, int64(f.MaxFieldBytes)+1))
			if err != nil {
				return fields, fmt.Errorf("%w: %v", documents.ErrIncomplete, err)
			}
			if len(v) > f.MaxFieldBytes {
				return fields, &domain.ValidationError{Fields: map[string]string{name: "giá trị quá dài"}}
			}
			bad := map[string]string{}
			if checkField(bad, name, string(v)); len(bad) > 0 {
				return fields, &domain.ValidationError{Fields: bad}
			}
			fields[name] = string(v)
		}
	}
}

// checkCSRFPart requires the first part of a web form to be its _csrf
// field.
func checkCSRFPart(c *fiber.Ctx, part *multipart.Part) error {
	v, _ := io.ReadAll(io.LimitReader(part, 256))
	if part.FormName() != "_csrf" || !auth.TokensEqual(CSRFToken(c), string(v)) {
		return errCSRF
	}
	return nil
}

// MultipartError tells a body cut short (the client went away) from a
// malformed one, which the client can fix.
func MultipartError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || isUnavailable(err) {
		return fmt.Errorf("%w: %v", documents.ErrIncomplete, err)
	}
	return BadRequest(fiber.StatusBadRequest, "bad_multipart",
		"Biểu mẫu multipart/form-data không hợp lệ (tiêu đề phần hoặc tên tệp chứa ký tự không cho phép); hãy kiểm tra tên tệp và gửi lại")
}

// ReceiveDocument takes the upload of a new document: metadata fields and
// one "file" part, which is spooled and checked before anything is stored.
// A web form (form) sends its CSRF token first. The fields come back for
// the form to show again.
func ReceiveDocument(c *fiber.Ctx, docs *documents.Service, form bool) (doc documents.Document, fields map[string]string, err error) {
	p := Principal(c)
	if !documents.CanCreate(p) {
		return doc, fields, domain.ErrForbidden
	}
	ctx := c.UserContext()
	var up *documents.Upload
	defer func() { up.Close() }()
	fields, err = ReadUpload(c, UploadForm{CSRF: form, File: "file", MaxBytes: docs.MaxBytes(), MaxFields: 32, MaxFieldBytes: 8 << 10},
		func(part *multipart.Part) (err error) {
			if up != nil {
				return &domain.ValidationError{Fields: map[string]string{"file": "chỉ gửi một tệp cho mỗi văn bản"}}
			}
			up, err = docs.Spool(ctx, part, part.FileName())
			return err
		})
	if err != nil {
		return doc, fields, err
	}
	meta := documents.Meta{
		DocType: fields["doc_type"], Title: fields["title"], DocDate: fields["doc_date"],
		Urgency: fields["urgency"], Confidentiality: fields["confidentiality"],
		Number: fields["number"], Symbol: fields["symbol"], SignerName: fields["signer_name"],
	}
	// kind=paper_copy: the digitised copy of a paper original, with the
	// number printed on it (clerks only); otherwise an outgoing draft.
	check, create := documents.CheckMeta, docs.Create
	if fields["kind"] == documents.OriginPaperCopy {
		check, create = documents.CheckPaperCopyMeta, docs.CreatePaperCopy
	}
	if err := check(meta); err != nil {
		return doc, fields, err
	}
	if up == nil {
		return doc, fields, &domain.ValidationError{Fields: map[string]string{"file": "cần tệp PDF của văn bản (trường file)"}}
	}
	doc, err = create(ctx, p, meta, up)
	return doc, fields, err
}

// ReceiveForVerification checks the PDF in the upload's "file" part and
// keeps nothing. A web form (form) sends its CSRF token first.
func ReceiveForVerification(c *fiber.Ctx, docs *documents.Service, form bool) (signing.Report, error) {
	var up *documents.VerificationFile
	defer func() { up.Close() }()
	_, err := ReadUpload(c, UploadForm{CSRF: form, File: "file", MaxBytes: docs.MaxBytes()},
		func(part *multipart.Part) (err error) {
			if up == nil {
				up, err = docs.SpoolVerification(c.UserContext(), part, part.FileName())
			}
			return err
		})
	if err != nil {
		return signing.Report{}, err
	}
	if up == nil {
		return signing.Report{}, &domain.ValidationError{Fields: map[string]string{"file": "cần tệp PDF cần kiểm tra (trường file)"}}
	}
	// checked and verified at once (Spool checks before it returns)
	return docs.VerifySpooled(c.UserContext(), up)
}

// ReceiveAgendaFile takes the upload of one PDF for an agenda item of a
// meeting, with its title and whether it is a draft ("true"). A web form
// (form) sends its CSRF token first, and an empty file part when no file
// was chosen.
func ReceiveAgendaFile(c *fiber.Ctx, docs *documents.Service, ms *meetings.Service, meetingID, item int64, form bool) (meetings.AgendaDoc, error) {
	var up *documents.Upload
	defer func() { up.Close() }()
	fields, err := ReadUpload(c, UploadForm{CSRF: form, File: "file", MaxBytes: docs.MaxBytes(), MaxFields: 9, MaxFieldBytes: 4 << 10},
		func(part *multipart.Part) (err error) {
			if form && part.FileName() == "" {
				return nil // no file chosen
			}
			if up != nil {
				return &domain.ValidationError{Fields: map[string]string{"file": "mỗi lần chỉ gửi một tệp"}}
			}
			up, err = docs.Spool(c.UserContext(), part, part.FileName())
			return err
		})
	if err != nil {
		return meetings.AgendaDoc{}, err
	}
	if up == nil {
		msg := "cần tệp PDF (trường file)"
		if form {
			msg = "hãy chọn tệp PDF"
		}
		return meetings.AgendaDoc{}, &domain.ValidationError{Fields: map[string]string{"file": msg}}
	}
	return ms.AttachFile(c.UserContext(), Principal(c), meetingID, item, up, fields["title"], fields["draft"] == "true")
}
