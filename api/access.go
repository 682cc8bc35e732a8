package api

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/httpx"
)

func (s *Server) getRestriction(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	r, err := s.docs.Restriction(c.UserContext(), httpx.Principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (s *Server) setRestriction(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	var ch documents.RestrictionChange
	if err := decodeJSON(c, &ch); err != nil {
		return err
	}
	r, err := s.docs.SetRestriction(c.UserContext(), httpx.Principal(c), id, ch)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (s *Server) accessHistory(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	page := 1
	if v := c.Query("page"); v != "" {
		if page, err = strconv.Atoi(v); err != nil || page < 1 {
			return &domain.ValidationError{Fields: map[string]string{"page": "trang phải là số từ 1"}}
		}
	}
	pg, err := s.docs.AccessHistoryPage(c.UserContext(), httpx.Principal(c), id, page)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

func (s *Server) accessStats(c *fiber.Ctx) error {
	f := documents.StatsFilter{From: c.Query("from"), To: c.Query("to")}
	if v := c.Query("unit"); v != "" {
		u, err := strconv.ParseInt(v, 10, 64)
		if err != nil || u < 1 {
			return &domain.ValidationError{Fields: map[string]string{"unit": "mã đơn vị không hợp lệ"}}
		}
		f.UnitID = u
	}
	st, err := s.docs.AccessStats(c.UserContext(), httpx.Principal(c), f)
	if err != nil {
		return err
	}
	return c.JSON(st)
}
