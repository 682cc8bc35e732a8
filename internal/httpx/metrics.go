package httpx

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/hcm-edu/vanban/auth"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

type httpMetrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg *prometheus.Registry) *httpMetrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &httpMetrics{
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vanban_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "vanban_http_request_duration_seconds", Help: "Time to handle HTTP requests.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 9),
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

func (m *httpMetrics) observe(method, route string, status int, d time.Duration) {
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(method, route).Observe(d.Seconds())
}

// metricsHandler serves /metrics, behind METRICS_TOKEN when it is set.
func (s *Server) metricsHandler(c *fiber.Ctx) error {
	if tok := s.cfg.MetricsToken; tok != "" {
		got, _ := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
		if !auth.TokensEqual(tok, got) {
			return BadRequest(401, "unauthenticated", "GET /metrics cần Authorization: Bearer <METRICS_TOKEN>")
		}
	}
	return adaptor.HTTPHandler(promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))(c)
}
