package server

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
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
	chromium := os.Getenv("VANBAN_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if st, err := os.Stat(chromium); err != nil || st.IsDir() {
		testenv.Missing(t, "chromium (VANBAN_CHROMIUM)")
	}
	shots := os.Getenv("VANBAN_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	root, cancelRoot := context.WithTimeout(context.Background(), timeout)
	var out e2eOutput
	actx, cancelAlloc := chromedp.NewExecAllocator(root,
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root in CI
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.CombinedOutput(&out),
	)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancelRoot()
		if s := out.String(); t.Failed() && s != "" {
			t.Logf("chromium output:\n%s", s)
		}
	})
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
	f, err := chromedp.Run(b.ctx, chromedp.Evaluate[found](fmt.Sprintf(
		`(() => { const e = document.querySelector(%q); return e ? {ok: true, text: e.innerText} : {ok: false, text: ""}; })()`, css)))
	b.must("find "+css, err)
	return f.OK, strings.TrimSpace(f.Text)
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

// e2eOutput collects Chromium's output, written from its own goroutines.
type e2eOutput struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *e2eOutput) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *e2eOutput) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
