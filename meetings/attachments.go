package meetings

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
)

// A document on the agenda brings its attachments (appendices in files of
// their own): the agenda lists them under it, and the packet has them
// right after it, in order. They are read through the agenda document, so
// the meeting's sharing rule, not the documents' visibility, decides who
// reads them, as for the document itself.

// AgendaAttachment is an attachment of a document on the agenda.
type AgendaAttachment struct {
	Position  int    `json:"position"`
	Title     string `json:"title"`
	FileName  string `json:"file_name"`
	SHA256    string `json:"sha256"`
	Size      int64  `json:"size"`
	Sealed    bool   `json:"sealed"`
	PDF       bool   `json:"pdf"`
	ObjectKey string `json:"-"`
}

// fillAttachments adds to each agenda document of items that is a
// document of the record its attachments.
func (s *Service) fillAttachments(ctx context.Context, items []Item) error {
	var ids []int64
	for _, it := range items {
		for _, d := range it.Documents {
			if d.DocumentID != nil {
				ids = append(ids, *d.DocumentID)
			}
		}
	}
	byDoc, err := s.docs.AttachmentsOf(ctx, ids)
	if err != nil {
		return err
	}
	for i := range items {
		for j := range items[i].Documents {
			d := &items[i].Documents[j]
			if d.DocumentID == nil {
				continue
			}
			for _, a := range byDoc[*d.DocumentID] {
				d.Attachments = append(d.Attachments, AgendaAttachment{Position: a.Position, Title: a.Title, FileName: a.FileName,
					SHA256: a.SHA256, Size: a.Size, Sealed: a.Sealed, PDF: a.IsPDF(), ObjectKey: a.ObjectKey})
			}
		}
	}
	return nil
}

// attachmentDocuments are the packet documents of d's PDF attachments,
// after d; a file that is not a PDF is not bound into the packet (the
// agenda lists it).
func (s *Service) attachmentDocuments(d AgendaDoc) []PacketDocument {
	var out []PacketDocument
	for _, a := range d.Attachments {
		if !a.PDF {
			continue
		}
		key, size := a.ObjectKey, a.Size
		out = append(out, PacketDocument{ID: d.ID, Title: d.Title + " — " + a.Title, FileName: a.FileName, SHA256: a.SHA256, Size: a.Size, Draft: d.Draft, attachment: true,
			Open: func(ctx context.Context) (io.ReadCloser, int64, error) {
				rc, err := s.blobs.Open(ctx, key, 0, -1)
				if err != nil {
					return nil, 0, fmt.Errorf("meetings: unable to open %s: %w", key, err)
				}
				return rc, size, nil
			}})
	}
	return out
}

// attachmentsKey tells apart the stored packets of one revision that bind
// different attachments (a draft's change after the agenda was set): empty
// when the packet binds none, so packets without attachments keep their key.
func attachmentsKey(items []PacketItem) string {
	h := sha256.New()
	n := 0
	for _, it := range items {
		for _, d := range it.Documents {
			if d.attachment {
				n++
				h.Write([]byte(strconv.FormatInt(d.ID, 10) + ":" + d.SHA256 + ";"))
			}
		}
	}
	if n == 0 {
		return ""
	}
	return " a:" + hex.EncodeToString(h.Sum(nil))[:16]
}
