package httpx

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// TestReadUpload drives the one multipart reader with the forms the
// routes use: the web form's CSRF token first, the file part handed over
// as it streams, the other fields kept or skipped within their limits.
func TestReadUpload(t *testing.T) {
	type part struct{ name, file, value string }
	type result struct {
		Status int
		Code   string
		Fields map[string]string
		Files  []string
		Bad    map[string]string
	}
	run := func(f UploadForm, contentType string, parts []part) result {
		t.Helper()
		var got result
		app := fiber.New(fiber.Config{StreamRequestBody: true, DisablePreParseMultipartForm: true})
		app.Post("/", func(c *fiber.Ctx) error {
			c.Locals(localsCSRF, "token-of-the-session")
			fields, err := ReadUpload(c, f, func(p *multipart.Part) error {
				b, err := io.ReadAll(p)
				got.Files = append(got.Files, p.FileName()+"="+string(b))
				return err
			})
			got.Fields = fields
			got.Status = 200
			if err != nil {
				DrainUpload(c) // as the error handler does
				p := ToProblem(err, f.MaxBytes)
				got.Status, got.Code, got.Bad = p.Status, p.Code, p.Fields
			}
			return nil
		})
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		for _, p := range parts {
			if p.file != "" {
				fw, _ := w.CreateFormFile(p.name, p.file)
				fw.Write([]byte(p.value))
			} else {
				w.WriteField(p.name, p.value)
			}
		}
		w.Close()
		if contentType == "" {
			contentType = w.FormDataContentType()
		}
		req := httptest.NewRequest("POST", "/", &body)
		req.Header.Set("Content-Type", contentType)
		if _, err := app.Test(req); err != nil {
			t.Fatal(err)
		}
		return got
	}
	doc := UploadForm{File: "file", MaxBytes: 1 << 20, MaxFields: 3, MaxFieldBytes: 16}
	form := doc
	form.CSRF = true
	csrf := part{name: "_csrf", value: "token-of-the-session"}
	pdf := part{name: "file", file: "a.pdf", value: "%PDF-1.7"}

	r := run(doc, "", []part{{name: "title", value: "Kế hoạch"}, pdf})
	if r.Status != 200 || r.Fields["title"] != "Kế hoạch" || len(r.Files) != 1 || r.Files[0] != "a.pdf=%PDF-1.7" {
		t.Errorf("fields and a file: %+v", r)
	}
	if r := run(doc, "application/json", nil); r.Status != 415 || r.Code != "multipart_required" {
		t.Errorf("not multipart: %+v", r)
	}
	if r := run(form, "", []part{csrf, {name: "title", value: "x"}, pdf}); r.Status != 200 || r.Fields["title"] != "x" || len(r.Files) != 1 {
		t.Errorf("web form: %+v", r)
	}
	for name, parts := range map[string][]part{
		"no token":    {pdf, csrf},
		"wrong token": {{name: "_csrf", value: "another"}, pdf},
	} {
		if r := run(form, "", parts); r.Status != 403 || r.Code != "csrf" || len(r.Files) != 0 {
			t.Errorf("web form, %s: %+v, want 403 csrf before the file is read", name, r)
		}
	}
	r = run(doc, "", []part{{name: "a", value: "1"}, {name: "b", value: "2"}, {name: "c", value: "3"}, {name: "d", value: "4"}})
	if r.Status != 400 || r.Code != "too_many_fields" || len(r.Fields) != 3 {
		t.Errorf("too many fields: %+v", r)
	}
	r = run(doc, "", []part{{name: "title", value: strings.Repeat("x", 17)}})
	if r.Status != 422 || r.Bad["title"] != "giá trị quá dài" {
		t.Errorf("field too long: %+v", r)
	}
	r = run(UploadForm{File: "file", MaxBytes: 1 << 20}, "", []part{{name: "title", value: "skipped"}, pdf})
	if r.Status != 200 || len(r.Fields) != 0 || len(r.Files) != 1 {
		t.Errorf("fields skipped: %+v", r)
	}
	big := part{name: "file", file: "big.pdf", value: strings.Repeat("x", 1<<20+maxFormOverhead)}
	if r := run(doc, "", []part{big}); r.Status != 413 || r.Code != "too_large" || len(r.Files) != 0 {
		t.Errorf("too large: %+v", r)
	}
}

// TestProblemJSON checks that the status and the Retry-After seconds stay
// out of the JSON body.
func TestProblemJSON(t *testing.T) {
	b, err := json.Marshal(Problem{Status: 429, Code: "too_many_attempts", Message: "m", RetryAfter: 60})
	if want := `{"code":"too_many_attempts","message":"m"}`; err != nil || string(b) != want {
		t.Errorf("JSON = %s, want %s", b, want)
	}
}
