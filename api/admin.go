package api

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/admin"
	"github.com/hcm-edu/vanban/internal/httpx"
)

// The delegated administration: units, sections, people, within the
// caller's scope (admin.Scope); outside it, and for non-admins, 404.

func queryID(c *fiber.Ctx, name string) int64 {
	n, _ := strconv.ParseInt(c.Query(name), 10, 64)
	return n
}

func (s *Server) listAdminUnits(c *fiber.Ctx) error {
	units, err := s.admin.Units(c.UserContext(), httpx.Principal(c), admin.UnitFilter{Query: c.Query("q"), Kind: c.Query("kind"),
		Closed: c.QueryBool("closed"), Limit: c.QueryInt("limit")})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": units})
}

func (s *Server) createAdminUnit(c *fiber.Ctx) error {
	var in admin.UnitInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	u, err := s.admin.CreateUnit(c.UserContext(), httpx.Principal(c), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(u)
}

func (s *Server) getAdminUnit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	u, err := s.admin.Unit(c.UserContext(), httpx.Principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(u)
}

func (s *Server) updateAdminUnit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	var in admin.UnitInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	u, err := s.admin.UpdateUnit(c.UserContext(), httpx.Principal(c), id, in)
	if err != nil {
		return err
	}
	return c.JSON(u)
}

func (s *Server) closeAdminUnit(c *fiber.Ctx) error  { return s.setUnitClosed(c, true) }
func (s *Server) reopenAdminUnit(c *fiber.Ctx) error { return s.setUnitClosed(c, false) }

func (s *Server) setUnitClosed(c *fiber.Ctx, closed bool) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	u, err := s.admin.SetUnitClosed(c.UserContext(), httpx.Principal(c), id, closed)
	if err != nil {
		return err
	}
	return c.JSON(u)
}

func (s *Server) listAdminSections(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	items, err := s.admin.Sections(c.UserContext(), httpx.Principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": items})
}

func (s *Server) createAdminSection(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	var in admin.SectionInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	sec, err := s.admin.CreateSection(c.UserContext(), httpx.Principal(c), id, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(sec)
}

func (s *Server) updateAdminSection(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	var in admin.SectionInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	sec, err := s.admin.UpdateSection(c.UserContext(), httpx.Principal(c), id, in)
	if err != nil {
		return err
	}
	return c.JSON(sec)
}

func (s *Server) setAdminSectionHead(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	var in struct {
		HeadUserID int64 `json:"head_user_id"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	sec, err := s.admin.SetSectionHead(c.UserContext(), httpx.Principal(c), id, in.HeadUserID)
	if err != nil {
		return err
	}
	return c.JSON(sec)
}

func (s *Server) closeAdminSection(c *fiber.Ctx) error  { return s.setSectionClosed(c, true) }
func (s *Server) reopenAdminSection(c *fiber.Ctx) error { return s.setSectionClosed(c, false) }

func (s *Server) setSectionClosed(c *fiber.Ctx, closed bool) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	sec, err := s.admin.SetSectionClosed(c.UserContext(), httpx.Principal(c), id, closed)
	if err != nil {
		return err
	}
	return c.JSON(sec)
}

func (s *Server) listAdminPeople(c *fiber.Ctx) error {
	items, err := s.admin.People(c.UserContext(), httpx.Principal(c), admin.PeopleFilter{Query: c.Query("q"),
		UnitID: queryID(c, "unit_id"), SectionID: queryID(c, "section_id"), Role: c.Query("role"), Left: c.QueryBool("left"),
		Limit: c.QueryInt("limit")})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": items})
}

func (s *Server) createAdminPerson(c *fiber.Ctx) error {
	var in struct {
		admin.PersonInput
		Invite bool `json:"invite"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	p := httpx.Principal(c)
	person, err := s.admin.CreatePerson(c.UserContext(), p, in.PersonInput)
	if err != nil {
		return err
	}
	out := fiber.Map{"person": person}
	if in.Invite {
		res, err := s.admin.Invite(c.UserContext(), p, person.ID)
		if err != nil {
			return err
		}
		if strings.HasPrefix(res.Link, "/") { // no PUBLIC_URL
			res.Link = c.BaseURL() + res.Link
		}
		out["invitation"] = res
	}
	return c.Status(fiber.StatusCreated).JSON(out)
}

func (s *Server) getAdminPerson(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	person, err := s.admin.Person(c.UserContext(), httpx.Principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(person)
}

func (s *Server) updateAdminPerson(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	var ch admin.PersonChange
	if err := decodeJSON(c, &ch); err != nil {
		return err
	}
	person, err := s.admin.UpdatePerson(c.UserContext(), httpx.Principal(c), id, ch)
	if err != nil {
		return err
	}
	return c.JSON(person)
}

func (s *Server) leaveAdminPerson(c *fiber.Ctx) error {
	return s.personAction(c, s.admin.Leave)
}

func (s *Server) reactivateAdminPerson(c *fiber.Ctx) error {
	return s.personAction(c, s.admin.Reactivate)
}

func (s *Server) personAction(c *fiber.Ctx, do func(ctx ctxT, p principalT, id int64) (admin.Person, error)) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	person, err := do(c.UserContext(), httpx.Principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(person)
}

func (s *Server) inviteAdminPerson(c *fiber.Ctx) error { return s.linkAction(c, s.admin.Invite) }
func (s *Server) resetAdminPerson(c *fiber.Ctx) error  { return s.linkAction(c, s.admin.SendReset) }

func (s *Server) linkAction(c *fiber.Ctx, do func(ctx ctxT, p principalT, id int64) (admin.LinkResult, error)) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	res, err := do(c.UserContext(), httpx.Principal(c), id)
	if err != nil {
		return err
	}
	if strings.HasPrefix(res.Link, "/") { // no PUBLIC_URL
		res.Link = c.BaseURL() + res.Link
	}
	return c.JSON(res)
}

func (s *Server) forgotPassword(c *fiber.Ctx) error {
	var in struct {
		Who string `json:"who"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if err := s.admin.Forgot(c.UserContext(), in.Who, c.IP()); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"message": admin.ForgotMessage})
}

func (s *Server) setPasswordWithLink(c *fiber.Ctx) error {
	var in struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	l, err := s.auth.UseLink(c.UserContext(), in.Token, in.Password)
	if err != nil {
		return linkError(err)
	}
	return c.JSON(fiber.Map{"username": l.Username})
}
