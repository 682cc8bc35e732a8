package httpx

import (
	"encoding/json"
	"errors"
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/internal/domain"
)

func TestCheckText(t *testing.T) {
	tests := []struct {
		v    string
		want string // "" or the message
	}{
		{"Kế hoạch cải cách hành chính năm 2021", ""},
		{"", ""},
		{"   ", ""}, // blank is for the field's own rules
		{"dòng 1\ndòng 2\r\n\tthụt lề", ""},
		{"emoji có nối 👩‍💻", ""},         // a zero width joiner among letters
		{"tiếng Ả Rập \u200f مرحبا", ""}, // a right-to-left mark is not an override
		{"a\x00b", msgControl},
		{"a\x07b", msgControl},
		{"a\x1bb", msgControl},
		{"a\x7fb", msgControl},
		{"a\u0085b", msgControl},
		{"a\xffb", msgBadUTF8},
		{"\xc3\x28", msgBadUTF8},
		{"\xed\xa0\x80", msgBadUTF8}, // an encoded surrogate
		{"abc\u202egpj.exe", msgBidi},
		{"\u202aa", msgBidi},
		{"\u202da", msgBidi},
		{"\u2066a\u2069", msgBidi},
		{"\u2067a", msgBidi},
		{"\u2068a", msgBidi},
		{"\u200b", msgInvisible},
		{"\u200b\u200c\u200d", msgInvisible},
		{" \u2060 \ufeff ", msgInvisible},
		{"\u00ad", msgInvisible},
		{"\u3164", msgInvisible},
		{"\ufe0f", msgInvisible},
		{"\u200ba", ""},
	}
	for _, tt := range tests {
		if got := CheckText(tt.v); got != tt.want {
			t.Errorf("CheckText(%q) = %q, want %q", tt.v, got, tt.want)
		}
	}
	for v, want := range map[string]string{
		"mật khẩu \u202e có \x07 lạ \u200b": "",
		"\u200b": "",
		"a\x00b": msgControl,
		"a\xffb": msgBadUTF8,
	} {
		if got := CheckSecret(v); got != want {
			t.Errorf("CheckSecret(%q) = %q, want %q", v, got, want)
		}
	}
}

// TestCheckInput drives checkInput through a Fiber app: every way text
// enters is checked, the field is named, and good requests pass.
func TestCheckInput(t *testing.T) {
	app := fiber.New(fiber.Config{ErrorHandler: func(c *fiber.Ctx, err error) error {
		var ve *domain.ValidationError
		if errors.As(err, &ve) {
			return c.Status(422).JSON(ve.Fields)
		}
		return c.Status(500).SendString(err.Error())
	}})
	ok := func(c *fiber.Ctx) error { return c.SendString("ok") }
	app.Post("/api/v1/things/:name", checkInput, ok)
	app.Post("/things/:name", checkInput, ok)

	tests := []struct {
		what, path, ctype, body string
		header                  map[string]string
		field                   string // "" when the request passes
	}{
		{"good JSON", "/api/v1/things/a?q=ok", "application/json", `{"title":"Kế hoạch","items":[{"note":"x"}],"n":1,"password":"\u202e\u200b"}`, nil, ""},
		{"NUL in a JSON string", "/api/v1/things/a", "application/json", `{"username":"a\u0000b","password":"x"}`, nil, "username"},
		{"NUL in a password", "/api/v1/things/a", "application/json", `{"username":"a","password":"x\u0000"}`, nil, "password"},
		{"deep JSON", "/api/v1/things/a", "application/json", `{"a":{"b":[1,{"c":"\u202e"}]}}`, nil, "a.b[1].c"},
		{"invisible title", "/api/v1/things/a", "application/json", `{"title":"\u200b\u200b"}`, nil, "title"},
		{"invalid UTF-8 in JSON", "/api/v1/things/a", "application/json", "{\"title\":\"a\xffb\",\"ok\":\"x\"}", nil, "title"},
		{"a JSON string", "/api/v1/things/a", "application/json", `"\u0000"`, nil, "body"},
		{"not JSON", "/api/v1/things/a", "application/json", `{"title":`, nil, ""},
		{"query", "/api/v1/things/a?q=" + url.QueryEscape("a\x00"), "", "", nil, "q"},
		{"query key", "/api/v1/things/a?" + url.QueryEscape("\x01") + "=1", "", "", nil, "query"},
		{"path", "/api/v1/things/a%00b", "", "", nil, "name"},
		{"path invalid UTF-8", "/api/v1/things/a%FFb", "", "", nil, "name"},
		{"idempotency key", "/api/v1/things/a", "", "", map[string]string{"Idempotency-Key": "k\u202e"}, "Idempotency-Key"},
		{"good form", "/things/a", fiber.MIMEApplicationForm, "title=K%E1%BA%BF&password=%E2%80%AE", nil, ""},
		{"form", "/things/a", fiber.MIMEApplicationForm, "title=%E2%80%8B&x=1", nil, "title"},
		{"form invalid UTF-8", "/things/a", fiber.MIMEApplicationForm, "reason=a%FF", nil, "reason"},
		{"form password NUL", "/things/a", fiber.MIMEApplicationForm, "password=a%00", nil, "password"},
		{"multipart form", "/things/a", "multipart/form-data; boundary=XX",
			"--XX\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nx\x00y\r\n--XX--\r\n", nil, "body"},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("POST", tt.path, strings.NewReader(tt.body))
		if tt.ctype != "" {
			req.Header.Set("Content-Type", tt.ctype)
		}
		for k, v := range tt.header {
			req.Header.Set(k, v)
		}
		resp, err := app.Test(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if tt.field == "" {
			if resp.StatusCode != 200 {
				t.Errorf("%s: %d %s", tt.what, resp.StatusCode, b)
			}
			continue
		}
		var fields map[string]string
		if resp.StatusCode != 422 || json.Unmarshal(b, &fields) != nil || fields[tt.field] == "" {
			t.Errorf("%s: %d %s, want 422 naming %s", tt.what, resp.StatusCode, b, tt.field)
		}
	}
}
