package api

import (
	"context"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/httpx"
	"github.com/hcm-edu/vanban/routing"
)

// The handling of a delivery inside the unit (routing/handling.go):
// present, file, direct, forward, remind; a task given to people,
// reported on, done, reopened; the tasks and the trail.

type leaderBody struct {
	LeaderID int64  `json:"leader_id"`
	Note     string `json:"note"`
}

type noteBody struct {
	Note string `json:"note"`
}

func (s *Server) presentDelivery(c *fiber.Ctx) error {
	return withIDBody(c, fiber.StatusOK, func(ctx context.Context, p auth.Principal, id int64, b leaderBody) (routing.Delivery, error) {
		return s.routing.Present(ctx, p, id, routing.PresentRequest{LeaderID: b.LeaderID, Note: b.Note})
	})
}

func (s *Server) forwardDelivery(c *fiber.Ctx) error {
	return withIDBody(c, fiber.StatusOK, func(ctx context.Context, p auth.Principal, id int64, b leaderBody) (routing.Delivery, error) {
		return s.routing.Forward(ctx, p, id, routing.PresentRequest{LeaderID: b.LeaderID, Note: b.Note})
	})
}

func (s *Server) fileDelivery(c *fiber.Ctx) error {
	return withIDBody(c, fiber.StatusOK, func(ctx context.Context, p auth.Principal, id int64, b noteBody) (routing.Delivery, error) {
		return s.routing.File(ctx, p, id, b.Note)
	})
}

func (s *Server) remindDelivery(c *fiber.Ctx) error {
	return withIDBody(c, fiber.StatusOK, func(ctx context.Context, p auth.Principal, id int64, b noteBody) (routing.Delivery, error) {
		return s.routing.Remind(ctx, p, id, b.Note)
	})
}

type directBody struct {
	Opinion      string           `json:"opinion"`
	Lead         routing.Target   `json:"lead"`
	Coordinators []routing.Target `json:"coordinators"`
	Informed     []routing.Target `json:"informed"`
	Due          string           `json:"due"`
}

func (s *Server) directDelivery(c *fiber.Ctx) error {
	return withIDBody(c, fiber.StatusOK, func(ctx context.Context, p auth.Principal, id int64, b directBody) (routing.Delivery, error) {
		return s.routing.Direct(ctx, p, id, routing.DirectRequest{Opinion: b.Opinion, Lead: b.Lead, Coordinators: b.Coordinators,
			Informed: b.Informed, Due: b.Due})
	})
}

func (s *Server) listDeliveryTasks(c *fiber.Ctx) error {
	return listOf(c, s.routing.Tasks)
}

func (s *Server) listDeliveryTrail(c *fiber.Ctx) error {
	return listOf(c, s.routing.Trail)
}

// withTask is withIDBody for an operation on task :task of delivery :id.
func withTask[B any](c *fiber.Ctx, fn func(ctx context.Context, p auth.Principal, id, tid int64, b B) (routing.Delivery, error)) error {
	tid, err := httpx.PathID(c, "task")
	if err != nil {
		return err
	}
	return withIDBody(c, fiber.StatusOK, func(ctx context.Context, p auth.Principal, id int64, b B) (routing.Delivery, error) {
		return fn(ctx, p, id, tid, b)
	})
}

type assignTaskBody struct {
	UserIDs []int64 `json:"user_ids"`
	Due     string  `json:"due"`
	Note    string  `json:"note"`
}

func (s *Server) assignTask(c *fiber.Ctx) error {
	return withTask(c, func(ctx context.Context, p auth.Principal, id, tid int64, b assignTaskBody) (routing.Delivery, error) {
		return s.routing.AssignTask(ctx, p, id, tid, routing.AssignTaskRequest{UserIDs: b.UserIDs, Due: b.Due, Note: b.Note})
	})
}

type entryBody struct {
	Kind string `json:"kind"`
	Body string `json:"body"`
}

func (s *Server) addTaskEntry(c *fiber.Ctx) error {
	return withTask(c, func(ctx context.Context, p auth.Principal, id, tid int64, b entryBody) (routing.Delivery, error) {
		return s.routing.AddEntry(ctx, p, id, tid, b.Kind, b.Body)
	})
}

type completeBody struct {
	Note       string `json:"note"`
	ResponseID int64  `json:"response_id"`
}

func (s *Server) completeTask(c *fiber.Ctx) error {
	return withTask(c, func(ctx context.Context, p auth.Principal, id, tid int64, b completeBody) (routing.Delivery, error) {
		return s.routing.CompleteTask(ctx, p, id, tid, routing.CompleteRequest{Note: b.Note, ResponseID: b.ResponseID})
	})
}

func (s *Server) reopenTask(c *fiber.Ctx) error {
	return withTask(c, func(ctx context.Context, p auth.Principal, id, tid int64, b noteBody) (routing.Delivery, error) {
		return s.routing.Reopen(ctx, p, id, tid, b.Note)
	})
}
