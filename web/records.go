package web

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/httpx"
	"github.com/hcm-edu/vanban/records"
)

// The records pages (hồ sơ): the year's file list, a file, hand-overs,
// and the document page's "Lưu vào hồ sơ". Every form posts and comes
// back to its page; a refusal is shown on the page it came from.

// recordsView is what the records pages add to pageData.
type recordsView struct {
	Year, NextYear int
	Years          []int
	List           *records.FileList
	Lines          []records.Line
	Headings       []records.Heading // large ones, for the small heading's parent
	People         []auth.Principal  // the unit's people, for the responsible person
	Sections       []records.Section // the unit's sections, for a heading by organisation
	CanPlan        bool
	File           *records.File
	Actions        records.Actions
	Handovers      []records.Handover
	Handover       *records.Handover
	Closed         []records.File
	CanPrepare     bool
	CanReceive     bool
	OpenFiles      []records.File // the document page: where the user may file it
	DocFiles       []records.File // the document page: the files that hold it
	Export         bool           // the export package is available
}

var recordsFlash = map[string]string{
	"list": "Đã tạo danh mục hồ sơ.", "copied": "Đã sao chép danh mục hồ sơ năm trước; hãy điều chỉnh cho năm nay.",
	"heading": "Đã thêm đề mục.", "file": "Đã thêm hồ sơ vào danh mục.", "opened": "Đã mở hồ sơ.",
	"added": "Đã thêm văn bản vào hồ sơ.", "removed": "Đã bỏ văn bản khỏi hồ sơ.",
	"closed": "Đã kết thúc hồ sơ.", "updated": "Đã lưu thay đổi của hồ sơ.", "deleted": "Đã bỏ hồ sơ khỏi danh mục.", "prepared": "Đã lập mục lục hồ sơ nộp lưu và biên bản giao nhận.",
	"received": "Đã tiếp nhận hồ sơ vào lưu trữ cơ quan. Hồ sơ đã được khóa.",
}

func thisYear() int { return time.Now().In(domain.VietnamTime).Year() }

func (s *Server) filesPage(c *fiber.Ctx) error { return s.renderFiles(c, fiber.StatusOK, nil) }

func (s *Server) renderFiles(c *fiber.Ctx, status int, pr *httpx.Problem) error {
	p := httpx.Principal(c)
	ctx := c.UserContext()
	year := thisYear()
	if v, err := strconv.Atoi(c.Query("year", c.FormValue("year"))); err == nil && v >= 2000 && v <= 2200 {
		year = v
	}
	d := s.page(c, fmt.Sprintf("Danh mục hồ sơ năm %d", year))
	d.Wide = true
	d.Flash = recordsFlash[c.Query("done")]
	rv := &recordsView{Year: year, NextYear: year + 1, CanPlan: records.CanPlan(p)}
	d.Rec = rv
	if pr != nil {
		d.Error, d.Fields = pr.Message, pr.Fields
		for _, k := range []string{"code", "title", "retention_years", "responsible_id", "heading_id", "parent_id", "note"} {
			d.Form[k] = c.FormValue(k)
		}
	}
	var err error
	if rv.Years, err = s.records.Years(ctx, p); err != nil {
		return err
	}
	l, err := s.records.List(ctx, p, year)
	switch {
	case err == nil:
		rv.List = &l
		rv.Lines = records.Outline(l)
		for _, h := range l.Headings {
			if h.ParentID == nil {
				rv.Headings = append(rv.Headings, h)
			}
		}
	case !errors.Is(err, domain.ErrNotFound):
		return err
	}
	if rv.CanPlan {
		if rv.People, err = s.auth.UnitUsers(ctx, p.UnitID); err != nil {
			return err
		}
		if rv.Sections, err = s.records.Sections(ctx, p); err != nil {
			return err
		}
	}
	return s.render(c, status, "files", d)
}

// recordsError shows a refusal on the page the form came from; what the
// user may not see, or a failure, goes to the error page.
func (s *Server) recordsError(c *fiber.Ctx, err error, again func(int, *httpx.Problem) error) error {
	pr := s.toProblem(err)
	if pr.Status >= 500 || pr.Status == 401 || pr.Status == 404 {
		return err
	}
	return again(pr.Status, &pr)
}

func (s *Server) createListSubmit(c *fiber.Ctx) error {
	year, _ := strconv.Atoi(c.FormValue("year"))
	var err error
	done := "list"
	if c.FormValue("copy") != "" {
		_, err = s.records.CopyList(c.UserContext(), httpx.Principal(c), year)
		done = "copied"
	} else {
		_, err = s.records.CreateList(c.UserContext(), httpx.Principal(c), year)
	}
	if err != nil {
		return s.recordsError(c, err, func(st int, pr *httpx.Problem) error { return s.renderFiles(c, st, pr) })
	}
	return c.Redirect(fmt.Sprintf("/files?year=%d&done=%s", year, done), fiber.StatusSeeOther)
}

// optID reads an optional id field: empty is nil.
func optID(c *fiber.Ctx, name string) *int64 {
	v, err := strconv.ParseInt(strings.TrimSpace(c.FormValue(name)), 10, 64)
	if err != nil || v <= 0 {
		return nil
	}
	return &v
}

func (s *Server) addHeadingSubmit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	in := records.HeadingInput{ParentID: optID(c, "parent_id"), SectionID: optID(c, "section_id"), Code: c.FormValue("code"), Title: c.FormValue("title")}
	if _, err := s.records.AddHeading(c.UserContext(), httpx.Principal(c), id, in); err != nil {
		return s.recordsError(c, err, func(st int, pr *httpx.Problem) error { return s.renderFiles(c, st, pr) })
	}
	return c.Redirect(fmt.Sprintf("/files?year=%s&done=heading", c.FormValue("year")), fiber.StatusSeeOther)
}

func (s *Server) addFileSubmit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	again := func(st int, pr *httpx.Problem) error { return s.renderFiles(c, st, pr) }
	ret, err := records.ParseRetention(c.FormValue("retention_years"))
	if err != nil {
		return s.recordsError(c, err, again)
	}
	in := records.FileInput{HeadingID: optID(c, "heading_id"), Code: c.FormValue("code"), Title: c.FormValue("title"),
		RetentionYears: ret, ResponsibleID: optID(c, "responsible_id"), Note: c.FormValue("note")}
	if _, err := s.records.AddFile(c.UserContext(), httpx.Principal(c), id, in); err != nil {
		return s.recordsError(c, err, again)
	}
	return c.Redirect(fmt.Sprintf("/files?year=%s&done=file", c.FormValue("year")), fiber.StatusSeeOther)
}

func (s *Server) listPDF(c *fiber.Ctx) error {
	year, err := strconv.Atoi(c.Query("year"))
	if err != nil {
		year = thisYear()
	}
	var b bytes.Buffer
	if err := s.records.ListPDF(c.UserContext(), httpx.Principal(c), year, &b); err != nil {
		return err
	}
	return sendPDF(c, fmt.Sprintf("Danh mục hồ sơ năm %d.pdf", year), b.Bytes())
}

func sendPDF(c *fiber.Ctx, name string, b []byte) error {
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, documents.ContentDisposition("attachment", name))
	return c.Send(b)
}

func (s *Server) filePage(c *fiber.Ctx) error { return s.renderFile(c, fiber.StatusOK, nil) }

func (s *Server) renderFile(c *fiber.Ctx, status int, pr *httpx.Problem) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	p := httpx.Principal(c)
	f, err := s.records.File(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	d := s.page(c, "Hồ sơ "+f.Code)
	d.Wide = true
	d.Flash = recordsFlash[c.Query("done")]
	if pr != nil {
		d.Error, d.Fields = pr.Message, pr.Fields
		for _, k := range []string{"document", "note", "code", "title", "retention_years"} {
			d.Form[k] = c.FormValue(k)
		}
	}
	rv := &recordsView{File: &f, Actions: records.Allowed(p, f), Export: s.records.Exporter != nil}
	d.Rec = rv
	if rv.Actions.Edit {
		l, err := s.records.List(c.UserContext(), p, f.Year)
		if err != nil {
			return err
		}
		rv.List = &l
		if rv.People, err = s.auth.UnitUsers(c.UserContext(), p.UnitID); err != nil {
			return err
		}
	}
	return s.render(c, status, "file", d)
}

// fileAct runs an act of the file page and comes back to it.
func (s *Server) fileAct(c *fiber.Ctx, done string, act func(id int64) error) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := act(id); err != nil {
		return s.recordsError(c, err, func(st int, pr *httpx.Problem) error { return s.renderFile(c, st, pr) })
	}
	return c.Redirect(fmt.Sprintf("/files/%d?done=%s", id, done), fiber.StatusSeeOther)
}

func (s *Server) updateFileSubmit(c *fiber.Ctx) error {
	return s.fileAct(c, "updated", func(id int64) error {
		ret, err := records.ParseRetention(c.FormValue("retention_years"))
		if err != nil {
			return err
		}
		in := records.FileInput{HeadingID: optID(c, "heading_id"), Code: c.FormValue("code"), Title: c.FormValue("title"),
			RetentionYears: ret, ResponsibleID: optID(c, "responsible_id"), Note: c.FormValue("note")}
		_, err = s.records.UpdateFile(c.UserContext(), httpx.Principal(c), id, in)
		return err
	})
}

func (s *Server) deleteFileSubmit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	p := httpx.Principal(c)
	f, err := s.records.File(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	if err := s.records.DeleteFile(c.UserContext(), p, id); err != nil {
		return s.recordsError(c, err, func(st int, pr *httpx.Problem) error { return s.renderFile(c, st, pr) })
	}
	return c.Redirect(fmt.Sprintf("/files?year=%d&done=deleted", f.Year), fiber.StatusSeeOther)
}

func (s *Server) openFileSubmit(c *fiber.Ctx) error {
	return s.fileAct(c, "opened", func(id int64) error {
		_, err := s.records.OpenFile(c.UserContext(), httpx.Principal(c), id)
		return err
	})
}

func (s *Server) closeFileSubmit(c *fiber.Ctx) error {
	return s.fileAct(c, "closed", func(id int64) error {
		_, err := s.records.CloseFile(c.UserContext(), httpx.Principal(c), id)
		return err
	})
}

func (s *Server) addFileItemSubmit(c *fiber.Ctx) error {
	return s.fileAct(c, "added", func(id int64) error {
		p := httpx.Principal(c)
		doc, err := s.records.FindDocument(c.UserContext(), p, c.FormValue("document"))
		if err != nil {
			return err
		}
		_, err = s.records.AddItem(c.UserContext(), p, id, doc, c.FormValue("note"))
		return renameField(err, "document_id", "document")
	})
}

// renameField moves a validation message to the form's own field name.
func renameField(err error, from, to string) error {
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		if m, ok := ve.Fields[from]; ok {
			delete(ve.Fields, from)
			ve.Fields[to] = m
		}
	}
	return err
}

func (s *Server) removeFileItemSubmit(c *fiber.Ctx) error {
	return s.fileAct(c, "removed", func(id int64) error {
		seq, err := httpx.PathID(c, "seq")
		if err != nil {
			return err
		}
		return s.records.RemoveItem(c.UserContext(), httpx.Principal(c), id, int(seq))
	})
}

func (s *Server) indexPDF(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := s.records.IndexPDF(c.UserContext(), httpx.Principal(c), id, &b); err != nil {
		return err
	}
	return sendPDF(c, fmt.Sprintf("Mục lục văn bản hồ sơ %d.pdf", id), b.Bytes())
}

// exportFileDownload streams the file's export package.
func (s *Server) exportFileDownload(c *fiber.Ctx) error { return httpx.SendFilePackage(c, s.records) }

// fileDocumentSubmit is the document page's "Lưu vào hồ sơ".
func (s *Server) fileDocumentSubmit(c *fiber.Ctx) error {
	doc, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	file := optID(c, "file_id")
	if file == nil {
		return c.Redirect(fmt.Sprintf("/documents/%d", doc), fiber.StatusSeeOther)
	}
	if _, err := s.records.AddItem(c.UserContext(), httpx.Principal(c), *file, doc, c.FormValue("note")); err != nil {
		return s.recordsError(c, err, func(int, *httpx.Problem) error { return err })
	}
	return c.Redirect(fmt.Sprintf("/files/%d?done=added", *file), fiber.StatusSeeOther)
}

// fillRecords adds the document page's "Lưu vào hồ sơ": the open files
// the user may file it in, and the files that already hold it.
func (s *Server) fillRecords(c *fiber.Ctx, d *pageData, doc documents.Document) error {
	if s.records == nil {
		return nil
	}
	p := httpx.Principal(c)
	rv := &recordsView{}
	var err error
	if rv.DocFiles, err = s.records.FilesOf(c.UserContext(), p, doc.ID); err != nil {
		return err
	}
	if doc.Status != "draft" && doc.Status != "recalled" && doc.Confidentiality == "thuong" {
		if rv.OpenFiles, err = s.records.OpenFiles(c.UserContext(), p); err != nil {
			return err
		}
	}
	d.Rec = rv
	return nil
}

func (s *Server) handoversPage(c *fiber.Ctx) error { return s.renderHandovers(c, fiber.StatusOK, nil) }

func (s *Server) renderHandovers(c *fiber.Ctx, status int, pr *httpx.Problem) error {
	p := httpx.Principal(c)
	d := s.page(c, "Nộp lưu hồ sơ")
	d.Flash = recordsFlash[c.Query("done")]
	if pr != nil {
		d.Error, d.Fields = pr.Message, pr.Fields
	}
	rv := &recordsView{CanPrepare: records.CanPrepare(p), CanReceive: records.CanReceive(p)}
	d.Rec = rv
	var err error
	if rv.Handovers, err = s.records.Handovers(c.UserContext(), p); err != nil {
		return err
	}
	if rv.Closed, err = s.records.ClosedFiles(c.UserContext(), p); err != nil {
		return err
	}
	return s.render(c, status, "handovers", d)
}

func (s *Server) prepareHandoverSubmit(c *fiber.Ctx) error {
	var ids []int64
	for _, v := range formValues(c, "file_ids") {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			ids = append(ids, n)
		}
	}
	h, err := s.records.PrepareHandover(c.UserContext(), httpx.Principal(c), ids)
	if err != nil {
		return s.recordsError(c, err, func(st int, pr *httpx.Problem) error { return s.renderHandovers(c, st, pr) })
	}
	return c.Redirect(fmt.Sprintf("/handovers/%d?done=prepared", h.ID), fiber.StatusSeeOther)
}

func (s *Server) handoverPage(c *fiber.Ctx) error { return s.renderHandover(c, fiber.StatusOK, nil) }

func (s *Server) renderHandover(c *fiber.Ctx, status int, pr *httpx.Problem) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	p := httpx.Principal(c)
	h, err := s.records.Handover(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	d := s.page(c, fmt.Sprintf("Biên bản giao nhận số %d", h.ID))
	d.Flash = recordsFlash[c.Query("done")]
	if pr != nil {
		d.Error, d.Fields = pr.Message, pr.Fields
	}
	d.Rec = &recordsView{Handover: &h, CanReceive: records.CanReceive(p) && h.State == "prepared"}
	return s.render(c, status, "handover", d)
}

func (s *Server) receiveHandoverSubmit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.records.ReceiveHandover(c.UserContext(), httpx.Principal(c), id); err != nil {
		return s.recordsError(c, err, func(st int, pr *httpx.Problem) error { return s.renderHandover(c, st, pr) })
	}
	return c.Redirect(fmt.Sprintf("/handovers/%d?done=received", id), fiber.StatusSeeOther)
}

// handoverPDF downloads a hand-over's list ("list") or record ("record").
func (s *Server) handoverPDF(which string) fiber.Handler {
	return func(c *fiber.Ctx) error { return s.sendHandoverPDF(c, which) }
}

func (s *Server) sendHandoverPDF(c *fiber.Ctx, which string) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := s.records.HandoverPDF(c.UserContext(), httpx.Principal(c), id, which, &b); err != nil {
		return err
	}
	name := map[string]string{"list": "Mục lục hồ sơ nộp lưu", "record": "Biên bản giao nhận hồ sơ"}[which]
	return sendPDF(c, fmt.Sprintf("%s số %d.pdf", name, id), b.Bytes())
}
