package api

import (
	"context"
	"errors"
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
func (s *Server) exportFile(c *fiber.Ctx) error { return httpx.SendFilePackage(c, s.records) }

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
