package httpx

import (
	"bufio"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/config"
)

// testServer runs NewServer with a JSON route and a page; the error page
// is a stub that says it is one.
func testServer(t *testing.T, cfg *config.Config) string {
	t.Helper()
	if cfg.MaxUploadBytes == 0 {
		cfg.MaxUploadBytes = 1 << 20
	}
	s := NewServer(Deps{Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, func(c *fiber.Ctx, p Problem) error {
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.Status(p.Status).SendString("<p>error page: " + p.Message + "</p>")
	})
	ok := func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"ok": true}) }
	s.Mount([]Route{
		{"GET", "/api/v1/things", "", false, false, ok},
		{"POST", "/api/v1/things", "", false, false, ok},
		{"GET", "/page", "", false, false, func(c *fiber.Ctx) error { return c.SendString("page") }},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.App().Listener(ln)
	t.Cleanup(func() { s.App().Shutdown() })
	return ln.Addr().String()
}

// raw sends bytes as they are and reads one response.
func raw(t *testing.T, addr, request string) (*http.Response, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	go io.WriteString(conn, request) // the server may answer before it reads all
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestErrorsOfEveryStatus: whatever refuses a request, Fiber, fasthttp
// before any handler, or our middleware, /api/v1/* answers JSON with a
// code, a Vietnamese message and the request id, and pages answer HTML.
func TestErrorsOfEveryStatus(t *testing.T) {
	addr := testServer(t, &config.Config{})
	big := strings.Repeat("x", 16<<10)
	tests := []struct {
		what, request string
		status        int
		code          string // "" for the HTML page
		notIn         string // what the answer must not quote
	}{
		{"431 on the API", "GET /api/v1/things HTTP/1.1\r\nHost: a\r\nCookie: c=" + big + "\r\n\r\n", 431, "headers_too_large", big[:100]},
		{"431 on a page", "GET /page HTTP/1.1\r\nHost: a\r\nCookie: c=" + big + "\r\n\r\n", 431, "", big[:100]},
		{"431 on a long API path", "GET /api/v1/things?" + strings.Repeat("q", 300) + " HTTP/1.1\r\nHost: a\r\nX-A: " + big + "\r\n\r\n", 431, "headers_too_large", ""},
		{"malformed header", "GET /api/v1/things HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n", 400, "bad_request", "abc"},
		{"malformed header on a page", "GET /page HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n", 400, "", "abc"},
		{"405", "DELETE /api/v1/things HTTP/1.1\r\nHost: a\r\n\r\n", 405, "method_not_allowed", ""},
		{"404 of an unknown API path", "GET /api/v1/nothing/here HTTP/1.1\r\nHost: a\r\n\r\n", 404, "not_found", ""},
		{"404 of an unknown page", "GET /nothing/here HTTP/1.1\r\nHost: a\r\n\r\n", 404, "", ""},
		{"413", "POST /api/v1/things HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n" + strings.Repeat(" ", 2000000), 413, "too_large", ""},
		{"413 chunked", "POST /api/v1/things HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 413, "too_large", ""},
	}
	for _, tt := range tests {
		resp, body := raw(t, addr, tt.request)
		if resp.StatusCode != tt.status {
			t.Errorf("%s: %d %s", tt.what, resp.StatusCode, body)
			continue
		}
		if tt.notIn != "" && strings.Contains(body, tt.notIn) {
			t.Errorf("%s: the answer quotes the request: %s", tt.what, body)
		}
		id := resp.Header.Get("X-Request-ID")
		if tt.code == "" {
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "error page") {
				t.Errorf("%s: not the HTML error page: %s %s", tt.what, resp.Header.Get("Content-Type"), body)
			}
			continue
		}
		var out struct {
			Error struct {
				Code, Message string
				RequestID     string `json:"request_id"`
			}
		}
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || json.Unmarshal([]byte(body), &out) != nil {
			t.Errorf("%s: not JSON: %s %s", tt.what, resp.Header.Get("Content-Type"), body)
			continue
		}
		e := out.Error
		if e.Code != tt.code || e.RequestID == "" || e.RequestID != id || !strings.ContainsAny(e.Message, "ạảãáàâấầẩẫậăắằẳẵặđẹẻẽéèêếềểễệịỉĩíìọỏõóòôốồổỗộơớờởỡợụủũúùưứừửữựỵỷỹýỳ") {
			t.Errorf("%s: %s (X-Request-ID %q)", tt.what, body, id)
		}
	}
}

// TestHSTS: Strict-Transport-Security only when users come over https.
func TestHSTS(t *testing.T) {
	tests := []struct {
		what  string
		cfg   config.Config
		proto string
		want  bool
	}{
		{"plain http", config.Config{}, "", false},
		{"PUBLIC_URL https", config.Config{PublicURL: "https://vanban.hcm.edu.vn"}, "", true},
		{"PUBLIC_URL http", config.Config{PublicURL: "http://localhost:8080"}, "", false},
		{"a trusted proxy over https", config.Config{TrustProxy: true}, "https", true},
		{"a trusted proxy over http", config.Config{TrustProxy: true}, "http", false},
		{"X-Forwarded-Proto without TRUST_PROXY", config.Config{}, "https", false},
	}
	for _, tt := range tests {
		cfg := tt.cfg
		addr := testServer(t, &cfg)
		req := "GET /api/v1/things HTTP/1.1\r\nHost: a\r\n"
		if tt.proto != "" {
			req += "X-Forwarded-Proto: " + tt.proto + "\r\n"
		}
		resp, _ := raw(t, addr, req+"\r\n")
		got := resp.Header.Get("Strict-Transport-Security")
		if (got != "") != tt.want || tt.want && !strings.HasPrefix(got, "max-age=") {
			t.Errorf("%s: Strict-Transport-Security = %q", tt.what, got)
		}
	}
}
