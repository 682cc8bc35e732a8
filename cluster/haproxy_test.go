package cluster

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/testenv"
)

// balancer is HAProxy in front of the instances, round robin with no
// stickiness, so consecutive requests of one client alternate.
type balancer struct {
	Base   string
	cmd    *exec.Cmd
	exited chan struct{}
	log    string
}

// startHAProxy writes a configuration for the backends and starts HAProxy
// in the foreground; it is stopped at cleanup. Every response carries the
// backend's name in X-Vanban-Instance, so tests can see where it was served.
func startHAProxy(tb testing.TB, backends ...*testenv.Instance) *balancer {
	tb.Helper()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatal("haproxy is not installed (scripts/deps.sh installs it)")
		}
		tb.Skip("haproxy is not installed (scripts/deps.sh installs it)")
	}
	addr := testenv.FreeAddr(tb)
	var servers strings.Builder
	for i, b := range backends {
		// Health checks every 300 ms: a killed instance is out after two
		// failures; retries and redispatch send a refused connection to
		// the other instance, so only requests already in flight fail.
		fmt.Fprintf(&servers, "    server vanban%d %s check inter 300ms fall 2 rise 2\n", i+1, b.Addr)
	}
	cfg := fmt.Sprintf(`global
    maxconn 2000
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    retries 3
    option redispatch
    retry-on conn-failure empty-response
frontend vanban
    bind %s
    default_backend instances
backend instances
    balance roundrobin
    option httpchk GET /healthz
    http-response set-header X-Vanban-Instance %%[srv_name]
%s`, addr, servers.String())
	dir := tb.TempDir()
	path := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		tb.Fatal(err)
	}
	if out, err := exec.Command(bin, "-c", "-f", path).CombinedOutput(); err != nil {
		tb.Fatalf("haproxy -c: %v\n%s", err, out)
	}
	logPath := filepath.Join(dir, "haproxy.log")
	logf, err := os.Create(logPath)
	if err != nil {
		tb.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, "-db", "-f", path)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	lb := &balancer{Base: "http://" + addr, cmd: cmd, exited: make(chan struct{}), log: logPath}
	go func() { cmd.Wait(); close(lb.exited) }()
	tb.Cleanup(func() {
		cmd.Process.Kill()
		<-lb.exited
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(lb.Base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return lb
			}
		}
		select {
		case <-lb.exited:
			b, _ := os.ReadFile(logPath)
			tb.Fatalf("haproxy exited:\n%s", b)
		default:
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logPath)
			tb.Fatalf("haproxy does not answer at %s after 15 s:\n%s", lb.Base, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
