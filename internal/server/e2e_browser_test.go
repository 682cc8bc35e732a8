package server

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/hcm-edu/vanban/internal/testenv"
)

// e2eBrowser is a headless Chromium for end-to-end tests: /usr/bin/chromium
// or $VANBAN_CHROMIUM, screenshots to $VANBAN_SCREENSHOTS when set.
type e2eBrowser struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string
}

// newE2EBrowser starts the browser. A hung browser fails the test instead
// of hanging it: the timeout ends the browser and every action with it.
func newE2EBrowser(t *testing.T, base string, timeout time.Duration) *e2eBrowser {
	t.Helper()
	shots := os.Getenv("VANBAN_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := testenv.Browser(t, timeout)
	return &e2eBrowser{t: t, ctx: ctx, base: base, shots: shots}
}

func (b *e2eBrowser) must(step string, err error) {
	b.t.Helper()
	if err != nil {
		b.t.Fatalf("%s: %v", step, err)
	}
}

// location is the page's URL.
func (b *e2eBrowser) location() *url.URL {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	b.must("location", err)
	u, err := url.Parse(loc)
	b.must("location", err)
	return u
}

// find reads an element at once (a page that has loaded): whether it is
// there, and its visible text.
func (b *e2eBrowser) find(css string) (bool, string) {
	b.t.Helper()
	type found struct {
		OK   bool   `json:"ok"`
		Text string `json:"text"`
	}
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e ? {ok: true, text: e.innerText} : {ok: false, text: ""}; })()`, css)
	f, err := chromedp.Run(b.ctx, chromedp.Evaluate[found](js))
	// A page still replacing its document (a redirect, a live refresh)
	// has no JavaScript context for a moment: read the new one.
	for i := 0; i < 50 && err != nil && strings.Contains(err.Error(), "Cannot find context with specified id"); i++ {
		time.Sleep(100 * time.Millisecond)
		f, err = chromedp.Run(b.ctx, chromedp.Evaluate[found](js))
	}
	b.must("find "+css, err)
	return f.OK, strings.TrimSpace(f.Text)
}

// pollJS waits up to timeout until js is true. A live refresh or a
// redirect that replaces the document while the poll runs destroys its
// JavaScript context ("Cannot find context with specified id"): the poll
// starts again in the new one.
func (b *e2eBrowser) pollJS(js string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		_, err := chromedp.Run(b.ctx, chromedp.Poll[bool](js,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(time.Until(deadline))))
		if err != nil && replacedDocument(err) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		return err
	}
}

// poll waits until js is true, failing the test with the page's error.
func (b *e2eBrowser) poll(what, js string) {
	b.t.Helper()
	if err := b.pollJS(js, 30*time.Second); err != nil {
		_, msg := b.find(".error")
		b.t.Fatalf("wait for %s at %s: %v (error on the page: %q)", what, b.location(), err, msg)
	}
}

// waitText waits until the element's visible text contains want.
func (b *e2eBrowser) waitText(css, want string) {
	b.t.Helper()
	b.poll(fmt.Sprintf("%q in %s", want, css), fmt.Sprintf(
		`(() => { const e = document.querySelector(%q); return !!e && e.innerText.includes(%q); })()`, css, want))
}

// navigate opens a page and returns its HTTP status (after redirects).
func (b *e2eBrowser) navigate(path string) int64 {
	b.t.Helper()
	resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.base+path))
	b.must("open "+path, err)
	return resp.Status
}

// submit runs the actions (a click that posts a form) and waits for the
// page that answers.
func (b *e2eBrowser) submit(step string, actions ...chromedp.Action[chromedp.Void]) int64 {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, actions...)
	b.must(step, err)
	return resp.Status
}

// replacedDocument reports whether err comes from a document replaced
// while a script ran in it (a redirect, a live refresh, a window that
// left about:blank).
func replacedDocument(err error) bool {
	for _, m := range []string{"Cannot find context with specified id", "Execution context was destroyed", "Inspected target navigated or closed"} {
		if strings.Contains(err.Error(), m) {
			return true
		}
	}
	return false
}

// login signs username in with the test password through the login page.
func (b *e2eBrowser) login(username string) {
	b.t.Helper()
	b.navigate("/login")
	status := b.submit("log in as "+username,
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.ID("login-submit")))
	if u := b.location(); status != 200 || !landingPage(u.Path) {
		_, msg := b.find(".error")
		b.t.Fatalf("log in as %s: status %d at %s (error: %q)", username, status, u, msg)
	}
}

// logout signs out with the header's button.
func (b *e2eBrowser) logout() {
	b.t.Helper()
	if status := b.submit("log out", chromedp.Click(chromedp.CSS(`form[action="/logout"] button`))); status != 200 || b.location().Path != "/login" {
		b.t.Fatalf("log out: status %d at %s", status, b.location())
	}
}

// click presses the element (a button that posts, a link) and fails the
// test with the page's error unless the answer is 200.
func (b *e2eBrowser) click(step, css string) {
	b.t.Helper()
	if status := b.submit(step, chromedp.Click(chromedp.CSS(css))); status != 200 {
		_, msg := b.find(".error")
		b.t.Fatalf("%s: status %d at %s (error: %q)", step, status, b.location(), msg)
	}
}

// choose selects the options of a select (several for a multiple one) by
// value, failing the test when one is not offered.
func (b *e2eBrowser) choose(css string, values ...string) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => { const s = document.querySelector(%q); if (!s) return false;
		const want = %q.split(",");
		if (s.multiple) { for (const o of s.options) o.selected = want.includes(o.value); } else { s.value = want[0]; }
		s.dispatchEvent(new Event("change"));
		return [...s.options].filter(o => o.selected && want.includes(o.value)).length === want.length; })()`, css, strings.Join(values, ","))
	ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](js))
	b.must("choose "+css, err)
	if !ok {
		offered, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](fmt.Sprintf(`(() => { const s = document.querySelector(%q);
			return s ? [...s.options].map(o => o.value + "=" + o.text).join("; ") : "no such select"; })()`, css)))
		b.t.Fatalf("%s has no option %v (it offers %s)", css, values, offered)
	}
}
