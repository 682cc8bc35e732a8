package documents

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/jmoiron/sqlx"
)

// ReceivedFile is a file that arrived with a document from another system
// (an edXML package), to keep as an attachment.
type ReceivedFile struct {
	FileName    string
	Title       string // the package's description; the file name when empty
	ContentType string
	Data        []byte
}

// MaxReceivedAttachments bounds the files kept from one package: more is
// refused whole, never cut short.
const MaxReceivedAttachments = 100

// keptTypes are the media types a received file that is not a PDF keeps,
// by extension; any other is application/octet-stream. None is shown in the
// browser: such files are only downloaded.
var keptTypes = map[string]string{
	".doc": "application/msword", ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".odt": "application/vnd.oasis.opendocument.text", ".xls": "application/vnd.ms-excel",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".ods": "application/vnd.oasis.opendocument.spreadsheet",
	".ppt": "application/vnd.ms-powerpoint", ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	".zip": "application/zip", ".rar": "application/vnd.rar", ".7z": "application/x-7z-compressed",
	".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".txt": "text/plain", ".xml": "application/xml",
}

// ReceiveAttachmentsTx keeps, inside tx, every file of files as an
// attachment of the received document id, in their order. A PDF that
// passes the checks uploads pass is kept as a PDF (it can be shown and
// verified); any other file, or a PDF that does not pass (damaged,
// encrypted), is kept as it came, to download only: nothing a sender
// attached is dropped. The caller has checked that p may receive it.
func (s *Service) ReceiveAttachmentsTx(ctx context.Context, tx *sqlx.Tx, p auth.Principal, id int64, files []ReceivedFile) error {
	if len(files) > MaxReceivedAttachments {
		return &domain.ValidationError{Fields: map[string]string{"attachments": fmt.Sprintf("gói tin có %d tệp kèm theo; hệ thống nhận tối đa %d", len(files), MaxReceivedAttachments)}}
	}
	for i, f := range files {
		if err := s.receiveOne(ctx, tx, p, id, f); err != nil {
			return fmt.Errorf("documents: attachment %d (%s): %w", i+1, f.FileName, err)
		}
	}
	return nil
}

func (s *Service) receiveOne(ctx context.Context, tx *sqlx.Tx, p auth.Principal, id int64, f ReceivedFile) error {
	title := strings.TrimSpace(f.Title)
	if title == "" {
		title = f.FileName
	}
	if r := []rune(title); len(r) > 500 {
		title = string(r[:499]) + "…"
	}
	if t, err := cleanTitle(title); err == nil {
		title = t
	} else {
		title = "Tệp kèm theo"
	}
	if bytes.HasPrefix(f.Data, []byte("%PDF-")) {
		up, err := s.Spool(ctx, bytes.NewReader(f.Data), f.FileName)
		if err == nil {
			defer up.Close()
			_, err = s.insertAttachmentTx(ctx, tx, id, p.UserID, title, up, "application/pdf", nil)
			return err
		}
		var ve *domain.ValidationError
		if !(errors.Is(err, ErrBadPDF) || errors.Is(err, ErrEncryptedPDF) || errors.Is(err, ErrNotPDF) || errors.As(err, &ve)) {
			return err
		}
		// Kept as a file, below, under the name it came with.
	}
	up, err := s.spoolRaw(ctx, bytes.NewReader(f.Data), f.FileName)
	if err != nil {
		return err
	}
	defer up.Close()
	mt, ok := keptTypes[strings.ToLower(path.Ext(up.FileName))]
	if !ok {
		mt = "application/octet-stream"
	}
	_, err = s.insertAttachmentTx(ctx, tx, id, p.UserID, title, up, mt, nil)
	return err
}
