package web

import (
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/httpx"
	"github.com/hcm-edu/vanban/routing"
)

// meetingForms names the form of each meeting route, as its handler does
// ({item}: the item in the path, {item_id}: the one in the form).
var meetingForms = map[string]string{
	"status": "status", "items": "item", "items/:item/move": "move", "items/:item/documents": "attach-{item}",
	"participants": "participant", "participants/:participant/remove": "remove", "check-in": "check-in",
	"speak": "speak", "speakers/:req": "speaker", "comments": "comment-{item_id}", "ballots": "ballot",
	"ballots/:ballot/vote": "vote", "ballots/:ballot/close": "close", "minutes": "minutes", "minutes/sign": "sign",
	"conclusion": "conclusion", "invitation": "invitation",
}

// deliveryForms names the form of each delivery route.
var deliveryForms = map[string]string{
	"accept": "accept", "refuse": "refuse", "assign": "assign", "status": "progress", "relay": "relay", "recall-answer": "recall",
}

// formAgain shows a form that httpx refused before its handler ran (text
// no field may hold) the way the handler shows a refused form: its page
// again, with the message per field and what was typed. ok is false for
// the routes with no such page; they get the error page.
func (s *Server) formAgain(c *fiber.Ctx, p httpx.Problem) (err error, ok bool) {
	if c.Method() != fiber.MethodPost || httpx.IsUpload(c) || !httpx.InputRefused(c) {
		return nil, false
	}
	refused := &domain.ValidationError{Fields: p.Fields}
	route := c.Route().Path
	if route == "/login" {
		d := s.page(c, "Đăng nhập")
		d.User = nil
		d.Next = safeNext(c.FormValue("next"))
		d.Form["username"] = c.FormValue("username")
		d.CSRF = s.loginCSRF(c)
		d.Error, d.Fields = p.Message, p.Fields
		return s.render(c, p.Status, "login", d), true
	}
	if route == "/meetings" {
		return s.createMeetingFormError(c, refused), true
	}
	family, rest, _ := strings.Cut(strings.TrimPrefix(route, "/"), "/:id/")
	id, perr := httpx.PathID(c, "id")
	if rest == "" || perr != nil {
		return nil, false
	}
	switch family {
	case "meetings":
		form, found := meetingForms[rest]
		if !found {
			return nil, false
		}
		form = strings.ReplaceAll(form, "{item}", c.Params("item"))
		form = strings.ReplaceAll(form, "{item_id}", fmt.Sprint(formID(c, "item_id")))
		return s.meetingFormError(c, id, form, c.FormValue("back") == "console", refused), true
	case "inbox":
		form, found := deliveryForms[rest]
		if !found {
			return nil, false
		}
		if rest == "status" && c.FormValue("status") == routing.Done {
			form = "done"
		}
		return s.deliveryFormError(c, id, form, refused), true
	case "documents":
		switch rest {
		case "register", "issue", "recall":
			return s.documentFormError(c, id, rest, refused), true
		case "sign", "seal":
			return s.afterAction(c, id, "", refused), true
		}
	}
	return nil, false
}
