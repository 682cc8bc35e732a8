package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/org"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// meetingFixture is a meeting in progress with n participants (one unit
// of n clerks, all checked in) and an agenda of docs PDFs of size bytes.
type meetingFixture struct {
	e       *testEnv
	id      int64
	chair   string
	tokens  []string
	objects []string // the agenda documents' object keys
}

func newMeetingFixture(b *testing.B, e *testEnv, n, docs, size int) *meetingFixture {
	b.Helper()
	ctx := context.Background()
	unit, err := org.NewStore(e.db).Create(ctx, org.Unit{Code: "099.01.24.H29", Name: "Trường thử tải", Abbreviation: "TTT", Kind: org.KindSchool, SchoolLevel: "thcs"})
	if err != nil {
		b.Fatal(err)
	}
	users := auth.NewService(e.db, time.Hour)
	f := &meetingFixture{e: e, chair: e.login("giamdoc.sgd")}
	organiser := e.login("vanthu.sgd")
	var chairID, secID int64
	e.db.Get(&chairID, `SELECT id FROM users WHERE username = 'giamdoc.sgd'`)
	e.db.Get(&secID, `SELECT id FROM users WHERE username = 'chuyenvien.sgd'`)
	start := time.Now().Add(-5 * time.Minute)
	status, out := e.postJSON(b, "/api/v1/meetings", organiser, map[string]any{"title": "Họp thử tải", "starts_at": start,
		"ends_at": start.Add(2 * time.Hour), "place": "Phòng họp A", "chair_id": chairID, "secretary_id": secID})
	if status != 201 {
		b.Fatalf("create meeting: %d %s", status, out)
	}
	var m struct{ ID int64 }
	json.Unmarshal(out, &m)
	f.id = m.ID
	status, out = e.postJSON(b, fmt.Sprintf("/api/v1/meetings/%d/items", f.id), organiser, map[string]any{"title": "Nội dung 1", "presenter": "Văn phòng"})
	if status != 201 {
		b.Fatalf("add item: %d %s", status, out)
	}
	var it struct{ ID int64 }
	json.Unmarshal(out, &it)
	for i := 0; i < docs; i++ {
		body, ct := multipartBody(b, map[string]string{"title": fmt.Sprintf("Tài liệu %d", i+1)}, "tai-lieu.pdf", testenv.PDF(size, uint64(1000+i)))
		status, out, _ := e.request("POST", fmt.Sprintf("/api/v1/meetings/%d/items/%d/files", f.id, it.ID), organiser, body, ct)
		if status != 201 {
			b.Fatalf("upload: %d %s", status, out)
		}
	}
	e.db.Select(&f.objects, `SELECT object_key FROM meeting_files WHERE meeting_id = $1`, f.id)
	if status, out := e.postJSON(b, fmt.Sprintf("/api/v1/meetings/%d/participants", f.id), organiser, map[string]any{"unit_id": unit.ID}); status != 201 {
		b.Fatalf("add unit: %d %s", status, out)
	}
	if status, out, _ := e.request("PATCH", fmt.Sprintf("/api/v1/meetings/%d", f.id), f.chair, bytes.NewReader([]byte(`{"status":"in_progress"}`)), "application/json"); status != 200 {
		b.Fatalf("start: %d %s", status, out)
	}
	f.tokens = make([]string, n)
	for i := range f.tokens {
		name := fmt.Sprintf("nguoidung%03d", i)
		if _, err := users.CreateUser(ctx, auth.NewUser{Username: name, FullName: fmt.Sprintf("Người dự họp %d", i), UnitID: unit.ID,
			Roles: []string{auth.RoleStaff}, Password: testPassword}); err != nil {
			b.Fatal(err)
		}
		f.tokens[i] = e.login(name)
		if status, out := e.postJSON(b, fmt.Sprintf("/api/v1/meetings/%d/check-in", f.id), f.tokens[i], nil); status != 200 {
			b.Fatalf("check in: %d %s", status, out)
		}
	}
	return f
}

func percentile(d []time.Duration, q float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// BenchmarkPacketFetch300 is the meetings issue's figure: 300 participants
// fetch their personal packet at once (the shared base streamed from S3
// with a per-reader tail), compared in the same run with 300 concurrent
// GETs of the same base object straight from the S3 server. Sizes:
// VANBAN_BENCH_PACKET_MIB (default 20) spread over 20 documents.
func BenchmarkPacketFetch300(b *testing.B) {
	s3 := testenv.RequireS3(b)
	blobs := newS3Store(b, s3, s3.Endpoint)
	e := newEnv(b, envOptions{blobs: blobs, maxUploadBytes: 64 << 20})
	mib := 20
	if v, err := strconv.Atoi(os.Getenv("VANBAN_BENCH_PACKET_MIB")); err == nil && v > 0 {
		mib = v
	}
	const readers = 300
	f := newMeetingFixture(b, e, readers, 20, mib<<20/20)
	// Build the base once, outside the measurement.
	status, first, _ := e.request("GET", fmt.Sprintf("/api/v1/meetings/%d/packet", f.id), f.tokens[0], nil, "")
	if status != 200 {
		b.Fatalf("packet: %d %s", status, first[:min(len(first), 200)])
	}
	var key string
	e.db.Get(&key, `SELECT object_key FROM meeting_packets WHERE meeting_id = $1`, f.id)
	mc, err := minio.New(s3.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s3.AccessKey, s3.SecretKey, ""), Region: s3.Region})
	if err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: readers}}
	service := func(i int) (int64, error) {
		req, _ := http.NewRequest("GET", e.baseURL+fmt.Sprintf("/api/v1/meetings/%d/packet", f.id), nil)
		req.Header.Set("Authorization", "Bearer "+f.tokens[i])
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		n, err := io.Copy(io.Discard, resp.Body)
		if err == nil && resp.StatusCode != 200 {
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		return n, err
	}
	direct := func(int) (int64, error) {
		o, err := mc.GetObject(context.Background(), blobs.Bucket(), key, minio.GetObjectOptions{})
		if err != nil {
			return 0, err
		}
		defer o.Close()
		return io.Copy(io.Discard, o)
	}
	run := func(get func(int) (int64, error)) (time.Duration, int64, int, []time.Duration) {
		var wg sync.WaitGroup
		var total atomic.Int64
		var errs atomic.Int32
		lat := make([]time.Duration, readers)
		start := time.Now()
		for i := 0; i < readers; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				t0 := time.Now()
				n, err := get(i)
				lat[i] = time.Since(t0)
				total.Add(n)
				if err != nil {
					errs.Add(1)
				}
			}(i)
		}
		wg.Wait()
		return time.Since(start), total.Load(), int(errs.Load()), lat
	}
	var ratios []float64
	for b.Loop() {
		ds, nd, ed, _ := run(direct)
		ss, ns, es, lat := run(service)
		if ed+es > 0 {
			b.Fatalf("errors: direct %d, service %d", ed, es)
		}
		if ns < nd {
			b.Fatalf("the service sent %d bytes, the store %d: copies are base + tail", ns, nd)
		}
		rd, rs := float64(nd)/ds.Seconds()/(1<<20), float64(ns)/ss.Seconds()/(1<<20)
		ratios = append(ratios, rs/rd)
		b.ReportMetric(rd, "direct-MiB/s")
		b.ReportMetric(rs, "service-MiB/s")
		b.ReportMetric(float64(percentile(lat, 0.5).Milliseconds()), "service-p50-ms")
		b.ReportMetric(float64(percentile(lat, 0.99).Milliseconds()), "service-p99-ms")
		b.ReportMetric(0, "errors")
	}
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "service/direct")
}

// BenchmarkVotes300 is the other figure: 300 checked-in participants cast
// a vote at once through the API; every vote must be counted exactly once.
func BenchmarkVotes300(b *testing.B) {
	e := newEnv(b, envOptions{})
	const voters = 300
	f := newMeetingFixture(b, e, voters, 0, 0)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: voters}}
	for b.Loop() {
		b.StopTimer()
		status, out := e.postJSON(b, fmt.Sprintf("/api/v1/meetings/%d/ballots", f.id), f.chair, map[string]any{"question": "Thông qua kế hoạch?", "secret": true})
		if status != 201 {
			b.Fatalf("open: %d %s", status, out)
		}
		var ballot struct{ ID int64 }
		json.Unmarshal(out, &ballot)
		b.StartTimer()
		var wg sync.WaitGroup
		var failed atomic.Int32
		start := time.Now()
		for i := 0; i < voters; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				choice := []string{"Tán thành", "Không tán thành", "Không biểu quyết"}[i%3]
				body, _ := json.Marshal(map[string]string{"choice": choice})
				req, _ := http.NewRequest("POST", e.baseURL+fmt.Sprintf("/api/v1/ballots/%d/votes", ballot.ID), bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+f.tokens[i])
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil || resp.StatusCode != 201 {
					failed.Add(1)
				}
				if resp != nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}(i)
		}
		wg.Wait()
		elapsed := time.Since(start)
		b.StopTimer()
		status, out = e.postJSON(b, fmt.Sprintf("/api/v1/ballots/%d/close", ballot.ID), f.chair, nil)
		var closed struct {
			Totals map[string]int `json:"totals"`
		}
		json.Unmarshal(out, &closed)
		sum := 0
		for _, n := range closed.Totals {
			sum += n
		}
		if status != 200 || failed.Load() != 0 || sum != voters || closed.Totals["Tán thành"] != voters/3 {
			b.Fatalf("close: %d, %d failed, totals %v", status, failed.Load(), closed.Totals)
		}
		status, out, _ = e.request("GET", fmt.Sprintf("/api/v1/ballots/%d/results", ballot.ID), f.chair, nil, "")
		if status != 200 || !bytes.Contains(out, []byte(`"chain_ok":true`)) {
			b.Fatalf("results: %d %s", status, out[:min(len(out), 300)])
		}
		b.ReportMetric(elapsed.Seconds(), "s-for-300-votes")
		b.ReportMetric(float64(voters)/elapsed.Seconds(), "votes/s")
		b.StartTimer()
	}
}
