package api

import (
	"bytes"
	"fmt"
	"net/url"
	"slices"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/httpx"
)

// searchArgs are the query parameters of a search.
func searchArgs(c *fiber.Ctx) (documents.SearchFilter, []string, error) {
	args := url.Values{}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) { args.Add(string(k), string(v)) })
	return documents.ParseSearch(args)
}

func (s *Server) searchDocuments(c *fiber.Ctx) error {
	f, _, err := searchArgs(c)
	if err != nil {
		return err
	}
	r, err := s.docs.Search(c.UserContext(), httpx.Principal(c), f)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (s *Server) exportSearch(c *fiber.Ctx) error {
	f, cols, err := searchArgs(c)
	if err != nil {
		return err
	}
	r, err := s.docs.SearchExport(c.UserContext(), httpx.Principal(c), f, slices.Contains(cols, "snippet"))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := documents.WriteSearchCSV(&buf, r, cols); err != nil {
		return fmt.Errorf("api: unable to write the export: %w", err)
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, documents.ContentDisposition("attachment", "tim-kiem-van-ban.csv"))
	return c.Send(buf.Bytes())
}

func (s *Server) listSavedSearches(c *fiber.Ctx) error {
	l, err := s.docs.SavedSearches(c.UserContext(), httpx.Principal(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": l})
}

// saveSearchBody is a saved search as the API takes it.
type saveSearchBody struct {
	Name    string                 `json:"name"`
	Params  documents.SearchFilter `json:"params"`
	Columns []string               `json:"columns"`
}

func (s *Server) saveSearch(c *fiber.Ctx) error {
	var b saveSearchBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	ss, err := s.docs.SaveSearch(c.UserContext(), httpx.Principal(c), b.Name, b.Params, b.Columns)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(ss)
}

func (s *Server) getSavedSearch(c *fiber.Ctx) error {
	return withID(c, fiber.StatusOK, s.docs.SavedSearch)
}

func (s *Server) deleteSavedSearch(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.docs.DeleteSavedSearch(c.UserContext(), httpx.Principal(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
