package api

import (
	"context"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/auth"
)

// withID answers a JSON API call on the resource named by the path's :id
// with fn's result and status.
func withID[R any](c *fiber.Ctx, status int, fn func(context.Context, auth.Principal, int64) (R, error)) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	r, err := fn(c.UserContext(), principal(c), id)
	if err != nil {
		return err
	}
	return c.Status(status).JSON(r)
}

// withIDBody is withID for a call that takes a JSON body.
func withIDBody[B, R any](c *fiber.Ctx, status int, fn func(context.Context, auth.Principal, int64, B) (R, error)) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var b B
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	r, err := fn(c.UserContext(), principal(c), id, b)
	if err != nil {
		return err
	}
	return c.Status(status).JSON(r)
}

// list wraps items as {"items": [...]}, never null.
func list[T any](items []T) fiber.Map {
	if items == nil {
		items = []T{}
	}
	return fiber.Map{"items": items}
}

// listOf is withID for a call that returns a list.
func listOf[T any](c *fiber.Ctx, fn func(context.Context, auth.Principal, int64) ([]T, error)) error {
	return withID(c, fiber.StatusOK, func(ctx context.Context, p auth.Principal, id int64) (fiber.Map, error) {
		items, err := fn(ctx, p, id)
		return list(items), err
	})
}
