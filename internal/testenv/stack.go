package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// StackPassword is the demo password of every account a Stack seeds.
const StackPassword = "stack-password-1"

// Stack is the real binary on a fresh database and a bucket of its own on
// the test S3 server, migrated and seeded with the demo organisation: what
// benchmarks and multi-instance tests run `vanban serve` against.
type Stack struct {
	Bin    string
	DBURL  string
	S3     S3
	Bucket string
	MC     *minio.Client
	// MaxUpload is MAX_UPLOAD_BYTES of the instances (default 300 MiB).
	MaxUpload int64
	// KeysDir is SIGNING_KEYS_DIR, shared by every instance and command
	// (seed-demo writes the development keys there), as a cluster shares
	// its keys.
	KeysDir string
	// Extra is added to every instance's environment (KEY=value).
	Extra []string
}

// NewStack builds the binary (once per test binary), creates the database
// and the bucket (both removed at cleanup), and runs migrate and seed-demo.
func NewStack(tb testing.TB) *Stack {
	tb.Helper()
	s3 := RequireS3(tb)
	DatabaseURL(tb)
	bin := BuildBinary(tb)
	_, dbURL := NewDB(tb)
	b := make([]byte, 6)
	rand.Read(b)
	st := &Stack{Bin: bin, DBURL: dbURL, S3: s3, Bucket: "vanban-stack-" + hex.EncodeToString(b),
		MaxUpload: 300 << 20, KeysDir: filepath.Join(tb.TempDir(), "keys")}
	mc, err := minio.New(s3.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(s3.AccessKey, s3.SecretKey, ""),
		Secure:       s3.UseSSL,
		Region:       s3.Region,
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		tb.Fatal(err)
	}
	st.MC = mc
	ctx := context.Background()
	if err := mc.MakeBucket(ctx, st.Bucket, minio.MakeBucketOptions{Region: s3.Region}); err != nil {
		tb.Fatalf("create bucket %s at %s: %v", st.Bucket, s3.Endpoint, err)
	}
	tb.Cleanup(func() { st.removeBucket(tb) })
	st.Run(tb, "migrate")
	st.Run(tb, "seed-demo")
	return st
}

func (st *Stack) removeBucket(tb testing.TB) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	objects := make(chan minio.ObjectInfo)
	go func() {
		defer close(objects)
		for oi := range st.MC.ListObjectsIter(ctx, st.Bucket, minio.ListObjectsOptions{Recursive: true}) {
			if oi.Err != nil {
				tb.Logf("list %s: %v", st.Bucket, oi.Err)
				return
			}
			select {
			case objects <- oi:
			case <-ctx.Done():
				return
			}
		}
	}()
	for e := range st.MC.RemoveObjects(ctx, st.Bucket, objects, minio.RemoveObjectsOptions{}) {
		tb.Logf("remove %s/%s: %v", st.Bucket, e.ObjectName, e.Err)
	}
	if err := st.MC.RemoveBucket(ctx, st.Bucket); err != nil {
		tb.Logf("remove bucket %s: %v", st.Bucket, err)
	}
}

// Env is the whole environment of one instance.
func (st *Stack) Env(listen, dataDir string) []string {
	env := []string{
		"DATABASE_URL=" + st.DBURL,
		"LISTEN_ADDR=" + listen,
		"DATA_DIR=" + dataDir,
		"S3_ENDPOINT=" + st.S3.Endpoint,
		"S3_BUCKET=" + st.Bucket,
		"S3_ACCESS_KEY=" + st.S3.AccessKey,
		"S3_SECRET_KEY=" + st.S3.SecretKey,
		"S3_USE_SSL=" + strconv.FormatBool(st.S3.UseSSL),
		"S3_REGION=" + st.S3.Region,
		"MAX_UPLOAD_BYTES=" + strconv.FormatInt(st.MaxUpload, 10),
		"DEMO_PASSWORD=" + StackPassword,
		"SIGNING_KEYS_DIR=" + st.KeysDir,
		"LOG_LEVEL=warn",
	}
	env = append(env, st.Extra...)
	// Only what a process needs from outside: the service reads its whole
	// configuration from the variables above.
	for _, k := range []string{"PATH", "HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// Run runs an administration command of the binary.
func (st *Stack) Run(tb testing.TB, args ...string) {
	tb.Helper()
	cmd := exec.Command(st.Bin, args...)
	cmd.Env = st.Env("127.0.0.1:0", tb.TempDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("vanban %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// Instance is a running `vanban serve`.
type Instance struct {
	Base   string // http://127.0.0.1:port
	Addr   string // 127.0.0.1:port
	Cmd    *exec.Cmd
	Client *http.Client
	exited chan struct{}
	log    string
	once   sync.Once
}

// FreeAddr returns a loopback address with a port nothing listens on now.
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// Serve starts an instance and waits until /readyz answers 200. It is
// stopped at cleanup.
func (st *Stack) Serve(tb testing.TB) *Instance {
	tb.Helper()
	addr := FreeAddr(tb)
	dir := tb.TempDir()
	logPath := filepath.Join(dir, "vanban.log")
	logf, err := os.Create(logPath)
	if err != nil {
		tb.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(st.Bin, "serve")
	cmd.Env = st.Env(addr, filepath.Join(dir, "data"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	s := &Instance{Base: "http://" + addr, Addr: addr, Cmd: cmd, exited: make(chan struct{}), log: logPath,
		Client: &http.Client{Transport: &http.Transport{
			Proxy: nil, DisableCompression: true, MaxIdleConnsPerHost: 4,
			WriteBufferSize: 256 << 10, ReadBufferSize: 256 << 10,
		}}}
	go func() { cmd.Wait(); close(s.exited) }()
	tb.Cleanup(func() { s.Stop(tb) })

	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := s.Client.Get(s.Base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-s.exited:
			tb.Fatalf("vanban serve exited before it was ready:\n%s", s.LogTail())
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("vanban serve is not ready at %s/readyz after 30 s:\n%s", s.Base, s.LogTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
	return s
}

// Stop ends the instance with SIGTERM (SIGKILL after 15 s).
func (s *Instance) Stop(tb testing.TB) {
	s.once.Do(func() {
		s.Cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(15 * time.Second):
			tb.Logf("vanban serve did not stop within 15 s of SIGTERM; killing it")
			s.Cmd.Process.Kill()
			<-s.exited
		}
		s.Client.CloseIdleConnections()
	})
}

// Kill ends the instance at once, as a crash would.
func (s *Instance) Kill(tb testing.TB) {
	s.once.Do(func() {
		s.Cmd.Process.Kill()
		<-s.exited
		s.Client.CloseIdleConnections()
	})
}

// Exited is closed when the process has ended.
func (s *Instance) Exited() <-chan struct{} { return s.exited }

// LogTail is the end of the instance's log, for failure messages.
func (s *Instance) LogTail() string {
	b, _ := os.ReadFile(s.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// Login logs user in through the JSON API at base and returns the bearer
// token.
func Login(tb testing.TB, client *http.Client, base, user string) string {
	tb.Helper()
	body, _ := json.Marshal(map[string]string{"username": user, "password": StackPassword})
	resp, err := client.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Token string }
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil || out.Token == "" {
		tb.Fatalf("log in as %s: status %d", user, resp.StatusCode)
	}
	return out.Token
}

// HWM is the instance's peak resident memory so far (VmHWM), in KiB.
func (s *Instance) HWM(tb testing.TB) int64 { return procStatus(tb, s.Cmd.Process.Pid, "VmHWM:") }

// RSS is the instance's resident memory now (VmRSS), in KiB.
func (s *Instance) RSS(tb testing.TB) int64 { return procStatus(tb, s.Cmd.Process.Pid, "VmRSS:") }

func procStatus(tb testing.TB, pid int, field string) int64 {
	tb.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatalf("read the server's memory use: %v", err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				tb.Fatalf("%s %q: %v", field, v, err)
			}
			return n
		}
	}
	tb.Fatalf("no %s in /proc/<pid>/status", field)
	return 0
}

// vanbanProgram is cmd/vanban, which the cluster and bench tests run.
var vanbanProgram = &Program{Package: "./cmd/vanban"}

// BuildBinary builds cmd/vanban once per test binary and returns its path.
func BuildBinary(tb testing.TB) string {
	tb.Helper()
	return vanbanProgram.Binary(tb)
}

// RemoveBinary deletes what BuildBinary built; call it from TestMain.
func RemoveBinary() { vanbanProgram.Remove() }
