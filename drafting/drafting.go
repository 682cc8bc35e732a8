// Package drafting keeps the work on a draft before it is signed (Decree
// 30/2020 art. 10–12): revisions uploaded as PDF or Word (converted, the
// original kept beside the PDF), comments per revision, review requests
// and decisions by named people of the unit, submission for signature to
// a named leader with a due date, return with a reason, withdrawal; the
// work queues each person has ("Chờ tôi xử lý", "Chờ tôi ký", "Chờ cấp
// số", "Bị trả lại") and the notifications that go with them.
//
// A draft is a documents row (outgoing, status draft) whose versions are
// its revisions' PDFs: document_versions stays the one list of versions,
// and signing, numbering and issuing stay in package documents. The
// tables here name documents, never the other way round: documents learns
// of them through a documents.Link (who takes part in a draft, to whom it
// was submitted, which stored objects they name) and a signature hook.
package drafting

import (
	"context"
	"errors"
	"time"

	"github.com/hcm-edu/vanban/convert"
	"github.com/hcm-edu/vanban/doctemplate"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/notify"
	"github.com/jmoiron/sqlx"
)

// Converter turns Word and LibreOffice files into PDF and plain text;
// *convert.Converter is one.
type Converter interface {
	ToPDF(ctx context.Context, in []byte, fileName string) ([]byte, error)
	ToText(ctx context.Context, in []byte, fileName string) (string, error)
}

// States of a draft's workflow.
const (
	StateOpen      = "open"      // being drafted and reviewed
	StateSubmitted = "submitted" // waiting for the named signer
	StateReturned  = "returned"  // sent back by the signer with a reason
	StateWithdrawn = "withdrawn" // given up by its drafter
)

// Review decisions.
const (
	Approved         = "approved"
	ChangesRequested = "changes_requested"
)

// Service keeps drafts.
type Service struct {
	db    *sqlx.DB
	docs  *documents.Service
	notes *notify.Store
	conv  Converter
	// DOCX writes a template's draft; doctemplate.DOCX unless a test
	// replaces it.
	DOCX func(doctemplate.Unit, doctemplate.Form) ([]byte, error)
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// New returns the service and tells docs about drafts (who sees them, who
// signs them, which stored objects they name, what a signature means for
// them). conv may be nil: Word uploads are then kept for a retry, as when
// the converter is down. Pass a nil interface, not a nil *convert.Converter.
func New(db *sqlx.DB, docs *documents.Service, notes *notify.Store, conv Converter) *Service {
	s := &Service{db: db, docs: docs, notes: notes, conv: conv, DOCX: doctemplate.DOCX}
	docs.AddLink(documentLink)
	docs.OnSignature(s.signed)
	return s
}

// documentLink: the participants of a draft (reviewers, the named signer)
// see it; the signer it was submitted to alone signs it; the originals of
// revisions and the uploads waiting for the converter are kept by the
// orphan sweep.
var documentLink = documents.Link{
	Objects: `SELECT object_key FROM version_sources
	UNION SELECT object_key FROM pending_conversions WHERE state = 'pending'`,
	Participant: `EXISTS (SELECT 1 FROM drafts pdr WHERE pdr.document_id = d.id AND pdr.signer_id = :user)
	  OR EXISTS (SELECT 1 FROM draft_reviews prv WHERE prv.document_id = d.id AND prv.reviewer_id = :user)`,
	SubmittedTo: `SELECT sdr.signer_id FROM drafts sdr WHERE sdr.document_id = d.id AND sdr.state = 'submitted'`,
	SignHold: `SELECT 'Người soạn thảo đã rút lại dự thảo này nên không ký được' FROM drafts hdr
	  WHERE hdr.document_id = d.id AND hdr.state = 'withdrawn'`,
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// PendingError is returned when a Word file could not be converted now
// (the converter is missing or down): the file is kept and converted by a
// job, which then makes the draft or revision and notifies its drafter.
// It wraps convert.ErrUnavailable.
type PendingError struct{ ID int64 }

func (e *PendingError) Error() string {
	return "drafting: the converter is not available; the upload is kept for a retry"
}

func (e *PendingError) Unwrap() error { return convert.ErrUnavailable }

// PendingMessage says to a user what happened to a file kept for a retry.
const PendingMessage = "Máy chuyển đổi tệp Word hiện không hoạt động. Tệp đã được lưu lại và sẽ được chuyển đổi tự động khi máy hoạt động trở lại; bạn sẽ nhận thông báo khi dự thảo sẵn sàng (mục \"Đang chờ chuyển đổi\" trong Dự thảo của tôi)"

// TimeoutMessage says that a conversion was stopped.
const TimeoutMessage = "Chuyển đổi tệp quá thời gian cho phép nên đã bị dừng; tệp có thể quá lớn hoặc bị lỗi. Hãy lưu lại tệp (hoặc xuất PDF từ Word) rồi tải lên lại"

// ErrNoTemplate: doctemplate has no template for that type (yet).
var errNoTemplate = domain.Invalid("doc_type", "chưa có mẫu cho loại văn bản này; hãy soạn bằng Word rồi tải tệp lên")

func isUnavailable(err error) bool { return errors.Is(err, convert.ErrUnavailable) }
