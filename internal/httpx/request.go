package httpx

import (
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
)

// PathID reads a positive id from the path; anything else is a 404.
func PathID(c *fiber.Ctx, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, fiber.ErrNotFound
	}
	return id, nil
}

// DocumentFilter reads the document list's query: the API's and the
// page's are the same.
func DocumentFilter(c *fiber.Ctx) (documents.Filter, error) {
	f := documents.Filter{
		DocType: c.Query("type"), Status: c.Query("status"),
		From: c.Query("from"), To: c.Query("to"), Query: c.Query("q"), Cursor: c.Query("cursor"),
	}
	bad := map[string]string{}
	if v := c.Query("unit"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			bad["unit"] = "mã đơn vị phải là số"
		}
		f.UnitID = id
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			n = -1
		}
		f.Limit = n
	}
	for k, v := range f.Problems() {
		bad[k] = v
	}
	if len(bad) > 0 {
		return f, &domain.ValidationError{Fields: bad}
	}
	return f, nil
}
