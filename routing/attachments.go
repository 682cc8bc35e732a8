package routing

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/edxml"
)

// A document's attachments go where it goes. Issue and relay need nothing
// here: attachments hang off the document, which the recipients see. An
// edXML package carries the main file first, then the attachments in
// order, under their own names; importing one keeps them all.

// packageAttachments reads the attachments of d for its edXML package,
// numbered from 2 (the main file is attachment-1).
func (s *Service) packageAttachments(ctx context.Context, p auth.Principal, d documents.Document) ([]edxml.Attachment, error) {
	atts, err := s.docs.Attachments(ctx, p, d.ID)
	if err != nil {
		return nil, err
	}
	out := make([]edxml.Attachment, 0, len(atts))
	for i, a := range atts {
		rc, err := s.docs.OpenAttachment(ctx, a, 0, -1)
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("routing: unable to read attachment %d: %w", a.ID, err)
		}
		out = append(out, edxml.Attachment{ContentID: fmt.Sprintf("attachment-%d", i+2), ContentType: a.MediaType,
			FileName: a.FileName, Description: a.Title, Data: b})
	}
	return out, nil
}

// mainFile picks a package's main file: the first PDF that carries a
// signature, or else the first PDF. The others, PDF or not, in the
// package's order, are its attachments.
func mainFile(atts []edxml.Attachment) (*edxml.Attachment, []documents.ReceivedFile) {
	main := -1
	for i, a := range atts {
		if bytes.HasPrefix(a.Data, []byte("%PDF-")) {
			if main < 0 {
				main = i
			}
			if bytes.Contains(a.Data, []byte("/ByteRange")) {
				main = i
				break
			}
		}
	}
	if main < 0 {
		return nil, nil
	}
	rest := make([]documents.ReceivedFile, 0, len(atts)-1)
	for i, a := range atts {
		if i != main {
			rest = append(rest, documents.ReceivedFile{FileName: a.FileName, Title: a.Description, ContentType: a.ContentType, Data: a.Data})
		}
	}
	return &atts[main], rest
}
