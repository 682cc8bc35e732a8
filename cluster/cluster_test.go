package cluster

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/hcm-edu/vanban/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.RemoveBinary()
	os.Exit(code)
}

// cluster is two instances on one database and bucket, behind HAProxy.
type cluster struct {
	st   *testenv.Stack
	a, b *testenv.Instance
	lb   *balancer
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("starts two instances and HAProxy")
	}
	st := testenv.NewStack(t)
	a, b := st.Serve(t), st.Serve(t)
	return &cluster{st: st, a: a, b: b, lb: startHAProxy(t, a, b)}
}

// call sends a JSON request with a bearer token and decodes a JSON answer
// into out (when not nil); it returns the status.
func call(t *testing.T, client *http.Client, method, url, token string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode < 300 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: decode: %v", method, url, err)
		}
	}
	return resp.StatusCode
}

// TestBrowserSessionAcrossInstances: a person logs in through the balancer
// and works while consecutive pages are served by different instances; a
// form (logout, with its CSRF token) posted to one instance ends the
// session on both.
func TestBrowserSessionAcrossInstances(t *testing.T) {
	c := newCluster(t)
	ctx := testenv.Browser(t, 2*time.Minute)
	servedBy := map[string]int{}
	open := func(step string, resp *network.Response, err error) string {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if resp.Status != 200 {
			t.Fatalf("%s: status %d", step, resp.Status)
		}
		for k, v := range resp.Headers {
			if strings.EqualFold(k, "X-Vanban-Instance") {
				servedBy[fmt.Sprint(v)]++
			}
		}
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		u, err := url.Parse(loc)
		if err != nil {
			t.Fatal(err)
		}
		return u.Path
	}
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(c.lb.Base+"/login"))
	open("open the login page", resp, err)
	resp, err = chromedp.RunResponse(ctx,
		chromedp.SendKeys(chromedp.ID("username"), "vanthu.sgd"),
		chromedp.SendKeys(chromedp.ID("password"), testenv.StackPassword),
		chromedp.Click(chromedp.ID("login-submit")))
	if p := open("log in through the balancer", resp, err); p != "/documents" {
		t.Fatalf("after login at %s, want /documents", p)
	}
	pages := []string{"/inbox", "/documents", "/meetings", "/registers", "/indicators", "/notifications", "/settings", "/verify"}
	for round := 0; round < 2; round++ {
		for _, p := range pages {
			resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(c.lb.Base+p))
			if got := open("open "+p, resp, err); got != p {
				t.Fatalf("opening %s landed on %s: the session was not recognised", p, got)
			}
		}
	}
	if len(servedBy) < 2 {
		t.Fatalf("every page came from one instance (%v): the balancer did not alternate", servedBy)
	}
	t.Logf("pages served by %v", servedBy)

	resp, err = chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)))
	if p := open("log out through the balancer", resp, err); p != "/login" {
		t.Fatalf("after logout at %s, want /login", p)
	}
	for _, p := range []string{"/inbox", "/documents", "/meetings"} {
		resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(c.lb.Base+p))
		if got := open("open "+p+" after logout", resp, err); got != "/login" {
			t.Fatalf("after logout %s shows %s, want the login page", p, got)
		}
	}
}

// TestLiveEventsAcrossInstances: a participant follows the meeting on one
// instance while the organiser changes the agenda on the other.
func TestLiveEventsAcrossInstances(t *testing.T) {
	c := newCluster(t)
	participant := testenv.Login(t, c.a.Client, c.a.Base, "vanthu.q1")
	organiser := testenv.Login(t, c.b.Client, c.b.Base, "chuyenvien.sgd")

	var list struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	// seed-demo schedules a meeting for the next morning.
	from := time.Now().Format("2006-01-02")
	to := time.Now().AddDate(0, 0, 7).Format("2006-01-02")
	if st := call(t, c.a.Client, "GET", c.a.Base+"/api/v1/meetings?from="+from+"&to="+to, participant, nil, &list); st != 200 || len(list.Items) == 0 {
		t.Fatalf("the participant's meetings: status %d, %d meetings (seed-demo schedules one)", st, len(list.Items))
	}
	id := list.Items[0].ID

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/api/v1/meetings/%d/events", c.a.Base, id), nil)
	req.Header.Set("Authorization", "Bearer "+participant)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("event stream on instance A: status %d", resp.StatusCode)
	}
	events := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if k, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				events <- k
			}
		}
		close(events)
	}()
	// Let the stream subscribe before the change.
	time.Sleep(500 * time.Millisecond)
	item := map[string]any{"title": "Mục do phiên bản B thêm"}
	if st := call(t, c.b.Client, "POST", fmt.Sprintf("%s/api/v1/meetings/%d/items", c.b.Base, id), organiser, item, nil); st != 201 && st != 200 {
		t.Fatalf("add an agenda item on instance B: status %d\n%s", st, c.b.LogTail())
	}
	select {
	case k, ok := <-events:
		if !ok {
			t.Fatal("the stream on instance A ended without an event")
		}
		t.Logf("instance A streamed %q for the change made on B", k)
	case <-ctx.Done():
		t.Fatalf("no event on instance A within 30 s of the change on B\nA: %s", c.a.LogTail())
	}
}

// TestLoginLimitAcrossInstances: guesses spread over two instances are
// counted together: the balancer lets no more through than one instance.
func TestLoginLimitAcrossInstances(t *testing.T) {
	c := newCluster(t)
	guess := func(base, user string) int {
		return call(t, http.DefaultClient, "POST", base+"/api/v1/auth/login", "",
			map[string]string{"username": user, "password": "not-the-password"}, nil)
	}
	const tries = 40
	checked := func(bases []string, user string) int {
		n := 0
		for i := 0; i < tries; i++ {
			switch st := guess(bases[i%len(bases)], user); st {
			case http.StatusUnauthorized:
				n++
			case http.StatusTooManyRequests:
			default:
				t.Fatalf("wrong password for %s: status %d", user, st)
			}
		}
		return n
	}
	single := checked([]string{c.a.Base}, "vanthu.q1")
	both := checked([]string{c.a.Base, c.b.Base}, "vanthu.q2")
	if single >= tries {
		t.Fatalf("one instance checked all %d wrong passwords: no limit", tries)
	}
	if both != single {
		t.Fatalf("two instances checked %d wrong passwords, one instance %d: the limit is per instance", both, single)
	}
}

// TestInstanceKilledMidTraffic: one instance is killed while clients work
// through the balancer; only requests in flight at that moment may fail,
// retrying them succeeds, and everything after is served by the other.
func TestInstanceKilledMidTraffic(t *testing.T) {
	c := newCluster(t)
	const clients = 8
	tokens := make([]string, clients)
	users := []string{"vanthu.sgd", "vanthu.q1", "vanthu.thcs1", "vanthu.thpt1"}
	for i := range tokens {
		tokens[i] = testenv.Login(t, http.DefaultClient, c.lb.Base, users[i%len(users)])
	}
	var (
		ok, failed, retriedOK atomic.Int64
		afterKill             atomic.Int64
		killedAt              atomic.Int64
		wg                    sync.WaitGroup
	)
	stop := time.Now().Add(6 * time.Second)
	get := func(token string) (int, string, error) {
		req, _ := http.NewRequest("GET", c.lb.Base+"/api/v1/inbox", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, "", err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("X-Vanban-Instance"), nil
	}
	var lateMu sync.Mutex
	lateBy := map[string]int{}
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(token string) {
			defer wg.Done()
			for time.Now().Before(stop) {
				start := time.Now().UnixNano()
				st, by, err := get(token)
				if err == nil && st == 200 {
					ok.Add(1)
					if k := killedAt.Load(); k != 0 && start > k+int64(time.Second) {
						afterKill.Add(1)
						lateMu.Lock()
						lateBy[by]++
						lateMu.Unlock()
					}
					continue
				}
				failed.Add(1)
				// A GET is idempotent: the client retries it once.
				if st2, _, err2 := get(token); err2 == nil && st2 == 200 {
					retriedOK.Add(1)
				}
			}
		}(tokens[i])
	}
	time.Sleep(2 * time.Second)
	killedAt.Store(time.Now().UnixNano())
	c.a.Kill(t)
	wg.Wait()

	t.Logf("requests: %d ok, %d failed (%d of them succeeded on retry), %d served more than 1 s after the kill by %v",
		ok.Load(), failed.Load(), retriedOK.Load(), afterKill.Load(), lateBy)
	if failed.Load() > clients {
		t.Errorf("%d requests failed; at most the %d in flight at the kill may", failed.Load(), clients)
	}
	if retriedOK.Load() != failed.Load() {
		t.Errorf("%d of %d failed requests failed again on retry", failed.Load()-retriedOK.Load(), failed.Load())
	}
	if afterKill.Load() == 0 {
		t.Fatal("nothing was served after the kill")
	}
	if len(lateBy) != 1 {
		t.Errorf("after the kill requests were served by %v, want only the surviving instance", lateBy)
	}
}
