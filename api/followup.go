package api

import (
	"bytes"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/httpx"
	"github.com/hcm-edu/vanban/registers"
	"github.com/hcm-edu/vanban/routing"
)

// The follow-up of incoming documents: the processing slip, the follow-up
// register, the handling statistics and a district office's board.

func (s *Server) getDeliverySlip(c *fiber.Ctx) error { return httpx.SendSlip(c, s.routing) }

func (s *Server) exportFollowUpRegister(c *fiber.Ctx) error {
	from, to, err := routing.ParsePeriod(c.Query("from"), c.Query("to"), time.Now())
	if err != nil {
		return err
	}
	format := c.Query("format", "csv")
	if format != "csv" && format != "pdf" {
		return &domain.ValidationError{Fields: map[string]string{"format": "định dạng phải là csv hoặc pdf"}}
	}
	data, err := s.routing.FollowUpRegister(c.UserContext(), httpx.Principal(c), from, to)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	name := "Sổ theo dõi giải quyết văn bản đến " + from.Format(time.DateOnly) + " " + to.Format(time.DateOnly) + "." + format
	if format == "csv" {
		err = registers.WriteFollowUpCSV(&b, data.Rows)
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	} else {
		h := registers.Header{Organisation: data.Parent, Unit: data.Unit, Period: data.Period(), GeneratedAt: time.Now()}
		err = registers.FollowUpPDF(&b, h, data.Rows)
		c.Set(fiber.HeaderContentType, "application/pdf")
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, documents.ContentDisposition("attachment", name))
	return c.Send(b.Bytes())
}

func (s *Server) getHandlingStats(c *fiber.Ctx) error {
	now := time.Now().In(domain.VietnamTime)
	fromText := c.Query("from", time.Date(now.Year(), 1, 1, 0, 0, 0, 0, domain.VietnamTime).Format(time.DateOnly))
	toText := c.Query("to", now.Format(time.DateOnly))
	from, to, err := routing.ParsePeriod(fromText, toText, now)
	if err != nil {
		return err
	}
	rows, err := s.routing.HandlingStats(c.UserContext(), httpx.Principal(c), from, to)
	if err != nil {
		return err
	}
	if c.Query("format") == "csv" {
		var b bytes.Buffer
		if err := routing.WriteStatsCSV(&b, rows); err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
		c.Set(fiber.HeaderContentDisposition, documents.ContentDisposition("attachment", "Thống kê giải quyết văn bản đến.csv"))
		return c.Send(b.Bytes())
	}
	return c.JSON(fiber.Map{"from": fromText, "to": toText, "items": rows})
}

func districtUnit(c *fiber.Ctx) (int64, error) {
	v := c.Query("unit")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, &domain.ValidationError{Fields: map[string]string{"unit": "mã số đơn vị (số nguyên dương)"}}
	}
	return n, nil
}

func (s *Server) getDistrictBoard(c *fiber.Ctx) error {
	unit, err := districtUnit(c)
	if err != nil {
		return err
	}
	now := time.Now().In(domain.VietnamTime)
	b, err := s.routing.District(c.UserContext(), httpx.Principal(c), unit,
		c.Query("from", now.AddDate(0, -2, 0).Format("2006-01")), c.Query("to", now.Format("2006-01")))
	if err != nil {
		return err
	}
	return c.JSON(b)
}

type remindBody struct {
	DocumentID int64 `json:"document_id"`
}

func (s *Server) remindDistrictLaggards(c *fiber.Ctx) error {
	unit, err := districtUnit(c)
	if err != nil {
		return err
	}
	var b remindBody
	if len(c.Body()) > 0 {
		if err := decodeJSON(c, &b); err != nil {
			return err
		}
	}
	r, err := s.routing.RemindLaggards(c.UserContext(), httpx.Principal(c), unit, b.DocumentID)
	if err != nil {
		return err
	}
	return c.JSON(r)
}
