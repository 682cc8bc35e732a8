package testenv

import (
	"bytes"
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Browser starts a headless Chromium (/usr/bin/chromium or
// $VANBAN_CHROMIUM) and returns the context of its first tab. A hung
// browser fails the test instead of hanging it: the timeout ends the
// browser and every action with it. Chromium's output is logged when the
// test fails.
func Browser(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	chromium := os.Getenv("VANBAN_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if st, err := os.Stat(chromium); err != nil || st.IsDir() {
		Missing(t, "chromium (VANBAN_CHROMIUM)")
	}
	root, cancelRoot := context.WithTimeout(context.Background(), timeout)
	out := &lockedBuffer{}
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
		chromedp.CombinedOutput(out),
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
	return ctx
}

// lockedBuffer collects a child process's output, written from another
// goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
