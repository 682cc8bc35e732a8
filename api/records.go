package api

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/httpx"
	"github.com/hcm-edu/vanban/records"
)

// The records API (hồ sơ): file lists, files, items and hand-overs.

type fileListsJSON struct {
	Years []int             `json:"years"`
	List  *records.FileList `json:"list"`
}

// listFileLists gives the years the unit has a list for and the list of
// ?year= (this year by default), null when there is none.
func (s *Server) listFileLists(c *fiber.Ctx) error {
	p := httpx.Principal(c)
	year := time.Now().In(domain.VietnamTime).Year()
	if v := c.Query("year"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return domain.Invalid("year", "năm không hợp lệ")
		}
		year = n
	}
	years, err := s.records.Years(c.UserContext(), p)
	if err != nil {
		return err
	}
	out := fileListsJSON{Years: years}
	l, err := s.records.List(c.UserContext(), p, year)
	if err == nil {
		out.List = &l
	} else if !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	return c.JSON(out)
}

type yearJSON struct {
	Year int `json:"year"`
}

func (s *Server) createFileList(c *fiber.Ctx) error {
	var in yearJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	l, err := s.records.CreateList(c.UserContext(), httpx.Principal(c), in.Year)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(l)
}

// copyFileList makes the list of year from the unit's list of the year before.
func (s *Server) copyFileList(c *fiber.Ctx) error {
	var in yearJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	l, err := s.records.CopyList(c.UserContext(), httpx.Principal(c), in.Year)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(l)
}

func (s *Server) createFileHeading(c *fiber.Ctx) error {
	return withIDBody(c, fiber.StatusCreated, s.records.AddHeading)
}

func (s *Server) createFile(c *fiber.Ctx) error {
	return withIDBody(c, fiber.StatusCreated, s.records.AddFile)
}

func (s *Server) getFile(c *fiber.Ctx) error {
	return withID(c, fiber.StatusOK, s.records.File)
}

// updateFile replaces a planned or open file's entry in the list (every field).
func (s *Server) updateFile(c *fiber.Ctx) error {
	return withIDBody(c, fiber.StatusOK, s.records.UpdateFile)
}

func (s *Server) deleteFile(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.records.DeleteFile(c.UserContext(), httpx.Principal(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) openFile(c *fiber.Ctx) error {
	return withID(c, fiber.StatusOK, s.records.OpenFile)
}

func (s *Server) closeFile(c *fiber.Ctx) error {
	return withID(c, fiber.StatusOK, s.records.CloseFile)
}

func (s *Server) addFileItem(c *fiber.Ctx) error {
	type item struct {
		DocumentID int64  `json:"document_id"`
		Note       string `json:"note"`
	}
	return withIDBody(c, fiber.StatusCreated, func(ctx context.Context, p auth.Principal, id int64, in item) (records.Item, error) {
		return s.records.AddItem(ctx, p, id, in.DocumentID, in.Note)
	})
}

func (s *Server) removeFileItem(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	seq, err := httpx.PathID(c, "seq")
	if err != nil {
		return err
	}
	if err := s.records.RemoveItem(c.UserContext(), httpx.Principal(c), id, int(seq)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// exportFile streams the file's export package; 503 while no exporter is wired.
func (s *Server) exportFile(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	p := httpx.Principal(c)
	if _, err := s.records.File(c.UserContext(), p, id); err != nil {
		return err
	}
	return streamExport(c, s.records, id)
}

func (s *Server) createHandover(c *fiber.Ctx) error {
	var in struct {
		FileIDs []int64 `json:"file_ids"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	h, err := s.records.PrepareHandover(c.UserContext(), httpx.Principal(c), in.FileIDs)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(h)
}

func (s *Server) getHandover(c *fiber.Ctx) error {
	return withID(c, fiber.StatusOK, s.records.Handover)
}

func (s *Server) receiveHandover(c *fiber.Ctx) error {
	return withID(c, fiber.StatusOK, s.records.ReceiveHandover)
}

// streamExport sends the export package of file id, which the caller checked the user may read.
func streamExport(c *fiber.Ctx, rs *records.Service, id int64) error {
	if rs.Exporter == nil {
		return httpx.BadRequest(fiber.StatusServiceUnavailable, "export_unavailable",
			"Chức năng xuất gói hồ sơ chưa được cấu hình trên máy chủ này")
	}
	ctx := c.UserContext()
	c.Set(fiber.HeaderContentType, "application/zip")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="ho-so-%d.zip"`, id))
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		// The file was checked above: the exporter reads it whole.
		rs.Exporter(ctx, w, id)
		w.Flush()
	})
	return nil
}
