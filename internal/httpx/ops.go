package httpx

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
)

// operations are the endpoints of the instance itself, for the load
// balancer and the monitoring.
func (s *Server) operations() []Route {
	return []Route{
		{"GET", "/healthz", "", false, false, s.healthz},
		{"GET", "/readyz", "", false, false, s.readyz},
		{"GET", "/metrics", "", false, false, s.metricsHandler},
	}
}

func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// readyz reports whether PostgreSQL and the store answer.
func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 3*time.Second)
	defer cancel()
	checks := fiber.Map{"database": "ok", "store": "ok"}
	ready := true
	if err := s.db.PingContext(ctx); err != nil {
		checks["database"], ready = "unavailable", false
		s.log.Warn("readiness: database unavailable", "error", err)
	}
	if err := s.blobs.Ping(ctx); err != nil {
		checks["store"], ready = "unavailable", false
		s.log.Warn("readiness: store unavailable", "error", err)
	}
	if !ready {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "checks": checks})
	}
	return c.JSON(fiber.Map{"status": "ok", "checks": checks})
}
