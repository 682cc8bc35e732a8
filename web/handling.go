package web

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/httpx"
	"github.com/hcm-edu/vanban/routing"
)

// The handling of a delivery inside the unit on its page: present, file,
// direct, forward, give a section's task to people, report on a task,
// reopen, remind; the tasks and the trail (routing/handling.go).

// taskView is a task on the delivery page with the forms it offers.
type taskView struct {
	routing.Task
	Can     routing.TaskActions
	Members []routing.Member // the section's people, for giving it on
}

// needsResponses reports whether a form of the page picks an answering
// document.
func (r *routingView) needsResponses() bool {
	for _, t := range r.Tasks {
		if t.Can.Work {
			return true
		}
	}
	return false
}

// fillHandling adds the tasks, the trail and the choices of the handling
// forms to the delivery page.
func (s *Server) fillHandling(c *fiber.Ctx, d *pageData, dl routing.Delivery) error {
	ctx, p := c.UserContext(), httpx.Principal(c)
	r := d.R
	tasks, err := s.routing.Tasks(ctx, p, dl.ID)
	if err != nil {
		return err
	}
	if r.Trail, err = s.routing.Trail(ctx, p, dl.ID); err != nil {
		return err
	}
	r.Urgent = dl.Urgency != "" && dl.Urgency != "thuong"
	members, err := s.routing.Members(ctx, p)
	if err != nil {
		return err
	}
	live := false
	for _, t := range tasks {
		v := taskView{Task: t, Can: routing.TaskAllowed(p, dl, t)}
		if v.Can.Assign && t.SectionID != nil {
			for _, m := range members {
				if m.SectionID != nil && *m.SectionID == *t.SectionID {
					v.Members = append(v.Members, m)
				}
			}
		}
		if t.State != routing.TaskCancelled {
			live = true
		}
		r.Tasks = append(r.Tasks, v)
	}
	// Once directed to tasks, each reports on its task: the older
	// forms of the assignee give way.
	if live {
		r.Can.Progress, r.Can.Done = false, false
	}
	if r.Can.Accept || r.Can.Present || r.Can.Forward {
		for _, m := range members {
			if m.Leader() && !(r.Can.Forward && m.ID == p.UserID) {
				r.Leaders = append(r.Leaders, m)
			}
		}
	}
	if r.Can.Assign {
		r.Members = members
		if r.Sections, err = s.routing.Sections(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

var handlingFlashes = map[string]string{
	"accepted-presented": "Đã tiếp nhận và trình lãnh đạo; lãnh đạo được thông báo.",
	"presented":          "Đã trình lãnh đạo; lãnh đạo được thông báo.",
	"forwarded":          "Đã chuyển lãnh đạo khác; người nhận được thông báo.",
	"filed":              "Đã lưu để biết; văn bản không cần xử lý.",
	"directed":           "Đã giao xử lý; các phòng, tổ và người được giao đã được thông báo.",
	"task-assigned":      "Đã giao người xử lý; người được giao đã được thông báo.",
	"entry":              "Đã ghi nhận.",
	"task-done":          "Đã báo hoàn thành phần việc.",
	"reopened":           "Đã mở lại phần việc.",
	"reminded":           "Đã nhắc những người chưa hoàn thành.",
}

func init() {
	for k, v := range handlingFlashes {
		deliveryFlashes[k] = v
	}
	for k, v := range map[string]string{"lead": "Chủ trì", "lead.due": "Hạn của nơi chủ trì", "informed": "Để biết",
		"leader_id": "Lãnh đạo", "present_to": "Lãnh đạo được trình", "user_ids": "Người xử lý", "body": "Nội dung"} {
		if _, ok := fieldLabels[k]; !ok {
			fieldLabels[k] = v
		}
	}
}

// flatFields names a field of a list ("coordinators[1]", "user_ids[0].due")
// by the list, the way the form names it.
func flatFields(err error) error {
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	out := map[string]string{}
	for k, v := range ve.Fields {
		if i := strings.IndexByte(k, '['); i > 0 {
			k = k[:i]
		}
		if out[k] != "" && out[k] != v {
			v = out[k] + "; " + v
		}
		out[k] = v
	}
	return &domain.ValidationError{Fields: out}
}

// acceptPresentSubmit accepts and presents in one step, the way urgent
// documents go (Decree 30 art. 22.2).
func (s *Server) acceptPresentSubmit(c *fiber.Ctx) error {
	return s.deliveryAction(c, "accept", func(id int64) (string, error) {
		leader := formID(c, "present_to")
		if leader == 0 {
			return "", &domain.ValidationError{Fields: map[string]string{"present_to": "chọn lãnh đạo để trình"}}
		}
		_, err := s.routing.AcceptAndPresent(c.UserContext(), httpx.Principal(c), id, routing.PresentRequest{LeaderID: leader})
		if ve := (*domain.ValidationError)(nil); errors.As(err, &ve) && ve.Fields["leader_id"] != "" {
			err = &domain.ValidationError{Fields: map[string]string{"present_to": ve.Fields["leader_id"]}}
		}
		return "accepted-presented", err
	})
}

func (s *Server) presentSubmit(c *fiber.Ctx) error {
	return s.deliveryAction(c, "present", func(id int64) (string, error) {
		_, err := s.routing.Present(c.UserContext(), httpx.Principal(c), id, routing.PresentRequest{LeaderID: formID(c, "leader_id"), Note: c.FormValue("note")})
		return "presented", err
	})
}

func (s *Server) forwardSubmit(c *fiber.Ctx) error {
	return s.deliveryAction(c, "forward", func(id int64) (string, error) {
		_, err := s.routing.Forward(c.UserContext(), httpx.Principal(c), id, routing.PresentRequest{LeaderID: formID(c, "leader_id"), Note: c.FormValue("note")})
		return "forwarded", err
	})
}

func (s *Server) fileSubmit(c *fiber.Ctx) error {
	return s.deliveryAction(c, "file", func(id int64) (string, error) {
		_, err := s.routing.File(c.UserContext(), httpx.Principal(c), id, c.FormValue("note"))
		return "filed", err
	})
}

// formTarget reads "s:<section id>" or "u:<person id>"; anything else is
// a target naming neither, which Direct refuses.
func formTarget(v string) routing.Target {
	kind, id, _ := strings.Cut(v, ":")
	n, _ := strconv.ParseInt(id, 10, 64)
	switch kind {
	case "s":
		return routing.Target{SectionID: n}
	case "u":
		return routing.Target{UserID: n}
	}
	return routing.Target{}
}

func formTargets(c *fiber.Ctx, name string) []routing.Target {
	var out []routing.Target
	for _, v := range c.Request().PostArgs().PeekMulti(name) {
		if len(v) > 0 {
			out = append(out, formTarget(string(v)))
		}
	}
	return out
}

func (s *Server) directSubmit(c *fiber.Ctx) error {
	return s.deliveryAction(c, "direct", func(id int64) (string, error) {
		lead := formTarget(c.FormValue("lead"))
		lead.Due = c.FormValue("lead_due")
		_, err := s.routing.Direct(c.UserContext(), httpx.Principal(c), id, routing.DirectRequest{Opinion: c.FormValue("opinion"),
			Lead: lead, Coordinators: formTargets(c, "coordinators"), Informed: formTargets(c, "informed"), Due: c.FormValue("due")})
		return "directed", flatFields(err)
	})
}

func (s *Server) remindSubmit(c *fiber.Ctx) error {
	return s.deliveryAction(c, "remind", func(id int64) (string, error) {
		_, err := s.routing.Remind(c.UserContext(), httpx.Principal(c), id, c.FormValue("note"))
		return "reminded", err
	})
}

// taskAction runs a form of one task; the form's name carries the task.
func (s *Server) taskAction(c *fiber.Ctx, form string, act func(id, tid int64) (string, error)) error {
	tid, err := httpx.PathID(c, "task")
	if err != nil {
		return err
	}
	return s.deliveryAction(c, fmt.Sprintf("task%d-%s", tid, form), func(id int64) (string, error) { return act(id, tid) })
}

func (s *Server) taskAssignSubmit(c *fiber.Ctx) error {
	return s.taskAction(c, "assign", func(id, tid int64) (string, error) {
		var users []int64
		for _, v := range c.Request().PostArgs().PeekMulti("user_id") {
			if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
				users = append(users, n)
			}
		}
		_, err := s.routing.AssignTask(c.UserContext(), httpx.Principal(c), id, tid, routing.AssignTaskRequest{UserIDs: users,
			Due: c.FormValue("due"), Note: c.FormValue("note")})
		return "task-assigned", flatFields(err)
	})
}

func (s *Server) taskEntrySubmit(c *fiber.Ctx) error {
	return s.taskAction(c, "entry", func(id, tid int64) (string, error) {
		_, err := s.routing.AddEntry(c.UserContext(), httpx.Principal(c), id, tid, c.FormValue("kind"), c.FormValue("body"))
		return "entry", err
	})
}

func (s *Server) taskDoneSubmit(c *fiber.Ctx) error {
	return s.taskAction(c, "done", func(id, tid int64) (string, error) {
		_, err := s.routing.CompleteTask(c.UserContext(), httpx.Principal(c), id, tid, routing.CompleteRequest{Note: c.FormValue("note"),
			ResponseID: formID(c, "response_id")})
		return "task-done", err
	})
}

func (s *Server) taskReopenSubmit(c *fiber.Ctx) error {
	return s.taskAction(c, "reopen", func(id, tid int64) (string, error) {
		_, err := s.routing.Reopen(c.UserContext(), httpx.Principal(c), id, tid, c.FormValue("note"))
		return "reopened", err
	})
}
