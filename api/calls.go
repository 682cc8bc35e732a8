package api

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/httpx"
)

// withID answers a JSON API call on the resource named by the path's :id
// with fn's result and status.
func withID[R any](c *fiber.Ctx, status int, fn func(context.Context, auth.Principal, int64) (R, error)) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	r, err := fn(c.UserContext(), httpx.Principal(c), id)
	if err != nil {
		return err
	}
	return c.Status(status).JSON(r)
}

// withIDBody is withID for a call that takes a JSON body.
func withIDBody[B, R any](c *fiber.Ctx, status int, fn func(context.Context, auth.Principal, int64, B) (R, error)) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	var b B
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	r, err := fn(c.UserContext(), httpx.Principal(c), id, b)
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

// decodeJSON reads a JSON request body into v.
func decodeJSON(c *fiber.Ctx, v any) error {
	if err := json.Unmarshal(c.Body(), v); err != nil {
		return httpx.BadRequest(400, "bad_json", "Nội dung phải là JSON hợp lệ: "+jsonProblem(err))
	}
	return nil
}

func jsonProblem(err error) string {
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		return fmt.Sprintf("trường %s có kiểu sai", te.Field)
	}
	return "không đọc được"
}
