package httpx

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/internal/domain"
)

// The problems CheckText finds, as the field's message: what to fix.
const (
	msgBadUTF8    = "không phải văn bản UTF-8 hợp lệ; hãy gõ lại nội dung thay vì dán từ tệp hoặc phần mềm khác"
	msgControl    = "chứa ký tự điều khiển không in được (như ký tự NUL); hãy xóa ký tự đó rồi gửi lại"
	msgBidi       = "chứa ký tự điều khiển hướng chữ (như U+202E) làm chữ hiển thị khác với nội dung thật; hãy xóa ký tự đó rồi gửi lại"
	msgInvisible  = "chỉ gồm ký tự vô hình (như dấu cách độ rộng 0); hãy nhập nội dung có chữ"
	maxTextFields = 20
)

// CheckText says what is wrong with a text value a client sent, in
// Vietnamese, or "" when it may enter: it must be valid UTF-8, hold no
// control character but tab and line breaks, no bidi override, embedding
// or isolate (they make a title read differently from what it is), and
// not be made only of invisible characters.
func CheckText(v string) string {
	if !utf8.ValidString(v) {
		return msgBadUTF8
	}
	invisible, visible := false, false
	for _, r := range v {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
		case r < 0x20 || r >= 0x7f && r <= 0x9f:
			return msgControl
		case r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069:
			return msgBidi
		case isInvisible(r):
			invisible = true
		case !unicode.IsSpace(r):
			visible = true
		}
	}
	if invisible && !visible {
		return msgInvisible
	}
	return ""
}

// CheckSecret is CheckText for a password: only what no password can hold
// (NUL, invalid UTF-8) is refused; the rest is the password's business.
func CheckSecret(v string) string {
	switch {
	case !utf8.ValidString(v):
		return msgBadUTF8
	case strings.IndexByte(v, 0) >= 0:
		return msgControl
	}
	return ""
}

// isInvisible reports whether r shows nothing: format characters (zero
// width space and joiners, word joiner, BOM, soft hyphen...), the Hangul
// fillers and the variation selectors.
func isInvisible(r rune) bool {
	switch r {
	case 0x034f, 0x115f, 0x1160, 0x17b4, 0x17b5, 0x3164, 0xffa0:
		return true
	}
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Variation_Selector, r)
}

// checkField checks one named value; fields whose name says password get
// CheckSecret.
func checkField(bad map[string]string, name, v string) {
	if len(bad) >= maxTextFields {
		return
	}
	check := CheckText
	if strings.Contains(strings.ToLower(name), "password") {
		check = CheckSecret
	}
	if msg := check(v); msg != "" {
		if CheckText(name) != "" {
			name = "?"
		}
		if _, ok := bad[name]; !ok {
			bad[name] = msg
		}
	}
}

// checkInput refuses, with a 422 naming each field, a request with bad text
// (see CheckText) in its path parameters, its query, its Idempotency-Key,
// or its body: the JSON API's JSON (every string, however deep) or a
// form's fields. An upload's form fields are checked by ReadUpload as
// they stream in.
func checkInput(c *fiber.Ctx) error {
	bad := map[string]string{}
	for _, name := range c.Route().Params {
		v := c.Params(name)
		if u, err := url.PathUnescape(v); err == nil {
			v = u
		}
		checkField(bad, name, v)
	}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		if CheckText(string(k)) != "" {
			checkField(bad, "query", string(k))
			return
		}
		checkField(bad, string(k), string(v))
	})
	if v := c.Get("Idempotency-Key"); v != "" {
		checkField(bad, "Idempotency-Key", v)
	}
	if !IsUpload(c) && len(c.Body()) > 0 {
		mt, _, _ := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
		switch {
		case !wantsHTML(c):
			checkJSON(bad, c.Body())
		case mt == fiber.MIMEApplicationForm:
			c.Request().PostArgs().VisitAll(func(k, v []byte) {
				checkField(bad, string(k), string(v))
			})
		case mt == fiber.MIMEMultipartForm:
			if form, err := c.MultipartForm(); err == nil {
				for k, vs := range form.Value {
					for _, v := range vs {
						checkField(bad, k, v)
					}
				}
			}
		}
	}
	if len(bad) > 0 {
		c.Locals(localsInputRefused, true)
		return &domain.ValidationError{Fields: bad}
	}
	return c.Next()
}

const localsInputRefused = "input_refused"

// InputRefused reports whether the request was refused for its text
// before its handler ran: a page may then show its form again.
func InputRefused(c *fiber.Ctx) bool { return c.Locals(localsInputRefused) != nil }

// checkJSON checks every string of a JSON body after decoding, named by
// its path (title, items[2].note). A body that is not JSON is left to the
// handler's decoder. Decoding turns invalid UTF-8 into U+FFFD, so in a
// body that is not valid UTF-8 the strings holding U+FFFD are the culprits.
func checkJSON(bad map[string]string, body []byte) {
	if !json.Valid(body) {
		return
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return
	}
	broken := !utf8.Valid(body)
	n := len(bad)
	var walk func(name string, v any)
	walk = func(name string, v any) {
		switch x := v.(type) {
		case string:
			if name == "" {
				name = "body"
			}
			if broken && strings.ContainsRune(x, utf8.RuneError) {
				bad[name] = msgBadUTF8
				return
			}
			checkField(bad, name, x)
		case []any:
			for i, e := range x {
				walk(name+"["+strconv.Itoa(i)+"]", e)
			}
		case map[string]any:
			for k, e := range x {
				if name != "" {
					k = name + "." + k
				}
				walk(k, e)
			}
		}
	}
	walk("", v)
	if broken && len(bad) == n {
		bad["body"] = msgBadUTF8
	}
}
